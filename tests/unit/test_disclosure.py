"""Disclosure rules per source, rates, notes, footnotes and errors (suna.disclosure).

Expected values are worked out by hand from the rules in data/reference/disclosure_rules.yaml
(NDTMS: 1-4 hidden; HES: 1-7 hidden, others rounded to the nearest 5; ONS deaths: 1-2 hidden;
no DSR under 10 events, no crude rate under 3, "unreliable" under 20). The attacks on secondary
suppression are in test_disclosure_attack.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from attack import attack_table

from suna import disclosure, indicators
from suna.core.errors import DisclosureError, SunaError

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "disclosure" / "worcestershire_district_sex_counts.csv"
WORCESTERSHIRE = "E10000034"


def _flat(counts: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"cell": [f"c{i}" for i in range(len(counts))], "count": counts})


def _shown(counts: list[float], rule: str) -> list[str]:
    return disclosure.protect_table(_flat(counts), "count", rule, dims=["cell"]).table["count_display"].tolist()


# ------------------------------------------------------------------------------------------------
# Primary rules, one source at a time (no margins, so nothing else is hidden)
# ------------------------------------------------------------------------------------------------


def test_ndtms_hides_1_to_4_and_shows_0_and_5() -> None:
    assert _shown([0, 1, 2, 3, 4, 5, 6, 1234], "ndtms") == ["0", "*", "*", "*", "*", "5", "6", "1,234"]


def test_ndtms_hidden_counts_are_missing_not_zero() -> None:
    table = disclosure.protect_table(_flat([3, 7]), "count", "ndtms", dims=["cell"]).table
    assert np.isnan(table["count"].iloc[0]) and table["count"].iloc[1] == 7


@pytest.mark.parametrize(
    ("count", "shown"),
    [(0, "0"), (1, "*"), (7, "*"), (8, "10"), (10, "10"), (12, "10"), (13, "15"), (17, "15"), (18, "20"), (1232, "1,230"), (1233, "1,235")],
)
def test_hes_hides_1_to_7_and_rounds_the_rest_to_the_nearest_5(count: int, shown: str) -> None:
    """Nearest multiple of 5: 12 -> 10, 13 -> 15. A whole count is never exactly halfway, so the
    tie rule (halves up) never applies to counts."""
    assert _shown([count], "hes") == [shown]


def test_hes_rounded_counts_are_numbers_in_the_count_column() -> None:
    table = disclosure.protect_table(_flat([12, 13]), "count", "hes", dims=["cell"]).table
    assert table["count"].tolist() == [10.0, 15.0]


def test_ons_deaths_hide_1_and_2_and_show_3() -> None:
    assert _shown([0, 1, 2, 3], "ons_deaths") == ["0", "*", "*", "3"]


def test_record_says_what_was_done_to_each_cell_and_why() -> None:
    record = disclosure.protect_table(_flat([0, 3, 12]), "count", "hes", dims=["cell"]).record
    assert list(record.columns) == disclosure.RECORD_COLUMNS
    by_row = record.set_index("row")
    assert by_row.loc[1, "action"] == "primary" and by_row.loc[1, "threshold"] == 8
    assert by_row.loc[2, "action"] == "rounded" and by_row.loc[2, "threshold"] == 5
    assert 0 not in by_row.index  # a shown zero needs nothing
    assert "12" not in " ".join(map(str, record.to_numpy().ravel()))  # the record holds no values


# ------------------------------------------------------------------------------------------------
# Secondary suppression and what the shown table says about it
# ------------------------------------------------------------------------------------------------


def _sexes(male: int, female: int) -> pd.DataFrame:
    return pd.DataFrame({"sex": ["Male", "Female", "Persons"], "count": [male, female, male + female]})


def test_a_lone_small_cell_takes_a_sibling_with_it() -> None:
    protected = disclosure.protect_table(_sexes(3, 40), "count", "ndtms", dims=["sex"], margins={"sex": "Persons"})
    shown = protected.table.set_index("sex")["count_display"]
    # Male 3 is hidden; Female would give it back from Persons 43, so one of them goes too
    assert shown["Male"] == "*"
    assert (shown[["Female", "Persons"]] == "*").sum() == 1
    actions = protected.record.set_index("row")["action"]
    assert sorted(actions) == ["primary", "secondary"]


def test_primary_and_protecting_cells_carry_the_same_note() -> None:
    """Saying which hidden cell is the small one would give Male *, Female *, Persons 6 away as 1
    and 5 (1 to 4, and 5 or more, adding to 6)."""
    protected = disclosure.protect_table(_sexes(1, 5), "count", "ndtms", dims=["sex"], margins={"sex": "Persons"})
    table = protected.table.set_index("sex")
    assert table.loc["Male", "count_display"] == "*" and table.loc["Female", "count_display"] == "*"
    assert table.loc["Male", "value_note"] == table.loc["Female", "value_note"] == "Not shown to protect privacy: fewer than 5 people, or hidden so that such a number cannot be worked out"
    assert table.loc["Persons", "count_display"] == "6"  # with one note for both, 6 does not give them away
    assert attack_table(_sexes(1, 5), protected) == []


def test_a_total_over_hidden_ones_is_hidden_too() -> None:
    """Five categories of 1 under a total of 5: no linear relation fixes any of them, but a hidden
    count is at least 1 (zeros are shown), so 5 over five hidden cells means each is 1."""
    frame = pd.DataFrame({"category": ["all", "a", "b", "c", "d", "e"], "count": [5, 1, 1, 1, 1, 1]})
    protected = disclosure.protect_table(frame, "count", "ndtms", dims=["category"], margins={"category": "all"})
    assert (protected.table["count_display"] == "*").all()
    assert attack_table(frame, protected) == []


def test_zero_is_shown_and_not_used_to_protect_when_another_cell_can() -> None:
    frame = pd.DataFrame({"sex": ["Male", "Female", "Unknown", "Persons"], "count": [2, 30, 0, 32]})
    protected = disclosure.protect_table(frame, "count", "ndtms", dims=["sex"], margins={"sex": "Persons"})
    shown = protected.table.set_index("sex")["count_display"]
    assert shown["Unknown"] == "0"
    assert shown["Male"] == "*" and (shown[["Female", "Persons"]] == "*").sum() == 1


def test_values_beside_a_hidden_count_are_removed() -> None:
    frame = _flat([3, 40]).assign(value=[12.5, 166.7], value_lower_ci95=[2.6, 119.0], value_upper_ci95=[36.5, 227.0])
    table = disclosure.protect_table(frame, "count", "ndtms", dims=["cell"]).table
    assert table.loc[0, ["value", "value_lower_ci95", "value_upper_ci95"]].isna().all()
    assert table.loc[1, "value"] == 166.7


def test_protected_keeps_the_declared_relations_and_old_construction_still_works() -> None:
    protected = disclosure.protect_table(_sexes(3, 40), "count", "ndtms", dims=["sex"], margins={"sex": "Persons"})
    assert (protected.count_col, protected.rule, protected.dims) == ("count", "ndtms", ("sex",))
    assert protected.margins == {"sex": "Persons"}
    bare = disclosure.Protected(table=protected.table, record=protected.record)
    assert bare.footnote == protected.footnote and bare.dims == ()


# ------------------------------------------------------------------------------------------------
# Rates and proportions in the indicators table
# ------------------------------------------------------------------------------------------------


def _indicator(measure: str, rule: str, counts: list[float], denominators: list[float] | None = None) -> pd.DataFrame:
    """One area row per count (no margins between them), value 1.0 everywhere so removal shows."""
    n = len(counts)
    return pd.DataFrame(
        {
            "indicator_id": [f"{measure}_test"] * n,
            "area_code": [f"E0700{i:04d}" for i in range(n)],
            "parent_code": ["E12000001"] * n,
            "period": ["2023/24"] * n,
            "sex": ["Persons"] * n,
            "category_type": [None] * n,
            "category": [None] * n,
            "count": counts,
            "denominator": denominators if denominators is not None else [100_000.0] * n,
            "value": [1.0] * n,
            "value_lower_ci95": [0.5] * n,
            "value_upper_ci95": [1.5] * n,
            "value_note": [None] * n,
            "measure": [measure] * n,
            "disclosure_rule": [rule] * n,
        }
    )


def test_dsr_is_not_calculated_under_10_events_and_flagged_under_20() -> None:
    table = disclosure.protect_indicators(_indicator("dsr", "ons_deaths", [9, 10, 19, 20])).table
    assert table["value"].isna().tolist() == [True, False, False, False]
    assert table["value_lower_ci95"].isna().tolist() == [True, False, False, False]
    assert table["count_display"].tolist() == ["9", "10", "19", "20"]  # the counts themselves are shown
    notes = table["value_note"].tolist()
    assert notes[0] == "Rate not calculated: fewer than 10 deaths"
    assert notes[1] == notes[2] == "Value may be unreliable: fewer than 20 deaths"
    assert notes[3] is None


def test_crude_rate_is_calculated_from_3_events() -> None:
    """The crude minimum (3) sits at or below every source threshold, so a count under 3 is
    already hidden; 3 ONS deaths give a crude rate, flagged unreliable."""
    table = disclosure.protect_indicators(_indicator("crude_rate", "ons_deaths", [2, 3])).table
    assert table["value"].isna().tolist() == [True, False]
    assert table["value_note"].tolist() == [
        "Not shown to protect privacy: fewer than 3 deaths, or hidden so that such a number cannot be worked out",
        "Value may be unreliable: fewer than 20 deaths",
    ]


def test_no_comparison_and_no_note_about_one_beside_a_hidden_value() -> None:
    """A suppressed count or an uncalculated rate takes its comparisons (and any note on how the value was
    compared) with it; a shown value keeps both."""
    raw = _indicator("dsr", "ons_deaths", [2, 9, 40]).assign(
        compared_to_england=["Worse", "Better", "Worse"], compared_to_region=["Similar", "Worse", "Similar"],
        value_note=[indicators.NOT_COMPARED_NO_INTERVAL, None, indicators.NOT_COMPARED_NO_INTERVAL])
    table = disclosure.protect_indicators(raw).table
    assert table["compared_to_england"].tolist() == [None, None, "Worse"]
    assert table["compared_to_region"].tolist() == [None, None, "Similar"]
    assert table["value_note"].tolist() == ["Not shown to protect privacy: fewer than 3 deaths, or hidden so that such a number cannot be worked out",
                                            "Rate not calculated: fewer than 10 deaths",
                                            indicators.NOT_COMPARED_NO_INTERVAL]


def test_hes_dsr_threshold_uses_the_true_count() -> None:
    """HES 9 is shown as 10 but the rate is still not calculated (9 < 10)."""
    table = disclosure.protect_indicators(_indicator("dsr", "hes", [9, 12])).table
    assert table["count_display"].tolist() == ["10", "10"]
    assert table["value"].isna().tolist() == [True, False]


def test_a_count_is_hidden_where_the_rest_of_its_denominator_is_small() -> None:
    """28 of 30 successful exits shown beside each other say that 2 were not: the count goes."""
    raw = _indicator("proportion", "ndtms", [28, 10, 6], denominators=[30, 20, 30])
    table = disclosure.protect_indicators(raw).table
    assert table.loc[0, "count_display"] == "*"
    assert table.loc[0, "denominator_display"] == "30"
    assert np.isnan(table.loc[0, "value"]) and table.loc[1, "value"] == 1.0


def test_proportion_is_removed_where_its_denominator_is_hidden() -> None:
    raw = _indicator("proportion", "ndtms", [0, 3, 6], denominators=[4, 20, 30])
    table = disclosure.protect_indicators(raw).table
    assert table["denominator_display"].tolist() == ["*", "20", "30"]
    assert table["count_display"].tolist() == ["0", "*", "6"]
    assert table["value"].isna().tolist() == [True, True, False]
    assert table.loc[0, "value_note"] == "Denominator not shown to protect privacy: fewer than 5 people, or hidden so that such a number cannot be worked out"


def test_protect_indicators_keeps_rows_and_order() -> None:
    raw = _indicator("count", "ndtms", [1, 50])
    table = disclosure.protect_indicators(raw).table
    assert table.index.equals(raw.index) and table["area_code"].tolist() == raw["area_code"].tolist()
    assert table["value"].tolist()[1] == 50  # a count's value is the shown count


# ------------------------------------------------------------------------------------------------
# Footnotes
# ------------------------------------------------------------------------------------------------


def test_footnote_for_ndtms_with_protecting_cells() -> None:
    protected = disclosure.protect_table(_sexes(3, 40), "count", "ndtms", dims=["sex"], margins={"sex": "Persons"})
    assert protected.footnote == (
        "* Not shown to protect privacy: counts of 1 to 4 people (NDTMS rule), and other counts where needed "
        "so that none can be worked out from totals or other figures."
    )


def test_footnote_does_not_say_how_many_cells_protect_others() -> None:
    one = disclosure.protect_table(_sexes(3, 40), "count", "ndtms", dims=["sex"], margins={"sex": "Persons"})
    none = disclosure.protect_table(_flat([3, 40]), "count", "ndtms", dims=["cell"])
    assert one.footnote == none.footnote


def test_footnote_for_hes_rounding_and_ons() -> None:
    hes = disclosure.protect_table(_flat([12, 40]), "count", "hes", dims=["cell"])
    assert hes.footnote == "Counts are rounded to the nearest 5 (HES rule), so figures may not add up to the totals shown."
    hes_hidden = disclosure.protect_table(_flat([3, 40]), "count", "hes", dims=["cell"])
    assert hes_hidden.footnote.startswith("* Not shown to protect privacy: counts of 1 to 7 admissions (HES rule)")
    assert "Other counts are rounded to the nearest 5 (HES rule)" in hes_hidden.footnote
    ons = disclosure.protect_table(_flat([2, 40]), "count", "ons_deaths", dims=["cell"])
    assert ons.footnote.startswith("* Not shown to protect privacy: counts of 1 or 2 deaths (ONS rule)")


def test_footnote_for_rates_and_proportions() -> None:
    rates = disclosure.protect_indicators(_indicator("dsr", "ons_deaths", [9, 15, 40]))
    assert rates.footnote == (
        "Directly standardised rates are not calculated from fewer than 10 deaths. "
        "Values based on fewer than 20 deaths may be unreliable."
    )
    props = disclosure.protect_indicators(_indicator("proportion", "ndtms", [0, 6], denominators=[3, 30]))
    assert "Proportions are not shown where their count or denominator is not shown." in props.footnote


def test_no_footnote_when_nothing_was_done() -> None:
    assert disclosure.protect_table(_flat([0, 40]), "count", "ndtms", dims=["cell"]).footnote == ""


def test_hes_rounded_denominators_alone_do_not_claim_suppression() -> None:
    props = disclosure.protect_indicators(_indicator("proportion", "hes", [20, 30], denominators=[42, 61]))
    assert "Proportions are not shown" not in props.footnote


# ------------------------------------------------------------------------------------------------
# Errors name the column, rows or parameter; the input is never changed
# ------------------------------------------------------------------------------------------------


def test_unknown_rule_names_it_and_the_choices() -> None:
    with pytest.raises(DisclosureError, match=r"Unknown disclosure rule 'ndtm'.*ndtms, hes, ons_deaths"):
        disclosure.protect_table(_flat([1]), "count", "ndtm", dims=["cell"])


def test_missing_count_column_is_named() -> None:
    with pytest.raises(DisclosureError, match=r"column 'n_people' is missing"):
        disclosure.protect_table(_flat([1]), "n_people", "ndtms", dims=["cell"])


def test_missing_dimension_is_named() -> None:
    with pytest.raises(DisclosureError, match=r"dimension column\(s\) 'district' are missing"):
        disclosure.protect_table(_flat([1]), "count", "ndtms", dims=["district"])


def test_non_numeric_and_negative_counts_name_column_and_rows() -> None:
    with pytest.raises(DisclosureError, match=r"column 'count' has values that are not numbers \(rows 1\)"):
        disclosure.protect_table(_flat([1, "few"]), "count", "ndtms", dims=["cell"])
    with pytest.raises(DisclosureError, match=r"column 'count' has negative counts \(rows 0\)"):
        disclosure.protect_table(_flat([-1, 5]), "count", "ndtms", dims=["cell"])


def test_duplicate_cells_and_stray_margins_are_refused() -> None:
    twice = pd.DataFrame({"sex": ["Male", "Male"], "count": [1, 2]})
    with pytest.raises(DisclosureError, match=r"appear more than once.*sex=Male"):
        disclosure.protect_table(twice, "count", "ndtms", dims=["sex"])
    with pytest.raises(DisclosureError, match=r"Margins are declared for 'area_code'"):
        disclosure.protect_table(_sexes(1, 5), "count", "ndtms", dims=["sex"], margins={"area_code": "E10000034"})


def test_protect_indicators_errors_name_the_column() -> None:
    raw = _indicator("dsr", "hes", [12])
    with pytest.raises(DisclosureError, match=r"column\(s\) 'disclosure_rule' are missing"):
        disclosure.protect_indicators(raw.drop(columns="disclosure_rule"))
    with pytest.raises(DisclosureError, match=r"column 'measure' must be one of"):
        disclosure.protect_indicators(raw.assign(measure="ratio"))
    with pytest.raises(DisclosureError, match=r"Unknown disclosure rule 'nhs'"):
        disclosure.protect_indicators(raw.assign(disclosure_rule="nhs"))
    mixed = pd.concat([raw, raw.assign(area_code="E07000999", disclosure_rule="ndtms")], ignore_index=True)
    with pytest.raises(DisclosureError, match=r"dsr_test have more than one disclosure_rule"):
        disclosure.protect_indicators(mixed)


def test_disclosure_errors_are_suna_errors() -> None:
    assert issubclass(DisclosureError, SunaError)


def test_input_is_never_modified() -> None:
    frame = _sexes(3, 40).assign(value=[1.0, 2.0, 3.0])
    before = frame.copy(deep=True)
    disclosure.protect_table(frame, "count", "ndtms", dims=["sex"], margins={"sex": "Persons"})
    pd.testing.assert_frame_equal(frame, before)
    raw = _indicator("proportion", "ndtms", [0, 3, 6], denominators=[4, 20, 30])
    raw_before = raw.copy(deep=True)
    disclosure.protect_indicators(raw)
    pd.testing.assert_frame_equal(raw, raw_before)


# ------------------------------------------------------------------------------------------------
# assert_protected and sentences
# ------------------------------------------------------------------------------------------------


def test_assert_protected_refuses_raw_small_and_unrounded_counts() -> None:
    with pytest.raises(DisclosureError, match=r"column 'count', rows 1"):
        disclosure.assert_protected(_flat([40, 3]), "ndtms")
    with pytest.raises(DisclosureError, match=r"HES rule suppresses or rounds"):
        disclosure.assert_protected(_flat([12]), "hes")


def test_assert_protected_passes_a_protected_table_and_returns_it() -> None:
    table = disclosure.protect_table(_flat([3, 12]), "count", "hes", dims=["cell"]).table
    assert disclosure.assert_protected(table, "hes") is table


def test_assert_protected_refuses_a_value_beside_a_hidden_count() -> None:
    table = disclosure.protect_table(_flat([3, 40]), "count", "ndtms", dims=["cell"]).table
    leaked = table.assign(value=[0.7, 9.0])
    with pytest.raises(DisclosureError, match=r"Column 'value' shows a value where the count is suppressed \(rows 0\)"):
        disclosure.assert_protected(leaked, "ndtms")


@pytest.mark.parametrize(
    ("count", "rule", "text"),
    [(3, "ndtms", "a suppressed number"), (None, "ndtms", "a suppressed number"), (float("nan"), "hes", "a suppressed number"),
     (13, "hes", "about 15"), (1233, "hes", "about 1,235"), (1234, "ndtms", "1,234"), (0, "hes", "0")],
)
def test_safe_count_text(count: float | None, rule: str, text: str) -> None:
    assert disclosure.safe_count_text(count, rule) == text


def test_safe_count_text_refuses_negative_counts() -> None:
    with pytest.raises(DisclosureError, match="counts are 0 or more"):
        disclosure.safe_count_text(-2, "ndtms")


# ------------------------------------------------------------------------------------------------
# A realistic table: Worcestershire's six districts by sex, two years
# ------------------------------------------------------------------------------------------------


def worcestershire_table() -> pd.DataFrame:
    """The fixture's district x sex counts plus the Persons rows and the county rows, worked out here."""
    cells = pd.read_csv(FIXTURE, comment="#")
    persons = cells.groupby(["area_code", "period"], as_index=False)["count"].sum().assign(sex="Persons")
    districts = pd.concat([cells, persons], ignore_index=True)
    county = districts.groupby(["period", "sex"], as_index=False)["count"].sum().assign(area_code=WORCESTERSHIRE)
    return pd.concat([districts, county], ignore_index=True)[["period", "area_code", "sex", "count"]]


def test_worcestershire_fixture_totals() -> None:
    table = worcestershire_table().set_index(["period", "area_code", "sex"])["count"]
    assert table[("2022/23", WORCESTERSHIRE, "Persons")] == 135
    assert table[("2023/24", WORCESTERSHIRE, "Female")] == 35
    assert table[("2022/23", "E07000235", "Persons")] == 4  # the lone small cell: Male 4, Female 0


def test_worcestershire_districts_by_sex() -> None:
    truth = worcestershire_table()
    protected = disclosure.protect_table(
        truth, "count", "ndtms", dims=["period", "area_code", "sex"], margins={"sex": "Persons", "area_code": WORCESTERSHIRE}
    )
    table = protected.table
    small = truth["count"].between(1, 4)
    hidden = table["count_display"] == "*"
    assert hidden[small].all()
    assert (table.loc[truth["count"] == 0, "count_display"] == "0").all()
    # shown counts are the true counts; hidden ones are missing
    assert (table.loc[~hidden, "count"] == truth.loc[~hidden, "count"]).all()
    assert table.loc[hidden, "count"].isna().all()
    # more is hidden than the small cells, and the record says which is which
    record = protected.record
    assert set(record.loc[record["action"] == "primary", "row"]) == set(truth.index[small])
    assert set(record.loc[record["action"] == "secondary", "row"]) == set(truth.index[hidden & ~small])
    assert (hidden & ~small).sum() >= 1
    # the district whose only small cell is Male 4 (Female 0): Persons 4 is small too
    lone = table.set_index(["period", "area_code", "sex"])["count_display"]
    assert lone[("2022/23", "E07000235", "Male")] == "*" and lone[("2022/23", "E07000235", "Female")] == "0"
    assert attack_table(truth, protected) == []
    assert protected.footnote.startswith("* Not shown to protect privacy: counts of 1 to 4 people (NDTMS rule)")


def test_a_figure_hidden_in_one_indicator_is_hidden_where_another_shows_the_same_quantity() -> None:
    """Adults in treatment and the treatment rate's numerator are one quantity: a district hidden
    in one must be hidden in the other, or a reader carries it across. (Private helper: on the
    sample the two tables already come out alike, so protect_indicators alone cannot show it.)"""
    frame = pd.DataFrame(
        {
            "indicator_id": ["adults_in_treatment"] * 3 + ["treatment_rate"] * 3 + ["other"] * 3,
            "area_code": ["A", "B", "Area"] * 3,
            "period": ["2023/24"] * 9,
            "sex": ["Persons"] * 9,
            "age": ["18+ yrs"] * 9,
            "_category_key": [""] * 9,
        }
    )
    counts = np.array([8, 30, 38, 8, 30, 38, 8, 31, 39], dtype=float)  # "other" differs in B: not linked
    hidden = np.array([True, True, False] + [False] * 6)
    none = np.zeros(9, dtype=bool)
    sec_c, sec_d = disclosure.indicator_table._hide_same_quantities(frame, counts, np.full(9, np.nan), hidden.copy(), none.copy(), none.copy(), none.copy())
    assert sec_c.tolist() == [False, False, False, True, True, False, False, False, False]
    assert not sec_d.any()


def test_figures_that_cannot_add_up_name_the_table() -> None:
    """Missing counts no figures can fill (A is A1 + A2, at least 6, yet A + B = 5): one clear message naming the table."""
    frame = pd.DataFrame({"district": ["Area", "A", "B", "A1", "A2"], "count": [5.0, None, None, 5.0, 2.0]})
    margins = {"district": [("Area", ["A", "B"]), ("A", ["A1", "A2"])]}
    with pytest.raises(DisclosureError, match=r"could not protect table passed to protect_table \(count column 'count'\)"):
        disclosure.protect_table(frame, "count", "ndtms", dims=["district"], margins=margins)


def test_published_figures_and_whole_area_headlines_are_the_figures_kept_shown():
    frame = pd.DataFrame({
        "indicator_id": ["drug_poisoning_deaths_ons", "drug_poisoning_deaths", "drug_poisoning_deaths",
                         "drug_poisoning_deaths", "drug_poisoning_deaths"],
        "area_code": ["E07000066", "E10000012", "E10000012", "E10000012", "E07000066"],
        "sex": ["Persons", "Persons", "Male", "Persons", "Persons"],
        "_category_key": ["", "", "", "Age\x1f25-34", ""],
    })
    cost = disclosure.whole_area_cost(frame, {"E10000012": ["E07000066"]})
    assert cost.tolist() == [0, 1, 1, 1, 0]
    keep = disclosure.indicator_table._keep_shown(frame, [(np.arange(5), None, False, "", cost)])
    # the ONS-published district count; the whole county's headline; not its sexes, ages or districts
    assert keep.tolist() == [True, True, False, False, False]


def test_a_whole_area_headline_kept_shown_moves_protection_to_the_small_areas():
    # Persons: area 30 = district A 2 + district B 28; the sexes of A are 1 and 1, of B 14 and 14;
    # the area's sexes 15 and 15. Hiding A (primary) and its sexes, the audit wants one more cell
    # in the area's relation: B (a small area), never the whole-area headline 30 that is kept.
    frame = pd.DataFrame({
        "area_code": ["T", "A", "B"] * 3,
        "sex": ["Persons"] * 3 + ["Male"] * 3 + ["Female"] * 3,
        "count": [30, 2, 28, 15, 1, 14, 15, 1, 14],
    })
    keep = ((frame["area_code"] == "T") & (frame["sex"] == "Persons")).to_numpy()
    protected = disclosure.protect_table(frame, "count", "ndtms", dims=["area_code", "sex"],
                                         margins={"area_code": {"T": ["A", "B"]}, "sex": "Persons"}, keep=keep)
    shown = protected.table.set_index(["area_code", "sex"])["count_display"]
    assert shown[("T", "Persons")] == "30"
    assert shown[("A", "Persons")] == shown[("B", "Persons")] == "*"
    assert attack_table(frame, protected) == []  # no hidden count recovered
