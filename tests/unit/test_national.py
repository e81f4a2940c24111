"""Every authority compared from the same published tables: rates, benchmarks, ranks, spreads, similar authorities."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from suna.core import reference
from suna.indicators import national
from suna.sources import published

SEFTON, HALTON, WORCESTERSHIRE, ESSEX = "E08000014", "E06000006", "E10000034", "E10000012"
ENGLAND = "E92000001"
NORTH_WEST = "E12000002"


@pytest.fixture(scope="module")
def rates() -> pd.DataFrame:
    return national.drug_poisoning_rates()


@pytest.fixture(scope="module")
def compared(rates) -> pd.DataFrame:
    return national.compare(rates)


def _row(table: pd.DataFrame, code: str, period: str = "2018 - 20") -> pd.Series:
    got = table.loc[table["area_code"].eq(code) & table["period"].eq(period)]
    assert len(got) == 1, (code, period)
    return got.iloc[0]


def test_every_area_and_pooled_period_ending_2003_to_2020(rates):
    assert sorted(rates["end_year"].unique()) == list(range(2003, 2021))
    assert rates["period"].iloc[0].count(" - ") == 1
    assert _row(rates, SEFTON)["start_year"] == 2018
    levels = rates.drop_duplicates("area_code")["area_level"].value_counts()
    assert levels["upper_tier"] == 153 and levels["region"] == 9 and levels["england"] == 1
    # Every county district and unitary authority: the 296 lower-tier authorities of April 2023.
    lower = set(rates.loc[rates["area_level"].eq("lower_tier") | rates["area_type"].eq("UA"), "area_code"])
    assert lower == set(published.geography()["ltla_code"])
    assert not rates.duplicated(["area_code", "period"]).any()


def test_sefton_2018_20_count_and_person_years_are_the_published_figures(rates):
    deaths = published.drug_poisoning_deaths().set_index(["area_code", "registration_year"])["deaths"]
    assert [deaths[(SEFTON, y)] for y in (2018, 2019, 2020)] == [21, 27, 28]
    pop = published.population_totals().set_index(["area_code", "year"])["population"]
    populations = [pop[(SEFTON, y)] for y in (2018, 2019, 2020)]
    assert 275_899 in populations  # Sefton mid-2020, as ONS publishes it
    row = _row(rates, SEFTON)
    assert row["count"] == 21 + 27 + 28 == 76
    assert row["denominator"] == sum(populations)
    assert row["value"] == pytest.approx(100_000 * 76 / sum(populations))


def test_england_2018_20_count(rates):
    assert _row(rates, ENGLAND)["count"] == 3_983 + 4_115 + 4_312


def test_rates_and_limits(rates):
    rated = rates.loc[rates["value"].notna()]
    assert np.allclose(rated["value"], 100_000 * rated["count"] / rated["denominator"])
    assert (rated["value_lower_ci95"] <= rated["value"]).all() and (rated["value"] <= rated["value_upper_ci95"]).all()
    assert (rated["value_lower_ci998"] < rated["value_lower_ci95"]).all()
    assert (rated["value_upper_ci998"] > rated["value_upper_ci95"]).all()


def test_ons_rules_no_rate_under_the_minimum_and_u_under_twenty(rates):
    rules = reference.disclosure_rules()["rates"]
    few = rates["count"] < rules["crude_min_count"]
    assert few.any()
    assert rates.loc[few, ["value", "value_lower_ci95", "value_upper_ci998"]].isna().all().all()
    assert rates.loc[few, "value_note"].str.startswith("Rate not calculated").all()
    unreliable = ~few & (rates["count"] < rules["unreliable_below"])
    assert rates.loc[unreliable, "value_note"].str.startswith("u:").all()
    assert rates.loc[rates["count"] >= rules["unreliable_below"], "value_note"].isna().all()


def test_rank_one_is_the_highest_and_ranks_are_a_permutation(compared):
    upper = compared.loc[compared["area_level"].eq("upper_tier") & compared["value"].notna()]
    for _, group in upper.groupby("period"):
        assert sorted(group["rank"]) == list(range(1, len(group) + 1))
        assert (group["rank_of"] == len(group)).all()
        assert group.loc[group["rank"].eq(1), "value"].iloc[0] == group["value"].max()
    # Districts are ranked among all lower-tier authorities: the districts and the unitary authorities.
    period = compared.loc[compared["period"].eq("2018 - 20")]
    pool = period.loc[(period["area_level"].eq("lower_tier") | period["area_type"].eq("UA")) & period["value"].notna()]
    districts = period.loc[period["area_level"].eq("lower_tier") & period["value"].notna()]
    expected = districts["value"].map(lambda v: int((pool["value"] > v).sum()) + 1)
    assert (districts["rank"] == expected).all()
    assert (districts["rank_of"] == len(pool)).all()
    assert _row(compared, SEFTON)["rank_of"] == len(period.loc[period["area_level"].eq("upper_tier") & period["value"].notna()])


def test_compared_to_england_and_region(compared):
    worse = compared["value_lower_ci95"] > compared["england_value"]
    worse &= compared["area_code"].ne(ENGLAND)
    assert worse.any()
    assert (compared.loc[worse, "compared_to_england"] == "Worse").all()
    better = (compared["value_upper_ci95"] < compared["england_value"]) & compared["area_code"].ne(ENGLAND)
    assert (compared.loc[better, "compared_to_england"] == "Better").all()
    assert compared.loc[compared["value"].isna(), ["compared_to_england", "compared_to_region"]].isna().all().all()
    assert compared.loc[compared["area_code"].eq(ENGLAND), "compared_to_england"].isna().all()
    sefton = _row(compared, SEFTON)
    assert sefton["region_value"] == _row(compared, NORTH_WEST)["value"]
    assert sefton["england_value"] == _row(compared, ENGLAND)["value"]


def test_spine_spread_is_ordered(compared):
    spine = compared.loc[compared["area_level"].isin(["upper_tier", "lower_tier", "region"]), national.SPINE_COLUMNS]
    assert spine.notna().all().all()
    assert (spine.diff(axis=1).iloc[:, 1:] >= 0).all().all()  # min <= p5 <= q25 <= median <= q75 <= p95 <= max
    upper = compared.loc[compared["area_level"].eq("upper_tier") & compared["period"].eq("2018 - 20")]
    assert upper["tier_q50"].iloc[0] == pytest.approx(upper["value"].median())
    assert upper["tier_max"].iloc[0] == upper["value"].max()


def test_comparison_rule_on_a_hand_made_table():
    def area(code, level, area_type, value, ci95, ci998, region=NORTH_WEST):
        return {"area_code": code, "area_level": level, "area_type": area_type, "region_code": region,
                "period": "2018 - 20", "value": value, "value_lower_ci95": ci95[0], "value_upper_ci95": ci95[1],
                "value_lower_ci998": ci998[0], "value_upper_ci998": ci998[1], "polarity": "high_is_bad"}

    nan = (np.nan, np.nan)
    table = pd.DataFrame([
        area(ENGLAND, "england", "England", 10.0, (9.9, 10.1), (9.8, 10.2), region=None),
        area(NORTH_WEST, "region", "Region", 12.0, (11.0, 13.0), (10.5, 13.5), region=None),
        area("above", "upper_tier", "UA", 14.0, (12.5, 16.0), (11.0, 17.0)),
        area("overlapping", "upper_tier", "UA", 11.0, (9.0, 13.0), (8.0, 14.0)),
        area("below", "upper_tier", "UA", 6.0, (5.0, 8.0), (4.0, 9.0)),
        area("only_at_95", "upper_tier", "UA", 12.0, (10.5, 14.0), (9.5, 15.0)),
        area("no_rate", "upper_tier", "UA", np.nan, nan, nan),
    ])
    out = national.compare(table).set_index("area_code")
    assert out.loc["above", "compared_to_england"] == "Worse"
    assert out.loc["overlapping", "compared_to_england"] == "Similar"
    assert out.loc["below", "compared_to_england"] == "Better"
    assert out.loc["only_at_95", "compared_to_england"] == "Worse"
    assert out.loc["only_at_95", "compared_to_england_998"] == "Similar"
    assert out.loc["above", "compared_to_region"] == "Worse"  # 12.5 > 12
    assert out.loc["overlapping", "compared_to_region"] == "Similar"
    assert out.loc["below", "compared_to_region"] == "Better"
    assert out.loc["no_rate", ["compared_to_england", "compared_to_region", "rank"]].isna().all()
    assert out.loc[NORTH_WEST, "compared_to_england"] == "Worse" and pd.isna(out.loc[NORTH_WEST, "compared_to_region"])
    assert out.loc[["above", "only_at_95", "overlapping", "below"], "rank"].tolist() == [1, 2, 3, 4]
    assert (out.loc[["above", "no_rate"], "rank_of"] == 4).all()
    assert out.loc["above", "tier_min"] == 6.0 and out.loc["above", "tier_max"] == 14.0
    assert out.loc["above", "tier_q50"] == 11.5


def test_similar_authorities_are_of_the_same_tier():
    essex = national.similar_authorities(ESSEX)
    assert len(essex) == 10 and ESSEX not in set(essex["area_code"])
    assert (essex["area_type"] == "county").all()
    assert essex["distance"].is_monotonic_increasing
    sefton = national.similar_authorities(SEFTON)
    assert SEFTON not in set(sefton["area_code"])
    assert not (sefton["area_type"] == "county").any()
    assert (sefton["region_name"] == "North West").sum() >= 2
    assert (sefton["area_type"] == "metropolitan district").sum() >= 5
    pd.testing.assert_frame_equal(sefton, national.similar_authorities(SEFTON))
    district = national.similar_authorities("E07000066", n=5)  # Basildon: a district among districts and UAs
    assert len(district) == 5 and not (district["area_type"] == "county").any()


def test_similarity_measures_follow_the_method():
    upper = national.similarity_measures("upper_tier").set_index("area_code")
    lower = national.similarity_measures("lower_tier").set_index("area_code")
    assert len(upper) == 153 and len(lower) == 296
    geo = published.geography()
    essex_districts = geo.loc[geo["utla_code"].eq(ESSEX), "ltla_code"]
    parts = lower.loc[essex_districts]
    assert upper.loc[ESSEX, "population"] == parts["population"].sum()
    assert upper.loc[ESSEX, "area_km2"] == pytest.approx(parts["area_km2"].sum())
    weighted = (parts["imd_average_score"] * parts["population"]).sum() / parts["population"].sum()
    assert upper.loc[ESSEX, "imd_average_score"] == pytest.approx(weighted)
    pop = published.population_totals().set_index(["area_code", "year"])["population"]
    assert upper.loc[SEFTON, "population"] == pop[(SEFTON, 2020)]
    shares = upper[["aged_0_17_pct", "aged_18_64_pct", "aged_65_plus_pct"]].sum(axis=1)
    assert np.allclose(shares, 100)
    assert 500 < upper.loc[SEFTON, "density_per_km2"] < 3000  # Sefton: about 155 km²
    assert "not CIPFA" in national.SIMILAR_METHOD or "not CIPFA's" in national.SIMILAR_METHOD


def test_similar_comparison(compared):
    got = national.similar_comparison(SEFTON, compared).iloc[0]
    neighbours = national.similar_authorities(SEFTON)
    latest = compared.loc[compared["period"].eq("2018 - 20")].set_index("area_code")
    values = latest.loc[neighbours["area_code"], "value"]
    assert got["period"] == "2018 - 20" and got["value"] == latest.loc[SEFTON, "value"]
    assert got["similar_mean"] == pytest.approx(values.mean())
    assert got["similar_min"] == values.min() and got["similar_max"] == values.max()
    assert got["rank_among_similar_of"] == 11
    assert got["compared_to_similar"] in ("Better", "Similar", "Worse")
