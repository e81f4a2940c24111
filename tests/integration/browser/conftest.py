"""Headless Debian chromium for the browser tests, with the network cut at the loopback interface.

Shared by the report tests and the app tests. What a test gets:

    def test_page(guarded_page, serve_folder):
        base = serve_folder(folder)                 # http://127.0.0.1:<port>/ serving that folder
        guarded_page.page.goto(base + "index.html")
        ...
        guarded_page.assert_clean()                 # nothing blocked, no console or page errors

Every request whose host is not 127.0.0.1 / localhost / ::1 is aborted by a route handler and
recorded (``blocked``); DNS for any other host is also refused by chromium itself
(``--host-resolver-rules``), which covers what routes do not see (WebSockets, prefetches).
Console errors, uncaught page errors and loopback responses of 400 or more are collected too.
Chromium is Debian's (/usr/bin/chromium, through Playwright's ``executable_path``); the tests skip
with a clear reason where it or Playwright is missing, and never download a browser.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("SUNA_CHROMIUM", "/usr/bin/chromium")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
LOCAL_SCHEMES = frozenset({"data", "blob", "about", "file", "chrome", "chrome-extension", "devtools"})
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # no name resolves except loopback: a second wall behind the route handler
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
ARTEFACTS = Path(__file__).resolve().parents[2] / "artefacts"


def is_loopback(url: str) -> bool:
    """True for URLs that stay on this machine (loopback hosts, data:, blob:, file:, about:)."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    return (parts.hostname or "") in LOOPBACK_HOSTS


@dataclass
class GuardedPage:
    """A Playwright page plus everything it tried to fetch elsewhere and every error it showed."""

    page: Any
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        """Every recorded problem, one line each (empty when the page behaved)."""
        return (
            [f"blocked non-loopback request: {url}" for url in self.blocked]
            + [f"console error: {text}" for text in self.console_errors]
            + [f"page error: {text}" for text in self.page_errors]
            + [f"HTTP error: {text}" for text in self.bad_responses]
        )

    def assert_clean(self) -> None:
        problems = self.problems()
        assert not problems, "\n".join(problems)

    def screenshot(self, name: str) -> Path:
        """Save a full-page PNG to tests/artefacts/<name>.png (git-ignored) and return its path."""
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTEFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture(scope="session")
def chromium_browser(playwright_session: Any) -> Iterator[Any]:
    """One headless Debian chromium for the session (on the run's one Playwright driver)."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"chromium is not installed at {CHROMIUM} (apt install chromium)")
    browser = playwright_session.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


def guard(page: Any) -> GuardedPage:
    """Attach the network wall and the error collectors to a page."""
    guarded = GuardedPage(page)

    def route(route: Any) -> None:
        url = route.request.url
        if is_loopback(url):
            route.continue_()
        else:
            guarded.blocked.append(url)
            route.abort("blockedbyclient")

    def websocket(ws: Any) -> None:
        if not is_loopback(ws.url):
            guarded.blocked.append(ws.url)

    def console(message: Any) -> None:
        if message.type == "error":
            location = message.location or {}
            guarded.console_errors.append(f"{message.text} ({location.get('url', '')}:{location.get('lineNumber', '')})")

    def response(resp: Any) -> None:
        if resp.status >= 400 and is_loopback(resp.url):
            guarded.bad_responses.append(f"{resp.status} {resp.url}")

    page.route("**/*", route)
    page.on("websocket", websocket)
    page.on("console", console)
    page.on("pageerror", lambda error: guarded.page_errors.append(str(error)))
    page.on("response", response)
    return guarded


@pytest.fixture
def guarded_page(chromium_browser: Any) -> Iterator[GuardedPage]:
    """A fresh browser context and page behind the loopback-only wall (service workers blocked)."""
    context = chromium_browser.new_context(service_workers="block", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        yield guard(page)
    finally:
        context.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass


@pytest.fixture
def serve_folder() -> Iterator[Callable[[Path], str]]:
    """``serve_folder(path)`` -> ``http://127.0.0.1:<port>/``: a static server for that folder."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def serve(folder: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, name=f"serve-{folder.name}", daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()
