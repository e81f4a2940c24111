"""suna.indicators.stats against values worked by hand from the published formulas, and the PHStatsMethods problems it wraps.

Formulas (independent of PHStatsMethods): Wilson 1927 / Newcombe & Altman 2000 for proportions; Byar's
approximation (Breslow & Day 1987) for counts of 10 or more, exact Poisson (chi-square) below; Dobson et al.
1991 for directly standardised rates: DSR = sum(w O/n) / sum(w), var = sum(w^2 O/n^2) / sum(w)^2,
limit = DSR + sqrt(var / O) * (O_limit - O).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2, norm

from suna.core.errors import ParametersError, ValidationError
from suna.indicators import stats

Z95 = norm.ppf(0.975)
Z998 = norm.ppf(0.999)


def wilson_by_hand(o: float, n: float, z: float) -> tuple[float, float]:
    root = z * math.sqrt(z * z + 4 * o * (1 - o / n))
    return ((2 * o + z * z - root) / (2 * (n + z * z)), (2 * o + z * z + root) / (2 * (n + z * z)))


def byars_by_hand(o: float, z: float) -> tuple[float, float]:
    lower = o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3
    upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * math.sqrt(o + 1))) ** 3
    return lower, upper


def exact_by_hand(o: float, confidence: float) -> tuple[float, float]:
    a = 1 - confidence
    lower = 0.0 if o == 0 else chi2.ppf(a / 2, 2 * o) / 2
    return lower, chi2.ppf(1 - a / 2, 2 * o + 2) / 2


# ------------------------------------------------------------------------------------------------
# Scalar intervals
# ------------------------------------------------------------------------------------------------


def test_wilson_interval_8_of_40_matches_the_formula_and_a_hand_calculation() -> None:
    lower, upper = stats.wilson_interval(8, 40)
    exp_lower, exp_upper = wilson_by_hand(8, 40, Z95)
    assert lower == pytest.approx(exp_lower, abs=1e-9)
    assert upper == pytest.approx(exp_upper, abs=1e-9)
    # by hand: centre (8 + 1.92) / 43.84 = 0.2263, half-width 1.96 * sqrt(6.4 + 0.96) / 43.84 = 0.1213
    assert (round(lower * 100, 1), round(upper * 100, 1)) == (10.5, 34.8)


def test_wilson_interval_at_998_is_wider() -> None:
    lo95, up95 = stats.wilson_interval(8, 40, 0.95)
    lo998, up998 = stats.wilson_interval(8, 40, 0.998)
    assert (lo998, up998) == pytest.approx(wilson_by_hand(8, 40, Z998), abs=1e-9)
    assert lo998 < lo95 and up998 > up95


def test_byars_interval_for_50_events_matches_the_formula() -> None:
    lower, upper = stats.byars_interval(50)
    assert (lower, upper) == pytest.approx(byars_by_hand(50, Z95), abs=1e-9)
    assert (round(lower, 1), round(upper, 1)) == (37.1, 65.9)


def test_byars_interval_uses_exact_poisson_below_10_events() -> None:
    assert stats.byars_interval(4) == pytest.approx(exact_by_hand(4, 0.95), abs=1e-9)
    assert stats.byars_interval(9, 0.998) == pytest.approx(exact_by_hand(9, 0.998), abs=1e-9)


def test_zero_events_have_lower_limit_0_and_exact_upper_limit() -> None:
    assert stats.exact_interval(0) == pytest.approx((0.0, 3.6889), abs=1e-4)
    assert stats.byars_interval(0) == pytest.approx((0.0, 3.6889), abs=1e-4)
    with pytest.raises(ValueError):
        stats.byars_interval(-1)


def test_wilson_interval_with_zero_denominator_is_empty_not_an_error() -> None:
    lower, upper = stats.wilson_interval(0, 0)
    assert math.isnan(lower) and math.isnan(upper)


# ------------------------------------------------------------------------------------------------
# The PHStatsMethods 0.1.16 problems the wrappers work around (stats.py docstring): each is shown in the
# library (so the test fails, and the workaround can go, once the library is fixed) and handled here.
# ------------------------------------------------------------------------------------------------


def test_problem_zero_events_crash_ph_rate_and_are_handled() -> None:
    import PHStatsMethods as ph

    frame = pd.DataFrame({"area": ["a", "b"], "events": [0, 25], "population": [50_000, 50_000]})
    with pytest.raises(ValueError):
        ph.byars_upper(0, 0.95)
    assert math.isnan(ph.exact_lower(0, 0.95))
    with pytest.raises(ValueError):
        ph.ph_rate(frame, "events", "population", group_cols="area")

    out = stats.crude_rate_with_ci(frame, "events", "population", "area", min_count=0).set_index("area")
    assert out.loc["a", "value"] == 0.0
    assert out.loc["a", "value_lower_ci95"] == 0.0
    assert out.loc["a", "value_upper_ci95"] == pytest.approx(exact_by_hand(0, 0.95)[1] / 50_000 * 100_000)
    assert out.loc["a", "value_upper_ci998"] == pytest.approx(exact_by_hand(0, 0.998)[1] / 50_000 * 100_000)
    lo, up = byars_by_hand(25, Z95)
    assert out.loc["b", "value"] == pytest.approx(50.0)
    assert (out.loc["b", "value_lower_ci95"], out.loc["b", "value_upper_ci95"]) == pytest.approx(
        (lo / 50_000 * 1e5, up / 50_000 * 1e5), abs=1e-9)


def test_problem_byars_convenience_function_gives_the_wrong_confidence_level() -> None:
    import PHStatsMethods as ph

    wrong = ph.byars(50, 0.95)
    assert wrong[1] - wrong[0] < 3             # a 5% interval, (49.2, 51.1)
    assert stats.byars_interval(50, 0.95) == pytest.approx(byars_by_hand(50, Z95), abs=1e-9)


def test_problem_ph_dsr_euro_standard_pops_prints_and_mutates_and_is_not_used(capsys: pytest.CaptureFixture[str]) -> None:
    import PHStatsMethods as ph

    bands = stats.euro_standard_pop()["age_band"].tolist()
    frame = pd.DataFrame({"area": "a", "age_band": bands, "events": 3, "population": 10_000})
    before = frame.copy()
    ph.ph_dsr(frame, "events", "population", "age_band", group_cols="area", euro_standard_pops=True)
    printed = capsys.readouterr().out
    assert "esp_age_bands" in printed                    # prints the join for the user to check
    assert "n1" in frame.columns                          # and writes its rank column into the caller's frame

    # SUNA: joined by band label, so the row order does not matter, and neither prints nor mutates.
    frame = before.copy()
    shuffled = frame.sample(frac=1, random_state=3)
    a = stats.dsr_with_ci(frame, "events", "population", "age_band", "area")
    b = stats.dsr_with_ci(shuffled, "events", "population", "age_band", "area")
    assert capsys.readouterr().out == ""
    pd.testing.assert_frame_equal(frame, before)
    assert a["value"].iloc[0] == pytest.approx(b["value"].iloc[0])
    assert a["value"].iloc[0] == pytest.approx(30.0)   # 3 / 10,000 in every band = 30 per 100,000


def test_problem_zero_denominators_raise_in_the_library_and_give_a_note_here() -> None:
    import PHStatsMethods as ph

    frame = pd.DataFrame({"area": ["a", "b"], "num": [0, 8], "den": [0, 40]})
    with pytest.raises(ValueError):
        ph.ph_proportion(frame, "num", "den", group_cols="area")
    out = stats.proportion_with_ci(frame, "num", "den", "area").set_index("area")
    assert math.isnan(out.loc["a", "value"])
    assert "denominator is 0" in out.loc["a", "value_note"]
    assert out.loc["b", "value"] == pytest.approx(20.0)
    rates = stats.crude_rate_with_ci(frame.rename(columns={"den": "pop"}), "num", "pop", "area", min_count=0)
    assert "population is 0" in rates.set_index("area").loc["a", "value_note"]


def test_problem_dsr_limits_are_dobson_for_independent_events() -> None:
    """Worked example on a 3-band standard (the non-independent-events widening is not in the port)."""
    std = pd.DataFrame({"age_band": ["young", "middle", "old"], "standard_population": [40_000, 35_000, 25_000]})
    frame = pd.DataFrame({"age_band": ["young", "middle", "old"], "events": [5, 12, 30],
                          "population": [20_000, 15_000, 10_000]})
    out = stats.dsr_with_ci(frame, "events", "population", "age_band", standard_population=std).iloc[0]

    w = std["standard_population"].to_numpy(float)
    o = frame["events"].to_numpy(float)
    n = frame["population"].to_numpy(float)
    dsr = (w * o / n).sum() / w.sum()
    var = (w ** 2 * o / n ** 2).sum() / w.sum() ** 2
    total = o.sum()
    for z, suffix in ((Z95, "ci95"), (Z998, "ci998")):
        o_lower, o_upper = byars_by_hand(total, z)
        assert out[f"value_lower_{suffix}"] == pytest.approx((dsr + math.sqrt(var / total) * (o_lower - total)) * 1e5, rel=1e-9)
        assert out[f"value_upper_{suffix}"] == pytest.approx((dsr + math.sqrt(var / total) * (o_upper - total)) * 1e5, rel=1e-9)
    assert out["value"] == pytest.approx(dsr * 1e5)
    assert out["count"] == 47 and out["denominator"] == 45_000


# ------------------------------------------------------------------------------------------------
# Grouped statistics: zeros, small counts, validation
# ------------------------------------------------------------------------------------------------


def test_proportions_for_many_groups_in_one_call_match_wilson() -> None:
    frame = pd.DataFrame({"g": ["a", "a", "b", "c"], "num": [3, 5, 0, 40], "den": [20, 20, 25, 40]})
    out = stats.proportion_with_ci(frame, "num", "den", "g").set_index("g")
    assert out.loc["a", ["count", "denominator"]].tolist() == [8, 40]
    assert out.loc["a", "value"] == pytest.approx(20.0)
    assert (out.loc["a", "value_lower_ci95"], out.loc["a", "value_upper_ci95"]) == pytest.approx(
        tuple(100 * x for x in wilson_by_hand(8, 40, Z95)), abs=1e-9)
    # 0 of 25 and 40 of 40: the limits stay inside 0-100
    assert out.loc["b", "value"] == 0 and out.loc["b", "value_lower_ci95"] == pytest.approx(0, abs=1e-12)
    assert out.loc["b", "value_upper_ci95"] == pytest.approx(100 * wilson_by_hand(0, 25, Z95)[1])
    assert out.loc["c", "value_upper_ci95"] == pytest.approx(100, abs=1e-12)


def test_numerator_above_denominator_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="numerator no larger"):
        stats.proportion_with_ci(pd.DataFrame({"num": [5], "den": [4]}), "num", "den")


def test_negative_counts_are_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="0 or more"):
        stats.crude_rate_with_ci(pd.DataFrame({"n": [-1], "p": [100]}), "n", "p")


def test_crude_rate_is_not_given_under_the_minimum_count() -> None:
    frame = pd.DataFrame({"g": ["a", "b"], "n": [2, 3], "p": [10_000, 10_000]})
    out = stats.crude_rate_with_ci(frame, "n", "p", "g").set_index("g")
    assert math.isnan(out.loc["a", "value"]) and "fewer than 3" in out.loc["a", "value_note"]
    assert out.loc["b", "value"] == pytest.approx(30.0)
    assert (out.loc["b", "value_lower_ci95"], out.loc["b", "value_upper_ci95"]) == pytest.approx(
        tuple(x / 10_000 * 1e5 for x in exact_by_hand(3, 0.95)), abs=1e-9)


def test_dsr_with_no_events_or_few_events_gives_no_value_and_no_error() -> None:
    bands = stats.euro_standard_pop()["age_band"].tolist()
    frame = pd.DataFrame({"g": np.repeat(["none", "few"], len(bands)), "age_band": bands * 2,
                          "events": [0] * len(bands) + [1] * 9 + [0] * (len(bands) - 9), "population": 1_000})
    out = stats.dsr_with_ci(frame, "events", "population", "age_band", "g").set_index("g")
    assert out["value"].isna().all()
    assert out.loc["none", "count"] == 0 and out.loc["few", "count"] == 9
    assert out["value_note"].str.contains("fewer than 10").all()


def test_dsr_with_a_missing_age_band_is_not_silently_reweighted() -> None:
    bands = stats.euro_standard_pop()["age_band"].tolist()
    frame = pd.DataFrame({"age_band": bands[1:], "events": 5, "population": 1_000})
    out = stats.dsr_with_ci(frame, "events", "population", "age_band").iloc[0]
    assert math.isnan(out["value"]) and "missing" in out["value_note"]


def test_dsr_with_an_unknown_age_band_names_it() -> None:
    frame = pd.DataFrame({"age_band": ["0-4", "100+"], "events": [1, 1], "population": [10, 10]})
    with pytest.raises(ValidationError, match="100\\+"):
        stats.dsr_with_ci(frame, "events", "population", "age_band")


# ------------------------------------------------------------------------------------------------
# Benchmarking and trends
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lower", "upper", "polarity", "expected"), [
    (12, 15, "high_is_bad", "Worse"),
    (12, 15, "high_is_good", "Better"),
    (12, 15, "no_judgement", "Higher"),
    (5, 8, "high_is_bad", "Better"),
    (5, 8, "high_is_good", "Worse"),
    (5, 8, "no_judgement", "Lower"),
    (8, 12, "high_is_bad", "Similar"),
    (10, 12, "high_is_bad", "Similar"),       # a limit touching the benchmark is not a difference
])
def test_compare_to_benchmark_follows_polarity(lower: float, upper: float, polarity: str, expected: str) -> None:
    assert stats.compare_to_benchmark((lower + upper) / 2, lower, upper, 10.0, polarity) == expected


def test_compare_to_benchmark_vectorised_and_missing_values() -> None:
    out = stats.compare_to_benchmark(pd.Series([13.0, np.nan, 6.0]), [12, np.nan, 5], [15, np.nan, 7],
                                     [10, 10, np.nan], "high_is_bad")
    assert out.tolist() == ["Worse", "Not compared", "Not compared"]
    with pytest.raises(ParametersError, match="polarity"):
        stats.compare_to_benchmark(1, 0, 2, 1, "low_is_good")


def test_recent_trend_of_a_rising_proportion_is_increasing() -> None:
    assert stats.trend_marker(counts=[100, 150, 200, 250, 300], denominators=[1000] * 5) == "Increasing"
    assert stats.trend_marker(counts=[300, 250, 200, 150, 100], denominators=[1000] * 5) == "Decreasing"
    assert stats.trend_marker(counts=[200, 201, 199, 200, 202], denominators=[1000] * 5) == "No significant change"


def test_recent_trend_needs_five_points_and_valid_counts() -> None:
    assert stats.trend_marker(counts=[100, 150, 200, 250], denominators=[1000] * 4) == "Cannot be calculated"
    assert stats.trend_marker(counts=[0, 150, 200, 250, 300], denominators=[1000] * 5) == "Cannot be calculated"


def test_recent_trend_of_rates_uses_the_confidence_intervals() -> None:
    values = [10, 12, 14, 16, 18]
    assert stats.trend_marker(values=values, lower=[v - 0.5 for v in values], upper=[v + 0.5 for v in values]) == "Increasing"
    assert stats.trend_marker(values=values, lower=[v - 20 for v in values], upper=[v + 20 for v in values]) == "No significant change"


def test_recent_trend_for_many_series_at_once() -> None:
    frame = pd.DataFrame({"s": np.repeat(["up", "flat"], 6), "period_sortable": list(range(6)) * 2,
                          "count": [50, 100, 150, 200, 250, 300] + [200] * 6, "denominator": 1000})
    frame["value"] = frame["count"] / frame["denominator"]
    out = stats.recent_trend(frame, "s", method="proportion").set_index("s")
    assert out.loc["up", "recent_trend"] == "Increasing" and out.loc["up", "trend_points"] == 5
    assert out.loc["flat", "recent_trend"] == "No significant change"
