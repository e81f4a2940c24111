"""Plain-English findings for a board member, from the indicators table after disclosure control.

One sentence group per indicator: the value, how it compares with England and the region (the
Fingertips way: the area's 95% confidence interval against the comparator's value, in words that
carry the indicator's polarity), and the direction of the recent trend. Suppressed and not-compared
values are said so in words; counts are shown only as the disclosure engine displays them.
The comparison and trend words are also what the charts show, so text and colour always agree.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pandas as pd

from suna import formatting as fmt

log = logging.getLogger(__name__)

ENGLAND_CODE = "E92000001"  # same as suna.areas.ENGLAND_CODE (kept here so narrative imports nothing heavy)
REGION_PREFIX = "E12"       # ONS GSS prefix of the nine English regions

OUTCOMES = ("better", "similar", "worse", "lower", "higher", "not compared")
POLARITIES = ("high_is_bad", "high_is_good", "no_judgement")

# Fingertips spells polarity several ways (API names, CSV words); SUNA's catalogue uses the first form.
_POLARITY_ALIASES = {
    "high_is_bad": "high_is_bad", "rag - low is good": "high_is_bad", "low is good": "high_is_bad",
    "lowisgood": "high_is_bad",
    "high_is_good": "high_is_good", "rag - high is good": "high_is_good", "high is good": "high_is_good",
    "highisgood": "high_is_good",
    "no_judgement": "no_judgement", "bob - blue orange blue": "no_judgement", "blue orange blue": "no_judgement",
    "not applicable": "no_judgement", "no judgement": "no_judgement",
}


def polarity_of(polarity: Any) -> str | None:
    """SUNA's polarity word (high_is_bad / high_is_good / no_judgement), or None when not given."""
    if fmt.is_missing(polarity):
        return None
    key = str(polarity).strip().lower()
    if key not in _POLARITY_ALIASES:
        log.warning("Unknown polarity %r; treated as no value judgement", polarity)
        return "no_judgement"
    return _POLARITY_ALIASES[key]


def comparison_outcome(compared: Any, polarity: Any = None) -> str | None:
    """One of OUTCOMES from a Fingertips "Compared to ..." cell, made consistent with the polarity.

    "Better", "Better 95%", "Worse 99.8%", "Similar", "Higher", "Lower", "Not compared" are read
    (case forgiven). "Higher"/"Lower" become "worse"/"better" (or the reverse) when the indicator
    has a polarity. A blank cell gives None: no comparison applies (e.g. England itself).
    """
    if fmt.is_missing(compared):
        return None
    text = str(compared).strip().lower()
    outcome: str | None = None
    for word, value in (("better", "better"), ("worse", "worse"), ("similar", "similar"), ("same", "similar"),
                        ("higher", "higher"), ("lower", "lower"), ("not compared", "not compared")):
        if text.startswith(word):
            outcome = value
            break
    if outcome is None:
        log.warning("Comparison %r is not one SUNA reads (Better/Similar/Worse/Higher/Lower/Not compared); "
                    "shown as not compared", compared)
        return "not compared"
    pol = polarity_of(polarity)
    if outcome in ("higher", "lower") and pol in ("high_is_bad", "high_is_good"):
        high_is_bad = pol == "high_is_bad"
        return "worse" if (outcome == "higher") == high_is_bad else "better"
    return outcome


def comparison_level(compared: Any) -> str | None:
    """The confidence level written in a comparison cell ("Worse 99.8%" -> "99.8%"), else None (95%)."""
    if fmt.is_missing(compared):
        return None
    text = str(compared)
    return "99.8%" if "99.8" in text else None


def trend_phrase(recent_trend: Any, polarity: Any = None) -> str | None:
    """The recent trend in words with the polarity: "increasing and getting worse", "no significant change".

    Fingertips tests the last 5 points at 99.8%; "Cannot be calculated" or a blank gives None.
    """
    if fmt.is_missing(recent_trend):
        return None
    text = str(recent_trend).strip().lower()
    if "no significant change" in text:
        return "no significant change"
    if text.startswith("increas"):
        direction = "increasing"
    elif text.startswith("decreas"):
        direction = "decreasing"
    else:
        return None
    pol = polarity_of(polarity)
    if pol in ("high_is_bad", "high_is_good"):
        worse = (direction == "increasing") == (pol == "high_is_bad")
        return f"{direction} and getting {'worse' if worse else 'better'}"
    return direction


def is_suppressed(row: pd.Series | dict[str, Any]) -> bool:
    """Whether disclosure control removed this row's value (as opposed to it being simply missing)."""
    get = row.get
    flag = get("is_suppressed")
    if not fmt.is_missing(flag) and bool(flag):
        return True
    if str(get("count_display") or "").strip() == fmt.SUPPRESSED_MARK:
        return True
    note = get("value_note")
    if fmt.is_missing(get("value")) and not fmt.is_missing(note):
        lowered = str(note).lower()
        return any(word in lowered for word in ("suppress", "small", "disclos", "confidential"))
    return False


def value_text(row: pd.Series | dict[str, Any]) -> str:
    """The row's value for display: formatted by measure, "suppressed" or "not available".

    For counts the disclosure engine's ``count_display`` (e.g. HES counts rounded to 5) wins.
    """
    if is_suppressed(row):
        return fmt.SUPPRESSED
    measure = row.get("measure")
    if str(measure).strip().lower() == "count" and not fmt.is_missing(row.get("count_display")):
        return fmt.format_count(row.get("value"), row.get("count_display"))
    per = row.get("per")
    return fmt.format_value(row.get("value"), measure, per=100_000 if fmt.is_missing(per) else per)


def headline_rows(indicators: pd.DataFrame) -> pd.DataFrame:
    """The rows that headline each indicator: no category breakdown, and persons where sexes are split."""
    frame = indicators
    if "category_type" in frame.columns:
        no_category = frame["category_type"].map(fmt.is_missing)
        if no_category.any():
            frame = frame[no_category]
    if "sex" in frame.columns:
        keep = []
        for _, group in frame.groupby("indicator_id", sort=False):
            persons = group[group["sex"].astype("string").str.lower() == "persons"]
            keep.append(persons if len(persons) else group)
        frame = pd.concat(keep) if keep else frame
    return frame


def _latest(rows: pd.DataFrame) -> pd.DataFrame:
    """The latest period's rows, by ``period_sortable`` where given, else the period text."""
    key = "period_sortable" if "period_sortable" in rows.columns and rows["period_sortable"].notna().any() else "period"
    latest = rows[key].max()
    return rows[rows[key] == latest]


def _region_code(indicators: pd.DataFrame, area_code: str) -> str | None:
    """The region above an area, following parent codes (district -> county -> region)."""
    code: Any = area_code
    if "parent_code" in indicators.columns:
        parents = indicators.dropna(subset=["parent_code"]).drop_duplicates("area_code").set_index("area_code")["parent_code"]
        for _ in range(3):
            if str(code).startswith(REGION_PREFIX):
                return str(code)
            if code not in parents.index:
                break
            code = parents.loc[code]
        if str(code).startswith(REGION_PREFIX):
            return str(code)
    regions = sorted({c for c in indicators["area_code"].astype(str) if c.startswith(REGION_PREFIX)})
    return regions[0] if len(regions) == 1 else None


def _name_of(indicators: pd.DataFrame, code: str | None, default: str) -> str:
    if code == ENGLAND_CODE:
        return "England"
    if code is None or "area_name" not in indicators.columns:
        return default
    names = indicators.loc[indicators["area_code"] == code, "area_name"].dropna()
    return str(names.iloc[0]) if len(names) else default


def _breakdown_suffix(row: pd.Series, several: bool) -> str:
    if not several:
        return ""
    parts = []
    sex = row.get("sex")
    if not fmt.is_missing(sex) and str(sex).lower() != "persons":
        parts.append({"male": "males", "female": "females"}.get(str(sex).lower(), str(sex)))
    age = row.get("age")
    if not fmt.is_missing(age) and str(age).lower() != "all ages":
        parts.append(f"aged {age}")
    return f" ({' '.join(parts)})" if parts else ""


def _matching(frame: pd.DataFrame, row: pd.Series, code: str | None) -> pd.Series | None:
    """The comparator's row for the same indicator, period, sex and age."""
    if code is None:
        return None
    mask = (frame["area_code"] == code) & (frame["indicator_id"] == row["indicator_id"]) & (frame["period"] == row["period"])
    for column in ("sex", "age"):
        if column in frame.columns:
            mask &= frame[column].astype("string").fillna("") == ("" if fmt.is_missing(row.get(column)) else str(row.get(column)))
    hits = frame[mask]
    return hits.iloc[0] if len(hits) else None


def in_sentence(name: str) -> str:
    """An area name as it reads mid-sentence: "the North West", "the East of England", but "London"."""
    first = name.split(" ")[0]
    return f"the {name}" if first in ("North", "South", "East", "West") else name


def _comparator_text(level: str | None, name: str, comparator: pd.Series | None) -> str:
    """ "England (15.0 per 100,000)" - the comparator named, with its value when it is published."""
    shown = ""
    if comparator is not None and not is_suppressed(comparator) and not fmt.is_missing(comparator.get("value")):
        shown = f" ({value_text(comparator)})"
    confidence = f" at {level} confidence" if level else ""
    return f"{in_sentence(name)}{shown}{confidence}"


def _comparison_clause_text(outcome: str, comparator_text: str) -> str:
    if outcome == "similar":
        return f"similar to {comparator_text}"
    return f"significantly {outcome} than {comparator_text}"


def _counts_text(row: pd.Series) -> str:
    """"(52 out of 1,000)" for proportions, when the disclosure engine shows the numerator."""
    if str(row.get("measure")).strip().lower() != "proportion":
        return ""
    if "count_display" in row.index:
        count = fmt.format_count(row.get("count"), row.get("count_display"))
    else:
        count = fmt.format_count(row.get("count"))
    denominator = row.get("denominator")
    if count in (fmt.SUPPRESSED, fmt.NOT_AVAILABLE) or fmt.is_missing(denominator):
        return ""
    return f" ({count} out of {fmt.format_number(denominator)})"


def finding(indicators: pd.DataFrame, row: pd.Series, *, several: bool = False) -> str:
    """The sentences for one indicator row of one area."""
    area = _name_of(indicators, str(row["area_code"]), str(row["area_code"]))
    name = f"{row['indicator_name']}{_breakdown_suffix(row, several)}"
    period = fmt.format_period(row["period"])
    if is_suppressed(row):
        note = "" if fmt.is_missing(row.get("value_note")) else str(row.get("value_note"))
        note = re.sub(r"^\s*suppressed\s*[:;,.\-–]?\s*", "", note, flags=re.IGNORECASE).strip().rstrip(".")
        reason = f" ({note})" if note else ""
        return (f"{name} in {area} for {period} is suppressed because the numbers are too small to publish "
                f"without risk of identifying people{reason}.")
    if fmt.is_missing(row.get("value")):
        note = row.get("value_note")
        reason = "" if fmt.is_missing(note) else f" ({str(note).strip().rstrip('.')})"
        return f"{name} is not available for {area} in {period}{reason}."

    polarity = row.get("polarity")
    clauses: list[tuple[str, str]] = []
    not_compared: list[str] = []
    region_code = _region_code(indicators, str(row["area_code"]))
    comparators = [("compared_to_england", ENGLAND_CODE, "England")]
    comparators.append(("compared_to_region", region_code, _name_of(indicators, region_code, "the region")))
    for column, code, comparator_name in comparators:
        if str(row["area_code"]) == code:
            continue
        outcome = comparison_outcome(row.get(column), polarity)
        if outcome is None:
            continue
        if outcome == "not compared":
            not_compared.append(comparator_name)
            continue
        clauses.append((outcome, _comparator_text(comparison_level(row.get(column)), comparator_name,
                                                  _matching(indicators, row, code))))

    sentence = f"{name} in {area} was {value_text(row)} in {period}{_counts_text(row)}"
    if len(clauses) == 2 and clauses[0][0] == clauses[1][0]:
        # Same verdict against both comparators: "significantly worse than both England (..) and the region (..)".
        (outcome, first), (_, second) = clauses
        lead = "similar to" if outcome == "similar" else f"significantly {outcome} than"
        sentence += f", {lead} both {first} and {second}"
    elif clauses:
        sentence += ", " + " and ".join(_comparison_clause_text(o, text) for o, text in clauses)
    sentences = [sentence + "."]
    if not_compared:
        sentences.append(f"It was not compared with {' or '.join(in_sentence(n) for n in not_compared)}.")
    trend = trend_phrase(row.get("recent_trend"), polarity)
    if trend == "no significant change":
        sentences.append("There has been no significant change in the recent trend.")
    elif trend:
        sentences.append(f"The recent trend is {trend}.")
    return " ".join(sentences)


def findings(indicators: pd.DataFrame, area_code: str, period: str | None = None) -> list[str]:
    """Plain-English findings for one area (upper tier or district), one item per indicator.

    Args:
        indicators: the indicators table after disclosure control (suppressed values NaN).
        area_code: the area (or district) the findings are about.
        period: the period to report; None takes each indicator's latest period for the area.

    Raises:
        UnknownAreaError: the area has no rows in the table.
    """
    from suna.errors import UnknownAreaError

    area_rows = indicators[indicators["area_code"] == area_code]
    if area_rows.empty:
        known = sorted(indicators["area_code"].dropna().astype(str).unique())
        raise UnknownAreaError(area_code, known, kind="area code in the indicators table")
    area_name = _name_of(indicators, area_code, area_code)
    out: list[str] = []
    headline = headline_rows(area_rows)
    for indicator_id, rows in headline.groupby("indicator_id", sort=False):
        if period is not None:
            chosen = rows[rows["period"].astype(str) == str(period)]
            if chosen.empty:
                name = rows["indicator_name"].iloc[0]
                out.append(f"{name} is not available for {area_name} in {fmt.format_period(period)}.")
                continue
        else:
            chosen = _latest(rows)
        several = len(chosen) > 1
        for _, row in chosen.iterrows():
            out.append(finding(indicators, row, several=several))
    log.debug("%d findings for %s", len(out), area_code)
    return out


def findings_markdown(indicators: pd.DataFrame, area_code: str, period: str | None = None) -> str:
    """The findings as a Markdown bulleted list (for notebooks, reports and the app)."""
    return "\n".join(f"- {line}" for line in findings(indicators, area_code, period))
