"""Stratified sampling: shares exact to a whole record within each stratum, which record gets which value at random.
"""


from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from suna.model.periods import financial_year_numbers

log = logging.getLogger(__name__)


def _stratified_uniform(rng: np.random.Generator, strata: np.ndarray) -> np.ndarray:
    """One uniform per row, evenly spread within each stratum ((rank + U) / n) in random order.

    Comparing them with the cumulative shares of a category list gives each stratum the shares as
    exactly as whole records allow, while which record gets which value stays random.
    """
    n = len(strata)
    if n == 0:
        return np.empty(0)
    codes = pd.factorize(pd.Series(strata))[0] if strata.dtype == object else strata
    order = np.lexsort((rng.random(n), codes))
    sorted_codes = codes[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_codes)) + 1]
    sizes = np.diff(np.r_[starts, n])
    rank = np.arange(n) - np.repeat(starts, sizes)
    u_sorted = (rank + rng.random(n)) / np.repeat(sizes, sizes)
    u = np.empty(n)
    u[order] = u_sorted
    return u


def _categories(u: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Index of the category each uniform falls in; shares is (k,) or one row of k shares per uniform."""
    shares = np.asarray(shares, dtype=float)
    cum = np.cumsum(shares, axis=-1)
    cum = cum / cum[..., -1:]
    if cum.ndim == 1:
        return np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)
    return np.minimum((u[:, None] >= cum).sum(axis=1), cum.shape[1] - 1)


def _normal_ages(rng: np.random.Generator, n: int, mean: np.ndarray | float, sd: float, low: float, high: float) -> np.ndarray:
    return np.clip(np.rint(rng.normal(mean, sd, n)), low, high).astype(int)


def _mixture_days(rng: np.random.Generator, n: int, parts: list[list[float]]) -> np.ndarray:
    """Days from a mixture of log-normals [weight, median, sigma], at least 1.

    Drawn by stratified sampling (the mixture weights and the log-normal quantiles are spread evenly over
    each batch), so that a small caseload still has the intended shape: less noise, same distribution.
    """
    from scipy.special import ndtri

    weights = np.array([p[0] for p in parts], dtype=float)
    which = _categories(_stratified_uniform(rng, np.zeros(n, np.int64)), weights)
    medians = np.array([p[1] for p in parts], dtype=float)[which]
    sigmas = np.array([p[2] for p in parts], dtype=float)[which]
    z = ndtri(_stratified_uniform(rng, which))
    return np.maximum(np.rint(medians * np.exp(sigmas * z)), 1).astype(np.int64)


def _lookup(keys: np.ndarray, mapping: dict[str, float]) -> np.ndarray:
    """Vectorised dictionary lookup of one number per key."""
    return pd.Series(keys, dtype=object).map({k: float(v) for k, v in mapping.items()}).to_numpy(dtype=float)


def _day(year: int, month: int = 4, day: int = 1) -> int:
    """Days since 1970-01-01."""
    return int(np.datetime64(f"{year:04d}-{month:02d}-{day:02d}", "D").astype(np.int64))


def _fy_of(days: np.ndarray) -> np.ndarray:
    """Financial year (named by its first calendar year) of each day number."""
    return financial_year_numbers(days.astype("datetime64[D]"))


def _to_datetime(days: np.ndarray, missing: np.ndarray | None = None) -> pd.Series:
    values = days.astype("datetime64[D]").astype("datetime64[ns]")
    if missing is not None:
        values = np.where(missing, np.datetime64("NaT", "ns"), values)
    return pd.Series(values, dtype="datetime64[ns]")


def _ids(prefix: str, n: int, width: int = 7) -> np.ndarray:
    """prefix0000001, prefix0000002, ..."""
    return (prefix + pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(width)).to_numpy(dtype=object)


def _numbered(utla: pd.Series, infix: str, width: int) -> np.ndarray:
    """Record ids numbered within each area: <utla code><infix>0000001, ..."""
    number = (utla.groupby(utla).cumcount() + 1).astype(str).str.zfill(width)
    return (utla.astype(str) + infix + number).to_numpy(dtype=object)
