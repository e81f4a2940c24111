"""Synthetic treatment episodes, simulated year by year so that the numbers in treatment hit their targets.
"""


from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from suna.model.areas import Area
from suna.sources.sample.calibration import _CRIMINAL_JUSTICE, _DAYS_PER_YEAR, ADULT_GROUPS, YOUNG_PEOPLE
from suna.sources.sample.draws import (_categories, _day, _fy_of, _ids, _lookup, _mixture_days, _stratified_uniform,
                                       _to_datetime)
from suna.sources.sample.geography import _Geo, _place

log = logging.getLogger(__name__)


def build_treatment(covered: list[Area], cal: dict[str, Any], geo: _Geo, rng: np.random.Generator, scale: float = 1.0) -> pd.DataFrame:
    """One row per treatment episode in treatment at any time from 2014/15 to 2023/24 (NDTMS-like)."""
    area_rngs = rng.spawn(len(covered))  # one stream per area: a change in one area leaves the others alone
    frames = [_area_treatment(area, cal, geo, area_rng, scale) for area, area_rng in zip(covered, area_rngs)]
    return pd.concat(frames, ignore_index=True)


def _area_treatment(area: Area, cal: dict[str, Any], geo: _Geo, rng: np.random.Generator, scale: float) -> pd.DataFrame:
    inputs = cal["inputs"]
    spec = inputs["areas"][area.slug]["treatment"]
    shared = inputs["treatment"]
    first, last = inputs["treatment_years"]
    burn_in = int(inputs["burn_in_first_year"])
    extract_day = _day(*map(int, str(inputs["extract_date"]).split("-")))
    streams = []
    for group in ADULT_GROUPS:
        targets = np.array(spec["in_treatment"][group], dtype=float) * scale
        durations = shared["durations"][group]
        if group == "opiate" and "long_stay_weight" in spec:
            w = float(spec["long_stay_weight"])
            durations = [[1 - w, *durations[0][1:]], [w, *durations[1][1:]]]
        streams.append((group, group, targets, durations, shared["re_presentation_pct"][group] / 100))
    yp_total = spec.get("young_people", 0) * scale
    for group, pct in shared["young_people_groups"].items():
        targets = np.full(last - first + 1, yp_total * pct / 100)
        streams.append((YOUNG_PEOPLE, group, targets, shared["durations"][YOUNG_PEOPLE], 0.0))
    parts = []
    base = 0
    for kind, group, targets, durations, rep_share in streams:
        sim = _simulate_stream(rng, targets, first, last, burn_in, durations, rep_share,
                               _exit_shares(shared, spec, kind, group), shared["re_presentation_weight"])
        # number rows across streams, then keep only episodes in treatment in 2014/15 or later
        sim = sim.assign(row=sim["row"] + base, parent=np.where(sim["parent"] >= 0, sim["parent"] + base, -1))
        base += len(sim)
        parts.append(sim.loc[sim["end"] >= _day(first)].assign(kind=kind, substance_group=group))
    episodes = pd.concat(parts, ignore_index=True)
    return _dress_episodes(area, episodes, cal, geo, rng, extract_day)


def _exit_shares(shared: dict[str, Any], spec: dict[str, Any], kind: str, group: str) -> dict[str, float]:
    key = YOUNG_PEOPLE if kind == YOUNG_PEOPLE else group
    shares = dict(shared["exit_pct"][key])
    override = spec.get("successful_exit_pct", {}).get(group) if kind != YOUNG_PEOPLE else None
    if override is not None:
        rest = sum(v for k, v in shares.items() if k != "successful_completion")
        factor = (100 - float(override)) / rest
        shares = {k: (float(override) if k == "successful_completion" else v * factor) for k, v in shares.items()}
    return shares


def _simulate_stream(
    rng: np.random.Generator,
    targets: np.ndarray,
    first: int,
    last: int,
    burn_in: int,
    durations: list[list[float]],
    rep_share: float,
    exit_shares: dict[str, float],
    rep_weight: dict[str, float],
) -> pd.DataFrame:
    """Episodes of one substance group, year by year, so that the number in treatment each year is the target.

    In treatment in a year (NDTMS): started on or before 31 March and not discharged before 1 April.
    Each year's new episodes = target - episodes carried over; a share of them are returning clients,
    chosen among earlier episodes discharged before the year began (never after a death).
    Exit reasons are spread evenly within each year of discharge (golden-ratio sequence per year).
    """
    exit_names = list(exit_shares)
    exit_cum = np.cumsum([exit_shares[k] for k in exit_names])
    exit_cum = exit_cum / exit_cum[-1]
    rep_w = np.array([float(rep_weight.get(k, 0)) for k in exit_names])
    golden = (np.sqrt(5) - 1) / 2
    n_fy = last + 60 - burn_in
    counters = np.zeros(n_fy, dtype=np.int64)
    offsets = rng.random(n_fy)
    start = np.empty(0, np.int64)
    end = np.empty(0, np.int64)
    parent = np.empty(0, np.int64)
    exit_code = np.empty(0, np.int64)
    used = np.empty(0, bool)
    for fy in range(burn_in, last + 1):
        fy0, fy1 = _day(fy), _day(fy + 1)
        target = targets[min(max(fy - first, 0), len(targets) - 1)]
        carried = int(np.count_nonzero((start < fy0) & (end >= fy0)))
        n = max(int(round(target)) - carried, 0)
        if n == 0:
            continue
        if fy == burn_in:  # the opening caseload: started over the previous decade, still in treatment
            s = rng.integers(_day(fy - 10), fy1, n)
            e = s + _mixture_days(rng, n, durations)
            e = np.maximum(e, rng.integers(fy0, fy1, n))
        else:
            s = rng.integers(fy0, fy1, n)
            e = s + _mixture_days(rng, n, durations)
        par = np.full(n, -1, np.int64)
        n_rep = int(round(n * rep_share))
        if n_rep:
            pool = np.flatnonzero((end < fy0) & ~used)
            w = rep_w[exit_code[pool]] if len(pool) else np.empty(0)
            pool, w = pool[w > 0], w[w > 0]
            take = min(n_rep, len(pool))
            if take:
                chosen = rng.choice(pool, size=take, replace=False, p=w / w.sum())
                par[:take] = chosen
                used[chosen] = True
        # exit reasons, evenly spread within each financial year of discharge
        efy = np.clip(_fy_of(e) - burn_in, 0, n_fy - 1)
        order = np.argsort(efy, kind="stable")
        sorted_fy = efy[order]
        first_of = np.r_[0, np.flatnonzero(np.diff(sorted_fy)) + 1]
        rank = np.arange(n) - np.repeat(first_of, np.diff(np.r_[first_of, n]))
        idx = np.empty(n, np.int64)
        idx[order] = counters[sorted_fy] + rank
        np.add.at(counters, efy, 1)
        u = (offsets[efy] + golden * idx) % 1.0
        codes = np.minimum(np.searchsorted(exit_cum, u, side="right"), len(exit_names) - 1)
        start, end = np.r_[start, s], np.r_[end, e]
        parent, exit_code = np.r_[parent, par], np.r_[exit_code, codes]
        used = np.r_[used, np.zeros(n, bool)]
    return pd.DataFrame({
        "start": start, "end": end, "parent": parent,
        "exit_reason": np.array(exit_names, dtype=object)[exit_code] if len(exit_code) else np.empty(0, object),
        "row": np.arange(len(start)),
    })


def _roots(parent: np.ndarray) -> np.ndarray:
    """Index of the first episode of each episode's client (pointer jumping; parents come first)."""
    root = np.where(parent < 0, np.arange(len(parent)), parent)
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            return root
        root = nxt


def _dress_episodes(area: Area, episodes: pd.DataFrame, cal: dict[str, Any], geo: _Geo, rng: np.random.Generator, extract_day: int) -> pd.DataFrame:
    """Give simulated episodes their people: ids, place, sex, age, ethnicity, referral, dates, needs."""
    inputs = cal["inputs"]
    shared = inputs["treatment"]
    spec = inputs["areas"][area.slug]["treatment"]
    # A returning client's earlier episode may have ended before 2014/15 and been dropped: they start afresh.
    position = pd.Series(np.arange(len(episodes)), index=episodes["row"].to_numpy())
    parent = position.reindex(episodes["parent"].to_numpy()).fillna(-1).astype(np.int64).to_numpy()
    n = len(episodes)
    root = _roots(parent)
    is_root = root == np.arange(n)
    start = episodes["start"].to_numpy()
    end = episodes["end"].to_numpy()
    group = episodes["substance_group"].to_numpy().astype(object)
    kind = episodes["kind"].to_numpy().astype(object)
    key = np.where(kind == YOUNG_PEOPLE, YOUNG_PEOPLE, group).astype(object)
    start_fy = _fy_of(start)

    # people (drawn for first episodes, inherited by returning clients)
    female_pct = {**shared["female_pct"], **spec.get("female_pct", {})}
    roots = np.flatnonzero(is_root)
    female_of_root = np.zeros(n, bool)
    root_strata = np.char.add(key[roots].astype(str), start_fy[roots].astype(str)).astype(object)
    female_of_root[roots] = _stratified_uniform(rng, root_strata) < _lookup(key[roots], female_pct) / 100
    sex = np.where(female_of_root[root], "Female", "Male").astype(object)
    ages = shared["age_at_start"]
    mean, sd, low, high, drift = (_lookup(key, {k: v[i] for k, v in ages.items()}) for i in range(5))
    mean = mean + drift * (start_fy - 2014)
    first_age = np.clip(np.rint(rng.normal(mean, sd)), low, high).astype(int)
    age = first_age[root] + np.floor((start - start[root]) / _DAYS_PER_YEAR).astype(int)
    eth_names = list(shared["ethnic_pct"])
    ethnic = np.array(eth_names, dtype=object)[_categories(rng.random(n), np.array([shared["ethnic_pct"][k] for k in eth_names]))][root]
    district, lsoa = _place(rng, geo, area.code, n, "need")
    district, lsoa = district[root], lsoa[root]

    # referral source, by group and sex, exact within each group, sex and start year
    referral = _referral_sources(rng, key, sex, start_fy, shared, spec)
    # waiting: referral -> start; triage in between (sometimes not recorded)
    within_pct = float(spec.get("waiting_within_3_weeks_pct", shared["waiting_within_3_weeks_pct"]))
    u_wait = _stratified_uniform(rng, np.char.add(key.astype(str), start_fy.astype(str)).astype(object))
    short_wait = np.minimum(np.floor(rng.exponential(6.0, n)), 21).astype(np.int64)
    long_wait = rng.integers(22, 71, n)
    wait = np.where(u_wait < within_pct / 100, short_wait, long_wait)
    referral_day = start - wait
    triage_day = referral_day + np.floor(rng.random(n) * (wait + 1)).astype(np.int64)
    no_triage = rng.random(n) < 0.04

    settings = dict(shared["settings"])
    settings.update(spec.get("settings_override", {}))
    settings["community"] = 100 - sum(v for k, v in settings.items() if k != "community")
    setting_names = list(settings)
    setting = np.array(setting_names, dtype=object)[_categories(rng.random(n), np.array([settings[k] for k in setting_names]))]

    needs = {}
    strata = np.char.add(np.char.add(key.astype(str), sex.astype(str)), start_fy.astype(str)).astype(object)
    for column in ("has_housing_need", "has_mental_health_need", "lives_with_children", "is_injecting"):
        pct = shared[column]
        p = np.where(sex == "Male", _lookup(key, {k: v[0] for k, v in pct.items()}),
                     _lookup(key, {k: v[1] for k, v in pct.items()})) / 100
        needs[column] = _stratified_uniform(rng, strata) < p

    substances = _substances(rng, key, shared["substances"])
    open_episode = end > extract_day
    prefix = area.code
    client_number = np.zeros(n, np.int64)
    client_number[roots] = rng.permutation(len(roots)) + 1  # pseudonymous: numbers say nothing about the client
    client_id = (f"{prefix}-C" + pd.Series(client_number[root]).astype(str).str.zfill(6)).to_numpy(dtype=object)
    order = np.lexsort((start, client_id.astype(str)))
    frame = pd.DataFrame(
        {
            "client_id": client_id,
            "episode_id": np.empty(n, dtype=object),
            "utla_code": area.code,
            "district_code": district,
            "small_area_code": lsoa,
            "sex": sex,
            "age_years": pd.array(age, dtype="Int64"),
            "ethnic_group": ethnic,
            "substance_group": group,
            "substances": substances,
            "referral_source": referral,
            "referral_date": _to_datetime(referral_day),
            "triage_date": _to_datetime(triage_day, missing=no_triage),
            "start_date": _to_datetime(start),
            "discharge_date": _to_datetime(end, missing=open_episode),
            "setting": setting,
            "exit_reason": pd.Series(np.where(open_episode, None, episodes["exit_reason"].to_numpy()), dtype=object),
            **needs,
        }
    ).iloc[order].reset_index(drop=True)
    frame["episode_id"] = _ids(f"{prefix}-E", len(frame))
    return frame


def _referral_sources(rng: np.random.Generator, key: np.ndarray, sex: np.ndarray, start_fy: np.ndarray,
                      shared: dict[str, Any], spec: dict[str, Any]) -> np.ndarray:
    """Referral source codes: self and criminal-justice shares per group and sex, the rest by a common mix."""
    rest = shared["referral_rest"]
    rest_female = {**rest, **shared["referral_rest_female"]}
    cj_split = shared["criminal_justice_split"]
    yp = shared["young_people_referral"]
    codes = ["self", *_CRIMINAL_JUSTICE, *[c for c in rest if c != "self"]]
    for c in yp:
        if c not in codes:
            codes.append(c)
    table: dict[tuple[str, str], np.ndarray] = {}
    for k in sorted(set(key.tolist())):
        for s in ("Male", "Female"):
            shares = dict.fromkeys(codes, 0.0)
            if k == YOUNG_PEOPLE:
                shares.update({c: float(v) for c, v in yp.items()})
            else:
                mix = spec["referral"][k]
                i = 0 if s == "Male" else 1
                self_pct, cj_pct = float(mix["self"][i]), float(mix["criminal_justice"][i])
                shares["self"] = self_pct
                cj_total = sum(cj_split.values())
                for c, v in cj_split.items():
                    shares[c] = cj_pct * v / cj_total
                others = rest if s == "Male" else rest_female
                others_total = sum(others.values())
                for c, v in others.items():
                    shares[c] += (100 - self_pct - cj_pct) * v / others_total
            table[(k, s)] = np.array([shares[c] for c in codes])
    pairs = pd.MultiIndex.from_arrays([key, sex])
    labels = list(table)
    rows = np.stack([table[t] for t in labels])[pd.MultiIndex.from_tuples(labels).get_indexer(pairs)]
    strata = np.char.add(np.char.add(key.astype(str), sex.astype(str)), start_fy.astype(str)).astype(object)
    u = _stratified_uniform(rng, strata)
    return np.array(codes, dtype=object)[_categories(u, rows)]


def _substances(rng: np.random.Generator, key: np.ndarray, spec: dict[str, dict[str, float]]) -> np.ndarray:
    """';'-separated substances named for each episode; each group's first substance if none was drawn."""
    out = np.full(len(key), "", dtype=object)
    for k, chances in spec.items():
        rows = np.flatnonzero(key == k)
        if not len(rows):
            continue
        text = np.full(len(rows), "", dtype=object)
        for name, pct in chances.items():
            hit = rng.random(len(rows)) < float(pct) / 100
            text = np.where(hit, text + (name + ";"), text)
        text = np.where(text == "", next(iter(chances)) + ";", text)
        out[rows] = text
    return pd.Series(out, dtype=object).str[:-1].to_numpy(dtype=object)
