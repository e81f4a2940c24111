"""A chart drawn once on the server, as SVG markup the browser only has to insert.

Why: fifty viewers of the district explorer on one machine are fifty browsers parsing Vega-Lite and
drawing every chart that changed, on the same two cores as the server; that, not the server, is what
made a district change slow (issue 18). vl-convert draws the same Vega-Lite spec with the same Vega
(text as ``<text>``, marks as paths), once, on the server, and the app keeps the drawing with its
other outputs (``suna.app.cache``), so a change sends markup that no browser has to compute.

What the browser's Vega gave a reader, the markup keeps:

- the chart's accessible name: the root ``<svg>`` has the role, role description and label (the
  spec's description, else its title) that Vega gives it in the browser;
- each mark's label (Vega's ``aria-label``, "District: Basildon; Value: ...", which the map's click
  reads too) is also the mark's ``<title>``, which the browser shows on hover: the tooltip, without
  a script;
- sizes: drawn at the spec's designed size, text in the sizes the chart sets.
"""

from __future__ import annotations

import html
import re
from typing import Any

from suna.presentation.outputs import chart_title

_ROOT = re.compile(r"<svg\b([^>]*)>")
# a mark Vega labels (role graphics-symbol), written as an empty element: <path aria-label="..." .../>
_LABELLED_MARK = re.compile(r'<(path|line|rect|circle|ellipse|image)\b([^>]*?\baria-label="([^"]*)"[^>]*?)\s*/>')


def chart_name(spec: dict[str, Any]) -> str:
    """What names the chart for a screen reader: its description, else its title's words."""
    return str(spec.get("description") or chart_title(spec) or "Chart")


def svg_markup(spec: dict[str, Any]) -> str:
    """``spec`` (a Vega-Lite dict) drawn to SVG by vl-convert, named, each labelled mark titled."""
    import vl_convert as vlc

    svg = vlc.vegalite_to_svg(spec)
    name = html.escape(chart_name(spec), quote=True)
    svg = _ROOT.sub(lambda m: f'<svg{m.group(1)} role="graphics-document" aria-roledescription="visualization" '
                              f'aria-label="{name}">', svg, count=1)
    return _LABELLED_MARK.sub(lambda m: f"<{m.group(1)}{m.group(2)}><title>{m.group(3)}</title></{m.group(1)}>", svg)


def chart_html(spec: dict[str, Any]) -> str:
    """The chart as one piece of HTML: its SVG in a ``suna-chart`` box (the class the reports' charts have)."""
    return f'<div class="suna-chart suna-chart-svg">{svg_markup(spec)}</div>'


__all__ = ["chart_html", "chart_name", "svg_markup"]
