"""Loads the reference facts (code lists, categories, ESP 2013, disclosure rules) from data/reference.

One definition per field: every module reads these through here, never repeats them inline.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd
import yaml

from suna.core import paths


@lru_cache(maxsize=None)
def _yaml(name: str) -> dict[str, Any]:
    with open(paths.reference_dir() / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def categories() -> dict[str, Any]:
    return _yaml("categories.yaml")


def code_lists() -> dict[str, Any]:
    return _yaml("code_lists.yaml")


def disclosure_rules() -> dict[str, Any]:
    return _yaml("disclosure_rules.yaml")


def category_codes(kind: str) -> list[str]:
    """The codes of one category list, e.g. ``category_codes("substance_groups")``."""
    return list(categories()[kind])


def category_labels(kind: str) -> dict[str, str]:
    """Code to plain-English label for one category list."""
    out = {}
    for code, value in categories()[kind].items():
        out[code] = value[0] if isinstance(value, list) else value
    return out


def referral_route_groups() -> dict[str, str]:
    """Referral source code to its route group (self, health, criminal justice...)."""
    return {code: value[1] for code, value in categories()["referral_sources"].items()}


def successful_exit_reasons() -> list[str]:
    return [code for code, value in categories()["exit_reasons"].items() if value[1]]


@lru_cache(maxsize=None)
def esp2013() -> pd.DataFrame:
    """European Standard Population 2013 by the 19 age bands."""
    return pd.read_csv(paths.reference_dir() / "esp2013.csv", comment="#")


def age_bands() -> list[str]:
    return esp2013()["age_band"].tolist()


def age_band_of(age_years: pd.Series) -> pd.Series:
    """The ESP 2013 age band label of each age in years (NaN stays missing)."""
    esp = esp2013()
    edges = esp["age_lower_years"].tolist() + [200]
    return pd.cut(age_years, bins=edges, right=False, labels=esp["age_band"].tolist()).astype("string")


def icd10_codes(name: str) -> list[str]:
    return list(code_lists()[name]["codes"])


def icd10_matches(codes: pd.Series, name: str) -> pd.Series:
    """True where an ICD-10 code (upper case, no dot) falls in the named code list."""
    prefixes = tuple(icd10_codes(name))
    clean = codes.fillna("").astype(str).str.upper().str.replace(".", "", regex=False).str.strip()
    return clean.str.startswith(prefixes)


def partnership_metrics() -> dict[str, Any]:
    """The metrics a Combating Drugs Partnership is measured against (``outcomes`` and ``metrics``), in dashboard order."""
    return _yaml("partnership_metrics.yaml")
