"""Periods as the figures name them, parsed and named in one place.

A financial year runs 1 April to 31 March and is written "2023/24"; it is numbered by the calendar
year it starts in (2023). Calendar years are written "2023". Pooled spans (deaths pool three
registration years) are written as Fingertips does: "2021 - 23" or "2021/22 - 23/24", named by
their last year. Every module that reads, compares or writes a period uses these functions, so a
"2023-24" is refused with the same message wherever it is given.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from suna.core.errors import ParametersError

FINANCIAL_YEAR = re.compile(r"^(\d{4})/(\d{2})$")
POOLED_YEARS = re.compile(r"^(\d{4})\s*[-–—]\s*(\d{2}|\d{4})$")  # "2021 - 23", "2021 - 2023"
POOLED_FINANCIAL_YEARS = re.compile(r"^(\d{4})/(\d{2})\s*[-–—]\s*(\d{2}|\d{4})/(\d{2})$")  # "2021/22 - 23/24"
_EXPECTED = "expected a financial year like '2023/24'"


def is_financial_year(period: Any) -> bool:
    """Whether ``period`` is a financial year "YYYY/YY" whose two years follow each other."""
    found = FINANCIAL_YEAR.match(str(period).strip())
    return bool(found) and (int(found.group(1)) + 1) % 100 == int(found.group(2))


def financial_year_label(year: int) -> str:
    """2023 -> "2023/24"."""
    return f"{year}/{(year + 1) % 100:02d}"


def start_year(period: Any, source: str = "view", key: str = "period") -> int:
    """The calendar year a financial year starts in ("2023/24" -> 2023).

    Raises:
        ParametersError: ``period`` is not a financial year; the message names ``source``, ``key`` and the value.
    """
    if not is_financial_year(period):
        raise ParametersError(source, key, f"is {period!r}; {_EXPECTED}")
    return int(str(period).strip()[:4])


def year_start(period: Any, source: str = "view") -> pd.Timestamp:
    """1 April that starts a financial year."""
    return pd.Timestamp(start_year(period, source), 4, 1)


def year_end(period: Any, source: str = "view") -> pd.Timestamp:
    """31 March that ends a financial year."""
    return pd.Timestamp(start_year(period, source) + 1, 3, 31)


def financial_years(period: Any, n: int = 10) -> list[str]:
    """The ``n`` financial years ending with ``period``, oldest first."""
    last = start_year(period)
    return [financial_year_label(y) for y in range(last - n + 1, last + 1)]


def financial_year_of(dates: pd.Series) -> pd.Series:
    """The financial year ("2023/24") each date falls in (missing stays missing)."""
    start = dates.dt.year - (dates.dt.month < 4).astype("Int64")
    text = start.astype("Int64").astype("string") + "/" + ((start + 1) % 100).astype("Int64").astype("string").str.zfill(2)
    return text.where(dates.notna())


def financial_year_numbers(dates: Any) -> np.ndarray:
    """The financial year of each date as the year it starts in (2023 for "2023/24"); -1 where missing.

    Takes anything numpy reads as dates (a Series of datetimes, an array of ``datetime64``).
    """
    values = dates.to_numpy() if isinstance(dates, pd.Series) else np.asarray(dates)
    if not np.issubdtype(values.dtype, np.datetime64):
        values = pd.to_datetime(pd.Series(values)).to_numpy()
    days = values.astype("datetime64[D]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    return np.where(np.isnat(days), -1, np.where(month >= 4, year, year - 1)).astype(np.int64)


def period_label(last_year: int, pooling_years: int, period_type: str) -> str:
    """Fingertips period wording: "2023/24", "2021/22 - 23/24", "2023", "2021 - 23"."""
    first = last_year - pooling_years + 1
    if period_type == "financial_year":
        if pooling_years == 1:
            return financial_year_label(last_year)
        return f"{financial_year_label(first)} - {financial_year_label(last_year)[2:]}"
    if pooling_years == 1:
        return str(last_year)
    return f"{first} - {last_year % 100:02d}"


def full_year(start: int, end: str | int) -> int:
    """The end of a span written short: (2019, "21") -> 2021, (2098, "01") -> 2101, (2019, "2021") -> 2021."""
    end = int(end)
    if end >= 100:
        return end
    year = start - start % 100 + end
    return year + 100 if year < start else year


def pooled_span(period: Any) -> tuple[int, ...] | None:
    """The years (calendar, or financial by first year) a pooled period spans ("2019 - 21" -> 2019, 2020, 2021);
    None for a single year or any other text."""
    text = str(period).strip()
    if found := POOLED_YEARS.match(text):
        start, end = int(found.group(1)), full_year(int(found.group(1)), found.group(2))
    elif found := POOLED_FINANCIAL_YEARS.match(text):
        start, end = int(found.group(1)), full_year(int(found.group(1)), found.group(3))
    else:
        return None
    return tuple(range(start, end + 1))


def end_year(period: Any) -> int | None:
    """The year a period ends in, comparable across layouts: "2023/24" -> 2023, "2021 - 23" -> 2023,
    "2021/22 - 23/24" -> 2023, "2023" -> 2023 (a financial year counts by the calendar year it starts in).
    None for a missing period or one with no year in it."""
    if period is None or period is pd.NA or period is pd.NaT or (isinstance(period, float) and np.isnan(period)):
        return None
    if isinstance(period, float) and period.is_integer():
        period = int(period)
    text = str(period).strip()
    if span := pooled_span(text):
        return span[-1]
    years = re.findall(r"\d{4}", text)
    return int(years[-1]) if years else None
