"""A local HTTP server on 127.0.0.1 that replays files and canned answers, for tests of downloads.

No mocks: the code under test makes real HTTP requests (through requests, urllib3, proxies and
retries) to a real server in a thread. Use it as a context manager, or from a pytest fixture::

    with ReplayServer(root=folder) as server:        # GET /<file> serves folder/<file>
        server.add("/api/data", {"id": "1"}, (500, b"busy"), (200, b"{}"))  # queue: last one repeats
        server.route("/query", lambda query: (200, b"..."))                  # computed from the query
        fetch(server.url + "/api/data?id=1")
        assert server.requests == ["/api/data?id=1", "/api/data?id=1"]

Routes are matched in order: canned answers for (path, exact query), then canned answers for the
path with any query (``query=None``), then computed routes, then files under ``root``; else 404.
"""

from __future__ import annotations

import http.server
import mimetypes
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

Answer = tuple[int, bytes] | tuple[int, bytes, dict[str, str]]
Handler = Callable[[dict[str, str]], Answer]


class ReplayServer:
    """Replays answers on 127.0.0.1 at a free port; ``url`` is its root, ``requests`` what it received."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root).resolve() if root is not None else None
        self.requests: list[str] = []  # request targets as received, in order
        self._canned: dict[tuple[str, frozenset | None], list[Answer]] = {}
        self._computed: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self._httpd: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # ------------------------------------------------------------------ set-up
    def add(self, path: str, query: dict[str, str] | None, *answers: Answer) -> ReplayServer:
        """Answer GET ``path`` (with exactly ``query``, or any query when None) with these, in turn; the last repeats."""
        if not answers:
            raise ValueError("add() needs at least one answer")
        key = (path, frozenset(query.items()) if query is not None else None)
        with self._lock:
            self._canned[key] = list(answers)
        return self

    def route(self, path: str, handler: Handler) -> ReplayServer:
        """Answer GET ``path`` with ``handler(query dict)`` -> (status, body[, headers])."""
        self._computed[path] = handler
        return self

    # ------------------------------------------------------------------ answering
    def answer(self, target: str) -> Answer:
        parts = urlsplit(target)
        path = unquote(parts.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self._lock:
            self.requests.append(target)
            for key in ((path, frozenset(query.items())), (path, None)):
                queue = self._canned.get(key)
                if queue:
                    return queue.pop(0) if len(queue) > 1 else queue[0]
        if path in self._computed:
            return self._computed[path](query)
        if self.root is not None:
            file = (self.root / path.lstrip("/")).resolve()
            if file.is_file() and self.root in file.parents:
                kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                return 200, file.read_bytes(), {"Content-Type": kind}
        return 404, b"not found"

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> ReplayServer:
        replay = self

        class _Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                status, body, *extra = replay.answer(self.path)
                headers = {"Content-Type": _content_type(body), **(extra[0] if extra else {})}
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:  # quiet test output
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@pytest.fixture()
def direct_to_localhost(monkeypatch):
    """Requests to 127.0.0.1 go straight to the replay server, whatever proxy the machine sets.

    Import it into a test module (``from httpreplay import direct_to_localhost``) and request it,
    or mark it autouse there with ``pytestmark = pytest.mark.usefixtures("direct_to_localhost")``.
    """
    for var in PROXY_VARIABLES:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def _content_type(body: bytes) -> str:
    return "application/json" if body[:1] in (b"[", b"{") else "text/plain"


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: requests to it fail as they do offline."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
