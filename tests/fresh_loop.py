"""Run a coroutine to the end from a test, whatever event loop the test's worker already has.

Playwright's sync API leaves an event loop running in the pytest-xdist worker that ran a browser
test, and ``asyncio.run`` refuses to start inside it. A coroutine run in a thread of its own gets a
fresh loop, so a websocket test passes or fails on what the server does, not on test order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coroutine)`` in a thread of its own; its exception (if any) is raised here."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
