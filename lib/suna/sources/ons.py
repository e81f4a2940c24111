"""ONS published tables: drug-related deaths by local authority, mid-year population estimates (Nomis),
and the Census 2021 population by ethnic group (TS021, Nomis bulk download).

These are public, area-level figures, so with them alone SUNA can draw a real district map for any
county in England (e.g. Essex from the ONS counts) without the council's own record-level extracts.

Decisions (also in data/templates/README.md):
- Deaths by local authority arrive as published: counts by registration year (one column per year,
  as in ONS "Drug misuse deaths by local authority" and its drug-poisoning counts), or a long table
  of period, count and (where ONS gives them) age-standardised rates with confidence limits.
  ONS markers ``:``, ``..``, ``[x]``, ``[c]``, ``[z]``, ``z``, ``-`` mean "not available" and become
  empty with a note; a rate flagged ``u`` (unreliable, fewer than 20 deaths) keeps the flag in ``note``.
- Population from Nomis "Population estimates - local authority based by single year of age" comes
  as persons unless the download has a sex column or a ``gender :`` title line. Single years of age
  are summed into the 19 ESP 2013 bands of the canonical population table. A persons table keeps
  ``sex == "Persons"`` (the canonical schema otherwise allows Male/Female only); it is validated
  against the population schema with "Persons" added to the allowed sexes.
- Census 2021 TS021 "Ethnic group" (``census2021-ts021-ltla.csv`` for a county's districts,
  ``-msoa.csv`` for areas reported by MSOA) keeps its five high-level groups, mapped to SUNA's codes;
  the detailed sub-groups are not needed for the comparison with treatment and are left aside.
  MSOAs are matched to the area's districts by code or, for areas whose districts are MSOA 2011
  names ("Sefton 001"), by the MSOA 2021 name: ONS redrew a few MSOAs in 2021, so a handful of
  districts may cover a slightly different area than in 2011.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pandas as pd

from suna.core import reference
from suna.core.errors import DataSourceError, ValidationError
from suna.model import schemas
from suna.model.areas import Area
from suna.model.periods import full_year
from suna.model.population import ethnicity_gaps
from suna.sources.reading import normalise_name, read_raw_table

log = logging.getLogger(__name__)

GSS_PATTERN = r"^[EWSNK]\d{8}$"
NOT_AVAILABLE = {":", "..", "[x]", "[c]", "[z]", "[low]", "z", "x", "c", "-", "–", "n/a", "na"}
DEATHS_COLUMNS = ["area_code", "area_name", "period", "registration_year", "measure", "sex", "count", "rate", "lower", "upper", "note"]

_CODE = {"code", "area_code", "area_codes", "la_code", "local_authority_code", "usual_residence_code", "geography_code", "mnemonic", "lad_code", "ladcd"}
_NAME = {"name", "area_name", "la_name", "local_authority_name", "local_authority", "usual_residence_name", "geography_name", "geography", "area"}
_PERIOD = {"period", "registration_year", "year", "year_of_registration", "year_of_death_registration", "registration_period", "years", "date", "date_name"}
_COUNT = {"count", "deaths", "number", "number_of_deaths", "deaths_count", "registrations"}
_RATE = {"rate", "age_standardised_rate", "age_standardised_mortality_rate", "asmr", "rate_per_100000", "rate_per_100_000", "age_standardised_rate_per_100_000"}
_LOWER = {"lower", "lcl", "lower_ci", "lower_95_ci", "lower_confidence_limit", "lower_95_confidence_limit", "lower_95_confidence_interval"}
_UPPER = {"upper", "ucl", "upper_ci", "upper_95_ci", "upper_confidence_limit", "upper_95_confidence_limit", "upper_95_confidence_interval"}
_MEASURE = {"measure", "substance", "cause", "indicator"}
_SEX = {"sex", "gender", "gender_name", "sex_name"}
_AGE = {"age", "c_age_name", "age_name"}
_VALUE = {"obs_value", "value", "population", "count"}
_YEAR_HEADER = re.compile(r"^(\d{4})(?:\s*(?:-|to|–)\s*(\d{2}|\d{4}))?$")
_AGE_HEADER = re.compile(r"^age[ds]?[_ ]?(\d{1,3})(\+|_and_over|_plus)?$")


def _find(columns: list[str], names: set[str]) -> str | None:
    for c in columns:
        if normalise_name(c) in names:
            return c
    for c in columns:  # "Local authority: district / unitary (as of April 2021)"
        if any(normalise_name(c).startswith(n) for n in names if len(n) > 4):
            return c
    return None


def _period(text: str) -> tuple[str, int | None] | None:
    """'2020' -> ('2020', 2020); '2018-2020' or '2018-20' -> ('2018-2020', None); else None."""
    m = _YEAR_HEADER.match(str(text).strip())
    if not m:
        return None
    start = int(m.group(1))
    if not 1900 <= start <= 2100:
        return None
    if m.group(2) is None:
        return str(start), start
    end = full_year(start, m.group(2))
    return f"{start}-{end}", None


def _number(text: object) -> tuple[float | None, str | None, bool]:
    """A published cell -> (number, note, ok). ONS 'not available' markers are notes, not errors."""
    if text is None:
        return None, None, True
    s = str(text).strip()
    if s == "":
        return None, None, True
    if s.casefold() in NOT_AVAILABLE:
        return None, f"not available ({s})", True
    flag = None
    m = re.fullmatch(r"([0-9.,]+)\s*\[?(u)\]?", s, flags=re.I)
    if m:
        s, flag = m.group(1), "u: unreliable (fewer than 20 deaths)"
    try:
        return float(s.replace(",", "")), flag, True
    except ValueError:
        return None, None, False


def _deaths_score(row: list[str | None]) -> int:
    known = _CODE | _NAME | _PERIOD | _COUNT | _RATE | _LOWER | _UPPER
    return sum(1 for c in row if c is not None and (normalise_name(c) in known or _period(c) is not None))


def read_ons_deaths_by_la(path: Path | str, measure: str = "drug_poisoning", max_mb: float | None = None) -> pd.DataFrame:
    """ONS deaths by local authority (counts by registration year, or periods with rates) as a long table.

    Args:
        path: CSV or Excel, either wide (code, name, one column per registration year or period) or long
            (code, name, period, count [, rate, lower, upper, measure, sex]); title rows are skipped.
        measure: what the counts are when the file does not say ("drug_poisoning", "drug_misuse").

    Returns:
        area_code, area_name, period, registration_year (single years), measure, sex ("Persons"
        unless given), count, rate, lower, upper, note; one row per area and period.

    Raises:
        DataSourceError, ValidationError: naming the file, row and column of anything unreadable.
    """
    path = Path(path)
    raw = read_raw_table(path, _deaths_score, max_mb=max_mb, sheet_hint=("table", "data"))
    cols = list(raw.frame.columns)
    code_col, name_col = _find(cols, _CODE), _find(cols, _NAME)
    if code_col is None:
        raise DataSourceError(
            f"{path.name}: no column of area codes found in the header on row {raw.header_row} "
            f"(expected one named like 'code' or 'Area code'; found {', '.join(map(repr, cols[:12]))})."
        )
    year_cols = [c for c in cols if _period(c) is not None]
    period_col, count_col = _find(cols, _PERIOD), _find(cols, _COUNT)
    problems: list[dict] = list(raw.problems)
    records: list[dict] = []
    base = raw.frame
    if year_cols and count_col is None:
        long = base.melt(id_vars=[c for c in (code_col, name_col) if c], value_vars=year_cols, var_name="_period", value_name="_count", ignore_index=False)
        for row, rec in zip(long.index, long.to_dict("records")):
            value, note, ok = _number(rec["_count"])
            if not ok:
                problems.append({"row": row, "column": rec["_period"], "value": rec["_count"], "expected": "a count of deaths (or an ONS marker such as ':' or '[x]')"})
            label, year = _period(rec["_period"])
            records.append({"area_code": rec[code_col], "area_name": rec.get(name_col), "period": label, "registration_year": year,
                            "measure": measure, "sex": "Persons", "count": value, "rate": None, "lower": None, "upper": None,
                            "note": note, "_row": row})
    elif period_col is not None and count_col is not None:
        rate_col, lower_col, upper_col = _find(cols, _RATE), _find(cols, _LOWER), _find(cols, _UPPER)
        measure_col, sex_col = _find(cols, _MEASURE), _find(cols, _SEX)
        for row, rec in zip(base.index, base.to_dict("records")):
            per = _period(rec[period_col] or "")
            if per is None:
                problems.append({"row": row, "column": period_col, "value": rec[period_col], "expected": "a year such as 2020 or a period such as 2018-2020"})
                per = (rec[period_col], None)
            out = {"area_code": rec[code_col], "area_name": rec.get(name_col), "period": per[0], "registration_year": per[1],
                   "measure": (rec.get(measure_col) or measure) if measure_col else measure,
                   "sex": (rec.get(sex_col) or "Persons") if sex_col else "Persons", "_row": row}
            notes = []
            for key, col in (("count", count_col), ("rate", rate_col), ("lower", lower_col), ("upper", upper_col)):
                if col is None:
                    out[key] = None
                    continue
                value, note, ok = _number(rec[col])
                if not ok:
                    problems.append({"row": row, "column": col, "value": rec[col], "expected": "a number (or an ONS marker such as ':' or '[x]')"})
                if note and (key != "lower" and key != "upper"):
                    notes.append(f"{key} {note}")
                out[key] = value
            out["note"] = "; ".join(notes) or None
            records.append(out)
    else:
        raise DataSourceError(
            f"{path.name}: not an ONS deaths-by-local-authority layout. Expected either a column per registration "
            "year (2020, 2019, ...) or columns for the period and the number of deaths; "
            f"the header on row {raw.header_row} has {', '.join(map(repr, cols[:12]))}."
        )
    table = pd.DataFrame.from_records(records, columns=DEATHS_COLUMNS + ["_row"])
    table = table.assign(
        area_code=table["area_code"].map(lambda v: None if v is None else str(v).strip().upper()),
        area_name=table["area_name"].map(lambda v: None if v is None else " ".join(str(v).split())),
    )
    bad_code = ~table["area_code"].fillna("").str.match(GSS_PATTERN)
    for row, value in zip(table.loc[bad_code, "_row"], table.loc[bad_code, "area_code"]):
        problems.append({"row": row, "column": code_col, "value": value, "expected": "a GSS area code like E07000066"})
    if problems:
        raise ValidationError("ONS deaths by local authority", pd.DataFrame(problems, columns=["column", "row", "value", "expected"]), source=path.name)
    dupes = table.duplicated(["area_code", "period", "measure", "sex"], keep=False)
    if dupes.any():
        rows = table.loc[dupes, "_row"].tolist()
        raise ValidationError("ONS deaths by local authority", pd.DataFrame(
            [{"column": code_col, "row": r, "value": table.loc[table["_row"] == r, "area_code"].iloc[0],
              "expected": "one row per area and period (this one is repeated)"} for r in rows]), source=path.name)
    table = table.astype({"registration_year": "Int64", "count": float, "rate": float, "lower": float, "upper": float})
    table.attrs["source"] = str(path)
    return table.drop(columns="_row").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Population (Nomis)
# ---------------------------------------------------------------------------------------------

def _age_of(header: str) -> int | str | None:
    """'Age 0' -> 0; 'Aged 90+' / 'Age 90 and over' -> '90+'; 'All Ages' -> None."""
    name = normalise_name(header)
    m = _AGE_HEADER.match(name)
    if not m:
        return None
    age = int(m.group(1))
    return f"{age}+" if m.group(2) else age


def _sex_of(text: object) -> str | None:
    key = normalise_name(text)
    return {"male": "Male", "males": "Male", "female": "Female", "females": "Female", "total": "Persons",
            "persons": "Persons", "all_persons": "Persons", "all": "Persons", "people": "Persons"}.get(key)


def _population_score(row: list[str | None]) -> int:
    ages = sum(1 for c in row if c is not None and _age_of(c) is not None)
    known = sum(1 for c in row if c is not None and normalise_name(c) in (_CODE | _NAME | _PERIOD | _SEX | _AGE | _VALUE))
    return ages + known


def _title_value(titles: list[str], key: str) -> str | None:
    """Nomis downloads put filters in title lines: 'date : 2020', 'gender : Total'."""
    for t in titles:
        m = re.match(rf"^\s*{key}\s*:\s*(.+?)\s*$", t, flags=re.I)
        if m:
            return m.group(1)
    return None


def read_nomis_population(path: Path | str, year: int | None = None, max_mb: float | None = None) -> pd.DataFrame:
    """Nomis mid-year estimates by single year of age -> the canonical population table (ESP 2013 bands).

    Layouts: wide (one column per age, 'Age 0' ... 'Aged 90+', with code, name and year columns or a
    'date :' title line), or the long Nomis API CSV (GEOGRAPHY_CODE, DATE, GENDER_NAME, C_AGE_NAME,
    OBS_VALUE). ``sex`` is "Persons" where the file has no sex split (see the module notes).

    Returns:
        area_code, area_name, year, sex, age_band, population_count; validated.
    """
    path = Path(path)
    raw = read_raw_table(path, _population_score, max_mb=max_mb, sheet_hint=("data", "population"))
    cols = list(raw.frame.columns)
    age_cols = {c: _age_of(c) for c in cols if _age_of(c) is not None}
    code_col = _find(cols, _CODE)
    name_col = _find(cols, _NAME - {"area"})
    year_col = _find(cols, _PERIOD)
    sex_col = _find(cols, _SEX)
    problems: list[dict] = list(raw.problems)
    frame = raw.frame
    if code_col is None:
        guess = [c for c in cols if frame[c].dropna().astype(str).str.strip().str.match(GSS_PATTERN).all() and frame[c].notna().any()]
        code_col = guess[0] if guess else None
    if code_col is None:
        raise DataSourceError(f"{path.name}: no column of area codes (GSS codes such as E07000066) in the header on row {raw.header_row}.")
    if age_cols:
        ids = [c for c in (code_col, name_col, year_col, sex_col) if c]
        long = frame.melt(id_vars=ids, value_vars=list(age_cols), var_name="_age", value_name="_value", ignore_index=False)
        long = long.assign(_age=long["_age"].map(age_cols))
    else:
        age_col, value_col = _find(cols, _AGE), _find(cols, _VALUE)
        if age_col is None or value_col is None:
            raise DataSourceError(
                f"{path.name}: not a Nomis single-year-of-age layout: expected columns 'Age 0' ... 'Aged 90+', or "
                f"GEOGRAPHY_CODE, DATE, C_AGE_NAME and OBS_VALUE; the header on row {raw.header_row} has {', '.join(map(repr, cols[:12]))}."
            )
        ages = frame[age_col].map(lambda v: _age_of(v) if v is not None else None)
        keep = ages.notna()
        dropped = frame.loc[~keep, age_col].dropna().map(normalise_name)
        unknown = dropped[~dropped.isin({"all_ages", "all_age", "total", "all"})]
        for row, value in unknown.items():
            problems.append({"row": row, "column": age_col, "value": frame.at[row, age_col], "expected": "an age such as 'Age 34' or 'Aged 90+'"})
        long = frame.loc[keep].assign(_age=ages[keep], _value=frame.loc[keep, value_col])
    # year and sex: a column, a Nomis title line, or the argument (worked out once per source row)
    if year_col is not None:
        row_year = frame[year_col].map(lambda v: re.sub(r"^(?:mid[- ]?|june )", "", str(v).strip(), flags=re.I)[:4], na_action="ignore")
    else:
        given = _title_value(raw.title_lines, "date") or (str(year) if year is not None else None)
        if given is None:
            raise DataSourceError(f"{path.name}: no year column and no 'date :' title line; give the year (year=2022).")
        row_year = pd.Series(given[:4], index=frame.index)
    row_year = pd.to_numeric(row_year, errors="coerce")
    for row in row_year[row_year.isna()].index.intersection(long.index.unique()):
        problems.append({"row": row, "column": year_col, "value": frame.at[row, year_col] if year_col else None, "expected": "a year such as 2020"})
    if sex_col is not None:
        row_sex = frame[sex_col].map(_sex_of, na_action="ignore")
        for row in row_sex[row_sex.isna()].index.intersection(long.index.unique()):
            problems.append({"row": row, "column": sex_col, "value": frame.at[row, sex_col], "expected": "Male, Female or Total/Persons"})
    else:
        row_sex = pd.Series(_sex_of(_title_value(raw.title_lines, "gender") or _title_value(raw.title_lines, "sex") or "Persons") or "Persons", index=frame.index)
    row_code = frame[code_col].map(lambda v: str(v).strip().upper(), na_action="ignore")
    row_name = frame[name_col].map(lambda v: " ".join(str(v).split()), na_action="ignore") if name_col else pd.Series(None, index=frame.index, dtype=object)
    text = long["_value"].astype(object).where(long["_value"].notna(), None)
    text = pd.Series(text.to_numpy(), index=long.index, dtype="str").str.strip()
    counts = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
    marked = text.str.casefold().isin(NOT_AVAILABLE)
    any_marked = marked.groupby(level=0).transform("any")
    skipped_notes = []
    if any_marked.any():
        gone = long.loc[(any_marked & marked).to_numpy()]
        first_row = gone.index[0]
        first_ages = sorted(a for a in gone.loc[[first_row], "_age"] if isinstance(a, int))
        skipped_notes.append(
            f"{path.name}: {gone.index.nunique()} area-year row(s) have ages marked not available "
            f"(e.g. row {first_row}, {row_code[first_row]} {row_year[first_row]:.0f}: ages {_ranges(first_ages) or '90+'}); "
            "they are left out, as ESP 2013 bands need every single year of age.")
        log.warning(skipped_notes[-1])
        keep = (~any_marked).to_numpy()
        long, counts, text = long.loc[keep], counts.loc[keep], text.loc[keep]
    wrong = counts.isna().to_numpy()
    for row, age, value in zip(long.index[wrong], long["_age"].to_numpy()[wrong], text.to_numpy()[wrong]):
        column = next((c for c, a in age_cols.items() if a == age), None) if age_cols else "OBS_VALUE"
        problems.append({"row": row, "column": column, "value": value, "expected": "a population count (a number)"})
    if problems:
        raise ValidationError("population", pd.DataFrame(problems, columns=["column", "row", "value", "expected"]), source=path.name)
    idx = long.index
    tidy = pd.DataFrame({
        "area_code": row_code.loc[idx].to_numpy(),
        "area_name": row_name.loc[idx].to_numpy(),
        "year": row_year.loc[idx].astype("Int64").to_numpy(),
        "sex": row_sex.loc[idx].to_numpy(),
        "age": long["_age"].to_numpy(),
        "population_count": counts.astype(float).to_numpy(),
    })
    out = _to_esp_bands(tidy, path.name)
    out.attrs["source"] = str(path)
    out.attrs["notes"] = raw.notes + skipped_notes
    return out


def _to_esp_bands(tidy: pd.DataFrame, source: str) -> pd.DataFrame:
    """Single years of age (0..89 and '90+') -> ESP 2013 bands; every age must be there exactly once."""
    kinds = set(tidy["age"].drop_duplicates())
    odd = sorted(str(a) for a in kinds if (isinstance(a, str) and a != "90+") or (isinstance(a, int) and a >= 90))
    if odd:
        raise DataSourceError(f"{source}: has age group(s) {', '.join(odd)}; SUNA needs single years 0-89 and 'Aged 90+' for ESP 2013 bands.")
    ages = tidy["age"].map({a: (90 if isinstance(a, str) else a) for a in kinds}).astype(int)
    keys = ["area_code", "year", "sex"]
    per_group = tidy.assign(_a=ages).groupby(keys, dropna=False)["_a"]
    sizes = per_group.nunique()
    incomplete = per_group.apply(lambda s: sorted(set(range(91)) - set(s))).loc[sizes[sizes < 91].index]
    if not incomplete.empty:
        (code, yr, sex), gaps = next(iter(incomplete.items()))
        raise DataSourceError(
            f"{source}: {code} {yr} {sex} lacks ages {_ranges(gaps)} (and {len(incomplete) - 1} more area-years are incomplete); "
            "SUNA needs every single year 0-89 and 'Aged 90+'."
        )
    doubled = tidy.assign(_a=ages).duplicated(keys + ["_a"])
    if doubled.any():
        first = tidy.loc[doubled].iloc[0]
        raise DataSourceError(f"{source}: {first['area_code']} {first['year']} {first['sex']} gives some ages more than once.")
    band = reference.age_band_of(pd.Series(ages, index=tidy.index))
    names = tidy.groupby("area_code")["area_name"].first() if "area_name" in tidy and tidy["area_name"].notna().any() else None
    out = (tidy.assign(age_band=band)
           .groupby(keys + ["age_band"], sort=False, observed=True)["population_count"].sum()
           .reset_index())
    if names is not None:
        out = out.assign(area_name=out["area_code"].map(names))
    order = {b: i for i, b in enumerate(reference.age_bands())}
    out = out.sort_values(["area_code", "year", "sex", "age_band"], key=lambda s: s.map(order) if s.name == "age_band" else s).reset_index(drop=True)
    return validate_population(out, source)


def _ranges(values: list[int]) -> str:
    parts, start, prev = [], None, None
    for v in values + [None]:
        if start is None:
            start = prev = v
        elif v is not None and v == prev + 1:
            prev = v
        else:
            parts.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = v
    return ", ".join(p for p in parts if p != "None")


def validate_population(population: pd.DataFrame, source: str | None = None) -> pd.DataFrame:
    """The canonical population schema, with "Persons" also allowed as a sex (published persons estimates)."""
    import pandera.pandas as pa

    sexes = reference.category_codes("sexes") + ["Persons"]
    schema = schemas.schema("population").update_column(
        "sex", checks=pa.Check.isin(sexes, error="one of " + ", ".join(sexes)))
    try:
        return schema.validate(population, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        problems = pd.DataFrame({"column": fc["column"].astype(object), "row": fc["index"].astype(object),
                                 "value": fc["failure_case"].astype(object), "expected": fc["check"].astype(str)})
        raise ValidationError("population", problems, source=source) from None


def persons_population(population: pd.DataFrame) -> pd.DataFrame:
    """Persons by area, year and age band: the Persons rows where given, else Male + Female."""
    keys = ["area_code", "year", "age_band"]
    persons = population[population["sex"] == "Persons"]
    by_sex = population[population["sex"].isin(["Male", "Female"])]
    summed = by_sex.groupby(keys, observed=True)["population_count"].sum().reset_index()
    if not persons.empty:
        have = set(zip(persons["area_code"], persons["year"]))
        summed = summed[[(a, y) not in have for a, y in zip(summed["area_code"], summed["year"])]]
    out = pd.concat([persons[keys + ["population_count"]], summed], ignore_index=True)
    return out.assign(sex="Persons")


# ---------------------------------------------------------------------------------------------
# Census 2021 ethnic group (TS021)
# ---------------------------------------------------------------------------------------------

CENSUS_GEOGRAPHY_CODE = "geography code"
CENSUS_GEOGRAPHY_NAME = "geography"
CENSUS_TOTAL = "Ethnic group: Total: All usual residents"
# TS021's five high-level groups (ONS 2021 ethnic group classification) -> SUNA's codes (categories.yaml).
CENSUS_ETHNIC_GROUPS = {
    "Ethnic group: White": "white",
    "Ethnic group: Mixed or Multiple ethnic groups": "mixed",
    "Ethnic group: Asian, Asian British or Asian Welsh": "asian",
    "Ethnic group: Black, Black British, Black Welsh, Caribbean or African": "black",
    "Ethnic group: Other ethnic group": "other",
}
_CENSUS_COUNTS = (CENSUS_TOTAL, *CENSUS_ETHNIC_GROUPS)


def _census_key(header: object) -> str:
    """A TS021 heading, normalised, less the '; measures: Value' some Nomis downloads add."""
    return re.sub(r"_measures_value$", "", normalise_name(header))


def _place_key(value: object) -> str | None:
    """An area code or name as compared with a district's: spaces collapsed, case ignored."""
    return None if value is None else " ".join(str(value).split()).casefold()


def _census_score(row: list[str | None]) -> int:
    known = {_census_key(c) for c in (CENSUS_GEOGRAPHY_CODE, CENSUS_GEOGRAPHY_NAME, *_CENSUS_COUNTS)}
    return sum(1 for c in row if c is not None and _census_key(c) in known)


def read_census_ethnicity(path: Path | str, area: Area, max_mb: float | None = None) -> pd.DataFrame:
    """Census 2021 TS021 "Ethnic group" as downloaded from Nomis -> the area's ``population_ethnicity`` table.

    Usual residents of all ages by district and the five high-level ethnic groups; the rows of other
    areas in the file (every local authority or MSOA of England and Wales) are left out.

    Args:
        path: ``census2021-ts021-ltla.csv`` (local authorities: a county's districts) or
            ``census2021-ts021-msoa.csv`` (areas whose districts are MSOAs), as in the Nomis bulk zip.
        area: the local authority; every one of its districts must be in the file.

    Returns:
        district_code, ethnic_group (white, mixed, asian, black, other), population; validated.

    Raises:
        DataSourceError: not the TS021 layout (names the missing columns), or no or not all of the
            area's districts in it.
        ValidationError: a count that is not a whole number, a repeated area, or groups that do not
            add up to the total (names the file's row and column).
    """
    path = Path(path)
    raw = read_raw_table(path, _census_score, max_mb=max_mb, sheet_hint=("ts021", "ethnic"))
    columns = {_census_key(c): c for c in raw.frame.columns}
    missing = [c for c in (CENSUS_GEOGRAPHY_CODE, *_CENSUS_COUNTS) if _census_key(c) not in columns]
    if missing:
        found = list(raw.frame.columns)
        raise DataSourceError(
            f"{path.name}: not the Census 2021 table TS021 'Ethnic group' as Nomis publishes it "
            f"(census2021-ts021-ltla.csv or -msoa.csv): the header on row {raw.header_row} has no column "
            f"{', '.join(map(repr, missing))}; it has {', '.join(map(repr, found[:8]))}{' ...' if len(found) > 8 else ''}."
        )
    if raw.problems:  # a row with too many or too few values: its cells are misplaced, say only that
        raise ValidationError("Census 2021 ethnic group (TS021)", pd.DataFrame(raw.problems, columns=["column", "row", "value", "expected"]), source=path.name)
    frame = raw.frame
    code_col = columns[_census_key(CENSUS_GEOGRAPHY_CODE)]
    name_col = columns.get(_census_key(CENSUS_GEOGRAPHY_NAME))
    total_col = columns[_census_key(CENSUS_TOTAL)]
    district_of = {d.code.casefold(): d.code for d in area.districts} | {d.name.casefold(): d.code for d in area.districts}
    district = frame[code_col].map(_place_key).map(district_of)
    if name_col is not None:
        district = district.fillna(frame[name_col].map(_place_key).map(district_of))
    if district.isna().all():
        first = frame.iloc[0]
        example = f"{first[name_col]} ({first[code_col]})" if name_col else str(first[code_col])
        raise DataSourceError(
            f"{path.name} has no rows for the districts of {area.name} ({area.district_type}); its {len(frame):,} rows "
            f"are other areas, such as {example}. Use census2021-ts021-ltla.csv for a county's districts and "
            "census2021-ts021-msoa.csv for an area reported by MSOA."
        )
    mine = frame[district.notna()]
    district = district[district.notna()]
    problems: list[dict] = []
    counts = {}
    for col in _CENSUS_COUNTS:
        source_col = columns[_census_key(col)]
        text = mine[source_col].map(lambda v: None if v is None else str(v).strip().replace(",", ""))
        number = pd.to_numeric(text, errors="coerce")
        wrong = number.isna() | (number < 0) | (number % 1 != 0)
        problems += [{"row": row, "column": source_col, "value": mine.at[row, source_col], "expected": "a whole number of usual residents, 0 or more"}
                     for row in wrong[wrong].index]
        counts[col] = number.astype(float)
    total = counts[CENSUS_TOTAL]
    added = sum(counts[c] for c in CENSUS_ETHNIC_GROUPS)
    off = total.notna() & added.notna() & (total != added)
    problems += [{"row": row, "column": total_col, "value": mine.at[row, total_col],
                  "expected": f"the sum of the five ethnic groups ({added[row]:,.0f})"} for row in off[off].index]
    repeated = district.duplicated(keep=False)
    problems += [{"row": row, "column": code_col, "value": mine.at[row, code_col], "expected": "one row per area (this one is repeated)"}
                 for row in repeated[repeated].index]
    if problems:
        table = pd.DataFrame(problems, columns=["column", "row", "value", "expected"]).sort_values("row", kind="stable")
        raise ValidationError("Census 2021 ethnic group (TS021)", table.reset_index(drop=True), source=path.name)
    wide = pd.DataFrame({"district_code": district, **{code: counts[col] for col, code in CENSUS_ETHNIC_GROUPS.items()}})
    groups = schemas.census_ethnic_groups()
    long = wide.melt(id_vars="district_code", value_vars=groups, var_name="ethnic_group", value_name="population")
    gaps = ethnicity_gaps(long, area)
    if gaps:
        raise DataSourceError(f"{path.name}: {gaps}. Check that the file is the right geography for {area.name} ({area.district_type}).")
    order = {"district_code": {code: i for i, code in enumerate(area.district_codes)}, "ethnic_group": {g: i for i, g in enumerate(groups)}}
    long = long.sort_values(["district_code", "ethnic_group"], key=lambda s: s.map(order[s.name])).reset_index(drop=True)
    note = (f"{path.name}: read the {len(area.districts)} districts of {area.name} (Census 2021 TS021); "
            f"{len(frame) - len(mine):,} other areas in the file left out.")
    log.info(note)
    out = schemas.validate(long, "population_ethnicity", source=path.name)
    out.attrs["source"] = str(path)
    out.attrs["notes"] = raw.notes + [note]
    return out
