"""Areas: the four first customers load with real GSS codes, and unknown names fail clearly."""

from __future__ import annotations

import csv

import pytest

from suna.core.errors import ParametersError, UnknownAreaError
from suna.model import areas


def test_every_params_file_loads():
    loaded = {a.slug: a for a in areas.load_all_areas()}
    assert set(loaded) == {"essex", "halton", "sefton", "worcestershire"}
    # District counts from the seed documents and ONS: Essex 12, Worcestershire 6 lower-tier districts.
    assert len(loaded["essex"].districts) == 12
    assert len(loaded["worcestershire"].districts) == 6
    assert loaded["essex"].is_county and not loaded["halton"].is_county


def test_district_lookup_forgives_case_and_names():
    essex = areas.load_area("essex")
    assert essex.district("tendring").code == "E07000076"
    assert essex.district(" E07000071 ").name == "Colchester"


def test_unknown_district_names_the_choices():
    with pytest.raises(UnknownAreaError, match="Unknown district of Essex 'Southend'.*Basildon"):
        areas.load_area("essex").district("Southend")


def test_unknown_area_names_the_params_files():
    with pytest.raises(UnknownAreaError, match="'Narnia'.*essex, halton, sefton, worcestershire"):
        areas.load_area("Narnia")


def test_hierarchy_runs_england_to_district():
    h = areas.load_area("worcestershire").hierarchy()
    assert h["area_level"].tolist()[:3] == ["england", "region", "upper_tier"]
    assert h.loc[h["area_level"] == "region", "area_name"].item() == "West Midlands"
    assert set(h.loc[h["area_level"] == "district", "parent_code"]) == {"E10000034"}


def test_bad_parameters_name_the_key():
    raw = areas.read_params("essex")
    broken = {**raw, "period": "2023-24"}
    with pytest.raises(ParametersError, match="'period' is '2023-24'; expected a financial year"):
        areas.area_from_params(broken, source="essex.yaml")
    no_districts = {**raw, "area_definition": {**raw["area_definition"], "districts": []}}
    with pytest.raises(ParametersError, match="area_definition.districts"):
        areas.area_from_params(no_districts)


def test_county_codes_match_the_ons_lookup(shared_reference):
    """Every county district in params is in the ONS LTLA23 -> UTLA23 lookup under its county."""
    with open(shared_reference / "shapes" / "ltla23_to_utla23_ew_lookup.csv", encoding="utf-8-sig") as fh:
        lookup = {r["ltla23_code"]: (r["ltla23_name"], r["utla23_code"]) for r in csv.DictReader(fh)}
    for slug in ("essex", "worcestershire"):
        area = areas.load_area(slug)
        for d in area.districts:
            assert lookup[d.code] == (d.name, area.code)
    for slug in ("sefton", "halton"):
        area = areas.load_area(slug)
        assert lookup[area.code][1] == area.code


def test_regions_match_the_ons_lookup(shared_reference):
    with open(shared_reference / "shapes" / "ltla24_to_region24_en_lookup.csv", encoding="utf-8-sig") as fh:
        region = {r["ltla24_code"]: r["region24_code"] for r in csv.DictReader(fh)}
    for area in areas.load_all_areas():
        probe = area.districts[0].code if area.is_county else area.code
        assert region[probe] == area.region_code
