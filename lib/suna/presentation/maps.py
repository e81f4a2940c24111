"""District choropleth maps: an indicator drawn on real boundaries, as an Altair chart that renders offline.

A map here follows the charts' rules (``suna.presentation.charts``): it refuses data that has not passed disclosure
control; a suppressed district is drawn white with grey hatching and named "Suppressed" in the legend
and tooltip, never coloured as zero; a district with no figure is grey, "Not available"; colours are
the charts' accessible palettes (significance against England, or sequential blues for the value).
The chosen district gets a thick outline, and clicking a district sets the selection parameter
``district`` (``district_code``) that the app reacts to.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from suna.core.errors import SunaError, UnknownAreaError
from suna.model import formatting as fmt
from suna.presentation import charts
from suna.presentation.charts import base as chart_base  # its helpers; `base` is a chart layer here

if TYPE_CHECKING:
    import altair as alt
    import geopandas as gpd

    from suna.model.areas import Area

log = logging.getLogger(__name__)

SELECTION = "district"          # name of the click selection parameter
SUPPRESSED_LABEL = "Suppressed"
NOT_AVAILABLE_LABEL = "Not available"
NOT_AVAILABLE_COLOUR = "#BDBDBD"  # mid grey: darker than "Not compared", distinct from the white of suppressed
HATCH_COLOUR = "#757575"          # 4.6:1 on white
HIGHLIGHT_COLOUR = "#000000"
HATCH_LINES = 90                  # hatch spacing: the map's larger side over this
MAX_HEIGHT = 600                  # pixels
LABEL_LIMIT = 15                  # name the districts on the map when there are at most this many
SUPPRESSED_LEGEND = "Not shown: small numbers (hatched)"
# Colouring by value: ColorBrewer's 5-class Blues (Brewer 2003; colour-blind safe, prints in grey), one
# class per fifth of the districts with a value; the legend states each class's range.
CLASS_COLOURS = ["#EFF3FF", "#BDD7E7", "#6BAED6", "#3182BD", "#08519C"]
CLASS_WORDS = {5: "fifths", 4: "quarters", 3: "thirds", 2: "halves", 1: "one class"}
# ...and significance against England as a thick outline (the charts' significance colours).
OUTLINED = {"Worse": charts.PALETTES["accessible"]["Worse"], "Better": charts.PALETTES["accessible"]["Better"],
            "Higher": charts.PALETTES["accessible"]["Higher"], "Lower": charts.PALETTES["accessible"]["Lower"]}


def district_map(
    indicators: pd.DataFrame,
    indicator_id: Any,
    layer: gpd.GeoDataFrame,
    period: str | None = None,
    *,
    area: Area | None = None,
    colour_by: str = "significance",
    highlight: str | None = None,
    labels: bool | None = None,
    options: charts.ChartOptions = charts.ChartOptions(),
) -> alt.LayerChart:
    """One indicator by district on a map, joined by district code.

    Args:
        indicators: SUNA's indicators table after ``suna.disclosure.protect_indicators``.
        indicator_id: which indicator to draw (its headline rows: persons, no category).
        layer: ``suna.sources.shapes.district_layer(area)`` (district_code, district_name, geometry).
        period: the period to draw (default the latest the districts have).
        area: the local authority, for official names and to check every district is on the layer.
        colour_by: "significance" (compared with England, with the indicator's polarity) or "value".
        highlight: a district code or name to outline thickly (the one chosen in the app).
        labels: write district names on the map (default: when there are at most 15 districts).
        options: title, source, footnote, palette, rule and size, as for every chart. With no height, the
            size follows the layer's shape in the Mercator projection (at most the width, 440 pixels by
            default, wide and 600 pixels tall), so the map fills its frame.

    Raises:
        DisclosureError: the table has not passed disclosure control.
        SunaError: a district of the area (or of the table) is not on the layer, or a district has
            more than one row.
    """
    alt = chart_base._alt()
    charts.assert_protected(indicators, options.rule)
    if colour_by not in ("significance", "value"):
        raise SunaError(f"colour_by is {colour_by!r}; expected 'significance' or 'value'.")
    _check_layer(layer)
    codes = layer["district_code"].astype(str).tolist()
    rows = chart_base._indicator_rows(indicators, indicator_id)
    on_map = rows[rows["area_code"].astype(str).isin(codes)]
    if period is None:
        period = chart_base._latest_period(on_map if len(on_map) else rows)
    on_map = on_map[on_map["period"].astype(str) == str(period)]
    _check_districts(on_map, rows, codes, area)
    shown = _joined(layer, chart_base._display_frame(on_map, area) if len(on_map) else None, area)
    chosen = _highlight_code(layer, highlight)

    name = str(rows["indicator_name"].iloc[0])
    tips = chart_base._tooltip(("area_label", "District"), ("period_label", "Period"), ("value_label", "Value"),
                           ("ci_label", "Confidence interval"), ("count_label", "Count"), ("outcome", "Compared with England"))
    select = alt.selection_point(fields=["district_code"], name=SELECTION, on="click", clear="dblclick")
    base = alt.Chart(shown)
    outline = alt.condition(select, alt.value(2.0), alt.value(0.6), empty=False)
    if colour_by == "significance":
        fill = alt.Fill("fill_label:N", scale=_significance_scale(shown["fill_label"], options.palette), title="Compared with England",
                        legend=_legend())
        areas_layer = base.mark_geoshape(stroke=charts.OUTLINE, aria=True).encode(fill=fill, strokeWidth=outline, tooltip=tips).add_params(select)
        layers = [areas_layer]
    else:
        valued_count = int(shown["value"].notna().sum())
        classes = max(1, min(len(CLASS_COLOURS), valued_count))
        # named for screen readers (and the app's map clicks) only when drawn: an empty layer would be an unnamed image
        valued = base.transform_filter("isValid(datum.value)").mark_geoshape(stroke=charts.OUTLINE, aria=valued_count > 0).encode(
            fill=alt.Fill("value:Q", scale=alt.Scale(type="quantile", range=CLASS_COLOURS[:classes] if classes > 1 else CLASS_COLOURS[2:3]),
                          title=f"{chart_base._measure_title(rows)}: {CLASS_WORDS.get(classes, f'{classes} classes')} of the districts",
                          legend=alt.Legend(format=",.1f", symbolType="square", symbolStrokeColor=charts.OUTLINE,
                                            symbolStrokeWidth=1)),
            strokeWidth=outline, tooltip=tips,
        ).add_params(select)
        gaps = shown[shown["fill_label"].isin([SUPPRESSED_LABEL, NOT_AVAILABLE_LABEL])]
        layers = [valued]
        if len(gaps):
            layers.append(base.transform_filter("!isValid(datum.value)").mark_geoshape(stroke=charts.OUTLINE, aria=True).encode(
                fill=alt.Fill("fill_label:N", scale=_status_scale(gaps["fill_label"]), title="No value shown",
                              legend=_legend()),
                strokeWidth=outline, tooltip=tips,
            ))
    if colour_by == "value":  # significance against England as an outline, so the fill can say how high the value is
        marked = shown[shown["outcome"].isin(list(OUTLINED))]
        if len(marked):
            layers.append(alt.Chart(marked).mark_geoshape(filled=False, strokeWidth=3).encode(
                stroke=alt.Stroke("outcome:N", title="Outline: compared with England",
                                  scale=alt.Scale(domain=[o for o in OUTLINED if o in set(marked["outcome"])],
                                                  range=[OUTLINED[o] for o in OUTLINED if o in set(marked["outcome"])]),
                                  legend=alt.Legend(symbolType="square", symbolFillColor="#FFFFFF", symbolStrokeWidth=3)),
                tooltip=tips))
    hatch = _hatching(shown[shown["fill_label"] == SUPPRESSED_LABEL], shown)
    if hatch is not None:
        layers.append(alt.Chart(hatch).mark_geoshape(filled=False, stroke=HATCH_COLOUR, strokeWidth=0.7, aria=True).encode(tooltip=tips))
    if chosen is not None:
        layers.append(base.transform_filter(alt.datum.district_code == chosen).mark_geoshape(
            filled=False, stroke=HIGHLIGHT_COLOUR, strokeWidth=3.5, aria=True).encode(tooltip=tips))
    if labels if labels is not None else len(shown) <= LABEL_LIMIT:
        layers += _name_labels(shown)

    width = options.width or 440
    width, height = (width, options.height) if options.height else _fitted_size(layer, width)
    chart = alt.layer(*layers).project(type="mercator").properties(width=width, height=height)
    if colour_by == "value":
        chart = chart.resolve_scale(fill="independent", stroke="independent")
    foot = options.note(chart_base._default_footnote(shown[shown["fill_label"] != NOT_AVAILABLE_LABEL]))
    boundary = layer.attrs.get("credit")
    where = f"districts of {area.name}" if area is not None else "by district"
    coloured = "compared with England" if colour_by == "significance" else "by value"
    describe = (f"Map of {len(shown)} districts coloured {coloured}" + ("; hatched districts are not shown to protect privacy"
                if (shown["fill_label"] == SUPPRESSED_LABEL).any() else "") + "; the figures are in the table below.")
    return options.finish(chart, f"{name}: {where}, {fmt.format_period(period)}", fmt.format_period(period), foot, describe,
                          [f"Boundaries: {boundary}."] if boundary else [])


# ------------------------------------------------------------------------------------ helpers


def _check_layer(layer: Any) -> None:
    missing = [c for c in ("district_code", "district_name") if c not in getattr(layer, "columns", [])]
    if missing or not hasattr(layer, "geometry"):
        raise SunaError("The map layer must be a GeoDataFrame with district_code, district_name and geometry "
                        "(from suna.sources.shapes.district_layer); missing: " + ", ".join(missing or ["geometry"]) + ".")


def _check_districts(on_map: pd.DataFrame, rows: pd.DataFrame, codes: list[str], area: Area | None) -> None:
    """Nothing silently dropped: every district of the area is on the layer, and once in the rows."""
    layer_codes = set(codes)
    expected = list(area.district_codes) if area is not None else []
    if area is not None and "parent_code" in rows.columns:
        expected += [str(c) for c in rows.loc[rows["parent_code"].astype(str) == area.code, "area_code"]]
    absent = list(dict.fromkeys(c for c in expected if c not in layer_codes))
    if absent:
        raise SunaError(f"The map layer has no boundary for {len(absent)} district(s) of {area.name}: "
                        f"{', '.join(absent[:10])}. Build the layer with suna.sources.shapes.district_layer for this area.")
    repeated = on_map["area_code"][on_map["area_code"].duplicated()].astype(str).unique().tolist()
    if repeated:
        raise SunaError(f"The indicators table has more than one headline row for {', '.join(repeated[:10])} in one "
                        "period (check its sex, age and category columns); a map shows one value per district.")


def _joined(layer: gpd.GeoDataFrame, display: pd.DataFrame | None, area: Area | None) -> gpd.GeoDataFrame:
    """The layer with each district's display fields; no row means "not available", never zero."""
    keep = ["area_code", "area_label", "period_label", "value", "value_label", "ci_label", "count_label", "outcome", "is_suppressed"]
    if display is None:
        display = pd.DataFrame(columns=keep)
    shown = layer[["district_code", "district_name", "geometry"]].merge(
        display[keep], left_on="district_code", right_on="area_code", how="left")
    no_row = shown["area_code"].isna()
    shown["area_label"] = shown["area_label"].where(~no_row, shown["district_name"]).astype(str)
    if area is not None:  # official names for districts without a row too
        official = area.district_names()
        shown["area_label"] = [official.get(c, label) for c, label in zip(shown["district_code"], shown["area_label"])]
    for column in ("value_label", "ci_label", "count_label", "period_label"):
        shown[column] = shown[column].where(~no_row, fmt.NOT_AVAILABLE).astype(str)
    shown["outcome"] = shown["outcome"].where(~no_row, "Not compared").astype(str)
    suppressed = shown["is_suppressed"].fillna(False).astype(bool)
    value = pd.to_numeric(shown["value"], errors="coerce").astype(float).where(~suppressed)
    shown["fill_label"] = np.where(suppressed, SUPPRESSED_LABEL, np.where(value.isna(), NOT_AVAILABLE_LABEL, shown["outcome"]))
    shown["value"] = [None if np.isnan(v) else float(v) for v in value]  # null in the JSON, never 0
    shown["is_suppressed"] = suppressed
    return shown.drop(columns=["area_code"])


def _fitted_size(layer: gpd.GeoDataFrame, width: int) -> tuple[int, int]:
    """Width and height with the layer's Mercator shape: at most ``width`` wide and MAX_HEIGHT tall."""
    minx, miny, maxx, maxy = layer.to_crs("EPSG:4326").total_bounds
    mercator_y = np.log(np.tan(np.pi / 4 + np.radians([miny, maxy]) / 2))
    ratio = (mercator_y[1] - mercator_y[0]) / max(np.radians(maxx - minx), 1e-9)  # height over width
    if width * ratio > MAX_HEIGHT:  # tall areas (Sefton's coast) get narrower, not taller
        return max(160, round(MAX_HEIGHT / ratio)), MAX_HEIGHT
    return width, max(240, round(width * ratio))


def _legend() -> Any:
    return chart_base._alt().Legend(symbolType="square", symbolStrokeColor=charts.OUTLINE, symbolStrokeWidth=1,
                                labelExpr=f"datum.label == '{SUPPRESSED_LABEL}' ? '{SUPPRESSED_LEGEND}' : datum.label")


def _significance_scale(labels: pd.Series, palette: str) -> Any:
    colours = {**chart_base._palette(palette), NOT_AVAILABLE_LABEL: NOT_AVAILABLE_COLOUR}
    present = [label for label in colours if label in set(labels)]
    return chart_base._alt().Scale(domain=present, range=[colours[label] for label in present])


def _status_scale(labels: pd.Series) -> Any:
    return _significance_scale(labels, "accessible")


def _highlight_code(layer: gpd.GeoDataFrame, highlight: str | None) -> str | None:
    if highlight in (None, ""):
        return None
    key = str(highlight).strip().casefold()
    for code, name in zip(layer["district_code"].astype(str), layer["district_name"].astype(str)):
        if key in (code.casefold(), name.casefold()):
            return code
    raise UnknownAreaError(str(highlight), layer["district_name"].astype(str).tolist(), kind="district to highlight")


def _hatching(suppressed: gpd.GeoDataFrame, everything: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """Diagonal lines clipped to the suppressed districts, carrying their tooltip fields."""
    if suppressed.empty:
        return None
    import geopandas as gpd
    import shapely

    minx, miny, maxx, maxy = everything.total_bounds
    step = max(maxx - minx, maxy - miny) / HATCH_LINES
    span = (maxx - minx) + (maxy - miny)
    starts = np.arange(minx - (maxy - miny), maxx + step, step)
    lines = shapely.multilinestrings([[(x, miny), (x + span, miny + span)] for x in starts])  # 45 degrees
    clipped = [shapely.intersection(lines, geom) for geom in suppressed.geometry]
    hatch = gpd.GeoDataFrame(suppressed.drop(columns="geometry"), geometry=clipped, crs=suppressed.crs)
    return hatch[~hatch.geometry.is_empty]


def _name_labels(shown: gpd.GeoDataFrame) -> list[Any]:
    """District names at a point inside each district: a white halo under black text."""
    alt = chart_base._alt()
    points = shown.geometry.representative_point()
    names = pd.DataFrame({"area_label": shown["area_label"], "longitude": points.x, "latitude": points.y})
    text = alt.Chart(names).encode(longitude="longitude:Q", latitude="latitude:Q", text="area_label:N")
    return [text.mark_text(fontSize=10, stroke="#FFFFFF", strokeWidth=3, strokeJoin="round", opacity=0.9),
            text.mark_text(fontSize=10, color="#000000")]
