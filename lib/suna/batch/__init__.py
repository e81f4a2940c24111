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
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from suna import __version__
from suna.batch import board_pack, publish
from suna.batch.publish import atomic_write_text
from suna.core import paths
from suna.core.errors import ParametersError, SunaError, UnknownAreaError
from suna.core.fingerprint import folder_signature, lib_signature
from suna.model.areas import area_from_params, read_params

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
    export_seconds: float | None = None  # time making the HTML page from the executed notebook
    finished_at: datetime | None = None
    error: JobError | None = None
    worker: str = ""  # "<host> pid <pid>" of the process that ran it (this machine or a Dask worker)

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
    board_packs: dict[str, Any] = field(default_factory=dict)  # area -> suna.batch.board_pack.BoardPack, or why none was made

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
    kernel: WarmKernel | None = None,
) -> Any:
    """Run a notebook with papermill the way the batch does (the product path); return the executed node.

    Args:
        kernel: a running ``WarmKernel`` to run it in (its namespace is reset first); by default
            papermill starts a fresh kernel and shuts it down afterwards.

    Raises:
        papermill.PapermillExecutionError: a cell raised; the executed notebook, with the
            traceback, is still written to ``output``.
    """
    import papermill

    extra: dict[str, Any] = {"extra_arguments": kernel_arguments(kernel_name)}
    if kernel is not None:
        kernel.reset(cwd or Path(notebook).parent)
        extra = {"km": kernel.km}
    try:
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
            **extra,
        )
    finally:
        if kernel is not None:
            kernel.close_clients()


def kernel_arguments(kernel_name: str) -> list[str]:
    """Extra IPython kernel arguments: no start-up warnings on the terminal, no input history database.

    A batch kernel's history is never read, and parallel kernels writing one SQLite file contend.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    try:
        argv = KernelSpecManager().get_kernel_spec(kernel_name).argv
    except Exception:  # an unknown kernel fails in papermill with its own message
        return []
    ipython = any("ipykernel" in str(arg) for arg in argv)
    return ["--IPKernelApp.log_level=ERROR", "--HistoryManager.enabled=False"] if ipython else []


# Run silently in a reused kernel before each notebook, so the notebook starts as in a fresh kernel:
# an empty namespace, In [1], the notebook's folder as working directory, and Altair's and pandas' global settings
# as they were before the first notebook. Imported modules stay loaded: that is the saving (and
# suna.pipeline's in-memory cache of an area's data).
_KERNEL_WARM_UP = """\
import sys as _sys, altair as _alt, pandas as _pd
_sys._suna_batch_initial = (_alt.renderers.active, _alt.theme.active, _alt.data_transformers.active)
del _sys, _alt, _pd
"""
_KERNEL_RESET = """\
get_ipython().reset(new_session=True)
import os as _os, sys as _sys, warnings as _warnings, altair as _alt, pandas as _pd
_renderer, _theme, _transformer = _sys._suna_batch_initial
_os.chdir({cwd!r})
_alt.renderers.enable(_renderer)
_alt.theme.enable(_theme)
_alt.data_transformers.enable(_transformer)
with _warnings.catch_warnings():
    _warnings.simplefilter("ignore")
    _pd.reset_option("^(?!plotting[.])")  # not the plotting options: resetting them imports matplotlib
del _os, _sys, _warnings, _alt, _pd, _renderer, _theme, _transformer
"""


class WarmKernel:
    """One kernel kept running to execute several notebooks in turn (one batch worker's kernel).

    A fresh kernel per notebook pays the kernel start, the imports of pandas, Altair and SUNA, and
    the area's data load every time; a warm kernel pays them once. Before each notebook the
    namespace and global settings are reset (``_KERNEL_RESET``), so a notebook that relies on
    another's variables or imports still fails as it would alone.
    """

    def __init__(self, kernel_name: str, cwd: Path) -> None:
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        class TrackingKernelManager(AsyncKernelManager):
            """Remembers its clients: nbclient leaves open the channels of a kernel it does not own."""

            def client(self, **kwargs: Any) -> Any:
                kc = super().client(**kwargs)
                clients.append(kc)
                return kc

        clients: list[Any] = []
        self._clients = clients
        self.kernel_name = kernel_name
        self.km = TrackingKernelManager(kernel_name=kernel_name)
        run_sync(self.km.start_kernel)(cwd=str(cwd), extra_arguments=kernel_arguments(kernel_name))
        self.runs = 0
        self._run(_KERNEL_WARM_UP)

    def reset(self, cwd: Path) -> None:
        """Clear what the previous notebook left behind (see ``_KERNEL_RESET``); work in ``cwd``."""
        self._run(_KERNEL_RESET.format(cwd=str(Path(cwd).resolve())))
        self.runs += 1

    def close_clients(self) -> None:
        """Stop the channels of the clients used so far (else each warns when garbage-collected)."""
        while self._clients:
            kc = self._clients.pop()
            if kc.channels_running:
                kc.stop_channels()

    def is_alive(self) -> bool:
        from jupyter_core.utils import run_sync

        return bool(run_sync(self.km.is_alive)())

    def shutdown(self) -> None:
        from jupyter_core.utils import run_sync

        try:
            run_sync(self.km.shutdown_kernel)(now=True)
        except Exception as exc:  # already gone
            logger.debug("Kernel shutdown: %s", exc)

    def _run(self, code: str, timeout: float = 120) -> None:
        from jupyter_core.utils import run_sync

        async def run() -> dict[str, Any]:
            kc = self.km.client()
            kc.start_channels()
            try:
                await kc.wait_for_ready(timeout=timeout)
                return await kc.execute_interactive(code, silent=True, store_history=False, allow_stdin=False, timeout=timeout)
            finally:
                self.close_clients()

        reply = run_sync(run)()
        content = reply.get("content", {})
        if content.get("status") != "ok":
            raise RuntimeError(f"preparing the kernel failed: {content.get('ename')}: {content.get('evalue')}")


def run_job(spec: JobSpec, kernel: WarmKernel | None = None) -> JobResult:
    """Run one notebook for one area and publish it; never raises for a notebook's own failure.

    Outputs are written to temporary names and moved into place, so an interrupted job leaves
    the previous good report. A failed run keeps its executed notebook as ``<notebook>.failed.ipynb``.
    With ``kernel``, the notebook runs in that warm kernel; otherwise in a fresh one.
    """
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
        nb = execute_notebook(spec.notebook_path, tmp_ipynb, spec.parameters, spec.notebook_path.parent, spec.kernel_name, kernel)
        title = publish.notebook_title(nb, default=spec.stem)
        cells = _cell_seconds(nb)
        exporting = time.perf_counter()
        bundle = publish.vega_bundle(spec.vega_cache_dir)
        page = publish.notebook_to_html(nb, title=title, bundle=bundle, keep=False)  # written already
        exported = time.perf_counter() - exporting
        publish.atomic_write_text(tmp_html, page)
        os.replace(tmp_ipynb, spec.ipynb_path)
        os.replace(tmp_html, spec.html_path)
        spec.failed_path.unlink(missing_ok=True)
        result = JobResult(
            **common,
            status="ok",
            title=title,
            duration_s=time.perf_counter() - started,
            cell_seconds=cells,
            export_seconds=exported,
            finished_at=datetime.now().astimezone(),
            worker=_worker_name(),
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
            worker=_worker_name(),
        )
    finally:
        tmp_ipynb.unlink(missing_ok=True)
        tmp_html.unlink(missing_ok=True)
    try:
        _write_stamp(spec, result)
    except OSError as exc:
        logger.warning("Could not write the stamp %s: %s", spec.stamp_path, exc)
    return result


def _worker_name() -> str:
    return f"{socket.gethostname()} pid {os.getpid()}"


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


def _refused(area: str, notebook: Path, params_path: Path, title: str, exc: SunaError, area_name: str = "") -> JobResult:
    """A job that cannot start (its params file is broken, or names a parameter the notebook lacks)."""
    return JobResult(
        area=area,
        notebook=notebook.stem,
        status="failed",
        notebook_path=notebook,
        params_path=params_path,
        title=title,
        area_name=area_name,
        finished_at=datetime.now().astimezone(),
        error=JobError(message=str(exc), ename=type(exc).__name__),
    )


def _crashed(spec: JobSpec, exc: BaseException, what: str = "the worker running it stopped") -> JobResult:
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
        error=JobError(message=f"{what}: {type(exc).__name__}: {exc}", ename=type(exc).__name__, evalue=str(exc)),
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


def _source_title(notebook: Path) -> str:
    """The report title (first H1) of a notebook, read before it runs so failures are named too."""
    import nbformat


    try:
        return publish.notebook_title(nbformat.read(str(notebook), as_version=4), default=notebook.stem)
    except Exception as exc:  # an unreadable notebook fails when its job runs, with papermill's message
        logger.warning("Could not read %s: %s", notebook, exc)
        return notebook.stem


def declared_parameters(notebook: Path) -> list[str] | None:
    """The parameters a notebook declares (its ``parameters`` cell), or None if it cannot be read."""
    import papermill

    try:
        return list(papermill.inspect_notebook(str(notebook)))
    except Exception as exc:  # an unreadable notebook fails when its job runs, with papermill's message
        logger.warning("Could not inspect the parameters of %s: %s", notebook, exc)
        return None


def _undeclared_parameter(
    params_path: Path, parameters: Mapping[str, Any], notebook: Path, declared: list[str] | None
) -> ParametersError | None:
    """An error for the first parameter the notebook does not declare (papermill would only warn)."""
    if declared is None:
        return None
    for key in parameters:
        if key not in declared:
            takes = f"takes {', '.join(declared)}" if declared else "has no cell tagged 'parameters'"
            return ParametersError(str(params_path), str(key), f"is not a parameter of {notebook.name}, which {takes}")
    return None


def _run_locally(specs: list[JobSpec], workers: int, done: Callable[[JobResult], None], warm: bool = True) -> None:
    """Run jobs in this process, ``workers`` at a time, each worker in its own warm kernel.

    Threads are enough: each notebook runs in a kernel process, and a job's thread only waits on
    it (and renders the HTML). ``execute_notebook`` never changes this process's working directory.
    A worker keeps to one area while it has jobs left, so the area's data loads once per kernel
    (``_AreaQueue`` says when helping with another worker's area pays); a kernel that died or hung
    is replaced. With ``warm=False`` every notebook gets a fresh kernel.
    """
    import threading

    queue = _AreaQueue(specs, always_help=not warm)
    lock = threading.Lock()
    stop = threading.Event()
    kernels: list[WarmKernel] = []

    def report(result: JobResult) -> None:
        with lock:
            done(result)

    def worker() -> None:
        kernel: WarmKernel | None = None
        area: str | None = None
        loaded: set[str] = set()  # areas this worker's kernel has run a notebook for
        try:
            while not stop.is_set() and (spec := queue.next(area)) is not None:
                area = spec.area
                try:
                    if warm and kernel is None:
                        kernel = WarmKernel(spec.kernel_name, spec.notebook_path.parent)
                        with lock:
                            kernels.append(kernel)
                    result = run_job(spec, kernel)
                except Exception as exc:  # the kernel would not start; run_job itself never raises
                    result = _crashed(spec, exc, "its kernel could not be started or prepared")
                queue.finished(spec.area, result.duration_s if result.status == "ok" else None, first=spec.area not in loaded)
                loaded.add(spec.area)
                if kernel is not None and (result.status == "failed" and not _is_cell_error(result) or not kernel.is_alive()):
                    kernel.shutdown()  # dead, hung or half-started: the next job gets a new one
                    kernel = None
                    loaded.clear()
                if not stop.is_set():
                    report(result)
        finally:
            if kernel is not None:
                kernel.shutdown()

    threads = [threading.Thread(target=worker, name=f"suna-batch-{i}", daemon=True) for i in range(min(workers, len(specs)))]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(timeout=0.5)
    except BaseException:  # Ctrl-C: stop taking jobs and kill the kernels, which ends the running ones
        stop.set()
        queue.close()
        with lock:
            for kernel in kernels:
                kernel.shutdown()
        raise


def _is_cell_error(result: JobResult) -> bool:
    """A notebook's own cell raised (the kernel is fine), as opposed to a dead or timed-out kernel."""
    return result.error is not None and result.error.cell_index is not None


class _AreaQueue:
    """Pending jobs by area, handed to workers so that each area's data is loaded as few times as pays.

    A worker takes its own area's next job, else an area nobody runs. Failing those, helping with
    an area another worker runs costs one more load of its data (L) to share its k remaining
    notebooks (c each): with r workers on it, worth it when L < k c / (r (r + 1)). L and c are
    estimated from the area's finished jobs (a kernel's first notebook for an area includes the
    load); until there is an estimate, or while it says no, the worker waits for jobs to finish.
    """

    def __init__(self, specs: list[JobSpec], always_help: bool = False) -> None:
        import threading

        self._changed = threading.Condition()
        self._pending: dict[str, list[JobSpec]] = {}
        for spec in specs:
            self._pending.setdefault(spec.area, []).append(spec)
        self._running = dict.fromkeys(self._pending, 0)
        self._first: dict[str, list[float]] = {a: [] for a in self._pending}  # seconds of notebooks that loaded the data
        self._later: dict[str, list[float]] = {a: [] for a in self._pending}  # seconds of the others
        self._always_help = always_help  # fresh kernels load the data for every notebook anyway
        self._closed = False

    def next(self, area: str | None) -> JobSpec | None:
        """The next job for a worker that last ran ``area``; None when there is nothing left to do.

        Asking is what releases the worker's hold on ``area`` (so no other worker takes it as free
        between this worker's jobs).
        """
        with self._changed:
            if area is not None:
                self._running[area] -= 1
                self._changed.notify_all()
            while not self._closed:
                left = [a for a, jobs in self._pending.items() if jobs]
                if not left:
                    return None
                if area not in left:
                    free = [a for a in left if self._running[a] == 0]
                    helpable = free or [a for a in left if self._always_help or self._helping_pays(a)]
                    if not helpable:
                        self._changed.wait()
                        continue
                    area = max(helpable, key=lambda a: len(self._pending[a]))
                self._running[area] += 1
                return self._pending[area].pop(0)
            return None

    def finished(self, area: str, seconds: float | None, first: bool) -> None:
        """Record a finished job (``seconds`` None if it failed) and wake waiting workers."""
        with self._changed:
            if seconds is not None:
                (self._first if first else self._later)[area].append(seconds)
            self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def _helping_pays(self, area: str) -> bool:
        first, later = self._first[area], self._later[area]
        if not first or not later:
            return False
        per_notebook = sum(later) / len(later)
        load = max(sum(first) / len(first) - per_notebook, 0.0)
        workers = self._running[area]
        return load < len(self._pending[area]) * per_notebook / (workers * (workers + 1))


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
