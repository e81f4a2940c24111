"""Build the example .xlsx templates from the example CSVs (python data/templates/build_templates.py [kind ...]).

Each workbook has a title row above the header (as council exports often do; SUNA finds the header)
and real Excel dates, so the examples show both forms SUNA accepts.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

HERE = Path(__file__).resolve().parent
TITLES = {
    "treatment": "Structured treatment episodes - example - Essex 2023/24 (invented records)",
    "admissions": "Hospital admissions - example - Essex 2023/24 (invented records)",
    "deaths": "Death registrations - example - Essex 2023 (invented records)",
    "population": "Mid-year population by sex and ESP 2013 age band - example (illustrative numbers)",
    "population_ethnicity": "Usual residents by district and ethnic group - example - Worcestershire, Census 2021 (illustrative numbers)",
    "crime": "Community-safety figures for the partnership - example - Essex, April to June 2023 (illustrative numbers)",
    "prison_releases": "Releases from prison with a treatment need - example - Essex 2023/24 (invented records)",
}


def cell(column: str, value: str):
    if value == "":
        return None
    if column.endswith("_date"):
        day, month, year = (int(x) for x in value.split("/"))
        return dt.datetime(year, month, day)
    if column in ("age_years", "year"):
        return int(value)
    if column in ("population_count", "population", "count"):
        return float(value)
    return value


def build(kind: str) -> Path:
    """One workbook from its CSV: a bold title row, then the header and the records."""
    with open(HERE / f"{kind}.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    wb = Workbook()
    ws = wb.active
    ws.title = kind
    ws.append([TITLES[kind]])
    ws["A1"].font = Font(bold=True)
    ws.append(rows[0])
    for r in rows[1:]:
        ws.append([cell(c, v) for c, v in zip(rows[0], r)])
    for col in ws.iter_cols(min_row=3):
        for c in col:
            if isinstance(c.value, dt.datetime):
                c.number_format = "dd/mm/yyyy"
    wb.save(HERE / f"{kind}.xlsx")
    return HERE / f"{kind}.xlsx"


def main(kinds: list[str]) -> None:
    """Rebuild the named templates (every one when none is named)."""
    for kind in kinds or TITLES:
        build(kind)


if __name__ == "__main__":
    main(sys.argv[1:])
