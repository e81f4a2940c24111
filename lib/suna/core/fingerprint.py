"""Fingerprints of SUNA's code and of a data folder: what decides whether a saved result is still true.

The batch skips a report, and the pipeline reuses a saved indicators table, only when neither the
library nor the input files have changed since it was made.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import suna
from suna.core import paths


def lib_signature() -> str:
    """SHA-256 over the ``suna`` package's files, the reference data and the published tables' provenance
    records (each holds its table's checksum): a change reruns everything.

    Taken once per process and reference folder: the code a process runs is the code it imported,
    so a file edited while it runs must not stamp that process's results as made by the new code.
    """
    return _signature(paths.reference_dir())


@lru_cache(maxsize=None)
def _signature(reference_dir: Path) -> str:
    digest = hashlib.sha256()
    roots = [Path(suna.__file__).resolve().parent, reference_dir, reference_dir.parent / "published"]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if root.name == "published" and not path.name.endswith(".provenance.yaml"):
                continue
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
                digest.update(f"{root.name}/{path.relative_to(root).as_posix()}".encode())
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
