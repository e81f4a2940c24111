"""The district explorer's logic without a browser: outputs, choices, stale updates, failures, safety.

The app runs on the real sample data and the real views (``suna.views.REGISTRY``); a few tests wrap
a real view to record how it was called, or replace one with a view that fails, because that is the
behaviour under test.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re

import altair as alt
import pandas as pd
import pytest
import traitlets
from made_reports import PDF, write_reports

from suna.app import widgets
from suna.core.errors import UnknownAreaError
from suna.views import REGISTRY, View

pytestmark = pytest.mark.slow  # loads or computes the sample areas' protected indicators: not in `make test-fast`

AREA = "worcestershire"  # six districts: the smallest county, quickest to load
ENGLAND = "E92000001"


@pytest.fixture(scope="module")
def data():
    return widgets.load_app_data(AREA)


def _bar(title: str = "Adults in treatment") -> alt.Chart:
    frame = pd.DataFrame({"group": ["Opiate", "Alcohol only"], "count": [120, 80]})
    return alt.Chart(frame, title=title).mark_bar().encode(x="group", y="count")


def _text(outputs) -> str:
    return json.dumps([o["data"] for o in outputs])


def _words_and_chart_labels(outputs) -> tuple[str, set]:
    """What a reader sees: the page's text and HTML, and the figures the charts label for the place
    (not the chart specs, whose settings such as '"opacity": 1' are not figures)."""
    words, labels = [], set()
    for output in outputs:
        for mime, content in output["data"].items():
            if "vegalite" not in mime:
                words.append(content if isinstance(content, str) else json.dumps(content))
                continue
            rows = [r for dataset in content.get("datasets", {}).values() for r in dataset]
            labels |= {r.get("value_label") for r in rows} - {None}  # the place's own figure, not England's
    return "\n".join(words), labels


def _chart_names(outputs) -> list[str]:
    """The accessible name of each chart the outputs draw (server-drawn SVG), in order."""
    found = [re.search(r'<svg [^>]*aria-roledescription="visualization" aria-label="([^"]*)"', o["data"].get("text/html", ""))
             for o in outputs]
    return [html.unescape(m.group(1)) for m in found if m]


def _svg_widths(outputs) -> list[float]:
    """The designed width (px) of each server-drawn chart in the outputs."""
    return [float(w) for o in outputs for w in re.findall(r'<svg [^>]*class="marks" width="([\d.]+)"', o["data"].get("text/html", ""))]


def _recording(calls: list, name: str):
    real = REGISTRY[name]

    def view(data, **choice):
        calls.append((name, data.area.code, choice))
        return real(data, **choice)

    return view


def _views(names, calls=None):
    if calls is None:
        return {n: REGISTRY[n] for n in names}
    return {n: _recording(calls, n) for n in names}


# ---------------------------------------------------------------- outputs


def test_chart_output_is_a_vegalite_5_bundle_voila_draws_offline():
    output = widgets.chart_output(_bar())
    spec = output["data"][widgets.VEGALITE_MIME]
    assert spec["$schema"].endswith("/vega-lite/v5.json")
    assert spec["mark"]["type"] == "bar"
    assert output["data"]["text/plain"] == "Adults in treatment"
    assert output["metadata"][widgets.VEGALITE_MIME]["embed_options"] == {"actions": False, "renderer": "svg"}
    assert not any("cdn" in k or "http" in json.dumps(v).lower().replace("https://vega.github.io/schema", "")
                   for k, v in output["data"].items())


def test_chart_output_as_server_side_svg():
    output = widgets.chart_output(_bar("Opiate and alcohol"), renderer="svg")
    markup = output["data"]["text/html"]
    assert "<svg" in markup and "Opiate and alcohol" in markup and 'role="img"' in markup
    with pytest.raises(ValueError, match="renderer"):
        widgets.chart_output(_bar(), renderer="png")


def test_view_outputs_escape_text_and_carry_findings_table_and_footnote():
    view = View(title="Deaths <b>by</b> district", chart=_bar(), table=pd.DataFrame({"District": ["Wyre Forest"], "Count": ["<5"]}),
                footnote="Counts under 5 are suppressed.", findings=["<script>alert(1)</script> went up."])
    text = _text(widgets.view_outputs(view))
    assert "&lt;script&gt;" in text and "<script>" not in text
    assert "suna-view-title" not in text, "a charted view is titled by its chart"
    assert "<summary>Figures behind the chart: Deaths &lt;b&gt;by&lt;/b&gt; district</summary>" in text  # the table, one click away
    assert text.index("suna-caption") < text.index("suna-findings"), "the caption sits under the chart"
    untitled = _text(widgets.view_outputs(View(title="Deaths <b>by</b> district", findings=["None."])))
    assert "Deaths &lt;b&gt;by&lt;/b&gt; district" in untitled
    assert "Wyre Forest" in text and "&lt;5" in text
    assert "Counts under 5 are suppressed." in text
    assert widgets.VEGALITE_MIME in text


def test_the_apps_charts_carry_a_png_so_the_browser_does_not_draw_them_again_to_make_one():
    import base64
    import struct

    chart = widgets.view_outputs(View(title="Adults", chart=_bar()))[0]["data"]
    assert set(chart) == {widgets.VEGALITE_MIME, "image/png", "text/plain"}
    png = base64.b64decode(chart["image/png"], validate=True)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR" and struct.unpack(">II", png[16:24]) == (1, 1)
    assert "image/png" not in widgets.chart_output(_bar())["data"], "the notebooks' and reports' charts are left as they are"
    server_drawn = widgets.view_outputs(View(title="Adults", chart=_bar()), renderer="svg")[0]["data"]
    assert "image/png" not in server_drawn


def test_failure_outputs_say_only_the_short_message():
    text = _text(widgets.failure_outputs("Drug deaths"))
    assert widgets.VIEW_FAILED in text and "Drug deaths" in text
    assert "Traceback" not in text and "Error" not in text


def test_financial_years_leaves_pooled_spans_out_and_sorts(data):
    years = widgets.financial_years(data.table)
    assert years == sorted(years) and years[-1] == "2023/24"
    assert all(len(y) == 7 and y[4] == "/" for y in years)
    assert "2021 - 23" in set(data.table["period"]) and "2021 - 23" not in years


# ---------------------------------------------------------------- the app


def test_explorer_offers_the_areas_districts_and_years(data):
    app = widgets.DistrictExplorer(AREA, views=_views(["overview.headline_findings"]))
    assert [v for _, v in app.area_choice.options] == sorted(["essex", "halton", "sefton", "worcestershire"],
                                                             key=lambda s: dict((v, k) for k, v in app.area_choice.options)[s])
    assert app.district_choice.options[0] == ("Whole of Worcestershire", widgets.WHOLE_AREA)
    assert sorted(v for _, v in app.district_choice.options[1:]) == sorted(data.area.district_codes)
    assert app.period_choice.value == "2023/24"
    assert app.renders == 1 and "Worcestershire" in _heading(app)


def _open(app, key: str) -> None:
    app.sections.selected_index = [panel.key for panel in widgets.PANELS].index(key)


def _heading(app) -> str:
    """The page's heading: the first output of the open section (it travels with the section)."""
    return app.outputs[app.visible_panel.key].outputs[0]["data"]["text/html"].split('<h2 class="suna-panel-heading">')[0]


def _choice_line(app) -> tuple[str, str]:
    """The open section's line naming its choice, and its data-choice (the heading's must be the same)."""
    import re

    first = app.outputs[app.visible_panel.key].outputs[0]["data"]["text/html"]
    line = re.search(r'<p class="suna-panel-choice" data-choice="([^"]*)">([^<]*)</p>', first)
    title = re.search(r'<h1 class="suna-title" data-choice="([^"]*)">', first)
    assert line and title, first
    assert line.group(1) == title.group(1), "the heading and the section name different choices"
    return html.unescape(line.group(2)), line.group(1)


def test_every_panel_follows_a_district_change(data):
    calls: list = []
    names = [n for panel in widgets.PANELS for n in panel.views if n in REGISTRY]
    app = widgets.DistrictExplorer(AREA, views=_views(names, calls))
    district = data.area.districts[2]
    calls.clear()
    app.district_choice.value = district.code
    assert app.renders == 2
    assert {name for name, _, _ in calls} == set(widgets.PANELS[0].views), "only the open section is drawn"
    assert district.name in _heading(app)
    for panel in widgets.PANELS:
        _open(app, panel.key)
        shown = _text(app.outputs[panel.key].outputs)
        assert panel.heading in shown
    assert {name for name, _, _ in calls} == set(names)
    assert all(choice["district"] == district.code for _, _, choice in calls)


def test_only_the_open_section_is_drawn_and_a_stale_one_is_redrawn_when_opened(data):
    calls: list = []
    names = [n for panel in widgets.PANELS for n in panel.views if n in REGISTRY]
    app = widgets.DistrictExplorer(AREA, views=_views(names, calls))
    assert app.outputs["overview"].outputs and not app.outputs["deaths"].outputs
    _open(app, "deaths")
    assert app.renders == 2 and "Drug deaths" in _text(app.outputs["deaths"].outputs)
    calls.clear()
    app.district_choice.value = data.area.districts[0].code
    assert {name for name, _, _ in calls} == {"deaths.district_map", "deaths.trend"}
    assert not app.outputs["overview"].outputs, "a section showing an old choice is emptied, never left stale"
    calls.clear()
    _open(app, "deaths")  # already showing this choice: nothing to draw
    assert calls == []
    _open(app, "overview")
    assert {name for name, _, _ in calls} == set(widgets.PANELS[0].views)
    assert all(choice["district"] == data.area.districts[0].code for _, _, choice in calls)


def test_a_district_change_sends_only_the_outputs_that_changed(data):
    names = [n for n in widgets.PANELS[0].views if n in REGISTRY]
    app = widgets.DistrictExplorer(AREA, views=_views(names))
    first, second = data.area.districts[0], data.area.districts[1]
    app.district_choice.value = first.code
    column = app.outputs["overview"]
    sent: list = []
    for slot in column.slots:
        slot.observe(lambda change: sent.extend(change["new"]), names="outputs")
    app.district_choice.value = second.code

    charts = _chart_names(column.outputs)
    similar = [title for title in charts if "similar authorities" in title]
    assert similar and any(second.name in title for title in charts), charts
    sent_charts = _chart_names(sent)
    assert any(second.name in title for title in sent_charts), "the district's own chart is sent"
    assert not set(similar) & set(sent_charts), "the whole authority's chart, the same for both districts, is not sent again"
    assert second.name in _heading(app) and first.name not in _heading(app)

    fresh = widgets.DistrictExplorer(AREA, views=_views(names))  # what a viewer arriving now is shown
    fresh.district_choice.value = second.code
    assert column.outputs == fresh.outputs["overview"].outputs


def test_area_change_updates_districts_without_stale_updates():
    calls: list = []
    app = widgets.DistrictExplorer("worcestershire", views=_views(["overview.headline_findings"], calls))
    app.district_choice.value = app.district_choice.options[3][1]
    app.period_choice.value = "2020/21"
    calls.clear()
    before = app.renders
    app.area_choice.value = "essex"
    assert app.renders == before + 1, "one area change must redraw once, not once per list it resets"
    assert len(calls) == 1
    _, area_code, choice = calls[0]
    assert area_code == "E10000012" and choice["district"] is None and choice["period"] == "2020/21"
    assert [v for _, v in app.district_choice.options][1:4] == ["E07000066", "E07000067", "E07000068"]
    assert "Essex" in _heading(app)


def test_substance_group_reaches_only_the_panels_it_applies_to():
    calls: list = []
    names = ["treatment.numbers_in_treatment", "admissions.trend"]
    app = widgets.DistrictExplorer(AREA, views=_views([n for n in names if n in REGISTRY], calls))
    _open(app, "treatment")
    _open(app, "admissions")
    calls.clear()
    app.substance_choice.value = "opiate"
    _open(app, "treatment")
    by_view = {name: choice["substance_group"] for name, _, choice in calls}
    assert by_view.get("admissions.trend", None) is None
    if "treatment.numbers_in_treatment" in REGISTRY:
        assert by_view["treatment.numbers_in_treatment"] == "opiate"


def test_a_failing_view_shows_a_short_message_and_the_rest_keep_working(caplog):
    def broken(data, **choice):
        raise KeyError("/secret/path/to/extract.csv")

    views = {"overview.headline_findings": REGISTRY["overview.headline_findings"], "deaths.district_map": broken,
             "deaths.trend": REGISTRY["deaths.trend"]}
    with caplog.at_level(logging.ERROR, logger="suna.app.widgets"):
        app = widgets.DistrictExplorer(AREA, views=views)
        _open(app, "deaths")
    deaths = _text(app.outputs["deaths"].outputs)
    assert widgets.VIEW_FAILED in deaths
    assert "secret" not in deaths and "KeyError" not in deaths and "Traceback" not in deaths
    assert "Drug deaths" in deaths and "view deaths.district_map failed" in caplog.text
    assert "/secret/path" in caplog.text  # the real error is in the server log
    _open(app, "overview")
    overview = _text(app.outputs["overview"].outputs)
    assert widgets.VIEW_FAILED not in overview and "suna-findings" in overview


def test_no_widget_input_can_name_a_file():
    app = widgets.DistrictExplorer(AREA, views=_views(["overview.headline_findings"]))
    for bad in ("../../etc/passwd", "/etc/passwd", "worcestershire/../../x"):
        with pytest.raises(traitlets.TraitError):
            app.area_choice.value = bad
        with pytest.raises(UnknownAreaError):
            app._set_area(bad)
    with pytest.raises(traitlets.TraitError):
        app.district_choice.value = "../params/essex.yaml"
    assert app.data.area.code == "E10000034"


def test_app_data_is_the_pipelines_and_its_fingerprint_follows_the_data(data, tmp_path):
    from suna import pipeline
    from suna.pipeline import result_cache

    assert data is pipeline.load_area_data(AREA), "the app shares the pipeline's data, not a copy of its own"
    assert data.fingerprint == result_cache.cache_key(data.area, data.period, pipeline.paths.sample_dir())
    other_year = widgets.load_app_data(AREA, "2022/23")
    assert other_year.fingerprint != data.fingerprint
    assert result_cache.cache_key(data.area, data.period, tmp_path) != data.fingerprint


def test_drawn_views_are_keyed_by_the_data_fingerprint(data, tmp_path):
    cache = widgets.OutputCache(folder=tmp_path)
    app = widgets.DistrictExplorer(AREA, views=_views(["overview.headline_findings"]), cache=cache, warm=False)
    choice = {"area": data.area.code, **app.choice, "substance_group": None}
    key = widgets.OutputCache.key(data.fingerprint, "overview.headline_findings", choice, app.renderer)
    assert (tmp_path / f"{key}.json").is_file()
    assert widgets.OutputCache.key("new-data", "overview.headline_findings", choice, app.renderer) != key
    assert widgets.OutputCache.key(data.fingerprint, "overview.headline_findings", choice, "svg-phone") != key, "each form its own"


# ---------------------------------------------------------------- the server command


def test_voila_command_is_local_safe_and_offline():
    from suna.app import server as app_server

    cmd = app_server.voila_command(port=9999, pool_size=3, base_url="/suna/")
    assert cmd[cmd.index("-m") + 1] == "suna.app.server" and cmd[3].endswith("notebooks/apps/district_explorer.ipynb")
    for flag in ("--port=9999", "--Voila.ip=127.0.0.1", "--strip_sources=True", "--show_tracebacks=False",
                 "--template=suna", "--preheat_kernel=True", "--pool_size=3", "--Voila.base_url=/suna/",
                 "--VoilaConfiguration.file_allowlist=[]", "--no-browser"):
        assert flag in cmd
    template = app_server.TEMPLATE_ROOT / "voila" / "templates" / "suna"
    assert json.loads((template / "conf.json").read_text())["base_template"] == "lab"
    env = app_server.voila_environment()
    assert env["JUPYTER_PATH"].split(":")[0] == str(app_server.TEMPLATE_ROOT)


def test_the_server_gzips_what_it_sends(tmp_path):
    """Voilà 0.5 applies its own tornado_settings too late for gzip; SUNA's Voilà puts them in first."""
    import gzip
    import urllib.request

    from suna.app import server as app_server

    process, url = app_server.start(log_file=tmp_path / "voila.log", preheat=False)
    try:
        request = urllib.request.Request(url + "voila/static/voila.js", headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=30) as response:
            encoding, body = response.headers.get("Content-Encoding"), response.read()
        with urllib.request.urlopen(url + "voila/static/voila.js", timeout=30) as response:
            plain = response.read()
    finally:
        app_server.stop(process)
    assert encoding == "gzip" and len(body) < len(plain) / 2
    assert gzip.decompress(body) == plain and plain.startswith(b"var _JUPYTERLAB")


def test_no_choice_shows_a_figure_disclosure_control_hid(data):
    """Attack: for the whole area and every district, the profile and findings the app shows (the charts'
    drawn text and labels included) must not contain the raw value of any indicator that disclosure
    control suppressed there (unless the same words are another figure's, the place's own or England's,
    shown legitimately: 100.0% is common)."""
    from suna.model import formatting as fmt
    from suna.presentation import narrative

    keys = ["indicator_id", "area_code", "period", "sex", "age", "category_type", "category"]
    protected = data.table
    hidden = protected[[narrative.is_suppressed(r) for r in protected.to_dict("records")]]
    hidden = hidden[hidden["category_type"].isna() & (hidden["sex"] == "Persons")]
    raw = data.raw_indicators.astype({k: object for k in keys})
    joined = hidden[keys].astype(object).merge(raw, on=keys, how="left")
    assert len(joined) == len(hidden)
    app = widgets.DistrictExplorer(AREA, views=_views(["overview.spine", "overview.headline_findings"]))
    checked = 0
    for district in [None, *data.area.district_codes]:
        app.district_choice.value = district or widgets.WHOLE_AREA
        shown, labels = _words_and_chart_labels(app.outputs["overview"].outputs)
        code = district or data.area.code
        # the place's own figures, and England's, which the charts draw beside them (as drawn text in the SVG)
        shown_rows = protected[protected["area_code"].isin([code, ENGLAND])]
        legitimate = {narrative.value_text(r) for r in shown_rows.to_dict("records") if not narrative.is_suppressed(r)}
        for row in joined[joined["area_code"] == code].to_dict("records"):
            if fmt.is_missing(row.get("value")):
                continue
            secret = narrative.value_text({**row, "value_note": None})  # e.g. "3.4 per 100,000"
            if secret in legitimate:
                continue
            # a table cell, or a finding's figure as narrative writes it ("...: 4." or "...: 4 (4 out of 9)", ", ..."),
            # not ": 119.8" or "Bromsgrove: 4 similar"
            pattern = rf"(?:>{re.escape(secret)}<|: {re.escape(secret)}(?=\.(?:\s|<|$)|,| \(|<))"
            assert not re.search(pattern, shown), f"{row['indicator_id']} for {code} is suppressed but shown as {secret}"
            assert secret not in labels, f"{row['indicator_id']} for {code} is suppressed but a chart labels it {secret}"
            checked += 1
    assert checked > 0, "the sample should have suppressed figures in Worcestershire's districts to attack"


def test_an_area_that_cannot_load_leaves_the_page_as_it_was(data):
    def loader(area, *args):
        if area != AREA:
            raise OSError("/data/private/halton/treatment.csv is unreadable")
        return data

    app = widgets.DistrictExplorer(AREA, views=_views(["overview.headline_findings"]), loader=loader)
    app.area_choice.value = "halton"
    assert app.area_choice.value == AREA and app.data is data and app.renders == 1
    assert "could not be loaded" in app.status.value and "/data/private" not in app.status.value
    assert [v for _, v in app.district_choice.options][1:] == sorted(data.area.district_codes,
                                                                       key=lambda c: data.area.district(c).name)


# ---------------------------------------------------------------- naming the choice; the partnership tab


def test_the_heading_and_every_section_name_the_district_area_year_and_group(data):
    names = [n for panel in widgets.PANELS for n in panel.views if n in REGISTRY]
    app = widgets.DistrictExplorer(AREA, views=_views(names))
    district = data.area.districts[1]
    app.district_choice.value = district.code
    app.period_choice.value = "2021/22"
    app.substance_choice.value = "opiate"
    for panel in widgets.PANELS:
        _open(app, panel.key)
        heading = _heading(app)
        assert f"{district.name}, Worcestershire" in heading and "2021/22" in heading and "Opiate" in heading
        line, key = _choice_line(app)
        assert key == f"{data.area.code}|{district.code}|2021/22|opiate"
        assert "2021/22" in line and district.name in line and "Worcestershire" in line, (panel.key, line)
        if panel.uses_substance_group:
            assert line.endswith("· Opiate"), line
        else:  # says the group chosen does not apply here, rather than showing it as if it did
            assert "All substance groups (the group chosen applies to treatment and referrals)" in line, line
        assert sum(bool(app.outputs[p.key].outputs) for p in widgets.PANELS) == 1, "one section (one heading) on the page"
    app.district_choice.value = widgets.WHOLE_AREA
    _open(app, "overview")
    assert _choice_line(app)[0].startswith("Whole of Worcestershire · 2021/22")


def test_the_partnership_tab_shows_the_dashboard_table_for_the_whole_area(data):
    app = widgets.DistrictExplorer(AREA, views=_views(["partnership.dashboard", "partnership.district_breakdown"]))
    district = data.area.districts[0]
    app.district_choice.value = district.code
    _open(app, "partnership")
    shown = "".join(o["data"].get("text/html", "") for o in app.outputs["partnership"].outputs)
    assert "Partnership dashboard" in shown and "Combating drugs partnership dashboard: Worcestershire" in shown
    assert 'class="suna-table-open" role="region" tabindex="0"' in shown, "the dashboard is shown, not behind a toggle"
    assert "Figures behind the chart: Combating drugs partnership dashboard" not in shown
    assert "<th>Status</th>" in shown and "<th>Metric</th>" in shown
    # each metric's trend drawn as in the report: a sparkline whose name says the figures in words
    assert "<th>Trend chart</th>" in shown
    sparklines = re.findall(r'<svg class="suna-sparkline" role="img" aria-label="([^"]+)"', shown)
    assert len(sparklines) >= 10 and all(re.search(r"\d{4}.* to .*\d{2}: (suppressed|[\d,.]+)", name) for name in sparklines), sparklines[:3]
    line, _ = _choice_line(app)
    assert line.startswith(f"Worcestershire as a whole, the partnership's area, not {district.name} alone"), line
    assert widgets.VIEW_FAILED not in shown


# ---------------------------------------------------------------- drawings shared by every viewer's kernel


def test_a_claim_keeps_other_kernels_off_a_view_until_released_or_stale(tmp_path):
    import os
    import time

    from suna.app import cache as app_cache

    one, other = app_cache.OutputCache(folder=tmp_path), app_cache.OutputCache(folder=tmp_path)
    assert one.claim("k") and not other.claim("k")
    one.release("k")
    assert other.claim("k")
    old = time.time() - app_cache.CLAIM_SECONDS - 5
    os.utime(tmp_path / "k.claim", (old, old))  # a kernel culled while drawing
    assert one.claim("k")
    assert not one.has("k")
    one.put("k", [{"output_type": "display_data", "data": {"text/html": "x"}, "metadata": {}}])
    assert other.has("k") and other.get("k") == one.get("k")


def test_a_year_is_drawn_once_for_every_kernel_and_a_warm_kernel_never_loads_the_area(data, tmp_path):
    calls: list = []
    loads: list = []

    def loader(*args):
        loads.append(args)
        return widgets.load_app_data(*args)

    names = ["overview.headline_findings", "referrals.referral_sources"]
    first = widgets.DistrictExplorer(AREA, views=_views(names, calls), cache=widgets.OutputCache(folder=tmp_path),
                                     loader=loader, warm=False)
    drawn = first.draw_ahead()
    districts = len(data.area.districts) + 1
    groups = len(widgets.substance_options())
    assert drawn + 1 == districts * (1 + groups), "every district, and for referrals every substance group"
    assert len(loads) == 1
    keys = {(name, choice["district"], choice["substance_group"]) for name, _, choice in calls}
    assert len(keys) == len(calls), "no view drawn twice"

    calls.clear()
    loads.clear()
    second = widgets.DistrictExplorer(AREA, views=_views(names, calls), cache=widgets.OutputCache(folder=tmp_path),
                                      loader=loader, warm=False)  # another viewer's kernel
    assert second.draw_ahead() == 0 and calls == []
    second.district_choice.value = data.area.districts[2].code
    second.substance_choice.value = "alcohol_only"
    _open(second, "referrals")
    assert calls == [] and loads == [], "everything was drawn: the area's data are not even loaded"
    assert data.area.districts[2].name in _heading(second) and "suna-findings" not in _text(second.outputs["overview"].outputs)
    assert "Referral" in _text(second.outputs["referrals"].outputs)


# ---------------------------------------------------------------- the board pack button

def test_the_board_pack_button_offers_the_areas_pack_and_an_area_change_takes_it_away(data, tmp_path, monkeypatch):
    monkeypatch.setenv("SUNA_REPORTS_DIR", str(tmp_path))
    write_reports(tmp_path, AREA)
    app = widgets.DistrictExplorer(AREA, views=_views(["overview.headline_findings"]))
    assert app.pack.value == "" and app.pack_button.description == "Board pack (PDF)"
    app.pack_button.click()
    assert 'download="board-pack-worcestershire.pdf"' in app.pack.value and "Worcestershire, 2023/24" in app.pack.value
    assert base64.b64decode(re.search(r"base64,([^\"]+)", app.pack.value).group(1)) == PDF
    app.area_choice.value = "halton"
    assert app.pack.value == "", "the link offered was Worcestershire's"
    app.pack_button.click()
    assert app.pack.value.startswith('<p class="suna-pack" role="status">No board pack has been made for Halton')


# ---------------------------------------------------------------- a phone's screen

def _specs(app, key="overview"):
    return [o["data"][widgets.VEGALITE_MIME] for o in app.outputs[key].outputs if widgets.VEGALITE_MIME in o["data"]]


def test_a_phone_gets_each_charts_narrow_form_and_a_page_the_designed_one(data):
    """Issue 15.1 in the app: the page's script says the screen is phone-wide (the hidden form choice) and
    the charts are drawn in their narrow form (suna.presentation.responsive), as the reports draw them on a phone;
    on the server, to SVG (suna.presentation.chart_svg), as the app draws every chart."""
    from suna.presentation import chart_svg, responsive

    app = widgets.DistrictExplorer(AREA, views=_views(["overview.spine"]))
    designed = REGISTRY["overview.spine"](data).chart.to_dict()
    assert responsive.NARROW_KEY in designed["usermeta"], "the spine chart has a phone design of its own"
    assert app.renderer == "svg" and not _specs(app), "the app's charts are drawn on the server"
    page = [o for o in app.outputs["overview"].outputs if "suna-chart" in o["data"].get("text/html", "")]
    assert len(page) == 1 and page[0]["data"]["text/html"] == chart_svg.chart_html(responsive.without_narrow(designed))
    renders = app.renders
    app.form_choice.value = widgets.PHONE
    phone = [o for o in app.outputs["overview"].outputs if "suna-chart" in o["data"].get("text/html", "")]
    assert app.renders == renders + 1 and app.renderer == "svg-phone"
    assert phone[0]["data"]["text/html"] == chart_svg.chart_html(responsive.narrow_spec(designed))
    assert _svg_widths(phone) and max(_svg_widths(phone)) <= responsive.NARROW_WIDTH < min(_svg_widths(page))
    assert _chart_names(phone) == _chart_names(page) and len(_chart_names(page)[0]) >= 30, "named by its description"
    app.form_choice.value = widgets.PAGE
    assert app.renderer == "svg" and app.outputs["overview"].outputs[1] == page[0]


def test_an_app_drawn_by_the_browsers_vega_also_follows_the_phone(data):
    """renderer="vega" (the Vega-Lite bundle, drawn in the browser) has the same two forms."""
    from suna.presentation import responsive

    app = widgets.DistrictExplorer(AREA, views=_views(["overview.spine"]), renderer="vega")
    designed = REGISTRY["overview.spine"](data).chart.to_dict()
    page = _specs(app)
    assert len(page) == 1 and responsive.NARROW_KEY not in page[0]["usermeta"], "the page is not sent the phone design"
    app.form_choice.value = widgets.PHONE
    phone = _specs(app)
    assert app.renderer == "vega-phone"

    def unversioned(spec):
        return {k: v for k, v in spec.items() if k != "$schema"}

    assert unversioned(phone[0]) == unversioned(responsive.narrow_spec(designed))
    app.form_choice.value = widgets.PAGE
    assert app.renderer == "vega" and _specs(app) == page


def test_drawing_ahead_files_each_form_under_its_own_key_when_the_form_changes_meanwhile(data, tmp_path):
    """The warming thread draws for the form its job began with: a phone's turn while it runs must not
    file the page's drawing under the phone's key (a phone would then be sent the wide chart)."""
    from suna.presentation import responsive

    cache = widgets.OutputCache(folder=tmp_path)
    app = widgets.DistrictExplorer(AREA, views=_views(["overview.spine"]), cache=cache, warm=False)
    job = app._warm_job()  # begun on a page
    app.form_choice.value = widgets.PHONE  # the phone turns while the job runs
    panel = widgets.PANELS[0]
    district = data.area.district_codes[0]
    kwargs = app._view_choice(panel, {**app.choice, "district": district})
    app.draw_ahead(order=[(panel, kwargs)], job=job)
    page = cache.get(app._key("overview.spine", kwargs, job[0], "svg"))
    phone = cache.get(app._key("overview.spine", kwargs, job[0], "svg-phone"))
    assert page is not None and phone is None, "drawn once, for the page it was begun for"
    assert min(_svg_widths(page)) > responsive.NARROW_WIDTH, "the page's form, not the phone design"
