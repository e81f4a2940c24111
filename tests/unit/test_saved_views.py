"""A view is drawn once per data version and read back exactly; anything that could make it differ draws it anew."""

from __future__ import annotations

import dataclasses

import pytest

from suna import pipeline
from suna.presentation import outputs
from suna.views import View, overview
from suna.views.saved import saved_view

DRAWN: list[tuple[str, str | None]] = []


@saved_view
def counted(data, *, district=None, indicators=None):
    """A view that records each time it is really drawn."""
    DRAWN.append((data.area.code, district))
    return View(title=f"{data.area.name} {district} {sorted(indicators or [])}", findings=[str(len(data.table))])


@pytest.fixture(scope="module")
def halton():
    return pipeline.load_area_data("halton")  # from the project's result cache, as a batch kernel reads it


@pytest.fixture()
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SUNA_CACHE_DIR", str(tmp_path / "cache"))
    DRAWN.clear()
    return tmp_path / "cache"


def _shown(view: View) -> tuple:
    chart = outputs.chart_output(view.chart) if view.chart is not None else None
    return view.title, chart, view.table.to_dict(), view.footnote, view.findings, view.table_markup


def test_a_view_is_drawn_once_per_data_version_and_choice(halton, cache_dir):
    first = counted(halton)
    again = counted(halton)
    assert DRAWN == [("E06000006", None)]
    assert _shown(again) == _shown(first) and again is not first
    assert len(list(cache_dir.glob(f"derived/E06000006-{halton.fingerprint}-*/view-test_saved_views-counted-*.pkl"))) == 1
    district = halton.area.district_codes[0]
    counted(halton, district=district)
    counted(halton, indicators={"drug_misuse_deaths": "Deaths from drug misuse"})
    counted(halton, indicators={"drug_misuse_deaths": "Deaths from drug misuse"})
    assert DRAWN == [("E06000006", None), ("E06000006", district), ("E06000006", None)]


def test_other_tables_under_the_same_fingerprint_are_drawn_anew(halton, cache_dir):
    counted(halton)
    fewer = dataclasses.replace(halton, tables={**halton.tables, "treatment": halton.tables["treatment"].iloc[:-1]})
    assert fewer.fingerprint == halton.fingerprint
    counted(fewer)
    assert len(DRAWN) == 2


def test_a_choice_that_does_not_name_itself_is_drawn_every_time_and_never_saved(halton, cache_dir):
    counted(halton, indicators=(i for i in ["drug_misuse_deaths"]))
    counted(halton, indicators=(i for i in ["drug_misuse_deaths"]))
    assert len(DRAWN) == 2
    assert not list(cache_dir.glob("derived/*/view-*.pkl"))


def test_the_saved_spine_chart_shows_what_a_fresh_one_does(halton, cache_dir):
    drawn = overview.spine.__wrapped__(halton)
    overview.spine(halton)  # drawn and saved
    saved = overview.spine(halton)
    assert list(cache_dir.glob("derived/*/view-overview-spine-*.pkl"))
    assert _shown(saved) == _shown(drawn)
