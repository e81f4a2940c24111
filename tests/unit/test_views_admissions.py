"""Admissions views on the sample data: whole area, one district, a period with no data.

Expected values come from the protected indicators table the views are given (the views must show
exactly those figures, and never a suppressed one), not from a run of the views.
"""

from __future__ import annotations

import pytest

from suna import pipeline
from suna.core.errors import UnknownAreaError
from suna.views import REGISTRY, admissions

pytestmark = pytest.mark.slow  # loads or computes the sample areas' protected indicators: not in `make test-fast`

VIEWS = [admissions.trend, admissions.districts_ranked, admissions.funnel, admissions.by_sex_age, admissions.district_map]


@pytest.fixture(scope="module")
def data():
    return pipeline.load_area_data("worcestershire")


def _rows(data, indicator, code):
    t = data.table
    return t[(t["indicator_id"] == indicator) & (t["area_code"] == code) & (t["sex"] == "Persons") & t["category_type"].isna()]


def test_every_view_is_registered():
    assert {f"admissions.{fn.__name__}" for fn in VIEWS} <= set(REGISTRY)


@pytest.mark.parametrize("indicator", list(admissions.INDICATORS))
def test_trend_table_is_the_protected_values(data, indicator):
    view = admissions.trend(data, indicator=indicator)
    assert view.chart is not None and view.findings
    rows = _rows(data, indicator, data.area.code)
    shown = view.table[view.table["Area"] == data.area.name]
    assert len(shown) == len(rows)  # every period up to the report's, none invented
    expected = {str(p): v for p, v in zip(rows["period"], rows["value"])}
    latest = max(rows["period_sortable"])
    latest_value = rows.loc[rows["period_sortable"] == latest, "value"].iloc[0]
    if latest_value == latest_value:  # not suppressed
        assert f"{latest_value:,.1f}" in view.findings[0]
    assert len(expected) == len(rows)


def test_ranked_lists_every_district_and_labels_suppression(data):
    view = admissions.districts_ranked(data, indicator="drug_mental_behavioural_admissions")
    names = set(view.table["Area"])
    assert set(data.area.district_names().values()) <= names
    hidden = view.table[view.table["Count"] == "suppressed"]
    assert (hidden["Value"] == "suppressed").all()  # a suppressed count never comes with a value
    assert not (view.table["Value"] == "0.0 per 100,000").any() or not len(hidden)


def test_a_district_is_outlined_and_described(data):
    district = data.area.districts[0]
    view = admissions.trend(data, district=district.name)
    assert district.name in view.title
    assert set(view.table["Area"]) >= {district.name}
    view_map = admissions.district_map(data, district=district.code)
    spec = view_map.chart.to_dict()
    assert district.code in str(spec)  # the highlight filter names the chosen district


def test_no_data_for_an_early_period_is_a_finding_not_an_error(data):
    for fn in VIEWS:
        view = fn(data, period="1990/91")
        assert view.chart is None
        assert view.findings and view.findings[0].startswith("No figures for")


def test_unknown_district_and_indicator_name_the_choices(data):
    with pytest.raises(UnknownAreaError, match="Wyre Forest"):
        admissions.trend(data, district="Atlantis")
    with pytest.raises(UnknownAreaError, match="alcohol_specific_admissions"):
        admissions.trend(data, indicator="nope")


def test_funnel_positions_come_from_the_shown_values(data):
    view = admissions.funnel(data, indicator="alcohol_specific_admissions")
    assert view.chart is not None
    positions = set(view.table["Funnel position"]) - {""}
    assert positions <= {"Above 99.8% limit", "Above 95% limit", "Within limits", "Below 95% limit", "Below 99.8% limit",
                         "Not compared", "Not applicable: fewer than 10 events"}
    assert positions


def test_by_sex_shows_males_and_females(data):
    view = admissions.by_sex_age(data)
    assert {"Male", "Female"} <= set(view.table["Sex"])
    assert any("males" in f for f in view.findings)


def _age_rows(data, indicator, code):
    t = data.table
    return t[(t["indicator_id"] == indicator) & (t["area_code"] == code) & (t["category_type"] == "Age group")
             & (t["period"] == data.period)]


def _plotted(view):
    return [row for rows in view.chart.to_dict()["datasets"].values() for row in rows]


@pytest.mark.parametrize("indicator", ["alcohol_specific_admissions", "drug_poisoning_admissions"])
def test_by_sex_age_shows_age_groups_beside_the_sexes(data, indicator):
    view = admissions.by_sex_age(data, indicator=indicator)
    expected = _age_rows(data, indicator, data.area.code)
    assert len(expected) >= 4
    shown = view.table[view.table["Age"].isin(set(expected["category"]))]
    assert list(shown["Age"]) == list(dict.fromkeys(shown["Age"]))       # one row per age group, youngest first
    assert shown["Age"].iloc[0].startswith("<") and shown["Age"].iloc[-1] == "65+ yrs"
    assert {"Male", "Female"} <= set(view.table["Sex"])
    assert len(view.chart.to_dict()["vconcat"]) == 2                      # by sex, then by age group
    plotted = {r["category"]: r.get("value") for r in _plotted(view) if r.get("category") in set(expected["category"])}
    assert set(plotted) == set(expected["category"])
    for label, value in zip(expected["category"], expected["value"]):
        assert (plotted[label] is None) if value != value else plotted[label] == pytest.approx(value)
    assert any(f.startswith("By age") for f in view.findings)
    assert "crude rates per 100,000 residents of that age" in view.footnote


def test_age_groups_are_compared_with_the_all_ages_rate(data):
    view = admissions.by_sex_age(data, indicator="alcohol_specific_admissions")
    groups = _age_rows(data, "alcohol_specific_admissions", data.area.code)
    whole = _rows(data, "alcohol_specific_admissions", data.area.code)
    whole = whole[whole["period"] == data.period]["value"].iloc[0]
    table = view.table.set_index("Age")
    for row in groups.to_dict("records"):
        expected = ("Higher" if row["value_lower_ci95"] > whole else "Lower" if row["value_upper_ci95"] < whole else "Similar")
        assert table.loc[row["category"], "Compared with all ages"] == expected
        if expected != "Similar":
            assert any(f.startswith(f"Significantly {expected.lower()} than") for f in view.findings)


def test_suppressed_age_groups_are_never_shown(data):
    """Worcester's drug-related mental health admissions by age are nearly all small numbers."""
    district = "E07000237"
    indicator = "drug_mental_behavioural_admissions"
    hidden = _age_rows(data, indicator, district)
    hidden = hidden[hidden["count_display"] == "*"]
    assert len(hidden)
    view = admissions.by_sex_age(data, indicator=indicator, district=district)
    shown = view.table[view.table["Age"].isin(set(hidden["category"]))]
    assert len(shown) == len(hidden) and (shown[["Value", "Count", "95% confidence interval"]] == "suppressed").all().all()
    assert all(r.get("value") is None for r in _plotted(view) if r.get("category") in set(hidden["category"]))
    assert any("Not shown to protect confidentiality" in f for f in view.findings)


def test_the_15_to_24_indicator_has_no_age_groups(data):
    view = admissions.by_sex_age(data, indicator="substance_misuse_admissions_15_24")
    assert set(view.table["Age"]) == {"15-24 yrs"} and "vconcat" not in view.chart.to_dict()


def test_age_groups_withstand_the_attacker(data):
    """The attacker of tests/attack.py on the admissions indicators' age groups and their all-ages rows,
    for the last two periods (each indicator x period is one linked table)."""
    import attack

    raw, table = data.raw_indicators, data.table
    periods = sorted(set(raw.loc[raw["indicator_id"] == "alcohol_specific_admissions", "period"]))[-2:]
    keep = raw["indicator_id"].isin([i for i in admissions.INDICATORS if i != "substance_misuse_admissions_15_24"]) \
        & raw["period"].isin(periods) & raw["area_code"].isin([data.area.code, *data.area.district_codes])
    # object dtype, so a total row's category_type reads as None (the attacker's own test of a total)
    raw = raw.loc[keep].assign(category_type=raw.loc[keep, "category_type"].astype(object))
    assert [str(r) for r in attack.attack_indicators(raw, table.loc[keep], rounding_exact=True)] == []
