"""Synthetic residents: the population by age and sex, by ethnic group, and the under-18 admissions calibration.
"""


from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from suna.core import reference
from suna.model import schemas
from suna.model.areas import Area
from suna.sources.sample.draws import _fy_of
from suna.sources.sample.geography import _Geo

log = logging.getLogger(__name__)


def build_population(covered: list[Area], cal: dict[str, Any], geo: _Geo) -> pd.DataFrame:
    """District x mid-year x sex x ESP 2013 age band, from hand-set totals and an England-like age shape.

    Each district's shape is tilted (weights x exp(t x (age - 40) / 40)) until its share aged 65+ matches.
    """
    inputs = cal["inputs"]
    first, last = inputs["population_years"]
    shape = inputs["population_shape"]
    bands = reference.age_bands()
    esp = reference.esp2013()
    mids = ((esp["age_lower_years"] + np.minimum(esp["age_upper_years"], 94)) / 2).to_numpy()
    base = np.array(shape["persons_pct"], dtype=float)
    male = np.array(shape["male_pct"], dtype=float) / 100
    is65 = esp["age_lower_years"].to_numpy() >= 65
    years = np.arange(first, last + 1)
    d = geo.districts
    pop = d["pop_2020"].to_numpy()[:, None] * (1 + d["growth_pct"].to_numpy()[:, None] / 100) ** (years - 2020)
    share65 = (d["share_65_plus"].to_numpy()[:, None] + shape["ageing_65_plus_pts_per_year"] * (years - 2020)) / 100
    tilt = _solve_tilt(base, mids, is65, share65.ravel())
    weights = base[None, :] * np.exp(tilt[:, None] * (mids[None, :] - 40) / 40)
    weights = weights / weights.sum(axis=1, keepdims=True)
    persons = pop.ravel()[:, None] * weights  # (district-year, band)
    n_dy = persons.shape[0]
    counts = np.stack([persons * male[None, :], persons * (1 - male[None, :])], axis=1)  # (dy, sex, band)
    frame = pd.DataFrame(
        {
            "area_code": np.repeat(np.repeat(d["district_code"].to_numpy(), len(years)), 2 * len(bands)),
            "year": np.repeat(np.tile(years, len(d)), 2 * len(bands)),
            "sex": np.tile(np.repeat(["Male", "Female"], len(bands)), n_dy),
            "age_band": np.tile(bands, 2 * n_dy),
            "population_count": np.rint(counts.ravel()),
        }
    )
    return frame.astype({"year": "Int64", "population_count": float})


def _solve_tilt(base: np.ndarray, mids: np.ndarray, is65: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Vectorised bisection for the exponential tilt giving each target share aged 65+."""
    lo = np.full(len(targets), -5.0)
    hi = np.full(len(targets), 5.0)
    z = (mids - 40) / 40
    for _ in range(60):
        mid = (lo + hi) / 2
        w = base[None, :] * np.exp(mid[:, None] * z[None, :])
        share = w[:, is65].sum(axis=1) / w.sum(axis=1)
        too_old = share > targets
        hi = np.where(too_old, mid, hi)
        lo = np.where(too_old, lo, mid)
    return (lo + hi) / 2


def build_population_ethnicity(covered: list[Area], cal: dict[str, Any], population: pd.DataFrame,
                               rng: np.random.Generator) -> pd.DataFrame:
    """Usual residents by district and ethnic group, standing in for Census 2021 (TS021).

    Each district's total is its all-age population in the census year of the sample's own population
    table, so the two tables agree. Districts vary around the area's shares (log-normal noise on each
    group's weight), then iterative proportional fitting rakes them until the area's shares are the
    calibration's while every district keeps its total; whole people by largest remainders per district.
    """
    spec = cal["inputs"]["population_ethnicity"]
    groups = schemas.census_ethnic_groups()
    in_year = population.loc[population["year"].eq(int(spec["census_year"]))]
    totals = in_year.groupby("area_code")["population_count"].sum()
    parts = []
    for area in covered:
        pct = cal["inputs"]["areas"][area.slug]["ethnicity_pct"]
        share = np.array([float(pct[g]) for g in groups])
        share = share / share.sum()
        district_total = np.rint(totals.reindex(area.district_codes).to_numpy())
        weights = share[None, :] * rng.lognormal(0.0, float(spec["district_variation_sd"]), (len(district_total), len(groups)))
        cells = district_total[:, None] * weights / weights.sum(axis=1, keepdims=True)
        group_total = share * district_total.sum()
        for _ in range(50):
            cells = cells * (group_total / cells.sum(axis=0))[None, :]
            cells = cells * (district_total / cells.sum(axis=1))[:, None]
        whole = np.floor(cells)
        left = district_total - whole.sum(axis=1)
        rank = np.argsort(np.argsort(whole - cells, axis=1, kind="stable"), axis=1, kind="stable")  # largest remainder first
        whole = whole + (rank < left[:, None])
        parts.append(pd.DataFrame({
            "district_code": np.repeat(area.district_codes, len(groups)),
            "ethnic_group": np.tile(groups, len(district_total)),
            "population": whole.ravel(),
        }))
    return pd.concat(parts, ignore_index=True).astype({"population": float})


def calibrate_under_18(admissions: pd.DataFrame, covered: list[Area], cal: dict[str, Any], population: pd.DataFrame,
                       rng: np.random.Generator) -> pd.DataFrame:
    """Set how many alcohol-specific admissions are of under 18s: each area's calibration rate per 100,000 aged 0-17.

    In each area and financial year that many of the alcohol-specific episodes, chosen at random, are given an
    age of 13 to 17; any other under-18 among them is made 18 (so the count is exact). Other admissions keep
    their ages. A separate random stream: the rest of the sample is as before.
    """
    codes = reference.icd10_codes("alcohol_specific")
    secondary = admissions["secondary_diagnoses"].fillna("").str.split(";")
    alcohol = (admissions["primary_diagnosis"].str.startswith(tuple(codes))
               | secondary.map(lambda cs: any(c.startswith(tuple(codes)) for c in cs if c))).to_numpy()
    esp = reference.esp2013().set_index("age_band")
    upper = population["age_band"].map(esp["age_upper_years"])
    lower = population["age_band"].map(esp["age_lower_years"])
    share = ((np.minimum(upper, 17) - lower + 1).clip(lower=0) / (upper - lower + 1)).where(lower <= 17, 0.0)
    children = (population.assign(under_18=population["population_count"] * share, year=population["year"].astype(int))
                .groupby(["area_code", "year"])["under_18"].sum())
    ages = admissions["age_years"].to_numpy(dtype=float).copy()
    fy = _fy_of(admissions["admission_date"].to_numpy().astype("datetime64[D]").astype(np.int64))
    for area in covered:
        rate = float(cal["inputs"]["areas"][area.slug]["admissions_under_18_per_100k"])
        in_area = admissions["utla_code"].eq(area.code).to_numpy() & alcohol
        for year in np.unique(fy[in_area]):
            rows = np.flatnonzero(in_area & (fy == year))
            pop = float(children.reindex(pd.MultiIndex.from_product([area.district_codes, [int(year)]])).sum())
            wanted = min(int(round(rate * pop / 1e5)), len(rows))
            ages[rows] = np.maximum(ages[rows], 18)
            ages[rng.choice(rows, size=wanted, replace=False)] = rng.integers(13, 18, wanted)
    return admissions.assign(age_years=pd.array(ages.astype(np.int64), dtype="Int64"))


def _area_population(population: pd.DataFrame, geo: _Geo) -> pd.DataFrame:
    """Persons by area (UTLA) and district and mid-year: the denominators the generator uses."""
    by_district = population.groupby(["area_code", "year"], as_index=False)["population_count"].sum()
    return by_district.merge(
        geo.districts[["utla_code", "district_code"]], left_on="area_code", right_on="district_code"
    ).astype({"year": int})
