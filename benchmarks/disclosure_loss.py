"""How much disclosure control hides: cells, counts and residents, by area and topic (prints figures; not a test).

    .venv/bin/python benchmarks/disclosure_loss.py                       # the four sample areas
    .venv/bin/python benchmarks/disclosure_loss.py --area halton

Three ways of protecting the same raw indicators (``disclosure.protect_indicators``, latest period
of each indicator, every row), each printed by topic (the indicator's source table):

  before     small areas as the params list them (MSOAs), no figure kept shown, complementary cells
             chosen by the smallest count alone, no second look (the engine before localities);
  smallest   localities; the classic heuristic alone: while a relation has exactly one hidden cell,
             hide its smallest sibling (no interval audit, so not known to be safe: the number of
             hidden cells a reader could still pin, found by the audit, is printed as "pinned");
  greedy     localities; whole-area and published figures kept shown, complementary cells chosen
             greedily by cost (small areas before the whole area, then the smallest count), the
             costliest tried shown again (``method="greedy"``);
  after      the same, complementary cells of least cost proved by the 0/1 model
             (``suna.disclosure.optimal_suppression``, ``method="optimal"``: the engine now).

Columns: primary and secondary cells hidden, the total of the hidden counts, the share of sub-area
headline cells (persons, no breakdown) hidden, whole-area headline rows hidden, and the share of
residents living in sub-areas whose headline figure is hidden (mean over the topic's indicators).
The treatment figures here are protected in the indicators table alone (the pipeline lets the
views' cohort tables decide them first), so ``after`` is close to, not equal to, what reports show;
the pipeline's own table is printed as ``reports``.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from suna import disclosure, indicators, pipeline
from suna.disclosure import secondary
from suna.model import areas


def _latest(table: pd.DataFrame) -> pd.DataFrame:
    latest = table.groupby("indicator_id")["period"].transform(lambda s: sorted(s.astype(str))[-1])
    return table[table["period"].astype(str) == latest]


def _residents(data: pipeline.AreaData) -> pd.Series:
    pop = data.tables["population"]
    pop = pop[pop["year"] == pop["year"].max()]
    return pop.groupby("area_code")["population_count"].sum()


def _summary(data: pipeline.AreaData, table: pd.DataFrame, record: pd.DataFrame, pinned: int | None) -> pd.DataFrame:
    topic = {i: spec["table"] for i, spec in indicators.catalogue().items()}
    code = data.area.code
    residents = _residents(data)
    rows = []
    latest = _latest(table)
    count_rec = record[record["column"] == "count"]
    for name, part in latest.groupby(latest["indicator_id"].map(topic)):
        hidden = part["count_display"].astype(str).eq(disclosure.SUPPRESSED)
        head = part["category_type"].isna() & (part["sex"].eq("Persons") | part["sex"].isna())
        sub = head & part["parent_code"].eq(code)
        rec = count_rec[count_rec["row"].isin(part.index)]
        raw = data.raw_indicators.loc[part.index[hidden], "count"]
        shares = []
        for _, ind in part[sub].groupby("indicator_id"):
            hid = ind["count_display"].astype(str).eq(disclosure.SUPPRESSED)
            people = residents.reindex(ind["area_code"]).to_numpy()
            shares.append(np.nansum(people[hid.to_numpy()]) / np.nansum(people))
        rows.append({
            "topic": name,
            "primary": int((rec["action"] == "primary").sum()),
            "secondary": int((rec["action"] == "secondary").sum()),
            "hidden_total": int(raw.sum()),
            "sub_cells": int(sub.sum()),
            "sub_hidden_pct": round(100 * hidden[sub].mean(), 1),
            "whole_hidden": int((hidden & head & part["area_code"].eq(code)).sum()),
            "residents_hidden_pct": round(100 * float(np.mean(shares)), 1) if shares else float("nan"),
        })
    out = pd.DataFrame(rows)
    if pinned is not None:
        out["pinned"] = pinned
    return out


def _engine_before() -> Callable[[], None]:
    """Switch the engine to its earlier choices; returns the function that switches back."""
    tables, indicator_table = disclosure.tables, disclosure.indicator_table
    saved = (indicator_table._keep_shown, tables.whole_area_cost, indicator_table.whole_area_cost, secondary.PRUNE_AT_MOST)
    indicator_table._keep_shown = lambda frame, tables: np.zeros(len(frame), dtype=bool)
    tables.whole_area_cost = indicator_table.whole_area_cost = lambda frame, *a, **k: np.zeros(len(frame))
    secondary.PRUNE_AT_MOST = 0

    def restore() -> None:
        (indicator_table._keep_shown, tables.whole_area_cost, indicator_table.whole_area_cost,
         secondary.PRUNE_AT_MOST) = saved
    return restore


def _smallest_sibling_only() -> tuple[Callable[[], None], list[Any]]:
    """The heuristic alone: the audit finds nothing to do, so only the lone-cell rule runs. Each
    table's audit is kept, to count afterwards the cells a reader could still pin."""
    audits: list[Any] = []
    original = secondary.Audit

    class NoAudit(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            audits.append(self)

        def first_pinned(self, rng: np.random.Generator) -> int | None:
            return None

    secondary.Audit = NoAudit

    def restore() -> None:
        secondary.Audit = original
    return restore, audits


def _pinned(audits: list[Any]) -> int:
    """Hidden cells the interval audit pins in the tables the heuristic left (each counted once)."""
    rng = np.random.default_rng(0)
    pinned = 0
    for audit in audits:
        while (cell := secondary.Audit.first_pinned(audit, rng)) is not None:
            pinned += 1
            audit.targets[cell] = False  # count it, then look for the next
    return pinned


def run(slug: str) -> pd.DataFrame:
    area = areas.load_area(slug)
    small = pipeline.load_area_data(dataclasses.replace(area, localities=()))
    local = pipeline.load_area_data(area)
    frames = []
    restore = _engine_before()
    try:
        p = disclosure.protect_indicators(small.raw_indicators, method="greedy")
    finally:
        restore()
    frames.append(_summary(small, p.table, p.record, None).assign(method="before"))
    restore, audits = _smallest_sibling_only()
    try:
        p = disclosure.protect_indicators(local.raw_indicators, method="greedy")
    finally:
        restore()
    frames.append(_summary(local, p.table, p.record, _pinned(audits)).assign(method="smallest"))
    p = disclosure.protect_indicators(local.raw_indicators, method="greedy")
    frames.append(_summary(local, p.table, p.record, None).assign(method="greedy"))
    p = disclosure.protect_indicators(local.raw_indicators, method="optimal")
    frames.append(_summary(local, p.table, p.record, None).assign(method="after"))
    frames.append(_summary(local, local.table, local.protected.record, None).assign(method="reports"))
    return pd.concat(frames, ignore_index=True).assign(area=slug)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--area", action="append", help="area slug (repeat); default the four sample areas")
    args = parser.parse_args()
    pd.set_option("display.width", 200)
    pd.set_option("display.max_rows", 500)
    for slug in args.area or ["worcestershire", "halton", "essex", "sefton"]:
        result = run(slug)
        print(f"\n{slug}: latest period of each indicator, by topic")
        print(result.drop(columns="area").set_index(["method", "topic"]).to_string())
        totals = result.groupby("method", sort=False)[["primary", "secondary", "hidden_total", "whole_hidden"]].sum()
        print(totals.to_string())
        before, after = totals.loc["before"], totals.loc["after"]
        smallest, greedy = totals.loc["smallest"], totals.loc["greedy"]
        print(f"secondary cells, after / before: {after['secondary'] / max(before['secondary'], 1):.2f}; "
              f"after / greedy: {after['secondary'] / max(greedy['secondary'], 1):.2f}; "
              f"hidden counts, after / smallest-sibling: {after['hidden_total'] / max(smallest['hidden_total'], 1):.2f}; "
              f"after / greedy: {after['hidden_total'] / max(greedy['hidden_total'], 1):.2f}")


if __name__ == "__main__":
    main()
