"""The small-number rules of each source, what a protected table carries, and the footnote its record gives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from suna import indicators
from suna.core import reference
from suna.core.errors import DisclosureError

SUPPRESSED = "*"
VALUE_COLUMNS = (
    "value",
    "value_lower_ci95",
    "value_upper_ci95",
    "value_lower_ci998",
    "value_upper_ci998",
)
MEASURES = ("count", "crude_rate", "dsr", "proportion")
COMPARISON_COLUMNS = ("compared_to_england", "compared_to_region", "compared_to_england_998", "compared_to_region_998")
RECORD_COLUMNS = ["row", "cell", "column", "rule", "action", "threshold", "measure", "note"]

_RULE_ORDER = ("ndtms", "hes", "ons_deaths")
_LABELS = {"ndtms": "NDTMS", "hes": "HES", "ons_deaths": "ONS"}
_NOUNS = {"ndtms": "people", "hes": "admissions", "ons_deaths": "deaths"}
_TOTAL_CATEGORY = ""


@dataclass(frozen=True)
class Rule:
    """One source's small-number rule, as read from disclosure_rules.yaml."""

    name: str
    suppress_below: int
    suppress_zero: bool
    round_to: int

    @property
    def label(self) -> str:
        return _LABELS.get(self.name, self.name.upper())

    @property
    def noun(self) -> str:
        return _NOUNS.get(self.name, "events")

    def is_primary(self, values: np.ndarray) -> np.ndarray:
        """True where a count must be hidden by this rule (NaN is never primary)."""
        with np.errstate(invalid="ignore"):
            small = (values > 0) & (values < self.suppress_below)
            if self.suppress_zero:
                small = small | (values == 0)
        return small

    def rounded(self, values: np.ndarray) -> np.ndarray:
        """Counts rounded to the nearest ``round_to`` (halves go up, as in the HES guide's examples)."""
        if self.round_to <= 1:
            return values.astype(float)
        return np.floor(values.astype(float) / self.round_to + 0.5) * self.round_to


@dataclass(frozen=True)
class Protected:
    """A table after disclosure control, with the record of what was hidden and why.

    ``count_col``, ``rule``, ``dims`` and ``margins`` repeat how the table was declared to add up,
    so a check (or an attack test) can reason about it as a reader would. ``rule`` is None for
    the indicators table, whose rows carry their own ``disclosure_rule``.
    """

    table: pd.DataFrame
    record: pd.DataFrame
    count_col: str = "count"
    rule: str | None = None
    dims: tuple[str, ...] = ()
    margins: Mapping[str, Any] | None = None

    @property
    def footnote(self) -> str:
        return footnote(self.record)


def rule(name: str) -> Rule:
    """The named rule (``ndtms``, ``hes`` or ``ons_deaths``) from the reference file.

    Raises:
        DisclosureError: the name is not a rule in disclosure_rules.yaml.
    """
    rules = reference.disclosure_rules()
    known = [k for k in rules if k != "rates"]
    if name not in known:
        raise DisclosureError(
            f"Unknown disclosure rule {name!r}. Expected one of: {', '.join(known)} "
            "(data/reference/disclosure_rules.yaml)."
        )
    spec = rules[name]
    return Rule(
        name=name,
        suppress_below=int(spec["suppress_below"]),
        suppress_zero=bool(spec.get("suppress_zero", False)),
        round_to=int(spec.get("round_to", 1)),
    )


def _without_comparison_notes(note: Any) -> Any:
    """A note without the part that says why the (now hidden) value was not compared with England."""
    if not isinstance(note, str):
        return note
    kept = [part for part in note.split("; ") if part not in indicators.NOT_COMPARED_NOTES]
    return "; ".join(kept) or None


def _rate_thresholds() -> dict[str, int]:
    rates = reference.disclosure_rules()["rates"]
    return {k: int(v) for k, v in rates.items()}


def _range_text(upper: int) -> str:
    if upper <= 1:
        return "1"
    if upper == 2:
        return "1 or 2"
    return f"1 to {upper}"


def footnote(record: pd.DataFrame) -> str:
    """Plain-English footnote for a table from its disclosure record ("" when nothing was done)."""
    if record is None or len(record) == 0:
        return ""
    sentences: list[str] = []
    names = [n for n in _RULE_ORDER if n in set(record["rule"])] + sorted(set(record["rule"]) - set(_RULE_ORDER))
    denominators = False
    for name in names:
        r = rule(name)
        rec = record[record["rule"] == name]
        primary = int((rec["action"] == "primary").sum())
        secondary = int((rec["action"] == "secondary").sum())
        rounded = bool((rec["action"] == "rounded").any())
        hidden = rec["action"].isin(["primary", "secondary"])
        denominators = denominators or bool(((rec["column"] == "denominator") & hidden).any())
        if primary or secondary:
            # the same words whatever the mix, so the footnote does not say how many cells are small
            sentences.append(
                f"* Not shown to protect privacy: counts of {_range_text(r.suppress_below - 1)} {r.noun} ({r.label} rule), "
                "and other counts where needed so that none can be worked out from totals or other figures."
            )
        if r.round_to > 1 and (rounded or primary or secondary):
            lead = "Other counts" if (primary or secondary) else "Counts"
            sentences.append(
                f"{lead} are rounded to the nearest {r.round_to} ({r.label} rule), so figures may not add up to the totals shown."
            )
    if denominators:
        sentences.append("Proportions are not shown where their count or denominator is not shown.")
    for action in ("not_calculated", "unreliable"):
        rec = record[record["action"] == action]
        seen: list[str] = []
        for measure, threshold, name in rec[["measure", "threshold", "rule"]].drop_duplicates().itertuples(index=False):
            noun = rule(name).noun
            if action == "unreliable":
                text = f"Values based on fewer than {threshold} {noun} may be unreliable."
            elif measure == "proportion":
                text = f"Proportions are not calculated where the denominator is fewer than {threshold}."
            else:
                kind = "Directly standardised rates" if measure == "dsr" else "Crude rates"
                text = f"{kind} are not calculated from fewer than {threshold} {noun}."
            if text not in seen:
                seen.append(text)
        sentences.extend(seen)
    return " ".join(sentences)
