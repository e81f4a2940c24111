"""The secondary-suppression engine (suna.disclosure.secondary) on tables small enough to check by hand."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from attack import reader_interval

from suna.disclosure import secondary


def test_five_ones_under_a_shown_total_get_the_total_hidden() -> None:
    """Total 5 over five hidden categories pins each at 1; hiding the total is the one cell that helps."""
    values = np.array([5.0, 1, 1, 1, 1, 1])
    primary = np.array([False, True, True, True, True, True])
    equations = [(0, (1, 2, 3, 4, 5))]
    assert reader_interval(values, primary, equations, 1) == (1.0, 1.0)
    secondary_cells = secondary.protect_cells(values, primary, equations)
    assert secondary_cells.tolist() == [True, False, False, False, False, False]


def test_a_lone_hidden_cell_gets_its_smallest_neighbour_hidden() -> None:
    """District x sex: men in A are 3; the smallest other child of A's row, not a total, goes with it."""
    # A male, A female, A persons, B male, B female, B persons, area male, area female, area persons
    values = np.array([3.0, 20, 23, 15, 12, 27, 18, 32, 50])
    primary = np.zeros(9, dtype=bool)
    primary[0] = True
    equations = [(2, (0, 1)), (5, (3, 4)), (8, (6, 7)), (6, (0, 3)), (7, (1, 4)), (8, (2, 5))]
    hidden = primary | secondary.protect_cells(values, primary, equations)
    assert hidden.tolist() == [True, True, False, True, True, False, False, False, False]  # the rectangle
    for cell in np.flatnonzero(hidden):
        low, high = reader_interval(values, hidden, equations, cell)
        assert high - low >= 1


def test_every_hidden_cell_of_random_crossed_tables_can_move_by_one() -> None:
    """Rows x columns with both margins, many small counts: checked cell by cell with scipy."""
    extra = 0
    for seed in range(6):
        rng = np.random.default_rng(seed)
        inner = rng.poisson(rng.choice([3.0, 8.0]), size=(6, 5)).astype(float)
        full = np.vstack([np.column_stack([inner, inner.sum(1)]), np.r_[inner.sum(0), inner.sum()]])
        values = full.ravel()
        at = lambda i, j: i * 6 + j  # noqa: E731
        equations = [(at(i, 5), tuple(at(i, j) for j in range(5))) for i in range(7)]
        equations += [(at(6, j), tuple(at(i, j) for i in range(6))) for j in range(6)]
        primary = (values > 0) & (values < 5)
        more = secondary.protect_cells(values, primary, equations)
        extra += int(more.sum())
        hidden = primary | more
        for cell in np.flatnonzero(hidden):
            low, high = reader_interval(values, hidden, equations, cell)
            assert high - low >= 1 - 1e-7, f"seed {seed}: cell {cell} pinned to {low}..{high}"
    assert extra > 0  # the tables did need secondary cells


def test_a_missing_count_whose_shown_siblings_exceed_the_total_does_not_stop_protection() -> None:
    """Children shown (8, 5) already add to more than the total (10) with a third missing: read as
    overlapping categories, not as figures that cannot be protected."""
    values = np.array([10.0, 8, 5, np.nan, 2])
    primary = np.array([False, False, False, False, True])
    equations = [(0, (1, 2, 3, 4))]
    hidden = secondary.protect_cells(values, primary, equations)
    assert not hidden[3]  # the missing count is not ours to hide
    assert primary.sum() + hidden.sum() >= 1


def test_the_solver_prints_nothing_to_standard_output() -> None:
    """HiGHS prints a banner on the C-level stdout the first time it starts; a notebook would show it."""
    code = (
        "import numpy as np\n"
        "from suna.disclosure import secondary\n"
        "print(secondary.protect_cells(np.array([5.0, 1, 1, 1, 1, 1]), np.array([0, 1, 1, 1, 1, 1], dtype=bool),"
        " [(0, (1, 2, 3, 4, 5))]).tolist())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "[True, False, False, False, False, False]\n"
    assert "HiGHS" not in out.stderr


def test_relations_that_contradict_the_figures_are_a_clear_error() -> None:
    """Missing counts that no figures can fill (a is 5 + d, so at least 6, yet a + b = 3) are reported,
    not looped over."""
    values = np.array([3.0, np.nan, np.nan, 5.0, 2.0])
    primary = np.array([False, False, False, False, True])
    equations = [(0, (1, 2)), (1, (3, 4))]
    with pytest.raises(ValueError, match="do not add up"):
        secondary.protect_cells(values, primary, equations)


def test_complementary_cells_are_chosen_at_least_cost_then_smallest_count():
    from suna.disclosure.secondary import protect_cells

    # total 10 = 2 + 3 + 5; the 2 is hidden. By count alone the 3 protects it; costed (the 3 is a
    # whole-area figure, cost 1), the 5 does instead.
    values = np.array([10.0, 2.0, 3.0, 5.0])
    primary = np.array([False, True, False, False])
    equations = [(0, (1, 2, 3))]
    assert protect_cells(values, primary, equations).tolist() == [False, False, True, False]
    assert protect_cells(values, primary, equations, cost=np.array([0, 0, 1, 0])).tolist() == [False, False, False, True]

