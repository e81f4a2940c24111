"""The last checks before a figure is shown: a table (``assert_protected``) and a count in a sentence
(``safe_count_text``)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from suna.core.errors import DisclosureError
from suna.disclosure.rules import SUPPRESSED, VALUE_COLUMNS, rule
from suna.disclosure.tables import _numeric


def assert_protected(
    frame: pd.DataFrame,
    rule_name: str | None = None,
    *,
    count_cols: Sequence[str] = ("count",),
    rule_col: str = "disclosure_rule",
) -> pd.DataFrame:
    """Last check before a frame is shown: no count the rules suppress, no value beside a hidden count.

    Returns the frame unchanged so it chains with ``.pipe``. The rule is ``rule_name`` for every row,
    or each row's ``rule_col``.

    Raises:
        DisclosureError: naming the column and rows (never the values) that would disclose.
    """
    if rule_name is None and rule_col not in frame.columns:
        raise DisclosureError(
            f"Cannot check disclosure: no rule given and no {rule_col!r} column in the table."
        )
    names = np.full(len(frame), rule_name, dtype=object) if rule_name is not None else frame[rule_col].to_numpy()
    rules = {nm: rule(nm) for nm in pd.unique(names)}
    for col in count_cols:
        values = _numeric(frame, col, "table about to be shown")
        bad = np.zeros(len(frame), dtype=bool)
        for nm, r in rules.items():
            m = names == nm
            v = values[m]
            wrong = r.is_primary(v)
            if r.round_to > 1:
                with np.errstate(invalid="ignore"):
                    wrong = wrong | (~np.isnan(v) & (np.abs(v / r.round_to - np.round(v / r.round_to)) > 1e-9))
            bad[m] = wrong
        if bad.any():
            rows = ", ".join(str(x) for x in frame.index[bad][:10])
            labels = ", ".join(sorted(r.label for r in rules.values()))
            raise DisclosureError(
                f"{int(bad.sum())} row(s) would show a count that the {labels} rule suppresses or rounds "
                f"(column {col!r}, rows {rows}). Pass the table through suna.disclosure.protect_table or "
                "protect_indicators before showing it."
            )
        display = f"{col}_display"
        if display in frame.columns:
            hidden = (frame[display] == SUPPRESSED).to_numpy()
            for vc in VALUE_COLUMNS:
                if vc in frame.columns:
                    leak = hidden & frame[vc].notna().to_numpy()
                    if leak.any():
                        rows = ", ".join(str(x) for x in frame.index[leak][:10])
                        raise DisclosureError(
                            f"Column {vc!r} shows a value where the {col} is suppressed (rows {rows}); "
                            "the value would reveal the count."
                        )
    return frame


def safe_count_text(count: float | int | None, rule_name: str) -> str:
    """A count as it may appear in a sentence: "a suppressed number", "about 25" (HES), "1,234".

    A small count reads the same as one hidden to protect it (never "fewer than 5"), for the
    reason the table notes do not tell them apart.
    """
    r = rule(rule_name)
    if count is None or (isinstance(count, float) and math.isnan(count)) or pd.isna(count):
        return "a suppressed number"
    value = float(count)
    if value < 0:
        raise DisclosureError(f"A count of {value:g} cannot be shown: counts are 0 or more.")
    if r.is_primary(np.array([value]))[0]:
        return "a suppressed number"
    if r.round_to > 1 and value > 0:
        return f"about {int(r.rounded(np.array([value]))[0]):,}"
    return f"{int(value):,}" if value.is_integer() else f"{value:,.1f}"
