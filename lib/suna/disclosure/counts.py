"""Counts of records for an area and its districts on a full grid, and their protection as one table.

The views count people (in treatment, starting, leaving) for the upper-tier area and every district,
every category and its ``ALL`` total, and show only some rows at a time (one district, one group).
Protected in one go here, a count hidden for a district or a group cannot be worked out from the
whole-area or all-groups figure another filter of an app shows. Views display what this returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from suna import disclosure
from suna.disclosure import Protected

ALL = "All"  # the label of a category total (all substance groups, all referral routes, persons...)
NDTMS = "ndtms"  # the treatment records' disclosure rule (data/reference/disclosure_rules.yaml)


def area_counts(episodes: pd.DataFrame, area: Any, by: Sequence[str], categories: Mapping[str, Sequence[Any]],
                totals: Sequence[str] = (), district_detail: int | None = None) -> pd.DataFrame:
    """Counts of rows for the area and each district, by ``by``, on a full grid (absent cells are 0).

    Args:
        episodes: record rows with ``district_code`` and the ``by`` columns.
        area: the Area; its districts are the children of its total.
        by: the breakdown columns.
        categories: every value each ``by`` column may take (so zeros are shown, not missing).
        totals: the ``by`` columns that also get an ``ALL`` row (their margin).
        district_detail: at most this many ``totals`` columns broken down in a district's rows (None:
            all). With 1, a district shows each breakdown on its own (routes; substance groups) but
            not crossed, which small areas cannot publish (see ``district_detail``).

    Returns:
        Columns ``area_code``, ``area_name``, the ``by`` columns and ``count``.
    """
    codes = [area.code, *area.district_codes]
    names = {area.code: area.name, **area.district_names()}
    levels = {col: [*categories[col], *([ALL] if col in totals else [])] for col in by}
    grid = pd.MultiIndex.from_product([codes, *levels.values()], names=["area_code", *by]).to_frame(index=False)
    frames = []
    keys = [c for c in by]
    # the finest counts once, then each margin summed from them (not from the records again)
    finest = episodes.groupby(["district_code", *keys], dropna=False, observed=True).size().rename("count").reset_index()
    for level_code in ("area", "district"):
        for subset in _total_subsets(keys, totals):
            grouped = finest.assign(**{c: ALL for c in subset})
            key = ["district_code", *keys] if level_code == "district" else keys
            counted = grouped.groupby(key, dropna=False, observed=True)["count"].sum().reset_index()
            if level_code == "district":
                counted = counted.rename(columns={"district_code": "area_code"})
            else:
                counted.insert(0, "area_code", area.code)
            frames.append(counted)
    counted = pd.concat(frames, ignore_index=True) if len(episodes) else grid.iloc[0:0].assign(count=0.0)
    counted = counted[counted["area_code"].isin(codes)]
    out = grid.merge(counted, on=["area_code", *by], how="left")
    out["count"] = out["count"].fillna(0).astype(float)
    out["area_name"] = out["area_code"].map(names)
    if district_detail is not None and totals:
        broken = (out[list(totals)] != ALL).sum(axis=1)
        out = out[(out["area_code"] == area.code) | (broken <= district_detail)].reset_index(drop=True)
    return out[["area_code", "area_name", *by, "count"]]


def district_detail(area: Any) -> int | None:
    """How many breakdowns a district's table may cross: all for a county's districts, one for wards or MSOAs.

    A ward or MSOA has a few dozen people in treatment a year, so a crossed table (substance group by
    referral route) is nearly all suppressed and slow to protect; each breakdown on its own is shown.
    Fixed per area, so every filter of an app sees the same protected table.
    """
    return None if area.is_county else 1


def _total_subsets(keys: Sequence[str], totals: Sequence[str]) -> list[tuple[str, ...]]:
    """Every combination of the total columns (none, each, pairs...), for the margins."""
    found: list[tuple[str, ...]] = []
    for size in range(len(totals) + 1):
        found.extend(combinations([k for k in keys if k in totals], size))
    return found


def protect_counts(counts: pd.DataFrame, area: Any, dims: Sequence[str], totals: Sequence[str] = (), rule_name: str = NDTMS,
                   margins: Mapping[str, Sequence[tuple[Any, Sequence[Any]]]] | None = None,
                   hidden: Any = None, fixed: Any = None) -> Protected:
    """Disclosure control for an ``area_counts`` table: area over districts, ``ALL`` over each category.

    Args:
        counts: from ``area_counts``.
        area: the Area (its code is the margin of its district codes).
        dims: the breakdown columns (besides ``area_code``).
        totals: the breakdown columns that have an ``ALL`` margin.
        rule_name: the source's rule (NDTMS by default).
        margins: a column's margins spelt out as ``(total, children)`` pairs, in place of an ``ALL``
            total of all its other values (``suna.pipeline.cohorts``: one total with several breakdowns).
        hidden, fixed: cells another table of the same figures hid and showed (``protect_table``).
    """
    key = (area.code, tuple(dims), tuple(totals), rule_name,
           tuple((col, tuple((t, tuple(kids)) for t, kids in pairs)) for col, pairs in (margins or {}).items()),
           int(pd.util.hash_pandas_object(counts, index=True).sum()), tuple(counts.columns),
           *(None if m is None else bytes(np.packbits(np.asarray(m, dtype=bool))) for m in (hidden, fixed)))
    if key not in _PROTECTED:
        if len(_PROTECTED) >= 64:
            _PROTECTED.pop(next(iter(_PROTECTED)))
        _PROTECTED[key] = _protect_counts(counts, area, dims, totals, rule_name, margins or {}, hidden, fixed)
    return _PROTECTED[key]


# Protected tables by content: the same table is protected once, so an app switching district (the same
# table, other rows shown) answers at once. Small, oldest dropped first.
_PROTECTED: dict[tuple[Any, ...], Protected] = {}


def _protect_counts(counts: pd.DataFrame, area: Any, dims: Sequence[str], totals: Sequence[str], rule_name: str,
                    spelt_out: Mapping[str, Sequence[tuple[Any, Sequence[Any]]]], hidden: Any = None, fixed: Any = None) -> Protected:
    margins: dict[str, Any] = {"area_code": {area.code: area.district_codes}}
    margins.update({col: ALL for col in totals})
    margins.update({col: [(total, list(kids)) for total, kids in pairs] for col, pairs in spelt_out.items()})
    # the whole-area headline (every category at its total) stays shown wherever the table allows
    headline = (counts["area_code"] == area.code).to_numpy().copy()
    for col in [*totals, *spelt_out]:
        headline &= (counts[col] == ALL).to_numpy()
    return disclosure.protect_table(counts, "count", rule_name, dims=["area_code", *dims], margins=margins, hidden=hidden,
                                    fixed=fixed, keep=headline)
