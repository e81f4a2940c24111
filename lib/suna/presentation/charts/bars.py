"""Bar charts of one indicator: areas compared against a benchmark (England), and one place broken down
(age groups) against a benchmark value."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from suna.model import formatting as fmt
from suna.presentation import narrative
from suna.presentation.charts.base import (ENGLAND_CODE, OUTLINE, ChartOptions, _alt, _chart, _colour_scale,
                                           _default_footnote, _display_frame, _indicator_rows, _latest_period,
                                           _measure_title, _outcome_label, _period_text, _require_columns, _tooltip,
                                           assert_protected)

if TYPE_CHECKING:
    import altair as alt

    from suna.model.areas import Area

log = logging.getLogger(__name__)


def _benchmark_line(bench: pd.DataFrame, tips: list[Any]) -> list[Any]:
    """A dashed benchmark line, named above the plot's left edge ("Dashed line: England 644.0 per 100,000"):
    a name beside the line ran past the chart's right edge when the benchmark was high."""
    alt = _alt()
    named = bench.assign(bench_text=["Dashed line: " + t for t in bench["bench_text"]])
    return [_chart(named).mark_rule(color="#000000", strokeWidth=2, strokeDash=[6, 3]).encode(x="value:Q", tooltip=tips),
            _chart(named).mark_text(align="left", dy=-6, fontSize=11, baseline="bottom").encode(
                x=alt.value(0), y=alt.value(0), text="bench_text:N", tooltip=tips)]


def compare_areas_chart(
    indicators: pd.DataFrame,
    indicator_id: Any,
    area_codes: Sequence[str] | None = None,
    period: str | None = None,
    *,
    benchmark_code: str = ENGLAND_CODE,
    area: Area | None = None,
    options: ChartOptions = ChartOptions(),
) -> alt.LayerChart:
    """Districts ranked by value, bars coloured by significance against England, with 95% CIs.

    A suppressed or missing district keeps its row, labelled "suppressed" / "not available", with
    no bar. ``area_codes`` defaults to the area's districts (when ``area`` is given), else every area
    in the table that is not England or a region.
    """
    alt = _alt()
    assert_protected(indicators, options.rule)
    rows = _indicator_rows(indicators, indicator_id)
    if period is None:
        candidates = rows[~rows["area_code"].isin([ENGLAND_CODE]) & ~rows["area_code"].astype(str).str.startswith(narrative.REGION_PREFIX)]
        period = _latest_period(candidates if len(candidates) else rows)
    rows = rows[rows["period"].astype(str) == str(period)]
    if area_codes is None:
        if area is not None:
            area_codes = area.district_codes
        else:
            codes = rows["area_code"].astype(str)
            area_codes = list(dict.fromkeys(codes[(codes != ENGLAND_CODE) & ~codes.str.startswith(narrative.REGION_PREFIX)]))
    present = set(rows["area_code"])
    absent = [c for c in area_codes if c not in present]
    if absent:  # keep every requested area visible, even with no row
        filler = pd.DataFrame({"area_code": absent, "indicator_id": rows["indicator_id"].iloc[0],
                               "indicator_name": rows["indicator_name"].iloc[0], "period": period, "value": float("nan")})
        if area is not None:
            filler["area_name"] = [fmt.area_label(c, area) if c in area.district_codes else c for c in absent]
        rows = pd.concat([rows, filler], ignore_index=True)
    shown = _display_frame(rows[rows["area_code"].isin(list(area_codes))], area)
    shown = shown.sort_values(["value"], ascending=False, na_position="last", kind="stable")
    order = shown["area_label"].tolist()
    bench = _display_frame(rows[rows["area_code"] == benchmark_code], area)
    name = str(rows["indicator_name"].iloc[0])
    tips = _tooltip(("area_label", "Area"), ("period_label", "Period"), ("value_label", "Value"),
                    ("ci_label", "Confidence interval"), ("count_label", "Count"), ("outcome", "Compared with England"))
    y = alt.Y("area_label:N", sort=order, title=None)
    bars_data = shown[~shown["is_suppressed"] & shown["value"].notna()]
    x_title = _measure_title(rows)
    bars = _chart(bars_data).mark_bar(stroke=OUTLINE, strokeWidth=0.75).encode(
        x=alt.X("value:Q", title=x_title), y=y,
        fill=alt.Fill("outcome:N", scale=_colour_scale(bars_data["outcome"], options.palette), title="Compared with England"),
        tooltip=tips,
    )
    errors = _chart(bars_data.dropna(subset=["value_lower_ci95", "value_upper_ci95"])).mark_errorbar(
        ticks=True, color="#000000"
    ).encode(x=alt.X("value_lower_ci95:Q", title=x_title), x2="value_upper_ci95:Q", y=y, tooltip=tips)
    gaps = shown[shown["is_suppressed"] | shown["value"].isna()]
    notes = _chart(gaps).mark_text(align="left", dx=4, fontSize=11, fontStyle="italic", color=OUTLINE).encode(
        x=alt.value(0), y=y, text="value_label:N", tooltip=tips,
    )
    layers = [bars, errors] + ([notes] if len(gaps) else [])
    if len(bench) and bench["value"].notna().any():
        bench = bench.assign(bench_text=[f"{label} {value}" for label, value in zip(bench["area_label"], bench["value_label"])])
        btips = _tooltip(("area_label", "Benchmark"), ("value_label", "Value"), ("ci_label", "Confidence interval"))
        layers += _benchmark_line(bench, btips)
    else:
        log.info("Compare areas chart: no benchmark value for %s", benchmark_code)
    chart = alt.layer(*layers).properties(**options.size(480, alt.Step(22)))
    when = fmt.format_period(period)
    describe = (f"Bar chart ranking {len(order)} areas by {name} in {when}, coloured by comparison with "
                "England, with 95% confidence intervals; the figures are in the table below.")
    return options.finish(chart, f"{name}, {when}", when, options.note(_default_footnote(shown)), describe)


# --------------------------------------------------------------------------------------------------
# Breakdown of one place (age groups) against a benchmark value
# --------------------------------------------------------------------------------------------------
def breakdown_chart(
    rows: pd.DataFrame,
    group: str,
    order: Sequence[str],
    *,
    benchmark: pd.DataFrame | None = None,
    compared: str = "compared_to_england",
    compared_title: str = "Compared with England",
    value_title: str | None = None,
    period: str | None = None,
    options: ChartOptions = ChartOptions(),
) -> alt.LayerChart:
    """One place's groups (e.g. age groups) as bars with 95% CIs, in their own order, coloured by significance.

    ``compare_areas_chart`` ranks areas by value against England; a breakdown keeps its natural order
    (youngest first) and is compared with what the caller names in ``compared`` / ``compared_title``
    (e.g. the place's all-ages rate), drawn as a dashed line from the one ``benchmark`` row. A
    suppressed or missing group keeps its row, labelled "suppressed" / "not available", with no bar.
    """
    alt = _alt()
    assert_protected(rows, options.rule)
    _require_columns(rows, (group, "value", compared), "breakdown")
    shown = _display_frame(rows)
    shown["group_label"] = shown[group].astype(str)
    polarity = rows["polarity"] if "polarity" in rows.columns else [None] * len(rows)
    shown["outcome"] = [_outcome_label(narrative.comparison_outcome(c, p), s)
                        for c, p, s in zip(rows[compared], polarity, shown["is_suppressed"])]
    tips = _tooltip(("group_label", "Group"), ("period_label", "Period"), ("value_label", "Value"),
                    ("ci_label", "Confidence interval"), ("count_label", "Count"), ("outcome", compared_title))
    y = alt.Y("group_label:N", sort=list(order), title=None)
    x_title = value_title or _measure_title(rows)
    bars_data = shown[~shown["is_suppressed"] & shown["value"].notna()]
    layers = [
        _chart(bars_data).mark_bar(stroke=OUTLINE, strokeWidth=0.75).encode(
            x=alt.X("value:Q", title=x_title), y=y, tooltip=tips,
            fill=alt.Fill("outcome:N", scale=_colour_scale(bars_data["outcome"], options.palette), title=compared_title)),
        _chart(bars_data.dropna(subset=["value_lower_ci95", "value_upper_ci95"])).mark_errorbar(ticks=True, color="#000000").encode(
            x=alt.X("value_lower_ci95:Q", title=x_title), x2="value_upper_ci95:Q", y=y, tooltip=tips),
    ]
    gaps = shown[shown["is_suppressed"] | shown["value"].isna()]
    if len(gaps):
        layers.append(_chart(gaps).mark_text(align="left", dx=4, fontSize=11, fontStyle="italic", color=OUTLINE).encode(
            x=alt.value(0), y=y, text="value_label:N", tooltip=tips))
    bench = _display_frame(benchmark) if benchmark is not None else pd.DataFrame()
    bench = bench[~bench["is_suppressed"] & bench["value"].notna()] if len(bench) else bench
    if len(bench):
        bench = bench.assign(bench_text=[f"{label} {value}" for label, value in zip(bench[group].astype(str), bench["value_label"])])
        btips = _tooltip(("bench_text", "Benchmark"), ("ci_label", "Confidence interval"))
        layers += _benchmark_line(bench, btips)
    chart = alt.layer(*layers).properties(**options.size(480, alt.Step(22)))
    when = fmt.format_period(period) if period is not None else _period_text(rows["period"])
    describe = (f"Bar chart of {len(order)} groups ({', '.join(map(str, order))}) in their own order, with 95% confidence "
                "intervals; the figures are in the table below.")
    return options.finish(chart, "Breakdown", when, options.note(_default_footnote(shown, "group_label")), describe)
