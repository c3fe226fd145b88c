# ceu — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CEU_PORT ?= 5000
export CEU_PORT

.PHONY: run test lint format bench install install-dev clean debian-packages lock

# The one list of Debian packages the tests need (browser, PDF, PostgreSQL, HAProxy…).
DEBIAN_PACKAGES := $(shell sed -e 's/\#.*//' debian-packages.txt)
# The PostgreSQL half runs whenever a local PostgreSQL answers (as on CI).
PG_TEST_URL := postgresql+psycopg://postgres@127.0.0.1:5432/test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reproducible installs: every dependency pinned with its hashes in requirements/*.txt
# (`make lock` regenerates them from pyproject.toml); the project itself goes in editable
# and without dependencies, so nothing unpinned slips in.
$(VENV)/.installed: pyproject.toml requirements/main.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/main.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.installed

PIP_COMPILE := .venv-tools/bin/pip-compile --quiet --generate-hashes --strip-extras \
	--allow-unsafe --no-emit-index-url --no-emit-find-links

lock:
	$(PYTHON) -m venv .venv-tools
	.venv-tools/bin/pip install --quiet pip-tools
	$(PIP_COMPILE) -o requirements/main.txt pyproject.toml
	$(PIP_COMPILE) --extra dev -o requirements/dev.txt pyproject.toml

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: $(VENV)/.installed
	$(BIN)/ceu db upgrade
	$(BIN)/ceu courses import courses/
	$(BIN)/ceu demo-accounts
	@echo "Serving http://127.0.0.1:$(CEU_PORT)"
	$(BIN)/gunicorn --bind 127.0.0.1:$(CEU_PORT) --workers 2 --access-logfile - 'ceu:create_app()'

debian-packages:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian packages the tests need:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "The tests need Debian packages that are not installed. Run:"; \
	    echo "  sudo apt-get install -y$$missing"; \
	    exit 1; \
	  fi; \
	fi

test: $(VENV)/.installed-dev debian-packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@if [ -z "$$CEU_TEST_POSTGRES_URL" ] && pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  echo "PostgreSQL answers on 127.0.0.1:5432: the suite runs on SQLite and PostgreSQL"; \
	  export CEU_TEST_POSTGRES_URL="$(PG_TEST_URL)"; \
	fi; \
	$(BIN)/python -m pytest -n auto -q -m "not browser and not slow" && \
	$(BIN)/python -m pytest -q -m slow && \
	CEU_REQUIRE_BROWSER=1 $(BIN)/python -m pytest -q -m browser

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .venv-tools .pytest_cache .ruff_cache
