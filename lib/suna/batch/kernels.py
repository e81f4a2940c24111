"""Running one job: papermill in a fresh kernel or in a warm one reset between notebooks, and what a failure says.
"""


from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from suna.batch import publish
from suna.batch.jobs import JobError, JobResult, JobSpec, _write_stamp
from suna.core.errors import SunaError

logger = logging.getLogger(__name__)


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
