# The two commands of the README: `make up` starts the system, `make test` runs the tests.
# Both set up everything they need on a fresh machine: a virtualenv with the package, and the
# Kubernetes, etcd and kwok binaries (built once with Go, then cached in ~/.cache/pykarmada).

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
MEMBERS ?= 3

.PHONY: up down test unit e2e bench clean

$(BIN)/karmadactl: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@# setuptools reports every editable install of a mapped layout as InformationOnly; nothing is wrong.
	PYTHONWARNINGS='ignore:Editable installation' $(BIN)/pip install --quiet -e '.[test]'
	touch $@

up: $(BIN)/karmadactl
	$(BIN)/karmadactl local-up --members $(MEMBERS)

down: $(BIN)/karmadactl
	$(BIN)/karmadactl local-down

test: $(BIN)/karmadactl
	$(BIN)/python -c 'from pykarmada.localup.binaries import ensure_binaries; ensure_binaries()'
	$(BIN)/pytest -ra tests

unit: $(BIN)/karmadactl
	$(BIN)/pytest -q tests/unit

bench: $(BIN)/karmadactl
	$(BIN)/python bench/local_env.py

clean:
	rm -rf $(VENV) .pytest_cache
