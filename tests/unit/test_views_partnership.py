"""The partnership's dashboard on a small hand-made area: indicator rows as disclosure control left them,
a crime table with a part year, and targets given as the notebook's area definition.

Fixture (Halton, whose districts are MSOAs), worked out by hand:
- adults in treatment 1,000 / 1,050 / 1,100 / 1,160 (2020/21 to 2023/24); target +20% on 2020/21 by 2024/25,
  so 1,200, and the line reads 1,150 in 2023/24: 1,160 is on track.
- opiate successful completion 2023/24 hidden by disclosure control (value empty, count "*"): no status,
  and its 2022/23 value (6.0%) is not brought forward in its place.
- deaths from drug misuse 2020 - 22: 9.9 per 100,000 against England's 5.2, "Worse" (its published comparison).
- county lines closed: four whole-area quarters of 2022/23 (1 + 0 + 2 + 1 = 4); three quarters of 2023/24 (a
  part year, not shown); target 10 by 2024/25 from 2022/23, so the line is 4 in 2022/23: on track.
- deaths related to drug poisoning (ONS) 2018 - 20: Halton's published rate, set beside its ten most similar
  authorities by the overview's view (their figures are the ONS table SUNA ships).
- drug possession offences only by district in 2023/24: Halton 001 in two half years (10 + 12), Halton 002
  in one year (30); Halton 003 has only April to September (5), a part year left out of its own figures and of
  the area's; the area's figure is the sum of whole district years, 52.
"""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from suna import disclosure
from suna.core.errors import ParametersError, UnknownAreaError
from suna.indicators import targets
from suna.model.areas import load_area
from suna.pipeline import AreaData
from suna.views import REGISTRY, partnership

HALTON = load_area("halton")
CODE = HALTON.code


def _ind(indicator_id, period, value, measure="count", *, area=CODE, count=None, display=None, note=None,
         compared=None, polarity="no_judgement"):
    return {"indicator_id": indicator_id, "indicator_name": indicator_id, "area_code": area, "area_name": "x",
            "sex": "Persons", "age": "All ages", "category_type": None, "category": None, "period": period,
            "value": value, "count": value if count is None and measure == "count" else count,
            "count_display": display, "value_note": note, "measure": measure, "polarity": polarity,
            "compared_to_england": compared, "period_sortable": int(period[:4]) * 10000}


INDICATORS = pd.DataFrame([
    *(_ind("adults_in_treatment", p, v, display=f"{v:.0f}") for p, v in
      (("2020/21", 1000.0), ("2021/22", 1050.0), ("2022/23", 1100.0), ("2023/24", 1160.0))),
    _ind("successful_completion_opiate", "2022/23", 6.0, "proportion", count=9.0, display="9", polarity="high_is_good"),
    _ind("successful_completion_opiate", "2023/24", math.nan, "proportion", count=math.nan, display="*",
         note="Not shown to protect privacy: fewer than 5 people, or hidden so that such a number cannot be worked out", polarity="high_is_good"),
    _ind("drug_misuse_deaths", "2020 - 22", 9.9, "dsr", count=24.0, compared="Worse", polarity="high_is_bad"),
    _ind("drug_misuse_deaths", "2020 - 22", 5.2, "dsr", area="E92000001", count=math.nan, polarity="high_is_bad"),
    _ind("drug_poisoning_deaths_ons", "2018 - 20", 11.0, "crude_rate", count=42.0, compared="Worse", polarity="high_is_bad"),
])


def _crime_row(district, measure, start, end, count):
    return {"utla_code": CODE, "district_code": district, "measure": measure,
            "period_start_date": pd.Timestamp(start), "period_end_date": pd.Timestamp(end), "count": float(count)}


CRIME = pd.DataFrame([
    _crime_row(None, "county_lines_closed", "2022-04-01", "2022-06-30", 1),
    _crime_row(None, "county_lines_closed", "2022-07-01", "2022-09-30", 0),
    _crime_row(None, "county_lines_closed", "2022-10-01", "2022-12-31", 2),
    _crime_row(None, "county_lines_closed", "2023-01-01", "2023-03-31", 1),
    _crime_row(None, "county_lines_closed", "2023-04-01", "2023-06-30", 3),
    _crime_row(None, "county_lines_closed", "2023-07-01", "2023-09-30", 1),
    _crime_row(None, "county_lines_closed", "2023-10-01", "2023-12-31", 2),
    _crime_row("Halton 001", "drug_possession_offences", "2023-04-01", "2023-09-30", 10),
    _crime_row("Halton 001", "drug_possession_offences", "2023-10-01", "2024-03-31", 12),
    _crime_row("Halton 002", "drug_possession_offences", "2023-04-01", "2024-03-31", 30),
    _crime_row("Halton 003", "drug_possession_offences", "2023-04-01", "2023-09-30", 5),
])

DEFINITION = {"targets": [
    {"metric": "adults_in_treatment", "baseline_period": "2020/21", "target_change_pct": 20, "target_period": "2024/25"},
    {"metric": "successful_completion_opiate", "baseline_period": "2020/21", "baseline_value": 5,
     "target_value": 8, "target_period": "2023/24"},
    {"metric": "county_lines_closed", "baseline_period": "2022/23", "target_value": 10, "target_period": "2024/25"},
]}


def _data(crime: pd.DataFrame | None = CRIME) -> AreaData:
    tables = {} if crime is None else {"crime": crime}
    protected = disclosure.Protected(table=INDICATORS, record=pd.DataFrame(columns=disclosure.RECORD_COLUMNS))
    return AreaData(HALTON, "2023/24", tables, INDICATORS, protected, True, "SUNA synthetic sample data", "test")


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return partnership.dashboard_table(_data(), area_definition=DEFINITION).set_index("metric_id")


def test_every_metric_of_the_list_has_one_row_in_outcome_order(table):
    from suna.core import reference

    spec = reference.partnership_metrics()
    assert sorted(table.index) == sorted(spec["metrics"])
    order = [spec["outcomes"].index(o) for o in table["outcome"]]
    assert order == sorted(order)


def test_an_indicator_on_track_with_its_trend_and_target(table):
    row = table.loc["adults_in_treatment"]
    assert (row["period"], row["value"], row["value_text"]) == ("2023/24", 1160.0, "1,160")
    assert row["trend_values"] == [1000.0, 1050.0, 1100.0, 1160.0]
    assert row["target_value"] == pytest.approx(1200) and row["expected"] == pytest.approx(1150)
    assert row["status"] == targets.GREEN and row["rule"] == targets.RULE
    assert row["target_text"] == "1,200 by 2024/25 (+20% on 2020/21)"


def test_a_hidden_value_stays_hidden_and_has_no_status(table):
    row = table.loc["successful_completion_opiate"]
    assert row["period"] == "2023/24" and pd.isna(row["value"]) and row["value_text"] == "suppressed"
    assert row["trend_values"] == [6.0, None]
    assert row["status"] == targets.NO_STATUS


def test_england_comparison_where_a_national_figure_exists(table):
    row = table.loc["drug_misuse_deaths"]
    assert row["period"] == "2020 - 22" and row["compared_to_england"] == "Worse"
    assert row["england_text"].startswith("5.2") and row["value_text"].startswith("9.9")
    assert table.loc["county_lines_closed", "compared_to_england"] == "Not compared"


def test_similar_authorities_beside_the_published_deaths(table):
    row = table.loc["drug_poisoning_deaths_ons"]
    assert row["compared_to_similar"].startswith("In 2018 to 2020, Halton's rate")
    assert "its 10 most similar authorities" in row["compared_to_similar"]
    assert table.loc["drug_misuse_deaths", "compared_to_similar"] == ""  # only the figure published for every authority


def test_crime_in_whole_financial_years_with_a_target(table):
    row = table.loc["county_lines_closed"]
    assert (row["period"], row["value"]) == ("2022/23", 4.0)  # 2023/24 has three quarters only
    assert row["status"] == targets.GREEN and row["expected"] == pytest.approx(4)
    assert table.loc["drug_possession_offences", "value"] == 52.0  # the districts added up


def test_missing_figures_say_what_to_supply(table):
    assert pd.isna(table.loc["arrests_drug_possession", "value"])
    assert "crime template" in table.loc["arrests_drug_possession", "supply"]
    assert "release date" in table.loc["continuity_of_care", "supply"]
    assert table.loc["adults_in_treatment", "supply"] == ""


def test_crime_years_by_district_and_the_part_year_left_out():
    years = partnership.crime_years(CRIME, HALTON)
    got = {(a, m, p): c for a, m, p, c in years.itertuples(index=False)}
    assert got == {
        (CODE, "county_lines_closed", "2022/23"): 4.0,
        ("Halton 001", "drug_possession_offences", "2023/24"): 22.0,
        ("Halton 002", "drug_possession_offences", "2023/24"): 30.0,
        (CODE, "drug_possession_offences", "2023/24"): 52.0,
    }


def test_without_a_crime_table_every_crime_metric_asks_for_it():
    table = partnership.dashboard_table(_data(crime=None), area_definition=DEFINITION).set_index("metric_id")
    assert table.loc["county_lines_closed", "status"] == targets.NO_STATUS
    assert table.loc["county_lines_closed", "supply"].startswith("Supply the county lines")


def test_the_view_from_the_registry_states_the_rule_and_the_synthetic_notice():
    view = REGISTRY["partnership.dashboard"](_data(), area_definition=DEFINITION, district="Halton 003")
    assert view.findings[0].startswith("The dashboard shows Halton as a whole")
    assert any(f.startswith("Halton has 3 targets: 2 on track, 1 no status") for f in view.findings)
    assert targets.RULE in view.footnote and "synthetic" in view.footnote
    assert list(view.table.columns)[:4] == ["Outcome", "Metric", "Period", "Value"]
    assert view.table.loc[view.table["Metric"] == "Adults in structured treatment", "Trend"].iloc[0] == "1,000 → 1,050 → 1,100 → 1,160"


def test_district_breakdown_of_offences():
    view = REGISTRY["partnership.district_breakdown"](_data(), period="2023/24")
    assert dict(zip(view.table["District"], view.table["Count"])) == {"Halton 001": "22", "Halton 002": "30"}
    assert view.findings == ["The most in 2023/24: Halton 002 (30)."]


def test_bad_choices_are_refused_with_suna_messages():
    with pytest.raises(UnknownAreaError):
        partnership.dashboard(_data(), district="Widnes Central")
    with pytest.raises(ParametersError, match="period"):
        partnership.dashboard(_data(), period="2023")
    with pytest.raises(ParametersError, match="area_definition.targets"):
        partnership.dashboard(_data(), area_definition={"targets": {"metric": "adults_in_treatment"}})


def test_the_html_table_draws_each_trend_beside_its_figures_in_words(table):
    markup = partnership.dashboard_html(table.reset_index())
    headers = re.findall(r"<th>([^<]*)</th>", markup)
    assert headers[headers.index("Trend") + 1] == "Trend chart"
    adults = next(row for row in markup.split("<tr>") if "<td>Adults in structured treatment</td>" in row)
    assert 'aria-label="Adults in structured treatment, 2020/21 to 2023/24: 1,000, 1,050, 1,100, 1,160."' in adults
    assert f"<td>{targets.GREEN}</td>" in adults and "<td>1,160</td>" in adults
    hidden = next(row for row in markup.split("<tr>") if "<td>Successful completion of treatment, opiate users</td>" in row)
    assert "<svg" not in hidden  # one value shown, one hidden: no line to draw, the words say "suppressed"
    assert markup.count("<tr>") == len(table) + 1
