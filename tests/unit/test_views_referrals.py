"""The referral views on the sample data: shares, young people, waits and flows against the records."""

from __future__ import annotations

import attack
import pandas as pd
import pytest

from suna.core import reference
from suna.views import REGISTRY, View, referrals

pytestmark = pytest.mark.slow  # loads or computes the sample areas' protected indicators: not in `make test-fast`

REFERRAL_VIEWS = {name: fn for name, fn in REGISTRY.items() if name.startswith("referrals.")}
# Views whose substance-group filter picks rows of a breakdown that is not itself by substance group.
BY_GROUP = [referrals.referral_sources_by_sex, referrals.young_people_routes, referrals.criminal_justice_trend,
            referrals.referral_mix_by_district]
FUTURE = "2040/41"


def _new_adults(records: pd.DataFrame, young: bool = False) -> pd.DataFrame:
    """One row per person starting treatment in 2023/24 (their latest start)."""
    ages = records["age_years"]
    chosen = records[(ages < 18) if young else (ages >= 18)]
    started = chosen[(chosen["start_date"] >= "2023-04-01") & (chosen["start_date"] <= "2024-03-31")]
    return started.sort_values("start_date").drop_duplicates("client_id", keep="last")


def _pct(text: str) -> float:
    return float(text.rstrip("%"))


@pytest.mark.parametrize("name", sorted(REFERRAL_VIEWS))
@pytest.mark.parametrize("choice", [{}, {"district": "Halton 003, 005, 007 and 008"}, {"period": FUTURE}, {"substance_group": "opiate"}],
                         ids=["whole-area", "district", "empty-period", "one-group"])
def test_every_view_answers_every_choice(halton, name, choice):
    view = REFERRAL_VIEWS[name](halton, **choice)
    assert isinstance(view, View) and view.title
    if view.chart is None:
        assert view.findings
    if choice.get("period") == FUTURE:
        assert view.chart is None
        assert any("No figures" in line for line in view.findings), view.findings


def test_route_shares_match_the_records(essex):
    view = referrals.referral_sources(essex)
    people = _new_adults(essex.tables["treatment"])
    route = people["referral_source"].map(reference.referral_route_groups())
    expected = route.value_counts(normalize=True) * 100
    shown = view.table.set_index("Referral route")["All substance groups: Essex"]
    for name, share in expected.items():
        assert _pct(shown[name]) == pytest.approx(share, abs=0.05), name
    spec = view.chart.to_dict()
    assert "Essex" in spec["title"]["text"]


def test_young_people_routes_count_under_18s(essex):
    view = referrals.young_people_routes(essex)
    young = _new_adults(essex.tables["treatment"], young=True)
    assert len(young) > 0, "the sample has young people"
    route = young["referral_source"].map(reference.referral_route_groups())
    shown = view.table.set_index("Referral route")["Persons: Essex"]
    visible = [r for r in shown.index if shown[r] != "suppressed"]
    assert visible, "some young people's route is shown for Essex"
    for name in visible:
        assert _pct(shown[name]) == pytest.approx((route == name).mean() * 100, abs=0.05)


def test_waiting_within_three_weeks(essex):
    view = referrals.waiting_times(essex)
    people = _new_adults(essex.tables["treatment"])
    days = (people["start_date"] - people["referral_date"]).dt.days
    expected = (days <= 21).mean() * 100
    shown = view.table.set_index("Wait").loc["Within 3 weeks", "All substance groups"]
    assert _pct(shown) == pytest.approx(expected, abs=0.05)


def test_criminal_justice_trend_has_ten_years_with_intervals(essex):
    view = referrals.criminal_justice_trend(essex)
    assert list(view.table["Financial year"]) == [f"{y}/{(y + 1) % 100:02d}" for y in range(2014, 2024)]
    people = _new_adults(essex.tables["treatment"])
    cj = people["referral_source"].map(reference.referral_route_groups()) == "Criminal justice"
    last = view.table.iloc[-1]
    assert int(last["Referred by criminal justice"].replace(",", "")) == int(cj.sum())
    assert "to" in last["95% confidence interval"]


def test_flow_steps_agree_with_each_other(essex):
    view = referrals.referral_flow(essex)
    table = view.table
    step1 = table[table["Step"] == "Referral route to substance group"]
    step2 = table[table["Step"] == "Substance group to exit"]
    assert len(step1) and len(step2)
    for group in step1["To"].unique():
        into = step1[step1["To"] == group]["Exits"]
        out = step2[step2["From"] == group]["Exits"]
        if "*" not in set(into) and "*" not in set(out):
            assert sum(int(x.replace(",", "")) for x in into) == sum(int(x.replace(",", "")) for x in out), group


def test_district_mix_names_districts(essex):
    view = referrals.referral_mix_by_district(essex, district="Tendring")
    assert set(essex.area.district_names().values()) <= set(view.table["Area"])
    assert any("Tendring" in line for line in view.findings)


@pytest.mark.parametrize("view", BY_GROUP, ids=lambda view: view.__name__)
def test_a_hidden_count_cannot_be_worked_out_by_switching_substance_group(halton, view):
    """Attack: read the view for all groups and for each group, every district and the whole area, together."""
    assert [str(found) for found in attack.view_group_recoveries(view, halton, referrals.GROUPS)] == []


def test_a_county_hidden_count_cannot_be_worked_out_by_switching_substance_group(essex):
    """The same attack where each district is crossed with the substance groups (a county's districts)."""
    found = attack.view_group_recoveries(referrals.referral_mix_by_district, essex, referrals.GROUPS)
    assert [str(one) for one in found] == []


def test_one_group_by_district_is_not_crossed_in_a_unitary(halton):
    """Halton's districts are localities of MSOAs: one group's routes by locality would cross two breakdowns."""
    view = referrals.referral_mix_by_district(halton, substance_group="opiate")
    assert view.chart is None
    assert view.findings[0].endswith("Choose all substance groups.")


def test_no_small_count_is_shown(halton):
    for name, fn in REFERRAL_VIEWS.items():
        view = fn(halton, district="Halton 003, 005, 007 and 008")
        for value in view.table.to_numpy().ravel():
            digits = str(value).replace(",", "")
            assert not (digits.isdigit() and 1 <= int(digits) <= 4), f"{name} shows {value}"
