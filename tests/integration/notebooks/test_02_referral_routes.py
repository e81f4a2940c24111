"""02_referral_routes run with papermill for a county and a unitary: shares, trends and flows are the
protected figures of the area, worked out again here from the records."""

from __future__ import annotations

import pytest

from suna.core import paths, reference

pytestmark = pytest.mark.notebook
NOTEBOOK = paths.notebooks_dir() / "02_referral_routes.ipynb"
SECTIONS = ["sources_by_group", "sources_by_sex", "young_people", "cj_trend", "waiting", "flow", "districts"]
AREAS = ["worcestershire", "sefton"]  # the notebook runs for each (conftest's ``run``)


def _new_adults(data):
    records = data.tables["treatment"]
    adults = records[(records["age_years"] >= 18) & (records["utla_code"] == data.area.code)]
    started = adults[(adults["start_date"] >= "2023-04-01") & (adults["start_date"] <= "2024-03-31")]
    return started.sort_values("start_date").drop_duplicates("client_id", keep="last")


def test_runs_without_errors(run, error_outputs):
    nb, _ = run
    assert error_outputs(nb) == []


def test_synthetic_notice_is_shown(run, output_data, outputs_by_tag):
    nb, data = run
    assert data.synthetic_notice in "\n".join(output_data(outputs_by_tag(nb, "about"), "text/markdown"))


@pytest.mark.parametrize("tag", SECTIONS)
def test_every_section_says_something(run, tag, output_data, outputs_by_tag):
    nb, _ = run
    assert output_data(outputs_by_tag(nb, tag), "text/markdown"), f"section {tag} shows no findings"


def test_route_shares_are_the_records_shares(run, outputs_by_tag, vegalite_specs, spec_rows, spec_title):
    nb, data = run
    spec = vegalite_specs(outputs_by_tag(nb, "sources_by_group"))[0]
    assert data.area.name in spec_title(spec)
    people = _new_adults(data)
    routes = people["referral_source"].map(reference.referral_route_groups())
    plotted = [r for r in spec_rows(spec) if r.get("substance_group") == "All substance groups" and r.get("series") == data.area.name]
    assert plotted
    for r in plotted:
        if r.get("share_pct") is not None:
            assert r["share_pct"] == pytest.approx((routes == r["route"]).mean() * 100)


def test_criminal_justice_trend_ends_with_this_years_share(run, outputs_by_tag, vegalite_specs, spec_rows):
    nb, data = run
    spec = vegalite_specs(outputs_by_tag(nb, "cj_trend"))[0]
    people = _new_adults(data)
    share = (people["referral_source"].map(reference.referral_route_groups()) == "Criminal justice").mean() * 100
    last = [r for r in spec_rows(spec) if r.get("period") == "2023/24" and r.get("area_code") == data.area.code and r.get("value") is not None]
    assert last and last[0]["value"] == pytest.approx(share)


def test_no_suppressed_count_is_drawn(run, outputs_by_tag, vegalite_specs, spec_rows):
    nb, _ = run
    for tag in SECTIONS:
        for spec in vegalite_specs(outputs_by_tag(nb, tag)):
            for row in spec_rows(spec):
                count = row.get("count")
                if isinstance(count, (int, float)) and count == count:
                    assert not 1 <= count <= 4, f"{tag} draws a count of {count}"


def test_young_people_section_answers(run, output_data, outputs_by_tag):
    nb, data = run
    text = "\n".join(output_data(outputs_by_tag(nb, "young_people"), "text/markdown"))
    assert data.area.name in text or "no young people" in text.lower()


def test_findings_mention_england(run, output_data, outputs_by_tag):
    nb, data = run
    text = "\n".join(output_data(outputs_by_tag(nb, "findings"), "text/markdown"))
    assert "England" in text and data.area.name in text
