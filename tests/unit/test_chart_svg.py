"""Charts drawn on the server to SVG (suna.presentation.chart_svg): named, each labelled mark titled, text as text."""

from __future__ import annotations

import html
import re

import altair as alt
import pandas as pd

from suna.presentation import chart_svg


def _map_like(description: str = "Rate by district: Basildon & Harlow compared") -> dict:
    """Two labelled marks (aria on, as the district map's shapes) and two unlabelled ones (aria off, as SUNA's other charts)."""
    frame = pd.DataFrame({"district": ["Basildon", "Harlow"], "rate": [2.7, 5.4]})
    labelled = alt.Chart(frame).mark_bar(aria=True).encode(
        x="district:N", y="rate:Q", tooltip=[alt.Tooltip("district:N", title="District"), alt.Tooltip("rate:Q", title="Value")])
    plain = alt.Chart(frame).mark_point(aria=False).encode(x="district:N", y="rate:Q")
    return (labelled + plain).properties(title="Drug deaths <by> district", description=description, width=300).to_dict()


def test_the_svg_is_named_by_the_charts_description_as_vega_names_it_in_the_browser():
    svg = chart_svg.svg_markup(_map_like())
    root = re.match(r"<svg\b[^>]*>", svg).group(0)
    assert 'class="marks"' in root and 'width="' in root
    assert 'role="graphics-document"' in root and 'aria-roledescription="visualization"' in root
    assert 'aria-label="Rate by district: Basildon &amp; Harlow compared"' in root
    assert ">Drug deaths &lt;by&gt; district</text>" in svg, "text is drawn as text, escaped"


def test_a_chart_without_description_is_named_by_its_title():
    spec = _map_like()
    del spec["description"]
    assert chart_svg.chart_name(spec) == "Drug deaths <by> district"
    assert chart_svg.chart_name({"title": {"text": ["Two", "lines"]}}) == "Two lines"
    assert 'aria-label="Drug deaths &lt;by&gt; district"' in chart_svg.svg_markup(spec)


def test_each_labelled_mark_carries_its_label_as_a_title_the_tooltip_and_no_other_does():
    svg = chart_svg.svg_markup(_map_like())
    titled = re.findall(r'<path aria-label="([^"]*)"[^>]*><title>([^<]*)</title></path>', svg)
    assert len(titled) == 2 and all(label == title for label, title in titled)
    titles = sorted(html.unescape(title) for _, title in titled)
    assert "District: Basildon; Value: 2.7" in titles[0] and "District: Harlow; Value: 5.4" in titles[1], titles
    assert svg.count("<title>") == 2, "the unlabelled marks (aria off) are not titled"


def test_chart_html_is_the_svg_in_a_suna_chart_box():
    markup = chart_svg.chart_html(_map_like())
    assert markup.startswith('<div class="suna-chart suna-chart-svg"><svg') and markup.endswith("</svg></div>")
