"""Published area-level indicators from OHID Fingertips: the API, or the CSV downloaded from the website.

Both arrive in the Fingertips CSV layout and leave as SUNA's indicators table
(``schemas.from_fingertips_layout``), validated, with file row numbers in every message.

Why not ``fingertips_py`` directly: its 0.4.3 functions read a module-level ``base_url`` bound at
import (no way to point them at a proxy-free mirror or a test server without patching a global),
call ``pandas.read_csv(url)`` with no time-out, retries or cache, and fall back to ``verify=False``
on any SSL error. This module is a thin wrapper with ``requests`` over the *same API paths*
(``all_data/csv/by_indicator_id``, ``available_data``, ``area_types``) that adds a base URL, retries
with back-off, an on-disk cache keyed by URL (atomic writes), proxy settings from the environment
(``requests`` honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY) and SUNA's own error messages.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pandas as pd

from suna.core import paths
from suna.core.errors import DataSourceError, ValidationError
from suna.model import schemas
from suna.sources.reading import RawTable, normalise_name, read_raw_table

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://fingertips.phe.org.uk/api"
ENGLAND_AREA_TYPE = 15

# The columns every Fingertips data download has had since 2018 (website "Export table" and the
# API's all_data/csv endpoints). Later columns vary ("Compared to Region ...", "Time period Sortable",
# "New data", "Compared to goal", "Time period range") and are kept when present.
REQUIRED_COLUMNS = (
    "Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name", "Area Type",
    "Sex", "Age", "Category Type", "Category", "Time period", "Value", "Lower CI 95.0 limit",
    "Upper CI 95.0 limit", "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count", "Denominator",
    "Value note", "Recent Trend", "Compared to England value or percentiles",
)
NUMERIC_COLUMNS = ("value", "value_lower_ci95", "value_upper_ci95", "value_lower_ci998", "value_upper_ci998",
                   "count", "denominator", "period_sortable")
# Fingertips area type ids for local authorities (API /area_types). Used only when the API cannot
# be asked for the names. Source: Fingertips API area_types; DESIGN notes in ../shared/reference.
AREA_TYPE_NAMES = {
    15: "England",
    6: "Regions (statistical)",
    501: "Districts & UAs (from Apr 2023)",
    502: "Counties & UAs (from Apr 2023)",
    401: "Districts & UAs (an earlier vintage, 2021)",
    402: "Counties & UAs (an earlier vintage, 2021)",
    301: "Districts & UAs (an earlier vintage, 2020)",
    302: "Counties & UAs (an earlier vintage, 2020)",
    201: "Districts & UAs (an earlier vintage, 2019)",
    202: "Counties & UAs (an earlier vintage, 2019)",
    101: "Districts & UAs (an earlier vintage, to 2019)",
    102: "Counties & UAs (an earlier vintage, to 2019)",
}
OFFLINE_HINT = (
    "you are offline or behind a proxy: set HTTPS_PROXY (and HTTP_PROXY), or download the CSV from the "
    "Fingertips website and use import_fingertips_csv"
)


# ---------------------------------------------------------------------------------------------
# The CSV layout (downloaded file or API response)
# ---------------------------------------------------------------------------------------------

def _score(row: list[str | None]) -> int:
    known = {normalise_name(c) for c in REQUIRED_COLUMNS}
    return sum(1 for c in row if c is not None and normalise_name(c) in known)


def _column_names(columns: Iterable[str], source: str, header_row: int) -> tuple[dict[str, str], list[dict]]:
    """Fingertips headings -> SUNA names; a missing or renamed heading is one clear problem each."""
    columns = list(columns)
    problems: list[dict] = []
    present = {c.strip(): c for c in columns}
    unknown = [c for c in columns if c.strip() not in schemas.FINGERTIPS_COLUMNS and not _is_compared_to(c)]
    for required in REQUIRED_COLUMNS:
        if required in present:
            continue
        close = difflib.get_close_matches(required, unknown, n=1, cutoff=0.6)
        hint = f"; found {close[0]!r} instead" if close else ""
        problems.append({
            "row": header_row, "column": required, "value": close[0] if close else None,
            "expected": f"the Fingertips column {required!r}{hint} (the Fingertips download layout may have changed: "
                        f"expected headings {', '.join(REQUIRED_COLUMNS)})",
        })
    rename: dict[str, str] = {}
    for c in columns:
        name = c.strip()
        if name in schemas.FINGERTIPS_COLUMNS:
            rename[c] = schemas.FINGERTIPS_COLUMNS[name]
        elif _is_compared_to(name) and "compared_to_region" not in rename.values() and "Compared to Region value or percentiles" not in present:
            rename[c] = "compared_to_region"  # "Compared to <parent area type> value or percentiles"
        else:
            rename[c] = normalise_name(name)
    return rename, problems


def _is_compared_to(name: str) -> bool:
    name = name.strip()
    return name.startswith("Compared to ") and name.endswith("value or percentiles") and "England" not in name


def indicators_from_raw(raw: RawTable, source: str) -> pd.DataFrame:
    """A Fingertips-layout table of text cells -> SUNA's validated indicators table.

    Raises:
        ValidationError: every changed heading and every cell that is not what Fingertips writes.
    """
    rename, problems = _column_names(raw.frame.columns, source, raw.header_row)
    problems = raw.problems + problems
    if len(problems) > len(raw.problems):  # a changed header: say so before anything else
        raise ValidationError("indicators", pd.DataFrame(problems, columns=["column", "row", "value", "expected"]), source=source)
    frame = raw.frame.rename(columns=rename)
    typed = {}
    for col in frame.columns:
        text = frame[col]
        if col in NUMERIC_COLUMNS:
            num = pd.to_numeric(text.map(lambda v: v.strip().replace(",", ""), na_action="ignore"), errors="coerce")
            wrong = text.notna() & num.isna()
            back = {v: k for k, v in rename.items()}
            for row in wrong[wrong].index:
                problems.append({"row": row, "column": back.get(col, col), "value": text[row], "expected": "a number or empty"})
            typed[col] = num.astype(float)
        elif col == "indicator_id":
            typed[col] = text.map(lambda v: v.strip()[:-2] if v.strip().endswith(".0") else v.strip(), na_action="ignore")
        else:
            typed[col] = text.map(lambda v: v.strip(), na_action="ignore")
    table = pd.DataFrame(typed, index=frame.index)
    try:
        table = schemas.validate(table, "indicators", source=source)
    except ValidationError as exc:
        back = {v: k for k, v in rename.items()}
        extra = exc.problems.assign(column=exc.problems["column"].map(lambda c: back.get(c, c)))
        problems += extra.to_dict("records")
    if problems:
        raise ValidationError("indicators", pd.DataFrame(problems, columns=["column", "row", "value", "expected"]), source=source)
    return table


def import_fingertips_csv(path: Path | str, max_mb: float | None = None) -> pd.DataFrame:
    """A CSV downloaded from the Fingertips website ("Export table") as SUNA's validated indicators table.

    Raises:
        DataSourceError: the file cannot be read.
        ValidationError: a changed header (named, with what was found instead) or bad cells (row and column).
    """
    path = Path(path)
    raw = read_raw_table(path, _score, max_mb=max_mb, sheet_hint=("indicator", "data"))
    if raw.frame.empty:
        raise DataSourceError(f"{path.name} has column headings (row {raw.header_row}) but no data rows.")
    table = indicators_from_raw(raw, path.name)
    table.attrs["source"] = str(path)
    table.attrs["notes"] = list(raw.notes)
    return table


# ---------------------------------------------------------------------------------------------
# The API
# ---------------------------------------------------------------------------------------------

def _session(session: Any | None) -> Any:
    if session is not None:
        return session
    import requests

    s = requests.Session()  # trust_env=True: HTTPS_PROXY, HTTP_PROXY, NO_PROXY and REQUESTS_CA_BUNDLE are honoured
    s.headers["User-Agent"] = "SUNA (Substance Use Needs Assessment) - python-requests"
    return s


def _get(url: str, session: Any, retries: int, backoff: float, timeout: float, base_url: str) -> bytes:
    """GET with retries and exponential back-off on connection errors, time-outs, 429 and 5xx."""
    import requests

    attempts = max(1, retries)
    last: str = ""
    for attempt in range(attempts):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        try:
            response = session.get(url, timeout=timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            last = f"connection: {exc.__class__.__name__}"
            log.warning("Fingertips %s (attempt %d of %d): %s", url, attempt + 1, attempts, last)
            continue
        status = response.status_code
        if status == 429 or status >= 500:
            last = f"HTTP {status}"
            log.warning("Fingertips %s (attempt %d of %d): %s", url, attempt + 1, attempts, last)
            continue
        if status >= 400:
            raise DataSourceError(
                f"Fingertips at {base_url} refused the request {url} (HTTP {status}): check the indicator ids and area type id."
            )
        return response.content
    if last.startswith("connection"):
        raise DataSourceError(f"Could not reach Fingertips at {base_url} after {attempts} tries; {OFFLINE_HINT}.")
    raise DataSourceError(
        f"Fingertips at {base_url} answered {last} to {attempts} tries; the service may be down: try again later, "
        "or download the CSV from the website and use import_fingertips_csv."
    )


def _cache_path(url: str, cache_dir: Path, suffix: str) -> Path:
    return cache_dir / f"{hashlib.sha256(url.encode('utf-8')).hexdigest()[:32]}{suffix}"


def _write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that a reader sees the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _fetch_cached(url: str, cache_dir: Path, suffix: str, refresh: bool, get) -> Path:
    path = _cache_path(url, cache_dir, suffix)
    if path.exists() and not refresh:
        log.info("Fingertips: %s from cache %s", url, path)
        return path
    data = get(url)
    _write_atomic(path, data)
    _write_atomic(path.with_suffix(".url"), url.encode("utf-8"))
    return path


def data_url(base_url: str, indicator_ids: list[int], area_type_id: int, parent_area_type_id: int) -> str:
    """The API address of the data CSV (the path fingertips_py.get_data_by_indicator_ids uses)."""
    query = urlencode({
        "indicator_ids": ",".join(str(int(i)) for i in indicator_ids),
        "child_area_type_id": int(area_type_id),
        "parent_area_type_id": int(parent_area_type_id),
        "include_sortable_time_periods": "yes",
    }, safe=",")
    return f"{base_url.rstrip('/')}/all_data/csv/by_indicator_id?{query}"


def fetch_fingertips(
    indicator_ids: list[int],
    area_type_id: int,
    parent_area_type_id: int | None = None,
    base_url: str = DEFAULT_BASE_URL,
    cache_dir: Path | str | None = None,
    retries: int = 3,
    backoff: float = 0.5,
    session: Any | None = None,
    *,
    refresh: bool = False,
    timeout: float = 60.0,
) -> pd.DataFrame:
    """Indicator data from the Fingertips API as SUNA's validated indicators table.

    Args:
        indicator_ids: Fingertips indicator ids, e.g. [92432, 91380].
        area_type_id: the child area type: 502 counties & UAs, 501 districts & UAs (from April 2023).
        parent_area_type_id: the parent area type (default 15, England).
        base_url: the API root (a mirror or test server may be given).
        cache_dir: where responses are kept, keyed by URL (default paths.cache_dir()/fingertips).
        retries, backoff: tries on connection errors and 5xx, waiting backoff, 2*backoff, ... seconds.
        session: a requests.Session to use (proxies, certificates); default a new one that reads the
            proxy environment variables.
        refresh: ask the API again even if the answer is cached.

    Raises:
        DataSourceError: offline, service down, or no data for that area type (with the area types
            that do have data).
        ValidationError: the API answered in a layout SUNA does not recognise.
    """
    ids = [int(i) for i in indicator_ids]
    if not ids:
        raise DataSourceError("No Fingertips indicator ids given: expected one or more, e.g. 92432,91380.")
    parent = ENGLAND_AREA_TYPE if parent_area_type_id is None else int(parent_area_type_id)
    folder = Path(cache_dir) if cache_dir is not None else paths.cache_dir() / "fingertips"
    http = _session(session)

    def get(url: str) -> bytes:
        return _get(url, http, retries, backoff, timeout, base_url)

    url = data_url(base_url, ids, area_type_id, parent)
    path = _fetch_cached(url, folder, ".csv", refresh, get)
    raw = read_raw_table(path, _score)
    source = f"Fingertips API {url}"
    if raw.frame.empty:
        path.unlink(missing_ok=True)  # never cache an empty answer: data may be published later
        raise DataSourceError(_no_data_message(ids, ids, area_type_id, base_url, get))
    table = indicators_from_raw(raw, source)
    missing = [i for i in ids if str(i) not in set(table["indicator_id"])]
    if missing:
        raise DataSourceError(_no_data_message(ids, missing, area_type_id, base_url, get))
    log.info("Fingertips: %d rows for indicators %s at area type %s", len(table), ids, area_type_id)
    table.attrs["source"] = url
    return table


def available_area_types(indicator_id: int, base_url: str = DEFAULT_BASE_URL, session: Any | None = None,
                         retries: int = 3, backoff: float = 0.5, timeout: float = 60.0) -> list[int]:
    """The area type ids at which Fingertips publishes an indicator (API ``available_data``)."""
    http = _session(session)
    url = f"{base_url.rstrip('/')}/available_data?indicator_id={int(indicator_id)}"
    return _area_types_from_available(_get(url, http, retries, backoff, timeout, base_url), int(indicator_id))


def _area_types_from_available(content: bytes, indicator_id: int) -> list[int]:
    try:
        records = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise DataSourceError("Fingertips available_data did not answer with JSON.") from None
    return sorted({int(r["AreaTypeId"]) for r in records if int(r.get("IndicatorId", indicator_id)) == indicator_id})


def _area_type_names(base_url: str, get) -> dict[int, str]:
    """Area type id -> name from the API, falling back to the names SUNA knows."""
    names = dict(AREA_TYPE_NAMES)
    try:
        records = json.loads(get(f"{base_url.rstrip('/')}/area_types").decode("utf-8"))
        names |= {int(r["Id"]): str(r.get("Name") or r.get("ShortName")) for r in records}
    except (DataSourceError, ValueError, KeyError, TypeError):
        pass
    return names


def _no_data_message(requested: list[int], missing: list[int], area_type_id: int, base_url: str, get) -> str:
    """Say which area types do have the data (the usual cause is an old area type id such as 102)."""
    names = _area_type_names(base_url, get)
    asked = f"{area_type_id} ({names.get(int(area_type_id), 'unknown area type')})"
    lines = []
    suggestion = None
    for ind in missing:
        try:
            url = f"{base_url.rstrip('/')}/available_data?indicator_id={ind}"
            types = _area_types_from_available(get(url), ind)
        except DataSourceError:
            types = []
        if types:
            la_types = [t for t in types if t in (501, 502, 401, 402, 301, 302, 201, 202, 101, 102)] or types
            shown = ", ".join(f"{t} ({names.get(t, 'area type ' + str(t))})" for t in sorted(la_types, reverse=True))
            lines.append(f"indicator {ind} is published for area type(s) {shown}")
            suggestion = suggestion or max(la_types)
        else:
            lines.append(f"indicator {ind} has no data at any area type (check the id)")
    message = f"No data for area type {asked}: " + "; ".join(lines) + "."
    if suggestion is not None:
        message += (f" Use area type {suggestion} (501/502 are the current district and county types from April 2023; "
                    "401/402, 301/302, 201/202 and 101/102 are earlier boundaries).")
    return message
