"""validate_file / run_validate: every malformed input gives one clear message and a non-zero exit.

The corpus is tests/fixtures/malformed (manifest.csv says what each file breaks and what the
message must contain); good files are the templates in data/templates.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import pytest

from suna.sources import reading
from suna.sources.validation import run_validate, validate_file

ROOT = Path(__file__).resolve().parents[2]
MALFORMED = ROOT / "tests" / "fixtures" / "malformed"
TEMPLATES = ROOT / "data" / "templates"
FINGERTIPS = ROOT / "tests" / "fixtures" / "fingertips"


def _manifest() -> list[dict]:
    with open(MALFORMED / "manifest.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_corpus_is_complete_and_described():
    entries = _manifest()
    files = {p.name for p in MALFORMED.iterdir()} - {"README.md", "manifest.csv", "make_corpus.py"}
    assert len(entries) >= 30
    assert files == {e["file"] for e in entries}  # every file has a one-line description, and only those
    assert all(e["description"].strip() for e in entries)


@pytest.mark.parametrize("entry", _manifest(), ids=lambda e: e["file"])
def test_malformed_input_is_refused_clearly(entry):
    path = MALFORMED / entry["file"]
    before_hash = _sha(path)
    before_files = sorted(p.name for p in MALFORMED.iterdir())
    max_mb = float(entry["max_mb"]) if entry["max_mb"] else None

    code, text = run_validate(path, entry["kind"], max_mb=max_mb)

    assert code == 1
    assert entry["file"] in text.splitlines()[0]  # the message names the file first
    assert entry["expect"] in text
    if entry["row"]:
        assert f"row {entry['row']}" in text or f"rows {entry['row']}" in text or f"line {entry['row']}" in text
    report = validate_file(path, entry["kind"], max_mb=max_mb)
    assert not report.ok and len(report.problems) == int(entry["problems"])
    assert list(report.problems.columns) == ["file", "row", "column", "value", "expected"]
    assert set(report.problems["file"]) == {entry["file"]}
    assert "Traceback" not in text
    assert _sha(path) == before_hash  # the input is never modified
    assert sorted(p.name for p in MALFORMED.iterdir()) == before_files  # nothing left behind


@pytest.mark.parametrize("kind", ["treatment", "admissions", "deaths", "population", "population_ethnicity", "crime", "prison_releases"])
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_templates_pass(kind, suffix):
    code, text = run_validate(TEMPLATES / f"{kind}{suffix}", kind)
    assert code == 0, text
    assert "no problems found" in text


def test_fingertips_download_passes():
    code, text = run_validate(FINGERTIPS / "all_data_92432_502.csv", "indicators")
    assert code == 0, text
    assert "no problems found in 5 rows" in text


def test_every_problem_is_reported_at_once(tmp_path):
    """Three independent problems in three rows: all three, in file order."""
    lines = (TEMPLATES / "treatment.csv").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",Male,", ",M ,")
    lines[2] = lines[2].replace(",41,", ",abc,")
    lines[3] = lines[3].replace("05/06/2023", "31/02/2023", 1)
    path = tmp_path / "treatment.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = validate_file(path, "treatment")
    assert report.problems["row"].tolist() == [2, 3, 4]
    assert report.problems["column"].tolist() == ["sex", "age_years", "referral_date"]
    assert report.summary.startswith("3 problems in treatment.csv (treatment episodes):")
    assert "row 2, column 'sex': 'M ' is not one of the sexes: Male, Female" in report.summary


def test_size_limit_from_environment_is_checked_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "treatment.csv"
    shutil.copy(TEMPLATES / "treatment.csv", path)
    monkeypatch.setenv("SUNA_MAX_INPUT_MB", "0.0001")  # about 100 bytes
    code, text = run_validate(path, "treatment")
    assert code == 1 and "over SUNA's input limit of 104 bytes" in text and "SUNA_MAX_INPUT_MB" in text
    monkeypatch.setenv("SUNA_MAX_INPUT_MB", "lots")
    code, text = run_validate(path, "treatment")
    assert code == 1 and "SUNA_MAX_INPUT_MB is 'lots'" in text
    monkeypatch.delenv("SUNA_MAX_INPUT_MB")
    assert reading.max_input_bytes() == 500 * 1024 * 1024


def test_refusal_happens_before_the_file_is_read(tmp_path):
    """A 3 MB file of zero bytes would be 'not a text file' if read; the size message proves it was not."""
    path = tmp_path / "big.csv"
    with open(path, "wb") as fh:  # sparse: cheap to make
        fh.seek(3 * 1024 * 1024 - 1)
        fh.write(b"\0")
    code, text = run_validate(path, "treatment", max_mb=1)
    assert code == 1 and "3.0 MB, over SUNA's input limit of 1.0 MB" in text
    assert "not a text file" not in text


def test_unknown_kind_is_a_clear_message():
    code, text = run_validate(TEMPLATES / "treatment.csv", "episodes")
    assert code == 1 and "one of treatment, admissions, deaths, population, population_ethnicity, crime, prison_releases, indicators" in text


def test_missing_file():
    code, text = run_validate(Path("/nonexistent/treatment.csv"), "treatment")
    assert code == 1 and "File not found" in text


def test_warnings_are_in_the_report(tmp_path):
    """District names are accepted but the report says they were mapped."""
    text_ = (TEMPLATES / "treatment.csv").read_text(encoding="utf-8").replace(",E07000066,", ",Basildon,")
    path = tmp_path / "treatment.csv"
    path.write_text(text_, encoding="utf-8")
    report = validate_file(path, "treatment")
    assert report.ok
    assert any("'Basildon' -> E07000066" in w for w in report.warnings)
    assert "Notes:" in report.summary
