"""Serves the board members' district explorer with Voilà on 127.0.0.1.

Safe by configuration: sources stripped, no tracebacks, only the app notebook is served (no file
browser, no other files), and SUNA's own Voilà template (``app_template/``: Voilà's lab template
without its CDN stylesheet) so the page fetches nothing from the internet. A preheated kernel runs
the app before the first viewer arrives, so the first page shows in about a second, not ten.
Voilà runs as :class:`CompressingVoila` (``python -m suna.app_server``): Voilà itself with gzip on its
pages and scripts and permessage-deflate on the kernel websocket, which brings the page under 2 MB
without a proxy. ``docs/app.md`` has the production set-up (pool size, reverse proxy, memory per viewer).
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from suna import paths

log = logging.getLogger(__name__)
APP_NOTEBOOK = "district_explorer.ipynb"
TEMPLATE = "suna"
TEMPLATE_ROOT = Path(__file__).resolve().parent / "app_template"  # holds voila/templates/suna/


def voila_command(
    port: int = 8866,
    open_browser: bool = False,
    preheat: bool = True,
    pool_size: int = 1,
    base_url: str = "/",
) -> list[str]:
    """The Voilà command line SUNA uses in production and in tests.

    Args:
        port: port on 127.0.0.1.
        open_browser: open the app in the user's browser.
        preheat: keep ``pool_size`` kernels that have already run the app, ready for the next viewers.
        pool_size: how many preheated kernels to keep (one per viewer expected at the same moment).
        base_url: the path prefix when served behind a reverse proxy, e.g. "/suna/".
    """
    cmd = [
        sys.executable, "-m", "suna.app_server", str(paths.apps_dir() / APP_NOTEBOOK),
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        f"--Voila.root_dir={paths.apps_dir()}",
        f"--Voila.base_url={base_url}",
        f"--template={TEMPLATE}",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--theme=light",
        "--VoilaConfiguration.file_allowlist=[]",
        "--VoilaConfiguration.http_keep_alive_timeout=30",
        # a busy server (many viewers starting at once) can be slow to pass on the app's output;
        # nbclient's 4 s default would then drop it and leave a blank page
        "--VoilaExecutor.iopub_timeout=60",
    ]
    if preheat:
        cmd += ["--preheat_kernel=True", f"--pool_size={pool_size}"]
    if not open_browser:
        cmd.append("--no-browser")
    return cmd


def voila_environment() -> dict[str, str]:
    """The environment Voilà runs in: SUNA's template found first on the Jupyter path."""
    env = dict(os.environ)
    existing = env.get("JUPYTER_PATH")
    env["JUPYTER_PATH"] = os.pathsep.join([str(TEMPLATE_ROOT), *([existing] if existing else [])])
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env


def serve(port: int = 8866, open_browser: bool = True) -> int:
    """Run Voilà in the foreground until interrupted."""
    cmd = voila_command(port=port, open_browser=open_browser)
    log.info("starting %s", " ".join(cmd))
    print(f"SUNA district explorer: http://127.0.0.1:{port}/  (Ctrl+C to stop)", flush=True)
    return subprocess.call(cmd, cwd=paths.apps_dir(), env=voila_environment())


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(port: int | None = None, log_file: Path | None = None, timeout: float = 120.0,
          **options: object) -> tuple[subprocess.Popen[bytes], str]:
    """Start Voilà in the background and wait until it answers; for tests and benchmarks.

    Returns:
        The process (stop it with :func:`stop`) and the app's URL.

    Raises:
        RuntimeError: Voilà exited or did not answer within ``timeout`` seconds.
    """
    port = port or free_port()
    sink = open(log_file, "wb") if log_file else subprocess.DEVNULL  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(voila_command(port=port, **options), cwd=paths.apps_dir(),  # type: ignore[arg-type]
                               env=voila_environment(), stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}{options.get('base_url', '/')}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Voilà exited with code {process.returncode}; see {log_file or 'its output'}")
        try:
            # any HTTP answer will do (a 403 for an unlisted file is cheap and starts no kernel)
            with urllib.request.urlopen(url + "voila/files/ready", timeout=2):
                return process, url
        except urllib.error.HTTPError:
            return process, url
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    stop(process)
    raise RuntimeError(f"Voilà did not answer on {url} within {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """Stop a Voilà started by :func:`start` (its kernels go with it)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _compressing_voila() -> type:
    """Voilà with compressed responses: its own ``tornado_settings`` come too late for that.

    Voilà 0.5 builds its Tornado application and only then applies ``Voila.tornado_settings``, so
    ``compress_response`` never takes effect (Tornado adds its gzip transform while building). The
    settings are put in before building instead. Kernel messages (the charts) are compressed by the
    websocket's permessage-deflate, which Tornado reads per connection.
    """
    from voila.app import Voila

    class CompressingVoila(Voila):  # type: ignore[misc]
        def init_settings(self) -> dict:
            settings = super().init_settings()
            settings["compress_response"] = True
            settings["websocket_compression_options"] = {"compression_level": 6, "mem_level": 8}
            return settings

    return CompressingVoila


if __name__ == "__main__":
    _compressing_voila().launch_instance()
