"""suna.model.formatting: GOV.UK-style numbers, periods and confidence intervals, by worked example.

Expected strings are written out by hand from the GOV.UK style guide's rules (thousands separators,
a zero before the decimal point, "to" in ranges) and from rounding half away from zero as a reader
rounding by hand would.
"""

from __future__ import annotations

import math
from decimal import Decimal

import pandas as pd
import pytest

from suna.core.errors import UnknownAreaError
from suna.model import areas
from suna.model import formatting as fmt


@pytest.mark.parametrize(("value", "decimals", "expected"), [
    (1668, 0, "1,668"),
    (1234567.891, 1, "1,234,567.9"),
    (0.5, 1, "0.5"),            # a zero before the point
    (0.05, 1, "0.1"),           # half away from zero (binary floating point would give 0.1 or 0.0 by luck)
    (2.675, 2, "2.68"),         # Python's round(2.675, 2) gives 2.67
    (2.5, 0, "3"),              # not banker's rounding (round(2.5) == 2)
    (3.5, 0, "4"),
    (-2.5, 0, "-3"),            # away from zero on the negative side too
    (-0.04, 1, "0.0"),          # never "-0.0"
    (999.95, 1, "1,000.0"),     # the carry crosses a thousands boundary
    (12, 2, "12.00"),
    (Decimal("1.005"), 2, "1.01"),
    ("12.25", 1, "12.3"),       # a number arriving as text
])
def test_format_number(value: object, decimals: int, expected: str) -> None:
    assert fmt.format_number(value, decimals) == expected


@pytest.mark.parametrize("missing", [None, math.nan, pd.NA, pd.NaT, "", "  "])
def test_missing_values_are_said_to_be_not_available(missing: object) -> None:
    assert fmt.format_number(missing) == "not available"
    assert fmt.format_value(missing, "dsr") == "not available"


def test_bad_numbers_are_refused_with_the_value_named() -> None:
    with pytest.raises(ValueError, match="'twelve'"):
        fmt.format_number("twelve")
    with pytest.raises(ValueError, match="inf"):
        fmt.format_number(math.inf)
    with pytest.raises(ValueError, match="True"):
        fmt.format_number(True)


@pytest.mark.parametrize(("value", "measure", "kwargs", "expected"), [
    (1668, "count", {}, "1,668"),
    (27, "proportion", {}, "27.0%"),                      # proportions are stored as percentages, 0 to 100
    (5.25, "proportion", {}, "5.3%"),
    (123.45, "dsr", {}, "123.5 per 100,000"),
    (12345.65, "crude_rate", {}, "12,345.7 per 100,000"),
    (4.1, "crude_rate", {"per": 1000}, "4.1 per 1,000"),
    (123.45, "dsr", {"unit": False}, "123.5"),
    (27, "proportion", {"decimals": 0}, "27%"),
    (3, "count", {"suppressed": True}, "suppressed"),    # the word, never the number or a zero
    (12.345, None, {}, "12.3"),                          # no measure: a plain number to 1 place
])
def test_format_value_by_measure(value: object, measure: str | None, kwargs: dict, expected: str) -> None:
    assert fmt.format_value(value, measure, **kwargs) == expected


def test_unknown_measure_is_formatted_plainly_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    assert fmt.format_value(2.345, "ratio") == "2.3"
    assert "Unknown measure 'ratio'" in caplog.text


@pytest.mark.parametrize(("lower", "upper", "measure", "expected"), [
    (110.15, 136.95, "dsr", "95% CI 110.2 to 137.0"),
    (25.05, 27, "proportion", "95% CI 25.1% to 27.0%"),
    (1200, 1350.5, "count", "95% CI 1,200 to 1,351"),
    (None, 5.0, "dsr", "not available"),
])
def test_format_ci(lower: object, upper: object, measure: str, expected: str) -> None:
    assert fmt.format_ci(lower, upper, measure) == expected


def test_format_ci_at_99_8_percent() -> None:
    assert fmt.format_ci(1.04, 2.96, "dsr", level="99.8%") == "99.8% CI 1.0 to 3.0"


@pytest.mark.parametrize(("count", "display", "expected"), [
    (1672, "1,670", "1,670"),   # the disclosure engine's rounded HES figure wins over the true count
    (None, "*", "suppressed"),
    (None, "suppressed", "suppressed"),
    (12, None, "12"),
    (12, "", "12"),             # protect_* writes "" where there is no count to display
    (None, None, "not available"),
    (None, "fewer than 5", "fewer than 5"),  # the engine's own words are shown, not dropped
])
def test_format_count(count: object, display: object, expected: str) -> None:
    assert fmt.format_count(count, display) == expected


@pytest.mark.parametrize(("period", "expected"), [
    ("2023/24", "2023/24"),
    ("2021 - 23", "2021 to 2023"),
    ("2021-23", "2021 to 2023"),
    ("2021 - 2023", "2021 to 2023"),
    ("1999 - 01", "1999 to 2001"),           # across a century
    ("2019/20 - 21/22", "2019/20 to 2021/22"),
    ("2023/24 Q1", "2023/24, quarter 1"),
    ("2023", "2023"),
    (2023.0, "2023"),                         # a year read from a spreadsheet as a float
    ("Financial year 2023", "Financial year 2023"),  # unknown forms shown as given, never dropped
    (None, "not available"),
])
def test_format_period(period: object, expected: str) -> None:
    assert fmt.format_period(period) == expected


@pytest.mark.parametrize(("period", "years", "phrase"), [
    ("2021 - 23", 3, "2021 to 2023 (3 years combined)"),
    ("2019/20 - 21/22", 3, "2019/20 to 2021/22 (3 years combined)"),
    ("2022 - 23", 2, "2022 to 2023 (2 years combined)"),
    ("2023/24", None, "2023/24"),
    ("2023/24 Q1", None, "2023/24, quarter 1"),
])
def test_pooled_periods(period: str, years: int | None, phrase: str) -> None:
    assert fmt.pooled_years(period) == years
    assert fmt.period_phrase(period) == phrase


def test_area_label_names_areas_officially() -> None:
    worcestershire = areas.load_area("worcestershire")
    assert fmt.area_label("E92000001") == "England"
    assert fmt.area_label("E10000034", worcestershire) == "Worcestershire"
    assert fmt.area_label("E12000005", worcestershire) == "West Midlands"
    assert fmt.area_label("E07000235", worcestershire) == "Malvern Hills"
    with pytest.raises(UnknownAreaError, match="E07000066"):
        fmt.area_label("E07000066", worcestershire)  # an Essex district is not in Worcestershire's hierarchy
    with pytest.raises(UnknownAreaError, match="E10000034"):
        fmt.area_label("E10000034")
