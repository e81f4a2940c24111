"""01_treatment_population run with papermill for a county and a unitary: every section shows the protected
figures of its area, worked out again here from the records with plain pandas."""

from __future__ import annotations

import pandas as pd
import pytest

from suna.core import paths

pytestmark = pytest.mark.notebook
NOTEBOOK = paths.notebooks_dir() / "01_treatment_population.ipynb"
SECTIONS = ["trend_chart", "new_presentations", "age_sex", "ethnicity", "rate_chart", "rate_map", "time_in_treatment",
            "exits", "completion", "cascade"]
AREAS = ["essex", "halton"]  # the notebook runs for each (conftest's ``run``)


def _people_in_treatment(records: pd.DataFrame) -> pd.DataFrame:
    """Adults in treatment in 2023/24, one row each (latest episode), substance group by the NDTMS hierarchy."""
    adults = records[records["age_years"] >= 18]
    open_ = (adults["start_date"] <= "2024-03-31") & (adults["discharge_date"].isna() | (adults["discharge_date"] >= "2023-04-01"))
    people = adults[open_]
    order = {"opiate": 0, "non_opiate_only": 1, "non_opiate_and_alcohol": 2, "alcohol_only": 3}
    best = people.groupby("client_id")["substance_group"].agg(lambda s: min(s, key=order.get))
    latest = people.sort_values("start_date").groupby("client_id").tail(1).set_index("client_id")
    return latest.assign(substance_group=best)


def test_runs_without_errors(run, error_outputs):
    nb, _ = run
    assert error_outputs(nb) == []


def test_synthetic_notice_and_area_are_stated(run, output_data, outputs_by_tag):
    nb, data = run
    text = "\n".join(output_data(outputs_by_tag(nb, "about"), "text/markdown"))
    assert data.synthetic_notice and data.synthetic_notice in text
    assert data.area.name in text


@pytest.mark.parametrize("tag", SECTIONS)
def test_every_section_says_something(run, tag, output_data, outputs_by_tag):
    nb, _ = run
    assert output_data(outputs_by_tag(nb, tag), "text/markdown"), f"section {tag} shows no findings"


def test_trend_chart_plots_the_numbers_in_treatment(run, outputs_by_tag, vegalite_specs, spec_rows, spec_title):
    nb, data = run
    specs = vegalite_specs(outputs_by_tag(nb, "trend_chart"))
    assert len(specs) == 1
    assert data.area.name in spec_title(specs[0])
    people = _people_in_treatment(data.tables["treatment"])
    people = people[people["utla_code"] == data.area.code]
    by_group = people["substance_group"].value_counts()
    labels = {"opiate": "Opiate", "non_opiate_only": "Non-opiate only", "non_opiate_and_alcohol": "Non-opiate and alcohol",
              "alcohol_only": "Alcohol only"}
    plotted = {r["substance_group"]: r["count"] for r in spec_rows(specs[0]) if r.get("period") == "2023/24"}
    assert plotted["All substance groups"] == len(people)
    for code, label in labels.items():
        if plotted.get(label) is not None:
            assert plotted[label] == by_group.get(code, 0), label


def test_no_suppressed_count_is_plotted(run, outputs_by_tag, vegalite_specs, spec_rows):
    nb, _ = run
    for tag in ("trend_chart", "new_presentations", "age_sex", "time_in_treatment", "cascade"):
        for spec in vegalite_specs(outputs_by_tag(nb, tag)):
            for row in spec_rows(spec):
                count = row.get("count")
                if isinstance(count, (int, float)) and count == count:
                    assert not 1 <= count <= 4, f"{tag} plots a count of {count}"
                if row.get("count_display") == "*":
                    assert row.get("count") is None or row.get("count") != row.get("count"), f"{tag} plots a suppressed count"


def test_pyramid_counts_men_and_women(run, outputs_by_tag, vegalite_specs, spec_rows):
    nb, data = run
    people = _people_in_treatment(data.tables["treatment"])
    people = people[people["utla_code"] == data.area.code]
    spec = vegalite_specs(outputs_by_tag(nb, "age_sex"))[0]
    shown = [r for r in spec_rows(spec) if r.get("sex") in ("Male", "Female") and r.get("age_band") == "30-39"]
    in_band = people[(people["age_years"] >= 30) & (people["age_years"] < 40)]
    for row in shown:
        if row.get("count") is not None:
            assert row["count"] == int((in_band["sex"] == row["sex"]).sum())


def test_rate_chart_shows_the_protected_rates(run, outputs_by_tag, vegalite_specs, spec_rows):
    nb, data = run
    t = data.table
    rows = t[(t["indicator_id"] == "treatment_rate") & (t["period"] == "2023/24") & (t["sex"] == "Persons") & t["category_type"].isna()]
    spec = vegalite_specs(outputs_by_tag(nb, "rate_chart"))[0]
    plotted = [r for r in spec_rows(spec) if r.get("area_code") in data.area.district_codes and r.get("value") is not None]
    assert plotted
    for r in plotted:
        assert r["value"] == pytest.approx(float(rows.loc[rows["area_code"] == r["area_code"], "value"].iloc[0]))


def test_findings_name_england_and_the_area(run, output_data, outputs_by_tag):
    nb, data = run
    text = "\n".join(output_data(outputs_by_tag(nb, "findings"), "text/markdown"))
    assert data.area.name in text
    assert "England" in text
