"""An attacker for SUNA's disclosure control: try to recover every hidden cell of a published table.

Written apart from ``suna.disclosure`` on purpose (it shares no code with the engine), so that a
mistake in the engine is not repeated here. Tests import it: ``from attack import attack_table``.

What the reader is assumed to know (the strongest reasonable reader, not a typical one):

* every figure shown, and the published rules (``data/reference/disclosure_rules.yaml``);
* how the table adds up: each declared margin is the sum of its children (district -> area,
  sex -> Persons, category -> total). Where the true figures have an unpublished remainder (people
  with no district), the reader knows only that the margin is at least the sum, and that no child
  exceeds its margin;
* zeros are shown, so a hidden count is 1 or more (the engine hides a zero only as a last resort;
  where it did, the attacker drops that assumption for the cell: the strongest reader whose
  knowledge is true);
* why each cell is hidden, if its note says so: a cell hidden by the rule ("suppressed: fewer
  than N") lies in ``1 .. N-1``; a cell hidden "to protect another cell" was showable, so it is
  ``N`` or more. SUNA's notes do not say (the same note for both), but the attacker reads them
  if a table ever does;
* a rounded HES count ``s`` lies in ``s-2 .. s+2`` (nearest 5) and is not below the threshold;
  with ``rounding_exact=True`` the reader knows the unrounded figure (the conservative attack:
  rates and denominators can give it back);
* a note "fewer than N" on a shown count ("Rate not calculated", "may be unreliable") caps it at
  ``N - 1``.

Criterion. A hidden cell is *recoverable* if either

1. **exactly determined**: the linear relations alone fix it (its unit vector lies in the row space
   of the relations restricted to the unknowns, Cox 1980), or
2. **narrowed**: the smallest and largest values it can take, by linear programming
   (``scipy.optimize.linprog``: relations, bounds above, whole numbers not enforced), are less than
   1 apart, so at most one whole number fits.

An interval of width 1 or more leaves the reader at least two candidate counts, which is the
protection the issue asks for ("none may be recoverable").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from suna.core import reference

_EPS = 1e-6
_BIG = 1e9
_HIDDEN = "*"
_FEWER = re.compile(r"fewer than (\d+)")


@dataclass(frozen=True)
class Relation:
    """``cells[total] = sum(cells[children])``; when not exact, ``>=`` with an unpublished remainder."""

    total: int
    children: tuple[int, ...]
    exact: bool = True
    overlapping: bool = False  # children add to more than the total (a person in two categories)


@dataclass(frozen=True)
class Recovery:
    """A hidden cell the attacker pinned down."""

    cell: int
    label: str
    lower: float
    upper: float
    how: str  # "exactly determined" | "narrowed to under 1" | "value shown"

    def __str__(self) -> str:
        return f"{self.label}: {self.how} (feasible {self.lower:g} .. {self.upper:g})"


# ------------------------------------------------------------------------------------------------
# The reader's knowledge
# ------------------------------------------------------------------------------------------------


def thresholds(rule_name: str) -> tuple[int, int]:
    """(suppress_below, round_to) of a published rule."""
    spec = reference.disclosure_rules()[rule_name]
    return int(spec["suppress_below"]), int(spec.get("round_to", 1))


def reader_bounds(
    shown: np.ndarray,
    hidden: np.ndarray,
    notes: Sequence[Any],
    rule_name: str,
    *,
    rounding_exact: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds a reader can put on every cell of one table."""
    below, round_to = thresholds(rule_name)
    n = len(shown)
    lo = np.zeros(n)
    hi = np.full(n, _BIG)
    for i in range(n):
        note = "" if notes[i] is None or (isinstance(notes[i], float) and np.isnan(notes[i])) else str(notes[i])
        if hidden[i]:
            if "protect another cell" in note:
                lo[i] = below
            elif "suppressed: fewer than" in note.lower():
                lo[i], hi[i] = 1, below - 1
            else:  # zeros are shown, so a hidden count is 1 or more (unless a zero had to be hidden)
                lo[i] = 1
            continue
        s = shown[i]
        if np.isnan(s):
            continue  # missing in the input: unknown to everyone
        if round_to > 1 and s > 0 and not rounding_exact:
            half = (round_to - 1) // 2
            lo[i], hi[i] = max(below, s - half), s + half
        else:
            lo[i] = hi[i] = s
        caps = [int(m) - 1 for m in _FEWER.findall(note)]
        if caps:
            hi[i] = min(hi[i], min(caps))
    return lo, hi


# ------------------------------------------------------------------------------------------------
# How a table adds up
# ------------------------------------------------------------------------------------------------


def _pairs(frame: pd.DataFrame, dim: str, spec: Any) -> list[tuple[Any, list[Any]]]:
    if isinstance(spec, str):
        return [(spec, [v for v in frame[dim].dropna().unique() if v != spec])]
    if isinstance(spec, Mapping):
        return [(t, list(kids)) for t, kids in spec.items()]
    return [(t, list(kids)) for t, kids in spec]


def relations(
    frame: pd.DataFrame, values: np.ndarray, dims: Sequence[str], margins: Mapping[str, Any]
) -> list[Relation]:
    """Every margin = sum-of-children relation among the rows of ``frame`` (positions 0..n-1).

    ``values`` are the true counts: they tell whether a relation holds exactly or leaves an
    unpublished remainder (the reader is granted that knowledge).
    """
    frame = frame.reset_index(drop=True)
    out: list[Relation] = []
    for dim, spec in margins.items():
        others = [d for d in dims if d != dim]
        grouped = frame.groupby(others, dropna=False, sort=False) if others else [((), frame)]
        for _, block in grouped:
            where = dict(zip(block[dim], block.index))
            for total, kids in _pairs(frame, dim, spec):
                if total not in where:
                    continue
                children = tuple(where[k] for k in kids if k in where and k != total)
                if not children:
                    continue
                t = where[total]
                remainder = values[t] - values[list(children)].sum()
                exact = bool(np.isnan(remainder) or abs(remainder) < _EPS)
                out.append(Relation(t, children, exact, overlapping=bool(remainder < -_EPS)))
    return out


# ------------------------------------------------------------------------------------------------
# The two attacks
# ------------------------------------------------------------------------------------------------


def _components(n: int, rels: Sequence[Relation], unknown: np.ndarray) -> list[np.ndarray]:
    """Groups of unknown cells linked through relations (solved apart: small problems)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    a, b = [], []
    for rel in rels:
        cells = [c for c in (rel.total, *rel.children) if unknown[c]]
        a += cells[:-1]
        b += cells[1:]
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    return [np.flatnonzero(unknown & (label == k)) for k in np.unique(label[unknown])]


def exactly_determined(n: int, rels: Sequence[Relation], unknown: np.ndarray) -> list[int]:
    """Unknown cells fixed by the relations alone (each inexact relation gets its own remainder)."""
    found: list[int] = []
    for cols in _components(n, rels, unknown):
        col_of = {int(c): k for k, c in enumerate(cols)}
        mine = [r for r in rels if any(c in col_of for c in (r.total, *r.children))]
        remainder_of = {i: len(cols) + j for j, i in enumerate(i for i, r in enumerate(mine) if not r.exact)}
        a = np.zeros((len(mine), len(cols) + len(remainder_of)))
        for i, rel in enumerate(mine):
            for c, sign in [(rel.total, 1.0)] + [(k, -1.0) for k in rel.children]:
                if c in col_of:
                    a[i, col_of[c]] += sign
            if i in remainder_of:
                a[i, remainder_of[i]] = -1.0
        if not len(mine):
            continue
        # e_k lies in the row space iff the orthogonal projector onto it, pinv(A) @ A, keeps e_k
        projector = np.linalg.pinv(a) @ a
        found += [int(c) for k, c in enumerate(cols) if abs(projector[k, k] - 1.0) < 1e-8]
    return sorted(found)


def _lp(lo: np.ndarray, hi: np.ndarray, rels: Sequence[Relation]) -> tuple[Any, Any, list[tuple[Any, Any]]]:
    """Equalities, inequalities (``A_ub @ x <= 0``) and bounds of the reader's problem."""
    from scipy.sparse import csr_matrix

    n = len(lo)
    eq_rows, ub_rows = [], []
    for rel in rels:
        row = np.zeros(n)
        row[rel.total] += 1.0
        for k in rel.children:
            row[k] -= 1.0
        if rel.exact:
            eq_rows.append(row)
        else:
            if not rel.overlapping:
                ub_rows.append(-row)  # sum(children) - total <= 0
            for k in rel.children:  # no child exceeds its margin
                one = np.zeros(n)
                one[k], one[rel.total] = 1.0, -1.0
                ub_rows.append(one)
    bounds = [(float(a), None if b >= _BIG else float(b)) for a, b in zip(lo, hi)]
    a_eq = csr_matrix(np.vstack(eq_rows)) if eq_rows else csr_matrix((0, n))
    a_ub = csr_matrix(np.vstack(ub_rows)) if ub_rows else csr_matrix((0, n))
    return a_eq, a_ub, bounds


def feasible_ranges(
    lo: np.ndarray, hi: np.ndarray, rels: Sequence[Relation], cells: Sequence[int], truth: np.ndarray
) -> dict[int, tuple[float, float]]:
    """Smallest and largest value of each cell that might be pinned down.

    Two copies of the table, x and y, both consistent with what the reader knows: a cell is safe
    if x and y can differ in it by 1 or more. One LP tries that for every cell at once (each
    difference capped at 1, so one cell's wide range cannot mask another's); the cells left get
    their own min and max. ``truth`` must be feasible (checked: otherwise the attacker is wrong).
    """
    from scipy.sparse import block_diag, csr_matrix, vstack

    a_eq, a_ub, bounds = _lp(lo, hi, rels)
    x = np.nan_to_num(truth, nan=0.0)
    ok = np.all(np.abs(a_eq @ x) < 1e-6) and np.all(a_ub @ x < 1e-6)
    ok = ok and all((a is None or v >= a - 1e-9) and (b is None or v <= b + 1e-9) for v, (a, b) in zip(x, bounds) if not np.isnan(v))
    if not ok and not np.isnan(truth).any():
        raise AssertionError("the true figures break the reader's knowledge: attacker bug")
    cells = list(cells)
    n = len(lo)
    if not cells:
        return {}
    k = len(cells)
    gap = csr_matrix((np.r_[np.ones(k), -np.ones(k)], (np.r_[np.arange(k), np.arange(k)], np.r_[cells, np.add(cells, n)])), shape=(k, 2 * n))
    doubled = {
        "A_eq": block_diag([a_eq, a_eq]) if a_eq.shape[0] else None,
        "b_eq": np.zeros(2 * a_eq.shape[0]) if a_eq.shape[0] else None,
        "A_ub": vstack([block_diag([a_ub, a_ub]), gap]) if a_ub.shape[0] else gap,
        "b_ub": np.r_[np.zeros(2 * a_ub.shape[0]), np.ones(k)],
        "bounds": bounds * 2,
        "method": "highs",
    }
    c = np.zeros(2 * n)
    c[cells] = -1.0
    c[np.add(cells, n)] = 1.0
    res = linprog(c, **doubled)
    # every solution is a figure set the reader cannot rule out: a cell seen at two values 1 apart
    # is safe without an LP of its own
    low, high = truth.astype(float).copy(), truth.astype(float).copy()
    if res.status == 0:
        low, high = np.fmin(low, np.fmin(res.x[:n], res.x[n:])), np.fmax(high, np.fmax(res.x[:n], res.x[n:]))
    reader: _Reader | None = None
    out: dict[int, tuple[float, float]] = {}
    for cell in cells:
        ends = []
        for sign in (1.0, -1.0):
            if high[cell] - low[cell] >= 1 - _EPS:
                break
            reader = reader or _Reader(a_eq, a_ub, bounds)
            x = reader.solve(cell, sign)
            if x is not None:
                low, high = np.fmin(low, x), np.fmax(high, x)
            ends.append(x[cell] if x is not None else -sign * np.inf)
        if len(ends) == 2:
            out[int(cell)] = (float(ends[0]), float(ends[1]))
    return out


class _Reader:
    """The reader's problem as one HiGHS model, re-solved from the last basis for each cell's objective.

    Only the objective changes from one cell to the next, so the model is built once (building each
    LP afresh took most of the attack's time on the areas with many hidden cells); the answers are
    those of the separate LPs.
    """

    def __init__(self, a_eq: Any, a_ub: Any, bounds: Sequence[tuple[Any, Any]]) -> None:
        import highspy
        from scipy.sparse import csc_matrix, vstack

        inf = highspy.kHighsInf
        n = a_eq.shape[1]
        matrix = csc_matrix(vstack([a_eq, a_ub]))
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, matrix.shape[0]
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.array([-inf if a is None else float(a) for a, _ in bounds])
        lp.col_upper_ = np.array([inf if b is None else float(b) for _, b in bounds])
        lp.row_lower_ = np.r_[np.zeros(a_eq.shape[0]), np.full(a_ub.shape[0], -inf)]
        lp.row_upper_ = np.zeros(matrix.shape[0])
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data
        self._highs = highspy.Highs()
        self._highs.setOptionValue("output_flag", False)
        self._highs.setOptionValue("presolve", "off")  # keep the basis from one objective to the next
        self._highs.passModel(lp)
        self._optimal = highspy.HighsModelStatus.kOptimal
        self._costed: int | None = None

    def solve(self, cell: int, sign: float) -> np.ndarray | None:
        """The figures minimising ``sign * x[cell]``, or None when that side is unbounded."""
        if self._costed is not None:
            self._highs.changeColCost(self._costed, 0.0)
        self._highs.changeColCost(cell, sign)
        self._costed = cell
        self._highs.run()
        if self._highs.getModelStatus() != self._optimal:
            return None
        return np.asarray(self._highs.getSolution().col_value)


def attack(
    values: np.ndarray,
    hidden: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    rels: Sequence[Relation],
    labels: Sequence[str],
) -> list[Recovery]:
    """Every hidden cell that is exactly determined, or narrowed to an interval under 1 wide."""
    cells = [int(c) for c in np.flatnonzero(hidden)]
    if not cells:
        return []
    found: dict[int, Recovery] = {}
    # a reader's assumption that fails for this table (a hidden zero) is dropped for that cell:
    # the strongest reader whose knowledge is true
    known_lo = np.where(hidden & ~np.isnan(values), np.fmin(lo, values), lo)
    ranges = feasible_ranges(known_lo, hi, rels, cells, values)
    narrowed = {}
    for c, (a, b) in ranges.items():
        if not a <= values[c] + _EPS or not values[c] <= b + _EPS:
            raise AssertionError(f"{labels[c]}: true value {values[c]} outside feasible {a}..{b}: attacker bug")
        if b - a < 1 - _EPS:
            narrowed[c] = (a, b)
    if narrowed:
        # A cell the relations alone fix is also pinned by the LPs, so the (costly) exact test is needed
        # only to say how a pinned cell was found. Unknowns: hidden and missing cells, and shown ones the
        # reader knows only as an interval.
        exact = set(exactly_determined(len(values), rels, hidden | np.isnan(values) | (lo < hi)))
        for c in cells:
            if c in exact:
                found[c] = Recovery(c, labels[c], values[c], values[c], "exactly determined")
        for c, (a, b) in narrowed.items():
            if c not in found:
                found[c] = Recovery(c, labels[c], a, b, "narrowed to under 1")
    return sorted(found.values(), key=lambda r: r.cell)


# ------------------------------------------------------------------------------------------------
# Entry points for tests
# ------------------------------------------------------------------------------------------------


def _labels(frame: pd.DataFrame, dims: Sequence[str]) -> list[str]:
    return [", ".join(f"{d}={v}" for d, v in zip(dims, row)) for row in frame[list(dims)].itertuples(index=False)]


def attack_published(
    truth: pd.DataFrame,
    published: pd.DataFrame,
    count_col: str,
    rule_name: str,
    dims: Sequence[str],
    margins: Mapping[str, Any],
    *,
    note_col: str = "value_note",
    rounding_exact: bool = True,
) -> list[Recovery]:
    """Attack one published table (rows aligned with ``truth``) whose cells add up as declared."""
    truth = truth.reset_index(drop=True)
    published = published.reset_index(drop=True)
    values = pd.to_numeric(truth[count_col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    display = published.get(f"{count_col}_display")
    hidden = (display == _HIDDEN).to_numpy() if display is not None else published[count_col].isna().to_numpy() & ~np.isnan(values)
    shown = pd.to_numeric(published[count_col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if rounding_exact:  # the reader has the unrounded figures of the shown cells (from rates)
        shown = np.where(np.isnan(shown), shown, values)
    notes = published[note_col].tolist() if note_col in published.columns else [None] * len(published)
    rels = relations(truth, values, dims, margins)
    lo, hi = reader_bounds(shown, hidden, notes, rule_name, rounding_exact=rounding_exact)
    leaks = _values_beside_hidden(published, hidden)
    return leaks + attack(values, hidden, lo, hi, rels, _labels(truth, dims))


def attack_table(truth: pd.DataFrame, protected: Any, **options: Any) -> list[Recovery]:
    """Attack a ``suna.disclosure.Protected`` from ``protect_table``, using the relations it declares."""
    return attack_published(
        truth,
        protected.table,
        protected.count_col,
        protected.rule,
        list(protected.dims),
        dict(protected.margins or {}),
        **options,
    )


_VALUES = ("value", "value_lower_ci95", "value_upper_ci95", "value_lower_ci998", "value_upper_ci998")


def _values_beside_hidden(published: pd.DataFrame, hidden: np.ndarray) -> list[Recovery]:
    """A rate or CI shown next to a hidden count gives the count back (with the denominator)."""
    out = []
    for col in _VALUES:
        if col in published.columns:
            for i in np.flatnonzero(hidden & published[col].notna().to_numpy()):
                out.append(Recovery(int(i), f"row {i}", np.nan, np.nan, f"value shown ({col})"))
    return out


INDICATOR_DIMS = ("area_code", "sex", "_category")


def _indicator_margins(group: pd.DataFrame) -> dict[str, Any]:
    """Area tree from parent_code, Persons over the sexes, the total row over each category type."""
    present = set(group["area_code"])
    tree: dict[Any, list[Any]] = {}
    for area, parent in group[["area_code", "parent_code"]].drop_duplicates().itertuples(index=False):
        if parent in present and parent != area:
            tree.setdefault(parent, []).append(area)
    margins: dict[str, Any] = {"area_code": tree}
    if "Persons" in set(group["sex"]):
        margins["sex"] = "Persons"
    types: dict[Any, list[Any]] = {}
    for cat in group["_category"].unique():
        if cat != "":
            types.setdefault(cat.split("|", 1)[0], []).append(cat)
    margins["_category"] = [("", kids) for kids in types.values()]
    return margins


def attack_indicators(raw: pd.DataFrame, table: pd.DataFrame, *, rounding_exact: bool = True) -> list[Recovery]:
    """Attack a protected indicators table: each indicator x period x age is one linked table.

    Every district row and the whole-area row are attacked together (switching the app between
    district and whole-area views shows both), with sex and category margins. Counts and, for
    proportions, denominators.
    """
    if not raw.index.equals(table.index):
        raise AssertionError("protected table rows do not line up with the raw indicators")
    cat_key = [
        "" if pd.isna(t) or t == "" else f"{t}|{c}" for t, c in zip(raw["category_type"].tolist(), raw["category"].tolist())
    ]
    base = raw.assign(_category=cat_key).reset_index(drop=True)
    shown_all = table.reset_index(drop=True)
    found: list[Recovery] = []
    groups = ["indicator_id", "period"] + (["age"] if "age" in raw.columns else [])
    for key, group in base.groupby(groups, dropna=False, sort=False):
        rule_name = str(group["disclosure_rule"].iloc[0])
        pub = shown_all.loc[group.index]
        margins = _indicator_margins(group)
        columns = ["count"] + (["denominator"] if group["measure"].iloc[0] == "proportion" else [])
        for col in columns:
            if f"{col}_display" not in pub.columns:
                continue
            note_col = "value_note"
            notes = pub[note_col] if col == "count" else pub[note_col].map(_denominator_note)
            pub_col = pub.assign(**{note_col: notes if col == "denominator" else _count_note(pub[note_col])})
            for rec in attack_published(
                group, pub_col, col, rule_name, list(INDICATOR_DIMS), margins, rounding_exact=rounding_exact
            ):
                where = ", ".join(f"{g}={v}" for g, v in zip(groups, key))
                found.append(Recovery(rec.cell, f"{col} [{where}] {rec.label}", rec.lower, rec.upper, rec.how))
    return found


def _count_note(notes: pd.Series) -> pd.Series:
    """Notes about the count only (drop the denominator's, which mention other thresholds)."""
    def keep(note: Any) -> Any:
        if not isinstance(note, str):
            return note
        return "; ".join(p for p in note.split("; ") if not p.startswith("Denominator") and not p.startswith("Proportion"))

    return notes.map(keep)


def _denominator_note(note: Any) -> Any:
    if not isinstance(note, str):
        return note
    parts = [p for p in note.split("; ") if p.startswith(("Denominator", "Proportion not calculated"))]
    return "; ".join(p.replace("Denominator suppressed to protect", "protect") for p in parts)


# ------------------------------------------------------------------------------------------------
# A view's substance-group filter, read together
# ------------------------------------------------------------------------------------------------


def attack_versions(
    versions: Sequence[tuple[pd.DataFrame, pd.DataFrame]],
    rule_name: str,
    dims: Sequence[str],
    margins: Mapping[str, Any],
) -> list[Recovery]:
    """Attack several published versions of one table (what an app's filter shows) as one table.

    ``versions`` are (truth, published) pairs with the ``dims`` columns. A reader who switches the
    filter knows every cell any version shows, and how all the cells add up.
    """
    truth = pd.concat([t for t, _ in versions], ignore_index=True)
    published = pd.concat([p for _, p in versions], ignore_index=True)
    shown_first = published.assign(_hidden=published["count_display"] == _HIDDEN).sort_values("_hidden", kind="stable")
    keep = shown_first.drop_duplicates(list(dims)).index  # a cell shown in any version is known
    return attack_published(truth.loc[keep], published.loc[keep], "count", rule_name, dims, margins)


def view_group_recoveries(view_fn: Any, data: Any, groups: Sequence[str], **choice: Any) -> list[Recovery]:
    """Hidden cells of a view that its substance-group filter gives away.

    The view is called for all groups and for each group, and every table it protects (through
    ``suna.disclosure.counts.protect_counts``, the cohorts built afresh, not read from memory or disk) is recorded. The n-th table of each call is one version:
    the chosen group's rows (all of it when counted from that group's records alone), with every
    district and the whole area (the district filter shows them all). The versions are attacked as
    one table, with the ``All`` group as the sum of the groups besides the table's own margins.
    """
    import inspect
    from unittest import mock

    from suna.disclosure import counts as disclosure_counts
    from suna.pipeline import cohorts

    real = disclosure_counts.protect_counts
    signature = inspect.signature(real)
    tables: dict[int, list[tuple[str, Any, Any]]] = {}
    for group in [None, *groups]:
        calls: list[tuple[Any, Any]] = []

        def spy(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            protected = real(*args, **kwargs)
            calls.append((bound.arguments, protected))
            return protected

        built_afresh = mock.patch.object(cohorts, "_saved_or_built", lambda build, data, period: build(data, period))
        with mock.patch.object(disclosure_counts, "protect_counts", spy), mock.patch.object(cohorts, "_BUILT", {}), built_afresh:
            view_fn(data, substance_group=group, **choice)
        for n, (arguments, protected) in enumerate(calls):
            tables.setdefault(n, []).append((group or disclosure_counts.ALL, arguments, protected))
    if not tables:
        raise AssertionError("the view protected no table: nothing to attack")
    found: list[Recovery] = []
    for versions in tables.values():
        arguments = versions[0][1]
        area = arguments["area"]
        dims = ["area_code", "substance_group", *[d for d in arguments["dims"] if d != "substance_group"]]
        margins = {"area_code": {area.code: list(area.district_codes)}, "substance_group": disclosure_counts.ALL,
                   **{t: disclosure_counts.ALL for t in arguments["totals"]}, **dict(arguments["margins"] or {})}
        pairs = []
        for group, args, protected in versions:
            counts, table = args["counts"], protected.table
            if "substance_group" in counts.columns:
                chosen = counts["substance_group"] == group
                counts, table = counts[chosen], table.loc[counts.index[chosen]]
            pairs.append((counts.assign(substance_group=group), table.assign(substance_group=group)))
        found += attack_versions(pairs, arguments["rule_name"], dims, margins)
    return found


def _period_years(period: str) -> tuple[int, ...] | None:
    """Years of a pooled period "2019 - 21" or "2021/22 - 23/24" (written apart from the engine's)."""
    found = re.match(r"^(\d{4})(?:/\d{2})? - (\d{2})", str(period))
    if not found:
        return None
    start = int(found.group(1))
    end = (start // 100) * 100 + int(found.group(2))
    return tuple(range(start, (end if end >= start else end + 100) + 1))


def attack_pooled_periods(raw: pd.DataFrame, table: pd.DataFrame, area: Any, *,
                          rounding_exact: bool = True) -> list[Recovery]:
    """Attack every period of a pooled indicator at once: each period is the sum of its single years.

    Rolling periods (2019-21, 2020-22, ...) share years, so the reader adds one unknown per single
    year (area or district, sex) and knows each shown period is the sum of its three; a single year
    of the area is at least the sum of its districts' (people with no district), and Persons is
    Male plus Female. Counts of the area and its districts, no category breakdowns.
    """
    codes = [area.code, *area.district_codes]
    keep = raw["area_code"].isin(codes) & raw["category_type"].isna()
    found: list[Recovery] = []
    for indicator, rows in raw[keep].groupby("indicator_id", sort=False):
        years_of = {p: _period_years(p) for p in rows["period"].unique()}
        if len(years_of) < 2 or any(v is None for v in years_of.values()):
            continue
        r = rows.reset_index(drop=True)
        t = table.loc[rows.index].reset_index(drop=True)
        rule_name = str(r["disclosure_rule"].iloc[0])
        hidden = (t["count_display"].astype(str) == _HIDDEN).to_numpy()
        shown = pd.to_numeric(t["count"], errors="coerce").to_numpy(float)
        if rounding_exact:  # the reader has the unrounded figures of the shown cells (from rates)
            shown = np.where(np.isnan(shown), shown, r["count"].to_numpy(float))
        lo, hi = reader_bounds(shown, hidden, list(_count_note(t["value_note"])), rule_name, rounding_exact=rounding_exact)
        years = sorted({y for span in years_of.values() for y in span})
        pairs = list(dict.fromkeys(zip(r["area_code"], r["sex"])))
        single = {(a, s, y): len(r) + i for i, (a, s, y) in enumerate((a, s, y) for a, s in pairs for y in years)}
        n = len(r) + len(single)
        rels = [Relation(i, tuple(single[(a, s, y)] for y in years_of[p]))
                for i, (a, s, p) in enumerate(zip(r["area_code"], r["sex"], r["period"]))]
        for (a, s, y), cell in single.items():
            if a == area.code:
                kids = tuple(single[(d, s, y)] for d in area.district_codes if (d, s, y) in single)
                if kids:
                    rels.append(Relation(cell, kids, exact=False))
            if s == "Persons" and (a, "Male", y) in single and (a, "Female", y) in single:
                rels.append(Relation(cell, (single[(a, "Male", y)], single[(a, "Female", y)])))
        labels = [f"{indicator} {a} {s} {p}" for a, s, p in zip(r["area_code"], r["sex"], r["period"])]
        labels += [f"{indicator} {a} {s} {y} (single year)" for a, s, y in single]
        values = np.r_[r["count"].to_numpy(float), np.full(len(single), np.nan)]
        found += attack(values, np.r_[hidden, np.zeros(len(single), dtype=bool)],
                        np.r_[lo, np.zeros(len(single))], np.r_[hi, np.full(len(single), _BIG)], rels, labels)
    return found


def reader_interval(values: np.ndarray, hidden: np.ndarray, equations: Sequence[tuple[int, Sequence[int]]],
                    cell: int) -> tuple[float, float]:
    """A reader's smallest and largest value of one cell of a table given as ``suna.disclosure.secondary``
    equations (scipy's LP, independent of the engine's HiGHS models): shown cells at their value, a
    hidden count at least 1 (at least 0 for a hidden zero)."""
    n = len(values)
    a_eq = np.zeros((len(equations), n))
    for r, (m, kids) in enumerate(equations):
        a_eq[r, m] = 1.0
        a_eq[r, list(kids)] = -1.0
    bounds = [(min(1.0, v), None) if h else (v, v) for v, h in zip(values, hidden)]
    ends = []
    for sign in (1.0, -1.0):
        cost = np.zeros(n)
        cost[cell] = sign
        res = linprog(cost, A_eq=a_eq, b_eq=np.zeros(len(equations)), bounds=bounds, method="highs")
        ends.append(res.x[cell] if res.status == 0 else -sign * np.inf)
    return ends[0], ends[1]
