"""What every SUNA chart shares: the disclosure gate, palettes, captions, titles, tooltips and the display frame.

The chart modules (trends, bars, funnel, spine, shares) draw; this one holds the rules they all keep
(see ``suna.presentation.charts``). ``ChartOptions`` is what a caller chooses for any chart (title, source, footnote,
palette, disclosure rule, size) and applies them; ``stack_charts`` puts finished charts one above the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from suna import disclosure
from suna.core.errors import DisclosureError, SunaError, UnknownAreaError
from suna.model import formatting as fmt
from suna.presentation import narrative, responsive
from suna.presentation.outputs import (
    CAPTION_KEY,  # the spec's usermeta key holding the caption lines (Vega ignores usermeta)
)

if TYPE_CHECKING:
    import altair as alt

    from suna.model.areas import Area

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


PRIVACY_WORDS = "Not shown to protect privacy"


def _caption(source: str, period: str, footnote: str | None) -> list[str]:
    """The lines printed under a chart (as HTML, by ``suna.presentation.outputs``): source, period, then each note.

    One line each, never wrapped here: the page wraps them to its own width.
    """
    lines = [f"Source: {str(source).strip().rstrip('.')}.", f"Period: {period}."]
    if footnote:
        lines.append(str(footnote).strip())
    return lines


def _shown_period(frame: pd.DataFrame, period: Any = None) -> str:
    """The period a caption names: the one the caller gave, else those of the frame's ``period`` column."""
    if period:
        return fmt.format_period(period)
    return _period_text(frame["period"]) if "period" in frame.columns else fmt.NOT_AVAILABLE


def _title(title: str) -> Any:
    return _alt().TitleParams(text=title, anchor="start", fontSize=15, limit=0)


def _finish(chart: Any, title: str, caption: list[str], describe: str = "", narrow: Any = None) -> Any:
    """Title, caption (in usermeta, drawn as HTML under the chart), description and quiet defaults.

    Sources and notes sit under the chart as HTML rather than in a Vega subtitle: a long source list
    inside the chart widened it, so the page drew it shrunk (issue 15). The description becomes the
    SVG's accessible name: the title and one sentence saying what the chart shows. ``narrow``, a
    chart's own design for a phone, is finished the same way and kept in the usermeta, where
    ``suna.presentation.responsive`` finds it.
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


@dataclass(frozen=True)
class ChartOptions:
    """What a caller chooses for a chart of any kind: the words around it, its colours, the disclosure
    rule its counts are checked against, and its size. Every chart (and ``suna.presentation.maps``) takes these
    alike, and ``finish`` applies them in one place.

    Attributes:
        title: the heading; None gives the chart's own, from what it shows.
        source: publisher, title and year: the caption's first line.
        footnote: the caption's note; None lets the chart name what was suppressed or is not available.
        palette: significance colours, "accessible" or "fingertips" (see ``suna.presentation.charts``).
        rule: the disclosure rule for every row; None checks each row by its ``disclosure_rule``.
        width, height: the plot's size in pixels; None keeps the chart's designed size.
    """

    title: str | None = None
    source: str = DEFAULT_SOURCE
    footnote: str | None = None
    palette: str = "accessible"
    rule: str | None = None
    width: int | None = None
    height: int | None = None

    def size(self, width: Any, height: Any = None) -> dict[str, Any]:
        """The plot's ``properties``: the caller's width and height, else the chart's designed ones."""
        chosen = {"width": self.width or width, "height": self.height or height}
        return {key: value for key, value in chosen.items() if value is not None}

    def note(self, default: str | None) -> str | None:
        """The caller's footnote, else the chart's own (``default``, e.g. from ``_default_footnote``)."""
        return self.footnote if self.footnote is not None else default

    def finish(self, chart: Any, title: str, period: str, note: str | None, describe: str,
               more: Sequence[str] = (), narrow: Any = None) -> Any:
        """The finished chart: the caller's title (else ``title``), the caption (source, ``period``, ``note``,
        then the chart's ``more`` lines on how to read it), the description and the quiet defaults."""
        return _finish(chart, self.title or title, [*_caption(self.source, period, note), *more], describe, narrow)


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


# Counts and shares as a chart shows them (share bars, pyramid, counts over years)
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


# Charts stacked
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
