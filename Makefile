# Laoyuan — every set-up step lives here so a fresh machine needs only `make run` or `make test`.
PYTHON_VERSION := $(shell cat .python-version)
# python3.13 on PATH, else pyenv's 3.13.x, else whatever python3 is (it must be ≥ 3.12).
PYTHON := $(shell command -v python$(PYTHON_VERSION) || { ls $$HOME/.pyenv/versions/$(PYTHON_VERSION)*/bin/python3 2>/dev/null | tail -n 1 | grep . ; } || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast lint format messages assets clean-db

$(STAMP): requirements.lock requirements-dev.lock package.json package-lock.json
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock -r requirements-dev.lock
	npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

install: $(STAMP) assets

assets: $(STAMP)
	npm run --silent build

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py demo_logins
	$(PY) manage.py runserver 127.0.0.1:8000

test: install
	@scripts/ensure-chromium.sh
	$(PY) -m pytest -n auto $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Needs GNU gettext (apt-get install gettext); the compiled .mo files are committed.
messages: $(STAMP)
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=node_modules --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules
