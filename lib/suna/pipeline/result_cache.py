"""The computed, protected indicators of an area, saved on disk and reused while nothing has changed.

Computing and protecting an area's indicators takes seconds to a minute (secondary suppression over
every district, sex and category); every notebook of a batch and every app kernel needs the same
table. A saved result is used only when the area definition, the period, the input files (names,
sizes, times) and the library (code and reference data) are all unchanged, so a stale table can
never be shown. Files are written atomically; an unreadable file is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from suna.core import paths
from suna.core.fingerprint import folder_signature, lib_signature
from suna.model.areas import Area
from suna.sources.store import write_table, write_text

log = logging.getLogger(__name__)

PARTS = ("raw", "table", "record")
KEEP_PER_AREA = 6  # saved results kept for each area (periods, data folders, library versions); older ones go


def cache_key(area: Area, period: str, folder: Path) -> str:
    """A digest of everything the indicators depend on."""
    payload = json.dumps(
        {"area": asdict(area), "period": period, "inputs": folder_signature(folder), "lib": lib_signature()},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def _folder(area: Area, key: str) -> Path:
    return paths.cache_dir() / "indicators" / f"{area.code}-{key}"


def load(area: Area, key: str) -> dict[str, pd.DataFrame] | None:
    """The saved raw indicators, protected table and suppression record, or None."""
    folder = _folder(area, key)
    if not (folder / "dtypes.json").is_file():
        return None
    try:
        dtypes = json.loads((folder / "dtypes.json").read_text())
        return {part: _as_built(pd.read_parquet(folder / f"{part}.parquet"), dtypes[part]) for part in PARTS}
    except Exception as exc:  # a damaged cache is rebuilt, never trusted
        log.warning("ignoring unreadable indicators cache %s: %s", folder, exc)
        return None


def save(area: Area, key: str, frames: dict[str, pd.DataFrame]) -> None:
    """Save the three tables; a failure only costs the next run a recomputation."""
    folder = _folder(area, key)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for part in PARTS:
            write_table(_parquet_safe(frames[part]), folder / f"{part}.parquet")
        dtypes = {part: {c: str(t) for c, t in frames[part].dtypes.items()} for part in PARTS}
        write_text(json.dumps(dtypes), folder / "dtypes.json")  # written last: marks the set complete
    except Exception as exc:
        log.warning("could not save the indicators cache in %s: %s", folder, exc)
        return
    _prune(area)


def _prune(area: Area, kind: str = "indicators") -> None:
    """Remove the area's saved results (or derived tables) beyond the newest ``KEEP_PER_AREA``.

    Every change of library, data or period makes a new key, so without this the cache grows with
    each upgrade. A reader of a folder removed under it finds it unreadable and recomputes.
    """
    import shutil

    saved = []
    for folder in (paths.cache_dir() / kind).glob(f"{area.code}-*"):
        try:
            marker = folder / "dtypes.json" if kind == "indicators" else folder
            saved.append((marker.stat().st_mtime_ns, folder))
        except OSError:  # incomplete: another process is still writing it, or it is broken
            continue
    for _, folder in sorted(saved, reverse=True)[KEEP_PER_AREA:]:
        shutil.rmtree(folder, ignore_errors=True)


def load_derived(area: Area, key: str, name: str) -> Any | None:
    """A table derived from the area's saved result (a cohort's protected table), or None.

    Derived tables are kept beside nothing else and keyed by the same digest as the indicators, so a
    change of data, period or library makes them unreachable, as it does the indicators. They are
    pickled: only SUNA writes this folder, and a table must read back exactly as it was built.
    """
    import pickle

    if not key:
        return None
    target = _derived_folder(area, key) / f"{_safe_name(name)}.pkl"
    try:
        with open(target, "rb") as fh:
            return pickle.load(fh)
    except FileNotFoundError:
        return None
    except Exception as exc:  # damaged or from another pandas: rebuilt, never trusted
        log.warning("ignoring unreadable derived table %s: %s", target, exc)
        return None


def save_derived(area: Area, key: str, name: str, value: Any) -> None:
    """Save a derived table atomically; a failure only costs the next reader a rebuild."""
    import os
    import pickle
    import tempfile

    if not key:
        return
    folder = _derived_folder(area, key)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=folder, delete=False, suffix=".tmp") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(fh.name, folder / f"{_safe_name(name)}.pkl")
    except Exception as exc:
        log.warning("could not save the derived table %s in %s: %s", name, folder, exc)
        return
    _prune(area, "derived")


def _derived_folder(area: Area, key: str) -> Path:
    return paths.cache_dir() / "derived" / f"{area.code}-{key}-pandas{pd.__version__}"


def _safe_name(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name)


def _parquet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns holding mixed types (text and numbers) become text, as Parquet needs one type."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            kinds = {type(v) for v in out[col].dropna()}
            if len(kinds) > 1:
                out[col] = out[col].map(lambda v: v if _missing(v) else str(v))
    return out


def missing_as_none(frame: pd.DataFrame) -> pd.DataFrame:
    """Plain object columns with every missing value as None, as they read back from the cache."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].where(out[col].notna(), None)
    return out


def _as_built(frame: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    """Columns back to the types the pipeline built (Parquet reads plain object text as strings)."""
    for col, dtype in dtypes.items():
        if dtype == "object" and str(frame[col].dtype) != "object":
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
