"""Least-cost secondary suppression (suna.disclosure.optimal_suppression) on tables small enough to check by hand.

Each answer is checked with scipy's LP (independent of the engine's HiGHS models): every hidden count
can move by at least 1; and its cost is compared with the greedy choice it starts from, and, on the
smallest tables, with every possible choice.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from attack import reader_interval

from suna.disclosure import optimal_suppression, secondary


def _safe(values, hidden, equations):
    return all(np.subtract(*reader_interval(values, hidden, equations, c)[::-1]) >= 1 - 1e-7 for c in np.flatnonzero(hidden))


def _crossed(table: np.ndarray):
    """A rows x columns table with both margins, as (values, equations, margin cells)."""
    rows, cols = table.shape
    full = np.zeros((rows + 1, cols + 1))
    full[:rows, :cols] = table
    full[:rows, cols] = table.sum(1)
    full[rows, :cols] = table.sum(0)
    full[rows, cols] = table.sum()
    at = lambda r, c: r * (cols + 1) + c  # noqa: E731
    equations = [(at(r, cols), tuple(at(r, c) for c in range(cols))) for r in range(rows + 1)]
    equations += [(at(rows, c), tuple(at(r, c) for r in range(rows))) for c in range(cols + 1)]
    margins = np.zeros(full.size, dtype=bool)
    margins[[at(r, cols) for r in range(rows + 1)] + [at(rows, c) for c in range(cols)]] = True
    return full.ravel(), equations, margins


def test_one_small_count_costs_the_rectangle_not_five_cells():
    """3 x 3 with margins, one count of 3: the least loss is the 2 x 2 rectangle through it (three more
    cells, none of them a total); the greedy choice hides five."""
    values, equations, margins = _crossed(np.array([[20, 3, 15], [12, 30, 9], [7, 14, 25]], dtype=float))
    primary = (values > 0) & (values < 5)
    cost = margins.astype(float)
    greedy = secondary.protect_cells(values, primary, equations, cost=cost)
    found = optimal_suppression.least_cost(values, primary, equations, start=greedy, cost=cost)
    assert found.proved
    assert int(found.secondary.sum()) == 3 and not (found.secondary & margins).any()
    assert int(greedy.sum()) > 3
    assert _safe(values, primary | found.secondary, equations)


def test_a_cell_that_must_stay_shown_is_never_chosen():
    values, equations, margins = _crossed(np.array([[20, 3, 15], [12, 30, 9], [7, 14, 25]], dtype=float))
    primary = (values > 0) & (values < 5)
    fixed = np.zeros(len(values), dtype=bool)
    fixed[0] = True  # the cell the rectangle would take: another table shows it
    greedy = secondary.protect_cells(values, primary, equations, fixed=fixed)
    found = optimal_suppression.least_cost(values, primary, equations, start=greedy, fixed=fixed)
    assert not found.secondary[0]
    assert _safe(values, primary | found.secondary, equations)
    assert found.cost <= optimal_suppression.weights(values, None)[greedy].sum() + 1e-9


@pytest.mark.parametrize("seed", range(8))
def test_random_small_tables_get_the_cheapest_safe_choice_there_is(seed):
    """2 x 3 tables: every subset of the other cells tried by brute force; none safe is cheaper."""
    rng = np.random.default_rng(seed)
    table = rng.integers(0, 12, size=(2, 3)).astype(float)
    table[rng.integers(2), rng.integers(3)] = rng.integers(1, 5)  # at least one small count
    values, equations, margins = _crossed(table)
    primary = (values > 0) & (values < 5)
    cost = margins.astype(float)
    greedy = secondary.protect_cells(values, primary, equations, cost=cost)
    found = optimal_suppression.least_cost(values, primary, equations, start=greedy, cost=cost)
    hidden = primary | found.secondary
    assert _safe(values, hidden, equations)
    w = optimal_suppression.weights(values, cost)
    assert found.cost <= w[greedy].sum() + 1e-9
    free = np.flatnonzero(~primary)
    best = np.inf
    for k in range(len(free) + 1):
        for chosen in itertools.combinations(free, k):
            extra = np.zeros(len(values), dtype=bool)
            extra[list(chosen)] = True
            if w[extra].sum() < best and _safe(values, primary | extra, equations):
                best = w[extra].sum()
    assert found.cost == pytest.approx(best)


def test_without_anything_to_protect_nothing_is_hidden():
    values, equations, _ = _crossed(np.array([[20, 30], [12, 40]], dtype=float))
    primary = np.zeros(len(values), dtype=bool)
    found = optimal_suppression.least_cost(values, primary, equations, start=primary.copy())
    assert found.proved and not found.secondary.any()
