"""The core of the engine: a table's cells, the additive relations among them, and secondary suppression."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from suna.core.errors import DisclosureError
from suna.disclosure import optimal_suppression
from suna.disclosure.secondary import Equation, UnprotectableError, protect_cells

logger = logging.getLogger(__name__)


def _key_value(value: Any) -> Any:
    """A dimension value usable as a dict key (NaN and None become None)."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def _key_list(column: pd.Series) -> list[Any]:
    """A column's values as dict keys, missing ones as None.

    Not ``Series.map(_key_value)``: pandas 3 turns the None it returns back into NaN, and a total
    row keyed NaN is never matched as the margin of its categories.
    """
    return [_key_value(v) for v in column.tolist()]


def _normalise_margins(
    frame: pd.DataFrame, dims: Sequence[str], margins: Mapping[str, Any] | None
) -> dict[str, list[tuple[Any, list[Any]]]]:
    """Margins as ``{dim: [(total, [children, ...]), ...]}``.

    A string names the total of all other values of the dimension; a mapping gives each total its
    children (a hierarchy); a sequence of pairs lets one total have several breakdowns.
    """
    out: dict[str, list[tuple[Any, list[Any]]]] = {}
    for dim, spec in (margins or {}).items():
        if dim not in dims:
            raise DisclosureError(
                f"Margins are declared for {dim!r}, which is not one of the table's dimensions "
                f"({', '.join(dims)})."
            )
        if isinstance(spec, str) or not isinstance(spec, (Mapping, Sequence)):
            total = _key_value(spec)
            others = [v for v in dict.fromkeys(_key_list(frame[dim])) if v != total]
            out[dim] = [(total, others)]
        elif isinstance(spec, Mapping):
            out[dim] = [(_key_value(t), [_key_value(c) for c in kids]) for t, kids in spec.items()]
        else:
            out[dim] = [(_key_value(t), [_key_value(c) for c in kids]) for t, kids in spec]
    return out


def _cell_keys(frame: pd.DataFrame, dims: Sequence[str], where: str) -> list[tuple[Any, ...]]:
    columns = [_key_list(frame[d]) for d in dims]
    keys = list(zip(*columns)) if columns else [() for _ in range(len(frame))]
    seen: dict[tuple[Any, ...], int] = {}
    duplicates = []
    for i, key in enumerate(keys):
        if key in seen:
            duplicates.append(key)
        seen[key] = i
    if duplicates:
        shown = "; ".join(", ".join(f"{d}={v}" for d, v in zip(dims, key)) for key in duplicates[:5])
        raise DisclosureError(
            f"{where}: {len(duplicates)} cell(s) appear more than once for the dimensions "
            f"{', '.join(dims)} ({shown}). Each cell must be one row; add the missing dimension."
        )
    return keys


def _equations(
    keys: Sequence[tuple[Any, ...]], dims: Sequence[str], margins: Mapping[str, list[tuple[Any, list[Any]]]]
) -> list[Equation]:
    """Every additive relation ``margin = sum(children)`` among the rows present."""
    index = {key: i for i, key in enumerate(keys)}
    equations: list[Equation] = []
    for d_pos, dim in enumerate(dims):
        for total, children in margins.get(dim, []):
            for i, key in enumerate(keys):
                if key[d_pos] != total:
                    continue
                kids = []
                for child in children:
                    j = index.get(key[:d_pos] + (child,) + key[d_pos + 1 :])
                    if j is not None and j != i:
                        kids.append(j)
                if kids:
                    equations.append((i, tuple(kids)))
    return equations


def _protect_cells(
    values: np.ndarray, primary: np.ndarray, equations: Sequence[Equation], latent: np.ndarray | None = None,
    where: str = "a table", fixed: np.ndarray | None = None, keep: np.ndarray | None = None,
    cost: np.ndarray | None = None, prune: int = 0, optimal: bool = False,
) -> np.ndarray:
    """Secondary suppression by interval audit (``suna.disclosure.secondary``), its failures as DisclosureError.

    ``keep``: figures to keep shown if the table can be protected with them shown (whole-area
    figures, published ones); where it cannot, they may be hidden like any other (logged).
    ``optimal``: improve the greedy choice to the least-cost one (``suna.disclosure.optimal_suppression``),
    within its limits; the greedy choice stands where the search does not settle.
    """
    def protect(fixed_now: np.ndarray | None) -> np.ndarray:
        chosen = protect_cells(values, primary, equations, latent=latent, fixed=fixed_now, cost=cost,
                               prune=0 if optimal else prune)
        if not optimal:
            return chosen
        return optimal_suppression.least_cost(values, primary, equations, start=chosen, latent=latent,
                                              fixed=fixed_now, cost=cost).secondary

    if keep is not None and (keep & ~primary).any():
        hard = keep & ~primary if fixed is None else (fixed | keep) & ~primary
        try:
            return protect(hard)
        except (UnprotectableError, ValueError):
            logger.info("%s: a whole-area or published figure had to be hidden to protect the rest", where)
    try:
        return protect(fixed)
    except (UnprotectableError, ValueError) as err:
        raise DisclosureError(f"Disclosure control could not protect {where}: {err}. Check the declared margins.") from err


def whole_area_cost(frame: pd.DataFrame, area_margins: Mapping[Any, Sequence[Any]] | Sequence[tuple[Any, Sequence[Any]]],
                    column: str = "area_code") -> np.ndarray:
    """The information lost by hiding each cell: 1 for a figure of an area that has sub-areas
    (the whole-area figures a board comes for), 0 for a sub-area's; ties go to the smallest count.

    The default cost of ``protect_table`` and ``protect_indicators``: complementary cells are
    found among the small areas first, so a whole-area figure goes only when nothing else can
    protect a hidden one.
    """
    pairs = area_margins.items() if isinstance(area_margins, Mapping) else area_margins
    tops = {top for top, kids in pairs if len(kids)}
    return frame[column].isin(tops).to_numpy(dtype=float)
