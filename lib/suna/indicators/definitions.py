"""The indicator catalogue and what it rests on: data/reference/indicators.yaml, the published national
figures and prevalence estimates each comparison uses, and the words and constants every indicator shares.
"""


from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

import pandas as pd
import yaml

from suna.core import paths
from suna.core.errors import ParametersError, ValidationError
from suna.indicators import stats

log = logging.getLogger(__name__)

CATALOGUE_FILE = "indicators.yaml"
NATIONAL_FIGURES_FILE = "national_figures.csv"
# Where each national figure was published (columns of the national figures file after the Fingertips-like ones).
CITATION_COLUMNS = ["publisher", "publication", "table", "year", "url"]
MEASURES = ("count", "crude_rate", "dsr", "proportion")
SEXES = ("Male", "Female")
PERSONS = "Persons"
REPRESENTATION_DAYS = 182          # "within 6 months" (NDTMS re-presentation window)
WAIT_DAYS = 21                     # "within 3 weeks" of referral
ADULT_AGE = 18
PUBLISHED = "published"  # catalogue ``table`` of indicators read from published tables (suna.indicators.published)
EXTRA_COLUMNS = ["fingertips_id", "measure", "unit", "polarity", "disclosure_rule", "source"]
AGE_GROUP = "age_group"
CATEGORY_TYPES = {
    "substance_group": "Substance group",
    "referral_route": "Referral route",
    "referral_source": "Referral source",
    "primary_substance": "Primary substance",
    AGE_GROUP: "Age group",
}
# The category list of each treatment breakdown (data/reference/categories.yaml).
CATEGORY_LISTS = {"substance_group": "substance_groups", "referral_source": "referral_sources",
                  "primary_substance": "young_people_substances"}
PRISON_RELEASES = "prison_releases"  # catalogue ``table`` of continuity of care (the prison releases table)
DIED = "died"  # the exit reason of a death in treatment (data/reference/categories.yaml)
# Records whose district is not one of the area's count in the area's rows under this key, never as a district.
NO_DISTRICT = "(district not known)"


# --------------------------------------------------------------------------------------------------
# Catalogue and reference figures
# --------------------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _catalogue_file() -> dict[str, Any]:
    with open(paths.reference_dir() / CATALOGUE_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def catalogue() -> dict[str, dict[str, Any]]:
    """Indicator id -> its catalogue entry (data/reference/indicators.yaml), checked."""
    entries = _catalogue_file()["indicators"]
    for ind_id, spec in entries.items():
        for key, allowed in (("measure", MEASURES), ("polarity", stats.POLARITIES),
                             ("disclosure_rule", ("ndtms", "hes", "ons_deaths")),
                             ("period_type", ("financial_year", "calendar_year"))):
            if spec.get(key) not in allowed:
                raise ParametersError(f"data/reference/{CATALOGUE_FILE} ({ind_id})", key,
                                      f"is {spec.get(key)!r}; expected one of {', '.join(allowed)}")
        _check_age_groups(ind_id, spec)
    return entries


def _check_age_groups(ind_id: str, spec: dict[str, Any]) -> None:
    """An age-group breakdown runs from age 0 with no gap and ends open ("65+"), so its counts add up to
    the all-ages count that disclosure control protects them against."""
    groups = spec.get("age_groups") or []
    if not groups and AGE_GROUP not in (spec.get("categories") or []):
        return
    firsts, lasts = [g[0] for g in groups], [g[1] for g in groups]
    joined = all(last is not None and last + 1 == first for last, first in zip(lasts[:-1], firsts[1:]))
    whole = bool(groups) and firsts[0] == 0 and lasts[-1] is None and joined
    if not whole or AGE_GROUP not in (spec.get("categories") or []) or spec.get("age_range"):
        raise ParametersError(f"data/reference/{CATALOGUE_FILE} ({ind_id})", "age_groups",
                              f"is {groups!r}; expected [first, last] ages from 0 with no gap, the last open "
                              f"([65, null]), given exactly when categories has {AGE_GROUP} (and no age_range)")


def age_group_label(first: int, last: int | None) -> str:
    """Fingertips age wording of an age group: [0, 17] -> "<18 yrs", [18, 39] -> "18-39 yrs", [65, None] -> "65+ yrs"."""
    if last is None:
        return f"{first}+ yrs"
    return f"<{last + 1} yrs" if first == 0 else f"{first}-{last} yrs"


def indicator_ids() -> list[str]:
    """Every indicator id of the catalogue, in catalogue order."""
    return list(catalogue())


def catalogue_table() -> pd.DataFrame:
    """The catalogue as a table (one row per indicator), for documentation and the app's definitions."""
    rows = [{"indicator_id": k, **{c: v for c, v in spec.items() if not isinstance(v, (list, dict))},
             "categories": ", ".join(spec.get("categories") or [])} for k, spec in catalogue().items()]
    return pd.DataFrame(rows)


def prevalence_estimates() -> pd.DataFrame:
    """Published prevalence estimates (area_code, measure, year, estimate, source) from the catalogue file."""
    rows = _catalogue_file().get("prevalence_estimates") or []
    return pd.DataFrame(rows, columns=["area_code", "prevalence", "year", "estimate", "source"])


@lru_cache(maxsize=None)
def _benchmarks_cached() -> pd.DataFrame:
    path = paths.reference_dir() / NATIONAL_FIGURES_FILE
    value_columns = ["indicator_id", "area_code", "area_name", "area_type", "sex", "age", "category_type", "category",
                     "period", "value", *stats.CI_COLUMNS]
    if not path.exists():
        return pd.DataFrame(columns=[*value_columns, *CITATION_COLUMNS, "source"])
    frame = pd.read_csv(path, comment="#", dtype={"period": str, "category_type": str, "category": str,
                                                  "publisher": str, "publication": str, "table": str, "url": str})
    missing = [c for c in [*value_columns, *CITATION_COLUMNS] if c not in frame.columns]
    if missing:
        problems = pd.DataFrame({"column": missing, "row": 1, "value": None,
                                 "expected": "a column of the national figures file"})
        raise ValidationError("national_figures", problems, source=str(path))
    unknown = ~frame["indicator_id"].isin(list(catalogue()))
    uncited = frame["publisher"].isna() | frame["publication"].isna()
    if unknown.any() or uncited.any():
        problems = pd.concat([
            pd.DataFrame({"column": "indicator_id", "row": frame.index[unknown] + 2,
                          "value": frame.loc[unknown, "indicator_id"],
                          "expected": "an indicator id of data/reference/indicators.yaml"}),
            pd.DataFrame({"column": "publisher / publication", "row": frame.index[uncited] + 2,
                          "value": frame.loc[uncited, "indicator_id"],
                          "expected": "the publisher and title of the publication the value is in"}),
        ], ignore_index=True)
        raise ValidationError("national_figures", problems, source=str(path))
    frame["year"] = frame["year"].astype("Int64")
    frame["source"] = [citation(r) for r in frame[CITATION_COLUMNS].to_dict("records")]
    return frame


def citation(row: dict[str, Any]) -> str:
    """The citation "Publisher, Publication (year), table" of one row of the national figures file (missing parts left out)."""
    def given(key: str) -> str:
        value = row.get(key)
        return "" if value is None or pd.isna(value) else str(value).strip()

    text = ", ".join(p for p in (given("publisher"), given("publication")) if p)
    if given("year"):
        text += f" ({given('year')})"
    return f"{text}, {given('table')}" if given("table") else text


def benchmarks() -> pd.DataFrame:
    """Published England and region values (data/reference/national_figures.csv).

    One row per indicator x area x period x sex x age x category, with the publication it is printed in
    (``publisher``, ``publication``, ``table``, ``year``, ``url``) and ``source``, the citation composed from
    them ("Publisher, Publication (year), table").
    """
    return _benchmarks_cached().copy()


# --------------------------------------------------------------------------------------------------
# Event tables (district x period x sex [x category] [x age band], complete grids)
# --------------------------------------------------------------------------------------------------
