"""Deaths views: sample data (whole area, a district, no data) and published ONS counts for Essex.

The published test reads ../shared/reference/data (skipped when absent); its expected counts are the
ONS figures added up by hand (as in test_ons.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from suna import pipeline
from suna.model.areas import load_area
from suna.views import REGISTRY, deaths

pytestmark = pytest.mark.slow  # loads or computes the sample areas' protected indicators: not in `make test-fast`

REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "data"
DEATHS = REFERENCE / "ons_drug_poisoning_deaths_by_la_registered_1993_2020.csv"
MYE = REFERENCE / "ons_mye_la_single_year_of_age_persons_1997_2020.csv"
VIEWS = [deaths.trend, deaths.districts_ranked, deaths.funnel, deaths.by_sex, deaths.district_map, deaths.registration_delay]


@pytest.fixture(scope="module")
def data():
    return pipeline.load_area_data("halton")


def test_every_view_is_registered():
    assert {f"deaths.{fn.__name__}" for fn in VIEWS} <= set(REGISTRY)


@pytest.mark.parametrize("area", ["data", "sefton"])
def test_map_has_every_district_and_suppressed_ones_are_labelled(area, request):
    data = request.getfixturevalue(area)
    view = deaths.district_map(data)
    assert view.chart is not None
    assert list(view.table["District"]) == list(data.area.district_names().values())
    spec = view.chart.to_dict()
    shapes = [row for rows in spec["datasets"].values() for row in rows if "district_code" in row and "fill_label" in row]
    labels = {row["district_code"]: row for row in shapes}
    assert set(data.area.district_codes) <= set(labels)
    t = data.table
    rows = t[(t["indicator_id"] == "drug_misuse_deaths") & t["area_code"].isin(data.area.district_codes) & (t["sex"] == "Persons")]
    latest = rows[rows["period_sortable"] == rows["period_sortable"].max()]
    hidden = set(latest.loc[latest["count_display"] == "*", "area_code"])
    if area == "sefton":
        assert hidden, "Sefton's localities of the sample include suppressed drug-misuse deaths"
    for code in data.area.district_codes:
        if code in hidden:
            assert labels[code]["fill_label"] == "Suppressed"
            assert labels[code].get("value") is None  # never drawn as zero
        else:
            assert labels[code]["fill_label"] != "Suppressed"


def test_trend_values_match_the_protected_table(data):
    view = deaths.trend(data)
    t = data.table
    rows = t[(t["indicator_id"] == "drug_misuse_deaths") & (t["area_code"] == data.area.code) & (t["sex"] == "Persons")]
    spec = view.chart.to_dict()
    plotted = {(r["period"], r["area_code"]): r["value"] for rows_ in spec["datasets"].values() for r in rows_
               if r.get("area_code") == data.area.code and r.get("value") is not None and "period" in r}
    assert plotted
    for (period, _), value in plotted.items():
        assert value == pytest.approx(float(rows.loc[rows["period"] == period, "value"].iloc[0]))
    assert "registered" in view.footnote


def test_a_district_and_no_data(data):
    district = data.area.districts[3]
    view = deaths.trend(data, district=district.code)
    assert district.name in view.title
    for fn in VIEWS:
        empty = fn(data, period="1990/91")
        assert empty.chart is None and empty.findings[0].startswith("No figures for")


def test_registration_delay_adds_up_where_shown(data):
    view = deaths.registration_delay(data)
    table = view.table
    for _, year in table.groupby("Registered in"):
        counts = dict(zip(year["Registered"], year["Deaths"]))
        if "suppressed" not in counts.values():
            parts = sum(int(counts[b].replace(",", "")) for b in deaths.DELAY_BANDS)
            assert parts == int(counts["All"].replace(",", ""))
    assert any("earlier year" in f or "suppressed" in f for f in view.findings)


@pytest.fixture(scope="module")
def essex_published():
    from suna.sources import ons

    if not DEATHS.exists() or not MYE.exists():
        pytest.skip("ONS reference files are not present (../shared/reference/data)")
    return pipeline.published_deaths_data(load_area("essex"), ons.read_ons_deaths_by_la(DEATHS), ons.read_nomis_population(MYE))


def test_published_ons_counts_draw_the_essex_district_map(essex_published):
    data = essex_published
    assert data.period == "2018 - 20" and not data.is_synthetic
    view = deaths.district_map(data)
    assert list(view.table["District"]) == list(data.area.district_names().values())
    by = view.table.set_index("District")
    assert by.loc["Basildon", "Count"] == str(11 + 7 + 11)  # ONS 2018-2020
    assert by.loc["Maldon", "Count"] == str(1 + 2 + 3)
    assert by.loc["Colchester", "Compared with England"] == "Worse"
    assert any("England" in f for f in view.findings)
    spec = str(view.chart.to_dict())
    for code in data.area.district_codes:
        assert code in spec


def test_published_data_give_a_trend_of_pooled_periods_and_a_funnel(essex_published):
    trend = deaths.trend(essex_published)
    assert list(trend.table.loc[trend.table["Area"] == "Essex", "Period"]) == [
        "2014 to 2016", "2015 to 2017", "2016 to 2018", "2017 to 2019", "2018 to 2020"]
    funnel = deaths.funnel(essex_published)
    assert funnel.chart is not None
    assert set(funnel.table["Funnel position"]) - {""}
    assert deaths.registration_delay(essex_published).chart is None  # needs record-level dates
