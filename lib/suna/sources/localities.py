"""Localities: small areas grouped so that each holds enough people for its figures to be shown.

A metropolitan borough's MSOAs hold about 8,000 residents each: for deaths and most treatment
measures nearly every cell falls under a small-number rule, and secondary suppression then takes
the rest. Publishers report such topics for larger units (localities, primary care networks of
30,000 to 50,000 patients), so SUNA does too:

* named localities from the area's parameters (``localities: {groups: {Bootle: [...], ...}}``),
  each a list of the area's small areas; or
* when only ``localities: {min_population: N}`` is set, neighbouring small areas merged, the
  smallest group first with its smallest neighbour, until every group has at least N residents
  (ONS mid-year estimates of the latest year in the population table). Neighbours share a
  boundary (the shipped MSOA boundaries); without boundaries, the next small area in code order.

The records keep their small area; they are counted by locality when they are loaded, so every
indicator, view, map and app filter works on localities alike.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import pandas as pd

from suna.core.errors import ParametersError, SunaError
from suna.model.areas import Area, District
from suna.sources import shapes

# What ``suna areas add`` writes for an authority reported by MSOAs: about 3 MSOAs a locality, the
# size of the smaller primary care networks (30,000 to 50,000 patients), so that most figures show.
MIN_POPULATION = 20_000

_NUMBERED = re.compile(r"^(.*\S)\s+(\d+)$")  # "Sefton 001" -> ("Sefton", "001")


def plan(area: Area, population: pd.DataFrame | None) -> list[tuple[str, tuple[str, ...]]]:
    """The localities of an area as (name, member codes), in the order of their first member."""
    kind, value = area.localities
    if kind == "groups":
        return [(name, tuple(codes)) for name, codes in value]
    residents = residents_by_small_area(area, population)
    groups = merge_neighbours([d.code for d in area.districts], residents, neighbours(area), value)
    return [(_group_name(area, members), members) for members in groups]


def residents_by_small_area(area: Area, population: pd.DataFrame | None) -> dict[str, float]:
    """Residents of each small area in the latest year of the population table (0 where absent)."""
    if population is None or not len(population):
        raise ParametersError(f"params/{area.slug}.yaml", "localities.min_population",
                              "needs the population table (residents by small area) to merge small areas; "
                              "supply it, or name the localities under localities.groups")
    latest = population[population["year"] == population["year"].max()]
    totals = latest.groupby("area_code")["population_count"].sum()
    return {d.code: float(totals.get(d.code, 0.0)) for d in area.districts}


def neighbours(area: Area) -> dict[str, set[str]]:
    """Small areas that share a boundary (shipped or cached boundaries); the next in code order
    where there are none."""
    codes = [d.code for d in area.districts]
    try:
        layer = shapes.district_layer(area)
    except SunaError:
        layer = None
    if layer is None:
        ordered = sorted(codes)
        return {c: {n for n in (ordered[i - 1] if i else None, ordered[i + 1] if i + 1 < len(ordered) else None) if n}
                for i, c in enumerate(ordered)}
    geoms = layer.set_index("district_code").geometry
    touching = {c: set() for c in codes}
    for a, b in _touching_pairs(geoms):
        touching[a].add(b)
        touching[b].add(a)
    return touching


def _touching_pairs(geoms: Any) -> list[tuple[str, str]]:
    """Pairs of areas whose boundaries meet (a small buffer forgives simplified edges)."""
    metres = gpd.GeoSeries(list(geoms), crs=geoms.crs).to_crs(27700)  # British National Grid, for a 10 m buffer
    frame = gpd.GeoDataFrame({"code": list(geoms.index)}, geometry=list(metres.buffer(10)), crs=metres.crs)
    joined = gpd.sjoin(frame, frame, predicate="intersects")
    return sorted({tuple(sorted((a, b))) for a, b in zip(joined["code_left"], joined["code_right"]) if a != b})


def merge_neighbours(codes: Sequence[str], residents: Mapping[str, float], touching: Mapping[str, set[str]],
                     minimum: float) -> list[tuple[str, ...]]:
    """Groups of neighbouring codes, each with at least ``minimum`` residents where the whole allows.

    The smallest group is merged with its smallest neighbouring group still under the minimum (or,
    if none is, its smallest neighbour; ties by code), until none is under the minimum; a group
    with no neighbour joins the smallest group overall.
    """
    group_of = {c: i for i, c in enumerate(codes)}
    members: dict[int, list[str]] = {i: [c] for i, c in enumerate(codes)}
    size = {i: residents.get(c, 0.0) for i, c in enumerate(codes)}
    while len(members) > 1:
        small = min(members, key=lambda g: (size[g], min(members[g])))
        if size[small] >= minimum:
            break
        near = {group_of[n] for c in members[small] for n in touching.get(c, ()) if n in group_of} - {small}
        # a neighbour still under the minimum first: two small groups make one, rather than a small
        # group swelling a large one
        pool = {g for g in near if size[g] < minimum} or near or (set(members) - {small})
        other = min(pool, key=lambda g: (size[g], min(members[g])))
        for c in members.pop(other):
            group_of[c] = small
            members[small].append(c)
        size[small] += size.pop(other)
    return sorted((tuple(sorted(m)) for m in members.values()), key=lambda m: m[0])


def _group_name(area: Area, members: Sequence[str]) -> str:
    """"Sefton 001, 004 and 007": the small areas' own names, the shared prefix said once."""
    names = [area.district(c).name for c in members]
    found = [_NUMBERED.match(n) for n in names]
    if all(found) and len({f.group(1) for f in found}) == 1:  # type: ignore[union-attr]
        numbers = [f.group(2) for f in found]  # type: ignore[union-attr]
        return f"{found[0].group(1)} {_listed(numbers)}"  # type: ignore[union-attr]
    return _listed(names)


def _listed(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def apply(area: Area, tables: dict[str, pd.DataFrame]) -> tuple[Area, dict[str, pd.DataFrame]]:
    """The area reported by localities, and its tables counted by locality (records unchanged but
    for their district code). An area without localities is returned as it is."""
    if not area.localities or area.extra.get("small_areas") is not None:
        return area, tables
    groups = plan(area, tables.get("population"))
    code_of = {}
    districts = []
    for i, (name, members) in enumerate(groups, start=1):
        code = f"{area.code}L{i:02d}"
        districts.append(District(code, name))
        code_of.update({m: code for m in members})
    how = ("named in the area's parameters" if area.localities[0] == "groups"
           else f"neighbouring {_short_type(area.district_type)}s merged until each has at least "
                f"{area.localities[1]:,} residents")
    local = dataclasses.replace(
        area, districts=tuple(districts), district_type=f"locality ({how})",
        extra={**area.extra, "small_areas": area, "members": {d.code: list(m) for d, (_, m) in zip(districts, groups)}},
    )
    return local, {name: _recode(name, table, code_of) for name, table in tables.items()}


def _short_type(district_type: str) -> str:
    found = re.search(r"\(([A-Z]+)", district_type)
    return found.group(1) if found else district_type


def _recode(name: str, table: pd.DataFrame, code_of: Mapping[str, str]) -> pd.DataFrame:
    """One table with small-area codes replaced by their locality's; counts of a locality summed."""
    if table is None:
        return table
    if "district_code" in table.columns:
        out = table.copy()
        out["district_code"] = out["district_code"].map(lambda c: code_of.get(c, c))
        if name == "population_ethnicity":
            out = out.groupby(["district_code", "ethnic_group"], as_index=False, sort=False)["population"].sum()
        return out
    if name == "population" and "area_code" in table.columns:
        out = table.assign(area_code=table["area_code"].map(lambda c: code_of.get(c, c)))
        keys = [c for c in out.columns if c != "population_count"]
        return out.groupby(keys, as_index=False, sort=False, dropna=False)["population_count"].sum()
    return table
