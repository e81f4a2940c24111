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
from typing import Any, ClassVar
from urllib.parse import urlsplit

import pytest

from suna.batch import board_pack

try:  # axe-core, injected by its Playwright binding (the [test] extra); tests that need it skip without it
    from axe_playwright_python.sync_playwright import Axe
except ImportError:  # pragma: no cover - the [test] extra installs it
    Axe = None

CHROMIUM = os.environ.get("SUNA_CHROMIUM", "/usr/bin/chromium")
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
LOCAL_SCHEMES = frozenset({"data", "blob", "about", "file", "chrome", "chrome-extension", "devtools"})
# SUNA's own chromium flags (the board pack's): no name resolves except loopback, a second wall behind
# the route handler
CHROMIUM_ARGS = list(board_pack.CHROMIUM_ARGS)
ARTEFACTS = Path(__file__).resolve().parents[2] / "artefacts"
PAGE_WIDTHS = (1280, 375)  # a board member's laptop and phone (issue 15)
MIN_CHART_SCALE = 0.6      # no chart drawn under 60% of its designed size
MIN_TEXT_PX = 10           # no text, in a chart or around it, under 10 px as drawn
# axe-core's WCAG 2.0/2.1/2.2 A and AA rules (its tags); best practices are not the standard
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING_IMPACTS = frozenset({"serious", "critical"})

# Every chart's SVG as drawn (those on screen: a closed tab's are not): its designed width (Vega's width attribute) against its width on the
# page, and its smallest text once scaled. Vega writes font sizes on each <text>; the SVG is scaled as
# a whole, so a text's drawn size is its font size times the chart's scale.
_CHART_SIZES = """() => [...document.querySelectorAll('svg.marks')].filter(svg => svg.getClientRects().length).map(svg => {
    const designed = svg.width.baseVal.value || 0;
    const drawn = svg.getBoundingClientRect().width;
    const scale = designed ? drawn / designed : 1;
    const sizes = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim())
        .map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
    const box = svg.closest('.suna-chart') || svg.parentElement;
    const page = document.documentElement.clientWidth;
    const right = svg.getBoundingClientRect().right;
    let cut = false;  // an ancestor that hides what overflows it (a tab panel) ends before the chart does
    for (let el = box.parentElement; el && el !== document.body; el = el.parentElement) {
        const style = getComputedStyle(el);
        if (['hidden', 'clip'].includes(style.overflowX) && right > el.getBoundingClientRect().right + 1) { cut = true; break; }
    }
    return {label: svg.getAttribute('aria-label') || '', designed, drawn, scale,
            smallest_text: sizes.length ? Math.min(...sizes) : null,
            scrolls: box.scrollWidth > box.clientWidth + 1 || right > page + 1, cut};
})"""

# The smallest visible HTML text on the page (outside the charts' SVG), with an example of it.
_SMALLEST_HTML_TEXT = """() => {
    let best = null;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode, el = node.parentElement;
        if (!el || !node.textContent.trim() || el.closest('svg, script, style, [hidden]')) continue;
        const style = getComputedStyle(el);
        if (style.display === 'none' || style.visibility === 'hidden' || !el.getClientRects().length) continue;
        const size = parseFloat(style.fontSize);
        if (!best || size < best.size) best = {size, text: node.textContent.trim().slice(0, 80)};
    }
    return best;
}"""


def is_loopback(url: str) -> bool:
    """True for URLs that stay on this machine (loopback hosts, data:, blob:, file:, about:)."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    return (parts.hostname or "") in LOOPBACK_HOSTS


@dataclass
class GuardedPage:
    """A Playwright page plus everything it tried to fetch elsewhere and every error it showed."""

    PAGE_WIDTHS: ClassVar[tuple[int, ...]] = PAGE_WIDTHS
    MIN_CHART_SCALE: ClassVar[float] = MIN_CHART_SCALE

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

    def axe_violations(self, impacts: frozenset[str] = BLOCKING_IMPACTS) -> list[dict[str, Any]]:
        """axe-core's WCAG A/AA violations on the page as it is now, of the given impacts."""
        if Axe is None:
            pytest.skip("axe-playwright-python is not installed (pip install -e '.[test]')")
        results = Axe().run(self.page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]})
        return [v for v in results.response["violations"] if v.get("impact") in impacts]

    @staticmethod
    def describe(violations: list[dict[str, Any]]) -> str:
        """axe-core violations one line each: rule, impact, how many elements, the first one's HTML."""
        lines = []
        for v in violations:
            nodes = v.get("nodes", [])
            first = nodes[0].get("html", "")[:160] if nodes else ""
            lines.append(f"{v['id']} ({v.get('impact')}, {len(nodes)} element(s)): {v.get('help', '')}; e.g. {first}")
        return "\n".join(lines)

    def chart_sizes(self) -> list[dict[str, Any]]:
        """Every Vega chart on the page: designed and drawn width, scale, smallest drawn text (px)."""
        return self.page.evaluate(_CHART_SIZES)

    def smallest_html_text(self) -> dict[str, Any] | None:
        """The smallest visible text outside the charts: its size in px and the text."""
        return self.page.evaluate(_SMALLEST_HTML_TEXT)

    def readability_problems(self) -> list[str]:
        """Charts drawn under 60% of their size, wider than the page (scrolling sideways), cut off by a panel
        that hides what overflows it, or with text under 10 px, and page text under 10 px."""
        problems = []
        for chart in self.chart_sizes():
            if chart["scale"] < MIN_CHART_SCALE - 1e-6:
                problems.append(f"chart drawn at {chart['scale']:.0%} of its size: {chart['label'][:90]!r}")
            if chart.get("scrolls"):
                problems.append(f"chart {chart['designed']:.0f} px wide scrolls sideways: {chart['label'][:90]!r}")
            if chart.get("cut"):
                problems.append(f"chart {chart['designed']:.0f} px wide is cut off by its panel: {chart['label'][:90]!r}")
            if chart["smallest_text"] is not None and chart["smallest_text"] < MIN_TEXT_PX - 0.05:
                problems.append(f"chart text {chart['smallest_text']:.1f} px: {chart['label'][:90]!r}")
        smallest = self.smallest_html_text()
        if smallest and smallest["size"] < MIN_TEXT_PX - 0.05:
            problems.append(f"page text {smallest['size']:.1f} px: {smallest['text']!r}")
        return problems

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



@pytest.fixture(scope="session")
def real_reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A batch of the analysis notebooks in notebooks/ for Halton, its reports folder (once per worker:
    the report tests and the board pack tests read the same one)."""
    from suna import batch

    notebooks = batch.find_notebooks()
    if not notebooks:
        pytest.skip("notebooks/ holds no NN_*.ipynb analysis notebooks yet")
    out = tmp_path_factory.mktemp("real-reports")
    result = batch.run_batch(notebooks=notebooks, areas=["halton"], jobs=2, out_dir=out, progress=False)
    assert result.exit_code == 0, batch.format_summary(result)
    return out
