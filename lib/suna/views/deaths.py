"""Drug deaths: deaths from drug misuse and deaths related to drug poisoning, 3 registration years pooled.

The views answer: how the area's pooled rate has moved over successive periods against the region and
England; which districts stand out (ranked, funnel plot, map); the split by sex; and how late deaths
are registered (ONS counts deaths by year of registration, so the latest periods are incomplete).

They work the same on record-level deaths (``suna.pipeline.load_area_data``) and on published ONS
counts and populations (``suna.pipeline.published_deaths_data``), which gives any English county a real district map
with the same disclosure rules (ONS: counts of 1 or 2 suppressed; no rate under the minimum counts).
``substance_group`` is accepted for a uniform signature; deaths have no treatment substance group.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import pandas as pd

from suna import disclosure
from suna.core import reference
from suna.core.errors import UnknownAreaError
from suna.indicators import national
from suna.indicators import published as published_figures
from suna.indicators.deaths import DEFAULT_INDICATOR, INDICATORS, ONS_RULE, PUBLISHED_INDICATOR, RECORD_INDICATORS
from suna.model import formatting as fmt
from suna.model.areas import Area, District
from suna.model.periods import end_year
from suna.pipeline import AreaData
from suna.presentation import charts, maps
from suna.sources import shapes
from suna.views import View, common
from suna.views.saved import saved_view

log = logging.getLogger(__name__)

REGISTRATION_NOTE = (
    "ONS counts deaths in the year they are registered, not the year they happened. Drug deaths are referred to a "
    "coroner and are often registered months or years after the death, so the most recent periods are incomplete "
    "and can rise when later registrations arrive.")
DELAY_BANDS = ("Same year", "1 year later", "2 or more years later")
ALL = "All"


def _from_death_records(view: Callable[..., View]) -> Callable[..., View]:
    """An indicator view: asked for a record-level deaths indicator where the authority has supplied no death
    records, it says what to supply (``common.missing_records``) instead of drawing."""

    @functools.wraps(view)
    def guarded(data: AreaData, *, district: str | None = None, period: str | None = None,
                substance_group: str | None = None, indicator: str | None = None) -> View:
        if indicator in RECORD_INDICATORS and data.tables.get("deaths") is None:
            return common.missing_records(INDICATORS[indicator], "deaths", common.resolve_place(data, district)[1], data)
        return view(data, district=district, period=period, substance_group=substance_group, indicator=indicator)

    return guarded


def _indicator(data: AreaData, indicator: str | None) -> tuple[str | None, str]:
    """The deaths indicator to show: the one asked for, else the first the data hold (published data
    carry one measure only), with its words for titles."""
    if indicator is not None and indicator not in INDICATORS:
        raise UnknownAreaError(indicator, list(INDICATORS), kind="deaths indicator")
    wanted = [indicator] if indicator else list(INDICATORS)
    found = common.first_present(data, wanted)
    if found is None and indicator is None:
        found = common.first_present(data, [], contains="deaths")
    chosen = found or indicator or DEFAULT_INDICATOR
    return found, INDICATORS.get(chosen, "Drug deaths")


@saved_view
@_from_death_records
def trend(data: AreaData, *, district: str | None = None, period: str | None = None,
          substance_group: str | None = None, indicator: str | None = None) -> View:
    """Pooled 3-year death rates over successive periods, with 95% CIs, against the region and England."""
    found, what = _indicator(data, indicator)
    view = common.indicator_trend(data, found, what, district=district, period=period)
    return _with_registration_note(view)


@saved_view
@_from_death_records
def districts_ranked(data: AreaData, *, district: str | None = None, period: str | None = None,
                     substance_group: str | None = None, indicator: str | None = None) -> View:
    """Districts ranked by pooled death rate, coloured by significance against England; districts above
    the regional rate named."""
    found, what = _indicator(data, indicator)
    return common.indicator_ranked(data, found, what, district=district, period=period)


@saved_view
@_from_death_records
def funnel(data: AreaData, *, district: str | None = None, period: str | None = None,
           substance_group: str | None = None, indicator: str | None = None) -> View:
    """Districts' pooled death rates in a funnel plot by number of deaths (95% and 99.8% limits)."""
    found, what = _indicator(data, indicator)
    return common.indicator_funnel(data, found, what, district=district, period=period)


@saved_view
@_from_death_records
def by_sex(data: AreaData, *, district: str | None = None, period: str | None = None,
           substance_group: str | None = None, indicator: str | None = None) -> View:
    """Pooled death rates for males and females, beside England's."""
    found, what = _indicator(data, indicator)
    return common.indicator_breakdown(data, found, what, district=district, period=period)


@saved_view(reads_boundaries=True)
@_from_death_records
def district_map(data: AreaData, *, district: str | None = None, period: str | None = None,
                 substance_group: str | None = None, indicator: str | None = None) -> View:
    """Pooled death rates by district on a map, coloured by significance against England, with counts;
    suppressed districts labelled, not drawn as zero."""
    found, what = _indicator(data, indicator)
    if found == PUBLISHED_INDICATOR and not data.area.is_county:
        return _with_registration_note(region_map(data, district=district, period=period))
    return _with_registration_note(common.indicator_map(data, found, what, district=district, period=period))


@saved_view(reads_boundaries=True)
def region_map(data: AreaData, *, district: str | None = None, period: str | None = None) -> View:
    """A unitary authority among its region's authorities: ONS's drug-poisoning death rates on a map.

    ONS publishes these deaths for whole authorities only, so this is the map of what is published
    for an authority with no districts (a county's map shows its districts instead).
    """
    area = data.area
    what = INDICATORS[PUBLISHED_INDICATOR]
    title = f"{what}: {area.name} among the authorities of {area.region_name}"
    rows = published_figures.region_rows(area, period or data.period)
    if rows.empty:
        return common.no_indicator_figures(title, "deaths related to drug poisoning", area.name, period or data.period, data)
    at, latest = common.latest_protected(rows)
    layer = shapes.upper_tier_layer(area.region_code)
    region = Area(slug=area.region_name.lower().replace(" ", "-"), code=area.region_code, name=area.region_name,
                  type="region", region_code=common.ENGLAND_CODE, region_name="England", district_type="upper-tier authority",
                  districts=tuple(District(c, n) for c, n in zip(layer["district_code"], layer["district_name"])))
    chart = maps.district_map(at, PUBLISHED_INDICATOR, layer, latest, area=region, highlight=area.code,
                              options=charts.ChartOptions(title=f"{what}, {fmt.format_period(latest)}: {area.region_name}",
                                                          source=national.SOURCE))
    authorities = at[at["area_code"].isin(region.district_codes)].sort_values("value", ascending=False)
    own = authorities[authorities["area_code"] == area.code]
    findings = []
    if district is not None:
        findings.append(f"ONS publishes these deaths for whole authorities: the map shows {area.name}, not one of its areas.")
    if len(own) and not fmt.is_missing(own["value"].iloc[0]):
        place = int((authorities["value"] > own["value"].iloc[0]).sum()) + 1
        findings.append(f"In {fmt.format_period(latest)}, {area.name} had the {fmt.ordinal(place)} highest rate of the "
                        f"{len(authorities)} authorities of {area.region_name}.")
    boundary = " ".join(str(layer.attrs[k]) for k in ("source", "attribution") if layer.attrs.get(k))
    footnote = f"Source: {national.SOURCE}. Boundaries: {boundary.rstrip('.')}."
    return View(title=title, chart=chart, table=common.display_table(authorities, area_label="Authority"),
                footnote=footnote, findings=findings)


def _with_registration_note(view: View) -> View:
    from dataclasses import replace

    if view.chart is None:
        return view
    return replace(view, footnote=f"{view.footnote} {REGISTRATION_NOTE}".strip())


# --------------------------------------------------------------------------------------------------
# Registration delay (record-level deaths only)
# --------------------------------------------------------------------------------------------------
def _delay_band(registered: pd.Series, occurred: pd.Series) -> pd.Series:
    gap = registered.dt.year - occurred.dt.year
    return pd.Series(pd.cut(gap, [-1, 0, 1, 10_000], labels=list(DELAY_BANDS)).astype(object), index=registered.index)


@saved_view
@common.needs_records("deaths")
def registration_delay(data: AreaData, *, district: str | None = None, period: str | None = None,
                       substance_group: str | None = None, years: int = 6) -> View:
    """Drug poisoning deaths by year of registration, split by how long after the death they were registered.

    Shown for the whole area only: district counts by year and delay are mostly 1s and 2s, and a
    district's delay pattern says nothing the area's does not (registration is by the area's coroner).
    The counts (each delay band and the year's total) pass through the ONS rule with secondary
    suppression before anything is shown.
    """
    place = data.area.name
    title = f"Registration delay of drug poisoning deaths: {place}"
    deaths = data.tables.get("deaths") if data.tables else None
    end = end_year(period or data.period)
    if deaths is None or deaths.empty or end is None:
        return common.no_indicator_figures(title, "dates of death and registration", place, period or data.period, data,
                                           reason="they need record-level deaths; published tables count registrations only")
    first = end - years + 1
    drug = deaths[reference.icd10_matches(deaths["underlying_cause"], "drug_poisoning_death")
                  & deaths["registration_date"].notna() & deaths["occurrence_date"].notna()]
    drug = drug[drug["registration_date"].dt.year.between(first, end)]
    if drug.empty:
        return common.no_indicator_figures(title, "drug poisoning deaths", place, f"{first} - {str(end)[2:]}", data)
    bands = _delay_band(drug["registration_date"], drug["occurrence_date"])
    grid = pd.MultiIndex.from_product([[str(y) for y in range(first, end + 1)], [*DELAY_BANDS, ALL]],
                                      names=["registration_year", "delay"]).to_frame(index=False)
    year = drug["registration_date"].dt.year.astype(str)
    by_band = pd.DataFrame({"registration_year": year, "delay": bands}).value_counts().rename("count").reset_index()
    totals = year.value_counts().rename("count").rename_axis("registration_year").reset_index().assign(delay=ALL)
    counts = grid.merge(pd.concat([by_band, totals]), on=["registration_year", "delay"], how="left").fillna({"count": 0.0})
    counts["count"] = counts["count"].astype(float)
    protected = disclosure.protect_table(counts, "count", ONS_RULE, dims=["registration_year", "delay"], margins={"delay": ALL})
    mine = protected.table
    parts = mine[mine["delay"] != ALL]
    chart = charts.category_trend_chart(
        parts.assign(period=parts["registration_year"]), "delay", value="count", category_order=list(DELAY_BANDS),
        value_title="Deaths", options=charts.ChartOptions(
            title=f"Drug poisoning deaths by year of registration and delay: {place}",
            source=data.data_source or "death registrations", rule=ONS_RULE))
    display = pd.DataFrame({"Registered in": mine["registration_year"], "Registered": mine["delay"],
                            "Deaths": [fmt.format_count(c, d) for c, d in zip(mine["count"], mine["count_display"])]})
    findings = _delay_findings(mine, place, end)
    if district is not None:
        findings.insert(0, f"Registration delay is shown for the whole of {place}: district counts by year are too small to show.")
    footnote = common.view_footnote(data, source=data.data_source or "death registrations", extra=REGISTRATION_NOTE)
    return View(title=title, chart=chart, table=display.reset_index(drop=True), footnote=footnote, findings=findings)


def _delay_findings(mine: pd.DataFrame, place: str, end: int) -> list[str]:
    out: list[str] = []
    last = mine[mine["registration_year"] == str(end)]
    total = last[last["delay"] == ALL]
    later = last[last["delay"].isin(DELAY_BANDS[1:])]
    if len(total) and not fmt.is_missing(total["count"].iloc[0]) and later["count"].notna().all() and float(total["count"].iloc[0]) > 0:
        late = float(later["count"].sum())
        share = late / float(total["count"].iloc[0]) * 100
        out.append(f"Of the {fmt.format_count(total['count'].iloc[0])} drug poisoning deaths of {place} residents registered in {end}, "
                   f"{fmt.format_count(late)} ({fmt.format_value(share, 'proportion')}) had happened in an earlier year.")
    elif len(total):
        out.append(f"Some counts of deaths registered in {end} in {place} are suppressed (small numbers), so the share registered late is not shown.")
    out.append(REGISTRATION_NOTE)
    return out


VIEWS = {
    "deaths.trend": trend,
    "deaths.districts_ranked": districts_ranked,
    "deaths.funnel": funnel,
    "deaths.by_sex": by_sex,
    "deaths.district_map": district_map,
    "deaths.registration_delay": registration_delay,
}
