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


# The four sample areas' computed, protected indicators are what most tests, every notebook run and the
# app's kernels read. Computed once here, before the workers start, they are then read from the result
# cache on disk (suna.pipeline.result_cache) by every worker and kernel, instead of being computed by several at once.
WARM_AREAS = ("sefton", "essex", "worcestershire", "halton")  # longest first


def _warm_sample_areas(config: pytest.Config) -> None:
    import os
    import subprocess
    import sys
    import tempfile
    import time

    if os.environ.get("SUNA_TEST_NO_WARM") or config.getoption("collectonly") or "not slow" in (config.getoption("markexpr") or ""):
        return
    if {Path(str(a).split("::")[0]).resolve() for a in config.args} != {PROJECT / "tests"}:
        return  # a run of chosen files: each computes what it needs
    code = "import sys; from suna import pipeline; pipeline.load_area_data(sys.argv[1])"
    started = time.monotonic()
    waiting = list(WARM_AREAS)
    running: list[tuple[str, subprocess.Popen, Any]] = []
    failed = []
    while waiting or running:
        while waiting and len(running) < max(1, min(2, os.cpu_count() or 1)):
            slug = waiting.pop(0)
            err = tempfile.TemporaryFile()
            running.append((slug, subprocess.Popen([sys.executable, "-c", code, slug], stdout=subprocess.DEVNULL,
                                                   stderr=err, cwd=PROJECT), err))
        time.sleep(0.5)
        for item in list(running):
            slug, proc, err = item
            if proc.poll() is not None:
                running.remove(item)
                err.seek(0)
                if proc.returncode:
                    failed.append(f"{slug}: {err.read().decode(errors='replace').strip().splitlines()[-1:]}")
                err.close()
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"sample areas' indicators computed once for the run in {time.monotonic() - started:.0f} s"
                            + (f"; failed (the tests will say why): {failed}" if failed else ""))


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # the controller (or a run without xdist), before any worker
        _warm_sample_areas(session.config)
