"""Captions under a chart: the footnote's lines, then the chart's own, each once; only a long list of
sources folds behind a toggle, a sentence (a status rule, with its semicolons) stays whole."""

from __future__ import annotations

from suna.indicators import targets
from suna.presentation import outputs


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


def test_a_long_source_list_keeps_each_sources_own_note_whole_and_lists_it_once():
    one = "NDTMS exit reasons (Worcestershire County Council, Drug and Alcohol Needs Assessment (2019): opiate 40.4%; alcohol only 69.4%)"
    line = f"Sources: {one}; ONS mid-year population estimates; {one}; " + "OHID Local Alcohol Profiles for England " * 5
    caption = outputs.caption_html([line])
    assert caption.count("<li>") == 3 and "Sources (3)" in caption
    assert "<li>NDTMS exit reasons (Worcestershire County Council, Drug and Alcohol Needs Assessment (2019): opiate 40.4%; alcohol only 69.4%)</li>" in caption


def test_splitting_outside_brackets():
    assert outputs.split_outside_brackets("a (b; c); d; (e; (f; g)); h") == ["a (b; c)", "d", "(e; (f; g))", "h"]
    assert outputs.split_outside_brackets("a ) b; c") == ["a ) b", "c"]
