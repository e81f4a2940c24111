"""Overview views: the spine, the rug and the findings, for the whole area, a district, and no data."""

from __future__ import annotations

import pytest

from suna import pipeline
from suna.views import REGISTRY, overview

pytestmark = pytest.mark.slow  # loads or computes the sample areas' protected indicators: not in `make test-fast`


@pytest.fixture(scope="module")
def data():
    return pipeline.load_area_data("worcestershire")


def test_registered():
    assert {"overview.spine", "overview.rug", "overview.headline_findings"} <= set(REGISTRY)


def test_spine_has_one_row_per_comparable_indicator(data):
    view = overview.spine(data)
    t = data.table
    own = t[(t["area_code"] == data.area.code) & (t["measure"] != "count") & t["category_type"].isna()]
    share_total = "New presentations by referral source"  # every referral source together: 100% by construction
    assert share_total in set(own["indicator_name"])
    assert set(view.table["Indicator"]) == set(own["indicator_name"]) - {share_total}  # a row that means nothing to a board
    assert view.chart is not None


def test_rug_covers_area_and_every_district(data):
    view = overview.rug(data)
    assert set(data.area.district_names().values()) | {data.area.name} <= set(view.table["Area"])
    assert view.findings


def test_findings_for_a_district_and_links(data):
    district = data.area.districts[0]
    view = overview.headline_findings(data, district=district.name)
    assert view.findings and all(district.name in f for f in view.findings)
    links = overview.report_links(data)
    assert "(03_hospital_admissions.html)" in links and "(00_overview.html)" not in links


def test_no_data(data):
    for fn in (overview.spine, overview.rug, overview.headline_findings):
        view = fn(data, period="1990/91")
        assert view.chart is None and view.findings[0].startswith("No figures for")


def test_spine_draws_englands_spread_where_published(data):
    """The ONS drug-poisoning rate is published for every upper-tier authority: its row gets England's spread
    (from suna.indicators.national, the same tables), the caption names the authorities and the years; the rest say they have none."""
    from suna.indicators import published as published_indicators
    from suna.presentation import charts

    spec = overview.spine(data).chart.to_dict()
    bars = [u for layer in spec["hconcat"][2]["layer"] if (u := layer)["mark"]["type"] == "bar"]
    rows = spec["datasets"][bars[0]["data"]["name"]]
    assert [r["indicator"].rsplit(" (", 1)[0] for r in rows] == [
        data.table.loc[data.table["indicator_id"] == published_indicators.DRUG_POISONING_DEATHS, "indicator_name"].iloc[0]]
    ranks = published_indicators.ranks(data.area).iloc[-1]  # the latest pooled period, as the spine shows
    assert rows[0]["spread_label"].endswith(f"5th to 95th percentile {ranks['tier_p5']:.1f} per 100,000 to "
                                            f"{ranks['tier_p95']:.1f} per 100,000")
    caption = " ".join(charts.caption(spec))
    assert f"2018 to 2020: the {ranks['rank_of']} upper-tier authorities (counties and unitary authorities)" in caption
    assert "have no published figures for every English authority" in caption


def test_spine_for_a_district_has_no_spread(data):
    spec = overview.spine(data, district=data.area.districts[0].name).chart.to_dict()
    assert not any(u["mark"]["type"] == "bar" for u in spec["hconcat"][2]["layer"])
