"""The indicators table through disclosure control (``protect_indicators``): each indicator's counts and
denominators by area, period, sex and category, overlapping pooled periods and the same figure
wherever it appears protected together, values hidden beside a hidden count."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from suna import indicators
from suna.core.errors import DisclosureError
from suna.disclosure import secondary
from suna.disclosure.cells import _cell_keys, _equations, _key_list, _protect_cells, whole_area_cost
from suna.disclosure.rules import (_TOTAL_CATEGORY, COMPARISON_COLUMNS, MEASURES, VALUE_COLUMNS, Protected, Rule,
                                   _rate_thresholds, _without_comparison_notes, rule)
from suna.disclosure.secondary import Equation
from suna.disclosure.secondary import slacks as _slacks
from suna.disclosure.tables import _describe, _display, _hidden_note, _numeric, _record_frame, _records
from suna.model import formatting as fmt
from suna.model.periods import pooled_span

logger = logging.getLogger(__name__)


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
    figures, cells of ``suna.pipeline.cohorts``' tables: ``suna.pipeline.indicator_cells.decisions``), as
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
