"""The narrow form of a chart for a phone: drawn by Vega (vl-convert) at no more than 340 px, text unchanged."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from suna import disclosure
from suna.model import areas
from suna.presentation import charts, responsive

vlc = pytest.importorskip("vl_convert")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "presentation"
COUNTY, ENGLAND, REGION = "E10000034", "E92000001", "E12000005"
MIN_TEXT_PX = 10


@pytest.fixture(scope="module")
def protected() -> pd.DataFrame:
    return disclosure.protect_indicators(pd.read_csv(FIXTURES / "indicators.csv", dtype={"period": str})).table


@pytest.fixture(scope="module")
def area() -> areas.Area:
    return areas.load_area("worcestershire")


def drawn_width(spec: dict) -> float:
    """The width of the SVG Vega draws for a Vega-Lite spec."""
    svg = vlc.vegalite_to_svg(spec)
    return float(re.search(r'<svg[^>]*\bwidth="([\d.]+)"', svg).group(1))


def smallest_font(spec: dict) -> float:
    svg = vlc.vegalite_to_svg(spec)
    return min(float(size) for size in re.findall(r'font-size="([\d.]+)px"', svg)) if "font-size" in svg else \
        min(float(size) for size in re.findall(r"font-size:\s*([\d.]+)px", svg))


def test_every_overview_chart_fits_a_phone(protected, area):
    """Each chart drawn wider than a phone is drawn at most NARROW_WIDTH wide in its narrow form, no text smaller."""
    made = {
        "spine": charts.spine_chart(protected, COUNTY, area=area),
        "rug": charts.overview_rug(protected, [REGION, COUNTY, *area.district_codes], area=area),
        "trend": charts.trend_chart(protected, "drug_misuse_deaths", COUNTY, [REGION, ENGLAND], area=area),
        "compare": charts.compare_areas_chart(protected, "drug_misuse_deaths", [COUNTY, *area.district_codes], area=area),
    }
    for name, chart in made.items():
        spec = chart.to_dict()
        assert drawn_width(responsive.without_narrow(spec)) > responsive.NARROW_WIDTH, name  # too wide for a phone as designed
        narrow = responsive.narrow_spec(spec)
        assert drawn_width(narrow) <= responsive.NARROW_WIDTH, name
        assert smallest_font(narrow) >= MIN_TEXT_PX, name
        assert narrow["description"] == spec["description"]  # the same accessible name


def test_the_spine_and_rug_bring_their_own_phone_design(protected, area):
    spec = charts.spine_chart(protected, COUNTY, area=area).to_dict()
    own = spec["usermeta"][responsive.NARROW_KEY]
    narrow = responsive.narrow_spec(spec)
    assert "hconcat" in spec and "hconcat" not in narrow and "layer" in narrow
    assert responsive.NARROW_KEY not in narrow["usermeta"] and narrow["usermeta"][charts.CAPTION_KEY] == charts.caption(spec)
    assert narrow["layer"] == own["layer"]
    assert responsive.NARROW_KEY not in responsive.without_narrow(spec)["usermeta"]
    assert responsive.NARROW_KEY in spec["usermeta"]  # not changed by either


def test_generic_rules():
    """Side by side becomes one under another, a faceted row a column, a single view fills the width, titles wrap."""
    unit = {"mark": "bar", "width": 480, "encoding": {}}
    spec = {"title": {"text": "A long title that a phone could not hold on one line of its screen", "fontSize": 15},
            "hconcat": [dict(unit), dict(unit)],
            "config": {"axis": {"labelLimit": 260}, "legend": {"columns": 3}}}
    narrow = responsive.narrow_spec(spec)
    assert "hconcat" not in narrow and [c["width"] for c in narrow["vconcat"]] == [responsive.NARROW_WIDTH - responsive.LABEL_SPACE] * 2
    assert isinstance(narrow["title"]["text"], list) and all(len(line) <= 38 for line in narrow["title"]["text"])
    assert narrow["config"]["axis"]["labelLimit"] == responsive.LABEL_LIMIT and narrow["config"]["legend"]["columns"] == 1
    single = responsive.narrow_spec(dict(unit))
    assert single["width"] == responsive.NARROW_WIDTH and single["autosize"] == {"type": "fit-x", "contains": "padding"}
    facet = responsive.narrow_spec({"facet": {"column": {"field": "sex"}}, "spec": dict(unit)})
    assert facet["facet"] == {"field": "sex"} and facet["columns"] == 1
    grid = responsive.narrow_spec({"mark": "rect", "width": {"step": 56}, "encoding": {"x": {"field": "a", "sort": list("abcde")}}})
    assert grid["width"] == {"step": (responsive.NARROW_WIDTH - responsive.LABEL_SPACE) // 5}
    shape = responsive.narrow_spec({"layer": [{"mark": "geoshape"}], "projection": {"type": "mercator"}, "width": 440, "height": 300})
    assert shape["width"] == responsive.NARROW_WIDTH - 20 and shape["height"] == round(300 * shape["width"] / 440)
    assert "autosize" not in shape
    assert spec["hconcat"][0]["width"] == 480  # the input is not changed
