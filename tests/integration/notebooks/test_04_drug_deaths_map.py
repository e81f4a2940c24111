"""04_drug_deaths_map run with papermill for a county and a unitary; charts must show the protected figures."""

from __future__ import annotations

import pytest

from suna.core import paths

pytestmark = pytest.mark.notebook
NOTEBOOK = paths.notebooks_dir() / "04_drug_deaths_map.ipynb"
AREAS = ["worcestershire", "halton"]  # the notebook runs for each (conftest's ``run``)


def test_runs_without_errors(run, error_outputs):
    nb, _ = run
    assert error_outputs(nb) == []


def test_trend_chart_shows_the_protected_pooled_values(run, outputs_by_tag, vegalite_specs, spec_rows):
    nb, data = run
    t = data.table
    rows = t[(t["indicator_id"] == "drug_misuse_deaths") & (t["area_code"] == data.area.code) & (t["sex"] == "Persons")]
    plotted = [r for r in spec_rows(vegalite_specs(outputs_by_tag(nb, "misuse_trend"))[0])
               if r.get("area_code") == data.area.code and r.get("value") is not None]
    assert plotted
    for r in plotted:
        assert " - " in r["period"]  # three registration years pooled
        assert r["value"] == pytest.approx(float(rows.loc[rows["period"] == r["period"], "value"].iloc[0]))


@pytest.mark.parametrize("tag", ["misuse_map", "poisoning_map"])
def test_map_has_every_district_and_labels_suppressed_ones(run, tag, output_data, outputs_by_tag, vegalite_specs, spec_rows):
    nb, data = run
    spec = vegalite_specs(outputs_by_tag(nb, tag))[0]
    drawn = {r["district_code"]: r for r in spec_rows(spec) if "district_code" in r and "fill_label" in r}
    assert set(data.area.district_codes) <= set(drawn)
    ind_id = "drug_misuse_deaths" if tag.startswith("misuse") else "drug_poisoning_deaths"
    t = data.table
    rows = t[(t["indicator_id"] == ind_id) & t["area_code"].isin(data.area.district_codes) & (t["sex"] == "Persons")]
    latest = rows[rows["period_sortable"] == rows["period_sortable"].max()]
    for code in latest.loc[latest["count_display"] == "*", "area_code"]:
        assert drawn[code]["fill_label"] == "Suppressed" and drawn[code].get("value") is None
    html = "\n".join(output_data(outputs_by_tag(nb, tag), "text/html"))
    for name in data.area.district_names().values():
        assert name in html  # every district in the table under the map


def test_the_unitary_map_shows_localities_and_hides_exactly_the_protected_ones(run, output_data, outputs_by_tag):
    """A unitary's small areas are grouped into localities, so most of its map carries a figure."""
    nb, data = run
    if data.area.is_county:
        pytest.skip("a county's districts are its own; no localities")
    assert data.area.localities and all(code.startswith(f"{data.area.code}L") for code in data.area.district_codes)
    html = "\n".join(output_data(outputs_by_tag(nb, "misuse_map"), "text/html"))
    t = data.table
    rows = t[(t["indicator_id"] == "drug_misuse_deaths") & t["area_code"].isin(data.area.district_codes) & (t["sex"] == "Persons")]
    latest = rows[rows["period_sortable"] == rows["period_sortable"].max()]
    hidden = int((latest["count_display"] == "*").sum())
    assert ("<td>not shown</td>" in html) == (hidden > 0)  # a hidden figure in plain words, and only then
    assert hidden <= len(latest) * 0.3, "most localities should carry a figure"


def test_registration_delay_note(run, output_data, outputs_by_tag):
    nb, _ = run
    text = "\n".join(output_data(outputs_by_tag(nb, "registration_delay"), "text/markdown"))
    assert "registered" in text


def test_findings_mention_england(run, output_data, outputs_by_tag):
    nb, data = run
    text = "\n".join(output_data(outputs_by_tag(nb, "findings"), "text/markdown"))
    assert "England" in text and "Deaths from drug misuse" in text
