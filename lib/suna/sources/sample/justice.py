"""Synthetic crime counts and prison releases, the community-safety figures a partnership receives.
"""


from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from suna.model.areas import Area
from suna.sources.sample.draws import (_categories, _day, _lookup, _normal_ages, _numbered, _stratified_uniform,
                                       _to_datetime)
from suna.sources.sample.geography import _Geo, _place

log = logging.getLogger(__name__)


def build_crime(covered: list[Area], cal: dict[str, Any], geo: _Geo, rng: np.random.Generator) -> pd.DataFrame:
    """Quarterly community-safety counts (offences, arrests, tests on arrest, seizures, disruptions): SYNTHETIC.

    Each count is a Poisson draw around the calibration's assumed rate per 1,000 residents, the district's
    share of the area's population and treatment need, and the measure's yearly change; a measure not split
    by district gets one whole-area row (an empty district_code) per quarter.
    """
    spec = cal["inputs"]["crime"]
    first, last = spec["years"]
    starts = pd.to_datetime([f"{y + (m >= 13)}-{(m - 1) % 12 + 1:02d}-01" for y in range(first, last + 1) for m in (4, 7, 10, 13)])
    ends = starts + pd.offsets.QuarterEnd(0)
    years = np.repeat(np.arange(first, last + 1), 4)
    parts = []
    for area in covered:
        d = geo.districts.loc[geo.districts["utla_code"].eq(area.code)]
        weight = (d["pop_2020"] * d["need"]).to_numpy()
        weight = d["pop_2020"].sum() * weight / weight.sum()
        for measure, m in spec["measures"].items():
            trend = (1 + float(m["annual_change_pct"]) / 100) ** (years - first)
            people = weight if m["by_district"] else np.array([d["pop_2020"].sum()])
            mean = float(m["per_1000"]) / 1000 / 4 * people[:, None] * trend[None, :]
            codes = d["district_code"].to_numpy() if m["by_district"] else np.array([None], dtype=object)
            parts.append(pd.DataFrame({
                "utla_code": area.code,
                "district_code": np.repeat(codes, len(starts)),
                "measure": measure,
                "period_start_date": np.tile(starts, len(codes)),
                "period_end_date": np.tile(ends, len(codes)),
                "count": rng.poisson(mean).ravel().astype(float),
            }))
    out = pd.concat(parts, ignore_index=True)
    return out.astype({"period_start_date": "datetime64[ns]", "period_end_date": "datetime64[ns]"})


def build_prison_releases(covered: list[Area], cal: dict[str, Any], geo: _Geo, rng: np.random.Generator,
                          scale: float = 1.0) -> pd.DataFrame:
    """Adults released from prison with a treatment need, and their first community treatment contact: SYNTHETIC.

    Each area releases its calibration's number a year; the share engaging in community treatment within
    3 weeks is exact to a whole release in each year (stratified), the rest make contact later or not at all.
    """
    spec = cal["inputs"]["prison_releases"]
    first, last = spec["years"]
    groups = list(spec["substance_group_pct"])
    parts = []
    for area in covered:
        mine = cal["inputs"]["areas"][area.slug]["prison_releases"]
        per_year = int(round(float(mine["per_year"]) * scale))
        fy = np.repeat(np.arange(first, last + 1), per_year)
        n = len(fy)
        release = np.array([_day(int(y)) for y in fy], dtype=np.int64) + rng.integers(0, 365, n)
        engaged_pct = _lookup(fy.astype(str).astype(object), {str(first + i): v for i, v in enumerate(mine["engaged_within_3_weeks_pct"])})
        engaged = _stratified_uniform(rng, fy) < engaged_pct / 100
        later = ~engaged & (rng.random(n) < float(spec["later_contact_pct"]) / 100)
        days = np.where(engaged, rng.integers(0, 22, n), rng.integers(22, 181, n))
        district, _ = _place(rng, geo, area.code, n, "need")
        male = _stratified_uniform(rng, fy) < float(spec["male_pct"]) / 100
        group = np.array(groups, dtype=object)[_categories(rng.random(n), np.array([spec["substance_group_pct"][g] for g in groups], dtype=float))]
        parts.append(pd.DataFrame({
            "utla_code": area.code,
            "district_code": district.astype(object),
            "sex": np.where(male, "Male", "Female").astype(object),
            "age_years": pd.array(_normal_ages(rng, n, *spec["age"]), dtype="Int64"),
            "substance_group": group,
            "release_date": _to_datetime(release),
            "first_community_contact_date": _to_datetime(release + days, missing=~(engaged | later)),
        }))
    frame = pd.concat(parts, ignore_index=True).sort_values(["utla_code", "release_date"], kind="stable").reset_index(drop=True)
    frame.insert(0, "release_id", _numbered(frame["utla_code"], "-R", 6))
    return frame
