"""The board pack's composition, without a browser: what it takes from a report and how it lays it out.

The PDF itself (chromium, a real batch) is tested in tests/integration/browser/test_board_pack_pdf.py.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import altair as alt
import nbformat
import pandas as pd

from suna.batch import board_pack, publish
from suna.presentation import outputs

DASHBOARD = """<details class="suna-table-toggle"><summary>Figures behind the chart: Dashboard</summary>
<table class="dataframe suna-table"><thead><tr><th>Outcome</th><th>Metric</th><th>Value</th><th>Target</th><th>What to supply</th></tr></thead>
<tbody>
<tr><td>Reduce crime</td><td>Drug possession offences</td><td>294</td><td></td><td></td></tr>
<tr><td>Reduce drug use</td><td>Adults reporting use of a drug</td><td></td><td></td><td>A local survey.</td></tr>
</tbody></table></details>"""


def test_a_table_on_paper_keeps_the_figures_and_leaves_the_analysts_column_and_empty_rows():
    shown = board_pack._condensed_tables(DASHBOARD)
    cells = re.findall(r"<t[hd]>(.*?)</t[hd]>", shown)
    assert cells == ["Outcome", "Metric", "Value", "Reduce crime", "Drug possession offences", "294"]  # Target: empty once the row goes
    assert "1 row with no figures yet: in the full report." in shown
    assert "A local survey" not in shown
    section_table = board_pack._outputs_html({"outputs": [{"data": {"text/html": DASHBOARD}}]}, keep_tables=True, keep_findings=True)
    assert "<details open" in section_table and "<summary>Dashboard</summary>" in section_table  # a table in its own right


def test_a_two_column_table_keeps_every_row():
    table = ('<table class="suna-table"><thead><tr><th>District</th><th>Count</th></tr></thead>'
             "<tbody><tr><td>Halton 001</td><td></td></tr><tr><td>Halton 002</td><td>75</td></tr></tbody></table>")
    assert re.findall(r"<td>(.*?)</td>", board_pack._condensed_tables(table)) == ["Halton 001", "", "Halton 002", "75"]


def test_the_cover_note_sends_its_rules_to_the_last_page():
    note, rules = board_pack._split_page_note(outputs.page_note_html(["Counts of 1 to 4 are not shown."], "Synthetic."))
    assert outputs.PRIVACY_NOTE in note and "Synthetic." in note and "<details" not in note
    assert "Counts of 1 to 4 are not shown." in rules and "<summary" not in rules


def _report(tmp_path: Path, notice: str = "") -> Path:
    """A small executed report as the batch writes it: a title, the load cell's note, one chart, findings."""
    chart = alt.Chart(pd.DataFrame({"year": ["2022", "2023"], "count": [10, 12]}), title="People in treatment").mark_bar().encode(x="year", y="count")
    caption = outputs.caption_html(["Source: NDTMS, adults in treatment.", "Period: 2022 to 2023."])
    nb = nbformat.v4.new_notebook()
    load = nbformat.v4.new_code_cell("data = load()", metadata={"tags": ["load"]})
    load.outputs = [nbformat.from_dict(outputs.html_output(outputs.page_note_html(["Counts of 1 to 4 are not shown."], notice)))]
    view = nbformat.v4.new_code_cell("show(view)", metadata={"tags": ["trend"]})
    view.outputs = [nbformat.from_dict(outputs.chart_output(chart)), nbformat.from_dict(outputs.html_output(caption)),
                    nbformat.from_dict(outputs.html_output(outputs.table_toggle_html("People", "<table></table>")))]
    findings = nbformat.v4.new_code_cell("show(findings)", metadata={"tags": ["findings"]})
    findings.outputs = [nbformat.v4.new_output("display_data", {"text/markdown": "- 12 people in 2023.", "text/plain": ""})]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Treatment population\n\nWho is in treatment?"),
        nbformat.v4.new_code_cell('area: str = "halton"', metadata={"tags": ["parameters"]}),
        load,
        nbformat.v4.new_markdown_cell("## Numbers in treatment\n\nEach year."),
        view,
        nbformat.v4.new_markdown_cell("## Findings"),
        findings,
    ]
    nb.metadata["papermill"] = {"parameters": {"area": "halton", "period": "2023/24"}}
    path = tmp_path / "01_treatment_population.ipynb"
    nbformat.write(nb, str(path))
    return path


def test_a_report_gives_its_title_question_findings_chart_and_sources(tmp_path):
    section = board_pack.read_section(_report(tmp_path))
    assert (section.stem, section.title, section.period) == ("01_treatment_population", "Treatment population", "2023/24")
    assert "Who is in treatment?" in section.intro_html and "Treatment population" not in section.intro_html
    assert "12 people in 2023." in section.findings_html
    assert [heading for heading, _ in section.blocks] == ["Numbers in treatment"]
    block = section.blocks[0][1]
    assert '<div class="suna-chart"></div>' in block and "vegaEmbed" in block  # drawn offline, from its spec
    assert "Figures behind the chart" not in block  # the table behind a chart stays in the full report
    assert section.sources == ["NDTMS, adults in treatment."]
    assert "Counts of 1 to 4 are not shown." in section.rules_html and outputs.PRIVACY_NOTE in section.page_note_html


def test_the_page_has_one_sheet_per_report_and_a_sources_page(tmp_path):
    section = board_pack.read_section(_report(tmp_path))
    page = board_pack.compose([section], "Halton", date(2025, 3, 31))
    assert page.count('<section class="bp-page') == 3  # the cover (no overview report here), the report, sources
    assert "board pack for Halton" in page and "31 March 2025" in page and "for the period 2023/24" in page
    assert "NDTMS, adults in treatment." in page and 'id="how-figures-are-protected"' in page
    assert publish.strip_remote_assets(page) == page  # no script or stylesheet from another host
    assert publish.SYNTHETIC_SAMPLE_TEXT not in page  # real figures (an authority's published ones) are not called invented
    footer = board_pack.footer_template("Halton", "31 March 2025")
    assert 'class="pageNumber"' in footer and 'class="totalPages"' in footer and "31 March 2025" in footer



def test_the_sources_page_says_the_figures_are_invented_when_the_reports_do(tmp_path):
    section = board_pack.read_section(_report(tmp_path, notice="These figures come from SUNA's synthetic sample data."))
    page = board_pack.compose([section], "Halton", date(2025, 3, 31))
    assert publish.SYNTHETIC_SAMPLE_TEXT in page


def test_an_area_with_a_failed_report_gets_no_pack_and_the_summary_says_why(tmp_path):
    from datetime import datetime, timezone

    from suna import batch

    jobs = [batch.JobResult(area="essex", notebook="01_treatment_population", status="ok"),
            batch.JobResult(area="essex", notebook="02_referral_routes", status="failed")]
    made = batch.make_board_packs(jobs, tmp_path)  # no chromium needed: nothing to print
    assert made == {"essex": "no board pack: 1 report failed (02_referral_routes)"}
    result = batch.BatchResult(jobs=jobs, out_dir=tmp_path, started_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
                               duration_s=1.0, board_packs=made)
    assert "Board pack essex: no board pack: 1 report failed (02_referral_routes)" in batch.format_summary(result)
    assert not (tmp_path / "essex").exists()
