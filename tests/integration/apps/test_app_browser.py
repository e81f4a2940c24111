"""The district explorer in a real browser: Voilà on 127.0.0.1, Debian chromium, no internet.

What a board member does: open the app, wait for the charts, pick a district, a year, another local
authority; the figures, titles and map follow. The expected figures are worked out here from the
protected indicators table (``suna.pipeline.load_area_data(...).table``), not read back from the
app. Every step fails on a request that leaves 127.0.0.1, a console or page error, or error text
on the page. Screenshots go to tests/artefacts/ (git-ignored).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from made_reports import PDF

from suna import pipeline
from suna.presentation import narrative, outputs

pytestmark = pytest.mark.browser

ESSEX, SEFTON = "essex", "sefton"
SECTIONS = ("overview", "treatment", "referrals", "admissions", "deaths", "partnership")


def _expected_value(area: str, district_name: str | None, indicator_id: str, period: str) -> str:
    """The figure the area profile must show for a place and a financial year: the persons row with no
    breakdown, in narrative's words ("412.3 per 100,000" or "suppressed")."""
    data = pipeline.load_area_data(area)
    code = data.area.code if district_name is None else data.area.district(district_name).code
    table = data.table
    rows = table[(table["area_code"] == code) & (table["indicator_id"] == indicator_id) & (table["period"] == period)
                 & (table["sex"] == "Persons") & table["category_type"].isna()]
    assert len(rows) == 1, f"expected one {indicator_id} row for {code} in {period}, found {len(rows)}"
    return narrative.value_text(rows.iloc[0].to_dict())


def _shown(explorer, key: str) -> str:
    """Everything a section shows as text (its tab opened), including the figures behind a closed "details" toggle."""
    explorer.open_section(key)
    return explorer.panel(key).text_content()


def test_first_render_shows_every_view_offline(explorer):
    page = explorer.page
    explorer.screenshot("app-01-first-render")
    assert page.locator(".suna-title").inner_text().startswith("Essex")
    tabs = page.locator(".suna-explorer .lm-TabBar-tab").all_inner_texts()
    assert [t.strip() for t in tabs] == ["At a glance", "People in treatment", "Referral routes",
                                         "Hospital admissions", "Drug deaths", "Partnership dashboard"]
    charts = 0
    for key in SECTIONS:
        assert "could not be drawn" not in _shown(explorer, key), f"panel {key} failed"
        assert explorer.panel(key).locator("h2").count() == 1, f"panel {key} has no heading"
        charts += explorer.panel(key).locator(".suna-chart svg.marks").count()
        assert explorer.panel(key).locator(".jp-RenderedVegaCommon5").count() == 0, f"{key}: a chart left to the browser's Vega"
        explorer.screenshot(f"app-01-first-render-{key}")
    assert charts >= 6
    assert "synthetic" in page.locator(".suna-notes").inner_text().lower()
    assert outputs.PRIVACY_NOTE in page.locator(".suna-notes").inner_text()  # once, in plain words
    assert page.locator(".suna-notes #how-figures-are-protected li").count() >= 1  # disclosure control's rules, behind its link
    explorer.assert_no_error_text()
    explorer.guarded.assert_clean()


def test_district_year_and_area_changes_show_the_right_figures(explorer):
    page = explorer.page
    profile = "overview"

    explorer.choose("District", "Harlow")
    assert page.locator(".suna-title").inner_text().startswith("Harlow")
    shown = _shown(explorer, profile)
    assert "Key findings: Harlow" in shown and "Area profile: Harlow compared with England" in shown
    assert _expected_value(ESSEX, "Harlow", "treatment_rate", "2023/24") in shown
    assert "Key findings: Essex" not in shown
    explorer.screenshot("app-02-harlow")

    explorer.choose("District", "Tendring")
    shown = _shown(explorer, profile)
    assert "Key findings: Tendring" in shown and "Harlow" not in page.locator(".suna-title").inner_text()
    assert _expected_value(ESSEX, "Tendring", "treatment_rate", "2023/24") in shown

    explorer.choose("Year", "2019/20")
    assert "2019/20" in page.locator(".suna-subtitle").inner_text()
    shown = _shown(explorer, profile)
    assert _expected_value(ESSEX, "Tendring", "treatment_rate", "2019/20") in shown
    assert "2019/20" in _shown(explorer, "treatment")
    explorer.screenshot("app-03-tendring-2019")

    explorer.choose("Local authority", "Sefton", timeout=600_000)
    options = explorer.options("District")
    assert options[0] == "Whole of Sefton" and "Sefton 001, 002, 003, 004 and 005" in options and "Harlow" not in options
    assert page.locator(".suna-title").inner_text().startswith("Sefton")
    assert "Key findings: Sefton" in _shown(explorer, profile)
    explorer.choose("District", "Sefton 008, 010, 011, 012 and 013", timeout=300_000)
    assert _expected_value(SEFTON, "Sefton 008, 010, 011, 012 and 013", "treatment_rate", "2019/20") in _shown(explorer, profile)
    explorer.screenshot("app-04-sefton-010")
    explorer.assert_no_error_text()
    explorer.guarded.assert_clean()


# Counts every chart put on the page (its drawing's root <svg class="marks">, drawn on the server) from now
# on, by chart element, and marks the charts on the page now, so that afterwards a chart left as it was can
# be told from a new one.
COUNT_DRAWINGS = """() => {
  const drawings = window.__sunaDrawings = new Map();
  document.querySelectorAll('.suna-explorer .suna-chart').forEach(c => { c.dataset.sunaBefore = '1'; });
  new MutationObserver(records => {
    for (const record of records) for (const node of record.addedNodes) {
      if (node.nodeType !== 1) continue;
      const svgs = node.matches('svg.marks') ? [node] : [...node.querySelectorAll('svg.marks')];
      for (const svg of svgs) {
        const chart = svg.closest('.suna-chart');
        if (chart) drawings.set(chart, (drawings.get(chart) || 0) + 1);
      }
    }
  }).observe(document.querySelector('.suna-explorer'), {subtree: true, childList: true});
}"""
DRAWINGS = """() => [...document.querySelectorAll('.suna-explorer .suna-chart')].map(c => ({
  kept: c.dataset.sunaBefore === '1', drawn: window.__sunaDrawings.get(c) || 0,
  label: (c.querySelector('svg.marks') || {getAttribute: () => ''}).getAttribute('aria-label') || ''}))"""


def test_a_district_change_draws_each_changed_chart_once_and_leaves_the_others(explorer):
    """Issue 18: a choice puts on the page only the charts that differ, each once, drawn already (no Vega in the browser)."""
    page = explorer.page
    explorer.choose("District", "Harlow")
    page.wait_for_timeout(1500)  # let any late redrawing of Harlow's charts end before counting
    page.evaluate(COUNT_DRAWINGS)
    explorer.choose("District", "Tendring")
    page.wait_for_timeout(1500)  # a redrawing after the first drawing (the PNG round trip) comes later
    charts = page.evaluate(DRAWINGS)
    new = [c for c in charts if not c["kept"]]
    kept = [c for c in charts if c["kept"]]
    assert new and all(c["drawn"] == 1 for c in new), f"each chart of Tendring drawn exactly once: {charts}"
    assert kept and all(c["drawn"] == 0 for c in kept), f"the whole authority's chart, the same for both, stays: {charts}"
    assert "Key findings: Tendring" in explorer.panel("overview").text_content()
    explorer.assert_no_error_text()
    explorer.guarded.assert_clean()


def test_deaths_map_highlights_the_chosen_district_and_a_click_chooses_one(explorer):
    explorer.open_section("deaths")
    deaths = explorer.panel("deaths")
    shapes = deaths.locator('path[aria-roledescription="geoshape"]')
    assert shapes.count() >= 12, "the map should draw every Essex district"
    outlined = deaths.locator('path[aria-roledescription="geoshape"][stroke-width="3.5"]')
    assert outlined.count() == 0, "no district is outlined while the whole area is chosen"

    explorer.choose("District", "Basildon")
    assert outlined.count() == 1 and "District: Basildon;" in outlined.get_attribute("aria-label")
    # the tooltip: each district's figures are its shape's title, which the browser shows on hover
    assert "District: Basildon;" in outlined.locator("title").text_content() and "Value:" in outlined.locator("title").text_content()
    explorer.screenshot("app-05-deaths-map-basildon", panel="deaths")

    before = explorer.rendered()
    deaths.locator('path[aria-roledescription="geoshape"][aria-label*="District: Colchester;"]').first.click()
    explorer.wait_until_drawn(after=before)
    assert explorer.chosen("District") == "Colchester"
    assert explorer.page.locator(".suna-title").inner_text().startswith("Colchester")
    assert "District: Colchester;" in outlined.get_attribute("aria-label")
    explorer.assert_no_error_text()
    explorer.guarded.assert_clean()


def test_substance_group_changes_the_treatment_views(explorer):
    before = _shown(explorer, "treatment")
    explorer.choose("Substance group", "Opiate")
    after = _shown(explorer, "treatment")
    assert after != before and "Opiate" in after
    assert _shown(explorer, "admissions")  # still drawn
    explorer.assert_no_error_text()
    explorer.guarded.assert_clean()


def test_every_section_passes_axe_at_a_laptop_and_a_phone(explorer):
    """Issue 15: no serious or critical axe-core violation (WCAG 2.x A and AA) in any section of the app,
    for the whole area and for a district, at 1280 px and 375 px; at both widths no chart under 60% of its
    size, none scrolling sideways and no text under 10 px (on a phone the app draws the charts' narrow
    form); every chart named by its description. Screenshots at both widths."""
    page = explorer.page
    found: list[str] = []
    for choice in (None, "Basildon"):
        if choice:
            explorer.choose("District", choice)
        for key in SECTIONS:
            explorer.open_section(key)
            for width in explorer.guarded.PAGE_WIDTHS:
                explorer.resize(width)  # a phone's width: the charts' narrow form
                page.wait_for_timeout(300)
                where = f"{choice or 'Essex'} / {key} at {width} px"
                blocking = explorer.guarded.axe_violations()
                if blocking:
                    found.append(f"{where}:\n{explorer.guarded.describe(blocking)}")
                found += [f"{where}: {p}" for p in explorer.guarded.readability_problems()]
                explorer.screenshot(f"app-a11y-{(choice or 'essex').lower()}-{key}-{width}")
            explorer.resize(1280)
            names = explorer.panel(key).locator(".suna-chart [aria-roledescription='visualization']").evaluate_all(
                "els => els.map(e => e.getAttribute('aria-label') || '')")
            found += [f"{choice or 'Essex'} / {key}: a chart has no description ({n!r})" for n in names if len(n) < 30]
    assert "How figures are protected" in page.locator(".suna-notes").inner_text()
    assert not found, "\n".join(found)
    explorer.assert_no_error_text()
    explorer.guarded.assert_clean()


def test_heading_and_every_section_name_the_choice_and_the_partnership_tab_shows_the_dashboard(explorer):
    """Issue 15: after a change the heading and every section name the district, the authority, the year and
    the substance group chosen, and name the same choice. Issue 17: the partnership dashboard is a tab, its
    table shown for the whole area, with no serious or critical axe violation at 1280 and 375 px."""
    page = explorer.page
    explorer.choose("District", "Harlow")
    explorer.choose("Year", "2021/22")
    explorer.choose("Substance group", "Opiate")
    for key in SECTIONS:
        explorer.open_section(key)
        title = page.locator(".suna-title")
        assert title.count() == 1, f"{key}: one heading on the page"
        assert title.inner_text().startswith("Harlow, Essex") and "2021/22 · Opiate" in page.locator(".suna-subtitle").inner_text()
        line = explorer.panel(key).locator(".suna-panel-choice")
        assert line.get_attribute("data-choice") == title.get_attribute("data-choice"), f"{key}: heading and section disagree"
        text = line.inner_text()
        assert "Harlow" in text and "Essex" in text and "2021/22" in text, f"{key}: {text}"
        assert ("Opiate" in text) if key in ("treatment", "referrals") else ("All substance groups" in text), f"{key}: {text}"
    explorer.screenshot("app-06-partnership-harlow")
    dashboard = explorer.panel("partnership")
    assert "Combating drugs partnership dashboard: Essex" in dashboard.text_content()
    assert dashboard.locator(".suna-table-open table.suna-table tbody tr").count() >= 5
    # each metric's trend drawn beside its figures, as in the report, and named for a screen reader
    sparklines = dashboard.locator("svg.suna-sparkline[role='img']")
    assert sparklines.count() >= 10 and all(sparklines.nth(i).bounding_box()["width"] >= 90 for i in range(3)), \
        [sparklines.nth(i).bounding_box() for i in range(3)]
    found = []
    for width in explorer.guarded.PAGE_WIDTHS:
        explorer.resize(width)
        page.wait_for_timeout(300)
        blocking = explorer.guarded.axe_violations()
        if blocking:
            found.append(f"partnership at {width} px:\n{explorer.guarded.describe(blocking)}")
        explorer.screenshot(f"app-a11y-partnership-{width}")
    explorer.resize(1280)
    assert not found, "\n".join(found)


# Where the keyboard's focus is: the control (a dropdown by its label, a section tab by its name) and
# whether it is drawn so a sighted keyboard user can see it (WCAG 2.4.7: an outline or a shadow).
_FOCUSED = """() => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    const dropdown = el.closest('.widget-dropdown');
    const tab = el.closest('.lm-TabBar-tab');
    const name = dropdown ? (dropdown.querySelector('label') || {}).textContent
        : tab ? tab.textContent : (el.getAttribute('aria-label') || el.textContent || '');
    const style = getComputedStyle(el);
    const visible = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
    return {kind: dropdown ? 'dropdown' : tab ? 'tab' : el.tagName.toLowerCase(), name: (name || '').trim().slice(0, 60), visible};
}"""
CONTROLS = ["Local authority", "District", "Year", "Substance group"]


def _tab_through(page, presses: int = 40) -> list[dict]:
    """Every stop of the keyboard's focus from the top of the page, Tab after Tab, until it comes round again."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    stops: list[dict] = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        here = page.evaluate(_FOCUSED)
        if here is None or (stops and here == stops[0]):
            break
        stops.append(here)
    return stops


def _focus(page, kind: str, name: str) -> None:
    """Tab from the top of the page to one control, by keyboard only."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    for _ in range(40):
        page.keyboard.press("Tab")
        here = page.evaluate(_FOCUSED)
        if here and here["kind"] == kind and here["name"] == name:
            return
    raise AssertionError(f"the keyboard never reaches the {kind} {name!r}")


def test_keyboard_alone_reaches_every_control_and_changes_the_district(explorer):
    """Issue 15 (WCAG 2.1.1, 2.4.3, 2.4.7): Tab reaches the four choices in reading order and the open
    section's tab, each with a visible focus; a district is chosen with the arrow keys alone and the
    views follow; another section is opened from the keyboard."""
    page = explorer.page
    stops = _tab_through(page)
    dropdowns = [s["name"] for s in stops if s["kind"] == "dropdown"]
    assert dropdowns == CONTROLS, f"the keyboard's stops: {stops}"
    assert any(s["kind"] == "tab" for s in stops), f"no section tab is reachable by keyboard: {stops}"
    unseen = [s for s in stops if s["kind"] in ("dropdown", "tab") and not s["visible"]]
    assert not unseen, f"focus not visible on: {unseen}"

    _focus(page, "dropdown", "District")
    options = explorer.options("District")
    before = explorer.rendered()
    page.keyboard.press("ArrowDown")
    explorer.wait_until_drawn(after=before)
    chosen = explorer.chosen("District")
    assert chosen == options[1] != options[0]
    assert page.locator(".suna-title").inner_text().startswith(chosen)
    assert f"Key findings: {chosen}" in _shown(explorer, "overview")
    explorer.screenshot("app-06-keyboard-district")

    current = page.locator(".suna-explorer .lm-TabBar-tab.lm-mod-current").inner_text().strip()
    _focus(page, "tab", current)
    before = explorer.rendered()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    explorer.wait_until_drawn(after=before)
    opened = page.locator(".suna-explorer .lm-TabBar-tab.lm-mod-current").inner_text().strip()
    assert opened == "People in treatment" != current
    assert chosen in explorer.panel("treatment").text_content()
    explorer.assert_no_error_text()
    explorer.guarded.assert_clean()


def test_the_board_pack_button_saves_the_pack_the_batch_made_and_says_when_there_is_none(explorer):
    """Issue 15.7: the app offers the authority's board pack (the one ``suna batch --pdf`` made from the same
    data) as a file the browser saves, byte for byte; for an authority without one it says so in words.
    No serious or critical axe violation with the link shown."""
    page = explorer.page
    page.get_by_role("button", name="Board pack (PDF)").click()
    link = page.get_by_role("link", name="Save the board pack for Essex, 2023/24 (PDF, ")
    link.wait_for(timeout=30_000)
    assert re.fullmatch(r"Save the board pack for Essex, 2023/24 \(PDF, \d+ KB\)", link.inner_text()), link.inner_text()
    with page.expect_download() as saving:
        link.click()
    download = saving.value
    assert download.suggested_filename == "board-pack-essex.pdf"
    assert Path(download.path()).read_bytes() == PDF
    assert not explorer.guarded.axe_violations()
    explorer.screenshot("app-board-pack-essex")
    explorer.choose("Local authority", "Sefton")
    assert page.locator(".suna-pack").count() == 0, "Essex's link is gone with Essex"
    page.get_by_role("button", name="Board pack (PDF)").click()
    status = page.locator(".suna-pack[role='status']")
    status.wait_for(timeout=30_000)
    assert status.inner_text().startswith("No board pack has been made for Sefton from these figures yet")
    explorer.assert_no_error_text()
    explorer.guarded.assert_clean()
