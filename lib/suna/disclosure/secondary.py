"""Secondary suppression: the cells to hide so that no hidden count can be worked out.

A reader of a protected table knows every shown figure, how the table adds up (each margin is the
sum of its children), that a hidden count is at least 1 (zeros are shown) and that an unpublished
remainder (people with no known district) is not negative. So for each hidden cell they can find
the smallest and largest value consistent with all of that, by linear programming. The cell is
safe when that interval is at least 1 wide (whole numbers are not enforced: an interval under 1
wide already gives the count away); while any is narrower, one more cell of a relation it is in is
hidden. This is the audit of Hundepool et al. 2012, "Statistical Disclosure Control", ch. 4, as
tau-argus runs it.

Why it is fast enough for a metropolitan borough's MSOAs crossed with sex and category:

* The table is one LP model built once; hiding a cell only widens that cell's bounds, so the solver
  restarts from its last basis (HiGHS hot start) and each audit costs a few pivots.
* Hiding more never narrows an interval. Every solution is a figure set a reader cannot rule out,
  so each cell's lowest and highest value seen so far is a lower bound on its interval, and a cell
  once seen to move by 1 is safe for good: most cells are cleared by other cells' solutions
  without an LP of their own.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

Equation = tuple[int, tuple[int, ...]]  # (position of the margin cell, positions of its children)

_WIDE_ENOUGH = 1.0 - 1e-7  # an interval this wide is 1 up to the solver's tolerance


class UnprotectableError(ValueError):
    """Every figure around a hidden cell is hidden, yet the cell can still be worked out."""


def slacks(values: np.ndarray, equations: Sequence[Equation]) -> np.ndarray:
    """True for relations whose children do not add up to the margin (an unpublished remainder)."""
    slack = np.zeros(len(equations), dtype=bool)
    short = 0
    for e, (m, kids) in enumerate(equations):
        cells = values[[m, *kids]]
        if np.isnan(cells).any():
            # a missing count is already an unknown; assume no extra remainder, unless the children
            # shown already add to more than the total
            if not np.isnan(values[m]) and np.nansum(values[list(kids)]) > values[m] + 1e-6:
                slack[e] = True
                short += 1
            continue
        remainder = values[m] - values[list(kids)].sum()
        if abs(remainder) > 1e-6:  # solver-made single years are exact only to rounding
            slack[e] = True
            short += remainder < 0
    if short:
        logger.info(
            "%d relation(s) have children adding to more than their total (overlapping categories?); "
            "treated as having an unknown remainder.",
            short,
        )
    return slack


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence the process's standard output at the file level (HiGHS prints a banner there once)."""
    try:
        fd = os.dup(1)
    except OSError:  # no standard output at all
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(fd, 1)
        os.close(fd)


_BANNER_SHOWN = False


def highs() -> Any:
    """A silent HiGHS solver.

    highspy prints its banner to the C-level standard output the first time a solver is made in a
    process, where a notebook or a report would show it; that first one is made with stdout shut.
    """
    global _BANNER_SHOWN
    import highspy

    if not _BANNER_SHOWN:
        with _quiet_stdout():
            solver = highspy.Highs()
        _BANNER_SHOWN = True
    else:
        solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("presolve", "off")  # tiny models, and a hot start needs the model as it is
    solver.setOptionValue("simplex_strategy", 4)  # primal: a new objective leaves the last basis feasible
    return solver


class Audit:
    """One table's figures as a reader sees them, as an LP over every cell, for interval audits.

    Columns are the table's cells (shown ones fixed at their value) and one unpublished remainder for
    each relation that has one; rows are the relations. ``hide`` frees a cell; ``first_pinned``
    finds a hidden cell a reader can still pin to an interval under 1 wide.
    """

    def __init__(
        self,
        values: np.ndarray,
        equations: Sequence[Equation],
        slack: np.ndarray,
        unknown: np.ndarray,
        targets: np.ndarray,
    ) -> None:
        import highspy
        from scipy.sparse import csc_matrix

        self.values = values
        self.n_cells = n = len(values)
        remainders = [e for e in range(len(equations)) if slack[e]]
        self.n_cols = n + len(remainders)
        lower = np.where(np.isnan(values), 0.0, values)
        upper = lower.copy()
        truth = values.astype(float).copy()
        rows, cols, coefs = [], [], []
        row_lower, row_upper = [], []
        for e, (m, kids) in enumerate(equations):
            r = len(row_lower)
            rows += [r] * (1 + len(kids))
            cols += [m, *kids]
            coefs += [1.0] + [-1.0] * len(kids)
            row_lower.append(0.0)
            row_upper.append(0.0)
        remainder_truth = []
        for j, e in enumerate(remainders):
            m, kids = equations[e]
            rows.append(e)
            cols.append(n + j)
            coefs.append(-1.0)
            remainder_truth.append(values[m] - np.nansum(values[list(kids)]))
        inf = highspy.kHighsInf
        rem_lower = np.array([0.0 if t >= 0 else -inf for t in remainder_truth])
        rem_upper = np.array([inf if t >= 0 else 0.0 for t in remainder_truth])
        # where categories overlap (children add to more than the total), each child is still no
        # larger than its total
        for j, e in enumerate(remainders):
            if remainder_truth[j] < 0:
                m, kids = equations[e]
                for kid in kids:
                    r = len(row_lower)
                    rows += [r, r]
                    cols += [kid, m]
                    coefs += [1.0, -1.0]
                    row_lower.append(-inf)
                    row_upper.append(0.0)
        self.lower = np.r_[lower, rem_lower]
        self.upper = np.r_[upper, rem_upper]
        self._truth = np.r_[truth, remainder_truth]
        self.targets = targets.copy()
        self.unknown = np.zeros(n, dtype=bool)
        matrix = csc_matrix((coefs, (rows, cols)), shape=(len(row_lower), self.n_cols))
        self.matrix, self.row_lower, self.row_upper = matrix, np.array(row_lower), np.array(row_upper)
        lp = highspy.HighsLp()
        lp.num_col_ = self.n_cols
        lp.num_row_ = len(row_lower)
        lp.col_cost_ = np.zeros(self.n_cols)
        lp.col_lower_ = self.lower
        lp.col_upper_ = self.upper
        lp.row_lower_ = np.array(row_lower, dtype=float)
        lp.row_upper_ = np.array(row_upper, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = matrix.indptr
        lp.a_matrix_.index_ = matrix.indices
        lp.a_matrix_.value_ = matrix.data
        self._solver = highs()
        self._solver.passModel(lp)
        self._inf = inf
        # the lowest and highest value seen for each column in a figure set a reader cannot rule out
        self.low = self._truth.copy()
        self.high = self._truth.copy()
        self.cleared = np.zeros(n, dtype=bool)
        self.solves = 0
        self._feasible = not np.isnan(values).any()
        self._pushed = False
        self._costed = np.zeros(self.n_cols, dtype=bool)
        for c in np.flatnonzero(unknown):
            self.hide(int(c), target=bool(targets[c]))

    def hide(self, cell: int, *, target: bool = True) -> None:
        """Make a cell unknown to the reader: at least 1 if it is a count we protect, else at least 0."""
        if self.unknown[cell]:
            self.targets[cell] |= target
            return
        self.unknown[cell] = True
        self.targets[cell] |= target
        v = self.values[cell]
        low = min(1.0, v) if target and not np.isnan(v) else 0.0
        self.lower[cell], self.upper[cell] = low, self._inf
        self._solver.changeColBounds(cell, low, self._inf)

    def show(self, cell: int) -> None:
        """Fix a hidden cell at its value again; every interval is audited afresh after this."""
        self.unknown[cell] = False
        self.targets[cell] = False
        v = self.values[cell]
        self.lower[cell] = self.upper[cell] = v
        self._solver.changeColBounds(cell, v, v)
        self.low, self.high = self._truth.copy(), self._truth.copy()
        self.cleared[:] = False
        self._pushed = False

    def solve(self, cost: np.ndarray) -> np.ndarray | None:
        """Minimise ``cost @ x``; the solution, or None when the objective is unbounded."""
        import highspy

        changed = np.flatnonzero((cost != 0) | self._costed)
        self._solver.changeColsCost(len(changed), changed.astype(np.int32), cost[changed])
        self._costed = cost != 0
        self._solver.run()
        self.solves += 1
        status = self._solver.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            x = np.asarray(self._solver.getSolution().col_value)
            self.low = np.fmin(self.low, x)
            self.high = np.fmax(self.high, x)
            self._feasible = True
            return x
        if status == highspy.HighsModelStatus.kUnbounded or (
            status == highspy.HighsModelStatus.kUnboundedOrInfeasible and self._feasible
        ):
            self._feasible = True  # the simplex says unbounded only from a feasible point
            return None
        raise ValueError(
            "the table's figures do not add up as its margins say (no figures fit every relation); "
            f"solver status {self._solver.modelStatusToString(status)}"
        )

    def duals(self) -> tuple[float, np.ndarray]:
        """The last solve's objective and the cells' reduced costs: how the optimum moves with each
        cell's bounds (``suna.disclosure.optimal_suppression`` turns them into constraints)."""
        reduced = np.asarray(self._solver.getSolution().col_dual)[: self.n_cells]
        return float(self._solver.getInfo().objective_function_value), reduced

    def push(self, cells: np.ndarray, rng: np.random.Generator) -> None:
        """Push every one of ``cells`` a random way, then the other way: one pair of LPs widens the
        seen interval (``low``, ``high``) of most open cells at once."""
        cost = np.zeros(self.n_cols)
        cost[cells] = rng.choice([-1.0, 1.0], size=len(cells))
        for sign in (1.0, -1.0):
            self.solve(sign * cost)

    def _update_cleared(self) -> None:
        width = self.high[: self.n_cells] - self.low[: self.n_cells]
        self.cleared |= self.unknown & (width >= _WIDE_ENOUGH)

    def first_pinned(self, rng: np.random.Generator) -> int | None:
        """A hidden target cell whose interval is under 1 wide, or None when every one is safe.

        One at a time: hiding a cell beside it may free others too, and a cell cleared stays
        cleared, so each cell is audited until it is safe and no further.
        """
        todo = np.flatnonzero(self.targets & self.unknown & ~self.cleared)
        if not len(todo):
            return None
        if not self._pushed and len(todo) > 4:
            self._pushed = True
            self.push(todo, rng)
            self._update_cleared()
        for c in todo:
            for sign in (-1.0, 1.0):  # largest, then smallest
                if self.cleared[c]:
                    break
                cost = np.zeros(self.n_cols)
                cost[c] = sign
                if self.solve(cost) is None:  # no upper limit at all
                    self.cleared[c] = True
                self._update_cleared()
            if not self.cleared[c]:
                return int(c)
        return None


PRUNE_AT_MOST = 12  # secondary cells an indicators table tries shown again: each try is a full audit


def _show_needless(audit: Audit, secondary: np.ndarray, price: np.ndarray, rng: np.random.Generator, prune: int) -> None:
    """Show again the costliest secondary cells that no hidden cell needs, costliest first.

    Greedy choice hides a cell to free one neighbour; later choices may protect that neighbour
    anyway. Each try is a full audit (hot-started), so only cells with a cost (whole-area
    figures, the ones a reader misses most) are tried, at most ``prune`` of them.
    """
    order = sorted(np.flatnonzero(secondary & (price > 0)), key=lambda c: (-price[c], -audit.values[c]))
    for c in order[:prune]:
        audit.show(int(c))
        if audit.first_pinned(rng) is None:
            secondary[c] = False
        else:
            audit.hide(int(c))


def protect_cells(
    values: np.ndarray, primary: np.ndarray, equations: Sequence[Equation], latent: np.ndarray | None = None,
    fixed: np.ndarray | None = None, cost: np.ndarray | None = None, prune: int = 0,
) -> np.ndarray:
    """The secondary cells to hide so that no primary or secondary cell can be worked out.

    Cells are chosen at least cost: among the cells of a relation that gives a hidden cell away,
    the one of lowest ``cost`` (then the smallest count, children before margins); once every
    hidden cell is safe, the costliest cells hidden that way are tried shown again, one by one,
    and stay shown where the audit still passes (so a greedy early choice does not cost a figure
    that later choices made needless).

    Args:
        values: true counts by cell position (NaN where the input has no count).
        primary: cells hidden by the source rule.
        equations: additive relations ``margin = sum(children)``.
        latent: cells never shown (single years under pooled periods), unknown to a reader, with
            values that satisfy the relations (any such values do: the audit starts from them).
        fixed: cells that must stay shown (another table of the same figures shows them, or their
            publisher releases them).
        cost: the information lost by hiding each cell (lower is hidden first); by default all
            equal, so the smallest count goes first.
        prune: how many of the costliest secondary cells to try shown again (each a full audit).

    Returns:
        A boolean mask of the extra (secondary) cells.

    Raises:
        UnprotectableError: a hidden cell gives itself away with every figure around it hidden
            (the declared margins contradict the figures), or every figure left is ``fixed``.
    """
    n = len(values)
    price = np.zeros(n) if cost is None else np.asarray(cost, dtype=float)
    missing = np.isnan(values)
    unknown = primary | missing | (latent if latent is not None else False)
    secondary = np.zeros(n, dtype=bool)
    if not primary.any() or not equations:
        return secondary
    slack = slacks(values, equations)
    eqs_of: list[list[int]] = [[] for _ in range(n)]
    for e, (m, kids) in enumerate(equations):
        for c in (m, *kids):
            eqs_of[c].append(e)

    # hidden cells (and remainders) in each relation, kept up to date as cells are hidden
    n_unknown = np.array([int(unknown[m]) + int(unknown[list(kids)].sum()) + int(slack[e])
                          for e, (m, kids) in enumerate(equations)])

    def pick(candidate_eqs: Sequence[int]) -> int | None:
        """The cell to hide: the smallest nonzero child, then margins (fewest figures lost)."""
        pool: dict[int, bool] = {}
        for e in candidate_eqs:
            m, kids = equations[e]
            for c in (m, *kids):
                if not unknown[c] and not (fixed is not None and fixed[c]):
                    pool[c] = pool.get(c, False) or c == m
        if not pool:
            return None
        nonzero = [c for c in pool if values[c] > 0]
        if not nonzero:
            logger.info("Only zero cells were left to protect a suppressed cell; a zero is hidden.")
        choices = nonzero or list(pool)

        def helps(c: int) -> int:
            return sum(1 for e in eqs_of[c] if n_unknown[e] == 1)

        return min(choices, key=lambda c: (price[c], pool[c], values[c], -helps(c), c))

    targets = primary.copy()
    audit: Audit | None = None
    queue: deque[int] = deque(range(len(equations)))  # relations to look at for a lone hidden cell

    def hide(c: int) -> None:
        unknown[c] = True
        secondary[c] = True
        targets[c] = True
        n_unknown[eqs_of[c]] += 1
        queue.extend(eqs_of[c])
        if audit is not None:
            audit.hide(c)

    def lone_cells() -> None:
        """No relation may have exactly one hidden cell (the "next smallest" rule, until stable)."""
        while queue:
            e = queue.popleft()
            if slack[e] or n_unknown[e] != 1:
                continue
            m, kids = equations[e]
            lone = m if unknown[m] else next(k for k in kids if unknown[k])
            if not targets[lone]:
                continue  # a count missing in the input, not ours to protect
            c = pick([e])
            if c is not None:
                hide(c)

    lone_cells()
    audit = Audit(values, equations, slack, unknown, targets)
    rng = np.random.default_rng(0)
    for _ in range(n + 1):
        p = audit.first_pinned(rng)
        if p is None:
            _show_needless(audit, secondary, price, rng, prune)
            logger.debug("audit: %d cells, %d hidden, %d LPs", n, int(audit.unknown.sum()), audit.solves)
            return secondary
        c = pick(eqs_of[p])
        if c is None:
            c = pick([int(e) for e in np.flatnonzero(n_unknown > 0)])
        if c is None:
            raise UnprotectableError(
                "every figure around a suppressed cell is already hidden yet its bounds still give it away"
            )
        hide(c)
        lone_cells()
    raise UnprotectableError("secondary suppression did not settle")  # pragma: no cover
