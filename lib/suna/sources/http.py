"""Downloads for published sources: a retrying session and an on-disk cache keyed by URL.

A source module names its service in every message; this module only moves bytes. Proxy settings come
from the environment (``requests`` honours HTTPS_PROXY, HTTP_PROXY, NO_PROXY and REQUESTS_CA_BUNDLE).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from suna.core.errors import DataSourceError
from suna.sources import store

log = logging.getLogger(__name__)

USER_AGENT = "SUNA (Substance Use Needs Assessment) - python-requests"
RETRY_STATUSES = (429, 500, 502, 503, 504)


@dataclass(frozen=True)
class Answer:
    """What a server answered: its status and body (errors are returned, not raised, so a source can word them)."""

    url: str
    status: int
    content: bytes


def session(retries: int = 3, backoff: float = 0.5) -> Any:
    """A requests session that retries GETs on connection errors, time-outs, 429 and 5xx with back-off."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    s = requests.Session()  # trust_env: HTTPS_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE
    s.headers["User-Agent"] = USER_AGENT
    retry = Retry(total=max(0, retries - 1), backoff_factor=backoff, status_forcelist=RETRY_STATUSES,
                  allowed_methods=frozenset({"GET"}), respect_retry_after_header=True, raise_on_status=False)
    adapter = HTTPAdapter(max_retries=retry)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    return s


def get(http: Any, url: str, service: str, timeout: float = 60.0, offline_hint: str = "") -> Answer:
    """GET a URL; a failure to connect becomes one DataSourceError naming the service and what to do."""
    import requests

    try:
        response = http.get(url, timeout=timeout)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise DataSourceError(f"Could not reach {service} at {url} ({type(exc).__name__}); you may be offline or behind "
                              f"a proxy: set HTTPS_PROXY (and HTTP_PROXY){offline_hint}.") from None
    return Answer(url=url, status=response.status_code, content=response.content)


def cache_path(url: str, cache_dir: Path, suffix: str) -> Path:
    """The cache file of a URL: a hash of the URL, so any change to the query is a new file."""
    return cache_dir / f"{hashlib.sha256(url.encode('utf-8')).hexdigest()[:32]}{suffix}"


def cached(url: str, cache_dir: Path, suffix: str, refresh: bool, fetch: Callable[[str], bytes]) -> Path:
    """The cache file of a URL, fetched first unless cached (written atomically, with the URL beside it)."""
    path = cache_path(url, cache_dir, suffix)
    if path.exists() and not refresh:
        log.info("%s from cache %s", url, path)
        return path
    content = fetch(url)
    store.write_bytes(content, path)
    store.write_text(url, path.with_suffix(".url"))
    return path
