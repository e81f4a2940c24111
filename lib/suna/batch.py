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

Jobs run in a pool of threads on this machine (each notebook runs in its own kernel process), or on
a Dask distributed cluster. Each job starts its own kernel; see
``benchmarks/batch.py`` for what that costs.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from suna import paths
from suna.errors import ParametersError, SunaError, UnknownAreaError

logger = logging.getLogger(__name__)

NOTEBOOK_PATTERN = "[0-9][0-9]_*.ipynb"
STAMP_SUFFIX = ".stamp.json"
STAMP_VERSION = 1


@dataclass(frozen=True)
class JobError:
    """Why a job failed, in the words shown in the summary and on the index page."""

    message: str
    ename: str | None = None
    evalue: str | None = None
    cell_index: int | None = None  # index in the executed notebook (after papermill's injected cell)
    exec_count: int | None = None
    source_first_line: str | None = None
    notebook_path: str | None = None  # executed notebook holding the traceback, if one was written


@dataclass(frozen=True)
class JobSpec:
    """Everything a worker needs to run one notebook for one area (picklable, for Dask too)."""

    area: str
    notebook_path: Path
    params_path: Path
    parameters: dict[str, Any]
    out_dir: Path
    kernel_name: str
    inputs_hash: str
    data_source: str
    area_name: str = ""
    title: str = ""
    vega_cache_dir: Path | None = None

    @property
    def stem(self) -> str:
        return self.notebook_path.stem

    @property
    def area_dir(self) -> Path:
        return self.out_dir / self.area

    @property
    def ipynb_path(self) -> Path:
        return self.area_dir / f"{self.stem}.ipynb"

    @property
    def html_path(self) -> Path:
        return self.area_dir / f"{self.stem}.html"

    @property
    def failed_path(self) -> Path:
        return self.area_dir / f"{self.stem}.failed.ipynb"

    @property
    def stamp_path(self) -> Path:
        return self.area_dir / f"{self.stem}{STAMP_SUFFIX}"


@dataclass(frozen=True)
class JobResult:
    """What happened to one job: ``ok`` (ran), ``skipped`` (up to date) or ``failed``."""

    area: str
    notebook: str
    status: str
    notebook_path: Path | None = None
    params_path: Path | None = None
    html_path: Path | None = None
    ipynb_path: Path | None = None
    title: str = ""
    area_name: str = ""
    data_source: str = ""
    duration_s: float | None = None
    cell_seconds: float | None = None  # time spent executing cells; the rest is kernel start and I/O
    finished_at: datetime | None = None
    error: JobError | None = None

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready dict (for the stamp file)."""
        record = {
            name: (str(value) if isinstance(value, Path) else value)
            for name, value in self.__dict__.items()
            if name not in ("error", "finished_at")
        }
        record["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        record["error"] = dict(self.error.__dict__) if self.error else None
        return record

    @classmethod
    def from_record(cls, record: Mapping[str, Any], status: str | None = None) -> JobResult:
        path_fields = ("notebook_path", "params_path", "html_path", "ipynb_path")
        values = {
            key: (Path(value) if key in path_fields and value else value)
            for key, value in record.items()
            if key in cls.__dataclass_fields__ and key not in ("error", "finished_at")
        }
        finished = record.get("finished_at")
        values["finished_at"] = datetime.fromisoformat(finished) if finished else None
        values["error"] = JobError(**record["error"]) if record.get("error") else None
        if status:
            values["status"] = status
        return cls(**values)


@dataclass
class BatchResult:
    """The outcome of ``run_batch``: one ``JobResult`` per notebook × area, and the index page."""

    jobs: list[JobResult]
    out_dir: Path
    started_at: datetime
    duration_s: float
    index_path: Path | None = None
    notebooks: list[Path] = field(default_factory=list)
    earlier: list[JobResult] = field(default_factory=list)  # reports in out_dir from earlier runs only

    @property
    def failures(self) -> list[JobResult]:
        return [job for job in self.jobs if job.status == "failed"]

    @property
    def ran(self) -> list[JobResult]:
        return [job for job in self.jobs if job.status == "ok"]

    @property
    def skipped(self) -> list[JobResult]:
        return [job for job in self.jobs if job.status == "skipped"]

    @property
    def exit_code(self) -> int:
        """0 when every job ran or was up to date; 1 when any failed."""
        return 1 if self.failures else 0


# ---------------------------------------------------------------------------------------------
# Finding the jobs


def find_notebooks(folder: Path | None = None) -> list[Path]:
    """The analysis notebooks the batch runs: ``NN_*.ipynb`` directly in the folder (apps are apart)."""
    folder = Path(folder) if folder else paths.notebooks_dir()
    return sorted(p for p in folder.glob(NOTEBOOK_PATTERN) if p.is_file())


def find_params(params_dir: Path | None = None, areas: Sequence[str] | None = None) -> list[Path]:
    """The ``<area>.yaml`` files to run, all of them or the named areas (unknown names raise)."""
    folder = Path(params_dir) if params_dir else paths.params_dir()
    files = sorted(folder.glob("*.yaml"))
    if areas is None:
        return files
    known = {p.stem: p for p in files}
    unknown = [a for a in areas if a not in known]
    if unknown:
        raise UnknownAreaError(unknown[0], sorted(known), kind=f"area (no {folder / (unknown[0] + '.yaml')})")
    return [known[a] for a in dict.fromkeys(areas)]


def read_job_parameters(params_path: Path, data_dir: str | None = None) -> tuple[dict[str, Any], str]:
    """The papermill parameters of an area and its official name, validated.

    Raises:
        ParametersError: the file is not YAML, not a mapping, or not a valid area definition.
    """
    from suna.areas import area_from_params, read_params

    raw = read_params(params_path)
    area = area_from_params(raw, source=str(params_path))
    if area.slug != params_path.stem:
        logger.warning("%s says area %r; its reports go under its file name %r.", params_path, area.slug, params_path.stem)
    parameters = dict(raw)
    if data_dir is not None:
        parameters["data_dir"] = str(data_dir)
    return parameters, area.name


# ---------------------------------------------------------------------------------------------
# Up-to-date stamps


def lib_signature() -> str:
    """SHA-256 over the ``suna`` package's files: a library change reruns every report."""
    import suna

    digest = hashlib.sha256()
    root = Path(suna.__file__).resolve().parent
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def folder_signature(folder: Path) -> list[tuple[str, int, int]]:
    """(relative path, size, mtime in ns) of every file under a data folder; empty if absent."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return [
        (p.relative_to(folder).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    ]


def data_folders(parameters: Mapping[str, Any]) -> list[Path]:
    """The data a job reads: the council's extracts (or the sample) and the reference data."""
    given = str(parameters.get("data_dir") or "")
    if given:
        folder = Path(given)
        main = folder if folder.is_absolute() else paths.project_root() / folder
    else:
        main = paths.sample_dir()
    return [main, paths.reference_dir()]


def inputs_hash(
    notebook: Path,
    params_path: Path,
    parameters: Mapping[str, Any],
    kernel_name: str,
    lib_sig: str,
    data_sigs: Sequence[Any],
) -> str:
    """SHA-256 of everything a report depends on (see the module docstring)."""
    digest = hashlib.sha256()
    for part in (
        f"stamp-v{STAMP_VERSION}",
        notebook.read_bytes(),
        params_path.read_bytes(),
        json.dumps(parameters, sort_keys=True, default=str),
        kernel_name,
        lib_sig,
        json.dumps(list(data_sigs)),
    ):
        digest.update(part if isinstance(part, bytes) else str(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()


def read_stamp(path: Path) -> dict[str, Any] | None:
    """A job's stamp, or None if missing or unreadable (which means: run it)."""
    try:
        stamp = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


def is_up_to_date(spec: JobSpec) -> dict[str, Any] | None:
    """The stamp of a successful earlier run on the same inputs whose outputs still exist, else None."""
    stamp = read_stamp(spec.stamp_path)
    if (
        stamp
        and stamp.get("inputs_hash") == spec.inputs_hash
        and stamp.get("result", {}).get("status") == "ok"
        and spec.html_path.exists()
        and spec.ipynb_path.exists()
    ):
        return stamp
    return None


def _write_stamp(spec: JobSpec, result: JobResult) -> None:
    from suna import __version__
    from suna.publish import atomic_write_text

    stamp = {"inputs_hash": spec.inputs_hash, "suna_version": __version__, "result": result.to_record()}
    atomic_write_text(spec.stamp_path, json.dumps(stamp, indent=2, default=str))


# ---------------------------------------------------------------------------------------------
# Running one job


def execute_notebook(
    notebook: Path,
    output: Path,
    parameters: Mapping[str, Any],
    cwd: Path | None = None,
    kernel_name: str = "python3",
) -> Any:
    """Run a notebook with papermill the way the batch does (the product path); return the executed node.

    Raises:
        papermill.PapermillExecutionError: a cell raised; the executed notebook, with the
            traceback, is still written to ``output``.
    """
    import papermill

    return papermill.execute_notebook(
        str(notebook),
        str(output),
        parameters=dict(parameters),
        kernel_name=kernel_name,
        # The kernel's working directory, given to nbclient rather than as papermill's ``cwd``
        # (which calls os.chdir, process-wide, and would race between threads).
        resources={"metadata": {"path": str(Path(cwd or Path(notebook).parent).resolve())}},
        progress_bar=False,
        log_output=False,
        report_mode=False,
        request_save_on_cell_execute=False,
    )


def run_job(spec: JobSpec) -> JobResult:
    """Run one notebook for one area and publish it; never raises for a notebook's own failure.

    Outputs are written to temporary names and moved into place, so an interrupted job leaves
    the previous good report. A failed run keeps its executed notebook as ``<notebook>.failed.ipynb``.
    """
    from suna import publish

    started = time.perf_counter()
    spec.area_dir.mkdir(parents=True, exist_ok=True)
    tmp_ipynb = publish.temporary_path(spec.ipynb_path)
    tmp_html = publish.temporary_path(spec.html_path)
    common = {
        "area": spec.area,
        "notebook": spec.stem,
        "notebook_path": spec.notebook_path,
        "params_path": spec.params_path,
        "html_path": spec.html_path,
        "ipynb_path": spec.ipynb_path,
        "area_name": spec.area_name,
        "data_source": spec.data_source,
    }
    title = spec.title or spec.stem
    try:
        nb = execute_notebook(spec.notebook_path, tmp_ipynb, spec.parameters, spec.notebook_path.parent, spec.kernel_name)
        title = publish.notebook_title(nb, default=spec.stem)
        bundle = publish.vega_bundle(spec.vega_cache_dir)
        page = publish.notebook_to_html(nb, title=title, bundle=bundle)
        publish.atomic_write_text(tmp_html, page)
        os.replace(tmp_ipynb, spec.ipynb_path)
        os.replace(tmp_html, spec.html_path)
        spec.failed_path.unlink(missing_ok=True)
        result = JobResult(
            **common,
            status="ok",
            title=title,
            duration_s=time.perf_counter() - started,
            cell_seconds=_cell_seconds(nb),
            finished_at=datetime.now().astimezone(),
        )
    except Exception as exc:  # one job's failure must never stop the others
        error = _job_error(exc, spec, tmp_ipynb)
        logger.warning("%s / %s failed: %s", spec.area, spec.stem, error.message)
        result = JobResult(
            **common,
            status="failed",
            title=title,
            duration_s=time.perf_counter() - started,
            finished_at=datetime.now().astimezone(),
            error=error,
        )
    finally:
        tmp_ipynb.unlink(missing_ok=True)
        tmp_html.unlink(missing_ok=True)
    try:
        _write_stamp(spec, result)
    except OSError as exc:
        logger.warning("Could not write the stamp %s: %s", spec.stamp_path, exc)
    return result


def _job_error(exc: BaseException, spec: JobSpec, tmp_ipynb: Path) -> JobError:
    """The cell and error of a failed job; keeps the executed notebook with its traceback."""
    from papermill.exceptions import PapermillExecutionError

    kept: str | None = None
    if tmp_ipynb.exists():
        os.replace(tmp_ipynb, spec.failed_path)
        kept = str(spec.failed_path)
    if isinstance(exc, PapermillExecutionError):
        first = next((line.strip() for line in str(exc.source or "").splitlines() if line.strip()), "")
        return JobError(
            message=f"cell {exc.cell_index} (In [{exc.exec_count}]) `{first}` raised {exc.ename}: {exc.evalue}",
            ename=str(exc.ename),
            evalue=str(exc.evalue),
            cell_index=int(exc.cell_index),
            exec_count=exc.exec_count,
            source_first_line=first,
            notebook_path=kept,
        )
    message = str(exc) if isinstance(exc, SunaError) else f"{type(exc).__name__}: {exc}"
    return JobError(message=message, ename=type(exc).__name__, evalue=str(exc), notebook_path=kept)


def _cell_seconds(nb: Any) -> float | None:
    """Sum of papermill's per-cell durations (execution only, without kernel start)."""
    total = 0.0
    for cell in nb.cells:
        duration = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if isinstance(duration, (int, float)):
            total += duration
    return total


def _crashed(spec: JobSpec, exc: BaseException) -> JobResult:
    """A job whose worker died (Dask worker lost, unexpected error): recorded like any other failure."""
    return JobResult(
        area=spec.area,
        notebook=spec.stem,
        status="failed",
        notebook_path=spec.notebook_path,
        params_path=spec.params_path,
        area_name=spec.area_name,
        title=spec.title,
        data_source=spec.data_source,
        finished_at=datetime.now().astimezone(),
        error=JobError(message=f"the worker running it stopped: {type(exc).__name__}: {exc}", ename=type(exc).__name__, evalue=str(exc)),
    )


# ---------------------------------------------------------------------------------------------
# The batch


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

    Returns:
        A BatchResult; its ``exit_code`` is non-zero when any job failed.

    Raises:
        UnknownAreaError: an area in ``areas`` has no params file.
        ParametersError: ``jobs`` is below 1 or a notebook in ``notebooks`` does not exist.
    """
    from suna import publish

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
            finished += [
                JobResult(
                    area=area,
                    notebook=nb.stem,
                    status="failed",
                    notebook_path=nb,
                    params_path=params_path,
                    title=titles[nb],
                    finished_at=datetime.now().astimezone(),
                    error=JobError(message=str(exc), ename=type(exc).__name__),
                )
                for nb in notebook_paths
            ]
            continue
        data_sigs = []
        for folder in data_folders(parameters):
            if folder not in folder_sigs:
                folder_sigs[folder] = folder_signature(folder)
            data_sigs.append([str(folder), folder_sigs[folder]])
        for nb in notebook_paths:
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

    bar = tqdm(total=len(finished) + len(pending), desc="suna batch", unit="report", file=sys.stderr, disable=not progress)
    bar.update(len(finished))

    def done(result: JobResult) -> None:
        finished.append(result)
        bar.set_postfix_str(f"{result.area}/{result.notebook} {result.status}", refresh=False)
        bar.update(1)

    try:
        if pending:
            publish.vega_bundle(vega_cache)  # build the offline bundle once, before workers need it
            if scheduler:
                _run_on_dask(pending, scheduler, done)
            else:
                _run_locally(pending, jobs or os.cpu_count() or 1, done)
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
    result.index_path = publish.write_index(result, out_dir)
    result.duration_s = time.perf_counter() - t0
    for job in result.failures:
        logger.error("Failed: %s / %s: %s", job.area, job.notebook, job.error.message if job.error else "")
    return result


def _source_title(notebook: Path) -> str:
    """The report title (first H1) of a notebook, read before it runs so failures are named too."""
    import nbformat

    from suna import publish

    try:
        return publish.notebook_title(nbformat.read(str(notebook), as_version=4), default=notebook.stem)
    except Exception as exc:  # an unreadable notebook fails when its job runs, with papermill's message
        logger.warning("Could not read %s: %s", notebook, exc)
        return notebook.stem


def _run_locally(specs: list[JobSpec], workers: int, done: Callable[[JobResult], None]) -> None:
    """Run jobs in this process, ``workers`` at a time.

    Threads are enough: each notebook runs in its own kernel process, and a job's thread only
    waits on it (and renders the HTML). ``execute_notebook`` never changes the working directory.
    """
    if workers == 1 or len(specs) == 1:
        for spec in specs:
            done(run_job(spec))
        return
    from concurrent.futures import ThreadPoolExecutor, as_completed

    with ThreadPoolExecutor(max_workers=min(workers, len(specs)), thread_name_prefix="suna-batch") as pool:
        futures = {pool.submit(run_job, spec): spec for spec in specs}
        try:
            for future in as_completed(futures):
                try:
                    done(future.result())
                except Exception as exc:  # run_job catches a notebook's failures; this is anything else
                    done(_crashed(futures[future], exc))
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _run_on_dask(specs: list[JobSpec], scheduler: str, done: Callable[[JobResult], None]) -> None:
    """Submit the same job function to a Dask distributed cluster and gather as jobs finish."""
    from distributed import Client, as_completed

    with Client(scheduler) as client:
        futures = client.map(run_job, specs, pure=False)
        spec_of = {future.key: spec for future, spec in zip(futures, specs)}
        for future in as_completed(futures):
            try:
                done(future.result())
            except Exception as exc:
                done(_crashed(spec_of[future.key], exc))


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


# ---------------------------------------------------------------------------------------------
# For the CLI


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
    if result.failures:
        lines.append("Failures:")
        for job in result.failures:
            message = job.error.message if job.error else "no details recorded"
            lines.append(f"  - {job.area} / {job.notebook}: {message}")
            if job.error and job.error.notebook_path:
                lines.append(f"    traceback in {job.error.notebook_path}")
    return "\n".join(lines)
