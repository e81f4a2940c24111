"""What a pre-commit hook would enforce, checked in CI because CI is `.ci/run`."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from suna import areas

PROJECT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((PROJECT / "notebooks").rglob("*.ipynb"))
NOTEBOOKS = [nb for nb in NOTEBOOKS if ".ipynb_checkpoints" not in nb.parts]
BATCH_NOTEBOOKS = [nb for nb in NOTEBOOKS if re.match(r"\d\d_", nb.name)]


def _tracked() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=PROJECT, capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_committed_without_outputs(nb_path):
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{nb_path.name}: cells {dirty} carry outputs; strip them (nbstripout)"
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_one_parameters_cell_in_second_place(nb_path):
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    tagged = [i for i, c in enumerate(nb["cells"]) if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert tagged == [1], f"{nb_path.name}: the parameters cell must be the second cell and the only one (found {tagged})"
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown" and "".join(first["source"]).lstrip().startswith("# ")


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_define_no_functions(nb_path):
    """A notebook that needs a def has found a function that belongs in lib/suna."""
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            src = "".join(cell["source"])
            assert not re.search(r"^\s*(def|class) ", src, re.M), f"{nb_path.name} cell {i} defines a function"
            assert "import *" not in src


@pytest.mark.parametrize("nb_path", BATCH_NOTEBOOKS, ids=lambda p: p.name)
def test_params_keys_are_declared_notebook_parameters(nb_path):
    """papermill only warns about an unknown parameter; we refuse it."""
    import papermill

    declared = set(papermill.inspect_notebook(str(nb_path)))
    for slug in areas.available_areas():
        keys = set(yaml.safe_load((PROJECT / "params" / f"{slug}.yaml").read_text(encoding="utf-8")))
        assert keys <= declared, f"{nb_path.name} does not declare {sorted(keys - declared)} from params/{slug}.yaml"


def test_library_files_are_tracked():
    tracked = set(_tracked())
    missing = [str(p.relative_to(PROJECT)) for p in (PROJECT / "lib" / "suna").rglob("*.py") if str(p.relative_to(PROJECT)) not in tracked]
    assert not missing, f"lib/ files not tracked by git: {missing}"


def test_no_reference_data_committed():
    """Files from ../shared/reference are for tests only; end users do not have them."""
    banned = re.compile(r"ons_mye_la_single_year|england_wards_dec2023|lad_dec2024_uk_buc|iod2019_file1|ons_drug_poisoning_deaths_by_la")
    assert not [f for f in _tracked() if banned.search(f)]


def test_ci_runs_exactly_the_readme_test_command():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^(make \w+)\s+#", readme, re.M)
    assert commands[:2] == ["make run", "make test"]
    ci = (PROJECT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, re.M)


def test_gitignore_denies_data_but_not_lib():
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", "data/council_extract.csv", "data/sample/treatment.parquet", "lib/suna/areas.py"],
        cwd=PROJECT, capture_output=True, text=True,
    ).stdout.split()
    assert "data/council_extract.csv" in ignored and "data/sample/treatment.parquet" in ignored
    assert "lib/suna/areas.py" not in ignored
