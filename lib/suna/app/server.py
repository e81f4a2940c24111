"""Serves the board members' district explorer with Voilà (127.0.0.1 unless told otherwise).

Safe by configuration: sources stripped, no tracebacks, only the app notebook is served (no file
browser, no other files, no template or theme chosen by the visitor), and SUNA's own Voilà template
(``template/``: Voilà's lab template without its CDN stylesheet) so the page fetches nothing from
the internet. A preheated kernel runs the app before the first viewer arrives, so the first page
shows in about a second, not ten.

Voilà runs as :class:`SunaVoila` (``python -m suna.app.server``): Voilà itself with

- gzip on its pages and scripts and permessage-deflate on the kernel websocket (the page under 2 MB
  without a proxy);
- a health endpoint, ``<base-url>suna/health``: 200 ``{"ready": true, ...}`` once a preheated kernel
  has run the app, 503 before (for container health checks and load balancers);
- a limit on viewers (``--max-kernels``): Voilà has none (voila-dashboards/voila#617), so SUNA's
  kernel manager refuses a kernel beyond the limit and the visitor gets a 503 "try again" page;
- forwarded headers (X-Real-IP, X-Forwarded-For/Proto) trusted when it listens on loopback only,
  where only a local reverse proxy can reach it;
- the access token read from ``SUNA_APP_TOKEN`` (kept out of the process list and out of the kernels'
  environment).

``suna app`` (:func:`serve`) supervises that server: it runs it in its own session, passes SIGTERM,
SIGINT and SIGHUP on, and stops the server and every kernel within 10 seconds (a grace of 8, then
SIGKILL to the whole tree recorded while it ran); a server that dies ends ``suna app`` with one line
and a non-zero status. ``docs/app.md`` and ``docs/deploy.md`` have the production set-up.
"""

from __future__ import annotations

import ctypes
import errno
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psutil

from suna.core import paths
from suna.core.errors import SunaError

log = logging.getLogger(__name__)
APP_NOTEBOOK = "district_explorer.ipynb"
TEMPLATE = "suna"
TEMPLATE_ROOT = Path(__file__).resolve().parent / "template"  # holds voila/templates/suna/
HEALTH_PATH = "suna/health"  # under the base URL
TOKEN_ENV = "SUNA_APP_TOKEN"
LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
STOP_GRACE = 8.0  # seconds between SIGTERM and SIGKILL when stopping
KERNEL_SHUTDOWN_WAIT = 3.0  # Voilà's own graceful kernel shutdown, inside the grace
CONNECT_GRACE = 300.0  # seconds a viewer's browser has to connect to the kernel it was given before culling
_BASE_URL = re.compile(r"^/(?:[A-Za-z0-9._~-]+/)*$")


def normalise_base_url(base_url: str) -> str:
    """``suna-app`` -> ``/suna-app/``; refuses anything but plain path segments (no ``..``, no query)."""
    value = "/" + base_url.strip().strip("/") + "/" if base_url.strip().strip("/") else "/"
    if not _BASE_URL.match(value) or any(part in (".", "..") for part in value.split("/")):
        raise SunaError(f"--base-url {base_url!r} is not a plain path such as /suna/ (letters, digits, '.', '_', '~', '-').")
    return value


def voila_command(
    port: int = 8866,
    open_browser: bool = False,
    preheat: bool = True,
    pool_size: int = 1,
    base_url: str = "/",
    host: str = "127.0.0.1",
    max_kernels: int = 0,
    cull_idle: int = 0,
) -> list[str]:
    """The Voilà command line SUNA uses in production and in tests.

    Args:
        port: TCP port.
        open_browser: open the app in the user's browser.
        preheat: keep ``pool_size`` kernels that have already run the app, ready for the next viewers.
        pool_size: how many preheated kernels to keep (one per viewer expected at the same moment).
        base_url: the path prefix when served behind a reverse proxy, e.g. "/suna/".
        host: the address to listen on; 127.0.0.1 unless the server must be reached from elsewhere.
        max_kernels: at most this many viewers (kernels handed to viewers) at once; 0 for no limit.
            Preheated kernels waiting for a viewer come on top.
        cull_idle: shut down a viewer's kernel after this many seconds without activity and with no
            browser connected (a tab closed without unloading, a visitor gone); 0 never.
    """
    cmd = [
        sys.executable, "-m", "suna.app.server", str(paths.apps_dir() / APP_NOTEBOOK),
        f"--port={port}",
        f"--Voila.ip={host}",
        "--Voila.port_retries=0",  # a taken port is an error, never a silent move to another port
        f"--Voila.root_dir={paths.apps_dir()}",
        f"--Voila.base_url={normalise_base_url(base_url)}",
        f"--template={TEMPLATE}",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--theme=light",
        "--VoilaConfiguration.allow_template_override=NO",  # no ?template= / ?theme= from visitors
        "--VoilaConfiguration.allow_theme_override=NO",
        "--VoilaConfiguration.file_allowlist=[]",
        "--VoilaConfiguration.http_keep_alive_timeout=30",
        # a busy server (many viewers starting at once) can be slow to pass on the app's output;
        # nbclient's 4 s default would then drop it and leave a blank page
        "--VoilaExecutor.iopub_timeout=60",
        # kernels asked to stop get this long before SIGKILL, so a stop fits in STOP_GRACE
        f"--KernelManager.shutdown_wait_time={KERNEL_SHUTDOWN_WAIT:g}",
        f"--SunaVoila.max_kernels={max(0, int(max_kernels))}",
    ]
    if cull_idle and cull_idle > 0:
        cmd += [f"--MappingKernelManager.cull_idle_timeout={int(cull_idle)}",
                f"--MappingKernelManager.cull_interval={cull_interval(cull_idle)}"]
    if preheat:
        cmd += ["--preheat_kernel=True", f"--pool_size={pool_size}"]
    if not open_browser:
        cmd.append("--no-browser")
    return cmd


def cull_interval(cull_idle: int) -> int:
    """How often to look for idle kernels: a quarter of the idle time, between 5 s and 5 minutes."""
    return int(min(300, max(5, cull_idle // 4)))


def voila_environment(token: str | None = None) -> dict[str, str]:
    """The environment Voilà runs in: SUNA's template found first on the Jupyter path."""
    env = dict(os.environ)
    existing = env.get("JUPYTER_PATH")
    env["JUPYTER_PATH"] = os.pathsep.join([str(TEMPLATE_ROOT), *([existing] if existing else [])])
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    env.pop(TOKEN_ENV, None)
    if token:
        env[TOKEN_ENV] = token
    return env


def is_loopback(host: str) -> bool:
    return host in LOOPBACK or host.startswith("127.")


def local_url(host: str, port: int, base_url: str = "/") -> str:
    """The URL to reach the server from this machine (a wildcard address is reached on loopback)."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host in ("::", "[::]"):
        host = "[::1]"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}{normalise_base_url(base_url)}"


def exposure_warning(host: str, token: str | None) -> str | None:
    """The one-line warning printed when the app listens beyond loopback with no token."""
    if is_loopback(host) or token:
        return None
    return (f"suna: warning: the app listens on {host} with no token: anyone who can reach this port can open "
            "the app. Put it behind the council's sign-in (docs/deploy.md) or pass --token.")


def check_port_free(host: str, port: int) -> None:
    """Raise a SunaError naming the port when something already listens on it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Tornado binds: TIME_WAIT is no obstacle
        try:
            s.bind((host.strip("[]"), port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise SunaError(f"Port {port} on {host} is already in use (another `suna app`?). "
                                "Stop it, or choose another port with --port.") from None
            raise SunaError(f"Cannot listen on {host} port {port}: {error.strerror}.") from None


# ---------------------------------------------------------------- supervising the server


def _process_tree(pid: int) -> dict[int, Any]:
    """The server and every process below it (kernels run in sessions of their own), by pid."""
    try:
        root = psutil.Process(pid)
        return {p.pid: p for p in [root, *root.children(recursive=True)]}
    except psutil.Error:
        return {}


def _become_subreaper() -> None:
    """Linux: processes orphaned below us (kernels of a server that died) become our children, not
    init's, so they can still be found and stopped. Elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):  # pragma: no cover
        pass


def _own_descendants() -> dict[int, Any]:
    try:
        return {p.pid: p for p in psutil.Process().children(recursive=True)}
    except psutil.Error:
        return {}


def stop_tree(process: subprocess.Popen[bytes], known: dict[int, Any] | None = None,
              grace: float = STOP_GRACE, sig: int = signal.SIGTERM) -> float:
    """Stop the server and everything it started; returns the seconds it took.

    ``sig`` goes to the server's process group (the server started in a session of its own); the
    server shuts its kernels down itself. Whatever is still alive after ``grace`` seconds, in the
    group or in ``known`` (the tree recorded while it ran: kernels leave the group), gets SIGKILL.
    """
    started = time.monotonic()
    tree = dict(known or {})
    tree.update(_process_tree(process.pid))
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    remaining = max(0.0, grace - (time.monotonic() - started))
    others = [p for pid, p in tree.items() if pid != process.pid]
    _, alive = psutil.wait_procs(others, timeout=remaining) if others else ([], [])
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for p in alive:
        try:
            p.kill()
        except psutil.Error:
            pass
    if process.poll() is None:
        process.kill()
    process.wait()
    psutil.wait_procs(alive, timeout=2)
    return time.monotonic() - started


def health(url: str, timeout: float = 3.0) -> tuple[int, dict[str, Any]]:
    """The server's health answer: (HTTP status, body); (0, {}) when nothing answers."""
    try:
        with urllib.request.urlopen(url + HEALTH_PATH, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        try:
            return error.code, json.loads(error.read() or b"{}")
        except ValueError:
            return error.code, {}
    except (urllib.error.URLError, OSError, ValueError):
        return 0, {}


def health_check(host: str = "127.0.0.1", port: int = 8866, base_url: str = "/") -> int:
    """``suna app --health-check``: 0 when the app on this machine is ready, 1 otherwise."""
    status, body = health(local_url(host, port, base_url))
    print(json.dumps(body) if body else f"no answer from {local_url(host, port, base_url)}")
    return 0 if status == 200 and body.get("ready") else 1


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def serve(port: int = 8866, open_browser: bool = True, *, host: str = "127.0.0.1", base_url: str = "/",
          pool_size: int = 1, max_kernels: int = 0, cull_idle: int = 0, token: str | None = None) -> int:
    """Run the app server in the foreground until a signal; the exit status of ``suna app``.

    Returns 0 after SIGTERM or SIGHUP, 130 after SIGINT (Ctrl+C), 1 when the server stopped by itself.
    """
    base_url = normalise_base_url(base_url)
    warning = exposure_warning(host, token)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    check_port_free(host, port)
    cmd = voila_command(port=port, open_browser=open_browser, pool_size=pool_size, base_url=base_url, host=host,
                        max_kernels=max_kernels, cull_idle=cull_idle)
    log.info("starting %s", " ".join(cmd))
    url = local_url(host, port, base_url)
    shown = f"http://{host}:{port}{base_url}" if host not in ("0.0.0.0", "::") else url
    print(f"SUNA district explorer: {shown}{'?token=<your token>' if token else ''}  (Ctrl+C to stop)", flush=True)

    _become_subreaper()
    received: list[int] = []
    handled = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    previous = {sig: signal.signal(sig, lambda number, _frame: received.append(number)) for sig in handled}
    try:
        process = subprocess.Popen(cmd, cwd=paths.apps_dir(), env=voila_environment(token), start_new_session=True)
        tree: dict[int, Any] = {}
        ready = False
        while process.poll() is None and not received:
            tree = {pid: p for pid, p in tree.items() if p.is_running()}  # kernels culled or shut down go
            tree.update(_process_tree(process.pid))
            if not ready:
                status, body = health(url, timeout=1.0)
                if status == 200 and body.get("ready"):
                    ready = True
                    print("SUNA district explorer: ready (a kernel has run the app and waits for the first viewer)", flush=True)
            time.sleep(0.5)
        tree.update(_own_descendants())  # with the server gone, its orphaned kernels are ours (subreaper)
        if received:
            took = stop_tree(process, tree)
            print(f"suna: {_signal_name(received[0])} received; the app server and its kernels stopped in {took:.1f} s.",
                  file=sys.stderr, flush=True)
            return 130 if received[0] == signal.SIGINT else 0
        code = process.returncode
        stop_tree(process, tree, grace=2.0)  # kernels the server left behind
        how = f"was killed by {_signal_name(-code)}" if code < 0 else f"exited with code {code}"
        print(f"suna: the app server stopped unexpectedly (it {how}); the app is no longer served. "
              "See the messages above.", file=sys.stderr, flush=True)
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# ---------------------------------------------------------------- background server for tests and benchmarks


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(port: int | None = None, log_file: Path | None = None, timeout: float = 120.0,
          wait_ready: bool = False, token: str | None = None, **options: Any) -> tuple[subprocess.Popen[bytes], str]:
    """Start Voilà in the background and wait until it answers; for tests and benchmarks.

    Args:
        wait_ready: wait for the health endpoint to say ready (a preheated kernel has run the app).
        options: :func:`voila_command`'s.

    Returns:
        The process (stop it with :func:`stop`) and the app's URL.

    Raises:
        RuntimeError: Voilà exited or did not answer within ``timeout`` seconds.
    """
    port = port or free_port()
    sink = open(log_file, "wb") if log_file else subprocess.DEVNULL  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(voila_command(port=port, **options), cwd=paths.apps_dir(), env=voila_environment(token),
                               stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    url = local_url(options.get("host", "127.0.0.1"), port, options.get("base_url", "/"))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Voilà exited with code {process.returncode}; see {log_file or 'its output'}")
        status, body = health(url, timeout=2.0)
        if status and (not wait_ready or body.get("ready")):
            return process, url
        time.sleep(0.3)
    stop(process)
    raise RuntimeError(f"Voilà did not answer on {url} within {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes], timeout: float = STOP_GRACE) -> None:
    """Stop a Voilà started by :func:`start`, its kernels with it."""
    stop_tree(process, grace=timeout)


# ---------------------------------------------------------------- the server itself (python -m suna.app.server)


def _kernel_manager_with_limits(factory: Any) -> Any:
    """Wrap Voilà's kernel manager factory: SUNA's viewer limit and preheat bookkeeping in front."""

    def suna_factory(*args: Any, **kwargs: Any) -> type:
        from tornado import web

        voila_class = factory(*args, **kwargs)

        class SunaKernelManager(voila_class):  # type: ignore[misc, valid-type]
            """Voilà's kernel manager, counting viewers.

            A viewer's kernel is one handed to a visitor, in one of two places, both counted here:
            ``get_rendered_notebook`` (a preheated kernel from the pool) and ``start_kernel`` (a fresh one
            when the pool is empty). Each checks the limit and reserves a place before its first await, so
            viewers arriving together cannot pass the limit; the kernel's id replaces the reservation once
            known, and leaves the count when the kernel is shut down (by its page, the culler or a stop).
            The pool refills itself through Voilà's own class, below this one: preheated kernels waiting
            for a viewer are not counted.

            The idle culler spares a kernel just handed out until its viewer's browser connects (for
            ``CONNECT_GRACE`` seconds, or the cull time if longer): a pooled kernel has been idle since it
            was preheated, and a page still loading on a busy machine has no connection yet, so Jupyter's
            culler would otherwise shut it down under the viewer.
            """

            _suna_reserved = 0
            _suna_preheated_once = False

            def __init__(self, **kwargs: Any) -> None:
                self._suna_viewer_ids: set[str] = set()
                self._suna_handed_at: dict[str, float] = {}  # kernel id: when given to a viewer not yet connected
                super().__init__(**kwargs)

            def _suna_hand_out(self, kernel_id: str) -> None:
                self._suna_viewer_ids.add(kernel_id)
                self._suna_handed_at[kernel_id] = time.monotonic()
                kernel = self._kernels.get(kernel_id)
                if kernel is not None:
                    kernel.last_activity = datetime.now(timezone.utc)  # idle from now, not since preheated

            def notify_connect(self, kernel_id: str) -> None:
                self._suna_handed_at.pop(kernel_id, None)  # connected: Jupyter's own culling rules from now on
                super().notify_connect(kernel_id)

            async def cull_kernel_if_idle(self, kernel_id: str) -> Any:
                handed = self._suna_handed_at.get(kernel_id)
                if handed is not None and time.monotonic() - handed < max(CONNECT_GRACE, self.cull_idle_timeout):
                    return None
                return await super().cull_kernel_if_idle(kernel_id)

            def suna_pool(self) -> list[dict[str, Any]]:
                items = []
                for pool in getattr(self, "_pools", {}).values():
                    for task in pool:
                        if task.done() and not task.cancelled() and task.exception() is None:
                            items.append(task.result())
                return items

            def suna_viewers(self) -> int:
                self._suna_viewer_ids.intersection_update(self.list_kernel_ids())  # kernels that died
                return len(self._suna_viewer_ids) + self._suna_reserved

            def suna_preheated(self) -> int:
                """Kernels in the pool that have run the app and wait for a viewer."""
                count = 0
                for item in self.suna_pool():
                    task = item["task"]
                    count += bool(task.done() and not task.cancelled() and task.exception() is None)
                return count

            def _suna_reserve(self) -> None:
                limit = int(getattr(self.parent, "max_kernels", 0) or 0)
                if limit and self.suna_viewers() >= limit:
                    raise web.HTTPError(
                        503, "The district explorer has as many viewers as it can take just now (%d). "
                        "Please try again in a few minutes.", limit, reason="Too many viewers")
                self._suna_reserved += 1

            async def start_kernel(self, *args: Any, **kwargs: Any) -> str:
                self._suna_reserve()
                try:
                    kernel_id = await super().start_kernel(*args, **kwargs)
                    self._suna_hand_out(kernel_id)
                    return kernel_id
                finally:
                    self._suna_reserved -= 1

            async def get_rendered_notebook(self, *args: Any, **kwargs: Any) -> Any:
                self._suna_reserve()
                try:
                    result = await super().get_rendered_notebook(*args, **kwargs)
                    self._suna_hand_out(result[2])  # (render task, rendered cells, kernel id)
                    return result
                finally:
                    self._suna_reserved -= 1

            async def shutdown_kernel(self, kernel_id: str, *args: Any, **kwargs: Any) -> Any:
                self._suna_viewer_ids.discard(kernel_id)
                self._suna_handed_at.pop(kernel_id, None)
                return await super().shutdown_kernel(kernel_id, *args, **kwargs)

            async def _initialize(self, *args: Any, **kwargs: Any) -> Any:
                content = await super()._initialize(*args, **kwargs)
                content["task"].add_done_callback(self._suna_rendered)
                return content

            def _suna_rendered(self, task: Any) -> None:
                if not task.cancelled() and task.exception() is None:
                    self._suna_preheated_once = True

        return SunaKernelManager

    return suna_factory


def _suna_voila() -> type:
    """Voilà with SUNA's additions (compression, health endpoint, viewer limit, token from env).

    Compression: Voilà 0.5 builds its Tornado application and only then applies
    ``Voila.tornado_settings``, so ``compress_response`` never takes effect (Tornado adds its gzip
    transform while building). The settings are put in before building instead. Kernel messages (the
    charts) are compressed by the websocket's permessage-deflate, which Tornado reads per connection.
    """
    import tornado.escape
    import tornado.web
    from jupyter_server.auth.logout import LogoutHandler
    from jupyter_server.utils import url_path_join
    from traitlets import Integer
    from voila import app as voila_app
    from voila.app import Voila
    from voila.static_file_handler import TemplateStaticFileHandler
    from voila.tornado.handler import TornadoVoilaHandler

    class HealthHandler(tornado.web.RequestHandler):
        """200 {"ready": true} once a preheated kernel has run the app; 503 before. No sign-in needed."""

        def initialize(self, voila: Any) -> None:
            self.voila = voila

        def get(self) -> None:
            manager = self.voila.kernel_manager
            preheat = bool(self.voila.voila_configuration.preheat_kernel)
            ready = bool(getattr(manager, "_suna_preheated_once", False)) if preheat else True
            body = {"ready": ready,
                    "preheated": manager.suna_preheated() if hasattr(manager, "suna_preheated") else 0,
                    "viewers": manager.suna_viewers() if hasattr(manager, "suna_viewers") else len(manager.list_kernel_ids()),
                    "max_kernels": int(self.voila.max_kernels)}
            self.set_status(200 if ready else 503)
            self.set_header("Content-Type", "application/json")
            self.set_header("Cache-Control", "no-store")
            self.finish(json.dumps(body))

        def _log(self) -> None:
            """Not logged: health checks come every few seconds and would bury the log."""

    class SunaTemplateStaticFileHandler(TemplateStaticFileHandler):  # type: ignore[misc]
        """``voila/templates/<template>/static/<file>`` for SUNA's template only; anything else a 404."""

        def initialize(self, template: str = TEMPLATE) -> None:  # type: ignore[override]
            self.template = template
            super().initialize()

        def parse_url_path(self, path: str) -> str:
            parts = path.split("/", 2)
            if len(parts) < 3 or parts[0] != self.template or parts[1] != "static":
                raise tornado.web.HTTPError(404)
            try:
                return super().parse_url_path(path)
            except (AssertionError, ValueError):
                raise tornado.web.HTTPError(404) from None

        @classmethod
        def get_absolute_path(cls, root: str, path: str) -> str:
            try:
                return super().get_absolute_path(root, path)
            except (AssertionError, ValueError):
                raise tornado.web.HTTPError(404) from None

    class SunaAppHandler(TornadoVoilaHandler):  # type: ignore[misc]
        """Voilà's page handler; when the viewer limit is reached, a plain page that says so.

        Voilà's own error page names only the status and loads a stylesheet from a CDN.
        """

        def write_error(self, status_code: int, **kwargs: Any) -> None:
            error = kwargs.get("exc_info", (None, None, None))[1]
            if status_code != 503 or not isinstance(error, tornado.web.HTTPError) or not error.log_message:
                super().write_error(status_code, **kwargs)
                return
            message = error.log_message % error.args
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Retry-After", "60")
            self.set_header("Cache-Control", "no-store")
            self.finish(
                "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>District explorer: busy</title>"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>"
                "<body style=\"font-family: sans-serif; max-width: 40em; margin: 4em auto; line-height: 1.5\">"
                f"<h1>The district explorer is busy</h1><p>{tornado.escape.xhtml_escape(message)}</p></body></html>")

    class SunaLogoutHandler(LogoutHandler):  # type: ignore[misc]
        """Forget the sign-in cookie and go back to the app (which asks for the token again)."""

        def get(self) -> None:
            self.identity_provider.clear_login_cookie(self)
            self.redirect(self.base_url)

    class SunaVoila(Voila):  # type: ignore[misc]
        max_kernels = Integer(0, config=True, help="At most this many viewers' kernels at once (0: no limit).")

        def initialize(self, argv: Any = None) -> None:
            token = os.environ.pop(TOKEN_ENV, None)  # before any kernel copies the environment
            super().initialize(argv)
            if token and not self.token:
                self.token = token

        def init_settings(self) -> dict:
            original = voila_app.voila_kernel_manager_factory
            voila_app.voila_kernel_manager_factory = _kernel_manager_with_limits(original)
            try:
                settings = super().init_settings()
            finally:
                voila_app.voila_kernel_manager_factory = original
            settings["compress_response"] = True
            settings["websocket_compression_options"] = {"compression_level": 6, "mem_level": 8}
            return settings

        def init_handlers(self) -> list:
            """Voilà's routes, with SUNA's health route first and three of Voilà's put right:

            - the app page: past the viewer limit, a plain "busy, try again" page (503, Retry-After);
            - template static files: only SUNA's template, and a malformed path is a 404 (Voilà's
              handler fails with a 500 on ``..`` or a missing ``static/``);
            - sign-in: Voilà registers ``/login`` and ``/logout`` at the server root, outside a base URL
              (so a token behind ``--base-url`` could not sign in) and its logout page fails (500): both
              go under the base URL, logout clears the cookie and returns to the app, and with no token
              neither exists.
            """
            routes = [(url_path_join(self.server_url, "/" + HEALTH_PATH), HealthHandler, {"voila": self})]
            for route in super().init_handlers():
                pattern, handler = route[0], route[1]
                if handler is TornadoVoilaHandler:
                    route = (pattern, SunaAppHandler, *route[2:])
                elif handler is TemplateStaticFileHandler:
                    route = (pattern, SunaTemplateStaticFileHandler, {"template": self.voila_configuration.template})
                elif pattern in ("/login", "/logout"):
                    if not self.identity_provider.token:
                        continue
                    route = (url_path_join(self.server_url, pattern),
                             SunaLogoutHandler if pattern == "/logout" else handler, *route[2:])
                routes.append(route)
            return routes

        def listen(self) -> None:
            if is_loopback(self.ip):  # only a local reverse proxy reaches it: its forwarded headers are trusted
                app_listen = self.app.listen
                self.app.listen = lambda port, address="", **kw: app_listen(port, address, xheaders=True, **kw)
            super().listen()

    return SunaVoila




def _main(argv: Iterable[str] | None = None) -> None:
    _suna_voila().launch_instance(argv=list(argv) if argv is not None else None)


if __name__ == "__main__":
    _main()
