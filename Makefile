# The two commands that matter: `make run` and `make test`. Both set up
# everything they need (virtualenv, pinned dependencies) on a fresh machine.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
PG_DATABASE_URL ?= postgres://root@127.0.0.1:5432/test
PYTEST_ARGS ?=

.PHONY: run serve test test-sqlite test-postgres lint format bench bench-smoke install clean browser screenshots

$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-browser.txt build-constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check pip==26.3
	$(PIP) install --quiet --build-constraint build-constraints.txt -r requirements-browser.txt
	touch $@

install: $(VENV)/.installed

# Debian's chromium for the browser tests and screenshots (apt-get; a no-op once installed).
browser:
	sh scripts/install_browser.sh

# Links printed by seed_demo and sent in emails point at the port actually served.
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# Production-like: gunicorn workers, PostgreSQL, Redis, DEBUG off, whitenoise,
# the task worker and the view flusher (see scripts/serve.sh for the settings).
serve: install
	PORT=$(PORT) sh scripts/serve.sh

test: install test-sqlite test-postgres

test-sqlite: install browser
	@echo "== Test suite on SQLite =="
	env -u DATABASE_URL -u REDIS_URL $(PY) -m pytest $(PYTEST_ARGS)

test-postgres: install
	@echo "== Test suite on PostgreSQL ($(PG_DATABASE_URL)) =="
	@PG_DATABASE_URL=$(PG_DATABASE_URL) $(PY) scripts/check_postgres.py; status=$$?; \
	if [ $$status -eq 2 ]; then exit 0; elif [ $$status -ne 0 ]; then exit $$status; fi; \
	env -u REDIS_URL DATABASE_URL=$(PG_DATABASE_URL) $(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(PY) bench/writes.py
	$(PY) bench/pages.py
	$(PY) bench/load.py
	$(PY) bench/profile.py
	$(PY) bench/tasks.py

# Every benchmark once on the smallest data, its checks included, leaving
# docs/benchmarks.md alone (BENCH_SMOKE in bench/common.py): CI runs it, so a
# renamed receiver or service breaks CI rather than the next benchmark day.
bench-smoke: export BENCH_SMOKE = 1
bench-smoke: install
	$(PY) bench/writes.py
	$(PY) bench/pages.py
	$(PY) bench/recount.py
	$(PY) bench/tasks.py
	$(PY) bench/load.py
	$(PY) bench/profile.py

# docs/screenshots/<page>-<light|dark>.png from a throwaway demo site.
screenshots: install browser
	$(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-results
