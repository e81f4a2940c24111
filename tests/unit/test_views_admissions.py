"""Admissions views on the sample data: whole area, one district, a period with no data.

Expected values come from the protected indicators table the views are given (the views must show
exactly those figures, and never a suppressed one), not from a run of the views.
"""

from __future__ import annotations

import pytest

from suna import pipeline
from suna.errors import UnknownAreaError
from suna.views import REGISTRY, admissions

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
