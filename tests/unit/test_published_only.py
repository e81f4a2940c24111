"""An authority with no record-level data: reported from ONS's published figures alone, every view answering.

Kent (a county) and Bristol (a unitary) are not in the synthetic sample; their params come from
``suna areas add`` (suna.sources.area_registry), exactly as a new user's would.
"""

from __future__ import annotations

import pytest

from suna import pipeline, views
from suna.sources import area_registry, published

ONS = "drug_poisoning_deaths_ons"


def _load(name: str) -> pipeline.AreaData:
    params = area_registry.params_for(name)
    return pipeline.load_area_data(params["area"], area_definition=params["area_definition"])


@pytest.fixture(scope="module")
def kent() -> pipeline.AreaData:
    return _load("Kent")


@pytest.fixture(scope="module")
def bristol() -> pipeline.AreaData:
    return _load("Bristol")


def test_no_invented_records_for_an_authority_outside_the_sample(kent: pipeline.AreaData) -> None:
    assert kent.tables == {}
    assert not kent.is_synthetic and kent.synthetic_notice == ""
    assert "published figures only" in kent.data_source
    assert set(kent.raw_indicators["indicator_id"]) == {ONS}


def test_kent_and_its_districts_carry_the_ons_counts(kent: pipeline.AreaData) -> None:
    table = kent.table
    latest = table[(table["indicator_id"] == ONS) & (table["period"] == "2018 - 20")]
    own = latest[latest["area_code"] == kent.area.code]
    assert own["count"].tolist() == [317]
    districts = latest[latest["area_code"].isin(kent.area.district_codes)]
    assert len(districts) == 12 == len(kent.area.district_codes)
    assert districts["count"].sum() == 317  # ONS's county figure is the sum of its districts'
    assert own["count_display"].tolist() == ["317"]  # a published total is never hidden
    # the comparison is computed, not quoted: England's rate sits in the row
    assert own["compared_to_england"].notna().all() and (districts["compared_to_england"].notna()).all()
    as_printed = [published.published_deaths_row(kent.area.code, year) for year in (2018, 2019, 2020)]
    assert sum(as_printed) == 317  # the three years as ONS printed them


@pytest.mark.parametrize("district", [None, "Dover"])
def test_every_view_answers_and_says_what_to_supply(kent: pipeline.AreaData, district: str | None) -> None:
    shown, asks = 0, 0
    for name, view_fn in views.REGISTRY.items():
        view = view_fn(kent, district=district)
        assert isinstance(view, views.View), name
        text = " ".join(view.findings)
        if view.chart is not None:
            shown += 1
        if "These figures need" in text:
            asks += 1
            assert "have not been supplied" in text and "Kent" in text, name
            assert view.chart is None and view.table.empty, name
    assert shown >= 2  # the published deaths: at least the trend and the map draw
    assert asks >= 15  # treatment, referrals, admissions and record-level deaths each say what is missing


def test_the_deaths_views_draw_the_published_figures(kent: pipeline.AreaData, bristol: pipeline.AreaData) -> None:
    from suna.views import deaths

    trend = deaths.trend(kent, indicator=ONS)
    assert trend.chart is not None and "Kent" in trend.title
    mapped = deaths.district_map(kent, indicator=ONS)
    assert mapped.chart is not None
    assert any("Dover" in line for line in deaths.districts_ranked(kent, indicator=ONS).findings)
    assert deaths.trend(bristol, indicator=ONS).chart is not None
    missing = deaths.trend(kent, indicator="drug_misuse_deaths")
    assert missing.chart is None and "death registration records" in missing.findings[0]


def test_a_bad_choice_is_still_refused_where_records_are_missing(kent: pipeline.AreaData) -> None:
    from suna.core.errors import SunaError
    from suna.views import treatment

    with pytest.raises(SunaError, match="substance_group"):
        treatment.numbers_in_treatment(kent, substance_group="cocaine")
    with pytest.raises(SunaError):
        treatment.numbers_in_treatment(kent, district="Nowhere")


def test_similar_authorities_sit_beside_england_and_the_region(kent: pipeline.AreaData) -> None:
    from suna.indicators import national
    from suna.views import overview

    view = overview.similar_authorities(kent)
    neighbours = national.similar_authorities(kent.area.code, n=10)
    assert view.chart is not None
    shown = set(view.table["Area"])
    assert {"Kent", "England", "South East", *neighbours["area_name"]} <= shown
    assert len(view.table) == 13  # Kent, ten neighbours, the region and England
    assert "most similar authorities" in view.findings[0] and "Kent's rate (6.7 per 100,000)" in view.findings[0]
    assert national.SIMILAR_METHOD in view.footnote  # the method is stated where the comparison is shown
    assert "overview.similar_authorities" in views.REGISTRY


def test_a_unitary_is_mapped_among_its_regions_authorities(bristol: pipeline.AreaData) -> None:
    from suna.sources import shapes
    from suna.views import deaths

    layer = shapes.upper_tier_layer(bristol.area.region_code)
    assert len(layer) == 15 and layer.geometry.is_valid.all()  # the South West's upper-tier authorities, Scilly included
    view = deaths.district_map(bristol, indicator=ONS)
    assert view.chart is not None and "among the authorities of South West" in view.title
    assert view.findings == ["In 2018 to 2020, Bristol, City of had the 3rd highest rate of the 15 authorities of South West."]
    assert list(view.table["Authority"][:3]) == ["Plymouth", "Torbay", "Bristol, City of"]
