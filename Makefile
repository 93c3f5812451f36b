# Two commands: `make run` and `make test`. Everything else is a helper for those.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint setup screenshots bench clean

# One machine: keys left unset are generated into var/ (see DJANGO_ENV in .env.example). A
# DJANGO_ENV from the environment wins, e.g. `DJANGO_ENV=production make run` to test fail-closed.
run test screenshots bench: export DJANGO_ENV ?= local

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py ensure_admin
	@# The waiter prints the URL once /readyz answers 200; it ends with honcho (its parent).
	$(PY) manage.py wait_ready & \
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH exec $(PY) -m dashboard.stack start $$($(PY) manage.py stack_processes)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

clean:
	rm -rf var $(VENV)

# PNGs of every page at 1280 and 375 px into docs/screenshots/, from demo data seeded into the
# throwaway test database (tests/e2e/screenshots.py; needs /usr/bin/chromium).
screenshots: setup
	$(VENV)/bin/pytest tests/e2e/screenshots.py -q -p no:cacheprovider

# Benchmarks against the sandbox on SQLite and PostgreSQL (127.0.0.1:5432, Redis db 14): prints
# one table per section and writes BENCHMARKS.md. Quick smoke run: .venv/bin/python -m bench --quick
bench: setup
	$(PY) -m bench --write
