"""Financial years, calendar years and pooled spans: parsed and named in one place (suna.model.periods)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from suna.core.errors import ParametersError, SunaError
from suna.model import periods


@pytest.mark.parametrize(("period", "year"), [("2023/24", 2023), ("2019/20", 2019), (" 2019/20 ", 2019), ("1999/00", 1999)])
def test_a_financial_year_starts_in_its_first_calendar_year(period: str, year: int) -> None:
    assert periods.is_financial_year(period)
    assert periods.start_year(period) == year
    assert periods.year_start(period) == pd.Timestamp(year, 4, 1)
    assert periods.year_end(period) == pd.Timestamp(year + 1, 3, 31)
    assert periods.financial_year_label(year) == period.strip()


def test_a_leap_year_ends_on_31_march_too() -> None:
    assert periods.year_end("2023/24") == pd.Timestamp(2024, 3, 31)
    assert (periods.year_end("2023/24") - periods.year_start("2023/24")).days + 1 == 366
    assert (periods.year_end("2022/23") - periods.year_start("2022/23")).days + 1 == 365


@pytest.mark.parametrize("bad", ["2023-24", "2023/25", "2023", "2021 - 23", "23/24", "2023/2024", "", None, "twenty"])
def test_anything_but_a_financial_year_is_refused_naming_the_value(bad: object) -> None:
    assert not periods.is_financial_year(bad)
    with pytest.raises(SunaError) as caught:
        periods.start_year(bad, "params/halton.yaml")
    assert isinstance(caught.value, ParametersError)
    assert str(caught.value) == f"params/halton.yaml: parameter 'period' is {bad!r}; expected a financial year like '2023/24'."


def test_the_ten_financial_years_to_a_period_oldest_first() -> None:
    years = periods.financial_years("2023/24")
    assert years[0] == "2014/15" and years[-1] == "2023/24" and len(years) == 10
    assert periods.financial_years("2000/01", 3) == ["1998/99", "1999/00", "2000/01"]
    with pytest.raises(ParametersError, match="'2023-24'"):
        periods.financial_years("2023-24")


def test_each_date_falls_in_the_financial_year_that_holds_it() -> None:
    dates = pd.Series(pd.to_datetime(["2023-03-31", "2023-04-01", None, "2024-03-31", "2000-01-15"]))
    assert periods.financial_year_of(dates).tolist()[:2] == ["2022/23", "2023/24"]
    assert pd.isna(periods.financial_year_of(dates).iloc[2])
    assert periods.financial_year_of(dates).tolist()[3:] == ["2023/24", "1999/00"]
    assert periods.financial_year_numbers(dates).tolist() == [2022, 2023, -1, 2023, 1999]
    days = np.array(["2023-03-31", "2023-04-01"], dtype="datetime64[D]")  # the sample's day numbers
    assert periods.financial_year_numbers(days).tolist() == [2022, 2023]


LABELS = {  # Fingertips' wording -> (last year, years pooled, period type)
    "2023/24": (2023, 1, "financial_year"), "2021/22 - 23/24": (2023, 3, "financial_year"),
    "2023": (2023, 1, "calendar_year"), "2021 - 23": (2023, 3, "calendar_year"), "1999 - 01": (2001, 3, "calendar_year"),
}


@pytest.mark.parametrize("label", LABELS)
def test_periods_are_named_as_fingertips_names_them(label: str) -> None:
    assert periods.period_label(*LABELS[label]) == label


@pytest.mark.parametrize(("period", "span"), [
    ("2019 - 21", (2019, 2020, 2021)),
    ("2018 - 20", (2018, 2019, 2020)),
    ("2018 – 2020", (2018, 2019, 2020)),
    ("2021/22 - 23/24", (2021, 2022, 2023)),
    ("2019/20 - 2021/22", (2019, 2020, 2021)),
    ("1998 - 00", (1998, 1999, 2000)),
    ("2023/24", None),
    ("2019", None),
    ("2023/24 Q1", None),
    ("not a period", None),
])
def test_a_pooled_period_spans_its_years(period: str, span: tuple[int, ...] | None) -> None:
    assert periods.pooled_span(period) == span


@pytest.mark.parametrize(("period", "end"), [
    ("2023/24", 2023), ("2019/20", 2019), ("2018 - 20", 2020), ("2021/22 - 23/24", 2023), ("2023", 2023),
    (2023, 2023), (2023.0, 2023), ("1998 - 00", 2000), ("2023/24 Q1", 2023),
    (None, None), (float("nan"), None), (pd.NA, None), ("not available", None),
])
def test_the_year_a_period_ends_in_compares_layouts(period: object, end: int | None) -> None:
    assert periods.end_year(period) == end


def test_a_short_end_year_takes_the_century_of_its_start() -> None:
    assert periods.full_year(2019, "21") == 2021
    assert periods.full_year(2098, "01") == 2101
    assert periods.full_year(2019, "2021") == 2021
