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
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class View:
    """What one notebook cell or app panel shows.

    Attributes:
        title: a short heading in plain English.
        chart: an Altair chart (or None when there is nothing that may be drawn).
        table: the protected figures behind the chart, for display (suppressed cells shown as such).
        footnote: suppression, source, period and the synthetic-data notice, in one paragraph.
        findings: plain-English sentences, each one finding.
    """

    title: str
    chart: Any = None
    table: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    footnote: str = ""
    findings: list[str] = field(default_factory=list)

    def findings_markdown(self) -> str:
        """The findings as a Markdown bullet list (empty string when there are none)."""
        return "\n".join(f"- {line}" for line in self.findings)


def show(view: View, table: bool = True) -> None:
    """Display a view in a notebook, an executed report or a Voilà app.

    The chart goes out as Altair's own mimebundle (the batch re-embeds it offline), the table as an
    HTML table without the index, then the findings and the footnote as Markdown, so the HTML
    report reads as text with no code.

    Args:
        view: what to show.
        table: also show the table of figures (the apps may hide it behind a toggle).
    """
    from IPython.display import HTML, Markdown, display

    if view.chart is not None:
        # The Vega-Lite mimebundle itself (Altair's "default" renderer gives only HTML in a papermill
        # kernel): the batch re-embeds it offline and the tests read the spec back.
        from suna.outputs import chart_output

        bundle = chart_output(view.chart)
        display(bundle["data"], metadata=bundle["metadata"], raw=True)
    if table and view.table is not None and not view.table.empty:
        display(HTML(table_html(view.table)))
    if view.findings:
        display(Markdown(view.findings_markdown()))
    if view.footnote:
        display(Markdown(f"<small>{view.footnote}</small>"))


def table_html(table: pd.DataFrame) -> str:
    """A display table as plain HTML: no index, missing cells blank, nothing rounded here."""
    shown = table.astype(object).where(table.notna(), "")
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

from suna.views import partnership  # noqa: E402

REGISTRY.update(partnership.VIEWS)

__all__ = ["REGISTRY", "View", "show", "table_html"]
