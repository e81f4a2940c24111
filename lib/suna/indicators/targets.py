"""A partnership's targets: read from its parameters, a straight-line trajectory, and whether it is on track.

Targets live in ``params/<area>.yaml`` under ``area_definition.targets`` (the area definition travels into
every notebook as one parameter, so the targets do too). Each is a mapping::

    - metric: adults_in_treatment       # an indicator id, a crime measure or a partnership metric id
      baseline_period: "2020/21"        # the period the target starts from
      target_change_pct: 20             # or target_value: 1900 (exactly one of the two)
      target_period: "2024/25"
      baseline_value: 1500              # optional: a published baseline, when the data do not hold it
      polarity: high_is_good            # optional: which way is better when the target keeps the baseline
      description: "..."                # optional, as the board reads it
      source: "..."                     # optional: the publication the target comes from

The rule (``RULE``) is stated once here and shown beside every status.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suna.core import reference
from suna.core.errors import ParametersError
from suna.indicators import catalogue, stats
from suna.model import areas
from suna.model.periods import end_year

TOLERANCE_SHARE = 0.05  # amber: within 5% of the planned change from baseline to target (of the baseline, when it is kept)
GREEN, AMBER, RED, NO_STATUS = "Green", "Amber", "Red", "No status"
STATUS_WORDS = {GREEN: "on track", AMBER: "close to the trajectory", RED: "off track", NO_STATUS: "no status"}
RULE = ("On track (green) when the latest value is at or beyond the straight line from the baseline to the target "
        "for its period, in the target's direction; amber when it falls short of the line by no more than 5% of the "
        "planned change (5% of the baseline for a target that keeps the baseline, whose direction is the indicator's "
        "polarity); red otherwise; no status when the value is missing or hidden by disclosure control, or the period "
        "is before the baseline.")
KEYS = ("metric", "baseline_period", "target_value", "target_change_pct", "target_period", "baseline_value",
        "polarity", "description", "source")
_PERIOD = re.compile(r"^\d{4}(/\d{2})?( - \d{2}(/\d{2})?)?$")  # 2023/24, 2023, 2021 - 23, 2021/22 - 23/24


@dataclass(frozen=True)
class Target:
    """One target of a partnership, as its parameters state it."""

    metric: str
    baseline_period: str
    target_period: str
    target_value: float | None = None
    target_change_pct: float | None = None
    baseline_value: float | None = None
    polarity: str | None = None
    description: str = ""
    source: str = ""

    def value_for(self, baseline: float) -> float:
        """The target value: as stated, or the baseline changed by ``target_change_pct``."""
        if self.target_value is not None:
            return self.target_value
        return baseline * (1 + self.target_change_pct / 100)


@dataclass(frozen=True)
class Status:
    """Where one value stands against its target's trajectory."""

    status: str
    expected: float | None  # the trajectory's value for the period (None before the baseline)
    baseline: float | None
    target: float | None

    @property
    def words(self) -> str:
        return STATUS_WORDS[self.status]


def known_metrics() -> list[str]:
    """Every id a target may name: catalogue indicators, crime measures and the partnership metrics."""
    ids = list(catalogue()) + reference.category_codes("crime_measures") + list(reference.partnership_metrics()["metrics"])
    return list(dict.fromkeys(ids))


def read_targets(definition: Mapping[str, Any], source: str) -> list[Target]:
    """The targets of an area definition (``area_definition.targets``), checked; none when it has none.

    Raises:
        ParametersError: naming the params file, the key (``area_definition.targets[1].metric``) and what was expected.
    """
    raw = definition.get("targets")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ParametersError(source, "area_definition.targets", "must be a list of targets, each a mapping with metric, "
                              "baseline_period, target_value (or target_change_pct) and target_period")
    known = known_metrics()
    return [_target(entry, f"area_definition.targets[{i}]", source, known) for i, entry in enumerate(raw)]


def _target(entry: Any, key: str, source: str, known: list[str]) -> Target:
    if not isinstance(entry, Mapping):
        raise ParametersError(source, key, f"is {entry!r}; expected a mapping with metric, baseline_period, target_value "
                              "(or target_change_pct) and target_period")
    unknown = [k for k in entry if k not in KEYS]
    if unknown:
        raise ParametersError(source, f"{key}.{unknown[0]}", f"is not a key of a target; expected {', '.join(KEYS)}")
    for required in ("metric", "baseline_period", "target_period"):
        if entry.get(required) in (None, ""):
            raise ParametersError(source, f"{key}.{required}", "is missing")
    metric = str(entry["metric"])
    if metric not in known:
        close = difflib.get_close_matches(metric, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ParametersError(source, f"{key}.metric", f"is {metric!r}{hint}; expected an indicator id of "
                              "data/reference/indicators.yaml, a crime measure or a metric of data/reference/partnership_metrics.yaml")
    periods = {}
    for name in ("baseline_period", "target_period"):
        text = str(entry[name]).strip()
        if not _PERIOD.match(text):
            raise ParametersError(source, f"{key}.{name}", f"is {text!r}; expected a period as the figures name it: a financial "
                                  "year like '2023/24', a year like '2023' or a pooled span like '2021 - 23'")
        periods[name] = text
    if end_year(periods["target_period"]) <= end_year(periods["baseline_period"]):
        raise ParametersError(source, f"{key}.target_period", f"is {periods['target_period']!r}; expected a period after "
                              f"the baseline period {periods['baseline_period']!r}")
    given = [k for k in ("target_value", "target_change_pct") if entry.get(k) is not None]
    if len(given) != 1:
        raise ParametersError(source, f"{key}.target_value", "and target_change_pct: give exactly one (the target's value, "
                              "or its change from the baseline in per cent)")
    numbers = {k: _number(entry.get(k), f"{key}.{k}", source) for k in ("target_value", "target_change_pct", "baseline_value")}
    polarity = entry.get("polarity")
    if polarity is not None and polarity not in stats.POLARITIES:
        raise ParametersError(source, f"{key}.polarity", f"is {polarity!r}; expected one of {', '.join(stats.POLARITIES)}")
    return Target(metric=metric, baseline_period=periods["baseline_period"], target_period=periods["target_period"],
                  polarity=polarity, description=str(entry.get("description") or ""), source=str(entry.get("source") or ""),
                  **numbers)


def _number(value: Any, key: str, source: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ParametersError(source, key, f"is {value!r}; expected a number")
    return float(value)


def area_targets(area: str | Path, definition: Mapping[str, Any] | None = None) -> list[Target]:
    """The targets of an area: from the area definition a notebook was given, else from its params file."""
    if definition:
        return read_targets(definition, "area_definition parameter")
    path = Path(str(area)) if Path(str(area)).suffix in (".yaml", ".yml") else areas.params_path(str(area))
    raw = areas.read_params(path)
    return read_targets(raw.get("area_definition") or {}, str(path))


def trajectory(target: Target, baseline: float, period: Any) -> float:
    """The straight line from the baseline to the target, read at a period (the target itself after the target period)."""
    start, end = end_year(target.baseline_period), end_year(target.target_period)
    year = min(max(end_year(period), start), end)
    goal = target.value_for(baseline)
    return baseline + (goal - baseline) * (year - start) / (end - start)


def assess(target: Target, baseline: float | None, period: Any, value: float | None, polarity: str | None = None) -> Status:
    """The status of a value against its target (``RULE``).

    Args:
        target: the partnership's target.
        baseline: the value at the baseline period (the target's own ``baseline_value`` wins when stated).
        period: the value's period.
        value: the latest value; None or NaN when missing or hidden by disclosure control.
        polarity: the indicator's polarity, used only when the target keeps the baseline.
    """
    base = target.baseline_value if target.baseline_value is not None else baseline
    if base is None or (isinstance(base, float) and math.isnan(base)):
        return Status(NO_STATUS, None, None, target.target_value)
    goal = target.value_for(base)
    if period is None or end_year(period) < end_year(target.baseline_period):
        return Status(NO_STATUS, None, base, goal)
    expected = trajectory(target, base, period)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Status(NO_STATUS, expected, base, goal)
    change = goal - base
    direction = math.copysign(1.0, change) if change else {"high_is_good": 1.0, "high_is_bad": -1.0}.get(target.polarity or polarity or "", 0.0)
    if not direction:
        return Status(NO_STATUS, expected, base, goal)
    tolerance = TOLERANCE_SHARE * (abs(change) if change else abs(base))
    gap = round(direction * (value - expected), 9)  # a value on the line is on it, whatever the float arithmetic
    status = GREEN if gap >= 0 else AMBER if gap >= -tolerance else RED
    return Status(status, expected, base, goal)
