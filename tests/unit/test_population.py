"""suna.model.population: each ethnic group's share of the residents of an area and its districts, and what a table lacks."""

from __future__ import annotations

import pandas as pd
import pytest

from suna.model import population
from suna.model.areas import load_area

GROUPS = ["white", "mixed", "asian", "black", "other"]


def _worcestershire() -> pd.DataFrame:
    """Six districts of 1,000 residents: 900 / 20 / 50 / 20 / 10, except Worcester (800 / 50 / 100 / 30 / 20);
    plus a Thurrock row, which is not Worcestershire's and must be ignored."""
    rows = []
    for code in load_area("worcestershire").district_codes:
        counts = (800, 50, 100, 30, 20) if code == "E07000237" else (900, 20, 50, 20, 10)
        rows += [(code, g, float(n)) for g, n in zip(GROUPS, counts)]
    rows.append(("E06000034", "white", 5000.0))
    return pd.DataFrame(rows, columns=["district_code", "ethnic_group", "population"])


def test_shares_for_the_area_then_each_district():
    area = load_area("worcestershire")
    table = _worcestershire()
    before = table.copy()
    shares = population.ethnicity_shares(table, area)
    assert list(shares.columns) == ["area_code", "ethnic_group", "population", "share_pct"]
    assert shares["area_code"].drop_duplicates().tolist() == [area.code, *area.district_codes]
    assert shares["ethnic_group"].tolist()[:5] == GROUPS
    whole = shares[shares["area_code"] == area.code].set_index("ethnic_group")
    # white 5 x 900 + 800 = 5,300 of 6,000; asian 5 x 50 + 100 = 350 of 6,000
    assert whole.loc["white", "population"] == 5300
    assert whole.loc["white", "share_pct"] == pytest.approx(100 * 5300 / 6000)
    assert whole.loc["asian", "share_pct"] == pytest.approx(100 * 350 / 6000)
    worcester = shares[shares["area_code"] == "E07000237"].set_index("ethnic_group")
    assert worcester.loc["asian", "share_pct"] == pytest.approx(10.0)
    assert shares.groupby("area_code")["share_pct"].sum().round(9).eq(100).all()
    pd.testing.assert_frame_equal(table, before)  # input unchanged


def test_a_district_without_residents_has_no_share():
    area = load_area("worcestershire")
    table = _worcestershire()
    table = table.assign(population=table["population"].where(table["district_code"] != "E07000234", 0.0))
    shares = population.ethnicity_shares(table, area)
    assert shares.loc[shares["area_code"] == "E07000234", "share_pct"].isna().all()
    assert shares.loc[shares["area_code"] == area.code, "population"].sum() == 5000


def test_gaps_name_missing_districts_and_groups():
    area = load_area("worcestershire")
    table = _worcestershire()
    assert population.ethnicity_gaps(table, area) is None
    lacking = table[(table["district_code"] != "E07000235") & ~((table["district_code"] == "E07000237") & (table["ethnic_group"] == "other"))]
    assert population.ethnicity_gaps(lacking, area) == (
        "no rows for 1 of the 6 districts of Worcestershire: Malvern Hills (E07000235); Worcester has no row for other")
