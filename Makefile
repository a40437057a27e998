# Two commands do everything: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export ATLAS_DATA_DIR ?= $(CURDIR)/.atlas
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test lint migrations-check install db-up db-down

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	# torch first, as the local CPU wheel: anything else would pull GBs of CUDA packages.
	$(PY) -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[ml,dev]'
	touch $(STAMP)

install: $(STAMP)

db-up: install
	$(PY) -m atlas.embedded_db start

db-down:
	@test -x $(PY) && $(PY) -m atlas.embedded_db stop || true

run: install db-up
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	-$(PY) manage.py import_sources $${ATLAS_SOURCES:-https://github.com/OpenTermsArchive/genai-contrib-versions.git}
	$(PY) -m atlas.serve

test: install db-up
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check . && $(PY) -m ruff format --check .
