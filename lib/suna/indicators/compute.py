"""SUNA's indicators: the catalogue in data/reference/indicators.yaml computed from the canonical tables.

``compute_indicators(area, tables, period=None)`` returns one row per indicator x area x period x sex x
age x category in the Fingertips layout (``schemas.INDICATOR_COLUMNS``) plus fingertips_id, measure, unit,
polarity, disclosure_rule and source. Rows: the upper-tier area (parent = its region), each district
(parent = the area), and England / region comparator rows from data/reference/national_figures.csv
(published national figures, each row citing its publication).
The table is raw: everything shown passes through ``disclosure.protect_indicators`` first.

Age groups (category type "Age group", e.g. "<18 yrs"): for the admissions the catalogue gives them, crude
rates per 100,000 residents of that age for persons, as Fingertips publishes age-specific admissions. They
keep the indicator's own ``age`` ("All ages"), ``measure`` and rule, so ``protect_indicators`` protects
them in one table with the all-ages row they add up to (it allows one measure per indicator): their
``measure`` column names the indicator's headline statistic, not theirs.

How it is computed, in one pass per statistic: each indicator's events are counted per district x period
x sex (x category, x age band for DSRs) on a complete grid (zeros kept), the area and "Persons" rows
are sums of those, and one grouped ``suna.indicators.stats`` call (PHStatsMethods) gives every value and interval.
Below the ONS/PHE minimum counts the statistic is left empty without a note here: disclosure control
adds the note (one wording for everyone).
"""


from __future__ import annotations

import logging
import re
from typing import Any

import numpy as np
import pandas as pd

from suna.core import reference
from suna.core.errors import ParametersError
from suna.indicators import stats
from suna.indicators.definitions import (ADULT_AGE, AGE_GROUP, CATALOGUE_FILE, CATEGORY_LISTS, CATEGORY_TYPES,
                                         CITATION_COLUMNS, EXTRA_COLUMNS, MEASURES, NO_DISTRICT, PERSONS,
                                         PRISON_RELEASES, PUBLISHED, REPRESENTATION_DAYS, SEXES, WAIT_DAYS,
                                         age_group_label, benchmarks, catalogue, prevalence_estimates)
from suna.model import formatting as fmt
from suna.model import schemas
from suna.model.areas import ENGLAND_CODE, ENGLAND_NAME, Area
from suna.model.periods import financial_year_numbers, period_label, start_year

log = logging.getLogger(__name__)


def _grid(**levels: Any) -> pd.DataFrame:
    """Every combination of the given values, as a frame."""
    index = pd.MultiIndex.from_product(list(levels.values()), names=list(levels))
    return index.to_frame(index=False)


def _on_grid(counts: pd.DataFrame, grid: pd.DataFrame, value_cols: list[str]) -> pd.DataFrame:
    """Counts summed onto a complete grid, zeros where nothing happened (rows off the grid dropped)."""
    keys = list(grid.columns)
    summed = counts.groupby(keys, observed=True, dropna=False)[value_cols].sum().reset_index() if len(counts) else \
        pd.DataFrame(columns=[*keys, *value_cols])
    out = grid.merge(summed, on=keys, how="left")
    for col in value_cols:
        out[col] = pd.to_numeric(out[col]).fillna(0.0)
    return out


def primary_substance(substances: pd.Series) -> pd.Series:
    """Each episode's primary substance: the first one named (NDTMS problem substance 1), as a code of
    young_people_substances; "other" for a substance not in that list, or none named."""
    known = reference.category_codes("young_people_substances")
    first = substances.astype(object).where(substances.notna(), "").astype(str).str.split(";").str[0].str.strip().str.lower()
    return first.where(first.isin(known), "other")


class _Treatment:
    """The NDTMS views of the treatment table: caseload by client-year, new presentations and exits.

    ``young``: young people (under 18 at the start of the episode, NDTMS young people's data) instead of adults.
    """

    def __init__(self, treatment: pd.DataFrame, years: list[int], districts: list[str], young: bool = False):
        age = treatment["age_years"].fillna(-1).astype(int)
        t = treatment.loc[age.between(0, ADULT_AGE - 1) if young else age >= ADULT_AGE].copy()
        t["district_code"] = _known_district(t["district_code"], districts, "treatment")
        self.years = years
        first, last = years[0], years[-1]
        rank = {g: i for i, g in enumerate(reference.category_codes("substance_groups"))}
        t["group_rank"] = t["substance_group"].map(rank).astype(int)
        t = t.sort_values(["client_id", "start_date", "episode_id"], kind="stable").reset_index(drop=True)
        t["represented"] = represented(t)
        t["start_fy"], t["end_fy"] = financial_year_numbers(t["start_date"]), financial_year_numbers(t["discharge_date"])
        t["is_success"] = t["exit_reason"].isin(reference.successful_exit_reasons())
        t["is_ocu"] = t["substance_group"].eq("opiate") | t["substances"].fillna("").str.contains("crack")
        t["is_alcohol"] = t["substance_group"].isin(["alcohol_only", "non_opiate_and_alcohol"])
        t["primary_substance"] = primary_substance(t["substances"]) if "substances" in t.columns else "other"
        t["is_inpatient"] = t["setting"].eq("inpatient")
        t["is_residential"] = t["setting"].eq("residential")
        lo = np.maximum(t["start_fy"].to_numpy(), first)
        hi = np.minimum(np.where(t["end_fy"].to_numpy() < 0, last, t["end_fy"].to_numpy()), last)
        n = np.clip(hi - lo + 1, 0, None)
        # One row per episode x financial year it is open in (vectorised explosion).
        rows = np.repeat(np.arange(len(t)), n)
        offset = np.arange(len(rows)) - np.repeat(np.cumsum(n) - n, n)
        ey = t.iloc[rows].assign(period_year=np.repeat(lo, n) + offset)
        ey["success_no_rep"] = ey["is_success"] & ~ey["represented"] & ey["end_fy"].eq(ey["period_year"])
        ey = ey.sort_values(["client_id", "period_year", "start_date", "episode_id"], kind="stable")
        # one row per client-year: NDTMS hierarchy group, district and sex of the latest episode
        caseload = ey.groupby(["client_id", "period_year"], sort=False).agg(
            group_rank=("group_rank", "min"), district_code=("district_code", "last"), sex=("sex", "last"),
            success_no_rep=("success_no_rep", "any"), is_ocu=("is_ocu", "any"),
            is_alcohol=("is_alcohol", "any"), primary_substance=("primary_substance", "last"),
            has_inpatient=("is_inpatient", "any"), has_residential=("is_residential", "any")).reset_index()
        groups = reference.category_codes("substance_groups")
        caseload["substance_group"] = np.array(groups, dtype=object)[caseload["group_rank"].to_numpy(dtype=np.int64)]
        self.caseload = caseload
        # New presentations: each client starting an episode in the year, once, as the views count them
        # (suna.indicators.records.one_per_person): the group by the NDTMS hierarchy over the year's starts,
        # the rest (district, sex, referral, wait) of the latest start.
        starts = t.loc[t["start_fy"].between(first, last)].sort_values(["client_id", "start_date", "episode_id"], kind="stable")
        starts = starts.assign(period_year=starts["start_fy"])
        best = starts.groupby(["client_id", "period_year"], sort=False)["group_rank"].transform("min")
        starts = starts.assign(group_rank=best).drop_duplicates(["client_id", "period_year"], keep="last")
        starts["substance_group"] = np.array(groups, dtype=object)[starts["group_rank"].to_numpy()]
        starts["within_3_weeks"] = (starts["start_date"] - starts["referral_date"]).dt.days.between(0, WAIT_DAYS)
        routes = reference.referral_route_groups()
        starts["referral_route"] = starts["referral_source"].map(routes)
        self.starts = starts
        # Exits: episodes discharged in the year.
        exits = t.loc[t["end_fy"].between(first, last)]
        self.exits = exits.assign(period_year=exits["end_fy"])
        # Years whose exits all have 6 months of data after them end before this one.
        data_end = max(treatment["start_date"].max(), treatment["discharge_date"].max())
        self.follow_up_complete_before = int(financial_year_numbers(pd.Series([data_end - pd.Timedelta(days=REPRESENTATION_DAYS)]))[0])


def represented(episodes: pd.DataFrame) -> pd.Series:
    """Whether the client started another episode (of those given: adults') within 6 months of each discharge."""
    order = episodes.sort_values(["client_id", "start_date", "episode_id"], kind="stable")
    following = order.groupby("client_id", sort=False)["start_date"].shift(-1)
    return (following - order["discharge_date"]).dt.days.between(0, REPRESENTATION_DAYS).reindex(episodes.index)


def _known_district(codes: pd.Series, districts: list[str], table: str) -> pd.Series:
    """District codes, with any code not of the area's districts replaced by NO_DISTRICT (and logged)."""
    unknown = ~codes.isin(districts)
    if unknown.any():
        shown = ", ".join(map(str, pd.unique(codes[unknown])[:5]))
        log.warning("%s: %d records have a district that is not one of the area's (%s); they count in the "
                    "area's figures only", table, int(unknown.sum()), shown)
    return codes.where(~unknown, NO_DISTRICT)


def _treatment_years(treatment: pd.DataFrame) -> list[int]:
    """Financial years the extract covers: from the year of its earliest discharge to its latest date.

    An extract holds the episodes open at or after its start, so earlier years are incomplete.
    """
    first = financial_year_numbers(treatment["discharge_date"].dropna().nsmallest(1))
    if not len(first):
        first = financial_year_numbers(treatment["start_date"].nsmallest(1))
    last_date = max(treatment["start_date"].max(), treatment["discharge_date"].max())
    last = int(financial_year_numbers(pd.Series([last_date]))[0])
    return list(range(int(first[0]), last + 1))


def _label_categories(frame: pd.DataFrame, ctype: str) -> pd.DataFrame:
    """category codes -> labels and the Fingertips category type."""
    if ctype == "referral_route":
        labels = {v: v for v in reference.referral_route_groups().values()}
    else:
        labels = reference.category_labels(CATEGORY_LISTS[ctype])
    return frame.assign(category_type=CATEGORY_TYPES[ctype], category=frame["category"].map(labels))


def _category_values(ctype: str) -> list[str]:
    if ctype == "referral_route":
        return list(dict.fromkeys(reference.referral_route_groups().values()))
    return reference.category_codes(CATEGORY_LISTS[ctype])


def _with_categories(records: pd.DataFrame, spec: dict[str, Any], value_cols: list[str], districts: list[str],
                     years: list[int], share: bool = False) -> pd.DataFrame:
    """District x year x sex counts for the total row and each category breakdown, on complete grids.

    ``share``: the denominator of a category row is the total of its breakdown (referral shares).
    """
    base = _grid(district_code=districts, period_year=years, sex=list(SEXES))
    total = _on_grid(records[[*base.columns, *value_cols]], base, value_cols).assign(category_type=None, category=None)
    parts = [total]
    for ctype in spec.get("categories") or []:
        values = _category_values(ctype)
        grid = base.merge(pd.DataFrame({"category": values}), how="cross")
        rec = records.assign(category=records[ctype])
        part = _on_grid(rec[[*grid.columns, *value_cols]], grid, value_cols)
        if share:
            part = part.drop(columns="denominator").merge(
                total[[*base.columns, "count"]].rename(columns={"count": "denominator"}), on=list(base.columns))
        parts.append(_label_categories(part, ctype))
    return pd.concat(parts, ignore_index=True)


def _treatment_events(ind_id: str, spec: dict[str, Any], tr: _Treatment, districts: list[str],
                      population: pd.DataFrame) -> pd.DataFrame:
    years = tr.years
    districts = [*districts, NO_DISTRICT]
    cl = tr.caseload.assign(count=1.0)
    if ind_id in ("adults_in_treatment", "treatment_rate"):
        out = _with_categories(cl, spec, ["count"], districts, years)
        if spec["measure"] == "crude_rate":
            adults = _adult_population(population)
            out = out.merge(adults, on=["district_code", "period_year", "sex"], how="left")
            out["denominator"] = out["denominator"].fillna(0.0)
        return out
    if ind_id == "new_presentations":
        return _with_categories(tr.starts.assign(count=1.0), spec, ["count"], districts, years)
    if ind_id == "referral_source_share":
        st = tr.starts.assign(count=1.0, denominator=1.0)
        return _with_categories(st, spec, ["count", "denominator"], districts, years, share=True)
    if ind_id == "waiting_within_3_weeks":
        st = tr.starts.assign(count=tr.starts["within_3_weeks"].astype(float), denominator=1.0)
        return _with_categories(st, spec, ["count", "denominator"], districts, years)
    if ind_id.startswith("successful_completion_"):
        grp = cl.loc[cl["substance_group"].eq(spec["substance_group"])]
        grp = grp.assign(count=grp["success_no_rep"].astype(float), denominator=1.0)
        return _with_categories(grp, spec, ["count", "denominator"], districts, years)
    if ind_id == "successful_exits":
        ex = tr.exits.assign(count=tr.exits["is_success"].astype(float), denominator=1.0)
        return _with_categories(ex, spec, ["count", "denominator"], districts, years)
    if spec.get("young_people"):
        return _with_categories(tr.caseload.assign(count=1.0), spec, ["count"], districts, years)
    if spec.get("setting"):
        return _with_categories(cl.loc[cl[f"has_{spec['setting']}"]], spec, ["count"], districts, years)
    if spec.get("exit_reason"):
        return _with_categories(tr.exits.loc[tr.exits["exit_reason"].eq(spec["exit_reason"])].assign(count=1.0),
                                spec, ["count"], districts, years)
    if ind_id == "completion_no_representation":
        ok = tr.exits.loc[tr.exits["is_success"]]
        ok = ok.assign(count=(~ok["represented"]).astype(float), denominator=1.0)
        return _with_categories(ok, spec, ["count", "denominator"], districts, years)
    raise ParametersError(f"data/reference/{CATALOGUE_FILE}", ind_id, "has no treatment rule in suna.indicators")


def _age_group_weights(groups: list[list[int | None]]) -> pd.DataFrame:
    """The share of each ESP 2013 five-year band's population in each age group (age_band, age_group, weight).

    Population estimates come in five-year bands; ages are taken as evenly spread within a band, so
    18-19 is 2/5 of the 15-19 band. Bands outside every group are left out.
    """
    esp = reference.esp2013()
    low = esp["age_lower_years"].to_numpy()[:, None]
    high = esp["age_upper_years"].to_numpy()[:, None]
    first = np.array([g[0] for g in groups])[None, :]
    last = np.array([high.max() if g[1] is None else g[1] for g in groups])[None, :]
    share = np.clip(np.minimum(high, last) - np.maximum(low, first) + 1, 0, None) / (high - low + 1)
    weights = pd.DataFrame(share, columns=[age_group_label(*g) for g in groups])
    weights = weights.assign(age_band=esp["age_band"].to_numpy()).melt("age_band", var_name="age_group", value_name="weight")
    return weights.loc[weights["weight"] > 0]


def _adult_population(population: pd.DataFrame) -> pd.DataFrame:
    """Population aged 18+ by district, year and sex (18-19 taken as 2/5 of the 15-19 band)."""
    pop = population.merge(_age_group_weights([[ADULT_AGE, None]]), on="age_band")
    pop = pop.assign(denominator=pop["population_count"] * pop["weight"])
    return (pop.groupby(["area_code", "year", "sex"], observed=True)["denominator"].sum().reset_index()
            .rename(columns={"area_code": "district_code", "year": "period_year"})
            .astype({"period_year": int}))


def _unmet_need(area: Area, spec: dict[str, Any], tr: _Treatment) -> pd.DataFrame:
    """Area-level unmet need where a published prevalence estimate exists (else no rows).

    Each treatment year from the estimate's on is set against the latest estimate at or before it.
    """
    prev = prevalence_estimates()
    prev = prev.loc[prev["area_code"].eq(area.code) & prev["prevalence"].eq(spec["prevalence"])]
    if prev.empty:
        return pd.DataFrame()
    flag = "is_ocu" if spec["prevalence"] == "ocu" else "is_alcohol"
    treated = tr.caseload.loc[tr.caseload[flag]].groupby("period_year").size()
    years = pd.DataFrame({"period_year": [y for y in tr.years if y >= int(prev["year"].min())]})
    est = prev.assign(year=prev["year"].astype(int)).sort_values("year")
    rows = pd.merge_asof(years, est, left_on="period_year", right_on="year", direction="backward")
    in_treatment = rows["period_year"].map(treated).fillna(0.0).to_numpy(float)
    estimate = rows["estimate"].astype(float).to_numpy()
    return pd.DataFrame({"area_code": area.code, "period_year": rows["period_year"], "sex": PERSONS,
                         "category_type": "", "category": "", "count": np.maximum(estimate - in_treatment, 0.0),
                         "denominator": estimate,
                         "prevalence_source": rows["source"].to_numpy()})


def _code_match(admissions: pd.DataFrame, code_list: str, diagnosis: str) -> pd.Series:
    """Admissions with a code of the list as primary (or, for ``any``, primary or secondary) diagnosis."""
    hit = reference.icd10_matches(admissions["primary_diagnosis"], code_list)
    if diagnosis == "any":
        sec = admissions["secondary_diagnoses"].dropna()
        if len(sec):
            codes = sec.str.split(";").explode()
            codes = codes[codes.str.len() > 0]
            sec_hit = reference.icd10_matches(codes, code_list).groupby(level=0).any()
            hit = hit | sec_hit.reindex(admissions.index, fill_value=False).to_numpy()
    return hit


def _record_events(spec: dict[str, Any], tables: dict[str, pd.DataFrame], districts: list[str],
                   years: list[int], population: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """Admissions or deaths: events by district x last year of period x sex x age band, with population.

    Returns (statistic, events) pairs: the indicator's own, and crude rates by age group for persons
    where the catalogue breaks the indicator down by age (age by sex is too small to publish locally).
    """
    table = spec["table"]
    frame = tables[table]
    if table == "admissions":
        hit = _code_match(frame, spec["code_list"], spec.get("diagnosis", "primary"))
        year = financial_year_numbers(frame["admission_date"])
    else:
        hit = reference.icd10_matches(frame["underlying_cause"], spec["code_list"])
        if spec.get("poisoning_code_list"):
            poison = reference.icd10_matches(frame["underlying_cause"], spec["poisoning_code_list"])
            hit = hit | (poison & frame["has_controlled_drug_mention"].astype(bool))
        year = frame["registration_date"].dt.year.to_numpy()
    ev = pd.DataFrame({"district_code": _known_district(frame["district_code"], districts, table).to_numpy(), "year": year,
                       "sex": frame["sex"].to_numpy(), "age_years": frame["age_years"].to_numpy()})[np.asarray(hit)]
    age_range = spec.get("age_range")
    if age_range:
        ev = ev.loc[ev["age_years"].between(age_range[0], age_range[1])]
    ev["age_band"] = reference.age_band_of(ev["age_years"].astype(float)).astype(str)
    ev["count"] = 1.0
    pop = population.rename(columns={"area_code": "district_code", "population_count": "denominator"})
    pop = pop.loc[pop["district_code"].isin(districts)].astype({"year": int})
    if age_range:  # the share of each five-year band inside the range (15-17 is 3/5 of 15-19)
        share = _age_group_weights([age_range]).drop(columns="age_group")
        pop = pop.merge(share, on="age_band")
        pop = pop.assign(denominator=pop["denominator"] * pop.pop("weight"))
    keys = ["district_code", "year", "sex", "age_band"]
    elsewhere = pop.drop_duplicates(keys[1:]).assign(district_code=NO_DISTRICT, denominator=0.0)
    pop = pd.concat([pop, elsewhere], ignore_index=True)
    k = int(spec.get("pooling_years", 1))
    out = _pooled(ev, pop, keys, years, k)
    if spec["measure"] == "crude_rate":
        out = out.groupby(["district_code", "period_year", "sex"], observed=True)[["count", "denominator"]].sum().reset_index()
    parts = [(spec["measure"], out.assign(category_type=None, category=None))]
    groups = spec.get("age_groups")
    if groups:
        labels = [age_group_label(*g) for g in groups]
        edges = [g[0] for g in groups] + [np.inf]
        by_age = ev.assign(age_group=pd.cut(ev["age_years"].astype(float), bins=edges, right=False, labels=labels))
        weighted = pop.merge(_age_group_weights(groups), on="age_band")
        weighted = weighted.assign(denominator=weighted["denominator"] * weighted["weight"])
        rows = _pooled(by_age, weighted, ["district_code", "year", "age_group"], years, k)
        rows = rows.rename(columns={"age_group": "category"}).astype({"category": str})
        parts.append(("crude_rate", rows.assign(sex=PERSONS, category_type=CATEGORY_TYPES[AGE_GROUP])))
    return parts


def _pooled(events: pd.DataFrame, population: pd.DataFrame, keys: list[str], years: list[int],
            pooling_years: int) -> pd.DataFrame:
    """Events and population by ``keys`` (one of them ``year``) on a complete grid, summed into periods.

    Each year's events and population count towards the periods ending in it and the next
    ``pooling_years - 1`` years; periods are named by their last year (``period_year``).
    """
    pop = population.loc[population["year"].isin(years)]
    pop = pop.groupby(keys, observed=True, sort=False)["denominator"].sum().reset_index()
    counts = _on_grid(events[[*keys, "count"]], pop[keys], ["count"]).merge(pop, on=keys, how="left")
    ends = [y for y in years if y - pooling_years + 1 >= years[0]]
    pooled = pd.concat([counts.assign(year=counts["year"] + j) for j in range(pooling_years)], ignore_index=True)
    pooled = pooled.loc[pooled["year"].isin(ends)].rename(columns={"year": "period_year"})
    group = ["period_year" if key == "year" else key for key in keys]
    return pooled.groupby(group, observed=True)[["count", "denominator"]].sum().reset_index()


def _prison_release_events(spec: dict[str, Any], releases: pd.DataFrame, districts: list[str]) -> pd.DataFrame:
    """Continuity of care: each adult's release in a financial year, engaged if the first community
    treatment contact is within 3 weeks (0 to 21 days) of release (PHOF C20)."""
    adults = releases.loc[releases["age_years"].fillna(-1).astype(int) >= ADULT_AGE]
    days = (adults["first_community_contact_date"] - adults["release_date"]).dt.days
    year = financial_year_numbers(adults["release_date"])
    known = year[year >= 0]
    years = list(range(int(known.min()), int(known.max()) + 1)) if len(known) else []
    events = pd.DataFrame({
        "district_code": _known_district(adults["district_code"], districts, PRISON_RELEASES).to_numpy(),
        "period_year": year, "sex": adults["sex"].to_numpy(), "substance_group": adults["substance_group"].to_numpy(),
        "count": days.between(0, WAIT_DAYS).astype(float).to_numpy(), "denominator": 1.0})
    return _with_categories(events, spec, ["count", "denominator"], [*districts, NO_DISTRICT], years)


def _record_years(spec: dict[str, Any], tables: dict[str, pd.DataFrame]) -> list[int]:
    frame = tables[spec["table"]]
    if spec["table"] == "admissions":
        fy = financial_year_numbers(frame["admission_date"])
        return list(range(int(fy.min()), int(fy.max()) + 1))
    year = frame["registration_date"].dt.year
    return list(range(int(year.min()), int(year.max()) + 1))


# --------------------------------------------------------------------------------------------------
# Areas, sexes, statistics
# --------------------------------------------------------------------------------------------------


def _to_areas(events: pd.DataFrame, area: Area) -> pd.DataFrame:
    """District rows plus the upper-tier rows (sums over districts), each for Male, Female and Persons
    (rows already for persons, such as age groups, as they are)."""
    value_cols = [c for c in ("count", "denominator") if c in events.columns]
    keys = ["indicator_id", "period_year", "sex", "category_type", "category"] + (
        ["age_band"] if "age_band" in events.columns else [])
    districts = events.rename(columns={"district_code": "area_code"})
    whole = districts.assign(area_code=area.code)
    both = pd.concat([districts.loc[districts["area_code"] != NO_DISTRICT], whole], ignore_index=True)
    persons = both.loc[both["sex"] != PERSONS].assign(sex=PERSONS)
    full = pd.concat([both, persons], ignore_index=True)
    for col in ("category_type", "category"):
        full[col] = full[col].astype(object).where(full[col].notna(), "")
    return full.groupby(["area_code", *keys], observed=True, sort=False)[value_cols].sum().reset_index()


def _statistics(frame: pd.DataFrame, measure: str) -> pd.DataFrame:
    """One grouped suna.indicators.stats call for every row of one measure."""
    group = ["indicator_id", "area_code", "period_year", "sex", "category_type", "category"]
    if measure == "count":
        out = frame.groupby(group, observed=True, sort=False)[["count"]].sum().reset_index()
        out["denominator"] = np.nan
        out["value"] = out["count"]
        for col in stats.CI_COLUMNS:
            out[col] = np.nan
        out["value_note"] = None
        return out
    if measure == "proportion":
        return stats.proportion_with_ci(frame, "count", "denominator", group)
    if measure == "crude_rate":
        return stats.crude_rate_with_ci(frame, "count", "denominator", group)
    return stats.dsr_with_ci(frame, "count", "denominator", "age_band", group)


_THRESHOLD_NOTE = re.compile(r"^(Rate|DSR) not calculated: fewer than \d+ events$")


def _drop_threshold_notes(notes: pd.Series) -> pd.Series:
    """Remove suna.indicators.stats' minimum-count notes: protect_indicators words them once for every output."""
    def clean(text: Any) -> Any:
        if text is None or (isinstance(text, float) and np.isnan(text)):
            return None
        kept = [p for p in str(text).split("; ") if not _THRESHOLD_NOTE.match(p)]
        return "; ".join(kept) or None
    return notes.map(clean)


# --------------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------------


def compute_indicators(area: Area, tables: dict[str, pd.DataFrame], period: str | None = None,
                       indicators: list[str] | None = None) -> pd.DataFrame:
    """Every catalogue indicator for the area, its districts and its comparators, in the contract layout.

    Args:
        area: the local authority (``suna.model.areas.load_area``).
        tables: canonical tables (``suna.sources.store.load_tables``): treatment, admissions, deaths, population,
            and prison_releases for continuity of care.
        period: the financial year reported, e.g. "2023/24": periods ending after it are left out (pooled
            registration years end in its first calendar year). None keeps every period.
        indicators: only these ids (default: the whole catalogue).

    Returns:
        The indicators table (raw: pass it through ``disclosure.protect_indicators`` before showing it).
    """
    cat = catalogue()
    wanted = [i for i, spec in cat.items() if spec["table"] != PUBLISHED] if indicators is None else list(indicators)
    unknown = [i for i in wanted if i not in cat]
    if unknown:
        raise ParametersError("compute_indicators", "indicators", f"names unknown id(s) {', '.join(unknown)}; expected ids of data/reference/{CATALOGUE_FILE}")
    missing = [t for t in {cat[i]["table"] for i in wanted} | {"population"} if t not in tables]
    if missing:
        raise ParametersError("compute_indicators", "tables", f"lacks {', '.join(sorted(missing))}; expected the canonical tables from suna.sources.store.load_tables")
    last_year = start_year(period, "compute_indicators") if period else None
    districts = area.district_codes
    population = tables["population"]

    events: dict[str, list[pd.DataFrame]] = {m: [] for m in MEASURES}
    unmet: list[pd.DataFrame] = []
    treatment = young = None
    for ind_id in wanted:
        spec = cat[ind_id]
        if spec["table"] == "treatment" and spec.get("young_people"):
            if young is None:
                young = _Treatment(tables["treatment"], _treatment_years(tables["treatment"]), districts, young=True)
            parts = [(spec["measure"], _treatment_events(ind_id, spec, young, districts, population))]
        elif spec["table"] == "treatment":
            if treatment is None:
                treatment = _Treatment(tables["treatment"], _treatment_years(tables["treatment"]), districts)
            if spec.get("prevalence"):
                rows = _unmet_need(area, spec, treatment)
                if len(rows):
                    unmet.append(rows.assign(indicator_id=ind_id))
                continue
            parts = [(spec["measure"], _treatment_events(ind_id, spec, treatment, districts, population))]
        elif spec["table"] == PRISON_RELEASES:
            parts = [(spec["measure"], _prison_release_events(spec, tables[PRISON_RELEASES], districts))]
        else:
            parts = _record_events(spec, tables, districts, _record_years(spec, tables), population)
        for statistic, ev in parts:
            events[statistic].append(ev.assign(indicator_id=ind_id))

    results = []
    for measure, frames in events.items():
        if frames:
            results.append(_statistics(_to_areas(pd.concat(frames, ignore_index=True), area), measure))
    if unmet:
        results.append(_unmet_rows(pd.concat(unmet, ignore_index=True)))
    raw = pd.concat(results, ignore_index=True)
    raw["value_note"] = _drop_threshold_notes(raw["value_note"])
    if treatment is not None:
        raw = _note_follow_up(raw, treatment)
    table = _describe(raw, area, cat)
    if last_year is not None:
        table = table.loc[table["_end_year"] <= last_year]
    table = pd.concat([table, _comparator_rows(area, cat, wanted, table)], ignore_index=True)
    table = _compare(table, area)
    table = _trends(table, cat)
    return _finish(table)


FOLLOW_UP_NOTE = "Provisional: the data end less than 6 months after some exits, so later re-presentations are not yet seen"


def _note_follow_up(raw: pd.DataFrame, tr: _Treatment) -> pd.DataFrame:
    """Flag the periods whose 6-month re-presentation follow-up runs past the end of the extract."""
    ids = [i for i, spec in catalogue().items() if spec.get("representation_follow_up")]
    late = raw["indicator_id"].isin(ids) & (raw["period_year"] >= tr.follow_up_complete_before)
    notes = raw["value_note"]
    raw["value_note"] = np.where(late, np.where(notes.isna(), FOLLOW_UP_NOTE, notes.astype(str) + "; " + FOLLOW_UP_NOTE), notes)
    raw["value_note"] = raw["value_note"].astype(object).where(raw["value_note"].notna(), None)
    return raw


def _unmet_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Unmet need: a proportion without a confidence interval (the uncertainty is in the estimate)."""
    out = frame.copy()
    out["value"] = np.where(out["denominator"] > 0, 100 * out["count"] / out["denominator"], np.nan)
    for col in stats.CI_COLUMNS:
        out[col] = np.nan
    out["value_note"] = "Prevalence estimate: " + out.pop("prevalence_source").astype(str)
    return out


def _area_type(area: Area) -> str:
    return "County" if area.is_county else "UA"


def _district_type(area: Area) -> str:
    return "MSOA" if "MSOA" in area.district_type.upper() else "District"


def _describe(raw: pd.DataFrame, area: Area, cat: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """Names, parents, period labels and the catalogue columns for computed rows."""
    t = raw.copy()
    spec = pd.DataFrame.from_dict(cat, orient="index")
    spec.index.name = "indicator_id"
    ids = t["indicator_id"]
    pooling = ids.map(spec["pooling_years"]).astype(int)
    ptype = ids.map(spec["period_type"])
    year = t["period_year"].astype(int)
    t["period"] = [period_label(y, k, p) for y, k, p in zip(year, pooling, ptype)]
    t["period_sortable"] = (year - pooling + 1) * 10000
    # Financial years end in the reported year's own label; calendar registrations end in its first calendar year.
    t["_end_year"] = year
    is_area = t["area_code"].eq(area.code)
    names = area.district_names()
    t["area_name"] = np.where(is_area, area.name, t["area_code"].map(names))
    t["area_type"] = np.where(is_area, _area_type(area), _district_type(area))
    t["parent_code"] = np.where(is_area, area.region_code, area.code)
    t["parent_name"] = np.where(is_area, area.region_name, area.name)
    t["indicator_name"] = ids.map(spec["name"])
    t["age"] = ids.map(spec["age"])
    for col in EXTRA_COLUMNS:
        t[col] = ids.map(spec[col])
    t["category_type"] = t["category_type"].replace("", None)
    t["category"] = t["category"].replace("", None)
    return t.drop(columns=["period_year"])


def _comparator_rows(area: Area, cat: dict[str, dict[str, Any]], wanted: list[str],
                     table: pd.DataFrame) -> pd.DataFrame:
    """England and region rows from the national figures file, for the periods the area has.

    Counts are left out: they are published for reference, not compared (an England count is no benchmark for
    a local one). Each row keeps its citation in ``source``; the citation's parts stay in the file.
    """
    bench = benchmarks().drop(columns=CITATION_COLUMNS)
    codes = [ENGLAND_CODE, area.region_code]
    is_count = bench["indicator_id"].map(lambda i: cat.get(i, {}).get("measure") == "count")
    bench = bench.loc[bench["indicator_id"].isin(wanted) & bench["area_code"].isin(codes) & ~is_count]
    periods = table.drop_duplicates(["indicator_id", "period"]).set_index(["indicator_id", "period"])["period_sortable"]
    bench = _carry_forward(bench, periods)
    bench = bench.loc[pd.MultiIndex.from_frame(bench[["indicator_id", "period"]]).isin(periods.index)]
    if bench.empty:
        return pd.DataFrame()
    out = bench.copy()
    is_england = out["area_code"].eq(ENGLAND_CODE)
    out["area_name"] = np.where(is_england, ENGLAND_NAME, area.region_name)
    out["area_type"] = np.where(is_england, "England", "Region")
    out["parent_code"] = np.where(is_england, None, ENGLAND_CODE)
    out["parent_name"] = np.where(is_england, None, ENGLAND_NAME)
    spec = pd.DataFrame.from_dict(cat, orient="index")
    out["indicator_name"] = out["indicator_id"].map(spec["name"])
    out["age"] = out["age"].fillna(out["indicator_id"].map(spec["age"]))
    for col in EXTRA_COLUMNS:
        if col == "source":
            continue
        out[col] = out["indicator_id"].map(spec[col])
    out["period_sortable"] = [periods[(i, p)] for i, p in zip(out["indicator_id"], out["period"])]
    out["count"] = np.nan
    out["denominator"] = np.nan
    out["value_note"] = out["carried_from"].map(
        lambda p: None if pd.isna(p) else f"Published value for {p}, the latest in SUNA's reference data, carried forward")
    for col in ("category_type", "category"):
        out[col] = out[col].where(out[col].notna(), None)
    return out.drop(columns="carried_from")


def _carry_forward(bench: pd.DataFrame, periods: pd.Series) -> pd.DataFrame:
    """Give each indicator's latest period a comparator when none is published for it.

    The national figures file holds England and region values only for the periods its publications give;
    the latest reported period is compared with the latest earlier published value, and the comparator
    row says so in its value note (nothing is carried into the periods in between).
    """
    bench = bench.assign(carried_from=None)
    extra = []
    series = ["indicator_id", "area_code", "sex", "age", "category_type", "category"]
    for ind_id, known in periods.groupby(level=0):
        latest_period = known.droplevel(0).idxmax()
        latest_sort = known.max()
        own = bench.loc[bench["indicator_id"].eq(ind_id)]
        if own.empty:
            continue
        sortable = own["period"].map(lambda p: known.get((ind_id, p), np.nan))
        earlier = own.loc[sortable.notna() & (sortable < latest_sort)].assign(_sort=sortable)
        keyed = earlier[series].astype(object).where(earlier[series].notna(), "")
        have = own.loc[own["period"].eq(latest_period), series].astype(object)
        have = set(map(tuple, have.where(have.notna(), "").to_numpy()))
        last = earlier.assign(_key=list(map(tuple, keyed.to_numpy()))).sort_values("_sort").groupby("_key").tail(1)
        last = last.loc[~last["_key"].isin(have)]
        if len(last):
            extra.append(last.assign(carried_from=last["period"], period=latest_period).drop(columns=["_sort", "_key"]))
    return pd.concat([bench, *extra], ignore_index=True) if extra else bench


def _compare(table: pd.DataFrame, area: Area) -> pd.DataFrame:
    """compared_to_england / compared_to_region the Fingertips way (95% CI against the comparator value)."""
    t = table.copy()
    key = ["indicator_id", "period", "sex", "age", "category_type", "category"]
    norm = t[key].astype(object).where(t[key].notna(), "")
    comparators = {"compared_to_england": ENGLAND_CODE, "compared_to_region": area.region_code}
    computed = ~t["area_code"].isin(list(comparators.values()))
    for column, code in comparators.items():
        ref = norm.assign(bench=t["value"]).loc[t["area_code"].eq(code)].drop_duplicates(key)
        bench = norm.merge(ref, on=key, how="left")["bench"].to_numpy()
        words = stats.compare_to_benchmark(t["value"].to_numpy(), t["value_lower_ci95"].to_numpy(),
                                           t["value_upper_ci95"].to_numpy(), bench, t["polarity"].to_numpy())
        words = np.where(t["measure"].eq("count"), "Not compared", words)
        t[column] = np.where(computed, words, None)
        if column == "compared_to_england":
            reasons = _why_not_compared(t, bench, computed & (words == "Not compared"))
            existing = t["value_note"] if "value_note" in t.columns else [None] * len(t)
            t["value_note"] = pd.Series(fmt.join_notes(existing, [[r] if r else [] for r in reasons]), index=t.index, dtype=object)
    return t


# Why a figure is not set against England, in a reader's words (the note beside it says so).
NOT_COMPARED_COUNT = "A count: counts are not compared with England."
NOT_COMPARED_NO_ENGLAND = "Not compared with England: no England figure is published for this period."
NOT_COMPARED_NO_INTERVAL = "Not compared with England: no confidence interval."
NOT_COMPARED_NOTES = (NOT_COMPARED_COUNT, NOT_COMPARED_NO_ENGLAND, NOT_COMPARED_NO_INTERVAL)


def _why_not_compared(t: pd.DataFrame, bench: np.ndarray, not_compared: np.ndarray) -> pd.Series:
    has_value = pd.to_numeric(t["value"], errors="coerce").notna().to_numpy()
    reason = np.select(
        [t["measure"].eq("count").to_numpy(), pd.isna(bench)],
        [NOT_COMPARED_COUNT, NOT_COMPARED_NO_ENGLAND],
        NOT_COMPARED_NO_INTERVAL,
    )
    return pd.Series(np.where(not_compared & has_value, reason, None), index=t.index, dtype=object)


def _trends(table: pd.DataFrame, cat: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """Recent trend over the last 5 periods, per series (Fingertips method, suna.indicators.stats.recent_trend).

    Counts have no test, and overlapping pooled periods are not tested (they share years).
    """
    t = table.copy()
    t["recent_trend"] = "Cannot be calculated"
    series = ["indicator_id", "area_code", "sex", "age", "category_type", "category"]
    pooled = t["indicator_id"].map(lambda i: int(cat[i].get("pooling_years", 1)) > 1)
    computed = t["count"].notna()
    for method, measures in (("proportion", ["proportion"]), ("rate", ["crude_rate", "dsr"])):
        part = t.loc[computed & ~pooled & t["measure"].isin(measures)]
        if part.empty:
            continue
        keyed = part.assign(**{c: part[c].astype(object).where(part[c].notna(), "") for c in series})
        res = stats.recent_trend(keyed, series, method=method)
        merged = keyed[series].merge(res[[*series, "recent_trend"]], on=series, how="left")
        t.loc[part.index, "recent_trend"] = merged["recent_trend"].to_numpy()
    return t


def _finish(table: pd.DataFrame) -> pd.DataFrame:
    columns = [*schemas.INDICATOR_COLUMNS, *EXTRA_COLUMNS]
    for col in columns:
        if col not in table.columns:
            table[col] = None
    out = table[columns].copy()
    out["fingertips_id"] = pd.to_numeric(out["fingertips_id"], errors="coerce")
    out["period_sortable"] = pd.to_numeric(out["period_sortable"]).astype("Int64")
    for col in ("count", "denominator", "value", *stats.CI_COLUMNS):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    out = out.sort_values(["indicator_id", "period_sortable", "sex", "category_type", "category", "area_code"],
                          na_position="first", kind="stable")
    return out.reset_index(drop=True)
