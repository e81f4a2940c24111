"""Sparklines: a metric's last few values as a small inline chart, with its text alternative.

A dashboard row shows its trend at a glance; the figures themselves stay in words beside it (and in
the chart's accessible name), so nothing is read from the drawing alone. A value hidden by disclosure
control is a gap in the line, never a point, and is named "suppressed" in the text.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from suna.model import formatting as fmt

WIDTH, HEIGHT, PAD = 96, 24, 3
STROKE = "#1d4f91"  # 8.2:1 on white (WCAG 2.2 non-text contrast needs 3:1)


def trend_text(values: Sequence[float | None], periods: Sequence[str], what: str = "") -> str:
    """The trend in words: "Adults in treatment, 2019/20 to 2023/24: 1,100, 1,150, suppressed, 1,210."."""
    if not values:
        return ""
    figures = ", ".join(fmt.SUPPRESSED if fmt.is_missing(v) else fmt.format_number(v, 0 if float(v).is_integer() else 1)
                        for v in values)
    span = fmt.format_period(periods[0]) if len(periods) == 1 else \
        f"{fmt.format_period(periods[0])} to {fmt.format_period(periods[-1])}"
    return f"{what + ', ' if what else ''}{span}: {figures}."


def sparkline_svg(values: Sequence[float | None], periods: Sequence[str], what: str = "") -> str:
    """An inline SVG line of the values, oldest first, named by its text alternative; "" under two values.

    Hidden (None) values break the line; the latest value shown is marked with a dot.
    """
    points = [(i, float(v)) for i, v in enumerate(values) if not fmt.is_missing(v)]
    if len(points) < 2:
        return ""
    low, high = min(v for _, v in points), max(v for _, v in points)
    span = (high - low) or 1.0
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        y = HEIGHT - PAD - (v - low) / span * (HEIGHT - 2 * PAD) if high > low else HEIGHT / 2
        return round(PAD + i * step, 1), round(y, 1)

    runs: list[list[tuple[float, float]]] = [[]]
    for i, v in enumerate(values):
        if fmt.is_missing(v):
            runs.append([])
        else:
            runs[-1].append(xy(i, float(v)))
    lines = "".join(f'<polyline points="{" ".join(f"{x},{y}" for x, y in run)}" fill="none" stroke="{STROKE}" '
                    f'stroke-width="1.5" stroke-linejoin="round" stroke-linecap="round"/>' if len(run) > 1 else
                    f'<circle cx="{run[0][0]}" cy="{run[0][1]}" r="1.5" fill="{STROKE}"/>'
                    for run in runs if run)
    last_x, last_y = xy(*points[-1])
    label = html.escape(trend_text(values, periods, what), quote=True)
    return (f'<svg class="suna-sparkline" role="img" aria-label="{label}" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" xmlns="http://www.w3.org/2000/svg"><title>{label}</title>{lines}'
            f'<circle cx="{last_x}" cy="{last_y}" r="2.5" fill="{STROKE}"/></svg>')


__all__ = ["sparkline_svg", "trend_text"]
