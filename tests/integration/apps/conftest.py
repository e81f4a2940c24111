"""A real Voilà serving the district explorer on a free 127.0.0.1 port, and a guarded chromium page.

The browser pieces (Debian chromium through Playwright, the loopback-only network wall, console and
page error collection, screenshots into tests/artefacts/) are the browser tests' own, loaded from
tests/integration/browser/conftest.py so both suites keep one definition. What this file adds is the server and
an ``ExplorerPage`` that knows how to wait for the app to finish drawing.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from made_reports import write_reports

_BROWSER_CONFTEST = Path(__file__).resolve().parents[1] / "browser" / "conftest.py"
_spec = importlib.util.spec_from_file_location("suna_browser_fixtures", _BROWSER_CONFTEST)
browser_fixtures = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
sys.modules[_spec.name] = browser_fixtures  # dataclasses look their module up there
_spec.loader.exec_module(browser_fixtures)  # type: ignore[union-attr]

chromium_browser = browser_fixtures.chromium_browser  # the session's chromium (a fixture)
ARTEFACTS = browser_fixtures.ARTEFACTS
LOG_FILE = ARTEFACTS / "voila.log"
APP_AREAS = ("essex", "sefton")  # the local authorities the tests choose

# Words that must never reach a viewer: tracebacks, Python errors, file paths, Voilà's error page.
ERROR_TEXT = re.compile(
    r"Traceback|Error:|Exception|KeyError|ValueError|/work/|/home/|/usr/|site-packages|\.py\b|"
    r"There was an error when executing cell|Javascript Error|Error loading script",
)


@pytest.fixture(scope="session")
def voila_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app's URL on a Voilà started for this test session (preheated kernels, production flags), whose
    reports folder holds a board pack for Essex (made from the sample, as the app shows) and none for Sefton."""
    from suna.app import server as app_server
    from suna.app import widgets

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for area in APP_AREAS:  # compute (or find) the areas the tests visit, once, for this process and the kernels
        widgets.load_app_data(area)
    reports = tmp_path_factory.mktemp("reports")
    write_reports(reports, "essex")
    saved = os.environ.get("SUNA_REPORTS_DIR")
    os.environ["SUNA_REPORTS_DIR"] = str(reports)  # for the server it starts only
    try:
        process, url = app_server.start(log_file=LOG_FILE, preheat=True, pool_size=2)
    except RuntimeError as error:
        pytest.fail(f"{error}\n{LOG_FILE.read_text(errors='replace')[-3000:] if LOG_FILE.exists() else ''}")
    finally:
        if saved is None:
            os.environ.pop("SUNA_REPORTS_DIR", None)
        else:
            os.environ["SUNA_REPORTS_DIR"] = saved
    try:
        yield url
    finally:
        app_server.stop(process)


@dataclass
class ExplorerPage:
    """A guarded page showing the explorer, with waits that know when the app has finished drawing."""

    guarded: Any  # tests/integration/browser/conftest.GuardedPage

    @property
    def page(self) -> Any:
        return self.guarded.page

    def rendered(self) -> int:
        """How many full updates the app has finished (its ``data-renders`` marker)."""
        marker = self.page.locator(".suna-rendered")
        return int(marker.get_attribute("data-renders") or 0) if marker.count() else 0

    def wait_until_drawn(self, after: int = 0, timeout: float = 60_000) -> int:
        """Wait for an update newer than ``after`` and for every chart of it to be drawn."""
        self.page.wait_for_function(
            """(after) => {
                const m = document.querySelector('.suna-rendered');
                if (!m || Number(m.dataset.renders) <= after) return false;
                const charts = document.querySelectorAll('.suna-explorer .jp-RenderedVegaCommon5, .suna-explorer .suna-chart');
                return [...charts].every(c => c.querySelector('svg, canvas'));
            }""",
            arg=after,
            timeout=timeout,
        )
        return self.rendered()

    def resize(self, width: int, height: int = 900, timeout: float = 120_000) -> int:
        """Set the window's width; crossing the app's phone breakpoint redraws the charts in the other
        form (widgets.PHONE_MAX_PX), which this waits for."""
        from suna.app import widgets

        before, was = self.rendered(), self.page.viewport_size["width"]
        self.page.set_viewport_size({"width": width, "height": height})
        if (was <= widgets.PHONE_MAX_PX) != (width <= widgets.PHONE_MAX_PX):
            return self.wait_until_drawn(after=before, timeout=timeout)
        return before

    def choose(self, label: str, option: str, timeout: float = 120_000) -> int:
        """Pick ``option`` (its visible text) in the dropdown labelled ``label``; wait for the redraw."""
        before = self.rendered()
        select = self.dropdown(label)
        select.select_option(index=self.options(label).index(option))
        return self.wait_until_drawn(after=before, timeout=timeout)

    def open_section(self, key: str, timeout: float = 120_000) -> int:
        """Open the tab of a section (``widgets.PANELS`` key) and wait until it is drawn."""
        from suna.app import widgets

        heading = next(panel.heading for panel in widgets.PANELS if panel.key == key)
        tab = self.page.locator(".suna-explorer .lm-TabBar-tab", has=self.page.locator(f".lm-TabBar-tabLabel:text-is('{heading}')"))
        if "lm-mod-current" in (tab.get_attribute("class") or ""):
            return self.rendered()
        before = self.rendered()
        tab.click()
        return self.wait_until_drawn(after=before, timeout=timeout)

    def options(self, label: str) -> list[str]:
        """The visible options of a dropdown (ipywidgets writes spaces as no-break spaces; read as spaces)."""
        return [text.replace("\xa0", " ") for text in self.dropdown(label).locator("option").all_inner_texts()]

    def chosen(self, label: str) -> str:
        return self.dropdown(label).evaluate("s => s.options[s.selectedIndex].textContent").replace("\xa0", " ")

    def dropdown(self, label: str) -> Any:
        return self.page.locator(".suna-explorer .widget-dropdown", has=self.page.locator(f"label:text-is('{label}')")).locator("select")

    def panel(self, key: str) -> Any:
        """A section's content; open it first (:meth:`open_section`) to see the current choice."""
        return self.page.locator(f".suna-panel-{key}")

    def screenshot(self, name: str, panel: str | None = None) -> Path:
        """The whole app (or one panel) as a PNG in tests/artefacts/<name>.png.

        Voilà scrolls inside ``#rendered_cells``, not the page, so a full-page screenshot would stop at
        the window: the window is made as tall as the app for the shot, then put back.
        """
        viewport = self.page.viewport_size
        height = self.page.evaluate("() => (document.querySelector('#rendered_cells') || document.body).scrollHeight")
        self.page.set_viewport_size({"width": viewport["width"], "height": min(int(height) + 40, 16_000)})
        try:
            self.page.wait_for_timeout(300)
            if panel is None:
                return self.guarded.screenshot(name)
            ARTEFACTS.mkdir(parents=True, exist_ok=True)
            path = ARTEFACTS / f"{name}.png"
            self.page.screenshot(path=str(path), clip=self.panel(panel).bounding_box())
            return path
        finally:
            self.page.set_viewport_size(viewport)

    def text(self) -> str:
        return self.page.locator("body").inner_text()

    def assert_no_error_text(self) -> None:
        found = ERROR_TEXT.findall(self.text())
        assert not found, f"error text shown to the viewer: {found}"


@pytest.fixture
def explorer(chromium_browser: Any, voila_url: str) -> Iterator[ExplorerPage]:
    """A fresh browser context with the explorer loaded and fully drawn."""
    context = chromium_browser.new_context(service_workers="block", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    guarded = browser_fixtures.guard(page)
    try:
        page.goto(voila_url, timeout=120_000)
        app = ExplorerPage(guarded)
        app.wait_until_drawn(after=0, timeout=120_000)
        yield app
    finally:
        context.close()
