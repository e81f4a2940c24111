"""03_hospital_admissions run with papermill for a county and a unitary; charts must show the protected figures."""

from __future__ import annotations

import pytest

from suna.core import paths

pytestmark = pytest.mark.notebook
NOTEBOOK = paths.notebooks_dir() / "03_hospital_admissions.ipynb"
AREAS = ["worcestershire", "halton"]  # the notebook runs for each (conftest's ``run``)


def test_runs_without_errors(run, error_outputs):
    nb, _ = run
    assert error_outputs(nb) == []


@pytest.mark.parametrize("indicator", ["alcohol_specific", "drug_poisoning", "drug_mental_behavioural", "substance_misuse_15_24"])
def test_trend_chart_shows_the_protected_values(run, indicator, outputs_by_tag, vegalite_specs, spec_rows):
    nb, data = run
    ind_id = indicator.replace("15_24", "admissions_15_24") if "15_24" in indicator else f"{indicator}_admissions"
    t = data.table
    rows = t[(t["indicator_id"] == ind_id) & (t["area_code"] == data.area.code) & (t["sex"] == "Persons") & t["category_type"].isna()]
    specs = vegalite_specs(outputs_by_tag(nb, f"{indicator}_trend"))
    assert len(specs) == 1
    plotted = [r for r in spec_rows(specs[0]) if r.get("area_code") == data.area.code and r.get("value") is not None]
    assert plotted, "the area's values are drawn"
    for r in plotted:
        expected = rows.loc[rows["period"] == r["period"], "value"]
        assert r["value"] == pytest.approx(float(expected.iloc[0]))
    hidden = set(rows.loc[rows["count_display"] == "*", "period"])
    assert not hidden & {r["period"] for r in plotted}  # a suppressed period is never plotted


def test_map_has_every_district(run, outputs_by_tag, vegalite_specs, spec_rows):
    nb, data = run
    spec = vegalite_specs(outputs_by_tag(nb, "alcohol_specific_map"))[0]
    drawn = {r["district_code"] for r in spec_rows(spec) if "district_code" in r}
    assert set(data.area.district_codes) <= drawn


def test_findings_mention_england(run, output_data, outputs_by_tag):
    nb, data = run
    text = "\n".join(output_data(outputs_by_tag(nb, "findings"), "text/markdown"))
    assert "England" in text and data.area.name in text


@pytest.mark.parametrize("indicator", ["alcohol_specific", "drug_poisoning"])
def test_by_sex_age_chart_shows_the_age_groups(run, indicator, outputs_by_tag, vegalite_specs, spec_rows):
    nb, data = run
    t = data.table
    groups = t[(t["indicator_id"] == f"{indicator}_admissions") & (t["area_code"] == data.area.code)
               & (t["category_type"] == "Age group") & (t["period"] == data.period)]
    specs = vegalite_specs(outputs_by_tag(nb, f"{indicator}_by_sex_age"))
    assert len(specs) == 1 and len(specs[0]["vconcat"]) == 2           # by sex, then by age group
    drawn = {r["category"]: r.get("value") for r in spec_rows(specs[0]) if r.get("category") in set(groups["category"])}
    assert set(drawn) == set(groups["category"]) and len(drawn) >= 4
    for label, value, shown in zip(groups["category"], groups["value"], groups["count_display"]):
        if shown == "*" or value != value:
            assert drawn[label] is None                                   # a suppressed age group is never drawn
        else:
            assert drawn[label] == pytest.approx(float(value))
