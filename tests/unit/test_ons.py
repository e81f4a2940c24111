"""ONS tables: deaths by local authority, Nomis populations, a district map from published figures, and
the Census 2021 population by ethnic group.

Real files are read from ../shared/reference/data (skipped when absent; never copied here).
Expected values are the figures printed in those files, added up by hand in the comments. The Census
TS021 files are hand-made in its layout (tests/fixtures/ons, see its README).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from suna.core.errors import DataSourceError, ValidationError
from suna.indicators import deaths as death_indicators
from suna.model.areas import load_area
from suna.sources import ons

REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "data"
ONS_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ons"
TS021_LTLA = ONS_FIXTURES / "census2021-ts021-ltla.csv"
TS021_MSOA = ONS_FIXTURES / "census2021-ts021-msoa.csv"
DEATHS = REFERENCE / "ons_drug_poisoning_deaths_by_la_registered_1993_2020.csv"
MYE = REFERENCE / "ons_mye_la_single_year_of_age_persons_1997_2020.csv"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path.name} is not present (../shared/reference/data)")
    return path


@pytest.fixture(scope="module")
def real_deaths():
    return ons.read_ons_deaths_by_la(_need(DEATHS))


@pytest.fixture(scope="module")
def real_population():
    return ons.read_nomis_population(_need(MYE))


# --- real files -------------------------------------------------------------------------------

def test_real_deaths_counts_match_the_published_checks(real_deaths):
    d = real_deaths.set_index(["area_code", "period"])
    assert d.loc[("E08000014", "2020"), "count"] == 28  # Sefton 2020 (PROVENANCE check)
    assert d.loc[("K04000001", "2020"), "count"] == 4561  # England and Wales 2020
    assert d.loc[("E07000066", "1993"), "count"] == 5  # Basildon, last column
    assert d.loc[("E08000014", "2020"), "area_name"] == "Sefton"
    assert set(real_deaths["measure"]) == {"drug_poisoning"} and set(real_deaths["sex"]) == {"Persons"}
    assert len(real_deaths) == 375 * 28  # every area x every year 1993-2020, none dropped


def test_real_population_in_esp_bands(real_population):
    sefton = real_population[(real_population["area_code"] == "E08000014") & (real_population["year"] == 2020)]
    assert len(sefton) == 19 and set(sefton["sex"]) == {"Persons"}
    assert sefton["population_count"].sum() == 275899  # Sefton mid-2020 (PROVENANCE check)
    # The file marks ages 85-89 (and, for Northern Ireland, all ages) not available for 1997-2000 in England,
    # Wales and Northern Ireland: those rows are left out, and the notes say so. Scotland's are complete.
    english = real_population[real_population["area_code"].str.startswith("E")]
    assert english["year"].min() == 2001
    assert real_population.loc[real_population["area_code"].str.startswith("S"), "year"].min() == 1997
    assert any("left out" in n for n in real_population.attrs["notes"])


def _basildon_population(years: set[int]) -> float:
    """Sum of every single-year column for Basildon in the given years, straight from the CSV."""
    total = 0.0
    with open(_need(MYE), encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            if rec["code"] == "E07000066" and int(rec["year"]) in years:
                total += sum(float(v) for k, v in rec.items() if k.startswith("Age"))
    return total


def _byar(o: float) -> tuple[float, float]:
    """Byar's 95% limits for a count (Breslow & Day 1987), written out here to check the library."""
    z = 1.959963985
    lower = o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3
    upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * math.sqrt(o + 1))) ** 3
    return lower, upper


def test_essex_district_map_from_published_figures(real_deaths, real_population):
    table = death_indicators.period_indicators(load_area("essex"), real_deaths, real_population)
    by = table.set_index("area_code")
    assert set(load_area("essex").district_codes) <= set(by.index)
    assert {"E10000012", "E92000001"} <= set(by.index)
    assert set(table["period"]) == {"2018 - 20"}  # latest three registration years with populations
    basildon = by.loc["E07000066"]
    assert basildon["count"] == 11 + 7 + 11  # 2020, 2019, 2018 in the ONS table
    denominator = _basildon_population({2018, 2019, 2020})
    assert basildon["denominator"] == denominator
    assert basildon["value"] == pytest.approx(29 / denominator * 100000)
    lo, hi = _byar(29)
    assert basildon["value_lower_ci95"] == pytest.approx(lo / denominator * 100000, rel=1e-9)
    assert basildon["value_upper_ci95"] == pytest.approx(hi / denominator * 100000, rel=1e-9)
    assert by.loc["E10000012", "count"] == 99 + 94 + 87  # Essex county row, 2020..2018
    assert by.loc["E07000074", "count"] == 3 + 2 + 1  # Maldon 2020, 2019, 2018
    assert by.loc["E07000074", "value_note"].startswith("u: rate unreliable")  # Maldon: under 20 deaths
    assert by.loc["E92000001", "compared_to_england"] != by.loc["E92000001", "compared_to_england"]  # NaN for England
    assert set(table["compared_to_england"].dropna()) <= {"Better", "Similar", "Worse"}


def test_sefton_msoas_are_refused_with_the_reason(real_deaths, real_population):
    with pytest.raises(DataSourceError, match="ONS publishes these counts by local authority"):
        death_indicators.period_indicators(load_area("sefton"), real_deaths, real_population)


# --- small layouts written here -------------------------------------------------------------------

def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_long_rates_table_with_ons_markers(tmp_path):
    """An ONS-style table: title rows, periods, counts, rates with a 'u' flag and ':' for not calculated."""
    text = (
        "Table 6: Deaths related to drug misuse, local authorities, England and Wales\n"
        "Age-standardised rates per 100,000 population\n"
        "Area Codes,Area name,Registration period,Number of deaths,Rate,Lower 95% confidence limit,Upper 95% confidence limit\n"
        "E07000066,Basildon ,2020-2022,14,5.8 u,3.2,9.8\n"
        "E07000074,Maldon,2020-22,3,:,:,:\n"
        "E10000012,Essex,2020-2022,\"1,030\",4.2,3.9,4.5\n"
    )
    table = ons.read_ons_deaths_by_la(_write(tmp_path, "ons.csv", text), measure="drug_misuse")
    rec = table.set_index("area_code")
    assert rec.loc["E07000066", "period"] == "2020-2022" and rec.loc["E07000074", "period"] == "2020-2022"
    assert rec.loc["E07000066", "rate"] == 5.8 and "unreliable" in rec.loc["E07000066", "note"]
    assert rec.loc["E07000066", "area_name"] == "Basildon"
    assert math.isnan(rec.loc["E07000074", "rate"]) and "not available" in rec.loc["E07000074", "note"]
    assert rec.loc["E10000012", "count"] == 1030
    assert table["registration_year"].isna().all() and set(table["measure"]) == {"drug_misuse"}


def test_unreadable_cells_are_named(tmp_path):
    text = "code,name,2020,2019\nE07000066,Basildon,11,seven\nE0700007,Harlow,3,2\n"
    with pytest.raises(ValidationError) as info:
        ons.read_ons_deaths_by_la(_write(tmp_path, "ons.csv", text))
    message = str(info.value)
    assert "row 2, column '2019': value 'seven'" in message
    assert "row 3, column 'code': value 'E0700007'; expected a GSS area code" in message


def test_nomis_api_long_layout_by_sex(tmp_path):
    lines = ["DATE,GEOGRAPHY_NAME,GEOGRAPHY_CODE,GENDER_NAME,C_AGE_NAME,MEASURES_NAME,OBS_VALUE"]
    for sex, value in (("Male", 10), ("Female", 20)):
        lines.append(f"2022,Harlow,E07000073,{sex},All Ages,Value,{value * 91}")
        lines += [f"2022,Harlow,E07000073,{sex},Age {a},Value,{value}" for a in range(90)]
        lines.append(f"2022,Harlow,E07000073,{sex},Aged 90+,Value,{value}")
    table = ons.read_nomis_population(_write(tmp_path, "nomis.csv", "\n".join(lines) + "\n"))
    assert len(table) == 2 * 19
    male = table[table["sex"] == "Male"].set_index("age_band")["population_count"]
    assert male["0-4"] == 5 * 10 and male["90+"] == 10 and male.sum() == 91 * 10
    assert table["year"].unique().tolist() == [2022]


def test_nomis_web_download_with_title_lines(tmp_path):
    header = "local authority: district / unitary (as of April 2021),mnemonic," + ",".join(f"Age {a}" for a in range(90)) + ",Aged 90+"
    text = (
        "\"Population estimates - local authority based by single year of age\"\n"
        "\"ONS Crown Copyright Reserved [from Nomis on 1 May 2024]\"\n"
        "\"date : 2020\"\n"
        "\"gender : Female\"\n"
        "\n"
        f"{header}\n"
        "Harlow,E07000073," + ",".join(["1,000"] * 91) + "\n"
    ).replace(",1,000", ",\"1,000\"")
    table = ons.read_nomis_population(_write(tmp_path, "nomis.csv", text))
    assert set(table["sex"]) == {"Female"} and table["year"].unique().tolist() == [2020]
    assert table["population_count"].sum() == 91 * 1000


def test_missing_ages_are_refused(tmp_path):
    header = "code,name,year," + ",".join(f"Age {a}" for a in range(85)) + ",Aged 90+"
    text = header + "\nE07000073,Harlow,2020," + ",".join(["10"] * 86) + "\n"
    with pytest.raises(DataSourceError, match=r"E07000073 2020 Persons lacks ages 85-89"):
        ons.read_nomis_population(_write(tmp_path, "pop.csv", text))


def test_crude_rate_not_calculated_under_three_deaths(tmp_path):
    """A county of two districts: one with 2 deaths over three years gets no rate, with the reason."""
    area = load_area("worcestershire")
    codes = area.district_codes
    deaths = "code,name,2022,2021,2020\n" + "".join(
        f"{c},D{i},{1 if i == 0 else 10},{1 if i == 0 else 10},{0 if i == 0 else 10}\n" for i, c in enumerate(codes)
    ) + f"{area.code},Worcestershire,{1 + 10 * (len(codes) - 1)},{1 + 10 * (len(codes) - 1)},{10 * (len(codes) - 1)}\n"
    counts = ons.read_ons_deaths_by_la(_write(tmp_path, "d.csv", deaths))
    pop_header = "code,name,year," + ",".join(f"Age {a}" for a in range(90)) + ",Aged 90+"
    pop = pop_header + "\n" + "".join(
        f"{c},D,{y}," + ",".join(["100"] * 91) + "\n" for c in codes for y in (2020, 2021, 2022))
    population = ons.read_nomis_population(_write(tmp_path, "p.csv", pop))
    table = death_indicators.period_indicators(area, counts, population).set_index("area_code")
    first = table.loc[codes[0]]
    assert first["count"] == 2 and math.isnan(first["value"])
    assert first["value_note"] == "Rate not calculated: fewer than 3 deaths"
    second = table.loc[codes[1]]
    assert second["count"] == 30 and second["denominator"] == 3 * 9100
    assert second["value"] == pytest.approx(30 / 27300 * 100000)
    assert "E92000001" not in table.index  # no England row in these tables: left out, not invented


# --- Census 2021 ethnic group (TS021) ---------------------------------------------------------------

def _ts021_edited(tmp_path: Path, source: Path, edit) -> Path:
    """A copy of a TS021 fixture with its rows (header first) changed by ``edit``."""
    with open(source, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    path = tmp_path / source.name
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(edit(rows))
    return path


def test_census_ethnicity_keeps_the_area_and_its_five_groups():
    table = ons.read_census_ethnicity(TS021_LTLA, load_area("essex"))
    assert list(table.columns) == ["district_code", "ethnic_group", "population"]
    assert len(table) == 12 * 5  # every Essex district x white, mixed, asian, black, other
    assert set(table["district_code"]) == set(load_area("essex").district_codes)  # not Hartlepool, Southend, Thurrock
    basildon = table[table["district_code"] == "E07000066"].set_index("ethnic_group")["population"]
    # the Basildon row (file row 5): White 166,040, Mixed 4,600, Asian 7,300, Black 8,200, Other 1,460 = 187,600
    assert basildon.to_dict() == {"white": 166040, "mixed": 4600, "asian": 7300, "black": 8200, "other": 1460}
    assert basildon.sum() == 187600
    assert table["population"].dtype == float
    assert any("3 other areas in the file left out" in n for n in table.attrs["notes"])


def test_census_ethnicity_matches_msoas_by_name():
    """Halton's districts are MSOA 2011 names; the MSOA file is matched on its geography names."""
    table = ons.read_census_ethnicity(TS021_MSOA, load_area("halton"))
    assert len(table) == 16 * 5 and "Warrington 001" not in set(table["district_code"])
    first = table[table["district_code"] == "Halton 001"].set_index("ethnic_group")["population"]
    assert first.to_dict() == {"white": 7740, "mixed": 115, "asian": 67, "black": 33, "other": 21}


def test_census_headings_with_measures_suffix_are_read(tmp_path):
    """Some Nomis downloads end each count heading with '; measures: Value'."""
    path = _ts021_edited(tmp_path, TS021_LTLA, lambda rows: [
        [c if c in ("date", "geography", "geography code") else f"{c}; measures: Value" for c in rows[0]], *rows[1:]])
    assert len(ons.read_census_ethnicity(path, load_area("essex"))) == 60


def test_a_file_that_is_not_ts021_says_which_columns_are_missing(tmp_path):
    text = "date,geography,geography code,Age: Total,Age: Aged 4 years and under\n2021,Basildon,E07000066,187600,11000\n"
    path = _write(tmp_path, "census2021-ts007-ltla.csv", text)
    with pytest.raises(DataSourceError) as info:
        ons.read_census_ethnicity(path, load_area("essex"))
    message = str(info.value)
    assert message.startswith("census2021-ts007-ltla.csv: not the Census 2021 table TS021 'Ethnic group'")
    assert "the header on row 1 has no column 'Ethnic group: Total: All usual residents', 'Ethnic group: White'" in message
    assert "'Age: Total'" in message  # what it found instead


def test_the_wrong_geography_is_refused_with_the_file_to_use():
    with pytest.raises(DataSourceError, match=r"no rows for the districts of Sefton .*census2021-ts021-msoa.csv for an area reported by MSOA"):
        ons.read_census_ethnicity(TS021_LTLA, load_area("sefton"))


def test_a_missing_district_is_named(tmp_path):
    path = _ts021_edited(tmp_path, TS021_LTLA, lambda rows: [r for r in rows if r[2] != "E07000074"])
    with pytest.raises(DataSourceError, match=r"no rows for 1 of the 12 districts of Essex: Maldon \(E07000074\)"):
        ons.read_census_ethnicity(path, load_area("essex"))


def test_bad_counts_are_named_by_row_and_column(tmp_path):
    """Basildon (row 5) has a letter O in a number; Chelmsford's total (row 9) is 100 more than its groups."""
    def edit(rows):
        white = rows[0].index("Ethnic group: White")
        total = rows[0].index("Ethnic group: Total: All usual residents")
        rows[4][white] = "166O40"
        rows[8][total] = "181600"
        return rows

    with pytest.raises(ValidationError) as info:
        ons.read_census_ethnicity(_ts021_edited(tmp_path, TS021_LTLA, edit), load_area("essex"))
    message = str(info.value)
    assert message.startswith("census2021-ts021-ltla.csv (Census 2021 ethnic group (TS021)): 2 problems found.")
    assert "row 5, column 'Ethnic group: White': value '166O40'; expected a whole number of usual residents, 0 or more" in message
    # Chelmsford: 163,300 + 4,200 + 8,900 + 3,600 + 1,500 = 181,500
    assert "row 9, column 'Ethnic group: Total: All usual residents': value '181600'; expected the sum of the five ethnic groups (181,500)" in message


def test_suna_fetch_census_ethnicity_writes_the_extract(tmp_path, capsys):
    """The converted file is a population_ethnicity extract SUNA reads back unchanged."""
    from suna import cli
    from suna.sources.extracts import load_extract

    out = tmp_path / "population_ethnicity.csv"
    assert cli.main(["fetch", "census-ethnicity", "--file", str(TS021_LTLA), "--la", "essex", "--out", str(out)]) == 0
    assert "Wrote 60 rows (12 districts of Essex, Census 2021)" in capsys.readouterr().out
    assert out.read_text(encoding="utf-8").splitlines()[1] == "E07000066,white,166040"
    again = load_extract(out, "population_ethnicity", area=load_area("essex")).reset_index(drop=True)
    assert again.equals(ons.read_census_ethnicity(TS021_LTLA, load_area("essex")))
    assert cli.main(["fetch", "census-ethnicity", "--la", "essex"]) == 2
    assert "give the file with --file" in capsys.readouterr().err
