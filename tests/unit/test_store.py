"""The canonical-table store: per-area reads, clear messages when data are missing, atomic writes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from suna.core.errors import DataSourceError, SunaError, ValidationError
from suna.model.areas import load_area
from suna.sources import store

ESSEX, SEFTON = "E10000012", "E08000014"


def _treatment() -> pd.DataFrame:
    """Three episodes: two in Essex (Tendring, Colchester), one in Sefton; one still open."""
    return pd.DataFrame(
        {
            "client_id": ["c1", "c2", "c3"],
            "episode_id": ["e1", "e2", "e3"],
            "utla_code": [ESSEX, ESSEX, SEFTON],
            "district_code": ["E07000076", "E07000071", "Sefton 030"],
            "small_area_code": ["E01021895", None, None],
            "sex": ["Male", "Female", "Male"],
            "age_years": pd.array([41, 29, 52], dtype="Int64"),
            "ethnic_group": ["white", "white", "not_stated"],
            "substance_group": ["opiate", "alcohol_only", "non_opiate_only"],
            "substances": ["heroin;crack", "alcohol", None],
            "referral_source": ["self", "gp", "probation"],
            "referral_date": pd.to_datetime(["2021-05-01", "2021-06-01", "2022-01-10"]),
            "triage_date": pd.to_datetime(["2021-05-03", None, "2022-01-12"]),
            "start_date": pd.to_datetime(["2021-05-10", "2021-06-08", "2022-01-20"]),
            "discharge_date": pd.to_datetime(["2022-02-01", None, "2022-06-30"]),
            "setting": ["community", "community", "primary_care"],
            "exit_reason": ["successful_completion", None, "dropped_out"],
            "has_housing_need": [True, False, False],
            "has_mental_health_need": [True, True, False],
            "lives_with_children": [False, True, False],
            "is_injecting": [True, False, False],
        }
    )


def _population() -> pd.DataFrame:
    """One cell each for Tendring, Colchester, a Sefton MSOA and Thurrock (a unitary outside Essex)."""
    return pd.DataFrame(
        {
            "area_code": ["E07000076", "E07000071", "Sefton 030", "E06000034"],
            "year": pd.array([2021] * 4, dtype="Int64"),
            "sex": ["Male"] * 4,
            "age_band": ["40-44"] * 4,
            "population_count": [4100.0, 6200.0, 300.0, 5000.0],
        }
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A data folder with a tiny treatment and population table for two areas."""
    store.write_table(_treatment(), tmp_path / "treatment.parquet")
    store.write_table(_population(), tmp_path / "population.parquet")
    return tmp_path


def test_load_tables_keeps_only_the_area(folder: Path) -> None:
    out = store.load_tables(load_area("essex"), folder, tables=("treatment", "population"))
    assert out["treatment"]["episode_id"].tolist() == ["e1", "e2"]
    assert sorted(out["population"]["area_code"]) == ["E07000071", "E07000076"]  # not Thurrock, not Sefton
    assert out["treatment"].index.tolist() == [0, 1]
    sefton = store.load_tables(load_area("sefton"), folder, tables=("treatment",))
    assert sefton["treatment"]["client_id"].tolist() == ["c3"]


def test_loaded_tables_are_validated_and_typed(folder: Path) -> None:
    treatment = store.load_tables(load_area("essex"), folder, tables=("treatment",))["treatment"]
    assert str(treatment["age_years"].dtype) == "Int64"
    assert str(treatment["start_date"].dtype) == "datetime64[ns]"


def test_changing_a_loaded_table_does_not_change_the_next_load(folder: Path) -> None:
    area = load_area("essex")
    first = store.load_tables(area, folder, tables=("treatment",))["treatment"]
    first.loc[0, "sex"] = "Female"
    again = store.load_tables(area, folder, tables=("treatment",))["treatment"]
    assert again.loc[0, "sex"] == "Male"


def test_a_rewritten_file_is_read_afresh(folder: Path) -> None:
    area = load_area("essex")
    assert len(store.load_tables(area, folder, tables=("treatment",))["treatment"]) == 2
    store.write_table(_treatment().iloc[[0, 2]], folder / "treatment.parquet")  # a smaller file: Tendring and Sefton
    assert store.load_tables(area, folder, tables=("treatment",))["treatment"]["episode_id"].tolist() == ["e1"]


def test_missing_sample_says_run_suna_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUNA_SAMPLE_DIR", str(tmp_path / "never_built"))
    with pytest.raises(SunaError, match=r"run `suna sample` first"):
        store.load_tables(load_area("halton"))


def test_missing_file_is_named(folder: Path) -> None:
    with pytest.raises(DataSourceError, match=r"deaths\.parquet: the deaths table is missing"):
        store.load_tables(load_area("essex"), folder, tables=("deaths",))


def test_no_rows_for_the_area_is_an_error(folder: Path) -> None:
    with pytest.raises(DataSourceError, match=r"no rows with utla_code E10000034 \(Worcestershire\)"):
        store.load_tables(load_area("worcestershire"), folder, tables=("treatment",))


def test_unknown_table_name_is_refused(folder: Path) -> None:
    with pytest.raises(SunaError, match="Unknown canonical table 'prescriptions'"):
        store.load_tables(load_area("essex"), folder, tables=("prescriptions",))


def test_a_broken_file_names_itself_and_the_row(folder: Path) -> None:
    broken = _treatment().assign(sex=["Male", "M", "Male"])
    store.write_table(broken, folder / "treatment.parquet")
    with pytest.raises(ValidationError) as info:
        store.load_tables(load_area("essex"), folder, tables=("treatment",))
    assert str(folder / "treatment.parquet") in str(info.value)
    assert "row 1, column 'sex': value 'M'" in str(info.value)


def test_failed_write_leaves_the_old_file_in_place(tmp_path: Path) -> None:
    target = tmp_path / "population.parquet"
    store.write_table(_population(), target)
    before = target.read_bytes()
    unwritable = pd.DataFrame({"area_code": ["E07000076", 7]})  # mixed text and number: Parquet refuses it
    with pytest.raises(DataSourceError, match="population.parquet: could not be written"):
        store.write_table(unwritable, target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["population.parquet"]  # no temporary file left


def test_write_csv_and_text_are_atomic_too(tmp_path: Path) -> None:
    store.write_csv(pd.DataFrame({"a": [1, 2]}), tmp_path / "out.csv")
    store.write_text("hello\n", tmp_path / "note.txt")
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == "a\n1\n2\n"
    assert (tmp_path / "note.txt").read_text(encoding="utf-8") == "hello\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["note.txt", "out.csv"]


def _population_ethnicity() -> pd.DataFrame:
    """Every Essex district with 1,000 residents in each of the five groups, and one row for a Sefton MSOA."""
    codes = load_area("essex").district_codes
    groups = ["white", "mixed", "asian", "black", "other"]
    return pd.DataFrame(
        {
            "district_code": [c for c in codes for _ in groups] + ["Sefton 030"],
            "ethnic_group": groups * len(codes) + ["white"],
            "population": 1000.0,
        }
    )


ETHNICITY = ("treatment", "population", "population_ethnicity")


def test_the_optional_population_by_ethnicity_may_be_absent(folder: Path) -> None:
    out = store.load_tables(load_area("essex"), folder, tables=ETHNICITY)
    assert sorted(out) == ["population", "treatment"]


def test_population_by_ethnicity_is_kept_for_the_area(folder: Path) -> None:
    store.write_table(_population_ethnicity(), folder / "population_ethnicity.parquet")
    essex = store.load_tables(load_area("essex"), folder, tables=ETHNICITY)["population_ethnicity"]
    assert len(essex) == 12 * 5 and "Sefton 030" not in set(essex["district_code"])
    assert essex["population"].dtype == float


def test_population_by_ethnicity_without_the_area_is_left_out(folder: Path) -> None:
    store.write_table(_population_ethnicity(), folder / "population_ethnicity.parquet")
    assert store.load_tables(load_area("worcestershire"), folder, tables=("population_ethnicity",)) == {}


def test_incomplete_population_by_ethnicity_is_an_error(folder: Path) -> None:
    store.write_table(_population_ethnicity(), folder / "population_ethnicity.parquet")
    with pytest.raises(DataSourceError, match=r"population by ethnic group is incomplete: no rows for 37 of the 38 districts of Sefton"):
        store.load_tables(load_area("sefton"), folder, tables=("population_ethnicity",))
