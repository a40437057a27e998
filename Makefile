# Two commands do everything on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha256sum | cut -c1-12)
export ATLAS_DATA_DIR ?= $(CURDIR)/.atlas
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
DEFAULT_SOURCES := https://github.com/OpenTermsArchive/genai-contrib-versions.git

.PHONY: run test quick install browser db-up db-down broker-up broker-down lint migrations-check bench

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@# torch first, as the local CPU wheel: anything else would pull GBs of CUDA packages.
	$(PY) -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[ml,dev]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

# The sentence model's ONNX export (provisions/onnx_encoder.py) under ATLAS_DATA_DIR/models:
# made here once, offline, from the installed weights (a no-op when present; with
# ATLAS_ENCODER=torch it is not needed). The worker would make it on first use otherwise.
install: $(STAMP)
	@if [ "$${ATLAS_ENCODER:-onnx}" = onnx ]; then $(PY) -m provisions.onnx_encoder; fi

# The browser tests drive Debian's chromium through Playwright (never a downloaded browser build).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" != 0 ]; then echo "The browser tests need Debian's chromium: sudo apt-get install chromium" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

db-up: install
	@$(PY) -m atlas.embedded_db start

db-down:
	@if [ -x $(PY) ]; then $(PY) -m atlas.embedded_db stop; fi

# The embedded Redis broker (used when CELERY_BROKER_URL is unset): keeps unacknowledged tasks.
broker-up: install
	@if [ -z "$$CELERY_BROKER_URL" ]; then $(PY) -m atlas.embedded_broker start; fi

broker-down:
	@if [ -x $(PY) ]; then $(PY) -m atlas.embedded_broker stop; fi

# The site on ATLAS_BIND (127.0.0.1:8000) with the sources in ATLAS_SOURCES imported first.
# While the worker embeds and assigns, a line of progress is printed when it moves (every 10 s
# at most; atlas/progress.py), as the home page and /api/v1/status/ show it.
# A second instance on the same host needs its own ATLAS_DATA_DIR and ATLAS_BIND.
run: ATLAS_BIND ?= 127.0.0.1:8000
run: export ALLOWED_HOSTS ?= 127.0.0.1 localhost
run: export SECURE_COOKIES ?= false
run: install db-up broker-up
	@mkdir -p $(ATLAS_DATA_DIR)
	@test -s $(ATLAS_DATA_DIR)/secret_key || $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > $(ATLAS_DATA_DIR)/secret_key
	export SECRET_KEY="$${SECRET_KEY:-$$(cat $(ATLAS_DATA_DIR)/secret_key)}"; \
	$(PY) manage.py migrate --noinput && \
	$(PY) manage.py createcachetable && \
	$(PY) manage.py load_regulations && \
	$(PY) manage.py collectstatic --noinput --verbosity 0 && \
	{ $(PY) manage.py import_sources $${ATLAS_SOURCES:-$(DEFAULT_SOURCES)} || \
	  echo "Some sources could not be imported (see above); serving what is stored."; } && \
	{ $(VENV)/bin/celery -A atlas worker --concurrency=1 --loglevel=INFO & worker=$$!; \
	  $(VENV)/bin/celery -A atlas beat --loglevel=INFO \
	    --schedule "$(ATLAS_DATA_DIR)/celerybeat-schedule" & beat=$$!; \
	  $(PY) -m atlas.progress 10 & progress=$$!; \
	  trap 'kill $$worker $$beat $$progress 2>/dev/null' EXIT INT TERM; \
	  $(VENV)/bin/gunicorn atlas.wsgi --bind "$(ATLAS_BIND)" --workers 2 --access-logfile - \
	    --control-socket "$(ATLAS_DATA_DIR)/gunicorn.ctl"; }

# The whole test suite, with lint and migration checks first.
test: export SECRET_KEY ?= insecure-test-only-key
test: export STATIC_MANIFEST ?= false
test: install browser db-up broker-up
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(PY) manage.py makemigrations --check --dry-run --verbosity 0
	@# The deployment checklist, with a production-like environment.
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" DEBUG=false \
	  ALLOWED_HOSTS=atlas.example SECURE_SSL_REDIRECT=true SECURE_HSTS_SECONDS=31536000 \
	  SECURE_HSTS_INCLUDE_SUBDOMAINS=true SECURE_HSTS_PRELOAD=true \
	  $(PY) manage.py check --deploy --fail-level WARNING
	$(PY) -m pytest $(PYTEST_ARGS)

# The inner loop: lint, then the tests that need no real corpus, worker process or browser
# and run in a few seconds each (markers in pyproject.toml). `make test` still runs them all.
quick: export SECRET_KEY ?= insecure-test-only-key
quick: export STATIC_MANIFEST ?= false
quick: install db-up
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -m "not slow and not realdata and not e2e and not worker" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

bench: export SECRET_KEY ?= insecure-bench-only-key
bench: install db-up
	$(PY) bench/import.py
