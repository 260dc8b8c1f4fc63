# Two commands on a fresh machine: `make demo` (sync the local store into DuckDB) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

export AIRBYTE_OFFLINE_MODE := 1
export DO_NOT_TRACK := 1

.PHONY: demo test bench install clean

install: $(INSTALLED)

$(INSTALLED): setup.py constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	touch $(INSTALLED)

demo: $(INSTALLED)
	$(PY) demo.py

test: $(INSTALLED)
	$(PY) -m pytest

bench: $(INSTALLED)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .demo .pytest_cache
