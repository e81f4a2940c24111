"""Canonical tables and their pandera schemas: treatment, admissions, deaths, population,
population_ethnicity (optional), crime (optional: the community-safety figures a partnership receives),
prison_releases (optional: adults released from prison with a treatment need, for continuity of care) and indicators.

Every source is turned into one of these and validated here; a failure raises one
:class:`suna.core.errors.ValidationError` that names the table, column, row(s), value and rule.
Category lists come from data/reference/categories.yaml, never from literals here.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
import pandera.pandas as pa

from suna.core import reference
from suna.core.errors import ValidationError

ICD10_PATTERN = r"^[A-Z][0-9]{2}[0-9X]?$"
TABLES = ("treatment", "admissions", "deaths", "population", "population_ethnicity", "crime", "prison_releases", "indicators")
NOT_STATED = "not_stated"  # an ethnic group code that records can carry but the Census cannot

# Fingertips CSV layout (as downloaded from fingertips.phe.org.uk) <-> SUNA's snake_case names.
FINGERTIPS_COLUMNS = {
    "Indicator ID": "indicator_id",
    "Indicator Name": "indicator_name",
    "Parent Code": "parent_code",
    "Parent Name": "parent_name",
    "Area Code": "area_code",
    "Area Name": "area_name",
    "Area Type": "area_type",
    "Sex": "sex",
    "Age": "age",
    "Category Type": "category_type",
    "Category": "category",
    "Time period": "period",
    "Value": "value",
    "Lower CI 95.0 limit": "value_lower_ci95",
    "Upper CI 95.0 limit": "value_upper_ci95",
    "Lower CI 99.8 limit": "value_lower_ci998",
    "Upper CI 99.8 limit": "value_upper_ci998",
    "Count": "count",
    "Denominator": "denominator",
    "Value note": "value_note",
    "Recent Trend": "recent_trend",
    "Compared to England value or percentiles": "compared_to_england",
    "Compared to Region value or percentiles": "compared_to_region",
    "Time period Sortable": "period_sortable",
}
INDICATOR_COLUMNS = list(FINGERTIPS_COLUMNS.values())


def to_fingertips_layout(indicators: pd.DataFrame) -> pd.DataFrame:
    """SUNA indicators table -> the Fingertips CSV layout (column names and order)."""
    back = {v: k for k, v in FINGERTIPS_COLUMNS.items()}
    present = [c for c in INDICATOR_COLUMNS if c in indicators.columns]
    return indicators[present].rename(columns=back)


def from_fingertips_layout(frame: pd.DataFrame) -> pd.DataFrame:
    """The Fingertips CSV layout -> SUNA's indicators table (extra Fingertips columns are kept)."""
    return frame.rename(columns=FINGERTIPS_COLUMNS)


def _col(dtype, nullable=False, checks=None, required=True, coerce=True):
    return pa.Column(dtype, nullable=nullable, checks=checks, required=required, coerce=coerce)


def _isin(kind: str) -> pa.Check:
    return pa.Check.isin(reference.category_codes(kind), error=f"one of the {kind.replace('_', ' ')}: {', '.join(reference.category_codes(kind))}")


def census_ethnic_groups() -> list[str]:
    """The ethnic groups a resident population is counted in: SUNA's list less "not stated".

    Census 2021 gives every usual resident a group (ONS imputes missing answers), so a population
    by ethnic group has no "not stated" row even though treatment records do.
    """
    return [code for code in reference.category_codes("ethnic_groups") if code != NOT_STATED]


def _age() -> pa.Check:
    return pa.Check.in_range(0, 120, error="an age in whole years from 0 to 120")


@lru_cache(maxsize=None)
def schema(table: str) -> pa.DataFrameSchema:
    """The pandera schema of one canonical table."""
    sex = _isin("sexes")
    if table == "treatment":
        return pa.DataFrameSchema(
            {
                "client_id": _col(str, checks=pa.Check.str_length(1, 64, error="a non-empty pseudonymous id")),
                "episode_id": _col(str, checks=pa.Check.str_length(1, 64, error="a non-empty episode id")),
                "utla_code": _col(str),
                "district_code": _col(str),
                "small_area_code": _col(str, nullable=True),
                "sex": _col(str, checks=sex),
                "age_years": _col("Int64", checks=_age()),
                "ethnic_group": _col(str, checks=_isin("ethnic_groups")),
                "substance_group": _col(str, checks=_isin("substance_groups")),
                "substances": _col(str, nullable=True),
                "referral_source": _col(str, checks=_isin("referral_sources")),
                "referral_date": _col("datetime64[ns]"),
                "triage_date": _col("datetime64[ns]", nullable=True),
                "start_date": _col("datetime64[ns]"),
                "discharge_date": _col("datetime64[ns]", nullable=True),
                "setting": _col(str, checks=_isin("settings")),
                "exit_reason": _col(str, nullable=True, checks=_isin("exit_reasons")),
                "has_housing_need": _col(bool),
                "has_mental_health_need": _col(bool),
                "lives_with_children": _col(bool),
                "is_injecting": _col(bool),
            },
            checks=[
                pa.Check(lambda d: d["start_date"] >= d["referral_date"], element_wise=False,
                         error="start_date on or after referral_date"),
                pa.Check(lambda d: d["discharge_date"].isna() | (d["discharge_date"] >= d["start_date"]),
                         error="discharge_date empty or on or after start_date"),
                pa.Check(lambda d: d["exit_reason"].isna() == d["discharge_date"].isna(),
                         error="exit_reason given exactly when discharge_date is given"),
            ],
            unique=["episode_id"],
            strict=False,
            name="treatment",
        )
    if table == "admissions":
        return pa.DataFrameSchema(
            {
                "admission_id": _col(str),
                "admission_date": _col("datetime64[ns]"),
                "utla_code": _col(str),
                "district_code": _col(str),
                "small_area_code": _col(str, nullable=True),
                "age_years": _col("Int64", checks=_age()),
                "sex": _col(str, checks=sex),
                "primary_diagnosis": _col(str, checks=pa.Check.str_matches(ICD10_PATTERN, error="an ICD-10 code like K703 (letter, two digits, optional fourth character, no dot)")),
                "secondary_diagnoses": _col(str, nullable=True),
            },
            unique=["admission_id"],
            strict=False,
            name="admissions",
        )
    if table == "deaths":
        return pa.DataFrameSchema(
            {
                "death_id": _col(str),
                "registration_date": _col("datetime64[ns]"),
                "occurrence_date": _col("datetime64[ns]"),
                "utla_code": _col(str),
                "district_code": _col(str),
                "small_area_code": _col(str, nullable=True),
                "age_years": _col("Int64", checks=_age()),
                "sex": _col(str, checks=sex),
                "underlying_cause": _col(str, checks=pa.Check.str_matches(ICD10_PATTERN, error="an ICD-10 code like X42 or F112")),
                "has_controlled_drug_mention": _col(bool),
            },
            checks=[
                pa.Check(lambda d: d["registration_date"] >= d["occurrence_date"],
                         error="registration_date on or after occurrence_date"),
            ],
            unique=["death_id"],
            strict=False,
            name="deaths",
        )
    if table == "population":
        return pa.DataFrameSchema(
            {
                "area_code": _col(str),
                "year": _col("Int64", checks=pa.Check.in_range(1990, 2100, error="a mid-year from 1990 to 2100")),
                "sex": _col(str, checks=sex),
                "age_band": _col(str, checks=pa.Check.isin(reference.age_bands(), error="an ESP 2013 age band: " + ", ".join(reference.age_bands()))),
                "population_count": _col(float, checks=pa.Check.ge(0, error="a population of 0 or more")),
            },
            unique=["area_code", "year", "sex", "age_band"],
            strict=False,
            name="population",
        )
    if table == "population_ethnicity":
        groups = census_ethnic_groups()
        return pa.DataFrameSchema(
            {
                "district_code": _col(str),
                "ethnic_group": _col(str, checks=pa.Check.isin(groups, error="one of the Census ethnic groups: " + ", ".join(groups))),
                "population": _col(float, checks=pa.Check.ge(0, error="a number of usual residents, 0 or more")),
            },
            unique=["district_code", "ethnic_group"],
            strict=False,
            name="population_ethnicity",
        )
    if table == "crime":
        # One row per measure x district x period; an empty district_code is the whole area (or a figure the
        # police give only for the force or the partnership, such as county lines closed).
        return pa.DataFrameSchema(
            {
                "utla_code": _col(str),
                "district_code": _col(str, nullable=True),
                "measure": _col(str, checks=_isin("crime_measures")),
                "period_start_date": _col("datetime64[ns]"),
                "period_end_date": _col("datetime64[ns]"),
                "count": _col(float, checks=[
                    pa.Check.ge(0, error="a count of 0 or more"),
                    pa.Check(lambda s: s % 1 == 0, error="a whole number (a count of offences, arrests, tests ...)"),
                ]),
            },
            checks=[
                pa.Check(lambda d: d["period_end_date"] >= d["period_start_date"],
                         error="period_end_date on or after period_start_date"),
            ],
            unique=["utla_code", "district_code", "measure", "period_start_date", "period_end_date"],
            strict=False,
            name="crime",
        )
    if table == "prison_releases":
        # One row per release from prison of an adult with a substance misuse treatment need (NDTMS secure
        # settings), with the first contact with community structured treatment after it, if any.
        return pa.DataFrameSchema(
            {
                "release_id": _col(str, checks=pa.Check.str_length(1, 64, error="a non-empty release id")),
                "utla_code": _col(str),
                "district_code": _col(str),
                "sex": _col(str, checks=sex),
                "age_years": _col("Int64", checks=_age()),
                "substance_group": _col(str, checks=_isin("substance_groups")),
                "release_date": _col("datetime64[ns]"),
                "first_community_contact_date": _col("datetime64[ns]", nullable=True),
            },
            checks=[
                pa.Check(lambda d: d["first_community_contact_date"].isna()
                         | (d["first_community_contact_date"] >= d["release_date"]),
                         error="first_community_contact_date empty or on or after release_date"),
            ],
            unique=["release_id"],
            strict=False,
            name="prison_releases",
        )
    if table == "indicators":
        return pa.DataFrameSchema(
            {
                "indicator_id": _col(str),
                "indicator_name": _col(str),
                "area_code": _col(str),
                "area_name": _col(str, nullable=True, required=False),
                "area_type": _col(str, nullable=True, required=False),
                "sex": _col(str, nullable=True, required=False),
                "age": _col(str, nullable=True, required=False),
                "category_type": _col(str, nullable=True, required=False),
                "category": _col(str, nullable=True, required=False),
                "period": _col(str),
                "value": _col(float, nullable=True),
                "value_lower_ci95": _col(float, nullable=True, required=False),
                "value_upper_ci95": _col(float, nullable=True, required=False),
                "value_lower_ci998": _col(float, nullable=True, required=False),
                "value_upper_ci998": _col(float, nullable=True, required=False),
                "count": _col(float, nullable=True, required=False),
                "denominator": _col(float, nullable=True, required=False),
                "value_note": _col(str, nullable=True, required=False),
            },
            strict=False,
            name="indicators",
        )
    raise KeyError(f"Unknown table {table!r}; expected one of {', '.join(TABLES)}")


def validate(frame: pd.DataFrame, table: str, source: str | None = None) -> pd.DataFrame:
    """Validate a canonical table and return it (coerced); raise one ValidationError listing every problem.

    Row numbers in the message are the frame's index labels (sources set them to file row numbers).
    """
    try:
        return schema(table).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise ValidationError(table, _problems(exc.failure_cases), source=source) from None


def _problems(failure_cases: pd.DataFrame) -> pd.DataFrame:
    """pandera's failure cases -> one row per problem: column, row, value, expected."""
    fc = failure_cases.copy()
    expected = fc["check"].astype(str)
    missing = fc["schema_context"].eq("DataFrameSchema") & fc["check"].astype(str).str.startswith("column_in_dataframe")
    expected = expected.mask(missing, "this column to be present")
    dtype = expected.str.startswith("dtype(") | expected.str.startswith("coerce_dtype(")
    expected = expected.mask(dtype, "type " + expected.str.extract(r"\('?([^')]+)'?\)", expand=False).fillna(""))
    expected = expected.str.replace("not_nullable", "a value (it is empty)", regex=False)
    expected = expected.str.replace("multiple_fields_uniqueness", "a combination of these columns not repeated in another row", regex=False)
    expected = expected.str.replace("field_uniqueness", "a value not repeated in another row", regex=False)
    column = fc["column"].where(~missing, fc["failure_case"])
    out = pd.DataFrame(
        {
            "column": column.astype(object),
            "row": fc["index"].astype(object),
            "value": fc["failure_case"].where(~missing).astype(object),
            "expected": expected,
        }
    )
    return out.sort_values(["row", "column"], key=lambda s: s.astype(str), na_position="first").reset_index(drop=True)
