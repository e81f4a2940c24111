"""Fixtures the unit tests share: the sample areas' data as the views read it (one loader, not one per file)."""

from __future__ import annotations

import pytest

from suna import pipeline


@pytest.fixture(scope="module")
def halton() -> pipeline.AreaData:
    """Halton (a unitary: its districts are MSOAs), from the run's shared result cache."""
    return pipeline.load_area_data("halton")


@pytest.fixture(scope="module")
def essex() -> pipeline.AreaData:
    """Essex (a county of 12 districts)."""
    return pipeline.load_area_data("essex")


@pytest.fixture(scope="module")
def sefton() -> pipeline.AreaData:
    """Sefton (a metropolitan district: its districts are wards)."""
    return pipeline.load_area_data("sefton")
