"""How long `suna batch` takes, and where the time goes (prints figures and ratios; not a test).

    .venv/bin/python benchmarks/batch.py                      # notebooks/ x every params/*.yaml
    .venv/bin/python benchmarks/batch.py --area halton        # one area (the full batch takes long)
    .venv/bin/python benchmarks/batch.py --fixtures           # the tiny fixture notebooks
    .venv/bin/python benchmarks/batch.py --modes loop,warm2   # only some of the runs

Runs, for the chosen areas x notebooks (force, so nothing is skipped), each timed on its own:
  loop   a plain sequential papermill loop (execute only: no HTML, no stamps): the baseline;
  fresh1 run_batch --jobs 1 with a fresh kernel per notebook (warm_kernels=False);
  warm1  run_batch --jobs 1, each worker reusing one warm kernel (the default);
  warm2  run_batch --jobs 2 (the default).
Then what a notebook run pays before its own work: a bare kernel start, a trivial notebook through
papermill, SUNA's imports; the time spent in cells that load an area's data (``load_area_data``),
which a warm kernel pays once per area instead of once per notebook; and, for the last run_batch
mode, the per-report floor: what one report costs and where it goes (compute in cells, HTML export,
kernel reset and papermill, kernel start shared out), and warm2's wall against the target (--target).
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
MODES = ("loop", "fresh1", "warm1", "warm2")
QUIET = ["--IPKernelApp.log_level=ERROR"]  # no start-up warning per kernel on the terminal
DATA_LOAD = "load_area_data"  # cells whose source calls this load and protect an area's data


def _notebooks(use_fixtures: bool) -> tuple[list[Path], str]:
    from suna import batch

    found = batch.find_notebooks()
    if use_fixtures or not found:
        note = "fixture notebooks (tests/fixtures/batch)" + ("" if use_fixtures else "; notebooks/ has none yet")
        return [FIXTURES / name for name in FIXTURE_NOTEBOOKS], note
    return found, "notebooks/"


def _cell_times(nb) -> tuple[float, float]:
    """(seconds in all cells, seconds in cells that load the area's data) of an executed notebook."""
    total = load = 0.0
    for cell in nb.cells:
        duration = cell.get("metadata", {}).get("papermill", {}).get("duration") or 0.0
        total += duration
        if cell.cell_type == "code" and DATA_LOAD in cell.source:
            load += duration
    return total, load


def _papermill_loop(notebooks: list[Path], params_files: list[Path], out: Path) -> tuple[float, float, float, int]:
    """Plain sequential papermill: wall time, time inside cells, inside data-loading cells, failures."""
    import papermill
    import yaml

    cells = load = 0.0
    failures = 0
    start = time.perf_counter()
    for params_path in params_files:
        parameters = yaml.safe_load(params_path.read_text(encoding="utf-8"))
        for nb in notebooks:
            try:
                done = papermill.execute_notebook(
                    str(nb), str(out / f"{params_path.stem}-{nb.stem}.ipynb"), parameters=parameters,
                    kernel_name="python3", cwd=str(nb.parent), progress_bar=False, extra_arguments=QUIET,
                )
            except papermill.PapermillExecutionError as exc:
                failures += 1
                print(f"      (loop: {params_path.stem}/{nb.stem} failed: {exc.ename}: {exc.evalue})", flush=True)
                continue
            c, d = _cell_times(done)
            cells, load = cells + c, load + d
    return time.perf_counter() - start, cells, load, failures


def _kernel_start(repeat: int) -> list[float]:
    """Seconds to start a python3 kernel until it answers, via jupyter_client (no papermill)."""
    from jupyter_client.manager import start_new_kernel

    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        km, kc = start_new_kernel(kernel_name="python3", extra_arguments=QUIET)
        times.append(time.perf_counter() - start)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return times


def _trivial_notebook(folder: Path, source: str, name: str) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / name
    nbformat.write(nb, path)
    return path


def _papermill_trivial(path: Path, out: Path, repeat: int) -> tuple[list[float], list[float]]:
    """Wall time of a notebook through papermill, and its cells' execution time, per run."""
    import papermill

    walls, cells = [], []
    for i in range(repeat):
        start = time.perf_counter()
        done = papermill.execute_notebook(str(path), str(out / f"{path.stem}-{i}.ipynb"), kernel_name="python3", progress_bar=False, extra_arguments=QUIET)
        walls.append(time.perf_counter() - start)
        cells.append(_cell_times(done)[0])
    return walls, cells


def _slowest_cells(executed: list[Path], top: int = 8) -> list[tuple[float, str]]:
    """The cells that took longest, summed over areas: (seconds, 'notebook cell N: first line')."""
    import nbformat

    totals: dict[str, float] = {}
    for path in executed:
        nb = nbformat.read(str(path), as_version=4)
        for i, cell in enumerate(nb.cells):
            duration = cell.get("metadata", {}).get("papermill", {}).get("duration") or 0.0
            if cell.cell_type == "code" and duration:
                first = next((line for line in cell.source.splitlines() if line.strip()), "")[:70]
                key = f"{path.stem} cell {i}: {first}"
                totals[key] = totals.get(key, 0.0) + duration
    return sorted(((s, k) for k, s in totals.items()), reverse=True)[:top]


def _run_batch(mode: str, areas: list[str] | None, notebooks: list[Path], out: Path) -> tuple[float, float, float, int, int, list]:
    """wall, summed cell time, data-load cell time, kernels started, failures, and the jobs that ran, of one run_batch mode."""
    import nbformat

    from suna import batch

    jobs = int(mode[-1])
    warm = mode.startswith("warm")
    result = batch.run_batch(areas=areas, notebooks=notebooks, jobs=jobs, force=True, out_dir=out, progress=False, warm_kernels=warm)
    cells = load = 0.0
    for job in result.ran:
        c, d = _cell_times(nbformat.read(str(job.ipynb_path), as_version=4))
        cells, load = cells + c, load + d
    for job in result.failures:
        print(f"      ({mode}: {job.area}/{job.notebook} failed: {job.error.message if job.error else ''})", flush=True)
    kernels = min(jobs, len(result.jobs)) if warm else len(result.jobs)  # warm: one per worker unless one died
    return result.duration_s, cells, load, kernels, len(result.failures), result.ran


def _floor(mode: str, ran: list, wall: float, kernels: int, per_kernel: float) -> None:
    """What one report costs, on average, and where it goes: the figure to watch for the next slowdown."""
    if not ran:
        return
    n = len(ran)
    duration = sum(j.duration_s or 0.0 for j in ran) / n
    cells = sum(j.cell_seconds or 0.0 for j in ran) / n
    export = sum(j.export_seconds or 0.0 for j in ran) / n
    starts = kernels * per_kernel / n
    rest = duration - cells - export
    print(f"\n   Per report in the {mode} run ({n} reports; worker seconds, so jobs running side by side each count):")
    print(f"   wall per report (batch wall / reports):         {wall / n:6.2f} s")
    print(f"   worker time per report:                         {duration:6.2f} s")
    print(f"     compute (time in cells):                      {cells:6.2f} s")
    print(f"     HTML export (nbconvert, offline charts):      {export:6.2f} s")
    print(f"     kernel reset, papermill and writing files:    {rest:6.2f} s")
    print(f"   kernel start + imports, shared out:            ~{starts:6.2f} s  ({kernels} kernel{'s' if kernels != 1 else ''})", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fixtures", action="store_true", help="use the fixture notebooks even if notebooks/ has some")
    parser.add_argument("--area", action="append", help="only these areas (default: every params/*.yaml)")
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated subset of {', '.join(MODES)}")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each kernel-start measurement")
    parser.add_argument("--target", type=float, default=40.0, help="seconds the warm2 run should take (issue 16: 40 s for 24 reports)")
    args = parser.parse_args()
    modes = [m for m in args.modes.split(",") if m]
    unknown = sorted(set(modes) - set(MODES))
    if unknown:
        parser.error(f"unknown mode(s) {', '.join(unknown)}; expected some of {', '.join(MODES)}")

    from suna import batch
    from suna.batch import publish

    notebooks, note = _notebooks(args.fixtures)
    params_files = batch.find_params(None, args.area)
    n_jobs = len(notebooks) * len(params_files)
    print(f"Notebooks: {len(notebooks)} from {note}; areas: {len(params_files)} ({', '.join(p.stem for p in params_files)}); jobs: {n_jobs}")
    print(f"CPUs: {os.cpu_count()}; load average at start: {', '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)

    with tempfile.TemporaryDirectory(prefix="suna-bench-") as tmp:
        tmp_path = Path(tmp)
        publish.vega_bundle()  # build (or read) the cached offline Vega bundle before timing anything

        print("\n1. What every fresh kernel pays before a notebook's own work")
        boot = statistics.median(_kernel_start(args.repeat))
        trivial = _trivial_notebook(tmp_path, "pass", "trivial.ipynb")
        imports = _trivial_notebook(tmp_path, "import altair, pandas, suna.pipeline, suna.views, suna.presentation.charts", "imports.ipynb")
        t_walls, _ = _papermill_trivial(trivial, tmp_path, args.repeat)
        _, i_cells = _papermill_trivial(imports, tmp_path, args.repeat)
        t_wall, i_cell = statistics.median(t_walls), statistics.median(i_cells)
        per_kernel = t_wall + i_cell
        print(f"   bare kernel start (jupyter_client):             {boot:6.2f} s  (median of {args.repeat})")
        print(f"   trivial notebook ('pass') through papermill:    {t_wall:6.2f} s")
        print(f"   imports of altair, pandas and SUNA's modules:   {i_cell:6.2f} s")
        print(f"   => per fresh kernel:                            {per_kernel:6.2f} s", flush=True)

        print("\n2. The whole batch (each line: wall; time in cells; of that, cells loading an area's data)")
        walls: dict[str, float] = {}
        floors: dict[str, tuple[list, float, int]] = {}
        for mode in modes:
            if mode == "loop":
                (tmp_path / "loop").mkdir()
                wall, cells, load, failures = _papermill_loop(notebooks, params_files, tmp_path / "loop")
                kernels = n_jobs
                wall_cores = wall
                label = "plain papermill loop (sequential, no HTML)"
            else:
                wall, cells, load, kernels, failures, ran = _run_batch(mode, args.area, notebooks, tmp_path / mode)
                floors[mode] = (ran, wall, kernels)
                wall_cores = wall * int(mode[-1])
                label = {"fresh1": "run_batch --jobs 1, fresh kernels", "warm1": "run_batch --jobs 1, warm kernel", "warm2": "run_batch --jobs 2, warm kernels"}[mode]
            walls[mode] = wall
            starts = kernels * per_kernel
            print(
                f"   {label:<44} {wall:7.1f} s; cells {cells:7.1f} s; data loads {load:7.1f} s ({load / wall_cores:4.0%} of worker time); "
                f"kernel starts + imports ~{starts:5.1f} s ({starts / wall_cores:4.0%} of worker time){f'; {failures} FAILED' if failures else ''}",
                flush=True,
            )

        last = next((m for m in reversed(modes) if m != "loop"), None)
        if last:
            _floor(last, *floors[last], per_kernel)
            print(f"\n   Slowest cells in the {last} run, summed over areas (what is left once kernels are warm):")
            for seconds, where in _slowest_cells(sorted((tmp_path / last).glob("*/*.ipynb"))):
                print(f"   {seconds:7.1f} s  {where}")

        print("\n3. Ratios of wall times (a / b below 1.00: a is faster)")
        pairs = [("fresh1", "loop", "HTML, stamps and index on top of papermill"), ("warm1", "fresh1", "a warm kernel instead of one per notebook"),
                 ("warm1", "loop", "the default at --jobs 1 against plain papermill"), ("warm2", "warm1", "2 workers (0.50 = perfect on 2 cores)"),
                 ("warm2", "loop", "the default at --jobs 2 against plain papermill")]
        for a, b, what in pairs:
            if a in walls and b in walls:
                print(f"   {a} / {b}: {walls[a] / walls[b]:5.2f}  ({what})")
        if "warm2" in walls:
            print(f"   warm2 / target: {walls['warm2'] / args.target:5.2f}  ({walls['warm2']:.1f} s against {args.target:.0f} s; above 1.00 misses it)")
    print(f"\nLoad average at end: {', '.join(f'{x:.2f}' for x in os.getloadavg())} (other work on the machine inflates every figure)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
