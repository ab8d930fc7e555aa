# Two commands for a fresh machine: `make run` (server on the embedded store) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test lint bench region screenshots translations

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# The server alone: only what it needs to run (no test tools, no browser driver).
$(VENV)/.runtime: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.runtime
	$(PY) -m pip install -q -e ".[test]"
	touch $@

run: $(VENV)/.runtime
	@$(PY) -m live

# Two workers (this machine has two cores); a test file stays on one worker.
test: $(VENV)/.installed
	$(PY) -m pytest -n 2 --dist loadfile

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check live tests

bench: $(VENV)/.installed
	$(PY) tools/bench.py

# Hosting for a region, tried on this machine: Redis, WORKERS workers and nginx on port 8080
# (docs/hosting.md). Needs redis-server and nginx (Debian's packages).
WORKERS ?= 2
region: $(VENV)/.runtime
	$(PY) tools/region.py --workers $(WORKERS)

# The catalogues (docs/translations.md): collect the Dutch source strings, merge them into each
# language's .po (new strings arrive empty), and compile the .mo files the server reads.
translations: $(VENV)/.runtime
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k NP_:1,2 --no-location --sort-output --omit-header -o live/translations/messages.pot live
	$(VENV)/bin/pybabel update -i live/translations/messages.pot -d live/translations --no-fuzzy-matching
	$(VENV)/bin/pybabel compile -d live/translations --statistics
