"""Boundaries: the shipped 2011 layers of the four areas, supplied ONS files, and the ONS download.

Real ONS files are read from ../shared/reference/shapes (skipped when absent; never copied here):
the download is replayed from them by a local HTTP server (tests/httpreplay.py), cut into pages
at run time. Places used as checks are town centres read off a map (WGS84), not from the code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from httpreplay import ReplayServer, closed_port_url, direct_to_localhost  # noqa: F401 - a fixture

from suna import cli
from suna.core import paths
from suna.core.errors import DataSourceError, SunaError, UnknownAreaError
from suna.model import areas
from suna.sources import shapes

SHAPES = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "shapes"
LAD_2024 = SHAPES / "england_lad_dec2024_buc.geojson"
LAD_2024_TOPO = SHAPES / "lad_dec2024_uk_buc.topo.json"
CTYUA_2024_TOPO = SHAPES / "ctyua_dec2024_uk_buc.topo.json"
LTLA_UTLA = SHAPES / "ltla23_to_utla23_ew_lookup.csv"
WARDS_2023 = SHAPES / "wards_dec2023_bsc_22lads.geojson"
pytestmark = pytest.mark.usefixtures("direct_to_localhost")
SERVICE_PATH = "/Local_Authority_Districts_December_2024_Boundaries_UK_BUC/FeatureServer/0/query"

# A town centre inside one district of each area (lon, lat): checks the geometry is where it should be.
LANDMARKS = {
    "essex": ("E07000070", (0.4685, 51.7356)),        # Chelmsford city centre
    "worcestershire": ("E07000237", (-2.2200, 52.1920)),  # Worcester cathedral
    "sefton": (None, (-3.0053, 53.6475)),             # Southport Lord Street: some Sefton MSOA
    "halton": (None, (-2.7313, 53.3417)),             # Runcorn: some Halton MSOA
}


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path.name} is not present (../shared/reference/shapes)")
    return path


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    """Build layers into a temporary cache, so the tests see a cold start and leave shapes/cache alone."""
    folder = tmp_path_factory.mktemp("shapes_cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(paths, "shapes_cache_dir", lambda: folder)
        yield folder


def _overlap_share(layer) -> float:
    """How much the districts' areas add up to more than their union (0 for a clean coverage)."""
    metres = layer.to_crs(27700)
    return metres.area.sum() / metres.union_all().area - 1


def _iou(a, b) -> float:
    return a.intersection(b).area / a.union(b).area


# --- shipped 2011 boundaries ----------------------------------------------------------------------

@pytest.mark.parametrize("slug", ["essex", "worcestershire", "sefton", "halton"])
def test_each_area_gets_its_real_districts_within_budget(slug, cache_dir):
    area = areas.load_area(slug)
    layer = shapes.district_layer(area)
    assert list(layer.columns) == ["district_code", "district_name", "geometry"]
    assert layer["district_code"].tolist() == area.district_codes  # every district, in the area's order
    assert layer["district_name"].tolist() == [d.name for d in area.districts]
    assert layer.crs.to_epsg() == 4326
    assert layer.geometry.is_valid.all() and not layer.geometry.is_empty.any()
    assert set(layer.geometry.geom_type) <= {"Polygon", "MultiPolygon"}
    size = len(shapes.to_geojson(layer).encode("utf-8"))
    assert size <= 150_000 and size == layer.attrs["bytes"]
    assert abs(_overlap_share(layer)) < 0.001  # neighbours neither overlap nor double count
    code, (lon, lat) = LANDMARKS[slug]
    inside = layer[layer.contains(shapely.Point(lon, lat))]["district_code"].tolist()
    assert len(inside) == 1 and (code is None or inside == [code])
    minx, miny, maxx, maxy = layer.total_bounds
    assert -6.5 < minx < maxx < 2.0 and 49.8 < miny < maxy < 56.0  # inside England
    assert "Open Government Licence" in layer.attrs["attribution"]
    assert (cache_dir / f"{slug}_districts.geojson").exists()


def test_cached_layer_is_reused_and_rebuilt_when_the_area_changes(cache_dir):
    essex = areas.load_area("essex")
    first = shapes.district_layer(essex)
    cache = cache_dir / "essex_districts.geojson"
    stamp = cache.stat().st_mtime_ns
    again = shapes.district_layer(essex)
    assert cache.stat().st_mtime_ns == stamp  # read, not rebuilt
    assert again.geometry.geom_equals_exact(first.geometry, tolerance=1e-9).all()
    smaller = areas.load_area("essex", definition={
        "code": essex.code, "name": essex.name, "type": essex.type, "region_code": essex.region_code,
        "region_name": essex.region_name, "districts": [{"code": d.code, "name": d.name} for d in essex.districts[:3]],
    })
    assert shapes.district_layer(smaller)["district_code"].tolist() == essex.district_codes[:3]


def test_simplification_meets_a_tighter_budget_and_keeps_the_coverage(cache_dir):
    layer = shapes.district_layer(areas.load_area("essex"))
    small = shapes.fit_to_budget(layer, 15_000)
    assert len(shapes.to_geojson(small).encode("utf-8")) <= 15_000 < layer.attrs["bytes"]
    assert small.attrs["tolerance_m"] > 0
    assert small.geometry.is_valid.all()
    assert abs(_overlap_share(small)) < 0.001
    before, after = layer.to_crs(27700).area, small.to_crs(27700).area
    assert ((after / before - 1).abs() < 0.03).all()  # each district keeps its area within 3%


def test_districts_made_since_2011_are_unions_of_their_2011_districts(cache_dir):
    layer = shapes.lad_layer({"E06000065": "North Yorkshire", "E07000244": "East Suffolk", "E07000112": "Folkestone and Hythe"})
    parts = shapes.lad_layer(["Craven", "Hambleton", "Harrogate", "Richmondshire", "Ryedale", "Scarborough", "Selby"],
                             max_bytes=10**9)
    north_yorkshire = layer.geometry.iloc[0]
    assert _iou(north_yorkshire, parts.union_all()) > 0.99
    assert layer["district_code"].tolist() == ["E06000065", "E07000244", "E07000112"]


def test_every_english_district_of_december_2024_matches_the_ons_boundary(cache_dir):
    ons = shapes.read_boundaries(_need(LAD_2024)).set_index("LAD24CD").to_crs(27700)
    layer = shapes.lad_layer(dict(zip(ons.index, ons["LAD24NM"])), max_bytes=10**9).set_index("district_code").to_crs(27700)
    assert len(layer) == 296
    overlap = [_iou(layer.geometry[c], shapely.make_valid(ons.geometry[c])) for c in ons.index]
    # 2011 BSC (200 m) against 2024 BUC (500 m): tiny or island districts differ most (Isles of Scilly, City of London)
    assert min(overlap) > 0.6
    assert sum(v > 0.85 for v in overlap) >= 0.95 * len(overlap)


def test_any_county_is_drawn_from_its_districts(cache_dir):
    import pandas as pd

    lookup = pd.read_csv(_need(LTLA_UTLA))
    counties = shapes.read_boundaries(_need(CTYUA_2024_TOPO)).set_index("AREACD").to_crs(27700)
    county_codes = sorted(c for c in lookup["utla23_code"].unique() if c.startswith("E10"))
    assert len(county_codes) == 21
    for code in county_codes:
        rows = lookup[lookup["utla23_code"] == code]
        layer = shapes.lad_layer(dict(zip(rows["ltla23_code"], rows["ltla23_name"])))
        assert len(layer) == len(rows) and layer.attrs["bytes"] <= 150_000
        iou = _iou(layer.to_crs(27700).union_all(), shapely.make_valid(counties.geometry[code]))
        assert iou > 0.9, (code, iou)


def test_unknown_district_names_are_refused_with_the_way_out(cache_dir):
    with pytest.raises(SunaError, match=r"Atlantis \(E07999999\).*source="):
        shapes.lad_layer({"E07999999": "Atlantis", "E07000066": "Basildon"})
    with pytest.raises(SunaError, match="code without a name"):
        shapes.lad_layer(["E07000066"])


# --- supplied ONS files -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", [LAD_2024, LAD_2024_TOPO], ids=["geojson", "topojson"])
def test_essex_from_a_supplied_ons_file(path, cache_dir):
    essex = areas.load_area("essex")
    layer = shapes.district_layer(essex, source=_need(path))
    assert layer["district_code"].tolist() == essex.district_codes  # 12 LADs, Dec 2024 codes
    assert layer.crs.to_epsg() == 4326 and layer.geometry.is_valid.all()
    assert layer.attrs["bytes"] <= 150_000 and path.name in layer.attrs["source"]
    shipped = shapes.district_layer(essex).to_crs(27700).set_index("district_code").geometry
    supplied = layer.to_crs(27700).set_index("district_code").geometry
    assert all(_iou(shipped[c], supplied[c]) > 0.85 for c in essex.district_codes)


def test_topojson_is_read_with_its_lon_lat_crs():
    frame = shapes.read_boundaries(_need(LAD_2024_TOPO))
    assert len(frame) == 361 and frame.crs.to_epsg() == 4326
    assert {"AREACD", "AREANM"} <= set(frame.columns)


def test_ward_districts_from_a_supplied_ward_file(cache_dir):
    wards = shapes.read_boundaries(_need(WARDS_2023))
    halton = wards[wards["LAD23CD"] == "E06000006"]
    area = areas.load_area("halton_wards", definition={
        "code": "E06000006", "name": "Halton", "type": "unitary", "region_code": "E12000002", "region_name": "North West",
        "districts": [{"code": c, "name": n} for c, n in zip(halton["WD23CD"], halton["WD23NM"])],
    })
    layer = shapes.district_layer(area, source=WARDS_2023)
    assert len(layer) == 18 and layer["district_code"].tolist() == halton["WD23CD"].tolist()


def test_a_file_without_some_codes_names_them(tmp_path, cache_dir):
    square = {"type": "Polygon", "coordinates": [[[0.4, 51.5], [0.5, 51.5], [0.5, 51.6], [0.4, 51.6], [0.4, 51.5]]]}
    file = tmp_path / "two_lads.geojson"
    file.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"LAD24CD": code, "LAD24NM": name}, "geometry": square}
        for code, name in [("E07000066", "Basildon"), ("E07000067", "Braintree")]
    ]}), encoding="utf-8")
    with pytest.raises(SunaError) as caught:
        shapes.district_layer(areas.load_area("essex"), source=file)
    message = str(caught.value)
    assert str(file) in message and "10 of the districts of Essex" in message
    assert "Uttlesford (E07000077)" in message and "Basildon" not in message
    with pytest.raises(SunaError, match="not found"):
        shapes.district_layer(areas.load_area("essex"), source=tmp_path / "absent.geojson")
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(DataSourceError, match="broken.geojson"):
        shapes.read_boundaries(broken)


# --- the ONS download (ArcGIS REST, paged), replayed locally -------------------------------------------

@pytest.fixture(scope="module")
def ons_features() -> list[dict]:
    features = json.loads(_need(LAD_2024).read_text(encoding="utf-8"))["features"]
    return sorted(features, key=lambda f: f["properties"]["LAD24CD"])


def _arcgis(features: list[dict], truncate_after: int | None = None):
    """An ArcGIS FeatureServer query as the ONS portal answers it: counts, and GeoJSON pages."""

    def answer(query: dict[str, str]):
        if query.get("returnCountOnly") == "true":
            return 200, json.dumps({"count": len(features)}).encode()
        assert query["f"] == "geojson" and query["outSR"] == "4326" and query["orderByFields"] == "LAD24CD"
        start, size = int(query["resultOffset"]), int(query["resultRecordCount"])
        page = features[start:start + size]
        more = start + size < len(features) and (truncate_after is None or start + size < truncate_after)
        body = {"type": "FeatureCollection", "features": page}
        if more:
            body["properties"] = {"exceededTransferLimit": True}  # where f=geojson puts it
        return 200, json.dumps(body).encode()

    return answer


def test_download_pages_through_the_service(tmp_path, ons_features):
    with ReplayServer() as server:
        server.route(SERVICE_PATH, _arcgis(ons_features))
        out = shapes.fetch_shapes("lad", tmp_path / "lad.geojson", base_url=server.url, page_size=100)
    offsets = [q.split("resultOffset=")[1].split("&")[0] for q in server.requests if "resultOffset=" in q]
    assert offsets == ["0", "100", "200"]  # 296 districts in three pages
    got = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert [f["properties"]["LAD24CD"] for f in got] == [f["properties"]["LAD24CD"] for f in ons_features]
    layer = shapes.district_layer(areas.load_area("essex"), source=out)  # the download feeds the maps
    assert len(layer) == 12


def test_download_retries_a_server_error(tmp_path, ons_features):
    pager = _arcgis(ons_features)
    first = {"where": "1=1", "outFields": "LAD24CD,LAD24NM", "orderByFields": "LAD24CD", "returnGeometry": "true",
             "outSR": "4326", "geometryPrecision": "5", "f": "geojson", "resultOffset": "0", "resultRecordCount": "2000"}
    with ReplayServer() as server:
        server.add(SERVICE_PATH, first, (500, b"busy"), pager(first))
        server.route(SERVICE_PATH, pager)
        out = shapes.fetch_shapes("lad", tmp_path / "lad.geojson", base_url=server.url, backoff=0.01)
    assert sum("resultOffset=0" in q for q in server.requests) == 2  # failed once, then succeeded
    assert len(json.loads(out.read_text(encoding="utf-8"))["features"]) == 296


def test_download_gives_up_on_a_failing_service_and_keeps_the_old_file(tmp_path):
    target = tmp_path / "lad.geojson"
    target.write_text("previous", encoding="utf-8")
    with ReplayServer() as server:
        server.add(SERVICE_PATH, None, (503, b"down"))
        with pytest.raises(DataSourceError, match=r"kept failing \(HTTP 503\) after 3 tries"):
            shapes.fetch_shapes("lad", target, base_url=server.url, retries=3, backoff=0.01)
    assert len(server.requests) == 3
    assert target.read_text(encoding="utf-8") == "previous"


def test_a_truncated_download_is_refused(tmp_path, ons_features):
    with ReplayServer() as server:
        server.route(SERVICE_PATH, _arcgis(ons_features, truncate_after=200))
        with pytest.raises(DataSourceError, match="downloaded 200 features but the service counts 296"):
            shapes.fetch_shapes("lad", tmp_path / "lad.geojson", base_url=server.url, page_size=100)
    assert not (tmp_path / "lad.geojson").exists()


def test_offline_download_says_what_to_do(tmp_path):
    with pytest.raises(DataSourceError, match=r"Could not reach the ONS Open Geography Portal.*HTTPS_PROXY.*source="):
        shapes.fetch_shapes("lad", tmp_path / "lad.geojson", base_url=closed_port_url(), retries=2, backoff=0.01)
    with pytest.raises(UnknownAreaError, match="lad, wards"):
        shapes.fetch_shapes("parishes", tmp_path / "x.geojson")


def test_cli_fetch_shapes_uses_the_portal_mirror(tmp_path, monkeypatch, ons_features, capsys):
    with ReplayServer() as server:
        server.route(SERVICE_PATH, _arcgis(ons_features))
        monkeypatch.setenv(shapes.GEOPORTAL_ENV, server.url)
        assert cli.main(["fetch", "shapes", "--layer", "lad", "--out", str(tmp_path / "lad.geojson")]) == 0
    assert "lad.geojson" in capsys.readouterr().out
    assert len(shapes.read_boundaries(tmp_path / "lad.geojson")) == 296
