"""suna.presentation.narrative: plain-English findings with the indicator's polarity, from protected tables only.

The sentences expected here are written by hand from the Fingertips rules (an area's 95% interval
against the comparator's value; "better"/"worse" follow the polarity) and the fixture's figures
(tests/fixtures/presentation/README.md says what each row is for).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from suna import disclosure
from suna.core.errors import UnknownAreaError
from suna.presentation import narrative

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "presentation"
COUNTY = "E10000034"


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    raw = pd.read_csv(FIXTURES / "indicators.csv", dtype={"period": str})
    return disclosure.protect_indicators(raw).table


def one_indicator(polarity: str, compared: str | None, value: float = 14.0, measure: str = "dsr",
                  trend: str | None = None) -> pd.DataFrame:
    """England (10.0), the West Midlands (no comparison) and Worcestershire, through disclosure control."""
    base = {"indicator_id": "x", "indicator_name": "Admissions for something", "sex": "Persons", "age": "All ages",
            "category_type": None, "category": None, "period": "2023/24", "period_sortable": 2023, "measure": measure,
            "unit": "per 100,000", "polarity": polarity, "disclosure_rule": "hes", "value_note": None}
    rows = [
        {**base, "area_code": "E92000001", "area_name": "England", "parent_code": None, "value": 10.0, "count": None,
         "compared_to_england": None, "compared_to_region": None, "recent_trend": None},
        {**base, "area_code": "E12000005", "area_name": "West Midlands", "parent_code": "E92000001", "value": 11.0,
         "count": None, "compared_to_england": None, "compared_to_region": None, "recent_trend": None},
        {**base, "area_code": COUNTY, "area_name": "Worcestershire", "parent_code": "E12000005", "value": value,
         "count": 120, "compared_to_england": compared, "compared_to_region": None, "recent_trend": trend},
    ]
    return disclosure.protect_indicators(pd.DataFrame(rows)).table


HEAD = "Admissions for something in Worcestershire in 2023/24: 14.0 per 100,000 (120 admissions)"


@pytest.mark.parametrize(("polarity", "compared", "expected"), [
    ("high_is_bad", "Worse", "significantly higher than England (10.0 per 100,000), which is worse."),
    ("high_is_bad", "Better", "significantly lower than England (10.0 per 100,000), which is better."),
    ("high_is_bad", "Higher", "significantly higher than England (10.0 per 100,000), which is worse."),
    ("high_is_bad", "Lower", "significantly lower than England (10.0 per 100,000), which is better."),
    ("high_is_bad", "Similar", "similar to England (10.0 per 100,000)."),
    ("high_is_good", "Worse", "significantly lower than England (10.0 per 100,000), which is worse."),
    ("high_is_good", "Better", "significantly higher than England (10.0 per 100,000), which is better."),
    ("high_is_good", "Higher", "significantly higher than England (10.0 per 100,000), which is better."),
    ("high_is_good", "Similar", "similar to England (10.0 per 100,000)."),
    ("no_judgement", "Higher", "significantly higher than England (10.0 per 100,000)."),
    ("no_judgement", "Lower", "significantly lower than England (10.0 per 100,000)."),
    ("no_judgement", "Similar", "similar to England (10.0 per 100,000)."),
    # Fingertips' own words for polarity are read as well as SUNA's.
    ("RAG - Low is good", "Worse", "significantly higher than England (10.0 per 100,000), which is worse."),
    ("RAG - High is good", "Worse 99.8%",
     "significantly lower than England (10.0 per 100,000) at 99.8% confidence, which is worse."),
])
def test_comparison_sentence_for_each_polarity_and_outcome(polarity: str, compared: str, expected: str) -> None:
    (sentence,) = narrative.findings(one_indicator(polarity, compared), COUNTY)
    assert sentence == f"{HEAD}, {expected}"


def test_not_compared_is_said_and_no_comparison_is_made_up() -> None:
    (sentence,) = narrative.findings(one_indicator("high_is_bad", "Not compared"), COUNTY)
    assert sentence == f"{HEAD}. It was not compared with England."


def test_no_comparison_cell_gives_no_comparison() -> None:
    (sentence,) = narrative.findings(one_indicator("high_is_bad", None), COUNTY)
    assert sentence == f"{HEAD}."


def test_better_or_worse_without_a_polarity_takes_the_direction_from_the_values() -> None:
    assert narrative.comparison_words("Better", "no_judgement", 14.0, 10.0) == ("higher", "better")
    assert narrative.comparison_words("Worse", None, 8.0, 10.0) == ("lower", "worse")
    assert narrative.comparison_words("Worse", None) == (None, "worse")
    assert narrative.comparison_words(None, "high_is_bad") is None
    assert narrative.comparison_words("Something else", "high_is_bad") == ("not compared", None)


@pytest.mark.parametrize(("trend", "polarity", "phrase"), [
    ("Increasing", "high_is_bad", "increasing and getting worse"),
    ("Increasing", "high_is_good", "increasing and getting better"),
    ("Decreasing", "high_is_bad", "decreasing and getting better"),
    ("Decreasing", "high_is_good", "decreasing and getting worse"),
    ("Increasing and getting worse", "high_is_bad", "increasing and getting worse"),  # Fingertips' own wording
    ("Increasing", "no_judgement", "increasing"),
    ("No significant change", "high_is_bad", "no significant change"),
    ("Cannot be calculated", "high_is_bad", None),
    (None, "high_is_bad", None),
])
def test_trend_phrase(trend: str | None, polarity: str, phrase: str | None) -> None:
    assert narrative.trend_phrase(trend, polarity) == phrase


def test_trend_sentences_follow_the_comparison() -> None:
    (rising,) = narrative.findings(one_indicator("high_is_bad", "Worse", trend="Increasing"), COUNTY)
    assert rising.endswith("which is worse. The recent trend is increasing and getting worse.")
    (flat,) = narrative.findings(one_indicator("high_is_bad", "Similar", trend="No significant change"), COUNTY)
    assert flat.endswith("similar to England (10.0 per 100,000). There has been no significant change in the recent trend.")


def test_county_findings_from_the_fixture(table: pd.DataFrame) -> None:
    found = narrative.findings(table, COUNTY)
    assert found == [
        # pooled period, same verdict against both comparators, trend with polarity
        "Deaths from drug misuse in Worcestershire in 2021 to 2023 (3 years combined): 5.1 per 100,000 (84 deaths), "
        "similar to both England (5.5 per 100,000) and the West Midlands (5.4 per 100,000). "
        "The recent trend is increasing and getting worse.",
        # high is good: lower is worse; the 99.8% comparison is kept apart from the 95% one
        "Successful completion of drug treatment: opiate users in Worcestershire in 2023/24: 3.2% (32 out of 1,000), "
        "significantly lower than England (5.0%), which is worse, and significantly lower than the West Midlands (4.6%) "
        "at 99.8% confidence, which is worse. There has been no significant change in the recent trend.",
        # HES counts only as displayed: 2,893 admissions show as 2,895
        "Admission episodes for alcohol-specific conditions in Worcestershire in 2023/24: 562.4 per 100,000 "
        "(2,895 admissions), significantly lower than both England (612.0 per 100,000) and the West Midlands "
        "(640.5 per 100,000), which is better. The recent trend is decreasing and getting better.",
        "Adults in drug and alcohol treatment in Worcestershire in 2023/24: 1,668.",
        # no value judgement: higher, with no "better" or "worse"
        "Adults in treatment per 100,000 adults in Worcestershire in 2023/24: 352.1 per 100,000 (1,668 people), "
        "significantly higher than England (340.0 per 100,000), and similar to the West Midlands (351.0 per 100,000).",
    ]
    assert "2,893" not in " ".join(found)


def test_suppressed_rows_say_so_without_a_number_or_a_reason(table: pd.DataFrame) -> None:
    found = narrative.findings(table, "E07000235")  # Malvern Hills: deaths, completions and admissions hidden
    suppressed = [f for f in found if "suppressed" in f]
    assert len(suppressed) == 3
    assert suppressed[0] == ("Deaths from drug misuse in Malvern Hills in 2021 to 2023 (3 years combined): suppressed, "
                             "because the numbers are too small to publish without a risk of identifying people.")
    for sentence in suppressed:
        assert "fewer than" not in sentence and "similar" not in sentence and "per 100,000" not in sentence
    # Redditch's admissions were hidden to protect Malvern Hills: the same words, no hint of why.
    redditch = narrative.findings(table, "E07000236")
    assert redditch[2] == ("Admission episodes for alcohol-specific conditions in Redditch in 2023/24: suppressed, "
                           "because the numbers are too small to publish without a risk of identifying people.")


def test_a_rate_not_calculated_is_not_available_with_the_reason(table: pd.DataFrame) -> None:
    bromsgrove = narrative.findings(table, "E07000234")
    assert bromsgrove[0] == ("Deaths from drug misuse in Bromsgrove in 2021 to 2023 (3 years combined): not available "
                             "(rate not calculated: fewer than 10 deaths).")
    assert bromsgrove[1] == ("Successful completion of drug treatment: opiate users in Bromsgrove in 2023/24: 4.0% "
                             "(6 out of 150), similar to both England (5.0%) and the West Midlands (4.6%).")


def test_a_district_worse_than_england(table: pd.DataFrame) -> None:
    assert narrative.findings(table, "E07000236")[0] == (
        "Deaths from drug misuse in Redditch in 2021 to 2023 (3 years combined): 8.9 per 100,000 (22 deaths), "
        "significantly higher than both England (5.5 per 100,000) and the West Midlands (5.4 per 100,000), "
        "which is worse.")


def test_a_period_with_no_figures(table: pd.DataFrame) -> None:
    found = narrative.findings(table, COUNTY, period="2019 - 21")
    assert found[0].startswith("Deaths from drug misuse in Worcestershire in 2019 to 2021 (3 years combined): 4.0 per")
    assert found[1] == ("Successful completion of drug treatment: opiate users in Worcestershire in "
                        "2019 to 2021 (3 years combined): not available.")


def test_an_unknown_area_is_named(table: pd.DataFrame) -> None:
    with pytest.raises(UnknownAreaError, match="E07000066"):
        narrative.findings(table, "E07000066")


def test_markdown_is_a_bullet_per_finding(table: pd.DataFrame) -> None:
    text = narrative.findings_markdown(table, COUNTY)
    lines = text.splitlines()
    assert len(lines) == 5 and all(line.startswith("- ") for line in lines)


def test_sex_breakdowns_are_named() -> None:
    rows = one_indicator("high_is_bad", "Worse")
    county = rows[rows["area_code"] == COUNTY]
    split = pd.concat([rows.assign(sex="Male"), county.assign(sex="Female", value=12.0)])
    found = narrative.findings(split, COUNTY)
    assert found[0].startswith("Admissions for something (males) in Worcestershire in 2023/24: 14.0 per 100,000")
    assert found[1].startswith("Admissions for something (females) in Worcestershire in 2023/24: 12.0 per 100,000")
