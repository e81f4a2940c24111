"""The people the treatment views count, each group of them protected once with every breakdown shown.

Views of one group of people (a cohort) share figures. Adults in treatment by substance group are
the totals of the age-by-sex pyramid, the ethnic-group shares and the cascade; new presentations are
those of the referral routes, the waits, the criminal-justice trend and the district referral mix;
exits are those of time in treatment, exit reasons and the referral-to-exit flow. This module says
who is in each cohort and which breakdowns the views show; ``suna.disclosure.cohorts`` protects the
cohort's breakdowns as one table, so a cell hidden in one view is hidden in every view, for every
filter. Each view then takes its own rows (``Cohort.rows``). The treatment figures of the indicators
table are cells of these tables too (by sex, successful completion, referral source), and that table
shows them as these decide (``suna.pipeline.indicator_cells``), so the views and the indicators table
together show one audited table.
The indicators' breakdowns come last: protected first, their crossings by sex left the views' own
breakdowns nothing they could protect, and every cell was hidden (Essex new presentations).

A cohort is protected a year at a time: people in treatment in different years do not add up. The
ten-year trends read each year's cohort.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from suna import indicators
from suna.core import reference
from suna.disclosure import Protected
from suna.disclosure.cohorts import Breakdown, Cohort, protect_cohort
from suna.indicators import records as filters  # the NDTMS record filters every cohort shares
from suna.model.periods import year_end, year_start
from suna.pipeline import result_cache
from suna.pipeline.area_data import AreaData

# Age bands of the OHID adult commissioning support packs' age profile (as in the Essex Drug and Alcohol Needs
# Assessment, 2023, Figure 5: 18-29 ... 70-79);
# the last band is open so nobody is dropped.
TREATMENT_AGE_BANDS = (("18-29", 18, 30), ("30-39", 30, 40), ("40-49", 40, 50), ("50-59", 50, 60),
                       ("60-69", 60, 70), ("70+", 70, 200))
# Length of time in treatment at exit, as the adult alcohol commissioning support pack bands it (as in the Essex
# Drug and Alcohol Needs Assessment, 2023, Figure 8).
DURATION_BANDS = (("Under 1 month", 0, 30), ("1 to 3 months", 30, 91), ("3 to 6 months", 91, 182),
                  ("6 to 9 months", 182, 274), ("9 to 12 months", 274, 365), ("1 to 2 years", 365, 730),
                  ("2 to 3 years", 730, 1096), ("3 to 4 years", 1096, 1461), ("4 years or more", 1461, 10**6))
# Days from referral to the start of treatment (first intervention). The 3-week line is the NDTMS
# waiting-time standard (as in the Worcestershire Drug and Alcohol Needs Assessment, 2019, "Source of Referral
# and Waiting Times"); the longer bands show how far past it the waits go.
WAIT_BANDS = (("Within 3 weeks", 0, 22), ("3 to 6 weeks", 22, 43), ("6 to 12 weeks", 43, 85), ("Over 12 weeks", 85, 10**6))
# Exit reasons merged for the flow chart, so that small flows are not each suppressed.
FLOW_EXITS = {"successful_completion": "Successful completion", "dropped_out": "Dropped out / left",
              "transferred": "Transferred", "died": "Other", "treatment_withdrawn": "Other", "incomplete_other": "Other"}
OTHER_EXIT = "Other"


def _band(values: pd.Series, bands: tuple[tuple[str, int, int], ...]) -> pd.Series:
    edges = [b[1] for b in bands] + [bands[-1][2]]
    return pd.cut(values.astype(float), bins=edges, right=False, labels=[b[0] for b in bands]).astype("string")


# --------------------------------------------------------------------------------------------
# The cohorts of the treatment and referral views
# --------------------------------------------------------------------------------------------

COMPLETION_INDICATORS = {  # substance group -> indicator id (data/reference/indicators.yaml)
    "opiate": "successful_completion_opiate",
    "non_opiate_only": "successful_completion_non_opiate",
    "non_opiate_and_alcohol": "successful_completion_alcohol_non_opiate",
    "alcohol_only": "successful_completion_alcohol",
}
SUCCESSFUL = "successful_completion"  # the one successful exit reason (data/reference/categories.yaml)

# Adults in treatment by whether they completed treatment successfully in the year and did not come
# back within 6 months: the numerator of the successful-completion indicators (PHOF C19a-c).
COMPLETED, NOT_COMPLETED = "Completed, not re-presenting", "Other"
# Exits successful or not (the successful-exits indicator), merged from the exit reasons.
SUCCESS, NO_SUCCESS = "Successful", "Not successful"
WITHIN_3_WEEKS = WAIT_BANDS[0][0]  # the waiting-times indicator's count
# Adults in treatment by whether an episode open in the year was in an inpatient unit (detoxification) or in
# residential rehabilitation: the counts of the inpatient_detox and residential_rehab indicators.
RECEIVED, NOT_RECEIVED = "Received", "Not received"
SETTING_COLUMNS = {"inpatient_detox": "inpatient", "residential_rehab": "residential"}  # column -> setting code


_BUILT: dict[tuple[Any, ...], tuple[Any, Cohort]] = {}  # the cohorts last built, by records, area and year


def _kept(build: Callable[[Any, str], Cohort]) -> Callable[[Any, str], Cohort]:
    """A cohort built once per treatment table, area and year: an app's district switch or a ten-year
    trend reuses it rather than counting the records again. Small, oldest dropped first."""
    def cohort(data: AreaData, period: str) -> Cohort:
        records = filters.treatment_records(data.tables)
        key = (build.__name__, id(records), id(data.area), period)
        hit = _BUILT.get(key)
        if hit is None or hit[0][0] is not records or hit[0][1] is not data.area:  # ids reused by new objects
            if len(_BUILT) >= 128:
                _BUILT.pop(next(iter(_BUILT)))
            hit = _BUILT[key] = ((records, data.area), _saved_or_built(build, data, period))
        return hit[1]

    cohort.__name__, cohort.__doc__ = build.__name__, build.__doc__
    return cohort


def _saved_or_built(build: Callable[[Any, str], Cohort], data: AreaData, period: str) -> Cohort:
    """The cohort as saved beside the area's indicators (same data, period and library), else built and saved.

    Every notebook kernel of a batch and every app kernel needs the same cohorts; built once, they
    are read by the others (``suna.pipeline.result_cache``: the indicators' key, so never stale).
    """
    key = getattr(data, "fingerprint", "")
    records = filters.treatment_records(data.tables)
    # the records themselves are in the name too: an AreaData given other records keeps its fingerprint
    name = f"cohort-{build.__name__}-{period}-{_digest(records)}"
    saved = result_cache.load_derived(data.area, key, name)
    if isinstance(saved, Cohort):
        return saved
    built = build(data, period)
    result_cache.save_derived(data.area, key, name, built)
    return built


_DIGESTS: dict[int, tuple[pd.DataFrame, str]] = {}


def _digest(records: pd.DataFrame) -> str:
    """A short digest of the treatment records (kept per table object: computed once)."""
    hit = _DIGESTS.get(id(records))
    if hit is None or hit[0] is not records:
        value = int(pd.util.hash_pandas_object(records, index=True).sum()) & 0xFFFFFFFFFFFF
        hit = _DIGESTS[id(records)] = (records, f"{len(records)}-{value:012x}")
        if len(_DIGESTS) > 16:
            _DIGESTS.pop(next(iter(_DIGESTS)))
    return hit[1]


def routes() -> list[str]:
    """The referral route groups, in the order of the categories file."""
    return list(dict.fromkeys(reference.referral_route_groups().values()))


def route_of(source: Any) -> str:
    """A referral source's route (``Other`` for a source not in the categories file or not recorded)."""
    return reference.referral_route_groups().get(source, "Other")


def with_route(records: pd.DataFrame) -> pd.DataFrame:
    """Records with their referral source grouped into a route (``Other`` for a source not in the categories file)."""
    return records.assign(route=records["referral_source"].map(reference.referral_route_groups()).fillna("Other"))


@_kept
def adults_in_treatment(data: AreaData, period: str) -> Cohort:
    """Adults in treatment in the year, once each: by group, sex and successful completion (the
    indicators' figures, in every district), age band by sex, ethnic group, inpatient detoxification and
    residential rehabilitation (the indicators' figures, by district for all groups)."""
    adult_episodes = filters.adults(filters.treatment_records(data.tables))
    episodes = filters.in_treatment(adult_episodes, period)
    ended = (episodes["discharge_date"] >= year_start(period)) & (episodes["discharge_date"] <= year_end(period))
    done = ended & (episodes["exit_reason"] == SUCCESSFUL) & ~indicators.represented(adult_episodes).reindex(episodes.index).fillna(False).astype(bool)
    people = filters.one_per_person(episodes)
    completed = done.groupby(episodes["client_id"]).any()
    people = people.assign(age_band=_band(people["age_years"], TREATMENT_AGE_BANDS),
                           completion=np.where(people["client_id"].map(completed).fillna(False).astype(bool), COMPLETED, NOT_COMPLETED))
    for column, setting in SETTING_COLUMNS.items():
        had = set(episodes.loc[episodes["setting"] == setting, "client_id"])
        people = people.assign(**{column: np.where(people["client_id"].isin(had), RECEIVED, NOT_RECEIVED)})
    return protect_cohort(people, data.area, [
        Breakdown(("age_band", "sex"), groups_in_districts=False),
        Breakdown(("ethnic_group",), groups_in_districts=False),
        Breakdown(("sex", "completion")),
        *(Breakdown((column,), groups_in_districts=False) for column in SETTING_COLUMNS),
    ], {"age_band": [b[0] for b in TREATMENT_AGE_BANDS], "sex": reference.category_codes("sexes"),
        "completion": [COMPLETED, NOT_COMPLETED], "ethnic_group": reference.category_codes("ethnic_groups"),
        **{column: [RECEIVED, NOT_RECEIVED] for column in SETTING_COLUMNS}})


@_kept
def new_presentations(data: AreaData, period: str) -> Cohort:
    """Adults starting treatment in the year, once each: by group, sex, wait and referral source (the
    indicators' figures, in every district), referral route, route by sex, ethnic group."""
    people = filters.one_per_person(filters.started_in(filters.adults(filters.treatment_records(data.tables)), period))
    people = people.assign(wait=_band((people["start_date"] - people["referral_date"]).dt.days, WAIT_BANDS))
    return protect_cohort(people, data.area, [
        Breakdown(("route",)),
        Breakdown(("wait",)),
        Breakdown(("sex", "route"), groups_in_districts=False),
        Breakdown(("ethnic_group",), groups_in_districts=False),
        Breakdown(("sex",)),
        Breakdown(("referral_source",), groups_in_districts=False),
    ], {"wait": [b[0] for b in WAIT_BANDS], "sex": reference.category_codes("sexes"),
        "referral_source": reference.category_codes("referral_sources"), "ethnic_group": reference.category_codes("ethnic_groups")},
        groupings={"route": ("referral_source", route_of)})


@_kept
def young_new_presentations(data: AreaData, period: str) -> Cohort:
    """Young people (under 18) starting treatment in the year, once each: by group, route by sex."""
    records = filters.treatment_records(data.tables)
    people = with_route(filters.one_per_person(filters.started_in(records[records["age_years"].fillna(99) < 18], period)))
    return protect_cohort(people, data.area, [Breakdown(("sex", "route"), groups_in_districts=False)],
                          {"route": routes(), "sex": reference.category_codes("sexes")})


@_kept
def young_people_in_treatment(data: AreaData, period: str) -> Cohort:
    """Young people (under 18 at the start) in treatment in the year, once each: by primary substance and by
    sex (the young people's indicator's figures)."""
    records = filters.treatment_records(data.tables)
    people = filters.one_per_person(filters.in_treatment(records[records["age_years"].fillna(99) < 18], period))
    people = people.assign(primary_substance=indicators.primary_substance(people["substances"]))
    return protect_cohort(people, data.area, [
        Breakdown(("primary_substance",), groups_in_districts=False),
        Breakdown(("sex",), groups_in_districts=False),
    ], {"primary_substance": reference.category_codes("young_people_substances"), "sex": reference.category_codes("sexes")})


@_kept
def exits(data: AreaData, period: str) -> Cohort:
    """Adults' treatment episodes ending in the year: by group, sex and successful or not (the
    indicators' figures), time in treatment, exit reason, route to merged exit."""
    episodes = with_route(filters.exited_in(filters.adults(filters.treatment_records(data.tables)), period))
    episodes = episodes.assign(duration=_band((episodes["discharge_date"] - episodes["start_date"]).dt.days, DURATION_BANDS))
    return protect_cohort(episodes, data.area, [
        Breakdown(("duration",)),
        Breakdown(("exit_reason",)),
        Breakdown(("route", "exit_group"), most_crossed=2),
        Breakdown(("sex", "success")),
    ], {"duration": [b[0] for b in DURATION_BANDS], "exit_reason": reference.category_codes("exit_reasons"), "route": routes(),
        "sex": reference.category_codes("sexes")},
        groupings={"exit_group": ("exit_reason", lambda code: FLOW_EXITS.get(code, OTHER_EXIT)),
                   "success": ("exit_reason", lambda code: SUCCESS if code == SUCCESSFUL else NO_SUCCESS)})


def over_years(cohort: Callable[[Any, str], Cohort], data: AreaData, years: Sequence[str], columns: Sequence[str] = (),
               substance_group: str | None | type[Ellipsis] = ...) -> tuple[pd.DataFrame, Protected]:
    """One breakdown of a cohort for each of the years, stacked with a ``period`` column (each year's own protection)."""
    counts, tables, records = [], [], []
    for year in years:
        raw, protected = cohort(data, year).rows(columns, substance_group)
        counts.append(raw.assign(period=year))
        tables.append(protected.table.assign(period=year))
        records.append(protected.record)
    table = pd.concat(tables, ignore_index=True)
    return pd.concat(counts, ignore_index=True), replace(protected, table=table, record=pd.concat(records, ignore_index=True))
