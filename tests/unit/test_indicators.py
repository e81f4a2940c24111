"""suna.indicators: the catalogue computed for the four sample areas, checked against the raw tables by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from suna import cli, indicators
from suna.core import reference
from suna.core.errors import ParametersError
from suna.indicators import stats
from suna.model import areas, schemas
from suna.sources import store

pytestmark = pytest.mark.slow  # loads or computes the sample areas' protected indicators: not in `make test-fast`

AREAS = ("essex", "worcestershire", "sefton", "halton")
DRUG_GROUPS = ("Opiate", "Non-opiate only", "Non-opiate and alcohol")


@pytest.fixture(scope="module")
def computed() -> dict[str, tuple[areas.Area, dict[str, pd.DataFrame], pd.DataFrame]]:
    out = {}
    for slug in AREAS:
        area = areas.load_area(slug)
        tables = store.load_tables(area)
        out[slug] = (area, tables, indicators.compute_indicators(area, tables, period=area.period))
    return out


def rows(table: pd.DataFrame, ind: str, area_code: str, period: str, sex: str = "Persons",
         category: str | None = None, category_type: str = "Substance group") -> pd.Series:
    sel = table[(table["indicator_id"] == ind) & (table["area_code"] == area_code) & (table["period"] == period)
                & (table["sex"] == sex)]
    sel = sel[sel["category"].isna()] if category is None else sel[
        (sel["category"] == category) & (sel["category_type"] == category_type)]
    assert len(sel) == 1, (ind, area_code, period, sex, category, len(sel))
    return sel.iloc[0]


# ------------------------------------------------------------------------------------------------
# Shape of the table
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", AREAS)
def test_every_catalogue_indicator_is_present_for_the_area_and_each_district(computed, slug: str) -> None:
    area, _, table = computed[slug]
    prevalence = indicators.prevalence_estimates()
    for ind, spec in indicators.catalogue().items():
        got = table[table["indicator_id"] == ind]
        if spec.get("table") == indicators.PUBLISHED:
            assert got.empty, f"{ind} comes from published tables through the pipeline, not from record-level data"
            continue
        if spec.get("prevalence"):
            has_estimate = ((prevalence["area_code"] == area.code) & (prevalence["prevalence"] == spec["prevalence"])).any()
            assert (got["area_code"] == area.code).any() == has_estimate, ind
            assert set(got["area_code"]) <= {area.code, areas.ENGLAND_CODE, area.region_code}
            continue
        assert set(area.district_codes) | {area.code} <= set(got["area_code"]), ind
        assert {"Persons", "Male", "Female"} == set(got.loc[got["area_code"] == area.code, "sex"]), ind
        assert got.loc[got["area_code"] == area.code, "period"].nunique() >= 5, ind


@pytest.mark.parametrize("slug", AREAS)
def test_table_has_the_contract_columns_and_values(computed, slug: str) -> None:
    area, _, table = computed[slug]
    assert list(table.columns) == [*schemas.INDICATOR_COLUMNS, *indicators.EXTRA_COLUMNS]
    schemas.validate(table, "indicators")
    assert set(table["measure"]) <= set(indicators.MEASURES)
    assert set(table["area_type"]) <= {"England", "Region", "County", "UA", "District", "MSOA"}
    own = table[table["area_code"] == area.code]
    assert set(own["parent_code"]) == {area.region_code}
    districts = table[table["area_code"].isin(area.district_codes)]
    assert set(districts["parent_code"]) == {area.code}
    assert set(districts["area_type"]) == {"MSOA" if "MSOA" in area.district_type else "District"}
    keys = ["indicator_id", "area_code", "period", "sex", "age", "category_type", "category"]
    assert not table.duplicated(keys).any()
    assert table["period_sortable"].notna().all()
    rates = table[table["measure"].isin(["crude_rate", "dsr", "proportion"]) & table["value"].notna()]
    has_ci = rates["value_lower_ci95"].notna()
    assert (rates.loc[has_ci, "value_lower_ci95"] <= rates.loc[has_ci, "value"] + 1e-9).all()
    assert (rates.loc[has_ci, "value_upper_ci95"] >= rates.loc[has_ci, "value"] - 1e-9).all()
    assert (rates.loc[has_ci, "value_lower_ci998"] <= rates.loc[has_ci, "value_lower_ci95"] + 1e-9).all()


def test_periods_are_labelled_the_fingertips_way(computed) -> None:
    _, _, table = computed["essex"]
    periods = table.groupby("indicator_id")["period"].agg(set)
    assert "2023/24" in periods["adults_in_treatment"]
    assert "2021 - 23" in periods["drug_misuse_deaths"] and "2011 - 13" in periods["drug_misuse_deaths"]
    assert "2021/22 - 23/24" in periods["substance_misuse_admissions_15_24"]
    pooled = table[table["period"] == "2021 - 23"]
    assert set(pooled["period_sortable"]) == {20210000}


def test_period_parameter_leaves_out_later_periods(computed) -> None:
    area, tables, _ = computed["worcestershire"]
    early = indicators.compute_indicators(area, tables, period="2018/19", indicators=["drug_misuse_deaths", "adults_in_treatment"])
    assert early.loc[early["indicator_id"] == "adults_in_treatment", "period"].max() == "2018/19"
    assert early.loc[early["indicator_id"] == "drug_misuse_deaths", "period"].max() == "2016 - 18"
    with pytest.raises(ParametersError, match="period"):
        indicators.compute_indicators(area, tables, period="2018-19")
    with pytest.raises(ParametersError, match="no_such_indicator"):
        indicators.compute_indicators(area, tables, indicators=["no_such_indicator"])


# ------------------------------------------------------------------------------------------------
# Additivity
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", AREAS)
def test_district_rows_sum_to_the_area_where_additive(computed, slug: str) -> None:
    area, _, table = computed[slug]
    computed_rows = table[table["area_code"].isin([area.code, *area.district_codes])]
    additive = computed_rows[~computed_rows["indicator_id"].str.startswith("unmet_need")]
    key = ["indicator_id", "period", "sex", "category_type", "category"]
    k = additive[key].astype(object).where(additive[key].notna(), "")
    frame = additive.assign(**{c: k[c] for c in key})
    whole = frame[frame["area_code"] == area.code].set_index(key)
    parts = frame[frame["area_code"] != area.code].groupby(key)[["count", "denominator"]].sum(min_count=1)
    joined = whole[["count", "denominator"]].join(parts.add_suffix("_districts"))
    assert np.allclose(joined["count"], joined["count_districts"])
    den = joined["denominator"].notna()
    assert np.allclose(joined.loc[den, "denominator"], joined.loc[den, "denominator_districts"])
    # Persons = Male + Female (age groups are for persons only), and a breakdown's categories add up to its total
    by_sex = frame[frame["category_type"] != "Age group"].pivot_table(
        index=["indicator_id", "area_code", "period", "category_type", "category"], columns="sex", values="count", aggfunc="sum")
    assert np.allclose(by_sex["Persons"], by_sex["Male"] + by_sex["Female"])
    totals = frame[frame["category_type"] == ""].set_index(["indicator_id", "area_code", "period", "sex"])["count"]
    for ctype in ("Substance group", "Age group"):
        cats = frame[frame["category_type"] == ctype].groupby(["indicator_id", "area_code", "period", "sex"])["count"].sum()
        assert len(cats) and np.allclose(cats, totals.reindex(cats.index)), ctype


# ------------------------------------------------------------------------------------------------
# Hand recomputation from the raw tables: one district, one indicator of each measure
# ------------------------------------------------------------------------------------------------


def adults_in_treatment(t: pd.DataFrame, fy: int) -> pd.DataFrame:
    first, last = pd.Timestamp(fy, 4, 1), pd.Timestamp(fy + 1, 3, 31)
    x = t[t["age_years"].ge(18) & t["start_date"].le(last) & (t["discharge_date"].isna() | t["discharge_date"].ge(first))]
    return x


def test_count_matches_a_hand_count(computed) -> None:
    area, tables, table = computed["worcestershire"]
    district = "E07000237"   # Worcester
    x = adults_in_treatment(tables["treatment"], 2020)
    # one district per client: that of the latest episode open in the year
    latest = x.sort_values(["client_id", "start_date", "episode_id"]).groupby("client_id").tail(1)
    expected = int((latest["district_code"] == district).sum())
    assert rows(table, "adults_in_treatment", district, "2020/21")["count"] == expected
    assert rows(table, "adults_in_treatment", district, "2020/21")["value"] == expected
    assert rows(table, "adults_in_treatment", area.code, "2020/21")["count"] == x["client_id"].nunique()


def test_proportion_matches_a_hand_calculation(computed) -> None:
    _, tables, table = computed["essex"]
    district = "E07000076"   # Tendring
    t = tables["treatment"]
    first, last = pd.Timestamp(2022, 4, 1), pd.Timestamp(2023, 3, 31)
    starts = t[t["age_years"].ge(18) & t["start_date"].between(first, last)]
    starts = starts.sort_values(["client_id", "start_date", "episode_id"]).drop_duplicates("client_id")
    mine = starts[starts["district_code"] == district]
    num = int(((mine["start_date"] - mine["referral_date"]).dt.days <= 21).sum())
    den = len(mine)
    row = rows(table, "waiting_within_3_weeks", district, "2022/23")
    assert (row["count"], row["denominator"]) == (num, den)
    assert row["value"] == pytest.approx(100 * num / den)
    lo, up = stats.wilson_interval(num, den)
    assert (row["value_lower_ci95"], row["value_upper_ci95"]) == pytest.approx((100 * lo, 100 * up))


def test_crude_rate_matches_a_hand_calculation(computed) -> None:
    _, tables, table = computed["essex"]
    district = "E07000070"   # Chelmsford
    a = tables["admissions"]
    a = a[(a["district_code"] == district) & a["age_years"].between(15, 24)
          & a["admission_date"].between(pd.Timestamp(2021, 4, 1), pd.Timestamp(2024, 3, 31))]
    events = int(reference.icd10_matches(a["primary_diagnosis"], "substance_misuse_15_24").sum())
    p = tables["population"]
    pop = p[(p["area_code"] == district) & p["year"].isin([2021, 2022, 2023]) & p["age_band"].isin(["15-19", "20-24"])]
    pop = float(pop["population_count"].sum())
    row = rows(table, "substance_misuse_admissions_15_24", district, "2021/22 - 23/24")
    assert (row["count"], row["denominator"]) == (events, pop)
    assert row["value"] == pytest.approx(events / pop * 1e5)
    lo, up = stats.byars_interval(events)
    assert (row["value_lower_ci95"], row["value_upper_ci95"]) == pytest.approx((lo / pop * 1e5, up / pop * 1e5))


def test_dsr_matches_a_hand_calculation(computed) -> None:
    _, tables, table = computed["sefton"]
    d = tables["deaths"]
    d = d[d["registration_date"].dt.year.between(2019, 2023)]
    misuse = reference.icd10_matches(d["underlying_cause"], "drug_misuse_death_dependence") | (
        reference.icd10_matches(d["underlying_cause"], "drug_poisoning_death") & d["has_controlled_drug_mention"])
    d = d[misuse & d["registration_date"].dt.year.between(2021, 2023)]
    esp = reference.esp2013()
    d = d.assign(age_band=reference.age_band_of(d["age_years"].astype(float)))
    o = d.groupby("age_band").size().reindex(esp["age_band"], fill_value=0).to_numpy(float)
    p = tables["population"]
    n = p[p["year"].isin([2021, 2022, 2023])].groupby("age_band")["population_count"].sum().reindex(esp["age_band"]).to_numpy(float)
    w = esp["esp2013_population"].to_numpy(float)
    dsr = (w * o / n).sum() / w.sum() * 1e5
    var = (w ** 2 * o / n ** 2).sum() / w.sum() ** 2
    total = o.sum()
    lo, up = stats.byars_interval(total)
    row = rows(table, "drug_misuse_deaths", "E08000014", "2021 - 23")
    assert row["count"] == total and row["value"] == pytest.approx(dsr)
    assert row["value_lower_ci95"] == pytest.approx(dsr + math.sqrt(var / total) * (lo - total) * 1e5)
    assert row["value_upper_ci95"] == pytest.approx(dsr + math.sqrt(var / total) * (up - total) * 1e5)


def test_alcohol_specific_admissions_count_secondary_diagnoses(computed) -> None:
    _, tables, table = computed["halton"]
    a = tables["admissions"]
    a = a[a["admission_date"].between(pd.Timestamp(2019, 4, 1), pd.Timestamp(2020, 3, 31))]
    secondary = a["secondary_diagnoses"].fillna("").str.split(";").explode()
    sec_hit = reference.icd10_matches(secondary, "alcohol_specific").groupby(level=0).any()
    hit = reference.icd10_matches(a["primary_diagnosis"], "alcohol_specific") | sec_hit.reindex(a.index, fill_value=False)
    assert sec_hit.sum() > 0 and (sec_hit & ~reference.icd10_matches(a["primary_diagnosis"], "alcohol_specific")).sum() > 0
    assert rows(table, "alcohol_specific_admissions", "E06000006", "2019/20")["count"] == int(hit.sum())


def test_small_counts_give_no_rate_and_zero_counts_do_not_crash(computed) -> None:
    area, tables, _ = computed["halton"]
    deaths = tables["deaths"]
    quiet = area.district_codes[0]
    trimmed = {**tables, "deaths": deaths[deaths["district_code"] != quiet]}
    out = indicators.compute_indicators(area, trimmed, indicators=["drug_misuse_deaths", "drug_poisoning_deaths"])
    zero = out[(out["area_code"] == quiet)]
    assert len(zero) and (zero["count"] == 0).all() and zero["value"].isna().all()
    small = out[out["count"].between(1, 9) & out["measure"].eq("dsr")]
    assert len(small) and small["value"].isna().all()


# ------------------------------------------------------------------------------------------------
# Age groups of the admissions indicators: crude rates for persons, in the table's long layout
# ------------------------------------------------------------------------------------------------


def tiny_admissions(area: areas.Area) -> dict[str, pd.DataFrame]:
    """Alcohol-specific admissions in one district in 2023/24 at chosen ages, and 1,000 people in every
    five-year band, sex and district: each age group's count and population can be worked out by hand."""
    ages = [15, 16, 17, 18, 19, 39, 40, 65, 70, 90] + [50] * 12      # 13 aged 40-64: Byar's interval (10 or more)
    admissions = pd.DataFrame({
        "admission_id": [f"a{i}" for i in range(len(ages))],
        "admission_date": pd.Timestamp(2023, 6, 1), "district_code": area.district_codes[0],
        "sex": ["Male", "Female"] * (len(ages) // 2) + ["Male"] * (len(ages) % 2),
        "age_years": pd.array(ages, dtype="Int64"), "primary_diagnosis": "K700", "secondary_diagnoses": None})
    bands = reference.esp2013()["age_band"]
    population = pd.MultiIndex.from_product([area.district_codes, [2023], ["Male", "Female"], bands],
                                            names=["area_code", "year", "sex", "age_band"]).to_frame(index=False)
    return {"admissions": admissions, "population": population.assign(population_count=1000.0)}


def test_age_group_rates_match_a_hand_calculation() -> None:
    area = areas.load_area("worcestershire")
    table = indicators.compute_indicators(area, tiny_admissions(area), indicators=["alcohol_specific_admissions"])
    district = area.district_codes[0]
    # persons: under 18 = 0-4, 5-9, 10-14 and 3/5 of 15-19; 18-39 = 2/5 of 15-19 and four bands; 40-64 five; 65+ six
    expected = {"<18 yrs": (3, 2 * 3600), "18-39 yrs": (3, 2 * 4400), "40-64 yrs": (13, 2 * 5000), "65+ yrs": (3, 2 * 6000)}
    for label, (count, population) in expected.items():
        row = rows(table, "alcohol_specific_admissions", district, "2023/24", category=label, category_type="Age group")
        assert (row["count"], row["denominator"]) == pytest.approx((count, population))
        assert row["value"] == pytest.approx(count / population * 1e5)
        lo, up = stats.byars_interval(count)
        assert (row["value_lower_ci95"], row["value_upper_ci95"]) == pytest.approx((lo / population * 1e5, up / population * 1e5))
        assert row["age"] == "All ages" and row["compared_to_england"] == "Not compared"
        whole = rows(table, "alcohol_specific_admissions", area.code, "2023/24", category=label, category_type="Age group")
        assert (whole["count"], whole["denominator"]) == pytest.approx((count, population * len(area.district_codes)))
    quiet = rows(table, "alcohol_specific_admissions", area.district_codes[1], "2023/24", category="<18 yrs", category_type="Age group")
    assert quiet["count"] == 0 and quiet["denominator"] == pytest.approx(7200)
    assert rows(table, "alcohol_specific_admissions", district, "2023/24")["count"] == 22


@pytest.mark.parametrize("slug", ["essex", "halton"])
def test_age_groups_are_persons_rows_that_add_up_to_all_ages(computed, slug: str) -> None:
    area, _, table = computed[slug]
    groups = table[table["category_type"] == "Age group"]
    with_groups = {i for i, spec in indicators.catalogue().items() if spec.get("age_groups")}
    assert set(groups["indicator_id"]) == with_groups == {
        "alcohol_specific_admissions", "drug_poisoning_admissions", "drug_mental_behavioural_admissions"}
    assert set(groups["sex"]) == {"Persons"} and set(groups["age"]) == {"All ages"}
    assert set(groups["area_code"]) == {area.code, *area.district_codes}       # no England or region rows: none published
    labels = groups.groupby("indicator_id")["category"].agg(set)
    assert labels["alcohol_specific_admissions"] == {"<18 yrs", "18-39 yrs", "40-64 yrs", "65+ yrs"}
    assert labels["drug_poisoning_admissions"] == {"<25 yrs", "25-34 yrs", "35-44 yrs", "45-64 yrs", "65+ yrs"}
    key = ["indicator_id", "area_code", "period"]
    summed = groups.groupby(key)[["count", "denominator"]].sum()
    persons = table[(table["sex"] == "Persons") & table["category_type"].isna()].set_index(key)
    assert np.allclose(summed["count"], persons.loc[summed.index, "count"])
    assert np.allclose(summed["denominator"], persons.loc[summed.index, "denominator"])
    # crude rates of the group's own count and population (the headline stays a DSR)
    rated = groups[groups["count"] >= 3]
    assert np.allclose(rated["value"], rated["count"] / rated["denominator"] * 1e5)
    assert (groups.loc[groups["count"] < 3, "value"].isna()).all()


def test_age_groups_must_cover_every_age_without_a_gap() -> None:
    spec = {"categories": ["age_group"], "age_groups": [[0, 17], [18, 39], [40, 64], [65, None]]}
    indicators.definitions._check_age_groups("ok", spec)
    for bad in ([[0, 17], [20, None]], [[5, 17], [18, None]], [[0, 17], [18, 64]], []):
        with pytest.raises(ParametersError, match="age_groups"):
            indicators.definitions._check_age_groups("bad", {**spec, "age_groups": bad})
    with pytest.raises(ParametersError, match="age_groups"):
        indicators.definitions._check_age_groups("bad", {"categories": [], "age_groups": spec["age_groups"]})
    assert [indicators.age_group_label(*g) for g in spec["age_groups"]] == ["<18 yrs", "18-39 yrs", "40-64 yrs", "65+ yrs"]


# ------------------------------------------------------------------------------------------------
# Calibration figures seen through the indicators (data/reference/sample_calibration.yaml)
# ------------------------------------------------------------------------------------------------


def near(value: float, target: float, pct: float = 5) -> bool:
    return abs(value - target) <= target * pct / 100


def test_sefton_adults_in_drug_treatment_2018_19(computed) -> None:
    area, _, table = computed["sefton"]
    drug = sum(rows(table, "adults_in_treatment", area.code, "2018/19", category=g)["count"] for g in DRUG_GROUPS)
    assert near(drug, 1668)                                             # seed 000 slide 5
    assert near(rows(table, "adults_in_treatment", area.code, "2018/19", category="Alcohol only")["count"], 672)


def test_worcestershire_treatment_figures(computed) -> None:
    area, _, table = computed["worcestershire"]
    assert near(rows(table, "adults_in_treatment", area.code, "2018/19")["count"], 2405)          # seed 003 §3.2
    assert near(rows(table, "adults_in_treatment", area.code, "2017/18")["count"], 2296)
    assert near(rows(table, "adults_in_treatment", area.code, "2018/19", category="Alcohol only")["count"], 875)
    share = rows(table, "referral_source_share", area.code, "2018/19", category="Self",
                 category_type="Referral source")["value"]
    assert abs(share - 59) <= 3                                                                      # seed 003 §3.3
    opiate_exits = rows(table, "successful_exits", area.code, "2018/19", category="Opiate")["value"]
    assert abs(opiate_exits - 40.4) <= 3                                                             # seed 003 §3.5


def test_worcestershire_drug_deaths_2016_18(computed) -> None:
    area, _, table = computed["worcestershire"]
    assert near(rows(table, "drug_misuse_deaths", area.code, "2016 - 18")["count"], 72)             # seed 003 §3.8
    assert abs(rows(table, "drug_misuse_deaths", "E07000237", "2016 - 18")["count"] - 17) <= 3


def test_essex_opiate_clients_2021_22(computed) -> None:
    area, _, table = computed["essex"]
    assert near(rows(table, "adults_in_treatment", area.code, "2021/22", category="Opiate")["count"], 1806)  # seed 004 Fig 9


# ------------------------------------------------------------------------------------------------
# Comparators, polarity, trends
# ------------------------------------------------------------------------------------------------


def test_comparator_rows_come_from_the_benchmarks_file(computed) -> None:
    area, _, table = computed["essex"]
    england = rows(table, "drug_misuse_deaths", areas.ENGLAND_CODE, "2019 - 21")
    region = rows(table, "drug_misuse_deaths", area.region_code, "2019 - 21")
    assert (england["value"], region["value"]) == (5.1, 3.3)
    assert england["area_type"] == "England" and region["area_type"] == "Region"
    assert math.isnan(england["count"]) and "Essex Drug and Alcohol Needs Assessment" in england["source"]
    bench = indicators.benchmarks()
    assert bench["source"].notna().all() and (bench["source"].str.len() > 20).all()
    assert set(bench["indicator_id"]) <= set(indicators.catalogue())


@pytest.mark.parametrize("slug", AREAS)
def test_comparisons_are_consistent_with_polarity(computed, slug: str) -> None:
    area, _, table = computed[slug]
    words = {"high_is_bad": {"Better", "Worse", "Similar", "Not compared"},
             "high_is_good": {"Better", "Worse", "Similar", "Not compared"},
             "no_judgement": {"Higher", "Lower", "Similar", "Not compared"}}
    own = table[table["area_code"].isin([area.code, *area.district_codes])]
    for polarity, allowed in words.items():
        assert set(own.loc[own["polarity"] == polarity, "compared_to_england"]) <= allowed
    key = ["indicator_id", "period", "sex", "category_type", "category"]
    bench = table[table["area_code"] == areas.ENGLAND_CODE].set_index(key)["value"]
    judged = own[own["compared_to_england"].isin(["Better", "Worse", "Higher", "Lower"])]
    for rec in judged.to_dict("records"):
        b = bench[tuple(rec[k] for k in key)]
        above = rec["value_lower_ci95"] > b
        below = rec["value_upper_ci95"] < b
        assert above or below
        if rec["polarity"] == "high_is_bad":
            assert rec["compared_to_england"] == ("Worse" if above else "Better")
        elif rec["polarity"] == "high_is_good":
            assert rec["compared_to_england"] == ("Better" if above else "Worse")
        else:
            assert rec["compared_to_england"] == ("Higher" if above else "Lower")
    assert (own.loc[own["measure"] == "count", "compared_to_england"] == "Not compared").all()


def test_essex_is_compared_with_england_and_the_region(computed) -> None:
    area, _, table = computed["essex"]
    row = rows(table, "drug_misuse_deaths", area.code, "2019 - 21")
    assert row["compared_to_england"] in {"Better", "Similar", "Worse"}
    assert row["compared_to_region"] in {"Better", "Similar", "Worse"}
    assert rows(table, "drug_misuse_deaths", area.code, "2016 - 18")["compared_to_region"] == "Not compared"


def test_recent_trend_is_given_for_annual_rates_and_not_for_counts_or_pooled_periods(computed) -> None:
    _, _, table = computed["essex"]
    labels = set(stats.TREND_LABELS)
    assert set(table["recent_trend"]) <= labels
    annual = table[(table["indicator_id"] == "alcohol_specific_admissions") & (table["area_code"] == "E10000012")]
    assert (annual["recent_trend"] != "Cannot be calculated").any()
    assert (table.loc[table["measure"] == "count", "recent_trend"] == "Cannot be calculated").all()
    assert (table.loc[table["indicator_id"] == "drug_misuse_deaths", "recent_trend"] == "Cannot be calculated").all()


def test_catalogue_entries_are_complete() -> None:
    needed = {"name", "table", "numerator", "denominator", "measure", "unit", "ci_method", "pooling_years",
              "period_type", "age", "categories", "polarity", "disclosure_rule", "source", "fingertips_id"}
    for ind, spec in indicators.catalogue().items():
        assert needed <= set(spec), ind
        if spec.get("code_list"):
            assert reference.icd10_codes(spec["code_list"]), ind
        if spec["fingertips_id"] is not None:
            assert spec.get("fingertips_source"), ind
    assert indicators.catalogue()["drug_misuse_deaths"]["fingertips_id"] == 92432


# ------------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------------


def test_cli_prints_the_indicator_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["indicators", "--la", "essex"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Essex (E10000012)")
    assert "Deaths from drug misuse" in out and "2021 - 23" in out
    assert "synthetic" in out.lower()


def test_cli_writes_the_fingertips_csv_layout(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "essex.csv"
    assert cli.main(["indicators", "--la", "essex", "--csv", str(target)]) == 0
    frame = pd.read_csv(target)
    assert list(frame.columns[:24]) == list(schemas.FINGERTIPS_COLUMNS)
    assert set(indicators.indicator_ids()) == set(frame["Indicator ID"])
    small = frame[frame["Count"].between(1, 4) & frame["Indicator ID"].isin(["adults_in_treatment", "new_presentations"])]
    assert small.empty                          # protected: NDTMS counts of 1-4 never leave
    assert str(len(frame)) in capsys.readouterr().out.replace(",", "")


def test_records_with_an_unknown_district_count_in_the_area_only(computed, caplog: pytest.LogCaptureFixture) -> None:
    area, tables, table = computed["worcestershire"]
    deaths = tables["deaths"].copy()
    moved = deaths.index[deaths["district_code"] == "E07000237"]
    deaths.loc[moved, "district_code"] = "E07999999"
    out = indicators.compute_indicators(area, {**tables, "deaths": deaths}, indicators=["drug_misuse_deaths"])
    assert "E07999999" in caplog.text and "E07999999" not in set(out["area_code"])
    before = rows(table, "drug_misuse_deaths", area.code, "2016 - 18")["count"]
    assert rows(out, "drug_misuse_deaths", area.code, "2016 - 18")["count"] == before
    assert rows(out, "drug_misuse_deaths", "E07000237", "2016 - 18")["count"] == 0


def test_latest_period_is_compared_with_the_latest_published_england_value(computed) -> None:
    """England's 2019/20 alcohol-specific admissions value (national figures file) stands for 2023/24, and says so."""
    area, _, table = computed["essex"]
    england = table.loc[table["indicator_id"].eq("alcohol_specific_admissions") & table["area_code"].eq("E92000001")
                        & table["category_type"].isna()]
    by_period = england.set_index("period")
    assert "2023/24" in by_period.index and "2019/20" in by_period.index
    assert by_period.loc["2023/24", "value"] == by_period.loc["2019/20", "value"]
    assert "2019/20" in by_period.loc["2023/24", "value_note"] and "carried forward" in by_period.loc["2023/24", "value_note"]
    assert "2021/22" not in by_period.index                       # nothing filled in between
    latest = table.loc[table["indicator_id"].eq("alcohol_specific_admissions") & table["area_code"].eq(area.code)
                       & table["period"].eq("2023/24") & table["sex"].eq("Persons") & table["category_type"].isna()]
    assert latest["compared_to_england"].iloc[0] in ("Better", "Similar", "Worse")


@pytest.mark.parametrize("slug", AREAS)
def test_every_whole_area_figure_is_compared_with_england_or_says_why_not(computed, slug: str) -> None:
    area, _, table = computed[slug]
    own = table[(table["area_code"] == area.code) & table["category_type"].isna() & (table["sex"] == "Persons")
                & table["value"].notna()]
    latest = own.sort_values("period_sortable").groupby("indicator_id", sort=False).tail(1)
    compared = latest["compared_to_england"].isin(["Better", "Similar", "Worse", "Higher", "Lower"])
    notes = latest["value_note"].astype(str)
    explained = notes.str.contains("not compared with England", case=False)
    assert (compared | explained).all(), latest.loc[~(compared | explained), ["indicator_id", "compared_to_england"]]
    assert not (compared & explained).any()  # a reason only where there is no comparison
    counts = latest[latest["measure"] == "count"]
    assert (counts["value_note"].astype(str).str.contains(indicators.NOT_COMPARED_COUNT, regex=False)).all()
