"""The area profile as a spine chart (each indicator against England's spread) and the tartan rug of
the overview (every indicator for every area, coloured by comparison)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from suna.core.errors import SunaError, UnknownAreaError
from suna.model import formatting as fmt
from suna.presentation import narrative, responsive
from suna.presentation.charts.base import (ENGLAND_CODE, OUTLINE, ChartOptions, _alt, _chart, _colour_scale,
                                           _default_footnote, _display_frame, _latest_period, _palette, _period_text,
                                           _require_columns, _sort_key, _text_colour, _tooltip, assert_protected)

if TYPE_CHECKING:
    import altair as alt

    from suna.model.areas import Area

SPINE_DOMAIN = [-0.04, 1.04]  # a little room beyond the extremes so an end marker is drawn whole
LATEST_EACH = "the latest for each indicator, shown beside its name"
SPREAD_COLUMNS = ("tier_p5", "tier_q25", "tier_q75", "tier_p95")  # England's spread a spine row draws
_ROW_UNITS = {"proportion": "%", "crude_rate": "per 100,000", "dsr": "per 100,000, age-standardised"}


def _headline_rows(indicators: pd.DataFrame, rule: str | None, indicator_ids: Sequence[Any] | None) -> pd.DataFrame:
    """The protected table's headline rows (no breakdown; persons) of the indicators asked for (all by default)."""
    assert_protected(indicators, rule)
    _require_columns(indicators, ("indicator_id", "indicator_name", "area_code", "period", "value"), "indicators")
    table = narrative.headline_rows(indicators)
    if indicator_ids is not None:
        table = table[table["indicator_id"].astype(str).isin([str(i) for i in indicator_ids])]
    return table


def _row_label(name: Any, period_label: str, measure: Any) -> str:
    """A spine or rug row's label: the indicator, then its period and unit ("Deaths (2021 to 2023, per 100,000)")."""
    unit = _ROW_UNITS.get(str(measure).strip().lower()) if not fmt.is_missing(measure) else None
    return f"{name} ({period_label}, {unit})" if unit else f"{name} ({period_label})"


def _spread_at(england_spread: pd.DataFrame | None, indicator_id: Any, period: Any) -> dict[str, Any] | None:
    """England's spread of authorities for one indicator and period, or None where none is published."""
    if england_spread is None or england_spread.empty:
        return None
    hit = england_spread[(england_spread["indicator_id"].astype(str) == str(indicator_id))
                         & (england_spread["period"].astype(str) == str(period))]
    if hit.empty or hit[list(SPREAD_COLUMNS)].iloc[0].isna().any():
        return None
    return hit.iloc[0].to_dict()


def _spread_caption(spread_rows: pd.DataFrame) -> str:
    """Which authorities and which period make England's spread, for each indicator that has one."""
    parts = []
    for r in spread_rows.to_dict("records"):
        among = str(r.get("rank_among") or "authorities of the same tier")
        counted = f"the {int(r['rank_of'])} {among} with a value" if not fmt.is_missing(r.get("rank_of")) else f"all {among}"
        parts.append(f"{r['indicator_name']}, {r['period_label']}: {counted}")
    return ("Bars: the spread of England's authorities (light grey 5th to 95th percentile, dark grey 25th to 75th), "
            "from published figures for " + "; ".join(parts) + ".")


def spine_chart(
    indicators: pd.DataFrame,
    area_code: str,
    district_codes: Sequence[str] | None = None,
    period: str | None = None,
    *,
    england_spread: pd.DataFrame | None = None,
    indicator_ids: Sequence[Any] | None = None,
    area: Area | None = None,
    options: ChartOptions = ChartOptions(),
) -> alt.HConcatChart:
    """A Fingertips-style area profile: one row per indicator, England at the centre line.

    As Fingertips draws it: where published figures give the spread of England's authorities of the
    area's tier (``england_spread``: indicator_id, period, tier_p5, tier_q25, tier_q75, tier_p95, and
    rank_of and rank_among to say which authorities, as :func:`suna.indicators.published.ranks` gives
    them), a light bar spans their 5th to 95th percentile and a dark bar their 25th to 75th, worst on
    the left and best on the right (lowest to highest for indicators with no value judgement), scaled
    so England sits at the middle. Where no spread is published, the row shows only the area against
    England, its distance from the centre line being its difference as a share of England's value
    (the edges at 0 and twice England's); the caption says so. The area's marker is filled by its
    significance against England. ``district_codes`` is kept for callers; the districts are the rug's.
    """
    alt = _alt()
    table = _headline_rows(indicators, options.rule, indicator_ids)
    if area_code not in set(table["area_code"]):
        raise UnknownAreaError(area_code, sorted(table["area_code"].astype(str).unique()), kind="area code in the indicators table")
    rows = []
    for indicator_id, group in table.groupby("indicator_id", sort=False):
        own = group[group["area_code"] == area_code]
        if own.empty:
            continue
        chosen = str(period) if period is not None else _latest_period(own)
        at = group[group["period"].astype(str) == str(chosen)]
        mine = _display_frame(at[at["area_code"] == area_code], area)
        if mine.empty:
            mine = _display_frame(own.iloc[:1].assign(value=float("nan"), period=chosen), area)
        me = mine.iloc[0]
        eng = _display_frame(at[at["area_code"] == ENGLAND_CODE], area)
        eng_value = eng["value"].iloc[0] if len(eng) else float("nan")
        pol = narrative.polarity_of(me.get("polarity"))
        sign = -1.0 if pol == "high_is_bad" else 1.0
        spread = _spread_at(england_spread, indicator_id, me["period"])
        ends = [spread["tier_p5"], spread["tier_p95"]] if spread else []
        gaps = [abs(v - eng_value) for v in [*ends, me["value"]] if not fmt.is_missing(v) and not fmt.is_missing(eng_value)]
        half = (max(gaps) if gaps and max(gaps) > 0 else 1.0) if spread else (abs(eng_value) if not fmt.is_missing(eng_value) and eng_value else 1.0)

        def pos(value: float, eng_value: float = eng_value, sign: float = sign, half: float = half) -> float:
            if fmt.is_missing(value) or fmt.is_missing(eng_value):
                return float("nan")
            return min(1.0, max(0.0, 0.5 + sign * (value - eng_value) / (2 * half)))

        def shown(value: Any, me: pd.Series = me) -> str:
            return narrative.value_text({**me.to_dict(), "value": value, "count_display": None, "is_suppressed": False})

        rows.append({
            "indicator": _row_label(me["indicator_name"], me["period_label"], me.get("measure")),
            "indicator_name": me["indicator_name"], "period_label": me["period_label"],
            "area_label": me["area_label"], "value_label": me["value_label"], "ci_label": me["ci_label"],
            "outcome": me["outcome"], "is_suppressed": bool(me["is_suppressed"]),
            "value_note": me.get("value_note"),
            "england_label": eng["value_label"].iloc[0] if len(eng) else fmt.NOT_AVAILABLE,
            "spread_label": (f"middle half {shown(spread['tier_q25'])} to {shown(spread['tier_q75'])}; "
                             f"5th to 95th percentile {shown(spread['tier_p5'])} to {shown(spread['tier_p95'])}")
            if spread else "not published for every authority",
            "rank_of": spread.get("rank_of") if spread else None,
            "rank_among": spread.get("rank_among") if spread else None,
            "area_pos": pos(me["value"]) if not me["is_suppressed"] else float("nan"),
            **{f"{c}_pos": (pos(spread[c]) if spread else float("nan")) for c in SPREAD_COLUMNS},
            "period": me["period"], "sort_key": _sort_key(mine).iloc[0],
        })
    if not rows:
        raise SunaError(f"No indicators to profile for {area_code}.")
    spine = pd.DataFrame(rows)
    order = spine["indicator"].tolist()
    y = alt.Y("indicator:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    tips = _tooltip(("indicator", "Indicator"), ("value_label", "Area value"), ("ci_label", "Confidence interval"),
                    ("england_label", "England"), ("spread_label", "England's authorities"),
                    ("outcome", "Compared with England"))
    scale = alt.Scale(domain=SPINE_DOMAIN)
    spread_rows = spine.dropna(subset=[f"{c}_pos" for c in SPREAD_COLUMNS])
    layers = []
    if len(spread_rows):
        layers.append(_chart(spread_rows).mark_bar(color="#D9D9D9", height=14).encode(
            x=alt.X("tier_p5_pos:Q", scale=scale, axis=None, title=None), x2="tier_p95_pos:Q", y=y, tooltip=tips))
        layers.append(_chart(spread_rows).mark_bar(color="#8C8C8C", height=14).encode(
            x=alt.X("tier_q25_pos:Q", scale=scale, axis=None, title=None), x2="tier_q75_pos:Q", y=y, tooltip=tips))
    layers.append(_chart(pd.DataFrame({"x": [0.5], "label": ["England"]})).mark_rule(color="#000000", strokeWidth=2).encode(
        x=alt.X("x:Q", scale=scale, axis=None), tooltip=_tooltip(("label", "Centre line"))))
    marked = spine.dropna(subset=["area_pos"])
    layers.append(_chart(marked).mark_point(filled=True, size=130, stroke=OUTLINE, strokeWidth=1, opacity=1).encode(
        x=alt.X("area_pos:Q", scale=scale, axis=None), y=y,
        fill=alt.Fill("outcome:N", scale=_colour_scale(marked["outcome"], options.palette), title="Compared with England"),
        tooltip=tips,
    ))
    gaps = spine[spine["area_pos"].isna()].assign(
        gap_text=lambda g: [fmt.SUPPRESSED if s else "not compared with England" for s in g["is_suppressed"]])
    if len(gaps):
        layers.append(_chart(gaps).mark_text(align="left", dx=6, fontStyle="italic", color=OUTLINE, fontSize=11).encode(
            x=alt.value(0), y=y, text="gap_text:N", tooltip=tips))
    spine_layer = alt.layer(*layers).properties(width=options.width or 320, height=alt.Step(26), title="Worst or lowest ← England → best or highest")

    def column(field: str, heading: str) -> Any:
        return _chart(spine).mark_text(align="right", fontSize=11).encode(
            y=alt.Y("indicator:N", sort=order, axis=None), text=f"{field}:N", tooltip=tips,
        ).properties(width=110, height=alt.Step(26), title=heading)

    area_name = spine["area_label"].iloc[0]
    chart = alt.hconcat(column("value_label", area_name), column("england_label", "England"), spine_layer, spacing=8)
    narrow = _spine_narrow(spine, order, spread_rows, tips, options.palette)
    foot = options.note(_default_footnote(spine.assign(area_label=spine["indicator"]), "area_label"))
    period = _period_text(spine["period"], spine["sort_key"]) if spine["period"].nunique() == 1 else LATEST_EACH
    reading = []
    if len(spread_rows):
        reading.append(_spread_caption(spread_rows))
    if len(spread_rows) < len(spine):
        reading.append(f"{len(spine) - len(spread_rows)} of {len(spine)} indicators have no published figures for every "
                       "English authority: those rows show the area against "
                       "England only, the marker's distance from the centre line being its difference as a share of "
                       "England's value.")
    reading.append("Marker: the area, filled by its significance against England (95%).")
    describe = (f"Spine chart of {len(order)} indicators: {area_name}'s value against England's"
                + (f", with the spread of England's authorities for {len(spread_rows)} of them" if len(spread_rows) else "")
                + "; the figures are in the table below.")
    return options.finish(chart, f"Area profile: {area_name}", period, foot, describe, reading, narrow=narrow)


NARROW_LABEL_CHARS = 50  # characters of a spine row's name a line on a phone (11 px text in 340 px)


def _spine_narrow(spine: pd.DataFrame, order: list[str], spread_rows: pd.DataFrame, tips: list[Any], palette: str) -> Any:
    """The spine chart for a phone: each row its name (two lines at most), then the area's and England's values,
    then the spine itself, one under another in one view that fills the width."""
    alt = _alt()
    rows = spine.assign(
        name_text=["\n".join(_two_lines(label)) for label in spine["indicator"]],
        values_text=[f"{a}: {v}; England: {e}" for a, v, e in zip(spine["area_label"], spine["value_label"], spine["england_label"])])
    y = alt.Y("indicator:N", sort=order, title=None, axis=None)
    scale = alt.Scale(domain=SPINE_DOMAIN)
    bar_at = 20  # px below the row's middle: the spine's own line
    layers = [
        _chart(rows).mark_text(align="left", baseline="top", fontSize=11, lineBreak="\n", yOffset=-30).encode(
            x=alt.value(0), y=y, text="name_text:N", tooltip=tips),
        _chart(rows).mark_text(align="left", baseline="top", fontSize=11, fontWeight="bold", yOffset=-2).encode(
            x=alt.value(0), y=y, text="values_text:N", tooltip=tips),
    ]
    if len(spread_rows):
        for start, end, colour in (("tier_p5_pos", "tier_p95_pos", "#D9D9D9"), ("tier_q25_pos", "tier_q75_pos", "#8C8C8C")):
            layers.append(_chart(spread_rows).mark_bar(color=colour, height=10, yOffset=bar_at).encode(
                x=alt.X(f"{start}:Q", scale=scale, axis=None, title=None), x2=f"{end}:Q", y=y, tooltip=tips))
    layers.append(_chart(rows).mark_tick(color="#000000", thickness=2, size=18, yOffset=bar_at).encode(
        x=alt.X("centre:Q", scale=scale, axis=None), y=y, tooltip=tips).transform_calculate(centre="0.5"))
    marked = rows.dropna(subset=["area_pos"])
    layers.append(_chart(marked).mark_point(filled=True, size=110, stroke=OUTLINE, strokeWidth=1, opacity=1, yOffset=bar_at).encode(
        x=alt.X("area_pos:Q", scale=scale, axis=None), y=y,
        fill=alt.Fill("outcome:N", scale=_colour_scale(marked["outcome"], palette), title="Compared with England"), tooltip=tips))
    return alt.layer(*layers).properties(width=responsive.NARROW_WIDTH - 12, height=alt.Step(66))  # 12: Vega's padding


def _two_lines(text: str) -> list[str]:
    lines = textwrap.wrap(text, NARROW_LABEL_CHARS, break_long_words=False)
    return lines if len(lines) <= 2 else [lines[0], textwrap.shorten(" ".join(lines[1:]), NARROW_LABEL_CHARS, placeholder=" …")]


def overview_rug(
    indicators: pd.DataFrame,
    area_codes: Sequence[str] | None = None,
    period: str | None = None,
    *,
    indicator_ids: Sequence[Any] | None = None,
    area: Area | None = None,
    options: ChartOptions = ChartOptions(),
) -> alt.LayerChart:
    """A Fingertips "tartan rug": indicators (rows) by areas (columns), each cell coloured by its
    significance against England and showing its value; England's column is the benchmark.

    Suppressed cells show "*" (explained in the caption and tooltip); cells with no value "n/a".
    """
    alt = _alt()
    table = _headline_rows(indicators, options.rule, indicator_ids)
    if area_codes is None:
        codes = table["area_code"].astype(str)
        area_codes = list(dict.fromkeys(codes[codes != ENGLAND_CODE]))
    columns = [ENGLAND_CODE, *[c for c in area_codes if c != ENGLAND_CODE]]
    colours = _palette(options.palette)
    cells = []
    for _, group in table.groupby("indicator_id", sort=False):
        chosen = str(period) if period is not None else _latest_period(group)
        at = _display_frame(group[(group["period"].astype(str) == chosen) & group["area_code"].isin(columns)], area)
        label = _row_label(group["indicator_name"].iloc[0], fmt.format_period(chosen),
                           group["measure"].iloc[0] if "measure" in group.columns else None)
        for code in columns:
            hit = at[at["area_code"] == code]
            if hit.empty:
                continue
            cell = hit.iloc[0]
            outcome = "Benchmark" if code == ENGLAND_CODE and not cell["is_suppressed"] else cell["outcome"]
            short = ("*" if cell["is_suppressed"] else "n/a" if fmt.is_missing(cell["value"])
                     else fmt.format_value(cell["value"], cell.get("measure"), unit=False))
            cells.append({"indicator": label, "area_label": cell["area_label"], "outcome": outcome, "cell_text": short,
                          "value_label": cell["value_label"], "ci_label": cell["ci_label"], "period": cell["period"],
                          "is_suppressed": bool(cell["is_suppressed"]), "value_note": cell.get("value_note"),
                          "text_colour": _text_colour(colours[outcome])})
    if not cells:
        raise SunaError("No indicator values for the areas asked for.")
    rug = pd.DataFrame(cells)
    x_order = list(dict.fromkeys(rug.set_index("area_label").index))
    y_order = list(dict.fromkeys(rug["indicator"]))
    tips = _tooltip(("indicator", "Indicator"), ("area_label", "Area"), ("value_label", "Value"),
                    ("ci_label", "Confidence interval"), ("outcome", "Compared with England"))
    fill_scale = _colour_scale(rug["outcome"], options.palette)

    def panels(size: int, label_limit: int, step: int, angle: int) -> Any:
        y = alt.Y("indicator:N", sort=y_order, title=None, axis=alt.Axis(labelLimit=label_limit))
        drawn = []
        for part in _rug_columns(x_order, size):  # England then at most ``size`` areas a panel, so the page need not shrink it
            cells = rug[rug["area_label"].isin(part)]
            x = alt.X("area_label:N", sort=part, title=None, axis=alt.Axis(orient="top", labelAngle=angle, labelLimit=label_limit))
            rects = _chart(cells).mark_rect(stroke=OUTLINE, strokeWidth=0.5).encode(
                x=x, y=y, fill=alt.Fill("outcome:N", scale=fill_scale, title="Compared with England"), tooltip=tips)
            text = _chart(cells).mark_text(fontSize=11).encode(
                x=x, y=y, text="cell_text:N", color=alt.Color("text_colour:N", scale=None), tooltip=tips)
            drawn.append(alt.layer(rects, text).properties(width=alt.Step(step), height=alt.Step(26)))
        return drawn[0] if len(drawn) == 1 else alt.vconcat(*drawn, spacing=16)

    period = _period_text(rug["period"]) if rug["period"].nunique() == 1 else LATEST_EACH
    reading = ["* not shown to protect privacy; n/a not available. Significance at 95% against England's value."]
    describe = (f"Grid of {len(y_order)} indicators by {len(x_order)} areas, each cell coloured by comparison with England; "
                "the figures are in the table below.")
    # On a phone: four areas a panel beside England, names cut shorter, column names upright.
    narrow = panels(RUG_NARROW_COLUMNS, responsive.LABEL_LIMIT, 36, -90)
    return options.finish(panels(RUG_COLUMNS, 340, 48, -40), "Overview: indicators compared with England", period,
                          options.note(_default_footnote(rug)), describe, reading, narrow=narrow)


RUG_COLUMNS = 14  # areas in one panel of a tartan rug: with its labels it fits a 1280 px page at full size
RUG_NARROW_COLUMNS = 4  # on a phone (suna.presentation.responsive): England and four areas a panel


def _rug_columns(order: Sequence[str], size: int = RUG_COLUMNS) -> list[list[str]]:
    """The rug's columns in panels: the first column (England, the benchmark) heads every panel."""
    first, rest = list(order[:1]), list(order[1:])
    if len(rest) <= size:
        return [list(order)]
    count = -(-len(rest) // size)
    size = -(-len(rest) // count)  # even panels: 3 of 13 rather than 14, 14 and 11
    return [first + rest[i:i + size] for i in range(0, len(rest), size)]
