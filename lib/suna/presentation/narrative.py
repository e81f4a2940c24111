"""Plain-English findings for a board member, from the indicators table after disclosure control.

One sentence group per indicator: the value, how it compares with England and the region (the
Fingertips way: the area's 95% confidence interval against the comparator's value, in words that
carry the indicator's polarity), and the direction of the recent trend. Suppressed and not-compared
values are said so in words; counts are shown only as the disclosure engine displays them.
The comparison and trend words are also what the charts show, so text and colour always agree.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from suna import disclosure
from suna.core.errors import UnknownAreaError
from suna.model import formatting as fmt

log = logging.getLogger(__name__)

ENGLAND_CODE = "E92000001"  # same as suna.model.areas.ENGLAND_CODE (kept here so narrative imports nothing heavy)
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


def comparison_words(compared: Any, polarity: Any = None, value: Any = None,
                     comparator_value: Any = None) -> tuple[str, str | None] | None:
    """(direction, judgement) for a comparison cell, e.g. ("higher", "worse"), ("similar", None).

    direction is "higher", "lower", "similar", "not compared" or None (a Better/Worse cell of an
    indicator with no polarity, where the values do not say which way); judgement is "better",
    "worse" or None (no value judgement). A blank cell gives None.
    """
    outcome = comparison_outcome(compared, None)
    if outcome is None:
        return None
    if outcome in ("similar", "not compared"):
        return outcome, None
    pol = polarity_of(polarity)
    judged = pol in ("high_is_bad", "high_is_good")
    if outcome in ("higher", "lower"):
        if not judged:
            return outcome, None
        return outcome, "worse" if (outcome == "higher") == (pol == "high_is_bad") else "better"
    # "better" / "worse": the direction follows from the polarity, or from the values themselves.
    if judged:
        return ("higher" if (outcome == "worse") == (pol == "high_is_bad") else "lower"), outcome
    if not fmt.is_missing(value) and not fmt.is_missing(comparator_value) and float(value) != float(comparator_value):
        return ("higher" if float(value) > float(comparator_value) else "lower"), outcome
    return None, outcome


def _comparator_text(level: str | None, name: str, comparator: pd.Series | None) -> str:
    """ "England (15.0 per 100,000)" - the comparator named, with its value when it is published."""
    shown = ""
    if comparator is not None and not is_suppressed(comparator) and not fmt.is_missing(comparator.get("value")):
        shown = f" ({value_text(comparator)})"
    confidence = f" at {level} confidence" if level else ""
    return f"{in_sentence(name)}{shown}{confidence}"


def comparison_text(direction: str | None, judgement: str | None, comparators: str) -> str:
    """ "significantly higher than England (..), which is worse" / "similar to England (..)". """
    if direction == "similar":
        return f"similar to {comparators}"
    if direction is None:
        return f"significantly {judgement} than {comparators}"
    text = f"significantly {direction} than {comparators}"
    return f"{text}, which is {judgement}" if judgement else text


def _counts_text(row: pd.Series) -> str:
    """ "(52 out of 1,000)" for proportions, "(125 admissions)" for rates: counts only as the
    disclosure engine displays them (HES rounded to 5), and nothing when the count is suppressed."""
    measure = str(row.get("measure")).strip().lower()
    if measure not in ("proportion", "crude_rate", "dsr"):
        return ""
    count = fmt.format_count(row.get("count"), row.get("count_display"))
    if count in (fmt.SUPPRESSED, fmt.NOT_AVAILABLE):
        return ""
    if measure == "proportion":
        denominator = fmt.format_count(row.get("denominator"), row.get("denominator_display"))
        if denominator in (fmt.SUPPRESSED, fmt.NOT_AVAILABLE):
            return ""
        return f" ({count} out of {denominator})"

    rule_name = row.get("disclosure_rule")
    noun = disclosure.rule(str(rule_name)).noun if not fmt.is_missing(rule_name) else "events"
    return f" ({count} {noun})"


def _head(row: pd.Series, area: str, several: bool) -> str:
    """ "Drug misuse deaths in Essex in 2021 to 2023 (3 years combined)" - what the sentence is about."""
    name = f"{row['indicator_name']}{_breakdown_suffix(row, several)}"
    return f"{name} in {area} in {fmt.period_phrase(row['period'])}"


def finding(indicators: pd.DataFrame, row: pd.Series, *, several: bool = False) -> str:
    """The sentences for one indicator row of one area.

    A suppressed value is said to be suppressed, with no per-cell reason (saying which cells were
    hidden for being small and which to protect another would narrow them down).
    """
    area = _name_of(indicators, str(row["area_code"]), str(row["area_code"]))
    head = _head(row, area, several)
    if is_suppressed(row):
        return (f"{head}: suppressed, because the numbers are too small to publish without a risk of "
                f"identifying people.")
    if fmt.is_missing(row.get("value")):
        note = row.get("value_note")
        reason = "" if fmt.is_missing(note) else str(note).strip().rstrip(".")
        reason = f" ({reason[:1].lower()}{reason[1:]})" if reason else ""
        return f"{head}: not available{reason}."

    polarity = row.get("polarity")
    clauses: list[tuple[str | None, str | None, str | None, str]] = []  # direction, judgement, level, comparator
    not_compared: list[str] = []
    region_code = _region_code(indicators, str(row["area_code"]))
    for column, code, comparator_name in (
        ("compared_to_england", ENGLAND_CODE, "England"),
        ("compared_to_region", region_code, _name_of(indicators, region_code, "the region")),
    ):
        if str(row["area_code"]) == code:
            continue
        comparator = _matching(indicators, row, code)
        words = comparison_words(row.get(column), polarity, row.get("value"),
                                 None if comparator is None else comparator.get("value"))
        if words is None:
            continue
        direction, judgement = words
        if direction == "not compared":
            not_compared.append(comparator_name)
            continue
        level = comparison_level(row.get(column))
        clauses.append((direction, judgement, level, _comparator_text(level, comparator_name, comparator)))

    sentence = f"{head}: {value_text(row)}{_counts_text(row)}"
    if len(clauses) == 2 and clauses[0][:3] == clauses[1][:3]:
        # The same verdict against both: "significantly higher than both England (..) and the region (..)".
        direction, judgement, _, first = clauses[0]
        sentence += ", " + comparison_text(direction, judgement, f"both {first} and {clauses[1][3]}")
    elif clauses:
        sentence += ", " + ", and ".join(comparison_text(d, j, text) for d, j, _, text in clauses)
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
                out.append(f"{name} in {area_name} in {fmt.period_phrase(period)}: not available.")
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
