"""Public-health statistics the Fingertips way: thin, tested wrappers over PHStatsMethods.

Every statistic comes from PHStatsMethods (the DHSC/OHID Python port of PHEindicatormethods) where it has
one; this module only (a) calls it once over a grouped table, (b) works around the edge cases where
PHStatsMethods 0.1.16 is wrong or raises, and (c) adds what it lacks (benchmark wording and the recent-trend
test), hand-written with a citation.

Known PHStatsMethods 0.1.16 problems handled here (each has a test in tests/unit/test_stats.py):

- ``byars_upper(0)`` raises ``ValueError`` and ``byars_lower(0)`` / ``exact_lower(0)`` return NaN, so
  ``ph_rate`` crashes when any group has no events. Zero-event groups are computed here with the exact
  Poisson limits (lower 0, upper chi-square(1 - alpha/2, 2) / 2 = 3.689 at 95%).
- The convenience ``byars(value, confidence)`` passes ``1 - confidence`` on, so ``byars(50, 0.95)`` gives a
  5% interval (49.2, 51.1) instead of (37.1, 65.9). It is never used; :func:`byars_interval` replaces it.
- ``ph_dsr(euro_standard_pops=True)`` prints to stdout, writes a column into the caller's frame and joins
  the standard population by the rank of each band's first number; here the ESP 2013 weights are joined by
  band label from data/reference/esp2013.csv and passed as a column (``euro_standard_pops=False``).
- Denominators of 0 make every PHStatsMethods function raise; such groups get no value and a note.
- The non-independent-events adjustment for admission episodes (PHEindicatormethods 2.1.0) is not in the
  Python port, so DSR intervals for episodes are Dobson intervals for independent events (a little narrow).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from suna.core import reference
from suna.core.errors import ParametersError, ValidationError

logger = logging.getLogger(__name__)

CONFIDENCE_LEVELS = (0.95, 0.998)
CI_COLUMNS = ["value_lower_ci95", "value_upper_ci95", "value_lower_ci998", "value_upper_ci998"]
RESULT_COLUMNS = ["count", "denominator", "value", *CI_COLUMNS, "value_note"]
POLARITIES = ("high_is_bad", "high_is_good", "no_judgement")
# Chi-square with 1 degree of freedom at p = 0.002 (99.8%): the Fingertips recent-trend threshold
# (fingertips-open, PholioVisualisationWS/Analysis/TrendMarkers/TrendMarkerCalculator.cs).
TREND_CHI_SQUARE_998 = 9.54953570608324
TREND_POINTS = 5
TREND_LABELS = ("Increasing", "Decreasing", "No significant change", "Cannot be calculated")

# PHStatsMethods' own column names for each confidence level -> SUNA's.
_PH_CI = {
    "lower_95_ci": "value_lower_ci95",
    "upper_95_ci": "value_upper_ci95",
    "lower_99_8_ci": "value_lower_ci998",
    "upper_99_8_ci": "value_upper_ci998",
}


def _ph():
    """PHStatsMethods, imported on first use (it pulls in scipy)."""
    import PHStatsMethods

    return PHStatsMethods


def _ci_suffix(confidence: float) -> str:
    return "ci95" if round(confidence, 4) == 0.95 else "ci998"


# --------------------------------------------------------------------------------------------------
# Scalar confidence intervals (fixed wrappers)
# --------------------------------------------------------------------------------------------------


def wilson_interval(count: float, denominator: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion (as a fraction), via PHStatsMethods.

    Wilson EB 1927; Newcombe & Altman 2000 (the Fingertips method for proportions).
    """
    if denominator <= 0:
        return (math.nan, math.nan)
    ph = _ph()
    return (float(ph.wilson_lower(count, denominator, confidence)), float(ph.wilson_upper(count, denominator, confidence)))


def exact_interval(count: float, confidence: float = 0.95) -> tuple[float, float]:
    """Exact Poisson interval for a count (Armitage & Berry 2002), with the lower limit of 0 events set to 0.

    PHStatsMethods' ``exact_lower(0)`` returns NaN (chi-square with 0 degrees of freedom).
    """
    ph = _ph()
    lower = 0.0 if count == 0 else float(ph.exact_lower(count, confidence))
    return (lower, float(ph.exact_upper(count, confidence)))


def byars_interval(count: float, confidence: float = 0.95) -> tuple[float, float]:
    """Byar's interval for a count (Breslow & Day 1987), exact Poisson below 10 events, 0 events allowed.

    Replaces PHStatsMethods' ``byars()``, which passes ``1 - confidence`` on, and ``byars_upper``, which
    raises for a count of 0.
    """
    if count < 0:
        raise ValueError("A count of events cannot be negative")
    if count < 10:
        return exact_interval(count, confidence)
    ph = _ph()
    return (float(ph.byars_lower(count, confidence)), float(ph.byars_upper(count, confidence)))


def dobson_interval(value: float, total_count: float, variance: float, confidence: float = 0.95,
                    multiplier: int = 100_000) -> tuple[float, float]:
    """Dobson et al. 1991 limits for a DSR (PHStatsMethods ``dobson_lower/upper``); NaN under 10 events."""
    ph = _ph()
    return (float(ph.dobson_lower(value, total_count, variance, confidence, multiplier)),
            float(ph.dobson_upper(value, total_count, variance, confidence, multiplier)))


def euro_standard_pop() -> pd.DataFrame:
    """The 2013 European Standard Population (19 bands) as SUNA ships it (age_band, esp2013_population)."""
    return reference.esp2013()[["age_band", "esp2013_population"]].copy()


# --------------------------------------------------------------------------------------------------
# Grouped statistics
# --------------------------------------------------------------------------------------------------


def _check_columns(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        problems = pd.DataFrame({"column": missing, "row": [None] * len(missing), "value": [None] * len(missing),
                                 "expected": ["this column to be present"] * len(missing)})
        raise ValidationError(what, problems)


def _check_non_negative(df: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    rows = []
    for col in columns:
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() | (values < 0)
        for idx, val in df.loc[bad, col].head(50).items():
            rows.append({"column": col, "row": idx, "value": val, "expected": "a number of 0 or more"})
    if rows:
        raise ValidationError(what, pd.DataFrame(rows))


def _group_list(group_cols: str | Sequence[str] | None) -> list[str]:
    if group_cols is None:
        return []
    return [group_cols] if isinstance(group_cols, str) else list(group_cols)


def _sum_by(df: pd.DataFrame, group_cols: list[str], value_cols: list[str]) -> pd.DataFrame:
    """Sum value columns by group (keeping missing keys as their own group)."""
    if not group_cols:
        return df[value_cols].sum().to_frame().T
    return df.groupby(group_cols, dropna=False, sort=True, observed=True)[value_cols].sum().reset_index()


def _add_note(frame: pd.DataFrame, mask: pd.Series, note: str) -> pd.DataFrame:
    """Append ``note`` to value_note where ``mask`` holds (notes joined with "; ")."""
    current = frame["value_note"]
    combined = pd.Series(np.where(current.isna(), note, current.astype(str) + "; " + note),
                         index=frame.index, dtype="object")
    return frame.assign(value_note=current.where(~mask, combined))


def _empty_result(keys: pd.DataFrame) -> pd.DataFrame:
    out = keys.copy()
    for col in ["value", *CI_COLUMNS]:
        out[col] = np.nan
    out["value_note"] = pd.Series([None] * len(out), index=out.index, dtype="object")
    return out


def proportion_with_ci(df: pd.DataFrame, numerator_col: str, denominator_col: str,
                       group_cols: str | Sequence[str] | None = None, multiplier: int = 100) -> pd.DataFrame:
    """Proportions (per cent by default) with Wilson score 95% and 99.8% limits, one PHStatsMethods call.

    Wilson 1927 / Newcombe & Altman 2000 via ``PHStatsMethods.ph_proportion``, as Fingertips. Groups with a
    denominator of 0 get no value and a note instead of the PHStatsMethods error.

    Returns:
        One row per group: group columns, count, denominator, value, value_lower_ci95, value_upper_ci95,
        value_lower_ci998, value_upper_ci998, value_note.
    """
    groups = _group_list(group_cols)
    _check_columns(df, [numerator_col, denominator_col, *groups], "proportion input")
    _check_non_negative(df, [numerator_col, denominator_col], "proportion input")
    summed = _sum_by(df, groups, [numerator_col, denominator_col]).rename(
        columns={numerator_col: "count", denominator_col: "denominator"})
    over = summed["count"] > summed["denominator"]
    if over.any():
        bad = summed.loc[over]
        problems = pd.DataFrame({"column": numerator_col, "row": bad.index, "value": bad["count"],
                                 "expected": "a numerator no larger than its denominator"})
        raise ValidationError("proportion input", problems)
    out = _empty_result(summed)
    ok = summed["denominator"] > 0
    if ok.any():
        res = _ph().ph_proportion(summed.loc[ok].reset_index(), "count", "denominator", group_cols=["index"],
                                  metadata=False, confidence=list(CONFIDENCE_LEVELS), multiplier=multiplier)
        res = res.set_index("index").rename(columns=_PH_CI)
        out.loc[res.index, "value"] = res["Value"].astype(float)
        for col in CI_COLUMNS:
            out.loc[res.index, col] = res[col].astype(float)
    out = _add_note(out, ~ok, "No value: the denominator is 0")
    return out[[*groups, *RESULT_COLUMNS]]


def crude_rate_with_ci(df: pd.DataFrame, count_col: str, population_col: str,
                       group_cols: str | Sequence[str] | None = None, per: int = 100_000,
                       min_count: int | None = None) -> pd.DataFrame:
    """Crude rates per ``per`` with Byar's (10+ events) or exact Poisson (<10) 95% and 99.8% limits.

    Breslow & Day 1987 / Armitage & Berry 2002 via ``PHStatsMethods.ph_rate``, one call over all groups.
    Groups with 0 events are done here (PHStatsMethods raises); no rate is given below ``min_count`` events
    (default: ``disclosure_rules()["rates"]["crude_min_count"]``, the ONS rule of 3) and the note says why.
    """
    groups = _group_list(group_cols)
    _check_columns(df, [count_col, population_col, *groups], "rate input")
    _check_non_negative(df, [count_col, population_col], "rate input")
    if min_count is None:
        min_count = int(reference.disclosure_rules()["rates"]["crude_min_count"])
    summed = _sum_by(df, groups, [count_col, population_col]).rename(
        columns={count_col: "count", population_col: "denominator"})
    out = _empty_result(summed)
    has_pop = summed["denominator"] > 0
    positive = has_pop & (summed["count"] > 0)
    if positive.any():
        # Byar's and exact limits depend on the count alone: PHStatsMethods is asked once per distinct
        # count (it works row by row, about 0.6 ms a row) and each limit is scaled by its population
        counts = np.unique(summed.loc[positive, "count"].to_numpy(dtype=float))
        per_count = pd.DataFrame({"index": np.arange(len(counts)), "count": counts, "denominator": 1.0})
        res = _ph().ph_rate(per_count, "count", "denominator", group_cols=["index"], metadata=False,
                            confidence=list(CONFIDENCE_LEVELS), multiplier=1)
        res = res.set_index("index").rename(columns=_PH_CI).sort_index()
        rows = summed.loc[positive]
        at = np.searchsorted(counts, rows["count"].to_numpy(dtype=float))
        scale = per / rows["denominator"].to_numpy(dtype=float)
        out.loc[rows.index, "value"] = rows["count"].to_numpy(dtype=float) * scale
        for col in CI_COLUMNS:
            out.loc[rows.index, col] = res[col].to_numpy(dtype=float)[at] * scale
    zero = has_pop & (summed["count"] == 0)
    if zero.any():
        pop = summed.loc[zero, "denominator"]
        out.loc[zero, "value"] = 0.0
        for level in CONFIDENCE_LEVELS:
            lower, upper = exact_interval(0, level)
            out.loc[zero, f"value_lower_{_ci_suffix(level)}"] = lower
            out.loc[zero, f"value_upper_{_ci_suffix(level)}"] = upper / pop * per
    out = _add_note(out, ~has_pop, "No value: the population is 0")
    too_few = has_pop & (summed["count"] < min_count)
    if too_few.any():
        out.loc[too_few, ["value", *CI_COLUMNS]] = np.nan
        out = _add_note(out, too_few, f"Rate not calculated: fewer than {min_count} events")
    return out[[*groups, *RESULT_COLUMNS]]


def dsr_with_ci(df: pd.DataFrame, count_col: str, population_col: str, age_band_col: str,
                group_cols: str | Sequence[str] | None = None, per: int = 100_000,
                min_count: int | None = None, standard_population: pd.DataFrame | None = None) -> pd.DataFrame:
    """Directly standardised rates on the 2013 ESP with Dobson et al. 1991 95% and 99.8% limits.

    One ``PHStatsMethods.ph_dsr`` call over all groups, the standard population joined by age-band label.
    Age bands with 0 events are fine. A group missing a band, or with a population of 0 in a band that has
    events, gets no value and a note (rather than a silently re-weighted standard). No DSR is given when the
    group's total is under ``min_count`` (default ``disclosure_rules()["rates"]["dsr_min_count"]``, 10).

    Args:
        standard_population: columns age_band, standard_population; default ESP 2013 (19 bands).
    """
    groups = _group_list(group_cols)
    _check_columns(df, [count_col, population_col, age_band_col, *groups], "DSR input")
    _check_non_negative(df, [count_col, population_col], "DSR input")
    if min_count is None:
        min_count = int(reference.disclosure_rules()["rates"]["dsr_min_count"])
    if standard_population is None:
        std = reference.esp2013().rename(columns={"esp2013_population": "standard_population"})[
            ["age_band", "standard_population"]]
    else:
        std = standard_population[["age_band", "standard_population"]]
    bands = std["age_band"].astype(str).tolist()
    data = df[[*groups, age_band_col, count_col, population_col]].copy()
    data[age_band_col] = data[age_band_col].astype(str)
    unknown = ~data[age_band_col].isin(bands)
    if unknown.any():
        bad = data.loc[unknown]
        problems = pd.DataFrame({"column": age_band_col, "row": bad.index, "value": bad[age_band_col],
                                 "expected": "a standard population age band: " + ", ".join(bands)})
        raise ValidationError("DSR input", problems)
    summed = _sum_by(data, [*groups, age_band_col], [count_col, population_col])
    summed = summed.rename(columns={count_col: "count", population_col: "population", age_band_col: "age_band"})

    # One row per group x band: a band missing from the input is flagged, never re-weighted away.
    keys = summed[groups].drop_duplicates().reset_index(drop=True) if groups else pd.DataFrame(index=[0])
    grid = keys.merge(std, how="cross")
    full = grid.merge(summed, on=[*groups, "age_band"], how="left", indicator=True)
    full["band_missing"] = full["_merge"].eq("left_only")
    full = full.drop(columns="_merge")
    full["count"] = full["count"].fillna(0.0)
    full["events_without_population"] = (full["population"].fillna(0) <= 0) & (full["count"] > 0)
    # A band with no events contributes nothing whatever its population; 1 keeps PHStatsMethods from
    # rejecting a zero denominator and is replaced by the true total below.
    full["ph_population"] = full["population"].where(full["population"] > 0, 1.0)

    if groups:
        flags = full.groupby(groups, dropna=False, sort=True, observed=True).agg(
            count=("count", "sum"), denominator=("population", "sum"),
            band_missing=("band_missing", "any"), no_population=("events_without_population", "any"))
        flags = flags.reset_index()
    else:
        flags = pd.DataFrame({"count": [full["count"].sum()], "denominator": [full["population"].sum()],
                              "band_missing": [full["band_missing"].any()],
                              "no_population": [full["events_without_population"].any()]})
    out = _empty_result(flags[[*groups, "count", "denominator"]])
    bad = flags["band_missing"] | flags["no_population"]
    enough = flags["count"] >= min_count
    usable = ~bad & enough
    if usable.any():
        flags_idx = flags.assign(_gid=np.arange(len(flags)))
        good_ids = flags_idx.loc[usable, [*groups, "_gid"]] if groups else flags_idx.loc[usable, ["_gid"]]
        if groups:
            run = full.merge(good_ids, on=groups, how="inner")
        else:
            run = full.assign(_gid=0)
        res = _ph().ph_dsr(run[["_gid", "count", "ph_population", "standard_population"]], "count",
                           "ph_population", "standard_population", group_cols=["_gid"], metadata=False,
                           confidence=list(CONFIDENCE_LEVELS), multiplier=int(per), euro_standard_pops=False)
        res = res.set_index("_gid").rename(columns=_PH_CI)
        out.loc[res.index, "value"] = res["Value"].astype(float)
        for col in CI_COLUMNS:
            out.loc[res.index, col] = res[col].astype(float)
    out = _add_note(out, flags["band_missing"], "DSR not calculated: population missing for some age bands")
    out = _add_note(out, ~flags["band_missing"] & flags["no_population"],
                    "DSR not calculated: events in an age band with no population")
    out = _add_note(out, ~bad & ~enough, f"DSR not calculated: fewer than {min_count} events")
    return out[[*groups, *RESULT_COLUMNS]]


# --------------------------------------------------------------------------------------------------
# Benchmarking (Fingertips wording)
# --------------------------------------------------------------------------------------------------


def compare_to_benchmark(value: Any, lower: Any, upper: Any, benchmark_value: Any, polarity: Any) -> Any:
    """Fingertips comparison of an area's confidence interval with a benchmark's point value.

    "Higher" when the lower limit is above the benchmark, "Lower" when the upper limit is below it, else
    "Similar"; worded "Better"/"Worse" by polarity ("high_is_bad" / "high_is_good"), kept as
    "Higher"/"Lower" for "no_judgement"; "Not compared" when the value, a limit or the benchmark is
    missing. Pass 95% limits for the 95% comparison and 99.8% limits for the 99.8% one (fingertips-open
    ComparatorMethodIds 1 and 17; FingertipsNext BenchmarkComparisonMethod CIOverlappingReferenceValue95/99_8).

    Works on scalars (returns a str) or array-likes (returns an array, or a Series on ``value``'s index).
    """
    index = value.index if isinstance(value, pd.Series) else None
    scalar = all(np.ndim(x) == 0 for x in (value, lower, upper, benchmark_value, polarity))
    arrays = [pd.to_numeric(pd.Series(np.atleast_1d(np.asarray(x, dtype=object))), errors="coerce").to_numpy(float)
              for x in (value, lower, upper, benchmark_value)]
    pol = np.atleast_1d(np.asarray(polarity, dtype=object))
    v, lo, up, bench, pol = np.broadcast_arrays(*arrays, pol)
    unknown = ~np.isin(pol.astype(str), POLARITIES)
    if unknown.any():
        raise ParametersError("indicator catalogue", "polarity",
                              f"is {pol[unknown][0]!r}; expected one of {', '.join(POLARITIES)}")
    missing = np.isnan(v) | np.isnan(lo) | np.isnan(up) | np.isnan(bench)
    with np.errstate(invalid="ignore"):
        higher = lo > bench
        lower_ = up < bench
    bad_high = pol == "high_is_bad"
    good_high = pol == "high_is_good"
    high_word = np.where(bad_high, "Worse", np.where(good_high, "Better", "Higher"))
    low_word = np.where(bad_high, "Better", np.where(good_high, "Worse", "Lower"))
    result = np.where(missing, "Not compared", np.where(higher, high_word, np.where(lower_, low_word, "Similar")))
    result = result.astype(object)
    if scalar:
        return str(result[0])
    if index is not None and len(index) == len(result):
        return pd.Series(result, index=index, dtype="object")
    return result


# --------------------------------------------------------------------------------------------------
# Funnel plots
# --------------------------------------------------------------------------------------------------

_FUNNEL_COLUMNS = {
    "Population": "denominator",
    "Events": "events",
    "Observed_events": "events",
    "lower_2s_limit": "lower_limit_95",
    "upper_2s_limit": "upper_limit_95",
    "lower_3s_limit": "lower_limit_998",
    "upper_3s_limit": "upper_limit_998",
    "lower_2s_population_1_year": "lower_95_population_1_year",
    "upper_2s_population_1_year": "upper_95_population_1_year",
    "lower_3s_population_1_year": "lower_998_population_1_year",
    "upper_3s_population_1_year": "upper_998_population_1_year",
}
_FUNNEL_SIGNIFICANCE = {
    "High (0.001)": "Above 99.8% limit",
    "High (0.025)": "Above 95% limit",
    "Not significant": "Within limits",
    "Low (0.025)": "Below 95% limit",
    "Low (0.001)": "Below 99.8% limit",
    "Not applicable for events less than 10 for DSRs": "Not applicable: fewer than 10 events",
}


def funnel_limits(df: pd.DataFrame, numerator_col: str, statistic: str, denominator_col: str | None = None,
                  rate_col: str | None = None, rate_type: str | None = None, per: int = 100,
                  years_of_data: int = 1) -> pd.DataFrame:
    """95% and 99.8% funnel control limits around the overall average, for drawing a funnel plot.

    ``PHStatsMethods.calculate_funnel_limits`` (Fingertips technical guidance; PHEindicatormethods):
    statistic "proportion" (exact-binomial-based limits; ``per`` 100 for %) or "rate" (Poisson-based;
    ``rate_type`` "dsr" or "crude", ``per`` e.g. 100000, ``years_of_data`` pooled years).

    Returns:
        100 rows: denominator (proportions) or events (rates), lower_limit_95, upper_limit_95,
        lower_limit_998, upper_limit_998, baseline, plus the implied 1-year populations for rates.
    """
    if statistic not in ("proportion", "rate"):
        raise ParametersError("funnel_limits", "statistic", f"is {statistic!r}; expected 'proportion' or 'rate'")
    cols = [numerator_col] + [c for c in (denominator_col, rate_col) if c]
    _check_columns(df, cols, "funnel input")
    data = df[cols].copy()
    if denominator_col:
        data = data.loc[data[denominator_col] > 0]
    if statistic == "rate":
        data = data.loc[data[rate_col].notna() | (data[numerator_col] == 0)]
        if rate_type == "dsr":
            data = data.loc[data[numerator_col] > 0]
    res = _ph().calculate_funnel_limits(data, numerator_col, statistic, int(per), denom_col=denominator_col,
                                        metadata=False, rate=rate_col, rate_type=rate_type,
                                        years_of_data=years_of_data)
    return res.rename(columns=_FUNNEL_COLUMNS)


def funnel_significance(df: pd.DataFrame, numerator_col: str, statistic: str, denominator_col: str | None = None,
                        rate_col: str | None = None, rate_type: str | None = None,
                        per: int | None = None) -> pd.DataFrame:
    """Whether each area lies outside the 95% / 99.8% funnel limits (``assign_funnel_significance``).

    Returns a copy of ``df`` with a ``funnel_significance`` column: "Above 99.8% limit", "Above 95% limit",
    "Within limits", "Below 95% limit", "Below 99.8% limit", "Not applicable: fewer than 10 events" (DSRs),
    or "Not compared" where the denominator is 0 or the rate missing.
    """
    if statistic not in ("proportion", "rate"):
        raise ParametersError("funnel_significance", "statistic", f"is {statistic!r}; expected 'proportion' or 'rate'")
    cols = [numerator_col] + [c for c in (denominator_col, rate_col) if c]
    _check_columns(df, cols, "funnel input")
    usable = pd.Series(True, index=df.index)
    if denominator_col:
        usable &= df[denominator_col] > 0
    if statistic == "rate":
        usable &= df[rate_col].notna() | (df[numerator_col] == 0)
    out = df.copy()
    out["funnel_significance"] = "Not compared"
    if usable.any():
        part = df.loc[usable, cols].reset_index(drop=True)
        res = _ph().assign_funnel_significance(part, numerator_col, statistic, denom_col=denominator_col,
                                               rate=rate_col, rate_type=rate_type, multiplier=per)
        out.loc[usable, "funnel_significance"] = res["significance"].map(_FUNNEL_SIGNIFICANCE).to_numpy()
    return out


# --------------------------------------------------------------------------------------------------
# Recent trend (hand-written: PHStatsMethods has none)
# --------------------------------------------------------------------------------------------------


def recent_trend(df: pd.DataFrame, group_cols: str | Sequence[str], period_col: str = "period_sortable",
                 method: str = "rate", value_col: str = "value", lower_col: str = "value_lower_ci95",
                 upper_col: str = "value_upper_ci95", count_col: str = "count",
                 denominator_col: str = "denominator") -> pd.DataFrame:
    """Fingertips recent-trend marker for every series in ``df``, computed for all series at once.

    Method (fingertips-open PholioVisualisationWS/Analysis/TrendMarkers/TrendMarkerCalculator.cs and
    TrendRequest.cs): take the most recent unbroken run of valid points, use the last 5 (fewer: "Cannot be
    calculated"). Proportions (``method="proportion"``): chi-square test for trend in proportions
    (Armitage) on counts and denominators; rates (``method="rate"``): weighted least-squares regression of
    the value on time, weights 1 / SE^2 with SE = (upper95 - lower95) / 3.92, chi-square = (slope / SE)^2.
    Significant when chi-square > 9.5495 (1 df, 99.8%) **and** the slope keeps its sign when each point is
    left out in turn (Fingertips' outlier check; for proportions on the logit scale). Then "Increasing" or
    "Decreasing"; otherwise "No significant change". Points where count equals the denominator, or (a
    SUNA choice, where the logit is undefined) a count of 0, or a zero-width interval, give "Cannot be
    calculated". Overlapping pooled periods should not be tested (the caller decides).

    Returns:
        One row per series: group columns, recent_trend, trend_chi_square, trend_points.
    """
    groups = _group_list(group_cols)
    if method not in ("proportion", "rate"):
        raise ParametersError("recent_trend", "method", f"is {method!r}; expected 'proportion' or 'rate'")
    needed = [value_col, count_col, denominator_col] if method == "proportion" else [value_col, lower_col, upper_col]
    _check_columns(df, [*groups, period_col, *needed], "trend input")
    data = df[[*groups, period_col, *needed]].copy()
    if data.empty:
        return pd.DataFrame(columns=[*groups, "recent_trend", "trend_chi_square", "trend_points"])
    num = {c: pd.to_numeric(data[c], errors="coerce") for c in needed}
    valid = pd.Series(True, index=data.index)
    for c in needed:
        valid &= num[c].notna()
    if method == "proportion":
        valid &= num[denominator_col] > 0
    data = data.assign(_valid=valid, _gid=data.groupby(groups, dropna=False, sort=False, observed=True).ngroup()
                       if groups else 0)
    data = data.sort_values(["_gid", period_col], ascending=[True, False], kind="stable")
    broken = (~data["_valid"]).astype(int).groupby(data["_gid"]).cumsum() > 0
    kept = data.loc[~broken].copy()
    kept["_rank"] = kept.groupby("_gid").cumcount()
    kept = kept.loc[kept["_rank"] < TREND_POINTS]
    n_points = kept.groupby("_gid").size().reindex(np.arange(data["_gid"].max() + 1), fill_value=0)

    keys = data.drop_duplicates("_gid").set_index("_gid")[groups].sort_index() if groups else pd.DataFrame(index=[0])
    result = keys.copy()
    result["recent_trend"] = "Cannot be calculated"
    result["trend_chi_square"] = np.nan
    result["trend_points"] = n_points.reindex(result.index).to_numpy()

    full = n_points[n_points == TREND_POINTS].index
    if len(full):
        five = kept.loc[kept["_gid"].isin(full)].sort_values(["_gid", "_rank"])
        # t = 1 for the oldest of the five points, 5 for the latest.
        t = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
        gids = five["_gid"].to_numpy().reshape(-1, TREND_POINTS)[:, 0]
        # Leave-one-out masks: row 0 keeps all points, row k drops the point at t = k.
        masks = np.ones((TREND_POINTS + 1, TREND_POINTS))
        for k in range(1, TREND_POINTS + 1):
            masks[k, t == k] = 0.0
        if method == "proportion":
            r = pd.to_numeric(five[count_col]).to_numpy(float).reshape(-1, TREND_POINTS)
            n = pd.to_numeric(five[denominator_col]).to_numpy(float).reshape(-1, TREND_POINTS)
            ok = ~((r >= n) | (r <= 0)).any(axis=1)
            big_n, big_r = n.sum(1), r.sum(1)
            srt, snt, snt2 = (r * t).sum(1), (n * t).sum(1), (n * t * t).sum(1)
            with np.errstate(divide="ignore", invalid="ignore"):
                direction = big_n * srt - big_r * snt
                chi2 = big_n * direction ** 2 / (big_r * (big_n - big_r) * (big_n * snt2 - snt ** 2))
                y = np.log(r / (n - r))
                m = masks.sum(1)[:, None]                     # points used in each fit
                sy = np.einsum("kj,gj->kg", masks, y)
                syt = np.einsum("kj,gj->kg", masks, y * t)
                st = (masks * t).sum(1)[:, None]
                stt = (masks * t * t).sum(1)[:, None]
                slopes = (m * syt - sy * st) / (m * stt - st ** 2)
        else:
            v = pd.to_numeric(five[value_col]).to_numpy(float).reshape(-1, TREND_POINTS)
            lo = pd.to_numeric(five[lower_col]).to_numpy(float).reshape(-1, TREND_POINTS)
            up = pd.to_numeric(five[upper_col]).to_numpy(float).reshape(-1, TREND_POINTS)
            se = (up - lo) / 3.92
            ok = (se > 0).all(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                w = 1.0 / se ** 2
                s1 = np.einsum("kj,gj->kg", masks, w)
                s2 = np.einsum("kj,gj->kg", masks, w * v * t)
                s3 = np.einsum("kj,gj->kg", masks, w * t)
                s4 = np.einsum("kj,gj->kg", masks, w * v)
                s5 = np.einsum("kj,gj->kg", masks, w * t * t)
                det = s1 * s5 - s3 ** 2
                slopes = (s1 * s2 - s3 * s4) / det
                beta = np.sqrt(s1[0] / det[0])
                chi2 = (slopes[0] / beta) ** 2
                direction = slopes[0]
        signs = np.where(slopes < 0, -1, 1).sum(0)            # Fingertips counts a zero slope as +1
        no_outliers = np.abs(signs) == TREND_POINTS + 1
        significant = ok & no_outliers & (chi2 > TREND_CHI_SQUARE_998)
        label = np.where(~ok, "Cannot be calculated",
                         np.where(significant, np.where(direction > 0, "Increasing", "Decreasing"),
                                  "No significant change"))
        result.loc[gids, "recent_trend"] = label
        result.loc[gids, "trend_chi_square"] = np.where(ok, chi2, np.nan)
    return result.reset_index(drop=True)


def trend_marker(counts: Sequence[float] | None = None, denominators: Sequence[float] | None = None,
                 values: Sequence[float] | None = None, lower: Sequence[float] | None = None,
                 upper: Sequence[float] | None = None) -> str:
    """Recent trend of one series given oldest-first (see :func:`recent_trend`).

    Give counts and denominators for a proportion, or values with 95% limits for a rate.
    """
    if counts is not None and denominators is not None:
        frame = pd.DataFrame({"count": list(counts), "denominator": list(denominators)})
        frame["value"] = frame["count"] / frame["denominator"].where(frame["denominator"] > 0)
        method = "proportion"
    elif values is not None and lower is not None and upper is not None:
        frame = pd.DataFrame({"value": list(values), "value_lower_ci95": list(lower), "value_upper_ci95": list(upper)})
        method = "rate"
    else:
        raise ParametersError("trend_marker", "arguments", "need counts and denominators, or values, lower and upper")
    frame["series"] = 1
    frame["period_sortable"] = np.arange(len(frame))
    return str(recent_trend(frame, ["series"], method=method)["recent_trend"].iloc[0])
