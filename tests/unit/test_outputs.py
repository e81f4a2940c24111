"""Captions under a chart: the footnote's lines, then the chart's own, each once; only a long list of
sources folds behind a toggle, a sentence (a status rule, with its semicolons) stays whole."""

from __future__ import annotations

from suna import outputs, targets


def test_each_footnote_line_is_its_own_caption_line_and_a_repeated_source_is_dropped():
    spec = {"usermeta": {outputs.CAPTION_KEY: ["Source: the chart's own", "Period: 2023/24", "Line one."]}}
    lines = outputs.caption_lines("Source: ONS, Deaths related to drug poisoning, 2024\nLine one.\n\n", spec)
    assert lines == ["Source: ONS, Deaths related to drug poisoning, 2024", "Line one.", "Period: 2023/24"]


def test_a_long_list_of_sources_folds_and_a_long_sentence_does_not():
    sources = "Sources: " + "; ".join(f"Office for National Statistics, table {n}, 2024" for n in range(12))
    rule = f"Status against a target: {targets.RULE}"
    assert len(rule) > outputs.LONG_LINE and "; " in rule
    markup = outputs.caption_html([sources, rule])
    assert markup.count('<details class="suna-sources">') == 1
    assert "<summary>Sources (12)</summary>" in markup
    assert f"<p>{rule}</p>".replace("'", "&#x27;") in markup or f"<p>{rule}</p>" in markup


def test_no_lines_no_caption():
    assert outputs.caption_html([]) == ""
