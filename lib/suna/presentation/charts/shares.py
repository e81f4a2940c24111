"""Shares of a whole and how people move: share bars, the age-sex pyramid, referral-to-exit flows and
the treatment cascade."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from suna.core.errors import SunaError
from suna.model import formatting as fmt
from suna.presentation.charts.base import (CATEGORICAL, OUTLINE, SEQUENTIAL, ChartOptions, _alt, _chart,
                                           _count_column, _default_footnote, _gate, _require_columns, _share_display,
                                           _shown_period, _tooltip, assert_protected)

if TYPE_CHECKING:
    import altair as alt



def share_chart(
    shares: pd.DataFrame,
    category: str = "category",
    *,
    share: str = "share_pct",
    series: str | None = "area_name",
    group: str | None = None,
    category_order: Sequence[str] | None = None,
    period: str | None = None,
    options: ChartOptions = ChartOptions(),
) -> alt.Chart:
    """Percentage shares by category (e.g. referral source), side by side for the area and England,
    one panel per ``group`` (e.g. substance group).

    Shares arrive computed (percentages 0-100) and disclosure-controlled; a suppressed share keeps
    its row, labelled "suppressed".
    """
    alt = _alt()
    assert_protected(shares, options.rule)  # the counts behind the shares (a share alone cannot be checked)
    _require_columns(shares, [c for c in (category, share, series, group) if c], "shares")
    data = _share_display(shares, share)
    data["share_label"] = [fmt.SUPPRESSED if s else fmt.format_value(v, "proportion")
                           for v, s in zip(data[share], data["is_suppressed"])]
    data["series_label"] = data[series].astype(str) if series else "Share"
    series_order = list(dict.fromkeys(data["series_label"]))
    order = list(category_order) if category_order else list(dict.fromkeys(data[category].astype(str)))
    fields = [(category, "Category"), ("series_label", "Area"), ("share_label", "Share"), ("count_label", "Count")]
    if group:
        fields.insert(0, (group, "Group"))
    tips = _tooltip(*fields)
    y = alt.Y(f"{category}:N", sort=order, title=None)
    colour = alt.Color("series_label:N", title="Area", scale=alt.Scale(domain=series_order, range=[CATEGORICAL[0], CATEGORICAL[3], *CATEGORICAL[1:3]][: len(series_order)]))
    base = _chart(data)
    bars = base.transform_filter("!datum.is_suppressed && isValid(datum['%s'])" % share).mark_bar(stroke=OUTLINE, strokeWidth=0.5).encode(
        x=alt.X(f"{share}:Q", title="Percentage", scale=alt.Scale(domain=[0, 100])), y=y, yOffset="series_label:N",
        color=colour, tooltip=tips)
    notes = base.transform_filter("datum.is_suppressed").mark_text(align="left", dx=4, fontSize=10, fontStyle="italic", color=OUTLINE).encode(
        x=alt.value(0), y=y, yOffset="series_label:N", text="share_label:N", tooltip=tips)
    layered = alt.layer(bars, notes).properties(**options.size(260, alt.Step(14)))
    chart = layered.facet(column=alt.Column(f"{group}:N", title=None, sort=list(dict.fromkeys(data[group].astype(str))))) if group else layered
    foot = options.note(_default_footnote(data.assign(area_label=data[category].astype(str))))
    describe = (f"Bar chart of percentages by {len(order)} categories" + (f" for {', '.join(series_order)}" if series else "")
                + "; the figures are in the table below.")
    return options.finish(chart, "Shares", _shown_period(data, period), foot, describe)


def _age_start(label: str) -> float:
    digits = "".join(ch if ch.isdigit() else " " for ch in str(label)).split()
    return float(digits[0]) if digits else float("inf")


def population_pyramid(
    population: pd.DataFrame,
    *,
    age: str = "age_band",
    sex: str = "sex",
    value: str = "population_count",
    comparison: pd.DataFrame | None = None,
    comparison_label: str = "England",
    value_title: str = "People",
    period: str | None = None,
    options: ChartOptions = ChartOptions(),
) -> alt.LayerChart:
    """Males to the left, females to the right, by age band (youngest at the bottom), 220 pixels a side.

    ``comparison`` (same columns, e.g. England's percentages) is drawn as black ticks. A
    suppressed band shows the word "suppressed".
    """
    alt = _alt()
    _gate(population, value, options.rule)
    _require_columns(population, (age, sex, value), "population")
    data = _share_display(population, value)
    data["age_label"] = data[age].astype(str)
    data["sex_label"] = data[sex].astype(str)
    unknown = sorted(set(data["sex_label"]) - {"Male", "Female"})
    if unknown:
        raise SunaError(f"The population table's column {sex!r} holds {', '.join(unknown)}; expected Male or Female.")
    data["signed"] = data[value].where(data["sex_label"] == "Female", -data[value])
    decimals = 0 if data[value].dropna().map(float.is_integer).all() else 1
    data["value_label"] = [fmt.SUPPRESSED if s else fmt.format_number(v, decimals) for v, s in zip(data[value], data["is_suppressed"])]
    ages = sorted(dict.fromkeys(data["age_label"]), key=_age_start, reverse=True)
    tips = _tooltip(("age_label", "Age"), ("sex_label", "Sex"), ("value_label", value_title))
    y = alt.Y("age_label:N", sort=ages, title="Age")
    axis = alt.Axis(labelExpr="format(abs(datum.value), ',~f')")
    bars = _chart(data[data["signed"].notna()]).mark_bar(stroke=OUTLINE, strokeWidth=0.5).encode(
        x=alt.X("signed:Q", title=f"{value_title} (males left, females right)", axis=axis), y=y,
        color=alt.Color("sex_label:N", title="Sex", scale=alt.Scale(domain=["Male", "Female"], range=[CATEGORICAL[0], CATEGORICAL[1]])),
        tooltip=tips)
    layers = [bars]
    gaps = data[data["signed"].isna()]
    if len(gaps):
        for sex_label, align, dx in (("Male", "right", -4), ("Female", "left", 4)):
            side = gaps[gaps["sex_label"] == sex_label].assign(anchor=0.0)
            if len(side):
                layers.append(_chart(side).mark_text(align=align, dx=dx, fontSize=10, fontStyle="italic", color=OUTLINE).encode(
                    x=alt.X("anchor:Q"), y=y, text="value_label:N", tooltip=tips))
    if comparison is not None:
        _require_columns(comparison, (age, sex, value), "population comparison")
        comp = comparison.assign(age_label=comparison[age].astype(str), sex_label=comparison[sex].astype(str))
        comp["signed"] = comp[value].where(comp["sex_label"] == "Female", -comp[value])
        comp["value_label"] = [fmt.format_number(v, 1) for v in comp[value]]
        comp["series"] = comparison_label
        layers.append(_chart(comp).mark_tick(color="#000000", thickness=2, size=16).encode(
            x="signed:Q", y=y, tooltip=_tooltip(("series", "Comparator"), ("age_label", "Age"), ("sex_label", "Sex"), ("value_label", value_title))))
    chart = alt.layer(*layers).properties(**options.size(2 * 220, alt.Step(16)))
    foot = options.note(_default_footnote(data.assign(area_label=data["sex_label"] + " " + data["age_label"])))
    if comparison is not None:
        foot = f"{foot + ' ' if foot else ''}Black ticks: {comparison_label}."
    describe = f"Population pyramid of {value_title.lower()} by age band, males to the left and females to the right; the figures are in the table below."
    return options.finish(chart, "Population by age and sex", _shown_period(data, period), foot, describe)


def flow_chart(
    links: pd.DataFrame,
    *,
    source_col: str = "source",
    target_col: str = "target",
    step_col: str = "step",
    count: str = "count",
    period: str | None = None,
    options: ChartOptions = ChartOptions(),
) -> alt.VConcatChart:
    """Flows between stages (referral source -> substance group -> exit reason) as one heat map per step.

    A Sankey diagram is hard to read and to draw in Vega-Lite; a grid of counts per step keeps every
    flow labelled. ``links`` holds one row per (step, source, target) with a disclosure-controlled
    ``count`` (and ``count_display``); small flows should already be merged into "other" upstream.
    Suppressed cells are white and marked "*".
    """
    alt = _alt()
    _gate(links, count, options.rule)
    _require_columns(links, (source_col, target_col, step_col, count), "flows")
    data = _share_display(links, count)
    data["cell_text"] = ["*" if s else label for label, s in zip(data["count_label"], data["is_suppressed"])]
    top = data[count].max() if (data[count] > 0).any() else 1.0  # all hidden or zero: no dark cells
    data["text_colour"] = ["#000000" if s or fmt.is_missing(c) or c / top < 0.45 else "#FFFFFF"
                           for c, s in zip(data[count], data["is_suppressed"])]
    panels = []
    for step, part in data.groupby(step_col, sort=False):
        tips = _tooltip((source_col, "From"), (target_col, "To"), ("count_label", "Count"))
        x = alt.X(f"{target_col}:N", sort=list(dict.fromkeys(part[target_col].astype(str))), title=None,
                  axis=alt.Axis(orient="top", labelAngle=-40))
        y = alt.Y(f"{source_col}:N", sort=list(dict.fromkeys(part[source_col].astype(str))), title=None)
        known = part[part[count].notna()]
        cells = _chart(known).mark_rect(stroke=OUTLINE, strokeWidth=0.5).encode(
            x=x, y=y, fill=alt.Fill(f"{count}:Q", title="People", scale=alt.Scale(range=SEQUENTIAL, zero=True)), tooltip=tips)
        blanks = _chart(part[part[count].isna()]).mark_rect(fill="#FFFFFF", stroke=OUTLINE, strokeWidth=0.5).encode(x=x, y=y, tooltip=tips)
        text = _chart(part).mark_text(fontSize=10).encode(
            x=x, y=y, text="cell_text:N", color=alt.Color("text_colour:N", scale=None), tooltip=tips)
        panels.append(alt.layer(cells, blanks, text).properties(title=str(step), width=alt.Step(56), height=alt.Step(24)))
    chart = alt.vconcat(*panels, spacing=24).resolve_scale(fill="shared")
    foot = options.note(_default_footnote(data.assign(area_label=data[source_col].astype(str) + " to " + data[target_col].astype(str))))
    describe = "Grids of counts of people moving between stages, one grid per step; the figures are in the table below."
    return options.finish(chart, "Referral routes, substances and treatment exits", _shown_period(data, period), foot, describe,
                          ["* not shown to protect privacy."])


def cascade_chart(
    cascade: pd.DataFrame,
    *,
    stage: str = "stage",
    value: str = "value",
    share: str | None = "share_pct",
    is_estimate: str | None = "is_estimate",
    share_meaning: str = "the percentage of the stage before",
    period: str | None = None,
    value_title: str = "People",
    options: ChartOptions = ChartOptions(),
) -> alt.LayerChart:
    """The treatment cascade (estimated need -> in treatment -> successful completion) as bars, in row order.

    Estimates (``is_estimate`` true, or a stage whose name says "estimate") are drawn lighter, with
    their 95% interval when ``value_lower_ci95``/``value_upper_ci95`` are given. ``share`` (e.g. the
    percentage of need met, computed upstream) is printed on the bar's label when present.
    """
    alt = _alt()
    _gate(cascade, value, options.rule)
    _require_columns(cascade, (stage, value), "cascade")
    data = _share_display(cascade, value)
    data["stage_label"] = data[stage].astype(str)
    if is_estimate and is_estimate in data.columns:
        estimate = data[is_estimate].fillna(False).astype(bool)
    else:
        estimate = data["stage_label"].str.lower().str.contains("estimat")
    data["kind"] = ["Estimate" if e else "Recorded" for e in estimate]
    data["value_label"] = (data["count_label"] if _count_column(data, value) == value
                           else [fmt.SUPPRESSED if s else fmt.format_number(v) for v, s in zip(data[value], data["is_suppressed"])])
    has_share = bool(share) and share in data.columns
    data["bar_label"] = [
        label if not has_share or fmt.is_missing(r.get(share)) or s else f"{label} ({fmt.format_value(r.get(share), 'proportion')})"
        for label, r, s in zip(data["value_label"], data.to_dict("records"), data["is_suppressed"])
    ]
    has_ci = {"value_lower_ci95", "value_upper_ci95"} <= set(data.columns)
    data["ci_label"] = [fmt.format_ci(r.get("value_lower_ci95"), r.get("value_upper_ci95"), "count") if has_ci else fmt.NOT_AVAILABLE
                        for r in data.to_dict("records")]
    order = data["stage_label"].tolist()
    tips = _tooltip(("stage_label", "Stage"), ("value_label", value_title), ("ci_label", "Confidence interval"), ("kind", "Kind"))
    x = alt.X("stage_label:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelLimit=160))
    placed = data[data[value].notna()]
    tops = [max(v, r.get("value_upper_ci95") if has_ci and not fmt.is_missing(r.get("value_upper_ci95")) else v)
            for v, r in zip(data[value], data.to_dict("records"))]
    data["label_y"] = tops
    top = max([t for t in tops if not fmt.is_missing(t)] or [1.0])
    y_axis = alt.Axis(format=",~f")
    y_scale = alt.Scale(domain=[0, top * 1.12], nice=True)
    bars = _chart(placed).mark_bar(stroke=OUTLINE, strokeWidth=0.75).encode(
        x=x, y=alt.Y(f"{value}:Q", title=value_title, axis=y_axis, scale=y_scale),
        fill=alt.Fill("kind:N", title=None, scale=alt.Scale(
            domain=[k for k in ("Estimate", "Recorded") if k in set(placed["kind"])],
            range=[c for k, c in (("Estimate", SEQUENTIAL[1]), ("Recorded", CATEGORICAL[0])) if k in set(placed["kind"])])),
        tooltip=tips)
    labels = _chart(data).mark_text(dy=-8, fontSize=11).encode(
        x=x, y=alt.Y("label_y:Q", title=value_title, axis=y_axis, scale=y_scale), text="bar_label:N", tooltip=tips)
    layers = [bars]
    if has_ci:
        ci = placed.dropna(subset=["value_lower_ci95", "value_upper_ci95"])
        layers.append(_chart(ci).mark_errorbar(ticks=True, color="#000000").encode(
            x=x, y=alt.Y("value_lower_ci95:Q", title=value_title, axis=y_axis, scale=y_scale), y2="value_upper_ci95:Q", tooltip=tips))
    layers.append(labels.transform_filter("isValid(datum['%s'])" % value))
    gaps = data[data[value].isna()]
    size = options.size(420, 300)
    if len(gaps):
        layers.append(_chart(gaps).mark_text(baseline="bottom", dy=-4, fontStyle="italic", fontSize=11, color=OUTLINE).encode(
            x=x, y=alt.value(size["height"] - 4), text="value_label:N", tooltip=tips))
    chart = alt.layer(*layers).properties(**size)
    foot = options.note(_default_footnote(data.assign(area_label=data["stage_label"])))
    reading = []
    if has_share and data[share].notna().any():
        reading.append(f"Percentages in brackets: {share_meaning}.")
    if (data["kind"] == "Estimate").any():
        reading.append("Lighter bars are estimates" + (", with their 95% confidence interval." if has_ci else "."))
    describe = f"Bar chart of {len(order)} stages of the treatment cascade, in order: {', '.join(order)}; the figures are in the table below."
    return options.finish(chart, "Treatment cascade", _shown_period(data, period), foot, describe, reading)
