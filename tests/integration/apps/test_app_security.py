"""Nothing reachable that should not be: what a hostile visitor would try against a real `suna.app.server`.

Served at the root, under a base URL (``/suna-app/``) and behind a real nginx running deploy/nginx.conf
(TLS aside, a stand-in for the council's identity provider that accepts one cookie), the server is
asked for paths outside the app (``..`` and its encodings), the notebook source, the data and params
files, Jupyter's file, contents, tree, terminal, session and kernel-management APIs. Every request is
sent as written (``http.client``: no client-side normalisation of ``..``) and redirects are followed;
none may end in a 2xx, and no answer may carry a file's content. Only the rendered app, its static
assets and the health endpoint answer (checked too, so the test cannot pass on a dead server).

On the kernel websocket, Voilà passes on only the message types its kernel manager allows
(``comm_open``, ``comm_msg``, ``comm_close``, ``comm_info_request``, ``kernel_info_request``,
``shutdown_request``: the widgets' traffic); an ``execute_request`` (or ``inspect``/``complete``/
``history`` requests, which would read the kernel's variables) sent from the browser side is dropped
by the server: no reply, and the code it carries does not run. Checked in both framings the server
speaks: the legacy JSON one and JupyterLab's binary ``v1.kernel.websocket.jupyter.org``.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import http.server
import json
import re
import shutil
import subprocess
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import fresh_loop
import pytest

from suna.app import server as app_server
from suna.core import paths

BASE_URLS = ["/", "/suna-app/"]

# paths relative to the base URL; each as a raw request target
# kernel ids no server holds, fixed so that every pytest-xdist worker collects the same tests
_NO_SUCH = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"suna-no-such-kernel-{i}")) for i in range(5)]
HOSTILE = [
    "../", "..%2f", "%2e%2e/", "%2e%2e%2f", ".%2e/", "%2e%2e%5c", "..;/", "%252e%252e/", "....//",
    "../../etc/passwd", "..%2f..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd", "%2fetc%2fpasswd",
    "files/district_explorer.ipynb", "files/../params/essex.yaml", "files/", "api/files/district_explorer.ipynb",
    "voila/files/district_explorer.ipynb", "voila/files/", "voila/files/../../params/essex.yaml",
    "voila/files/%2e%2e/%2e%2e/params/essex.yaml", "voila/files/..%2f..%2fparams%2fessex.yaml",
    "voila/files/%2e%2e/%2e%2e/data/sample/treatment.parquet",
    "district_explorer.ipynb", "notebooks/district_explorer.ipynb", "notebooks/apps/district_explorer.ipynb",
    "voila/render/district_explorer.ipynb", "nbconvert/html/district_explorer.ipynb", "edit/district_explorer.ipynb",
    "api/contents", "api/contents/", "api/contents/district_explorer.ipynb", "voila/api/contents", "voila/api/contents/",
    "tree", "tree/", "voila/tree", "voila/tree/", "lab", "doc",
    "params/essex.yaml", "data/sample/treatment.parquet", "../../params/essex.yaml", "../../data/sample/treatment.parquet",
    "api/kernels", "api/kernels/", "api/sessions", "api/kernelspecs", "api/terminals", "terminals", "terminals/websocket/1",
    "api/config/notebook", "api/nbconvert", "api/me", "api/status", "api/events", "login", "logout",
    "voila/static/../../../../etc/passwd", "voila/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "voila/static/..%2f..%2fapp.py", "voila/static/..%2f..%2f..%2f..%2f..%2fparams%2fessex.yaml",
    "voila/templates/suna/static/../../../../conf.json", "voila/templates/suna/static/..%2f..%2fconf.json",
    "voila/templates/lab/static/..%2f..%2fconf.json", "voila/templates/..%2f..%2f/static/x", "voila/templates/x",
    "voila/labextensions/..%2f..%2f..%2f..%2fetc/passwd", "voila/api/themes/..%2f..%2f..%2fetc/passwd",
    f"api/kernels/{_NO_SUCH[0]}", f"api/kernels/{_NO_SUCH[1]}/channels", f"voila/api/shutdown/{_NO_SUCH[2]}",
]
# kernel, session and terminal management with every method (and a forged XSRF pair, which a direct
# client can always make: XSRF protects browsers from other sites, not the server from a visitor)
MANAGEMENT = ["api/kernels", "api/sessions", "api/terminals", "api/contents/district_explorer.ipynb",
              f"api/kernels/{_NO_SUCH[3]}", f"voila/api/shutdown/{_NO_SUCH[4]}", ""]
FORGED_XSRF = {"Cookie": "_xsrf=hostile", "X-XSRFToken": "hostile"}

# what no answer may contain: the notebook source, params, data, Python source, system files
SECRETS = [b'"nbformat"', b"DistrictExplorer(area", b"PAR1", b"root:x:0:0", b"def ", b"import ",
           b'"base_template"', b"district_type", b'"kernel_id"', b'"execution_state"']


def _secrets_from_files() -> list[bytes]:
    params = (paths.params_dir() / "essex.yaml").read_bytes().splitlines()
    return [line for line in params[:5] if len(line.strip()) > 8]


class Server:
    """The app as a visitor reaches it; ``headers`` go with every request (the proxy's sign-in cookie)."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.url = url
        parts = urlsplit(url)
        self.host, self.port, self.base = parts.hostname, parts.port, parts.path
        self.headers = dict(headers or {})

    def with_headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        """This server's headers and ``headers``, cookies of both kept."""
        merged = {**self.headers, **(headers or {})}
        if "Cookie" in self.headers and headers and "Cookie" in headers:
            merged["Cookie"] = f"{self.headers['Cookie']}; {headers['Cookie']}"
        return merged

    def request(self, method: str, target: str, headers: dict[str, str] | None = None,
                body: bytes | None = None) -> tuple[int, bytes, list[str]]:
        """Send ``target`` exactly as written; follow redirects that stay on this server. Returns the
        final status, its body and the chain of targets."""
        chain = [target]
        for _ in range(6):
            connection = http.client.HTTPConnection(self.host, self.port, timeout=300)
            try:
                connection.request(method, target, body=body if method in ("POST", "PUT", "PATCH") else None,
                                   headers=self.with_headers(headers))
                response = connection.getresponse()
                content = response.read()
            finally:
                connection.close()
            location = response.getheader("Location")
            if response.status in (301, 302, 303, 307, 308) and location:
                absolute = urljoin(f"http://{self.host}:{self.port}{target}", location)
                assert urlsplit(absolute).netloc == f"{self.host}:{self.port}", f"{target} redirects off the server: {location}"
                target = urlsplit(absolute).path + (f"?{urlsplit(absolute).query}" if urlsplit(absolute).query else "")
                chain.append(target)
                method, body = ("GET", None) if response.status in (301, 302, 303) else (method, body)
                continue
            return response.status, content, chain
        pytest.fail(f"redirect loop: {chain}")

    def health(self) -> dict:
        return app_server.health(self.url)[1]

    def page(self) -> bytes:
        """The app page, fetched once (each fetch hands a kernel to the visitor)."""
        if not hasattr(self, "_page"):
            status, self._page, _ = self.request("GET", self.base)
            assert status == 200, status
        return self._page


@pytest.fixture(scope="module", params=[*BASE_URLS, "nginx"], ids=["root", "base-url", "behind-nginx"])
def server(request, tmp_path_factory) -> Iterator[Server]:
    """The app served at the root, under a base URL, and behind deploy/nginx.conf (sign-in cookie given)."""
    folder = tmp_path_factory.mktemp("voila")
    behind_nginx = request.param == "nginx"
    if behind_nginx and not shutil.which("nginx"):
        pytest.skip("nginx is not installed")
    base_url = nginx_base_url() if behind_nginx else request.param
    try:
        process, url = app_server.start(log_file=folder / "voila.log", preheat=True, pool_size=1, base_url=base_url,
                                        max_kernels=8, timeout=300)
    except RuntimeError as error:
        log = folder / "voila.log"
        pytest.fail(f"{error}\n{log.read_text(errors='replace')[-3000:] if log.exists() else ''}")
    try:
        if behind_nginx:
            with proxied(url, folder) as proxy_url:
                yield Server(proxy_url, headers={"Cookie": f"{SSO_COOKIE}=board-member"})
        else:
            yield Server(url)
    finally:
        app_server.stop(process)


# ---------------------------------------------------------------- behind deploy/nginx.conf


DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
SSO_COOKIE = "council_sso"  # what the stand-in for the council's identity provider accepts
SIGN_IN_PAGE = b"Sign in with your council account"


def nginx_base_url() -> str:
    """The path deploy/nginx.conf serves the app under (its ``location /<prefix>/`` with proxy_pass)."""
    return re.search(r"location\s+(/[\w.~-]+/)\s*\{[^}]*proxy_pass", (DEPLOY / "nginx.conf").read_text()).group(1)


def nginx_config(app_port: int, sso_port: int, listen_port: int, folder: Path) -> str:
    """deploy/nginx.conf as shipped, with only what a test machine lacks changed: no TLS (plain HTTP on a
    free loopback port), the app's and the identity provider's ports, and paths in ``folder``."""
    server_block = (DEPLOY / "nginx.conf").read_text()
    server_block = re.sub(r"listen\s+443[^;]*;", f"listen 127.0.0.1:{listen_port};", server_block)
    server_block = re.sub(r"^\s*(ssl_\w+|http2)\s[^;]*;", "", server_block, flags=re.MULTILINE)
    server_block = server_block.replace("server 127.0.0.1:8866;", f"server 127.0.0.1:{app_port};")
    server_block = server_block.replace("http://127.0.0.1:4180", f"http://127.0.0.1:{sso_port}")
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"pid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} info;\nevents {{}}\n"
            f"http {{\n    access_log {folder / 'access.log'};\n{temp}\n{server_block}\n}}\n")


class _SignIn(http.server.BaseHTTPRequestHandler):
    """A stand-in for oauth2-proxy: /oauth2/auth says yes (202) to a signed-in browser, 401 otherwise."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path.startswith("/oauth2/auth"):
            self.send_response(202 if f"{SSO_COOKIE}=" in (self.headers.get("Cookie") or "") else 401)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html><body>" + SIGN_IN_PAGE + b"</body></html>")

    def log_message(self, *args: object) -> None:
        """Quiet."""


@contextlib.contextmanager
def proxied(app_url: str, folder: Path) -> Iterator[str]:
    """A real nginx running deploy/nginx.conf in front of the app at ``app_url``; yields the public URL."""
    sign_in = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SignIn)
    threading.Thread(target=sign_in.serve_forever, daemon=True).start()
    port = app_server.free_port()
    config = folder / "nginx.conf"
    config.write_text(nginx_config(urlsplit(app_url).port, sign_in.server_address[1], port, folder))
    checked = subprocess.run(["nginx", "-t", "-c", str(config), "-p", str(folder), "-e", str(folder / "error.log")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    nginx = subprocess.Popen(["nginx", "-c", str(config), "-p", str(folder), "-e", str(folder / "error.log"),
                              "-g", "daemon off; master_process off;"], stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}{nginx_base_url()}"
    try:
        deadline = time.monotonic() + 30
        while app_server.health(url)[0] == 0:
            assert nginx.poll() is None and time.monotonic() < deadline, nginx.stderr.read().decode() if nginx.stderr else ""
            time.sleep(0.2)
        yield url
    finally:
        nginx.terminate()
        nginx.wait(timeout=30)
        sign_in.shutdown()
        sign_in.server_close()


def assert_refused(server: Server, method: str, target: str, status: int, body: bytes, chain: list[str]) -> None:
    where = f"{method} {' -> '.join(chain)}"
    assert not 200 <= status < 300, f"{where} answered {status}: {body[:200]!r}"
    for secret in SECRETS + _secrets_from_files():
        assert secret not in body, f"{where} ({status}) gave away {secret!r}"


def test_the_app_its_assets_and_health_answer(server):
    """The positive control: what must answer does."""
    body = server.page()
    assert b"voila/templates/suna/static/" in body
    assert b'"nbformat"' not in body and b"DistrictExplorer(" not in body  # sources stripped
    status, body, _ = server.request("GET", server.base + "voila/static/voila.js")
    assert status == 200 and body.startswith(b"var _JUPYTERLAB")
    css = re.search(rb'href="([^"]*voila/templates/suna/static/index\.css[^"]*)"', server.page())
    assert css and server.request("GET", css.group(1).decode())[0] == 200
    status, body, _ = server.request("GET", server.base + "suna/health")
    assert status in (200, 503) and set(json.loads(body)) == {"ready", "preheated", "viewers", "max_kernels"}


@pytest.mark.parametrize("path", HOSTILE)
def test_hostile_paths_get_nothing(server, path):
    status, body, chain = server.request("GET", server.base + path)
    assert_refused(server, "GET", server.base + path, status, body, chain)


@pytest.mark.parametrize("path", MANAGEMENT)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_management_apis_refuse_every_method(server, method, path):
    before = server.health()["viewers"]
    for headers in ({"Content-Type": "application/json"}, {"Content-Type": "application/json", **FORGED_XSRF}):
        status, body, chain = server.request(method, server.base + path, headers=headers,
                                             body=b'{"name": "python3", "path": "x.ipynb", "type": "notebook"}')
        assert_refused(server, method, server.base + path, status, body, chain)
    assert server.health()["viewers"] == before, "a kernel was started"


def test_outside_the_base_url_nothing_answers(server):
    if server.base == "/":
        pytest.skip("served at the root")
    outside = ["/", "/voila/static/voila.js", "/api/kernels", "/suna/health", "/login", "/logout", "/tree",
               "/voila/files/district_explorer.ipynb", "/district_explorer.ipynb", "/suna-app", "/suna-app../",
               server.base.rstrip("/") + "../", server.base.rstrip("/") + "%2f"]
    for path in [p for p in outside if not p.startswith(server.base)]:
        status, body, chain = server.request("GET", path)
        assert_refused(server, "GET", path, status, body, chain)
        assert status == 404, f"{path}: {status}"


def test_behind_the_proxy_a_visitor_not_signed_in_reaches_only_the_sign_in_page(server):
    """deploy/nginx.conf asks the council's identity provider about every request, websocket included."""
    if SSO_COOKIE not in server.headers.get("Cookie", ""):
        pytest.skip("not behind the proxy")
    stranger = Server(server.url)  # no sign-in cookie
    for target in [server.base, server.base + "voila/static/voila.js", server.base + "api/kernels",
                   server.base + "voila/files/district_explorer.ipynb", server.base + "../" + server.base.strip("/") + "/"]:
        status, body, chain = stranger.request("GET", target)
        assert SIGN_IN_PAGE in body or status == 404, (target, status, chain)  # nginx hands 401s to the sign-in page
        assert b"kernelId" not in body and b"_JUPYTERLAB" not in body


def test_visitors_cannot_choose_another_template_or_theme(server):
    status, body, _ = server.request("GET", server.base + "?template=lab&theme=dark")
    assert status == 200
    assert b"voila/templates/suna/static/" in body and b"theme-dark" not in body and b"voila/templates/lab/static" not in body


# ---------------------------------------------------------------- the kernel websocket


def _message(msg_type: str, content: dict, channel: str = "shell") -> dict:
    return {"header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "session": uuid.uuid4().hex,
                       "username": "hostile", "date": "2026-01-01T00:00:00Z", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "content": content, "channel": channel, "buffers": []}


V1 = "v1.kernel.websocket.jupyter.org"  # JupyterLab's binary framing; None is the legacy JSON one


def _encode(message: dict, protocol: str | None) -> str | bytes:
    if protocol != V1:
        return json.dumps(message)
    from jupyter_server.services.kernels.connection.base import serialize_msg_to_ws_v1

    parts = [json.dumps(message[key]).encode() for key in ("header", "parent_header", "metadata", "content")]
    return serialize_msg_to_ws_v1(parts, message["channel"])


def _decode(raw: str | bytes) -> dict:
    if isinstance(raw, str):
        return json.loads(raw)
    from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1

    channel, parts = deserialize_msg_from_ws_v1(raw)
    header, parent_header, metadata, content = (json.loads(part) for part in parts[:4])
    return {"channel": channel, "header": header, "parent_header": parent_header, "metadata": metadata, "content": content}


def websocket_request(server: Server, url: str) -> object:
    from tornado.httpclient import HTTPRequest

    return HTTPRequest(url, headers=server.headers, connect_timeout=30)


async def _talk(server: Server, ws_url: str, messages: list[dict], listen: float, protocol: str | None) -> list[dict]:
    from tornado.websocket import websocket_connect

    connection = await websocket_connect(websocket_request(server, ws_url), subprotocols=[protocol] if protocol else None)
    assert connection.selected_subprotocol == protocol
    received: list[dict] = []
    try:
        for message in messages:
            await connection.write_message(_encode(message, protocol), binary=protocol == V1)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + listen
        while (remaining := deadline - loop.time()) > 0:
            try:
                raw = await asyncio.wait_for(connection.read_message(), timeout=remaining)
            except asyncio.TimeoutError:
                break
            if raw is None:
                break
            received.append(_decode(raw))
    finally:
        connection.close()
    return received


@pytest.mark.parametrize("protocol", [None, V1], ids=["legacy-json", "v1-binary"])
def test_the_kernel_websocket_runs_no_code_sent_from_the_browser(server, tmp_path, protocol):
    page = server.page()
    kernel_id = re.search(rb'"kernelId":\s*"([0-9a-f-]{36})"', page).group(1).decode()
    marker = tmp_path / "executed"
    code = f"open({str(marker)!r}, 'w').write('ran'); import os; os.system('touch {marker}.shell')"
    probes = [_message("kernel_info_request", {}), _message("comm_info_request", {})]  # allowed: the channel works
    attacks = [
        _message("execute_request", {"code": code, "silent": False, "store_history": False,
                                     "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}),
        _message("execute_request", {"code": code, "silent": True}, channel="control"),
        _message("inspect_request", {"code": "explorer", "cursor_pos": 8, "detail_level": 1}),
        _message("complete_request", {"code": "explorer.da", "cursor_pos": 11}),
        _message("history_request", {"output": True, "raw": True, "hist_access_type": "tail", "n": 10}),
        _message("is_complete_request", {"code": "1+"}),
        _message("debug_request", {"seq": 1, "type": "request", "command": "evaluate",
                                   "arguments": {"expression": code}}, channel="control"),
    ]
    ws_url = f"ws://{server.host}:{server.port}{server.base}api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}"
    received = fresh_loop.run(_talk(server, ws_url, [*probes, *attacks], listen=8.0, protocol=protocol))

    for probe in probes:
        expected = probe["header"]["msg_type"].replace("_request", "_reply")
        assert any(m["header"]["msg_type"] == expected for m in received
                   if m.get("parent_header", {}).get("msg_id") == probe["header"]["msg_id"]), f"no {expected}"
    attack_ids = {a["header"]["msg_id"] for a in attacks}
    answered = [m["header"]["msg_type"] for m in received if m.get("parent_header", {}).get("msg_id") in attack_ids]
    assert not answered, f"the kernel answered a message it should never have received: {answered}"
    assert not marker.exists() and not Path(f"{marker}.shell").exists(), "code sent over the websocket ran"


def test_an_unknown_kernel_id_has_no_websocket(server):
    from tornado.httpclient import HTTPClientError
    from tornado.websocket import WebSocketClosedError, websocket_connect

    async def attempt() -> str:
        try:
            connection = await websocket_connect(websocket_request(
                server, f"ws://{server.host}:{server.port}{server.base}api/kernels/{uuid.uuid4()}/channels"))
        except (HTTPClientError, WebSocketClosedError) as error:
            return f"refused: {error}"
        message = await connection.read_message()
        connection.close()
        return "closed" if message is None else f"open: {message!r}"

    outcome = fresh_loop.run(attempt())
    assert outcome.startswith(("refused", "closed")), outcome


def test_the_app_page_is_the_only_page(server):
    """Any other path under the base URL is sent to Voilà's file handler, which has nothing to give."""
    status, _, chain = server.request("GET", server.base + "anything/at/all.html")
    assert status == 403 and chain[-1].startswith(server.base + "voila/files/")
    with urllib.request.urlopen(server.url + "suna/health", timeout=30) as response:
        assert response.headers["Content-Type"] == "application/json"


# ---------------------------------------------------------------- token, viewer limit


TOKEN = "board-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def token_server(tmp_path_factory) -> Iterator[tuple[Server, object]]:
    """A server as a small deployment runs it: a token, under a base URL, at most one viewer."""
    log_file = tmp_path_factory.mktemp("voila-token") / "voila.log"
    try:
        process, url = app_server.start(log_file=log_file, preheat=True, pool_size=1, base_url="/suna-app/",
                                        max_kernels=1, token=TOKEN, wait_ready=True, timeout=600)
    except RuntimeError as error:
        pytest.fail(f"{error}\n{log_file.read_text(errors='replace')[-3000:] if log_file.exists() else ''}")
    try:
        yield Server(url), process
    finally:
        app_server.stop(process)


def test_without_the_token_only_the_sign_in_form_answers(token_server):
    server, _ = token_server
    for target in (server.base, server.base + f"?token=wrong-{TOKEN}", server.base + "voila/api/shutdown/x"):
        status, body, chain = server.request("GET", target)
        assert chain[-1].startswith(server.base + "login") or status >= 400, (target, status, chain)
        assert b"kernelId" not in body and b"suna-explorer" not in body and b"voila/templates/suna" not in body
    status, body, _ = server.request("GET", server.base + "suna/health")  # health checks need no token
    assert status == 200 and json.loads(body)["ready"] is True


def test_the_token_is_neither_in_the_process_list_nor_in_the_kernels_environment(token_server):
    import psutil

    _, process = token_server
    server = psutil.Process(process.pid)
    everything = [server, *server.children(recursive=True)]
    assert len(everything) >= 2, "expected the server and a preheated kernel"
    for p in everything:
        assert TOKEN not in " ".join(p.cmdline())  # the process list: every user of the machine sees it
    for p in everything[1:]:  # the kernels (the server reads the token from its environment, then drops it)
        assert TOKEN not in "".join(p.environ().values()), f"token in the environment of {p.cmdline()[:3]}"


def test_with_the_token_one_viewer_then_a_busy_page(token_server):
    server, _ = token_server
    status, body, _ = server.request("GET", server.base + f"?token={TOKEN}")
    assert status == 200 and b"kernelId" in body
    assert server.health()["viewers"] == 1

    connection = http.client.HTTPConnection(server.host, server.port, timeout=300)
    connection.request("GET", server.base + f"?token={TOKEN}")
    response = connection.getresponse()
    page = response.read().decode()
    connection.close()
    assert response.status == 503 and response.getheader("Retry-After") == "60"
    assert "as many viewers as it can take just now (1)" in page and "http" not in page  # nothing fetched from elsewhere
    assert server.health()["viewers"] == 1  # no kernel started for the refused visitor


def test_the_kernel_websocket_needs_the_token_too(token_server):
    from tornado.httpclient import HTTPClientError
    from tornado.websocket import websocket_connect

    server, _ = token_server
    status, body, _ = server.request("GET", server.base + f"?token={TOKEN}")
    match = re.search(rb'"kernelId":\s*"([0-9a-f-]{36})"', body) if status == 200 else None
    kernel_id = match.group(1).decode() if match else str(uuid.uuid4())

    async def attempt() -> str:
        try:
            connection = await websocket_connect(
                f"ws://{server.host}:{server.port}{server.base}api/kernels/{kernel_id}/channels", connect_timeout=30)
        except HTTPClientError as error:
            return f"refused {error.code}"
        connection.close()
        return "open"

    assert fresh_loop.run(attempt()).startswith("refused 403")


def test_viewers_arriving_together_get_exactly_the_limit(tmp_path):
    """Two viewers at once on a limit of two (while the pool refills behind them): both get the app, a
    third gets the busy page, and no kernel is started for it."""
    from concurrent.futures import ThreadPoolExecutor

    process, url = app_server.start(log_file=tmp_path / "voila.log", preheat=True, pool_size=2, max_kernels=2,
                                    wait_ready=True, timeout=600)
    try:
        server = Server(url)
        with ThreadPoolExecutor(2) as pool:
            statuses = [result[0] for result in pool.map(lambda _: server.request("GET", server.base), range(2))]
        assert statuses == [200, 200]
        assert server.health()["viewers"] == 2
        assert server.request("GET", server.base)[0] == 503
        assert server.health()["viewers"] == 2
    finally:
        app_server.stop(process)
