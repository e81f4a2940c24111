"""05_partnership_dashboard run with papermill for a metropolitan district and a unitary (the sample areas with
targets that start from their own figures); the dashboard must show every metric, the protected figures and
the statuses the library gives."""

from __future__ import annotations

import html as htmllib

import pytest

from suna.core import paths, reference
from suna.indicators import targets
from suna.views import partnership

pytestmark = pytest.mark.notebook
NOTEBOOK = paths.notebooks_dir() / "05_partnership_dashboard.ipynb"
AREAS = ["sefton", "halton"]  # the notebook runs for each (conftest's ``run``)


def _html(nb, tag, output_data, outputs_by_tag):
    return htmllib.unescape("\n".join(output_data(outputs_by_tag(nb, tag), "text/html")))


def test_runs_without_errors(run, error_outputs):
    nb, _ = run
    assert error_outputs(nb) == []


def test_every_metric_is_a_row_with_the_librarys_status(run, output_data, outputs_by_tag):
    nb, data = run
    shown = _html(nb, "dashboard", output_data, outputs_by_tag)
    for metric in reference.partnership_metrics()["metrics"].values():
        assert metric["name"] in shown
    table = partnership.dashboard_table(data)
    with_target = table[table["status"] != ""]
    assert len(with_target) >= 2  # the params file's targets
    for row in with_target.itertuples():
        assert row.status in (targets.GREEN, targets.AMBER, targets.RED, targets.NO_STATUS)
        assert f"<td>{row.status}</td>" in shown
        assert row.target_text in shown


def test_values_are_the_protected_ones(run, output_data, outputs_by_tag):
    nb, data = run
    shown = _html(nb, "dashboard", output_data, outputs_by_tag)
    table = partnership.dashboard_table(data)
    for row in table[table["value_text"] != ""].itertuples():
        assert f"<td>{row.value_text}</td>" in shown
    t = data.table
    latest = t[(t["indicator_id"] == "adults_in_treatment") & (t["area_code"] == data.area.code)
               & t["category_type"].isna() & (t["sex"] == "Persons") & (t["period"] == data.period)]
    assert table.set_index("metric_id").loc["adults_in_treatment", "value"] == float(latest["count"].iloc[0])


def test_the_rule_and_the_synthetic_notice_are_stated(run, output_data, outputs_by_tag):
    nb, _ = run
    shown = _html(nb, "dashboard", output_data, outputs_by_tag) + _html(nb, "load", output_data, outputs_by_tag)
    words = " ".join(shown.split())  # as a reader sees it, however the caption wraps
    assert " ".join(targets.RULE.split()) in words
    assert "synthetic" in words


def test_offences_by_district_add_up_to_the_dashboard(run, output_data, outputs_by_tag):
    nb, data = run
    shown = _html(nb, "possession_by_district", output_data, outputs_by_tag)
    years = partnership.protected_crime(data).table
    rows = years[(years["measure"] == "drug_possession_offences") & (years["period"] == data.period)]
    districts = rows[rows["area_code"].isin(data.area.district_codes)]
    assert len(districts) == len(data.area.districts)
    whole = partnership.dashboard_table(data).set_index("metric_id").loc["drug_possession_offences", "value"]
    assert districts["count"].sum() == whole
    for name in data.area.district_names().values():
        assert f"<td>{name}</td>" in shown
