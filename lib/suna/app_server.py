"""Serves the board members' district explorer with Voilà on 127.0.0.1.

Safe by configuration: sources stripped, no tracebacks, only the apps folder is served,
a preheated kernel so the first viewer does not wait for Python to start.
"""

from __future__ import annotations

import logging
import subprocess
import sys

from suna import paths

log = logging.getLogger(__name__)
APP_NOTEBOOK = "district_explorer.ipynb"


def voila_command(port: int = 8866, open_browser: bool = False, preheat: bool = True, pool_size: int = 1) -> list[str]:
    """The Voilà command line SUNA uses in production and in tests."""
    cmd = [
        sys.executable, "-m", "voila", str(paths.apps_dir() / APP_NOTEBOOK),
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        f"--Voila.root_dir={paths.apps_dir()}",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--theme=light",
        "--VoilaConfiguration.file_allowlist=[]",
        "--VoilaConfiguration.http_keep_alive_timeout=30",
    ]
    if preheat:
        cmd += ["--preheat_kernel=True", f"--pool_size={pool_size}"]
    if not open_browser:
        cmd.append("--no-browser")
    return cmd


def serve(port: int = 8866, open_browser: bool = True) -> int:
    """Run Voilà in the foreground until interrupted."""
    cmd = voila_command(port=port, open_browser=open_browser)
    log.info("starting %s", " ".join(cmd))
    return subprocess.call(cmd, cwd=paths.apps_dir())
