"""What a pre-commit hook would enforce, checked in CI because CI is `.ci/run`."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from suna.model import areas

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


def test_published_tables_are_shipped_only_with_their_provenance():
    """Published tables (OGL v3.0) may ship, but only in data/published and each beside its provenance record."""
    published = re.compile(r"ons_mye_la_single_year|england_wards_dec2023|lad_dec2024|iod20\d\d_|ons_drug_poisoning_deaths_by_la")
    tracked = set(_tracked())
    elsewhere = [f for f in tracked if published.search(f) and not f.startswith("data/published/")]
    assert not elsewhere, f"published tables outside data/published: {elsewhere}"
    tables = [f for f in tracked if f.startswith("data/published/") and not f.endswith(".provenance.yaml")
              and "/licences/" not in f and not f.endswith("README.md")]
    assert tables, "data/published holds no tables"
    unrecorded = [f for f in tables if f + ".provenance.yaml" not in tracked]
    assert not unrecorded, f"published tables without a provenance record: {unrecorded}"


def test_ci_runs_exactly_the_readme_test_command():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^(make \w+)\s+#", readme, re.M)
    assert commands[:2] == ["make run", "make test"]
    ci = (PROJECT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, re.M)


def test_gitignore_denies_data_but_not_lib():
    ignored = subprocess.run(
        ["git", "check-ignore", "--no-index", "data/council_extract.csv", "data/sample/treatment.parquet", "lib/suna/model/areas.py"],
        cwd=PROJECT, capture_output=True, text=True,
    ).stdout.split()
    assert "data/council_extract.csv" in ignored and "data/sample/treatment.parquet" in ignored
    assert "lib/suna/model/areas.py" not in ignored


# Internal citations (the project's working documents: numbered seed files and the notes made from them) and
# absolute paths of the machine the project was built on. What users read cites publications by publisher,
# title and year, and the local documents by their own titles.
INTERNAL_CITATION = re.compile(
    r"\bseed \d{3}\b"                                 # "seed 003" (not the random seed: "seed 2024", seed=7)
    r"|\bseeds?_\d{3}"                                # seed_003_extract.md, seeds_000_002_extract.md
    r"|§[^\n]{0,40}\bseeds?\b|\bseeds?\b[^\n]{0,40}§"  # a section sign next to "seed"
    r"|seeds/notes"
    r"|(?<![\w.~-])/(?:work|root|home|tmp)/",         # absolute machine paths (not a URL's path)
    re.IGNORECASE,
)
SCANNED = ("lib", "notebooks", "data", "params", "docs", "README.md")


def test_no_internal_citations_or_machine_paths():
    """Tracked text under lib/, notebooks/, data/, params/, docs/ and README.md cites no internal notes or paths."""
    out = subprocess.run(["git", "ls-files", "--", *SCANNED], cwd=PROJECT, capture_output=True, text=True, check=True)
    found = []
    for name in out.stdout.splitlines():
        path = PROJECT / name
        if any(part.endswith(".egg-info") for part in Path(name).parts):
            continue                  # build metadata, not ours
        if not path.is_file():        # deleted in the work tree, not yet committed
            continue
        raw = path.read_bytes()
        if b"\0" in raw[:8192]:
            continue                  # binary
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue                  # not text
        for number, line in enumerate(text.splitlines(), start=1):
            match = INTERNAL_CITATION.search(line)
            if match:
                found.append(f"{name}:{number}: {match.group(0)!r} in {line.strip()[:120]}")
    assert not found, "internal citations or machine paths (cite the publication instead):\n" + "\n".join(found)


def test_the_lock_file_pins_every_declared_dependency_and_conda_uses_it():
    """pyproject.toml keeps the ranges, requirements.lock the versions installed; they must not drift apart."""
    import tomllib

    project = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["test"]]

    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    names = {norm(re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0]) for d in declared}
    lock = (PROJECT / "requirements.lock").read_text(encoding="utf-8").splitlines()
    pinned = {norm(line.split("==")[0]) for line in lock if "==" in line}
    assert names <= pinned, f"declared but not pinned in requirements.lock: {sorted(names - pinned)}"
    assert "-c requirements.lock" in (PROJECT / "environment.yml").read_text(encoding="utf-8")
    assert "-c $(LOCK)" in (PROJECT / "Makefile").read_text(encoding="utf-8")
