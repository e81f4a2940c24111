"""Views of the adult treatment population: numbers, new presentations, who they are, where, how long, how they leave.

The questions of a needs assessment's treatment chapter (Worcestershire County Council, Drug and Alcohol
Needs Assessment, 2019, "Adult Treatment" and "Treatment Outcomes"; Essex Recovery Foundation, Essex
Drug and Alcohol Needs Assessment, 2023, sections 4.1.5-4.2 and 4.4.3-4.6): how many adults are in
structured treatment by substance group over ten years, how many are new, their age, sex and ethnicity,
the rate per 100,000 adults by district, time in treatment, exits by reason, successful completion
against England, and the cascade from estimated need to successful completion. Counts come from the
treatment records through ``suna.views.common`` (protected with the area and its districts as one
table); rates and proportions with confidence intervals come from the protected indicators table.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import pandas as pd

from suna.core import reference
from suna.disclosure import SUPPRESSED
from suna.indicators import stats
from suna.model import formatting as fmt
from suna.model import population
from suna.model.periods import financial_years
from suna.pipeline import AreaData, cohorts
from suna.presentation import charts, narrative
from suna.views import View
from suna.views import common as c
from suna.views.saved import saved_view

log = logging.getLogger(__name__)

TREATMENT_AGE_BANDS = cohorts.TREATMENT_AGE_BANDS
DURATION_BANDS = cohorts.DURATION_BANDS
COMPLETION_INDICATORS = cohorts.COMPLETION_INDICATORS
GROUPS = tuple(reference.category_codes("substance_groups"))


def _people_by_group_over_years(data: AreaData, sel: c.Selection, cohort: Any, title: str, noun: str) -> View:
    """Adults counted once a year by substance group over the ten years to the period (each year's cohort totals)."""
    years = financial_years(sel.period)
    counts, protected = cohorts.over_years(cohort, data, years)
    mine_raw = c.pick_area(counts, sel)
    if mine_raw["count"].sum() == 0:
        return c.no_figures(title, noun, sel, data)
    mine = c.pick_area(protected.table, sel)
    if sel.substance_group:
        mine = mine[mine["substance_group"] == sel.substance_group]
    shown = c.labelled(mine, "substance_group", "substance_groups").replace({"substance_group": {c.ALL: "All substance groups"}})
    footnote = c.view_footnote(data, extra="Adults aged 18 or over, each counted once a year in one substance group.")
    chart = charts.category_trend_chart(shown, "substance_group", value_title="Adults",
                                        options=c.treatment_options(f"{title}: {sel.place}", footnote))
    table = shown.pivot(index="period", columns="substance_group", values="count_display").reset_index()
    table = table.rename(columns={"period": "Financial year"})
    return View(title=f"{title}: {sel.place}", chart=chart, table=table, footnote=footnote,
                findings=_trend_findings(mine, sel, years, noun))


def _trend_findings(mine: pd.DataFrame, sel: c.Selection, years: list[str], noun: str) -> list[str]:
    total = mine[mine["substance_group"] == (sel.substance_group or c.ALL)].set_index("period")
    last, first = total.loc[years[-1]], total.loc[years[0]]
    out = [f"In {fmt.format_period(years[-1])}, {c.count_text(last)} {noun} ({sel.group_label}) in {sel.place}."]
    if not fmt.is_missing(last["count"]) and not fmt.is_missing(first["count"]) and first["count"] > 0:
        change = (last["count"] - first["count"]) / first["count"] * 100
        if round(change) == 0:
            compared = f"About the same as in {fmt.format_period(years[0])} ({c.count_text(first)})"
        else:
            direction = "more" if change > 0 else "fewer"
            compared = f"That is {fmt.format_number(abs(change), 0)}% {direction} than in {fmt.format_period(years[0])} ({c.count_text(first)})"
        out.append(f"{compared}; counts are not compared with England.")
    if sel.substance_group is None:
        groups = mine[(mine["period"] == years[-1]) & (mine["substance_group"] != c.ALL)].dropna(subset=["count"])
        if len(groups):
            top = groups.sort_values("count", ascending=False).iloc[0]
            share = c.share_text(top["count"] / last["count"] * 100) if not fmt.is_missing(last["count"]) and last["count"] else fmt.SUPPRESSED
            label = reference.category_labels("substance_groups")[top["substance_group"]]
            out.append(f"The largest group was {label.lower()} ({c.count_text(top)}, {share} of the total).")
    return out


@saved_view
@c.needs_records("treatment")
def numbers_in_treatment(data: AreaData, *, district: str | None = None, period: str | None = None,
                         substance_group: str | None = None) -> View:
    """Adults in structured treatment by substance group, each of the ten financial years to the period."""
    sel = c.select(data, district, period, substance_group)
    return _people_by_group_over_years(data, sel, cohorts.adults_in_treatment, "Adults in treatment by substance group",
                                       "adults were in structured treatment")


@saved_view
@c.needs_records("treatment")
def new_presentations(data: AreaData, *, district: str | None = None, period: str | None = None,
                      substance_group: str | None = None) -> View:
    """Adults starting treatment (new presentations) by substance group over ten financial years."""
    sel = c.select(data, district, period, substance_group)
    return _people_by_group_over_years(data, sel, cohorts.new_presentations, "New presentations by substance group",
                                       "adults started treatment")


@saved_view
@c.needs_records("treatment")
def age_sex_profile(data: AreaData, *, district: str | None = None, period: str | None = None,
                    substance_group: str | None = None) -> View:
    """Adults in treatment in the year by age band and sex (a population pyramid).

    One substance group's pyramid is shown for the whole area only: a district's, nearly all
    suppressed, would be slow to protect (``groups_in_districts`` of ``suna.disclosure.cohorts.Breakdown``).
    """
    sel = c.select(data, district, period, substance_group)
    title = f"Adults in treatment by age and sex: {sel.place}, {fmt.format_period(sel.period)}"
    if sel.district_code and sel.substance_group:
        return c.too_small(title, "Age by sex for one substance group", sel, data)
    bands = [b[0] for b in TREATMENT_AGE_BANDS]
    counts, protected = cohorts.adults_in_treatment(data, sel.period).rows(["age_band", "sex"], sel.substance_group)
    if c.pick_area(counts, sel)["count"].sum() == 0:
        return c.no_figures(title, f"adults in treatment ({sel.group_label})", sel, data)
    mine = c.pick_area(protected.table, sel).assign(period=sel.period)
    footnote = c.view_footnote(data, extra=f"Adults aged 18 or over in treatment, {sel.group_label}.")
    bars = mine[(mine["age_band"] != c.ALL) & (mine["sex"] != c.ALL)]
    if bars.empty:
        return c.too_small(title, "Age by sex", sel, data, protected.record)
    chart = charts.population_pyramid(bars, value="count", value_title="Adults", period=sel.period,
                                      options=c.treatment_options(title, footnote))
    table = mine.pivot(index="age_band", columns="sex", values="count_display").reindex([*bands, c.ALL]).reset_index()
    table = table.rename(columns={"age_band": "Age", c.ALL: "Persons"})[["Age", "Male", "Female", "Persons"]]
    return View(title=title, chart=chart, table=table, footnote=footnote, findings=_age_sex_findings(mine, sel))


def _age_sex_findings(mine: pd.DataFrame, sel: c.Selection) -> list[str]:
    cell = mine.set_index(["age_band", "sex"])
    total = cell.loc[(c.ALL, c.ALL)]
    out = []
    male = cell.loc[(c.ALL, "Male")]
    if not fmt.is_missing(male["count"]) and not fmt.is_missing(total["count"]) and total["count"] > 0:
        out.append(f"{c.share_text(male['count'] / total['count'] * 100)} of the {c.count_text(total)} adults in treatment "
                   f"in {sel.place} in {fmt.format_period(sel.period)} were men.")
    else:
        out.append(f"The split by sex in {sel.place} is suppressed (small numbers).")
    persons = mine[(mine["sex"] == c.ALL) & (mine["age_band"] != c.ALL)].dropna(subset=["count"])
    if len(persons):
        top = persons.sort_values("count", ascending=False).iloc[0]
        out.append(f"The largest age band was {top['age_band']} ({c.count_text(top)} adults).")
    return out


@saved_view
@c.needs_records("treatment")
def ethnicity_profile(data: AreaData, *, district: str | None = None, period: str | None = None,
                      substance_group: str | None = None) -> View:
    """Ethnic group of adults in treatment and of new presentations, as shares, against the resident population where known.

    The residents are Census 2021's (the optional ``population_ethnicity`` table; the sample has it).
    Findings compare the share outside the White group among adults whose group was recorded with
    the residents' share, by the Wilson interval of the treatment share (as the Essex Drug and Alcohol Needs
    Assessment, 2023, Figures 6, 11 and 17, compares them).

    One substance group's shares are shown for the whole area only: a district's, nearly all
    suppressed, would be slow to protect (``groups_in_districts`` of ``suna.disclosure.cohorts.Breakdown``).
    """
    sel = c.select(data, district, period, substance_group)
    title = f"Ethnic group of adults in treatment: {sel.place}, {fmt.format_period(sel.period)}"
    if sel.district_code and sel.substance_group:
        return c.too_small(title, "Ethnic group for one substance group", sel, data)
    who = {"In treatment": cohorts.adults_in_treatment, "New presentations": cohorts.new_presentations}
    tables, records_out, raw_total, counts_of = [], [], 0.0, {}
    for cohort, people in who.items():
        counts, protected = people(data, sel.period).rows(["ethnic_group"], sel.substance_group)
        raw_total += c.pick_area(counts, sel)["count"].sum()
        tables.append(c.add_shares(protected.table, ["area_code"], "ethnic_group").assign(cohort=cohort))
        counts_of[cohort] = c.labelled(c.pick_area(protected.table, sel), "ethnic_group", "ethnic_groups")
        records_out.append(protected.record)
    if raw_total == 0:
        return c.no_figures(title, f"adults in treatment ({sel.group_label})", sel, data)
    record = pd.concat(records_out, ignore_index=True)
    shares = c.labelled(pd.concat(tables, ignore_index=True), "ethnic_group", "ethnic_groups")
    mine = c.pick_area(shares, sel).assign(period=sel.period)
    residents = _resident_shares(data, sel)
    if residents is None:
        note = ("No resident population by ethnic group (Census 2021, the optional population_ethnicity "
                "table) was supplied, so these shares are not compared with the population.")
        findings = [f"Not compared with the resident population: {note[0].lower()}{note[1:]}"]
    else:
        note = (f"{RESIDENTS}: usual residents of all ages (ONS TS021); the Census gives everyone a group, "
                "so residents have no 'Not stated'. Comparisons are with adults whose group was recorded.")
        findings = []
    footnote = c.view_footnote(data, extra=note)
    shown = mine if residents is None else pd.concat([mine, residents], ignore_index=True)
    chart = charts.share_chart(shown, "ethnic_group", series="cohort", period=sel.period,
                               options=c.treatment_options(title, footnote))
    table = shown.assign(share=[c.share_text(v) for v in shown["share_pct"]]).pivot(
        index="ethnic_group", columns="cohort", values="share").reset_index().rename(columns={"ethnic_group": "Ethnic group"})
    table = table.set_index("Ethnic group").reindex(list(dict.fromkeys(shown["ethnic_group"]))).reset_index()
    table = table[["Ethnic group", *dict.fromkeys(shown["cohort"])]]
    if residents is not None:
        table[RESIDENTS] = table[RESIDENTS].fillna("not applicable")
    for cohort in who:
        findings.append(_ethnicity_finding(cohort, counts_of[cohort], residents, sel))
    return View(title=title, chart=chart, table=table, footnote=footnote, findings=[f for f in findings if f])


RESIDENTS = "Residents (Census 2021)"


def _resident_shares(data: AreaData, sel: c.Selection) -> pd.DataFrame | None:
    """The chosen place's usual residents by ethnic group as chart rows, or None without the table."""
    table = data.tables.get("population_ethnicity")
    if table is None or table.empty:
        return None
    shares = population.ethnicity_shares(table, data.area)
    mine = c.labelled(shares[shares["area_code"] == sel.area_code], "ethnic_group", "ethnic_groups")
    # population figures are published Census counts, not people in treatment: shown as they are
    return mine.assign(cohort=RESIDENTS, period=sel.period, count=float("nan"),
                       count_display=[fmt.format_number(v, 0) for v in mine["population"]], value_note=None)


def _ethnicity_finding(cohort: str, counts: pd.DataFrame, residents: pd.DataFrame | None, sel: c.Selection) -> str:
    """Share outside the White group among adults with a recorded group, against residents where known.

    Worked from shown counts only (all, White, not stated): a hidden one means no finding rather
    than a figure that could give it away.
    """
    labels = reference.category_labels("ethnic_groups")
    by_group = dict(zip(counts["ethnic_group"], counts["count"]))
    total, white, unstated = (by_group.get(k) for k in (c.ALL, labels["white"], labels["not_stated"]))
    if fmt.is_missing(total) or fmt.is_missing(white) or total <= 0:
        return (f"{cohort}: the share outside the White group is not shown for {sel.place}, because a count it "
                f"would be worked from is suppressed.")
    if fmt.is_missing(unstated):
        return (f"{cohort}: {fmt.format_number(100 * (total - white) / total, 1)}% of adults in {sel.place} were in a "
                "group other than White or had none recorded; not compared with residents, because the number "
                "with none recorded is suppressed.")
    stated = total - unstated
    if stated <= 0:
        return ""
    other = stated - white
    pct = 100 * other / stated
    low, high = (100 * v for v in stats.wilson_interval(other, stated))
    text = (f"{cohort}: {fmt.format_number(pct, 1)}% of adults in {sel.place} with a recorded ethnic group were in a "
            f"group other than White (95% CI {fmt.format_number(low, 1)}% to {fmt.format_number(high, 1)}%)")
    if residents is None:
        return text + "."
    white_residents = residents.loc[residents["ethnic_group"] == labels["white"], "share_pct"]
    if white_residents.empty or fmt.is_missing(white_residents.iloc[0]):
        return text + "."
    resident_pct = 100 - float(white_residents.iloc[0])
    if low > resident_pct:
        verdict = "higher than among residents, a significant difference"
    elif high < resident_pct:
        verdict = "lower than among residents, a significant difference"
    else:
        verdict = "not significantly different from residents"
    return text + f", against {fmt.format_number(resident_pct, 1)}% of residents (Census 2021): {verdict}."


@saved_view
@c.needs_records("treatment")
def treatment_rate_by_district(data: AreaData, *, district: str | None = None, period: str | None = None,
                               substance_group: str | None = None) -> View:
    """Adults in treatment per 100,000 adults, each district against England (from the indicators table)."""
    sel = c.select(data, district, period, substance_group)
    title = f"Adults in treatment per 100,000 adults by district: {data.area.name}, {fmt.format_period(sel.period)}"
    rows = c.indicator_rows(data, "treatment_rate")
    rows = rows[rows["period"] == sel.period] if len(rows) else rows
    rows = _category_rows(rows, sel.substance_group)
    if rows.empty or rows.loc[rows["area_code"] == sel.area_code, "value"].isna().all() and not _any_suppressed(rows, sel):
        return c.no_figures(title, "the rate of adults in treatment", sel, data)
    footnote = c.rows_footnote(data, rows)
    chart = charts.compare_areas_chart(rows, "treatment_rate", period=sel.period, area=data.area,
                                       options=c.treatment_options(title, footnote, rule=None))
    table = _indicator_table(rows, data)
    findings = _narrative(rows, sel)
    return View(title=title, chart=chart, table=table, footnote=footnote, findings=findings)


def _any_suppressed(rows: pd.DataFrame, sel: c.Selection) -> bool:
    mine = rows[rows["area_code"] == sel.area_code]
    return bool(len(mine)) and any(narrative.is_suppressed(r) for r in mine.to_dict("records"))


def _category_rows(rows: pd.DataFrame, substance_group: str | None) -> pd.DataFrame:
    """An indicator's total rows, or its rows for one substance group (as a total-shaped frame)."""
    if rows.empty or "category_type" not in rows.columns:
        return rows
    if "sex" in rows.columns:
        rows = rows[rows["sex"] == "Persons"]
    if substance_group is None:
        return rows[rows["category_type"].map(fmt.is_missing)]
    label = reference.category_labels("substance_groups")[substance_group]
    picked = rows[rows["category"].isin([substance_group, label])]
    return picked.assign(category_type=None, category=None)


def _indicator_table(rows: pd.DataFrame, data: AreaData) -> pd.DataFrame:
    """Protected indicator rows for display: area, value, 95% CI, count, compared with England."""
    records = rows.to_dict("records")
    return pd.DataFrame({
        "Area": [r.get("area_name") or r["area_code"] for r in records],
        "Period": [fmt.format_period(r["period"]) for r in records],
        "Value": [narrative.value_text(r) for r in records],
        "95% confidence interval": [fmt.NOT_AVAILABLE if narrative.is_suppressed(r) else
                                    fmt.format_ci(r.get("value_lower_ci95"), r.get("value_upper_ci95"), r.get("measure")) for r in records],
        "Count": [fmt.format_count(r.get("count"), r.get("count_display")) for r in records],
        "Compared with England": [r.get("compared_to_england") or "" for r in records],
    })


def _narrative(rows: pd.DataFrame, sel: c.Selection) -> list[str]:
    """suna.presentation.narrative's findings for the area's (or district's) rows of these indicators, latest period."""
    mine = rows[rows["area_code"] == sel.area_code]
    return [narrative.finding(rows, row) for _, row in mine.iterrows()] or [
        f"No figures for {sel.place} in {fmt.format_period(sel.period)}."]


@saved_view
@c.needs_records("treatment")
def time_in_treatment(data: AreaData, *, district: str | None = None, period: str | None = None,
                      substance_group: str | None = None) -> View:
    """How long adults leaving treatment in the year had been in treatment, in the packs' bands."""
    sel = c.select(data, district, period, substance_group)
    title = f"Time in treatment at exit: {sel.place}, {fmt.format_period(sel.period)}"
    bands = [b[0] for b in DURATION_BANDS]
    counts, protected = cohorts.exits(data, sel.period).rows(["duration"], sel.substance_group)
    if c.pick_area(counts, sel)["count"].sum() == 0:
        return c.no_figures(title, f"treatment exits ({sel.group_label})", sel, data)
    mine = c.pick_area(c.add_shares(protected.table, ["area_code"], "duration"), sel).assign(period=sel.period)
    if mine.empty:
        return c.too_small(title, "Time in treatment for one substance group", sel, data, protected.record)
    footnote = c.view_footnote(data, extra=f"Treatment episodes of adults that ended in the year, {sel.group_label}.")
    chart = charts.share_chart(mine, "duration", series="area_name", category_order=bands, period=sel.period,
                               options=c.treatment_options(title, footnote))
    table = pd.DataFrame({"Time in treatment": mine["duration"], "Exits": mine["count_display"],
                          "Share of exits": [c.share_text(v) for v in mine["share_pct"]]})
    total = c.pick_area(protected.table, sel)
    total = total[total["duration"] == c.ALL].iloc[0]
    short = mine[mine["duration"].isin(bands[:2])]["share_pct"]
    long_ = mine[mine["duration"].isin(bands[5:])]["share_pct"]
    lead = c.count_text(total)
    findings = [f"{lead[:1].upper()}{lead[1:]} treatment episodes of adults ({sel.group_label}) ended in {sel.place} in "
                f"{fmt.format_period(sel.period)}."]
    if short.notna().all():
        findings.append(f"{c.share_text(short.sum())} had lasted less than 3 months (early exits).")
    if long_.notna().all():
        findings.append(f"{c.share_text(long_.sum())} had lasted a year or more.")
    findings.append("Not compared with England: SUNA holds no published England distribution of time in treatment.")
    return View(title=title, chart=chart, table=table, footnote=footnote, findings=findings)


SUCCESSFUL = cohorts.SUCCESSFUL


@saved_view
@c.needs_records("treatment")
def exits_by_reason(data: AreaData, *, district: str | None = None, period: str | None = None,
                    substance_group: str | None = None) -> View:
    """Why adults left treatment in the year, as shares of exits, by substance group."""
    sel = c.select(data, district, period, substance_group)
    title = f"Treatment exits by reason: {sel.place}, {fmt.format_period(sel.period)}"
    counts, protected = cohorts.exits(data, sel.period).rows(["exit_reason"])
    if c.pick_area(counts, sel)["count"].sum() == 0:
        return c.no_figures(title, "treatment exits", sel, data)
    shares = c.add_shares(protected.table, ["area_code", "substance_group"], "exit_reason")
    mine = c.pick_area(shares, sel)
    mine = mine[mine["substance_group"] == (sel.substance_group or c.ALL)] if sel.substance_group else mine
    if mine.empty:
        return c.too_small(title, "Exit reasons for one substance group", sel, data, protected.record)
    shown = c.labelled(c.labelled(mine, "exit_reason", "exit_reasons"), "substance_group", "substance_groups")
    shown = shown.replace({"substance_group": {c.ALL: "All substance groups"}}).assign(period=sel.period)
    footnote = c.view_footnote(data, extra="Treatment episodes of adults that ended in the year.")
    chart = charts.share_chart(shown, "exit_reason", series="area_name", group="substance_group", period=sel.period,
                               options=c.treatment_options(title, footnote, width=180))
    table = shown.assign(share=[c.share_text(v) for v in shown["share_pct"]]).pivot(
        index="exit_reason", columns="substance_group", values="share").reset_index().rename(columns={"exit_reason": "Exit reason"})
    success = reference.category_labels("exit_reasons")["successful_completion"]
    findings = []
    for group, part in shown.groupby("substance_group", sort=False):
        hit = part[part["exit_reason"] == success]
        if len(hit) and fmt.is_missing(hit["share_pct"].iloc[0]):
            findings.append(f"{group}: the share of exits in {sel.place} that were successful completions is suppressed (small numbers).")
        elif len(hit):
            findings.append(f"{group}: {c.share_text(hit['share_pct'].iloc[0])} of exits in {sel.place} were successful completions.")
    findings += _narrative(_category_rows(c.indicator_rows(data, "successful_exits").pipe(
        lambda r: r[r["period"] == sel.period] if len(r) else r), sel.substance_group), sel) if len(c.indicator_rows(data, "successful_exits")) else []
    return View(title=title, chart=chart, table=table, footnote=footnote, findings=findings)


@saved_view
@c.needs_records("treatment")
def successful_completion(data: AreaData, *, district: str | None = None, period: str | None = None,
                          substance_group: str | None = None) -> View:
    """Successful completion (without re-presentation within 6 months) by substance group, against England with 95% CIs."""
    sel = c.select(data, district, period, substance_group)
    title = f"Successful completion of treatment: {sel.place}, {fmt.format_period(sel.period)}"
    ids = [COMPLETION_INDICATORS[g] for g in ([sel.substance_group] if sel.substance_group else GROUPS)]
    ids.append("completion_no_representation")
    table = data.table
    if table is None or table.empty or "indicator_id" not in table.columns:
        return c.no_figures(title, "successful completion", sel, data)
    rows = c.meaningful(table[table["indicator_id"].isin(ids) & (table["period"] == sel.period)])
    rows = pd.concat([_category_rows(part, sel.substance_group if i == "completion_no_representation" else None)
                      for i, part in rows.groupby("indicator_id", sort=False)], ignore_index=True) if len(rows) else rows
    rows = narrative.headline_rows(rows) if len(rows) else rows
    if rows.empty or (rows["area_code"] == sel.area_code).sum() == 0:
        return c.no_figures(title, "successful completion", sel, data)
    footnote = c.rows_footnote(data, rows)
    mine = rows[rows["area_code"] == sel.area_code]
    chart = charts.spine_chart(rows, sel.area_code, period=sel.period, indicator_ids=ids, area=data.area,
                               options=c.treatment_options(title, footnote, rule=None))
    shown = pd.concat([rows[rows["area_code"].isin([sel.area_code, data.area.region_code, narrative.ENGLAND_CODE])]])
    out = _indicator_table(shown, data)
    out.insert(0, "Indicator", shown["indicator_name"].to_numpy())
    findings = [narrative.finding(rows, row) for _, row in mine.iterrows()]
    return View(title=title, chart=chart, table=out, footnote=footnote, findings=findings)


@saved_view
@c.needs_records("treatment")
def unmet_need_cascade(data: AreaData, *, district: str | None = None, period: str | None = None,
                       substance_group: str | None = None) -> View:
    """From estimated need to successful completion: estimated need, adults in treatment, successful completions.

    The estimate comes from a published prevalence estimate (only for the upper-tier area); without one the
    cascade starts at the number in treatment and says so. The stages are cells of the cohorts' own
    tables (adults in treatment; exits by reason), so a count another view hides is hidden here too.
    """
    sel = c.select(data, district, period, substance_group)
    title = f"From need to recovery: {sel.place}, {fmt.format_period(sel.period)}"
    counts, in_treatment = cohorts.adults_in_treatment(data, sel.period).rows([], sel.substance_group)
    if c.pick_area(counts, sel)["count"].sum() == 0:
        return c.no_figures(title, f"adults in treatment ({sel.group_label})", sel, data)
    _, exits = cohorts.exits(data, sel.period).rows(["exit_reason"], sel.substance_group)
    done = c.pick_area(exits.table[exits.table["exit_reason"] == SUCCESSFUL], sel).drop(columns="exit_reason")
    if done.empty:  # a ward or MSOA for one group: published as the group's total only
        done = pd.DataFrame({"area_code": [sel.area_code], "count": [float("nan")], "count_display": [SUPPRESSED], "value_note": [None]})
    mine = pd.concat([c.pick_area(in_treatment.table, sel).assign(stage="In treatment"), done.assign(stage="Successful completion")],
                     ignore_index=True)
    protected = replace(in_treatment, record=pd.concat([in_treatment.record, exits.record], ignore_index=True))
    mine = mine.assign(value=mine["count"], is_estimate=False)
    protected = replace(protected, record=pd.concat([protected.record, exits.record], ignore_index=True))
    need = _need_rows(data, sel)
    if len(need):
        mine = pd.concat([need, mine], ignore_index=True)
    first = mine["count"].iloc[0]
    mine["share_pct"] = [v / first * 100 if not fmt.is_missing(v) and not fmt.is_missing(first) and first else float("nan")
                         for v in mine["count"]]
    note = ("" if len(need) else "No prevalence estimate is held for this area, so the cascade starts at the number in treatment. ")
    footnote = c.view_footnote(data, extra=note + f"Adults, {sel.group_label}.")
    chart = charts.cascade_chart(mine, period=sel.period, value_title="Adults", options=c.treatment_options(title, footnote))
    table = pd.DataFrame({"Stage": mine["stage"], "Adults": [fmt.format_count(v, d) for v, d in zip(mine["count"], mine["count_display"])],
                          "Share of the first stage": [c.share_text(v) for v in mine["share_pct"]]})
    findings = []
    rows = mine.set_index("stage")
    if not len(need):
        findings.append(f"Unmet need is not compared: no estimate of the number needing treatment is held for {sel.place}.")
    else:
        findings += _narrative(need.attrs["indicator_rows"], sel)
    done_row = rows.loc["Successful completion"]
    tx_row = rows.loc["In treatment"]
    if not fmt.is_missing(done_row["count"]) and not fmt.is_missing(tx_row["count"]) and tx_row["count"]:
        findings.append(f"{c.count_text(done_row)} of the {c.count_text(tx_row)} adults in treatment in {sel.place} "
                        f"completed treatment successfully in {fmt.format_period(sel.period)} "
                        f"({c.share_text(done_row['count'] / tx_row['count'] * 100)}).")
    else:
        findings.append(f"Successful completions in {sel.place} are suppressed (small numbers).")
    return View(title=title, chart=chart, table=table, footnote=footnote, findings=findings)


def _need_rows(data: AreaData, sel: c.Selection) -> pd.DataFrame:
    """The estimated-need stage from the unmet-need indicators (their denominator), when there is one."""
    ids = {"opiate": "unmet_need_opiate_crack", "alcohol_only": "unmet_need_alcohol"}
    wanted = [ids[sel.substance_group]] if sel.substance_group in ids else ([] if sel.substance_group else list(ids.values()))
    if len(wanted) != 1:
        return pd.DataFrame()
    rows = c.indicator_rows(data, wanted[0])
    if rows.empty:
        return pd.DataFrame()
    mine = rows[(rows["area_code"] == sel.area_code) & (rows["period"] == sel.period)]
    if mine.empty or fmt.is_missing(mine["denominator"].iloc[0]):
        return pd.DataFrame()
    estimate = float(mine["denominator"].iloc[0])
    out = pd.DataFrame({"stage": ["Estimated need"], "count": [estimate], "count_display": [fmt.format_number(estimate)],
                        "value": [estimate], "is_estimate": [True], "area_code": [sel.area_code]})
    out.attrs["indicator_rows"] = rows[rows["period"] == sel.period]
    return out


@saved_view(reads_boundaries=True)
@c.needs_records("treatment")
def treatment_rate_map(data: AreaData, *, district: str | None = None, period: str | None = None,
                       substance_group: str | None = None) -> View:
    """A district map of adults in treatment per 100,000 adults (all substance groups), coloured against England."""
    sel = c.select(data, district, period, substance_group)
    rows = c.indicator_rows(data, "treatment_rate")
    if rows.empty or (rows["period"] == sel.period).sum() == 0:
        return c.no_figures(f"Adults in treatment per 100,000 adults: map of {data.area.name}", "the rate of adults in treatment", sel, data)
    return c.indicator_map(data, "treatment_rate", "Adults in treatment per 100,000 adults", district=district, period=period)


FINDINGS_INDICATORS = ("adults_in_treatment", "new_presentations", "treatment_rate", *COMPLETION_INDICATORS.values(),
                       "successful_exits", "completion_no_representation", "unmet_need_opiate_crack", "unmet_need_alcohol")


@saved_view
@c.needs_records("treatment")
def findings(data: AreaData, *, district: str | None = None, period: str | None = None,
             substance_group: str | None = None) -> View:
    """Plain-English findings for the treatment indicators: value, England and region, trend (suna.presentation.narrative)."""
    sel = c.select(data, district, period, substance_group)
    return c.indicator_findings(data, FINDINGS_INDICATORS, sel, f"Findings: treatment in {sel.place}, {fmt.format_period(sel.period)}")


VIEWS = {
    "treatment.numbers_in_treatment": numbers_in_treatment,
    "treatment.new_presentations": new_presentations,
    "treatment.age_sex_profile": age_sex_profile,
    "treatment.ethnicity_profile": ethnicity_profile,
    "treatment.treatment_rate_by_district": treatment_rate_by_district,
    "treatment.treatment_rate_map": treatment_rate_map,
    "treatment.time_in_treatment": time_in_treatment,
    "treatment.exits_by_reason": exits_by_reason,
    "treatment.successful_completion": successful_completion,
    "treatment.unmet_need_cascade": unmet_need_cascade,
    "treatment.findings": findings,
}
