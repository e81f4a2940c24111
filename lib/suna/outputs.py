"""Jupyter display outputs as SUNA's notebooks, reports and app send them: a chart, or a piece of HTML.

One place for both the notebooks' ``suna.views.show`` and the app's panels (``suna.widgets``), so a
chart reaches a report and the app as the same mimebundle.
"""

from __future__ import annotations

import html
from typing import Any

VEGALITE_MIME = "application/vnd.vegalite.v5+json"


def chart_output(chart: Any, renderer: str = "vega") -> dict[str, Any]:
    """One Jupyter display output for an Altair chart that draws with no network in Voilà.

    Args:
        chart: an Altair chart.
        renderer: "vega" (the browser draws it with Voilà's bundled Vega) or "svg" (vl-convert draws
            it on the server; no tooltips).
    """
    spec = chart.to_dict()
    title = chart_title(spec)
    if renderer == "svg":
        import vl_convert as vlc

        svg = vlc.vegalite_to_svg(spec)
        return html_output(f'<div class="suna-chart" role="img" aria-label="{html.escape(title)}">{svg}</div>')
    if renderer != "vega":
        raise ValueError(f"renderer must be 'vega' or 'svg', not {renderer!r}")
    spec["$schema"] = "https://vega.github.io/schema/vega-lite/v5.json"
    return {
        "output_type": "display_data",
        "data": {VEGALITE_MIME: spec, "text/plain": title or "chart"},
        "metadata": {VEGALITE_MIME: {"embed_options": {"actions": False, "renderer": "svg"}}},
    }


def html_output(markup: str) -> dict[str, Any]:
    """A piece of HTML as one display output (with an empty text form, so nothing prints twice)."""
    return {"output_type": "display_data", "data": {"text/html": markup, "text/plain": ""}, "metadata": {}}


def chart_title(spec: dict[str, Any]) -> str:
    """A Vega-Lite spec's title as one line of text (for the chart's accessible name)."""
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    return str(title or "")
