"""What the district explorer has drawn, kept on disk and shared by every viewer's kernel.

Each viewer of the Voilà app has a kernel of their own: fifty board members are fifty kernels on
one server. A view takes from a tenth of a second to seconds to compute and draw, so a choice must
find its views drawn already, and no view should be drawn twice, whichever kernel asks first:

- drawn views (Jupyter outputs, JSON) are kept by view and choice under ``.cache/app/outputs/``,
  and in memory for the kernel that drew or read them;
- a kernel drawing a view ahead of a viewer (``suna.app.widgets`` warms every district, year's substance
  group and section) first claims it with a file created exclusively, so other kernels skip it;
- an area's summary (the names, districts, years and notes the page shows before any view) is kept
  too, so a viewer's kernel loads the area's data only when it has something left to draw.

Keys start with the data fingerprint (``suna.pipeline.data_fingerprint``): new data or a new SUNA
never meets an old drawing. Only successful drawings are kept; files are written atomically.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from suna.core import paths

log = logging.getLogger(__name__)

CLAIM_SECONDS = 300.0  # a claim older than this is a kernel that stopped mid-drawing: draw it again


def drawing_version() -> int:
    """Changes when the code that turns a view into outputs (``suna.app.widgets``, ``suna.presentation.chart_svg``,
    this module) changes."""
    app = Path(__file__).resolve().parent
    files = (app / "widgets.py", app / "cache.py", app.parent / "presentation" / "chart_svg.py")
    return sum(path.stat().st_mtime_ns for path in files)


class OutputCache:
    """Drawn views by view and choice, in memory and on disk; summaries of areas; claims on work.

    Args:
        folder: where drawings are kept (default ``.cache/app/outputs`` under ``paths.cache_dir()``).
        memory_items: drawings kept in this process's memory (a panel is two or three).
    """

    def __init__(self, folder: Path | None = None, memory_items: int = 256) -> None:
        self.folder = folder if folder is not None else paths.cache_dir() / "app" / "outputs"
        self.memory_items = memory_items
        self._memory: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(fingerprint: str, view: str, choice: dict[str, Any], renderer: str) -> str:
        text = json.dumps([fingerprint, view, choice, renderer, drawing_version()], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def has(self, key: str) -> bool:
        """Whether a drawing is kept, without reading it (warming asks this of hundreds of keys)."""
        with self._lock:
            if key in self._memory:
                return True
        return (self.folder / f"{key}.json").is_file()

    def get(self, key: str) -> list[dict[str, Any]] | None:
        with self._lock:
            found = self._memory.get(key)
        if found is not None:
            return found
        found = self._read(self.folder / f"{key}.json")
        if found is not None:
            self._remember(key, found)
        return found

    def put(self, key: str, outputs: list[dict[str, Any]]) -> None:
        self._remember(key, outputs)
        self._write(self.folder / f"{key}.json", outputs)

    def claim(self, key: str) -> bool:
        """Take the drawing of ``key`` on for this process; False when another process is drawing it."""
        path = self.folder / f"{key}.claim"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            return True
        except FileExistsError:
            try:
                if time.time() - path.stat().st_mtime < CLAIM_SECONDS:
                    return False
                path.unlink()  # left by a kernel that stopped: take it over
            except OSError:
                return False
            return self.claim(key)
        except OSError:
            return True  # a read-only cache: draw without sharing

    def release(self, key: str) -> None:
        try:
            (self.folder / f"{key}.claim").unlink()
        except OSError:
            pass

    # -- an area's summary: what the page shows before any view
    def summary(self, fingerprint: str) -> dict[str, Any] | None:
        return self._read(self.folder / f"area-{fingerprint}-{drawing_version()}.json")

    def put_summary(self, fingerprint: str, summary: dict[str, Any]) -> None:
        self._write(self.folder / f"area-{fingerprint}-{drawing_version()}.json", summary)

    # -- files
    @staticmethod
    def _read(path: Path) -> Any:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _write(self, path: Path, value: Any) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f"{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp")
            partial.write_text(json.dumps(value), encoding="utf-8")
            os.replace(partial, path)
        except OSError:
            log.warning("could not keep a drawn view on disk in %s", self.folder)

    def _remember(self, key: str, outputs: list[dict[str, Any]]) -> None:
        with self._lock:
            if len(self._memory) >= self.memory_items:
                self._memory.pop(next(iter(self._memory)))
            self._memory[key] = outputs


__all__ = ["CLAIM_SECONDS", "OutputCache", "drawing_version"]
