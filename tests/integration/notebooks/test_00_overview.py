"""00_overview run with papermill for a county and a unitary: spine, rug, links and findings."""

from __future__ import annotations

import pytest

from suna.core import paths
from suna.presentation import narrative

pytestmark = pytest.mark.notebook
NOTEBOOK = paths.notebooks_dir() / "00_overview.ipynb"
AREAS = ["worcestershire", "halton"]  # the notebook runs for each (conftest's ``run``)


def test_runs_without_errors(run, error_outputs):
    nb, _ = run
    assert error_outputs(nb) == []


def test_rug_shows_the_protected_values_for_every_district(run, output_data, outputs_by_tag, vegalite_specs, spec_rows):
    nb, data = run
    spec = vegalite_specs(outputs_by_tag(nb, "rug"))[0]
    cells = spec_rows(spec)
    names = {c["area_label"] for c in cells if "area_label" in c}
    assert set(data.area.district_names().values()) <= names
    html = "\n".join(output_data(outputs_by_tag(nb, "rug"), "text/html"))
    assert data.area.name in html
    suppressed = [c for c in cells if c.get("is_suppressed")]
    assert all(c["cell_text"] == "*" for c in suppressed)  # labelled, never a zero


def test_spine_has_a_row_per_indicator(run, outputs_by_tag, vegalite_specs, spec_rows):
    nb, data = run
    spec = vegalite_specs(outputs_by_tag(nb, "spine"))[0]
    indicators = {c["indicator"] for c in spec_rows(spec) if "indicator" in c}
    t = data.table
    own = narrative.headline_rows(t[(t["area_code"] == data.area.code) & (t["measure"] != "count")])
    shown = {i.rsplit(" (", 1)[0] for i in indicators}
    share_total = "New presentations by referral source"  # every referral source together: 100% by construction
    assert share_total in set(own["indicator_name"]) and share_total not in shown  # a row that means nothing to a board
    assert shown == set(own["indicator_name"]) - {share_total}  # every other indicator with a rate or share


def test_links_to_the_other_reports(run, output_data, outputs_by_tag):
    nb, _ = run
    text = "\n".join(output_data(outputs_by_tag(nb, "links"), "text/markdown"))
    for stem in ("01_treatment_population", "02_referral_routes", "03_hospital_admissions", "04_drug_deaths_map"):
        assert f"]({stem}.html)" in text


def test_findings_mention_england(run, output_data, outputs_by_tag):
    nb, data = run
    text = "\n".join(output_data(outputs_by_tag(nb, "findings"), "text/markdown"))
    assert "England" in text and data.area.name in text
