# Two commands on a fresh machine: `make run` (main job on the sample data) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Exact versions every machine installs; pyproject.toml keeps the ranges. `make lock` rewrites it.
LOCK := requirements.lock

.PHONY: run test test-fast lock lab app sample clean

$(STAMP): pyproject.toml $(LOCK)
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c $(LOCK) -e ".[test,pdf]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (SUNA)" >/dev/null
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/suna sample
	$(BIN)/suna batch

test: $(STAMP)
	$(BIN)/suna sample
	$(BIN)/python -m pytest

# The unit tests only (no batch, notebook or browser runs): a verdict in a few minutes.
test-fast: $(STAMP)
	$(BIN)/suna sample
	$(BIN)/python -m pytest -m "not slow"

lock: $(STAMP)
	$(BIN)/pip freeze --exclude-editable | grep -v '^-e' > $(LOCK)

lab: $(STAMP)
	$(BIN)/suna sample
	$(BIN)/jupyter lab notebooks/

app: $(STAMP)
	$(BIN)/suna sample
	$(BIN)/suna app

clean:
	rm -rf reports .pytest_cache
