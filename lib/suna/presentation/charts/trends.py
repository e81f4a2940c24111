"""Trend charts: one indicator over time with its confidence intervals against comparators, and counts
over financial years one line per category."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from suna.core.errors import UnknownAreaError
from suna.model import formatting as fmt
from suna.presentation.charts.base import (CATEGORICAL, ENGLAND_CODE, OUTLINE, SERIES_COLOURS, SERIES_DASHES,
                                           ChartOptions, _alt, _chart, _colour_scale, _default_footnote,
                                           _display_frame, _gate, _indicator_rows, _measure_title, _period_text,
                                           _require_columns, _share_display, _sort_key, _tooltip, assert_protected)

if TYPE_CHECKING:
    import altair as alt

    from suna.model.areas import Area

log = logging.getLogger(__name__)


def trend_chart(
    indicators: pd.DataFrame,
    indicator_id: Any,
    area_code: str,
    comparators: Sequence[str] = (ENGLAND_CODE,),
    *,
    area: Area | None = None,
    options: ChartOptions = ChartOptions(),
) -> alt.LayerChart:
    """Value over time with 95% confidence intervals, against England and region lines.

    The area's points are filled by their significance against England; suppressed periods show the
    word "suppressed" along the foot of the chart, never a zero.
    """
    alt = _alt()
    assert_protected(indicators, options.rule)
    rows = _indicator_rows(indicators, indicator_id)
    codes = [area_code, *[c for c in comparators if c != area_code]]
    if area_code not in set(rows["area_code"]):
        raise UnknownAreaError(area_code, sorted(rows["area_code"].astype(str).unique()),
                               kind=f"area code for indicator {indicator_id}")
    rows = _display_frame(rows[rows["area_code"].isin(codes)], area)
    rows["series"] = rows["area_label"]
    rows["sort_key"] = _sort_key(rows)
    order = rows.drop_duplicates("period").sort_values("sort_key", kind="stable")["period_label"].tolist()
    series_order = [rows.loc[rows["area_code"] == c, "series"].iloc[0] for c in codes if (rows["area_code"] == c).any()]
    missing = [c for c in codes if c not in set(rows["area_code"])]
    if missing:
        log.info("Trend chart: no rows for comparator(s) %s", ", ".join(missing))
    name = str(rows["indicator_name"].iloc[0])
    y_title = _measure_title(rows)
    tips = _tooltip(("series", "Area"), ("period_label", "Period"), ("value_label", "Value"),
                    ("ci_label", "Confidence interval"), ("count_label", "Count"), ("outcome", "Compared with England"))
    local = rows[rows["area_code"] == area_code]
    plotted = rows[~rows["is_suppressed"] & rows["value"].notna()]
    x = alt.X("period_label:N", sort=order, title="Period", axis=alt.Axis(labelAngle=-40))
    series_scale = alt.Scale(domain=series_order, range=SERIES_COLOURS[: len(series_order)])
    dash_scale = alt.Scale(domain=series_order, range=SERIES_DASHES[: len(series_order)])

    lines = _chart(plotted).mark_line(strokeWidth=2).encode(
        x=x, y=alt.Y("value:Q", title=y_title),
        color=alt.Color("series:N", scale=series_scale, title="Area"),
        strokeDash=alt.StrokeDash("series:N", scale=dash_scale, title="Area"),
        tooltip=tips,
    )
    local_plotted = plotted[plotted["area_code"] == area_code]
    errors = _chart(local_plotted.dropna(subset=["value_lower_ci95", "value_upper_ci95"])).mark_rule(
        color=OUTLINE, strokeWidth=1.5
    ).encode(x=x, y="value_lower_ci95:Q", y2="value_upper_ci95:Q", tooltip=tips)
    points = _chart(local_plotted).mark_point(filled=True, size=90, stroke=OUTLINE, strokeWidth=1, opacity=1).encode(
        x=x, y="value:Q",
        fill=alt.Fill("outcome:N", scale=_colour_scale(local_plotted["outcome"], options.palette), title="Compared with England"),
        tooltip=tips,
    )
    gaps = local[local["is_suppressed"] | local["value"].isna()]
    size = options.size(560, 300)
    notes = _chart(gaps).mark_text(angle=270, align="left", baseline="middle", fontSize=11, color=OUTLINE).encode(
        x=x, y=alt.value(size["height"] - 6), text="value_label:N", tooltip=tips,
    )
    layers = [lines, errors, points] + ([notes] if len(gaps) else [])
    chart = alt.layer(*layers).properties(**size)
    area_name = local["area_label"].iloc[0]
    period = _period_text(rows["period"], rows["sort_key"])
    others = " and ".join(series_order[1:])
    describe = (f"Line chart of {name} in {area_name}" + (f" beside {others}" if others else "")
                + f", {period}, with 95% confidence intervals; the figures are in the table below.")
    return options.finish(chart, f"{name}: {area_name}", period, options.note(_default_footnote(local)), describe)


# --------------------------------------------------------------------------------------------------
# Counts over financial years, one line per category
# --------------------------------------------------------------------------------------------------
def category_trend_chart(
    counts: pd.DataFrame,
    category: str = "category",
    *,
    value: str = "count",
    period_col: str = "period",
    category_order: Sequence[str] | None = None,
    value_title: str = "People",
    options: ChartOptions = ChartOptions(),
) -> alt.LayerChart:
    """Counts over financial years, one line per category (e.g. substance group), for one area.

    ``trend_chart`` draws one indicator against England; this draws the parts of a count (people in
    treatment by substance group) side by side. Lines differ by colour and dash; a suppressed point
    is not drawn and its period is listed as "suppressed" in the tooltip and the footnote.
    """
    alt = _alt()
    _gate(counts, value, options.rule)
    _require_columns(counts, (category, value, period_col), "counts")
    data = _share_display(counts, value)
    data["series"] = data[category].astype(str)
    data["period_label"] = [fmt.format_period(p) for p in data[period_col]]
    data["value_label"] = data["count_label"]
    order = list(dict.fromkeys(data.sort_values(period_col, kind="stable")["period_label"]))
    series_order = list(category_order) if category_order else list(dict.fromkeys(data["series"]))
    colours = (CATEGORICAL * 2)[: len(series_order)]
    dashes = (SERIES_DASHES * 3)[: len(series_order)]
    tips = _tooltip(("series", "Group"), ("period_label", "Period"), ("value_label", value_title))
    x = alt.X("period_label:N", sort=order, title="Period", axis=alt.Axis(labelAngle=-40))
    plotted = data[data[value].notna()]
    lines = _chart(plotted).mark_line(strokeWidth=2).encode(
        x=x, y=alt.Y(f"{value}:Q", title=value_title, axis=alt.Axis(format=",~f")),
        color=alt.Color("series:N", sort=series_order, scale=alt.Scale(domain=series_order, range=colours), title=None),
        strokeDash=alt.StrokeDash("series:N", sort=series_order, scale=alt.Scale(domain=series_order, range=dashes), title=None),
        tooltip=tips)
    points = _chart(plotted).mark_point(filled=True, size=40).encode(
        x=x, y=f"{value}:Q", color=alt.Color("series:N", sort=series_order, scale=alt.Scale(domain=series_order, range=colours), title=None),
        tooltip=tips)
    chart = alt.layer(lines, points).properties(**options.size(560, 300))
    foot = options.note(_default_footnote(data.assign(area_label=data["series"] + " " + data["period_label"])))
    period = _period_text(data[period_col])
    describe = (f"Line chart of {value_title.lower()} by {len(series_order)} groups ({', '.join(series_order)}), "
                f"{period}; the figures are in the table below.")
    return options.finish(chart, "Counts over time", period, foot, describe)
