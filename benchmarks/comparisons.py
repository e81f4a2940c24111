"""How many whole-area figures a reader can set against England: the share of the latest period's rows that
carry a comparison with England, or a note saying why none can be made.

    .venv/bin/python benchmarks/comparisons.py [AREA ...]

For each area (default: every params file), takes the protected indicators table (``suna.pipeline``), keeps
the whole authority's headline rows (persons, all ages, no category) of each indicator's latest period, and
counts those compared (better, similar, worse, higher, lower) or with a note saying why they are not. Prints the share and its ratio to the 90%
target (at or above 1.00 meets it), and lists the rows with neither.

Not a test: no assertions.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from suna import pipeline
from suna.model import areas  # noqa: E402

TARGET = 0.90
COMPARED = ("Better", "Similar", "Worse", "Higher", "Lower")  # a real comparison ("Not compared" is not)


def main() -> None:
    slugs = sys.argv[1:] or areas.available_areas()
    for slug in slugs:
        data = pipeline.load_area_data(slug)
        table = data.table
        own = table[(table["area_code"] == data.area.code) & table["category_type"].isna() & (table["sex"] == "Persons")]
        latest = own.sort_values("period_sortable").groupby("indicator_id", sort=False).tail(1)
        compared = latest["compared_to_england"].isin(COMPARED)
        explained = latest["value_note"].astype(str).str.contains("not compared with England", case=False, na=False)
        share = float((compared | explained).mean()) if len(latest) else 0.0
        print(f"{slug:16s} {int((compared | explained).sum()):3d} of {len(latest):3d} whole-area rows compared or explained "
              f"({share:.0%}; ratio to the 90% target {share / TARGET:.2f})")
        for rec in latest[~(compared | explained)].to_dict("records"):
            print(f"    neither: {rec['indicator_id']} {rec['period']} value={rec['value']} count={rec.get('count_display')}")


if __name__ == "__main__":
    main()
