"""`suna app` stops cleanly: real signals to a real `suna app`, a real Voilà and real kernels.

What an operator's tools do: systemd and Docker send SIGTERM, a terminal sends SIGINT (Ctrl+C). Each
must stop the server and every kernel within 10 s, leave no process behind (checked against the
process tree recorded while the app ran, kernels included: they run in sessions of their own) and
free the port. A server that dies (SIGKILL here) must end `suna app` with one clear line and a
non-zero status, its kernels stopped too, so a process manager restarts it.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import fresh_loop
import psutil
import pytest

from suna.app import server as app_server

STOP_LIMIT = 10.0  # seconds from the signal to the end of every process
READY_TIMEOUT = 600.0  # first start after a code change computes the sample area's indicators


class App:
    """`suna app --port <free port>` as a subprocess, with the tree of processes it ran."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.port = app_server.free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.out = tmp_path / "suna-app.out"
        self.err = tmp_path / "suna-app.err"
        with open(self.out, "wb") as out, open(self.err, "wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "suna.cli", "app", "--port", str(self.port), "--no-browser", *args],
                stdout=out, stderr=err, start_new_session=True,  # away from pytest's own process group
            )
        self.tree: dict[int, psutil.Process] = {}
        self.health_seen: list[tuple[int, object]] = []  # (status, ready) of every health request

    def record(self) -> list[psutil.Process]:
        """Every process below `suna app` now (added to the recorded tree)."""
        try:
            children = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        for child in children:
            self.tree.setdefault(child.pid, child)
        return children

    def server(self) -> psutil.Process:
        return next(p for p in self.record() if "suna.app.server" in " ".join(p.cmdline()))

    def kernels(self) -> list[psutil.Process]:
        found = []
        for p in self.record():
            try:
                if "ipykernel" in " ".join(p.cmdline()):
                    found.append(p)
            except psutil.Error:
                pass
        return found

    def wait(self, condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"suna app ended early ({self.process.returncode}):\n{self.stderr()}"
            self.record()
            if condition():
                return
            time.sleep(0.3)
        pytest.fail(f"timed out waiting for {what}\n{self.stderr()}")

    def ready(self) -> bool:
        status, body = app_server.health(self.url, timeout=2.0)
        self.health_seen.append((status, body.get("ready")))
        return status == 200 and bool(body.get("ready"))

    def open_page(self) -> None:
        """What a viewer's browser first does: fetch the app page (takes the preheated kernel)."""
        with urllib.request.urlopen(self.url, timeout=300) as response:
            assert response.status == 200 and b"suna" in response.read().lower()

    def signal_and_wait(self, sig: int) -> float:
        self.record()
        started = time.monotonic()
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=STOP_LIMIT + 5)
        except subprocess.TimeoutExpired:
            pytest.fail(f"suna app still running {STOP_LIMIT + 5:.0f} s after {signal.Signals(sig).name}\n{self.stderr()}")
        return time.monotonic() - started

    def survivors(self) -> list[str]:
        alive = []
        for p in self.tree.values():
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                    alive.append(f"{p.pid} {' '.join(p.cmdline())[:120]}")
            except psutil.NoSuchProcess:
                pass
        return alive

    def stderr(self) -> str:
        return self.err.read_text(errors="replace") if self.err.exists() else ""

    def cleanup(self) -> None:
        """Whatever happened in the test, nothing of this app outlives it."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for p in self.tree.values():
            try:
                p.kill()
            except psutil.Error:
                pass


def assert_port_free(port: int) -> None:
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, f"something still answers on port {port}"
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as any server binds: TIME_WAIT is no obstacle
        s.bind(("127.0.0.1", port))
        s.listen()


@pytest.fixture
def app_factory(tmp_path):
    started: list[App] = []

    def make(*args: str) -> App:
        app = App(tmp_path, *args)
        started.append(app)
        return app

    yield make
    for app in started:
        app.cleanup()


@pytest.mark.parametrize(("sig", "expected_code"), [(signal.SIGTERM, 0), (signal.SIGINT, 130)])
def test_a_signal_stops_the_server_and_every_kernel_within_10_s(app_factory, sig, expected_code):
    app = app_factory("--pool-size", "1")
    app.wait(app.ready, READY_TIMEOUT, "the health endpoint to say ready")
    # the server answered before its first kernel had run the app, and said it was not ready then
    assert (503, False) in app.health_seen, app.health_seen
    app.open_page()  # a viewer's kernel, and the pool refilling behind it
    app.wait(lambda: len(app.kernels()) >= 2, 120, "a viewer's kernel and a new preheated one")
    kernels = len(app.kernels())

    took = app.signal_and_wait(sig)

    assert app.process.returncode == expected_code, app.stderr()
    assert took <= STOP_LIMIT, f"stopping took {took:.1f} s"
    assert not app.survivors(), f"left running after {signal.Signals(sig).name}: {app.survivors()}"
    assert len(app.tree) >= kernels + 1  # the server and the kernels were all recorded, and all ended
    assert_port_free(app.port)
    assert f"{signal.Signals(sig).name} received; the app server and its kernels stopped" in app.stderr()
    print(f"{signal.Signals(sig).name}: {kernels} kernels, stopped in {took:.2f} s")


def test_sigterm_while_the_first_kernel_is_still_running_the_app(app_factory):
    """Stopping during start-up (a kernel busy computing) is as clean."""
    app = app_factory()
    app.wait(lambda: len(app.kernels()) >= 1, 120, "the preheated kernel to start")
    time.sleep(2.0)  # the kernel is now importing and running the app

    took = app.signal_and_wait(signal.SIGTERM)

    assert app.process.returncode == 0, app.stderr()
    assert took <= STOP_LIMIT, f"stopping took {took:.1f} s"
    assert not app.survivors(), app.survivors()
    assert_port_free(app.port)
    print(f"SIGTERM during start-up: stopped in {took:.2f} s")


def test_a_server_crash_ends_suna_app_with_a_message_and_non_zero_status(app_factory):
    app = app_factory()
    app.wait(lambda: len(app.kernels()) >= 1, 120, "the preheated kernel to start")
    server = app.server()

    os.kill(server.pid, signal.SIGKILL)
    try:
        app.process.wait(timeout=STOP_LIMIT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"suna app kept running after its server died\n{app.stderr()}")

    assert app.process.returncode == 1
    lines = [line for line in app.stderr().splitlines() if line.startswith("suna:")]
    assert lines == ["suna: the app server stopped unexpectedly (it was killed by SIGKILL); the app is no longer "
                     "served. See the messages above."], app.stderr()
    assert not app.survivors(), f"kernels left behind by the crashed server: {app.survivors()}"
    assert_port_free(app.port)


def test_a_port_in_use_is_one_clear_error_not_another_port(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "suna.cli", "app", "--port", str(port), "--no-browser"],
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == (f"suna: Port {port} on 127.0.0.1 is already in use (another `suna app`?). "
                                     "Stop it, or choose another port with --port.")


def test_idle_culling_spares_a_viewer_still_connecting_and_stops_one_who_left(tmp_path):
    """A pooled kernel has been idle since it was preheated; handed to a viewer whose page is still
    loading (no websocket yet), the culler must not take it. Once the viewer has connected and gone
    (a tab closed without unloading), it must."""
    from tornado.websocket import websocket_connect

    process, url = app_server.start(log_file=tmp_path / "voila.log", preheat=True, pool_size=1, cull_idle=5,
                                    wait_ready=True, timeout=READY_TIMEOUT)
    try:
        time.sleep(12)  # the pooled kernel is now idle for longer than the cull time
        with urllib.request.urlopen(url, timeout=300) as response:  # the page, but no websocket: still loading
            kernel_id = re.search(rb'"kernelId":\s*"([0-9a-f-]{36})"', response.read()).group(1).decode()
        time.sleep(3 * app_server.cull_interval(5) + 2)  # three passes of the culler
        assert app_server.health(url)[1]["viewers"] == 1, "the viewer's kernel was culled before the page connected"

        async def visit() -> None:
            connection = await websocket_connect(f"{url.replace('http', 'ws', 1)}api/kernels/{kernel_id}/channels")
            connection.close()  # the viewer leaves without unloading the page

        fresh_loop.run(visit())
        deadline = time.monotonic() + 120
        while app_server.health(url)[1]["viewers"] != 0:
            assert time.monotonic() < deadline, "the departed viewer's kernel was never culled"
            time.sleep(1)
        assert app_server.health(url)[1]["preheated"] >= 1  # the pool is never culled
    finally:
        app_server.stop(process)
