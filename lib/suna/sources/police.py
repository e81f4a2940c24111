"""Published police recorded crime: drug offences by Community Safety Partnership, and street-level drug crime.

Two publications, both Open Government Licence:

* Home Office, "Police recorded crime and outcomes open data tables": the Community Safety Partnership
  (CSP) table, one row per financial year x quarter x force x CSP x offence with the number of offences.
  Drug offences are the offence group "Drug offences", in two subgroups: "Possession of drugs" and
  "Trafficking of drugs" (Home Office Counting Rules). ONS publishes the same counts in its "Recorded crime
  data by Community Safety Partnership area" tables. A CSP is usually one local authority district (or a
  metropolitan district or unitary authority); a few cover several districts.
* data.police.uk: street-level crimes, one row per crime with an anonymised location. The bulk download
  (``YYYY-MM-<force>-street.csv``) gives each crime's LSOA; the API (``/crimes-street/drugs?poly=...&date=YYYY-MM``)
  gives points. Both put possession and trafficking in one category, "Drugs".

Every reader returns rows of SUNA's ``crime`` table (``schemas.schema("crime")``), so published counts sit
beside the partnership's own figures; downloads are cached under ``paths.cache_dir()/police``.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pandas as pd

from suna.core import paths
from suna.core.errors import DataSourceError, ValidationError
from suna.model import periods, schemas
from suna.model.areas import Area
from suna.sources import http
from suna.sources.reading import RawTable, normalise_name, read_raw_table

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://data.police.uk/api"
API_SERVICE = "data.police.uk"
CSP_SERVICE = "the Home Office police recorded crime open data tables"
DRUGS_CATEGORY = "drugs"        # the API's category slug
DRUGS_CRIME_TYPE = "Drugs"      # the bulk download's "Crime type"
OFFENCE_SUBGROUPS = {"possession of drugs": "drug_possession_offences", "trafficking of drugs": "drug_trafficking_offences"}
STREET_MEASURE = "drug_offences"
LSOA_PATTERN = re.compile(r"^[EW]01\d{6}$")
MONTH_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# Layout -> column -> the headings it is published under (matched ignoring case, spaces and punctuation).
LAYOUTS: dict[str, dict[str, tuple[str, ...]]] = {
    "csp": {
        "financial_year": ("Financial Year",),
        "financial_quarter": ("Financial Quarter", "Quarter"),
        "csp_name": ("CSP Name", "Community Safety Partnership", "Community Safety Partnership Name"),
        "offence_subgroup": ("Offence Subgroup", "Offence Sub Group"),
        "number_of_offences": ("Number of Offences", "Number of offences recorded", "Offences"),
    },
    "street": {
        "month": ("Month",),
        "lsoa_code": ("LSOA code", "LSOA21CD", "LSOA11CD"),
        "lsoa_name": ("LSOA name", "LSOA21NM", "LSOA11NM"),
        "crime_type": ("Crime type",),
    },
}
API_KEYS = ("category", "month", "location")


# ---------------------------------------------------------------------------------------------
# Reading the published layouts
# ---------------------------------------------------------------------------------------------

def _score(layout: str):
    known = {normalise_name(h) for names in LAYOUTS[layout].values() for h in names}
    return lambda row: sum(1 for c in row if c is not None and normalise_name(c) in known)


def _columns(raw: RawTable, layout: str, source: str) -> pd.DataFrame:
    """The layout's columns under SUNA's names; a heading that is missing is one problem naming it."""
    found = {normalise_name(c): c for c in raw.frame.columns}
    rename, problems = {}, []
    for column, headings in LAYOUTS[layout].items():
        hit = next((found[normalise_name(h)] for h in headings if normalise_name(h) in found), None)
        if hit is None:
            problems.append({"row": raw.header_row, "column": headings[0], "value": None,
                             "expected": f"a column headed {headings[0]!r} (the {_layout_name(layout)} layout; "
                                         f"found {', '.join(map(repr, raw.frame.columns))})"})
        else:
            rename[hit] = column
    if problems:
        raise ValidationError("crime", pd.DataFrame(problems), source=source)
    return raw.frame[list(rename)].rename(columns=rename)


def _layout_name(layout: str) -> str:
    return {"csp": "Home Office Community Safety Partnership open data table",
            "street": "data.police.uk street-level crime download"}[layout]


def _whole_numbers(text: pd.Series, column: str, problems: list[dict]) -> pd.Series:
    """Counts as published ("1,234"); anything else (a word, a fraction, a negative) is a problem naming the row."""
    num = pd.to_numeric(text.str.replace(",", "", regex=False).str.strip(), errors="coerce")
    wrong = num.isna() | (num < 0) | (num % 1 != 0)
    for row in wrong[wrong].index:
        problems.append({"row": row, "column": column, "value": text[row], "expected": "a count of offences, a whole number 0 or more"})
    return num


def _places(area: Area) -> dict[str, str | None]:
    """A CSP or district name, case and spaces forgiven -> the district code (None for the whole area)."""
    places: dict[str, str | None] = {" ".join(d.name.split()).casefold(): d.code for d in area.districts}
    places[" ".join(area.name.split()).casefold()] = None
    return places


def csp_offences(path: Path | str, area: Area, source: str | None = None, max_mb: float | None = None) -> pd.DataFrame:
    """Drug possession and trafficking offences for an area from the Home Office CSP open data table.

    A CSP named as the area gives whole-area rows (an empty ``district_code``); a CSP named as one of its
    districts gives that district's rows. Other CSPs and offences are left out.

    Raises:
        ValidationError: a heading is missing, or a drug-offence row has a bad year, quarter or count (named by row).
        DataSourceError: no CSP in the file is the area or one of its districts (the names it has are listed).
    """
    path = Path(path)
    source = source or path.name
    raw = read_raw_table(path, _score("csp"), max_mb=max_mb, sheet_hint=("csp", "community"))
    frame = _columns(raw, "csp", source)
    subgroup = frame["offence_subgroup"].fillna("").str.strip().str.casefold()
    drugs = frame.loc[subgroup.isin(list(OFFENCE_SUBGROUPS))]
    places = _places(area)
    csp = drugs["csp_name"].fillna("").map(lambda v: " ".join(v.split()).casefold())
    mine = drugs.loc[csp.isin(list(places))]
    if mine.empty:
        names = sorted(set(frame["csp_name"].dropna().str.strip()))
        near = [n for n in names if any(w in n.casefold() for w in area.name.casefold().split())]
        shown = ", ".join(near or names[:12])
        raise DataSourceError(
            f"{source}: no drug offences for {area.name} or its districts: no Community Safety Partnership in the file "
            f"is named {area.name!r} or as one of its districts ({'names like it' if near else 'it has'}: {shown}). "
            "A partnership covering several districts cannot be split: give its figures in the crime template instead.")
    problems: list[dict] = []
    counts = _whole_numbers(mine["number_of_offences"].fillna(""), "Number of Offences", problems)
    starts = []
    for row, year, quarter in zip(mine.index, mine["financial_year"].fillna(""), mine["financial_quarter"].fillna("")):
        starts.append(_quarter_start(row, year.strip(), quarter.strip(), problems))
    if problems:
        raise ValidationError("crime", pd.DataFrame(problems), source=source)
    start = pd.to_datetime(pd.Series(starts, index=mine.index))
    rows = pd.DataFrame({
        "utla_code": area.code,
        "district_code": csp[mine.index].map(places),
        "measure": mine["offence_subgroup"].str.strip().str.casefold().map(OFFENCE_SUBGROUPS),
        "period_start_date": start,
        "period_end_date": start + pd.offsets.QuarterEnd(0),
        "count": counts.astype(float),
    })
    keys = ["utla_code", "district_code", "measure", "period_start_date", "period_end_date"]
    table = rows.groupby(keys, dropna=False, as_index=False)["count"].sum()  # offence codes within a subgroup
    return _validated(table, source)


def _quarter_start(row: Any, year: str, quarter: str, problems: list[dict]) -> pd.Timestamp | None:
    """Financial year "2023/24" and quarter 1-4 ("Q1" too) -> the quarter's first day."""
    if not periods.is_financial_year(year):
        problems.append({"row": row, "column": "Financial Year", "value": year, "expected": "a financial year like 2023/24"})
        return None
    q = quarter.upper().removeprefix("Q")
    if q not in ("1", "2", "3", "4"):
        problems.append({"row": row, "column": "Financial Quarter", "value": quarter, "expected": "a quarter 1, 2, 3 or 4"})
        return None
    first = periods.year_start(year)
    return first + pd.DateOffset(months=3 * (int(q) - 1))


def drug_crimes_by_small_area(path: Path | str, max_mb: float | None = None) -> pd.DataFrame:
    """Drug crimes by LSOA and month from a data.police.uk street-level download (``YYYY-MM-<force>-street.csv``).

    Returns:
        lsoa_code, lsoa_name, month ("2024-01") and count. Crimes the police could not place in an LSOA
        (no code) are counted in ``attrs["unplaced"]`` and logged, never dropped silently.

    Raises:
        ValidationError: a heading is missing, or a drug crime has a malformed month or LSOA code (named by row).
    """
    path = Path(path)
    raw = read_raw_table(path, _score("street"), max_mb=max_mb)
    frame = _columns(raw, "street", path.name)
    drugs = frame.loc[frame["crime_type"].fillna("").str.strip().eq(DRUGS_CRIME_TYPE)]
    problems = []
    month = drugs["month"].fillna("").str.strip()
    for row in month.index[~month.str.match(MONTH_PATTERN)]:
        problems.append({"row": row, "column": "Month", "value": month[row], "expected": "a month written YYYY-MM, such as 2024-01"})
    code = drugs["lsoa_code"].fillna("").str.strip().str.upper()
    placed = code.ne("")
    for row in code.index[placed & ~code.str.match(LSOA_PATTERN)]:
        problems.append({"row": row, "column": "LSOA code", "value": drugs.at[row, "lsoa_code"], "expected": "an LSOA code like E01006946 (or empty)"})
    if problems:
        raise ValidationError("crime", pd.DataFrame(problems), source=path.name)
    unplaced = int((~placed).sum())
    if unplaced:
        log.warning("%s: %d drug crime(s) have no LSOA (the police could not place them); they are in no small area", path.name, unplaced)
    kept = pd.DataFrame({"lsoa_code": code[placed], "lsoa_name": drugs.loc[placed, "lsoa_name"].fillna("").str.strip(),
                         "month": month[placed]})
    out = kept.groupby(["lsoa_code", "lsoa_name", "month"], as_index=False).size().rename(columns={"size": "count"})
    out.attrs["unplaced"] = unplaced
    return out


def street_drug_offences(path: Path | str, area: Area, max_mb: float | None = None) -> pd.DataFrame:
    """Monthly drug crimes (possession and trafficking together) by district, from a street-level download.

    An LSOA is placed by its official name ("Sefton 001A"): in the MSOA of that name less its letter
    ("Sefton 001") where the area's districts are MSOAs, else in the district its name begins with ("Basildon").
    LSOAs of other areas (a force covers several) are left out; the rows are the crime table's.
    """
    small = drug_crimes_by_small_area(path, max_mb=max_mb)
    by_name = {d.name.casefold(): d.code for d in area.districts}
    msoa = small["lsoa_name"].str[:-1].str.strip().str.casefold()
    lad = small["lsoa_name"].str.rsplit(" ", n=1).str[0].str.casefold()
    district = msoa.map(by_name).fillna(lad.map(by_name))
    mine = small.assign(district_code=district).dropna(subset=["district_code"])
    if mine.empty:
        raise DataSourceError(f"{Path(path).name}: no drug crimes in {area.name}'s districts "
                              f"({', '.join(d.name for d in area.districts[:6])} ...); is it the download of the right police force?")
    start = pd.to_datetime(mine["month"] + "-01")
    rows = pd.DataFrame({"utla_code": area.code, "district_code": mine["district_code"], "measure": STREET_MEASURE,
                         "period_start_date": start, "period_end_date": start + pd.offsets.MonthEnd(0),
                         "count": mine["count"].astype(float)})
    keys = ["utla_code", "district_code", "measure", "period_start_date", "period_end_date"]
    return _validated(rows.groupby(keys, as_index=False)["count"].sum(), Path(path).name)


def _validated(rows: pd.DataFrame, source: str) -> pd.DataFrame:
    rows = rows.astype({"district_code": object}).reset_index(drop=True)
    rows["district_code"] = rows["district_code"].where(rows["district_code"].notna(), None)
    return schemas.validate(rows, "crime", source=source)


# ---------------------------------------------------------------------------------------------
# Downloads
# ---------------------------------------------------------------------------------------------

def _folder(cache_dir: Path | str | None) -> Path:
    return Path(cache_dir) if cache_dir is not None else paths.cache_dir() / "police"


def fetch_csp_offences(url: str, area: Area, cache_dir: Path | str | None = None, *, refresh: bool = False,
                       retries: int = 3, backoff: float = 0.5, timeout: float = 120.0) -> pd.DataFrame:
    """Download the Home Office CSP open data table (CSV or Excel; its address changes each release) and read it.

    Raises:
        DataSourceError: offline, refused (HTTP status named) or not a table; ValidationError: see ``csp_offences``.
    """
    suffix = Path(url.split("?")[0]).suffix.lower() or ".csv"
    if suffix == ".ods":
        raise DataSourceError(f"{url} is an OpenDocument spreadsheet (.ods), which SUNA does not read: "
                              "open it and save it as .xlsx or .csv, then use police.csp_offences(path, area).")
    session = http.session(retries, backoff)

    def fetch(address: str) -> bytes:
        answer = http.get(session, address, CSP_SERVICE, timeout)
        if answer.status >= 400:
            raise DataSourceError(f"{CSP_SERVICE} refused {address} (HTTP {answer.status}): check the address of the "
                                  "Community Safety Partnership table on the Home Office's open data page.")
        return answer.content

    path = http.cached(url, _folder(cache_dir), suffix, refresh, fetch)
    try:
        return csp_offences(path, area, source=url)
    except (ValidationError, DataSourceError):
        path.unlink(missing_ok=True)  # never keep an answer that cannot be read
        raise


def street_crimes_url(base_url: str, poly: str, month: str, category: str = DRUGS_CATEGORY) -> str:
    """The API address of one month's street-level crimes of a category within a polygon ("lat,lng:lat,lng:...")."""
    return f"{base_url.rstrip('/')}/crimes-street/{category}?{urlencode({'poly': poly, 'date': month}, safe=',:')}"


def fetch_street_drug_crimes(poly: str, months: list[str], base_url: str = DEFAULT_API_URL,
                             cache_dir: Path | str | None = None, *, refresh: bool = False, retries: int = 3,
                             backoff: float = 0.5, timeout: float = 60.0) -> pd.DataFrame:
    """Street-level drug crimes within a polygon, one row per crime, from the data.police.uk API.

    Args:
        poly: the area as "lat,lng:lat,lng:..." (the API's ``poly``; at most about 4,000 characters).
        months: months "YYYY-MM"; each is checked against the months the API has (``crimes-street-dates``).
        base_url: the API root (a mirror or test server may be given).

    Returns:
        month, category, latitude, longitude, street_name, location_type, outcome, persistent_id. The API's
        locations are anonymised to nearby points and carry no LSOA; count them by month with
        ``street_crime_counts``, or use the bulk download (``street_drug_offences``) for small areas.

    Raises:
        DataSourceError: a malformed polygon or month, a month not published, an answer that is not the API's
            JSON (the crime and key are named), HTTP errors (503 is also the API's answer to more than 10,000
            crimes: use a smaller polygon), or no connection.
    """
    _check_poly(poly)
    bad = [m for m in months if not MONTH_PATTERN.match(str(m))]
    if bad or not months:
        raise DataSourceError(f"Months for data.police.uk must be written YYYY-MM, such as 2024-01; got {', '.join(map(repr, bad or months)) or 'none'}.")
    session = http.session(retries, backoff)
    folder = _folder(cache_dir)

    def fetch(address: str) -> bytes:
        answer = http.get(session, address, API_SERVICE, timeout)
        if answer.status == 503:
            raise DataSourceError(f"{API_SERVICE} answered HTTP 503 to {address}: the polygon holds more than the API's "
                                  "10,000 crimes a request, or the service is down. Try a smaller polygon, or later.")
        if answer.status >= 400:
            raise DataSourceError(f"{API_SERVICE} refused {address} (HTTP {answer.status}): check the polygon "
                                  "(lat,lng pairs separated by ':') and the month.")
        return answer.content

    available = available_months(base_url, session, timeout)
    missing = [m for m in months if m not in available]
    if missing:
        raise DataSourceError(f"{API_SERVICE} has no street-level crimes for {', '.join(missing)}: it has "
                              f"{min(available)} to {max(available)}." if available else f"{API_SERVICE} lists no months of data.")
    frames = []
    for month in months:
        url = street_crimes_url(base_url, poly, month)
        path = http.cached(url, folder, ".json", refresh, fetch)
        try:
            frames.append(_crimes_from_json(path.read_bytes(), url))
        except DataSourceError:
            path.unlink(missing_ok=True)
            raise
    return pd.concat(frames, ignore_index=True)


def _check_poly(poly: str) -> None:
    pairs = [p for p in str(poly).split(":") if p.strip()]
    bad = []
    for pair in pairs:
        try:
            lat, lng = (float(v) for v in pair.split(","))
            if not (-90 <= lat <= 90 and -180 <= lng <= 180):
                bad.append(pair)
        except ValueError:
            bad.append(pair)
    if len(pairs) < 3 or bad:
        raise DataSourceError(f"The polygon for data.police.uk must be at least three 'latitude,longitude' points separated "
                              f"by ':', such as 53.49,-3.05:53.46,-2.96:53.42,-3.01; {'these are not: ' + ', '.join(bad[:5]) if bad else 'got ' + repr(poly)}.")


def available_months(base_url: str = DEFAULT_API_URL, session: Any | None = None, timeout: float = 60.0) -> list[str]:
    """The months the API has street-level crimes for (``crimes-street-dates``), latest first."""
    url = f"{base_url.rstrip('/')}/crimes-street-dates"
    answer = http.get(session or http.session(), url, API_SERVICE, timeout)
    if answer.status >= 400:
        raise DataSourceError(f"{API_SERVICE} refused {url} (HTTP {answer.status}); the service may be down: try again later.")
    records = _json_list(answer.content, url)
    try:
        return [str(r["date"]) for r in records]
    except (KeyError, TypeError):
        raise DataSourceError(f"{url} answered a list without a 'date' in each entry; is it the data.police.uk API?") from None


def _json_list(content: bytes, url: str) -> list:
    try:
        records = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataSourceError(f"{url} did not answer with JSON ({exc.__class__.__name__} at character "
                              f"{getattr(exc, 'pos', '?')}); is the address the data.police.uk API?") from None
    if not isinstance(records, list):
        raise DataSourceError(f"{url} answered JSON that is not a list of records (a {type(records).__name__}).")
    return records


def _crimes_from_json(content: bytes, url: str) -> pd.DataFrame:
    """The API's crimes (a JSON list) as a table; a record without a key the API always sends is named."""
    rows = []
    for i, rec in enumerate(_json_list(content, url)):
        missing = [k for k in API_KEYS if not isinstance(rec, dict) or k not in rec]
        location = rec.get("location") if isinstance(rec, dict) else None
        if missing or not isinstance(location, dict):
            raise DataSourceError(f"{url}: crime {i + 1} of the answer has no {', '.join(missing) or 'location object'}; "
                                  f"expected {', '.join(API_KEYS)} in every crime (the data.police.uk layout).")
        try:
            lat, lng = float(location["latitude"]), float(location["longitude"])
        except (KeyError, TypeError, ValueError):
            raise DataSourceError(f"{url}: crime {i + 1} has no numeric location latitude and longitude "
                                  f"(got {location.get('latitude')!r}, {location.get('longitude')!r}).") from None
        outcome = rec.get("outcome_status") or {}
        rows.append({"month": str(rec["month"]), "category": str(rec["category"]), "latitude": lat, "longitude": lng,
                     "street_name": (location.get("street") or {}).get("name"), "location_type": rec.get("location_type"),
                     "outcome": outcome.get("category") if isinstance(outcome, dict) else None,
                     "persistent_id": rec.get("persistent_id") or None})
    return pd.DataFrame(rows, columns=["month", "category", "latitude", "longitude", "street_name", "location_type",
                                       "outcome", "persistent_id"])


def street_crime_counts(crimes: pd.DataFrame, area: Area, months: list[str]) -> pd.DataFrame:
    """Whole-area monthly drug crimes from the API's crimes (the polygon taken as the area): crime table rows.

    Every month asked for has a row, 0 where the API returned no crime.
    """
    counts = crimes.groupby("month").size().reindex(months, fill_value=0)
    start = pd.to_datetime(pd.Series(months) + "-01")
    rows = pd.DataFrame({"utla_code": area.code, "district_code": None, "measure": STREET_MEASURE,
                         "period_start_date": start, "period_end_date": start + pd.offsets.MonthEnd(0),
                         "count": counts.to_numpy(dtype=float)})
    return _validated(rows, API_SERVICE)
