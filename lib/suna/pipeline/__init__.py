"""One call from parameters to protected indicators: the spine every notebook, app and CLI uses.

sources -> canonical tables -> indicators -> disclosure (the treatment figures as the views' cohort
tables decide them, ``suna.pipeline.indicator_cells``). The result is memoised per process, so the
Voilà app answers a district change without reloading or recomputing.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from suna import disclosure, indicators
from suna.core import paths
from suna.core.errors import DataSourceError
from suna.indicators import deaths as death_indicators
from suna.indicators import published as published_indicators
from suna.model import areas, formatting
from suna.model.areas import Area
from suna.pipeline import indicator_cells, result_cache
from suna.pipeline.area_data import AreaData
from suna.sources import extracts, localities, published, sample, store

log = logging.getLogger(__name__)


def load_area_data(
    area: str | Area,
    period: str | None = None,
    data_dir: str | Path | None = None,
    area_definition: dict[str, Any] | None = None,
) -> AreaData:
    """Load, validate, compute and protect everything for one local authority.

    Notebooks call this in their third cell so a wrong parameter fails early with SUNA's own message.

    Args:
        area: slug of params/<area>.yaml, or an Area.
        period: financial year reported (default: the area's own).
        data_dir: folder of the council's extracts; empty or None means the embedded sample.
        area_definition: the area mapping from a params file, when papermill passes it in.
    """
    if not isinstance(area, Area):
        area = areas.load_area(area, definition=area_definition or None)
    data_dir = str(data_dir) if data_dir else ""
    return _load_cached(area, period or area.period, data_dir)


def data_fingerprint(area: str | Area, period: str | None = None, data_dir: str | Path | None = None,
                     area_definition: dict[str, Any] | None = None) -> str:
    """The key :func:`load_area_data` gives its result (``AreaData.fingerprint``), without loading anything.

    The app uses it to find what it drew for these data before (``suna.app.widgets``), so a viewer's kernel
    need not load an area whose every view is already drawn.
    """
    if not isinstance(area, Area):
        area = areas.load_area(area, definition=area_definition or None)
    return result_cache.cache_key(area, period or area.period, Path(data_dir) if data_dir else paths.sample_dir())


@lru_cache(maxsize=8)
def _load_cached(area: Area, period: str, data_dir: str) -> AreaData:
    folder = Path(data_dir) if data_dir else None
    # An authority the synthetic sample does not cover, with no extracts of its own, is reported from
    # published figures alone: never from invented records.
    published_only = folder is None and not sample.covers(area)
    if published_only:
        _check_published(area)
    tables = {} if published_only else _load_tables(area, folder)
    key = data_fingerprint(area, period, folder)
    if tables:  # records by small area are counted by locality (none when published figures only)
        area, tables = localities.apply(area, tables)
    saved = result_cache.load(area, key)
    if saved is None:
        raw = result_cache.missing_as_none(raw_indicators(area, tables, period))
        decided = None
        if tables.get("treatment") is not None:
            decided = indicator_cells.decisions(area, tables, raw)
        protected = disclosure.protect_indicators(raw, decided=decided)
        protected = disclosure.Protected(table=result_cache.missing_as_none(protected.table), record=protected.record)
        result_cache.save(area, key, {"raw": raw, "table": protected.table, "record": protected.record})
    else:
        raw = saved["raw"]
        protected = disclosure.Protected(table=saved["table"], record=saved["record"])
    synthetic = not published_only and sample.is_sample(folder)
    if published_only:
        source = "published figures only (ONS); no record-level data for this authority"
    else:
        source = "SUNA synthetic sample data" if synthetic else f"council extracts in {folder}"
    log.info("loaded %s for %s: %d indicator rows", source, area.name, len(raw))
    return AreaData(area, period, tables, raw, protected, synthetic, source, key)


def _check_published(area: Area) -> None:
    """An authority reported from published figures alone must be one the ONS tables know."""
    known = set(published.upper_tiers()["code"])
    if area.code not in known:
        raise DataSourceError(
            f"{area.name} ({area.code}) has no records in the synthetic sample and is not an English upper-tier "
            f"authority in the ONS tables shipped in data/published; check the code in params/{area.slug}.yaml "
            "(`suna areas list` prints every authority), or set data_dir to a folder of the council's extracts.")


def raw_indicators(area: Area, tables: dict[str, pd.DataFrame], period: str) -> pd.DataFrame:
    """Indicators computed from the records there are, then the published figures for the area.

    An indicator whose records are absent is left out (the views say what to supply); published
    figures are added for every authority (``suna.indicators.published``).
    """
    frames = []
    if tables.get("population") is not None:
        wanted = [i for i, spec in indicators.catalogue().items() if spec["table"] in tables]  # no table is "published"
        if wanted:
            frames.append(indicators.compute_indicators(area, tables, period=period, indicators=wanted))
    frames.append(published_indicators.for_area(area, period))
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True)


def _load_tables(area: Area, folder: Path | None) -> dict[str, pd.DataFrame]:
    if folder is None or (any(folder.glob("*.parquet")) and not _has_extracts(folder)):
        return store.load_tables(area, folder)
    return extracts.load_extracts(area, folder)


def _has_extracts(folder: Path) -> bool:
    return any(p.suffix.lower() in (".csv", ".xlsx", ".xls") for p in folder.iterdir())


def area_indicators(area: str, period: str | None = None, data_dir: str | None = None) -> AreaData:
    """The CLI's entry: area by slug, GSS code or name."""
    return load_area_data(areas.find_area(area), period=period, data_dir=data_dir)


def published_deaths_data(area: Area, deaths_counts: pd.DataFrame, population: pd.DataFrame, *,
                          period: str | None = None, measure: str | None = None, periods: int = 5) -> AreaData:
    """An area's data from published ONS death counts and populations alone, for the deaths views.

    Any English county gets a real district map this way, without the council's records. Disclosure
    control is the same as for record-level data (``disclosure.protect_indicators``).
    """
    raw = death_indicators.published_indicators(area, deaths_counts, population, period=period, measure=measure,
                                                periods=periods)
    latest = str(raw.loc[raw["period_sortable"].idxmax(), "period"])
    return AreaData(area=area, period=latest, tables={}, raw_indicators=raw, protected=disclosure.protect_indicators(raw),
                    is_synthetic=False, data_source="ONS published counts and populations")


def summary_text(data: AreaData) -> str:
    """A plain table of the area's latest indicators, for the terminal."""
    table = data.table
    upper = table[(table["area_code"] == data.area.code) & table["category_type"].isna() & (table["sex"] == "Persons")]
    latest = upper.sort_values("period_sortable").groupby("indicator_id", sort=False).tail(1)
    rows = []
    for rec in latest.sort_values("indicator_id").to_dict("records"):
        rows.append(
            (
                str(rec["indicator_name"])[:60],
                str(rec["period"]),
                formatting.format_value(rec.get("value"), rec.get("measure")),
                str(rec.get("count_display") if rec.get("count_display") is not None else ""),
                str(rec.get("compared_to_england") or ""),
            )
        )
    header = ("Indicator", "Period", "Value", "Count", "Compared with England")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [f"{data.area.name} ({data.area.code}) — {data.data_source}"]
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    if data.footnote:
        lines.append(data.footnote)
    if data.is_synthetic:
        lines.append(data.synthetic_notice)
    return "\n".join(lines)
