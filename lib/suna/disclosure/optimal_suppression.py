"""Secondary suppression at least cost, proved: the mixed-integer model of tau-ARGUS "Optimal".

``suna.disclosure.secondary`` hides cells greedily, one relation at a time, and then tries the costliest of
them shown again. That is safe and fast, but not the least loss a reader can be given. Here the
choice is a 0/1 model: one variable per cell that may be hidden, the objective the cells' cost,
and a constraint for each hidden cell that its interval stays at least 1 wide (Fischetti and
Salazar-Gonzalez 2001, "Solving the cell suppression problem on tabular data with linear
constraints", Management Science 47(7); Hundepool et al. 2012, "Statistical Disclosure Control",
section 4.3).

Those constraints are too many to write down, so they are found as they are needed: solve the
0/1 model, audit its answer with the reader's LP (``secondary.Audit``), and for each cell that a
reader could still pin, add the cut that LP's dual gives (any figure set that hides too little
around that cell violates it); repeat until the audit passes. The greedy answer starts the
search, so the answer is never worse than it, and when the model does not settle within its
limits the greedy answer stands.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from suna.disclosure.secondary import Audit, Equation, highs, slacks

logger = logging.getLogger(__name__)

MAX_CELLS = 2_000  # larger tables keep the greedy answer (each round re-solves the 0/1 model)
MAX_SECONDS = 20.0  # per table, all rounds together
MAX_ROUNDS = 60
_TOLERANCE = 1e-7


@dataclass(frozen=True)
class Outcome:
    """The secondary cells chosen, and how: ``proved`` when the 0/1 model was solved to optimality."""

    secondary: np.ndarray
    proved: bool
    rounds: int
    cost: float


def weights(values: np.ndarray, cost: np.ndarray | None) -> np.ndarray:
    """What hiding each cell loses: its ``cost`` first, then one figure per cell, then its size.

    The same order as the greedy choice (``secondary.protect_cells``): a whole-area figure before
    any number of small-area ones, fewer cells before more, a small count before a large one.
    """
    n = len(values)
    price = np.zeros(n) if cost is None else np.asarray(cost, dtype=float)
    size = np.nan_to_num(values, nan=0.0)
    return price * 2.0 * (n + 1) + 1.0 + size / (size.sum() + 1.0)


def least_cost(
    values: np.ndarray, primary: np.ndarray, equations: Sequence[Equation], start: np.ndarray,
    latent: np.ndarray | None = None, fixed: np.ndarray | None = None, cost: np.ndarray | None = None,
    max_seconds: float = MAX_SECONDS,
) -> Outcome:
    """The secondary cells of least cost that keep every hidden count's interval at least 1 wide.

    Args:
        values, primary, equations, latent, fixed, cost: as ``secondary.protect_cells``.
        start: a safe set of secondary cells (the greedy answer); returned when nothing cheaper
            is proved safe within the limits.
    """
    n = len(values)
    w = weights(values, cost)
    start_cost = float(w[start].sum())
    missing = np.isnan(values)
    always = primary | missing | (latent if latent is not None else np.zeros(n, dtype=bool))
    never = (fixed if fixed is not None else np.zeros(n, dtype=bool)) & ~always
    if not start.any():  # nothing hidden beyond the rule's own cells: nothing cheaper exists
        return Outcome(start, True, 0, start_cost)
    if n > MAX_CELLS:
        return Outcome(start, False, 0, start_cost)
    slack = slacks(values, equations)
    lower = np.where(always, 1.0, 0.0)
    # a zero is shown (a reader takes a hidden count to be at least 1), unless the greedy choice,
    # out of anything else, had to hide one
    upper = np.where(never | ((np.nan_to_num(values) == 0) & ~start & ~always), 0.0, 1.0)
    model = _Master(w, lower, upper)
    model.lone_cell_cuts(equations, slack, always & ~primary)
    model.warm_start(start | always)
    began = time.monotonic()
    for rounds in range(1, MAX_ROUNDS + 1):
        left = max_seconds - (time.monotonic() - began)
        hidden, proved = model.solve(left)
        if hidden is None:
            return Outcome(start, False, rounds, start_cost)
        cuts = _violated(values, equations, slack, hidden, always & ~primary)
        if not cuts:
            chosen = hidden & ~always
            found = float(w[chosen].sum())
            if not _audit_passes(values, equations, slack, hidden, always & ~primary):
                raise AssertionError("least-cost suppression ended on a choice its own audit rejects")
            if found > start_cost + _TOLERANCE:  # the search stopped early, on a worse answer
                return Outcome(start, False, rounds, start_cost)
            return Outcome(chosen, proved, rounds, found)
        for cut in cuts:
            model.add(*cut)
        if time.monotonic() - began > max_seconds:
            break
    logger.info("least-cost suppression did not settle in %d rounds; the greedy choice stands", MAX_ROUNDS)
    return Outcome(start, False, MAX_ROUNDS, start_cost)


class _Master:
    """The 0/1 model: hide cells at least weight, under the cuts found so far."""

    def __init__(self, w: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        import highspy

        self.h = highs()
        self.h.setOptionValue("presolve", "on")
        self.h.setOptionValue("mip_rel_gap", 0.0)
        lp = highspy.HighsLp()
        lp.num_col_ = len(w)
        lp.num_row_ = 0
        lp.col_cost_ = w
        lp.col_lower_ = lower
        lp.col_upper_ = upper
        lp.integrality_ = [highspy.HighsVarType.kInteger] * len(w)
        self.h.passModel(lp)
        self._inf = highspy.kHighsInf
        self._start: np.ndarray | None = None

    def add(self, columns: np.ndarray, coefs: np.ndarray, low: float) -> None:
        """One constraint ``coefs @ y[columns] >= low``."""
        self.h.addRow(low, self._inf, len(columns), columns.astype(np.int32), coefs.astype(float))

    def lone_cell_cuts(self, equations: Sequence[Equation], slack: np.ndarray, never_target: np.ndarray) -> None:
        """A hidden cell never stands alone in a relation that adds up exactly: ``y_c <= sum(y_others)``."""
        for e, (m, kids) in enumerate(equations):
            if slack[e]:
                continue
            cells = np.array([m, *kids])
            for c in cells:
                if never_target[c]:
                    continue
                others = cells[cells != c]
                self.add(np.r_[others, c], np.r_[np.ones(len(others)), -1.0], 0.0)

    def warm_start(self, hidden: np.ndarray) -> None:
        self._start = hidden.astype(float)

    def solve(self, seconds: float) -> tuple[np.ndarray | None, bool]:
        """The cells to hide, and whether that is proved the least weight; None when out of time."""
        import highspy

        if seconds <= 0:
            return None, False
        self.h.setOptionValue("time_limit", float(seconds))
        if self._start is not None:
            solution = highspy.HighsSolution()
            solution.col_value = list(self._start)
            self.h.setSolution(solution)
        self.h.run()
        status = self.h.getModelStatus()
        info = self.h.getInfo()
        if info.primal_solution_status != 2:  # no feasible 0/1 answer found at all
            return None, False
        hidden = np.asarray(self.h.getSolution().col_value) > 0.5
        self._start = hidden.astype(float)
        return hidden, status == highspy.HighsModelStatus.kOptimal


def _audit_passes(values: np.ndarray, equations: Sequence[Equation], slack: np.ndarray, hidden: np.ndarray,
                  never_target: np.ndarray) -> bool:
    """The greedy method's own audit of the final choice, run afresh (a second, independent check)."""
    audit = Audit(values, equations, slack, hidden, hidden & ~never_target)
    return audit.first_pinned(np.random.default_rng(0)) is None


def _violated(values: np.ndarray, equations: Sequence[Equation], slack: np.ndarray, hidden: np.ndarray,
              never_target: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, float]]:
    """The cuts for every hidden cell a reader can pin under 1 wide, from the reader's LP duals.

    For a cell p, the reader's LP gives ``min x_p >= L(bounds)`` and ``max x_p <= -L'(bounds)``
    for every choice of bounds, both linear in the bounds (weak duality, with the optimal duals
    of the present choice). Hiding cell j moves its bounds from its value to [min(1, value), inf),
    so the width is at most ``K + sum_j coef_j y_j``; requiring that to reach 1 whenever p is
    hidden is a valid cut, and the present choice breaks it.
    """
    targets = hidden & ~never_target
    audit = Audit(values, equations, slack, hidden, targets)
    lowest = np.where(np.isnan(values), 0.0, np.minimum(1.0, np.nan_to_num(values)))
    drop = np.nan_to_num(values) - lowest  # how far a hidden cell's lower bound falls
    cuts = []
    todo = np.flatnonzero(targets)
    if len(todo) > 4:
        audit.push(todo, np.random.default_rng(0))
    for p in todo:
        if audit.high[p] - audit.low[p] >= 1.0 - 1e-7:  # seen to move by 1 already: safe
            continue
        duals = []
        width = 0.0  # max x_p - min x_p: both objectives enter negated (min x_p, and min -x_p = -max x_p)
        for sign in (1.0, -1.0):
            c = np.zeros(audit.n_cols)
            c[p] = sign
            if audit.solve(c) is None:  # unbounded: no limit that way
                duals = []
                break
            objective, reduced = audit.duals()
            duals.append(reduced)
            width -= objective
        if not duals or width >= 1.0 - 1e-7:
            continue
        d_pos = np.maximum(duals[0], 0) + np.maximum(duals[1], 0)
        d_neg = np.minimum(duals[0], 0) + np.minimum(duals[1], 0)
        # hiding j lowers its lower bound by drop[j] (the width gains d_pos * drop) and frees its upper
        # bound (the width gains without limit wherever a dual leans on it)
        coef = d_pos * drop + np.where(d_neg < -1e-9, np.inf, 0.0)
        k = width - float(coef[hidden].sum())  # the width with every cell shown, by these duals
        need = 1.0 - k - float(coef[p])  # what the other cells must add when p is hidden
        if need <= 1e-9:
            continue
        others = np.flatnonzero(coef > 1e-9)
        others = others[others != p]
        # y_p = 1 requires sum(coef_j y_j) >= need; a coefficient above need is capped (valid for 0/1)
        cuts.append((np.r_[others, [p]], np.r_[np.minimum(coef[others], need), [-need]], 0.0))
    return cuts
