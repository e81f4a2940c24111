"""How long one authority's board pack takes, against issue 15's target of 30 s (prints ratios; not a test).

    .venv/bin/python benchmarks/board_pack.py                        # halton, reports/ from `suna batch`
    .venv/bin/python benchmarks/board_pack.py --area essex --repeat 3
    .venv/bin/python benchmarks/board_pack.py --reports /tmp/reports  # another reports folder

The area's reports must exist (`suna batch --area AREA`); this runs the batch first if they do not.
Timed, for each area and each repeat: the whole pack as `suna batch --pdf` makes it in its one
chromium (reading the executed notebooks, composing, drawing every chart, fitting the pages,
printing), then chromium's start, which the batch pays once for all areas. A ratio under 1 meets
the target. `make run` makes no pack (the PDF is asked for with --pdf), so it does not pay this.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 30.0  # issue 15: "the PDF board pack for one authority is made in ≤ 30 s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--area", action="append", help="area slug (repeatable; default halton)")
    parser.add_argument("--reports", help="reports folder (default reports/)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from suna import batch
    from suna.batch import board_pack
    from suna.core import paths

    areas = args.area or ["halton"]
    reports = Path(args.reports) if args.reports else paths.reports_dir()
    missing = [a for a in areas if len(board_pack.executed_notebooks(reports / a)) < len(batch.find_notebooks())]
    if missing:
        print(f"running the batch first for {', '.join(missing)} ...", flush=True)
        result = batch.run_batch(areas=missing, out_dir=reports, progress=False)
        if result.exit_code:
            print(batch.format_summary(result))
            return 1

    started = time.perf_counter()
    with board_pack.chromium() as browser, tempfile.TemporaryDirectory() as tmp:
        launch = time.perf_counter() - started
        print(f"chromium start (once per batch): {launch:.1f} s")
        for area in areas:
            notebooks = board_pack.executed_notebooks(reports / area)
            name = batch.read_job_parameters(paths.params_dir() / f"{area}.yaml")[1]
            times = []
            for i in range(args.repeat):
                pack = board_pack.make_board_pack(notebooks, Path(tmp) / f"{area}-{i}.pdf", name, browser=browser)
                times.append(pack.seconds)
            median = statistics.median(times)
            print(f"{area}: {pack.pages} pages ({', '.join(f'{k} {v}' for k, v in pack.sheets.items())}); "
                  f"median {median:.1f} s of {args.repeat} (min {min(times):.1f}, max {max(times):.1f}); "
                  f"ratio to the {TARGET_S:.0f} s target {median / TARGET_S:.2f}; "
                  f"with chromium's start {(median + launch) / TARGET_S:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
