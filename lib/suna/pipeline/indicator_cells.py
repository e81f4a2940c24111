"""The treatment indicators' counts as cells of the cohort tables, hidden or shown as those decide.

A notebook reader and an app viewer see the indicators table beside the views. Protected apart, the
two gave hidden cells away together (Worcestershire new presentations 2023/24: 72 cells worked out
from the two). So the indicators table shows a treatment figure only as a cell of a cohort table
(``suna.pipeline.cohorts``: adults in treatment, new presentations, exits, young people in treatment), each year's table protected
once with every breakdown the views show and the indicators' own (by sex, successful completion,
referral source): hidden there, hidden here; shown there, shown here
(``disclosure.protect_indicators(decided=...)``). What both show is then one audited table.

A figure that is no cell of a cohort table is hidden: a ward's figures crossed finer than its table
breaks wards down (``suna.disclosure.counts.district_detail``), waits and referral sources by sex (crossed into the
cohort tables they left nothing protectable), a figure counted another way. One count has no cell:
successful completions not re-presenting (splitting the exits table by re-presentation hid nearly all
of it); the indicators table protects it around its denominator, hidden where that is hidden.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from suna import disclosure, indicators
from suna.core import reference
from suna.disclosure.counts import ALL
from suna.pipeline import cohorts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Figure:
    """One count or denominator column of an indicator, as cells of one cohort.

    ``fixed``: the cohort columns every cell of the figure has (the group of a completion indicator).
    ``categories``: the indicator's category types that are cohort columns (others are not cells);
    ``whole`` True for a figure the same on every category row (a share's denominator).
    """

    indicator: str
    figure: str
    cohort: str
    fixed: Mapping[str, Any] = field(default_factory=dict)
    categories: Mapping[str, str] = field(default_factory=dict)
    whole: bool = False


_GROUP = {"Substance group": "substance_group"}
FIGURES = (
    Figure("adults_in_treatment", "count", "adults_in_treatment", categories=_GROUP),
    Figure("treatment_rate", "count", "adults_in_treatment", categories=_GROUP),
    *(f for group, ind in cohorts.COMPLETION_INDICATORS.items() for f in (
        Figure(ind, "count", "adults_in_treatment", {"substance_group": group, "completion": cohorts.COMPLETED}),
        Figure(ind, "denominator", "adults_in_treatment", {"substance_group": group}))),
    Figure("new_presentations", "count", "new_presentations", categories=_GROUP),
    Figure("waiting_within_3_weeks", "count", "new_presentations", {"wait": cohorts.WITHIN_3_WEEKS}, _GROUP),
    Figure("waiting_within_3_weeks", "denominator", "new_presentations", categories=_GROUP),
    Figure("referral_source_share", "count", "new_presentations",
           categories={"Referral route": "route", "Referral source": "referral_source"}),
    Figure("referral_source_share", "denominator", "new_presentations", whole=True),
    Figure("successful_exits", "count", "exits", {"success": cohorts.SUCCESS}, _GROUP),
    Figure("successful_exits", "denominator", "exits", categories=_GROUP),
    # its count (successful exits not re-presenting) is no cell: hidden where this is, else protected there
    Figure("completion_no_representation", "denominator", "exits", {"success": cohorts.SUCCESS}, _GROUP),
    Figure("deaths_in_treatment", "count", "exits", {"exit_reason": indicators.DIED}, _GROUP),
    *(Figure(column, "count", "adults_in_treatment", {column: cohorts.RECEIVED}) for column in cohorts.SETTING_COLUMNS),
    Figure("young_people_in_treatment", "count", "young_people_in_treatment",
           categories={"Primary substance": "primary_substance"}),
)


def _codes() -> dict[str, dict[str, str]]:
    """Category label -> the cohort's code, per cohort column."""
    flip = {col: {label: code for code, label in reference.category_labels(kind).items()}
            for col, kind in (("substance_group", "substance_groups"), ("referral_source", "referral_sources"),
                              ("primary_substance", "young_people_substances"))}
    flip["route"] = {route: route for route in cohorts.routes()}
    return flip


def decisions(area: Any, tables: Mapping[str, pd.DataFrame], raw: pd.DataFrame) -> pd.DataFrame:
    """Whether each treatment figure of the raw indicators table is hidden, as its cohort table decided.

    Returns ``count_hidden`` and ``denominator_hidden`` on ``raw``'s index: True (hidden), False
    (shown) or missing (left to the indicators table: other tables' figures, and a count of no cohort
    table whose denominator is shown); and
    ``outside``, a row with a figure no cohort table holds (hidden, but its table audited again: its
    relations there are not all the cohort table's, so the shown ones may still give it away).
    """
    out = pd.DataFrame({"count_hidden": pd.Series(np.nan, index=raw.index, dtype=object),
                        "denominator_hidden": pd.Series(np.nan, index=raw.index, dtype=object),
                        "outside": pd.Series(False, index=raw.index)})
    mine = raw[raw["indicator_id"].isin({f.indicator for f in FIGURES}) & raw["area_code"].isin([area.code, *area.district_codes])]
    if mine.empty or tables.get("treatment") is None:
        return out
    data = SimpleNamespace(area=area, tables=tables)
    codes = _codes()
    where = mine.groupby([mine["indicator_id"], mine["period"].astype(str)], sort=False).indices
    for column in ("count", "denominator"):  # hidden until found in a cohort table
        of = mine["indicator_id"].isin({f.indicator for f in FIGURES if f.figure == column})
        out.loc[mine.index[of & mine[column].notna()], f"{column}_hidden"] = True
    missed = 0
    for period in sorted(pd.unique(mine["period"].astype(str))):
        for name in dict.fromkeys(f.cohort for f in FIGURES):
            built = getattr(cohorts, name)(data, period)
            keys = ["area_code", "substance_group", *built.columns]
            index = pd.MultiIndex.from_frame(built.counts[keys])
            hidden = (built.protected.table["count_display"] == disclosure.SUPPRESSED).to_numpy()
            values = built.counts["count"].to_numpy(float)
            for fig in (f for f in FIGURES if f.cohort == name):
                rows = mine.iloc[where.get((fig.indicator, period), [])]
                if rows.empty:
                    continue
                cells = _cells(rows, fig, keys, codes)
                at = index.get_indexer(pd.MultiIndex.from_frame(cells[keys]))
                figure = rows[fig.figure].to_numpy(float)
                same = (at >= 0) & cells["known"].to_numpy() & np.isclose(values[np.maximum(at, 0)], figure)
                missed += int(((at >= 0) & ~same & ~np.isnan(figure)).sum())
                out.loc[rows.index[same], f"{fig.figure}_hidden"] = hidden[at[same]]
                out.loc[rows.index[~same & ~np.isnan(figure)], "outside"] = True
    if missed:
        log.info("%d treatment figure(s) of the indicators table differ from their cell of a cohort table: hidden", missed)
    # a count of no cohort table beside its denominator: hidden where the denominator is
    out.loc[out["count_hidden"].isna() & out["denominator_hidden"].eq(True), "count_hidden"] = True
    return out


def _cells(rows: pd.DataFrame, fig: Figure, keys: list[str], codes: Mapping[str, Mapping[str, str]]) -> pd.DataFrame:
    """The cohort cell of each indicator row (``known`` False where the row is no cell of the cohort)."""
    cells = pd.DataFrame({k: ALL for k in keys}, index=rows.index, dtype=object)
    cells["area_code"] = rows["area_code"].astype(object)
    if "sex" in keys:
        cells["sex"] = rows["sex"].where(rows["sex"] != "Persons", ALL).astype(object)
    kind = rows["category_type"].astype(object).where(rows["category_type"].notna() & (rows["category_type"] != ""), None)
    known = pd.Series(True, index=rows.index)
    if not fig.whole:
        known = kind.isna() | kind.isin(list(fig.categories))
        for label, column in fig.categories.items():
            at = kind == label
            cells.loc[at, column] = rows.loc[at, "category"].map(codes[column]).astype(object)
        known &= cells.notna().all(axis=1)
    for column, value in fig.fixed.items():
        cells[column] = value
    return cells.assign(known=known.to_numpy(bool))
