"""Views of referral routes into treatment: who refers, for which substances, how fast, and where people go.

The questions of the needs assessments' referral sections (Worcestershire County Council, Drug and
Alcohol Needs Assessment, 2019, "Source of Referral and Waiting Times"; Essex Recovery Foundation, Essex
Drug and Alcohol Needs Assessment, 2023, Figures 7, 13, 14 and 19): referral-source shares by substance
group and by sex against England, young people's routes, the trend in criminal-justice referrals,
waiting times, the flow from referral source to substance group to exit reason, and district differences
in the referral mix. Referral sources are grouped into routes by data/reference/categories.yaml.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from suna.core import reference
from suna.disclosure import counts as disclosure_counts
from suna.disclosure.cohorts import NOT_RECORDED
from suna.indicators import records, stats
from suna.model import formatting as fmt
from suna.model.periods import financial_years
from suna.pipeline import AreaData, cohorts
from suna.presentation import charts, narrative
from suna.views import View
from suna.views import common as c
from suna.views.saved import saved_view
from suna.views.treatment import _category_rows, _narrative

log = logging.getLogger(__name__)

GROUPS = tuple(reference.category_codes("substance_groups"))
CRIMINAL_JUSTICE = "Criminal justice"
SELF = reference.referral_route_groups()["self"]
WAIT_BANDS = cohorts.WAIT_BANDS
FLOW_EXITS = cohorts.FLOW_EXITS
REFERRAL_INDICATOR = "referral_source_share"
routes = cohorts.routes


def _england_shares(data: AreaData, sex: str = "Persons") -> pd.DataFrame:
    """England's published referral-route shares from the indicators table (empty when it holds none)."""
    rows = c.indicator_rows(data, REFERRAL_INDICATOR)
    if rows.empty:
        return rows
    rows = rows[(rows["area_code"] == narrative.ENGLAND_CODE) & rows["category"].isin(routes())]
    if "sex" in rows.columns:
        rows = rows[rows["sex"] == sex]
    return rows


@saved_view
@c.needs_records("treatment")
def referral_sources(data: AreaData, *, district: str | None = None, period: str | None = None,
                     substance_group: str | None = None) -> View:
    """Shares of new presentations by referral route, for each substance group, against England where published."""
    sel = c.select(data, district, period, substance_group)
    title = f"Referral routes into treatment by substance group: {sel.place}, {fmt.format_period(sel.period)}"
    counts, protected = cohorts.new_presentations(data, sel.period).rows(["route"])
    if c.pick_area(counts, sel)["count"].sum() == 0:
        return c.no_figures(title, "new presentations", sel, data)
    shares = c.pick_area(c.add_shares(protected.table, ["area_code", "substance_group"], "route"), sel)
    shares = shares[shares["substance_group"].isin([sel.substance_group or c.ALL] if sel.substance_group else [*GROUPS, c.ALL])]
    if shares.empty:
        return c.too_small(title, "Referral routes for one substance group", sel, data, protected.record)
    shown = c.labelled(shares, "substance_group", "substance_groups").replace({"substance_group": {c.ALL: "All substance groups"}})
    shown = shown.assign(series=sel.place, period=sel.period)
    england = _england_shares(data)
    if len(england) and sel.substance_group is None:
        shown = pd.concat([shown, _england_series(england, "All substance groups")], ignore_index=True)
    footnote = c.view_footnote(data, extra="Adults starting treatment in the year, by the source of their referral.")
    chart = charts.share_chart(shown, "route", series="series", group="substance_group", category_order=routes(),
                               period=sel.period, options=c.treatment_options(title, footnote, width=170))
    table = shown.assign(share=[c.share_text(v) for v in shown["share_pct"]]).pivot_table(
        index="route", columns=["substance_group", "series"], values="share", aggfunc="first").reindex(routes())
    table.columns = [f"{g}: {s}" for g, s in table.columns]
    findings = _route_findings(shown[shown["series"] == sel.place], sel, "substance_group", england)
    return View(title=title, chart=chart, table=table.reset_index().rename(columns={"route": "Referral route"}),
                footnote=footnote, findings=findings)


def _england_series(england: pd.DataFrame, group: str | None = None) -> pd.DataFrame:
    out = pd.DataFrame({"route": england["category"].to_numpy(), "share_pct": england["value"].astype(float).to_numpy(),
                        "count": float("nan"), "count_display": "", "series": "England", "period": england["period"].to_numpy()})
    if group is not None:
        out["substance_group"] = group
    return out


def _route_findings(shown: pd.DataFrame, sel: c.Selection, by: str, england: pd.DataFrame) -> list[str]:
    """Self-referral and criminal-justice shares per breakdown, with England's published share where there is one."""
    out = []
    eng = dict(zip(england["category"], england["value"])) if len(england) else {}
    for key, part in shown.groupby(by, sort=False):
        bits, hidden = [], []
        for route in (SELF, CRIMINAL_JUSTICE):
            hit = part[part["route"] == route]
            if hit.empty:
                continue
            value = hit["share_pct"].iloc[0]
            if fmt.is_missing(value):  # no share, so no comparison either
                hidden.append(route.lower())
                continue
            text = f"{c.share_text(value)} {route.lower()}"
            if route in eng and key in ("All substance groups", "Persons", c.ALL):
                text += f" ({_against_england(hit.iloc[0], eng[route])})"
            bits.append(text)
        when = f"in {sel.place} in {fmt.format_period(sel.period)}"
        not_shown = (f"the {' and '.join(hidden)} share{'s are' if len(hidden) > 1 else ' is'} not shown to protect privacy"
                     if hidden else "")
        if bits:
            out.append(f"{key}: {' and '.join(bits)} referrals {when}" + (f"; {not_shown}." if not_shown else "."))
        elif not_shown:
            out.append(f"{key}, {when}: {not_shown}.")
    if england.empty:
        out.append("Not compared with England: the indicators table holds no published England referral shares.")
    return out


def _against_england(row: pd.Series, england: float) -> str:
    """ "significantly higher than England (13.0%)": the share's 95% Wilson interval against England's published share."""
    share = row["share_pct"]
    denominator = row["count"] / share * 100 if share else float("nan")
    lower, upper = stats.wilson_interval(row["count"], round(denominator)) if share else (float("nan"), float("nan"))
    outcome = stats.compare_to_benchmark(share, lower * 100, upper * 100, england, "no_judgement")
    england_text = f"England {c.share_text(england)}"
    if outcome == "Similar":
        return f"similar to {england_text}"
    if outcome == "Not compared":
        return f"not compared with {england_text}"
    return f"significantly {outcome.lower()} than {england_text}, 95% confidence"


@saved_view
@c.needs_records("treatment")
def referral_sources_by_sex(data: AreaData, *, district: str | None = None, period: str | None = None,
                            substance_group: str | None = None) -> View:
    """Shares of new presentations by referral route for men and women, against England where published."""
    sel = c.select(data, district, period, substance_group)
    title = f"Referral routes by sex: {sel.place}, {fmt.format_period(sel.period)} ({sel.group_label})"
    return _routes_by_sex(data, sel, cohorts.new_presentations, title, "new presentations",
                          "Adults starting treatment in the year, by the source of their referral.")


def _routes_by_sex(data: AreaData, sel: c.Selection, cohort: Any, title: str, noun: str, extra: str) -> View:
    """Route shares by sex; one substance group's for the whole area only (a district's, nearly all
    suppressed, would be slow to protect: ``groups_in_districts`` of ``suna.disclosure.cohorts.Breakdown``)."""
    if sel.district_code and sel.substance_group:
        return c.too_small(title, "Referral routes by sex for one substance group", sel, data)
    counts, protected = cohort(data, sel.period).rows(["sex", "route"], sel.substance_group)
    if c.pick_area(counts, sel)["count"].sum() == 0:
        return c.no_figures(title, noun, sel, data)
    shown = c.pick_area(c.add_shares(protected.table, ["area_code", "sex"], "route"), sel)
    shown = shown if sel.district_code is None or disclosure_counts.district_detail(data.area) is None else shown[shown["sex"] == c.ALL]
    shown = shown.replace({"sex": {c.ALL: "Persons"}}).assign(series=sel.place, period=sel.period)
    england = pd.concat([_england_shares(data, s).assign(sex=s) for s in ("Male", "Female", "Persons")], ignore_index=True) \
        if sel.substance_group is None and noun == "new presentations" else pd.DataFrame()
    if len(england):
        shown = pd.concat([shown, _england_series(england).assign(sex=england["sex"].to_numpy())], ignore_index=True)
    footnote = c.view_footnote(data, extra=extra)
    chart = charts.share_chart(shown, "route", series="series", group="sex", category_order=routes(), period=sel.period,
                               options=c.treatment_options(title, footnote, width=200))
    table = shown.assign(share=[c.share_text(v) for v in shown["share_pct"]]).pivot_table(
        index="route", columns=["sex", "series"], values="share", aggfunc="first").reindex(routes())
    table.columns = [f"{g}: {s}" for g, s in table.columns]
    persons_eng = england[england["sex"] == "Persons"] if len(england) else england
    findings = _route_findings(shown[shown["series"] == sel.place], sel, "sex", persons_eng)
    return View(title=title, chart=chart, table=table.reset_index().rename(columns={"route": "Referral route"}),
                footnote=footnote, findings=findings)


@saved_view
@c.needs_records("treatment")
def young_people_routes(data: AreaData, *, district: str | None = None, period: str | None = None,
                        substance_group: str | None = None) -> View:
    """Referral routes of young people (under 18) starting treatment, boys and girls."""
    sel = c.select(data, district, period, substance_group)
    title = f"Young people's referral routes (under 18): {sel.place}, {fmt.format_period(sel.period)}"
    if records.treatment_records(data.tables)["age_years"].fillna(99).lt(18).sum() == 0:
        return View(title=title, footnote=c.view_footnote(data),
                    findings=[f"The treatment records for {data.area.name} hold no young people (under 18), "
                              "so young people's referral routes cannot be shown."])
    return _routes_by_sex(data, sel, cohorts.young_new_presentations, title, "young people (under 18) starting treatment",
                          "Young people aged under 18 starting treatment in the year.")


@saved_view
@c.needs_records("treatment")
def criminal_justice_trend(data: AreaData, *, district: str | None = None, period: str | None = None,
                           substance_group: str | None = None) -> View:
    """Share of new presentations referred by criminal justice, over ten years, with 95% confidence intervals."""
    sel = c.select(data, district, period, substance_group)
    title = f"New presentations referred by criminal justice: {sel.place}"
    years = financial_years(sel.period)
    counts, protected = cohorts.over_years(cohorts.new_presentations, data, years, ["route"], sel.substance_group)
    if c.pick_area(counts, sel)["count"].sum() == 0:
        return c.no_figures(title, "new presentations", sel, data)
    if (c.pick_area(counts, sel)["route"] == c.ALL).all():
        return c.too_small(title, "The criminal-justice share for one substance group", sel, data, protected.record)
    rows = _proportion_rows(protected.table, counts, "route", CRIMINAL_JUSTICE, "criminal_justice_referral_share",
                            "New presentations referred by criminal justice", data)
    footnote = c.view_footnote(data, extra=f"Adults starting treatment, {sel.group_label}; 95% Wilson intervals.")
    mine = rows[rows["area_code"] == sel.area_code]
    chart = charts.trend_chart(rows, "criminal_justice_referral_share", sel.area_code, comparators=(), area=data.area,
                               options=c.treatment_options(title, footnote, rule=None))
    table = pd.DataFrame({"Financial year": mine["period"], "Referred by criminal justice": mine["count_display"],
                          "New presentations": mine["denominator_display"],
                          "Share": [narrative.value_text(r) for r in mine.to_dict("records")],
                          "95% confidence interval": [fmt.format_ci(lo, hi, "proportion") for lo, hi in
                                                      zip(mine["value_lower_ci95"], mine["value_upper_ci95"])]})
    return View(title=title, chart=chart, table=table, footnote=footnote, findings=_trend_findings(mine, sel, years))


def _proportion_rows(table: pd.DataFrame, raw: pd.DataFrame, column: str, part: str, indicator_id: str, name: str,
                     data: AreaData) -> pd.DataFrame:
    """Indicator-shaped rows (Fingertips layout) of one category's share, from protected counts.

    The Wilson interval is computed from the true counts only where both the count and its total are
    shown, so no hidden figure reaches the chart.
    """
    keys = [k for k in ("area_code", "area_name", "period") if k in table.columns]
    num = table[table[column] == part].set_index(keys)
    den = table[table[column] == c.ALL].set_index(keys)
    true = raw[raw[column] == part].set_index(keys)["count"]
    true_den = raw[raw[column] == c.ALL].set_index(keys)["count"]
    out = pd.DataFrame({"count": num["count"], "count_display": num["count_display"], "denominator": den["count"],
                        "denominator_display": den["count_display"], "true": true, "true_den": true_den}).reset_index()
    shown = out["count"].notna() & out["denominator"].notna() & (out["true_den"] > 0)
    ci = stats.proportion_with_ci(out[shown], "true", "true_den", group_cols=keys) if shown.any() else pd.DataFrame(columns=[*keys, "value"])
    out = out.merge(ci[[*keys, "value", *stats.CI_COLUMNS]], on=keys, how="left") if shown.any() else out.assign(
        value=float("nan"), **{col: float("nan") for col in stats.CI_COLUMNS})
    parents = {data.area.code: data.area.region_code, **{d: data.area.code for d in data.area.district_codes}}
    return out.drop(columns=["true", "true_den"]).assign(
        indicator_id=indicator_id, indicator_name=name, parent_code=out["area_code"].map(parents), measure="proportion",
        unit="%", polarity="no_judgement", disclosure_rule=c.NDTMS, compared_to_england=None, recent_trend=None,
        value_note=[None if s else "Count suppressed (small numbers)" for s in shown],
        period_sortable=out["period"].str[:4].astype(int) if "period" in out.columns else 0)


def _trend_findings(mine: pd.DataFrame, sel: c.Selection, years: list[str]) -> list[str]:
    out = []
    by_year = mine.set_index("period")
    last = by_year.loc[years[-1]]
    if fmt.is_missing(last["value"]):
        out.append(f"The share of new presentations referred by criminal justice in {sel.place} in "
                   f"{fmt.format_period(years[-1])} is suppressed (small numbers).")
    else:
        out.append(f"{narrative.value_text(last.to_dict())} of new presentations in {sel.place} in {fmt.format_period(years[-1])} "
                   f"were referred by criminal justice ({c.count_text(last)} of {fmt.format_count(last['denominator'], last['denominator_display'])}).")
    recent = mine[mine["value"].notna()].tail(5)
    if len(recent) == 5:
        trend = stats.trend_marker(counts=recent["count"].tolist(), denominators=recent["denominator"].tolist())
        phrase = narrative.trend_phrase(trend, "no_judgement")
        if phrase == "no significant change":
            out.append("There has been no significant change over the last five years (99.8% test).")
        elif phrase:
            out.append(f"Over the last five years the share has been {phrase} (significant at 99.8%).")
    out.append("Not compared with England: no published England series of criminal-justice referral shares is held.")
    return out


@saved_view
@c.needs_records("treatment")
def waiting_times(data: AreaData, *, district: str | None = None, period: str | None = None,
                  substance_group: str | None = None) -> View:
    """Waits from referral to the start of treatment for new presentations, by substance group."""
    sel = c.select(data, district, period, substance_group)
    title = f"Waiting times from referral to treatment: {sel.place}, {fmt.format_period(sel.period)}"
    counts, protected = cohorts.new_presentations(data, sel.period).rows(["wait"])
    bands = [b[0] for b in WAIT_BANDS] + ([NOT_RECORDED] if (counts["wait"] == NOT_RECORDED).any() else [])
    if c.pick_area(counts, sel)["count"].sum() == 0:
        return c.no_figures(title, "new presentations", sel, data)
    shares = c.pick_area(c.add_shares(protected.table, ["area_code", "substance_group"], "wait"), sel)
    shares = shares[shares["substance_group"] == (sel.substance_group or c.ALL)] if sel.substance_group else shares
    if shares.empty:
        return c.too_small(title, "Waiting times for one substance group", sel, data, protected.record)
    shown = c.labelled(shares, "substance_group", "substance_groups").replace({"substance_group": {c.ALL: "All substance groups"}})
    shown = shown.assign(series=sel.place, period=sel.period)
    footnote = c.view_footnote(data, extra="Days from referral to the start of treatment, adults starting treatment in the year.")
    chart = charts.share_chart(shown, "wait", series="series", group="substance_group", category_order=bands, period=sel.period,
                               options=c.treatment_options(title, footnote, width=170))
    table = shown.assign(share=[c.share_text(v) for v in shown["share_pct"]]).pivot(
        index="wait", columns="substance_group", values="share").reindex(bands).reset_index().rename(columns={"wait": "Wait"})
    findings = []
    rows = c.indicator_rows(data, "waiting_within_3_weeks")
    if len(rows):
        rows = rows[rows["period"] == sel.period]

        findings += _narrative(_category_rows(rows, sel.substance_group), sel)
    else:
        within = shown[(shown["wait"] == bands[0]) & (shown["substance_group"] == shown["substance_group"].iloc[-1])]
        value = within["share_pct"].iloc[0]
        if fmt.is_missing(value):
            findings.append(f"The share of new presentations in {sel.place} that started treatment within 3 weeks of "
                            "referral is not shown to protect privacy.")
        else:
            findings.append(f"{c.share_text(value)} of new presentations in {sel.place} started treatment "
                            "within 3 weeks of referral; not compared with England (no published figure held).")
    return View(title=title, chart=chart, table=table, footnote=footnote, findings=findings)


@saved_view
@c.needs_records("treatment")
def referral_flow(data: AreaData, *, district: str | None = None, period: str | None = None,
                  substance_group: str | None = None) -> View:
    """Adults leaving treatment in the year: referral route -> substance group -> exit reason."""
    sel = c.select(data, district, period, substance_group)
    title = f"From referral to exit: {sel.place}, {fmt.format_period(sel.period)}"
    counts, protected = cohorts.exits(data, sel.period).rows(["route", "exit_group"])
    if c.pick_area(counts, sel)["count"].sum() == 0:
        return c.no_figures(title, "treatment exits", sel, data)
    mine = c.pick_area(protected.table, sel)
    if sel.substance_group:
        mine = mine[mine["substance_group"].isin([sel.substance_group, c.ALL])]
    mine = c.labelled(mine, "substance_group", "substance_groups")
    step1 = mine[(mine["exit_group"] == c.ALL) & (mine["route"] != c.ALL) & (mine["substance_group"] != c.ALL)]
    step2 = mine[(mine["route"] == c.ALL) & (mine["substance_group"] != c.ALL) & (mine["exit_group"] != c.ALL)]
    if step1.empty or step2.empty:
        return c.too_small(title, "The flow from referral to exit", sel, data, protected.record)
    links = pd.concat([
        step1.assign(step="Referral route to substance group", source=step1["route"], target=step1["substance_group"]),
        step2.assign(step="Substance group to exit", source=step2["substance_group"], target=step2["exit_group"]),
    ], ignore_index=True).assign(period=sel.period)
    footnote = c.view_footnote(data, extra="Treatment episodes of adults that ended in the year; "
                               "died, treatment withdrawn and other incomplete exits are merged as Other.")
    chart = charts.flow_chart(links[["step", "source", "target", "count", "count_display", "period"]], period=sel.period,
                              options=c.treatment_options(title, footnote))
    table = links[["step", "source", "target", "count_display"]].rename(
        columns={"step": "Step", "source": "From", "target": "To", "count_display": "Exits"})
    findings = _flow_findings(mine, sel)
    return View(title=title, chart=chart, table=table, footnote=footnote, findings=findings)


def _flow_findings(mine: pd.DataFrame, sel: c.Selection) -> list[str]:
    out = []
    success = "Successful completion"
    by_route = mine[(mine["substance_group"] == c.ALL) & (mine["route"] != c.ALL)]
    for route in (SELF, CRIMINAL_JUSTICE):
        part = by_route[by_route["route"] == route].set_index("exit_group")
        if part.empty:
            continue
        done, total = part.loc[success], part.loc[c.ALL]
        if fmt.is_missing(done["count"]) or fmt.is_missing(total["count"]) or not total["count"]:
            out.append(f"Exits after a {route.lower()} referral in {sel.place}: the share completing successfully is suppressed (small numbers).")
        else:
            out.append(f"Of {c.count_text(total)} exits after a {route.lower()} referral in {sel.place}, "
                       f"{c.share_text(done['count'] / total['count'] * 100)} were successful completions.")
    return out


@saved_view
@c.needs_records("treatment")
def referral_mix_by_district(data: AreaData, *, district: str | None = None, period: str | None = None,
                             substance_group: str | None = None) -> View:
    """Referral routes of new presentations in each district, and which districts differ from the area as a whole."""
    sel = c.select(data, district, period, substance_group)
    title = f"Referral routes by district: {data.area.name}, {fmt.format_period(sel.period)} ({sel.group_label})"
    counts, protected = cohorts.new_presentations(data, sel.period).rows(["route"], sel.substance_group)
    if counts[counts["area_code"] == data.area.code]["count"].sum() == 0:
        return c.no_figures(title, "new presentations", sel, data)
    shares = c.add_shares(protected.table, ["area_code"], "route").assign(period=sel.period)
    if not shares["area_code"].isin(data.area.district_codes).any():
        whole_area = c.select(data, period=sel.period, substance_group=sel.substance_group)  # the view shows every district
        return c.too_small(title, "Referral routes by district for one substance group", whole_area, data, protected.record)
    footnote = c.view_footnote(data, extra="Adults starting treatment in the year; each cell counts people.")
    grid = shares.assign(step="District to referral route", source=shares["area_name"], target=shares["route"])
    chart = charts.flow_chart(grid[["step", "source", "target", "count", "count_display", "period"]], period=sel.period,
                              options=c.treatment_options(title, footnote))
    table = shares.assign(share=[c.share_text(v) for v in shares["share_pct"]]).pivot(
        index="area_name", columns="route", values="share").reindex(columns=routes())
    table = table.reindex([data.area.name, *data.area.district_names().values()]).reset_index().rename(columns={"area_name": "Area"})
    findings = []
    for route in (CRIMINAL_JUSTICE, SELF):
        rows = _proportion_rows(protected.table.assign(period=sel.period), counts.assign(period=sel.period), "route", route,
                                "route_share", route, data)
        findings += _district_differences(rows, data, sel, route)
    return View(title=title, chart=chart, table=table, footnote=footnote, findings=findings)


def _district_differences(rows: pd.DataFrame, data: AreaData, sel: c.Selection, route: str) -> list[str]:
    """Districts whose 95% interval for a route's share lies wholly above or below the whole area's share."""
    whole = rows[rows["area_code"] == data.area.code]
    if whole.empty or fmt.is_missing(whole["value"].iloc[0]):
        return []
    value = whole["value"].iloc[0]
    districts = rows[rows["area_code"].isin(data.area.district_codes)]
    outcome = stats.compare_to_benchmark(districts["value"], districts["value_lower_ci95"], districts["value_upper_ci95"],
                                         value, "no_judgement")
    higher = districts.loc[outcome == "Higher", "area_name"].tolist()
    lower = districts.loc[outcome == "Lower", "area_name"].tolist()
    hidden = int(districts["value"].isna().sum())
    text = f"{route}: {c.share_text(value)} of new presentations in {data.area.name}."
    if higher:
        text += f" Significantly higher (95%) in {', '.join(higher)}."
    if lower:
        text += f" Significantly lower (95%) in {', '.join(lower)}."
    if not higher and not lower:
        text += " No district differs significantly (95%) from the whole area."
    if hidden:
        text += f" {hidden} district(s) not compared (suppressed)."
    if sel.district_code:
        mine = rows[rows["area_code"] == sel.district_code]
        if len(mine):
            text += f" {sel.place}: {narrative.value_text(mine.iloc[0].to_dict())}."
    return [text]


FINDINGS_INDICATORS = ("referral_source_share", "waiting_within_3_weeks")


@saved_view
@c.needs_records("treatment")
def findings(data: AreaData, *, district: str | None = None, period: str | None = None,
             substance_group: str | None = None) -> View:
    """Plain-English findings for the referral and waiting-time indicators (suna.presentation.narrative)."""
    sel = c.select(data, district, period, substance_group)
    title = f"Findings: referral routes in {sel.place}, {fmt.format_period(sel.period)}"
    view = c.indicator_findings(data, ["waiting_within_3_weeks"], sel, title)
    rows = c.indicator_rows(data, REFERRAL_INDICATOR)
    if rows.empty:
        return view
    rows = rows[(rows["period"] == sel.period) & (rows["sex"] == "Persons") & (rows["category_type"] == "Referral route")]
    if rows.empty:
        return view
    rows = rows.assign(indicator_name="Share of new presentations referred by " + rows["category"].astype(str).str.lower())
    routes_found = [narrative.finding(rows, row) for _, row in rows[rows["area_code"] == sel.area_code].iterrows()]
    found = [line for line in view.findings if "No figures" not in line]
    return View(title=title, chart=None, table=pd.DataFrame(), footnote=view.footnote, findings=[*routes_found, *found])


VIEWS = {
    "referrals.referral_sources": referral_sources,
    "referrals.referral_sources_by_sex": referral_sources_by_sex,
    "referrals.young_people_routes": young_people_routes,
    "referrals.criminal_justice_trend": criminal_justice_trend,
    "referrals.waiting_times": waiting_times,
    "referrals.referral_flow": referral_flow,
    "referrals.referral_mix_by_district": referral_mix_by_district,
    "referrals.findings": findings,
}
