"""Shared test set-up: where the project and the shared reference data are."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PROJECT = Path(__file__).resolve().parents[1]
SHARED_REFERENCE = PROJECT.parent / "shared" / "reference"


@pytest.fixture(scope="session")
def shared_reference() -> Path:
    """../shared/reference, or skip: end users and some CI machines do not have it."""
    if not SHARED_REFERENCE.exists():
        pytest.skip("../shared/reference is not present")
    return SHARED_REFERENCE


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Any]:
    """One Playwright driver for the whole run: a second sync_playwright() inside the first one fails."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright (python) is not installed")
    with sync_api.sync_playwright() as playwright:
        yield playwright


_SLOW_MARKERS = ("browser", "notebook", "integration")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Everything under tests/integration, and every browser or notebook test, is ``slow``.

    ``make test-fast`` runs ``-m "not slow"``: the unit tests, in a few minutes.
    """
    for item in items:
        path = Path(str(item.fspath))
        if "integration" in path.parts or any(item.get_closest_marker(m) for m in _SLOW_MARKERS):
            item.add_marker(pytest.mark.slow)
