"""Disclosure control: the one engine every SUNA output passes through before anyone sees it.

Small counts are suppressed by the rule of the source they come from (thresholds live in
``data/reference/disclosure_rules.yaml``): NDTMS-derived counts 1-4, HES-derived counts 1-7 (other
HES counts rounded to the nearest 5), ONS death counts 1-2. Rates are not calculated under the
ONS/PHE minimum counts and flagged as unreliable under 20 events.

Primary suppression alone is not enough: a hidden cell can be worked out from a total and the cells
beside it. So the caller declares how the table adds up (its dimensions and which values of a
dimension are totals of others) and the engine adds secondary (complementary) suppression until no
hidden cell can be worked out. It first makes sure that no additive relation has exactly one
hidden member (the classic "suppress the next smallest cell in the row/column" rule, iterated
until stable), then audits the whole table (``suna.secondary``): each hidden cell's smallest and
largest value consistent with everything shown, by linear programming. While any interval is under
1 wide (a cell exactly determined has width 0), one more cell of a relation it is in is hidden
(Cox 1980, "Suppression methodology and statistical disclosure control", JASA 75:377-385;
Hundepool et al. 2012, "Statistical Disclosure Control", ch. 4).

Choices, stated once:

* A true zero is shown (the NDTMS, HES and ONS rules do not suppress zeros). Zeros are not used as
  complementary cells unless nothing else is left (a warning is logged): a hidden zero protects
  nothing against a reader who guesses it is an impossible combination, and with non-negativity a
  ring of hidden zeros can pin a small cell down exactly.
* The audit uses what a reader knows beyond the sums: zeros are shown, so a hidden count is at
  least 1 (a total of 5 over five hidden categories gives each away), and a remainder has a sign.
* A shown table does not say which hidden cells fell under the rule and which protect them (the
  note is the same for both, and the footnote gives no numbers): a reader who knew would know
  ``Male *, Female *, Persons 6`` is 1 and 5, and with ONS's 1-2 rule a hidden total over two
  hidden children pins all three. The record keeps the distinction for the analyst; it is an
  audit trail, not something to publish.
* HES tables get the same secondary suppression as the others (conservative: rounding already
  blurs differences), and rounding means rows and margins need not add up; the footnote says so.
* A margin whose true value differs from the sum of the children present (people with no known
  district, categories outside the table) has an unpublished remainder, which the engine treats
  as unknown to a reader. A child row that is absent is taken as zero when the sum holds.
* A count that is missing in the input (for example suppressed at source) is unknown to a reader
  and is left as it is; the engine protects the cells it hides itself.
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from suna import formatting as fmt
from suna import indicators, reference
from suna.errors import DisclosureError
from suna.periods import pooled_span
from suna import optimal_suppression, secondary
from suna.secondary import Equation, UnprotectableError, protect_cells
from suna.secondary import slacks as _slacks

logger = logging.getLogger(__name__)

SUPPRESSED = "*"
VALUE_COLUMNS = (
    "value",
    "value_lower_ci95",
    "value_upper_ci95",
    "value_lower_ci998",
    "value_upper_ci998",
)
MEASURES = ("count", "crude_rate", "dsr", "proportion")
COMPARISON_COLUMNS = ("compared_to_england", "compared_to_region", "compared_to_england_998", "compared_to_region_998")
RECORD_COLUMNS = ["row", "cell", "column", "rule", "action", "threshold", "measure", "note"]

_RULE_ORDER = ("ndtms", "hes", "ons_deaths")
_LABELS = {"ndtms": "NDTMS", "hes": "HES", "ons_deaths": "ONS"}
_NOUNS = {"ndtms": "people", "hes": "admissions", "ons_deaths": "deaths"}
_TOTAL_CATEGORY = ""


@dataclass(frozen=True)
class Rule:
    """One source's small-number rule, as read from disclosure_rules.yaml."""

    name: str
    suppress_below: int
    suppress_zero: bool
    round_to: int

    @property
    def label(self) -> str:
        return _LABELS.get(self.name, self.name.upper())

    @property
    def noun(self) -> str:
        return _NOUNS.get(self.name, "events")

    def is_primary(self, values: np.ndarray) -> np.ndarray:
        """True where a count must be hidden by this rule (NaN is never primary)."""
        with np.errstate(invalid="ignore"):
            small = (values > 0) & (values < self.suppress_below)
            if self.suppress_zero:
                small = small | (values == 0)
        return small

    def rounded(self, values: np.ndarray) -> np.ndarray:
        """Counts rounded to the nearest ``round_to`` (halves go up, as in the HES guide's examples)."""
        if self.round_to <= 1:
            return values.astype(float)
        return np.floor(values.astype(float) / self.round_to + 0.5) * self.round_to


@dataclass(frozen=True)
class Protected:
    """A table after disclosure control, with the record of what was hidden and why.

    ``count_col``, ``rule``, ``dims`` and ``margins`` repeat how the table was declared to add up,
    so a check (or an attack test) can reason about it as a reader would. ``rule`` is None for
    the indicators table, whose rows carry their own ``disclosure_rule``.
    """

    table: pd.DataFrame
    record: pd.DataFrame
    count_col: str = "count"
    rule: str | None = None
    dims: tuple[str, ...] = ()
    margins: Mapping[str, Any] | None = None

    @property
    def footnote(self) -> str:
        return footnote(self.record)


def rule(name: str) -> Rule:
    """The named rule (``ndtms``, ``hes`` or ``ons_deaths``) from the reference file.

    Raises:
        DisclosureError: the name is not a rule in disclosure_rules.yaml.
    """
    rules = reference.disclosure_rules()
    known = [k for k in rules if k != "rates"]
    if name not in known:
        raise DisclosureError(
            f"Unknown disclosure rule {name!r}. Expected one of: {', '.join(known)} "
            "(data/reference/disclosure_rules.yaml)."
        )
    spec = rules[name]
    return Rule(
        name=name,
        suppress_below=int(spec["suppress_below"]),
        suppress_zero=bool(spec.get("suppress_zero", False)),
        round_to=int(spec.get("round_to", 1)),
    )


def _without_comparison_notes(note: Any) -> Any:
    """A note without the part that says why the (now hidden) value was not compared with England."""
    if not isinstance(note, str):
        return note
    kept = [part for part in note.split("; ") if part not in indicators.NOT_COMPARED_NOTES]
    return "; ".join(kept) or None


def _rate_thresholds() -> dict[str, int]:
    rates = reference.disclosure_rules()["rates"]
    return {k: int(v) for k, v in rates.items()}


# --------------------------------------------------------------------------------------------
# The core: cells, additive relations, secondary suppression
# --------------------------------------------------------------------------------------------



def _key_value(value: Any) -> Any:
    """A dimension value usable as a dict key (NaN and None become None)."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def _key_list(column: pd.Series) -> list[Any]:
    """A column's values as dict keys, missing ones as None.

    Not ``Series.map(_key_value)``: pandas 3 turns the None it returns back into NaN, and a total
    row keyed NaN is never matched as the margin of its categories.
    """
    return [_key_value(v) for v in column.tolist()]


def _normalise_margins(
    frame: pd.DataFrame, dims: Sequence[str], margins: Mapping[str, Any] | None
) -> dict[str, list[tuple[Any, list[Any]]]]:
    """Margins as ``{dim: [(total, [children, ...]), ...]}``.

    A string names the total of all other values of the dimension; a mapping gives each total its
    children (a hierarchy); a sequence of pairs lets one total have several breakdowns.
    """
    out: dict[str, list[tuple[Any, list[Any]]]] = {}
    for dim, spec in (margins or {}).items():
        if dim not in dims:
            raise DisclosureError(
                f"Margins are declared for {dim!r}, which is not one of the table's dimensions "
                f"({', '.join(dims)})."
            )
        if isinstance(spec, str) or not isinstance(spec, (Mapping, Sequence)):
            total = _key_value(spec)
            others = [v for v in dict.fromkeys(_key_list(frame[dim])) if v != total]
            out[dim] = [(total, others)]
        elif isinstance(spec, Mapping):
            out[dim] = [(_key_value(t), [_key_value(c) for c in kids]) for t, kids in spec.items()]
        else:
            out[dim] = [(_key_value(t), [_key_value(c) for c in kids]) for t, kids in spec]
    return out


def _cell_keys(frame: pd.DataFrame, dims: Sequence[str], where: str) -> list[tuple[Any, ...]]:
    columns = [_key_list(frame[d]) for d in dims]
    keys = list(zip(*columns)) if columns else [() for _ in range(len(frame))]
    seen: dict[tuple[Any, ...], int] = {}
    duplicates = []
    for i, key in enumerate(keys):
        if key in seen:
            duplicates.append(key)
        seen[key] = i
    if duplicates:
        shown = "; ".join(", ".join(f"{d}={v}" for d, v in zip(dims, key)) for key in duplicates[:5])
        raise DisclosureError(
            f"{where}: {len(duplicates)} cell(s) appear more than once for the dimensions "
            f"{', '.join(dims)} ({shown}). Each cell must be one row; add the missing dimension."
        )
    return keys


def _equations(
    keys: Sequence[tuple[Any, ...]], dims: Sequence[str], margins: Mapping[str, list[tuple[Any, list[Any]]]]
) -> list[Equation]:
    """Every additive relation ``margin = sum(children)`` among the rows present."""
    index = {key: i for i, key in enumerate(keys)}
    equations: list[Equation] = []
    for d_pos, dim in enumerate(dims):
        for total, children in margins.get(dim, []):
            for i, key in enumerate(keys):
                if key[d_pos] != total:
                    continue
                kids = []
                for child in children:
                    j = index.get(key[:d_pos] + (child,) + key[d_pos + 1 :])
                    if j is not None and j != i:
                        kids.append(j)
                if kids:
                    equations.append((i, tuple(kids)))
    return equations


def _protect_cells(
    values: np.ndarray, primary: np.ndarray, equations: Sequence[Equation], latent: np.ndarray | None = None,
    where: str = "a table", fixed: np.ndarray | None = None, keep: np.ndarray | None = None,
    cost: np.ndarray | None = None, prune: int = 0, optimal: bool = False,
) -> np.ndarray:
    """Secondary suppression by interval audit (``suna.secondary``), its failures as DisclosureError.

    ``keep``: figures to keep shown if the table can be protected with them shown (whole-area
    figures, published ones); where it cannot, they may be hidden like any other (logged).
    ``optimal``: improve the greedy choice to the least-cost one (``suna.optimal_suppression``),
    within its limits; the greedy choice stands where the search does not settle.
    """
    def protect(fixed_now: np.ndarray | None) -> np.ndarray:
        chosen = protect_cells(values, primary, equations, latent=latent, fixed=fixed_now, cost=cost,
                               prune=0 if optimal else prune)
        if not optimal:
            return chosen
        return optimal_suppression.least_cost(values, primary, equations, start=chosen, latent=latent,
                                              fixed=fixed_now, cost=cost).secondary

    if keep is not None and (keep & ~primary).any():
        hard = keep & ~primary if fixed is None else (fixed | keep) & ~primary
        try:
            return protect(hard)
        except (UnprotectableError, ValueError):
            logger.info("%s: a whole-area or published figure had to be hidden to protect the rest", where)
    try:
        return protect(fixed)
    except (UnprotectableError, ValueError) as err:
        raise DisclosureError(f"Disclosure control could not protect {where}: {err}. Check the declared margins.") from err


def whole_area_cost(frame: pd.DataFrame, area_margins: Mapping[Any, Sequence[Any]] | Sequence[tuple[Any, Sequence[Any]]],
                    column: str = "area_code") -> np.ndarray:
    """The information lost by hiding each cell: 1 for a figure of an area that has sub-areas
    (the whole-area figures a board comes for), 0 for a sub-area's; ties go to the smallest count.

    The default cost of ``protect_table`` and ``protect_indicators``: complementary cells are
    found among the small areas first, so a whole-area figure goes only when nothing else can
    protect a hidden one.
    """
    pairs = area_margins.items() if isinstance(area_margins, Mapping) else area_margins
    tops = {top for top, kids in pairs if len(kids)}
    return frame[column].isin(tops).to_numpy(dtype=float)


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


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
            here), so the two agree (``suna.views.cohorts``).
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


# --------------------------------------------------------------------------------------------
# The indicators table
# --------------------------------------------------------------------------------------------

_REQUIRED = ("indicator_id", "area_code", "parent_code", "period", "count", "disclosure_rule", "measure")


def _category_keys(frame: pd.DataFrame) -> pd.Series:
    """Each row's breakdown as one key: "" for a total row (no category_type), else type and category."""
    if "category_type" not in frame.columns:
        return pd.Series([_TOTAL_CATEGORY] * len(frame), index=frame.index, dtype=object)
    ctype = _key_list(frame["category_type"])
    cat = _key_list(frame["category"]) if "category" in frame.columns else [None] * len(frame)
    keys = [_TOTAL_CATEGORY if (t is None or t == "") else f"{t}\x1f{c}" for t, c in zip(ctype, cat)]
    return pd.Series(keys, index=frame.index, dtype=object)


def _indicator_margins(group: pd.DataFrame, where: str) -> dict[str, list[tuple[Any, list[Any]]]]:
    margins: dict[str, list[tuple[Any, list[Any]]]] = {}
    parents = list(dict.fromkeys(zip(_key_list(group["area_code"]), _key_list(group["parent_code"]))))
    seen: dict[Any, int] = {}
    for area, _ in parents:
        seen[area] = seen.get(area, 0) + 1
    clash = sorted(str(area) for area, times in seen.items() if times > 1)
    if clash:
        raise DisclosureError(f"{where}: area(s) {', '.join(clash)} have more than one parent_code; expected one each.")
    present = set(seen)
    tree: dict[Any, list[Any]] = {}
    for area, parent in parents:
        if parent is not None and parent != area and parent in present:
            tree.setdefault(parent, []).append(area)
    margins["area_code"] = list(tree.items())
    if "sex" in group.columns:
        sexes = [s for s in dict.fromkeys(_key_list(group["sex"])) if s is not None]
        if "Persons" in sexes:
            margins["sex"] = [("Persons", [s for s in sexes if s != "Persons"])]
    by_type: dict[str, list[str]] = {}
    for key in pd.unique(group["_category_key"]):
        if key != _TOTAL_CATEGORY:
            by_type.setdefault(key.split("\x1f")[0], []).append(key)
    margins["_category_key"] = [(_TOTAL_CATEGORY, kids) for kids in by_type.values()]
    return margins


METHODS = ("optimal", "greedy")  # how complementary cells are chosen in the indicators' tables


def protect_indicators(indicators: pd.DataFrame, decided: pd.DataFrame | None = None, *,
                       method: str = "optimal") -> Protected:
    """Disclosure control for SUNA's indicators table (Fingertips layout, snake_case).

    Each indicator x period (x age) is one linked table: an area is the margin of the rows whose
    ``parent_code`` is its ``area_code`` (upper tier over districts, so a district cannot be worked
    out from the whole-area figure shown in another filter of an app), ``sex`` "Persons" is the
    margin of the other sexes, and the row with no ``category_type`` is the margin of each
    breakdown's categories. Counts follow the row's ``disclosure_rule``; for ``measure`` proportion
    the denominator is protected the same way, and a count whose denominator less the count is
    small is hidden as a small count (the rest would be worked out exactly). Values and CIs go where their count or denominator
    is hidden, rates are not calculated under the ONS/PHE minimum counts, and values from fewer
    than 20 events are flagged in ``value_note``.

    ``decided``: figures another table protected with everything else shown of them (the treatment
    figures, cells of ``suna.views.cohorts``' tables: ``suna.views.indicator_cells.decisions``), as
    ``count_hidden`` and ``denominator_hidden`` on the table's index (True, False, or missing where
    undecided), and ``outside`` (a figure hidden here that the other table does not hold). Those are
    hidden or shown as decided; the rest protected around them. A table whose figures were all
    decided, none outside, is not audited again (the other table's audit covered every relation).

    Raises:
        DisclosureError: a required column is missing, an indicator mixes rules or measures, a
            rule or measure is unknown, or an area has two parents.
    """
    where = "indicators table passed to protect_indicators"
    missing = [c for c in _REQUIRED if c not in indicators.columns]
    if missing:
        raise DisclosureError(f"{where}: column(s) {', '.join(map(repr, missing))} are missing.")
    bad_measure = ~indicators["measure"].isin(MEASURES)
    if bad_measure.any():
        rows = ", ".join(str(r) for r in indicators.index[bad_measure][:10])
        raise DisclosureError(f"{where}: column 'measure' must be one of {', '.join(MEASURES)} (rows {rows}).")
    no_rule = indicators["disclosure_rule"].isna()
    if no_rule.any():
        rows = ", ".join(str(r) for r in indicators.index[no_rule][:10])
        raise DisclosureError(f"{where}: column 'disclosure_rule' is empty (rows {rows}); expected ndtms, hes or ons_deaths.")
    rules = {name: rule(name) for name in pd.unique(indicators["disclosure_rule"])}
    mixed = indicators.groupby("indicator_id")[["disclosure_rule", "measure"]].nunique()
    mixed = mixed[(mixed > 1).any(axis=1)]
    if len(mixed):
        ids = ", ".join(map(str, mixed.index[:10]))
        raise DisclosureError(f"{where}: indicator(s) {ids} have more than one disclosure_rule or measure; expected one each.")

    counts = _numeric(indicators, "count", where)
    has_den = "denominator" in indicators.columns
    dens = _numeric(indicators, "denominator", where) if has_den else np.full(len(indicators), np.nan)
    n = len(indicators)
    frame = indicators.reset_index(drop=True).assign(_category_key=_category_keys(indicators).to_numpy())
    dims = ["area_code"] + (["sex"] if "sex" in frame.columns else []) + ["_category_key"]
    group_cols = ["indicator_id", "period"] + (["age"] if "age" in frame.columns else [])

    known_c, hid_dc = _decided(decided, "count_hidden", indicators)
    known_d, hid_dd = _decided(decided, "denominator_hidden", indicators)
    fix_c, fix_d = known_c & ~hid_dc, known_d & ~hid_dd
    small_c = np.zeros(n, dtype=bool)
    prim_c = np.zeros(n, dtype=bool)
    prim_d = np.zeros(n, dtype=bool)
    tables = []  # (positions, equations, protect the denominator too, where)
    for key, group in frame.groupby(group_cols, sort=False, dropna=False):
        pos = group.index.to_numpy()
        label = ", ".join(f"{c}={v}" for c, v in zip(group_cols, key if isinstance(key, tuple) else (key,)))
        gwhere = f"{where} ({label})"
        r = rules[group["disclosure_rule"].iloc[0]]
        keys = _cell_keys(group, dims, gwhere)
        with_den = group["measure"].iloc[0] == "proportion" and has_den
        margins = _indicator_margins(group, gwhere)
        tables.append((pos, _equations(keys, dims, margins), with_den, gwhere, whole_area_cost(group, margins["area_code"])))
        prim_c[pos] = small_c[pos] = r.is_primary(counts[pos])
        if with_den:
            prim_d[pos] = r.is_primary(dens[pos])
            # the rest of a proportion's denominator (exits not successful, waits over 3 weeks) is a
            # count too: shown beside its denominator, a count leaves it exact, so a small rest hides it
            prim_c[pos] |= r.is_primary(dens[pos] - counts[pos]) & ~prim_d[pos]

    keep = _keep_shown(frame, tables)
    small_d = prim_d.copy()
    prim_c = np.where(known_c, hid_dc & small_c, prim_c)  # decided: small and hidden there is primary
    prim_d = np.where(known_d, hid_dd & small_d, prim_d)
    is_prop = (frame["measure"] == "proportion").to_numpy()
    sec_c = known_c & hid_dc & ~prim_c
    sec_d = known_d & hid_dd & ~prim_d
    settled = np.isnan(counts) | known_c
    settled &= np.where(is_prop & has_den, np.isnan(dens) | known_d, True)
    if decided is not None and "outside" in decided.columns:  # hidden here, no cell of the deciding table
        settled &= ~decided["outside"].reindex(indicators.index).fillna(False).astype(bool).to_numpy()
    todo = [t for t, (pos, *_) in enumerate(tables) if not settled[pos].all()]
    # Each table, then the periods together, then the same figure hidden wherever it is hidden: a
    # cell hidden by the last step can be worked out in its own table, so round again until stable.
    for _ in range(20):
        for t in todo:
            pos, equations, with_den, twhere, cost = tables[t]
            sec_c[pos] |= _protect_around(counts[pos], (prim_c | sec_c)[pos], equations, fix_c[pos], f"{twhere}, counts",
                                          keep[pos] & ~sec_c[pos], cost, method)
            if with_den:
                sec_d[pos] |= _protect_around(dens[pos], (prim_d | sec_d)[pos], equations, fix_d[pos], f"{twhere}, denominators",
                                              keep[pos] & ~sec_d[pos], cost, method)
        sec_c |= _protect_overlapping_periods(frame, counts, prim_c | sec_c, dims, keep & ~sec_c)
        before_c, before_d = sec_c.copy(), sec_d.copy()
        sec_c, sec_d = _hide_same_quantities(frame, counts, np.where(is_prop, dens, np.nan), prim_c | sec_c, prim_d | sec_d, sec_c, sec_d)
        changed = (sec_c != before_c) | (sec_d != before_d)
        if not changed.any():
            undone = int((fix_c & sec_c).sum() + (fix_d & sec_d).sum())
            if undone:
                logger.info("%s: %d figure(s) shown in the table they were decided in are hidden here too", where, undone)
            return _finish_indicators(indicators, rules, counts, dens, has_den, prim_c, sec_c, prim_d, sec_d)
        todo = [t for t, (pos, *_) in enumerate(tables) if changed[pos].any()]
    raise DisclosureError(f"{where}: hiding the same figures in every indicator did not settle.")  # pragma: no cover


def _keep_shown(frame: pd.DataFrame, tables: Sequence[tuple[Any, ...]]) -> np.ndarray:
    """The figures kept shown wherever the table can be protected with them shown.

    A published indicator's figures (its publisher already releases them: hiding them protects
    nothing and costs the reader the figure), and each indicator's whole-area headline (all
    persons, no breakdown): the figure a board comes for, which complementary cells are found
    around rather than taken from.
    """
    published = [i for i, spec in indicators.catalogue().items() if spec.get("table") == indicators.PUBLISHED]
    keep = frame["indicator_id"].isin(published).to_numpy().copy()
    headline = (frame["_category_key"] == _TOTAL_CATEGORY).to_numpy().copy()
    if "sex" in frame.columns:
        headline &= (frame["sex"].eq("Persons") | frame["sex"].isna()).to_numpy()
    for pos, *_, cost in tables:
        keep[pos] |= headline[pos] & (cost > 0)
    return keep


def _decided(decided: pd.DataFrame | None, column: str, indicators: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Which figures are decided, and which of those hidden (``protect_indicators``' ``decided``)."""
    if decided is None or column not in decided.columns:
        return np.zeros(len(indicators), dtype=bool), np.zeros(len(indicators), dtype=bool)
    values = decided[column].reindex(indicators.index)
    known = values.notna().to_numpy()
    return known, known & values.where(values.notna(), False).astype(bool).to_numpy()


def _protect_around(values: np.ndarray, hidden: np.ndarray, equations: Sequence[Equation], fixed: np.ndarray,
                    where: str, keep: np.ndarray | None = None, cost: np.ndarray | None = None,
                    method: str = "optimal") -> np.ndarray:
    """Secondary suppression keeping the decided figures shown; where that cannot protect the rest,
    hiding them too (hiding more never makes a cell easier to work out).

    An indicator's table is small, so its complementary cells are the least-cost ones
    (``method`` "optimal"), or the greedy choice with its costliest cells tried shown again ("greedy").
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    options = {"optimal": True} if method == "optimal" else {"prune": secondary.PRUNE_AT_MOST}
    if not fixed.any():
        return _protect_cells(values, hidden, equations, where=where, keep=keep, cost=cost, **options)
    try:
        return _protect_cells(values, hidden, equations, where=where, fixed=fixed, keep=keep, cost=cost, **options)
    except DisclosureError:
        logger.info("%s: the figures decided elsewhere could not all stay shown", where)
        return _protect_cells(values, hidden, equations, where=where, keep=keep, cost=cost, **options)


_CELL_KEY = ("area_code", "period", "sex", "age", "_category_key")




def _single_years(shown: np.ndarray, n_single: int, equations: Sequence[Equation], where: str) -> np.ndarray:
    """Single-year counts (0 or more) that add up to every period's count: one LP.

    Not the true single years (the indicators table has none): the checks only need a starting
    point that fits every relation, from which they look how far each hidden cell can move.
    """
    from scipy.optimize import linprog
    from scipy.sparse import lil_matrix

    m = len(shown)
    rows = [(t, kids) for t, kids in equations
            if any(c >= m for c in (t, *kids)) and not any(c < m and np.isnan(shown[c]) for c in (t, *kids))]
    a_eq = lil_matrix((len(rows), n_single))
    b_eq = np.zeros(len(rows))
    for r, (t, kids) in enumerate(rows):
        for c, sign in ((t, 1.0), *((k, -1.0) for k in kids)):
            if c >= m:
                a_eq[r, c - m] += sign
            else:
                b_eq[r] -= sign * shown[c]
    res = linprog(np.zeros(n_single), A_eq=a_eq.tocsr(), b_eq=b_eq, bounds=(0, None), method="highs")
    if res.status != 0:
        raise DisclosureError(f"{where}: the periods' counts do not add up from single years; "
                              "expected each pooled period to be the sum of its years.")
    return res.x


def _protect_overlapping_periods(frame: pd.DataFrame, counts: np.ndarray, hidden: np.ndarray,
                                 dims: Sequence[str], keep: np.ndarray | None = None) -> np.ndarray:
    """More cells to hide so that overlapping pooled periods give no hidden count away.

    Deaths are shown for rolling 3-year periods (2019-21, 2020-22, ...), each protected above as a
    table of its own. But the periods share years: 2020-22 minus 2019-21 is 2022 minus 2019, and
    with zeros and the next periods a reader can pin a hidden count (the attack in
    tests/unit/test_disclosure.py finds such cells in the sample's districts). So every period of
    an indicator is checked as one table, with each period the sum of its single years, which are
    never shown (unknowns to the reader, with the same area, sex and category margins).
    """
    extra = np.zeros(len(frame), dtype=bool)
    group_cols = ["indicator_id"] + (["age"] if "age" in frame.columns else [])
    for key, group in frame.groupby(group_cols, sort=False, dropna=False):
        pos = group.index.to_numpy()
        spans = {p: pooled_span(p) for p in pd.unique(group["period"])}
        years = sorted({y for span in spans.values() if span for y in span})
        if not hidden[pos].any() or any(span is None for span in spans.values()) or len(years) <= max(map(len, spans.values())):
            continue  # single years, or one pooled period: nothing overlaps
        where = f"indicators table, overlapping periods of {key}"
        shown_keys = _cell_keys(group, [*dims, "period"], where)
        combos = list(dict.fromkeys(k[:-1] for k in shown_keys))
        single_keys = [(*combo, year) for combo in combos for year in years]
        all_dims = [*dims, "period"]
        margins = _indicator_margins(group, where)
        # a single year adds up like its periods, unless a period's figures leave a remainder
        # (deaths with no district): then that margin is left out for single years
        exact = {dim: not _slacks(counts[pos], _equations(shown_keys, all_dims, {dim: pairs})).any()
                 for dim, pairs in margins.items()}
        equations = _equations(shown_keys, all_dims, {d: m for d, m in margins.items() if not exact[d]})
        single = {d: m for d, m in margins.items() if exact[d]}
        single["period"] = [(p, list(span)) for p, span in spans.items()]
        equations += _equations([*shown_keys, *single_keys], all_dims, single)
        values = np.r_[counts[pos], _single_years(counts[pos], len(single_keys), equations, where)]
        primary = np.r_[hidden[pos], np.zeros(len(single_keys), dtype=bool)]
        latent = np.r_[np.zeros(len(pos), dtype=bool), np.ones(len(single_keys), dtype=bool)]
        none = np.zeros(len(single_keys), dtype=bool)
        more = _protect_cells(values, primary, equations, latent=latent, where=where,
                              keep=None if keep is None else np.r_[keep[pos], none],
                              cost=np.r_[whole_area_cost(group, margins["area_code"]), none])[: len(pos)]
        if more.any():
            logger.info("%s: %d more cell(s) hidden across overlapping periods", where, int(more.sum()))
        extra[pos] = more
    return extra


def _hide_same_quantities(
    frame: pd.DataFrame,
    counts: np.ndarray,
    dens: np.ndarray,
    hid_c: np.ndarray,
    hid_d: np.ndarray,
    sec_c: np.ndarray,
    sec_d: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Hide a figure wherever the same quantity is hidden in another indicator.

    Some indicators share a figure: the count of adults in treatment is also the numerator of the
    treatment rate, new presentations are the denominator of waiting times. Each indicator is
    protected as its own table, so one could show a cell the other hides to protect a small
    number, and a reader would carry it across. Columns (an indicator's counts or denominators)
    equal in every cell they share are taken as one quantity, and each cell hidden in one is
    hidden in all (hiding more never makes a cell easier to work out).
    """
    key_cols = [c for c in _CELL_KEY if c in frame.columns]
    keys = pd.MultiIndex.from_frame(frame[key_cols].astype(object).where(frame[key_cols].notna(), "")).to_numpy()
    series = []
    for column, values, hidden in (("count", counts, hid_c), ("denominator", dens, hid_d)):
        for indicator, pos in frame.groupby("indicator_id", sort=False).indices.items():
            ok = pos[~np.isnan(values[pos])]
            if len(ok):
                series.append((column, pd.Series(values[ok], index=keys[ok]), ok, hidden))
    sec_c, sec_d = sec_c.copy(), sec_d.copy()
    for (col_a, a, pos_a, hid_a), (col_b, b, pos_b, hid_b) in itertools.combinations(series, 2):
        shared = a.index.intersection(b.index)
        if len(shared) < 2 or not np.array_equal(a.loc[shared].to_numpy(), b.loc[shared].to_numpy()):
            continue
        where_a = pd.Series(pos_a, index=a.index).loc[shared].to_numpy()
        where_b = pd.Series(pos_b, index=b.index).loc[shared].to_numpy()
        either = hid_a[where_a] | hid_b[where_b]
        for col, where, hid in ((col_a, where_a, hid_a), (col_b, where_b, hid_b)):
            extra = where[either & ~hid[where]]
            (sec_c if col == "count" else sec_d)[extra] = True
            hid[extra] = True
    return sec_c, sec_d


def _finish_indicators(
    indicators: pd.DataFrame,
    rules: Mapping[str, Rule],
    counts: np.ndarray,
    dens: np.ndarray,
    has_den: bool,
    prim_c: np.ndarray,
    sec_c: np.ndarray,
    prim_d: np.ndarray,
    sec_d: np.ndarray,
) -> Protected:
    """Apply the masks: hidden counts, rounding, values, rate thresholds, notes and the record."""
    n = len(indicators)
    rates = _rate_thresholds()
    rule_names = indicators["disclosure_rule"].to_numpy()
    measures = indicators["measure"].to_numpy()
    hid_c = prim_c | sec_c
    hid_d = prim_d | sec_d
    shown_c = np.full(n, np.nan)
    shown_d = np.full(n, np.nan)
    for name, r in rules.items():
        m = rule_names == name
        shown_c[m] = r.rounded(counts[m])
        shown_d[m] = r.rounded(dens[m])
    shown_c[hid_c] = np.nan
    shown_d[hid_d] = np.nan
    round_by_row = np.array([rules[nm].round_to > 1 for nm in rule_names], dtype=bool)
    rounded_c = round_by_row & ~hid_c & (shown_c > 0)
    rounded_d = round_by_row & ~hid_d & (shown_d > 0) & (measures == "proportion")

    notes: list[list[str]] = [[] for _ in range(n)]
    drop_value = hid_c.copy()
    extra_records: list[dict[str, Any]] = []
    cells = _describe(indicators, [c for c in ("indicator_id", "period", "area_code", "sex", "age", "category_type", "category") if c in indicators.columns])
    rows = list(indicators.index)
    for i in range(n):
        r = rules[rule_names[i]]
        if hid_c[i]:
            notes[i].append(_hidden_note(r))
        if hid_d[i]:
            notes[i].append(_hidden_note(r, "Denominator"))
        measure = measures[i]
        if measure == "proportion" and hid_d[i]:
            drop_value[i] = True
        if hid_c[i] or np.isnan(counts[i]) or (measure == "proportion" and hid_d[i]):
            continue
        count = counts[i]
        floor = {"dsr": rates["dsr_min_count"], "crude_rate": rates["crude_min_count"]}.get(measure)
        if floor is not None and count < floor:
            drop_value[i] = True
            text = f"Rate not calculated: fewer than {floor} {r.noun}"
            notes[i].append(text)
            extra_records.append(_extra(rows[i], cells[i], r, "not_calculated", floor, measure, text))
        elif measure == "proportion" and not np.isnan(dens[i]) and dens[i] < rates["proportion_min_denominator"]:
            drop_value[i] = True
            text = f"Proportion not calculated: denominator fewer than {rates['proportion_min_denominator']}"
            notes[i].append(text)
            extra_records.append(_extra(rows[i], cells[i], r, "not_calculated", rates["proportion_min_denominator"], measure, text))
        elif measure in ("dsr", "crude_rate") and count < rates["unreliable_below"]:
            text = f"Value may be unreliable: fewer than {rates['unreliable_below']} {r.noun}"
            notes[i].append(text)
            extra_records.append(_extra(rows[i], cells[i], r, "unreliable", rates["unreliable_below"], measure, text))

    table = indicators.copy()
    table["count"] = shown_c
    table["count_display"] = pd.Series(_display(shown_c, hid_c), index=table.index, dtype=object)
    if has_den:
        is_prop = measures == "proportion"
        table["denominator"] = np.where(is_prop, shown_d, pd.to_numeric(indicators["denominator"], errors="coerce").to_numpy(dtype=float, na_value=np.nan))
        table["denominator_display"] = pd.Series(
            _display(table["denominator"].to_numpy(dtype=float), hid_d), index=table.index, dtype=object
        )
    for c in VALUE_COLUMNS:
        if c in table.columns:
            table[c] = table[c].astype(float).where(~drop_value, np.nan)
    if "value" in table.columns:
        is_count = measures == "count"
        table["value"] = np.where(is_count & ~drop_value, shown_c, table["value"].to_numpy(dtype=float))
    # No comparison, and no note about one, beside a value that is not shown: a reader must not read
    # "Worse than England" (or how it was compared) where the figure itself is hidden.
    for c in COMPARISON_COLUMNS:
        if c in table.columns:
            table[c] = table[c].astype(object).where(~drop_value, None)
    existing = table["value_note"] if "value_note" in table.columns else pd.Series([None] * n, index=table.index)
    existing = pd.Series([_without_comparison_notes(v) if drop else v for v, drop in zip(existing.tolist(), drop_value)],
                         index=table.index, dtype=object)
    table["value_note"] = pd.Series(fmt.join_notes(existing, notes), index=table.index, dtype=object)

    records: list[dict[str, Any]] = []
    for name, r in rules.items():
        m = rule_names == name
        for column, p, s, rd in (("count", prim_c, sec_c, rounded_c), ("denominator", prim_d, sec_d, rounded_d)):
            records.extend(_records(rows, cells, column, r, p & m, s & m, rd & m, None, "Count" if column == "count" else "Denominator"))
    pos_of = {row: i for i, row in enumerate(rows)}
    for rec in records:
        rec["measure"] = measures[pos_of[rec["row"]]]
    records.extend(extra_records)
    return Protected(table=table, record=_record_frame(records))


def _extra(row: Any, cell: str, r: Rule, action: str, threshold: int, measure: str, note: str) -> dict[str, Any]:
    return {"row": row, "cell": cell, "column": "value", "rule": r.name, "action": action,
            "threshold": threshold, "measure": measure, "note": note}


# --------------------------------------------------------------------------------------------
# Footnote, guard, narrative
# --------------------------------------------------------------------------------------------


def _range_text(upper: int) -> str:
    if upper <= 1:
        return "1"
    if upper == 2:
        return "1 or 2"
    return f"1 to {upper}"


def footnote(record: pd.DataFrame) -> str:
    """Plain-English footnote for a table from its disclosure record ("" when nothing was done)."""
    if record is None or len(record) == 0:
        return ""
    sentences: list[str] = []
    names = [n for n in _RULE_ORDER if n in set(record["rule"])] + sorted(set(record["rule"]) - set(_RULE_ORDER))
    denominators = False
    for name in names:
        r = rule(name)
        rec = record[record["rule"] == name]
        primary = int((rec["action"] == "primary").sum())
        secondary = int((rec["action"] == "secondary").sum())
        rounded = bool((rec["action"] == "rounded").any())
        hidden = rec["action"].isin(["primary", "secondary"])
        denominators = denominators or bool(((rec["column"] == "denominator") & hidden).any())
        if primary or secondary:
            # the same words whatever the mix, so the footnote does not say how many cells are small
            sentences.append(
                f"* Not shown to protect privacy: counts of {_range_text(r.suppress_below - 1)} {r.noun} ({r.label} rule), "
                "and other counts where needed so that none can be worked out from totals or other figures."
            )
        if r.round_to > 1 and (rounded or primary or secondary):
            lead = "Other counts" if (primary or secondary) else "Counts"
            sentences.append(
                f"{lead} are rounded to the nearest {r.round_to} ({r.label} rule), so figures may not add up to the totals shown."
            )
    if denominators:
        sentences.append("Proportions are not shown where their count or denominator is not shown.")
    for action in ("not_calculated", "unreliable"):
        rec = record[record["action"] == action]
        seen: list[str] = []
        for measure, threshold, name in rec[["measure", "threshold", "rule"]].drop_duplicates().itertuples(index=False):
            noun = rule(name).noun
            if action == "unreliable":
                text = f"Values based on fewer than {threshold} {noun} may be unreliable."
            elif measure == "proportion":
                text = f"Proportions are not calculated where the denominator is fewer than {threshold}."
            else:
                kind = "Directly standardised rates" if measure == "dsr" else "Crude rates"
                text = f"{kind} are not calculated from fewer than {threshold} {noun}."
            if text not in seen:
                seen.append(text)
        sentences.extend(seen)
    return " ".join(sentences)


def assert_protected(
    frame: pd.DataFrame,
    rule_name: str | None = None,
    *,
    count_cols: Sequence[str] = ("count",),
    rule_col: str = "disclosure_rule",
) -> pd.DataFrame:
    """Last check before a frame is shown: no count the rules suppress, no value beside a hidden count.

    Returns the frame unchanged so it chains with ``.pipe``. The rule is ``rule_name`` for every row,
    or each row's ``rule_col``.

    Raises:
        DisclosureError: naming the column and rows (never the values) that would disclose.
    """
    if rule_name is None and rule_col not in frame.columns:
        raise DisclosureError(
            f"Cannot check disclosure: no rule given and no {rule_col!r} column in the table."
        )
    names = np.full(len(frame), rule_name, dtype=object) if rule_name is not None else frame[rule_col].to_numpy()
    rules = {nm: rule(nm) for nm in pd.unique(names)}
    for col in count_cols:
        values = _numeric(frame, col, "table about to be shown")
        bad = np.zeros(len(frame), dtype=bool)
        for nm, r in rules.items():
            m = names == nm
            v = values[m]
            wrong = r.is_primary(v)
            if r.round_to > 1:
                with np.errstate(invalid="ignore"):
                    wrong = wrong | (~np.isnan(v) & (np.abs(v / r.round_to - np.round(v / r.round_to)) > 1e-9))
            bad[m] = wrong
        if bad.any():
            rows = ", ".join(str(x) for x in frame.index[bad][:10])
            labels = ", ".join(sorted(r.label for r in rules.values()))
            raise DisclosureError(
                f"{int(bad.sum())} row(s) would show a count that the {labels} rule suppresses or rounds "
                f"(column {col!r}, rows {rows}). Pass the table through suna.disclosure.protect_table or "
                "protect_indicators before showing it."
            )
        display = f"{col}_display"
        if display in frame.columns:
            hidden = (frame[display] == SUPPRESSED).to_numpy()
            for vc in VALUE_COLUMNS:
                if vc in frame.columns:
                    leak = hidden & frame[vc].notna().to_numpy()
                    if leak.any():
                        rows = ", ".join(str(x) for x in frame.index[leak][:10])
                        raise DisclosureError(
                            f"Column {vc!r} shows a value where the {col} is suppressed (rows {rows}); "
                            "the value would reveal the count."
                        )
    return frame


def safe_count_text(count: float | int | None, rule_name: str) -> str:
    """A count as it may appear in a sentence: "a suppressed number", "about 25" (HES), "1,234".

    A small count reads the same as one hidden to protect it (never "fewer than 5"), for the
    reason the table notes do not tell them apart.
    """
    r = rule(rule_name)
    if count is None or (isinstance(count, float) and math.isnan(count)) or pd.isna(count):
        return "a suppressed number"
    value = float(count)
    if value < 0:
        raise DisclosureError(f"A count of {value:g} cannot be shown: counts are 0 or more.")
    if r.is_primary(np.array([value]))[0]:
        return "a suppressed number"
    if r.round_to > 1 and value > 0:
        return f"about {int(r.rounded(np.array([value]))[0]):,}"
    return f"{int(value):,}" if value.is_integer() else f"{value:,.1f}"
