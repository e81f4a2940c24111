"""Fingertips: the API client against a local replay server, and the website CSV download.

The server (127.0.0.1, a thread) replays hand-written responses in the real API formats
(tests/fixtures/fingertips/README.md); it can also fail on purpose and act as an HTTP proxy.
"""

from __future__ import annotations

import hashlib
import http.server
import threading
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from suna.core.errors import DataSourceError, ValidationError
from suna.sources import fingertips

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "fingertips"
MALFORMED = Path(__file__).resolve().parents[1] / "fixtures" / "malformed"


class Replay:
    """Routes (path, frozenset(query)) -> list of (status, body); the last answer repeats."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, frozenset], list[tuple[int, bytes]]] = {}
        self.requests: list[str] = []  # the request line targets, as received (absolute when proxied)

    def add(self, path: str, query: dict[str, str], *answers: tuple[int, bytes]) -> None:
        self.routes[(path, frozenset(query.items()))] = list(answers)

    def answer(self, target: str) -> tuple[int, bytes]:
        parts = urlsplit(target)
        key = (parts.path, frozenset(parse_qsl(parts.query)))
        answers = self.routes.get(key)
        if not answers:
            return 404, b"not found"
        return answers.pop(0) if len(answers) > 1 else answers[0]


@pytest.fixture()
def server():
    replay = Replay()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            replay.requests.append(self.path)
            status, body = replay.answer(self.path)
            self.send_response(status)
            self.send_header("Content-Type", "application/json" if body[:1] in (b"[", b"{") else "text/csv")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    replay.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield replay
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def no_proxy_env(monkeypatch):
    """Tests talk to 127.0.0.1 directly unless a test sets a proxy itself."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def _data_query(ids: str, area_type: int, parent: int = 15) -> dict[str, str]:
    return {"indicator_ids": ids, "child_area_type_id": str(area_type), "parent_area_type_id": str(parent),
            "include_sortable_time_periods": "yes"}


def _body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_fetch_returns_the_indicators_layout(server, tmp_path):
    server.add("/api/all_data/csv/by_indicator_id", _data_query("92432", 502), (200, _body("all_data_92432_502.csv")))
    table = fingertips.fetch_fingertips([92432], 502, base_url=server.url + "/api", cache_dir=tmp_path)
    assert len(table) == 5  # every data row of the fixture, none dropped
    essex = table[(table["area_code"] == "E10000012") & (table["sex"] == "Persons")].iloc[0]
    assert essex["indicator_id"] == "92432"
    assert essex["value"] == pytest.approx(4.1) and essex["count"] == 178
    assert essex["compared_to_england"] == "Better"
    assert essex["period"] == "2020 - 22" and essex["period_sortable"] == 20200000
    halton = table[table["area_code"] == "E06000006"].iloc[0]
    assert halton["value"] != halton["value"]  # suppressed: empty, with its note kept
    assert halton["value_note"].startswith("Value suppressed")
    assert "compared_to_region" in table.columns  # "Compared to Counties & UAs ... value or percentiles"
    assert "time_period_range" in table.columns  # unknown later columns are kept


def test_two_indicators_and_counts_with_thousands_separators(server, tmp_path):
    server.add("/api/all_data/csv/by_indicator_id", _data_query("91414,92432", 502), (200, _body("all_data_91414_502.csv")))
    table = fingertips.fetch_fingertips([91414, 92432], 502, base_url=server.url + "/api", cache_dir=tmp_path)
    assert set(table["indicator_id"]) == {"91414", "92432"}
    assert table.loc[table["area_code"] == "E10000012", "count"].iloc[0] == 6023  # "6,023" in the CSV


def test_cache_is_keyed_by_url_and_written_whole(server, tmp_path):
    server.add("/api/all_data/csv/by_indicator_id", _data_query("92432", 502), (200, _body("all_data_92432_502.csv")))
    first = fingertips.fetch_fingertips([92432], 502, base_url=server.url + "/api", cache_dir=tmp_path)
    second = fingertips.fetch_fingertips([92432], 502, base_url=server.url + "/api", cache_dir=tmp_path)
    assert len(server.requests) == 1  # the second came from the cache
    assert first.equals(second)
    url = fingertips.data_url(server.url + "/api", [92432], 502, 15)
    cached = tmp_path / (hashlib.sha256(url.encode()).hexdigest()[:32] + ".csv")
    assert cached.read_bytes() == _body("all_data_92432_502.csv")
    assert not list(tmp_path.glob("*.part"))  # no half-written files left
    fingertips.fetch_fingertips([92432], 502, base_url=server.url + "/api", cache_dir=tmp_path, refresh=True)
    assert len(server.requests) == 2


def test_retries_on_server_errors_then_succeeds(server, tmp_path):
    server.add("/api/all_data/csv/by_indicator_id", _data_query("92432", 502),
               (503, b"busy"), (500, b"oops"), (200, _body("all_data_92432_502.csv")))
    table = fingertips.fetch_fingertips([92432], 502, base_url=server.url + "/api", cache_dir=tmp_path, retries=3, backoff=0.01)
    assert len(table) == 5 and len(server.requests) == 3


def test_gives_up_after_retries_with_a_clear_message(server, tmp_path):
    server.add("/api/all_data/csv/by_indicator_id", _data_query("92432", 502), (503, b"busy"))
    with pytest.raises(DataSourceError, match=r"answered HTTP 503 to 2 tries"):
        fingertips.fetch_fingertips([92432], 502, base_url=server.url + "/api", cache_dir=tmp_path, retries=2, backoff=0.01)
    assert not list(tmp_path.iterdir())  # nothing cached from a failure


def test_offline_names_the_address_and_what_to_do(tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}/api"
    with pytest.raises(DataSourceError) as info:
        fingertips.fetch_fingertips([92432], 502, base_url=base, cache_dir=tmp_path, retries=2, backoff=0.01)
    message = str(info.value)
    assert f"Could not reach Fingertips at {base}" in message
    assert "HTTPS_PROXY" in message and "import_fingertips_csv" in message


def test_wrong_area_type_says_which_area_types_have_data(server, tmp_path):
    server.add("/api/all_data/csv/by_indicator_id", _data_query("92432", 102), (200, _body("all_data_header_only.csv")))
    server.add("/api/available_data", {"indicator_id": "92432"}, (200, _body("available_data_92432.json")))
    server.add("/api/area_types", {}, (200, _body("area_types.json")))
    with pytest.raises(DataSourceError) as info:
        fingertips.fetch_fingertips([92432], 102, base_url=server.url + "/api", cache_dir=tmp_path)
    message = str(info.value)
    assert message.startswith("No data for area type 102 (Counties & UAs (2009-2019))")
    assert "502 (Counties & UAs (from Apr 2023))" in message
    assert "Use area type 502" in message
    assert not list(tmp_path.glob("*.csv"))  # an empty answer is not cached


def test_http_proxy_environment_variable_is_honoured(server, tmp_path, monkeypatch):
    """The replay server stands in as the proxy for an http:// base URL on a host that does not exist."""
    server.add("/api/all_data/csv/by_indicator_id", _data_query("92432", 502), (200, _body("all_data_92432_502.csv")))
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.setenv("http_proxy", server.url)
    monkeypatch.delenv("NO_PROXY")
    monkeypatch.delenv("no_proxy")
    table = fingertips.fetch_fingertips([92432], 502, base_url="http://fingertips.example.invalid/api", cache_dir=tmp_path)
    assert len(table) == 5
    assert server.requests[0].startswith("http://fingertips.example.invalid/api/all_data/csv/by_indicator_id?")


def test_import_downloaded_csv(tmp_path):
    table = fingertips.import_fingertips_csv(FIXTURES / "all_data_92432_502.csv")
    assert len(table) == 5 and table["area_code"].iloc[1] == "E10000012"


def test_import_refuses_a_changed_header_with_what_was_found():
    with pytest.raises(ValidationError) as info:
        fingertips.import_fingertips_csv(MALFORMED / "indicators_changed_header.csv")
    message = str(info.value)
    assert "'Lower CI 95.0 limit'" in message and "found 'Lower CI 95 limit' instead" in message
    assert "layout may have changed" in message


def test_no_ids_is_refused():
    with pytest.raises(DataSourceError, match="No Fingertips indicator ids"):
        fingertips.fetch_fingertips([], 502)
