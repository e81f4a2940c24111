"""The district explorer's logic without a browser: outputs, choices, stale updates, failures, safety.

The app runs on the real sample data and the real views (``suna.views.REGISTRY``); a few tests wrap
a real view to record how it was called, or replace one with a view that fails, because that is the
behaviour under test.
"""

from __future__ import annotations

import json
import logging

import altair as alt
import pandas as pd
import pytest
import traitlets

from suna import widgets
from suna.errors import UnknownAreaError
from suna.views import REGISTRY, View

pytestmark = pytest.mark.slow  # loads or computes the sample areas' protected indicators: not in `make test-fast`

AREA = "worcestershire"  # six districts: the smallest county, quickest to load


@pytest.fixture(scope="module")
def data():
    return widgets.load_app_data(AREA)


def _bar(title: str = "Adults in treatment") -> alt.Chart:
    frame = pd.DataFrame({"group": ["Opiate", "Alcohol only"], "count": [120, 80]})
    return alt.Chart(frame, title=title).mark_bar().encode(x="group", y="count")


def _text(outputs) -> str:
    return json.dumps([o["data"] for o in outputs])


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
    assert app.renders == 1 and "Worcestershire" in app.heading.value


def _open(app, key: str) -> None:
    app.sections.selected_index = [panel.key for panel in widgets.PANELS].index(key)


def test_every_panel_follows_a_district_change(data):
    calls: list = []
    names = [n for panel in widgets.PANELS for n in panel.views if n in REGISTRY]
    app = widgets.DistrictExplorer(AREA, views=_views(names, calls))
    district = data.area.districts[2]
    calls.clear()
    app.district_choice.value = district.code
    assert app.renders == 2
    assert {name for name, _, _ in calls} == set(widgets.PANELS[0].views), "only the open section is drawn"
    assert district.name in app.heading.value
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
    assert "Essex" in app.heading.value


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
    with caplog.at_level(logging.ERROR, logger="suna.widgets"):
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
    from suna import pipeline, result_cache

    assert data is pipeline.load_area_data(AREA), "the app shares the pipeline's data, not a copy of its own"
    assert data.fingerprint == result_cache.cache_key(data.area, data.period, pipeline.paths.sample_dir())
    other_year = widgets.load_app_data(AREA, "2022/23")
    assert other_year.fingerprint != data.fingerprint
    assert result_cache.cache_key(data.area, data.period, tmp_path) != data.fingerprint


def test_drawn_views_are_keyed_by_the_data_fingerprint(data, tmp_path):
    cache = widgets.OutputCache(folder=tmp_path)
    app = widgets.DistrictExplorer(AREA, views=_views(["overview.headline_findings"]), cache=cache, warm=False)
    choice = {"area": data.area.code, **app.choice, "substance_group": None}
    key = widgets.OutputCache.key(data.fingerprint, "overview.headline_findings", choice, "vega")
    assert (tmp_path / f"{key}.json").is_file()
    assert widgets.OutputCache.key("new-data", "overview.headline_findings", choice, "vega") != key


# ---------------------------------------------------------------- the server command


def test_voila_command_is_local_safe_and_offline():
    from suna import app_server

    cmd = app_server.voila_command(port=9999, pool_size=3, base_url="/suna/")
    assert cmd[cmd.index("-m") + 1] == "suna.app_server" and cmd[3].endswith("notebooks/apps/district_explorer.ipynb")
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

    from suna import app_server

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
    """Attack: for the whole area and every district, the profile and findings the app shows must not
    contain the raw value of any indicator that disclosure control suppressed there (unless the same
    words are another figure's, shown legitimately: 100.0% is common)."""
    from suna import narrative
    from suna import formatting as fmt

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
        shown = _text(app.outputs["overview"].outputs)
        code = district or data.area.code
        mine = protected[protected["area_code"] == code]
        legitimate = {narrative.value_text(r) for r in mine.to_dict("records") if not narrative.is_suppressed(r)}
        for row in joined[joined["area_code"] == code].to_dict("records"):
            if fmt.is_missing(row.get("value")):
                continue
            secret = narrative.value_text({**row, "value_note": None})  # e.g. "3.4 per 100,000"
            if secret in legitimate:
                continue
            for shown_as in (f">{secret}<", f": {secret}"):  # a table cell, a finding
                assert shown_as not in shown, f"{row['indicator_id']} for {code} is suppressed but shown as {secret}"
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
