"""Which worker runs which job: threads on this machine keeping to one area while they can, or a Dask cluster.
"""


from __future__ import annotations

import logging
from collections.abc import Callable

from suna.batch.jobs import JobResult, JobSpec
from suna.batch.kernels import WarmKernel, _crashed, run_job

logger = logging.getLogger(__name__)


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
