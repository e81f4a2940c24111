"""Hospital admissions: alcohol-specific, drug poisoning, drug-related mental and behavioural
disorders, and substance misuse at ages 15 to 24.

Each view answers one question about one admissions indicator (chosen with ``indicator``; the
default is alcohol-specific admissions): how it has changed against England and the region, which
districts stand out, whether they stand out more than chance allows (funnel plot), who is admitted
(sex, and age group where the indicators table has age groups), and where (map). Figures are
HES-based: counts 1-7 suppressed, others rounded to 5. ``substance_group`` is accepted for a uniform
signature; admissions have no treatment substance group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from suna import indicators
from suna.core import reference
from suna.core.errors import UnknownAreaError
from suna.indicators import stats
from suna.model import formatting as fmt
from suna.presentation import charts, narrative
from suna.views import View, common
from suna.views.saved import saved_view

if TYPE_CHECKING:
    from suna.pipeline import AreaData

INDICATORS: dict[str, str] = {
    "alcohol_specific_admissions": "Alcohol-specific admissions",
    "drug_poisoning_admissions": "Drug poisoning admissions",
    "drug_mental_behavioural_admissions": "Admissions for drug-related mental and behavioural disorders",
    "substance_misuse_admissions_15_24": "Substance misuse admissions aged 15 to 24",
}
DEFAULT_INDICATOR = "alcohol_specific_admissions"
AGE_GROUP = indicators.CATEGORY_TYPES[indicators.AGE_GROUP]  # the indicators table's category type of age groups
ALL_AGES_COMPARISON = "Compared with all ages"


def _what(indicator: str) -> str:
    if indicator not in INDICATORS:
        raise UnknownAreaError(indicator, list(INDICATORS), kind="admissions indicator")
    return INDICATORS[indicator]


@saved_view
@common.needs_records("admissions", "Hospital admissions")
def trend(data: AreaData, *, district: str | None = None, period: str | None = None,
          substance_group: str | None = None, indicator: str = DEFAULT_INDICATOR) -> View:
    """Directly standardised admission rate over time with 95% CIs, against England and the region."""
    return common.indicator_trend(data, indicator, _what(indicator), district=district, period=period)


@saved_view
@common.needs_records("admissions", "Hospital admissions")
def districts_ranked(data: AreaData, *, district: str | None = None, period: str | None = None,
                     substance_group: str | None = None, indicator: str = DEFAULT_INDICATOR) -> View:
    """Districts ranked by admission rate, coloured by significance against England."""
    return common.indicator_ranked(data, indicator, _what(indicator), district=district, period=period)


@saved_view
@common.needs_records("admissions", "Hospital admissions")
def funnel(data: AreaData, *, district: str | None = None, period: str | None = None,
           substance_group: str | None = None, indicator: str = DEFAULT_INDICATOR) -> View:
    """Districts' admission rates in a funnel plot (95% and 99.8% limits)."""
    return common.indicator_funnel(data, indicator, _what(indicator), district=district, period=period)


@saved_view
@common.needs_records("admissions", "Hospital admissions")
def by_sex_age(data: AreaData, *, district: str | None = None, period: str | None = None,
               substance_group: str | None = None, indicator: str = DEFAULT_INDICATOR) -> View:
    """Admission rates for males and females against England, then by age group against the place's
    all-ages rate (who is admitted: the question a needs assessment asks of hospital data)."""
    what = _what(indicator)
    by_sex = common.indicator_breakdown(data, indicator, what, district=district, period=period)
    by_age = _by_age_group(data, indicator, what, district=district, period=period)
    if by_age is None:
        return by_sex
    if by_sex.chart is None:
        return by_age
    return View(title=by_sex.title, chart=charts.stack_charts([by_sex.chart, by_age.chart]),
                table=pd.concat([by_sex.table, by_age.table], ignore_index=True),
                footnote=by_age.footnote, findings=[*by_sex.findings, *by_age.findings])


def _by_age_group(data: AreaData, indicator: str, what: str, *, district: str | None,
                  period: str | None) -> View | None:
    """Crude admission rates by age group for the place, each compared with its all-ages rate.

    England's rates by age group are not in SUNA's reference data, so the comparison is within the
    place: is an age group admitted significantly more or less often than its residents as a whole
    (95% confidence interval against the all-ages value)? No value judgement: polarity "no_judgement".
    None when the table has no age groups for the place and period. The footnote also covers the
    all-ages rows of the place and England (those ``indicator_breakdown`` shows by sex), so a view
    showing both has one footnote.
    """
    code, place = common.resolve_place(data, district)
    everything = common.indicator_rows(data, indicator)
    if everything.empty:
        return None
    rows = everything[everything["area_code"] == code]
    groups = rows[rows["category_type"] == AGE_GROUP]
    chosen = common.choose_period(groups, period or data.period)
    if chosen is None:
        return None
    at = groups[groups["period"].astype(str) == chosen]
    total = common.headline(rows[rows["period"].astype(str) == chosen]).head(1)
    order = _age_group_order(indicator, at["category"])
    at = at.assign(_o=at["category"].map({label: i for i, label in enumerate(order)})).sort_values("_o").drop(columns="_o")
    bench_value = total["value"].iloc[0] if len(total) and not narrative.is_suppressed(total.iloc[0]) else None
    at = at.assign(age=at["category"], polarity="no_judgement",
                   compared_to_place=stats.compare_to_benchmark(at["value"], at["value_lower_ci95"], at["value_upper_ci95"],
                                                            bench_value, "no_judgement"))
    name = str(at["indicator_name"].iloc[0])
    whole = f"{place}, all ages"
    floor = reference.disclosure_rules()["rates"]["dsr_min_count"]
    note = (f"Age groups: crude rates per 100,000 residents of that age (persons), not calculated from fewer than {floor} "
            f"admissions (as the all-ages rate); each is compared with {place}'s all-ages rate (age-standardised): "
            "significantly higher or lower when its 95% confidence interval lies wholly above or below that value.")
    chart = charts.breakdown_chart(at, "category", order, benchmark=total.assign(category=whole), compared="compared_to_place",
                                   compared_title=ALL_AGES_COMPARISON, value_title="Crude rate per 100,000 of that age",
                                   period=chosen, options=charts.ChartOptions(
                                       title=f"{name} by age group: {place}, {fmt.format_period(chosen)}",
                                       source=common.source_text(at, data)))
    compared = [common.outcome_text(c, "no_judgement") for c in at["compared_to_place"]]
    all_ages = everything[(everything["period"].astype(str) == chosen) & everything["area_code"].isin([code, common.ENGLAND_CODE])
                          & everything["category_type"].map(fmt.is_missing)]
    return View(title=f"{what} by age group: {place}", chart=chart,
                table=common.display_table(at).assign(**{ALL_AGES_COMPARISON: compared}),
                footnote=common.rows_footnote(data, pd.concat([all_ages, at]), note),
                findings=_age_findings(at, total, name, place, chosen))


def _age_group_order(indicator: str, labels: pd.Series) -> list[str]:
    """Age groups youngest first: the catalogue's order, then any others as they come."""
    spec = indicators.catalogue().get(indicator, {})
    known = [indicators.age_group_label(*g) for g in spec.get("age_groups") or []]
    present = list(dict.fromkeys(labels.astype(str)))
    return [label for label in known if label in present] + [label for label in present if label not in known]


def _age_words(label: str) -> str:
    """A Fingertips age label as a sentence says it: "<18 yrs" -> "under 18", "18-39 yrs" -> "18 to 39",
    "65+ yrs" -> "65 and over"."""
    text = label.removesuffix(" yrs").strip()
    if text.startswith("<"):
        return f"under {text[1:]}"
    if text.endswith("+"):
        return f"{text[:-1]} and over"
    return text.replace("-", " to ")


def _age_findings(at: pd.DataFrame, total: pd.DataFrame, name: str, place: str, period: str) -> list[str]:
    """Which age groups are admitted most, which differ significantly from the place's all-ages rate,
    and which could not be shown (suppressed, or too few admissions for a rate)."""
    records = at.to_dict("records")
    shown = [r for r in records if not narrative.is_suppressed(r) and not fmt.is_missing(r.get("value"))]
    when = fmt.period_phrase(period)
    lower_name = name[0].lower() + name[1:]
    out: list[str] = []
    if shown:
        top = max(shown, key=lambda r: float(r["value"]))
        out.append(f"By age, {lower_name} in {place} in {when} were highest at ages {_age_words(str(top['category']))}: "
                   f"{narrative.value_text(top)} residents of that age{narrative._counts_text(top)}.")
    whole = total.iloc[0] if len(total) else None
    for direction in ("higher", "lower"):
        ages = [_age_words(str(r["category"])) for r in shown
                if narrative.comparison_outcome(r.get("compared_to_place"), "no_judgement") == direction]
        if ages and whole is not None:
            out.append(f"Significantly {direction} than {place}'s all-ages rate ({narrative.value_text(whole)}): "
                       f"ages {common._join(ages)}.")
    hidden = [_age_words(str(r["category"])) for r in records if narrative.is_suppressed(r)]
    if hidden:
        out.append(f"Not shown to protect confidentiality (small numbers): ages {common._join(hidden)}.")
    missing = [_age_words(str(r["category"])) for r in records if not narrative.is_suppressed(r) and fmt.is_missing(r.get("value"))]
    if missing:
        out.append(f"No rate could be calculated for ages {common._join(missing)} (too few admissions).")
    return out


VIEWS = {
    "admissions.trend": trend,
    "admissions.districts_ranked": districts_ranked,
    "admissions.funnel": funnel,
    "admissions.by_sex_age": by_sex_age,
}


@saved_view(reads_boundaries=True)
@common.needs_records("admissions", "Hospital admissions")
def district_map(data: AreaData, *, district: str | None = None, period: str | None = None,
                 substance_group: str | None = None, indicator: str = DEFAULT_INDICATOR) -> View:
    """Admission rates by district on a map, coloured by significance against England."""
    return common.indicator_map(data, indicator, _what(indicator), district=district, period=period)


VIEWS["admissions.district_map"] = district_map
