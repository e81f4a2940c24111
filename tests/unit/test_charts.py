"""suna.presentation.charts: every chart on a small table protected by suna.disclosure.

Assertions are on ``chart.to_dict()`` (encodings, the data each mark draws, titles) and on an offline
SVG render with vl-convert. A few charts are also written as PNG to tests/artefacts/ (git-ignored) for
a person to look at.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from suna import disclosure
from suna.core.errors import DisclosureError, SunaError
from suna.indicators import stats
from suna.model import areas
from suna.presentation import charts

vlc = pytest.importorskip("vl_convert")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "presentation"
ARTEFACTS = Path(__file__).resolve().parents[1] / "artefacts"
COUNTY, ENGLAND, REGION = "E10000034", "E92000001", "E12000005"
NDTMS = charts.ChartOptions(rule="ndtms")  # record-level counts, checked by the treatment rule


# ----------------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "indicators.csv", dtype={"period": str})


@pytest.fixture(scope="module")
def protected(raw: pd.DataFrame) -> pd.DataFrame:
    return disclosure.protect_indicators(raw).table


@pytest.fixture(scope="module")
def area() -> areas.Area:
    return areas.load_area("worcestershire")


def referral_shares() -> tuple[pd.DataFrame, str]:
    """Referral sources by substance group for the area (protected with the group total as margin) and England."""
    rows = []
    for group, counts in {"Opiate": {"Self": 120, "Criminal justice": 45, "GP": 3, "Other": 30},
                          "Alcohol only": {"Self": 210, "Criminal justice": 12, "GP": 60, "Other": 4}}.items():
        rows += [{"substance_group": group, "referral_source": source, "count": n} for source, n in counts.items()]
        rows.append({"substance_group": group, "referral_source": "All sources", "count": sum(counts.values())})
    result = disclosure.protect_table(pd.DataFrame(rows), "count", "ndtms", dims=["substance_group", "referral_source"],
                                      margins={"referral_source": "All sources"})
    table = result.table
    totals = table[table["referral_source"] == "All sources"].set_index("substance_group")["count"]
    local = table[table["referral_source"] != "All sources"]
    local = local.assign(share_pct=100 * local["count"] / local["substance_group"].map(totals), area_name="Worcestershire",
                         period="2023/24")
    england = pd.DataFrame({"substance_group": ["Opiate"] * 4 + ["Alcohol only"] * 4,
                            "referral_source": ["Self", "Criminal justice", "GP", "Other"] * 2,
                            "count": [60000, 20000, 5000, 15000, 40000, 5000, 9000, 6000]})
    england = disclosure.protect_table(england, "count", "ndtms", dims=["substance_group", "referral_source"]).table
    england = england.assign(share_pct=100 * england["count"] / england.groupby("substance_group")["count"].transform("sum"),
                             area_name="England", period="2023/24")
    return pd.concat([local, england], ignore_index=True), result.footnote


def treatment_by_age_sex() -> pd.DataFrame:
    """People in treatment by age band and sex: 2 men aged 18-24 and 3 women aged 65+ are suppressed."""
    men = [2, 20, 26, 33, 40, 33, 26, 20, 13, 6]
    women = [6, 9, 12, 15, 18, 15, 12, 9, 6, 3]
    bands = ["18-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50-54", "55-59", "60-64", "65+"]
    frame = pd.DataFrame([{"age_band": b, "sex": s, "count": n} for b, m, w in zip(bands, men, women)
                          for s, n in (("Male", m), ("Female", w))])
    return disclosure.protect_table(frame, "count", "ndtms", dims=["age_band", "sex"]).table


def referral_flows() -> pd.DataFrame:
    """Referral source -> substance group -> exit reason; two flows of 3 and 2 people are suppressed."""
    links = pd.DataFrame([
        ("Referral to substance", "Self", "Opiate", 120), ("Referral to substance", "Self", "Alcohol only", 210),
        ("Referral to substance", "Criminal justice", "Opiate", 45), ("Referral to substance", "Criminal justice", "Alcohol only", 3),
        ("Referral to substance", "GP", "Opiate", 20), ("Referral to substance", "GP", "Alcohol only", 60),
        ("Substance to exit", "Opiate", "Successful completion", 40), ("Substance to exit", "Opiate", "Dropped out", 70),
        ("Substance to exit", "Opiate", "Transferred", 2), ("Substance to exit", "Alcohol only", "Successful completion", 150),
        ("Substance to exit", "Alcohol only", "Dropped out", 60), ("Substance to exit", "Alcohol only", "Transferred", 12)],
        columns=["step", "source", "target", "count"])
    return disclosure.protect_table(links, "count", "ndtms", dims=["step", "source", "target"]).table


def cascade() -> pd.DataFrame:
    frame = pd.DataFrame({"stage": ["Estimated need", "In treatment", "Successful completion"], "count": [2400, 1668, 310],
                          "value_lower_ci95": [2100.0, None, None], "value_upper_ci95": [2800.0, None, None],
                          "share_pct": [None, 69.5, 18.6], "is_estimate": [True, False, False]})
    return disclosure.protect_table(frame, "count", "ndtms", dims=["stage"], value_cols=[]).table


# ----------------------------------------------------------------------------------------------
# Reading a spec
# ----------------------------------------------------------------------------------------------
def units(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Every single-mark view in a (layered, concatenated or faceted) spec."""
    found = []
    if "mark" in spec:
        found.append(spec)
    for key in ("layer", "hconcat", "vconcat", "concat"):
        for child in spec.get(key, []):
            found += units(child)
    if "spec" in spec:
        found += units(spec["spec"])
    return found


def records(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Every row of every dataset the spec carries."""
    return [row for rows in spec.get("datasets", {}).values() for row in rows]


def unit_rows(spec: dict[str, Any], unit: dict[str, Any]) -> list[dict[str, Any]]:
    name = unit.get("data", {}).get("name")
    return spec["datasets"][name] if name else []


def render_svg(chart: Any) -> str:
    svg = vlc.vegalite_to_svg(chart.to_dict())
    assert svg.lstrip().startswith("<svg")
    return svg


def save_png(chart: Any, name: str) -> None:
    ARTEFACTS.mkdir(exist_ok=True)
    (ARTEFACTS / f"{name}.png").write_bytes(vlc.vegalite_to_png(chart.to_dict(), scale=1.5))


def check_common(chart: Any, title: str) -> dict[str, Any]:
    """What every chart owes its reader: a title, a caption (source, then period) printed under it rather
    than inside it, a one-sentence description after the title, a tooltip on every mark."""
    spec = chart.to_dict()
    assert spec["title"]["text"] == title
    assert "subtitle" not in spec["title"]  # sources and notes inside the chart widened it (issue 15)
    lines = charts.caption(spec)
    assert lines[0].startswith("Source: ") and lines[1].startswith("Period: ")
    assert all(len(line.splitlines()) == 1 for line in lines)
    sentence = spec["description"].removeprefix(title + ". ")
    assert spec["description"].startswith(title + ". ") and sentence.endswith(".") and len(sentence) > 20
    for unit in units(spec):
        assert "tooltip" in unit.get("encoding", {}), f"no tooltip on a {unit['mark']} mark"
    svg = render_svg(chart)
    assert title.split(":")[0] in svg
    return spec


def hidden_rows(raw: pd.DataFrame, protected: pd.DataFrame, indicator_id: str) -> pd.DataFrame:
    """The raw rows whose count the disclosure engine hid."""
    mask = (protected["indicator_id"] == indicator_id) & (protected["count_display"] == "*")
    return raw[mask.to_numpy()]


def assert_nothing_hidden_drawn(spec: dict[str, Any], hidden: pd.DataFrame, listed: bool = True) -> None:
    """No dataset row about a hidden cell carries its count, value, CI or comparison; it says "suppressed".

    ``listed``: the hidden areas must still appear (labelled), as they do everywhere but the funnel.
    """
    names = set(hidden["area_name"])
    indicator_id, indicator_name = hidden["indicator_id"].iloc[0], hidden["indicator_name"].iloc[0]
    secrets = set(hidden["count"].dropna()) | set(hidden["value"].dropna())
    seen = 0
    for row in records(spec):
        about = row.get("indicator_id") == indicator_id or str(row.get("indicator", "")).startswith(indicator_name)
        if row.get("area_label") not in names or not about:
            continue
        seen += 1
        for key in ("value", "value_lower_ci95", "value_upper_ci95", "count", "count_display"):
            assert row.get(key) in (None, "*") or (isinstance(row.get(key), float) and math.isnan(row[key])), (key, row)
        assert not secrets & {v for v in row.values() if isinstance(v, (int, float))}, row
        assert row.get("compared_to_england") is None and row.get("compared_to_region") is None, row
        assert row["value_label"] == "suppressed"
    assert seen or not listed, "the hidden areas should still be listed (labelled suppressed)"


# ----------------------------------------------------------------------------------------------
# The disclosure gate
# ----------------------------------------------------------------------------------------------
INDICATOR_CHARTS = {
    "trend": lambda t, a: charts.trend_chart(t, "drug_misuse_deaths", COUNTY, [ENGLAND, REGION], area=a),
    "compare": lambda t, a: charts.compare_areas_chart(t, "drug_misuse_deaths", area=a),
    "spine": lambda t, a: charts.spine_chart(t, COUNTY, area=a),
    "rug": lambda t, a: charts.overview_rug(t, [REGION, COUNTY, *a.district_codes], area=a),
    "funnel": lambda t, a: charts.funnel_chart(t[t["parent_code"] == COUNTY], pd.DataFrame(
        {"denominator": [50.0, 500.0], "lower_limit_95": [0.0, 1.0], "upper_limit_95": [9.0, 6.0]})),
}


@pytest.mark.parametrize("name", sorted(INDICATOR_CHARTS))
def test_indicator_charts_refuse_a_table_that_was_not_protected(name: str, raw: pd.DataFrame, area: areas.Area) -> None:
    with pytest.raises(DisclosureError, match="disclosure control"):
        INDICATOR_CHARTS[name](raw, area)


@pytest.mark.parametrize("name", sorted(INDICATOR_CHARTS))
def test_indicator_charts_refuse_a_protected_table_with_a_small_count_put_back(
        name: str, raw: pd.DataFrame, protected: pd.DataFrame, area: areas.Area) -> None:
    tampered = protected.copy()
    hidden = tampered["count_display"] == "*"
    tampered.loc[hidden, "count"] = raw.loc[hidden.to_numpy(), "count"].to_numpy()
    with pytest.raises(DisclosureError, match="suppresses"):
        INDICATOR_CHARTS[name](tampered, area)


def test_record_level_charts_refuse_unprotected_counts() -> None:
    shares, _ = referral_shares()
    with pytest.raises(DisclosureError, match="has not been through disclosure control"):
        charts.share_chart(shares.drop(columns="count_display"), "referral_source", options=NDTMS)
    pyramid = treatment_by_age_sex()
    with pytest.raises(DisclosureError, match="no rule given"):
        charts.population_pyramid(pyramid, value="count")  # protect_table output names no rule: say which
    raw_flows = referral_flows().assign(count=lambda d: d["count"].fillna(2.0))
    with pytest.raises(DisclosureError, match="NDTMS rule suppresses"):
        charts.flow_chart(raw_flows, options=NDTMS)
    with pytest.raises(DisclosureError, match="no count column"):
        charts.share_chart(shares.drop(columns=["count", "count_display"]), "referral_source", options=NDTMS)


# ----------------------------------------------------------------------------------------------
# Trend
# ----------------------------------------------------------------------------------------------
def test_trend_chart_draws_the_area_with_cis_against_england_and_region(protected: pd.DataFrame, area: areas.Area) -> None:
    chart = charts.trend_chart(protected, "drug_misuse_deaths", COUNTY, [ENGLAND, REGION], area=area)
    spec = check_common(chart, "Deaths from drug misuse: Worcestershire")
    assert charts.caption(spec)[:2] == ["Source: SUNA calculations.", "Period: 4 periods, 2018 to 2020 up to 2021 to 2023."]
    lines, errors, points = units(spec)[:3]
    assert lines["mark"]["type"] == "line"
    assert lines["encoding"]["x"]["sort"] == ["2018 to 2020", "2019 to 2021", "2020 to 2022", "2021 to 2023"]
    assert lines["encoding"]["y"]["title"] == "Rate per 100,000 (age-standardised)"
    assert lines["encoding"]["color"]["scale"]["domain"] == ["Worcestershire", "England", "West Midlands"]
    assert lines["encoding"]["strokeDash"]["scale"]["domain"] == ["Worcestershire", "England", "West Midlands"]
    assert len(unit_rows(spec, lines)) == 12  # 3 areas x 4 periods
    assert errors["encoding"]["y"]["field"] == "value_lower_ci95" and errors["encoding"]["y2"]["field"] == "value_upper_ci95"
    assert [r["area_code"] for r in unit_rows(spec, errors)] == [COUNTY] * 4
    fill = points["encoding"]["fill"]
    assert fill["scale"]["domain"] == ["Better", "Similar"]
    assert fill["scale"]["range"] == [charts.PALETTES["accessible"]["Better"], charts.PALETTES["accessible"]["Similar"]]
    by_period = {r["period_label"]: r["outcome"] for r in unit_rows(spec, points)}
    assert by_period == {"2018 to 2020": "Better", "2019 to 2021": "Better", "2020 to 2022": "Similar", "2021 to 2023": "Similar"}
    tooltip_titles = [t["title"] for t in points["encoding"]["tooltip"]]
    assert tooltip_titles == ["Area", "Period", "Value", "Confidence interval", "Count", "Compared with England"]
    latest = next(r for r in unit_rows(spec, points) if r["period_label"] == "2021 to 2023")
    assert latest["value_label"] == "5.1 per 100,000"
    assert latest["ci_label"] == "95% CI 4.1 to 6.3"  # the fixture's 4.07 and 6.31, to 1 decimal place


def test_trend_chart_marks_a_suppressed_period_with_the_word(protected: pd.DataFrame, area: areas.Area) -> None:
    # Malvern Hills has one period, suppressed: the chart keeps it and writes "suppressed" where the point would be.
    chart = charts.trend_chart(protected, "drug_misuse_deaths", "E07000235", [ENGLAND], area=area)
    spec = check_common(chart, "Deaths from drug misuse: Malvern Hills")
    notes = [u for u in units(spec) if u["mark"]["type"] == "text"]
    assert len(notes) == 1 and notes[0]["encoding"]["text"]["field"] == "value_label"
    assert [r["value_label"] for r in unit_rows(spec, notes[0])] == ["suppressed"]
    assert "Not shown to protect privacy (small numbers): Malvern Hills." in charts.caption(spec)
    assert "suppressed" in render_svg(chart)


def test_trend_chart_names_an_unknown_area(protected: pd.DataFrame) -> None:
    with pytest.raises(SunaError, match="E07999999"):
        charts.trend_chart(protected, "drug_misuse_deaths", "E07999999")


# ----------------------------------------------------------------------------------------------
# Compare areas (bar against England)
# ----------------------------------------------------------------------------------------------
def test_compare_areas_chart_colours_districts_by_significance(raw: pd.DataFrame, protected: pd.DataFrame,
                                                                area: areas.Area) -> None:
    chart = charts.compare_areas_chart(protected, "drug_misuse_deaths", area=area)
    spec = check_common(chart, "Deaths from drug misuse, 2021 to 2023")
    bars = units(spec)[0]
    assert bars["mark"]["type"] == "bar"
    assert bars["encoding"]["y"]["sort"] == ["Redditch", "Wyre Forest", "Worcester", "Bromsgrove", "Malvern Hills", "Wychavon"]
    drawn = {r["area_label"]: r["outcome"] for r in unit_rows(spec, bars)}
    assert drawn == {"Redditch": "Worse", "Wyre Forest": "Similar", "Worcester": "Similar"}
    colours = dict(zip(bars["encoding"]["fill"]["scale"]["domain"], bars["encoding"]["fill"]["scale"]["range"]))
    assert colours == {"Similar": "#FFD966", "Worse": "#B2182B"}
    notes = next(u for u in units(spec) if u["mark"]["type"] == "text" and u["encoding"]["text"]["field"] == "value_label")
    assert {r["area_label"]: r["value_label"] for r in unit_rows(spec, notes)} == {
        "Bromsgrove": "not available", "Malvern Hills": "suppressed", "Wychavon": "suppressed"}
    benchmark = next(u for u in units(spec) if u["mark"]["type"] == "rule")
    assert [r["value"] for r in unit_rows(spec, benchmark)] == [5.5]
    subtitle = " ".join(charts.caption(spec))
    assert "Not shown to protect privacy (small numbers): Malvern Hills, Wychavon." in subtitle
    assert "Not available: Bromsgrove (Rate not calculated: fewer than 10 deaths)." in subtitle
    assert "fewer than 3" not in subtitle  # no per-cell reason that would tell primary from secondary cells
    assert_nothing_hidden_drawn(spec, hidden_rows(raw, protected, "drug_misuse_deaths"))


def test_compare_areas_chart_shows_hes_counts_only_rounded(raw: pd.DataFrame, protected: pd.DataFrame,
                                                            area: areas.Area) -> None:
    chart = charts.compare_areas_chart(protected, "alcohol_specific_admissions", area=area)
    spec = check_common(chart, "Admission episodes for alcohol-specific conditions, 2023/24")
    counts = {r["area_label"]: r["count_label"] for r in records(spec) if "count_label" in r}
    assert counts["Bromsgrove"] == "510" and counts["Worcester"] == "625" and counts["Wyre Forest"] == "535"
    true_counts = set(raw.loc[raw["indicator_id"] == "alcohol_specific_admissions", "count"].dropna())
    for row in records(spec):
        assert row.get("count") not in true_counts - {0}, row  # 512, 623, 533 ... never appear
    assert_nothing_hidden_drawn(spec, hidden_rows(raw, protected, "alcohol_specific_admissions"))


def test_fingertips_palette_is_available(protected: pd.DataFrame, area: areas.Area) -> None:
    chart = charts.compare_areas_chart(protected, "drug_misuse_deaths", area=area,
                                       options=charts.ChartOptions(palette="fingertips"))
    bars = units(chart.to_dict())[0]
    assert dict(zip(bars["encoding"]["fill"]["scale"]["domain"], bars["encoding"]["fill"]["scale"]["range"])) == {
        "Similar": "#FFC000", "Worse": "#C00000"}
    with pytest.raises(SunaError, match="palette 'rainbow'"):
        charts.compare_areas_chart(protected, "drug_misuse_deaths", area=area, options=charts.ChartOptions(palette="rainbow"))


def _relative_luminance(colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(int(colour[i:i + 2], 16) / 255) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_relative_luminance(a), _relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_accessible_colours_text_and_outlines_meet_wcag() -> None:
    # WCAG 2.1: 3:1 for graphics (the mark outline against the white page), 4.5:1 for text on a fill.
    assert _contrast(charts.OUTLINE, "#FFFFFF") >= 3
    for label, fill in charts.PALETTES["accessible"].items():
        text = charts.base._text_colour(fill)
        assert _contrast(text, fill) >= 4.5, (label, fill, text)
    # Every significance colour distinct from its neighbours in the legend.
    colours = list(charts.PALETTES["accessible"].values())
    assert len(set(colours)) == len(colours)


# ----------------------------------------------------------------------------------------------
# Funnel
# ----------------------------------------------------------------------------------------------
def test_funnel_chart_uses_phstatsmethods_limits(raw: pd.DataFrame, protected: pd.DataFrame, area: areas.Area) -> None:
    ids = raw["indicator_id"] == "successful_completion_opiate"
    districts = raw[ids & (raw["parent_code"] == COUNTY)]
    limits = stats.funnel_limits(districts, "count", "proportion", "denominator", per=100)
    significance = stats.funnel_significance(districts, "count", "proportion", "denominator", per=100)
    points = protected[(ids & (raw["parent_code"] == COUNTY)).to_numpy()].assign(
        funnel_significance=significance["funnel_significance"].to_numpy())
    chart = charts.funnel_chart(points, limits, area=area, x_title="People in treatment (opiates)")
    spec = check_common(chart, "Successful completion of drug treatment: opiate users: funnel plot")
    lines, dots = units(spec)
    lines_rows = unit_rows(spec, lines)
    assert {r["line"] for r in lines_rows} == {"Average", "95% limits", "99.8% limits"}
    baseline = {r["limit_value"] for r in lines_rows if r["line"] == "Average"}
    assert baseline == {3.2}  # 32 completions out of 1,000 across the districts
    assert min(r["limit_x"] for r in lines_rows) >= 70  # drawn from half the smallest district, not from 1
    placed = {r["area_label"]: r["position"] for r in unit_rows(spec, dots)}
    assert placed == {name: "within the 95% limits" for name in ("Bromsgrove", "Redditch", "Worcester", "Wychavon")}
    assert "Not plotted: Malvern Hills (suppressed), Wyre Forest (suppressed)." in " ".join(charts.caption(spec))
    assert dots["encoding"]["x"]["field"] == "denominator"
    assert_nothing_hidden_drawn(spec, hidden_rows(raw, protected, "successful_completion_opiate"), listed=False)


def test_funnel_chart_names_missing_limit_columns(protected: pd.DataFrame) -> None:
    with pytest.raises(SunaError, match="lower_limit_95"):
        charts.funnel_chart(protected[protected["parent_code"] == COUNTY], pd.DataFrame({"denominator": [1.0], "x": [2.0]}))


# ----------------------------------------------------------------------------------------------
# Spine and tartan rug
# ----------------------------------------------------------------------------------------------
def test_spine_chart_places_the_area_by_polarity(protected: pd.DataFrame, area: areas.Area) -> None:
    # England's spread of authorities for one indicator only (invented): the others have none published.
    spread = pd.DataFrame({"indicator_id": ["drug_misuse_deaths"], "period": ["2021 - 23"], "tier_p5": [2.5],
                           "tier_q25": [4.0], "tier_q75": [7.0], "tier_p95": [11.5], "rank_of": [151],
                           "rank_among": ["upper-tier authorities (counties and unitary authorities)"]})
    chart = charts.spine_chart(protected, COUNTY, area=area, england_spread=spread)
    spec = check_common(chart, "Area profile: Worcestershire")
    assert charts.caption(spec)[1] == "Period: the latest for each indicator, shown beside its name."
    rows = {r["indicator"]: r for r in records(spec) if "area_pos" in r}
    # Units and periods in the row label.
    deaths = rows["Deaths from drug misuse (2021 to 2023, per 100,000, age-standardised)"]
    completion = rows["Successful completion of drug treatment: opiate users (2023/24, %)"]
    admissions = rows["Admission episodes for alcohol-specific conditions (2023/24, per 100,000, age-standardised)"]
    # Right of the England line is better: fewer deaths (high is bad), but fewer completions (high is good) is left.
    assert deaths["area_pos"] > 0.5 and deaths["outcome"] == "Similar"
    assert completion["area_pos"] < 0.5 and completion["outcome"] == "Worse"
    assert admissions["area_pos"] > 0.5 and admissions["outcome"] == "Better"
    # Deaths (England 5.5, Worcestershire 5.1): half the scale is the furthest of p5, p95 and the area from England,
    # |11.5 - 5.5| = 6; high is bad, so higher lies left: 0.5 - (v - 5.5) / 12.
    assert deaths["tier_p95_pos"] == pytest.approx(0.0) and deaths["tier_p5_pos"] == pytest.approx(0.75)
    assert deaths["tier_q75_pos"] == pytest.approx(0.375) and deaths["tier_q25_pos"] == pytest.approx(0.625)
    assert deaths["area_pos"] == pytest.approx(0.5 + 0.4 / 12)
    assert deaths["spread_label"] == ("middle half 4.0 per 100,000 to 7.0 per 100,000; "
                                      "5th to 95th percentile 2.5 per 100,000 to 11.5 per 100,000")
    # No published spread: the area against England only, its difference as a share of England's (3.2% vs 5.0%).
    assert math.isnan(completion["tier_p5_pos"] or math.nan) and completion["spread_label"] == "not published for every authority"
    assert completion["area_pos"] == pytest.approx(0.5 + (3.2 - 5.0) / 10)
    bars = [u for u in units(spec) if u["mark"]["type"] == "bar"]
    assert [b["encoding"]["x"]["field"] for b in bars] == ["tier_p5_pos", "tier_q25_pos"]
    assert all(len(unit_rows(spec, b)) == 1 for b in bars)  # only the row with a published spread has bars
    caption = " ".join(charts.caption(spec))
    assert ("Deaths from drug misuse, 2021 to 2023: the 151 upper-tier authorities (counties and unitary authorities) "
            "with a value") in caption
    assert f"{len(rows) - 1} of {len(rows)} indicators have no published figures for every English authority" in caption
    assert math.isnan(rows["Adults in drug and alcohol treatment (2023/24)"]["area_pos"] or math.nan)
    gap = next(u for u in units(spec) if u["mark"]["type"] == "text" and u["encoding"]["text"]["field"] == "gap_text")
    assert [r["gap_text"] for r in unit_rows(spec, gap)] == ["not compared with England"]


def test_spine_chart_without_any_spread_says_so(protected: pd.DataFrame, area: areas.Area) -> None:
    spec = charts.spine_chart(protected, COUNTY, area=area).to_dict()
    assert not [u for u in units(spec) if u["mark"]["type"] == "bar"]
    assert not any(line.startswith("Bars:") for line in charts.caption(spec))
    assert any("show the area against England only" in line for line in charts.caption(spec))


def test_overview_rug_shows_stars_for_suppressed_cells(raw: pd.DataFrame, protected: pd.DataFrame, area: areas.Area) -> None:
    chart = charts.overview_rug(protected, [REGION, COUNTY, *area.district_codes], area=area)
    spec = check_common(chart, "Overview: indicators compared with England")
    cells = {(r["indicator"].split(" (")[0], r["area_label"]): r for r in records(spec) if "cell_text" in r}
    assert cells[("Deaths from drug misuse", "Malvern Hills")]["cell_text"] == "*"
    assert cells[("Deaths from drug misuse", "Malvern Hills")]["outcome"] == "Suppressed"
    assert cells[("Deaths from drug misuse", "Bromsgrove")]["cell_text"] == "n/a"
    assert cells[("Deaths from drug misuse", "Redditch")]["outcome"] == "Worse"
    assert cells[("Deaths from drug misuse", "Redditch")]["text_colour"] == "#FFFFFF"  # white on dark red
    assert cells[("Deaths from drug misuse", "England")]["outcome"] == "Benchmark"
    assert cells[("Adults in treatment per 100,000 adults", "Worcestershire")]["outcome"] == "Higher"
    rects = units(spec)[0]
    assert rects["encoding"]["x"]["sort"][:3] == ["England", "West Midlands", "Worcestershire"]
    assert "* not shown to protect privacy; n/a not available." in charts.caption(spec)[-1]
    for indicator_id in ("drug_misuse_deaths", "successful_completion_opiate", "alcohol_specific_admissions"):
        assert_nothing_hidden_drawn(spec, hidden_rows(raw, protected, indicator_id))


# ----------------------------------------------------------------------------------------------
# Shares, pyramid, flows, cascade
# ----------------------------------------------------------------------------------------------
def test_share_chart_keeps_suppressed_shares_as_words() -> None:
    shares, footnote = referral_shares()
    chart = charts.share_chart(shares, "referral_source", group="substance_group",
                               options=charts.ChartOptions(title="Referral sources", footnote=footnote, rule="ndtms"))
    spec = check_common(chart, "Referral sources")
    assert spec["facet"]["column"]["field"] == "substance_group"
    assert "* Not shown to protect privacy: counts of 1 to 4 people (NDTMS rule)" in " ".join(charts.caption(spec))
    rows = {(r["substance_group"], r["referral_source"], r["series_label"]): r for r in records(spec)}
    hidden = [key for key, r in rows.items() if r["share_label"] == "suppressed"]
    # GP (3) among opiates, Other (4) among alcohol, plus one cell each to protect them from the group total.
    assert len(hidden) == 4
    assert ("Opiate", "GP", "Worcestershire") in hidden and ("Alcohol only", "Other", "Worcestershire") in hidden
    for key in hidden:
        assert rows[key]["share_pct"] is None and rows[key]["count"] is None and rows[key]["count_label"] == "suppressed"
    assert rows[("Opiate", "Self", "Worcestershire")]["share_label"] == "60.6%"  # 120 of 198
    assert rows[("Opiate", "Self", "England")]["share_label"] == "60.0%"
    bars, notes = units(spec)
    assert bars["transform"][0]["filter"].startswith("!datum.is_suppressed")
    assert notes["encoding"]["text"]["field"] == "share_label"


def test_population_pyramid_puts_men_left_and_says_suppressed() -> None:
    chart = charts.population_pyramid(treatment_by_age_sex(), value="count", value_title="People in treatment",
                                      period="2023/24",
                                      options=charts.ChartOptions(title="People in treatment by age and sex", rule="ndtms"))
    spec = check_common(chart, "People in treatment by age and sex")
    bars = units(spec)[0]
    assert bars["encoding"]["y"]["sort"][0] == "65+" and bars["encoding"]["y"]["sort"][-1] == "18-24"
    signed = {(r["age_label"], r["sex_label"]): r["signed"] for r in unit_rows(spec, bars)}
    assert signed[("40-44", "Male")] == -40 and signed[("40-44", "Female")] == 18
    assert ("18-24", "Male") not in signed and ("65+", "Female") not in signed
    words = [r for u in units(spec) if u["mark"]["type"] == "text" for r in unit_rows(spec, u)]
    assert {(r["age_label"], r["sex_label"], r["value_label"]) for r in words} == {
        ("18-24", "Male", "suppressed"), ("65+", "Female", "suppressed")}
    assert "Not shown to protect privacy (small numbers): Male 18-24, Female 65+." in charts.caption(spec)


def test_population_pyramid_names_a_bad_sex_value() -> None:
    table = treatment_by_age_sex().assign(sex=lambda d: d["sex"].replace({"Female": "F"}))
    with pytest.raises(SunaError, match="expected Male or Female"):
        charts.population_pyramid(table, value="count", options=NDTMS)


def test_flow_chart_grid_marks_suppressed_flows() -> None:
    chart = charts.flow_chart(referral_flows(), period="2023/24", options=NDTMS)
    spec = check_common(chart, "Referral routes, substances and treatment exits")
    assert [panel["layer"][0]["title"] if "title" in panel["layer"][0] else panel.get("title") for panel in spec["vconcat"]] == [
        "Referral to substance", "Substance to exit"]
    cells = {(r["source"], r["target"]): r["cell_text"] for r in records(spec) if "cell_text" in r}
    assert cells[("Criminal justice", "Alcohol only")] == "*" and cells[("Opiate", "Transferred")] == "*"
    assert cells[("Self", "Alcohol only")] == "210"
    assert "* not shown to protect privacy." in charts.caption(spec)


def test_cascade_chart_from_need_to_completion() -> None:
    chart = charts.cascade_chart(cascade(), value="count", period="2023/24",
                                 options=charts.ChartOptions(title="Treatment cascade: opiate and crack users", rule="ndtms"))
    spec = check_common(chart, "Treatment cascade: opiate and crack users")
    bars = units(spec)[0]
    assert bars["encoding"]["x"]["sort"] == ["Estimated need", "In treatment", "Successful completion"]
    assert bars["encoding"]["y"]["axis"]["format"] == ",~f"
    labels = {r["stage_label"]: (r["bar_label"], r["kind"]) for r in unit_rows(spec, bars)}
    assert labels == {"Estimated need": ("2,400", "Estimate"), "In treatment": ("1,668 (69.5%)", "Recorded"),
                      "Successful completion": ("310 (18.6%)", "Recorded")}
    assert "Percentages in brackets: the percentage of the stage before." in charts.caption(spec)
    assert bars["encoding"]["fill"]["scale"]["domain"] == ["Estimate", "Recorded"]
    recorded_only = charts.cascade_chart(cascade().iloc[1:], value="count", period="2023/24", options=NDTMS).to_dict()
    assert units(recorded_only)[0]["encoding"]["fill"]["scale"]["domain"] == ["Recorded"]  # no legend entry for nothing
    svg = render_svg(chart)
    assert "3,000" in svg and "e+3" not in svg  # thousands separators on the axis, not exponents


def test_category_trend_chart_leaves_suppressed_points_out() -> None:
    counts = pd.DataFrame({"period": ["2022/23", "2023/24"] * 2, "substance_group": ["Opiate"] * 2 + ["Alcohol only"] * 2,
                           "count": [410, 398, 3, 260]})
    table = disclosure.protect_table(counts, "count", "ndtms", dims=["period", "substance_group"]).table
    chart = charts.category_trend_chart(table, "substance_group", options=charts.ChartOptions(title="Adults in treatment", rule="ndtms"))
    spec = check_common(chart, "Adults in treatment")
    lines = units(spec)[0]
    drawn = {(r["series"], r["period_label"]): r["count"] for r in unit_rows(spec, lines)}
    assert drawn == {("Opiate", "2022/23"): 410.0, ("Opiate", "2023/24"): 398.0,
                     ("Alcohol only", "2023/24"): 260.0}
    assert "Not shown to protect privacy (small numbers): Alcohol only 2022/23." in charts.caption(spec)
    assert charts.caption(spec)[:2] == ["Source: SUNA calculations.", "Period: 2022/23 to 2023/24."]


# ----------------------------------------------------------------------------------------------
# What the caller chooses, the same for every chart
# ----------------------------------------------------------------------------------------------
EVERY_CHART = {  # (indicators, area, options) -> chart, one of each kind
    "trend": lambda t, a, o: charts.trend_chart(t, "drug_misuse_deaths", COUNTY, [ENGLAND, REGION], area=a, options=o),
    "compare": lambda t, a, o: charts.compare_areas_chart(t, "drug_misuse_deaths", area=a, options=o),
    "spine": lambda t, a, o: charts.spine_chart(t, COUNTY, area=a, options=o),
    "rug": lambda t, a, o: charts.overview_rug(t, [REGION, COUNTY, *a.district_codes], area=a, options=o),
    "funnel": lambda t, a, o: charts.funnel_chart(t[t["parent_code"] == COUNTY], pd.DataFrame(
        {"denominator": [50.0, 500.0], "lower_limit_95": [0.0, 1.0], "upper_limit_95": [9.0, 6.0]}), options=o),
    "share": lambda t, a, o: charts.share_chart(referral_shares()[0], "referral_source", group="substance_group", options=o),
    "pyramid": lambda t, a, o: charts.population_pyramid(treatment_by_age_sex(), value="count", options=o),
    "flow": lambda t, a, o: charts.flow_chart(referral_flows(), options=o),
    "cascade": lambda t, a, o: charts.cascade_chart(cascade(), value="count", options=o),
}


@pytest.mark.parametrize("name", sorted(EVERY_CHART))
def test_every_chart_carries_the_callers_title_source_and_footnote(name: str, protected: pd.DataFrame, area: areas.Area) -> None:
    options = charts.ChartOptions(title="What the board asked", source="OHID, Fingertips: Public health profiles, 2024",
                                  footnote="A note from the analyst.", rule=None if name in INDICATOR_CHARTS else "ndtms")
    spec = EVERY_CHART[name](protected, area, options).to_dict()
    assert spec["title"]["text"] == "What the board asked" and spec["description"].startswith("What the board asked. ")
    lines = charts.caption(spec)
    assert lines[0] == "Source: OHID, Fingertips: Public health profiles, 2024." and lines[1].startswith("Period: ")
    assert lines[2].startswith("A note from the analyst.")  # the funnel adds what it could not plot after it
    own = charts.caption(EVERY_CHART[name](protected, area, replace(options, footnote=None)).to_dict())
    assert "A note from the analyst." not in own  # with none given, the chart writes its own (or none)


def test_chart_options_size_the_plot_and_keep_the_designed_size_otherwise(protected: pd.DataFrame, area: areas.Area) -> None:
    sized = EVERY_CHART["trend"](protected, area, charts.ChartOptions(width=300, height=200)).to_dict()
    designed = EVERY_CHART["trend"](protected, area, charts.ChartOptions()).to_dict()
    assert (sized["width"], sized["height"]) == (300, 200) and (designed["width"], designed["height"]) == (560, 300)
    cascade_spec = charts.cascade_chart(cascade(), value="count", options=charts.ChartOptions(rule="ndtms", width=360)).to_dict()
    assert (cascade_spec["width"], cascade_spec["height"]) == (360, 300)


# ----------------------------------------------------------------------------------------------
# Pictures to look at
# ----------------------------------------------------------------------------------------------
def test_render_pngs_for_review(protected: pd.DataFrame, area: areas.Area) -> None:
    shares, footnote = referral_shares()
    made = {
        "trend": charts.trend_chart(protected, "drug_misuse_deaths", COUNTY, [ENGLAND, REGION], area=area),
        "compare": charts.compare_areas_chart(protected, "drug_misuse_deaths", area=area),
        "rug": charts.overview_rug(protected, [REGION, COUNTY, *area.district_codes], area=area),
        "share": charts.share_chart(shares, "referral_source", group="substance_group",
                                    options=charts.ChartOptions(footnote=footnote, rule="ndtms")),
    }
    for name, chart in made.items():
        save_png(chart, name)
        assert (ARTEFACTS / f"{name}.png").read_bytes()[:4] == b"\x89PNG"


def test_specs_are_plain_json(protected: pd.DataFrame, area: areas.Area) -> None:
    # What the HTML report embeds: JSON with no NaN (which JSON cannot hold) anywhere.
    spec = charts.compare_areas_chart(protected, "drug_misuse_deaths", area=area).to_dict()
    json.dumps(spec, allow_nan=False)
