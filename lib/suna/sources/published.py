"""Published tables shipped with SUNA (data/published): ONS deaths and populations, deprivation, lookups.

Every English authority has these figures, so they are what SUNA shows first. Values are read as
published; each file's checksum is checked against its provenance record so a changed value is caught.
Geography is brought to April 2023 authorities (the ONS LTLA23 -> UTLA23 lookup): tables published on
older codes are summed through the ONS LAD22 -> LAD23 lookup (Cumbria, North Yorkshire, Somerset).
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from suna.core import paths
from suna.core.errors import DataSourceError

ENGLAND_CODE = "E92000001"
DEATHS_FILE = "ons_drug_poisoning_deaths_by_la_registered_1993_2020.csv"
POPULATION_FILE = "ons_mye_la_single_year_of_age_persons_1997_2020.csv"
IMD_FILE = "iod2025_england_ltla24_file10_humaniverse.csv"
UTLA_LOOKUP = "ltla23_to_utla23_ew_lookup.csv"
REGION_LOOKUP = "ltla24_to_region24_en_lookup.csv"
LAD22_LOOKUP = "ltla22_to_ltla23_uk_lookup.csv"
WARD_LOOKUP = "ward_to_lad_dec2023_uk_lookup.csv"
LAD_BOUNDARIES = "england_lad_dec2024_buc.geojson"
# ONS GSS entity codes of upper-tier authorities.
UPPER_TIER_TYPES = {"E10": "county", "E06": "unitary", "E08": "metropolitan district", "E09": "london borough"}


def path(name: str) -> Path:
    """A shipped table by file name, its checksum checked against its provenance record."""
    file = paths.published_dir() / name
    if not file.exists():
        raise DataSourceError(f"{file}: the published table is missing; it ships with SUNA in data/published/.")
    _verify(str(file))
    return file


def provenance(name: str) -> dict[str, Any]:
    """Publisher, dataset, edition, URL, licence, attribution and checksum of one shipped table."""
    record = paths.published_dir() / f"{name}.provenance.yaml"
    if not record.exists():
        raise DataSourceError(f"{record}: every published table needs its provenance record beside it.")
    with open(record, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def tables() -> list[str]:
    """File names of every shipped published table."""
    return sorted(p.name.removesuffix(".provenance.yaml") for p in paths.published_dir().glob("*.provenance.yaml"))


def citation(name: str) -> str:
    """How a report cites a shipped table: publisher, dataset, edition."""
    rec = provenance(name)
    return f"{rec['publisher']}, {rec['dataset']} ({rec['edition']})"


@lru_cache(maxsize=None)
def _verify(file: str) -> None:
    name = Path(file).name
    expected = provenance(name)["sha256"]
    got = hashlib.sha256(Path(file).read_bytes()).hexdigest()
    if got != expected:
        raise DataSourceError(
            f"{file}: its checksum is {got[:12]}..., not {expected[:12]}... as its provenance record says; "
            "a published table must not be edited (restore it from git, or fetch a new edition with `suna fetch`)."
        )


# ---------------------------------------------------------------------------------------------
# Geography: April 2023 authorities
# ---------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def geography() -> pd.DataFrame:
    """Every English lower-tier authority with its upper tier and region (April 2023 codes)."""
    lookup = pd.read_csv(path(UTLA_LOOKUP), dtype=str)
    lookup = lookup[lookup["ltla23_code"].str.startswith("E")]
    regions = pd.read_csv(path(REGION_LOOKUP), dtype=str).rename(
        columns={"ltla24_code": "ltla23_code", "region24_code": "region_code", "region24_name": "region_name"})
    out = lookup.merge(regions[["ltla23_code", "region_code", "region_name"]], on="ltla23_code", how="left")
    if out["region_code"].isna().any():
        missing = ", ".join(out.loc[out["region_code"].isna(), "ltla23_code"])
        raise DataSourceError(f"{REGION_LOOKUP}: no region for {missing}.")
    out = out.rename(columns={"ltla23_code": "ltla_code", "ltla23_name": "ltla_name",
                              "utla23_code": "utla_code", "utla23_name": "utla_name"})
    out["utla_type"] = out["utla_code"].str[:3].map(UPPER_TIER_TYPES)
    for col in ("ltla_name", "utla_name", "region_name"):
        out[col] = out[col].str.strip()
    return out.reset_index(drop=True)


@lru_cache(maxsize=1)
def upper_tiers() -> pd.DataFrame:
    """One row per English upper-tier authority: code, name, type, region, number of districts."""
    geo = geography()
    out = (geo.groupby(["utla_code", "utla_name", "utla_type", "region_code", "region_name"], as_index=False)
           .agg(districts=("ltla_code", "nunique")))
    out["districts"] = out["districts"].where(out["utla_type"] == "county", 0)
    return out.rename(columns={"utla_code": "code", "utla_name": "name", "utla_type": "type"}).sort_values("name").reset_index(drop=True)


@lru_cache(maxsize=1)
def _to_2023() -> dict[str, str]:
    """Older lower-tier codes (April 2021/2022) -> April 2023 codes."""
    lookup = pd.read_csv(path(LAD22_LOOKUP), dtype=str)
    return dict(zip(lookup["ltla22_code"], lookup["ltla23_code"]))


def _levels(frame: pd.DataFrame, value_cols: list[str], keys: list[str]) -> pd.DataFrame:
    """Lower-tier rows (April 2023) summed to upper tier, region and England; one long table with area_level."""
    geo = geography()
    lower = frame.merge(geo, left_on="area_code", right_on="ltla_code", how="inner")
    parts = [lower.assign(area_level="lower_tier", area_name=lower["ltla_name"])[["area_code", "area_name", "area_level", *keys, *value_cols]]]
    for level, code, name in (("upper_tier", "utla_code", "utla_name"), ("region", "region_code", "region_name")):
        summed = lower.groupby([code, name, *keys], as_index=False)[value_cols].sum(min_count=1)
        parts.append(summed.rename(columns={code: "area_code", name: "area_name"}).assign(area_level=level))
    england = lower.groupby(keys, as_index=False)[value_cols].sum(min_count=1)
    parts.append(england.assign(area_code=ENGLAND_CODE, area_name="England", area_level="england"))
    out = pd.concat(parts, ignore_index=True)
    # A unitary is its own upper and lower tier: keep one row, as upper tier.
    out = out.sort_values("area_level", key=lambda s: s.map({"upper_tier": 0, "lower_tier": 1, "region": 2, "england": 3}))
    return out.drop_duplicates(["area_code", *keys]).reset_index(drop=True)


def _on_2023_codes(frame: pd.DataFrame, value_cols: list[str], keys: list[str]) -> pd.DataFrame:
    english = frame[frame["area_code"].str.match(r"^E0[6-9]")].copy()
    english["area_code"] = english["area_code"].map(lambda c: _to_2023().get(c, c))
    return english.groupby(["area_code", *keys], as_index=False)[value_cols].sum(min_count=1)


# ---------------------------------------------------------------------------------------------
# ONS deaths related to drug poisoning, by local authority of usual residence and year of registration
# ---------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _deaths_wide() -> pd.DataFrame:
    wide = pd.read_csv(path(DEATHS_FILE), dtype={"code": str, "name": str})
    wide["name"] = wide["name"].str.strip()
    return wide


@lru_cache(maxsize=1)
def drug_poisoning_deaths() -> pd.DataFrame:
    """Deaths related to drug poisoning by year of registration, for every English authority, region and England.

    Columns: area_code, area_name, area_level (lower_tier, upper_tier, region, england), registration_year, deaths.
    Lower-tier counts are as published; upper tiers, regions and England are their sums (which equal
    the published rows: tested).
    """
    wide = _deaths_wide()
    years = [c for c in wide.columns if re.fullmatch(r"\d{4}", c)]
    long = wide.melt(id_vars=["code", "name"], value_vars=years, var_name="registration_year", value_name="deaths")
    long = long.rename(columns={"code": "area_code"}).drop(columns="name")
    long["registration_year"] = long["registration_year"].astype(int)
    long["deaths"] = pd.to_numeric(long["deaths"], errors="raise")
    lower = _on_2023_codes(long, ["deaths"], ["registration_year"])
    out = _levels(lower, ["deaths"], ["registration_year"])
    out["deaths"] = out["deaths"].astype("Int64")
    return out


def published_deaths_row(code: str, year: int) -> int | None:
    """A count exactly as ONS printed it in the table (for checks), or None."""
    wide = _deaths_wide()
    got = wide.loc[wide["code"] == code, str(year)]
    return int(got.iloc[0]) if len(got) else None


# ---------------------------------------------------------------------------------------------
# ONS mid-year population estimates, persons, single year of age
# ---------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def population() -> pd.DataFrame:
    """Mid-year population by single year of age: see :func:`_population`; kept on disk after the first read."""
    return _disk_cached(POPULATION_FILE, "population", _population)


def _disk_cached(name: str, kind: str, build: Any) -> pd.DataFrame:
    """A derived table cached in .cache/published under the source file's checksum, so every kernel reads it fast."""
    key = provenance(name)["sha256"][:16]
    file = paths.cache_dir() / "published" / f"{kind}-{key}.parquet"
    if file.exists():
        try:
            return pd.read_parquet(file)
        except Exception:  # a torn or foreign file: rebuild it
            pass
    out = build()
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_suffix(f".{__import__('os').getpid()}.tmp")
    out.to_parquet(tmp, index=False)
    tmp.replace(file)
    return out


def _population() -> pd.DataFrame:
    """Mid-year population by single year of age (0 ... 90 meaning 90 and over), mid-2001 onwards, every
    English authority, region and England. Columns: area_code, area_name, area_level, year, age, population."""
    wide = pd.read_csv(path(POPULATION_FILE), dtype=str)
    wide = wide[wide["code"].str.match(r"^E0[6-9]")].copy()  # England's authorities
    wide["year"] = wide["year"].astype(int)
    # Before mid-2001 the table gives no single years from 85 ("-"); SUNA uses mid-2001 onwards.
    wide = wide[wide["year"] >= 2001]
    ages = [c for c in wide.columns if c.startswith("Age")]
    long = wide.melt(id_vars=["code", "year"], value_vars=ages, var_name="age", value_name="population")
    long["age"] = long["age"].str.extract(r"(\d+)")[0].astype(int)
    long["population"] = pd.to_numeric(long["population"], errors="raise")
    long = long.rename(columns={"code": "area_code"})
    lower = _on_2023_codes(long, ["population"], ["year", "age"])
    out = _levels(lower, ["population"], ["year", "age"])
    out["population"] = out["population"].astype("int64")
    return out


@lru_cache(maxsize=1)
def population_totals() -> pd.DataFrame:
    """All-ages mid-year population: area_code, area_name, area_level, year, population."""
    pop = population()
    return pop.groupby(["area_code", "area_name", "area_level", "year"], as_index=False)["population"].sum()


# ---------------------------------------------------------------------------------------------
# English Indices of Deprivation 2025, by lower-tier authority
# ---------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def deprivation() -> pd.DataFrame:
    """IMD 2025 average score and rank of average score by lower-tier authority (1 = most deprived)."""
    imd = pd.read_csv(path(IMD_FILE))
    return imd.rename(columns={"ltla24_code": "area_code", "ltla24_name": "area_name",
                               "imd25_average_score": "imd_average_score",
                               "imd25_rank_of_average_score": "imd_rank_of_average_score"})[
        ["area_code", "area_name", "imd_average_score", "imd_rank_of_average_score"]]


def latest_year(table: pd.DataFrame, column: str) -> int:
    return int(table[column].max())
