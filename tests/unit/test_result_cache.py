"""The saved indicators are reused only while nothing they depend on has changed, and read back exactly."""

from __future__ import annotations

import os
import shutil

import pandas as pd
import pytest

from suna import areas, paths, pipeline, result_cache


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
