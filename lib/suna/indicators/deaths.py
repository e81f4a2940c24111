"""Drug-death indicators: which SUNA shows, and from ONS's published tables a rate for every district of any county.

A directly standardised rate needs deaths by age, which ONS does not
publish by local authority and year; with counts and persons populations only SUNA uses the
ONS published rate where the table has one, otherwise a **crude rate per 100,000** over the pooled
registration years (deaths / sum of mid-year populations), with Byar's 95% limits (exact Poisson
under 10 events) from PHStatsMethods, and the ONS rate rules of data/reference/disclosure_rules.yaml
(no rate under 3 deaths; flagged "u" under 20).

``period_indicators`` gives one pooled period; ``published_indicators`` the last few, with SUNA's
indicator ids, measure, polarity and ONS disclosure rule, and districts compared with their region.
"""

from __future__ import annotations

import logging
import re

import pandas as pd

from suna.core import reference
from suna.core.errors import DataSourceError
from suna.indicators import stats
from suna.model import schemas
from suna.model.areas import ENGLAND_CODE, Area
from suna.model.periods import end_year, period_label
from suna.sources.ons import persons_population

log = logging.getLogger(__name__)

INDICATORS: dict[str, str] = {
    "drug_misuse_deaths": "Deaths from drug misuse",
    "drug_poisoning_deaths": "Deaths related to drug poisoning",
    "drug_poisoning_deaths_ons": "Deaths related to drug poisoning (ONS registrations)",
}
RECORD_INDICATORS = ("drug_misuse_deaths", "drug_poisoning_deaths")  # computed from death records
PUBLISHED_INDICATOR = "drug_poisoning_deaths_ons"  # ONS's figures for every authority (suna.indicators.published)
DEFAULT_INDICATOR = "drug_misuse_deaths"
ONS_RULE = "ons_deaths"
PUBLISHED_SOURCE = ("ONS, Deaths related to drug poisoning by local authority (registrations), and ONS mid-year "
                    "population estimates; rates calculated by SUNA where ONS publishes none")


def period_indicators(
    area: Area,
    deaths_counts: pd.DataFrame,
    population: pd.DataFrame,
    period: str | None = None,
    measure: str | None = None,
    pooled_years: int = 3,
) -> pd.DataFrame:
    """Deaths per 100,000 for an area's districts, the area, its region and England from published tables.

    Uses the ONS published rate where ``deaths_counts`` has one for an area and period; otherwise a
    crude rate per 100,000 person-years over ``pooled_years`` registration years (ONS pools three
    for local authorities), with Byar's 95% confidence limits (exact Poisson limits under 10 deaths),
    Breslow & Day 1987 via PHStatsMethods.ph_rate. Rates follow the ONS rules in
    disclosure_rules.yaml: none under ``rates.crude_min_count`` deaths, flagged "u" under
    ``rates.unreliable_below``. Counts still pass through suna.disclosure before display.

    Args:
        area: the county or authority (its districts must be local authorities with GSS codes).
        deaths_counts: from :func:`read_ons_deaths_by_la`.
        population: canonical population (any sexes; summed to persons) e.g. from :func:`read_nomis_population`.
        period: last registration year of the pooled span, e.g. "2020" (default: the latest year
            with counts and populations for every district).
        measure: which measure in deaths_counts (default: the only one present).

    Returns:
        SUNA's indicators table (one row per area), validated.
    """
    from PHStatsMethods import ph_rate

    rules = reference.disclosure_rules()["rates"]
    measures = sorted(deaths_counts["measure"].dropna().unique())
    if measure is None:
        if len(measures) != 1:
            raise DataSourceError(f"The deaths table has measures {', '.join(measures)}; say which (measure=...).")
        measure = measures[0]
    counts = deaths_counts[(deaths_counts["measure"] == measure) & (deaths_counts["sex"] == "Persons")]
    district_codes = area.district_codes
    unknown = [c for c in district_codes if c not in set(counts["area_code"])]
    if unknown:
        raise DataSourceError(
            f"The ONS deaths table has no rows for {len(unknown)} of {area.name}'s {area.district_type}s "
            f"({', '.join(unknown[:5])}{' ...' if len(unknown) > 5 else ''}). ONS publishes these counts by local authority "
            "(April 2021 codes or later), so this works for county districts, not for MSOAs or wards."
        )
    persons = persons_population(population).groupby(["area_code", "year"])["population_count"].sum()
    pop_years = persons.reset_index()
    yearly = counts.dropna(subset=["registration_year"])
    end = int(period[-4:]) if period else None
    if end is None:
        candidates = []
        for y in sorted(yearly["registration_year"].dropna().unique(), reverse=True):
            span = range(int(y) - pooled_years + 1, int(y) + 1)
            ok_counts = all(((yearly["area_code"] == c) & yearly["registration_year"].isin(span)).sum() == pooled_years for c in district_codes)
            ok_pop = all(((pop_years["area_code"] == c) & pop_years["year"].isin(span)).sum() == pooled_years for c in district_codes)
            if ok_counts and ok_pop:
                candidates.append(int(y))
                break
        if not candidates:
            raise DataSourceError(f"No {pooled_years} consecutive registration years have both deaths and populations for every district of {area.name}.")
        end = candidates[0]
    span = list(range(end - pooled_years + 1, end + 1))
    label = period_label(end, pooled_years, "calendar_year")

    def pop_of(code: str) -> float | None:
        got = pop_years[(pop_years["area_code"] == code) & pop_years["year"].isin(span)]
        return float(got["population_count"].sum()) if len(got) == pooled_years else None

    def pop_sum(codes: list[str]) -> float | None:
        vals = [pop_of(c) for c in codes]
        return None if any(v is None for v in vals) else float(sum(vals))

    def deaths_of(code: str) -> float | None:
        got = yearly[(yearly["area_code"] == code) & yearly["registration_year"].isin(span)]
        if len(got) != pooled_years or got["count"].isna().any():
            return None
        return float(got["count"].sum())

    england_lower_tier = sorted({c for c in pop_years["area_code"] if re.match(r"^E0[6-9]", c)})
    rows = []
    units = [(d.code, d.name, "District", area.code, area.name, pop_of(d.code)) for d in area.districts]
    units.append((area.code, area.name, "County" if area.is_county else "Upper tier local authority",
                  area.region_code, area.region_name, pop_of(area.code) or pop_sum(district_codes) if area.is_county else pop_of(area.code)))
    units.append((area.region_code, area.region_name, "Region", ENGLAND_CODE, "England", pop_of(area.region_code)))
    units.append((ENGLAND_CODE, "England", "England", None, None, pop_of(ENGLAND_CODE) or (pop_sum(england_lower_tier) if england_lower_tier else None)))
    period_key = f"{span[0]}-{end}"
    for code, name, level, parent_code, parent_name, denominator in units:
        published = deaths_counts[(deaths_counts["area_code"] == code) & (deaths_counts["period"] == period_key)
                                  & (deaths_counts["measure"] == measure) & deaths_counts["rate"].notna()]
        count = deaths_of(code)
        if count is None and code in district_codes:
            raise DataSourceError(f"The ONS deaths table lacks a count for {name} ({code}) in one of {span[0]}-{end}.")
        if count is None and published.empty:
            log.info("period_indicators: no deaths for %s (%s) in %s-%s; left out", name, code, span[0], end)
            continue
        if denominator is None and published.empty:
            log.info("period_indicators: no population for %s (%s) in %s-%s; left out", name, code, span[0], end)
            continue
        rows.append({"area_code": code, "area_name": name, "area_type": level, "parent_code": parent_code,
                     "parent_name": parent_name, "count": count, "denominator": denominator,
                     "published": published.iloc[0].to_dict() if not published.empty else None})
    table = pd.DataFrame(rows)
    computable = table["published"].isna() & table["count"].ge(rules["crude_min_count"]) & table["denominator"].gt(0)
    value = pd.Series(float("nan"), index=table.index)
    lower = value.copy()
    upper = value.copy()
    if computable.any():
        rated = ph_rate(table.loc[computable, ["area_code", "count", "denominator"]], "count", "denominator",
                        group_cols="area_code", metadata=False, confidence=0.95, multiplier=100000).set_index("area_code")
        codes = table.loc[computable, "area_code"]
        value.loc[computable] = codes.map(rated["Value"]).to_numpy()
        lower.loc[computable] = codes.map(rated["lower_ci_95"] if "lower_ci_95" in rated else rated.filter(like="lower").iloc[:, 0]).to_numpy()
        upper.loc[computable] = codes.map(rated["upper_ci_95"] if "upper_ci_95" in rated else rated.filter(like="upper").iloc[:, 0]).to_numpy()
    notes = []
    for i, rec in table.iterrows():
        if rec["published"] is not None:
            value.loc[i], lower.loc[i], upper.loc[i] = rec["published"]["rate"], rec["published"]["lower"], rec["published"]["upper"]
            notes.append("ONS published age-standardised rate" + (f"; {rec['published']['note']}" if rec["published"].get("note") else ""))
        elif pd.isna(rec["count"]) or rec["count"] < rules["crude_min_count"]:
            notes.append(f"Rate not calculated: fewer than {rules['crude_min_count']} deaths")
        elif rec["count"] < rules["unreliable_below"]:
            notes.append(f"u: rate unreliable (fewer than {rules['unreliable_below']} deaths)")
        else:
            notes.append(None)
    england = value[table["area_code"] == ENGLAND_CODE]
    england_value = float(england.iloc[0]) if len(england) and pd.notna(england.iloc[0]) else None
    compared = [
        None if england_value is None or code == ENGLAND_CODE or pd.isna(lo)
        else ("Worse" if lo > england_value else "Better" if hi < england_value else "Similar")  # high is bad
        for code, lo, hi in zip(table["area_code"], lower, upper)
    ]
    crude = table["published"].isna()
    words = {"drug_poisoning": "Deaths related to drug poisoning", "drug_misuse": "Deaths related to drug misuse"}
    out = pd.DataFrame({
        "indicator_id": f"ons_{measure}_deaths_per_100k",
        "indicator_name": f"{words.get(measure, measure.replace('_', ' ').capitalize())} (ONS registrations), rate per 100,000, {pooled_years} years pooled",
        "parent_code": table["parent_code"],
        "parent_name": table["parent_name"],
        "area_code": table["area_code"],
        "area_name": table["area_name"],
        "area_type": table["area_type"],
        "sex": "Persons",
        "age": "All ages",
        "category_type": pd.NA,
        "category": pd.NA,
        "period": label,
        "value": value.astype(float),
        "value_lower_ci95": lower.astype(float),
        "value_upper_ci95": upper.astype(float),
        "value_lower_ci998": float("nan"),
        "value_upper_ci998": float("nan"),
        "count": table["count"].astype(float),
        "denominator": table["denominator"].astype(float),
        "value_note": notes,
        "recent_trend": pd.NA,
        "compared_to_england": compared,
        "compared_to_region": pd.NA,
        "period_sortable": float(span[0] * 10000),
        "measure_type": ["crude rate per 100,000" if c else "age-standardised rate per 100,000 (ONS)" for c in crude],
        # What suna.disclosure and the charts need: one measure and rule per indicator.
        "measure": "crude_rate" if crude.any() else "dsr",
        "unit": "per 100,000",
        "polarity": "high_is_bad",
        "disclosure_rule": "ons_deaths",
        "source": "ONS deaths related to drug poisoning by local authority; ONS mid-year population estimates",
    })
    return schemas.validate(out, "indicators", source="ONS published deaths and populations")


def published_indicators(area: Area, deaths_counts: pd.DataFrame, population: pd.DataFrame, *,
                         period: str | None = None, measure: str | None = None, periods: int = 5) -> pd.DataFrame:
    """The raw indicators table of ``periods`` successive pooled periods from published ONS tables.

    ``period_indicators`` computes each period; this gives the rows SUNA's
    indicator id (``drug_poisoning_deaths`` / ``drug_misuse_deaths``), measure, polarity and ONS
    disclosure rule, and compares districts with the region where the region's rate is there.

    Raises:
        DataSourceError: the tables cannot give even the latest period (the message says why).
    """
    latest = period_indicators(area, deaths_counts, population, period=period, measure=measure)
    end = end_year(latest["period"].iloc[0])
    frames = [latest]
    for back in range(1, max(periods, 1)):
        try:
            frames.append(period_indicators(area, deaths_counts, population, period=str(end - back), measure=measure))
        except DataSourceError as exc:
            log.info("published deaths: stopped at %s (%s)", end - back, exc)
            break
    raw = pd.concat(frames, ignore_index=True)
    kind = measure or str(deaths_counts["measure"].dropna().iloc[0])
    crude = raw["measure_type"].astype(str).str.startswith("crude")
    ind_id = f"{kind}_deaths"
    words = INDICATORS.get(ind_id, ind_id.replace("_", " ").capitalize())
    raw = raw.assign(
        indicator_id=ind_id,
        indicator_name=f"{words} (ONS registrations{', crude rate' if crude.any() else ''})",
        measure="crude_rate" if crude.any() else "dsr",
        unit="per 100,000",
        polarity="high_is_bad",
        disclosure_rule=ONS_RULE,
        fingertips_id=float("nan"),
        source=PUBLISHED_SOURCE,
    )
    region = raw[raw["area_code"] == area.region_code].set_index("period")["value"]
    bench = raw["period"].map(region) if len(region) else pd.Series(float("nan"), index=raw.index)
    compared = stats.compare_to_benchmark(raw["value"], raw["value_lower_ci95"], raw["value_upper_ci95"], bench, "high_is_bad")
    raw["compared_to_region"] = [None if c in (area.region_code, ENGLAND_CODE) or pd.isna(b) else v
                                 for c, b, v in zip(raw["area_code"], bench, compared)]
    return raw
