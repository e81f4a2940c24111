"""suna.presentation.sparklines: a trend as a small inline SVG line named by its figures in words, gaps where values are hidden."""

from __future__ import annotations

import re

from suna.presentation import sparklines

PERIODS = ["2020/21", "2021/22", "2022/23", "2023/24"]


def test_the_text_alternative_names_every_value_and_says_which_are_suppressed():
    text = sparklines.trend_text([1000.0, 1050.5, None, 1210.0], PERIODS, "Adults in treatment")
    assert text == "Adults in treatment, 2020/21 to 2023/24: 1,000, 1,050.5, suppressed, 1,210."
    assert sparklines.trend_text([], [], "x") == ""


def test_a_hidden_value_breaks_the_line_and_the_latest_value_is_marked():
    svg = sparklines.sparkline_svg([1.0, 3.0, None, 2.0], PERIODS, "Deaths in treatment")
    assert svg.startswith('<svg class="suna-sparkline" role="img" aria-label="Deaths in treatment, 2020/21 to 2023/24: 1, 3, suppressed, 2."')
    assert "<title>Deaths in treatment, 2020/21 to 2023/24: 1, 3, suppressed, 2.</title>" in svg
    # width 96, padding 3: x at 3, 33, 63 and 93; 1 is the bottom (y 21), 3 the top (y 3), 2 half way (y 12)
    assert re.findall(r'<polyline points="([^"]+)"', svg) == ["3.0,21.0 33.0,3.0"]
    assert '<circle cx="93.0" cy="12.0" r="1.5"' in svg     # the lone value after the gap
    assert '<circle cx="93.0" cy="12.0" r="2.5"' in svg     # the latest value


def test_no_line_from_fewer_than_two_values_and_a_flat_line_in_the_middle():
    assert sparklines.sparkline_svg([None, 5.0], PERIODS[:2]) == ""
    assert sparklines.sparkline_svg([], []) == ""
    flat = sparklines.sparkline_svg([4.0, 4.0, 4.0], PERIODS[:3])
    assert re.findall(r'<polyline points="([^"]+)"', flat) == ["3.0,12.0 48.0,12.0 93.0,12.0"]


def test_the_name_is_escaped():
    svg = sparklines.sparkline_svg([1.0, 2.0], PERIODS[:2], 'Drugs "A" & <B>')
    assert 'aria-label="Drugs &quot;A&quot; &amp; &lt;B&gt;, 2020/21 to 2021/22: 1, 2."' in svg
    assert "<B>" not in svg
