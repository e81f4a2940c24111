"""Indicators from published tables, for one authority: the figures every English authority has.

ONS publishes deaths related to drug poisoning for every local authority, so these rows are real
for any authority, whatever record-level data it has. They come from :mod:`suna.indicators.national`, which
computes every authority, region and England from the same tables, so the comparisons with England
and the region, and the rank among authorities, are computed, not quoted.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np
import pandas as pd

from suna import indicators
from suna.indicators import national
from suna.model import periods, schemas
from suna.model.areas import ENGLAND_CODE, ENGLAND_NAME, Area

log = logging.getLogger(__name__)

DRUG_POISONING_DEATHS = national.INDICATOR_ID
INDICATORS = (DRUG_POISONING_DEATHS,)


def for_area(area: Area, period: str | None = None) -> pd.DataFrame:
    """Published-figure rows for the authority, its county districts, its region and England.

    Periods end no later than the reported period's year (pooled registration years end in the
    financial year's first calendar year, as the record-level deaths indicators do).

    Returns:
        Rows in the indicators layout of :func:`suna.indicators.compute_indicators`, with
        ``compared_to_england`` and ``compared_to_region`` computed from every authority's figures.
    """
    rates = _compared()
    own = rates["area_code"].eq(area.code)
    if not own.any():
        log.info("published figures: %s (%s) is not in the ONS tables; only England and its region are shown",
                 area.name, area.code)
    districts = rates["area_code"].isin(area.district_codes) & rates["area_level"].eq("lower_tier") if area.is_county \
        else pd.Series(False, index=rates.index)
    keep = own | districts | rates["area_code"].isin([area.region_code, ENGLAND_CODE])
    rows = _up_to(rates.loc[keep].copy(), period)
    is_area = rows["area_code"].eq(area.code)
    is_district = rows["area_code"].isin(area.district_codes) & ~is_area
    is_region = rows["area_code"].eq(area.region_code)
    names = area.district_names()
    rows["area_name"] = np.select([is_area, is_district, is_region], [area.name, rows["area_code"].map(names), area.region_name],
                                  ENGLAND_NAME)
    rows["area_type"] = np.select([is_area, is_district, is_region],
                                  ["County" if area.is_county else "UA", "District", "Region"], "England")
    rows["parent_code"] = np.select([is_area, is_district, is_region], [area.region_code, area.code, ENGLAND_CODE], None)
    rows["parent_name"] = np.select([is_area, is_district, is_region], [area.region_name, area.name, ENGLAND_NAME], None)
    spec = indicators.catalogue()[DRUG_POISONING_DEATHS]
    rows["indicator_name"] = spec["name"]
    rows["source"] = spec["source"]
    rows.loc[rows["area_code"].isin([area.region_code, ENGLAND_CODE]), ["compared_to_england", "compared_to_region"]] = None
    return _layout(rows)


def similar_rows(area: Area, period: str | None = None, n: int = 10) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The authority, its ``n`` most similar authorities, its region and England, in the indicators layout.

    Returns ``(rows, neighbours)``: every pooled period ending no later than the reported year (the
    caller protects them with ``suna.disclosure`` like any other figures), and the neighbours as
    :func:`suna.indicators.national.similar_authorities` gives them, nearest first.
    """
    neighbours = national.similar_authorities(area.code, n=n)
    rates = _compared()
    codes = [area.code, *neighbours["area_code"], area.region_code, ENGLAND_CODE]
    tier = national._tier_of(area.code)
    keep = rates["area_code"].isin(codes) & (rates["area_level"].isin([tier, "region", "england"]))
    rows = _up_to(rates.loc[keep].drop_duplicates(["area_code", "period"]).copy(), period)
    rows.loc[rows["area_code"].eq(area.code), "area_name"] = area.name
    return _layout(rows), neighbours


def region_rows(area: Area, period: str | None = None) -> pd.DataFrame:
    """Every upper-tier authority of the area's region, the region and England, in the indicators layout.

    For a unitary authority this is the published geography nearest to districts: ONS publishes no
    figures below the authority, so its map shows it among its region's authorities.
    """
    rates = _compared()
    upper = rates["area_level"].eq("upper_tier") & rates["region_code"].eq(area.region_code)
    keep = upper | rates["area_code"].isin([area.region_code, ENGLAND_CODE])
    rows = _up_to(rates.loc[keep].drop_duplicates(["area_code", "period"]).copy(), period)
    rows.loc[rows["area_code"].eq(area.code), "area_name"] = area.name
    rows.loc[upper.loc[rows.index], "parent_code"] = area.region_code
    return _layout(rows)


def ranks(area: Area) -> pd.DataFrame:
    """The authority's rank among authorities of its tier and the tier's spread, every period (for spine charts)."""
    rates = _compared()
    cols = ["indicator_id", "area_code", "period", "value", "rank", "rank_of", "rank_among", "england_value",
            *national.SPINE_COLUMNS]
    return rates.loc[rates["area_code"].eq(area.code), cols].reset_index(drop=True)


def _up_to(rows: pd.DataFrame, period: str | None) -> pd.DataFrame:
    """Pooled periods ending no later than the reported financial year's first calendar year."""
    return rows.loc[rows["end_year"] <= periods.start_year(period, "published_indicators")] if period else rows


def _layout(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of the national rates table in the indicators layout (``suna.indicators.compute_indicators``)."""
    rows = rows.assign(recent_trend="Cannot be calculated",  # overlapping pooled periods share years
                       fingertips_id=np.nan)
    out = rows.reindex(columns=[*schemas.INDICATOR_COLUMNS, *indicators.EXTRA_COLUMNS])
    out["period_sortable"] = pd.to_numeric(out["period_sortable"]).astype("Int64")
    return out.reset_index(drop=True)


@lru_cache(maxsize=1)
def _compared() -> pd.DataFrame:
    """Every authority's, region's and England's rates, compared and ranked (computed once per process)."""
    return national.compare(national.drug_poisoning_rates())
