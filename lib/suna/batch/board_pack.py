"""The board pack: one PDF per authority for a partnership board, made from the batch's executed notebooks.

A board member reads it on paper: a cover page with the overview, then one page for each report
(its question, its findings, then as many of its charts as fit, the rest named), then a page of
sources and of how figures are protected. Every figure in it is one the published reports already
show: the pack copies their outputs (charts as Vega-Lite specs, captions, findings, tables) and
computes nothing, so it passes the same disclosure control.

Debian's chromium (driven by Playwright, with every request off the page refused) draws the charts
from the reports' own offline Vega bundle and prints the page to PDF: text stays text and charts
stay vectors (Vega's SVG). Before printing, each page keeps, in the report's order, the charts that
fit on its A4 sheet at no less than 60% of their designed size, and names the ones it leaves out.
A page whose essentials alone are taller than a sheet (a long table, the sources) is shrunk a
little, then runs onto the next sheet; ``BoardPack.sheets`` says how many each took.
"""

from __future__ import annotations

import contextlib
import html
import json
import logging
import os
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from suna import __version__
from suna.batch import publish
from suna.core import paths
from suna.core.errors import SunaError

logger = logging.getLogger(__name__)

PACK_NAME = "board-pack.pdf"  # written in reports/<area>/ beside the HTML reports
OVERVIEW = "00_overview"
FINDINGS_TAG = "findings"
# Cells that are plumbing, not content (the load cell's page note is taken apart, for the cover).
_SKIPPED_TAGS = frozenset({"parameters", "injected-parameters", "load", "imports", "links"})
CHROMIUM = "/usr/bin/chromium"  # Debian's; SUNA_CHROMIUM names another
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # no name resolves but this machine's: the pack draws from what it carries (the browser tests share these)
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
# A4 less the margins, in CSS pixels (96 per inch): the layout width and each page's height.
PAGE_MM = (210, 297)
MARGIN_MM = {"top": 14, "right": 14, "bottom": 18, "left": 14}
_PX_PER_MM = 96 / 25.4
MIN_ZOOM = 0.85  # a page whose essentials are taller than a sheet is shrunk, never below this (then it runs on)
MIN_CHART_SCALE = 0.6  # as in the reports: no chart drawn under 60% of its designed size
CHART_WAIT_MS = 60_000


@dataclass
class Section:
    """One report as the pack shows it: its title and question, findings, and blocks that may not fit."""

    stem: str
    title: str
    intro_html: str = ""
    findings_html: str = ""
    blocks: list[tuple[str, str]] = field(default_factory=list)  # (heading, html), in report order
    sources: list[str] = field(default_factory=list)
    page_note_html: str = ""
    rules_html: str = ""
    period: str = ""


@dataclass(frozen=True)
class BoardPack:
    """A board pack made: where, the sheets each page took, what each left to the full report, how long it took."""

    path: Path
    sheets: dict[str, int]  # by report stem (the overview first), then "sources"
    left_out: dict[str, list[str]]
    seconds: float

    @property
    def pages(self) -> int:
        return sum(self.sheets.values())


# ---------------------------------------------------------------------------------------------
# Reading the executed notebooks


def read_section(notebook: Path) -> Section:
    """What one executed notebook gives the pack (its outputs, charts made offline; the file is not changed)."""
    import nbformat
    from nbformat.v4.rwbase import rejoin_lines

    # Read without nbformat's schema validation (seconds for a report with many charts): the batch wrote it.
    nb = rejoin_lines(nbformat.from_dict(json.loads(Path(notebook).read_text(encoding="utf-8"))))
    publish.offline_charts(nb)
    stem = Path(notebook).stem
    section = Section(stem=stem, title=publish.notebook_title(nb, default=stem))
    section.period = str(nb.metadata.get("papermill", {}).get("parameters", {}).get("period", "") or "")
    has_findings = any(FINDINGS_TAG in _tags(c) for c in nb.cells)
    heading, first = "", True
    for cell in nb.cells:
        tags = _tags(cell)
        if cell.cell_type == "markdown":
            if first:  # the title and the question the report answers (STYLE: the first cell)
                section.intro_html, first = _markdown(_without_title(str(cell.source))), False
                continue
            found = re.search(r"^##\s+(.+?)\s*$", str(cell.source), re.MULTILINE)
            heading = found.group(1).strip() if found else heading
            continue
        if "load" in tags:
            section.page_note_html, section.rules_html = _split_page_note(_outputs_html(cell, keep_tables=False, keep_findings=True))
            continue
        if cell.cell_type != "code" or tags & _SKIPPED_TAGS:
            continue
        section.sources += [s for s in _source_lines(cell) if s not in section.sources]
        if FINDINGS_TAG in tags:
            section.findings_html += _outputs_html(cell, keep_tables=False, keep_findings=True, keep_captions=False)
            continue
        block = _outputs_html(cell, keep_tables=not _has_chart(cell), keep_findings=not has_findings)
        if block.strip():
            section.blocks.append((heading, block))
    return section


def _tags(cell: Any) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _markdown(text: str) -> str:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(text)


def _without_title(source: str) -> str:
    return re.sub(r"^#\s+.*$", "", source, count=1, flags=re.MULTILINE).strip()


def _has_chart(cell: Any) -> bool:
    return any('class="suna-chart' in _html_of(o) for o in cell.get("outputs", []))


def _html_of(output: Any) -> str:
    value = output.get("data", {}).get("text/html", "")
    return "".join(value) if isinstance(value, list) else str(value)


def _outputs_html(cell: Any, keep_tables: bool, keep_findings: bool, keep_captions: bool = True) -> str:
    """A cell's outputs as the pack prints them: charts and captions; a table only where there is no
    chart (else it is the figures behind the chart, in the full report); findings only where asked."""
    parts = []
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if "text/html" in data:
            markup = _html_of(output)
            if "suna-table-toggle" in markup:
                if not keep_tables:
                    continue
                # shown in its own right here (no chart above it): its summary is its title
                markup = _opened(_condensed_tables(markup)).replace("<summary>Figures behind the chart: ", "<summary>", 1)
            elif "suna-caption" in markup:
                if not keep_captions:
                    continue
                markup = _opened(markup)
            elif "suna-table" in markup:  # a table that is the report's own figure (the dashboard)
                markup = _condensed_tables(markup)
            parts.append(markup)
        elif "text/markdown" in data and keep_findings:
            value = data["text/markdown"]
            parts.append(_markdown("".join(value) if isinstance(value, list) else str(value)))
    return "\n".join(parts)


# Columns written for the analyst who supplies the data, not for the board: in the full report only.
ANALYST_COLUMNS = frozenset({"What to supply"})
_TABLE = re.compile(r'<table\b[^>]*\bclass="[^"]*suna-table[^"]*"[^>]*>.*?</table>', re.DOTALL)
_ROW = re.compile(r"<tr[^>]*>(.*?)</tr>", re.DOTALL)
_CELL = re.compile(r"<t([hd])[^>]*>(.*?)</t[hd]>", re.DOTALL)


def _condensed_tables(markup: str) -> str:
    """Each table as the board reads it on paper: no analyst's columns, no row without a figure.

    A row is without a figure when every cell after its first two (the labels) is empty; a note
    under the table says how many rows the full report holds besides.
    """
    def condense(found: re.Match[str]) -> str:
        rows = [[(kind, cell) for kind, cell in _CELL.findall(row)] for row in _ROW.findall(found.group(0))]
        if not rows or any(kind != "h" for kind, _ in rows[0]):
            return found.group(0)
        keep = [i for i, (_, name) in enumerate(rows[0]) if _text(name) not in ANALYST_COLUMNS]
        body = [[row[i] for i in keep if i < len(row)] for row in rows[1:]]
        shown = [row for row in body if len(row) < 3 or any(_text(cell) for _, cell in row[2:])]
        filled = [j for j in range(len(keep)) if any(j < len(row) and _text(row[j][1]) for row in shown)]
        keep = [keep[j] for j in filled]
        shown = [[row[j] for j in filled if j < len(row)] for row in shown]
        head = "".join(f"<th>{rows[0][i][1]}</th>" for i in keep)
        lines = "".join("<tr>" + "".join(f"<t{kind}>{cell}</t{kind}>" for kind, cell in row) + "</tr>" for row in shown)
        table = f'<table class="suna-table"><thead><tr>{head}</tr></thead><tbody>{lines}</tbody></table>'
        dropped = len(body) - len(shown)
        if dropped:
            table += f'<p class="bp-note">{dropped} row{"s" if dropped != 1 else ""} with no figures yet: in the full report.</p>'
        return table

    return _TABLE.sub(condense, markup)


def _opened(markup: str) -> str:
    """Every ``<details>`` open: on paper a closed one would show its summary only."""
    return re.sub(r"<details\b(?![^>]*\bopen\b)", "<details open", markup)


def _split_page_note(markup: str) -> tuple[str, str]:
    """The page note without its rules (for the cover), and the rules (for the last page)."""
    found = re.search(r'<details id="' + re.escape("how-figures-are-protected") + r'".*?</details>', markup, re.DOTALL)
    if not found:
        return markup, ""
    rules = re.sub(r"<summary>.*?</summary>", "", found.group(0), flags=re.DOTALL)
    rules = re.sub(r"</?details[^>]*>", "", rules)
    return markup[: found.start()] + markup[found.end():], rules


def _source_lines(cell: Any) -> list[str]:
    """The "Source:" lines of a cell's captions, as plain text (a folded list of sources counts too)."""
    found = []
    for output in cell.get("outputs", []):
        for caption in re.findall(r'<div class="suna-caption">(.*?)</div>', _html_of(output), re.DOTALL):
            for sources in re.findall(r'<details class="suna-sources">.*?</details>', caption, re.DOTALL):
                found += [_text(li) for li in re.findall(r"<li>(.*?)</li>", sources, re.DOTALL)]
            for line in re.findall(r"<p>(.*?)</p>", caption, re.DOTALL):
                text = _text(line)
                if text.startswith("Source"):
                    found.append(re.sub(r"^Sources?:\s*", "", text))
    return found


def _text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup)).strip()


# ---------------------------------------------------------------------------------------------
# The page


_CSS = """
@page { size: A4; margin: %(top)smm %(right)smm %(bottom)smm %(left)smm; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 12px; line-height: 1.35;
       color: #000; background: #fff; margin: 0; width: %(width)spx; }
.bp-page { break-after: page; page-break-after: always; }
.bp-page:last-child { break-after: auto; page-break-after: auto; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 0 0 4px; border-bottom: 2px solid #000; }
h3 { font-size: 14px; margin: 10px 0 2px; } p, ul { margin: 3px 0; } ul { padding-left: 18px; }
.bp-meta { font-size: 12px; margin: 0 0 8px; }
.bp-findings { border-left: 4px solid #000; padding: 2px 8px; margin: 6px 0; }
.bp-findings h3 { margin-top: 2px; }
.bp-block { break-inside: avoid; margin-top: 6px; } .bp-lead { break-inside: auto; }
tr { break-inside: avoid; } thead { display: table-header-group; }
.bp-note { font-size: 10.5px; } .bp-sources ul { columns: 2; column-gap: 16px; font-size: 10px; } .bp-sources li { break-inside: avoid; }
.suna-chart { width: 100%%; } .suna-chart svg { max-width: 100%%; height: auto; }
.suna-chart details, .vega-embed .vega-actions, .vega-embed summary { display: none !important; }
.suna-caption { font-size: 10.5px; color: #000; margin: 2px 0 4px; } .suna-caption p { margin: 1px 0; }
.suna-caption summary { list-style: none; font-weight: bold; }
.suna-page-note { border: 1px solid #000; padding: 4px 8px; margin: 6px 0; }
details > summary { list-style: none; font-weight: bold; }
details > summary::-webkit-details-marker { display: none; }
table { border-collapse: collapse; font-size: 10.5px; width: 100%%; margin: 4px 0; }
th, td { border: 1px solid #555; padding: 2px 4px; text-align: left; vertical-align: top; }
th { background: #e6e6e6; }
a { color: #000; text-decoration: underline; }
.bp-more { font-style: italic; margin-top: 6px; }
.bp-sources li { margin-bottom: 2px; font-size: 10.5px; }
"""


def _css() -> str:
    return _CSS % {**MARGIN_MM, "width": round(content_size_px()[0])}


def content_size_px() -> tuple[float, float]:
    """Width and height of one sheet's printable area in CSS pixels."""
    width = (PAGE_MM[0] - MARGIN_MM["left"] - MARGIN_MM["right"]) * _PX_PER_MM
    height = (PAGE_MM[1] - MARGIN_MM["top"] - MARGIN_MM["bottom"]) * _PX_PER_MM
    return width, height


def compose(sections: Sequence[Section], area_name: str, made_on: date) -> str:
    """The board pack as one HTML page (``.bp-page`` per sheet), charts drawn by the inline Vega bundle."""
    e = html.escape
    overview = next((s for s in sections if s.stem == OVERVIEW), None)
    others = [s for s in sections if s is not overview]
    period = next((s.period for s in sections if s.period), "")
    when = made_on.strftime("%d %B %Y").lstrip("0")
    pages = []
    cover = [f"<h1>Drug and alcohol needs: board pack for {e(area_name)}</h1>",
             f'<p class="bp-meta">Made on {e(when)}' + (f" for the period {e(period)}" if period else "")
             + f": the overview, then each of its {len(others)} reports on a page of its own, then the sources.</p>"]
    notes = next((s.page_note_html for s in sections if s.page_note_html), "")
    pages.append(_page(overview, cover, notes) if overview else "\n".join(['<section class="bp-page" data-stem="cover">', *cover, notes, "</section>"]))
    pages += [_page(section, [f"<h2>{e(section.title)}</h2>"]) for section in others]
    pages.append(_sources_page(sections, when))
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>Board pack: {e(area_name)}</title>", f"<style>{_css()}</style>",
        publish.bundle_script(), "</head>", "<body>", *pages, "</body>", "</html>", "",
    ])


def _page(section: Section, head: list[str], note: str = "") -> str:
    e = html.escape
    parts = ['<section class="bp-page" data-stem="' + e(section.stem) + '">', *head]
    if section.stem == OVERVIEW:
        parts.append(f"<h2>{e(section.title)}</h2>")
    parts += [section.intro_html, note]
    if section.findings_html:
        parts.append(f'<div class="bp-findings"><h3>Findings</h3>{section.findings_html}</div>')
    for i, (heading, block) in enumerate(section.blocks):
        title = f"<h3>{e(heading)}</h3>" if heading and (i == 0 or section.blocks[i - 1][0] != heading) else ""
        # with no findings of its own, a section's first block (its main table) is what the page is for
        kind = "bp-lead" if i == 0 and not section.findings_html else "bp-optional"
        parts.append(f'<div class="bp-block {kind}" data-heading="{e(heading)}">{title}{block}</div>')
    parts.append(f'<p class="bp-more" hidden>More in the full report, "{e(section.title)}": <span></span>.</p>')
    parts.append("</section>")
    return "\n".join(parts)


def _sources_page(sections: Sequence[Section], when: str) -> str:
    e = html.escape
    parts = ['<section class="bp-page bp-sources" data-stem="sources">', "<h2>Sources and notes</h2>",
             f"<p>Made on {e(when)} by SUNA {e(__version__)} from its reports. Every figure here is shown in those "
             "reports, which hold the charts and tables this pack leaves out.</p>"]
    if any("suna-synthetic" in s.page_note_html for s in sections):  # the reports' own notice says so
        parts.append(f"<p><strong>{e(publish.SYNTHETIC_SAMPLE_TEXT)}</strong></p>")
    every = {s.rstrip(". ") for section in sections for s in section.sources}
    # a source already named within a longer one ("HES" in "...; HES. Boundaries: ...") is not listed again
    seen = {s for s in every if any(s != other and s in other for other in every)}
    for section in sections:
        fresh = [s for s in dict.fromkeys(x.rstrip(". ") for x in section.sources) if s not in seen]
        seen |= set(fresh)
        if fresh:
            parts += [f"<h3>{e(section.title)}</h3>", "<ul>", *(f"<li>{e(s)}</li>" for s in fresh), "</ul>"]
    rules = next((s.rules_html for s in sections if s.rules_html), "")
    if rules:
        parts += ['<h3 id="how-figures-are-protected">How figures are protected</h3>', rules]
    parts.append("</section>")
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------
# Printing


# _SETTLED: every chart drawn (or failed). _FIT: on each page, the optional blocks kept in order while
# they fit the sheet and their charts are drawn at minScale or more; the rest named in the page's
# "More in the full report" line; a page still too tall shrunk (not below minZoom), then left to run
# on. Returns, per page, what it left out and the sheets it takes.
_SETTLED = """() => [...document.querySelectorAll('.suna-chart')].every(
    el => el.querySelector('svg, canvas') || el.querySelector('.suna-chart-error'))"""
_FIT = """([limit, minZoom, minScale]) => {
    const report = {};
    // a chart drawn under minScale of its designed width (or wider than the sheet) is left to the full report
    const cramped = block => [...block.querySelectorAll('.suna-chart svg')].some(svg => {
        const designed = svg.width.baseVal.value || 0, drawn = svg.getBoundingClientRect().width;
        return designed && (drawn / designed < minScale - 1e-6 || drawn > block.getBoundingClientRect().width + 1);
    });
    // the sheets a page takes as chromium prints it: a row, line or block that would cross the foot of a
    // sheet starts the next one (a table's header row repeats there), so a long table takes more than height / limit
    const sheetsOf = page => {
        const units = [...page.querySelectorAll('tr, li, p, h1, h2, h3, .suna-chart, .bp-block')]
            .filter(u => !(u.matches('.bp-block') && u.querySelector('table')) && u.getClientRects().length)
            .map(u => ({u, r: u.getBoundingClientRect()})).sort((a, b) => a.r.top - b.r.top);
        let start = page.getBoundingClientRect().top, sheets = 1;
        for (const {u, r} of units) {
            if (r.bottom - start <= limit + 0.5 || r.top <= start + 0.5) continue;
            const head = u.matches('tbody tr') ? u.closest('table').querySelector('thead') : null;
            start = r.top - (head ? head.getBoundingClientRect().height : 0);
            sheets += 1;
        }
        return sheets;
    };
    for (const page of document.querySelectorAll('.bp-page')) {
        const height = () => page.getBoundingClientRect().height;
        const blocks = [...page.querySelectorAll('.bp-optional')];
        const more = page.querySelector('.bp-more');
        const headings = list => [...new Set(list.map(b => b.dataset.heading || 'a further table or chart'))];
        if (more) {  // room for the longest note it may need
            more.hidden = false;
            more.querySelector('span').textContent = headings(blocks).join('; ');
        }
        const kept = [], gone = [];
        blocks.forEach(b => { b.hidden = true; });
        for (const block of blocks) {  // first fit, in the report's order
            block.hidden = false;
            if (height() > limit || cramped(block)) { block.remove(); gone.push(block); } else { kept.push(block); }
        }
        const shown = new Set(kept.map(b => b.dataset.heading));
        const left = headings(gone.filter(b => !shown.has(b.dataset.heading)));
        if (gone.some(b => shown.has(b.dataset.heading))) left.push('further charts under the headings above');
        if (more) { more.hidden = !left.length; more.querySelector('span').textContent = left.join('; '); }
        // too tall with its essentials alone: shrunk a little, and beyond that it runs onto the next sheet
        if (height() > limit) { page.style.zoom = Math.max(minZoom, limit / height() - 0.005); }
        report[page.dataset.stem] = {left, sheets: Math.max(Math.ceil(height() / limit - 0.001), sheetsOf(page)), zoom: parseFloat(page.style.zoom) || 1};
    }
    return report;
}"""
_ERRORS = "() => [...document.querySelectorAll('.suna-chart-error')].map(e => e.textContent)"


def footer_template(area_name: str, when: str) -> str:
    """Chromium's footer on every sheet: the pack, its date and the page number of the total."""
    e = html.escape
    return ('<div style="font-family: DejaVu Sans, Arial, sans-serif; font-size: 10px; color: #000; width: 100%; '
            f'margin: 0 {MARGIN_MM["left"]}mm; display: flex; justify-content: space-between;">'
            f"<span>Board pack: {e(area_name)}, made on {e(when)}</span>"
            '<span>Page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>')


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's headless chromium through Playwright, for one pack or many (closed afterwards).

    Raises:
        SunaError: Playwright or chromium is not installed.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise SunaError("The board pack needs Playwright: pip install playwright (and chromium: apt install chromium).") from exc
    executable = os.environ.get("SUNA_CHROMIUM", CHROMIUM)
    if not Path(executable).exists():
        raise SunaError(f"The board pack needs chromium at {executable} (apt install chromium, or set SUNA_CHROMIUM).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def print_pdf(page_html: str, out_path: Path, area_name: str, made_on: date, browser: Any = None) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Draw the composed page in chromium and print it to ``out_path`` (written atomically).

    Args:
        browser: a Playwright chromium browser to use; by default one is started and closed.

    Returns:
        Per page of the pack (a report's stem, or "sources"), the sheets it takes and the headings it left out.

    Raises:
        SunaError: Playwright or chromium is missing, or a chart could not be drawn.
    """
    if browser is None:
        with chromium() as own:
            return print_pdf(page_html, out_path, area_name, made_on, browser=own)
    width, height = content_size_px()
    context = browser.new_context(viewport={"width": round(width), "height": round(height)}, service_workers="block")
    try:
        page = context.new_page()
        page.route("**/*", lambda route: route.abort() if route.request.url.startswith(("http:", "https:", "ws:", "wss:")) else route.continue_())
        page.emulate_media(media="print")
        page.set_content(page_html, wait_until="load")
        page.wait_for_function(_SETTLED, timeout=CHART_WAIT_MS)
        failed = page.evaluate(_ERRORS)
        if failed:
            raise SunaError(f"The board pack for {area_name}: a chart could not be drawn: {failed[0]}")
        fitted = page.evaluate(_FIT, [height, MIN_ZOOM, MIN_CHART_SCALE])
        for stem, fit in fitted.items():
            if fit["sheets"] > 1:
                logger.info("Board pack for %s: %s runs onto %d sheets.", area_name, stem, fit["sheets"])
        when = made_on.strftime("%d %B %Y").lstrip("0")
        pdf = page.pdf(format="A4", print_background=True, display_header_footer=True, prefer_css_page_size=True,
                       header_template="<span></span>", footer_template=footer_template(area_name, when),
                       margin={k: f"{v}mm" for k, v in MARGIN_MM.items()}, tagged=True, outline=True)
    finally:
        context.close()
    publish.atomic_write_bytes(Path(out_path), pdf)
    return {stem: fit["sheets"] for stem, fit in fitted.items()}, {stem: fit["left"] for stem, fit in fitted.items()}


def make_board_pack(notebooks: Sequence[Path], out_path: Path, area_name: str, made_on: date | None = None,
                    browser: Any = None) -> BoardPack:
    """The board pack of one authority from its executed notebooks (the overview first, whatever the order).

    Args:
        notebooks: the area's executed ``reports/<area>/NN_*.ipynb``.
        out_path: the PDF to write.
        area_name: the authority's official name.
        made_on: the date printed on it (default today).
        browser: a Playwright chromium browser to reuse across areas.
    """
    started = time.perf_counter()
    made_on = made_on or date.today()
    sections = sorted((read_section(Path(nb)) for nb in notebooks), key=lambda s: (s.stem != OVERVIEW, s.stem))
    page_html = compose(sections, area_name, made_on)
    sheets, left_out = print_pdf(page_html, out_path, area_name, made_on, browser=browser)
    return BoardPack(path=Path(out_path), sheets=sheets, left_out=left_out, seconds=time.perf_counter() - started)


def executed_notebooks(area_dir: Path) -> list[Path]:
    """The executed notebooks of one area's reports folder (not a failed run's ``.failed.ipynb``)."""
    return sorted(p for p in Path(area_dir).glob("[0-9][0-9]_*.ipynb") if ".failed" not in p.suffixes and not p.name.startswith("."))


def default_path(area: str, out_dir: Path | None = None) -> Path:
    """Where an area's board pack goes: ``reports/<area>/board-pack.pdf``."""
    return Path(out_dir or paths.reports_dir()) / area / PACK_NAME
