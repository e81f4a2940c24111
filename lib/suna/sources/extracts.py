"""The council's own record-level extracts (CSV, Excel, Parquet) -> validated canonical tables.

An extract follows a template in data/templates/ (treatment, admissions, deaths, population, and the
optional population_ethnicity: usual residents by district and ethnic group, Census 2021; crime: the
community-safety figures a partnership receives, counts by measure, district and period; and prison_releases:
adults released from prison with a treatment need and their first community treatment contact).
Real exports are forgiven what is safe to forgive: friendlier column names ("Gender", "Age", "LSOA"),
title rows above the header, Windows-1252 text, dates as dd/mm/yyyy, codes in lower case or with
stray spaces, category labels instead of codes, district names instead of codes (mapped through the
area's districts, with a note), ICD-10 codes with a dot. Anything that cannot be read with certainty
(an impossible date, an unknown district, a word where a number belongs) is a problem naming the file,
row and column; every problem is reported at once and nothing is silently dropped.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from suna.core import reference
from suna.core.errors import DataSourceError, ValidationError
from suna.model import schemas
from suna.model.areas import Area, load_all_areas
from suna.model.population import ethnicity_gaps
from suna.sources.reading import RawTable, normalise_name, read_raw_table

log = logging.getLogger(__name__)

EXTRACT_KINDS = ("treatment", "admissions", "deaths", "population", "population_ethnicity", "crime", "prison_releases")
OPTIONAL_COLUMNS = ("small_area_code", "substances", "secondary_diagnoses", "triage_date")  # may be left out of a file
GSS_PATTERN = r"^[EWSNK]\d{8}$"
LSOA_PATTERN = r"^[EW]01\d{6}$"
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S")
TRUE_WORDS = {"true", "yes", "y", "1", "t"}
FALSE_WORDS = {"false", "no", "n", "0", "f"}
EXPECTED_DATE = "a real date written dd/mm/yyyy or yyyy-mm-dd"

# Column -> (kind of value, accepted aliases). Aliases are the common names in NDTMS, HES and ONS
# extracts and in spreadsheets; they are matched after lower-casing and turning spaces into "_".
_ID = "id"
SPECS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "treatment": {
        "client_id": (_ID, ("client", "client_ref", "client_reference", "person_id", "pseudonym")),
        "episode_id": (_ID, ("episode", "episode_ref", "episode_reference", "episodeid")),
        "utla_code": ("utla", ("utla", "utla_cd", "local_authority_code", "la_code", "upper_tier_code")),
        "district_code": ("district", ("district", "district_name", "lad_code", "ladcd", "ltla_code", "local_authority_district", "lad")),
        "small_area_code": ("lsoa", ("lsoa", "lsoa11cd", "lsoa_code", "lsoa11", "lsoa_2011", "small_area")),
        "sex": ("sex", ("gender", "sex_at_birth")),
        "age_years": ("age", ("age", "age_at_start", "age_at_treatment_start", "age_years")),
        "ethnic_group": ("category:ethnic_groups", ("ethnicity", "ethnic_group", "ethnic_category")),
        "substance_group": ("category:substance_groups", ("substance_group", "drug_group", "substance_category")),
        "substances": ("list", ("substances", "substance", "drugs")),
        "referral_source": ("category:referral_sources", ("referral_source", "referral", "source_of_referral", "referral_route")),
        "referral_date": ("date", ("referral_date", "date_of_referral", "refdate")),
        "triage_date": ("date?", ("triage_date", "date_of_triage")),
        "start_date": ("date", ("start_date", "treatment_start_date", "date_of_first_intervention", "triaged_start")),
        "discharge_date": ("date?", ("discharge_date", "exit_date", "date_of_discharge", "end_date")),
        "setting": ("category:settings", ("setting", "treatment_setting")),
        "exit_reason": ("category?:exit_reasons", ("exit_reason", "discharge_reason", "reason_for_discharge")),
        "has_housing_need": ("bool", ("housing_need", "housing_problem")),
        "has_mental_health_need": ("bool", ("mental_health_need", "mental_health_treatment_need")),
        "lives_with_children": ("bool", ("living_with_children", "children_in_household")),
        "is_injecting": ("bool", ("injecting", "injecting_status", "currently_injecting")),
    },
    "admissions": {
        "admission_id": (_ID, ("epikey", "episode_id", "spell_id", "admission")),
        "admission_date": ("date", ("admidate", "date_of_admission", "admitted")),
        "utla_code": ("utla", ("utla", "resladst_utla", "local_authority_code", "la_code")),
        "district_code": ("district", ("district", "resladst_ons", "lad_code", "ladcd", "district_name", "ltla_code")),
        "small_area_code": ("lsoa", ("lsoa", "lsoa11", "lsoa11cd", "lsoa_code", "lsoa_2011")),
        "age_years": ("age", ("age", "startage", "age_on_admission", "age_at_admission")),
        "sex": ("sex", ("gender",)),
        "primary_diagnosis": ("icd10", ("diag_01", "diag_4_01", "primary_diagnosis_code", "diagnosis", "primary_icd10")),
        "secondary_diagnoses": ("icd10_list", ("diag_02_20", "secondary_diagnosis", "secondary_diagnosis_codes", "other_diagnoses")),
    },
    "deaths": {
        "death_id": (_ID, ("id", "record_id", "registration_id", "case_id")),
        "registration_date": ("date", ("dor", "date_of_registration", "registration")),
        "occurrence_date": ("date", ("dod", "date_of_death", "death_date", "date_of_occurrence")),
        "utla_code": ("utla", ("utla", "local_authority_code", "la_code")),
        "district_code": ("district", ("district", "lad_code", "ladcd", "district_name", "district_of_residence", "ltla_code")),
        "small_area_code": ("lsoa", ("lsoa", "lsoa11", "lsoa11cd", "lsoa_code", "lsoa_2011")),
        "age_years": ("age", ("age", "ageinyrs", "age_at_death")),
        "sex": ("sex", ("gender",)),
        "underlying_cause": ("icd10", ("ucod", "fic10und", "underlying_cause_of_death", "cause_of_death", "icd10_underlying_cause")),
        "has_controlled_drug_mention": ("bool", ("controlled_drug_mentioned", "controlled_drug", "cd_mention", "misuse_of_drugs_act_mention")),
    },
    "population": {
        "area_code": ("area", ("code", "area", "geography_code", "lad_code", "district", "area_name", "ladcd")),
        "year": ("year", ("mid_year", "date", "year_of_estimate")),
        "sex": ("sex", ("gender",)),
        "age_band": ("age_band", ("age_group", "age", "ageband", "age_range")),
        "population_count": ("number", ("population", "count", "persons", "value", "obs_value", "pop")),
    },
    "population_ethnicity": {
        "district_code": ("district", ("district", "district_name", "area_code", "geography_code", "lad_code", "ladcd", "ltla_code", "msoa_code", "msoa_name")),
        "ethnic_group": ("category:ethnic_groups", ("ethnicity", "ethnic_category", "ethnic_group_code")),
        "population": ("number", ("usual_residents", "population_count", "count", "persons", "value", "obs_value")),
    },
    "crime": {
        "utla_code": ("utla", ("utla", "local_authority_code", "la_code", "csp_code", "partnership_code")),
        "district_code": ("district?", ("district", "district_name", "lad_code", "ladcd", "ltla_code", "ward", "ward_name", "msoa_name")),
        "measure": ("category:crime_measures", ("metric", "indicator", "crime_measure", "offence")),
        "period_start_date": ("date", ("period_start", "start_date", "from_date", "date_from")),
        "period_end_date": ("date", ("period_end", "end_date", "to_date", "date_to")),
        "count": ("number", ("number", "value", "number_of_offences", "total")),
    },
    "prison_releases": {
        "release_id": (_ID, ("release", "release_ref", "release_reference", "id", "record_id")),
        "utla_code": ("utla", ("utla", "utla_cd", "local_authority_code", "la_code", "upper_tier_code")),
        "district_code": ("district", ("district", "district_name", "lad_code", "ladcd", "ltla_code", "district_of_residence")),
        "sex": ("sex", ("gender", "sex_at_birth")),
        "age_years": ("age", ("age", "age_at_release")),
        "substance_group": ("category:substance_groups", ("substance_group", "drug_group", "substance_category")),
        "release_date": ("date", ("date_of_release", "released", "discharge_date")),
        "first_community_contact_date": ("date?", ("first_community_contact", "community_contact_date",
                                                   "first_community_treatment_date", "date_of_first_community_contact")),
    },
}


@dataclass
class ExtractResult:
    """A loaded extract: the validated table, what was forgiven (notes) and the file's header names."""

    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    file_columns: dict[str, str] = field(default_factory=dict)  # canonical -> name in the file
    area: Area | None = None


def _alias_map(kind: str) -> dict[str, str]:
    """Normalised name (canonical or alias) -> canonical column."""
    out: dict[str, str] = {}
    for col, (_, aliases) in SPECS[kind].items():
        out[normalise_name(col)] = col
        for a in aliases:
            out.setdefault(normalise_name(a), col)
    return out


def header_score(kind: str) -> Callable[[list[str | None]], int]:
    """How many cells of a row are known column names of this kind (to find the header row)."""
    names = _alias_map(kind)

    def score(row: list[str | None]) -> int:
        return len({names[normalise_name(c)] for c in row if c is not None and normalise_name(c) in names})

    return score


def _map_columns(raw: RawTable, kind: str) -> tuple[pd.DataFrame, dict[str, str], list[dict], list[str]]:
    """Rename the file's columns to canonical names; report missing ones with a 'did you mean'."""
    names = _alias_map(kind)
    rename: dict[str, str] = {}
    problems: list[dict] = []
    notes: list[str] = []
    for col in raw.frame.columns:
        canon = names.get(normalise_name(col))
        if canon is None:
            continue
        if canon in rename.values():
            first = next(k for k, v in rename.items() if v == canon)
            problems.append({"row": raw.header_row, "column": col, "value": col,
                             "expected": f"one column for {canon}; {first!r} already gives it"})
            continue
        rename[col] = canon
        if col != canon:
            log.info("%s: column %r read as %r", raw.path.name, col, canon)
    found = set(rename.values())
    unused = [c for c in raw.frame.columns if c not in rename]
    for canon in SPECS[kind]:
        if canon in found:
            continue
        if canon in OPTIONAL_COLUMNS:
            notes.append(f"{raw.path.name}: no {canon!r} column; it is left empty.")
            continue
        close = difflib.get_close_matches(normalise_name(canon), [normalise_name(u) for u in unused], n=1, cutoff=0.75)
        hint = ""
        if close:
            original = next(u for u in unused if normalise_name(u) == close[0])
            hint = f" (found {original!r}: is it misspelt?)"
        problems.append({"row": raw.header_row, "column": canon, "value": None,
                         "expected": f"a column named {canon!r}{hint}"})
    if unused:
        notes.append(f"{raw.path.name}: column(s) not used by SUNA: {', '.join(map(repr, unused))}.")
    frame = raw.frame[list(rename)].rename(columns=rename)
    file_columns = {v: k for k, v in rename.items()}
    return frame, file_columns, problems, notes


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Text dates -> datetimes, day first and never guessed (01/02/2023 is 1 February).

    Returns the dates and a mask of cells that had text but are not a real date (31/02/2023).
    """
    text = values.astype(object).where(values.notna(), None)
    text = pd.Series([None if v is None else str(v).strip() for v in text], index=values.index, dtype=object)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in DATE_FORMATS:
        todo = out.isna() & text.notna()
        if not todo.any():
            break
        parsed = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        out = out.mask(todo, parsed.reindex(out.index)).astype("datetime64[ns]")
    bad = out.isna() & text.notna()
    return out, bad


def _label_lookup(kind: str) -> dict[str, str]:
    """Any accepted spelling of a category (code or label, any case) -> its code."""
    lookup: dict[str, str] = {}
    for code, label in reference.category_labels(kind).items():
        for form in (code, label):
            lookup[normalise_name(form)] = code
    return lookup


def _clean(frame: pd.DataFrame, kind: str, area: Area | None, source: str) -> tuple[pd.DataFrame, list[dict], list[str]]:
    """Text cells -> typed canonical columns; collect every cell that cannot be read."""
    problems: list[dict] = []
    notes: list[str] = []
    out = {}

    def bad(mask: pd.Series, col: str, expected: str) -> None:
        for row in mask[mask].index:
            problems.append({"row": row, "column": col, "value": frame.at[row, col], "expected": expected})

    for col, (vtype, _) in SPECS[kind].items():
        if col not in frame.columns:
            if col in ("small_area_code", "substances", "secondary_diagnoses"):  # OPTIONAL_COLUMNS but triage_date
                out[col] = pd.Series(pd.NA, index=frame.index, dtype="str")
            elif col == "triage_date":
                out[col] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
            continue
        raw = frame[col]
        text = pd.Series([None if v is None else str(v).strip() for v in raw], index=raw.index, dtype=object)
        present = text.notna()
        if vtype == _ID or vtype == "list":
            series = text
            if vtype == "list":
                series = text.map(lambda v: None if v is None else ";".join(p.strip().lower() for p in re.split(r"[;,|]", v) if p.strip()), na_action="ignore")
            out[col] = series.astype("str").where(present, pd.NA) if vtype == "list" else series
        elif vtype == "sex":
            mapped = text.map(lambda v: {"male": "Male", "female": "Female"}.get(v.casefold(), v), na_action="ignore")
            out[col] = mapped
        elif vtype == "age":
            num = pd.to_numeric(text, errors="coerce")
            wrong = present & (num.isna() | (num % 1 != 0))
            bad(wrong, col, "a whole number of years, such as 34")
            out[col] = num.where(~wrong).astype("Float64").astype("Int64")
        elif vtype == "year":
            num = pd.to_numeric(text.map(lambda v: re.sub(r"^mid[- ]?", "", v, flags=re.I), na_action="ignore"), errors="coerce")
            wrong = present & (num.isna() | (num % 1 != 0))
            bad(wrong, col, "a year such as 2022")
            out[col] = num.where(~wrong).astype("Float64").astype("Int64")
        elif vtype == "number":
            num = pd.to_numeric(text.map(lambda v: v.replace(",", ""), na_action="ignore"), errors="coerce")
            wrong = present & num.isna()
            bad(wrong, col, "a number, such as 1523 or 1523.5")
            out[col] = num.astype(float)
        elif vtype in ("date", "date?"):
            dates, wrong = parse_dates(text)
            bad(wrong, col, EXPECTED_DATE)
            out[col] = dates
        elif vtype == "bool":
            low = text.str.casefold()
            val = low.map(lambda v: True if v in TRUE_WORDS else (False if v in FALSE_WORDS else None), na_action="ignore")
            wrong = present & val.isna()
            bad(wrong, col, "yes or no (or true/false, 1/0)")
            bad(~present, col, "yes or no (it is empty)")
            out[col] = val.where(val.notna(), False).astype(bool)
        elif vtype.startswith("category"):
            cat = vtype.split(":", 1)[1]
            lookup = _label_lookup(cat)
            codes = text.map(lambda v: lookup.get(normalise_name(v), v), na_action="ignore")
            out[col] = codes
        elif vtype == "icd10":
            out[col] = text.str.upper().str.replace(".", "", regex=False).str.replace(" ", "", regex=False)
        elif vtype == "icd10_list":
            out[col] = text.map(
                lambda v: ";".join(p.strip().upper().replace(".", "") for p in re.split(r"[;,| ]+", v) if p.strip()),
                na_action="ignore",
            ).astype("str").where(present, pd.NA)
        elif vtype == "lsoa":
            codes = text.str.upper()
            wrong = present & ~codes.fillna("").str.match(LSOA_PATTERN)
            bad(wrong, col, "an LSOA 2011 code like E01021895 (or empty)")
            out[col] = codes.where(~wrong).astype("str").where(present & ~wrong, pd.NA)
        elif vtype == "utla":
            codes = text.str.upper()
            if area is not None:
                wrong = present & (codes != area.code)
                bad(wrong, col, f"{area.code}, the code of {area.name}")
            else:  # no area given or found: the code must be one SUNA has a params file for
                known = {a.code: a.name for a in load_all_areas()}
                wrong = present & ~codes.isin(list(known))
                listed = ", ".join(f"{c} ({n})" for c, n in known.items())
                bad(wrong, col, f"the code of a local authority with a params file (params/<area>.yaml): {listed}")
            out[col] = codes
        elif vtype in ("district", "district?"):  # "district?": an empty cell is the whole area
            out[col], extra_notes = _districts(text, area, col, source, bad)
            notes += extra_notes
        elif vtype == "area":
            out[col], extra_notes = _population_areas(text, area, col, source, bad)
            notes += extra_notes
        elif vtype == "age_band":
            out[col] = text.map(_age_band_label, na_action="ignore")
        else:  # pragma: no cover - every kind above is handled
            raise KeyError(vtype)
    table = pd.DataFrame(out, index=frame.index)
    return table, problems, notes


def _districts(text: pd.Series, area: Area | None, col: str, source: str, bad) -> tuple[pd.Series, list[str]]:
    """District codes or names -> the area's district codes; a name mapped is noted, an unknown one is a problem."""
    notes: list[str] = []
    if area is None:
        codes = text.str.upper()
        wrong = text.notna() & ~codes.fillna("").str.match(GSS_PATTERN)
        bad(wrong, col, "a district GSS code like E07000066 (district names need the area: give area=...)")
        return codes, notes
    by_key: dict[str, str] = {}
    for d in area.districts:
        by_key[d.code.casefold()] = d.code
        by_key[d.name.casefold()] = d.code
    mapped = text.map(lambda v: by_key.get(" ".join(v.split()).casefold()), na_action="ignore")
    wrong = text.notna() & mapped.isna()
    shown = ", ".join(f"{d.name} ({d.code})" for d in area.districts[:12]) + (" ..." if len(area.districts) > 12 else "")
    bad(wrong, col, f"a district of {area.name}: {shown}")
    by_name = text.notna() & mapped.notna() & (text.str.casefold() != mapped.str.casefold())
    if by_name.any():
        names = sorted(set(text[by_name]))
        example = names[0]
        note = (f"{source}: {int(by_name.sum())} row(s) give a district name instead of its code in column {col!r}; "
                f"mapped through {area.name}'s districts (e.g. {example!r} -> {area.district(example).code}).")
        log.warning(note)
        notes.append(note)
    return mapped.where(mapped.notna(), text), notes


def _population_areas(text: pd.Series, area: Area | None, col: str, source: str, bad) -> tuple[pd.Series, list[str]]:
    """Population area codes: any GSS code; district names of the area are mapped to codes (noted)."""
    notes: list[str] = []
    codes = text.str.upper()
    is_code = codes.fillna("").str.match(GSS_PATTERN)
    if area is not None:
        names = {d.name.casefold(): d.code for d in area.districts} | {d.code.casefold(): d.code for d in area.districts}
        names |= {area.name.casefold(): area.code}
        mapped = text.map(lambda v: names.get(" ".join(v.split()).casefold()), na_action="ignore")
        use_map = ~is_code & mapped.notna()
        if use_map.any():
            note = (f"{source}: {int(use_map.sum())} row(s) give an area name instead of a code in column {col!r}; "
                    f"mapped through {area.name}'s districts.")
            log.warning(note)
            notes.append(note)
        codes = codes.mask(use_map, mapped)
        is_code = is_code | use_map
    wrong = text.notna() & ~is_code
    bad(wrong, col, "an area GSS code like E07000066" + (f" or the name of a district of {area.name}" if area else ""))
    return codes, notes


def _age_band_label(value: str) -> str:
    """'0 to 4', '00-04', 'Aged 90+', '90 and over' -> the ESP 2013 labels '0-4' ... '90+'."""
    text = value.strip().casefold().replace("aged", "").replace("age", "").strip()
    m = re.fullmatch(r"(\d{1,2})\s*(?:-|to|–)\s*(\d{1,2})", text)
    if m:
        return f"{int(m.group(1))}-{int(m.group(2))}"
    m = re.fullmatch(r"(\d{1,2})\s*(?:\+|and over|or over|plus)", text)
    if m:
        return f"{int(m.group(1))}+"
    return value.strip()


def infer_area(frame: pd.DataFrame, kind: str) -> Area | None:
    """The SUNA area (params/*.yaml) an extract belongs to, from its most common upper-tier code.

    A population by ethnic group has no upper-tier column: it belongs to the area whose districts it names most.
    """
    if kind == "population_ethnicity" and "district_code" in frame.columns:
        named = {" ".join(str(v).split()).casefold() for v in frame["district_code"].dropna()}
        overlap = {a: len(named & {k.casefold() for d in a.districts for k in (d.code, d.name)}) for a in load_all_areas()}
        best = max(overlap, key=overlap.get, default=None)
        return best if best is not None and overlap[best] > 0 else None
    if kind == "population" or "utla_code" not in frame.columns:
        return None
    codes = frame["utla_code"].dropna().astype(str).str.strip().str.upper()
    if codes.empty:
        return None
    top = codes.value_counts().index[0]
    for a in load_all_areas():
        if a.code == top:
            return a
    return None


def _file_problems(problems: pd.DataFrame, file_columns: dict[str, str], raw: pd.DataFrame) -> pd.DataFrame:
    """Problems in canonical names -> the file's own column names and the cell text as the user typed it."""
    if problems.empty:
        return problems
    rows = []
    for rec in problems.to_dict("records"):
        col = rec.get("column")
        file_col = file_columns.get(col, col)
        value = rec.get("value")
        row = rec.get("row")
        if "," in str(col):
            file_col = ", ".join(file_columns.get(c.strip(), c.strip()) for c in str(col).split(","))
        elif file_col in raw.columns and row in raw.index:
            cell = raw.at[row, file_col]
            if cell is not None:
                value = cell
        rows.append({"row": row, "column": file_col, "value": value, "expected": rec.get("expected")})
    return pd.DataFrame(rows, columns=["column", "row", "value", "expected"])


def _collapse_row_checks(problems: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """pandera reports a failed row-level check (start_date on or after referral_date) once per column;
    make it one problem naming only the columns the rule is about, with their values."""
    if problems.empty:
        return problems
    out = []
    for (row, expected), group in problems.groupby(["row", "expected"], sort=False, dropna=False):
        if len(group) <= 2:
            out += group.to_dict("records")
            continue
        cols = [c for c in table.columns if re.search(rf"\b{c}\b", str(expected))] or list(group["column"])
        shown = "; ".join(f"{c} {_show(table.at[row, c])}" for c in cols if row in table.index)
        out.append({"column": ", ".join(cols), "row": row, "value": shown, "expected": expected})
    return pd.DataFrame(out, columns=["column", "row", "value", "expected"])


def _show(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "(empty)"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _sorted(problems: pd.DataFrame) -> pd.DataFrame:
    """Problems in file order: by row (header problems first), then column."""
    order = sorted(range(len(problems)), key=lambda i: (
        pd.to_numeric(pd.Series([problems["row"].iloc[i]]), errors="coerce").fillna(-1).iloc[0], str(problems["column"].iloc[i])))
    return problems.iloc[order].reset_index(drop=True)


def read_extract(path: Path | str, kind: str, area: Area | None = None, max_mb: float | None = None) -> ExtractResult:
    """Read, clean and validate one extract; the engine behind load_extract and validate_file.

    Raises:
        DataSourceError: the file cannot be read at all (missing, empty, too large, wrong encoding).
        ValidationError: every cell or row problem, with file row numbers and the file's column names.
    """
    if kind not in EXTRACT_KINDS:
        raise DataSourceError(f"Unknown extract kind {kind!r}; expected one of {', '.join(EXTRACT_KINDS)}.")
    path = Path(path)
    source = path.name
    raw = read_raw_table(path, header_score(kind), max_mb=max_mb, sheet_hint=(kind,))
    if raw.frame.empty:
        raise DataSourceError(f"{source} has column headings (row {raw.header_row}) but no data rows.")
    frame, file_columns, header_problems, notes = _map_columns(raw, kind)
    notes = raw.notes + notes
    missing_required = [p for p in header_problems if p["value"] is None]
    if area is None:
        area = infer_area(frame, kind)
        if area is not None:
            named_by = "whose districts its district_code column names" if kind == "population_ethnicity" else "named in its utla_code column"
            notes.append(f"{source}: checked against {area.name} ({area.code}), the area {named_by}.")
    table, cell_problems, clean_notes = _clean(frame, kind, area, source)
    notes += clean_notes
    problems = pd.DataFrame(raw.problems + header_problems + cell_problems, columns=["row", "column", "value", "expected"])
    if not missing_required:
        try:
            table = schemas.validate(table, kind, source=source)
        except ValidationError as exc:
            schema_problems = _collapse_row_checks(exc.problems, table)
            already = set(zip(problems["row"], problems["column"]))
            keep = [not any((r, c.strip()) in already for c in str(cols).split(","))
                    for r, cols in zip(schema_problems["row"], schema_problems["column"])]
            problems = pd.concat([problems, schema_problems[keep]], ignore_index=True)
    if kind == "population_ethnicity" and area is not None and problems.empty and (gaps := ethnicity_gaps(table, area)):
        problems = pd.DataFrame([{"row": None, "column": "district_code", "value": None,
                                  "expected": f"a row for every district and ethnic group, but the file has {gaps}"}])
    broken_rows = {p["row"] for p in raw.problems if p["column"] == "(whole row)"}
    if broken_rows:  # a row with too many or too few values: its cells are misplaced, say only that
        problems = problems[[(c == "(whole row)") or (r not in broken_rows) for r, c in zip(problems["row"], problems["column"])]]
    problems = _file_problems(problems, file_columns, raw.frame)
    for note in notes:
        log.info(note)
    if not problems.empty:
        problems = _sorted(problems)
        raise ValidationError(kind, problems, source=source)
    return ExtractResult(table=table, notes=notes, file_columns=file_columns, area=area)


def load_extract(path: Path | str, kind: str, area: Area | None = None, max_mb: float | None = None) -> pd.DataFrame:
    """One council extract as its validated canonical table (index = file row numbers).

    Args:
        path: CSV (UTF-8 or Windows-1252), Excel .xlsx (title rows allowed) or Parquet.
        kind: treatment, admissions, deaths, population or population_ethnicity.
        area: the area the extract belongs to (maps district names, checks codes); if omitted it is
            inferred from the utla_code column.
        max_mb: input size limit (default $SUNA_MAX_INPUT_MB or 500 MB).

    Raises:
        DataSourceError, ValidationError: one message naming the file, rows, columns and what was expected.
    """
    result = read_extract(path, kind, area=area, max_mb=max_mb)
    table = result.table.copy()
    table.attrs["source"] = str(path)
    table.attrs["notes"] = list(result.notes)
    return table


def find_extract_files(data_dir: Path | str) -> dict[str, Path]:
    """The extract file of each kind in a folder (treatment.csv / .xlsx / .parquet ...); refuse two of a kind."""
    folder = Path(data_dir)
    if not folder.is_dir():
        raise DataSourceError(f"Extracts folder not found: {folder}.")
    found: dict[str, Path] = {}
    for kind in EXTRACT_KINDS:
        matches = sorted(p for p in folder.iterdir() if p.is_file() and p.stem.casefold() == kind
                         and p.suffix.lower() in (".csv", ".xlsx", ".xlsm", ".parquet", ".txt", ".tsv"))
        if len(matches) > 1:
            raise DataSourceError(
                f"{folder} has more than one {kind} file ({', '.join(p.name for p in matches)}); keep one so SUNA knows which to use."
            )
        if matches:
            found[kind] = matches[0]
    return found


def load_extracts(area: Area, data_dir: Path | str, max_mb: float | None = None) -> dict[str, pd.DataFrame]:
    """Every extract in a folder (any subset of treatment, admissions, deaths, population, population_ethnicity, crime,
    prison_releases) as canonical tables."""
    files = find_extract_files(data_dir)
    if not files:
        raise DataSourceError(
            f"No extracts found in {data_dir}: expected files named treatment, admissions, deaths or population "
            "(and optionally population_ethnicity, crime and prison_releases) as .csv, .xlsx or .parquet; see data/templates/README.md."
        )
    return {kind: load_extract(path, kind, area=area, max_mb=max_mb) for kind, path in files.items()}
