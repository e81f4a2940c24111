"""How long `suna batch` takes, and where the time goes (prints ratios; not a test).

    .venv/bin/python benchmarks/batch.py              # the analysis notebooks in notebooks/
    .venv/bin/python benchmarks/batch.py --fixtures   # the tiny fixture notebooks of tests/fixtures/batch

Measures, for every params/<area>.yaml x every notebook:
  1. a plain sequential papermill loop (execute only, no HTML, no stamps) - the baseline;
  2. run_batch with --jobs 1 and --jobs 2 (force, so nothing is skipped);
  3. what one notebook run costs before its first cell: a bare kernel start (jupyter_client), a
     trivial notebook through papermill, and the same with SUNA's usual imports, against the time
     its cells take to execute (papermill's per-cell durations).
Falls back to the fixture notebooks (with a note) when notebooks/ has none.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "batch"
FIXTURE_NOTEBOOKS = ["01_fixture_chart.ipynb", "02_fixture_html_chart.ipynb"]  # 03 fails on purpose


def _notebooks(use_fixtures: bool) -> tuple[list[Path], str]:
    from suna import batch

    found = batch.find_notebooks()
    if use_fixtures or not found:
        note = "fixture notebooks (tests/fixtures/batch)" + ("" if use_fixtures else "; notebooks/ has none yet")
        return [FIXTURES / name for name in FIXTURE_NOTEBOOKS], note
    return found, "notebooks/"


def _trivial_notebook(folder: Path, source: str, name: str) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / name
    nbformat.write(nb, path)
    return path


def _papermill_loop(notebooks: list[Path], params_files: list[Path], out: Path) -> tuple[float, float]:
    """Plain sequential papermill: wall time, and the time spent inside cells."""
    import papermill
    import yaml

    cells = 0.0
    start = time.perf_counter()
    for params_path in params_files:
        parameters = yaml.safe_load(params_path.read_text(encoding="utf-8"))
        for nb in notebooks:
            done = papermill.execute_notebook(
                str(nb), str(out / f"{params_path.stem}-{nb.stem}.ipynb"), parameters=parameters,
                kernel_name="python3", cwd=str(nb.parent), progress_bar=False,
            )
            cells += sum((c.metadata.get("papermill", {}).get("duration") or 0.0) for c in done.cells)
    return time.perf_counter() - start, cells


def _kernel_start(repeat: int) -> list[float]:
    """Seconds to start a python3 kernel until it answers, via jupyter_client (no papermill)."""
    from jupyter_client.manager import start_new_kernel

    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        km, kc = start_new_kernel(kernel_name="python3")
        times.append(time.perf_counter() - start)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return times


def _papermill_trivial(path: Path, out: Path, repeat: int) -> tuple[list[float], list[float]]:
    """Wall time of a notebook through papermill, and its cells' execution time, per run."""
    import papermill

    walls, cells = [], []
    for i in range(repeat):
        start = time.perf_counter()
        done = papermill.execute_notebook(str(path), str(out / f"{path.stem}-{i}.ipynb"), kernel_name="python3", progress_bar=False)
        walls.append(time.perf_counter() - start)
        cells.append(sum((c.metadata.get("papermill", {}).get("duration") or 0.0) for c in done.cells))
    return walls, cells


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fixtures", action="store_true", help="use the fixture notebooks even if notebooks/ has some")
    parser.add_argument("--area", action="append", help="only these areas (default: every params/*.yaml)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each kernel-start measurement")
    args = parser.parse_args()

    from suna import batch, publish

    notebooks, note = _notebooks(args.fixtures)
    params_files = batch.find_params(None, args.area)
    n_jobs = len(notebooks) * len(params_files)
    print(f"Notebooks: {len(notebooks)} from {note}; areas: {len(params_files)} ({', '.join(p.stem for p in params_files)}); jobs: {n_jobs}")
    print(f"CPUs: {os.cpu_count()}; load average now: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")

    with tempfile.TemporaryDirectory(prefix="suna-bench-") as tmp:
        tmp_path = Path(tmp)
        publish.vega_bundle()  # build (or read) the cached offline Vega bundle before timing anything

        print("\n1. Kernel start cost")
        boot = _kernel_start(args.repeat)
        trivial = _trivial_notebook(tmp_path, "pass", "trivial.ipynb")
        imports = _trivial_notebook(tmp_path, "import altair\nimport pandas\nimport suna.areas", "imports.ipynb")
        t_walls, t_cells = _papermill_trivial(trivial, tmp_path, args.repeat)
        i_walls, i_cells = _papermill_trivial(imports, tmp_path, args.repeat)
        boot_s, t_wall, t_cell = statistics.median(boot), statistics.median(t_walls), statistics.median(t_cells)
        i_wall, i_cell = statistics.median(i_walls), statistics.median(i_cells)
        print(f"   bare kernel start (jupyter_client):           {boot_s:6.2f} s  (median of {args.repeat})")
        print(f"   trivial notebook ('pass') through papermill:  {t_wall:6.2f} s wall, cells {t_cell:5.2f} s -> {1 - t_cell / t_wall:5.1%} is overhead")
        print(f"   'import altair, pandas, suna.areas' notebook: {i_wall:6.2f} s wall, cells {i_cell:5.2f} s (imports alone)")

        print("\n2. Whole batch")
        loop_out = tmp_path / "loop"
        loop_out.mkdir()
        loop_wall, loop_cells = _papermill_loop(notebooks, params_files, loop_out)
        print(f"   plain papermill loop (sequential, no HTML):  {loop_wall:6.1f} s  ({loop_wall / n_jobs:.2f} s per notebook run)")
        walls = {}
        for jobs in (1, 2):
            result = batch.run_batch(
                areas=args.area, notebooks=notebooks, jobs=jobs, force=True,
                out_dir=tmp_path / f"reports-{jobs}", progress=False,
            )
            walls[jobs] = result.duration_s
            job_time = sum(j.duration_s or 0.0 for j in result.jobs)
            cell_time = sum(j.cell_seconds or 0.0 for j in result.jobs)
            failed = f", {len(result.failures)} FAILED" if result.failures else ""
            print(
                f"   run_batch --jobs {jobs}:                          {result.duration_s:6.1f} s  "
                f"(job time {job_time:.1f} s, of which cells {cell_time:.1f} s = {cell_time / job_time:.0%}{failed})"
            )

        print("\n3. Ratios")
        print(f"   run_batch --jobs 1 / plain papermill loop:   {walls[1] / loop_wall:5.2f}  (cost of HTML export, stamps and the index)")
        print(f"   run_batch --jobs 2 / --jobs 1:               {walls[2] / walls[1]:5.2f}  (1.00 = no gain; 0.50 = perfect on 2 workers)")
        print(f"   run_batch --jobs 2 / plain papermill loop:   {walls[2] / loop_wall:5.2f}")
        print(f"   kernel start / plain loop time per notebook: {t_wall / (loop_wall / n_jobs):5.1%}  (trivial-notebook wall / average notebook run)")
        print(f"   kernel start + SUNA imports / per notebook:  {(t_wall + i_cell) / (loop_wall / n_jobs):5.1%}")
        print(f"   cells / wall in the plain loop:              {loop_cells / loop_wall:5.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
