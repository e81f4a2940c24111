"""The board members' district explorer: ipywidgets around the same views the notebooks show.

``notebooks/apps/district_explorer.ipynb`` builds one :class:`DistrictExplorer` and Voilà serves it.
Everything shown comes from ``suna.views`` (which only ever read data that went through
``suna.disclosure``), so the app and the reports cannot disagree and the app cannot show a count the
rules suppress, whatever combination of choices a viewer makes.

Why the app is built the way it is:

- Charts are drawn on the server, once, to SVG (``suna.presentation.chart_svg``, vl-convert) and kept with the
  other outputs; the browser only inserts the markup. Fifty browsers each parsing Vega-Lite and drawing
  every changed chart on the server's two cores were what made a district change slow (issue 18). The
  markup keeps the chart's name and each mark's label (which is also its hover title: the tooltip).
  ``renderer="vega"`` sends the ``application/vnd.vegalite.v5+json`` mimebundle instead, which Voilà's
  bundled JupyterLab Vega renderer draws in the browser with no network (Altair 6's own renderers do
  not work there offline).
- A change of local authority changes the district and period lists; a guard (``_busy``) stops those
  list changes firing updates for a half-changed choice, so each change redraws once, consistently.
- Speed: the sections are tabs and only the open one is drawn (a browser redrawing every chart of
  every section was most of a district change). Every drawn view is kept on disk and shared by every
  viewer's kernel (``suna.app.cache``); after each update a background thread draws every district,
  section and substance group of the year chosen that no kernel has drawn yet (claiming each, so the
  server draws it once), so a choice only sends what is already drawn. A kernel loads the area's data
  only when it has a view left to draw: it shows the names, districts and years from the area's kept
  summary, which keeps fifty viewers' kernels small. A generation number stops warming as soon as
  the viewer moves on.
- Only what changed is sent: each output of a section (heading, chart, caption, findings, table) has
  an Output widget of its own (``suna.app.output_column``), and a choice re-sends only the outputs that
  differ from those on the page, so the browsers redraw only the charts that changed (a chart of the
  whole area stays as it is while the viewer moves between its districts).
- Consistency: an update draws the open section first and only then changes the page, and the page's
  heading (place, year, substance group) is the first output of the section itself, in one output
  with the section's line naming the choice. Every output that changes is taken off the page before
  the new ones are sent, so the page never names one choice while showing another's outputs.
- Each panel draws in its own ``try``: a failure shows a short message in that panel only, the real
  error goes to the server log, never a traceback or a file path to the viewer.
- The local authority can only be one of ``params/``; the data folder is fixed when the app starts
  (the notebook's ``data_dir`` parameter), so no widget input can name a file.
"""

from __future__ import annotations

import html
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from suna.app import pack as app_pack
from suna.app.cache import OutputCache
from suna.app.output_column import OutputColumn
from suna.core.errors import UnknownAreaError
from suna.model import areas
from suna.presentation import chart_svg, responsive
from suna.presentation.outputs import (VEGALITE_MIME, caption_html, caption_lines, chart_output, page_note_html,
                                       table_region_html, table_toggle_html)
from suna.presentation.outputs import html_output as _html_output

log = logging.getLogger(__name__)

WHOLE_AREA = ""       # the district dropdown's value for the whole local authority
ALL_GROUPS = ""       # the substance group dropdown's value for every group
VIEW_FAILED = "This view could not be drawn for this choice."
_FINANCIAL_YEAR = re.compile(r"^\d{4}/\d{2}$")
# Each chart's "image/png" form in the app: one transparent pixel (base64). JupyterLab's Vega renderer
# (the one Voilà ships), after drawing a chart, draws it once more on a canvas to add a PNG of it to
# the output, unless the output has one, and the output changing makes the page draw the chart again:
# in every viewer's browser, several drawings of each chart where one is shown. The page never shows
# this PNG (the Vega renderer comes first), so a pixel stands in for it. The notebooks' and reports'
# charts (``suna.presentation.outputs.chart_output``) do not carry it.
NO_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
# The chart form a viewer's screen takes (``DistrictExplorer.form_choice``, set by the page's own script from
# its width): the designed charts on a page, their narrow form (suna.presentation.responsive) on a phone. Each way of
# drawing (on the server to SVG, the app's own; in the browser by Vega) has a renderer name per form.
PAGE, PHONE = "page", "phone"
SVG_BY_FORM = {PAGE: "svg", PHONE: "svg-phone"}
RENDERERS_BY_FORM = {PAGE: "vega", PHONE: "vega-phone"}
_FORMS = (SVG_BY_FORM, RENDERERS_BY_FORM)
PHONE_MAX_PX = 600  # the width below which the page asks for the phone form (the reports' own breakpoint)


@dataclass(frozen=True)
class Panel:
    """One section of the app: a heading and the registered views it shows, in order."""

    key: str
    heading: str
    views: tuple[str, ...]
    uses_substance_group: bool = False
    whole_area: bool = False  # shows the whole local authority whatever district is chosen
    tables_open: bool = False  # its views are tables: shown as they are, not behind a toggle


# The sections a board member reads, in order. View names are keys of suna.views.REGISTRY.
PANELS: tuple[Panel, ...] = (
    Panel("overview", "At a glance", ("overview.spine", "overview.headline_findings", "overview.similar_authorities")),
    Panel("treatment", "People in treatment", ("treatment.numbers_in_treatment", "treatment.successful_completion"),
          uses_substance_group=True),
    Panel("referrals", "Referral routes", ("referrals.referral_sources",), uses_substance_group=True),
    Panel("admissions", "Hospital admissions", ("admissions.trend", "admissions.districts_ranked")),
    Panel("deaths", "Drug deaths", ("deaths.district_map", "deaths.trend")),
    Panel("partnership", "Partnership dashboard", ("partnership.dashboard", "partnership.district_breakdown"),
          whole_area=True, tables_open=True),
)


# ---------------------------------------------------------------- outputs (no widgets needed)


def view_outputs(view: Any, renderer: str = "vega", table_open: bool = False) -> list[dict[str, Any]]:
    """The outputs a panel shows for one view: chart (or title), caption, findings, table toggle.

    ``table_open``: a view that is a table (the partnership dashboard) shows it, not a toggle to it.
    """
    from suna.views import table_html

    outputs = []
    spec = None
    if view.chart is not None and renderer in SVG_BY_FORM.values():  # drawn here, once: the browser inserts it
        spec = view.chart.to_dict()
        outputs.append(_html_output(chart_svg.chart_html(responsive.for_screen(spec, renderer == SVG_BY_FORM[PHONE]))))
    elif view.chart is not None:  # the chart carries the title (SUNA's charts title themselves)
        drawn = chart_output(view.chart, "vega" if renderer in RENDERERS_BY_FORM.values() else renderer)
        spec = drawn["data"].get(VEGALITE_MIME) or view.chart.to_dict()
        if VEGALITE_MIME in drawn["data"]:
            # the form for the viewer's screen: the chart's phone design, or the page's without it
            drawn["data"][VEGALITE_MIME] = responsive.for_screen(spec, renderer == RENDERERS_BY_FORM[PHONE])
            drawn["data"]["image/png"] = NO_PNG
        outputs.append(drawn)
    else:
        outputs.append(_html_output(f'<h3 class="suna-view-title">{html.escape(view.title)}</h3>'))
    caption = caption_html(caption_lines(view.footnote, spec))
    if caption and spec is not None:
        outputs.append(_html_output(caption))
    if view.findings:
        items = "".join(f"<li>{html.escape(str(line))}</li>" for line in view.findings)
        outputs.append(_html_output(f'<ul class="suna-findings">{items}</ul>'))
    if view.table is not None and not view.table.empty and table_open and spec is None:
        outputs.append(_html_output(table_region_html(view.title, view.table_markup or table_html(view.table))))
    elif view.table is not None and not view.table.empty:
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
    from suna.core import reference

    return [("All substance groups", ALL_GROUPS), *((label, code) for code, label in reference.category_labels("substance_groups").items())]


def area_options() -> list[tuple[str, str]]:
    """The local authorities in params/, by name."""
    return sorted(((areas.load_area(slug).name, slug) for slug in areas.available_areas()), key=lambda pair: pair[0])


# ---------------------------------------------------------------- data for the app


def load_app_data(area: str, period: str | None = None, data_dir: str = "",
                  area_definition: dict[str, Any] | None = None) -> Any:
    """The area's protected data, as the notebooks get it (``suna.pipeline.load_area_data``).

    Every viewer has a kernel of their own; the pipeline keeps the computed, protected indicators on
    disk (``suna.pipeline.result_cache``), so only the first kernel to need an area computes them.
    """
    from suna import pipeline

    return pipeline.load_area_data(area, period, data_dir or None, area_definition or None)


def area_summary(data: Any) -> dict[str, Any]:
    """What the page shows of an area before any view (names, districts, years, notes), kept with the drawings
    (``OutputCache.put_summary``) so a viewer's kernel need not load the area to show it."""
    return {
        "fingerprint": getattr(data, "fingerprint", ""),
        "area_code": data.area.code,
        "area_name": data.area.name,
        "districts": [list(option) for option in district_options(data.area)],
        "years": financial_years(data.table) or [data.period],
        "period": data.period,
        "synthetic_notice": data.synthetic_notice if data.is_synthetic else "",
        "notes_html": notes_html(data),
    }


def notes_html(data: Any) -> str:
    """The app's one privacy note (disclosure control's sentences behind its link), and what the choices apply to."""
    from suna.views import rule_sentences

    notes = [page_note_html(rule_sentences(data), data.synthetic_notice if data.is_synthetic else "")]
    notes.append("<p>Substance group applies to the treatment and referral views; the others count every group.</p>")
    return '<div class="suna-notes"><h2>Notes</h2>' + "".join(notes) + "</div>"


def prepare(area: str, period: str | None = None, data_dir: str = "", renderer: str = "svg") -> int:
    """Draw every view of an area's year (every district, section and substance group) before a meeting,
    so that no viewer waits for one (``suna app --prepare AREA``). How many views were drawn now."""
    explorer = DistrictExplorer(area, period, data_dir, renderer=renderer, warm=False)
    return explorer.draw_ahead()


@dataclass(frozen=True)
class _Shown:
    """The area a drawing is for: warming keeps drawing for it even after the viewer moved on to another."""

    slug: str
    period: str | None
    fingerprint: str
    area_code: str


# ---------------------------------------------------------------- the app


class DistrictExplorer:
    """The explorer: four choices at the top, then one section per question, all following every choice.

    Args:
        area: slug of params/<area>.yaml shown first.
        period: financial year shown first (default the area's own).
        data_dir: folder of the council's extracts ("" for the embedded sample); fixed for the session.
        area_definition: the params mapping papermill passes (used for the first area only).
        renderer: "svg" (charts drawn on the server, ``suna.presentation.chart_svg``) or "vega" (in the browser); either
            follows the viewer's screen into its phone form ("svg-phone", "vega-phone").
        views: view functions by name (default ``suna.views.REGISTRY``); tests pass their own.
        loader: the data loader (default :func:`load_app_data`, ``suna.pipeline.load_area_data``
            kept on disk).
        cache: where drawn views are kept (default an :class:`OutputCache` under ``.cache/app/``;
            none when ``views`` is given, so tests see every call).
        warm: draw, in a background thread, every district, section and substance group of the year
            chosen that no kernel has drawn yet, so a choice is a cache hit.
    """

    def __init__(
        self,
        area: str = "essex",
        period: str | None = None,
        data_dir: str = "",
        area_definition: dict[str, Any] | None = None,
        *,
        renderer: str = "svg",
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
        self._warmed: set[tuple[Any, ...]] = set()  # (fingerprint, year, group, renderer) drawn ahead in full
        self.fingerprint = ""
        self.summary: dict[str, Any] = {}
        self._shown = _Shown(area, period, "", "")
        self._data: Any = None
        self._data_for: tuple[str, str | None] | None = None
        self._data_lock = threading.Lock()
        self._busy = False
        self.generation = 0
        self.renders = 0  # completed updates, for tests and the benchmark

        style = {"description_width": "initial"}
        wide = w.Layout(width="auto", min_width="16em")
        self.area_choice = w.Dropdown(options=area_options(), description="Local authority", style=style, layout=wide)
        self.district_choice = w.Dropdown(options=[("Whole area", WHOLE_AREA)], description="District", style=style, layout=wide)
        self.period_choice = w.Dropdown(options=[], description="Year", style=style, layout=w.Layout(width="auto"))
        self.substance_choice = w.Dropdown(options=substance_options(), description="Substance group", style=style, layout=wide)
        self.status = w.HTML()
        self.outputs = {panel.key: OutputColumn() for panel in PANELS}  # each output re-sent only when it changes
        self.sections = w.Tab(children=[self.outputs[panel.key].widget for panel in PANELS],
                              titles=[panel.heading for panel in PANELS], selected_index=0)
        self._drawn_for: dict[str, int] = {}  # panel key -> the generation (choice) it shows
        self.notes = w.HTML()
        # the board pack the batch made, sent only when asked for (suna.app.pack)
        self.pack_button = w.Button(description="Board pack (PDF)", tooltip="Get the printable board pack for this local authority")
        self.pack_button.add_class("suna-pack-button")
        self.pack = w.HTML()
        self.pack_button.on_click(self._on_pack)
        self.marker = w.HTML()  # says "drawn" to tests and the benchmark, after every panel
        self.map_clicks = w.Output(layout=w.Layout(display="none"))
        self.map_clicks.outputs = (_html_output(_MAP_CLICK_SCRIPT + _SCREEN_FORM_SCRIPT),)
        # the chart form for the viewer's screen, set by the page's script from its width (never shown)
        self.form_choice = w.Dropdown(options=[("Page", PAGE), ("Phone", PHONE)], value=PAGE, description="Chart form",
                                      layout=w.Layout(display="none"))
        self.form_choice.add_class("suna-form-choice")
        for panel in PANELS:
            self.outputs[panel.key].add_class(f"suna-panel-{panel.key}")
            if any(name.endswith("map") for name in panel.views):
                self.outputs[panel.key].add_class("suna-map-panel")
        self.status.add_class("suna-status")

        self.widget = w.VBox(
            [
                w.HTML(_STYLE),
                w.HBox([self.area_choice, self.district_choice, self.period_choice, self.substance_choice],
                       layout=w.Layout(flex_flow="row wrap")),
                self.status,
                self.sections,
                w.HBox([self.pack_button, self.pack], layout=w.Layout(flex_flow="row wrap", align_items="center")),
                self.notes,
                self.marker,
                self.map_clicks,
                self.form_choice,
            ],
            layout=w.Layout(max_width="1100px"),
        )
        self.widget.add_class("suna-explorer")

        self._set_area(area, period)
        self.area_choice.observe(self._on_area, names="value")
        for choice in (self.district_choice, self.period_choice, self.substance_choice):
            choice.observe(self._on_choice, names="value")
        self.sections.observe(self._on_section, names="selected_index")
        self.form_choice.observe(self._on_form, names="value")
        self.update()

    # -- Jupyter display
    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # -- the area's data, loaded only when a view must be drawn
    @property
    def data(self) -> Any:
        """The area's protected data (:func:`load_app_data`). A kernel whose every view is drawn already
        (by it or another kernel) never loads it: the page's names come from the area's summary."""
        return self._area_data(self._shown.slug, self._shown.period)

    def _area_data(self, slug: str, period: str | None) -> Any:
        with self._data_lock:
            if self._data is None or self._data_for != (slug, period):
                self._data = self._loader(slug, period, self.data_dir, self._area_definition.get(slug))
                self._data_for = (slug, period)
            return self._data

    def _summary_for(self, slug: str, period: str | None) -> tuple[dict[str, Any], Any]:
        """The area's summary (kept, or made from its data) and its data when they had to be loaded."""
        definition = self._area_definition.get(slug)
        fingerprint = ""
        if self.cache is not None:
            from suna import pipeline

            fingerprint = pipeline.data_fingerprint(slug, period, self.data_dir or None, definition)
            found = self.cache.summary(fingerprint)
            if found is not None:
                return found, None
        data = self._loader(slug, period, self.data_dir, definition)
        summary = area_summary(data)
        if self.cache is not None and summary["fingerprint"] == fingerprint:
            self.cache.put_summary(fingerprint, summary)
        return summary, data

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
        """Show an area: reset the district and year lists without firing updates."""
        if slug not in areas.available_areas():
            raise UnknownAreaError(str(slug), areas.available_areas(), kind="local authority")
        summary, data = self._summary_for(slug, period)
        self._busy = True
        try:
            with self._data_lock:
                self._data, self._data_for = (data, (slug, period)) if data is not None else (self._data, self._data_for)
            self._shown = _Shown(slug, period, summary["fingerprint"], summary["area_code"])
            self.pack.value = ""  # a link offered for the area before is not this area's pack
            self.summary, self.fingerprint = summary, summary["fingerprint"]
            years = list(summary["years"])
            wanted = period or self.period_choice.value or summary["period"]
            self.area_choice.value = slug
            self.district_choice.options = [tuple(option) for option in summary["districts"]]
            self.district_choice.value = WHOLE_AREA
            self.period_choice.options = years
            self.period_choice.value = wanted if wanted in years else (summary["period"] if summary["period"] in years else years[-1])
            self.notes.value = summary["notes_html"]
        finally:
            self._busy = False

    def _on_pack(self, _button: Any = None) -> None:
        """Offer the area's board pack (or say why there is none); nothing from an error reaches the page."""
        try:
            self.pack.value = app_pack.find_pack(self._shown.slug, self.summary["area_name"], self.data_dir).html()
        except Exception:
            log.exception("board pack for %r", self._shown.slug)
            self.pack.value = '<p class="suna-pack" role="status">The board pack could not be fetched.</p>'

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

    def _on_form(self, change: dict[str, Any]) -> None:
        """The screen changed between a page and a phone: the charts redrawn in the form that fits it
        (their kept drawings are per form)."""
        for forms in _FORMS:
            if self.renderer in forms.values():
                self.renderer = forms[change["new"]]
                self.update()
                return

    def _on_section(self, change: dict[str, Any]) -> None:
        """A tab opened: draw it if it does not show the current choice yet."""
        if change["new"] is not None and self._drawn_for.get(self.visible_panel.key) != self.generation:
            self._show(self.visible_panel, self._panel_outputs(self.visible_panel, self.choice))
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
        """Show the current choice in the open section, heading and all, in one change of the page.

        The section is drawn (from the cache, usually) before anything on the page changes, and its
        outputs start with the page's heading (place, year, substance group); the outputs that change
        are taken off the page before any new one is sent (``OutputColumn.show``), so the page never
        names one choice while showing another's, and the outputs that are the same for the new choice
        are not sent again. Only the open section is drawn: a browser redrawing every chart of every
        section after each change is what made a change slow; the others are emptied and drawn when
        opened.
        """
        self.generation += 1
        choice, panel = self.choice, self.visible_panel
        if not self._is_drawn(panel, choice):  # something to compute: say so while it is
            self.status.value = (f'<p class="suna-loading" role="status">Updating for '
                                 f"{html.escape(self._place(choice['district']))}…</p>")
        self._show(panel, self._panel_outputs(panel, choice))
        self.status.value = ""
        self._finish_render()
        if self.warm:
            self._start_warming()

    def _show(self, panel: Panel, outputs: list[dict[str, Any]]) -> None:
        """Put a section's outputs on the page and empty every other section (one heading on the page)."""
        self.outputs[panel.key].outputs = tuple(outputs)
        self._drawn_for = {panel.key: self.generation}
        for other in PANELS:
            if other is not panel and self.outputs[other.key].outputs:
                self.outputs[other.key].outputs = ()

    def _finish_render(self) -> None:
        self.renders += 1
        self.marker.value = f'<span class="suna-rendered" data-renders="{self.renders}" hidden></span>'

    @staticmethod
    def _view_choice(panel: Panel, choice: dict[str, str | None]) -> dict[str, str | None]:
        kwargs = dict(choice)
        if not panel.uses_substance_group:
            kwargs["substance_group"] = None
        return kwargs

    def _key(self, name: str, kwargs: dict[str, Any], shown: _Shown, renderer: str | None = None) -> str:
        return OutputCache.key(shown.fingerprint, name, {"area": shown.area_code, **kwargs}, renderer or self.renderer)

    def _is_drawn(self, panel: Panel, choice: dict[str, str | None]) -> bool:
        if self.cache is None:
            return True
        kwargs, shown = self._view_choice(panel, choice), self._shown
        return all(self.cache.has(self._key(name, kwargs, shown)) for name in panel.views)

    def _panel_outputs(self, panel: Panel, choice: dict[str, str | None]) -> list[dict[str, Any]]:
        outputs = [_html_output(self._heading_html(choice) +
                                f'<h2 class="suna-panel-heading">{html.escape(panel.heading)}</h2>'
                                f'<p class="suna-panel-choice" data-choice="{self._choice_key(choice)}">'
                                f"{html.escape(self._choice_line(panel, choice))}</p>")]
        if any(name.endswith("map") for name in panel.views):
            outputs.append(_html_output('<p class="suna-hint">Choose a district in the list above, or click it on the map.</p>'))
        registry = self.view_functions()
        names = [name for name in panel.views if name in registry]
        if not names:
            log.error("no view registered for panel %s (looked for %s)", panel.key, panel.views)
            return outputs + failure_outputs(panel.heading)[1:]
        kwargs, shown = self._view_choice(panel, choice), self._shown
        for name in names:
            outputs += self._view_outputs(name, registry[name], kwargs, shown, panel.tables_open) or []
        return outputs

    def _view_outputs(self, name: str, fn: Callable[..., Any], kwargs: dict[str, Any], shown: _Shown,
                      tables_open: bool = False, ahead: bool = False, renderer: str | None = None) -> list[dict[str, Any]] | None:
        """One view drawn (from the cache when it has it); a failure becomes the short message.

        ``ahead``: drawn for later (warming): nothing is read back, and a view that another kernel
        has claimed, or that is kept already, is left to it (None). ``renderer`` is read once (the
        warming thread passes its job's): a form changing meanwhile must not file one form's drawing
        under the other's key.
        """
        renderer = renderer or self.renderer
        key = self._key(name, kwargs, shown, renderer) if self.cache is not None else ""
        if self.cache is not None:
            if ahead:
                if self.cache.has(key) or not self.cache.claim(key):
                    return None
            else:
                found = self.cache.get(key)
                if found is not None:
                    return found
        try:
            data = self._area_data(shown.slug, shown.period)
            outputs = view_outputs(fn(data, **kwargs), renderer, table_open=tables_open)
        except Exception:
            log.exception("view %s failed for %s %s", name, shown.area_code, kwargs)
            return failure_outputs(_view_heading(name))[1:]
        finally:
            if ahead and self.cache is not None:
                self.cache.release(key)
        if self.cache is not None:
            self.cache.put(key, outputs)
        return outputs

    def _warm_order(self, choice: dict[str, str | None]) -> list[tuple[Panel, dict[str, str | None]]]:
        """Every section, district and substance group of the year chosen, most likely next first:
        the other sections for this choice, every district of the open one, every district of the
        others, then the other substance groups."""
        districts = [value or None for _, value in self.district_choice.options]
        group = choice["substance_group"]
        groups = [code or None for _, code in substance_options() if (code or None) != group]
        visible = self.visible_panel
        others = [panel for panel in PANELS if panel is not visible]
        steps = [(choice["district"], panel, group) for panel in others]
        steps += [(district, visible, group) for district in districts]
        steps += [(district, panel, group) for panel in others for district in districts]
        steps += [(district, panel, other) for other in groups for panel in PANELS if panel.uses_substance_group
                  for district in districts]
        order, seen = [], set()
        for district, panel, g in steps:
            kwargs = self._view_choice(panel, {**choice, "district": district, "substance_group": g})
            if (panel.key, tuple(kwargs.items())) not in seen:
                seen.add((panel.key, tuple(kwargs.items())))
                order.append((panel, kwargs))
        return order

    def _start_warming(self) -> None:
        """Draw, in the background, what the viewer may ask for next, and that no kernel has drawn yet.

        Every kernel shares the drawings on disk and claims a view before drawing it, so a year's
        views are drawn once on the server, not once per viewer; a kernel that finds them all drawn
        remembers it and does not look again. It stops as soon as the viewer changes something.
        """
        generation, job = self.generation, self._warm_job()
        if job in self._warmed:
            return
        order = self._warm_order(self.choice)
        self._warmer = threading.Thread(target=self.draw_ahead, args=(order, job, lambda: generation != self.generation),
                                        name="suna-warm", daemon=True)
        self._warmer.start()

    def _warm_job(self) -> tuple[Any, ...]:
        choice = self.choice
        return (self._shown, choice["period"], choice["substance_group"], self.renderer)

    def draw_ahead(self, order: list[tuple[Panel, dict[str, str | None]]] | None = None, job: tuple[Any, ...] | None = None,
                   stop: Callable[[], bool] = lambda: False) -> int:
        """Draw the views in ``order`` (default every district, section and substance group of the year
        chosen) that no kernel has drawn or is drawing; how many this call drew."""
        order = self._warm_order(self.choice) if order is None else order
        job = self._warm_job() if job is None else job
        registry, shown, drawn = self.view_functions(), job[0], 0
        for panel, kwargs in order:
            for name in panel.views:
                if stop():
                    return drawn  # the viewer moved on; the new choice starts its own warming
                if name in registry:
                    drawn += self._view_outputs(name, registry[name], kwargs, shown, panel.tables_open, ahead=True,
                                                renderer=job[3]) is not None
        self._warmed.add(job)
        return drawn

    def _place(self, district: str | None) -> str:
        """The place chosen in the reader's words: a district's name, or the area's."""
        names = {value: label for label, value in self.summary["districts"]}
        return names.get(district, district) if district else self.summary["area_name"]

    def _choice_key(self, choice: dict[str, str | None]) -> str:
        """The choice as one attribute value, the same on the heading and every section showing it
        (tests and the benchmark compare them)."""
        parts = (self._shown.area_code, choice["district"], choice["period"], choice["substance_group"])
        return html.escape("|".join(part or "" for part in parts), quote=True)

    def _choice_line(self, panel: Panel, choice: dict[str, str | None]) -> str:
        """What a section shows, in words: place, year and substance group ("Harlow, Essex · 2023/24 · Opiate")."""
        from suna.model import formatting

        area, district = self.summary["area_name"], choice["district"]
        if panel.whole_area:
            place = f"{area} as a whole, the partnership's area" + (f", not {self._place(district)} alone" if district else "")
        else:
            place = f"{self._place(district)}, {area}" if district else f"Whole of {area}"
        groups = {code: label for label, code in substance_options()}
        if panel.uses_substance_group:
            group = groups.get(choice["substance_group"] or ALL_GROUPS, "")
        else:
            group = "All substance groups" + (" (the group chosen applies to treatment and referrals)"
                                              if choice["substance_group"] else "")
        return f"{place} · {formatting.format_period(choice['period'] or self.summary['period'])} · {group}"

    def _heading_html(self, choice: dict[str, str | None]) -> str:
        from suna.model import formatting

        place = self._place(choice["district"])
        within = "" if not choice["district"] else f", {html.escape(self.summary['area_name'])}"
        groups = {code: label for label, code in substance_options()}
        group = "" if not choice["substance_group"] else f" · {html.escape(groups.get(choice['substance_group'], ''))}"
        notice = self.summary["synthetic_notice"]
        banner = f'<p class="suna-synthetic-banner" role="note">{html.escape(notice)}</p>' if notice else ""
        return (f'<div class="suna-heading"><h1 class="suna-title" data-choice="{self._choice_key(choice)}">'
                f"{html.escape(place)}{within}</h1>"
                f'<p class="suna-subtitle">{html.escape(formatting.format_period(choice["period"] or self.summary["period"]))}'
                f"{group}</p>{banner}</div>")


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

# Tells the kernel whether the page is phone-wide (by the hidden "Chart form" choice), at load and on every
# crossing of the breakpoint (a phone turned, a window narrowed).
_SCREEN_FORM_SCRIPT = """<script>
(function () {
  if (window.sunaScreenForm) return;
  window.sunaScreenForm = true;
  var query = window.matchMedia("(max-width: %(px)dpx)");
  function tell() {
    var select = document.querySelector(".suna-form-choice select");
    if (!select) { setTimeout(tell, 200); return; }
    var wanted = query.matches ? "Phone" : "Page";
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].textContent.trim() === wanted && select.selectedIndex !== i) {
        select.selectedIndex = i;
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
  }
  query.addEventListener("change", tell);
  tell();
})();
</script>""" % {"px": PHONE_MAX_PX}

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
.suna-explorer .suna-chart svg.marks { max-width: none; height: auto; }  /* drawn at its designed size, as Vega draws it */
.suna-explorer .suna-chart-svg { display: inline-block; }  /* its box as wide as the chart, as Vega's is */
.suna-explorer .jp-RenderedHTMLCommon:has(> .suna-chart-svg) { padding-right: 0; overflow: visible; }  /* a chart's output as wide as Vega's, and no scroll box */
@media (max-width: 600px) {  /* a phone: the page's margins narrowed so a chart's 340 px phone form fits whole (not cut off by its panel) */
  body.jp-Notebook .lm-BoxPanel-child { padding-left: 4px !important; padding-right: 4px !important; }
  .jp-OutputArea-output:has(.suna-explorer) { margin-left: 0; }
  .suna-explorer .jupyter-widget-TabPanel-tabContents { padding: 8px 4px !important; }
  .suna-explorer .jp-RenderedHTMLCommon { margin-left: 0; }
}
.suna-explorer .lm-TabBar-tab { background: #E8EEF4; opacity: 1; }
.suna-explorer .lm-TabBar-tab.lm-mod-current { background: #FFFFFF; }
.suna-explorer .lm-TabBar-tab .lm-TabBar-tabLabel { color: #1B1B1B; }
.suna-explorer .suna-table-toggle, .suna-explorer .suna-table-open { overflow-x: auto; }
.suna-explorer .suna-panel-choice { color: #3D3D3D; margin: 0.2em 0 0.6em; }
.suna-explorer .widget-dropdown { margin-right: 1em; }
.suna-explorer .suna-output { margin: 0; }
.suna-explorer select:focus-visible { outline: 3px solid #12436D !important; outline-offset: 1px; }  /* keyboard focus seen (WCAG 2.4.7) */
.suna-explorer .suna-map-panel path[aria-roledescription="geoshape"] { cursor: pointer; }
.suna-explorer table.suna-table { border-collapse: collapse; font-size: 0.9em; }
.suna-explorer svg.suna-sparkline { max-width: none; min-width: 96px; height: 24px; }
.suna-explorer table.suna-table th, .suna-explorer table.suna-table td { padding: 2px 8px; border-bottom: 1px solid #ddd; }
</style>"""
