"""A cohort's breakdowns counted and protected as one table, so a cell hidden in one view is hidden in every view.

Views of one group of people (a cohort: adults in treatment, new presentations, exits) share figures:
the totals of one breakdown are cells of another. Protected apart, one view hid a total another
showed (Worcestershire 2023/24: 41 of 745 shared totals), and a cell hidden to protect a small count
could be worked out again. Here a cohort's breakdowns are one table, each column with its ``ALL``
margin, its breakdowns protected in turn (``_protect_in_turn``); each view then takes its own rows
(``Cohort.rows``). Which people a cohort holds is the views' choice (``suna.pipeline.cohorts``); how
its table is protected is decided here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from suna import disclosure
from suna.core import reference
from suna.disclosure import Protected
from suna.disclosure import counts as disclosure_counts
from suna.disclosure.counts import ALL, district_detail

GROUPS = tuple(reference.category_codes("substance_groups"))
NOT_RECORDED = "Not recorded"  # the category of a breakdown column left blank in a record
_GROUPED = "grouped:"  # a grouped category stored in its detailed column (see ``protect_cohort``)


@dataclass(frozen=True)
class Breakdown:
    """Columns one view crosses with substance group, each with an ``ALL`` margin.

    ``groups_in_districts`` False breaks the substance group down for the whole area only, a
    district's rows being for all groups: for small categories (age by sex, ethnic group, route by
    sex) a district's cells by group are nearly all suppressed and slow to protect (Essex: age by
    sex 17 s with them, 0.1 s without). ``most_crossed`` caps how many of substance group and the
    columns are broken down at once (the referral-to-exit flow shows two-way tables only).
    """

    columns: tuple[str, ...]
    groups_in_districts: bool = True
    most_crossed: int | None = None


@dataclass(frozen=True)
class Cohort:
    """A cohort's true counts and their protected table: one row per cell, ``ALL`` where not broken down."""

    counts: pd.DataFrame
    protected: Protected
    columns: tuple[str, ...]

    def rows(self, columns: Sequence[str] = (), substance_group: str | None | type[Ellipsis] = ...) -> tuple[pd.DataFrame, Protected]:
        """One view's cells: those broken down by ``columns`` (and substance group) only.

        With ``substance_group`` given (None for all groups), that group's rows without the
        ``substance_group`` column; with it left out, every group's rows. Returns the true counts and
        the protected rows on the same index, the record cut to those rows.
        """
        others = [col for col in self.columns if col not in columns]
        mask = (self.counts[others] == ALL).all(axis=1) if others else pd.Series(True, index=self.counts.index)
        drop = others
        if substance_group is not ...:
            mask &= self.counts["substance_group"] == (substance_group or ALL)
            drop = [*others, "substance_group"]
        counts = self.counts[mask].drop(columns=drop)
        table = self.protected.table[mask].drop(columns=drop)
        dims = tuple(d for d in ("area_code", "substance_group", *columns) if d not in drop)
        return counts, replace(self.protected, table=table, record=self.protected.record[self.protected.record["row"].isin(table.index)],
                               dims=dims, margins=None)


def _categories(people: pd.DataFrame, column: str, known: Sequence[Any]) -> tuple[pd.DataFrame, list[Any]]:
    """The column's categories, with ``NOT_RECORDED`` for blanks (so its total still adds up)."""
    known = list(known)
    values = people[column]
    if values.isna().any():
        people = people.assign(**{column: values.astype(object).where(values.notna(), NOT_RECORDED)})
        known.append(NOT_RECORDED)
    unknown = sorted(set(map(str, people[column].dropna())) - set(map(str, known)))
    if unknown:
        raise ValueError(f"{column} holds {', '.join(unknown[:5])}, which no category of its breakdown covers: "
                         "its total would not add up.")
    return people, known


def protect_cohort(people: pd.DataFrame, area: Any, breakdowns: Sequence[Breakdown], categories: Mapping[str, Sequence[Any]],
                   groupings: Mapping[str, tuple[str, Callable[[Any], Any]]] | None = None) -> Cohort:
    """Every breakdown of one cohort counted and protected as one table.

    Args:
        people: one row per person (or episode) with ``district_code``, ``substance_group`` and the
            breakdown columns.
        area: the Area.
        breakdowns: what the views show; cells two breakdowns share (their totals) are one row.
        categories: every value each breakdown column may take (blanks become ``NOT_RECORDED``).
        groupings: a column made by merging another's categories (``{"exit_group": ("exit_reason",
            fn)}``): each merged cell is the margin of the detailed cells it merges, so a flow of
            merged exit reasons cannot be differenced against the detailed ones. Several columns may
            merge one (the flow's exits and successful or not, both of exit reason).
    """
    groupings = dict(groupings or {})
    breakdowns = [Breakdown(()), *breakdowns]  # the substance-group totals, in every district
    columns = list(dict.fromkeys(col for b in breakdowns for col in b.columns))
    cats: dict[str, list[Any]] = {"substance_group": list(GROUPS)}
    for col in dict.fromkeys([*columns, *(detail for detail, _ in groupings.values())]):
        if col in groupings:
            continue
        people, cats[col] = _categories(people, col, categories[col])
    for col, (detail, merge) in groupings.items():
        people = people.assign(**{col: [merge(v) for v in people[detail]]})
        cats[col] = list(dict.fromkeys(merge(v) for v in cats[detail]))
    detail_level = district_detail(area)
    parts = []
    for i, b in enumerate(breakdowns):
        by = ["substance_group", *b.columns]
        counted = disclosure_counts.area_counts(people, area, by, {k: cats[k] for k in by}, totals=by, district_detail=detail_level)
        if not b.groups_in_districts:
            counted = counted[(counted["area_code"] == area.code) | (counted["substance_group"] == ALL)]
        if b.most_crossed is not None:
            counted = counted[(counted[by] != ALL).sum(axis=1) <= b.most_crossed]
        parts.append(counted.assign(_breakdown=i, **{col: ALL for col in columns if col not in b.columns}))
    keys = ["area_code", "substance_group", *columns]
    every = pd.concat(parts, ignore_index=True)
    counts = every.drop_duplicates(keys, ignore_index=True)[["area_code", "area_name", *keys[1:], "count"]]
    first = pd.MultiIndex.from_frame(counts[keys]).get_indexer(pd.MultiIndex.from_frame(every[keys]))
    frame, dims, margins = _linked(counts, columns, cats, groupings)
    return Cohort(counts=counts, protected=_protect_in_turn(frame, area, dims, margins, first, every["_breakdown"].to_numpy(),
                                                            len(breakdowns)), columns=tuple(columns))


def _protect_in_turn(frame: pd.DataFrame, area: Any, dims: list[str], margins: dict[str, list[Any]], cell: np.ndarray,
                     breakdown: np.ndarray, n: int) -> Protected:
    """Protect the breakdowns one after another, each with every cell before it as it was decided.

    Protected in one go, a cohort's breakdowns hid far more than each alone (Essex new presentations:
    834 of 956 cells, the whole-area totals among them), because the greedy choice of cells to hide
    spreads along the shared totals. In turn, each breakdown hides only its own cells and takes the
    earlier ones as they are (shown cells stay shown, hidden ones hidden), while the audit covers
    every relation among all the cells so far: the last step checks the whole table at once. When a
    breakdown cannot protect itself without hiding an earlier cell, that cell is hidden from the start
    and the breakdowns are protected again.
    """
    forced = np.zeros(len(frame), dtype=bool)
    for _ in range(len(frame) + 1):
        decided = np.zeros(len(frame), dtype=bool)
        hidden = forced.copy()
        protected = None
        for i in range(n):
            rows = np.unique(cell[breakdown <= i])
            part = frame.iloc[rows]
            try:
                protected = disclosure_counts.protect_counts(part, area, dims, margins=margins, hidden=hidden[rows],
                                             fixed=decided[rows] & ~hidden[rows])
            except disclosure.DisclosureError:  # an earlier cell must go: hide it from the start
                protected = disclosure_counts.protect_counts(part, area, dims, margins=margins, hidden=hidden[rows])
                now = (protected.table["count_display"] == disclosure.SUPPRESSED).to_numpy()
                forced[rows[now & decided[rows] & ~hidden[rows]]] = True
                break
            hidden[rows] = (protected.table["count_display"] == disclosure.SUPPRESSED).to_numpy()
            decided[rows] = True
        else:
            return protected
    raise disclosure.DisclosureError("the cohort's breakdowns could not be protected together")  # pragma: no cover


def _linked(counts: pd.DataFrame, columns: Sequence[str], cats: Mapping[str, Sequence[Any]],
            groupings: Mapping[str, tuple[str, Callable[[Any], Any]]]) -> tuple[pd.DataFrame, list[str], dict[str, list[Any]]]:
    """The table as the disclosure engine sees it: each column's ``ALL`` margin, merged categories as margins.

    A merged category (a flow's "Other" exit) is stored in its detailed column, as the margin of the
    detailed categories it merges, so that both sit on one dimension and add up there.
    """
    frame = counts.copy()
    dims = ["substance_group", *[col for col in columns if col not in groupings]]
    margins: dict[str, list[Any]] = {col: [(ALL, list(cats[col]))] for col in dims}
    for col, (detail, merge) in groupings.items():
        label = f"{_GROUPED}{col}:"  # two columns may merge one (the flow's exits, successful or not)
        merged = frame[col] != ALL
        frame[detail] = np.where(merged, label + frame[col].astype(str), frame[detail])
        if detail not in margins:  # the detailed column shown by no breakdown of its own
            dims.append(detail)
            margins[detail] = []
        margins[detail].append((ALL, [label + str(g) for g in cats[col]]))
        margins[detail] += [(label + str(g), [v for v in cats[detail] if merge(v) == g]) for g in cats[col]]
    return frame, dims, margins
