"""Altair charts for SUNA: trend, compare areas, funnel, spine, tartan rug, shares, pyramid, flows, cascade.

Every chart here:
- refuses a frame that has not passed disclosure control (``suna.disclosure.assert_protected``);
- shows suppressed values as the word "suppressed" (or "*" in a dense grid), never as zero or a gap
  without explanation;
- carries a title and, as its subtitle, the source, the period and the suppression footnote;
- has a tooltip on every mark, with numbers formatted by ``suna.formatting``;
- uses colour-blind-safe colours and never colour alone (legend words, tooltips, outlines, labels).

Colours. Fingertips' own significance colours (better #92D050, similar #FFC000, worse #C00000;
lower #5555E6, higher #C2CCFF for "no judgement") are available as ``palette="fingertips"``, but
simulated protanopia (Machado et al. 2009) brings its better and similar within a CIELAB ΔE of 15,
and three of them fall below WCAG 2.1's 3:1 contrast for graphics on white. The default
``palette="accessible"`` keeps the familiar meaning (green-ish better, amber similar, red worse, blue
lower, orange higher) with colours from ColorBrewer (Brewer 2003) and the Government Analysis
Function's chart palette: every pair stays at ΔE ≥ 21 under simulated protanopia, deuteranopia and
tritanopia, and every mark gets a dark outline so the light "similar" and "not compared" fills
still meet 3:1 against the page.
"""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from suna import formatting as fmt
from suna import narrative, responsive
from suna.errors import DisclosureError, SunaError, UnknownAreaError

if TYPE_CHECKING:
    import altair as alt

    from suna.areas import Area

log = logging.getLogger(__name__)

ENGLAND_CODE = narrative.ENGLAND_CODE
DEFAULT_SOURCE = "SUNA calculations"

# Significance palettes: label -> colour. Order is the legend order.
PALETTES: dict[str, dict[str, str]] = {
    "accessible": {
        "Better": "#1B9E77",        # ColorBrewer Dark2 teal-green
        "Similar": "#FFD966",       # pale amber
        "Worse": "#B2182B",         # ColorBrewer RdBu dark red
        "Lower": "#12436D",         # Analysis Function dark blue
        "Higher": "#F46A25",        # Analysis Function orange
        "Not compared": "#DDDDDD",  # light grey
        "Suppressed": "#FFFFFF",    # white, outlined and labelled
        "Benchmark": "#F2F2F2",     # the England column of a tartan rug
    },
    "fingertips": {
        "Better": "#92D050",
        "Similar": "#FFC000",
        "Worse": "#C00000",
        "Lower": "#5555E6",
        "Higher": "#C2CCFF",
        "Not compared": "#C9C9C9",
        "Suppressed": "#FFFFFF",
        "Benchmark": "#F2F2F2",
    },
}
OUTLINE = "#3D3D3D"  # Analysis Function dark grey: 11:1 against white
# Government Analysis Function categorical palette ("main6"), in its order.
CATEGORICAL = ["#12436D", "#28A197", "#801650", "#F46A25", "#3D3D3D", "#A285D1"]
SEQUENTIAL = ["#D6E9F8", "#6BACE6", "#2073BC", "#12436D"]  # light end added to the AF sequential blues
SERIES_COLOURS = ["#12436D", "#3D3D3D", "#A285D1", "#28A197", "#801650"]  # area, England, region, others
SERIES_DASHES = [[1, 0], [6, 3], [2, 2], [8, 2, 2, 2], [4, 4]]


# --------------------------------------------------------------------------------------------------
# Disclosure gate
# --------------------------------------------------------------------------------------------------
def assert_protected(frame: pd.DataFrame, rule: str | None = None, count_cols: Sequence[str] = ("count",)) -> pd.DataFrame:
    """Refuse a frame that has not passed disclosure control; return it unchanged otherwise.

    The frame must hold its counts and the ``<count>_display`` column that ``suna.disclosure``
    (``protect_table`` / ``protect_indicators``) adds, and pass ``suna.disclosure.assert_protected``
    (no count the rule suppresses, no value beside a hidden count). ``rule`` names the rule for every
    row; by default each row's ``disclosure_rule``.

    Raises:
        DisclosureError: no count column, no display column, or a count or value that would disclose.
    """
    from suna import disclosure

    present = [c for c in count_cols if c in frame.columns]
    if not present:
        raise DisclosureError(
            f"The table to chart has no count column ({', '.join(map(repr, count_cols))}), so it cannot be "
            "checked for disclosure. Keep the counts (as protected by suna.disclosure) beside the values.")
    unchecked = [c for c in present if f"{c}_display" not in frame.columns]
    if unchecked:
        raise DisclosureError(
            f"The table to chart has not been through disclosure control: it has no "
            f"{', '.join(repr(c + '_display') for c in unchecked)} column. Pass it through "
            "suna.disclosure.protect_table or protect_indicators first.")
    return disclosure.assert_protected(frame, rule, count_cols=present)


# --------------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------------
def _alt() -> Any:
    import altair as alt  # noqa: PLC0415  (heavy: imported when a chart is drawn)

    return alt


def _chart(data: pd.DataFrame) -> Any:
    """``alt.Chart`` on a copy whose missing cells become JSON null, never NaN.

    Altair 6 writes a missing cell of a mixed object column (text and None) as NaN, which is not JSON;
    giving such columns pandas' string dtype (or a float dtype when they hold numbers) avoids it.
    """
    frame = data.copy()
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values) or values.dtype == "str":
            continue
        numbers = pd.to_numeric(values, errors="coerce")
        if values.notna().any() and numbers.notna().sum() == values.notna().sum():
            frame[column] = numbers.astype(float)
        else:
            frame[column] = values.astype("str")
    return _alt().Chart(frame)


def _palette(name: str) -> dict[str, str]:
    if name not in PALETTES:
        raise SunaError(f"Unknown chart palette {name!r}; expected one of: {', '.join(PALETTES)}.")
    return PALETTES[name]


def _colour_scale(labels: Iterable[str], palette: str) -> Any:
    """A fixed label -> colour scale holding only the labels present (so the legend lists only those)."""
    colours = _palette(palette)
    present = [label for label in colours if label in set(labels)]
    return _alt().Scale(domain=present, range=[colours[label] for label in present])


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SunaError(f"The {what} table has no column {', '.join(repr(c) for c in missing)}; "
                        f"it has: {', '.join(map(str, frame.columns))}.")


def _outcome_label(outcome: str | None, suppressed: bool = False) -> str:
    if suppressed:
        return "Suppressed"
    if outcome is None or outcome == "not compared":
        return "Not compared"
    return outcome.capitalize()


def _period_text(periods: Iterable[Any], sortable: Iterable[Any] | None = None) -> str:
    """The period(s) a chart covers: "2023/24", "2019/20 to 2023/24", or for pooled periods
    "4 periods, 2018 to 2020 up to 2021 to 2023" (never the ambiguous "2018 to 2020 to 2021 to 2023")."""
    values = [p for p in periods if not fmt.is_missing(p)]
    if not values:
        return fmt.NOT_AVAILABLE
    keys = list(sortable) if sortable is not None else values
    order = pd.DataFrame({"period": values, "key": [k for p, k in zip(periods, keys) if not fmt.is_missing(p)]})
    order = order.drop_duplicates("period").sort_values("key", kind="stable")
    labels = [fmt.format_period(p) for p in order["period"]]
    if len(labels) == 1:
        return labels[0]
    if any(" to " in label for label in labels):
        return f"{len(labels)} periods, {labels[0]} up to {labels[-1]}"
    return f"{labels[0]} to {labels[-1]}"


SPINE_DOMAIN = [-0.04, 1.04]  # a little room beyond the extremes so an end marker is drawn whole
LATEST_EACH = "the latest for each indicator, shown beside its name"


def _default_footnote(frame: pd.DataFrame, label_column: str = "area_label") -> str | None:
    """A footnote naming what was suppressed, and what is not available and why, when the caller gave none.

    Suppressed cells are named without a reason per cell: saying which were hidden for being small
    and which to protect another would narrow them down. Pass ``Protected.footnote`` for the rules.
    """
    parts = []
    labels = frame[label_column].astype(str) if label_column in frame.columns else pd.Series("", index=frame.index)
    hidden = frame["is_suppressed"].astype(bool) if "is_suppressed" in frame.columns else pd.Series(False, index=frame.index)
    if hidden.any():
        names = list(dict.fromkeys(labels[hidden]))
        text = f"{PRIVACY_WORDS} (small numbers)"
        if any(names):
            text += ": " + ", ".join(names[:12]) + (" and others" if len(names) > 12 else "")
        parts.append(text + ".")
    if "value" in frame.columns and "value_note" in frame.columns:
        gaps = frame[~hidden & frame["value"].isna() & frame["value_note"].map(lambda n: not fmt.is_missing(n))]
        notes = [f"{label} ({str(note).strip().rstrip('.')})" for label, note in
                 dict.fromkeys(zip(labels[gaps.index], gaps["value_note"]))]
        if notes:
            parts.append("Not available: " + "; ".join(notes[:12]) + ".")
    return " ".join(parts) or None


CAPTION_KEY = "suna_caption"  # the spec's usermeta key holding the caption lines (Vega ignores usermeta)
PRIVACY_WORDS = "Not shown to protect privacy"


def _caption(source: str, period: str, footnote: str | None) -> list[str]:
    """The lines printed under a chart (as HTML, by ``suna.outputs``): source, period, then each note.

    One line each, never wrapped here: the page wraps them to its own width.
    """
    lines = [f"Source: {str(source).strip().rstrip('.')}.", f"Period: {period}."]
    if footnote:
        lines.append(str(footnote).strip())
    return lines


def _title(title: str) -> Any:
    return _alt().TitleParams(text=title, anchor="start", fontSize=15, limit=0)


def _finish(chart: Any, title: str, caption: list[str], describe: str = "", narrow: Any = None) -> Any:
    """Title, caption (in usermeta, drawn as HTML under the chart), description and quiet defaults.

    Sources and notes sit under the chart as HTML rather than in a Vega subtitle: a long source list
    inside the chart widened it, so the page drew it shrunk (issue 15). The description becomes the
    SVG's accessible name: the title and one sentence saying what the chart shows. ``narrow``, a
    chart's own design for a phone, is finished the same way and kept in the usermeta, where
    ``suna.responsive`` finds it.
    """
    sentence = f" {describe.strip()}" if describe else ""
    meta: dict[str, Any] = {CAPTION_KEY: list(caption)}
    if narrow is not None:
        meta[responsive.NARROW_KEY] = {k: v for k, v in _finish(narrow, title, caption, describe).to_dict().items()
                                       if k != "usermeta"}
    return (
        chart.properties(title=_title(title), description=f"{title}.{sentence}", usermeta=meta)
        .configure_view(stroke=None)
        .configure_mark(aria=False)  # the chart is one image named by its description; its figures are in the table
        .configure_axis(labelFontSize=11, titleFontSize=12, labelLimit=260)
        .configure_legend(labelFontSize=11, titleFontSize=12, labelLimit=260, titleLimit=480, orient="bottom", direction="horizontal",
                          columns=3)
        .configure_title(subtitleFontSize=11)
    )


def caption(chart_or_spec: Any) -> list[str]:
    """The caption lines of a chart made here (or of its spec): source, period and notes."""
    spec = chart_or_spec if isinstance(chart_or_spec, dict) else chart_or_spec.to_dict()
    meta = spec.get("usermeta") or {}
    return list(meta.get(CAPTION_KEY, []))


def _text_colour(background: str) -> str:
    """Black or white text, whichever has the higher WCAG contrast with the fill."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(background[i:i + 2], 16) / 255) for i in (1, 3, 5))
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#FFFFFF"


def _names(frame: pd.DataFrame, area: Area | None) -> pd.Series:
    """Official area names: from the Area's hierarchy when given, else the table's area_name."""
    from_table = frame["area_name"] if "area_name" in frame.columns else frame["area_code"]
    if area is None:
        return from_table.where(from_table.notna(), frame["area_code"]).astype(str)
    labels = []
    for code, fallback in zip(frame["area_code"], from_table):
        try:
            labels.append(fmt.area_label(str(code), area))
        except UnknownAreaError:
            labels.append(str(fallback if not fmt.is_missing(fallback) else code))
    return pd.Series(labels, index=frame.index, dtype=object)


def _display_frame(frame: pd.DataFrame, area: Area | None = None) -> pd.DataFrame:
    """A copy with the display columns every chart uses (labels, formatted values, outcome words)."""
    out = frame.copy()
    if "area_code" in out.columns:
        out["area_label"] = _names(out, area)
    records = out.to_dict("records")
    out["is_suppressed"] = [narrative.is_suppressed(r) for r in records]
    out["value_label"] = [narrative.value_text(r) for r in records]
    out["period_label"] = [fmt.format_period(r.get("period")) for r in records]
    out["ci_label"] = [
        fmt.format_ci(r.get("value_lower_ci95"), r.get("value_upper_ci95"), r.get("measure"))
        if not r_sup else fmt.SUPPRESSED
        for r, r_sup in zip(records, out["is_suppressed"])
    ]
    out["count_label"] = [
        fmt.SUPPRESSED if r_sup else fmt.format_count(r.get("count"), r.get("count_display"))
        for r, r_sup in zip(records, out["is_suppressed"])
    ]
    out["outcome"] = [
        _outcome_label(narrative.comparison_outcome(r.get("compared_to_england"), r.get("polarity")), s)
        for r, s in zip(records, out["is_suppressed"])
    ]
    for column in ("value", "value_lower_ci95", "value_upper_ci95"):
        if column in out.columns:
            out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
            out.loc[out["is_suppressed"], column] = float("nan")  # belt and braces: never plot a suppressed value
    for column in ("compared_to_england", "compared_to_region", "recent_trend"):
        if column in out.columns:  # a hidden value's comparison or trend would say which side of England it lies
            out[column] = out[column].astype(object).where(~out["is_suppressed"], None)
    return out


def _indicator_rows(indicators: pd.DataFrame, indicator_id: Any) -> pd.DataFrame:
    _require_columns(indicators, ("indicator_id", "indicator_name", "area_code", "period", "value"), "indicators")
    rows = indicators[indicators["indicator_id"].astype(str) == str(indicator_id)]
    if rows.empty:
        known = list(dict.fromkeys(indicators["indicator_id"].astype(str)))
        raise UnknownAreaError(str(indicator_id), known, kind="indicator id in the indicators table")
    return narrative.headline_rows(rows)


def _sort_key(rows: pd.DataFrame) -> pd.Series:
    if "period_sortable" in rows.columns and rows["period_sortable"].notna().all():
        return rows["period_sortable"]
    return rows["period"].astype(str)


def _latest_period(rows: pd.DataFrame) -> Any:
    key = _sort_key(rows)
    return rows.loc[key == key.max(), "period"].iloc[0]


def _tooltip(*fields: tuple[str, str]) -> list[Any]:
    alt = _alt()
    return [alt.Tooltip(f"{field}:N", title=title) for field, title in fields]


def _measure_title(rows: pd.DataFrame) -> str:
    measure = str(rows["measure"].dropna().iloc[0]).lower() if "measure" in rows.columns and rows["measure"].notna().any() else ""
    return {"proportion": "Percentage", "crude_rate": "Rate per 100,000", "dsr": "Rate per 100,000 (age-standardised)",
            "count": "Count"}.get(measure, "Value")


# --------------------------------------------------------------------------------------------------
# Trend
# --------------------------------------------------------------------------------------------------
def trend_chart(
    indicators: pd.DataFrame,
    indicator_id: Any,
    area_code: str,
    comparators: Sequence[str] = (ENGLAND_CODE,),
    *,
    area: Area | None = None,
    title: str | None = None,
    source: str = DEFAULT_SOURCE,
    footnote: str | None = None,
    palette: str = "accessible",
    rule: str | None = None,
    width: int = 560,
    height: int = 300,
) -> alt.LayerChart:
    """Value over time with 95% confidence intervals, against England and region lines.

    The area's points are filled by their significance against England; suppressed periods show the
    word "suppressed" along the foot of the chart, never a zero.
    """
    alt = _alt()
    assert_protected(indicators, rule)
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
        fill=alt.Fill("outcome:N", scale=_colour_scale(local_plotted["outcome"], palette), title="Compared with England"),
        tooltip=tips,
    )
    gaps = local[local["is_suppressed"] | local["value"].isna()]
    notes = _chart(gaps).mark_text(angle=270, align="left", baseline="middle", fontSize=11, color=OUTLINE).encode(
        x=x, y=alt.value(height - 6), text="value_label:N", tooltip=tips,
    )
    layers = [lines, errors, points] + ([notes] if len(gaps) else [])
    chart = alt.layer(*layers).properties(width=width, height=height)
    area_name = local["area_label"].iloc[0]
    foot = footnote if footnote is not None else _default_footnote(local)
    caption = _caption(source, _period_text(rows["period"], rows["sort_key"]), foot)
    others = " and ".join(series_order[1:])
    describe = (f"Line chart of {name} in {area_name}" + (f" beside {others}" if others else "")
                + f", {_period_text(rows['period'], rows['sort_key'])}, with 95% confidence intervals; the figures are in the table below.")
    return _finish(chart, title or f"{name}: {area_name}", caption, describe)


# --------------------------------------------------------------------------------------------------
# Compare areas
# --------------------------------------------------------------------------------------------------
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
    title: str | None = None,
    source: str = DEFAULT_SOURCE,
    footnote: str | None = None,
    palette: str = "accessible",
    rule: str | None = None,
    width: int = 480,
) -> alt.LayerChart:
    """Districts ranked by value, bars coloured by significance against England, with 95% CIs.

    A suppressed or missing district keeps its row, labelled "suppressed" / "not available", with
    no bar. ``area_codes`` defaults to the area's districts (when ``area`` is given), else every area
    in the table that is not England or a region.
    """
    alt = _alt()
    assert_protected(indicators, rule)
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
        fill=alt.Fill("outcome:N", scale=_colour_scale(bars_data["outcome"], palette), title="Compared with England"),
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
    chart = alt.layer(*layers).properties(width=width, height=alt.Step(22))
    foot = footnote if footnote is not None else _default_footnote(shown)
    describe = (f"Bar chart ranking {len(order)} areas by {name} in {fmt.format_period(period)}, coloured by comparison with "
                "England, with 95% confidence intervals; the figures are in the table below.")
    return _finish(chart, title or f"{name}, {fmt.format_period(period)}", _caption(source, fmt.format_period(period), foot), describe)


# --------------------------------------------------------------------------------------------------
# Funnel
# --------------------------------------------------------------------------------------------------
FUNNEL_LIMITS = {  # PHStatsMethods.calculate_funnel_limits column -> label
    "lower_2s_limit": "95% limits", "upper_2s_limit": "95% limits",
    "lower_3s_limit": "99.8% limits", "upper_3s_limit": "99.8% limits",
    "baseline": "Average",
    # the same limits as suna.stats.funnel_limits names them
    "lower_limit_95": "95% limits", "upper_limit_95": "95% limits",
    "lower_limit_998": "99.8% limits", "upper_limit_998": "99.8% limits",
}
_FUNNEL_POSITION = {
    "high (0.001)": ("higher", "above the upper 99.8% limit"),
    "high (0.025)": ("higher", "above the upper 95% limit"),
    "low (0.001)": ("lower", "below the lower 99.8% limit"),
    "low (0.025)": ("lower", "below the lower 95% limit"),
    "not significant": ("similar", "within the 95% limits"),
    # the same positions as suna.stats.funnel_significance words them
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
    title: str | None = None,
    source: str = DEFAULT_SOURCE,
    footnote: str | None = None,
    palette: str = "accessible",
    rule: str | None = None,
    width: int = 520,
    height: int = 340,
) -> alt.LayerChart:
    """Areas' values against their size, inside 95% and 99.8% control limits computed elsewhere.

    ``limits`` is PHStatsMethods.calculate_funnel_limits output (x column Population / Events /
    Observed_events, or ``limits_x``; lower/upper_2s_limit = 95%, lower/upper_3s_limit = 99.8%,
    baseline). ``points`` may carry PHStatsMethods' ``significance`` ("High (0.001)" ...) or a
    ``compared_to_england`` column; with ``polarity`` high/low become worse/better. Suppressed points
    cannot be placed and are named in the caption instead.
    """
    alt = _alt()
    assert_protected(points, rule)
    _require_columns(points, (x, y), "funnel points")
    if limits_x is None:
        limits_x = next((c for c in ("Population", "Events", "Observed_events", "denominator", "events", x) if c in limits.columns), None)
    if limits_x is None or limits_x not in limits.columns:
        raise SunaError(f"The funnel limits table has no x column (Population, Events, Observed_events or {x!r}); "
                        f"it has: {', '.join(map(str, limits.columns))}.")
    present = [c for c in FUNNEL_LIMITS if c in limits.columns]
    if not any("limit" in c for c in present):
        raise SunaError("The funnel limits table has none of the limit columns of suna.stats.funnel_limits "
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
        fill=alt.Fill("outcome:N", scale=_colour_scale(placed["outcome"], palette), title="Compared with the average"),
        tooltip=_tooltip(("area_label", "Area"), ("value_label", "Value"), ("x_label", x_title or x.replace("_", " ").capitalize()),
                         ("count_label", "Count"), ("position", "Position")),
    )
    chart = alt.layer(lines, dots).properties(width=width, height=height)
    foot = footnote if footnote is not None else _default_footnote(shown)
    if len(hidden):
        names = ", ".join(f"{label} ({value})" for label, value in zip(hidden["area_label"], hidden["value_label"]))
        foot = f"{foot + ' ' if foot else ''}Not plotted: {names}."
    period = _period_text(shown["period"]) if "period" in shown.columns else fmt.NOT_AVAILABLE
    if title is None:
        names = shown["indicator_name"].dropna() if "indicator_name" in shown.columns else pd.Series(dtype=object)
        title = f"{names.iloc[0]}: funnel plot" if len(names) else "Funnel plot"
    describe = "Funnel plot of each area's value against its size, inside 95% and 99.8% control limits; the figures are in the table below."
    return _finish(chart, title, _caption(source, period, foot), describe)


# --------------------------------------------------------------------------------------------------
# Spine chart (area profile) and tartan rug (overview)
# --------------------------------------------------------------------------------------------------
SPREAD_COLUMNS = ("tier_p5", "tier_q25", "tier_q75", "tier_p95")  # England's spread a spine row draws
_ROW_UNITS = {"proportion": "%", "crude_rate": "per 100,000", "dsr": "per 100,000, age-standardised"}


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
    title: str | None = None,
    source: str = DEFAULT_SOURCE,
    footnote: str | None = None,
    palette: str = "accessible",
    rule: str | None = None,
    width: int = 320,
) -> alt.HConcatChart:
    """A Fingertips-style area profile: one row per indicator, England at the centre line.

    As Fingertips draws it: where published figures give the spread of England's authorities of the
    area's tier (``england_spread``: indicator_id, period, tier_p5, tier_q25, tier_q75, tier_p95, and
    rank_of and rank_among to say which authorities, as :func:`suna.published_indicators.ranks` gives
    them), a light bar spans their 5th to 95th percentile and a dark bar their 25th to 75th, worst on
    the left and best on the right (lowest to highest for indicators with no value judgement), scaled
    so England sits at the middle. Where no spread is published, the row shows only the area against
    England, its distance from the centre line being its difference as a share of England's value
    (the edges at 0 and twice England's); the caption says so. The area's marker is filled by its
    significance against England. ``district_codes`` is kept for callers; the districts are the rug's.
    """
    alt = _alt()
    assert_protected(indicators, rule)
    _require_columns(indicators, ("indicator_id", "indicator_name", "area_code", "period", "value"), "indicators")
    table = narrative.headline_rows(indicators)
    if indicator_ids is not None:
        table = table[table["indicator_id"].astype(str).isin([str(i) for i in indicator_ids])]
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
        fill=alt.Fill("outcome:N", scale=_colour_scale(marked["outcome"], palette), title="Compared with England"),
        tooltip=tips,
    ))
    gaps = spine[spine["area_pos"].isna()].assign(
        gap_text=lambda g: [fmt.SUPPRESSED if s else "not compared with England" for s in g["is_suppressed"]])
    if len(gaps):
        layers.append(_chart(gaps).mark_text(align="left", dx=6, fontStyle="italic", color=OUTLINE, fontSize=11).encode(
            x=alt.value(0), y=y, text="gap_text:N", tooltip=tips))
    spine_layer = alt.layer(*layers).properties(width=width, height=alt.Step(26), title="Worst or lowest ← England → best or highest")

    def column(field: str, heading: str) -> Any:
        return _chart(spine).mark_text(align="right", fontSize=11).encode(
            y=alt.Y("indicator:N", sort=order, axis=None), text=f"{field}:N", tooltip=tips,
        ).properties(width=110, height=alt.Step(26), title=heading)

    area_name = spine["area_label"].iloc[0]
    chart = alt.hconcat(column("value_label", area_name), column("england_label", "England"), spine_layer, spacing=8)
    narrow = _spine_narrow(spine, order, spread_rows, tips, palette)
    foot = footnote if footnote is not None else _default_footnote(spine.assign(area_label=spine["indicator"]), "area_label")
    caption = _caption(source, _period_text(spine["period"], spine["sort_key"]) if spine["period"].nunique() == 1 else LATEST_EACH, foot)
    if len(spread_rows):
        caption.append(_spread_caption(spread_rows))
    if len(spread_rows) < len(spine):
        caption.append(f"{len(spine) - len(spread_rows)} of {len(spine)} indicators have no published figures for every "
                       "English authority: those rows show the area against "
                       "England only, the marker's distance from the centre line being its difference as a share of "
                       "England's value.")
    caption.append("Marker: the area, filled by its significance against England (95%).")
    describe = (f"Spine chart of {len(order)} indicators: {area_name}'s value against England's"
                + (f", with the spread of England's authorities for {len(spread_rows)} of them" if len(spread_rows) else "")
                + "; the figures are in the table below.")
    return _finish(chart, title or f"Area profile: {area_name}", caption, describe, narrow=narrow)


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
    title: str = "Overview: indicators compared with England",
    source: str = DEFAULT_SOURCE,
    footnote: str | None = None,
    palette: str = "accessible",
    rule: str | None = None,
) -> alt.LayerChart:
    """A Fingertips "tartan rug": indicators (rows) by areas (columns), each cell coloured by its
    significance against England and showing its value; England's column is the benchmark.

    Suppressed cells show "*" (explained in the caption and tooltip); cells with no value "n/a".
    """
    alt = _alt()
    assert_protected(indicators, rule)
    _require_columns(indicators, ("indicator_id", "indicator_name", "area_code", "period", "value"), "indicators")
    table = narrative.headline_rows(indicators)
    if indicator_ids is not None:
        table = table[table["indicator_id"].astype(str).isin([str(i) for i in indicator_ids])]
    if area_codes is None:
        codes = table["area_code"].astype(str)
        area_codes = list(dict.fromkeys(codes[codes != ENGLAND_CODE]))
    columns = [ENGLAND_CODE, *[c for c in area_codes if c != ENGLAND_CODE]]
    colours = _palette(palette)
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
    fill_scale = _colour_scale(rug["outcome"], palette)

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

    foot = footnote if footnote is not None else _default_footnote(rug)
    caption = _caption(source, _period_text(rug["period"]) if rug["period"].nunique() == 1 else LATEST_EACH, foot)
    caption.append("* not shown to protect privacy; n/a not available. Significance at 95% against England's value.")
    describe = (f"Grid of {len(y_order)} indicators by {len(x_order)} areas, each cell coloured by comparison with England; "
                "the figures are in the table below.")
    # On a phone: four areas a panel beside England, names cut shorter, column names upright.
    narrow = panels(RUG_NARROW_COLUMNS, responsive.LABEL_LIMIT, 36, -90)
    return _finish(panels(RUG_COLUMNS, 340, 48, -40), title, caption, describe, narrow=narrow)


RUG_COLUMNS = 14  # areas in one panel of a tartan rug: with its labels it fits a 1280 px page at full size
RUG_NARROW_COLUMNS = 4  # on a phone (suna.responsive): England and four areas a panel


def _rug_columns(order: Sequence[str], size: int = RUG_COLUMNS) -> list[list[str]]:
    """The rug's columns in panels: the first column (England, the benchmark) heads every panel."""
    first, rest = list(order[:1]), list(order[1:])
    if len(rest) <= size:
        return [list(order)]
    count = -(-len(rest) // size)
    size = -(-len(rest) // count)  # even panels: 3 of 13 rather than 14, 14 and 11
    return [first + rest[i:i + size] for i in range(0, len(rest), size)]


# --------------------------------------------------------------------------------------------------
# Shares, pyramid, flows, cascade
# --------------------------------------------------------------------------------------------------
def _count_column(frame: pd.DataFrame, value: str) -> str:
    """The column of counts behind ``value``: ``count`` when the frame has one beside it, else ``value`` itself."""
    return "count" if "count" in frame.columns and value != "count" else value


def _share_display(frame: pd.DataFrame, value: str) -> pd.DataFrame:
    """A copy with ``is_suppressed`` and ``count_label`` (the disclosure engine's display of the count)."""
    count = _count_column(frame, value)
    display = f"{count}_display"
    out = frame.copy()
    records = out.to_dict("records")
    shown = out[display].tolist() if display in out.columns else [None] * len(out)
    out["is_suppressed"] = [str(d).strip() == fmt.SUPPRESSED_MARK or narrative.is_suppressed({**r, "value": r.get(value)})
                            for r, d in zip(records, shown)]
    out[value] = pd.to_numeric(out[value], errors="coerce").astype(float)
    out.loc[out["is_suppressed"], value] = float("nan")
    out["count_label"] = [fmt.SUPPRESSED if s else fmt.format_count(r.get(count), d)
                          for r, d, s in zip(records, shown, out["is_suppressed"])]
    return out


def _gate(frame: pd.DataFrame, value: str, rule: str | None) -> None:
    assert_protected(frame, rule, count_cols=(_count_column(frame, value),))


def share_chart(
    shares: pd.DataFrame,
    category: str = "category",
    *,
    share: str = "share_pct",
    series: str | None = "area_name",
    group: str | None = None,
    category_order: Sequence[str] | None = None,
    period: str | None = None,
    title: str = "Shares",
    source: str = DEFAULT_SOURCE,
    footnote: str | None = None,
    rule: str | None = None,
    width: int = 260,
) -> alt.Chart:
    """Percentage shares by category (e.g. referral source), side by side for the area and England,
    one panel per ``group`` (e.g. substance group).

    Shares arrive computed (percentages 0-100) and disclosure-controlled; a suppressed share keeps
    its row, labelled "suppressed".
    """
    alt = _alt()
    assert_protected(shares, rule)  # the counts behind the shares (a share alone cannot be checked)
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
    layered = alt.layer(bars, notes).properties(width=width, height=alt.Step(14))
    chart = layered.facet(column=alt.Column(f"{group}:N", title=None, sort=list(dict.fromkeys(data[group].astype(str))))) if group else layered
    foot = footnote if footnote is not None else (_default_footnote(data.assign(area_label=data[category].astype(str))))
    shown_period = fmt.format_period(period) if period else (_period_text(data["period"]) if "period" in data.columns else fmt.NOT_AVAILABLE)
    describe = (f"Bar chart of percentages by {len(order)} categories" + (f" for {', '.join(series_order)}" if series else "")
                + "; the figures are in the table below.")
    return _finish(chart, title, _caption(source, shown_period, foot), describe)


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
    title: str = "Population by age and sex",
    source: str = DEFAULT_SOURCE,
    footnote: str | None = None,
    rule: str | None = None,
    width: int = 220,
) -> alt.LayerChart:
    """Males to the left, females to the right, by age band (youngest at the bottom).

    ``comparison`` (same columns, e.g. England's percentages) is drawn as black ticks. A
    suppressed band shows the word "suppressed".
    """
    alt = _alt()
    _gate(population, value, rule)
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
    chart = alt.layer(*layers).properties(width=width * 2, height=alt.Step(16))
    foot = footnote if footnote is not None else _default_footnote(data.assign(area_label=data["sex_label"] + " " + data["age_label"]))
    if comparison is not None:
        foot = f"{foot + ' ' if foot else ''}Black ticks: {comparison_label}."
    shown_period = fmt.format_period(period) if period else (_period_text(data["period"]) if "period" in data.columns else fmt.NOT_AVAILABLE)
    describe = f"Population pyramid of {value_title.lower()} by age band, males to the left and females to the right; the figures are in the table below."
    return _finish(chart, title, _caption(source, shown_period, foot), describe)


def flow_chart(
    links: pd.DataFrame,
    *,
    source_col: str = "source",
    target_col: str = "target",
    step_col: str = "step",
    count: str = "count",
    period: str | None = None,
    title: str = "Referral routes, substances and treatment exits",
    source: str = DEFAULT_SOURCE,
    footnote: str | None = None,
    rule: str | None = None,
) -> alt.VConcatChart:
    """Flows between stages (referral source -> substance group -> exit reason) as one heat map per step.

    A Sankey diagram is hard to read and to draw in Vega-Lite; a grid of counts per step keeps every
    flow labelled. ``links`` holds one row per (step, source, target) with a disclosure-controlled
    ``count`` (and ``count_display``); small flows should already be merged into "other" upstream.
    Suppressed cells are white and marked "*".
    """
    alt = _alt()
    _gate(links, count, rule)
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
    foot = footnote if footnote is not None else _default_footnote(data.assign(area_label=data[source_col].astype(str) + " to " + data[target_col].astype(str)))
    shown_period = fmt.format_period(period) if period else (_period_text(data["period"]) if "period" in data.columns else fmt.NOT_AVAILABLE)
    caption = _caption(source, shown_period, foot)
    caption.append("* not shown to protect privacy.")
    describe = "Grids of counts of people moving between stages, one grid per step; the figures are in the table below."
    return _finish(chart, title, caption, describe)


def cascade_chart(
    cascade: pd.DataFrame,
    *,
    stage: str = "stage",
    value: str = "value",
    share: str | None = "share_pct",
    is_estimate: str | None = "is_estimate",
    share_meaning: str = "the percentage of the stage before",
    period: str | None = None,
    title: str = "Treatment cascade",
    value_title: str = "People",
    source: str = DEFAULT_SOURCE,
    footnote: str | None = None,
    rule: str | None = None,
    width: int = 420,
) -> alt.LayerChart:
    """The treatment cascade (estimated need -> in treatment -> successful completion) as bars, in row order.

    Estimates (``is_estimate`` true, or a stage whose name says "estimate") are drawn lighter, with
    their 95% interval when ``value_lower_ci95``/``value_upper_ci95`` are given. ``share`` (e.g. the
    percentage of need met, computed upstream) is printed on the bar's label when present.
    """
    alt = _alt()
    _gate(cascade, value, rule)
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
    if len(gaps):
        layers.append(_chart(gaps).mark_text(baseline="bottom", dy=-4, fontStyle="italic", fontSize=11, color=OUTLINE).encode(
            x=x, y=alt.value(300 - 4), text="value_label:N", tooltip=tips))
    chart = alt.layer(*layers).properties(width=width, height=300)
    foot = footnote if footnote is not None else _default_footnote(data.assign(area_label=data["stage_label"]))
    shown_period = fmt.format_period(period) if period else (_period_text(data["period"]) if "period" in data.columns else fmt.NOT_AVAILABLE)
    caption = _caption(source, shown_period, foot)
    if has_share and data[share].notna().any():
        caption.append(f"Percentages in brackets: {share_meaning}.")
    if (data["kind"] == "Estimate").any():
        caption.append("Lighter bars are estimates" + (", with their 95% confidence interval." if has_ci else "."))
    describe = f"Bar chart of {len(order)} stages of the treatment cascade, in order: {', '.join(order)}; the figures are in the table below."
    return _finish(chart, title, caption, describe)


def category_trend_chart(
    counts: pd.DataFrame,
    category: str = "category",
    *,
    value: str = "count",
    period_col: str = "period",
    category_order: Sequence[str] | None = None,
    value_title: str = "People",
    title: str = "Counts over time",
    source: str = DEFAULT_SOURCE,
    footnote: str | None = None,
    rule: str | None = None,
    width: int = 560,
    height: int = 300,
) -> alt.LayerChart:
    """Counts over financial years, one line per category (e.g. substance group), for one area.

    ``trend_chart`` draws one indicator against England; this draws the parts of a count (people in
    treatment by substance group) side by side. Lines differ by colour and dash; a suppressed point
    is not drawn and its period is listed as "suppressed" in the tooltip and the footnote.
    """
    alt = _alt()
    _gate(counts, value, rule)
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
    chart = alt.layer(lines, points).properties(width=width, height=height)
    foot = footnote if footnote is not None else _default_footnote(data.assign(area_label=data["series"] + " " + data["period_label"]))
    describe = (f"Line chart of {value_title.lower()} by {len(series_order)} groups ({', '.join(series_order)}), "
                f"{_period_text(data[period_col])}; the figures are in the table below.")
    return _finish(chart, title, _caption(source, _period_text(data[period_col]), foot), describe)


# --------------------------------------------------------------------------------------------------
# Breakdown of one place (age groups) against a benchmark value, and charts stacked
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
    title: str = "Breakdown",
    source: str = DEFAULT_SOURCE,
    footnote: str | None = None,
    palette: str = "accessible",
    rule: str | None = None,
    width: int = 480,
) -> alt.LayerChart:
    """One place's groups (e.g. age groups) as bars with 95% CIs, in their own order, coloured by significance.

    ``compare_areas_chart`` ranks areas by value against England; a breakdown keeps its natural order
    (youngest first) and is compared with what the caller names in ``compared`` / ``compared_title``
    (e.g. the place's all-ages rate), drawn as a dashed line from the one ``benchmark`` row. A
    suppressed or missing group keeps its row, labelled "suppressed" / "not available", with no bar.
    """
    alt = _alt()
    assert_protected(rows, rule)
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
            fill=alt.Fill("outcome:N", scale=_colour_scale(bars_data["outcome"], palette), title=compared_title)),
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
    chart = alt.layer(*layers).properties(width=width, height=alt.Step(22))
    when = fmt.format_period(period) if period is not None else _period_text(rows["period"])
    foot = footnote if footnote is not None else _default_footnote(shown, "group_label")
    describe = (f"Bar chart of {len(order)} groups ({', '.join(map(str, order))}) in their own order, with 95% confidence "
                "intervals; the figures are in the table below.")
    return _finish(chart, title, _caption(source, when, foot), describe)


def stack_charts(charts: Sequence[Any]) -> alt.VConcatChart:
    """Finished charts one above the other as one chart, each with its own title; one caption for all.

    Vega-Lite takes configuration only at the top of a compound chart, so each part's (the same
    quiet defaults, from ``_finish``) is lifted from the first and dropped from the parts. Colour
    scales stay each part's own: the same colour can mean "similar to England" in one and "higher
    than the all-ages rate" in the other, each with its own legend.
    """
    alt = _alt()
    parts = [chart.copy(deep=True) for chart in charts]
    config = parts[0].config
    lines: list[str] = []
    for part in parts:
        part.config = alt.Undefined
        lines += [line for line in caption(part) if line not in lines]  # usermeta is only allowed at the top
        part.usermeta = alt.Undefined
    described = " ".join(str(part.description) for part in parts if part.description is not alt.Undefined)
    return alt.vconcat(*parts, config=config, spacing=28, usermeta={CAPTION_KEY: lines},
                       description=described).resolve_scale(fill="independent", color="independent")
