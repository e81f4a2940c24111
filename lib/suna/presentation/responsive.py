"""Charts for a phone: the narrow form of any SUNA chart's Vega-Lite spec.

A chart designed for a 1280 px page is 450 to 1,100 px wide; on a 375 px phone the page would draw it at
a third of its size (text about 4 px) or make the reader scroll sideways (issue 15). The report page
draws the designed chart, and where it does not fit, this narrow form instead: the same data and marks,
laid out for ``NARROW_WIDTH`` px. A chart with a narrow design of its own (the spine chart, the tartan
rug) keeps it in its spec's usermeta under ``NARROW_KEY``; every other chart is narrowed by rule:

- a single or layered view fills the width (Vega-Lite ``autosize: fit-x``), a map keeps its shape;
- side-by-side panels (``hconcat``, a faceted row) are stacked one under another;
- a panel inside a stack gets the width less its axis labels; a grid's cells shrink to fit, no
  narrower than ``MIN_STEP`` px;
- axis labels are cut at ``LABEL_LIMIT`` px (the full words are in the tooltip and the table of
  figures), legends stack one under another with one entry a line, and titles wrap.

Only dictionaries are touched (no Altair import): the report publisher calls it on the specs it embeds.
"""

from __future__ import annotations

import copy
import textwrap
from typing import Any

NARROW_WIDTH = 340   # px: a 375 px phone's page less its margins
NARROW_KEY = "suna_narrow"  # usermeta key: a chart's own narrow design (a whole Vega-Lite spec)
LABEL_LIMIT = 130    # px of an axis label on a phone
LABEL_SPACE = 160    # px a panel in a stack leaves for its axis labels and padding
MIN_STEP = 30        # px: the narrowest cell of a grid that still holds a number
TITLE_PX_PER_CHAR = 8.0  # a 15 px title's average character width, generously


def narrow_spec(spec: dict[str, Any], width: int = NARROW_WIDTH) -> dict[str, Any]:
    """The narrow form of a Vega-Lite spec (a new dict; ``spec`` is not changed)."""
    out = copy.deepcopy(spec)
    meta = dict(out.get("usermeta") or {})
    own = meta.pop(NARROW_KEY, None)
    if meta or "usermeta" in out:
        out["usermeta"] = meta
    if own is not None:
        chosen = copy.deepcopy(own)
        chosen.setdefault("usermeta", meta)
        chosen.setdefault("description", out.get("description"))
    else:
        chosen = _fit(out, width, top=True)
    _wrap_titles(chosen, width)
    _narrow_config(chosen, width)
    return chosen


def without_narrow(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec without its own narrow design (a copy, when it had one): what the wide page draws."""
    meta = spec.get("usermeta") or {}
    if NARROW_KEY not in meta:
        return spec
    return {**spec, "usermeta": {k: v for k, v in meta.items() if k != NARROW_KEY}}


def for_screen(spec: dict[str, Any], phone: bool) -> dict[str, Any]:
    """The form one screen draws: the narrow form on a phone, else the page's without its phone design."""
    return narrow_spec(spec) if phone else without_narrow(spec)


def _fit(view: dict[str, Any], width: int, top: bool) -> dict[str, Any]:
    if "hconcat" in view:
        view["vconcat"] = view.pop("hconcat")
    if "concat" in view:
        view["columns"] = 1
    for key in ("vconcat", "concat"):
        if key in view:
            view[key] = [_fit(child, width, top=False) for child in view[key]]
    if "facet" in view:
        facet = view["facet"]
        if len(facet) == 1 and set(facet) <= {"column", "row"}:  # one field: a wrapped facet of one column
            view["facet"] = next(iter(facet.values()))
            view["columns"] = 1
        elif "field" in facet:
            view["columns"] = 1
        view["spec"] = _fit(view["spec"], width, top=False)
        return view
    if "layer" in view or "mark" in view:
        _fit_view(view, width, top)
    return view


def _fit_view(view: dict[str, Any], width: int, top: bool) -> None:
    """A single or layered view sized for ``width``: numbers shrink, steps shrink, maps keep their shape."""
    current = view.get("width")
    if isinstance(current, (int, float)):
        if _is_map(view):
            new = min(current, width - 20)
            if isinstance(view.get("height"), (int, float)):
                view["height"] = round(view["height"] * new / current)
            view["width"] = new
        elif top:
            view["width"] = width
            view["autosize"] = {"type": "fit-x", "contains": "padding"}
        else:
            view["width"] = min(current, width - LABEL_SPACE)
    elif isinstance(current, dict) and "step" in current:
        count = _x_categories(view)
        if count:
            view["width"] = {"step": max(MIN_STEP, min(current["step"], (width - LABEL_SPACE) // count))}


def _is_map(view: dict[str, Any]) -> bool:
    return "projection" in view or any("projection" in child for child in view.get("layer", []))


def _x_categories(view: dict[str, Any]) -> int:
    """How many categories the view's x axis lists in its sort order (0 when it does not say)."""
    for unit in [view, *view.get("layer", [])]:
        sort = ((unit.get("encoding") or {}).get("x") or {}).get("sort")
        if isinstance(sort, list):
            return len(sort)
    return 0


def _wrap_titles(view: dict[str, Any], width: int) -> None:
    """Wrap every title (the chart's and each panel's) into lines that fit ``width``."""
    title = view.get("title")
    chars = max(20, int((width - 40) / TITLE_PX_PER_CHAR))
    if isinstance(title, str):
        view["title"] = _lines(title, chars)
    elif isinstance(title, dict) and isinstance(title.get("text"), str):
        view["title"] = {**title, "text": _lines(title["text"], chars)}
    for key in ("layer", "vconcat", "hconcat", "concat"):
        for child in view.get(key, []):
            _wrap_titles(child, width)
    if isinstance(view.get("spec"), dict):
        _wrap_titles(view["spec"], width)


def _lines(text: str, chars: int) -> str | list[str]:
    lines = textwrap.wrap(text, chars, break_long_words=False)
    return lines[0] if len(lines) == 1 else lines


def _narrow_config(spec: dict[str, Any], width: int) -> None:
    config = spec.setdefault("config", {})
    config["axis"] = {**config.get("axis", {}), "labelLimit": LABEL_LIMIT}
    config["legend"] = {**config.get("legend", {}), "columns": 1, "labelLimit": width - 40, "titleLimit": width - 20,
                        "layout": {"bottom": {"anchor": "start", "direction": "vertical", "margin": 8}}}  # legends stacked
