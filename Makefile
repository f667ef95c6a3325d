# Grid governance portal — the two commands a newcomer needs:
#   make run    set up and start web + worker + beat on the embedded default
#   make test   run the whole test suite
# With DATABASE_URL / CELERY_BROKER_URL set, both use PostgreSQL / Redis.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: help install browser run test test-fast lint fmt typecheck templates migrations-check check-deploy \
        messages compilemessages smoke schemathesis ci bench clean

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 is required (python3.11 or python3 on PATH)"; exit 1; }
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed ## create the virtualenv and install pinned dependencies

run: install ## migrate, load the demo city once, start web + worker + beat (Ctrl-C stops all)
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(PY) manage.py seed_demo
	@echo ""
	@echo "  Portal:    http://$(HOST):$(PORT)/"
	@echo "  API docs:  http://$(HOST):$(PORT)/api/docs/"
	@echo "  Admin:     http://$(HOST):$(PORT)/admin/"
	@echo "  Health:    http://$(HOST):$(PORT)/healthz"
	@echo "  Database:  $${DATABASE_URL:-SQLite (var/db.sqlite3)}   Broker: $${CELERY_BROKER_URL:-filesystem (var/celery)}"
	@echo ""
	DEBUG=$${DEBUG:-true} HOST=$(HOST) PORT=$(PORT) $(BIN)/honcho -d . start

browser: ## Debian's Chromium and CJK fonts for the browser tests (no browser download)
	@if command -v chromium >/dev/null && fc-list :lang=zh | grep -q .; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get install -y -q chromium fonts-noto-cjk >/dev/null; \
	else sudo apt-get install -y -q chromium fonts-noto-cjk >/dev/null; fi

test: install browser ## run the whole test suite (PostgreSQL/Redis when DATABASE_URL/CELERY_BROKER_URL are set)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install ## ruff, djLint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djlint templates --lint

fmt: install ## format code and templates
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/djlint templates --reformat --quiet || true

typecheck: install ## mypy with django-stubs
	DEBUG=true $(BIN)/mypy .

migrations-check: install ## fail if a model change has no migration
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run

check-deploy: install ## Django's deployment checklist under production settings
	DEBUG=false SECRET_KEY=$$($(PY) -c 'import secrets;print(secrets.token_urlsafe(64))') \
	  ALLOWED_HOSTS=portal.example.gov.cn $(PY) manage.py check --deploy --fail-level WARNING

messages: install ## extract translatable strings into locale/*/LC_MESSAGES/django.po
	DEBUG=true $(PY) manage.py makemessages -l zh_Hans -l en --no-obsolete \
	  --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'bench/*'

compilemessages: install ## compile .po to .mo (needs gettext's msgfmt; .mo files are committed)
	DEBUG=true $(PY) manage.py compilemessages --ignore '.venv/*'

smoke: install ## start the embedded mode, check /healthz, stop it
	bash .ci/smoke

schemathesis: install ## fuzz /api/v1/ against its OpenAPI schema on a live, seeded server (SCHEMATHESIS_SECONDS=150)
	bash .ci/schemathesis

ci: ## what CI runs
	bash .ci/run

bench: install ## run the benchmarks in bench/ (seed large volumes; not part of the suite)
	@for f in bench/*.py; do echo "== $$f"; DEBUG=true $(PY) $$f || exit 1; done

.PHONY: bench-sweep
bench-sweep: install ## time the clock sweep on 1M tickets (PostgreSQL database bench_sweep, seeded once)
	$(PY) bench/sweep.py

clean: ## remove the virtualenv and local state
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
