"""Targets: read from parameters with clear errors, the straight-line trajectory, and the on-track rule.

Each fixture is a small target worked out by hand; the comment says what makes it special.
"""

from __future__ import annotations

import math

import pytest
import yaml

from suna.core.errors import ParametersError
from suna.indicators import targets
from suna.indicators.targets import AMBER, GREEN, NO_STATUS, RED, Target

# An increase: 1,000 in 2020/21 to 1,200 in 2024/25 is 50 a year; amber band 5% of 200 = 10.
RISE = Target(metric="adults_in_treatment", baseline_period="2020/21", target_period="2024/25", target_value=1200)
# A reduction: 50 in 2020 to 40 in 2025 is -2 a year; amber band 5% of 10 = 0.5.
FALL = Target(metric="drug_misuse_deaths", baseline_period="2020", target_period="2025", target_value=40)
# Keep the baseline: 60% kept at 60%, higher is better; amber band 5% of 60 = 3.
KEEP = Target(metric="successful_completion_opiate", baseline_period="2020/21", target_period="2023/24", target_value=60)


def test_trajectory_is_a_straight_line_and_stops_at_the_target():
    assert targets.trajectory(RISE, 1000, "2020/21") == 1000
    assert targets.trajectory(RISE, 1000, "2022/23") == 1100
    assert targets.trajectory(RISE, 1000, "2024/25") == 1200
    assert targets.trajectory(RISE, 1000, "2026/27") == 1200  # after the target period: the target
    assert targets.trajectory(FALL, 50, "2019 - 21") == pytest.approx(48)  # a pooled period is placed at its last year


@pytest.mark.parametrize("value, status", [
    (1100, GREEN),   # on the line
    (1150, GREEN),   # beyond it
    (1090, AMBER),   # 10 short: the edge of the band
    (1089, RED),     # 11 short
    (math.nan, NO_STATUS),  # hidden by disclosure control
    (None, NO_STATUS),
])
def test_an_increase_target(value, status):
    got = targets.assess(RISE, 1000, "2022/23", value)
    assert got.status == status
    assert got.expected == 1100 and got.target == 1200


@pytest.mark.parametrize("value, status", [(44, GREEN), (43, GREEN), (44.5, AMBER), (44.6, RED)])
def test_a_reduction_target_is_better_lower(value, status):
    assert targets.assess(FALL, 50, "2023", value).status == status  # expected 44 in 2023


@pytest.mark.parametrize("value, polarity, status", [
    (61, "high_is_good", GREEN), (57, "high_is_good", AMBER), (56.9, "high_is_good", RED),
    (61, "high_is_bad", AMBER), (64, "high_is_bad", RED), (50, "high_is_bad", GREEN),
    (61, "no_judgement", NO_STATUS),  # no direction to judge by
])
def test_keeping_the_baseline_follows_the_polarity(value, polarity, status):
    assert targets.assess(KEEP, 60, "2022/23", value, polarity=polarity).status == status


def test_a_target_stated_as_a_change_and_a_stated_baseline():
    pct = Target(metric="adults_in_treatment", baseline_period="2020/21", target_period="2024/25", target_change_pct=20)
    got = targets.assess(pct, 1500, "2024/25", 1790)
    assert (got.target, got.expected, got.status) == (1800, 1800, AMBER)  # 10 short; band 5% of 300 = 15
    stated = Target(metric="continuity_of_care", baseline_period="2020/21", target_period="2024/25", target_value=75, baseline_value=45)
    assert targets.assess(stated, None, "2022/23", 61).status == GREEN  # expected 60; the stated baseline is used


def test_before_the_baseline_or_without_one_there_is_no_status():
    assert targets.assess(RISE, 1000, "2019/20", 2000).status == NO_STATUS
    assert targets.assess(RISE, None, "2022/23", 1100).status == NO_STATUS
    assert targets.assess(RISE, math.nan, "2022/23", 1100).status == NO_STATUS


def test_targets_of_the_sample_areas_are_read():
    sefton = targets.area_targets("sefton")
    assert {t.metric for t in sefton} >= {"adults_in_treatment", "continuity_of_care"}
    assert all(t.source for t in sefton)  # each cites where it comes from
    assert targets.area_targets("halton")


def _params(tmp_path, target) -> str:
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump({"area": "demo", "area_definition": {"targets": [target]}}))
    return str(path)


GOOD = {"metric": "adults_in_treatment", "baseline_period": "2020/21", "target_value": 1200, "target_period": "2024/25"}


@pytest.mark.parametrize("change, key, expected", [
    ({"metric": "adults_in_treatmnet"}, "targets[0].metric", "did you mean 'adults_in_treatment'"),
    ({"baseline_period": None}, "targets[0].baseline_period", "is missing"),
    ({"target_period": "2024-25"}, "targets[0].target_period", "a financial year like '2023/24'"),
    ({"target_period": "2019/20"}, "targets[0].target_period", "after the baseline period '2020/21'"),
    ({"target_change_pct": 20}, "targets[0].target_value", "give exactly one"),
    ({"target_value": "1,200"}, "targets[0].target_value", "expected a number"),
    ({"polarity": "up"}, "targets[0].polarity", "expected one of"),
    ({"deadline": "2025"}, "targets[0].deadline", "is not a key of a target"),
])
def test_a_bad_target_names_the_file_and_key(tmp_path, change, key, expected):
    path = _params(tmp_path, {**GOOD, **change})
    with pytest.raises(ParametersError) as err:
        targets.area_targets(path)
    text = str(err.value)
    assert text.startswith(path) and f"area_definition.{key}" in text and expected in text


def test_targets_must_be_a_list(tmp_path):
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump({"area": "demo", "area_definition": {"targets": GOOD}}))
    with pytest.raises(ParametersError, match="'area_definition.targets' must be a list"):
        targets.area_targets(str(path))
