"""Funnel plot: districts' rates by their number of events, with the 95% and 99.8% control limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from suna.core.errors import SunaError
from suna.model import formatting as fmt
from suna.presentation import narrative
from suna.presentation.charts.base import (OUTLINE, ChartOptions, _alt, _chart, _colour_scale, _default_footnote,
                                           _display_frame, _measure_title, _outcome_label, _require_columns,
                                           _shown_period, _tooltip, assert_protected)

if TYPE_CHECKING:
    import altair as alt

    from suna.model.areas import Area

FUNNEL_LIMITS = {  # PHStatsMethods.calculate_funnel_limits column -> label
    "lower_2s_limit": "95% limits", "upper_2s_limit": "95% limits",
    "lower_3s_limit": "99.8% limits", "upper_3s_limit": "99.8% limits",
    "baseline": "Average",
    # the same limits as suna.indicators.stats.funnel_limits names them
    "lower_limit_95": "95% limits", "upper_limit_95": "95% limits",
    "lower_limit_998": "99.8% limits", "upper_limit_998": "99.8% limits",
}
_FUNNEL_POSITION = {
    "high (0.001)": ("higher", "above the upper 99.8% limit"),
    "high (0.025)": ("higher", "above the upper 95% limit"),
    "low (0.001)": ("lower", "below the lower 99.8% limit"),
    "low (0.025)": ("lower", "below the lower 95% limit"),
    "not significant": ("similar", "within the 95% limits"),
    # the same positions as suna.indicators.stats.funnel_significance words them
    "above 99.8% limit": ("higher", "above the upper 99.8% limit"),
    "above 95% limit": ("higher", "above the upper 95% limit"),
    "below 99.8% limit": ("lower", "below the lower 99.8% limit"),
    "below 95% limit": ("lower", "below the lower 95% limit"),
    "within limits": ("similar", "within the 95% limits"),
}


def funnel_chart(
    points: pd.DataFrame,
    limits: pd.DataFrame,
    *,
    x: str = "denominator",
    y: str = "value",
    limits_x: str | None = None,
    polarity: str | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
    area: Area | None = None,
    options: ChartOptions = ChartOptions(),
) -> alt.LayerChart:
    """Areas' values against their size, inside 95% and 99.8% control limits computed elsewhere.

    ``limits`` is PHStatsMethods.calculate_funnel_limits output (x column Population / Events /
    Observed_events, or ``limits_x``; lower/upper_2s_limit = 95%, lower/upper_3s_limit = 99.8%,
    baseline). ``points`` may carry PHStatsMethods' ``significance`` ("High (0.001)" ...) or a
    ``compared_to_england`` column; with ``polarity`` high/low become worse/better. Suppressed points
    cannot be placed and are named in the caption instead.
    """
    alt = _alt()
    assert_protected(points, options.rule)
    _require_columns(points, (x, y), "funnel points")
    if limits_x is None:
        limits_x = next((c for c in ("Population", "Events", "Observed_events", "denominator", "events", x) if c in limits.columns), None)
    if limits_x is None or limits_x not in limits.columns:
        raise SunaError(f"The funnel limits table has no x column (Population, Events, Observed_events or {x!r}); "
                        f"it has: {', '.join(map(str, limits.columns))}.")
    present = [c for c in FUNNEL_LIMITS if c in limits.columns]
    if not any("limit" in c for c in present):
        raise SunaError("The funnel limits table has none of the limit columns of suna.indicators.stats.funnel_limits "
                        "(lower_limit_95, upper_limit_95, lower_limit_998, upper_limit_998).")
    long = limits[[limits_x, *present]].melt(id_vars=limits_x, var_name="limit", value_name="limit_value")
    long = long.rename(columns={limits_x: "limit_x"}).dropna(subset=["limit_value"])
    long["line"] = long["limit"].map(FUNNEL_LIMITS)
    long["limit_label"] = [fmt.format_number(v, 2) for v in long["limit_value"]]
    long["x_label"] = [fmt.format_number(v) for v in long["limit_x"]]

    shown = points.copy()
    if "value" not in shown.columns:
        shown["value"] = shown[y]
    if "area_code" not in shown.columns:
        shown["area_code"] = shown["area_name"] if "area_name" in shown.columns else shown.index.astype(str)
    shown = _display_frame(shown, area)
    pol = polarity if polarity is not None else (shown["polarity"].dropna().iloc[0] if "polarity" in shown.columns and shown["polarity"].notna().any() else None)
    if "significance" not in shown.columns and "funnel_significance" in shown.columns:
        shown["significance"] = shown["funnel_significance"]
    if "significance" in shown.columns:
        outcomes, positions = [], []
        for sig, sup in zip(shown["significance"], shown["is_suppressed"]):
            raw, where = _FUNNEL_POSITION.get(str(sig).strip().lower(), ("not compared", "not compared"))
            outcome = narrative.comparison_outcome(raw, pol) if raw != "not compared" else raw
            outcomes.append(_outcome_label(outcome, sup))
            positions.append(where)
        shown["outcome"] = outcomes
        shown["position"] = positions
    else:
        shown["position"] = shown["outcome"]
    shown[y] = pd.to_numeric(shown[y], errors="coerce").astype(float)
    shown.loc[shown["is_suppressed"], y] = float("nan")
    shown["x_label"] = [fmt.format_number(v) for v in shown[x]]
    placed = shown[shown[y].notna() & shown[x].notna()]
    if len(placed):  # draw the funnel over the areas' range, not from a denominator of 1 where it is unreadably wide
        low = float(pd.to_numeric(placed[x]).min()) * 0.5
        long = long[long["limit_x"] >= low]
    hidden = shown[~shown.index.isin(placed.index)]

    lines = _chart(long).mark_line(strokeWidth=1.25, color=OUTLINE).encode(
        x=alt.X("limit_x:Q", title=x_title or x.replace("_", " ").capitalize()),
        y=alt.Y("limit_value:Q", title=y_title or _measure_title(shown)),
        strokeDash=alt.StrokeDash("line:N", title="Control limits",
                                  scale=alt.Scale(domain=["Average", "95% limits", "99.8% limits"], range=[[1, 0], [6, 3], [2, 2]])),
        detail="limit:N",
        tooltip=_tooltip(("line", "Line"), ("x_label", "At"), ("limit_label", "Limit")),
    )
    dots = _chart(placed).mark_point(filled=True, size=80, stroke=OUTLINE, strokeWidth=1, opacity=1).encode(
        x=f"{x}:Q", y=f"{y}:Q",
        fill=alt.Fill("outcome:N", scale=_colour_scale(placed["outcome"], options.palette), title="Compared with the average"),
        tooltip=_tooltip(("area_label", "Area"), ("value_label", "Value"), ("x_label", x_title or x.replace("_", " ").capitalize()),
                         ("count_label", "Count"), ("position", "Position")),
    )
    chart = alt.layer(lines, dots).properties(**options.size(520, 340))
    foot = options.note(_default_footnote(shown))
    if len(hidden):
        names = ", ".join(f"{label} ({value})" for label, value in zip(hidden["area_label"], hidden["value_label"]))
        foot = f"{foot + ' ' if foot else ''}Not plotted: {names}."
    names = shown["indicator_name"].dropna() if "indicator_name" in shown.columns else pd.Series(dtype=object)
    title = f"{names.iloc[0]}: funnel plot" if len(names) else "Funnel plot"
    describe = "Funnel plot of each area's value against its size, inside 95% and 99.8% control limits; the figures are in the table below."
    return options.finish(chart, title, _shown_period(shown), foot, describe)
