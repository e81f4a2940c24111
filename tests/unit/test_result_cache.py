"""The saved indicators are reused only while nothing they depend on has changed, and read back exactly."""

from __future__ import annotations

import os
import shutil

import pandas as pd
import pytest

from suna import pipeline
from suna.core import paths
from suna.model import areas
from suna.pipeline import result_cache

pytestmark = pytest.mark.slow  # loads or computes the sample areas' protected indicators: not in `make test-fast`


@pytest.fixture()
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SUNA_CACHE_DIR", str(tmp_path / "cache"))
    pipeline._load_cached.cache_clear()
    yield tmp_path / "cache"
    pipeline._load_cached.cache_clear()


def test_second_load_reads_the_saved_tables_exactly(cache_dir):
    first = pipeline.load_area_data("halton")
    saved = list((cache_dir / "indicators").glob("E06000006-*/dtypes.json"))
    assert len(saved) == 1
    pipeline._load_cached.cache_clear()
    again = pipeline.load_area_data("halton")
    assert again is not first
    pd.testing.assert_frame_equal(first.table.reset_index(drop=True), again.table.reset_index(drop=True))
    pd.testing.assert_frame_equal(first.raw_indicators.reset_index(drop=True), again.raw_indicators.reset_index(drop=True))
    assert first.footnote == again.footnote


def test_key_changes_with_inputs_period_and_area(tmp_path):
    halton = areas.load_area("halton")
    folder = tmp_path / "data"
    shutil.copytree(paths.sample_dir(), folder)
    key = result_cache.cache_key(halton, "2023/24", folder)
    assert key == result_cache.cache_key(halton, "2023/24", folder)
    assert key != result_cache.cache_key(halton, "2022/23", folder)
    assert key != result_cache.cache_key(areas.load_area("sefton"), "2023/24", folder)
    target = folder / "deaths.parquet"
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert key != result_cache.cache_key(halton, "2023/24", folder)


def test_damaged_or_incomplete_cache_is_not_trusted(cache_dir):
    halton = areas.load_area("halton")
    frames = {"raw": pd.DataFrame({"a": [1.0]}), "table": pd.DataFrame({"b": pd.Series(["x", None], dtype=object)}),
              "record": pd.DataFrame({"c": [1]})}
    result_cache.save(halton, "k1", frames)
    loaded = result_cache.load(halton, "k1")
    assert loaded["table"]["b"].tolist() == ["x", None]
    (cache_dir / "indicators" / "E06000006-k1" / "raw.parquet").write_bytes(b"not parquet")
    assert result_cache.load(halton, "k1") is None
    (cache_dir / "indicators" / "E06000006-k1" / "dtypes.json").unlink()
    assert result_cache.load(halton, "k1") is None


def test_only_the_newest_saved_results_of_an_area_are_kept(cache_dir):
    halton, sefton = areas.load_area("halton"), areas.load_area("sefton")
    frames = {"raw": pd.DataFrame({"a": [1.0]}), "table": pd.DataFrame({"b": [2.0]}), "record": pd.DataFrame({"c": [1]})}
    result_cache.save(sefton, "other", frames)
    for i in range(result_cache.KEEP_PER_AREA + 3):
        result_cache.save(halton, f"k{i}", frames)
        marker = cache_dir / "indicators" / f"E06000006-k{i}" / "dtypes.json"
        os.utime(marker, ns=(i * 10**9, i * 10**9))  # saved one second apart, oldest first
    result_cache._prune(halton)
    kept = sorted(p.name for p in (cache_dir / "indicators").glob("E06000006-*"))
    assert kept == sorted(f"E06000006-k{i}" for i in range(3, result_cache.KEEP_PER_AREA + 3))
    assert result_cache.load(sefton, "other") is not None  # another area's results are left alone


def test_a_cohort_is_built_once_then_read_back_exactly_and_only_for_the_same_records(tmp_path, monkeypatch):
    """The batch's kernels and the app's share each cohort's protected table through the cache folder."""
    from dataclasses import replace

    from suna.pipeline import cohorts

    data = pipeline.load_area_data("halton")  # the run's shared result cache
    monkeypatch.setenv("SUNA_CACHE_DIR", str(tmp_path / "cache"))  # cohorts saved here, for this test only
    cohorts._BUILT.clear()
    built = cohorts.exits(data, data.period)
    saved = list((tmp_path / "cache" / "derived").glob("E06000006-*/cohort-exits-*.pkl"))
    assert len(saved) == 1
    cohorts._BUILT.clear()
    rebuilt = []
    real = cohorts.protect_cohort
    monkeypatch.setattr(cohorts, "protect_cohort", lambda *a, **k: rebuilt.append(1) or real(*a, **k))
    again = cohorts.exits(data, data.period)
    assert rebuilt == []  # read, not built
    pd.testing.assert_frame_equal(again.counts, built.counts)
    pd.testing.assert_frame_equal(again.protected.table, built.protected.table)
    pd.testing.assert_frame_equal(again.protected.record, built.protected.record)
    fewer = data.tables["treatment"].iloc[:-40]
    other = replace(data, tables={**data.tables, "treatment": fewer})  # same fingerprint, other records
    cohorts._BUILT.clear()
    cohorts.exits(other, data.period)
    assert rebuilt == [1]  # built afresh: the saved cohort is not theirs
    cohorts._BUILT.clear()
