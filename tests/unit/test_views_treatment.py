"""The treatment views on the sample data: right figures, disclosure held, every choice answered.

Expected figures are recomputed here from the records with plain pandas (written apart from
suna.views.common), then compared with what the views show where disclosure control lets them show it.
"""

from __future__ import annotations

import re
from unittest import mock

import attack
import pandas as pd
import pytest

from suna.disclosure import counts as disclosure_counts
from suna.views import REGISTRY, View, common, treatment

pytestmark = pytest.mark.slow  # loads or computes the sample areas' protected indicators: not in `make test-fast`

TREATMENT_VIEWS = {name: fn for name, fn in REGISTRY.items() if name.startswith("treatment.")}
# Views whose substance-group filter picks rows of a breakdown that is not itself by substance group.
BY_GROUP = [treatment.age_sex_profile, treatment.ethnicity_profile, treatment.time_in_treatment, treatment.unmet_need_cascade]
FUTURE = "2040/41"  # after the sample's records end: every view must answer "no figures", not crash


def _adults_in_treatment(records: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    adults = records[records["age_years"] >= 18]
    started = adults["start_date"] <= pd.Timestamp(end)
    still_open = adults["discharge_date"].isna() | (adults["discharge_date"] >= pd.Timestamp(start))
    return adults[started & still_open]


def _shown_counts(view: View) -> list[int]:
    """Every whole number a view's table shows (suppressed cells are '*')."""
    found = []
    for value in view.table.to_numpy().ravel():
        text = str(value).strip()
        if re.fullmatch(r"[\d,]+", text):
            found.append(int(text.replace(",", "")))
    return found


@pytest.mark.parametrize("name", sorted(TREATMENT_VIEWS))
@pytest.mark.parametrize("choice", [{}, {"district": "Halton 003, 005, 007 and 008"}, {"period": FUTURE}, {"substance_group": "alcohol_only"}],
                         ids=["whole-area", "district", "empty-period", "one-group"])
def test_every_view_answers_every_choice(halton, name, choice):
    view = TREATMENT_VIEWS[name](halton, **choice)
    assert isinstance(view, View)
    assert view.title
    if view.chart is None:
        assert view.findings, f"{name} {choice}: no chart and nothing said"
    if choice.get("period") == FUTURE:
        assert view.chart is None
        assert any("No figures" in line for line in view.findings), view.findings


def test_numbers_in_treatment_match_the_records(halton):
    view = treatment.numbers_in_treatment(halton)
    records = halton.tables["treatment"]
    expected = _adults_in_treatment(records, "2023-04-01", "2024-03-31")["client_id"].nunique()
    row = view.table[view.table["Financial year"] == "2023/24"].iloc[0]
    assert int(row["All substance groups"].replace(",", "")) == expected
    assert f"{expected:,} adults were in structured treatment" in view.findings[0]
    assert "Halton" in view.title and "Halton" in view.chart.to_dict()["title"]["text"]


def test_a_district_is_its_own_records(essex):
    view = treatment.numbers_in_treatment(essex, district="Basildon")
    records = essex.tables["treatment"]
    people = _adults_in_treatment(records, "2023-04-01", "2024-03-31")
    latest = people.sort_values("start_date").drop_duplicates("client_id", keep="last")
    expected = int((latest["district_code"] == "E07000066").sum())
    row = view.table[view.table["Financial year"] == "2023/24"].iloc[0]
    assert int(row["All substance groups"].replace(",", "")) == expected
    assert "Basildon" in view.title


def test_no_small_count_is_shown(halton):
    for name, fn in TREATMENT_VIEWS.items():
        for district in (None, "Halton 003, 005, 007 and 008", "Halton 011, 013 and 016"):
            view = fn(halton, district=district)
            small = [n for n in _shown_counts(view) if 1 <= n <= 4]
            assert not small, f"{name} ({district}) shows counts {small}"


def test_hidden_district_cells_cannot_be_recovered_from_the_whole_area(essex):
    """Attack: take every district's figures and the area's, and try to work out a hidden district cell."""
    area = treatment.exits_by_reason(essex).table.set_index("Exit reason")
    districts = {d: treatment.exits_by_reason(essex, district=d).table.set_index("Exit reason") for d in essex.area.district_codes}
    exits = treatment.exits_by_reason(essex)
    assert exits.chart is not None
    # shares are shown; a district's share is hidden exactly where its count is
    for reason in area.index:
        column = "All substance groups"
        hidden = [d for d, t in districts.items() if t.loc[reason, column] == "suppressed"]
        assert len(hidden) != 1 or area.loc[reason, column] == "suppressed", f"{reason}: one hidden district beside a shown total"


@pytest.mark.parametrize("view", BY_GROUP, ids=lambda view: view.__name__)
def test_a_hidden_count_cannot_be_worked_out_by_switching_substance_group(halton, view):
    """Attack: read the view for all groups and for each group, every district and the whole area, together."""
    assert [str(found) for found in attack.view_group_recoveries(view, halton, treatment.GROUPS)] == []


def test_a_county_hidden_count_cannot_be_worked_out_by_switching_substance_group(essex):
    """The same attack where each district is crossed with the substance groups (a county's districts)."""
    assert [str(found) for found in attack.view_group_recoveries(treatment.time_in_treatment, essex, treatment.GROUPS)] == []


@pytest.mark.parametrize("view", BY_GROUP, ids=lambda view: view.__name__)
def test_switching_substance_group_protects_nothing_again(halton, view, monkeypatch):
    """Every group is picked from one protected table, so a group switch in the app answers at once."""
    monkeypatch.setattr(disclosure_counts, "_PROTECTED", {})  # nothing protected by earlier tests
    view(halton)
    with mock.patch.object(disclosure_counts, "_protect_counts", wraps=disclosure_counts._protect_counts) as protecting:
        for group in treatment.GROUPS:
            view(halton, substance_group=group)
    assert protecting.call_count == 0


def test_one_group_by_age_and_sex_is_for_the_whole_area_only(essex):
    view = treatment.age_sex_profile(essex, district="Basildon", substance_group="opiate")
    assert view.chart is None
    assert "not shown for Basildon" in view.findings[0] and "all substance groups" in view.findings[0]
    assert treatment.age_sex_profile(essex, substance_group="opiate").chart is not None


def test_age_sex_shares_add_up_and_name_the_area(essex):
    view = treatment.age_sex_profile(essex)
    records = essex.tables["treatment"]
    people = _adults_in_treatment(records, "2023-04-01", "2024-03-31").sort_values("start_date").drop_duplicates("client_id", keep="last")
    men = int((people["sex"] == "Male").sum())
    persons = view.table.set_index("Age").loc["All"]
    assert int(persons["Male"].replace(",", "")) == men
    assert f"{men / len(people) * 100:.1f}% of the {len(people):,} adults" in view.findings[0]


def test_successful_completion_is_compared_with_england(halton):
    view = treatment.successful_completion(halton)
    assert view.findings
    text = " ".join(view.findings)
    assert "England" in text or "not compared" in text.lower() or "not available" in text.lower()


def test_unknown_choices_fail_with_suna_errors(halton):
    from suna.core.errors import SunaError

    with pytest.raises(SunaError):
        treatment.numbers_in_treatment(halton, district="Atlantis")
    with pytest.raises(SunaError):
        treatment.numbers_in_treatment(halton, period="2023")
    with pytest.raises(SunaError):
        treatment.numbers_in_treatment(halton, substance_group="tea")


def _census_shares(data, code: str) -> dict[str, float]:
    """Residents' shares by ethnic group for an area or district, worked here with plain pandas."""
    table = data.tables["population_ethnicity"]
    if code != data.area.code:
        table = table[table["district_code"] == code]
    else:
        table = table[table["district_code"].isin(data.area.district_codes)]
    sums = table.groupby("ethnic_group", observed=True)["population"].sum()
    labels = reference_labels()
    return {labels[g]: 100 * v / sums.sum() for g, v in sums.items()}


def reference_labels() -> dict[str, str]:
    from suna.core import reference

    return reference.category_labels("ethnic_groups")


@pytest.mark.parametrize("where", ["area", "district"])
def test_ethnicity_is_compared_with_the_census_residents(essex, where):
    district = essex.area.district_codes[3] if where == "district" else None
    view = treatment.ethnicity_profile(essex, district=district)
    expected = _census_shares(essex, district or essex.area.code)
    shown = dict(zip(view.table["Ethnic group"], view.table[treatment.RESIDENTS]))
    assert shown[reference_labels()["not_stated"]] == "not applicable"
    for label, pct in expected.items():
        assert shown[label] == common.share_text(pct)
    assert "Census 2021" in view.footnote
    if where == "area":
        white = expected[reference_labels()["white"]]
        other = f"{100 - white:.1f}".rstrip("0").rstrip(".")
        compared = [f for f in view.findings if f"against {other}% of residents (Census 2021)" in f]
        assert len(compared) == 2, view.findings  # in treatment and new presentations
        assert all(re.search(r"(higher|lower) than among residents|not significantly different", f) for f in compared)


def test_ethnicity_is_not_compared_when_the_unrecorded_are_suppressed(halton):
    """Halton's adults with no ethnic group recorded are fewer than 5: the comparison would need them
    (for new presentations the White count is hidden too, so no share is given at all)."""
    view = treatment.ethnicity_profile(halton)
    assert "not compared with residents, because the number with none recorded is suppressed" in view.findings[0]
    assert all("not compared with residents" in f or "is not shown" in f for f in view.findings), view.findings
    assert not any("residents (Census 2021)" in f for f in view.findings)


def test_ethnicity_without_the_census_table_says_not_compared(halton):
    from dataclasses import replace

    without = replace(halton, tables={k: v for k, v in halton.tables.items() if k != "population_ethnicity"})
    view = treatment.ethnicity_profile(without)
    assert treatment.RESIDENTS not in view.table.columns
    assert view.findings[0].startswith("Not compared with the resident population")
    assert not any("residents (Census 2021)" in f for f in view.findings)
