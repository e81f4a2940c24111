"""How fast SUNA's secondary suppression protects an area's indicators table (prints figures; not a test).

    .venv/bin/python benchmarks/disclosure.py                      # Worcestershire, both engines
    .venv/bin/python benchmarks/disclosure.py --area sefton --suna-only

Two runs of ``disclosure.protect_indicators`` on the area's raw indicators (the sample data):
  suna   the interval audit of ``suna.disclosure.secondary``: one HiGHS model per table, hot-started after each
         change, each cell's lowest and highest value seen in any solution kept, so most cells are
         cleared without an LP of their own;
  plain  the same audit the textbook way: for every open hidden cell, a fresh ``scipy.optimize.linprog``
         for its smallest and its largest value, every time the check runs.
Both make the same decisions, so the hidden cells must be identical (checked). Prints the wall time of
each, LPs solved, cells hidden, and the ratio.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from suna import disclosure, pipeline
from suna.disclosure import secondary


class PlainAudit(secondary.Audit):
    """The audit with no hot start and no reuse of solutions: two fresh LPs per open cell per check."""

    def first_pinned(self, rng: np.random.Generator) -> int | None:
        from scipy.optimize import linprog

        equal = self.row_lower == self.row_upper
        rows = self.matrix.tocsr()
        bounds = [(None if np.isinf(a) else a, None if np.isinf(b) else b) for a, b in zip(self.lower, self.upper)]
        for c in np.flatnonzero(self.targets & self.unknown):
            ends = []
            for sign in (1.0, -1.0):
                cost = np.zeros(self.n_cols)
                cost[c] = sign
                res = linprog(cost, A_eq=rows[equal] if equal.any() else None, b_eq=self.row_lower[equal] if equal.any() else None,
                              A_ub=rows[~equal] if (~equal).any() else None, b_ub=self.row_upper[~equal] if (~equal).any() else None,
                              bounds=bounds, method="highs")
                self.solves += 1
                ends.append(res.x[c] if res.status == 0 else sign * -np.inf)
            if ends[1] - ends[0] < secondary._WIDE_ENOUGH:
                return int(c)
        return None


def _run(raw, audit_class) -> tuple[float, int, np.ndarray]:
    solves = []
    original = secondary.Audit

    class Counted(audit_class):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            solves.append(self)

    secondary.Audit = Counted
    try:
        start = time.perf_counter()
        table = disclosure.protect_indicators(raw).table
        elapsed = time.perf_counter() - start
    finally:
        secondary.Audit = original
    return elapsed, sum(a.solves for a in solves), (table["count_display"] == "*").to_numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--area", default="worcestershire")
    parser.add_argument("--suna-only", action="store_true", help="skip the plain audit (hours for Sefton)")
    args = parser.parse_args()
    raw = pipeline.load_area_data(args.area).raw_indicators
    print(f"{args.area}: {len(raw):,} indicator rows")
    t_suna, n_suna, hidden_suna = _run(raw, secondary.Audit)
    print(f"suna   {t_suna:8.1f} s  {n_suna:9,} LPs  {int(hidden_suna.sum()):,} counts hidden")
    if args.suna_only:
        return
    t_plain, n_plain, hidden_plain = _run(raw, PlainAudit)
    print(f"plain  {t_plain:8.1f} s  {n_plain:9,} LPs  {int(hidden_plain.sum()):,} counts hidden")
    print(f"ratio plain / suna: {t_plain / t_suna:.1f}x; same cells hidden: {bool((hidden_suna == hidden_plain).all())}")


if __name__ == "__main__":
    main()
