"""The board members' district explorer: ipywidgets around the same views the notebooks show.

``notebooks/apps/district_explorer.ipynb`` builds one :class:`DistrictExplorer` and Voilà serves it.
Everything shown comes from ``suna.views`` (which only ever read data that went through
``suna.disclosure``), so the app and the reports cannot disagree and the app cannot show a count the
rules suppress, whatever combination of choices a viewer makes.

Why the app is built the way it is:

- Charts go to the browser as the ``application/vnd.vegalite.v5+json`` mimebundle. Voilà 0.5 ships
  JupyterLab's Vega renderer (Vega 5, Vega-Lite 5) in its own static files, so charts draw with no
  network and keep their tooltips. Altair 6's own renderers do not work there offline: "default"
  and "html" load Vega from a CDN, "mimetype" emits a Vega-Lite 6 mimetype Voilà does not know, and
  "jupyter" needs anywidget. ``renderer="svg"`` (vl-convert on the server) is the fallback.
- A change of local authority changes the district and period lists; a guard (``_busy``) stops those
  list changes firing updates for a half-changed choice, so each change redraws once, consistently.
- Speed: the sections are tabs and only the open one is drawn (a browser redrawing every chart of
  every section was most of a district change). The area's data come from the pipeline, which keeps
  them on disk; each drawn view is kept too (:class:`OutputCache`), and after each update a
  background thread draws what the viewer may ask for next, so a change usually only sends what is
  already drawn. A generation number stops that thread as soon as the viewer moves on.
- Each panel draws in its own ``try``: a failure shows a short message in that panel only, the real
  error goes to the server log, never a traceback or a file path to the viewer.
- The local authority can only be one of ``params/``; the data folder is fixed when the app starts
  (the notebook's ``data_dir`` parameter), so no widget input can name a file.
"""

from __future__ import annotations

import html
import logging
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from suna import areas, paths
from suna.outputs import VEGALITE_MIME, caption_html, caption_lines, chart_output, page_note_html, table_toggle_html
from suna.outputs import html_output as _html_output
from suna.errors import UnknownAreaError

log = logging.getLogger(__name__)

WHOLE_AREA = ""       # the district dropdown's value for the whole local authority
ALL_GROUPS = ""       # the substance group dropdown's value for every group
VIEW_FAILED = "This view could not be drawn for this choice."
_FINANCIAL_YEAR = re.compile(r"^\d{4}/\d{2}$")


@dataclass(frozen=True)
class Panel:
    """One section of the app: a heading and the registered views it shows, in order."""

    key: str
    heading: str
    views: tuple[str, ...]
    uses_substance_group: bool = False


# The sections a board member reads, in order. View names are keys of suna.views.REGISTRY.
PANELS: tuple[Panel, ...] = (
    Panel("overview", "At a glance", ("overview.spine", "overview.headline_findings", "overview.similar_authorities")),
    Panel("treatment", "People in treatment", ("treatment.numbers_in_treatment", "treatment.successful_completion"),
          uses_substance_group=True),
    Panel("referrals", "Referral routes", ("referrals.referral_sources",), uses_substance_group=True),
    Panel("admissions", "Hospital admissions", ("admissions.trend", "admissions.districts_ranked")),
    Panel("deaths", "Drug deaths", ("deaths.district_map", "deaths.trend")),
)


# ---------------------------------------------------------------- outputs (no widgets needed)


def view_outputs(view: Any, renderer: str = "vega") -> list[dict[str, Any]]:
    """The outputs a panel shows for one view: chart (or title), caption, findings, table toggle."""
    from suna.views import table_html

    outputs = []
    spec = None
    if view.chart is not None:  # the chart carries the title (SUNA's charts title themselves)
        drawn = chart_output(view.chart, renderer)
        spec = drawn["data"].get(VEGALITE_MIME) or view.chart.to_dict()
        outputs.append(drawn)
    else:
        outputs.append(_html_output(f'<h3 class="suna-view-title">{html.escape(view.title)}</h3>'))
    caption = caption_html(caption_lines(view.footnote, spec))
    if caption and spec is not None:
        outputs.append(_html_output(caption))
    if view.findings:
        items = "".join(f"<li>{html.escape(str(line))}</li>" for line in view.findings)
        outputs.append(_html_output(f'<ul class="suna-findings">{items}</ul>'))
    if view.table is not None and not view.table.empty:
        outputs.append(_html_output(table_toggle_html(view.title, table_html(view.table))))
    if caption and spec is None:
        outputs.append(_html_output(caption))
    return outputs


def failure_outputs(heading: str) -> list[dict[str, Any]]:
    """What a panel shows when its view failed: a short message, nothing from the error."""
    return [
        _html_output(f'<h3 class="suna-view-title">{html.escape(heading)}</h3>'),
        _html_output(f'<p class="suna-view-error" role="alert">{VIEW_FAILED}</p>'),
    ]


def financial_years(table: Any) -> list[str]:
    """The financial years in an indicators table, oldest first (pooled spans are not choices)."""
    periods = table[["period", "period_sortable"]].drop_duplicates()
    periods = periods[periods["period"].astype(str).str.match(_FINANCIAL_YEAR)]
    return list(dict.fromkeys(periods.sort_values("period_sortable")["period"].astype(str)))


def district_options(area: areas.Area) -> list[tuple[str, str]]:
    """The district dropdown: the whole area first, then the districts by name."""
    label = "Whole of " + area.name
    named = sorted(((d.name, d.code) for d in area.districts), key=lambda pair: pair[0])
    return [(label, WHOLE_AREA), *named]


def substance_options() -> list[tuple[str, str]]:
    """The substance group dropdown: every group first, then NDTMS's groups in their order."""
    from suna import reference

    return [("All substance groups", ALL_GROUPS), *((label, code) for code, label in reference.category_labels("substance_groups").items())]


def area_options() -> list[tuple[str, str]]:
    """The local authorities in params/, by name."""
    return sorted(((areas.load_area(slug).name, slug) for slug in areas.available_areas()), key=lambda pair: pair[0])


# ---------------------------------------------------------------- data for the app


def load_app_data(area: str, period: str | None = None, data_dir: str = "",
                  area_definition: dict[str, Any] | None = None) -> Any:
    """The area's protected data, as the notebooks get it (``suna.pipeline.load_area_data``).

    Every viewer has a kernel of their own; the pipeline keeps the computed, protected indicators on
    disk (``suna.result_cache``), so only the first kernel to need an area computes them.
    """
    from suna import pipeline

    return pipeline.load_area_data(area, period, data_dir or None, area_definition or None)


class OutputCache:
    """Drawn panels (Jupyter outputs, JSON) by view and choice, in memory and under ``.cache/app/``.

    A view takes from a tenth of a second to a few seconds to compute and draw; a board member
    flicking through districts should not wait for that, and neither should the next viewer. Keys
    start with the data fingerprint (see :func:`load_app_data`), so new data or a new SUNA version
    never meets an old drawing. Only successful drawings are kept.
    """

    def __init__(self, folder: Path | None = None, memory_items: int = 256) -> None:
        self.folder = folder if folder is not None else paths.cache_dir() / "app" / "outputs"
        self.memory_items = memory_items
        self._memory: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(fingerprint: str, view: str, choice: dict[str, Any], renderer: str) -> str:
        import hashlib
        import json

        drawing = Path(__file__).stat().st_mtime_ns  # this module decides how a view is drawn
        text = json.dumps([fingerprint, view, choice, renderer, drawing], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:24]

    def get(self, key: str) -> list[dict[str, Any]] | None:
        import json

        with self._lock:
            found = self._memory.get(key)
        if found is not None:
            return found
        path = self.folder / f"{key}.json"
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        self._remember(key, found)
        return found

    def put(self, key: str, outputs: list[dict[str, Any]]) -> None:
        import json

        self._remember(key, outputs)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            partial = self.folder / f"{key}.{os.getpid()}.{threading.get_ident()}.tmp"
            partial.write_text(json.dumps(outputs), encoding="utf-8")
            os.replace(partial, self.folder / f"{key}.json")
        except OSError:
            log.warning("could not keep a drawn view on disk in %s", self.folder)

    def _remember(self, key: str, outputs: list[dict[str, Any]]) -> None:
        with self._lock:
            if len(self._memory) >= self.memory_items:
                self._memory.pop(next(iter(self._memory)))
            self._memory[key] = outputs


# ---------------------------------------------------------------- the app


class DistrictExplorer:
    """The explorer: four choices at the top, then one panel per question, all following every choice.

    Args:
        area: slug of params/<area>.yaml shown first.
        period: financial year shown first (default the area's own).
        data_dir: folder of the council's extracts ("" for the embedded sample); fixed for the session.
        area_definition: the params mapping papermill passes (used for the first area only).
        renderer: "vega" or "svg" (see :func:`chart_output`).
        views: view functions by name (default ``suna.views.REGISTRY``); tests pass their own.
        loader: the data loader (default :func:`load_app_data`, ``suna.pipeline.load_area_data``
            kept on disk).
        cache: where drawn panels are kept (default an :class:`OutputCache` under ``.cache/app/``;
            none when ``views`` is given, so tests see every call).
        warm: draw the other districts of the current choice in a background thread after each
            update, so the next district change is a cache hit.
    """

    def __init__(
        self,
        area: str = "essex",
        period: str | None = None,
        data_dir: str = "",
        area_definition: dict[str, Any] | None = None,
        *,
        renderer: str = "vega",
        views: dict[str, Callable[..., Any]] | None = None,
        loader: Callable[..., Any] | None = None,
        cache: OutputCache | None = None,
        warm: bool = True,
    ) -> None:
        import ipywidgets as w

        self.renderer = renderer
        self.data_dir = data_dir or ""
        self._area_definition = {area: area_definition} if area_definition else {}
        self._views = views
        self._loader = loader or load_app_data
        self.cache = cache if cache is not None else (OutputCache() if views is None else None)
        self.warm = warm and self.cache is not None
        self._warmer: threading.Thread | None = None
        self.fingerprint = ""
        self._busy = False
        self.generation = 0
        self.renders = 0  # completed updates, for tests and the benchmark
        self.data: Any = None

        style = {"description_width": "initial"}
        wide = w.Layout(width="auto", min_width="16em")
        self.area_choice = w.Dropdown(options=area_options(), description="Local authority", style=style, layout=wide)
        self.district_choice = w.Dropdown(options=[("Whole area", WHOLE_AREA)], description="District", style=style, layout=wide)
        self.period_choice = w.Dropdown(options=[], description="Year", style=style, layout=w.Layout(width="auto"))
        self.substance_choice = w.Dropdown(options=substance_options(), description="Substance group", style=style, layout=wide)
        self.heading = w.HTML()
        self.status = w.HTML()
        self.outputs = {panel.key: w.Output(layout=w.Layout(width="100%")) for panel in PANELS}
        self.sections = w.Tab(children=[self.outputs[panel.key] for panel in PANELS],
                              titles=[panel.heading for panel in PANELS], selected_index=0)
        self._drawn_for: dict[str, int] = {}  # panel key -> the generation (choice) it shows
        self.notes = w.HTML()
        self.marker = w.HTML()  # says "drawn" to tests and the benchmark, after every panel
        self.map_clicks = w.Output(layout=w.Layout(display="none"))
        self.map_clicks.outputs = (_html_output(_MAP_CLICK_SCRIPT),)
        for panel in PANELS:
            self.outputs[panel.key].add_class(f"suna-panel-{panel.key}")
            if any(name.endswith("map") for name in panel.views):
                self.outputs[panel.key].add_class("suna-map-panel")
        self.heading.add_class("suna-heading")
        self.status.add_class("suna-status")

        self.widget = w.VBox(
            [
                w.HTML(_STYLE),
                self.heading,
                w.HBox([self.area_choice, self.district_choice, self.period_choice, self.substance_choice],
                       layout=w.Layout(flex_flow="row wrap")),
                self.status,
                self.sections,
                self.notes,
                self.marker,
                self.map_clicks,
            ],
            layout=w.Layout(max_width="1100px"),
        )
        self.widget.add_class("suna-explorer")

        self._set_area(area, period)
        self.area_choice.observe(self._on_area, names="value")
        for choice in (self.district_choice, self.period_choice, self.substance_choice):
            choice.observe(self._on_choice, names="value")
        self.sections.observe(self._on_section, names="selected_index")
        self.update()

    # -- Jupyter display
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # -- choices
    @property
    def choice(self) -> dict[str, str | None]:
        """The current choice as view keyword arguments (None for whole area / all groups)."""
        return {
            "district": self.district_choice.value or None,
            "period": self.period_choice.value or None,
            "substance_group": self.substance_choice.value or None,
        }

    def _set_area(self, slug: str, period: str | None = None) -> None:
        """Load an area and reset the district and year lists without firing updates."""
        if slug not in areas.available_areas():
            raise UnknownAreaError(str(slug), areas.available_areas(), kind="local authority")
        self._busy = True
        try:
            self.data = self._loader(slug, period, self.data_dir, self._area_definition.get(slug))
            self.fingerprint = getattr(self.data, "fingerprint", "")
            years = financial_years(self.data.table) or [self.data.period]
            wanted = period or self.period_choice.value or self.data.period
            self.area_choice.value = slug
            self.district_choice.options = district_options(self.data.area)
            self.district_choice.value = WHOLE_AREA
            self.period_choice.options = years
            self.period_choice.value = wanted if wanted in years else (self.data.period if self.data.period in years else years[-1])
        finally:
            self._busy = False

    def _on_area(self, change: dict[str, Any]) -> None:
        if self._busy:
            return
        name = dict((v, k) for k, v in self.area_choice.options).get(change["new"], "")
        self.status.value = f'<p class="suna-loading" role="status">Loading {html.escape(name)}…</p>'
        try:
            self._set_area(change["new"])
        except Exception:
            log.exception("could not load %r", change["new"])
            self._busy = True
            try:  # keep showing the area whose figures are on the page
                self.area_choice.value = change["old"]
            finally:
                self._busy = False
            self.status.value = f'<p class="suna-view-error" role="alert">{html.escape(name)} could not be loaded.</p>'
            return
        self.update()

    def _on_choice(self, change: dict[str, Any]) -> None:
        if not self._busy:
            self.update()

    def _on_section(self, change: dict[str, Any]) -> None:
        """A tab opened: draw it if it does not show the current choice yet."""
        if change["new"] is not None and self._drawn_for.get(self.visible_panel.key) != self.generation:
            self._draw_visible()
        self._finish_render()  # the marker moves on every change the viewer makes

    # -- drawing
    def view_functions(self) -> dict[str, Callable[..., Any]]:
        if self._views is not None:
            return self._views
        from suna.views import REGISTRY

        return REGISTRY

    @property
    def visible_panel(self) -> Panel:
        return PANELS[self.sections.selected_index or 0]

    def update(self) -> None:
        """Show the current choice: draw the open section, empty the others, then warm the cache.

        Only the open section is drawn: a browser redrawing every chart of every section after each
        change is what made a district change slow. A section opened later is drawn then (from the
        cache, which the warming thread fills in the meantime).
        """
        self.generation += 1
        self.heading.value = self._heading_html(self.choice)
        self.status.value = ""
        for panel in PANELS:
            if panel is not self.visible_panel and self._drawn_for.pop(panel.key, None) is not None:
                self.outputs[panel.key].outputs = ()
        self._draw_visible()
        self.notes.value = self._notes_html()
        self._finish_render()
        if self.warm:
            self._start_warming()

    def _draw_visible(self) -> None:
        panel = self.visible_panel
        self.outputs[panel.key].outputs = tuple(
            self._panel_outputs(panel, self.view_functions(), self.data, self.fingerprint, self.choice))
        self._drawn_for[panel.key] = self.generation

    def _finish_render(self) -> None:
        self.renders += 1
        self.marker.value = f'<span class="suna-rendered" data-renders="{self.renders}" hidden></span>'

    def _panel_outputs(self, panel: Panel, registry: dict[str, Callable[..., Any]], data: Any, fingerprint: str,
                       choice: dict[str, str | None]) -> list[dict[str, Any]]:
        outputs = [_html_output(f'<h2 class="suna-panel-heading">{html.escape(panel.heading)}</h2>')]
        if any(name.endswith("map") for name in panel.views):
            outputs.append(_html_output('<p class="suna-hint">Choose a district in the list above, or click it on the map.</p>'))
        names = [name for name in panel.views if name in registry]
        if not names:
            log.error("no view registered for panel %s (looked for %s)", panel.key, panel.views)
            return outputs + failure_outputs(panel.heading)[1:]
        kwargs = dict(choice)
        if not panel.uses_substance_group:
            kwargs["substance_group"] = None
        for name in names:
            outputs += self._view_outputs(name, registry[name], data, fingerprint, kwargs)
        return outputs

    def _view_outputs(self, name: str, fn: Callable[..., Any], data: Any, fingerprint: str,
                      kwargs: dict[str, Any]) -> list[dict[str, Any]]:
        """One view drawn (from the cache when it has it); a failure becomes the short message."""
        key = OutputCache.key(fingerprint, name, {"area": data.area.code, **kwargs}, self.renderer) if self.cache else ""
        if self.cache is not None:
            found = self.cache.get(key)
            if found is not None:
                return found
        try:
            outputs = view_outputs(fn(data, **kwargs), self.renderer)
        except Exception:
            log.exception("view %s failed for %s %s", name, data.area.code if data is not None else None, kwargs)
            return failure_outputs(_view_heading(name))[1:]
        if self.cache is not None:
            self.cache.put(key, outputs)
        return outputs

    def _start_warming(self) -> None:
        """Draw, in the background, what the viewer is likely to ask for next, most likely first.

        First the other sections for this choice (a tab opened is then instant), then every
        district for the open section, then every district for the other sections.
        """
        generation, data, fingerprint, choice = self.generation, self.data, self.fingerprint, self.choice
        districts = [value or None for _, value in self.district_choice.options]
        registry = self.view_functions()
        visible = self.visible_panel
        others = [panel for panel in PANELS if panel is not visible]
        order = [(choice["district"], panel) for panel in others]
        order += [(district, visible) for district in districts]
        order += [(district, panel) for panel in others for district in districts]

        def warm() -> None:
            for district, panel in order:
                if generation != self.generation:
                    return  # the viewer moved on; the new choice starts its own warming
                kwargs = {**choice, "district": district}
                if not panel.uses_substance_group:
                    kwargs["substance_group"] = None
                for name in panel.views:
                    if name in registry:
                        self._view_outputs(name, registry[name], data, fingerprint, kwargs)

        self._warmer = threading.Thread(target=warm, name="suna-warm", daemon=True)
        self._warmer.start()

    def _heading_html(self, choice: dict[str, str | None]) -> str:
        area = self.data.area
        place = area.name if not choice["district"] else area.district(choice["district"]).name
        within = "" if not choice["district"] else f", {html.escape(area.name)}"
        groups = dict(substance_options())
        group = "" if not choice["substance_group"] else f" · {html.escape(groups.get(choice['substance_group'], ''))}"
        from suna import formatting

        banner = (f'<p class="suna-synthetic-banner" role="note">{html.escape(self.data.synthetic_notice)}</p>'
                  if self.data.is_synthetic else "")
        return (f'<h1 class="suna-title">{html.escape(place)}{within}</h1>'
                f'<p class="suna-subtitle">{html.escape(formatting.format_period(choice["period"] or self.data.period))}'
                f"{group}</p>{banner}")

    def _notes_html(self) -> str:
        """The app's one privacy note (disclosure control's sentences behind its link), and what the choices apply to."""
        from suna.views import rule_sentences

        notes = [page_note_html(rule_sentences(self.data), self.data.synthetic_notice if self.data.is_synthetic else "")]
        notes.append("<p>Substance group applies to the treatment and referral views; the others count every group.</p>")
        return '<div class="suna-notes"><h2>Notes</h2>' + "".join(notes) + "</div>"


def _view_heading(name: str) -> str:
    return name.replace("_", " ").capitalize()


# Choosing on the map: a click on a district's shape picks it in the District dropdown, which then
# updates everything as a dropdown change does. Vega labels each shape for screen readers with its
# tooltip ("District: Basildon; ..."), which is how the click finds the district's name. The script
# runs in the viewer's page only (an Output widget's trusted HTML), and fetches nothing.
_MAP_CLICK_SCRIPT = """<script>
(function () {
  if (window.sunaMapClicks) return;
  window.sunaMapClicks = true;
  document.addEventListener("click", function (event) {
    var shape = event.target.closest && event.target.closest('.suna-map-panel path[aria-roledescription="geoshape"]');
    if (!shape) return;
    var found = /District: ([^;]+)/.exec(shape.getAttribute("aria-label") || "");
    if (!found) return;
    var boxes = document.querySelectorAll(".suna-explorer .widget-dropdown");
    for (var i = 0; i < boxes.length; i++) {
      var label = boxes[i].querySelector("label");
      if (!label || label.textContent.trim() !== "District") continue;
      var select = boxes[i].querySelector("select");
      for (var j = 0; j < select.options.length; j++) {
        var text = select.options[j].textContent.replace(/\u00a0/g, " ").trim();  // ipywidgets writes no-break spaces
        if (text === found[1].trim() && select.selectedIndex !== j) {
          select.selectedIndex = j;
          select.dispatchEvent(new Event("change", { bubbles: true }));
        }
      }
    }
  });
})();
</script>"""

_STYLE = """<style>
.suna-explorer { font-size: 15px; }
.suna-explorer h1.suna-title { font-size: 1.7em; margin: 0.2em 0 0; }
.suna-explorer .suna-subtitle { color: #444; margin: 0 0 0.6em; }
.suna-explorer h2.suna-panel-heading { font-size: 1.35em; border-bottom: 2px solid #12436D; margin-top: 1.2em; }
.suna-explorer h3.suna-view-title { font-size: 1.1em; margin: 0.8em 0 0.3em; }
.suna-explorer .suna-view-error { background: #FFF4E5; border-left: 4px solid #B2182B; padding: 0.4em 0.8em; }
.suna-explorer .suna-footnote, .suna-explorer .suna-notes { color: #444; }
.suna-explorer .suna-synthetic-banner { background: #FFF8D6; border-left: 4px solid #F46A25; padding: 0.4em 0.8em; }
.suna-explorer details > summary { cursor: pointer; color: #12436D; margin: 0.3em 0; }
body .suna-explorer a:link, body .suna-explorer a:visited { text-decoration: underline; }
.suna-explorer .suna-caption { font-size: 13px; color: #3D3D3D; margin: 0.2em 0 0.8em; }
.suna-explorer .suna-caption p { margin: 0.1em 0; }
.suna-explorer .suna-page-note { border-left: 4px solid #12436D; padding: 0.3em 0.8em; background: #F3F6FA; }
.suna-explorer .jp-RenderedVegaCommon5 { overflow: visible; }  /* a scroll box here has no keyboard access (WCAG 2.1.1) */
.suna-explorer .lm-TabBar-tab { background: #E8EEF4; opacity: 1; }
.suna-explorer .lm-TabBar-tab.lm-mod-current { background: #FFFFFF; }
.suna-explorer .lm-TabBar-tab .lm-TabBar-tabLabel { color: #1B1B1B; }
.suna-explorer .suna-table-toggle { overflow-x: auto; }
.suna-explorer .widget-dropdown { margin-right: 1em; }
.suna-explorer select:focus-visible { outline: 3px solid #12436D !important; outline-offset: 1px; }  /* keyboard focus seen (WCAG 2.4.7) */
.suna-explorer .suna-map-panel path[aria-roledescription="geoshape"] { cursor: pointer; }
.suna-explorer table.suna-table { border-collapse: collapse; font-size: 0.9em; }
.suna-explorer table.suna-table th, .suna-explorer table.suna-table td { padding: 2px 8px; border-bottom: 1px solid #ddd; }
</style>"""
