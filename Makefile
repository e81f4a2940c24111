# Two commands on a fresh machine: `make run` (main job on the sample data) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lab app sample clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (SUNA)" >/dev/null
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/suna sample
	$(BIN)/suna batch

test: $(STAMP)
	$(BIN)/suna sample
	$(BIN)/python -m pytest

lab: $(STAMP)
	$(BIN)/suna sample
	$(BIN)/jupyter lab notebooks/

app: $(STAMP)
	$(BIN)/suna sample
	$(BIN)/suna app

clean:
	rm -rf reports .pytest_cache
