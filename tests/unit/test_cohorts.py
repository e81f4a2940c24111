"""Each cohort's breakdowns protected as one table (suna.pipeline.cohorts): every view agrees, nothing can be worked out."""

from __future__ import annotations

import attack
import numpy as np
import pandas as pd
import pytest

from suna import disclosure, pipeline
from suna.disclosure import cohorts as disclosure_cohorts
from suna.disclosure import counts as disclosure_counts
from suna.disclosure import secondary
from suna.model import areas
from suna.model.periods import financial_years
from suna.pipeline import cohorts, indicator_cells
from suna.views import common, treatment

pytestmark = pytest.mark.slow  # loads or computes the sample areas' protected indicators: not in `make test-fast`

COHORTS = ("adults_in_treatment", "new_presentations", "young_new_presentations", "young_people_in_treatment", "exits")


def _people(rows):
    return pd.DataFrame(rows, columns=["district_code", "substance_group", "route", "sex"])


def _tiny_area():
    area = areas.find_area("worcestershire")
    return area


def _tiny_people(area):
    """Hand-made people: a few districts, every group, a small cell or two."""
    rng = np.random.default_rng(7)
    n = 400
    return _people(list(zip(rng.choice(area.district_codes, n), rng.choice(list(disclosure_cohorts.GROUPS), n, p=[0.2, 0.1, 0.1, 0.6]),
                            rng.choice(cohorts.routes(), n, p=[0.6, 0.15, 0.15, 0.05, 0.05]), rng.choice(["Male", "Female"], n))))


def test_a_total_two_breakdowns_share_is_one_cell_hidden_or_shown_in_both():
    area = _tiny_area()
    built = disclosure_cohorts.protect_cohort(_tiny_people(area), area,
                                              [disclosure_cohorts.Breakdown(("route",)), disclosure_cohorts.Breakdown(("sex",))],
                                              {"route": cohorts.routes(), "sex": ["Male", "Female"]})
    by_route, route_table = built.rows(["route"])
    by_sex, sex_table = built.rows(["sex"])
    key = ["area_code", "substance_group"]
    totals_route = route_table.table[route_table.table["route"] == common.ALL].set_index(key)["count_display"]
    totals_sex = sex_table.table[sex_table.table["sex"] == common.ALL].set_index(key)["count_display"]
    assert len(totals_route) == len(totals_sex) == len(built.counts.drop_duplicates(key))
    assert (totals_route == totals_sex.loc[totals_route.index]).all()
    assert (route_table.table["count_display"] == "*").any()  # there was something to protect
    truth = built.protected.table.assign(count=built.counts["count"])
    assert [str(r) for r in attack.attack_table(truth, built.protected)] == []


def test_blanks_are_a_category_of_their_own_and_unknown_values_are_refused():
    area = _tiny_area()
    people = _tiny_people(area)
    people.loc[:9, "route"] = None
    built = disclosure_cohorts.protect_cohort(people, area, [disclosure_cohorts.Breakdown(("route",))], {"route": cohorts.routes()})
    counts, _ = built.rows(["route"], None)
    whole = counts[counts["area_code"] == area.code].set_index("route")["count"]
    assert whole[disclosure_cohorts.NOT_RECORDED] == 10
    assert whole[common.ALL] == whole.drop(common.ALL).sum() == len(people)
    people.loc[0, "route"] = "Carrier pigeon"
    with pytest.raises(ValueError, match="route holds Carrier pigeon"):
        disclosure_cohorts.protect_cohort(people, area, [disclosure_cohorts.Breakdown(("route",))], {"route": cohorts.routes()})


def test_a_merged_category_is_the_margin_of_the_categories_it_merges():
    """The flow's merged exits add up to the exit reasons they merge: the engine is told so, and
    hiding one hides enough of the other that neither can be worked out."""
    data = pipeline.load_area_data("worcestershire")
    built = cohorts.exits(data, data.period)
    equations = {m for m, _ in disclosure.cells._equations(
        disclosure.cells._cell_keys(built.protected.table, list(built.protected.dims), "t"), list(built.protected.dims),
        disclosure.cells._normalise_margins(built.protected.table, list(built.protected.dims), built.protected.margins))}
    other = built.protected.table.index[(built.counts["exit_group"] == cohorts.OTHER_EXIT) & (built.counts["route"] == common.ALL)]
    assert set(other) <= equations  # every merged "Other" cell is a margin of the reasons it merges
    merged = built.counts.loc[other].set_index(["area_code", "substance_group"])["count"]
    reasons = built.counts[built.counts["exit_reason"].isin(["died", "treatment_withdrawn", "incomplete_other"])
                           & (built.counts["exit_group"] == common.ALL)].groupby(["area_code", "substance_group"])["count"].sum()
    assert (merged == reasons.loc[merged.index]).all()


@pytest.mark.parametrize("slug", ["halton", "worcestershire", "essex"])
@pytest.mark.parametrize("name", COHORTS)
def test_the_attacker_works_out_nothing_from_everything_a_cohort_shows(slug, name):
    """Every view and every filter shows cells of these tables and nothing else, so a reader who
    switches through all of them knows at most the whole table: attack it."""
    data = pipeline.load_area_data(slug)
    built = getattr(cohorts, name)(data, data.period)
    truth = built.protected.table.assign(count=built.counts["count"])
    assert [str(r) for r in attack.attack_table(truth, built.protected)] == []


def test_breakdowns_protected_in_turn_hide_no_total_that_the_totals_alone_show():
    """Protected in one go, Essex's new presentations hid 834 of 956 cells, whole-area totals among them."""
    data = pipeline.load_area_data("essex")
    built = cohorts.new_presentations(data, data.period)
    totals = (built.counts[list(built.columns)] == common.ALL).all(axis=1)
    alone = disclosure_counts.protect_counts(built.counts[totals].drop(columns=list(built.columns)), data.area, ["substance_group"],
                                             totals=["substance_group"])
    assert ((built.protected.table.loc[totals, "count_display"] == "*").to_numpy()
            == (alone.table["count_display"] == "*").to_numpy()).all()
    assert (built.protected.table["count_display"] == "*").mean() < 0.7


def test_every_view_of_a_cohort_shows_its_figures_as_the_cohort_table_does():
    """The cascade, the ten-year trend, exits by reason and time in treatment read the same cells
    (protected apart, the cascade and exit reasons disagreed in 24 of Worcestershire's 35 cells)."""
    data = pipeline.load_area_data("worcestershire")
    exits = cohorts.exits(data, data.period)
    in_treatment = cohorts.adults_in_treatment(data, data.period)
    disagree = []
    for group in [None, *treatment.GROUPS]:
        trend = treatment.numbers_in_treatment(data, substance_group=group).table.set_index("Financial year")
        for district in [None, *data.area.district_codes]:
            code = district or data.area.code
            cascade = treatment.unmet_need_cascade(data, district=district, substance_group=group).table.set_index("Stage")
            _, reasons = exits.rows(["exit_reason"], group)
            done = reasons.table[(reasons.table["exit_reason"] == treatment.SUCCESSFUL) & (reasons.table["area_code"] == code)]
            _, people = in_treatment.rows([], group)
            total = people.table[people.table["area_code"] == code]
            shown = [cascade.loc["Successful completion", "Adults"], cascade.loc["In treatment", "Adults"]]
            expect = [common.fmt.format_count(r["count"].iloc[0], r["count_display"].iloc[0]) for r in (done, total)]
            if shown != expect:
                disagree.append(("cascade", group, district, shown, expect))
            if district is None:
                column = "All substance groups" if group is None else next(
                    col for col in trend.columns if col != "All substance groups")
                if trend.loc[data.period, column] != total["count_display"].iloc[0]:
                    disagree.append(("trend", group, trend.loc[data.period, column], total["count_display"].iloc[0]))
    assert disagree == []


def test_a_fixed_cell_is_never_hidden_and_one_that_cannot_be_protected_otherwise_is_refused():
    # total 20 = 1 + 9 + 10: the 1 is primary; with 9 fixed, 10 must go
    values = np.array([20.0, 1.0, 9.0, 10.0])
    primary = np.array([False, True, False, False])
    hidden = secondary.protect_cells(values, primary, [(0, (1, 2, 3))], fixed=np.array([False, False, True, False]))
    assert hidden.tolist() == [False, False, False, True]
    with pytest.raises(secondary.UnprotectableError):
        secondary.protect_cells(values, primary, [(0, (1, 2, 3))], fixed=np.array([True, False, True, True]))


def _indicator_cells(data, name, period):
    """Each treatment figure the protected indicators table shows for the year, with its cell of the cohort table."""
    built = getattr(cohorts, name)(data, period)
    keys = ["area_code", "substance_group", *built.columns]
    index = pd.MultiIndex.from_frame(built.counts[keys])
    codes = indicator_cells._codes()
    table = data.table[data.table["period"] == period]
    found = []
    for fig in (f for f in indicator_cells.FIGURES if f.cohort == name):
        rows = table[(table["indicator_id"] == fig.indicator) & table["area_code"].isin([data.area.code, *data.area.district_codes])
                     & (table[f"{fig.figure}_display"] != "*")]
        cells = indicator_cells._cells(rows, fig, keys, codes)
        found.append(pd.DataFrame({"indicator": fig.indicator, "figure": fig.figure, "area_code": rows["area_code"],
                                   "shown": rows[fig.figure].to_numpy(float),
                                   "at": index.get_indexer(pd.MultiIndex.from_frame(cells[keys]))}))
    return built, pd.concat(found, ignore_index=True)


@pytest.mark.parametrize("slug", ["halton", "worcestershire", "essex"])
@pytest.mark.parametrize("name", ["adults_in_treatment", "new_presentations", "exits", "young_people_in_treatment"])
def test_every_treatment_figure_the_indicators_table_shows_is_a_cell_its_cohort_table_shows(slug, name):
    """So the indicators table and the views together show one audited table (protected apart, together
    they gave 72 of Worcestershire's hidden new-presentation cells away)."""
    data = pipeline.load_area_data(slug)
    for period in (data.period, financial_years(data.period, 5)[0]):
        built, shown = _indicator_cells(data, name, period)
        assert len(shown) > 0
        assert (shown["at"] >= 0).all(), shown[shown["at"] < 0].head()
        cell = built.protected.table.iloc[shown["at"].to_numpy()]
        assert (cell["count_display"] != "*").all()
        assert np.allclose(cell["count"].to_numpy(float), shown["shown"].to_numpy())


@pytest.mark.parametrize("slug, name", [("halton", "adults_in_treatment"), ("worcestershire", "new_presentations"),
                                        ("essex", "exits"), ("worcestershire", "young_people_in_treatment"),
                                        ("worcestershire", "exits")])
def test_the_indicators_table_and_a_cohort_table_together_give_nothing_away(slug, name):
    """A reader of a notebook sees both: attack the cohort table with every figure the indicators table
    shows taken as known (before: Halton 007's 4 non-opiate-only adults worked out; Worcestershire 72
    new-presentation cells; Essex 40 exit cells)."""
    data = pipeline.load_area_data(slug)
    built, shown = _indicator_cells(data, name, data.period)
    table = built.protected.table.copy()
    known = table.index[shown["at"].to_numpy()]
    table.loc[known, "count"] = shown["shown"].to_numpy()
    table.loc[known, "count_display"] = [f"{v:.0f}" for v in shown["shown"]]
    joined = disclosure.Protected(table=table, record=built.protected.record, count_col="count", rule=built.protected.rule,
                                  dims=built.protected.dims, margins=built.protected.margins)
    assert [str(r) for r in attack.attack_table(table.assign(count=built.counts["count"]), joined)] == []


def test_a_count_of_no_cohort_table_is_hidden_where_its_denominator_is():
    """Successful exits not re-presenting: the count is no view's cell, its denominator (successful exits) is."""
    data = pipeline.load_area_data("worcestershire")
    rows = data.table[(data.table["indicator_id"] == "completion_no_representation")
                      & data.table["area_code"].isin([data.area.code, *data.area.district_codes])]
    hidden = rows["denominator_display"] == "*"
    assert hidden.any() and (rows.loc[hidden, "count_display"] == "*").all()


def test_a_ward_figure_the_cohort_table_does_not_break_down_is_hidden_in_the_indicators_table():
    """Halton's wards show one breakdown at a time; the indicators table's ward figures by sex and group are hidden."""
    data = pipeline.load_area_data("halton")
    rows = data.table[(data.table["indicator_id"] == "adults_in_treatment") & (data.table["period"] == data.period)
                      & data.table["area_code"].isin(data.area.district_codes)]
    crossed = rows["sex"].ne("Persons") & rows["category_type"].notna()
    assert crossed.any() and (rows.loc[crossed, "count_display"] == "*").all()
    assert (rows.loc[~crossed, "count_display"] != "*").mean() > 0.5


def test_decided_figures_are_hidden_and_shown_as_decided_and_the_rest_protected_around_them():
    frame = pd.DataFrame({"indicator_id": "x", "area_code": ["A", "d1", "d2", "d3"], "parent_code": ["R", "A", "A", "A"],
                          "period": "2023/24", "count": [30.0, 10.0, 12.0, 8.0], "disclosure_rule": "ndtms", "measure": "count"})
    alone = disclosure.protect_indicators(frame)
    assert (alone.table["count_display"] == "*").sum() == 0
    decided = pd.DataFrame({"count_hidden": [False, True, None, None]}, index=frame.index)
    together = disclosure.protect_indicators(frame, decided=decided).table["count_display"].tolist()
    assert together[0] == "30" and together[1] == "*" and together.count("*") == 2  # d1 hidden there: one more here
