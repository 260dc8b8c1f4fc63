# Two commands on a fresh machine: `make demo` (sync the local store into DuckDB) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

export AIRBYTE_OFFLINE_MODE := 1
export DO_NOT_TRACK := 1

.PHONY: demo test bench install clean

install: $(INSTALLED)

WHEELHOUSE := $(VENV)/wheelhouse

# The runtime dependencies are also kept as wheels, so the packaging test can install the connector's
# wheel into an empty venv (as a user's `pip install` would) without reaching the package index.
$(INSTALLED): setup.py metadata.yaml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[pyairbyte,test]"
	$(PY) -m pip download --quiet --disable-pip-version-check -c constraints.txt -d $(WHEELHOUSE) .
	touch $(INSTALLED)

demo: $(INSTALLED)
	$(PY) demo.py

# Two workers (this machine has two cores), tests handed out one by one: 3 min 40 s here without a
# Docker engine in the fourth session, against 4 min 06 s a file at a time; about 4.5 min in the fifth. A module fixture may be made in both workers
# (the wheel, built in seconds); the image test is one test, so the image is built once.
test: $(INSTALLED)
	$(PY) -m pytest -n 2 --dist load

bench: $(INSTALLED)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .demo .pytest_cache
