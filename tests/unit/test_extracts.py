"""Council extracts: templates load; real-world forms are forgiven; problems name file, row and column."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import shutil
from pathlib import Path

import pandas as pd
import pytest

from suna.core.errors import DataSourceError, ValidationError
from suna.model.areas import load_area
from suna.sources.extracts import load_extract, load_extracts

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "data" / "templates"


def test_treatment_template_loads_with_file_row_numbers_and_types():
    table = load_extract(TEMPLATES / "treatment.csv", "treatment")
    assert table.index.tolist() == [2, 3, 4, 5]  # the header is row 1
    first = table.loc[2]
    assert first["referral_date"] == pd.Timestamp(2023, 4, 3)  # 03/04/2023 is 3 April: day first
    assert first["start_date"] == pd.Timestamp(2023, 4, 17)
    assert pd.isna(first["discharge_date"]) and pd.isna(first["exit_reason"])
    assert str(table["age_years"].dtype) == "Int64" and first["age_years"] == 34
    assert first["has_housing_need"] is True or first["has_housing_need"] == True  # noqa: E712 - numpy bool
    assert table.loc[3, "exit_reason"] == "successful_completion"


def test_the_input_file_is_not_modified():
    path = TEMPLATES / "treatment.csv"
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    load_extract(path, "treatment")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_real_world_forms_are_accepted(tmp_path, caplog):
    """Friendly headers, lower case and stray spaces, labels for codes, district names, ICD-10 with dots."""
    text = (
        "EpiKey,AdmiDate,UTLA,District,LSOA11,Age,Gender,DIAG_01,Secondary diagnosis\n"
        "A1, 2023-04-05 ,e10000012 ,Basildon,e01021245,58, male ,K70.3,\"F10.2, E11.9\"\n"
        "A2,19/06/2023,E10000012,e07000073,,23,FEMALE,t40.1,\n"
    )
    path = _write(tmp_path, "admissions.csv", text)
    with caplog.at_level(logging.WARNING, logger="suna.sources.extracts"):
        table = load_extract(path, "admissions", area=load_area("essex"))
    assert table.loc[2, "utla_code"] == "E10000012"
    assert table.loc[2, "district_code"] == "E07000066"  # Basildon, by name
    assert table.loc[3, "district_code"] == "E07000073"
    assert table.loc[2, "small_area_code"] == "E01021245"
    assert table["sex"].tolist() == ["Male", "Female"]
    assert table["primary_diagnosis"].tolist() == ["K703", "T401"]
    assert table.loc[2, "secondary_diagnoses"] == "F102;E119"
    assert table["admission_date"].tolist() == [pd.Timestamp(2023, 4, 5), pd.Timestamp(2023, 6, 19)]
    assert "'Basildon' -> E07000066" in caplog.text  # a district name mapped is logged
    assert any("district name" in n for n in table.attrs["notes"])


def test_category_labels_are_read_as_codes(tmp_path):
    text = (TEMPLATES / "treatment.csv").read_text(encoding="utf-8")
    text = text.replace(",alcohol_only,", ",Alcohol Only,").replace(",successful_completion,", ", Successful completion ,")
    table = load_extract(_write(tmp_path, "treatment.csv", text), "treatment")
    assert table.loc[3, "substance_group"] == "alcohol_only"
    assert table.loc[3, "exit_reason"] == "successful_completion"


def test_windows_1252_and_utf8_bom(tmp_path):
    text = (TEMPLATES / "deaths.csv").read_text(encoding="utf-8").replace("D0002", "D0002-Zoë")
    cp = load_extract(_write(tmp_path, "deaths.csv", text, "cp1252"), "deaths")
    assert cp.loc[3, "death_id"] == "D0002-Zoë"
    assert any("Windows-1252" in n for n in cp.attrs["notes"])
    bom = load_extract(_write(tmp_path, "deaths_bom.csv", "\ufeff" + text), "deaths")
    assert "death_id" in bom.columns and bom.loc[3, "death_id"] == "D0002-Zoë"


def test_excel_title_rows_and_row_numbers_as_excel_shows_them(tmp_path):
    from openpyxl import Workbook

    deaths = pd.read_csv(TEMPLATES / "deaths.csv", dtype=str, keep_default_na=False)
    wb = Workbook()
    ws = wb.active
    ws.append(["Drug-related deaths, Essex"])
    ws.append(["Source: coroner's office, extracted 01/02/2024"])
    ws.append(list(deaths.columns))  # header on Excel row 3
    for rec in deaths.to_dict("records"):
        rec["registration_date"] = dt.datetime.strptime(rec["registration_date"], "%d/%m/%Y")  # a real Excel date
        rec["age_years"] = int(rec["age_years"])
        ws.append(list(rec.values()))
    ws["E5"] = "Nowhere"  # district of the second data row, Excel row 5
    path = tmp_path / "deaths.xlsx"
    wb.save(path)
    with pytest.raises(ValidationError) as info:
        load_extract(path, "deaths")
    problems = info.value.problems
    assert problems[["row", "column", "value"]].values.tolist() == [[5, "district_code", "Nowhere"]]
    ws["E5"] = "E07000071"
    wb.save(path)
    table = load_extract(path, "deaths")
    assert table.index.tolist() == [4, 5, 6]
    assert table.loc[4, "registration_date"] == pd.Timestamp(2023, 3, 14)


def test_impossible_date_names_row_and_column(tmp_path):
    text = (TEMPLATES / "admissions.csv").read_text(encoding="utf-8").replace("02/09/2023", "30/02/2023")
    with pytest.raises(ValidationError) as info:
        load_extract(_write(tmp_path, "admissions.csv", text), "admissions")
    assert "admissions.csv (admissions): 1 problem found." in str(info.value)
    assert "row 4, column 'admission_date': value '30/02/2023'; expected a real date" in str(info.value)


def test_misplaced_month_first_date_is_not_guessed(tmp_path):
    """12/04/2023 is 12 April (day first); never read as 4 December."""
    table = load_extract(TEMPLATES / "treatment.csv", "treatment")
    assert table.loc[3, "referral_date"] == pd.Timestamp(2023, 4, 12)


def test_sefton_msoa_districts_by_name(tmp_path):
    text = (
        "death_id,registration_date,occurrence_date,utla_code,district_code,small_area_code,age_years,sex,underlying_cause,has_controlled_drug_mention\n"
        "D1,2023-03-14,2023-01-02,E08000014,sefton 001,,41,Male,X42,yes\n"
    )
    table = load_extract(_write(tmp_path, "deaths.csv", text), "deaths")
    assert table.loc[2, "district_code"] == "Sefton 001"


def test_parquet_and_a_folder_of_extracts(tmp_path):
    shutil.copy(TEMPLATES / "treatment.xlsx", tmp_path / "treatment.xlsx")
    shutil.copy(TEMPLATES / "deaths.csv", tmp_path / "deaths.csv")
    pd.read_csv(TEMPLATES / "population.csv").to_parquet(tmp_path / "population.parquet")
    (tmp_path / "notes.txt").write_text("not an extract")
    tables = load_extracts(load_area("essex"), tmp_path)
    assert sorted(tables) == ["deaths", "population", "treatment"]
    assert len(tables["treatment"]) == 4 and len(tables["deaths"]) == 3 and len(tables["population"]) == 6
    assert tables["population"]["population_count"].sum() == 6512 + 6201 + 6879 + 6604 + 412 + 981
    shutil.copy(TEMPLATES / "treatment.csv", tmp_path / "treatment.csv")
    with pytest.raises(DataSourceError, match="more than one treatment file"):
        load_extracts(load_area("essex"), tmp_path)


def test_empty_folder_says_what_is_expected(tmp_path):
    with pytest.raises(DataSourceError, match="expected files named treatment, admissions, deaths or population"):
        load_extracts(load_area("essex"), tmp_path)


KINDS = ("treatment", "admissions", "deaths", "population", "population_ethnicity", "crime")


def test_every_template_has_an_xlsx_twin_with_the_same_content():
    for kind in KINDS:
        from_csv = load_extract(TEMPLATES / f"{kind}.csv", kind)
        from_xlsx = load_extract(TEMPLATES / f"{kind}.xlsx", kind)
        pd.testing.assert_frame_equal(from_csv.reset_index(drop=True), from_xlsx.reset_index(drop=True))


def test_a_canonical_table_saved_as_parquet_reads_back_the_same(tmp_path):
    """Typed columns (Int64, dates, NaT, missing text, booleans) survive the Parquet route."""
    for kind in KINDS:
        table = load_extract(TEMPLATES / f"{kind}.csv", kind)
        path = tmp_path / f"{kind}.parquet"
        table.reset_index(drop=True).to_parquet(path)
        again = load_extract(path, kind)
        pd.testing.assert_frame_equal(table.reset_index(drop=True), again.reset_index(drop=True))


def test_population_by_ethnicity_template_finds_its_area_from_the_districts():
    table = load_extract(TEMPLATES / "population_ethnicity.csv", "population_ethnicity")
    assert table.index.tolist() == list(range(2, 32))  # six Worcestershire districts x five groups
    assert table.loc[2].to_dict() == {"district_code": "E07000234", "ethnic_group": "white", "population": 93100.0}
    assert any("checked against Worcestershire (E10000034)" in n for n in table.attrs["notes"])


def test_population_by_ethnicity_accepts_names_and_labels(tmp_path):
    """District names and the category labels of categories.yaml, as a spreadsheet would have them."""
    text = (TEMPLATES / "population_ethnicity.csv").read_text(encoding="utf-8")
    text = text.replace("district_code,ethnic_group,population", "District,Ethnicity,Usual residents")
    text = text.replace("E07000235,", "Malvern Hills,").replace(",white,", ",White,")
    table = load_extract(_write(tmp_path, "population_ethnicity.csv", text), "population_ethnicity")
    assert set(table["district_code"]) == set(load_area("worcestershire").district_codes)
    assert set(table["ethnic_group"]) == {"white", "mixed", "asian", "black", "other"}


def test_population_by_ethnicity_must_cover_every_district(tmp_path):
    lines = (TEMPLATES / "population_ethnicity.csv").read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.startswith("E07000239,") and line != "E07000237,other,900"]
    path = _write(tmp_path, "population_ethnicity.csv", "\n".join(kept) + "\n")
    with pytest.raises(ValidationError) as info:
        load_extract(path, "population_ethnicity")
    message = str(info.value)
    assert "population_ethnicity.csv (population_ethnicity): 1 problem found." in message
    assert "no rows for 1 of the 6 districts of Worcestershire: Wyre Forest (E07000239); Worcester has no row for other" in message


def test_a_folder_with_the_population_by_ethnicity(tmp_path):
    shutil.copy(TEMPLATES / "population_ethnicity.xlsx", tmp_path / "population_ethnicity.xlsx")
    shutil.copy(TEMPLATES / "population.csv", tmp_path / "population.csv")
    tables = load_extracts(load_area("worcestershire"), tmp_path)
    assert sorted(tables) == ["population", "population_ethnicity"]
    assert len(tables["population_ethnicity"]) == 30
