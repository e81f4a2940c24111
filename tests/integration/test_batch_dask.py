"""suna batch --scheduler: the same jobs on a real Dask distributed cluster (a local one, worker processes).

The worker is a separate process, so this also shows a job carries everything it needs (paths,
parameters, the offline Vega bundle's cache folder) and that results come back to the index.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from suna import batch
from suna.core import paths

pytestmark = pytest.mark.notebook

FIXTURES = Path(__file__).parents[1] / "fixtures" / "batch"
CHART_NB = FIXTURES / "01_fixture_chart.ipynb"
FAILING_NB = FIXTURES / "03_fixture_fails.ipynb"  # its fifth cell raises ValueError


def test_a_local_dask_cluster_runs_the_jobs_and_the_index_lists_them(tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    monkeypatch.setenv("SUNA_CACHE_DIR", str(tmp_path / "cache"))
    params = tmp_path / "params"
    params.mkdir()
    shutil.copy(paths.params_dir() / "halton.yaml", params)
    out = tmp_path / "reports"
    with distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1, dashboard_address=None) as cluster:
        result = batch.run_batch(
            notebooks=[CHART_NB, FAILING_NB],
            scheduler=cluster.scheduler_address,
            out_dir=out,
            params_dir=params,
            progress=False,
        )
        with distributed.Client(cluster.scheduler_address) as client:
            worker_pids = set(client.run(os.getpid).values())
    assert [(j.area, j.notebook, j.status) for j in result.jobs] == [
        ("halton", "01_fixture_chart", "ok"),
        ("halton", "03_fixture_fails", "failed"),
    ]
    assert result.exit_code == 1
    failed = result.jobs[1].error
    assert (failed.ename, failed.evalue, failed.cell_index) == ("ValueError", "no treatment extract for halton", 4)
    page = (out / "halton" / "01_fixture_chart.html").read_text(encoding="utf-8")
    assert "Fixture chart for Halton" in page and "window.vegaEmbed=" in page
    assert (out / "halton" / "01_fixture_chart.ipynb").exists()
    assert (out / "halton" / "03_fixture_fails.failed.ipynb").exists()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="halton/01_fixture_chart.html"' in index
    assert "ValueError: no treatment extract for halton" in index
    # the jobs ran in the worker process, not here
    assert {int(j.worker.rsplit(" pid ", 1)[1]) for j in result.jobs} == worker_pids != {os.getpid()}
