"""District maps: drawn offline (vl-convert renders the SVG), suppressed districts hatched and named, never zero.

The indicator tables are written here by hand (counts chosen so that the ONS deaths rule hides
Harlow's 2 deaths, and disclosure control must hide one more district to protect the county total),
then passed through suna.disclosure as every view does. PNGs go to tests/artefacts/ for a look.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from suna import disclosure
from suna.core.errors import DisclosureError, SunaError, UnknownAreaError
from suna.model import areas
from suna.presentation import maps
from suna.sources import shapes

ARTEFACTS = Path(__file__).resolve().parents[1] / "artefacts"
REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "data"
ESSEX_DEATHS = {  # district -> deaths over three years; Harlow's 2 is under the ONS threshold of 3
    "Basildon": 40, "Braintree": 3, "Brentwood": 25, "Castle Point": 12, "Chelmsford": 60, "Colchester": 55,
    "Epping Forest": 30, "Harlow": 2, "Maldon": 9, "Rochford": 14, "Tendring": 70, "Uttlesford": 8,
}


def _deaths_table(area, counts: dict[str, int], population: int = 150_000) -> pd.DataFrame:
    rows = []
    for d in area.districts:
        deaths = counts[d.name]
        rate = deaths / (3 * population) * 100_000
        rows.append({
            "indicator_id": "drug_misuse_deaths", "indicator_name": "Deaths from drug misuse", "parent_code": area.code,
            "area_code": d.code, "area_name": d.name, "area_type": "District", "sex": "Persons", "age": "All ages",
            "category_type": None, "category": None, "period": "2021 - 23", "value": rate,
            "value_lower_ci95": rate * 0.7, "value_upper_ci95": rate * 1.3, "count": deaths, "denominator": 3 * population,
            "measure": "crude_rate", "disclosure_rule": "ons_deaths", "polarity": "high_is_bad",
            "compared_to_england": "Worse" if deaths > 50 else ("Better" if deaths < 10 else "Similar"),
        })
    total = dict(rows[0], area_code=area.code, area_name=area.name, parent_code=area.region_code, area_type="County",
                 count=sum(counts.values()))
    return pd.DataFrame([*rows, total])


@pytest.fixture(scope="module")
def essex():
    area = areas.load_area("essex")
    return area, shapes.district_layer(area), disclosure.protect_indicators(_deaths_table(area, ESSEX_DEATHS)).table


def _svg(chart) -> str:
    import vl_convert as vlc

    return vlc.vegalite_to_svg(chart.to_dict())


def _save_png(chart, name: str) -> None:
    import vl_convert as vlc

    ARTEFACTS.mkdir(exist_ok=True)
    (ARTEFACTS / name).write_bytes(vlc.vegalite_to_png(chart.to_dict(), scale=1.5))


def _shapes_by_district(svg: str) -> dict[str, list[str]]:
    """aria-label of every geoshape drawn, by district name (the fill, hatch and outline layers)."""
    found: dict[str, list[str]] = {}
    for label in re.findall(r'<path aria-label="([^"]*)"[^>]*aria-roledescription="geoshape"', svg):
        name = re.search(r"District: ([^;]+)", label).group(1)
        found.setdefault(name, []).append(label)
    return found


def test_map_draws_every_district_with_suppressed_ones_hatched_and_named(essex):
    area, layer, table = essex
    hidden = set(table.loc[table["count"].isna() & (table["parent_code"] == area.code), "area_name"])
    assert "Harlow" in hidden and len(hidden) == 2  # Harlow by the rule, one more to protect the county total
    chart = maps.district_map(table, "drug_misuse_deaths", layer, area=area, highlight="Chelmsford")
    svg = _svg(chart)
    _save_png(chart, "map_essex_significance.png")
    drawn = _shapes_by_district(svg)
    assert set(drawn) == set(ESSEX_DEATHS)  # all 12 districts, by name
    for name in ESSEX_DEATHS:
        fill = drawn[name][0]
        if name in hidden:
            assert "Value: suppressed" in fill and "Compared with England: Suppressed" in fill and "Count: suppressed" in fill
            assert len(drawn[name]) == 2  # its fill and its hatching
        else:
            assert re.search(r"Value: \d+\.\d per 100,000", fill) and "Suppressed" not in fill
    assert len(drawn["Chelmsford"]) == 2  # its fill and the thick outline of the chosen district
    assert re.search(r'aria-label="District: Chelmsford[^"]*"[^>]*stroke-width="3.5"', svg)
    assert maps.SUPPRESSED_LEGEND in svg and "Compared with England" in svg
    assert "Basildon" in re.findall(r"<text[^>]*>([^<]*)</text>", svg)  # names written on the map (12 districts)


def test_suppressed_districts_carry_no_value_in_the_chart_data(essex):
    area, layer, table = essex
    spec = maps.district_map(table, "drug_misuse_deaths", layer, area=area, colour_by="value").to_dict()
    rows = [r for values in spec["datasets"].values() for r in values if r.get("district_name") in ("Harlow", "Braintree")]
    assert rows and all(r["value"] is None and r["fill_label"] == "Suppressed" for r in rows if "fill_label" in r)
    text = json.dumps(spec)
    assert '"name": "district"' in text and '"fields": ["district_code"]' in text  # the click selection the app reads


def test_value_colouring_has_stated_classes_significance_outlines_and_a_separate_suppressed_key(essex):
    area, layer, table = essex
    chart = maps.district_map(table, "drug_misuse_deaths", layer, area=area, colour_by="value")
    spec = chart.to_dict()
    svg = _svg(chart)
    _save_png(chart, "map_essex_value.png")
    assert "Rate per 100,000: fifths of the districts" in svg and "No value shown" in svg and maps.SUPPRESSED_LEGEND in svg
    fills = [layer_["encoding"]["fill"] for layer_ in spec["layer"] if "fill" in layer_.get("encoding", {})]
    assert any(f.get("scale", {}).get("type") == "quantile" and f["scale"]["range"] == maps.CLASS_COLOURS for f in fills)
    assert "linearGradient" not in svg  # classes, each with its range in the legend, not a gradient
    different = {name for name, deaths in ESSEX_DEATHS.items() if (deaths > 50 or deaths < 10) and deaths >= 3}
    different -= set(table.loc[table["count"].isna(), "area_name"])  # a hidden district carries no comparison
    assert different == {"Chelmsford", "Colchester", "Tendring", "Maldon", "Uttlesford"}
    outlines = [layer_ for layer_ in spec["layer"] if "stroke" in layer_.get("encoding", {})]
    assert outlines and "Outline: compared with England" in svg
    outlined = {r["area_label"] for r in spec["datasets"][outlines[0]["data"]["name"]]}
    assert outlined == different, "the outline marks exactly the districts significantly different from England"
    assert set(_shapes_by_district(svg)) == set(ESSEX_DEATHS)


def test_a_district_without_a_row_is_not_available_not_zero(essex):
    area, layer, table = essex
    fewer = table[table["area_name"] != "Tendring"]
    svg = _svg(maps.district_map(fewer, "drug_misuse_deaths", layer, area=area))
    tendring = _shapes_by_district(svg)["Tendring"][0]
    assert "Value: not available" in tendring and "Compared with England: Not available" in tendring
    assert "Not available" in svg


def test_a_table_that_skipped_disclosure_control_is_refused(essex):
    area, layer, _ = essex
    raw = _deaths_table(area, ESSEX_DEATHS)
    with pytest.raises(DisclosureError):
        maps.district_map(raw, "drug_misuse_deaths", layer, area=area)


def test_districts_missing_from_the_layer_or_the_highlight_are_named(essex):
    area, layer, table = essex
    with pytest.raises(SunaError, match=r"no boundary for 1 district\(s\) of Essex: E07000077"):
        maps.district_map(table, "drug_misuse_deaths", layer[layer["district_name"] != "Uttlesford"], area=area)
    with pytest.raises(UnknownAreaError, match="Atlantis"):
        maps.district_map(table, "drug_misuse_deaths", layer, area=area, highlight="Atlantis")


def test_sefton_msoa_map_renders_without_crowded_labels():
    area = areas.load_area("sefton")
    counts = {d.name: (i * 7) % 23 for i, d in enumerate(area.districts)}  # some 0-2: hidden by the rule
    table = disclosure.protect_indicators(_deaths_table(area, counts, population=8_000)).table
    chart = maps.district_map(table, "drug_misuse_deaths", shapes.district_layer(area), area=area, highlight="Sefton 001")
    svg = _svg(chart)
    _save_png(chart, "map_sefton_msoa.png")
    drawn = _shapes_by_district(svg)
    assert set(drawn) == set(area.district_codes)  # 38 MSOAs
    hidden = set(table.loc[table["count"].isna() & (table["parent_code"] == area.code), "area_code"])
    assert hidden and all("Value: suppressed" in drawn[c][0] for c in hidden)
    assert "Sefton 012" not in re.findall(r"<text[^>]*>([^<]*)</text>", svg)  # 38 names would crowd the map


def test_essex_map_from_published_ons_counts():
    from suna.indicators import deaths as death_indicators
    from suna.sources import ons

    deaths, mye = (REFERENCE / "ons_drug_poisoning_deaths_by_la_registered_1993_2020.csv",
                   REFERENCE / "ons_mye_la_single_year_of_age_persons_1997_2020.csv")
    if not (deaths.exists() and mye.exists()):
        pytest.skip("ONS deaths and population files are not present (../shared/reference/data)")
    area = areas.load_area("essex")
    raw = death_indicators.period_indicators(area, ons.read_ons_deaths_by_la(deaths), ons.read_nomis_population(mye))
    if "disclosure_rule" not in raw.columns:  # period_indicators leaves these to the caller (reported)
        raw = raw.assign(disclosure_rule="ons_deaths", measure="crude_rate")
    table = disclosure.protect_indicators(raw).table
    indicator = table["indicator_id"].iloc[0]
    chart = maps.district_map(table, indicator, shapes.district_layer(area), area=area)
    svg = _svg(chart)
    _save_png(chart, "map_essex_ons_deaths.png")
    drawn = _shapes_by_district(svg)
    assert set(drawn) == {d.name for d in area.districts}
    words = table.set_index("area_code")["compared_to_england"]
    for d in area.districts:
        assert f"Compared with England: {words[d.code]}" in drawn[d.name][0]
