"""How fast suna.indicators computes the admissions and deaths indicators (prints figures; not a test).

    .venv/bin/python benchmarks/indicators.py                       # >= 1,000,000 admissions, >= 50,000 deaths
    .venv/bin/python benchmarks/indicators.py --admissions 8 --deaths 9 --loop-areas halton

The sample tables of the four areas are repeated (admissions x ``--admissions``, deaths x ``--deaths``) so
each district has proportionally more events. Two runs over every admissions and deaths indicator, every
district (and area), period and sex:
  suna   ``compute_indicators`` once per area: events counted on complete grids, one grouped
         PHStatsMethods call per measure (what SUNA does);
  loop   the plain way: for each indicator x area-or-district x period x sex, select its records and
         population, and call PHStatsMethods (``ph_dsr`` / ``ph_rate``) on that one group.
Prints rows, wall time, peak memory (resident set size, and tracemalloc's peak of Python allocations
for the SUNA run), the ratio of the two, and the largest difference between their values.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

from suna import indicators
from suna.core import reference
from suna.indicators import stats
from suna.model import areas
from suna.sources import store

AREAS = ("essex", "worcestershire", "sefton", "halton")


def _load(admissions_times: int, deaths_times: int) -> dict[str, tuple[areas.Area, dict[str, pd.DataFrame]]]:
    out = {}
    for slug in AREAS:
        area = areas.load_area(slug)
        tables = store.load_tables(area)
        tables["admissions"] = pd.concat([tables["admissions"]] * admissions_times, ignore_index=True)
        tables["deaths"] = pd.concat([tables["deaths"]] * deaths_times, ignore_index=True)
        out[slug] = (area, tables)
    return out


def _record_ids() -> list[str]:
    return [i for i, spec in indicators.catalogue().items() if spec["table"] in ("admissions", "deaths")]


def run_suna(data, ids: list[str]) -> pd.DataFrame:
    frames = [indicators.compute_indicators(area, tables, indicators=ids) for area, tables in data.values()]
    return pd.concat(frames, ignore_index=True)


def _events(spec: dict, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The records an indicator counts, with district, last year of the period's first year, sex and age band."""
    frame = tables[spec["table"]]
    if spec["table"] == "admissions":
        hit = reference.icd10_matches(frame["primary_diagnosis"], spec["code_list"])
        if spec.get("diagnosis") == "any":
            sec = frame["secondary_diagnoses"].dropna().str.split(";").explode()
            hit = hit | reference.icd10_matches(sec, spec["code_list"]).groupby(level=0).any().reindex(frame.index, fill_value=False)
        date = frame["admission_date"]
        year = np.where(date.dt.month >= 4, date.dt.year, date.dt.year - 1)
    else:
        hit = reference.icd10_matches(frame["underlying_cause"], spec["code_list"])
        if spec.get("poisoning_code_list"):
            hit = hit | (reference.icd10_matches(frame["underlying_cause"], spec["poisoning_code_list"])
                         & frame["has_controlled_drug_mention"])
        year = frame["registration_date"].dt.year.to_numpy()
    ev = pd.DataFrame({"district_code": frame["district_code"], "year": year, "sex": frame["sex"],
                       "age_years": frame["age_years"]})[hit.to_numpy()]
    if spec.get("age_range"):
        ev = ev[ev["age_years"].between(*spec["age_range"])]
    ev["age_band"] = reference.age_band_of(ev["age_years"].astype(float))
    return ev


def run_loop(data, ids: list[str]) -> pd.DataFrame:
    """One PHStatsMethods call per indicator x area x period x sex, records selected group by group."""
    import PHStatsMethods as ph

    esp = reference.esp2013()[["age_band", "esp2013_population"]]
    cat = indicators.catalogue()
    rows = []
    for area, tables in data.values():
        pop = tables["population"]
        for ind in ids:
            spec = cat[ind]
            ev = _events(spec, tables)
            k = int(spec["pooling_years"])
            years = sorted(set(ev["year"]))
            bands = esp.copy()
            if spec.get("age_range"):
                low, high = spec["age_range"]
                keep = reference.esp2013()
                bands = esp[(keep["age_lower_years"] >= low) & (keep["age_upper_years"] <= high)]
            for place in [area.code, *area.district_codes]:
                for last in years[k - 1:]:
                    for sex in ("Persons", "Male", "Female"):
                        e = ev[ev["year"].between(last - k + 1, last)]
                        p = pop[pop["year"].between(last - k + 1, last)]
                        if place != area.code:
                            e, p = e[e["district_code"] == place], p[p["area_code"] == place]
                        if sex != "Persons":
                            e, p = e[e["sex"] == sex], p[p["sex"] == sex]
                        counts = e.groupby("age_band", observed=True).size()
                        n = p.groupby("age_band")["population_count"].sum()
                        g = bands.assign(count=bands["age_band"].map(counts).fillna(0).to_numpy(),
                                         pop=bands["age_band"].map(n).to_numpy())
                        value = np.nan
                        try:
                            if spec["measure"] == "dsr":
                                if g["count"].sum() >= 10:
                                    res = ph.ph_dsr(g, "count", "pop", "esp2013_population", metadata=False,
                                                    confidence=[0.95, 0.998], euro_standard_pops=False)
                                    value = float(res["Value"].iloc[0])
                            else:
                                total = pd.DataFrame({"count": [g["count"].sum()], "pop": [g["pop"].sum()]})
                                if total["count"].iloc[0] >= 3:
                                    res = ph.ph_rate(total, "count", "pop", metadata=False, confidence=[0.95, 0.998])
                                    value = float(res["Value"].iloc[0])
                        except ValueError:
                            pass
                        rows.append((ind, place, last, sex, float(g["count"].sum()), value))
    return pd.DataFrame(rows, columns=["indicator_id", "area_code", "period_year", "sex", "count", "value"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admissions", type=int, default=8, help="repeat each area's admissions this many times")
    parser.add_argument("--deaths", type=int, default=9, help="repeat each area's deaths this many times")
    parser.add_argument("--loop-areas", default=",".join(AREAS), help="areas for the plain loop (comma-separated)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")

    data = _load(args.admissions, args.deaths)
    ids = _record_ids()
    n_adm = sum(len(t["admissions"]) for _, t in data.values())
    n_dth = sum(len(t["deaths"]) for _, t in data.values())
    n_places = sum(1 + len(a.district_codes) for a, _ in data.values())
    print(f"input: {n_adm:,} admission rows, {n_dth:,} death rows; {len(ids)} indicators "
          f"({', '.join(ids)}); {len(data)} areas, {n_places} areas and districts")

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    fast = run_suna(data, ids)
    t_suna = time.perf_counter() - t0
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    run_suna(data, ids)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    computed = fast[fast["count"].notna()]
    print(f"suna  compute_indicators: {len(computed):,} rows in {t_suna:.1f} s; peak RSS {rss_after / 1024:.0f} MiB "
          f"(was {rss_before / 1024:.0f} MiB after loading); tracemalloc peak {peak / 2**20:.0f} MiB")

    loop_data = {k: v for k, v in data.items() if k in args.loop_areas.split(",")}
    t0 = time.perf_counter()
    slow = run_loop(loop_data, ids)
    t_loop = time.perf_counter() - t0
    print(f"loop  one PHStatsMethods call per group: {len(slow):,} groups in {t_loop:.1f} s "
          f"({1000 * t_loop / max(len(slow), 1):.1f} ms a group) over {', '.join(loop_data)}")

    suna_same, t_same = fast, t_suna
    if set(loop_data) != set(data):
        t0 = time.perf_counter()
        suna_same = run_suna(loop_data, ids)
        t_same = time.perf_counter() - t0
    print(f"ratio loop / suna over the same areas: {t_loop / t_same:.1f}x")

    labels = {i: spec for i, spec in indicators.catalogue().items()}
    headline = suna_same[suna_same["category_type"].isna()]  # the loop computes no breakdowns
    key = headline.assign(period_year=headline["period_sortable"].astype(int) // 10000
                           + headline["indicator_id"].map(lambda i: int(labels[i]["pooling_years"]) - 1))
    merged = slow.merge(key, on=["indicator_id", "area_code", "period_year", "sex"], suffixes=("_loop", ""))
    both = merged["value"].notna() & merged["value_loop"].notna()
    same_counts = bool((merged["count"] == merged["count_loop"]).all())
    diff = float((merged.loc[both, "value"] - merged.loc[both, "value_loop"]).abs().max()) if both.any() else float("nan")
    print(f"check: {len(merged):,} groups matched, counts equal: {same_counts}, "
          f"largest value difference {diff:.2e} over {int(both.sum()):,} values")
    return 0 if same_counts and (np.isnan(diff) or diff < 1e-6) else 1


if __name__ == "__main__":
    sys.exit(main())
