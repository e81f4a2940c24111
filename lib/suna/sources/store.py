"""The canonical-table store: Parquet files on disk, read per area and validated, written atomically.

A folder holds one file per canonical table (``treatment.parquet``, ``admissions.parquet``, ``deaths.parquet``,
``population.parquet``, and optionally ``population_ethnicity.parquet``, ``crime.parquet`` and ``prison_releases.parquet``); by default the embedded synthetic
sample in ``paths.sample_dir()``. Reads are
memoised per process on the file's path, size and modification time, because notebooks and apps load
the same tables again and again; a rewritten file is read afresh.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import pandas as pd

from suna.core import paths
from suna.core.errors import DataSourceError, SunaError, ValidationError
from suna.model import schemas
from suna.model.areas import Area
from suna.model.population import ethnicity_gaps

log = logging.getLogger(__name__)

CANONICAL_TABLES = ("treatment", "admissions", "deaths", "population", "population_ethnicity", "crime", "prison_releases")
# A folder without them still loads: the views say "not compared" (population_ethnicity) or what to supply
# (crime; prison_releases, for continuity of care).
OPTIONAL_TABLES = ("population_ethnicity", "crime", "prison_releases")
TABLE_FILES = {table: f"{table}.parquet" for table in CANONICAL_TABLES}
_READ_CACHE_SIZE = 16
_FILE_MODE = 0o644  # new files readable by the team, like any file a program writes under the usual umask


def table_path(table: str, data_dir: str | Path | None = None) -> Path:
    """Where a canonical table lives in a data folder (default: the sample folder)."""
    _check_table_name(table)
    return _folder(data_dir) / TABLE_FILES[table]


def load_tables(
    area: Area,
    data_dir: str | Path | None = None,
    tables: tuple[str, ...] = CANONICAL_TABLES,
) -> dict[str, pd.DataFrame]:
    """Read the canonical tables of one area from a folder of Parquet files, validated.

    Records are kept where ``utla_code`` is the area's code; population rows where ``area_code`` is
    one of the area's districts, population-by-ethnicity rows where ``district_code`` is. An optional
    table (``OPTIONAL_TABLES``) that is absent, or has no rows for the area, is left out of the result.

    Args:
        area: the local authority (``suna.model.areas.load_area``).
        data_dir: folder holding ``<table>.parquet``; default the embedded sample (``paths.sample_dir()``).
        tables: which canonical tables to read.

    Returns:
        table name -> a new DataFrame (changing it does not change what later calls return).

    Raises:
        SunaError: the sample has not been built, or a table name is unknown.
        DataSourceError: a file is missing, unreadable, or has no rows for the area.
        ValidationError: a file breaks its schema (names the file, column and rows).
    """
    folder = _folder(data_dir)
    for table in tables:
        _check_table_name(table)
    if data_dir is None or folder == paths.sample_dir():
        _check_sample_built(folder)
    out: dict[str, pd.DataFrame] = {}
    for table in tables:
        path = folder / TABLE_FILES[table]
        if not path.exists() and table in OPTIONAL_TABLES:
            log.info("%s: no %s table; left out (it is optional)", folder, table)
            continue
        if not path.exists():
            hint = " Run `suna sample` to build the sample data." if _is_sample_folder(folder) else ""
            raise DataSourceError(f"{path}: the {table} table is missing from {folder}.{hint}")
        whole = _read_validated(path, table)
        selected = _filter_to_area(whole, table, area, path)
        if selected is not None:
            out[table] = selected
    return out


def _filter_to_area(frame: pd.DataFrame, table: str, area: Area, path: Path) -> pd.DataFrame | None:
    """The area's rows; None for an optional table without any (the area has none supplied)."""
    if table == "population":
        keep = frame["area_code"].isin(area.district_codes)
        what = f"rows for the districts of {area.name} in column 'area_code'"
    elif table == "population_ethnicity":
        keep = frame["district_code"].isin(area.district_codes)
        what = f"rows for the districts of {area.name} in column 'district_code'"
    else:
        keep = frame["utla_code"].eq(area.code)
        what = f"rows with utla_code {area.code} ({area.name})"
    selected = frame.loc[keep].reset_index(drop=True)
    if selected.empty and table in OPTIONAL_TABLES:
        log.info("%s: no %s; the %s table is left out for this area", path, what, table)
        return None
    if table == "population_ethnicity" and (gaps := ethnicity_gaps(selected, area)):
        raise DataSourceError(f"{path}: the population by ethnic group is incomplete: {gaps}.")
    if selected.empty:
        raise DataSourceError(f"{path}: no {what}; the file holds {frame.shape[0]:,} rows for other areas.")
    return selected


def _read_validated(path: Path, table: str) -> pd.DataFrame:
    """The whole file, validated; memoised on path + size + modification time. Returns a new frame."""
    stat = path.stat()
    cached = _read_validated_cached(str(path.resolve()), table, stat.st_size, stat.st_mtime_ns)
    return cached.copy(deep=False)  # copy-on-write: callers' changes never reach the cache


@lru_cache(maxsize=_READ_CACHE_SIZE)
def _read_validated_cached(path: str, table: str, size: int, mtime_ns: int) -> pd.DataFrame:
    log.info("reading %s (%s)", path, table)
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise DataSourceError(f"{path}: could not be read as a Parquet {table} table ({exc}).") from None
    try:
        return schemas.validate(frame, table, source=path)
    except ValidationError:
        raise
    except Exception as exc:  # pandera raises other errors on wholly wrong input
        raise DataSourceError(f"{path}: could not be checked as a {table} table ({exc}).") from None


def clear_cache() -> None:
    """Forget memoised reads (tests; or after files changed within the same second on coarse clocks)."""
    _read_validated_cached.cache_clear()


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a table atomically: to a temporary file in the same folder, then renamed over the target.

    A reader never sees half a file, and if writing fails the previous file is left as it was.
    The format follows the suffix: ``.parquet`` (default) or ``.csv``.
    """
    target = Path(path)
    if target.suffix.lower() == ".csv":
        return _write_atomic(target, lambda tmp: frame.to_csv(tmp, index=False, encoding="utf-8"))
    return _write_atomic(target, lambda tmp: frame.to_parquet(tmp, index=False))


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as UTF-8 CSV, atomically (see ``write_table``)."""
    return _write_atomic(Path(path), lambda tmp: frame.to_csv(tmp, index=False, encoding="utf-8"))


def write_text(text: str, path: str | Path) -> Path:
    """Write a small text file (a manifest) atomically."""
    return _write_atomic(Path(path), lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_bytes(data: bytes, path: str | Path) -> Path:
    """Write a downloaded file (a cached answer) atomically."""
    return _write_atomic(Path(path), lambda tmp: tmp.write_bytes(data))


def _write_atomic(target: Path, write: Callable[[Path], object]) -> Path:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataSourceError(f"{target.parent}: could not create the folder ({exc.strerror or exc}).") from None
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, target.stat().st_mode & 0o777 if target.exists() else _FILE_MODE)  # mkstemp makes 0600
        os.replace(tmp, target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, (KeyboardInterrupt, SystemExit, SunaError)):
            raise
        raise DataSourceError(f"{target}: could not be written ({type(exc).__name__}: {exc}); any previous file is unchanged.") from exc
    log.info("wrote %s", target)
    return target


def _folder(data_dir: str | Path | None) -> Path:
    return Path(data_dir).expanduser().resolve() if data_dir not in (None, "") else paths.sample_dir()


def _is_sample_folder(folder: Path) -> bool:
    return folder == paths.sample_dir() or (folder / "manifest.json").exists()


def _check_sample_built(folder: Path) -> None:
    if not any((folder / name).exists() for name in TABLE_FILES.values()):
        raise SunaError(
            f"The sample data have not been built yet (no tables in {folder}): run `suna sample` first."
        )


def _check_table_name(table: str) -> None:
    if table not in TABLE_FILES:
        raise SunaError(f"Unknown canonical table {table!r}; expected one of: {', '.join(CANONICAL_TABLES)}.")
