"""The resident population by ethnic group (Census 2021): is a table complete, and each group's share.

The treatment views compare the ethnic mix of people starting treatment with the mix of the people who
live in the area. The comparator is Census 2021 (ONS table TS021 "Ethnic group", published
29 November 2022): usual residents of all ages, in the five broad groups (white, mixed, asian, black,
other). It is the base local needs assessments use (e.g. Essex Recovery Foundation, Essex Drug and
Alcohol Needs Assessment, 2023, Figures 6, 11 and 17).
"""

from __future__ import annotations

import pandas as pd

from suna.model import schemas
from suna.model.areas import Area

SHARE_COLUMNS = ["area_code", "ethnic_group", "population", "share_pct"]


def ethnicity_gaps(table: pd.DataFrame, area: Area) -> str | None:
    """What a population-by-ethnicity table lacks for the area, in words; None when it is complete.

    Every district of the area needs a row for every Census ethnic group (0 where nobody lives),
    or the area's shares would silently leave people out.
    """
    groups = schemas.census_ethnic_groups()
    have = table.groupby("district_code")["ethnic_group"].agg(set).to_dict()
    absent = [d for d in area.districts if d.code not in have]
    partial = [(d, [g for g in groups if g not in have[d.code]]) for d in area.districts
               if d.code in have and not set(groups) <= have[d.code]]
    parts = []
    if absent:
        shown = ", ".join(f"{d.name} ({d.code})" if d.name != d.code else d.code for d in absent[:5])
        more = f" and {len(absent) - 5} more" if len(absent) > 5 else ""
        parts.append(f"no rows for {len(absent)} of the {len(area.districts)} districts of {area.name}: {shown}{more}")
    for district, lacking in partial[:5]:
        parts.append(f"{district.name} has no row for {', '.join(lacking)}")
    if len(partial) > 5:
        parts.append(f"{len(partial) - 5} more districts lack some ethnic groups")
    return "; ".join(parts) or None


def ethnicity_shares(table: pd.DataFrame, area: Area) -> pd.DataFrame:
    """Each ethnic group's share of the usual residents of the area and of each of its districts.

    Source: Census 2021 (ONS TS021), usual residents, all ages, so a comparison with adults in
    treatment is against the whole population, children included.

    Args:
        table: the ``population_ethnicity`` table (district_code, ethnic_group, population) covering
            every district of the area, as loading guarantees; rows for other districts are ignored.
        area: the local authority.

    Returns:
        area_code (the area's own code for the whole area, then each district's code), ethnic_group,
        population and share_pct (per cent of that area's usual residents); groups in the order of
        data/reference/categories.yaml; share_pct is empty where a district has no residents.
    """
    groups = schemas.census_ethnic_groups()
    mine = table[table["district_code"].isin(area.district_codes)]
    by_district = (mine.pivot_table(index="district_code", columns="ethnic_group", values="population", aggfunc="sum", observed=True)
                   .reindex(index=area.district_codes, columns=groups))
    whole = by_district.sum(min_count=1).to_frame(area.code).T
    wide = pd.concat([whole, by_district]).rename_axis(index="area_code", columns=None).reset_index()
    long = wide.melt(id_vars="area_code", value_vars=groups, var_name="ethnic_group", value_name="population")
    order = {code: i for i, code in enumerate(wide["area_code"])}
    long = long.sort_values("area_code", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    total = long.groupby("area_code", sort=False)["population"].transform("sum")
    share = (100 * long["population"] / total.where(total > 0)).astype(float)
    return long.assign(population=long["population"].astype(float), share_pct=share)[SHARE_COLUMNS]
