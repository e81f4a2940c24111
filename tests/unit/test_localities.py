"""Localities: small areas grouped so that each has enough residents, named or merged with neighbours."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from suna.core.errors import ParametersError
from suna.model import areas
from suna.sources import localities, shapes


def _area(spec):
    raw = areas.read_params("halton")
    raw["area_definition"] = {**raw["area_definition"], "localities": spec}
    return areas.area_from_params(raw, source="params/halton.yaml")


# A strip of five small areas a-b-c-d-e (each touches the next) with these residents.
STRIP = ["a", "b", "c", "d", "e"]
TOUCHING = {"a": {"b"}, "b": {"a", "c"}, "c": {"b", "d"}, "d": {"c", "e"}, "e": {"d"}}


def test_the_smallest_group_merges_with_its_smallest_neighbour_until_each_reaches_the_minimum():
    residents = {"a": 5, "b": 20, "c": 6, "d": 4, "e": 30}
    # d (4) takes its smaller neighbour c (6): cd 10; a (5) takes b: ab 25; cd (10) then takes ab (25,
    # smaller than e 30): abcd 35; e is 30. Both at least 25: done.
    assert localities.merge_neighbours(STRIP, residents, TOUCHING, 25) == [("a", "b", "c", "d"), ("e",)]


def test_areas_already_large_enough_stay_as_they_are():
    residents = dict.fromkeys(STRIP, 100)
    assert localities.merge_neighbours(STRIP, residents, TOUCHING, 50) == [(c,) for c in STRIP]


def test_a_minimum_above_the_whole_area_leaves_one_locality():
    assert localities.merge_neighbours(STRIP, dict.fromkeys(STRIP, 1), TOUCHING, 1000) == [tuple(STRIP)]


def test_an_island_with_no_neighbour_joins_the_smallest_group():
    touching = {"a": {"b"}, "b": {"a"}, "c": set()}
    assert localities.merge_neighbours(["a", "b", "c"], {"a": 10, "b": 20, "c": 3}, touching, 12) == [("a", "c"), ("b",)]


def test_halton_msoas_merge_with_their_neighbours_into_localities_of_25000_residents():
    area = _area({"min_population": 25000})
    population = pd.DataFrame({"area_code": area.district_codes, "year": 2023, "sex": "Male", "age_band": "0-4",
                               "population_count": 8000.0})
    groups = localities.plan(area, population)
    # 16 MSOAs of 8,000: groups of at least 4 (32,000), every MSOA in exactly one; greedy, so
    # one group may take two leftovers (the shipped boundaries decide which touch)
    assert all(len(m) >= 4 for _, m in groups) and len(groups) >= 3
    assert sorted(c for _, m in groups for c in m) == sorted(area.district_codes)
    touching = localities.neighbours(area)
    for _, members in groups:  # each locality is connected: every member touches another member
        assert all(touching[m] & set(members) for m in members)
    assert groups[0][0].startswith("Halton 001")  # named by its MSOAs, the prefix said once


def test_named_localities_from_the_parameters_recode_every_table():
    codes = areas.load_area("halton").district_codes
    area = _area({"groups": {"Widnes": codes[:8], "Runcorn": codes[8:]}})
    tables = {
        "treatment": pd.DataFrame({"district_code": [codes[0], codes[9], "UNKNOWN"], "person_id": [1, 2, 3]}),
        "population": pd.DataFrame({"area_code": [codes[0], codes[1], codes[9], area.code], "year": 2023, "sex": "Male",
                                    "age_band": "0-4", "population_count": [10.0, 20.0, 5.0, 35.0]}),
    }
    local, out = localities.apply(area, tables)
    assert [d.name for d in local.districts] == ["Widnes", "Runcorn"]
    widnes, runcorn = local.district_codes
    assert out["treatment"]["district_code"].tolist() == [widnes, runcorn, "UNKNOWN"]  # unknown kept for validation to report
    pop = out["population"].set_index("area_code")["population_count"]
    assert pop.to_dict() == {widnes: 30.0, runcorn: 5.0, area.code: 35.0}
    assert local.extra["members"][widnes] == codes[:8]
    assert "named in the area's parameters" in local.district_type
    assert tables["treatment"]["district_code"].tolist()[0] == codes[0]  # the input is not modified


def test_the_locality_map_dissolves_its_small_areas_and_lists_them():
    codes = areas.load_area("halton").district_codes
    area = _area({"groups": {"Widnes": codes[:8], "Runcorn": codes[8:]}})
    local, _ = localities.apply(area, {})
    layer = shapes.district_layer(local)
    assert layer["district_name"].tolist() == ["Widnes", "Runcorn"]
    assert layer["members"].iloc[0].startswith("Halton 001, Halton 002")
    small = shapes.district_layer(area)
    assert layer.to_crs(27700).area.sum() == pytest.approx(small.to_crs(27700).area.sum(), rel=0.01)


@pytest.mark.parametrize(("spec", "message"), [
    ({"min_population": 0}, r"localities.min_population' is 0; expected a whole number"),
    ({"min_population": "many"}, r"localities.min_population' is 'many'"),
    ({"size": 3}, r"'localities' must be a mapping with one key: min_population"),
    ({"groups": {"Widnes": ["Halton 001", "Nowhere 999"]}}, r"lists 'Nowhere 999', which is not one of area_definition.districts"),
    ({"groups": {"A": ["Halton 001"], "B": ["Halton 001"]}}, r"already in locality 'A'"),
    ({"groups": {"A": ["Halton 001"]}}, r"leaves out Halton 002"),
])
def test_a_wrong_localities_parameter_names_the_file_key_and_what_was_expected(spec, message):
    with pytest.raises(ParametersError, match=r"^params/halton.yaml: parameter .*" + message):
        _area(spec)


def test_merging_needs_the_population_table():
    with pytest.raises(ParametersError, match="needs the population table"):
        localities.plan(_area({"min_population": 1000}), None)


def test_an_area_without_localities_is_unchanged():
    area = areas.load_area("essex")
    tables = {"treatment": pd.DataFrame({"district_code": ["E07000066"]})}
    assert localities.apply(area, tables) == (area, tables)
    assert dataclasses.replace(area).localities == ()
