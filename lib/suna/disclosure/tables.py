"""One table through disclosure control (``protect_table``): primary suppression, rounding, secondary
suppression over its declared margins, and the record of what was hidden and why."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from suna.core.errors import DisclosureError
from suna.disclosure.cells import (_cell_keys, _equations, _key_value, _normalise_margins, _protect_cells,
                                   whole_area_cost)
from suna.disclosure.rules import RECORD_COLUMNS, SUPPRESSED, VALUE_COLUMNS, Protected, Rule, rule
from suna.model import formatting as fmt

logger = logging.getLogger(__name__)


def _numeric(frame: pd.DataFrame, column: str, where: str) -> np.ndarray:
    if column not in frame.columns:
        raise DisclosureError(f"{where}: column {column!r} is missing; it should hold the counts to protect.")
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = np.isnan(values) & frame[column].notna().to_numpy()
    if bad.any():
        rows = ", ".join(str(r) for r in frame.index[bad][:10])
        raise DisclosureError(f"{where}: column {column!r} has values that are not numbers (rows {rows}).")
    negative = values < 0
    if negative.any():
        rows = ", ".join(str(r) for r in frame.index[negative][:10])
        raise DisclosureError(f"{where}: column {column!r} has negative counts (rows {rows}); expected 0 or more.")
    return values


def _display(values: np.ndarray, hidden: np.ndarray) -> list[str]:
    out = []
    for v, h in zip(values, hidden):
        if h:
            out.append(SUPPRESSED)
        elif np.isnan(v):
            out.append("")
        elif float(v).is_integer():
            out.append(f"{int(v):,}")
        else:
            out.append(f"{v:,.1f}")
    return out


class _Described:
    """Each row's cell as text ("indicator_id=..., sex=Male"), worked out only for rows recorded."""

    def __init__(self, frame: pd.DataFrame, columns: Sequence[str]) -> None:
        self.columns = list(columns)
        self.pieces = [frame[c].astype(object).tolist() for c in self.columns]

    def __getitem__(self, i: int) -> str:
        row = (p[i] for p in self.pieces)
        return ", ".join(f"{c}={v}" for c, v in zip(self.columns, row) if _key_value(v) is not None)


def _describe(frame: pd.DataFrame, columns: Sequence[str]) -> _Described:
    return _Described(frame, columns)


def _hidden_note(r: Rule, what: str = "Count") -> str:
    """The note on a hidden cell: the same whether the rule hid it or it protects another cell.

    Saying which would let a reader bound each cell (1 to threshold-1, or threshold and more) and
    work some of them out; the record keeps the distinction for the analyst.
    """
    lead = "Not shown" if what == "Count" else f"{what} not shown"
    return (f"{lead} to protect privacy: fewer than {r.suppress_below} {r.noun}, "
            "or hidden so that such a number cannot be worked out")


def is_hidden_note(part: str) -> bool:
    """Whether one part of a value note is the note on a hidden figure (``_hidden_note``)."""
    return " to protect privacy: fewer than " in str(part)


def _count_notes(r: Rule, hidden: np.ndarray, what: str = "Count") -> list[list[str]]:
    notes: list[list[str]] = [[] for _ in range(len(hidden))]
    for i in np.flatnonzero(hidden):
        notes[i].append(_hidden_note(r, what))
    return notes


def _records(
    rows: Sequence[Any],
    cells: Any,
    column: str,
    r: Rule,
    primary: np.ndarray,
    secondary: np.ndarray,
    rounded: np.ndarray,
    measure: str | None,
    what: str = "Count",
) -> list[dict[str, Any]]:
    out = []
    for mask, action in ((primary, "primary"), (secondary, "secondary"), (rounded, "rounded")):
        for i in np.flatnonzero(mask):
            if action == "primary":
                note = f"{what} suppressed: fewer than {r.suppress_below} ({r.label} rule)"
            elif action == "secondary":
                note = "Suppressed to protect another cell"
            else:
                note = f"Rounded to the nearest {r.round_to} ({r.label} rule)"
            out.append(
                {
                    "row": rows[i],
                    "cell": cells[i],
                    "column": column,
                    "rule": r.name,
                    "action": action,
                    "threshold": r.suppress_below if action == "primary" else (r.round_to if action == "rounded" else None),
                    "measure": measure,
                    "note": note,
                }
            )
    return out


def _record_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(records, columns=RECORD_COLUMNS).astype({"threshold": "Int64"})


def protect_table(
    frame: pd.DataFrame,
    count_col: str,
    rule_name: str,
    *,
    dims: Sequence[str],
    margins: Mapping[str, Any] | None = None,
    value_cols: Sequence[str] | None = None,
    note_col: str = "value_note",
    hidden: np.ndarray | None = None,
    fixed: np.ndarray | None = None,
    keep: np.ndarray | None = None,
) -> Protected:
    """Suppress small counts in one table and enough other cells that none can be worked out.

    Complementary cells are chosen at least cost (``whole_area_cost`` over an ``area_code``
    hierarchy: small areas before the whole area; then the smallest count).

    Args:
        frame: one row per cell; not modified.
        count_col: the column of counts.
        rule_name: ``ndtms``, ``hes`` or ``ons_deaths``.
        dims: the columns that identify a cell (e.g. ``["district", "sex"]``).
        margins: which values of a dimension are totals of others. Per dimension, either the label
            of the total of all other values (``{"sex": "Persons"}``), a mapping from each total to
            its children (a hierarchy: ``{"area_code": {"E10000034": [district codes]}}``), or a
            list of ``(total, children)`` pairs when one total has several breakdowns. A table with
            an area total and its districts is one table: pass both so the whole-area figure is
            treated as the margin of the district cells.
        value_cols: columns derived from the count (rates, CIs) that are removed where the count is
            hidden; by default the Fingertips value columns present.
        note_col: the column that says why a figure is missing (created if absent).
        hidden, fixed: for a table that shares cells with one protected before it, the shared cells
            that table hid (hidden here too, as secondary cells) and those it showed (never hidden
            here), so the two agree (``suna.pipeline.cohorts``).
        keep: figures to keep shown where the table can be protected with them shown (the
            whole-area headline, a published figure); hidden only where it cannot (logged).

    Returns:
        ``Protected``: ``table`` (hidden counts NaN, ``<count_col>_display`` with ``*`` or the shown
        figure, HES counts rounded) and ``record`` (one row per hidden or rounded cell; no values).

    Raises:
        DisclosureError: unknown rule, missing or non-numeric count column, duplicate cells, or
            margins declared for a column that is not a dimension.
    """
    where = f"table passed to protect_table (count column {count_col!r})"
    r = rule(rule_name)
    dims = list(dims)
    missing_dims = [d for d in dims if d not in frame.columns]
    if missing_dims:
        raise DisclosureError(f"{where}: dimension column(s) {', '.join(map(repr, missing_dims))} are missing.")
    values = _numeric(frame, count_col, where)
    keys = _cell_keys(frame, dims, where)
    declared = _normalise_margins(frame, dims, margins)
    equations = _equations(keys, dims, declared)
    primary = r.is_primary(values)
    linked = np.zeros(len(values), dtype=bool) if hidden is None else np.asarray(hidden, dtype=bool) & ~primary
    cost = whole_area_cost(frame, declared["area_code"]) if "area_code" in declared else None
    secondary = _protect_cells(values, primary | linked, equations, where=where,
                               fixed=None if fixed is None else np.asarray(fixed, dtype=bool),
                               keep=None if keep is None else np.asarray(keep, dtype=bool) & ~linked, cost=cost) | linked
    hidden = primary | secondary

    shown = np.where(hidden, np.nan, r.rounded(values))
    rounded = (~hidden) & (shown > 0) & (r.round_to > 1)
    table = frame.copy()
    table[count_col] = shown
    table[f"{count_col}_display"] = pd.Series(_display(shown, hidden), index=frame.index, dtype=object)
    cols = [c for c in (VALUE_COLUMNS if value_cols is None else value_cols) if c in table.columns and c != count_col]
    for c in cols:
        table[c] = table[c].astype(float).where(~hidden, np.nan)
    existing = table[note_col] if note_col in table.columns else pd.Series([None] * len(table), index=table.index)
    table[note_col] = pd.Series(fmt.join_notes(existing, _count_notes(r, primary | secondary)), index=table.index, dtype=object)

    cells = _describe(frame, dims)
    record = _record_frame(_records(list(frame.index), cells, count_col, r, primary, secondary, rounded, None))
    logger.debug("protect_table: %d primary, %d secondary cells", int(primary.sum()), int(secondary.sum()))
    return Protected(
        table=table, record=record, count_col=count_col, rule=r.name, dims=tuple(dims), margins=dict(margins or {})
    )
