"""Jupyter display outputs as SUNA's notebooks, reports and app send them: a chart, or a piece of HTML.

One place for both the notebooks' ``suna.views.show`` and the app's panels (``suna.app.widgets``), so a
chart reaches a report and the app as the same mimebundle.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

VEGALITE_MIME = "application/vnd.vegalite.v5+json"
CAPTION_KEY = "suna_caption"  # where suna.presentation.charts keeps a chart's caption lines in its spec's usermeta
RULES_ANCHOR = "how-figures-are-protected"
PRIVACY_NOTE = ("Some figures are not shown to protect privacy: fewer than 5 people, or hidden so that a hidden "
                "number cannot be worked out.")
LONG_LINE = 240  # a caption line longer than this (a list of sources) folds into a list behind a toggle
_URL = re.compile(r"https?://[^\s<>\"')]+[^\s<>\"').,;]")


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
        name = spec.get("description") or title
        return html_output(f'<div class="suna-chart" role="img" aria-label="{html.escape(name)}">{svg}</div>')
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


def caption_lines(footnote: str = "", spec: dict[str, Any] | None = None) -> list[str]:
    """What is printed under a view: its footnote (which starts with its source), then the chart's own
    lines (period, how to read it), each once; the chart's own "Source:" line is dropped when the
    footnote gives one, so a source is never printed twice."""
    chart_lines = list(((spec or {}).get("usermeta") or {}).get(CAPTION_KEY, []))
    lines = [line.strip() for line in (footnote or "").splitlines() if line.strip()]
    for line in chart_lines:
        text = str(line).strip()
        if not text or (lines and text.startswith("Source:") and lines[0].startswith("Source:")):
            continue
        if not any(text == kept or text in kept for kept in lines):
            lines.append(text)
    return lines


def split_outside_brackets(text: str, separator: str = "; ") -> list[str]:
    """``text`` split at each ``separator`` that is not inside brackets: one source's own note
    ("(..., opiate 40.4%; alcohol only 69.4%)") stays with it."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        char = text[i]
        depth += (char == "(") - (char == ")" and depth > 0)
        if depth == 0 and text.startswith(separator, i):
            parts.append(text[start:i])
            start = i = i + len(separator)
            continue
        i += 1
    return [*parts, text[start:]]


def caption_html(lines: Sequence[str]) -> str:
    """Caption lines as small print under a chart: one paragraph each, web addresses as links, a long
    list of sources (a line starting "Source") folded behind a toggle named for what it holds; any
    other line, however long, is a sentence and stays whole."""
    if not lines:
        return ""
    parts = []
    for line in lines:
        if len(line) > LONG_LINE and "; " in line and line.startswith("Source"):
            head, _, rest = line.partition(": ")
            items = list(dict.fromkeys(item.strip().rstrip(".") for item in split_outside_brackets(rest) if item.strip()))
            listed = "".join(f"<li>{_linked(item)}</li>" for item in items)
            parts.append(f'<details class="suna-sources"><summary>{html.escape(head.rstrip(":"))} ({len(items)})</summary>'
                         f"<ul>{listed}</ul></details>")
        else:
            parts.append(f"<p>{_linked(line)}</p>")
    return f'<div class="suna-caption">{"".join(parts)}</div>'


def table_toggle_html(title: str, table_markup: str) -> str:
    """The figures behind a chart, one click away: a details toggle whose summary names the chart."""
    name = html.escape(title.strip().rstrip(".")) if title else "this chart"
    return (f'<details class="suna-table-toggle"><summary>Figures behind the chart: {name}</summary>'
            f"{table_markup}</details>")


def table_region_html(title: str, table_markup: str) -> str:
    """A table that is the view itself (the partnership dashboard), shown open: a named region that a
    keyboard can reach and scroll sideways on a phone."""
    label = html.escape(title.strip().rstrip("."))
    return f'<div class="suna-table-open" role="region" tabindex="0" aria-label="{label}">{table_markup}</div>'


def page_note_html(rules: Sequence[str] = (), notice: str = "") -> str:
    """The page's one note on privacy, in plain words, with a link to the rules that were applied.

    Disclosure control's own sentences (``rules``, from ``suna.disclosure.footnote``) are listed once,
    behind the link, instead of under every chart.
    """
    listed = "".join(f"<li>{_linked(rule.lstrip('* ').strip())}</li>" for rule in rules if rule.strip())
    body = (f'<aside class="suna-page-note" aria-label="About these figures">'
            f'<p>{html.escape(PRIVACY_NOTE)} <a href="#{RULES_ANCHOR}">How figures are protected</a>.</p>')
    if notice:
        body += f'<p class="suna-synthetic"><strong>{html.escape(notice)}</strong></p>'
    body += (f'<details id="{RULES_ANCHOR}"><summary>How figures are protected</summary>'
             + (f"<ul>{listed}</ul>" if listed else "")
             + "<p>The full rules and where each comes from are in SUNA's README (Statistics and disclosure control) "
               "and its disclosure rules file, data/reference/disclosure_rules.yaml.</p></details></aside>")
    return body


def _linked(text: str) -> str:
    """Escaped text with each web address turned into a link."""
    out, last = [], 0
    for found in _URL.finditer(text):
        out.append(html.escape(text[last:found.start()]))
        url = found.group(0)
        out.append(f'<a href="{html.escape(url)}">{html.escape(url)}</a>')
        last = found.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def chart_title(spec: dict[str, Any]) -> str:
    """A Vega-Lite spec's title as one line of text (for the chart's accessible name)."""
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    return str(title or "")
