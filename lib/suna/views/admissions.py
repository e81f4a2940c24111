"""Hospital admissions: alcohol-specific, drug poisoning, drug-related mental and behavioural
disorders, and substance misuse at ages 15 to 24.

Each view answers one question about one admissions indicator (chosen with ``indicator``; the
default is alcohol-specific admissions): how it has changed against England and the region, which
districts stand out, whether they stand out more than chance allows (funnel plot), who is admitted
(sex and age), and where (map). Figures are HES-based: counts 1-7 suppressed, others rounded to 5.
``substance_group`` is accepted for a uniform signature; admissions have no treatment substance group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from suna.views import View
from suna.views import common

if TYPE_CHECKING:
    from suna.pipeline import AreaData

INDICATORS: dict[str, str] = {
    "alcohol_specific_admissions": "Alcohol-specific admissions",
    "drug_poisoning_admissions": "Drug poisoning admissions",
    "drug_mental_behavioural_admissions": "Admissions for drug-related mental and behavioural disorders",
    "substance_misuse_admissions_15_24": "Substance misuse admissions aged 15 to 24",
}
DEFAULT_INDICATOR = "alcohol_specific_admissions"


def _what(indicator: str) -> str:
    if indicator not in INDICATORS:
        from suna.errors import UnknownAreaError

        raise UnknownAreaError(indicator, list(INDICATORS), kind="admissions indicator")
    return INDICATORS[indicator]


def trend(data: AreaData, *, district: str | None = None, period: str | None = None,
          substance_group: str | None = None, indicator: str = DEFAULT_INDICATOR) -> View:
    """Directly standardised admission rate over time with 95% CIs, against England and the region."""
    return common.indicator_trend(data, indicator, _what(indicator), district=district, period=period)


def districts_ranked(data: AreaData, *, district: str | None = None, period: str | None = None,
                     substance_group: str | None = None, indicator: str = DEFAULT_INDICATOR) -> View:
    """Districts ranked by admission rate, coloured by significance against England."""
    return common.indicator_ranked(data, indicator, _what(indicator), district=district, period=period)


def funnel(data: AreaData, *, district: str | None = None, period: str | None = None,
           substance_group: str | None = None, indicator: str = DEFAULT_INDICATOR) -> View:
    """Districts' admission rates in a funnel plot (95% and 99.8% limits)."""
    return common.indicator_funnel(data, indicator, _what(indicator), district=district, period=period)


def by_sex_age(data: AreaData, *, district: str | None = None, period: str | None = None,
               substance_group: str | None = None, indicator: str = DEFAULT_INDICATOR) -> View:
    """Admission rates for males and females (and age groups where published) against England."""
    return common.indicator_breakdown(data, indicator, _what(indicator), district=district, period=period)


VIEWS = {
    "admissions.trend": trend,
    "admissions.districts_ranked": districts_ranked,
    "admissions.funnel": funnel,
    "admissions.by_sex_age": by_sex_age,
}


def district_map(data: AreaData, *, district: str | None = None, period: str | None = None,
                 substance_group: str | None = None, indicator: str = DEFAULT_INDICATOR) -> View:
    """Admission rates by district on a map, coloured by significance against England."""
    return common.indicator_map(data, indicator, _what(indicator), district=district, period=period)


VIEWS["admissions.district_map"] = district_map
