# stackpick: every target sets up what it needs, so on a fresh machine `make test` or `make run` alone is enough.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install services run console index test soak unit lint bench eval image clean readme-slack

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	# torch first and pinned: pip takes the local CPU wheel; an unpinned torch would pull gigabytes of CUDA.
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt torch==2.13.0
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[build,dev]'
	@touch $(STAMP)

install: $(STAMP)

# Build the index when none is served yet, or when the served one doesn't suit the settings (model or backend).
index: install
	@$(BIN)/stackpick index stats --check >/dev/null 2>&1 || $(BIN)/stackpick index build

# With Slack credentials (environment or .env) run the bot; without them open the local console.
run: index
	@if [ -n "$${SLACK_BOT_TOKEN:-}" ] || grep -qs '^SLACK_BOT_TOKEN=.' .env; then \
		$(BIN)/stackpick serve; \
	else \
		echo "No Slack credentials (SLACK_BOT_TOKEN): opening the local console. Ctrl-D to quit."; \
		$(BIN)/stackpick console; \
	fi

console: index
	$(BIN)/stackpick console

# redis-server and PostgreSQL for the several-replicas tests. The fixtures (tests/services.py) start their own on
# free ports, so this only makes sure the binaries exist: installed from Debian packages when missing and we can
# (root with apt-get; `apt-get update` only if the first try fails), otherwise how to install them is printed and
# those tests skip (under CI=true they fail instead).
services:
	@missing=""; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
		|| missing="$$missing postgresql"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing$$missing from Debian packages (needed by the Redis/PostgreSQL tests)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q --no-install-recommends $$missing \
			|| { apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; }; \
	else \
		echo "Missing$$missing: the Redis/PostgreSQL tests will be skipped (and fail under CI=true)."; \
		echo "Install with: sudo apt-get install -y --no-install-recommends$$missing"; \
	fi

# The whole suite: `make lint` first (CI runs only this target, so a lint error fails the build), then unit tests
# (fake embedder) and integration tests (the real bundled model, the dev-set eval).
test: lint services
	$(BIN)/python -m pytest -q -p no:cacheprovider

# The load, fault and hostile-input tests at a larger scale (minutes): 5,000 mentions, 1,500 retried events, 1,000
# answers through 429/500s, a longer Redis outage, ten times the fuzz inputs; then the measured figures as a table
# (kept in var/reliability/soak.json). `make test` runs the same tests at their quick size.
soak: install services
	rm -f var/reliability/soak.json
	STACKPICK_SOAK=1 STACKPICK_FIGURES=var/reliability/soak.json $(BIN)/python -m pytest -q -p no:cacheprovider -m soak
	@$(BIN)/python tests/slack/reliability.py var/reliability/soak.json

unit: install
	$(BIN)/python -m pytest -q -m "not integration"

lint: install
	$(BIN)/ruff check knowledge index bot tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

eval: index
	$(BIN)/stackpick eval tests/data/dev-questions.yaml --min-verdict 0.93 --min-grounding 1 --min-support 0.9 \
		--min-refusals 1 --min-disagreements 1
	$(BIN)/stackpick eval knowledge/labeled/questions.yaml --part held_out --min-verdict 0.75 --min-grounding 1 \
		--min-refusals 0.95 --min-scope-kept 0.95
	$(BIN)/stackpick eval --claims --part held_out --min-recall 0.40 --min-side-precision 0.74 \
		--min-criteria-precision 0.55

# Retrieval quality, then speed against the stock sentence-transformers baseline on the seed, 1k and 10k libraries
# (the first run generates and indexes the synthetic libraries under var/bench: allow about half an hour).
# BENCH_ARGS passes options: make bench BENCH_ARGS="--quick", or "--backend default,torch --quality --update-readme".
BENCH_ARGS ?=
bench: install
	$(BIN)/python -m benchmarks.retrieval
	$(BIN)/python -m benchmarks.speed $(BENCH_ARGS)

# The serving image (deploy/Dockerfile) with Docker or Podman, whichever is installed (ENGINE=podman to choose;
# Podman builds in Docker's format, since the OCI format has no HEALTHCHECK).
# IMAGE_BUILD_ARGS passes more, e.g. IMAGE_BUILD_ARGS="--build-arg TORCH_INDEX_URL=https://mirror/whl/cpu".
# deploy/verify-image.sh builds it and checks it end to end (not part of `make test`).
IMAGE ?= stackpick:0.1.0
ENGINE ?= $(shell command -v docker >/dev/null 2>&1 && echo docker || { command -v podman >/dev/null 2>&1 && echo podman; })
IMAGE_BUILD_ARGS ?=
image:
	@if [ -z "$(ENGINE)" ]; then \
		echo "make image needs Docker or Podman, and neither docker nor podman is on PATH." >&2; \
		echo "Install one (Debian: sudo apt-get install -y docker.io, or podman), or set ENGINE=/path/to/it." >&2; \
		exit 1; \
	fi
	@command -v $(ENGINE) >/dev/null 2>&1 || { echo "make image: ENGINE=$(ENGINE) is not installed." >&2; exit 1; }
	@$(ENGINE) info >/dev/null 2>&1 || { \
		echo "make image: $(ENGINE) is installed but its engine does not answer ('$(ENGINE) info' fails):" >&2; \
		echo "start it (sudo systemctl start docker, or run dockerd), or check your access to its socket." >&2; \
		exit 1; }
	$(ENGINE) build -f deploy/Dockerfile -t $(IMAGE) $(if $(findstring podman,$(ENGINE)),--format docker) $(IMAGE_BUILD_ARGS) .

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache

# The README's pictures of each Slack surface, rendered from the real blocks of real answers (the served index).
readme-slack: index
	$(BIN)/python tests/render/slack/readme_surfaces.py --write
