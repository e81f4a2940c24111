"""The one number, period and area-name formatter for every chart, table and sentence SUNA writes.

Why one place: the GOV.UK / Analysis Function writing rules (thousands separators, a zero before a
decimal point, rounding only at the end) drift when each notebook formats its own numbers.
Values arrive unrounded from the indicators table; they are rounded here, once, half away from zero
(as a reader rounding by hand, or Excel's ROUND, would), never by binary floating point.
"""

from __future__ import annotations

import logging
import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from suna.core.errors import UnknownAreaError
from suna.model import periods
from suna.model.areas import ENGLAND_CODE, ENGLAND_NAME, Area

log = logging.getLogger(__name__)

SUPPRESSED = "suppressed"
NOT_AVAILABLE = "not available"
SUPPRESSED_MARK = "*"  # the disclosure engine's display mark (NDTMS and HES convention)

MEASURES = ("count", "crude_rate", "dsr", "proportion")
# Decimal places shown by default for each measure (Fingertips shows rates and percentages to 1 d.p.).
DEFAULT_DECIMALS = {"count": 0, "crude_rate": 1, "dsr": 1, "proportion": 1}


def is_missing(value: Any) -> bool:
    """True for None, NaN, pandas NA/NaT and empty strings."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(value != value)  # NaN, NaT and pd.NA are not equal to themselves
    except TypeError:  # pd.NA raises in bool()
        return True


def _decimal(value: Any) -> Decimal:
    """The number as a Decimal from its shortest repr, so 2.675 rounds like the 2.675 a reader sees."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number to format")
    if isinstance(value, int):
        return Decimal(value)
    number = float(value)
    if math.isinf(number):
        raise ValueError(f"cannot format an infinite value ({value!r})")
    return Decimal(repr(number))


def format_number(value: Any, decimals: int = 0) -> str:
    """A number with thousands separators, a zero before the point, rounded half away from zero at the end.

    ``format_number(1668) == "1,668"``, ``format_number(0.5, 1) == "0.5"``,
    ``format_number(2.675, 2) == "2.68"``. Missing values give "not available".
    """
    if is_missing(value):
        return NOT_AVAILABLE
    try:
        exact = _decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise ValueError(f"cannot format {value!r} as a number") from None
    quantum = Decimal(1).scaleb(-decimals) if decimals > 0 else Decimal(1)
    rounded = exact.quantize(quantum, rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # never "-0.0"
    return f"{rounded:,.{max(decimals, 0)}f}"


def format_value(
    value: Any,
    measure: str | None = None,
    *,
    decimals: int | None = None,
    per: int | float = 100_000,
    suppressed: bool = False,
    unit: bool = True,
) -> str:
    """An indicator value as a reader should see it, by measure.

    counts "1,668"; proportions (stored as percentages, 0-100, as Fingertips does) "27.0%";
    crude rates and DSRs "123.4 per 100,000". ``suppressed=True`` or a missing value give
    "suppressed" / "not available". ``unit=False`` drops the "%" / "per 100,000" (for table columns
    whose header carries the unit).
    """
    if suppressed:
        return SUPPRESSED
    if is_missing(value):
        return NOT_AVAILABLE
    kind = _measure(measure)
    places = DEFAULT_DECIMALS.get(kind, 1) if decimals is None else decimals
    text = format_number(value, places)
    if not unit:
        return text
    if kind == "proportion":
        return f"{text}%"
    if kind in ("crude_rate", "dsr"):
        return f"{text} per {format_number(per)}"
    return text


def _measure(measure: str | None) -> str:
    if is_missing(measure):
        return "value"
    kind = str(measure).strip().lower()
    if kind not in MEASURES:
        log.warning("Unknown measure %r; formatting as a plain number to 1 decimal place", measure)
        return "value"
    return kind


def format_ci(lower: Any, upper: Any, measure: str | None = None, *, decimals: int | None = None, level: str = "95%") -> str:
    """A confidence interval as "95% CI 110.2 to 136.9" (units left to the value it follows)."""
    if is_missing(lower) or is_missing(upper):
        return NOT_AVAILABLE
    lo = format_value(lower, measure, decimals=decimals, unit=False)
    hi = format_value(upper, measure, decimals=decimals, unit=False)
    suffix = "%" if _measure(measure) == "proportion" else ""
    return f"{level} CI {lo}{suffix} to {hi}{suffix}"


def format_count(count: Any, count_display: Any = None) -> str:
    """A count for display, preferring the disclosure engine's ``count_display``.

    "*" (or "suppressed") -> "suppressed"; a rounded number such as "1670" -> "1,670";
    with no display value, the count itself; missing -> "not available".
    """
    if not is_missing(count_display):
        shown = str(count_display).strip()
        if shown in (SUPPRESSED_MARK, SUPPRESSED) or shown.lower() == SUPPRESSED:
            return SUPPRESSED
        try:
            return format_number(float(shown.replace(",", "")), 0)
        except ValueError:
            return shown  # the engine's own wording, shown as it is rather than dropped
    return format_number(count, 0)


_QUARTER = re.compile(r"^(\d{4}/\d{2}|\d{4})\s*Q([1-4])$", re.IGNORECASE)


def format_period(period: Any) -> str:
    """A Fingertips-style time period in words a reader expects.

    "2023/24" stays "2023/24"; pooled years "2020 - 22" become "2020 to 2022"; "2019/20 - 21/22"
    becomes "2019/20 to 2021/22"; "2023/24 Q1" becomes "2023/24, quarter 1". Anything else is
    shown as given (never dropped); missing gives "not available".
    """
    if is_missing(period):
        return NOT_AVAILABLE
    if isinstance(period, float) and period.is_integer():
        period = int(period)
    text = str(period).strip()
    if periods.FINANCIAL_YEAR.match(text) or re.fullmatch(r"\d{4}", text):
        return text
    if span := periods.pooled_span(text):
        if periods.POOLED_YEARS.match(text):
            return f"{span[0]} to {span[-1]}"
        return f"{text[:7]} to {span[-1]}/{text[-2:]}"
    if m := _QUARTER.match(text):
        return f"{m.group(1)}, quarter {m.group(2)}"
    return text


def pooled_years(period: Any) -> int | None:
    """How many calendar or financial years a pooled period spans ("2021 - 23" -> 3), else None."""
    span = None if is_missing(period) else periods.pooled_span(period)
    return len(span) if span and len(span) > 1 else None


def period_phrase(period: Any) -> str:
    """A period as it reads in a sentence: "2023/24", or "2021 to 2023 (3 years combined)" when pooled."""
    years = pooled_years(period)
    shown = format_period(period)
    return f"{shown} ({years} years combined)" if years else shown


def area_label(code: str, area: Area | None = None) -> str:
    """The official name of an area code: England, the area's region, the area itself or one of its districts.

    Raises:
        UnknownAreaError: the code is not in the area's hierarchy (or, with no area, is not England).
    """
    key = str(code).strip()
    if key == ENGLAND_CODE:
        return ENGLAND_NAME
    if area is None:
        raise UnknownAreaError(key, [ENGLAND_CODE], kind="area code (no local authority given to name it)")
    return area.area_name(key)


NOT_SHOWN = "not shown"  # a hidden figure in a reader's table (the privacy note says why)
# Column names of SUNA's tables in a reader's words; any other snake_case name is spelt out.
COLUMN_LABELS = {
    "period": "Period", "area_name": "Area", "area_code": "Area code", "substance_group": "Substance group",
    "referral_source": "Referral source", "route": "Referral route", "age_band": "Age band", "sex": "Sex",
    "ethnic_group": "Ethnic group", "exit_reason": "Reason for leaving treatment", "count": "Number",
    "count_display": "Number", "share_pct": "Percentage", "value": "Value", "denominator": "Denominator",
    "registration_year": "Year of registration", "wait": "Wait", "stage": "Stage", "category": "Category",
}


def column_label(name: Any) -> str:
    """A table column's header in plain English: "substance_group" -> "Substance group"; a header that
    is already words ("Compared with England") is kept as it is."""
    text = str(name)
    if text in COLUMN_LABELS:
        return COLUMN_LABELS[text]
    if "_" not in text and not text.islower():
        return text
    words = text.removesuffix("_pct").replace("_", " ").strip()
    label = words[:1].upper() + words[1:]
    return f"{label} (%)" if text.endswith("_pct") else label


def table_cell(value: Any, column: str = "") -> str:
    """A table cell as a reader sees it: whole numbers with thousands separators (not years), a hidden
    figure as "not shown", text as it is."""
    if is_missing(value):
        return ""
    yearish = any(word in column.lower() for word in ("year", "period"))
    if isinstance(value, str):
        text = value.strip()
        if text in (SUPPRESSED, SUPPRESSED_MARK):
            return NOT_SHOWN
        if not yearish and re.fullmatch(r"\d{4,}", text):
            return format_number(int(text))
        return value
    if isinstance(value, bool) or yearish:
        return str(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        return format_number(number, 0 if number.is_integer() else 1)
    return str(value)


def join_notes(existing: Any, extra: Any) -> list[Any]:
    """Each row's note with its new notes added, "; "-joined (a note already there is not repeated).

    ``existing`` holds one note (or None) per row; ``extra`` one list of new notes per row.
    """
    out: list[Any] = []
    for old, new in zip(list(existing), extra):
        parts = [] if is_missing(old) or not str(old).strip() else [str(old)]
        parts.extend(n for n in new if n and n not in parts)
        out.append("; ".join(parts) if parts else None)
    return out


def ordinal(number: int) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th", 23 -> "23rd": for "the 3rd highest rate"."""
    n = int(number)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
