"""The board pack: a real PDF printed by Debian chromium from a real batch of the analysis notebooks for Halton.

Read back with pypdf, as a reader's PDF viewer would: the pages (the overview, one per report, the
sources), the footer on every page, every report's title, charts as vector drawing and text (no
picture in the file), and nothing that disclosure control hides.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from suna import batch
from suna.batch import board_pack, publish
from suna.presentation import outputs, responsive

pypdf = pytest.importorskip("pypdf", reason="pypdf is in the [test] extra")

pytestmark = [pytest.mark.browser, pytest.mark.notebook]

MADE_ON = date(2025, 3, 31)  # a date no other text on the pages carries
# Fields of a chart's row that would give a hidden figure away (denominators are published populations).
FIGURE_FIELDS = ("count", "value", "numerator", "rate", "lower_ci95", "upper_ci95", "lower_ci998", "upper_ci998",
                 "share_pct", "proportion")
PATH_OPERATOR = re.compile(rb"[\d.]+ [\d.]+ (?:l|c)\b")  # a line or curve drawn: vector graphics


@pytest.fixture(scope="module")
def pack(real_reports: Path, chromium_browser: Any, tmp_path_factory: pytest.TempPathFactory) -> board_pack.BoardPack:
    out = tmp_path_factory.mktemp("board-pack") / "board-pack.pdf"
    notebooks = board_pack.executed_notebooks(real_reports / "halton")
    return board_pack.make_board_pack(notebooks, out, "Halton", made_on=MADE_ON, browser=chromium_browser)


@pytest.fixture(scope="module")
def pages(pack: board_pack.BoardPack) -> list[Any]:
    return list(pypdf.PdfReader(str(pack.path)).pages)


def _text(*pages: Any) -> str:
    """A page's text as a reader sees it: ligatures (the "fi" of "figures") as letters, one space between words."""
    return " ".join(unicodedata.normalize("NFKC", " ".join(p.extract_text() for p in pages)).split())


def _titles(real_reports: Path) -> dict[str, str]:
    return {nb.stem: board_pack.read_section(nb).title for nb in board_pack.executed_notebooks(real_reports / "halton")}


def test_overview_then_one_page_per_report_then_sources(pack, pages, real_reports):
    """Every notebook the batch runs is in the pack (the partnership dashboard too), in order, each
    starting on a page of its own; a report's page is one sheet, except where its main table is
    longer than a sheet (the dashboard may run onto a second), and the sources follow."""
    stems = [nb.stem for nb in batch.find_notebooks()]
    assert "05_partnership_dashboard" in stems
    assert list(pack.sheets) == [*stems, "sources"]
    assert len(pages) == pack.pages
    with_charts = [s for s in stems if s != "05_partnership_dashboard"]
    assert all(pack.sheets[s] == 1 for s in with_charts), pack.sheets
    assert pack.sheets["05_partnership_dashboard"] <= 2 and pack.sheets["sources"] <= 2, pack.sheets
    titles = _titles(real_reports)
    assert all(title and title != stem for stem, title in titles.items()), titles  # each report's own H1
    first = 0
    for stem in stems:
        text = _text(pages[first])
        assert titles[stem] in text, f"{stem} does not start page {first + 1}: {text[:300]!r}"
        first += pack.sheets[stem]
    assert "Sources and notes" in _text(pages[first])
    assert "Drug and alcohol needs: board pack for Halton" in _text(pages[0])


def test_every_page_has_its_number_and_the_date(pages):
    total = len(pages)
    for number, page in enumerate(pages, start=1):
        text = _text(page)
        assert f"Page {number} of {total}" in text, f"page {number}: {text[-200:]!r}"
        assert "made on 31 March 2025" in text, f"page {number}: {text[-200:]!r}"


def test_charts_are_vectors_and_text_not_pictures(pack, pages):
    """No picture anywhere in the file; the pages with charts draw lines and curves, and the charts'
    own titles are text a reader can search and a screen reader can read."""
    for number, page in enumerate(pages, start=1):
        assert not list(page.images), f"page {number} holds a picture"
    chart_pages = [pages[i] for i in range(1, 5)]  # treatment, referrals, admissions, deaths: each keeps a chart
    for page in chart_pages:
        assert len(PATH_OPERATOR.findall(page.get_contents().get_data())) > 20
    all_text = _text(*pages)
    assert "Admission episodes for alcohol-specific conditions: Halton" in all_text  # a chart's title, as text


def test_a_page_names_what_it_left_to_the_full_report(pack, pages):
    left = [(stem, headings) for stem, headings in pack.left_out.items() if headings]
    assert left, "every chart of every report fitted: the pack is not a summary"
    all_text = _text(*pages)
    for stem, headings in left:
        assert "More in the full report" in all_text and headings[-1] in all_text, (stem, headings)


def _chart_rows(spec: dict[str, Any]) -> list[dict[str, Any]]:
    rows = list(((spec.get("data") or {}).get("values")) or [])
    for values in (spec.get("datasets") or {}).values():
        rows += values
    for layer in spec.get("layer", []) + spec.get("hconcat", []) + spec.get("vconcat", []) + spec.get("concat", []):
        rows += _chart_rows(layer)
    return rows


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)


def test_the_pack_shows_only_what_the_reports_show_and_no_hidden_figure(pack, pages, real_reports):
    """Disclosure control: every chart in the pack is one of the reports' own charts, unchanged, and no
    chart draws a figure disclosure control hid; the text carries the privacy note, the synthetic-data
    notice and the rules, and none of the words the report tests refuse."""
    notebooks = board_pack.executed_notebooks(real_reports / "halton")
    published = []
    for nb in notebooks:
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            for output in cell.get("outputs", []):
                spec = output.get("data", {}).get(outputs.VEGALITE_MIME)
                if spec:  # as the report page draws it on paper: without its own phone design
                    published.append(json.dumps(responsive.without_narrow(spec), sort_keys=True))
    sections = [board_pack.read_section(nb) for nb in notebooks]
    page_html = board_pack.compose(sections, "Halton", MADE_ON)
    drawn = []
    for chunk in page_html.split('<div class="suna-chart"></div>')[1:]:
        spec, _, _ = publish._chart_in({"text/html": chunk[: chunk.index("</script>") + 9]})
        assert spec is not None
        drawn.append(spec)
    assert drawn and len(drawn) == len(published)
    assert sorted(json.dumps(spec, sort_keys=True) for spec in drawn) == sorted(published)
    for spec in drawn:
        for row in _chart_rows(spec):
            if row.get("is_suppressed") is True or row.get("count_display") == "*":
                shown = {k: row[k] for k in FIGURE_FIELDS if _is_number(row.get(k))}
                assert not shown, f"a hidden row draws {shown}: {spec.get('title')}"
    text = _text(*pages)
    assert outputs.PRIVACY_NOTE in _text(pages[0])
    assert "synthetic" in _text(pages[0])
    assert "How figures are protected" in text and "NDTMS rule" in text
    for phrase in ("suppressed share", "Source: Source:", "substance_group", "share_pct", "Traceback", "could not be drawn"):
        assert phrase not in text


def test_suna_batch_pdf_writes_the_pack_and_links_it(real_reports, tmp_path):
    """`suna batch --area halton --pdf` on reports that are up to date: no notebook reruns, the pack
    is printed (in a chromium of its own) and the index links it."""
    out = tmp_path / "reports"
    shutil.copytree(real_reports, out)
    suna = Path(sys.executable).with_name("suna")
    done = subprocess.run([str(suna), "batch", "--area", "halton", "--out", str(out), "--pdf"],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "0 ran" in done.stdout and "Board pack halton:" in done.stdout, done.stdout
    pdf = out / "halton" / board_pack.PACK_NAME
    assert len(pypdf.PdfReader(str(pdf)).pages) >= len(batch.find_notebooks()) + 1
    assert 'href="halton/board-pack.pdf"' in (out / "index.html").read_text(encoding="utf-8")
