# Portail Famille — the commands a newcomer needs: `make demo`, `make test`, `make lint`.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
FAKE_API_PORT ?= 8765
FRANCECONNECT_PORT ?= 8766
FAKE_PAYFIP_PORT ?= 8767
DEMO_ENV := WAGTAILADMIN_BASE_URL=http://$(HOST):$(PORT) \
  API_PARTICULIER_URL=http://127.0.0.1:$(FAKE_API_PORT) \
  FRANCECONNECT_URL=http://127.0.0.1:$(FRANCECONNECT_PORT) \
  PAYFIP_WSDL_URL=http://127.0.0.1:$(FAKE_PAYFIP_PORT)/tpa/services/securite?wsdl \
  PAYFIP_PAYMENT_URL=http://127.0.0.1:$(FAKE_PAYFIP_PORT)/tpa/paiementws.web

# WeasyPrint needs Pango and HarfBuzz and at least one font.
DEBIAN_RUNTIME := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
# The tests also read PDFs (pdftotext), drive a real browser and start a PostgreSQL cluster.
DEBIAN_TEST := $(DEBIAN_RUNTIME) poppler-utils chromium postgresql-15

.PHONY: demo test test-postgres lint install install-dev node-modules system-runtime system-test check clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python pyproject.toml setup.py
	$(VENV)/bin/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(VENV)/bin/pip install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# axe-core for the browser tests, pinned by package-lock.json.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || .ci/ensure-debian-packages nodejs npm
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

node-modules: node_modules/.installed

system-runtime:
	@.ci/ensure-debian-packages $(DEBIAN_RUNTIME)

system-test:
	@.ci/ensure-debian-packages $(DEBIAN_TEST)

# Migrates, loads the demo at the address it is served, then starts the fake API
# Particulier, the local FranceConnect, the fake PayFiP, the periodic jobs and the site,
# each checked to answer
# (site/demo.py): it stops with the error when one does not.
demo: system-runtime install
	$(DEMO_ENV) $(PY) manage.py migrate --noinput -v0
	$(DEMO_ENV) $(PY) manage.py collectstatic --noinput -v0
	$(DEMO_ENV) $(PY) manage.py load_demo --site-url http://$(HOST):$(PORT)
	$(DEMO_ENV) $(PY) -m portail_site.demo --host $(HOST) --port $(PORT) \
	  --fake-api-port $(FAKE_API_PORT) --franceconnect-port $(FRANCECONNECT_PORT) \
	  --fake-payfip-port $(FAKE_PAYFIP_PORT)

check: install-dev
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# The whole suite on SQLite, then its browser tests (screenshots of failures in
# test-results/browser), then on a throwaway PostgreSQL 15 cluster what the database decides
# there: the tests marked `postgres` (skipped on SQLite; concurrency, locks, numbering), the
# files holding them, and the apps whose services lean on the database (bookings, attendance,
# money). The rest (pages, admin, wizard, PDFs, API client) SQLite has already proved; every
# worker's PostgreSQL database still runs all the migrations. pytest exits 5 when a selection
# holds no test.
# Every pass uses the machine's two cores (pytest-xdist: one database per worker). The
# browser tests run in a pass of their own: Playwright's session keeps an asyncio loop
# running in the worker's main thread, where Django then refuses the database to the
# transactional tests that the worker runs next.
POSTGRES_TESTS = tests/bookings tests/attendance tests/billing tests/payments \
  tests/directdebit tests/reminders tests/taxcerts tests/load \
  $(sort $(shell grep -rl "mark.postgres" tests))

test: system-test install-dev node-modules check
	$(PY) -m pytest -n 2 -m "not browser"
	$(PY) -m pytest -n 2 -m browser --output test-results/browser
	.ci/with-postgres $(PY) -m pytest -n 2 -m "not browser" --output test-results/postgresql \
	  $(POSTGRES_TESTS) || [ $$? -eq 5 ]

# Only the PostgreSQL tests, on a throwaway cluster.
test-postgres: install-dev
	.ci/with-postgres $(PY) -m pytest -m postgres || [ $$? -eq 5 ]

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) var db.sqlite3 .pytest_cache node_modules test-results
