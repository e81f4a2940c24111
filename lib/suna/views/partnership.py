"""The partnership's dashboard: every metric a Combating Drugs Partnership board is measured against, one row each.

The metrics and their outcomes come from ``data/reference/partnership_metrics.yaml`` (the National Combating
Drugs Outcomes Framework's outcomes, HM Government 2022, and the local metrics a delivery plan adds); the
targets from the area's parameters (``suna.indicators.targets``). A row holds the latest value, its trend, the target, the
on-track status with its rule, and England's figure where one is published. Indicator figures are read from
the protected indicators table, never recomputed; crime figures (the crime table) are summed into financial
years and passed through the disclosure engine under the police rule. A metric without figures says, in one
sentence, what the partnership must supply.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd
from IPython.display import HTML, display

from suna.core import reference
from suna.core.errors import SunaError
from suna.disclosure import counts as disclosure_counts
from suna.indicators import national, targets
from suna.model import formatting as fmt
from suna.model.periods import end_year, financial_year_of, year_end, year_start
from suna.presentation import narrative, outputs, sparklines
from suna.views import View, common, overview, show

if TYPE_CHECKING:
    from suna.pipeline import AreaData

log = logging.getLogger(__name__)

POLICE = "police"  # the disclosure rule of the crime table (data/reference/disclosure_rules.yaml)
CRIME_SOURCE = "the partnership's community-safety figures (crime table)"
TREND_PERIODS = 5
COLUMNS = ["outcome", "metric_id", "metric", "period", "value", "value_text", "trend_periods", "trend_values",
           "target_text", "target_value", "target_period", "expected", "status", "rule", "england_text",
           "compared_to_england", "compared_to_similar", "supply", "definition"]
NOT_COMPARED = "Not compared"
SIMILAR_INDICATOR = national.INDICATOR_ID  # the one figure ONS publishes for every authority


# --------------------------------------------------------------------------------------------------
# Crime figures: financial years, protected
# --------------------------------------------------------------------------------------------------

def crime_years(crime: pd.DataFrame, area: Any) -> pd.DataFrame:
    """The crime table as counts by place (the area and each district), measure and financial year.

    A year is counted only when its periods cover every day of it (April to March), so a part year is
    never shown as a whole one. The area's figure is its own rows (an empty district) where the table has
    them for the measure, else the sum of its districts' whole years. Columns: area_code, measure, period, count.
    """
    columns = ["area_code", "measure", "period", "count"]
    if crime is None or crime.empty:
        return pd.DataFrame(columns=columns)
    t = crime.assign(period=financial_year_of(crime["period_start_date"]),
                     area_code=crime["district_code"].where(crime["district_code"].notna(), area.code))
    t = t.loc[t["period"].eq(financial_year_of(crime["period_end_date"]))]  # a period across two years is in neither
    keys = ["area_code", "measure", "period"]
    days = (t["period_end_date"] - t["period_start_date"]).dt.days + 1
    covered = t.assign(days=days).groupby(keys).agg(count=("count", "sum"), days=("days", "sum")).reset_index()
    whole_year = covered["period"].map(lambda p: (year_end(p) - year_start(p)).days + 1)
    years = covered.loc[covered["days"] >= whole_year, columns]
    districts = years.loc[years["area_code"].ne(area.code)]
    own = set(years.loc[years["area_code"].eq(area.code), "measure"])
    summed = (districts.loc[~districts["measure"].isin(own)].assign(area_code=area.code)
              .groupby(keys, as_index=False)["count"].sum())
    return pd.concat([years, summed], ignore_index=True)[columns]


def protected_crime(data: AreaData) -> Any:
    """The crime years through disclosure control (the police rule; the area is the margin of its districts)."""
    years = crime_years(data.tables.get("crime"), data.area)
    return disclosure_counts.protect_counts(years, data.area, dims=["measure", "period"], rule_name=POLICE)


# --------------------------------------------------------------------------------------------------
# One row per metric
# --------------------------------------------------------------------------------------------------

def _up_to(rows: pd.DataFrame, period: str) -> pd.DataFrame:
    limit = end_year(period) or 0
    return rows[rows["period"].map(end_year).fillna(0) <= limit]


def _series(rows: pd.DataFrame, value: str) -> tuple[list[str], list[float | None]]:
    """The last TREND_PERIODS periods and values (None where hidden or missing), oldest first."""
    order = rows.assign(_end=rows["period"].map(end_year)).sort_values("_end").tail(TREND_PERIODS)
    values = [None if fmt.is_missing(v) else float(v) for v in order[value]]
    return [str(p) for p in order["period"]], values


def _value_at(rows: pd.DataFrame, period: str, value: str) -> float | None:
    hit = rows[rows["period"].astype(str) == str(period)]
    if hit.empty or fmt.is_missing(hit[value].iloc[0]):
        return None
    return float(hit[value].iloc[0])


def _indicator_row(data: AreaData, metric: Mapping[str, Any], period: str) -> dict[str, Any] | None:
    rows = common.headline(common.indicator_rows(data, metric["indicator"]))
    if rows.empty:
        return None
    mine = _up_to(rows[rows["area_code"] == data.area.code], period)
    latest = common.choose_period(mine, period)
    if latest is None:
        return None
    row = mine[mine["period"].astype(str) == latest].iloc[0]
    column = "count" if str(row.get("measure")) == "count" else "value"
    england = rows[(rows["area_code"] == common.ENGLAND_CODE) & (rows["period"].astype(str) == latest)]
    periods, values = _series(mine, column)
    return {
        "period": latest, "value": None if fmt.is_missing(row[column]) else float(row[column]),
        "value_text": _shown(row), "trend_periods": periods, "trend_values": values, "rows": mine, "value_column": column,
        "polarity": row.get("polarity"),
        "england_text": _shown(england.iloc[0]) if len(england) else "",
        "compared_to_england": common.outcome_text(row.get("compared_to_england"), row.get("polarity")) or NOT_COMPARED,
    }


def _shown(row: pd.Series) -> str:
    """A protected value for display; "suppressed" where disclosure control hid it (narrative's wording)."""
    return narrative.value_text(row)


def _crime_row(years: pd.DataFrame, metric: Mapping[str, Any], area_code: str, period: str) -> dict[str, Any] | None:
    mine = years[(years["area_code"] == area_code) & (years["measure"] == metric["crime"])]
    mine = _up_to(mine, period)
    latest = common.choose_period(mine, period)
    if latest is None:
        return None
    row = mine[mine["period"].astype(str) == latest].iloc[0]
    periods, values = _series(mine, "count")
    return {
        "period": latest, "value": None if fmt.is_missing(row["count"]) else float(row["count"]),
        "value_text": fmt.format_count(row["count"], row.get("count_display")), "trend_periods": periods,
        "trend_values": values, "rows": mine, "value_column": "count", "polarity": None,
        "england_text": "", "compared_to_england": NOT_COMPARED,
    }


def _target_columns(target: targets.Target | None, figures: dict[str, Any] | None) -> dict[str, Any]:
    """Target, trajectory and status of one metric (status "No status" without a target or figures)."""
    if target is None:
        return {"target_text": "", "target_value": None, "target_period": "", "expected": None,
                "status": "", "rule": ""}
    baseline = _value_at(figures["rows"], target.baseline_period, figures["value_column"]) if figures else None
    value = figures["value"] if figures else None
    status = targets.assess(target, baseline, figures["period"] if figures else None, value,
                            polarity=figures.get("polarity") if figures else None)
    goal = status.target
    if goal is None:
        text = f"{target.target_change_pct:+g}% on {target.baseline_period} by {target.target_period}"
    else:
        text = f"{fmt.format_number(goal, 1 if goal % 1 else 0)} by {target.target_period}"
        if target.target_change_pct is not None:
            text += f" ({target.target_change_pct:+g}% on {target.baseline_period})"
    return {"target_text": text, "target_value": goal, "target_period": target.target_period,
            "expected": status.expected, "status": status.status, "rule": targets.RULE}


def dashboard_table(data: AreaData, *, period: str | None = None,
                    area_definition: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """The dashboard: one row per metric of the partnership, in outcome order (``COLUMNS``).

    Args:
        data: the area's data (``suna.pipeline.load_area_data``).
        period: the financial year reported (default the data's); later periods are left out.
        area_definition: the area mapping a notebook was given (its ``targets``); default the params file.

    Raises:
        ParametersError: a target in the parameters is malformed (the key is named).
    """
    period = period or data.period
    year_start(period)  # a financial year, or SUNA's own message
    spec = reference.partnership_metrics()
    wanted = _targets(data, area_definition)
    years = protected_crime(data).table
    rows = []
    for metric_id, metric in spec["metrics"].items():
        figures = None
        if metric.get("indicator"):
            figures = _indicator_row(data, metric, period)
        elif metric.get("crime"):
            figures = _crime_row(years, metric, data.area.code, period)
        target = wanted.get(metric_id) or wanted.get(metric.get("indicator") or metric.get("crime") or "")
        row = {"outcome": metric["outcome"], "metric_id": metric_id, "metric": metric["name"],
               "definition": metric.get("definition", ""), "supply": "" if figures else metric.get("supply", ""),
               "period": "", "value": None, "value_text": "", "trend_periods": [], "trend_values": [],
               "england_text": "", "compared_to_england": "", "compared_to_similar": ""}
        if figures and metric.get("indicator") == SIMILAR_INDICATOR:
            row["compared_to_similar"] = _similar_sentence(data, period)
        if figures:
            row.update({k: v for k, v in figures.items() if k in COLUMNS})
        row.update(_target_columns(target, figures))
        if target is not None and not row["status"]:
            row["status"] = targets.NO_STATUS
        rows.append(row)
    order = {name: i for i, name in enumerate(spec["outcomes"])}
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.sort_values("outcome", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)


def _similar_sentence(data: AreaData, period: str) -> str:
    """The area beside its ten most similar authorities, in the words of the overview's view (ONS figures)."""
    findings = overview.similar_authorities(data, period=period).findings
    return next((f for f in findings if not f.startswith("Most similar:")), "")


def _targets(data: AreaData, area_definition: Mapping[str, Any] | None) -> dict[str, targets.Target]:
    """The area's targets by metric (the first for a metric named twice); none for an area without a params file."""
    try:
        found = targets.area_targets(data.area.slug, area_definition)
    except SunaError as exc:
        if area_definition:
            raise
        log.info("no targets for %s: %s", data.area.name, exc)
        return {}
    out: dict[str, targets.Target] = {}
    for target in found:
        out.setdefault(target.metric, target)
    return out


# --------------------------------------------------------------------------------------------------
# The view
# --------------------------------------------------------------------------------------------------

def dashboard(data: AreaData, *, district: str | None = None, period: str | None = None,
              substance_group: str | None = None, area_definition: Mapping[str, Any] | None = None) -> View:
    """The partnership's dashboard: every metric, its trend, target and on-track status, for the whole area.

    The dashboard is the partnership's, so a district choice still shows the whole area (and says so);
    ``district_breakdown`` gives the districts of one metric.
    """
    common.check_substance_group(substance_group)
    common.resolve_place(data, district)  # an unknown district is still SUNA's own message
    period = period or data.period
    return _dashboard_view(data, dashboard_table(data, period=period, area_definition=area_definition), period, district)


def show_dashboard(data: AreaData, *, period: str | None = None, area_definition: Mapping[str, Any] | None = None) -> None:
    """Display the dashboard in a notebook or report: the table with each row's trend drawn as a sparkline
    beside the figures in words (``dashboard_html``), then its findings and sources."""
    period = period or data.period
    view = _dashboard_view(data, dashboard_table(data, period=period, area_definition=area_definition), period, None)
    display(HTML(outputs.table_region_html(view.title, view.table_markup)))
    show(view, table=False)


def dashboard_html(table: pd.DataFrame) -> str:
    """The dashboard (``dashboard_table``) as an HTML table for a reader: ``display_table``'s words and figures,
    escaped, and a "Trend chart" column of sparklines whose accessible names say the same figures in words."""
    shown = display_table(table)
    headers = [fmt.column_label(c) for c in shown.columns]
    at = headers.index("Trend") + 1
    charts = [sparklines.sparkline_svg(values, periods, metric) for values, periods, metric in
              zip(table["trend_values"], table["trend_periods"], table["metric"])]
    head = "".join(f"<th>{html.escape(h)}</th>" for h in [*headers[:at], "Trend chart", *headers[at:]])
    rows = []
    for i in range(len(shown)):
        cells = [f"<td>{html.escape(fmt.table_cell(v, h))}</td>" for v, h in zip(shown.iloc[i], headers)]
        rows.append("<tr>" + "".join([*cells[:at], f"<td>{charts[i]}</td>", *cells[at:]]) + "</tr>")
    return (f'<table border="0" class="dataframe suna-table suna-dashboard"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _dashboard_view(data: AreaData, table: pd.DataFrame, period: str, district: str | None) -> View:
    title = f"Combating drugs partnership dashboard: {data.area.name}, {fmt.format_period(period)}"
    findings = _findings(table, data.area.name)
    if district is not None:
        findings.insert(0, f"The dashboard shows {data.area.name} as a whole, the partnership's area, not one district.")
    footnote = "\n".join(p for p in (  # one caption line each: the rule is a sentence, not a list of sources
        f"Status against a target: {targets.RULE}",
        f"Sources: indicators as published or computed by SUNA from {data.data_source}; crime figures from {CRIME_SOURCE}, "
        "counted in whole financial years only.",
        common.rows_footnote(data, pd.DataFrame()).removeprefix(f"Source: {common.source_text(pd.DataFrame(), data)}.").strip(),
    ) if p)
    return View(title=title, chart=None, table=display_table(table), footnote=footnote, findings=findings,
                table_markup=dashboard_html(table))


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The dashboard for a reader: words and formatted figures, the trend as its last values."""
    def trend(values: list[float | None]) -> str:
        return " → ".join(fmt.SUPPRESSED if v is None else fmt.format_number(v, 0 if float(v).is_integer() else 1) for v in values)

    return pd.DataFrame({
        "Outcome": table["outcome"],
        "Metric": table["metric"],
        "Period": table["period"].map(lambda p: fmt.format_period(p) if p else ""),
        "Value": table["value_text"],
        "Trend": table["trend_values"].map(trend),
        "Target": table["target_text"],
        "Status": table["status"],
        "England": table["england_text"],
        "Compared with England": table["compared_to_england"],
        "Compared with similar authorities": table["compared_to_similar"],
        "What to supply": table["supply"],
    })


def _findings(table: pd.DataFrame, place: str) -> list[str]:
    with_target = table[table["status"].astype(str) != ""]
    findings = []
    if len(with_target):
        counts = with_target["status"].value_counts()
        parts = [f"{int(counts.get(s, 0))} {targets.STATUS_WORDS[s]}" for s in
                 (targets.GREEN, targets.AMBER, targets.RED, targets.NO_STATUS) if counts.get(s, 0)]
        findings.append(f"{place} has {len(with_target)} target{'s' if len(with_target) != 1 else ''}: {', '.join(parts)}.")
    for row in with_target.itertuples():
        if row.status in (targets.GREEN, targets.AMBER, targets.RED) and row.expected is not None:
            findings.append(f"{row.metric}: {row.value_text} in {fmt.format_period(row.period)} against "
                            f"{fmt.format_number(row.expected, 0 if float(row.expected).is_integer() else 1)} on the line "
                            f"to {row.target_text} ({targets.STATUS_WORDS[row.status]}).")
    missing = table[table["supply"].astype(str) != ""]
    if len(missing):
        findings.append(f"{len(missing)} of the {len(table)} metrics have no figures yet: "
                        f"{common._join(missing['metric'].str.lower().tolist())} (the table says what to supply).")
    return findings


def district_breakdown(data: AreaData, *, district: str | None = None, period: str | None = None,
                       substance_group: str | None = None, measure: str = "drug_possession_offences") -> View:
    """Police recorded drug offences by district for one financial year, protected (where the data are by district)."""
    common.check_substance_group(substance_group)
    common.resolve_place(data, district)
    period = period or data.period
    year_start(period)
    labels = reference.category_labels("crime_measures")
    if measure not in labels:
        raise SunaError(f"Unknown crime measure {measure!r}; expected one of {', '.join(labels)}.")
    protected = protected_crime(data)
    years = protected.table
    title = f"{labels[measure]} by district: {data.area.name}, {fmt.format_period(period)}"
    rows = years[(years["measure"] == measure) & (years["period"] == period) & years["area_code"].isin(data.area.district_codes)]
    if rows.empty:
        return common.no_indicator_figures(title, labels[measure].lower(), data.area.name, period, data,
                                           reason="the crime table has no figures by district for it")
    names = data.area.district_names()
    shown = pd.DataFrame({"District": rows["area_code"].map(names),
                          "Count": [fmt.format_count(c, d) for c, d in zip(rows["count"], rows["count_display"])]})
    top = rows.loc[rows["count"].idxmax()] if rows["count"].notna().any() else None
    findings = [] if top is None else [f"The most in {fmt.format_period(period)}: {names[top['area_code']]} "
                                       f"({fmt.format_count(top['count'], top['count_display'])})."]
    return View(title=title, chart=None, table=shown, findings=findings,
                footnote=common.view_footnote(data, source=CRIME_SOURCE))


VIEWS = {
    "partnership.dashboard": dashboard,
    "partnership.district_breakdown": district_breakdown,
}

__all__ = ["COLUMNS", "VIEWS", "crime_years", "dashboard", "dashboard_html", "dashboard_table", "display_table",
           "district_breakdown", "protected_crime", "show_dashboard"]
