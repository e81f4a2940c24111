"""A batch's jobs: one notebook for one area, its parameters, its result, and the stamp that says it is up to date.
"""


from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from suna import __version__
from suna.batch import publish
from suna.batch.publish import atomic_write_text
from suna.core import paths
from suna.core.errors import ParametersError, UnknownAreaError
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
