"""Every English authority compared from the same published tables: drug-poisoning death rates, benchmarks, ranks
and similar authorities.

The figures come only from the ONS tables shipped in data/published (read by :mod:`suna.sources.published`):
deaths related to drug poisoning by local authority and year of registration, mid-year population estimates,
the English Indices of Deprivation 2025 and the ONS local authority boundaries. Because every authority is
computed the same way from the same tables, any two of them can be set side by side: against England and its
region, ranked among its tier, on a spine chart of England's spread, and against authorities like it.

Rates are crude rates per 100,000 person-years, not the age-standardised rates ONS publishes; they are labelled
so (``measure_type``) and carry their own indicator id.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np
import pandas as pd

from suna.core import reference
from suna.core.errors import ParametersError, UnknownAreaError, ValidationError
from suna.indicators import stats
from suna.model import schemas
from suna.model.areas import ENGLAND_CODE, ENGLAND_NAME
from suna.model.periods import period_label
from suna.sources import published

log = logging.getLogger(__name__)

PER = 100_000
INDICATOR_ID = "drug_poisoning_deaths_ons"
SOURCE = ("ONS deaths related to drug poisoning by local authority, England and Wales, registrations 1993-2020; "
          "ONS mid-year population estimates")
LEVEL_ORDER = {"lower_tier": 0, "upper_tier": 1, "region": 2, "england": 3}
# The comparison group a row is ranked in, by its area_level, and how a caption names it.
RANK_GROUPS = {
    "lower_tier": "lower-tier authorities (districts and unitary authorities)",
    "upper_tier": "upper-tier authorities (counties and unitary authorities)",
    "region": "regions",
}
SPINE_COLUMNS = ["tier_min", "tier_p5", "tier_q25", "tier_q50", "tier_q75", "tier_p95", "tier_max"]
_SPINE_QUANTILES = dict(zip(SPINE_COLUMNS, (0.0, 0.05, 0.25, 0.5, 0.75, 0.95, 1.0)))

# Similar authorities
SIMILAR_YEAR = 2020
SIMILAR_CRS = "EPSG:27700"  # British National Grid: equal enough in area for England
AGE_GROUPS = {"aged_0_17_pct": (0, 17), "aged_18_64_pct": (18, 64), "aged_65_plus_pct": (65, 200)}
# The measures (as standardised) and their weights: four measures count equally; the three age shares
# together make one measure.
SIMILAR_WEIGHTS = {
    "imd_average_score": 1.0,
    "log_population": 1.0,
    "log_density_per_km2": 1.0,
    "aged_0_17_pct": 1 / 3,
    "aged_18_64_pct": 1 / 3,
    "aged_65_plus_pct": 1 / 3,
}
SIMILAR_METHOD = (
    "Similar authorities are SUNA's own nearest neighbours, worked out from published figures; they are not "
    "CIPFA's nearest neighbours (which use many more measures and their own weights) nor the ONS area "
    "classification. An authority is compared only with authorities of its own tier (a county or unitary "
    "authority with the other 152 upper-tier authorities; a district with the other districts and unitary "
    "authorities) on four measures, each counting equally: deprivation (English Indices of Deprivation 2025 "
    "average score; for a county, the average of its districts' scores weighted by their mid-2020 population), "
    "population size (ONS mid-2020 estimate, on a log scale), population density (persons per square kilometre, "
    "from the mid-2020 population and the area of the ONS December 2024 boundaries measured on the British "
    "National Grid, on a log scale), and age structure (the shares aged 0-17, 18-64 and 65 and over in mid-2020, "
    "which together count as one measure). Each measure is turned into a z-score across the tier, and the "
    "authorities nearest in straight-line (Euclidean) distance are the most similar."
)


# ---------------------------------------------------------------------------------------------
# Rates for every area and pooled period
# ---------------------------------------------------------------------------------------------

def drug_poisoning_rates(pooled_years: int = 3) -> pd.DataFrame:
    """Deaths related to drug poisoning per 100,000 person-years for every English area and pooled period.

    For every lower-tier authority (county district), upper-tier authority (county or unitary authority),
    region and England, and every span of ``pooled_years`` registration years that ends in 2001 + pooled_years
    - 1 ... 2020 (populations start in mid-2001; ONS pools three years for local authorities): count = deaths
    registered in the span, denominator = the sum of the span's mid-year populations (person-years), value =
    crude rate per 100,000 with Byar's 95% and 99.8% limits (exact Poisson under 10 deaths; Breslow & Day 1987
    via PHStatsMethods.ph_rate, see :func:`suna.indicators.stats.crude_rate_with_ci`). ONS rules from disclosure_rules.yaml:
    no rate under ``rates.crude_min_count`` deaths, flagged "u" under ``rates.unreliable_below``. Counts still
    pass through suna.disclosure before display.

    Cached per ``pooled_years``; each call returns a fresh copy.

    Returns:
        SUNA's indicators table (validated), one row per area and period: indicator_id, indicator_name,
        parent_code, parent_name, area_code, area_name, area_type (District, County, UA, Region, England),
        area_level (lower_tier, upper_tier, region, england; a unitary authority is one upper_tier row),
        region_code, sex, age, category_type, category, period ("2018 - 20"), start_year, end_year, value,
        value_lower_ci95, value_upper_ci95, value_lower_ci998, value_upper_ci998, count, denominator,
        value_note, recent_trend, compared_to_england, compared_to_region (both empty: see :func:`compare`),
        period_sortable, measure_type, measure, unit, polarity, disclosure_rule, source.
    """
    return _rates(int(pooled_years)).copy()


@lru_cache(maxsize=4)
def _rates(pooled_years: int) -> pd.DataFrame:
    if pooled_years < 1:
        raise ParametersError("drug_poisoning_rates", "pooled_years", f"is {pooled_years}; expected 1 or more")
    deaths = published.drug_poisoning_deaths()
    pop = published.population_totals()
    years = sorted(set(pop["year"]) & set(deaths["registration_year"]))
    if years != list(range(years[0], years[-1] + 1)) or len(years) < pooled_years:
        raise ParametersError("drug_poisoning_rates", "pooled_years",
                              f"is {pooled_years}; the published tables share the years {years[0]}-{years[-1]}")
    d = deaths.pivot(index="area_code", columns="registration_year", values="deaths").reindex(columns=years)
    p = pop.pivot(index="area_code", columns="year", values="population").reindex(index=d.index, columns=years)
    window = np.lib.stride_tricks.sliding_window_view
    # A span with a year missing sums to NaN and is left out.
    counts = window(d.to_numpy(dtype=float, na_value=np.nan), pooled_years, axis=1).sum(axis=2)
    denominators = window(p.to_numpy(dtype=float, na_value=np.nan), pooled_years, axis=1).sum(axis=2)
    ends = years[pooled_years - 1:]
    long = pd.DataFrame({
        "area_code": np.repeat(d.index.to_numpy(), len(ends)),
        "end_year": np.tile(ends, len(d.index)),
        "count": counts.ravel(),
        "denominator": denominators.ravel(),
    }).dropna(subset=["count", "denominator"])

    rules = reference.disclosure_rules()["rates"]
    rated = stats.crude_rate_with_ci(long, "count", "denominator", group_cols=["area_code", "end_year"], per=PER,
                                     min_count=int(rules["crude_min_count"]))
    unreliable = rated["count"].ge(rules["crude_min_count"]) & rated["count"].lt(rules["unreliable_below"])
    u_note = f"u: rate unreliable (fewer than {rules['unreliable_below']} deaths)"
    rated["value_note"] = rated["value_note"].where(~unreliable, u_note)

    areas = _area_table(deaths)
    out = rated.merge(areas, on="area_code", how="left", validate="many_to_one")
    start = out["end_year"] - pooled_years + 1
    labels = {end: period_label(end, pooled_years, "calendar_year") for end in ends}
    pooled = f"{pooled_years} years pooled" if pooled_years > 1 else "single years"
    table = pd.DataFrame({
        "indicator_id": INDICATOR_ID,
        "indicator_name": f"Deaths related to drug poisoning (ONS registrations), crude rate per 100,000, {pooled}",
        "parent_code": out["parent_code"],
        "parent_name": out["parent_name"],
        "area_code": out["area_code"],
        "area_name": out["area_name"],
        "area_type": out["area_type"],
        "area_level": out["area_level"],
        "region_code": out["region_code"],
        "sex": "Persons",
        "age": "All ages",
        "category_type": None,
        "category": None,
        "period": out["end_year"].map(labels),
        "start_year": start.astype(int),
        "end_year": out["end_year"].astype(int),
        **{c: out[c].astype(float) for c in ["value", *stats.CI_COLUMNS, "count", "denominator"]},
        "value_note": out["value_note"],
        "recent_trend": None,
        "compared_to_england": None,
        "compared_to_region": None,
        "period_sortable": (start * 10000).astype(float),
        "measure_type": "crude rate per 100,000",
        "measure": "crude_rate",
        "unit": "per 100,000",
        "polarity": "high_is_bad",
        "disclosure_rule": "ons_deaths",
        "source": SOURCE,
    })
    table = table.sort_values(["area_level", "area_code", "end_year"],
                              key=lambda s: s.map(LEVEL_ORDER) if s.name == "area_level" else s)
    return schemas.validate(table.reset_index(drop=True), "indicators", source="ONS published deaths and populations")


def _area_table(deaths: pd.DataFrame) -> pd.DataFrame:
    """Name, level, area type, parent and region of every area in the deaths table."""
    geo = published.geography()
    areas = deaths.drop_duplicates("area_code")[["area_code", "area_name", "area_level"]].copy()
    utla = geo.drop_duplicates("utla_code").set_index("utla_code")
    ltla = geo.set_index("ltla_code")
    regions = geo.drop_duplicates("region_code").set_index("region_code")["region_name"]
    level = areas["area_level"]
    code = areas["area_code"]
    region_code = np.select(
        [level.eq("lower_tier"), level.eq("upper_tier")],
        [code.map(ltla["region_code"]), code.map(utla["region_code"])], default=None)
    areas["region_code"] = region_code
    areas["parent_code"] = np.select(
        [level.eq("lower_tier"), level.eq("upper_tier"), level.eq("region")],
        [code.map(ltla["utla_code"]), region_code, ENGLAND_CODE], default=None)
    parent_names = {**utla["utla_name"].to_dict(), **regions.to_dict(), ENGLAND_CODE: ENGLAND_NAME}
    areas["parent_name"] = areas["parent_code"].map(parent_names)
    areas["area_type"] = np.select(
        [level.eq("lower_tier"), level.eq("upper_tier") & code.map(utla["utla_type"]).eq("county"),
         level.eq("upper_tier"), level.eq("region")],
        ["District", "County", "UA", "Region"], default="England")
    return areas


# ---------------------------------------------------------------------------------------------
# Benchmarks, ranks and England's spread
# ---------------------------------------------------------------------------------------------

def compare(rates: pd.DataFrame) -> pd.DataFrame:
    """Each area against England and its region, its rank in its tier, and England's spread for a spine chart.

    Pass the whole table for every area (as :func:`drug_poisoning_rates` gives it): ranks and spreads are taken
    over the rows given.

    Comparisons are the Fingertips way (confidence interval overlapping the benchmark's value; see
    :func:`suna.indicators.stats.compare_to_benchmark`): "Worse" when the area's lower limit is above the benchmark's
    value, "Better" when its upper limit is below it, else "Similar" (wording by the row's ``polarity``; high is
    bad for deaths); at 95% (``compared_to_england``, ``compared_to_region``) and 99.8% (``..._998``). None
    where the area has no rate, the benchmark has none, or the area is the benchmark.

    Ranks are within the period among the areas of the row's comparison group (``rank_among``): a district among
    all lower-tier authorities (districts and unitary authorities, as Fingertips' "Districts & UAs"); a county or
    unitary authority among the upper-tier authorities; a region among regions. England is not ranked.
    ``rank`` 1 is the highest rate (the worst for deaths); ties share the better rank. ``rank_of`` is how many
    areas of the group have a rate that period (a rank of 12 of 153 reads "12th highest of 153").

    Returns:
        ``rates`` with compared_to_england, compared_to_england_998, compared_to_region, compared_to_region_998
        filled or added, and england_value, region_value, rank (Int64), rank_of (Int64), rank_among, and the
        spread of the comparison group's rates that period: tier_min, tier_p5, tier_q25, tier_q50 (median),
        tier_q75, tier_p95, tier_max.

    Raises:
        ValidationError: a needed column is missing.
    """
    need = ["area_code", "area_level", "area_type", "region_code", "period", "value", *stats.CI_COLUMNS]
    missing = [c for c in need if c not in rates.columns]
    if missing:
        problems = pd.DataFrame({"column": missing, "row": None, "value": None,
                                 "expected": "this column to be present (see drug_poisoning_rates)"})
        raise ValidationError("rates", problems)
    out = rates.copy()
    polarity = out["polarity"] if "polarity" in out.columns else pd.Series("high_is_bad", index=out.index)
    england = out.loc[out["area_code"].eq(ENGLAND_CODE)].drop_duplicates("period").set_index("period")["value"]
    out["england_value"] = out["period"].map(england).astype(float)
    regions = out.loc[out["area_level"].eq("region")].drop_duplicates(["area_code", "period"])
    region_value = regions.set_index(["area_code", "period"])["value"]
    keys = pd.MultiIndex.from_arrays([out["region_code"], out["period"]])
    out["region_value"] = region_value.reindex(keys).to_numpy(dtype=float)

    no_rate = out["value"].isna()
    for bench, name in ((out["england_value"], "england"), (out["region_value"], "region")):
        skip = no_rate | bench.isna() | (out["area_code"].eq(ENGLAND_CODE) if name == "england"
                                         else ~out["area_level"].isin(["lower_tier", "upper_tier"]))
        for suffix, ci in (("", "ci95"), ("_998", "ci998")):
            words = stats.compare_to_benchmark(out["value"], out[f"value_lower_{ci}"], out[f"value_upper_{ci}"],
                                               bench, polarity)
            out[f"compared_to_{name}{suffix}"] = pd.Series(words, index=out.index, dtype="object").where(~skip, None)

    out["rank"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    out["rank_of"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    out["rank_among"] = out["area_level"].map(RANK_GROUPS)
    for col in SPINE_COLUMNS:
        out[col] = np.nan
    level = out["area_level"]
    groups = {
        "lower_tier": level.eq("lower_tier") | (level.eq("upper_tier") & out["area_type"].eq("UA")),
        "upper_tier": level.eq("upper_tier"),
        "region": level.eq("region"),
    }
    for tier, members in groups.items():
        rated = out.loc[members & ~no_rate, ["period", "value"]]
        rows = level.eq(tier)
        if rated.empty or not rows.any():
            continue
        ranks = rated.groupby("period")["value"].rank(ascending=False, method="min")
        ranked_rows = rows & ~no_rate
        out.loc[ranked_rows, "rank"] = ranks.reindex(out.index[ranked_rows]).astype("Int64")
        sizes = rated.groupby("period")["value"].size()
        out.loc[rows, "rank_of"] = out.loc[rows, "period"].map(sizes).astype("Int64")
        spread = rated.groupby("period")["value"].quantile(list(_SPINE_QUANTILES.values())).unstack()
        spread.columns = list(_SPINE_QUANTILES)
        for col in SPINE_COLUMNS:
            out.loc[rows, col] = out.loc[rows, "period"].map(spread[col]).astype(float)
    return out


# ---------------------------------------------------------------------------------------------
# Similar authorities
# ---------------------------------------------------------------------------------------------

def similarity_measures(tier: str = "upper_tier") -> pd.DataFrame:
    """The published measures similar authorities are chosen on, for every authority of a tier.

    Args:
        tier: "upper_tier" (the 153 counties and unitary authorities) or "lower_tier" (the 296 districts and
            unitary authorities).

    Returns:
        One row per authority: area_code, area_name, area_type (county, unitary, metropolitan district,
        london borough, district), region_name, imd_average_score, population (mid-2020), area_km2,
        density_per_km2, aged_0_17_pct, aged_18_64_pct, aged_65_plus_pct. See :data:`SIMILAR_METHOD`.
    """
    if tier not in ("upper_tier", "lower_tier"):
        raise ParametersError("similarity_measures", "tier", f"is {tier!r}; expected 'upper_tier' or 'lower_tier'")
    return _measures(tier).copy()


@lru_cache(maxsize=2)
def _measures(tier: str) -> pd.DataFrame:
    geo = published.geography()
    pop = published.population()
    pop = pop.loc[pop["year"].eq(SIMILAR_YEAR) & pop["area_code"].isin(geo["ltla_code"])]
    lower = pop.groupby("area_code")["population"].sum().rename("population").to_frame()
    for col, (lo, hi) in AGE_GROUPS.items():
        lower[col] = pop.loc[pop["age"].between(lo, hi)].groupby("area_code")["population"].sum()
    imd = published.deprivation().set_index("area_code")["imd_average_score"]
    lower["imd_weighted"] = imd.reindex(lower.index) * lower["population"]
    lower["area_km2"] = _areas_km2().reindex(lower.index)
    gaps = lower.index[lower[["imd_weighted", "area_km2"]].isna().any(axis=1)]
    if len(gaps):
        raise ValidationError("similarity measures", pd.DataFrame(
            {"column": "area_code", "row": None, "value": list(gaps),
             "expected": "a lower-tier authority with an IMD 2025 score and a boundary"}))
    lower = lower.join(geo.set_index("ltla_code"))
    if tier == "upper_tier":
        keys = ["utla_code", "utla_name", "utla_type", "region_name"]
        summed = lower.groupby(keys, as_index=False)[["population", *AGE_GROUPS, "imd_weighted", "area_km2"]].sum()
        table = summed.rename(columns={"utla_code": "area_code", "utla_name": "area_name", "utla_type": "area_type"})
    else:
        table = lower.reset_index().rename(columns={"ltla_name": "area_name"})
        table["area_type"] = np.where(table["utla_type"].eq("county"), "district", table["utla_type"])
    table["imd_average_score"] = table["imd_weighted"] / table["population"]
    table["density_per_km2"] = table["population"] / table["area_km2"]
    for col in AGE_GROUPS:
        table[col] = 100 * table[col] / table["population"]
    cols = ["area_code", "area_name", "area_type", "region_name", "imd_average_score", "population", "area_km2",
            "density_per_km2", *AGE_GROUPS]
    return table[cols].sort_values("area_code").reset_index(drop=True)


@lru_cache(maxsize=1)
def _areas_km2() -> pd.Series:
    """Area (km²) of every lower-tier authority from the shipped ONS boundaries, measured on the British National Grid."""
    import geopandas as gpd

    shapes = gpd.read_file(published.path(published.LAD_BOUNDARIES))
    code = next(c for c in shapes.columns if c.upper().startswith("LAD") and c.upper().endswith("CD"))
    area = shapes.to_crs(SIMILAR_CRS).geometry.area / 1e6
    return pd.Series(area.to_numpy(), index=shapes[code].to_numpy(), name="area_km2").groupby(level=0).sum()


@lru_cache(maxsize=2)
def _standardised(tier: str) -> pd.DataFrame:
    """z-scores of the similarity measures across the tier, indexed by area code (weights not yet applied)."""
    m = _measures(tier).set_index("area_code")
    x = pd.DataFrame({
        "imd_average_score": m["imd_average_score"],
        "log_population": np.log(m["population"]),
        "log_density_per_km2": np.log(m["density_per_km2"]),
        **{c: m[c] for c in AGE_GROUPS},
    })
    return (x - x.mean()) / x.std(ddof=0)


def _tier_of(code: str) -> str:
    if code in set(_measures("upper_tier")["area_code"]):
        return "upper_tier"
    if code in set(_measures("lower_tier")["area_code"]):
        return "lower_tier"
    known = sorted(set(_measures("upper_tier")["area_code"]) | set(_measures("lower_tier")["area_code"]))
    raise UnknownAreaError(code, known, kind="local authority code")


def similar_authorities(code: str, n: int = 10, tier: str | None = None) -> pd.DataFrame:
    """The ``n`` authorities of the same tier most like ``code`` on published measures (see :data:`SIMILAR_METHOD`).

    Args:
        code: a local authority's GSS code (April 2023 authorities).
        n: how many neighbours.
        tier: "upper_tier" or "lower_tier"; default upper tier for a county or unitary authority, lower tier for
            a district. (A unitary authority is both; give "lower_tier" to compare it with districts too.)

    Returns:
        ``n`` rows, nearest first, never the authority itself: similarity_rank (1 = most similar), area_code,
        area_name, area_type, region_name, distance (Euclidean, in weighted z-score units), and the measures of
        :func:`similarity_measures`.

    Raises:
        UnknownAreaError: ``code`` is not an English local authority.
    """
    tier = tier or _tier_of(code)
    z = _standardised(tier)
    if code not in z.index:
        raise UnknownAreaError(code, sorted(z.index), kind=f"{tier.replace('_', '-')} authority code")
    if n < 1:
        raise ParametersError("similar_authorities", "n", f"is {n}; expected 1 or more")
    weights = pd.Series(SIMILAR_WEIGHTS)[z.columns]
    distance = np.sqrt((((z - z.loc[code]) ** 2) * weights).sum(axis=1)).rename("distance")
    order = distance.drop(code).reset_index().sort_values(["distance", "area_code"], kind="stable").head(n)
    out = order.merge(_measures(tier), on="area_code", how="left")
    out.insert(0, "similar_rank", np.arange(1, len(out) + 1))
    cols = ["similar_rank", "area_code", "area_name", "area_type", "region_name", "distance",
            *[c for c in _measures(tier).columns if c not in ("area_code", "area_name", "area_type", "region_name")]]
    return out[cols].reset_index(drop=True)


def similar_comparison(code: str, rates: pd.DataFrame, n: int = 10, tier: str | None = None) -> pd.DataFrame:
    """An authority's rate in the latest period against the mean and range of its similar authorities.

    Args:
        code: the authority.
        rates: a rates table for every area (:func:`drug_poisoning_rates`, or :func:`compare`'s output).
        n, tier: as :func:`similar_authorities`.

    Returns:
        One row: area_code, area_name, period, value, value_lower_ci95, value_upper_ci95, count, value_note,
        similar_n (neighbours), similar_with_rate (those with a rate that period), similar_mean (unweighted mean
        of their rates), similar_min, similar_min_name, similar_max, similar_max_name, rank_among_similar
        (1 = highest rate among the authority and its neighbours with a rate), rank_among_similar_of,
        compared_to_similar (the authority's 95% interval against the neighbours' mean, Fingertips wording by
        polarity; None without a rate) and similar_codes (the neighbours' codes, nearest first, comma-separated).
    """
    neighbours = similar_authorities(code, n=n, tier=tier)
    latest = rates.loc[rates["period_sortable"].eq(rates["period_sortable"].max())]
    latest = latest.drop_duplicates("area_code").set_index("area_code")
    if code not in latest.index:
        raise UnknownAreaError(code, sorted(latest.index), kind="area code in the rates table")
    own = latest.loc[code]
    near = latest.reindex(neighbours["area_code"])
    near_names = neighbours.set_index("area_code")["area_name"]
    valued = near["value"].dropna()
    has = len(valued) > 0
    mean = float(valued.mean()) if has else np.nan
    rated = pd.concat([valued, pd.Series([own["value"]], index=[code])]).dropna()
    rank = (int((rated > own["value"]).sum()) + 1) if pd.notna(own["value"]) else pd.NA
    polarity = own["polarity"] if "polarity" in latest.columns else "high_is_bad"
    compared = stats.compare_to_benchmark(own["value"], own["value_lower_ci95"], own["value_upper_ci95"], mean, polarity)
    return pd.DataFrame([{
        "area_code": code,
        "area_name": own["area_name"],
        "period": own["period"],
        "value": float(own["value"]),
        "value_lower_ci95": float(own["value_lower_ci95"]),
        "value_upper_ci95": float(own["value_upper_ci95"]),
        "count": float(own["count"]),
        "value_note": own["value_note"],
        "similar_n": len(neighbours),
        "similar_with_rate": len(valued),
        "similar_mean": mean,
        "similar_min": float(valued.min()) if has else np.nan,
        "similar_min_name": near_names[valued.idxmin()] if has else None,
        "similar_max": float(valued.max()) if has else np.nan,
        "similar_max_name": near_names[valued.idxmax()] if has else None,
        "rank_among_similar": rank,
        "rank_among_similar_of": len(rated),
        "compared_to_similar": None if compared == "Not compared" else compared,
        "similar_codes": ",".join(neighbours["area_code"]),
    }])
