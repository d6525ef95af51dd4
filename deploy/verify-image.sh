#!/usr/bin/env bash
# Build the serving image and check it end to end, as a person deploying it would. Minutes, and it needs Docker,
# so it is not part of `make test`. From anywhere:
#
#   deploy/verify-image.sh
#
# 1. builds deploy/Dockerfile (build time, image size);
# 2. runs the image (read-only, no capabilities) in HTTP mode against the tests' fake Slack Web API: /healthz 200,
#    its HEALTHCHECK passes, a forged request is refused, a signed @mention is answered in its thread; then, inside
#    the container as UID 10001, `stackpick ask` answers and `stackpick index add` adds an HTML article to a scratch
#    copy of the library;
# 3. brings deploy/docker-compose.yml up as shipped (bot + Redis, dummy credentials, a stub Slack API on the compose
#    network), waits for both to be healthy, checks that a mention is answered once and its retry is not;
# 4. tears down every container, network and volume it started (the image stays).
#
# Environment:
#   IMAGE            tag to build and check (default stackpick:verify)
#   PYTHON_IMAGE     base image build argument (default the Dockerfile's python:3.11-slim)
#   TORCH_INDEX_URL  CPU torch wheel index build argument (default the Dockerfile's download.pytorch.org/whl/cpu)
#   REDIS_IMAGE      Redis image for the compose check (default the compose file's redis:7-alpine)
#   NO_CACHE=1       build without the layer cache, for a build time from scratch
# Without registry access, deploy/offline-standins.sh makes local stand-ins and prints these variables.
# The build uses the host's network (--network host), so a stand-in index on 127.0.0.1 is reachable; the checks
# talk to the containers only through this machine's loopback and the compose network.
set -euo pipefail

cd "$(dirname "$0")/.."
IMAGE=${IMAGE:-stackpick:verify}
PYTHON=${PYTHON:-.venv/bin/python}
MIN_COMPOSE=2.24.0   # the env_file form with path: and required: (deploy/docker-compose.yml)

fail() { echo "verify-image: $*" >&2; exit 1; }
step() { printf '\033[1m==> %s\033[0m\n' "$*"; }

command -v docker >/dev/null 2>&1 \
    || fail "Docker is not installed (Debian: apt-get install -y docker.io; elsewhere see docs.docker.com)."
docker info >/dev/null 2>&1 \
    || fail "the Docker engine does not answer (docker info fails): start it (systemctl start docker, or dockerd &)."
compose=$(docker compose version --short 2>/dev/null) \
    || fail "Docker Compose v2 is missing (the docker compose plugin; Compose v1's docker-compose cannot read the file)."
printf '%s\n%s\n' "$MIN_COMPOSE" "${compose#v}" | sort -V -C \
    || fail "Docker Compose ${compose} is too old: deploy/docker-compose.yml needs ${MIN_COMPOSE} or later."
[ -x "$PYTHON" ] || fail "$PYTHON is missing: run make install (the checks use the tests' fake Slack Web API)."

build_args=()
[ -n "${PYTHON_IMAGE:-}" ] && build_args+=(--build-arg "PYTHON_IMAGE=${PYTHON_IMAGE}")
[ -n "${TORCH_INDEX_URL:-}" ] && build_args+=(--build-arg "TORCH_INDEX_URL=${TORCH_INDEX_URL}")
[ "${NO_CACHE:-0}" = 1 ] && build_args+=(--no-cache)

log=$(mktemp -t stackpick-build.XXXXXX.log)
step "docker build -f deploy/Dockerfile -t ${IMAGE} ${build_args[*]:-} . (full log: ${log})"
started=$(date +%s)
# Only the step lines here (the legacy builder's "Step n/m", BuildKit's "#n [stage]"); everything is in the log.
if ! docker build --force-rm --network host -f deploy/Dockerfile -t "$IMAGE" "${build_args[@]}" . >"$log" 2>&1; then
    grep -E '^(Step [0-9]+/[0-9]+ :|#[0-9]+ \[)' "$log" | cut -c1-150 || true
    echo "--- the end of the build log:" >&2
    tail -n 25 "$log" >&2
    fail "the image did not build after $(( $(date +%s) - started )) s"
fi
seconds=$(( $(date +%s) - started ))
grep -E '^(Step [0-9]+/[0-9]+ :|#[0-9]+ \[)' "$log" | cut -c1-150 || true
size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
base=${PYTHON_IMAGE:-python:3.11-slim}
base_size=$(docker image inspect -f '{{.Size}}' "$base" 2>/dev/null || echo 0)
step "built ${IMAGE} in ${seconds} s: $(( size / 1000000 )) MB, $(( (size - base_size) / 1000000 )) MB above ${base}"

"$PYTHON" deploy/verify_image.py --image "$IMAGE" ${REDIS_IMAGE:+--redis-image "$REDIS_IMAGE"}
