"""Views: one chart, one protected table, a footnote and plain-English findings, ready to show.

A view is what a notebook cell, a report section or a Voilà panel shows about one question
("How many people are in treatment, by substance group?"). The functions in
``suna.views.treatment``, ``referrals``, ``admissions``, ``deaths``, ``overview`` and ``partnership`` build them from
an :class:`suna.pipeline.AreaData` and only ever from data that went through ``suna.disclosure``, so
the notebooks and the apps share one truth and neither can show a count the rules suppress.

Every view function takes the area data and, optionally, a ``district`` (code or name; ``None`` is
the whole area), a ``period`` (financial year "2023/24"; default the data's) and a ``substance_group``
(a code from ``data/reference/categories.yaml``; ``None`` is every group).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from suna import disclosure
from suna.model import formatting as fmt
from suna.presentation import outputs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class View:
    """What one notebook cell or app panel shows.

    Attributes:
        title: a short heading in plain English.
        chart: an Altair chart (or None when there is nothing that may be drawn).
        table: the protected figures behind the chart, for display (suppressed cells shown as such).
        footnote: the source and what the figures count, one line (privacy and the synthetic-data notice
            are said once per page: ``page_note``).
        findings: plain-English sentences, each one finding.
        table_markup: the table as HTML where it says more than its figures (the dashboard's trend
            sparklines); a view that is a table shows this in its place.
    """

    title: str
    chart: Any = None
    table: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    footnote: str = ""
    findings: list[str] = field(default_factory=list)
    table_markup: str = field(default="", repr=False)

    def findings_markdown(self) -> str:
        """The findings as a Markdown bullet list (empty string when there are none)."""
        return "\n".join(f"- {line}" for line in self.findings)


def show(view: View, table: bool = True) -> None:
    """Display a view in a notebook, an executed report or a Voilà app.

    The chart goes out as Altair's own mimebundle (the batch re-embeds it offline), then its caption
    (source, period, how to read it) as small print under it, its figures one click away behind a
    toggle, then the findings as Markdown, so the HTML report reads as text with no code. Privacy
    notes are the page's (``page_note``), not repeated under every chart.

    Args:
        view: what to show.
        table: also show the table of figures (the apps may hide it behind a toggle).
    """
    from IPython.display import HTML, Markdown, display

    spec = None
    if view.chart is not None:
        # The Vega-Lite mimebundle itself (Altair's "default" renderer gives only HTML in a papermill
        # kernel): the batch re-embeds it offline and the tests read the spec back.
        bundle = outputs.chart_output(view.chart)
        spec = bundle["data"][outputs.VEGALITE_MIME]
        display(bundle["data"], metadata=bundle["metadata"], raw=True)
    caption = outputs.caption_html(outputs.caption_lines(view.footnote, spec))
    if caption and spec is not None:
        display(HTML(caption))
    if table and view.table is not None and not view.table.empty:
        display(HTML(outputs.table_toggle_html(view.title, table_html(view.table))))
    if view.findings:
        display(Markdown(view.findings_markdown()))
    if caption and spec is None:
        display(HTML(caption))


def page_note(data: AreaData, synthetic: bool = True) -> None:
    """Display the page's one note on privacy (and the synthetic-data notice), once, near its top.

    ``synthetic=False`` leaves the notice to a section that states it already (``about_data``).
    """
    from IPython.display import HTML, display

    notice = (getattr(data, "synthetic_notice", "") or "") if synthetic else ""
    display(HTML(outputs.page_note_html(rule_sentences(data), notice)))


def rule_sentences(data: AreaData) -> list[str]:
    """Disclosure control's own sentences for the area's figures (``suna.disclosure.footnote``), one each."""
    record = getattr(getattr(data, "protected", None), "record", None)
    text = disclosure.footnote(record) if record is not None and len(record) else ""
    parts = [part.strip() for part in re.split(r"(?<=\.)\s+(?=[A-Z*])", text or "") if part.strip()]
    return [part if part.endswith(".") else part + "." for part in parts]


def table_html(table: pd.DataFrame) -> str:
    """A display table as plain HTML: no index, headers and cells in a reader's words (thousands
    separators, "not shown" for a hidden figure, no raw column names), nothing rounded here."""
    headers = [fmt.column_label(c) for c in table.columns]
    shown = pd.DataFrame({i: [fmt.table_cell(v, header) for v in table.iloc[:, i]] for i, header in enumerate(headers)})
    shown.columns = headers
    return shown.to_html(index=False, escape=True, border=0, classes="suna-table")


# Every view by name ("module.view"), for the apps and the tests; each view module lists its own in VIEWS.
REGISTRY: dict[str, Any] = {}

from suna.views import admissions, deaths, overview  # noqa: E402  (the modules import View from here)

REGISTRY.update(admissions.VIEWS)
REGISTRY.update(deaths.VIEWS)
REGISTRY.update(overview.VIEWS)

from suna.views import referrals, treatment  # noqa: E402

REGISTRY.update(treatment.VIEWS)
REGISTRY.update(referrals.VIEWS)

from suna.pipeline import AreaData
from suna.views import partnership  # noqa: E402

REGISTRY.update(partnership.VIEWS)

__all__ = ["REGISTRY", "View", "page_note", "rule_sentences", "show", "table_html"]
