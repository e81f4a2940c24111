"""The batch: every analysis notebook for every local authority in ``params/``, run with papermill.

One job is one notebook for one area. Its parameters are the area's ``params/<area>.yaml`` mapping,
passed as papermill parameters; it writes ``reports/<area>/<notebook>.ipynb`` (executed) and
``reports/<area>/<notebook>.html`` (no code, charts drawn offline), then ``reports/index.html`` lists
every job. One job's failure (a broken params file, an error in a cell, a dead kernel) never stops the
others: it is recorded with the cell and the error, and makes the exit code non-zero.

A job is skipped when a stamp (``reports/<area>/<notebook>.stamp.json``) records a successful run on
the same inputs: a SHA-256 over the notebook, the parameters, the kernel, the ``lib/suna`` source, and
the names, sizes and modification times of the data files (sample or the council's extracts, and the
reference data). Content hashes, not only mtimes, so a touched but unchanged file does not force
a rerun and a copied-over older file does not hide a change.

Jobs run in worker threads on this machine, or on a Dask distributed cluster. Locally each worker
keeps one warm kernel and runs its notebooks in it one after another, reset in between, keeping to
one area while it can: kernel start, imports and the area's data load are then paid once per
worker and area instead of once per notebook (``benchmarks/batch.py`` measures it). On Dask, and
with ``warm_kernels=False``, every notebook gets a fresh kernel.

The parts: ``jobs`` (what a job is, stamps), ``kernels`` (running one job), ``scheduler`` (who runs
which), ``publish`` (HTML and the index), ``board_pack`` (the PDF for a board).
"""


from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from suna.batch import board_pack, publish
from suna.batch.jobs import (NOTEBOOK_PATTERN, STAMP_SUFFIX, BatchResult, JobResult, JobSpec, _source_title,
                             _undeclared_parameter, data_folders, declared_parameters, find_notebooks, find_params,
                             inputs_hash, is_up_to_date, read_job_parameters, read_stamp)
from suna.batch.kernels import WarmKernel, _refused, execute_notebook  # noqa: F401 (the batch's API)
from suna.batch.scheduler import _run_locally, _run_on_dask
from suna.core import paths
from suna.core.errors import ParametersError, SunaError
from suna.core.fingerprint import folder_signature, lib_signature

logger = logging.getLogger(__name__)


def run_batch(
    areas: list[str] | None = None,
    notebooks: list[Path] | None = None,
    jobs: int | None = None,
    force: bool = False,
    scheduler: str | None = None,
    out_dir: Path | None = None,
    data_dir: str | None = None,
    kernel_name: str = "python3",
    progress: bool = True,
    params_dir: Path | None = None,
    warm_kernels: bool = True,
    pdf: bool = False,
) -> BatchResult:
    """Run every notebook for every area, publish the HTML reports and the index page.

    Args:
        areas: area slugs (``params/<slug>.yaml``) to run; default all.
        notebooks: notebook paths; default every ``NN_*.ipynb`` in ``paths.notebooks_dir()``.
        jobs: parallel workers on this machine (default ``os.cpu_count()``); ignored with a scheduler.
        force: rerun jobs even when their stamp says they are up to date.
        scheduler: a Dask distributed scheduler address (``tcp://host:8786``); its workers need
            SUNA installed, and see the same paths (params, notebooks, reports) as this machine.
        out_dir: reports folder (default ``paths.reports_dir()``).
        data_dir: the council's extracts folder for every area (overrides each params file).
        kernel_name: the Jupyter kernel to run notebooks with.
        progress: show a progress bar on stderr.
        params_dir: folder of ``<area>.yaml`` files (default ``paths.params_dir()``).
        warm_kernels: on this machine, run each worker's notebooks in one kernel, reset between
            notebooks (``WarmKernel``); False starts a fresh kernel for every notebook.
        pdf: also print each area's board pack (``suna.batch.board_pack``) once all its reports are good.

    Returns:
        A BatchResult; its ``exit_code`` is non-zero when any job failed.

    Raises:
        UnknownAreaError: an area in ``areas`` has no params file.
        ParametersError: ``jobs`` is below 1 or a notebook in ``notebooks`` does not exist.
    """
    started_at = datetime.now().astimezone()
    t0 = time.perf_counter()
    out_dir = Path(out_dir) if out_dir else paths.reports_dir()
    if jobs is not None and jobs < 1:
        raise ParametersError("suna batch", "jobs", f"is {jobs}; expected 1 or more")
    notebook_paths = [Path(p).resolve() for p in notebooks] if notebooks is not None else find_notebooks()
    for path in notebook_paths:
        if not path.is_file():
            raise ParametersError("suna batch", "notebooks", f"names {path}, which does not exist")
    if not notebook_paths:
        logger.warning("No notebooks matching %s in %s.", NOTEBOOK_PATTERN, paths.notebooks_dir())
    params_files = find_params(params_dir, areas)

    titles = {nb: _source_title(nb) for nb in notebook_paths}
    declared = {nb: declared_parameters(nb) for nb in notebook_paths}
    lib_sig = lib_signature()
    folder_sigs: dict[Path, list[tuple[str, int, int]]] = {}
    vega_cache = paths.cache_dir() / "vega"
    finished: list[JobResult] = []
    pending: list[JobSpec] = []
    for params_path in params_files:
        area = params_path.stem
        try:
            parameters, area_name = read_job_parameters(params_path, data_dir)
        except SunaError as exc:
            logger.warning("%s: %s", area, exc)
            finished += [_refused(area, nb, params_path, titles[nb], exc) for nb in notebook_paths]
            continue
        data_sigs = []
        for folder in data_folders(parameters):
            if folder not in folder_sigs:
                folder_sigs[folder] = folder_signature(folder)
            data_sigs.append([str(folder), folder_sigs[folder]])
        for nb in notebook_paths:
            undeclared = _undeclared_parameter(params_path, parameters, nb, declared[nb])
            if undeclared:
                logger.warning("%s / %s: %s", area, nb.stem, undeclared)
                finished.append(_refused(area, nb, params_path, titles[nb], undeclared, area_name))
                continue
            spec = JobSpec(
                area=area,
                notebook_path=nb,
                params_path=params_path.resolve(),
                parameters=parameters,
                out_dir=out_dir.resolve(),
                kernel_name=kernel_name,
                inputs_hash=inputs_hash(nb, params_path, parameters, kernel_name, lib_sig, data_sigs),
                data_source=str(parameters.get("data_dir") or "sample"),
                area_name=area_name,
                title=titles[nb],
                vega_cache_dir=vega_cache,
            )
            stamp = None if force else is_up_to_date(spec)
            if stamp:
                finished.append(JobResult.from_record(stamp["result"], status="skipped"))
            else:
                pending.append(spec)

    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    bar = tqdm(total=len(finished) + len(pending), desc="suna batch", unit="report", file=sys.stderr, disable=not progress)
    bar.update(len(finished))

    def done(result: JobResult) -> None:
        finished.append(result)
        bar.set_postfix_str(f"{result.area}/{result.notebook} {result.status}", refresh=False)
        bar.update(1)

    try:
        # log lines (a job that failed) print above the bar instead of through it
        with logging_redirect_tqdm() if progress else contextlib.nullcontext():
            if pending:
                publish.vega_bundle(vega_cache)  # build the offline bundle once, before workers need it
                if scheduler:
                    _run_on_dask(pending, scheduler, done)
                else:
                    _run_locally(pending, jobs or os.cpu_count() or 1, done, warm=warm_kernels)
    finally:
        bar.close()

    results = sorted(finished, key=lambda r: (r.area, r.notebook))
    ran = {(r.area, r.notebook) for r in results}
    result = BatchResult(
        jobs=results,
        out_dir=out_dir,
        started_at=started_at,
        duration_s=time.perf_counter() - t0,
        notebooks=notebook_paths,
        earlier=[r for r in earlier_reports(out_dir) if (r.area, r.notebook) not in ran],
    )
    if pdf:
        result.board_packs = make_board_packs(results, out_dir)
    result.index_path = publish.write_index(result, out_dir)
    result.duration_s = time.perf_counter() - t0
    return result


def make_board_packs(jobs: Sequence[JobResult], out_dir: Path) -> dict[str, Any]:
    """Each area's board pack, in one chromium; an area with a failed report gets none (a pack must be whole).

    Returns:
        Area -> the ``BoardPack`` made, or a sentence saying why there is none.
    """
    made: dict[str, Any] = {}
    whole: dict[str, list[JobResult]] = {}
    for area in sorted({job.area for job in jobs}):
        mine = [job for job in jobs if job.area == area]
        failed = [job.notebook for job in mine if job.status == "failed"]
        if failed:
            made[area] = f"no board pack: {len(failed)} report{'s' if len(failed) != 1 else ''} failed ({', '.join(failed)})"
        else:
            whole[area] = mine
    if not whole:
        return made
    with board_pack.chromium() as browser:
        for area, mine in whole.items():
            try:
                made[area] = board_pack.make_board_pack(
                    [job.ipynb_path for job in mine if job.ipynb_path], board_pack.default_path(area, out_dir),
                    area_name=mine[0].area_name or area, browser=browser)
            except SunaError as exc:
                made[area] = f"no board pack: {exc}"
    return made


def earlier_reports(out_dir: Path) -> list[JobResult]:
    """Jobs recorded by stamps in a reports folder (so the index keeps reports not rerun this time)."""
    found = []
    for path in sorted(Path(out_dir).glob(f"*/*{STAMP_SUFFIX}")):
        stamp = read_stamp(path)
        if stamp and isinstance(stamp.get("result"), dict):
            try:
                found.append(JobResult.from_record(stamp["result"]))
            except (TypeError, ValueError) as exc:
                logger.warning("Ignoring unreadable stamp %s: %s", path, exc)
    return found


def format_summary(result: BatchResult) -> str:
    """The few lines ``suna batch`` prints: counts, where the index is, and every failure."""
    areas = sorted({job.area for job in result.jobs})
    lines = [
        f"suna batch: {len(result.jobs)} report{'s' if len(result.jobs) != 1 else ''} "
        f"({len(result.notebooks)} notebook{'s' if len(result.notebooks) != 1 else ''} x {len(areas)} area{'s' if len(areas) != 1 else ''}) "
        f"in {result.duration_s:.1f} s: {len(result.ran)} ran, {len(result.skipped)} up to date, {len(result.failures)} failed."
    ]
    if not result.notebooks:
        lines.append(f"No notebooks matching {NOTEBOOK_PATTERN} were found.")
    if result.index_path:
        lines.append(f"Index: {result.index_path}")
    for area, pack in sorted(result.board_packs.items()):
        if isinstance(pack, str):
            lines.append(f"Board pack {area}: {pack}")
        else:
            lines.append(f"Board pack {area}: {pack.path} ({pack.pages} pages, {pack.seconds:.1f} s)")
    if result.failures:
        lines.append("Failures:")
        listed: set[tuple[str, str]] = set()
        for job in result.failures:
            message = job.error.message if job.error else "no details recorded"
            # a broken params file stops every notebook of its area with one message: say it once
            same = [j for j in result.failures if j.area == job.area and j.error and j.error.cell_index is None and j.error.message == message]
            if len(same) > 1:
                if (job.area, message) not in listed:
                    listed.add((job.area, message))
                    lines.append(f"  - {job.area} / all {len(same)} notebooks ({', '.join(j.notebook for j in same)}): {message}")
                continue
            lines.append(f"  - {job.area} / {job.notebook}: {message}")
            if job.error and job.error.notebook_path:
                lines.append(f"    traceback in {job.error.notebook_path}")
    return "\n".join(lines)
