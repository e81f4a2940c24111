"""Check a file before using it: every problem at once, in words a non-programmer understands.

``suna validate FILE --kind K`` prints :func:`run_validate`'s text and exits with its code. Nothing
is written and the file is never modified; a file over the size limit is refused before it is read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from suna.core.errors import SunaError, ValidationError
from suna.model.areas import Area
from suna.sources.extracts import read_extract
from suna.sources.fingertips import import_fingertips_csv

log = logging.getLogger(__name__)

KINDS = ("treatment", "admissions", "deaths", "population", "population_ethnicity", "crime", "prison_releases", "indicators")
KIND_WORDS = {
    "treatment": "treatment episodes",
    "admissions": "hospital admissions",
    "deaths": "death registrations",
    "population": "population estimates",
    "population_ethnicity": "usual residents by ethnic group",
    "crime": "community-safety figures",
    "prison_releases": "releases from prison with a treatment need",
    "indicators": "Fingertips indicator values",
}
SUMMARY_LINES = 50
PROBLEM_COLUMNS = ["file", "row", "column", "value", "expected"]


@dataclass
class ValidationReport:
    """The outcome of checking one file.

    ``problems`` has one row per problem (file, row, column, value, expected): every problem, not the first.
    ``warnings`` are things that were forgiven (district names mapped, Windows-1252 text) and should be known.
    """

    path: Path
    kind: str
    ok: bool
    problems: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    rows: int = 0
    summary: str = ""


def _is_empty(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def describe_problem(row: object, column: object, value: object, expected: str) -> str:
    """One problem as a sentence: "row 5, column 'sex': 'M ' is not one of the sexes: Male, Female"."""
    where = []
    if isinstance(row, str) and row.startswith("rows "):
        where.append(row)
    elif not _is_empty(row):
        where.append(f"row {int(row) if isinstance(row, float) else row}")
    if not _is_empty(column) and str(column).startswith("("):
        where.append(str(column).strip("()"))
    elif not _is_empty(column):
        label = "columns" if "," in str(column) and not str(column).startswith("(") else "column"
        where.append(f"{label} '{column}'" if label == "column" else f"{label} {column}")
    place = ", ".join(where) if where else "the file"
    expected = str(expected).rstrip(".")
    if _is_empty(value):
        if expected.startswith("a column named") or expected.startswith("the Fingertips column"):
            return f"{place}: missing; expected {expected}"
        if expected.startswith("a value (it is empty)"):
            return f"{place}: is empty; a value is needed"
        return f"{place}: expected {expected}"
    shown = repr(value) if isinstance(value, str) and "; " not in value else str(value)
    if "not repeated in another row" in expected:
        return f"{place}: {shown} is repeated in another row; each must be unique"
    if expected.startswith(("a ", "an ", "one of", "yes or no", "type ", "E1", "E0")) and not expected.startswith("a value"):
        return f"{place}: {shown} is not {expected}"
    return f"{place}: {shown}; expected {expected}"


def _group_rows(problems: pd.DataFrame) -> list[tuple[object, dict]]:
    """The same problem on several rows becomes one line: "rows 2-5, column 'utla_code': ..."."""
    groups: dict[tuple[str, str, str], list] = {}
    first: dict[tuple[str, str, str], dict] = {}
    for rec in problems.to_dict("records"):
        key = (str(rec["column"]), str(rec["value"]), str(rec["expected"]))
        groups.setdefault(key, []).append(rec["row"])
        first.setdefault(key, rec)
    out = []
    for key, rows in groups.items():
        nums = [r for r in rows if not _is_empty(r)]
        if len(nums) <= 1:
            out.append((nums[0] if nums else None, first[key]))
        else:
            out.append((_row_ranges(nums), first[key]))
    return out


def _row_ranges(rows: list) -> str:
    """[2, 3, 4, 7] -> 'rows 2-4, 7'."""
    nums = sorted({int(r) for r in rows})
    parts, start, prev = [], nums[0], nums[0]
    for v in nums[1:] + [None]:
        if v is not None and v == prev + 1:
            prev = v
            continue
        parts.append(f"{start}" if start == prev else f"{start}-{prev}")
        if v is not None:
            start = prev = v
    return "rows " + ", ".join(parts)


def _count(rows_text: object) -> int:
    if isinstance(rows_text, str) and rows_text.startswith("rows "):
        total = 0
        for part in rows_text[5:].split(", "):
            a, _, b = part.partition("-")
            total += (int(b) - int(a) + 1) if b else 1
        return total
    return 1


def _summary(path: Path, kind: str, problems: pd.DataFrame, warnings: list[str], rows: int) -> str:
    name = path.name
    what = KIND_WORDS.get(kind, kind)
    lines: list[str] = []
    if problems.empty:
        lines.append(f"{name}: no problems found in {rows:,} row{'s' if rows != 1 else ''} of {what}. It is ready to use.")
    else:
        n = len(problems)
        lines.append(f"{n:,} problem{'s' if n != 1 else ''} in {name} ({what}):")
        groups = _group_rows(problems)
        for rows_text, rec in groups[:SUMMARY_LINES]:
            lines.append("  - " + describe_problem(rows_text, rec["column"], rec["value"], rec["expected"]))
        if len(groups) > SUMMARY_LINES:
            rest = problems.iloc[sum(_count(g[0]) for g in groups[:SUMMARY_LINES]):]
            by_col = rest["column"].fillna("(file)").value_counts()
            parts = ", ".join(f"{c:,} in column '{k}'" for k, c in by_col.head(8).items())
            lines.append(f"  ... and {len(rest):,} more ({parts}).")
        lines.append("Nothing was loaded. Correct the file and check it again.")
    if warnings:
        lines.append("Notes:")
        lines += [f"  - {w}" for w in warnings]
    return "\n".join(lines)


def _problem_frame(name: str, problems: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame({
        "file": name,
        "row": problems["row"].astype(object) if "row" in problems else None,
        "column": problems["column"].astype(object) if "column" in problems else None,
        "value": problems["value"].astype(object) if "value" in problems else None,
        "expected": problems["expected"].astype(str) if "expected" in problems else "",
    }, index=range(len(problems)))
    return frame[PROBLEM_COLUMNS]


def validate_file(path: Path | str, kind: str, area: Area | None = None, max_mb: float | None = None) -> ValidationReport:
    """Check one file of the given kind and report every problem; never raises for a bad file.

    Args:
        path: CSV, Excel or Parquet file (never modified).
        kind: treatment, admissions, deaths, population, population_ethnicity, crime, prison_releases or indicators (a Fingertips
            CSV download).
        area: the area the file belongs to; if omitted it is read from the utla_code column (for a
            population by ethnic group, from the districts it names).
        max_mb: refuse files over this many megabytes before reading (default $SUNA_MAX_INPUT_MB or 500).
    """
    path = Path(path)
    warnings: list[str] = []
    rows = 0
    if kind not in KINDS:
        problems = pd.DataFrame([{"row": None, "column": None, "value": kind,
                                  "expected": f"a kind of file: one of {', '.join(KINDS)}"}])
    else:
        try:
            if kind == "indicators":
                table = import_fingertips_csv(path, max_mb=max_mb)
                warnings = list(table.attrs.get("notes", []))
            else:
                result = read_extract(path, kind, area=area, max_mb=max_mb)
                table, warnings = result.table, list(result.notes)
            rows = len(table)
            problems = pd.DataFrame(columns=["row", "column", "value", "expected"])
        except ValidationError as exc:
            problems = exc.problems
        except SunaError as exc:
            problems = pd.DataFrame([{"row": None, "column": None, "value": None, "expected": str(exc)}])
    frame = _problem_frame(path.name, problems)
    summary = _summary(path, kind, frame, warnings, rows)
    if frame["expected"].str.len().gt(0).any() and len(frame) == 1 and _is_empty(frame["row"].iloc[0]) and _is_empty(frame["column"].iloc[0]):
        message = str(frame["expected"].iloc[0])  # one whole-file problem: say it plainly
        summary = message if path.name in message else f"{path.name}: {message}"
        summary += "\nNothing was loaded."
        frame = frame.assign(expected=summary.splitlines()[0])
        if warnings:
            summary += "\nNotes:\n" + "\n".join(f"  - {w}" for w in warnings)
    return ValidationReport(path=path, kind=kind, ok=frame.empty, problems=frame, warnings=warnings, rows=rows, summary=summary)


def run_validate(path: Path | str, kind: str, max_mb: float | None = None, area: Area | None = None) -> tuple[int, str]:
    """What ``suna validate`` prints and its exit code: (0, report) when the file is fine, else (1, report)."""
    report = validate_file(path, kind, area=area, max_mb=max_mb)
    return (0 if report.ok else 1), report.summary
