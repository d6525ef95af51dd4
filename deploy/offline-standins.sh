#!/usr/bin/env bash
# Stand-ins for building and checking the image on a machine that reaches Debian's packages and PyPI but no image
# registry and no PyTorch wheel index (this project's sandboxes). Nothing here is needed where those are reachable.
#
#   deploy/offline-standins.sh up     # build the stand-ins, serve the torch index; prints what to export
#   deploy/offline-standins.sh down   # stop the torch index server (the images stay)
#
#   python:3.11-slim  -> stackpick-standin/python:3.11-slim: Debian bookworm made with debootstrap (Python 3.11,
#                        python3-venv, python-is-python3), plus this machine's extra CA certificates, since its
#                        HTTPS goes through a TLS-inspecting proxy, and PIP_CERT, since pip before 24.2 trusts only
#                        its own bundle. Its pip is Debian's 23.0.1, the one that once lost lxml_html_clean.
#   redis:7-alpine    -> stackpick-standin/redis:7: Debian's redis-server 7 on that base; like the official image
#                        it turns protected mode off when started without a config file.
#   the CPU wheel index (download.pytorch.org/whl/cpu) -> http://127.0.0.1:PORT/: torch 2.13.0+cpu and its
#                        dependencies at the pins of constraints.txt (pip finds the torch wheel in the machine's
#                        local wheels), one folder per project, served by `python3 -m http.server` on loopback.
#                        Builds then need `--network host` to reach it (deploy/verify-image.sh passes it).
# Needs root, Docker, debootstrap and python3 with pip. WORK (default /tmp/stackpick-standins) keeps the files.
set -euo pipefail

cd "$(dirname "$0")/.."
WORK=${WORK:-/tmp/stackpick-standins}
BASE_TAG=${BASE_TAG:-stackpick-standin/python:3.11-slim}
REDIS_TAG=${REDIS_TAG:-stackpick-standin/redis:7}
TORCH_PORT=${TORCH_PORT:-8099}
SUITE=bookworm

say() { printf '\033[1m%s\033[0m\n' "$*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || { echo "offline-standins: $1 is missing ($2)" >&2; exit 1; }; }

base_image() {
    if docker image inspect "$BASE_TAG" >/dev/null 2>&1; then say "base: $BASE_TAG exists"; return; fi
    need debootstrap "apt-get install -y debootstrap"
    local root="$WORK/rootfs"
    say "base: debootstrap $SUITE into $root (a few minutes)"
    rm -rf "$root"
    debootstrap --variant=minbase --include=python3,python3-venv,python-is-python3,ca-certificates \
        "$SUITE" "$root" http://deb.debian.org/debian >"$WORK/debootstrap.log"
    # The machine's own extra CAs (a TLS-inspecting proxy's): without them nothing in the image reaches PyPI here.
    if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
        cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
        chroot "$root" update-ca-certificates >/dev/null
    fi
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
           "$root"/usr/share/man/* "$root"/usr/share/info/*
    tar -C "$root" -c . | docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
        --change 'CMD ["python3"]' - "$BASE_TAG" >/dev/null
    rm -rf "$root"
}

redis_image() {
    if docker image inspect "$REDIS_TAG" >/dev/null 2>&1; then say "redis: $REDIS_TAG exists"; return; fi
    say "redis: $REDIS_TAG from Debian's redis-server"
    local ctx="$WORK/redis"
    mkdir -p "$ctx"
    # The official image's entrypoint adds --protected-mode no when redis-server runs without a config file:
    # otherwise every client on the compose network (not loopback) gets DENIED.
    cat >"$ctx/entrypoint.sh" <<'EOF'
#!/bin/sh
if [ "$1" = redis-server ] && [ "${2#-}" != "$2" -o -z "$2" ]; then set -- "$@" --protected-mode no; fi
exec "$@"
EOF
    cat >"$ctx/Dockerfile" <<EOF
FROM $BASE_TAG
RUN apt-get update -q && apt-get install -y -q --no-install-recommends redis-server redis-tools \\
 && rm -rf /var/lib/apt/lists/*
COPY entrypoint.sh /usr/local/bin/entrypoint.sh
RUN chmod 755 /usr/local/bin/entrypoint.sh
USER redis
ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
CMD ["redis-server"]
EOF
    docker build --network host -q -t "$REDIS_TAG" "$ctx" >/dev/null
}

torch_index() {
    local index="$WORK/torch-index" files="$WORK/torch-files"
    if [ ! -d "$index/torch" ]; then
        say "torch index: torch 2.13.0 and its dependencies at the pins of constraints.txt"
        rm -rf "$files" "$index" && mkdir -p "$files" "$index"
        python3 -m pip download --quiet --disable-pip-version-check -c constraints.txt torch==2.13.0 -d "$files"
        # The simple-index layout: one folder per normalized project name, which http.server lists as links.
        for wheel in "$files"/*.whl; do
            name=$(basename "$wheel" | cut -d- -f1 | sed 's/[._]/-/g' | tr '[:upper:]' '[:lower:]')
            mkdir -p "$index/$name" && mv "$wheel" "$index/$name/"
        done
        rm -rf "$files"
    fi
    if [ -f "$WORK/torch-index.pid" ] && kill -0 "$(cat "$WORK/torch-index.pid")" 2>/dev/null; then
        say "torch index: already served on 127.0.0.1:$TORCH_PORT"
    else
        nohup python3 -m http.server --bind 127.0.0.1 --directory "$index" "$TORCH_PORT" \
            >"$WORK/torch-index.log" 2>&1 &
        echo $! >"$WORK/torch-index.pid"
        for _ in $(seq 50); do
            python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$TORCH_PORT/torch/')" \
                2>/dev/null && break
            sleep 0.1
        done
        say "torch index: serving $index on http://127.0.0.1:$TORCH_PORT/ (pid $(cat "$WORK/torch-index.pid"))"
    fi
}

case "${1:-up}" in
    up)
        need docker "apt-get install -y docker.io, then start dockerd"
        mkdir -p "$WORK"
        base_image
        redis_image
        torch_index
        echo "export PYTHON_IMAGE=$BASE_TAG TORCH_INDEX_URL=http://127.0.0.1:$TORCH_PORT/ REDIS_IMAGE=$REDIS_TAG"
        ;;
    down)
        if [ -f "$WORK/torch-index.pid" ]; then kill "$(cat "$WORK/torch-index.pid")" 2>/dev/null || true; fi
        rm -f "$WORK/torch-index.pid"
        ;;
    *) echo "usage: $0 [up|down]" >&2; exit 2 ;;
esac
