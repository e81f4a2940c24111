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
