"""suna.batch.publish: self-contained offline HTML reports, the reports index, and atomic writes.

Static checks on real nbconvert output with the real Vega bundle from vl-convert; one test (marked
``browser``) opens a report in Debian's chromium with every network request refused.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from suna import __version__
from suna.batch import BatchResult, JobResult, publish
from suna.batch.jobs import JobError

pytestmark = pytest.mark.slow  # loads or computes the sample areas' protected indicators: not in `make test-fast`

alt = pytest.importorskip("altair")

CHART_TITLE = "Adults in treatment by district (test chart)"
CODE_MARKER = "secret_code_marker = 42"
CDN_SIGNS = ("https://cdn", "http://cdn", "jsdelivr", "unpkg.com", "cdnjs")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The real offline Vega bundle, built once for this module in a temporary cache."""
    return publish.vega_bundle(tmp_path_factory.mktemp("vega-cache"))


def chart() -> Any:
    data = pd.DataFrame({"district": ["Bromsgrove", "Redditch", "Worcester"], "people": [301, 288, 402]})
    return alt.Chart(data).mark_bar().encode(x="people:Q", y="district:N", tooltip=["district", "people"]).properties(
        title=CHART_TITLE)


def report_notebook(*chart_outputs: dict[str, Any]) -> nbformat.NotebookNode:
    """A small executed notebook: a title, a code cell with outputs, a markdown finding."""
    cells = [new_markdown_cell("# Treatment in Worcestershire\n\nHow many adults are in treatment, by district?")]
    for data in chart_outputs:
        cells.append(new_code_cell(f"{CODE_MARKER}\nchart", outputs=[new_output("display_data", data=data)]))
    cells.append(new_markdown_cell("- Worcester has the most adults in treatment."))
    nb = new_notebook(cells=cells)
    nbformat.validate(nb)
    return nb


def mimebundle_output() -> dict[str, Any]:
    """What Jupyter stores for an Altair chart: the Vega-Lite spec under its registered mimetype."""
    spec = chart().to_dict()
    major = spec["$schema"].rsplit("/v", 1)[1].split(".")[0]
    return {f"application/vnd.vegalite.v{major}+json": spec, "text/plain": "<VegaLite 6 object>"}


def html_renderer_output() -> dict[str, Any]:
    """What Altair's default html renderer writes: a script that loads Vega from jsDelivr."""
    with alt.renderers.enable("html"):
        html = chart()._repr_mimebundle_()["text/html"]
    assert "cdn.jsdelivr.net" in html  # the input really does depend on a CDN
    return {"text/html": html}


def spec_in(page: str) -> list[dict[str, Any]]:
    """The chart specs embedded in a report (the first argument of each inline embed call)."""
    specs = []
    for match in re.finditer(r"\}\)\((\{.*?\}), (\{\"actions\".*?\})\);\n</script>", page, re.DOTALL):
        specs.append(json.loads(match.group(1)))
    return specs


def assert_offline(page: str) -> None:
    for sign in CDN_SIGNS:
        assert sign not in page, sign
    assert not re.search(r"<script[^>]*\bsrc\s*=\s*[\"']?(https?:)?//", page, re.IGNORECASE)
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?(https?:)?//", page, re.IGNORECASE)


# ----------------------------------------------------------------------------------------------
# Notebook -> HTML
# ----------------------------------------------------------------------------------------------
def test_report_is_self_contained_with_no_code(bundle: str) -> None:
    nb = report_notebook(mimebundle_output(), html_renderer_output())
    page = publish.notebook_to_html(nb, bundle=bundle)
    assert_offline(page)
    assert CODE_MARKER not in page and "secret_code_marker" not in page
    body = page[page.index("</head>"):]
    assert "In&nbsp;[" not in body and "jp-InputPrompt" not in body and "jp-OutputPrompt" not in body  # no prompts
    assert "hl-ipython3" not in body and "jp-InputArea-editor" not in body  # no code inputs
    assert "<title>Treatment in Worcestershire</title>" in page
    assert "Worcester has the most adults in treatment." in page
    # Both charts, whichever way they were drawn, are embedded from their spec against the page's own bundle.
    specs = spec_in(page)
    assert len(specs) == 2
    for spec in specs:
        assert spec["title"] == CHART_TITLE
        (rows,) = spec["datasets"].values()
        assert {r["district"]: r["people"] for r in rows} == {"Bromsgrove": 301, "Redditch": 288, "Worcester": 402}
    assert page.count('<div class="suna-chart"></div>') == 2
    assert page.count(bundle[:200]) == 1  # the bundle is inlined once, not once per chart
    assert page.index(bundle[:200]) < page.index("</head>")
    assert "vegaEmbed" in bundle


def test_notebook_is_not_modified_and_can_be_read_from_a_file(bundle: str, tmp_path: Path) -> None:
    nb = report_notebook(mimebundle_output())
    before = json.dumps(nb, sort_keys=True)
    path = tmp_path / "report.ipynb"
    nbformat.write(nb, str(path))
    from_file = publish.notebook_to_html(path, title="Given title", bundle=bundle)
    assert json.dumps(nb, sort_keys=True) == before
    assert "<title>Given title</title>" in from_file
    assert spec_in(from_file)[0]["title"] == CHART_TITLE


def test_a_report_without_charts_carries_no_bundle(bundle: str) -> None:
    page = publish.notebook_to_html(report_notebook(), bundle=bundle)
    assert bundle[:200] not in page
    assert_offline(page)


def test_altair_string_mimetype_output_is_embedded(bundle: str) -> None:
    # Altair 6's "mimetype" renderer writes application/vnd.vegalite.v6.json, which nbformat stores as a string.
    spec = chart().to_dict()
    nb = report_notebook({"application/vnd.vegalite.v6.json": json.dumps(spec)})
    page = publish.notebook_to_html(nb, bundle=bundle)
    assert spec_in(page)[0]["title"] == CHART_TITLE
    assert_offline(page)


def test_a_remote_script_in_other_html_output_is_removed(bundle: str, caplog: pytest.LogCaptureFixture) -> None:
    remote = {"text/html": '<script src="https://cdn.jsdelivr.net/npm/x.js"></script><p>Kept text</p>'}
    page = publish.notebook_to_html(report_notebook(remote), bundle=bundle)
    assert_offline(page)
    assert "Kept text" in page
    assert "could not be made offline" in caplog.text


def test_a_script_end_tag_inside_a_spec_cannot_break_the_page(bundle: str) -> None:
    data = pd.DataFrame({"district": ["</script><script>alert(1)</script>"], "people": [5]})
    evil = alt.Chart(data).mark_bar().encode(x="people:Q", y="district:N").properties(title=CHART_TITLE).to_dict()
    page = publish.notebook_to_html(report_notebook({"application/vnd.vegalite.v6+json": evil}), bundle=bundle)
    assert "<script>alert(1)" not in page
    assert spec_in(page)[0]["datasets"].popitem()[1][0]["district"] == "</script><script>alert(1)</script>"


def test_notebook_title_from_the_first_heading() -> None:
    nb = new_notebook(cells=[new_markdown_cell("Intro"), new_markdown_cell("## Sub\n# **Drug deaths** in Halton #")])
    assert publish.notebook_title(nb) == "Drug deaths in Halton"
    assert publish.notebook_title(new_notebook(cells=[new_markdown_cell("<h1>Admissions</h1>")])) == "Admissions"
    assert publish.notebook_title(new_notebook(cells=[]), default="Fallback") == "Fallback"


def test_vega_bundle_is_cached(tmp_path: Path) -> None:
    first = publish.vega_bundle(tmp_path)
    (cached,) = tmp_path.glob("vega-embed-bundle-*.js")
    assert cached.read_text(encoding="utf-8") == first
    cached.write_text("/* the cached copy */", encoding="utf-8")
    assert publish.vega_bundle(tmp_path) == "/* the cached copy */"  # read back, not rebuilt
    assert_offline(first)


# ----------------------------------------------------------------------------------------------
# Atomic writes
# ----------------------------------------------------------------------------------------------
def test_atomic_write_replaces_whole_files_and_leaves_no_partial(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "report.html"
    publish.atomic_write_text(target, "first")
    publish.atomic_write_text(target, "second – with a dash")
    assert target.read_text(encoding="utf-8") == "second – with a dash"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]


def test_a_failed_index_leaves_the_previous_index(tmp_path: Path) -> None:
    good = BatchResult(jobs=[JobResult(area="halton", notebook="01_treatment", status="ok", data_source="sample")],
                       out_dir=tmp_path, started_at=datetime(2026, 11, 23, 9, 5, tzinfo=timezone.utc), duration_s=1.0)
    index = publish.write_index(good, tmp_path)
    before = index.read_bytes()

    class Broken:
        area = "halton"
        notebook = "02_broken"

        @property
        def status(self) -> str:
            raise RuntimeError("the run was interrupted")

    bad = BatchResult(jobs=[Broken()], out_dir=tmp_path, started_at=good.started_at, duration_s=1.0)  # type: ignore[list-item]
    with pytest.raises(RuntimeError, match="interrupted"):
        publish.write_index(bad, tmp_path)
    assert index.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.html"]


# ----------------------------------------------------------------------------------------------
# The index page
# ----------------------------------------------------------------------------------------------
def test_index_lists_jobs_sources_and_failures(tmp_path: Path) -> None:
    (tmp_path / "halton").mkdir()
    (tmp_path / "halton" / "01_treatment.html").write_text("<html></html>", encoding="utf-8")
    (tmp_path / "essex").mkdir()
    (tmp_path / "essex" / "01_treatment.failed.ipynb").write_text("{}", encoding="utf-8")
    finished = datetime(2026, 11, 23, 9, 7, tzinfo=timezone.utc)
    jobs = [
        JobResult(area="halton", notebook="01_treatment", status="ok", title="Treatment in Halton", area_name="Halton",
                  data_source="sample", duration_s=12.34, finished_at=finished,
                  html_path=tmp_path / "halton" / "01_treatment.html"),
        JobResult(area="halton", notebook="02_deaths", status="skipped", area_name="Halton", data_source="sample",
                  html_path=tmp_path / "halton" / "02_deaths.html"),  # no file on disk: "no report"
        JobResult(area="essex", notebook="01_treatment", status="failed", area_name="Essex",
                  data_source="/councils/essex/extracts", duration_s=3.0, finished_at=finished,
                  error=JobError(message="failed", ename="ValidationError", evalue="column 'sex' has 'X' in row 4",
                                 cell_index=3, exec_count=2, source_first_line="data = load_area_data(area)",
                                 notebook_path=str(tmp_path / "essex" / "01_treatment.failed.ipynb"))),
    ]
    result = BatchResult(jobs=jobs, out_dir=tmp_path, started_at=datetime(2026, 11, 23, 9, 5, tzinfo=timezone.utc),
                         duration_s=20.0)
    page = re.sub(r"\s*\n\s*", " ", publish.write_index(result, tmp_path).read_text(encoding="utf-8"))
    assert "Run on 23 November 2026 at 09:05 UTC" in page
    assert f"SUNA version {__version__}" in page
    assert "3 reports: 1 ran, 1 already up to date, 1 failed." in page
    # Data sources: the synthetic sample is labelled as such; a council's extracts by folder.
    assert "<strong>Halton</strong>" not in page  # sources are listed by the area's slug
    assert '<li class="synthetic"><strong>halton</strong>: The embedded synthetic sample' in page
    assert "<strong>essex</strong>: the council's own extracts in <code>/councils/essex/extracts</code>." in page
    # Failures, with the cell and the error in words, and a link to the notebook with the traceback.
    failures = page[page.index("<h2>Failures</h2>"):page.index("<h2>Reports by area</h2>")]
    assert "<strong>essex</strong> / 01_treatment: cell 3 (In [2]) <code>data = load_area_data(area)</code>" in failures
    assert "ValidationError: column &#x27;sex&#x27; has &#x27;X&#x27; in row 4" in failures
    assert '<a href="essex/01_treatment.failed.ipynb">notebook with the traceback</a>' in failures
    # Reports by area, with relative links where the file exists.
    assert '<h3 id="halton">Halton</h3>' in page and '<h3 id="essex">Essex</h3>' in page
    assert '<a href="halton/01_treatment.html">Treatment in Halton</a>' in page
    assert "<td>12.3 s</td>" in page
    row = re.search(r"<tr><td>02_deaths</td><td>(.*?)</td>", page)  # (whitespace normalised above)
    assert row and row.group(1) == "no report"
    assert_offline(page)


def test_index_with_no_jobs(tmp_path: Path) -> None:
    result = BatchResult(jobs=[], out_dir=tmp_path, started_at=datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc), duration_s=0)
    page = re.sub(r"\s*\n\s*", " ", publish.write_index(result, tmp_path).read_text(encoding="utf-8"))
    assert "0 reports: 0 ran, 0 already up to date, 0 failed." in page
    assert "No notebooks were found to run." in page


# ----------------------------------------------------------------------------------------------
# One real browser render
# ----------------------------------------------------------------------------------------------
CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
def test_report_draws_its_chart_in_chromium_with_no_network(bundle: str, tmp_path: Path, playwright_session: Any) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium")
    page_file = tmp_path / "report.html"
    page_file.write_text(publish.notebook_to_html(report_notebook(mimebundle_output(), html_renderer_output()),
                                                  bundle=bundle), encoding="utf-8")
    refused: list[str] = []
    errors: list[str] = []
    browser = playwright_session.chromium.launch(executable_path=str(CHROMIUM), args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"])
    try:
        page = browser.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        def refuse(route: Any) -> None:
            if route.request.url.startswith("file://"):
                route.continue_()
            else:
                refused.append(route.request.url)
                route.abort()

        page.route("**/*", refuse)
        page.goto(page_file.as_uri())
        page.wait_for_function("document.querySelectorAll('.suna-chart canvas, .suna-chart svg').length >= 2",
                               timeout=30_000)
        assert page.locator(".suna-chart-error").count() == 0
        assert page.evaluate("typeof vegaEmbed") == "function"
    finally:
        browser.close()
    assert errors == []
    assert refused == []


def test_index_links_each_board_pack_and_says_why_an_area_has_none(tmp_path: Path) -> None:
    from suna.batch.board_pack import BoardPack

    jobs = [JobResult(area="halton", notebook="01_treatment", status="ok", area_name="Halton", data_source="sample"),
            JobResult(area="essex", notebook="01_treatment", status="failed", area_name="Essex", data_source="sample")]
    pack = BoardPack(path=tmp_path / "halton" / "board-pack.pdf", sheets={"01_treatment": 1, "sources": 1}, left_out={}, seconds=4.0)
    result = BatchResult(jobs=jobs, out_dir=tmp_path, started_at=datetime(2026, 11, 23, 9, 5, tzinfo=timezone.utc), duration_s=1.0,
                         board_packs={"halton": pack, "essex": "no board pack: 1 report failed (01_treatment)"})
    page = publish.write_index(result, tmp_path).read_text(encoding="utf-8")
    assert '<a href="halton/board-pack.pdf">Board pack (PDF, 2 pages)</a>' in page
    assert "<p>No board pack: 1 report failed (01_treatment)</p>" in page
    assert "board-pack.pdf" not in page.split('id="essex"')[1].split('id="halton"')[0]  # Essex has no link


@pytest.mark.browser
def test_a_wide_chart_is_drawn_in_its_narrow_form_on_a_phone(bundle: str, tmp_path: Path, playwright_session: Any) -> None:
    """A chart designed 900 px wide: on a 1280 px page as designed; on a 375 px phone in its narrow form
    (suna.presentation.responsive), no wider than the page and at full size, from the datasets the page holds once."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium")
    spec = chart().properties(width=900).to_dict()
    major = spec["$schema"].rsplit("/v", 1)[1].split(".")[0]
    page_html = publish.notebook_to_html(report_notebook({f"application/vnd.vegalite.v{major}+json": spec}), bundle=bundle)
    assert page_html.count('"Bromsgrove"') == 1  # the narrow form shares the chart's data, not a copy
    page_file = tmp_path / "report.html"
    page_file.write_text(page_html, encoding="utf-8")
    browser = playwright_session.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
    drawn = "() => { const svg = document.querySelector('.suna-chart.suna-chart-drawn svg'); return svg && " \
            "{designed: svg.width.baseVal.value, shown: svg.getBoundingClientRect().width, page: document.documentElement.clientWidth}; }"
    try:
        sizes = {}
        for width in (1280, 375):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.goto(page_file.as_uri())
            page.wait_for_function(f"({drawn})() !== null", timeout=30_000)
            sizes[width] = page.evaluate(drawn)
            page.close()
    finally:
        browser.close()
    assert sizes[1280]["designed"] > 900 and sizes[1280]["shown"] == pytest.approx(sizes[1280]["designed"])
    phone = sizes[375]
    assert phone["designed"] <= 340 and phone["shown"] == pytest.approx(phone["designed"]) and phone["shown"] <= phone["page"]
