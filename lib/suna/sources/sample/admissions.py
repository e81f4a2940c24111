"""Synthetic hospital admissions by kind, year and small area, from the documented rates.
"""


from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from suna.model.areas import Area
from suna.sources.sample.calibration import ADMISSION_KINDS
from suna.sources.sample.draws import _categories, _day, _normal_ages, _numbered, _stratified_uniform, _to_datetime
from suna.sources.sample.geography import _Geo, _place

log = logging.getLogger(__name__)


def build_admissions(covered: list[Area], cal: dict[str, Any], geo: _Geo, area_pop: pd.DataFrame,
                     rng: np.random.Generator, scale: float = 1.0) -> pd.DataFrame:
    """Substance-related hospital admission episodes (HES-like), financial years 2013/14 to 2023/24.

    Counts per area and year come from the area's rate per 100,000 in its anchor year and a common
    year-on-year shape (other years vary a little at random); places, dates, ages and codes are drawn.
    """
    inputs = cal["inputs"]
    spec = inputs["admissions"]
    first, last = inputs["admission_years"]
    years = np.arange(first, last + 1)
    parts = []
    for area in covered:
        rates = inputs["areas"][area.slug]["admissions_per_100k"]
        pop = area_pop.loc[area_pop["utla_code"].eq(area.code)]
        pop_year = pop.groupby("year")["population_count"].sum()
        for kind in ADMISSION_KINDS:
            rate, anchor = rates[kind]
            trend = np.array(spec["trend"][kind], dtype=float)
            noise = np.where(years == anchor, 1.0, 1 + rng.normal(0, 0.03, len(years)))
            expected = rate * trend / trend[anchor - first] * noise * pop_year.reindex(years).to_numpy() / 1e5 * scale
            counts = np.rint(expected).astype(int)
            fy = np.repeat(years, counts)
            parts.append(_admission_records(rng, area, kind, fy, spec, geo))
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.sort_values(["utla_code", "admission_date"], kind="stable").reset_index(drop=True)
    frame.insert(0, "admission_id", _numbered(frame["utla_code"], "-A", 7))
    return frame


def _draw_codes(rng: np.random.Generator, n: int, shares: dict[str, float]) -> np.ndarray:
    names = list(shares)
    return np.array(names, dtype=object)[_categories(rng.random(n), np.array([shares[k] for k in names], dtype=float))]


def _admission_records(rng: np.random.Generator, area: Area, kind: str, fy: np.ndarray, spec: dict[str, Any],
                       geo: _Geo) -> pd.DataFrame:
    n = len(fy)
    district, lsoa = _place(rng, geo, area.code, n, "need")
    fy0 = min(fy.min(), 2000) if n else 2000
    fy_start = np.array([_day(y) for y in range(fy0, fy0 + 200)], dtype=np.int64)  # per year, not per record
    day = fy_start[fy - fy0] + rng.integers(0, 365, n)
    male = _stratified_uniform(rng, fy) < spec["male_pct"][kind] / 100
    mean, sd, low, high = spec["age"][kind]
    age = _normal_ages(rng, n, mean, sd, low, high)
    if kind == "alcohol_specific":
        primary_alcohol = _stratified_uniform(rng, fy) < spec["alcohol_primary_pct"] / 100
        primary = np.where(primary_alcohol, _draw_codes(rng, n, spec["alcohol_primary_codes"]),
                           _draw_codes(rng, n, spec["other_primary_codes"]))
        alcohol_secondary = _draw_codes(rng, n, spec["alcohol_secondary_codes"])
        other_secondary = _draw_codes(rng, n, spec["other_primary_codes"])
        secondary = np.where(primary_alcohol, np.where(rng.random(n) < 0.6, other_secondary, None),
                             np.where(rng.random(n) < 0.5, alcohol_secondary + ";" + other_secondary, alcohol_secondary))
    elif kind == "drug_poisoning":
        primary = _draw_codes(rng, n, spec["drug_poisoning_codes"])
        secondary = _draw_codes(rng, n, spec["drug_poisoning_external"])
    else:
        fourth = np.array(["0", "1", "2", "3", "5"], dtype=object)[_categories(rng.random(n), np.array([15, 25, 40, 12, 8.0]))]
        primary = _draw_codes(rng, n, spec["drug_mbd_codes"]) + fourth
        secondary = np.where(rng.random(n) < 0.5, _draw_codes(rng, n, spec["other_primary_codes"]), None)
    return pd.DataFrame(
        {
            "admission_date": _to_datetime(day),
            "utla_code": area.code,
            "district_code": district,
            "small_area_code": lsoa,
            "age_years": pd.array(age, dtype="Int64"),
            "sex": np.where(male, "Male", "Female").astype(object),
            "primary_diagnosis": primary.astype(object),
            "secondary_diagnoses": pd.Series(secondary, dtype=object),
        }
    )
