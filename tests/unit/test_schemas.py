"""Schemas: a broken input is reported with table, column, row and the rule, every problem at once."""

from __future__ import annotations

import pandas as pd
import pytest

from suna.core.errors import ValidationError
from suna.model import schemas


def _deaths() -> pd.DataFrame:
    """Two valid death registrations; tests break copies of them."""
    return pd.DataFrame(
        {
            "death_id": ["d1", "d2"],
            "registration_date": pd.to_datetime(["2021-03-01", "2021-06-01"]),
            "occurrence_date": pd.to_datetime(["2020-11-20", "2021-05-02"]),
            "utla_code": ["E10000012"] * 2,
            "district_code": ["E07000076", "E07000071"],
            "small_area_code": ["E01021895", None],
            "age_years": [41, 38],
            "sex": ["Male", "Female"],
            "underlying_cause": ["X42", "F112"],
            "has_controlled_drug_mention": [True, False],
        },
        index=[2, 3],  # file row numbers: the header is row 1
    )


def test_valid_table_passes_and_is_returned():
    out = schemas.validate(_deaths(), "deaths")
    assert len(out) == 2 and str(out["age_years"].dtype) == "Int64"


def test_every_problem_is_named_with_row_and_column():
    broken = _deaths().assign(sex=["Male", "M"], underlying_cause=["X42", "X4.2"], age_years=[41, 150])
    with pytest.raises(ValidationError) as info:
        schemas.validate(broken, "deaths", source="deaths.csv")
    message = str(info.value)
    assert message.startswith("deaths.csv (deaths): 3 problems found.")
    assert "row 3, column 'sex': value 'M'; expected one of the sexes: Male, Female." in message
    assert "row 3, column 'underlying_cause': value 'X4.2'" in message
    assert "row 3, column 'age_years': value 150; expected an age in whole years from 0 to 120." in message
    problems = info.value.problems
    assert set(problems["row"]) == {3}


def test_missing_column_is_named():
    with pytest.raises(ValidationError, match="column 'sex': expected this column to be present"):
        schemas.validate(_deaths().drop(columns=["sex"]), "deaths")


def test_registration_before_occurrence_is_refused():
    broken = _deaths().assign(occurrence_date=pd.to_datetime(["2021-04-01", "2021-05-02"]))
    with pytest.raises(ValidationError, match="registration_date on or after occurrence_date"):
        schemas.validate(broken, "deaths")


def test_duplicated_ids_are_refused():
    broken = _deaths().assign(death_id=["d1", "d1"])
    with pytest.raises(ValidationError, match="not repeated in another row"):
        schemas.validate(broken, "deaths")


def test_fingertips_layout_round_trip():
    frame = pd.DataFrame({"Indicator ID": [92432], "Area Code": ["E10000012"], "Time period": ["2019 - 21"], "Value": [8.9]})
    ours = schemas.from_fingertips_layout(frame)
    assert list(ours.columns) == ["indicator_id", "area_code", "period", "value"]
    assert list(schemas.to_fingertips_layout(ours).columns) == list(frame.columns)


def _population_ethnicity() -> pd.DataFrame:
    """Basildon's five Census ethnic groups; tests break copies of it."""
    return pd.DataFrame(
        {"district_code": ["E07000066"] * 5, "ethnic_group": ["white", "mixed", "asian", "black", "other"],
         "population": [166040.0, 4600.0, 7300.0, 8200.0, 1460.0]},
        index=range(2, 7),
    )


def test_population_ethnicity_passes_and_has_no_not_stated_group():
    assert len(schemas.validate(_population_ethnicity(), "population_ethnicity")) == 5
    assert schemas.census_ethnic_groups() == ["white", "mixed", "asian", "black", "other"]


def test_population_ethnicity_problems_are_named():
    broken = _population_ethnicity().assign(ethnic_group=["white", "mixed", "not_stated", "black", "white"],
                                            population=[166040.0, -4600.0, 7300.0, 8200.0, 1460.0])
    with pytest.raises(ValidationError) as info:
        schemas.validate(broken, "population_ethnicity", source="population_ethnicity.csv")
    message = str(info.value)
    assert message.startswith("population_ethnicity.csv (population_ethnicity):")
    assert "row 3, column 'population': value -4600.0; expected a number of usual residents, 0 or more." in message
    assert ("row 4, column 'ethnic_group': value 'not_stated'; expected one of the Census ethnic groups: "
            "white, mixed, asian, black, other.") in message
    assert "not repeated in another row" in message  # Basildon white twice (rows 2 and 6)
