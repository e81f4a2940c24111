"""Shared pieces of the views: choosing the area and period, selecting records, showing protected tables.

Every view answers for the whole area or one district, for one financial year (or the ten years to
it), for every substance group or one. The tables it shows are counted and protected whole (the
upper-tier area and every district, every category and its total, every substance group and all
groups) by ``suna.disclosure.counts`` and ``suna.disclosure.cohorts``; the view then picks its rows:
a count hidden for a district or a group can then not be worked out from the whole-area or all-groups
figure another filter of an app shows (the views contract in suna.views).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from suna import disclosure, indicators
from suna.core import reference
from suna.core.errors import ParametersError
from suna.disclosure.counts import ALL, NDTMS  # noqa: F401 (the total's label and the treatment rule, as the views name them)
from suna.indicators import stats
from suna.model import formatting as fmt
from suna.model.periods import end_year, start_year
from suna.pipeline import AreaData
from suna.presentation import charts, maps, narrative
from suna.sources import shapes
from suna.views import View

log = logging.getLogger(__name__)
ENGLAND_CODE = narrative.ENGLAND_CODE

TREATMENT_SOURCE = "NDTMS-style treatment records"


def treatment_options(title: str, footnote: str | None, rule: str | None = NDTMS, **size: int) -> charts.ChartOptions:
    """The options of a chart of treatment records: their source and the view's footnote under it, its counts
    checked by NDTMS's disclosure rule (``rule=None``: by each row's own, for an indicator table)."""
    return charts.ChartOptions(title=title, source=TREATMENT_SOURCE, footnote=footnote, rule=rule, **size)


@dataclass(frozen=True)
class Selection:
    """What one view call is about: the area or a district, a financial year, a substance group."""

    area_code: str
    place: str  # "Essex" or "Basildon (Essex)", for titles and sentences
    period: str
    substance_group: str | None
    group_label: str  # "all substance groups" or "Opiate"
    district_code: str | None


def select(data: AreaData, district: str | None = None, period: str | None = None,
           substance_group: str | None = None) -> Selection:
    """Resolve a view's choices into codes and words, failing with SUNA's message for an unknown one.

    Raises:
        UnknownAreaError: the district is not one of the area's.
        ParametersError: the period is not a financial year "YYYY/YY" or the substance group is unknown.
    """
    area = data.area
    chosen = period or data.period
    start_year(chosen)  # a financial year, or SUNA's own message
    check_substance_group(substance_group)
    labels = reference.category_labels("substance_groups")
    group_label = labels[substance_group] if substance_group else "all substance groups"
    if district is None:
        return Selection(area.code, area.name, chosen, substance_group, group_label, None)
    d = area.district(district)
    return Selection(d.code, f"{d.name} ({area.name})", chosen, substance_group, group_label, d.code)


def check_substance_group(substance_group: str | None) -> None:
    """Refuse a substance group that is not a code of data/reference/categories.yaml (None: every group).

    Raises:
        ParametersError: the code is unknown (the message lists the codes).
    """
    codes = reference.category_codes("substance_groups")
    if substance_group is not None and substance_group not in codes:
        raise ParametersError("view", "substance_group", f"is {substance_group!r}; expected one of {', '.join(codes)}")


def add_shares(table: pd.DataFrame, within: Sequence[str], category: str, share: str = "share_pct") -> pd.DataFrame:
    """Each protected count as a percentage of its ``ALL`` row; none where either is suppressed."""
    totals = table[table[category] == ALL][[*within, "count"]].rename(columns={"count": "_total"})
    out = table[table[category] != ALL].merge(totals, on=list(within), how="left")
    out[share] = (out["count"] / out["_total"] * 100).where(out["_total"] > 0)
    return out.drop(columns="_total")


def labelled(table: pd.DataFrame, column: str, kind: str) -> pd.DataFrame:
    """The codes in ``column`` replaced by their plain-English labels (``ALL`` kept)."""
    labels = {**reference.category_labels(kind), ALL: ALL}
    return table.assign(**{column: table[column].map(lambda c: labels.get(c, c))})


def view_footnote(data: AreaData, source: str = TREATMENT_SOURCE, extra: str = "") -> str:
    """The source and any note on what a view counts, in one line.

    What disclosure control hid, and the synthetic-data notice, are said once per page
    (``suna.views.page_note``, the app's notes), not under every chart.
    """
    parts = [f"Source: {source}." if source == data.data_source else f"Source: {source} ({data.data_source})."]
    if extra:
        parts.append(extra)
    return " ".join(parts)


# What each record-level table holds, in a reader's words, for the view that has none to draw from.
RECORDS = {
    "treatment": "treatment records (the council's NDTMS extract)",
    "admissions": "hospital admission records (Hospital Episode Statistics)",
    "deaths": "death registration records",
}


def needs_records(table: str, title: str | None = None) -> Callable[[Callable[..., View]], Callable[..., View]]:
    """For a view drawn from one record-level table: without that table, one sentence on what to supply.

    An authority reported from published figures alone (or an extract folder without this kind of
    file) still gets every page; the view validates its choices as usual, then says what is missing
    instead of failing.
    """

    def wrap(view: Callable[..., View]) -> Callable[..., View]:
        heading = title or (view.__doc__ or view.__name__).strip().splitlines()[0].split(",")[0].split(":")[0].rstrip(".")

        @functools.wraps(view)
        def guarded(data: AreaData, *args: Any, **kwargs: Any) -> View:
            if data.tables.get(table) is not None:
                return view(data, *args, **kwargs)
            # the choices given are still checked (the data's own period may be a published one, "2018 - 20")
            if kwargs.get("period") is not None:
                start_year(kwargs["period"])
            check_substance_group(kwargs.get("substance_group"))
            _, place = resolve_place(data, kwargs.get("district"))
            return missing_records(heading, table, place, data)

        return guarded

    return wrap


def latest_protected(rows: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Published rows through disclosure control, then those of their latest period, and that period."""
    table = disclosure.protect_indicators(rows).table
    latest = str(table.loc[table["period_sortable"].eq(table["period_sortable"].max()), "period"].iloc[0])
    return table[table["period"].astype(str) == latest], latest


def missing_records(title: str, table: str, place: str, data: AreaData) -> View:
    """The view for a topic whose records the authority has not supplied: no chart, one plain sentence."""
    area = data.area
    return View(
        title=f"{title}: {place}",
        chart=None,
        table=pd.DataFrame(),
        footnote="",
        findings=[f"These figures need {RECORDS.get(table, table + ' records')} for {area.name}, which have not "
                  f"been supplied; an analyst can add the council's extract (SUNA's data templates, data/templates) or fetch "
                  f"published figures with `suna fetch fingertips`."],
    )


def no_figures(title: str, what: str, selection: Selection, data: AreaData) -> View:
    """The view for a valid choice with nothing to show: no chart, one finding that says so."""
    return View(
        title=title,
        chart=None,
        table=pd.DataFrame(),
        footnote=view_footnote(data),
        findings=[f"No figures for {what} in {selection.place} in {selection.period}."],
    )


def count_text(row: Mapping[str, Any] | pd.Series) -> str:
    """A protected count as a sentence shows it ("fewer than 5" is never said: the number is "not shown")."""
    display = row.get("count_display")
    if display == disclosure.SUPPRESSED or fmt.is_missing(row.get("count")):
        return "a number (not shown, to protect privacy) of"
    return fmt.format_count(row.get("count"), display)


def share_text(value: Any) -> str:
    """A percentage for a sentence, or "suppressed"."""
    return fmt.SUPPRESSED if fmt.is_missing(value) else fmt.format_value(value, "proportion")


def pick_area(table: pd.DataFrame, selection: Selection) -> pd.DataFrame:
    """The protected rows of the area or district the view is about."""
    return table[table["area_code"] == selection.area_code]


def indicator_rows(data: AreaData, indicator_id: str) -> pd.DataFrame:
    """The protected indicators table's rows for one indicator (empty when it was not computed)."""
    table = data.table
    if table is None or table.empty or "indicator_id" not in table.columns:
        return pd.DataFrame()
    return table[table["indicator_id"] == indicator_id]


# --------------------------------------------------------------------------------------------------
# Indicator views: one indicator's trend, district ranking, funnel and breakdown. The admissions and
# deaths modules call these with their own indicators and words.
# --------------------------------------------------------------------------------------------------
def _up_to(rows: pd.DataFrame, chosen: str) -> pd.DataFrame:
    """Rows whose period ends no later than ``chosen`` (a trend stops at the period asked for)."""
    limit = end_year(chosen)
    ends = rows["period"].map(end_year)
    return rows[ends.fillna(0) <= (limit or 0)]


def _name(rows: pd.DataFrame, fallback: str) -> str:
    return str(rows["indicator_name"].dropna().iloc[0]) if "indicator_name" in rows.columns and rows["indicator_name"].notna().any() else fallback


def _place_row(rows: pd.DataFrame, code: str, period: str) -> pd.Series | None:
    hit = rows[(rows["area_code"] == code) & (rows["period"].astype(str) == str(period))]
    return hit.iloc[0] if len(hit) else None


def _change_sentence(place_rows: pd.DataFrame, name: str, place: str) -> str | None:
    """"Between 2019/20 and 2023/24 ... went from a to b", from the first and last shown values."""
    key = place_rows["period"].map(end_year)
    ordered = place_rows.assign(_k=key.to_numpy()).sort_values("_k", kind="stable")
    shown = [r for r in ordered.to_dict("records") if not narrative.is_suppressed(r) and not fmt.is_missing(r.get("value"))]
    if len(shown) < 2:
        return None
    first, last = shown[0], shown[-1]
    return (f"Between {fmt.format_period(first['period'])} and {fmt.format_period(last['period'])}, {name[0].lower() + name[1:]} "
            f"in {place} went from {narrative.value_text(first)} to {narrative.value_text(last)}.")


def indicator_trend(data: AreaData, indicator_id: str | None, what: str, *, district: str | None = None,
                    period: str | None = None) -> View:
    """The indicator over time for the area (or a district) with 95% CIs, against England and the region."""
    code, place = resolve_place(data, district)
    title = f"{what} over time: {place}"
    rows = headline(indicator_rows(data, indicator_id)) if indicator_id else pd.DataFrame()
    mine = rows[rows["area_code"] == code] if not rows.empty else rows
    chosen = choose_period(mine, period or data.period)
    if mine.empty or chosen is None:
        return no_indicator_figures(title, what.lower(), place, period or data.period, data)
    comparators = [ENGLAND_CODE, data.area.region_code] + ([data.area.code] if code != data.area.code else [])
    comparators = [c for c in comparators if c in set(rows["area_code"])]
    shown = _up_to(rows[rows["area_code"].isin([code, *comparators])], chosen)
    name = _name(shown, what)
    chart = charts.trend_chart(shown, indicator_id, code, comparators=comparators, area=data.area,
                               options=charts.ChartOptions(title=f"{name}: {place}", source=source_text(shown, data)))
    order = {c: i for i, c in enumerate([code, *comparators])}
    shown_sorted = shown.assign(_a=shown["area_code"].map(order), _k=shown["period"].map(end_year)).sort_values(["_k", "_a"], kind="stable")
    findings: list[str] = []
    latest = _place_row(shown, code, chosen)
    if latest is not None:
        findings.append(narrative.finding(shown, latest))
    change = _change_sentence(shown[shown["area_code"] == code], name, place)
    if change:
        findings.append(change)
    return View(title=title, chart=chart, table=display_table(shown_sorted.drop(columns=["_a", "_k"])),
                footnote=rows_footnote(data, shown), findings=findings)


def _district_names(rows: pd.DataFrame, outcome: str, column: str = "compared_to_england") -> list[str]:
    return [str(r["area_name"]) for r in rows.to_dict("records")
            if not narrative.is_suppressed(r) and not fmt.is_missing(r.get("value"))
            and narrative.comparison_outcome(r.get(column), r.get("polarity")) == outcome]


def _join(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _district_findings(data: AreaData, at: pd.DataFrame, districts: pd.DataFrame, name: str, code: str, period: str) -> list[str]:
    """What a board member asks of a district ranking: which districts differ from England and the
    region, which could not be shown, and the chosen district's own figure."""
    words = data.area.district_type.split("(")[0].strip() or "district"
    out: list[str] = []
    for outcome in ("worse", "better", "higher", "lower"):
        names = _district_names(districts, outcome)
        if names:
            out.append(f"{len(names)} of {len(districts)} {words}s had {name[0].lower() + name[1:]} significantly {outcome} than "
                       f"England in {fmt.format_period(period)}: {_join(names)}.")
    if not any(s.startswith(tuple(str(i) for i in range(10))) for s in out) and len(districts):
        out.append(f"No {words} was significantly different from England in {fmt.format_period(period)}.")
    region_name = narrative.in_sentence(data.area.region_name)
    above = [str(r["area_name"]) for r in districts.to_dict("records")
             if narrative.comparison_outcome(r.get("compared_to_region"), r.get("polarity")) in ("worse", "higher")
             and not narrative.is_suppressed(r) and not fmt.is_missing(r.get("value"))]
    if above:
        out.append(f"Significantly above {region_name}'s rate: {_join(above)}.")
    hidden = [str(r["area_name"]) for r in districts.to_dict("records") if narrative.is_suppressed(r)]
    if hidden:
        out.append(f"Not shown to protect confidentiality (small numbers): {_join(hidden)}.")
    missing = [str(r["area_name"]) for r in districts.to_dict("records") if not narrative.is_suppressed(r) and fmt.is_missing(r.get("value"))]
    if missing:
        out.append(f"No rate could be calculated for {_join(missing)} (too few events).")
    own = _place_row(at, code, period)
    if own is not None:
        out.insert(0, narrative.finding(at, own))
    return out


def _district_period(data: AreaData, indicator_id: str | None, period: str | None,
                     with_area: bool = False) -> tuple[pd.DataFrame, str | None]:
    """An indicator's headline rows and the period its districts (and the area) are shown for (None: none)."""
    rows = headline(indicator_rows(data, indicator_id)) if indicator_id else pd.DataFrame()
    if rows.empty:
        return rows, None
    codes = [data.area.code] * with_area + data.area.district_codes
    return rows, choose_period(rows[rows["area_code"].isin(codes)], period or data.period)


def indicator_ranked(data: AreaData, indicator_id: str | None, what: str, *, district: str | None = None,
                     period: str | None = None) -> View:
    """The area's districts ranked, bars coloured by significance against England, with the area itself."""
    code, place = resolve_place(data, district)
    title = f"{what} by {data.area.district_type.split('(')[0].strip() or 'district'}: {data.area.name}"
    rows, chosen = _district_period(data, indicator_id, period, with_area=True)
    if chosen is None:
        return no_indicator_figures(title, what.lower(), data.area.name, period or data.period, data)
    at = rows[rows["period"].astype(str) == chosen]
    districts = at[at["area_code"].isin(data.area.district_codes)]
    order = {c: i for i, c in enumerate(data.area.district_codes)}
    districts = districts.assign(_o=districts["area_code"].map(order)).sort_values("_o").drop(columns="_o")
    name = _name(at, what)
    bench = ENGLAND_CODE if (at["area_code"] == ENGLAND_CODE).any() else data.area.code  # England, else the area's own line
    chart = charts.compare_areas_chart(at, indicator_id, [data.area.code, *data.area.district_codes], period=chosen,
                                       benchmark_code=bench, area=data.area,
                                       options=charts.ChartOptions(title=f"{name}, {fmt.format_period(chosen)}",
                                                                   source=source_text(at, data)))
    comparators = at[at["area_code"].isin([ENGLAND_CODE, data.area.region_code, data.area.code])]
    table = display_table(pd.concat([districts, comparators]), area_label="Area")
    findings = _district_findings(data, at, districts, name, code, chosen)
    return View(title=title, chart=chart, table=table, footnote=rows_footnote(data, at), findings=findings)


def _funnel_input(districts: pd.DataFrame) -> tuple[pd.DataFrame, str, dict[str, Any]]:
    """PHStatsMethods' funnel arguments for the indicator's measure: rates by events, proportions by denominator."""
    measure = str(districts["measure"].dropna().iloc[0]) if "measure" in districts.columns and districts["measure"].notna().any() else "dsr"
    if measure == "proportion":
        return districts, "denominator", {"statistic": "proportion", "denominator_col": "denominator", "per": 100}
    years = fmt.pooled_years(districts["period"].iloc[0]) or 1
    kind = "dsr" if measure == "dsr" else "crude"
    return districts, "count", {"statistic": "rate", "rate_col": "value", "rate_type": kind, "per": 100_000, "years_of_data": years}


def indicator_funnel(data: AreaData, indicator_id: str | None, what: str, *, district: str | None = None,
                     period: str | None = None) -> View:
    """A funnel plot of the districts: each district's value against its number of events, inside 95%
    and 99.8% control limits around the districts' average (PHStatsMethods, Fingertips method)."""
    code, place = resolve_place(data, district)
    title = f"{what}: funnel plot of {data.area.name}'s districts"
    rows, chosen = _district_period(data, indicator_id, period)
    if chosen is None:
        return no_indicator_figures(title, what.lower(), data.area.name, period or data.period, data)
    districts = rows[rows["area_code"].isin(data.area.district_codes) & (rows["period"].astype(str) == chosen)].copy()
    districts, x, args = _funnel_input(districts)
    usable = districts[districts["value"].notna() & districts[x].notna() & (pd.to_numeric(districts[x], errors="coerce") > 0)]
    if len(usable) < 2:
        return no_indicator_figures(title, f"a funnel plot of {what.lower()}", data.area.name, chosen, data,
                          reason="fewer than two districts have a published value")
    for column in ("count", "denominator", "value"):
        if column in usable.columns:
            usable = usable.assign(**{column: pd.to_numeric(usable[column], errors="coerce").astype(float)})
    limits = stats.funnel_limits(usable, "count", args["statistic"], denominator_col=args.get("denominator_col"),
                                 rate_col=args.get("rate_col"), rate_type=args.get("rate_type"), per=args["per"],
                                 years_of_data=args.get("years_of_data", 1))
    marked = stats.funnel_significance(usable, "count", args["statistic"], denominator_col=args.get("denominator_col"),
                                       rate_col=args.get("rate_col"), rate_type=args.get("rate_type"), per=args["per"])
    points = pd.concat([marked, districts[~districts.index.isin(marked.index)]])
    name = _name(districts, what)
    x_title = "Denominator" if x == "denominator" else ("Deaths" if "ons_deaths" in set(districts.get("disclosure_rule", [])) else "Admissions") + " (events)"
    chart = charts.funnel_chart(points, limits, x=x, y="value", area=data.area, x_title=x_title,
                                options=charts.ChartOptions(title=f"{name}, {fmt.format_period(chosen)}: funnel plot",
                                                            source=source_text(districts, data)))
    table = display_table(points).assign(**{"Funnel position": [
        "" if fmt.is_missing(s) else str(s) for s in points.get("funnel_significance", pd.Series([None] * len(points), index=points.index))]})
    findings = []
    outside = [(str(r["area_name"]), str(r["funnel_significance"])) for r in marked.to_dict("records")
               if str(r.get("funnel_significance", "")).startswith(("Above", "Below"))]
    if outside:
        findings.append("Outside the funnel's 95% limits: " + "; ".join(f"{n} ({s.lower()})" for n, s in outside) + ".")
    else:
        findings.append(f"Every district with a published value lies within the funnel's 95% limits around the {data.area.name} average, "
                        "so differences between districts are consistent with chance.")
    left_out = [str(r["area_name"]) for r in points.to_dict("records") if r.get("funnel_significance") is None or fmt.is_missing(r.get("funnel_significance"))]
    if left_out:
        findings.append(f"Not plotted (suppressed or too few events): {_join(left_out)}.")
    eng = _place_row(rows, ENGLAND_CODE, chosen)
    if eng is not None and not fmt.is_missing(eng.get("value")):
        findings.append(f"For reference, England's value was {narrative.value_text(eng)}.")
    if code != data.area.code:
        mine = marked[marked["area_code"] == code]
        if len(mine):
            findings.insert(0, f"{place}: {str(mine['funnel_significance'].iloc[0]).lower()} of the funnel.")
    return View(title=title, chart=chart, table=table, footnote=rows_footnote(data, districts), findings=findings)


def _breakdown_label(row: dict[str, Any], headline_age: str) -> str:
    sex = str(row.get("sex") or "Persons")
    age = row.get("age")
    parts = [str(row.get("area_name") or row.get("area_code")), {"Male": "males", "Female": "females", "Persons": "persons"}.get(sex, sex)]
    if not fmt.is_missing(age) and str(age) != headline_age:
        parts.append(f"aged {age}")
    return f"{parts[0]}: {' '.join(parts[1:])}"


def indicator_breakdown(data: AreaData, indicator_id: str | None, what: str, *, district: str | None = None,
                        period: str | None = None) -> View:
    """The indicator by sex (and age where the table holds age groups) for the area or a district,
    beside England's figures for the same groups; bars coloured by significance against England."""
    code, place = resolve_place(data, district)
    title = f"{what} by sex and age: {place}"
    rows = indicator_rows(data, indicator_id) if indicator_id else pd.DataFrame()
    if not rows.empty and "category_type" in rows.columns:
        rows = rows[rows["category_type"].map(fmt.is_missing)]
    mine = rows[rows["area_code"] == code] if not rows.empty else rows
    chosen = choose_period(mine, period or data.period)
    if mine.empty or chosen is None:
        return no_indicator_figures(title, f"{what.lower()} by sex or age", place, period or data.period, data)
    at = rows[(rows["period"].astype(str) == chosen) & rows["area_code"].isin([code, ENGLAND_CODE, data.area.region_code])]
    head_age = str(headline(at)["age"].iloc[0]) if "age" in at.columns and len(headline(at)) else "All ages"
    is_total = at["sex"].astype(str).eq("Persons") & (at["age"].astype(str).eq(head_age) if "age" in at.columns else True)
    groups = at[~is_total]
    if groups[groups["area_code"] == code].empty:
        return no_indicator_figures(title, f"{what.lower()} by sex or age", place, chosen, data,
                          reason="the figures are published for persons of all ages only")
    groups = groups[groups["area_code"] != data.area.region_code]
    shown = pd.concat([at[(at["area_code"] == code) & is_total], groups, at[(at["area_code"] == ENGLAND_CODE) & is_total]])
    labels = [_breakdown_label(r, head_age) for r in shown.to_dict("records")]
    bars = as_bars(shown, labels)
    bar_codes = [c for c in bars["area_code"] if c != ENGLAND_CODE]
    name = _name(shown, what)
    bench = ENGLAND_CODE if (bars["area_code"] == ENGLAND_CODE).any() else bar_codes[0]  # England, else the place's persons
    chart = charts.compare_areas_chart(bars, indicator_id, bar_codes, period=chosen, benchmark_code=bench, options=charts.ChartOptions(
        title=f"{name} by sex and age: {place}, {fmt.format_period(chosen)}", source=source_text(shown, data)))
    findings = [narrative.finding(at, row, several=True) for _, row in shown[shown["area_code"] == code].iterrows()]
    male, female = (_place_row(groups[groups["sex"] == s], code, chosen) for s in ("Male", "Female"))
    if male is not None and female is not None and not narrative.is_suppressed(male) and not narrative.is_suppressed(female) \
            and not fmt.is_missing(male.get("value")) and not fmt.is_missing(female.get("value")) and float(female["value"]) > 0:
        ratio = float(male["value"]) / float(female["value"])
        findings.append(f"In {place} the rate for males was {fmt.format_number(ratio, 1)} times the rate for females.")
    return View(title=title, chart=chart, table=display_table(shown), footnote=rows_footnote(data, shown), findings=findings)


# --------------------------------------------------------------------------------------------------
# Helpers of the indicator views (place, period, display table, footnote).
# --------------------------------------------------------------------------------------------------
def resolve_place(data: AreaData, district: str | None) -> tuple[str, str]:
    """(code, name) of the place a view is about: the whole area, or one district by code or name.

    Raises:
        UnknownAreaError: ``district`` is not one of the area's districts (the message lists them).
    """
    if district is None or fmt.is_missing(district):
        return data.area.code, data.area.name
    found = data.area.district(str(district))
    return found.code, found.name


def first_present(data: AreaData, indicator_ids: Sequence[str], contains: str | None = None) -> str | None:
    """The first of ``indicator_ids`` the data hold; else the first id containing ``contains``."""
    table = data.table
    if table is None or table.empty:
        return None
    present = list(dict.fromkeys(table["indicator_id"].astype(str)))
    for wanted in indicator_ids:
        if wanted in present:
            return wanted
    if contains:
        return next((have for have in present if contains in have), None)
    return None


def choose_period(rows: pd.DataFrame, period: str | None) -> str | None:
    """The period of ``rows`` to show for a requested period.

    The period itself when present; otherwise the latest period ending no later than it (a pooled
    "2021 - 23" for "2023/24"); ``None`` when nothing qualifies. No request: the latest period.
    """
    if rows is None or rows.empty:
        return None
    periods = sorted(dict.fromkeys(rows["period"].astype(str)), key=lambda p: (end_year(p) or 0, p))
    if period is None:
        return periods[-1]
    if str(period) in periods:
        return str(period)
    wanted = end_year(period)
    earlier = [p for p in periods if wanted is not None and (end_year(p) or 0) <= wanted]
    return earlier[-1] if earlier else None


def headline(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with no category breakdown, and persons where sexes are split (narrative's rule)."""
    return narrative.headline_rows(rows) if not rows.empty else rows


def outcome_text(compared: Any, polarity: Any) -> str:
    """A comparison cell in words, with the indicator's polarity ("Worse", "Similar", "Not compared")."""
    outcome = narrative.comparison_outcome(compared, polarity)
    return "" if outcome is None else outcome.capitalize()


def display_table(rows: pd.DataFrame, area_label: str = "Area") -> pd.DataFrame:
    """Protected indicator rows as a reader's table: formatted value, CI, count, comparisons and note.

    Suppressed values read "suppressed", never zero; nothing here changes a figure.
    """
    records = rows.to_dict("records")

    def text(value: Any) -> str:
        return "" if fmt.is_missing(value) else str(value)

    return pd.DataFrame({
        area_label: [text(r.get("area_name")) or text(r.get("area_code")) for r in records],
        "Sex": [text(r.get("sex")) for r in records],
        "Age": [text(r.get("age")) for r in records],
        "Period": [fmt.format_period(r.get("period")) for r in records],
        "Value": [narrative.value_text(r) for r in records],
        "95% confidence interval": [
            fmt.SUPPRESSED if narrative.is_suppressed(r)
            else fmt.format_ci(r.get("value_lower_ci95"), r.get("value_upper_ci95"), r.get("measure"))
            for r in records
        ],
        "Count": [fmt.format_count(r.get("count"), r.get("count_display")) for r in records],
        "Compared with England": [outcome_text(r.get("compared_to_england"), r.get("polarity")) for r in records],
        "Compared with region": [outcome_text(r.get("compared_to_region"), r.get("polarity")) for r in records],
        "Note": [reader_note(r.get("value_note")) for r in records],
    })


def meaningful(rows: pd.DataFrame) -> pd.DataFrame:
    """Indicator rows without those that tell a board nothing (issue 15).

    Two kinds go: the total of a set of shares (an indicator whose categories add up to 100% and whose
    every known total is 100%, as every referral source together is, by construction), and a follow-up
    measure at 100% only because the follow-up has not happened yet (the latest year of completions
    not re-presenting within 6 months). Everything else is kept.
    """
    needed = {"indicator_id", "value", "category_type"}
    if rows.empty or not needed <= set(rows.columns):
        return rows
    value = pd.to_numeric(rows["value"], errors="coerce")
    total_row = rows["category_type"].map(fmt.is_missing)
    full = value.round(6) == 100
    broken_down = set(rows.loc[~total_row, "indicator_id"])
    known = total_row & value.notna()
    always_full = {i for i, part in full[known].groupby(rows.loc[known, "indicator_id"]) if part.all()}
    parts = rows[~total_row].assign(_v=value[~total_row])
    keys = [c for c in ("indicator_id", "area_code", "period", "sex", "age", "category_type") if c in parts.columns]
    sums = parts.groupby(keys, dropna=False)["_v"].agg(["sum", "count", "size"])
    whole = sums[(sums["count"] == sums["size"]) & ((sums["sum"] - 100).abs() < 0.5)]  # every category shown, adding to 100%
    partitions = set(whole.index.get_level_values("indicator_id"))
    share_total = total_row & rows["indicator_id"].isin(broken_down & always_full & partitions)
    notes = rows["value_note"].astype("string").fillna("") if "value_note" in rows.columns else pd.Series("", index=rows.index)
    not_yet = notes.str.contains(indicators.FOLLOW_UP_NOTE, regex=False) & full
    return rows[~(share_total | not_yet)]


def reader_note(note: Any) -> str:
    """A row's note without disclosure control's per-cell reason ("Not shown to protect privacy: ..."):
    the value already says it is not shown, and the page's privacy note says why, once."""
    if fmt.is_missing(note):
        return ""
    kept = [part for part in str(note).split("; ") if not disclosure.is_hidden_note(part)]
    return "; ".join(kept)


def source_text(rows: pd.DataFrame, data: AreaData) -> str:
    """The source of indicator rows: their own ``source`` column, else where the data came from."""
    if rows is not None and "source" in rows.columns and rows["source"].notna().any():
        return "; ".join(str(s) for s in dict.fromkeys(rows["source"].dropna()))
    return data.data_source or "SUNA calculations"


def rows_footnote(data: AreaData, rows: pd.DataFrame, *extra: str) -> str:
    """One line for indicator rows: their source and any extra notes (privacy and the synthetic-data
    notice are the page's, see ``view_footnote``)."""
    parts = [f"Source: {source_text(rows, data)}."]
    parts.extend(e for e in extra if e)
    return " ".join(p.strip() for p in parts if p and p.strip())


def no_indicator_figures(title: str, what: str, place: str, period: Any, data: AreaData, reason: str = "") -> View:
    """An indicator view's answer to a valid choice with nothing to show: no chart, one finding."""
    when = f" in {fmt.format_period(period)}" if not fmt.is_missing(period) else ""
    because = f" ({reason.strip().rstrip('.')})" if reason else ""
    return View(title=title, chart=None, table=pd.DataFrame(), footnote=view_footnote(data, source=source_text(pd.DataFrame(), data)),
                findings=[f"No figures for {what} in {place}{when}{because}."])


def as_bars(rows: pd.DataFrame, labels: Sequence[str]) -> pd.DataFrame:
    """Breakdown rows (by sex or age) relabelled as separate "areas" so a compare-areas chart ranks
    them with their CIs and significance colours; England's persons row keeps its code (the benchmark)."""
    out = rows.copy()
    sexes = out["sex"].astype(str) if "sex" in out.columns else pd.Series("Persons", index=out.index)
    england_total = (out["area_code"] == narrative.ENGLAND_CODE) & sexes.eq("Persons")
    out["area_code"] = [code if keep else f"{code}|{label}" for code, label, keep in zip(out["area_code"], labels, england_total)]
    out["area_name"] = list(labels)
    out["sex"] = "Persons"
    return out


def indicator_map(data: AreaData, indicator_id: str | None, what: str, *, district: str | None = None,
                  period: str | None = None, colour_by: str = "value") -> View:
    """The indicator by district on the area's real boundaries, coloured by its value in classes (a
    district with no comparison with England still says how high it is), significance against England
    as an outline; suppressed districts hatched and labelled "not shown", never drawn as zero; the chosen
    district outlined in black."""
    code, place = resolve_place(data, district)
    title = f"{what}: map of {data.area.name}"
    rows, chosen = _district_period(data, indicator_id, period)
    if chosen is None:
        return no_indicator_figures(title, what.lower(), data.area.name, period or data.period, data)
    layer = shapes.district_layer(data.area)
    at = rows[rows["period"].astype(str) == chosen]
    districts = at[at["area_code"].isin(data.area.district_codes)]
    name = _name(at, what)
    chart = maps.district_map(at, indicator_id, layer, chosen, area=data.area, colour_by=colour_by,
                              highlight=code if code != data.area.code else None,
                              options=charts.ChartOptions(title=f"{name} by district, {fmt.format_period(chosen)}",
                                                          source=source_text(at, data)))
    order = {c: i for i, c in enumerate(data.area.district_codes)}
    districts = districts.assign(_o=districts["area_code"].map(order)).sort_values("_o").drop(columns="_o")
    findings = _district_findings(data, at, districts, name, code, chosen)
    ranked = [r for r in districts.to_dict("records") if not narrative.is_suppressed(r) and not fmt.is_missing(r.get("value"))]
    if len(ranked) >= 2:
        ranked.sort(key=lambda r: float(r["value"]))
        findings.append(f"Highest: {ranked[-1]['area_name']} ({narrative.value_text(ranked[-1])}); "
                        f"lowest: {ranked[0]['area_name']} ({narrative.value_text(ranked[0])}).")
    boundary = " ".join(str(layer.attrs[k]) for k in ("source", "attribution") if layer.attrs.get(k))
    return View(title=title, chart=chart, table=display_table(districts, area_label="District"),
                footnote=rows_footnote(data, districts, f"Boundaries: {boundary}." if boundary else ""), findings=findings)


def too_small(title: str, what: str, selection: Selection, data: AreaData, record: pd.DataFrame | None = None) -> View:
    """The view for a ward or MSOA whose crossed breakdown is not published (see ``suna.disclosure.counts.district_detail``)."""
    choices = [c for c, chosen in (("the whole area", selection.district_code), ("all substance groups", selection.substance_group)) if chosen]
    advice = f" Choose {' or '.join(choices)}." if choices else ""
    return View(
        title=title,
        chart=None,
        table=pd.DataFrame(),
        footnote=view_footnote(data),
        findings=[f"{what} is not shown for {selection.place}: the numbers in a single {data.area.district_type} "
                  f"are too small to cross two breakdowns.{advice}"],
    )


def about_data(data: AreaData) -> View:
    """Where the figures come from, and the synthetic-data notice when they are the sample."""
    findings = [f"Area: {data.area.name} ({data.area.code}), {data.area.region_name}; period {data.period}; "
                f"districts: {len(data.area.districts)} ({data.area.district_type})."]
    findings.append(f"Data: {data.data_source}.")
    if data.synthetic_notice:
        findings.append(f"**{data.synthetic_notice}**")
    return View(title=f"About these figures: {data.area.name}", findings=findings)


def indicator_findings(data: AreaData, indicator_ids: Sequence[str], selection: Selection, title: str) -> View:
    """suna.presentation.narrative's plain-English findings for some indicators of the area (or a district), in the period."""
    table = data.table
    rows = meaningful(table[table["indicator_id"].isin(list(indicator_ids))]) if len(table) and "indicator_id" in table.columns else table
    if rows is None or rows.empty or ((rows["area_code"] == selection.area_code) & (rows["period"] == selection.period)).sum() == 0:
        return no_figures(title, "these indicators", selection, data)
    found = narrative.findings(rows, selection.area_code, selection.period)
    if data.synthetic_notice:
        found.append(data.synthetic_notice)
    return View(title=title, findings=found, footnote=rows_footnote(data, rows[rows["area_code"] == selection.area_code]))
