"""Which treatment records a figure counts: adults, open in a year, started or ended in it, one per person.

The NDTMS definitions every treatment figure shares, used by the cohort tables (``suna.pipeline.cohorts``)
and by the views that count people, so that a view and the indicators never count the same people two ways.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from suna.core import reference
from suna.model import schemas
from suna.model.periods import year_end, year_start


def treatment_records(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The area's treatment table (empty with the canonical columns when there is none)."""
    table = tables.get("treatment")
    if table is None:
        return pd.DataFrame(columns=list(schemas.schema("treatment").columns))
    return table


def adults(treatment: pd.DataFrame) -> pd.DataFrame:
    """Episodes of people aged 18 or over at the start (NDTMS adult treatment)."""
    return treatment[treatment["age_years"].fillna(-1) >= 18]


def in_treatment(treatment: pd.DataFrame, period: str) -> pd.DataFrame:
    """Episodes open at any time in the financial year (started by its end, not discharged before its start)."""
    start, end = year_start(period), year_end(period)
    if treatment.empty or max(treatment["start_date"].max(), treatment["discharge_date"].max()) < start:
        return treatment.iloc[0:0]  # the records end before this year: nobody is known to be in treatment
    open_ = (treatment["start_date"] <= end) & (treatment["discharge_date"].isna() | (treatment["discharge_date"] >= start))
    return treatment[open_]


def started_in(treatment: pd.DataFrame, period: str) -> pd.DataFrame:
    """Episodes that started in the financial year (new presentations)."""
    return treatment[(treatment["start_date"] >= year_start(period)) & (treatment["start_date"] <= year_end(period))]


def exited_in(treatment: pd.DataFrame, period: str) -> pd.DataFrame:
    """Episodes discharged in the financial year (treatment exits)."""
    d = treatment["discharge_date"]
    return treatment[(d >= year_start(period)) & (d <= year_end(period))]


def one_per_person(episodes: pd.DataFrame) -> pd.DataFrame:
    """One row per client, as the indicators count people: the district of the latest episode and the
    substance group by the NDTMS hierarchy over all the client's episodes (opiate first)."""
    codes = reference.category_codes("substance_groups")
    rank = episodes["substance_group"].map({code: i for i, code in enumerate(codes)}).fillna(len(codes))
    best = rank.groupby(episodes["client_id"]).transform("min")
    order = ["client_id", "start_date", *(["episode_id"] if "episode_id" in episodes.columns else [])]
    latest = episodes.assign(_best=best).sort_values(order, kind="stable").drop_duplicates("client_id", keep="last")
    group = latest["_best"].map(lambda i: codes[int(i)] if i < len(codes) else None)
    return latest.assign(substance_group=group.where(group.notna(), latest["substance_group"])).drop(columns="_best")
