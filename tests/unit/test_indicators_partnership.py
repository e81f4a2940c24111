"""The partnership's treatment, prison and admissions metrics (suna.indicators), each on a tiny hand-made table.

Fixtures (Worcestershire; D1 = Bromsgrove E07000234, D2 = Malvern Hills E07000235), worked out by hand:

Treatment records (years 2022/23 and 2023/24: the earliest discharge is in 2022/23, the latest date in 2023/24):
- Y1 aged 15, D1, boy, "cannabis;alcohol", open from May 2023: a young person in 2023/24, primary substance cannabis.
- Y2 aged 16, girl, two episodes in 2023/24: "alcohol" in D1 (April to June), then "ketamine" in D2 (from
  September): counted once, in D2, with the latest episode's primary substance (ketamine is "other").
- Y3 aged 17, D2, boy, "cocaine", June to December 2022: a young person in 2022/23 only.
- Y5 aged 16, D2, boy, "nps", April to August 2023, died: a young person in 2023/24 (primary "other"), and
  not an adult's death in treatment.
- Y4 aged 18, D1: an adult, never a young person.
- A1 aged 30, D1, opiate: a community episode open since 2022, and two inpatient episodes in 2023/24: one
  adult receiving inpatient detoxification in 2023/24 (none in 2022/23).
- A2 aged 40, D2, alcohol only: residential rehabilitation September 2022 to February 2023: one in 2022/23.
- A3 aged 50, D1, opiate, died in November 2023: one death in treatment in 2023/24 (opiate).
- A4 aged 45, D2, non-opiate only, died in January 2023: one death in treatment in 2022/23.

Prison releases: 2023/24 R1 (7 days to first contact), R2 (none), R3 (28 days), R4 (5 days), R5 (21 days, the
last day of 3 weeks) and R6 (aged 17: not an adult); 2022/23 R7 (21 days) and R8 (22 days: too late). So 3 of 5
in 2023/24 (D1 2 of 3, D2 1 of 2; opiate 1 of 2) and 1 of 2 in 2022/23.

Admissions (D1 only): alcohol-specific under 18s in 2021/22 (aged 17, secondary F100), 2022/23 (aged 15, K701) and
2023/24 (aged 16, T510); aged 18 (F102) and aged 10 without an alcohol code are left out. 1,000 residents in
every age band, sex, district and year: 7,200 aged 0-17 a district-year (three bands and 3/5 of 15-19, twice).
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from suna import indicators
from suna.core import reference
from suna.model import areas

AREA = areas.load_area("worcestershire")
D1, D2 = AREA.district_codes[:2]
Z = 1.959963984540054


def _episode(client, episode, district, sex, age, group, substances, start, discharge=None, exit_reason=None,
             setting="community"):
    return {"client_id": client, "episode_id": episode, "utla_code": AREA.code, "district_code": district,
            "small_area_code": None, "sex": sex, "age_years": age, "ethnic_group": "white", "substance_group": group,
            "substances": substances, "referral_source": "self", "referral_date": pd.Timestamp(start),
            "triage_date": pd.NaT, "start_date": pd.Timestamp(start),
            "discharge_date": pd.Timestamp(discharge) if discharge else pd.NaT, "setting": setting,
            "exit_reason": exit_reason, "has_housing_need": False, "has_mental_health_need": False,
            "lives_with_children": False, "is_injecting": False}


TREATMENT = pd.DataFrame([
    _episode("Y1", "e01", D1, "Male", 15, "non_opiate_and_alcohol", "cannabis;alcohol", "2023-05-01"),
    _episode("Y2", "e02", D1, "Female", 16, "alcohol_only", "alcohol", "2023-04-10", "2023-06-01", "successful_completion"),
    _episode("Y2", "e03", D2, "Female", 16, "non_opiate_only", "ketamine", "2023-09-01"),
    _episode("Y3", "e04", D2, "Male", 17, "non_opiate_only", "cocaine", "2022-06-01", "2022-12-01", "successful_completion"),
    _episode("Y5", "e05", D2, "Male", 16, "non_opiate_only", "nps", "2023-04-05", "2023-08-01", "died"),
    _episode("Y4", "e06", D1, "Male", 18, "non_opiate_only", "cannabis", "2023-06-01"),
    _episode("A1", "e07", D1, "Male", 30, "opiate", "heroin", "2022-01-10"),
    _episode("A1", "e08", D1, "Male", 31, "opiate", "heroin", "2023-07-01", "2023-07-20", "transferred", "inpatient"),
    _episode("A1", "e09", D1, "Male", 31, "opiate", "heroin", "2023-10-01", "2023-10-15", "transferred", "inpatient"),
    _episode("A2", "e10", D2, "Female", 40, "alcohol_only", "alcohol", "2022-09-01", "2023-02-01", "successful_completion",
             "residential"),
    _episode("A3", "e11", D1, "Male", 50, "opiate", "heroin", "2021-05-01", "2023-11-11", "died"),
    _episode("A4", "e12", D2, "Female", 45, "non_opiate_only", "cocaine", "2022-05-01", "2023-01-05", "died"),
]).astype({"age_years": "Int64"})


def _release(rid, district, sex, age, group, released, contact=None):
    return {"release_id": rid, "utla_code": AREA.code, "district_code": district, "sex": sex, "age_years": age,
            "substance_group": group, "release_date": pd.Timestamp(released),
            "first_community_contact_date": pd.Timestamp(contact) if contact else pd.NaT}


RELEASES = pd.DataFrame([
    _release("R1", D1, "Male", 31, "opiate", "2023-04-04", "2023-04-11"),
    _release("R2", D1, "Male", 42, "non_opiate_only", "2023-04-19"),
    _release("R3", D2, "Female", 36, "opiate", "2023-05-02", "2023-05-30"),
    _release("R4", D2, "Male", 28, "non_opiate_and_alcohol", "2023-06-15", "2023-06-20"),
    _release("R5", D1, "Male", 47, "alcohol_only", "2023-07-03", "2023-07-24"),
    _release("R6", D1, "Male", 17, "opiate", "2023-08-01", "2023-08-02"),
    _release("R7", D2, "Female", 39, "opiate", "2022-11-01", "2022-11-22"),
    _release("R8", D2, "Female", 33, "opiate", "2023-03-31", "2023-04-22"),
]).astype({"age_years": "Int64"})


def _admission(aid, district, age, admitted, primary, secondary=None):
    return {"admission_id": aid, "admission_date": pd.Timestamp(admitted), "utla_code": AREA.code,
            "district_code": district, "small_area_code": None, "age_years": age, "sex": "Female",
            "primary_diagnosis": primary, "secondary_diagnoses": secondary}


ADMISSIONS = pd.DataFrame([
    _admission("a1", D1, 17, "2021-06-01", "R104", "F100"),
    _admission("a2", D1, 15, "2022-08-01", "K701"),
    _admission("a3", D1, 18, "2023-05-01", "F102"),
    _admission("a4", D1, 10, "2023-06-01", "S069"),
    _admission("a5", D1, 16, "2023-09-01", "T510"),
]).astype({"age_years": "Int64"})


def _population(years):
    grid = pd.MultiIndex.from_product([AREA.district_codes, years, ["Male", "Female"], reference.age_bands()],
                                      names=["area_code", "year", "sex", "age_band"]).to_frame(index=False)
    return grid.assign(population_count=1000.0)


@pytest.fixture(scope="module")
def treatment_table() -> pd.DataFrame:
    ids = ["young_people_in_treatment", "inpatient_detox", "residential_rehab", "deaths_in_treatment"]
    return indicators.compute_indicators(AREA, {"treatment": TREATMENT, "population": _population([2022, 2023])}, indicators=ids)


def _value(table, ind, area_code, period, column="count", sex="Persons", category=None):
    sel = table[(table["indicator_id"] == ind) & (table["area_code"] == area_code) & (table["period"] == period)
                & (table["sex"] == sex)]
    sel = sel[sel["category"].isna()] if category is None else sel[sel["category"] == category]
    assert len(sel) == 1, (ind, area_code, period, sex, category, len(sel))
    return sel[column].iloc[0]


def test_young_people_are_under_18_at_the_start_counted_once_by_their_latest_episode(treatment_table):
    t = treatment_table
    assert _value(t, "young_people_in_treatment", AREA.code, "2023/24") == 3          # Y1, Y2 once, Y5; not Y4 (18)
    assert _value(t, "young_people_in_treatment", D1, "2023/24") == 1                 # Y1
    assert _value(t, "young_people_in_treatment", D2, "2023/24") == 2                 # Y2 (latest episode in D2), Y5
    assert _value(t, "young_people_in_treatment", AREA.code, "2022/23") == 1          # Y3
    assert _value(t, "young_people_in_treatment", AREA.code, "2023/24", sex="Male") == 2
    assert _value(t, "young_people_in_treatment", AREA.code, "2023/24", sex="Female") == 1
    by_substance = {c: _value(t, "young_people_in_treatment", AREA.code, "2023/24", category=c)
                    for c in reference.category_labels("young_people_substances").values()}
    assert by_substance == {"Cannabis": 1, "Alcohol": 0, "Cocaine": 0, "Ecstasy": 0, "Other or not named": 2}
    row = t[t["indicator_id"] == "young_people_in_treatment"].iloc[0]
    assert row["age"] == "<18 yrs" and row["measure"] == "count" and row["disclosure_rule"] == "ndtms"


def test_primary_substance_is_the_first_named_and_other_for_the_rest():
    got = indicators.primary_substance(pd.Series(["Cannabis; alcohol", "alcohol;cannabis", "ketamine", None, "", "ecstasy"]))
    assert got.tolist() == ["cannabis", "alcohol", "other", "other", "other", "ecstasy"]


def test_inpatient_detox_and_residential_rehab_count_adults_with_an_episode_in_that_setting(treatment_table):
    t = treatment_table
    assert _value(t, "inpatient_detox", AREA.code, "2023/24") == 1       # A1, two inpatient episodes, once
    assert _value(t, "inpatient_detox", D1, "2023/24") == 1
    assert _value(t, "inpatient_detox", AREA.code, "2022/23") == 0
    assert _value(t, "residential_rehab", AREA.code, "2022/23") == 1     # A2
    assert _value(t, "residential_rehab", D2, "2022/23") == 1
    assert _value(t, "residential_rehab", AREA.code, "2023/24") == 0     # discharged in February 2023


def test_deaths_in_treatment_are_adults_exits_with_the_reason_died(treatment_table):
    t = treatment_table
    assert _value(t, "deaths_in_treatment", AREA.code, "2023/24") == 1   # A3; Y5 is a young person
    assert _value(t, "deaths_in_treatment", AREA.code, "2023/24", category="Opiate") == 1
    assert _value(t, "deaths_in_treatment", D1, "2023/24") == 1
    assert _value(t, "deaths_in_treatment", AREA.code, "2022/23") == 1   # A4
    assert _value(t, "deaths_in_treatment", AREA.code, "2022/23", category="Non-opiate only") == 1
    assert _value(t, "deaths_in_treatment", D2, "2022/23", sex="Female") == 1


def _wilson(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return 100 * (centre - half), 100 * (centre + half)


def test_continuity_of_care_is_first_contact_within_3_weeks_of_release():
    t = indicators.compute_indicators(AREA, {"prison_releases": RELEASES, "population": _population([2022, 2023])},
                                      indicators=["continuity_of_care"])
    for area_code, period, k, n in ((AREA.code, "2023/24", 3, 5), (D1, "2023/24", 2, 3), (D2, "2023/24", 1, 2),
                                    (AREA.code, "2022/23", 1, 2)):
        assert (_value(t, "continuity_of_care", area_code, period),
                _value(t, "continuity_of_care", area_code, period, "denominator")) == (k, n)
        assert _value(t, "continuity_of_care", area_code, period, "value") == pytest.approx(100 * k / n)
    lower, upper = _wilson(3, 5)
    assert _value(t, "continuity_of_care", AREA.code, "2023/24", "value_lower_ci95") == pytest.approx(lower, abs=1e-6)
    assert _value(t, "continuity_of_care", AREA.code, "2023/24", "value_upper_ci95") == pytest.approx(upper, abs=1e-6)
    assert _value(t, "continuity_of_care", AREA.code, "2023/24", category="Opiate") == 1
    assert _value(t, "continuity_of_care", AREA.code, "2023/24", "denominator", category="Opiate") == 2


def test_under_18_alcohol_admissions_are_a_crude_rate_over_three_pooled_years():
    t = indicators.compute_indicators(AREA, {"admissions": ADMISSIONS, "population": _population([2021, 2022, 2023])},
                                      indicators=["alcohol_specific_admissions_under_18"])
    assert set(t.loc[t["area_code"] == AREA.code, "period"]) == {"2021/22 - 23/24"}  # one whole 3-year period
    ind = "alcohol_specific_admissions_under_18"
    assert _value(t, ind, D1, "2021/22 - 23/24") == 3
    assert _value(t, ind, D1, "2021/22 - 23/24", "denominator") == pytest.approx(3 * 7200)
    assert _value(t, ind, D1, "2021/22 - 23/24", "value") == pytest.approx(3 / 21600 * 1e5)
    assert _value(t, ind, D2, "2021/22 - 23/24") == 0
    assert _value(t, ind, AREA.code, "2021/22 - 23/24", "denominator") == pytest.approx(3 * 7200 * len(AREA.district_codes))
    assert _value(t, ind, AREA.code, "2021/22 - 23/24", sex="Male") == 0
