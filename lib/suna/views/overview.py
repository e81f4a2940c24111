"""The overview: every indicator for the area at a glance against England, and the way into the detail.

A Fingertips-style area profile (spine chart), a tartan rug of the area and its districts, the
headline findings in plain English, and links to the other reports of the same area (the batch
writes them side by side as ``reports/<area>/<notebook>.html``, so relative links work).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

from suna.indicators import national, stats
from suna.indicators import published as published_indicators
from suna.model import formatting as fmt
from suna.model.periods import end_year
from suna.presentation import charts, narrative
from suna.views import View, common
from suna.views.saved import saved_view

if TYPE_CHECKING:
    from suna.pipeline import AreaData

# The analysis reports the batch writes for every area: notebook stem -> what it answers.
REPORTS: dict[str, str] = {
    "01_treatment_population": "Treatment population: who is in drug and alcohol treatment, and how it is changing",
    "02_referral_routes": "Referral routes: where people in treatment are referred from",
    "03_hospital_admissions": "Hospital admissions: alcohol-specific, drug poisoning, drug-related mental health, and young people",
    "04_drug_deaths_map": "Drug deaths: deaths from drug misuse and drug poisoning, by district, on a map",
}


def _up_to_period(data: AreaData, period: str | None) -> pd.DataFrame:
    """The protected table with only the periods that end no later than the one asked for."""
    table = data.table
    wanted = end_year(period or data.period)
    if wanted is None or table.empty:
        return table
    return table[table["period"].map(end_year).fillna(0) <= wanted]


def _comparable(table: pd.DataFrame) -> pd.DataFrame:
    """Indicators that can be compared with England (rates and proportions, not bare counts), without
    rows that mean nothing to a reader (``common.meaningful``)."""
    if "measure" not in table.columns:
        return common.meaningful(table)
    return common.meaningful(table[table["measure"].astype(str) != "count"])


@saved_view
def spine(data: AreaData, *, district: str | None = None, period: str | None = None,
          substance_group: str | None = None) -> View:
    """Area profile: one row per indicator, the area's value against England and, where published figures
    give it, the spread of England's authorities of its tier (a district choice shows the district
    against England only: the published spread is of whole authorities)."""
    code, place = common.resolve_place(data, district)
    title = f"Area profile: {place} compared with England"
    table = _comparable(_up_to_period(data, period))
    mine = common.headline(table[table["area_code"] == code]) if not table.empty else table
    if mine.empty:
        return common.no_indicator_figures(title, "any indicator", place, period or data.period, data)
    spread = published_indicators.ranks(data.area) if code == data.area.code else None
    chart = charts.spine_chart(table, code, england_spread=spread, area=data.area,
                               options=charts.ChartOptions(title=title, source=common.source_text(mine, data)))
    latest = _latest_each(mine)
    return View(title=title, chart=chart, table=common.display_table(latest, area_label="Area").assign(
        Indicator=latest["indicator_name"].astype(str).to_numpy()).pipe(_indicator_first),
        footnote=common.rows_footnote(data, latest), findings=_outcome_summary(latest, place))


def _latest_each(rows: pd.DataFrame) -> pd.DataFrame:
    key = rows["period"].map(end_year).fillna(0)
    ordered = rows.assign(_k=key.to_numpy()).sort_values("_k", kind="stable")
    return ordered.groupby("indicator_id", sort=False).tail(1).drop(columns="_k")


def _indicator_first(table: pd.DataFrame) -> pd.DataFrame:
    return table[["Indicator", *[c for c in table.columns if c != "Indicator"]]]


def _outcome_summary(latest: pd.DataFrame, place: str) -> list[str]:
    """How many indicators are better, similar or worse than England, and which are worse."""
    outcomes = [(str(r["indicator_name"]), narrative.comparison_outcome(r.get("compared_to_england"), r.get("polarity")))
                for r in latest.to_dict("records") if not narrative.is_suppressed(r) and not fmt.is_missing(r.get("value"))]
    counted = {word: [n for n, o in outcomes if o == word] for word in ("worse", "similar", "better", "higher", "lower")}
    parts = [f"{len(v)} {word}" for word, v in counted.items() if v]
    out = []
    if parts:
        out.append(f"Of {len(outcomes)} indicators compared with England for {place}: {', '.join(parts)}.")
    if counted["worse"]:
        out.append(f"Significantly worse than England: {common._join(counted['worse'])}.")
    if counted["better"]:
        out.append(f"Significantly better than England: {common._join(counted['better'])}.")
    hidden = [str(r["indicator_name"]) for r in latest.to_dict("records") if narrative.is_suppressed(r)]
    if hidden:
        out.append(f"Suppressed for {place} (small numbers): {common._join(hidden)}.")
    return out


@saved_view
def rug(data: AreaData, *, district: str | None = None, period: str | None = None,
        substance_group: str | None = None) -> View:
    """Tartan rug: every indicator (rows) for England, the region, the area and each district (columns),
    cells coloured by significance against England; suppressed cells marked "*"."""
    _, place = common.resolve_place(data, district)
    title = f"Overview: {data.area.name} and its districts compared with England"
    table = _comparable(_up_to_period(data, period))
    codes = [data.area.region_code, data.area.code, *data.area.district_codes]
    shown = common.headline(table[table["area_code"].isin([common.ENGLAND_CODE, *codes])]) if not table.empty else table
    if shown.empty or shown[shown["area_code"] == data.area.code].empty:
        return common.no_indicator_figures(title, "any indicator", data.area.name, period or data.period, data)
    chart = charts.overview_rug(shown, [c for c in codes if c in set(shown["area_code"])], area=data.area,
                                options=charts.ChartOptions(title=title, source=common.source_text(shown, data)))
    latest = pd.concat([_latest_each(part) for _, part in shown.groupby("area_code", sort=False)])
    order = {c: i for i, c in enumerate([data.area.code, *data.area.district_codes])}
    local = latest[latest["area_code"].isin(order)]
    local = local.assign(_o=local["area_code"].map(order)).sort_values(["indicator_id", "_o"], kind="stable").drop(columns="_o")
    findings = _worse_districts(local, data)
    return View(title=title, chart=chart,
                table=common.display_table(local).assign(Indicator=local["indicator_name"].astype(str).to_numpy()).pipe(_indicator_first),
                footnote=common.rows_footnote(data, local), findings=findings)


def _worse_districts(latest: pd.DataFrame, data: AreaData) -> list[str]:
    """Districts that are significantly worse than England on two or more indicators."""
    worse: dict[str, list[str]] = {}
    for r in latest[latest["area_code"].isin(data.area.district_codes)].to_dict("records"):
        if not narrative.is_suppressed(r) and not fmt.is_missing(r.get("value")) \
                and narrative.comparison_outcome(r.get("compared_to_england"), r.get("polarity")) == "worse":
            worse.setdefault(str(r["area_name"]), []).append(str(r["indicator_name"]))
    several = {k: v for k, v in worse.items() if len(v) >= 2}
    if not several:
        return [f"No district of {data.area.name} is significantly worse than England on more than one indicator."]
    return [f"{name} is significantly worse than England on {len(v)} indicators: {common._join(v)}." for name, v in several.items()]


@saved_view
def headline_findings(data: AreaData, *, district: str | None = None, period: str | None = None,
                      substance_group: str | None = None, indicators: Iterable[str] | None = None) -> View:
    """Every indicator's latest figure for the area (or a district) in plain English, against England
    and the region, with the recent trend; ``indicators`` keeps only those ids (a notebook's own)."""
    code, place = common.resolve_place(data, district)
    title = f"Key findings: {place}"
    table = common.meaningful(_up_to_period(data, period))
    if indicators is not None and not table.empty:
        table = table[table["indicator_id"].astype(str).isin([str(i) for i in indicators])]
    mine = common.headline(table[table["area_code"] == code]) if not table.empty else table
    if mine.empty:
        return common.no_indicator_figures(title, "any indicator", place, period or data.period, data)
    findings = narrative.findings(table, code)
    return View(title=title, chart=None, table=pd.DataFrame(), footnote=common.rows_footnote(data, mine), findings=findings)


@saved_view
def similar_authorities(data: AreaData, *, district: str | None = None, period: str | None = None,
                        substance_group: str | None = None) -> View:
    """Similar authorities: the area's drug-poisoning death rate beside the ten English authorities most like
    it (deprivation, size, density, age), its region and England, all from ONS's published figures.

    Whole authorities only: a district choice still shows the authority, and says so.
    """
    area = data.area
    title = f"{area.name} and similar authorities: deaths related to drug poisoning"
    raw, neighbours = published_indicators.similar_rows(area, period or data.period)
    if raw.empty or not raw["area_code"].eq(area.code).any():
        return common.no_indicator_figures(title, "deaths related to drug poisoning", area.name, period or data.period, data)
    at, latest = common.latest_protected(raw)
    codes = [area.code, *neighbours["area_code"]]
    chart = charts.compare_areas_chart(at, national.INDICATOR_ID, codes, period=latest, benchmark_code=common.ENGLAND_CODE,
                                       options=charts.ChartOptions(
                                           title=f"Deaths related to drug poisoning, {fmt.format_period(latest)}: "
                                                 f"{area.name} and similar authorities", source=national.SOURCE))
    own = at[at["area_code"] == area.code].iloc[0]
    others = at[at["area_code"].isin(neighbours["area_code"]) & at["value"].notna()]
    findings = []
    if district is not None:
        findings.append(f"Similar authorities are compared as whole authorities: this shows {area.name}, not one district.")
    if len(others) and not fmt.is_missing(own["value"]):
        mean = float(others["value"].mean())
        compared = stats.compare_to_benchmark(own["value"], own["value_lower_ci95"], own["value_upper_ci95"], mean,
                                              own.get("polarity") or "high_is_bad")
        higher = int((others["value"] > own["value"]).sum())
        average = f"the average of its {len(others)} most similar authorities ({fmt.format_value(mean, own['measure'])})"
        words = narrative.comparison_words(compared, own.get("polarity"), own["value"], mean)
        against = narrative.comparison_text(*words, average) if words and words[0] != "not compared" else f"not compared with {average}"
        findings.append(f"In {fmt.format_period(latest)}, {area.name}'s rate ({fmt.format_value(own['value'], own['measure'])}) was "
                        f"{against}; {higher} of them had a higher rate.")
    findings.append(f"Most similar: {common._join(neighbours['area_name'].head(5).tolist())}.")
    footnote = f"{national.SIMILAR_METHOD} Source: {national.SOURCE}."
    display = common.display_table(at[at["area_code"].isin([*codes, area.region_code, common.ENGLAND_CODE])])
    return View(title=title, chart=chart, table=display, footnote=footnote, findings=findings)


def report_links(data: AreaData | None = None, current: str = "00_overview") -> str:
    """Markdown links to the area's other reports (relative: the batch writes them in one folder)."""
    lines = [f"- [{text.split(':')[0]}]({stem}.html): {text.split(':', 1)[1].strip()}"
             for stem, text in REPORTS.items() if stem != current]
    return "\n".join(lines)


VIEWS = {
    "overview.spine": spine,
    "overview.rug": rug,
    "overview.headline_findings": headline_findings,
    "overview.similar_authorities": similar_authorities,
}
