"""Shared test set-up: where the project and the shared reference data are."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
SHARED_REFERENCE = PROJECT.parent / "shared" / "reference"


@pytest.fixture(scope="session")
def shared_reference() -> Path:
    """../shared/reference, or skip: end users and some CI machines do not have it."""
    if not SHARED_REFERENCE.exists():
        pytest.skip("../shared/reference is not present")
    return SHARED_REFERENCE
