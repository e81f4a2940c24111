"""The one place that builds paths, rooted at the project, never the current directory.

papermill and Voilà change the working directory, so every path comes from here.
The environment variable ``SUNA_HOME`` points SUNA at another project folder.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The project folder (holding params/, data/, shapes/, notebooks/)."""
    override = os.environ.get("SUNA_HOME")
    if override:
        return Path(override).resolve()
    return Path(__file__).resolve().parents[3]


def params_dir() -> Path:
    return project_root() / "params"


def data_dir() -> Path:
    return project_root() / "data"


def sample_dir() -> Path:
    """Where `suna sample` writes the embedded synthetic data (overridable with SUNA_SAMPLE_DIR)."""
    override = os.environ.get("SUNA_SAMPLE_DIR")
    return Path(override).resolve() if override else data_dir() / "sample"


def reference_dir() -> Path:
    """Small reference facts shipped with SUNA: code lists, ESP 2013, category lists."""
    return data_dir() / "reference"


def shapes_dir() -> Path:
    return project_root() / "shapes"


def shapes_cache_dir() -> Path:
    return shapes_dir() / "cache"


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def apps_dir() -> Path:
    return notebooks_dir() / "apps"


def reports_dir() -> Path:
    """Where the batch writes reports and board packs, and where the app finds a pack (``SUNA_REPORTS_DIR``
    overrides it, e.g. for a service whose reports live on a mounted volume)."""
    override = os.environ.get("SUNA_REPORTS_DIR")
    return Path(override).resolve() if override else project_root() / "reports"


def cache_dir() -> Path:
    """Downloads (Fingertips, ONS) are cached here."""
    override = os.environ.get("SUNA_CACHE_DIR")
    return Path(override).resolve() if override else project_root() / ".cache"


def published_dir() -> Path:
    """Published tables shipped with SUNA (ONS, MHCLG; Open Government Licence), each with its provenance."""
    return data_dir() / "published"
