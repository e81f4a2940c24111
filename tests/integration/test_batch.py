"""suna.batch and suna.batch.publish: the papermill batch, its failures, up-to-date skipping and offline HTML.

The notebooks are tiny fixtures in tests/fixtures/batch/ (each says in its first cell what makes it
special); the params files are copies of the real essex and halton ones, plus a broken one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from suna import __version__, batch
from suna.batch import publish, scheduler
from suna.core import paths
from suna.core.errors import ParametersError, UnknownAreaError

pytestmark = pytest.mark.notebook

FIXTURES = Path(__file__).parents[1] / "fixtures" / "batch"
CHART_NB = FIXTURES / "01_fixture_chart.ipynb"  # Altair mimetype renderer: a Vega-Lite mimebundle
DEFAULT_NB = FIXTURES / "02_fixture_html_chart.ipynb"  # Altair 6 default renderer: HTML loading Vega from a CDN
FAILING_NB = FIXTURES / "03_fixture_fails.ipynb"  # its fifth cell raises ValueError
LEAVES_STATE_NB = FIXTURES / "04_fixture_leaves_state.ipynb"  # changes globals a later notebook must not see
NEEDS_CLEAN_NB = FIXTURES / "05_fixture_needs_clean_state.ipynb"  # fails if 04's changes are still there
KILLS_KERNEL_NB = FIXTURES / "06_fixture_kills_kernel.ipynb"  # its kernel process exits mid-notebook
NOTEBOOKS = [CHART_NB, DEFAULT_NB, FAILING_NB]

REMOTE_REF = re.compile(r"<(?:script|link)\b[^>]*(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.IGNORECASE)
CDN = re.compile(r"jsdelivr|unpkg\.com|cdnjs", re.IGNORECASE)
PREVIOUS_REPORT = "<html><body>previous good report</body></html>"


def _project(root: Path) -> Path:
    """A params folder with essex and halton (real files) and broken.yaml (not valid YAML)."""
    params = root / "params"
    params.mkdir(parents=True)
    for area in ("essex", "halton"):
        shutil.copy(paths.params_dir() / f"{area}.yaml", params)
    (params / "broken.yaml").write_text("area: broken\narea_definition: [unclosed\n", encoding="utf-8")
    return params


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory):
    """One batch run shared by the tests that only read its outputs (notebook runs are slow)."""
    root = tmp_path_factory.mktemp("batch")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SUNA_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "suna-cache"))
        params = _project(root)
        out = root / "reports"
        # a good report from an earlier run, which the failing notebook must not replace
        (out / "essex").mkdir(parents=True)
        (out / "essex" / "03_fixture_fails.html").write_text(PREVIOUS_REPORT, encoding="utf-8")
        result = batch.run_batch(notebooks=NOTEBOOKS, jobs=2, out_dir=out, params_dir=params, progress=False)
        yield {"root": root, "params": params, "out": out, "result": result, "mp": mp}


def _job(result: batch.BatchResult, area: str, notebook: Path) -> batch.JobResult:
    (job,) = [j for j in result.jobs if j.area == area and j.notebook == notebook.stem]
    return job


def test_a_broken_params_file_fails_its_own_jobs_only(env):
    result = env["result"]
    assert len(result.jobs) == 9  # 3 notebooks x 3 params files
    for area in ("essex", "halton"):
        assert _job(result, area, CHART_NB).status == "ok"
        assert _job(result, area, DEFAULT_NB).status == "ok"
    broken = [j for j in result.jobs if j.area == "broken"]
    assert [j.status for j in broken] == ["failed"] * 3
    message = broken[0].error.message
    assert "broken.yaml" in message and "not valid YAML" in message
    assert result.exit_code == 1


def test_a_failing_cell_is_reported_with_its_cell_and_error(env):
    job = _job(env["result"], "essex", FAILING_NB)
    assert job.status == "failed"
    err = job.error
    # parameterised notebook: 0 title, 1 parameters, 2 papermill's injected parameters, 3 load_area, 4 raise;
    # code cells run as In [1] .. In [4]
    assert err.cell_index == 4
    assert err.exec_count == 4
    assert err.ename == "ValueError"
    assert err.evalue == "no treatment extract for essex"
    assert err.source_first_line == "missing_table_count = 0"
    kept = nbformat.read(err.notebook_path, as_version=4)  # papermill adds error-marker cells to it
    (failed_cell,) = [c for c in kept.cells if c.cell_type == "code" and c.execution_count == 4]
    assert [o.output_type for o in failed_cell.outputs] == ["error"]


def test_a_failed_job_leaves_the_previous_report_in_place(env):
    out = env["out"]
    assert (out / "essex" / "03_fixture_fails.html").read_text(encoding="utf-8") == PREVIOUS_REPORT
    assert not (out / "essex" / "03_fixture_fails.ipynb").exists()
    assert not list(out.rglob(".*partial*")), "temporary files left behind"


@pytest.mark.parametrize("notebook", [CHART_NB, DEFAULT_NB])
def test_report_html_has_no_code_and_no_network(env, notebook):
    page = (env["out"] / "halton" / f"{notebook.stem}.html").read_text(encoding="utf-8")
    source = nbformat.read(notebook, as_version=4)
    for cell in source.cells:
        if cell.cell_type == "code":
            for line in cell.source.splitlines():
                if len(line.strip()) > 12:  # long enough not to occur by chance
                    assert line.strip() not in page, f"code shown: {line!r}"
    assert REMOTE_REF.findall(page) == []
    assert CDN.findall(page) == []
    assert page.count("window.vegaEmbed=") == 1  # the bundle, inline, once
    title = source.cells[0].source.splitlines()[0].removeprefix("# ")
    assert f"<title>{title}</title>" in page


def _draw_in_node(page: Path) -> dict:
    node = shutil.which("node")
    if not node:
        pytest.skip("node is not installed")
    done = subprocess.run([node, str(FIXTURES / "render_report.js"), str(page)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize(("notebook", "title"), [(CHART_NB, "Fixture chart for Halton"), (DEFAULT_NB, "Default renderer chart for halton")])
def test_report_chart_draws_offline(env, notebook, title):
    """The page's scripts run in order with no network; the chart's spec draws (vl-convert) with its title."""
    import vl_convert

    drawn = _draw_in_node(env["out"] / "halton" / f"{notebook.stem}.html")
    assert drawn["bundle_loaded"]
    assert len(drawn["charts"]) == 1
    chart = drawn["charts"][0]
    assert chart["options"]["mode"] == "vega-lite"
    assert chart["spec"]["title"] == title
    svg = vl_convert.vegalite_to_svg(chart["spec"])
    assert title in svg


def test_index_lists_every_job(env):
    page = (env["out"] / "index.html").read_text(encoding="utf-8")
    for area in ("essex", "halton"):
        for notebook in (CHART_NB, DEFAULT_NB):
            assert f'href="{area}/{notebook.stem}.html"' in page
    for job in env["result"].jobs:
        assert job.notebook in page and job.area in page
    assert "synthetic" in page and "not real people" in page
    assert __version__ in page
    assert "ValueError: no treatment extract for essex" in page
    assert "missing_table_count = 0" in page
    assert "not valid YAML" in page
    assert REMOTE_REF.findall(page) == []


def test_summary_names_every_failure(env):
    text = batch.format_summary(env["result"])
    assert "4 ran, 0 up to date, 5 failed" in text
    assert "essex / 03_fixture_fails: cell 4 (In [4])" in text
    assert "broken / all 3 notebooks (01_fixture_chart, 02_fixture_html_chart, 03_fixture_fails): " in text
    assert str(env["out"] / "index.html") in text


def test_second_run_skips_up_to_date_jobs_and_force_reruns(env):
    out, params = env["out"], env["params"]
    html = out / "essex" / f"{CHART_NB.stem}.html"
    both = dict(notebooks=[CHART_NB, DEFAULT_NB], areas=["essex", "halton"], jobs=2, out_dir=out, params_dir=params, progress=False)
    # Settle first: lib/suna is part of every stamp, and may have changed since the module's batch ran.
    batch.run_batch(**both)
    before = html.stat().st_mtime_ns
    again = batch.run_batch(**both)
    assert [j.status for j in again.jobs] == ["skipped"] * 4
    assert again.exit_code == 0
    assert html.stat().st_mtime_ns == before
    # the index still shows the failing notebook's last run, from its stamp
    assert any(j.notebook == FAILING_NB.stem for j in again.earlier)
    assert "03_fixture_fails" in (out / "index.html").read_text(encoding="utf-8")

    forced = batch.run_batch(notebooks=[CHART_NB], areas=["essex"], force=True, out_dir=out, params_dir=params, progress=False)
    assert [j.status for j in forced.jobs] == ["ok"]
    # where its time went is recorded (benchmarks/batch.py prints it): the export is part of the job, not of its cells
    job = forced.jobs[0]
    assert 0 < job.export_seconds < job.duration_s and job.cell_seconds + job.export_seconds <= job.duration_s
    assert batch.read_stamp(job.html_path.with_name(f"{CHART_NB.stem}{batch.STAMP_SUFFIX}"))["result"]["export_seconds"] == job.export_seconds
    assert html.stat().st_mtime_ns != before

    # a changed params file reruns that area's reports only
    halton = params / "halton.yaml"
    halton.write_text(halton.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")
    changed = batch.run_batch(**both)
    assert [(j.area, j.status) for j in changed.jobs] == [("essex", "skipped")] * 2 + [("halton", "ok")] * 2


def test_inputs_hash_follows_every_input(tmp_path):
    notebook = tmp_path / "01_x.ipynb"
    notebook.write_text("{}", encoding="utf-8")
    params = tmp_path / "x.yaml"
    params.write_text("area: x\n", encoding="utf-8")
    base = dict(notebook=notebook, params_path=params, parameters={"area": "x"}, kernel_name="python3", lib_sig="L", data_sigs=[["d", [("a.csv", 10, 1)]]])
    reference = batch.inputs_hash(**base)
    assert batch.inputs_hash(**base) == reference
    assert batch.inputs_hash(**{**base, "parameters": {"area": "x", "data_dir": "/elsewhere"}}) != reference
    assert batch.inputs_hash(**{**base, "lib_sig": "changed library"}) != reference
    assert batch.inputs_hash(**{**base, "data_sigs": [["d", [("a.csv", 10, 2)]]]}) != reference  # data file touched
    notebook.write_text('{"cells": []}', encoding="utf-8")
    assert batch.inputs_hash(**base) != reference


# ---------------------------------------------------------------------------------------------
# Fast tests, no notebook runs


def test_find_notebooks_takes_numbered_notebooks_only(tmp_path):
    for name in ("01_a.ipynb", "02_b.ipynb", "scratch.ipynb", "1_x.ipynb", "apps/03_app.ipynb"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}", encoding="utf-8")
    assert [p.name for p in batch.find_notebooks(tmp_path)] == ["01_a.ipynb", "02_b.ipynb"]


def test_unknown_area_and_bad_jobs_raise_clear_errors(tmp_path):
    params = _project(tmp_path)
    with pytest.raises(UnknownAreaError, match="'atlantis'"):
        batch.run_batch(areas=["atlantis"], notebooks=[CHART_NB], params_dir=params, out_dir=tmp_path / "r", progress=False)
    with pytest.raises(ParametersError, match="jobs"):
        batch.run_batch(jobs=0, notebooks=[CHART_NB], params_dir=params, out_dir=tmp_path / "r", progress=False)


def _halton_with(**changes) -> str:
    """params/halton.yaml with top-level keys or area_definition keys replaced (None removes)."""
    import yaml

    raw = yaml.safe_load((paths.params_dir() / "halton.yaml").read_text(encoding="utf-8"))
    for key, value in changes.items():
        target, name = (raw["area_definition"], key.removeprefix("def_")) if key.startswith("def_") else (raw, key)
        if value is None:
            target.pop(name)
        else:
            target[name] = value
    return yaml.safe_dump(raw, sort_keys=False)


BROKEN_PARAMS = {
    "bad_yaml": ("area: bad_yaml\narea_definition: [unclosed\n", "is not valid YAML"),
    "a_list": ("- area\n- period\n", "must be a mapping"),
    "no_definition": ("area: no_definition\nperiod: '2023/24'\n", "'area_definition' is missing"),
    "typo_key": (_halton_with(perod="2023/24"), "parameter 'perod' is not a parameter of 01_fixture_chart.ipynb, which takes area, period, data_dir, area_definition"),
    "short_code": (_halton_with(def_code="E0600006"), "'area_definition.code' is 'E0600006'; expected the ONS code of a unitary, E06 and 6 digits"),
    "county_code_for_unitary": (_halton_with(def_code="E10000012"), "'area_definition.code' is 'E10000012'; expected the ONS code of a unitary"),
    "region_is_an_la": (_halton_with(def_region_code="E06000006"), "'area_definition.region_code' is 'E06000006'; expected the ONS code of a region"),
    "bad_period": (_halton_with(period="2023-24"), "'period' is '2023-24'; expected a financial year"),
}


def test_each_broken_params_file_fails_its_own_area_with_its_reason(tmp_path):
    """No kernel starts for a broken area; each message names the file, the key and what was expected."""
    params = tmp_path / "params"
    params.mkdir()
    for name, (text, _) in BROKEN_PARAMS.items():
        (params / f"{name}.yaml").write_text(text, encoding="utf-8")
    result = batch.run_batch(notebooks=[CHART_NB, FAILING_NB], params_dir=params, out_dir=tmp_path / "r", progress=False)
    assert result.exit_code == 1 and not result.ran
    by_area = {area: [j for j in result.jobs if j.area == area] for area in BROKEN_PARAMS}
    for name, (_, expected) in BROKEN_PARAMS.items():
        jobs = by_area[name]
        assert [j.status for j in jobs] == ["failed", "failed"], name
        assert expected in jobs[0].error.message, (name, jobs[0].error.message)
        assert f"{name}.yaml" in jobs[0].error.message
        assert jobs[0].error.cell_index is None  # it never ran
    summary = batch.format_summary(result)
    assert "Traceback" not in summary
    assert all(f"{name} / all 2 notebooks (01_fixture_chart, 03_fixture_fails): " in summary for name in BROKEN_PARAMS if name != "typo_key")
    assert "typo_key / 01_fixture_chart: " in summary  # its message names the notebook


def test_warm_kernel_runs_each_notebook_as_if_fresh(tmp_path):
    """04 leaves a variable, a renderer, a pandas option and a working directory behind; 05 fails if it sees any."""
    params = tmp_path / "params"
    params.mkdir()
    shutil.copy(paths.params_dir() / "halton.yaml", params)
    runs = {}
    for warm in (True, False):
        result = batch.run_batch(
            notebooks=[LEAVES_STATE_NB, NEEDS_CLEAN_NB], jobs=1, out_dir=tmp_path / f"warm-{warm}",
            params_dir=params, progress=False, warm_kernels=warm,
        )
        assert [j.status for j in result.jobs] == ["ok", "ok"], batch.format_summary(result)
        runs[warm] = [nbformat.read(j.ipynb_path, as_version=4) for j in result.jobs]
    for warm, notebooks in runs.items():
        pids = {"".join(c.outputs[0].text).split()[-1] for nb in notebooks for c in nb.cells if "kernel pid" in c.source}
        assert len(pids) == (1 if warm else 2), (warm, pids)  # one kernel reused, or one each
        for nb in notebooks:  # numbered from In [1] every time, as in a fresh kernel
            counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
            assert counts == list(range(1, len(counts) + 1)), (warm, counts)
            streams = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "stream"]
            assert [o.name for o in streams] == ["stdout"], streams  # only the pid: no IPython complaint


def test_a_dead_kernel_fails_its_notebook_and_the_worker_carries_on(tmp_path):
    params = tmp_path / "params"
    params.mkdir()
    shutil.copy(paths.params_dir() / "halton.yaml", params)
    result = batch.run_batch(notebooks=[KILLS_KERNEL_NB, CHART_NB], jobs=1, out_dir=tmp_path / "r", params_dir=params, progress=False)
    statuses = {j.notebook: j for j in result.jobs}
    assert statuses[CHART_NB.stem].status == "ok"
    died = statuses[KILLS_KERNEL_NB.stem]
    assert died.status == "failed" and "DeadKernelError" in died.error.message, died.error
    assert result.exit_code == 1


def test_cli_reports_failures_and_exits_non_zero(tmp_path):
    """`suna batch` end to end in a project folder (SUNA_HOME): progress on stderr, summary on stdout."""
    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    for nb in (CHART_NB, FAILING_NB):
        shutil.copy(nb, project / "notebooks")
    _project(project)  # params: essex, halton, broken.yaml
    env = {**os.environ, "SUNA_HOME": str(project), "SUNA_SAMPLE_DIR": str(paths.sample_dir()), "SUNA_CACHE_DIR": str(tmp_path / "cache")}
    suna = Path(sys.executable).with_name("suna")
    done = subprocess.run([str(suna), "batch", "--jobs", "2"], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 1, done.stderr
    out, err = done.stdout, done.stderr
    assert "6 reports (2 notebooks x 3 areas)" in out and "2 ran, 0 up to date, 4 failed" in out
    assert "essex / 03_fixture_fails: cell 4 (In [4]) `missing_table_count = 0` raised ValueError: no treatment extract for essex" in out
    assert "broken / all 2 notebooks (01_fixture_chart, 03_fixture_fails): " in out and "not valid YAML" in out
    assert f"Index: {project / 'reports' / 'index.html'}" in out
    assert "suna batch: 100%" in err and "6/6" in err  # tqdm's bar
    assert "Traceback" not in out + err
    assert "without encryption" not in err  # the kernels' start-up warnings are quietened
    assert (project / "reports" / "halton" / "01_fixture_chart.html").exists()

    again = subprocess.run([str(suna), "batch", "--area", "halton", "--jobs", "2"], capture_output=True, text=True, env=env, timeout=600)
    assert again.returncode == 1  # halton's 03 still fails; 01 is up to date
    assert "2 reports (2 notebooks x 1 area)" in again.stdout and "0 ran, 1 up to date, 1 failed" in again.stdout


def _spec(area: str, i: int) -> batch.JobSpec:
    return batch.JobSpec(area, Path(f"0{i}_nb.ipynb"), Path(f"{area}.yaml"), {}, Path("out"), "python3", "hash", "sample")


def _waits(queue: scheduler._AreaQueue, area: str | None) -> tuple[threading.Thread, list]:
    """A second worker asking for a job; returns its thread (alive while it waits) and what it got."""
    got: list = []
    thread = threading.Thread(target=lambda: got.append(queue.next(area)), daemon=True)
    thread.start()
    thread.join(0.3)
    return thread, got


def test_area_queue_keeps_workers_on_their_area_and_helps_only_when_it_pays():
    two = scheduler._AreaQueue([_spec("x", 1), _spec("y", 1), _spec("x", 2), _spec("y", 2)])
    assert two.next(None).area == "x" and two.next(None).area == "y"  # one area each
    assert two.next("y").area == "y"  # a worker keeps to its area

    # one area, two workers: the second waits until finished jobs say whether a second data load pays
    costly = scheduler._AreaQueue([_spec("x", i) for i in range(5)])
    costly.next(None)
    helper, got = _waits(costly, None)
    assert helper.is_alive() and not got  # no estimate yet
    costly.finished("x", 60.0, first=True)  # the first notebook: 55 s loading the data + 5 s
    costly.next("x")
    costly.finished("x", 5.0, first=False)
    helper.join(0.3)
    assert helper.is_alive()  # 55 s to share 3 notebooks of 5 s: not worth it
    for _ in range(3):
        costly.next("x")
        costly.finished("x", 5.0, first=False)
    helper.join(5)
    assert got == [None]  # all done: the waiting worker stops

    cheap = scheduler._AreaQueue([_spec("x", i) for i in range(5)])
    cheap.next(None)
    cheap.finished("x", 6.0, first=True)  # loading costs 1 s
    cheap.next("x")
    cheap.finished("x", 5.0, first=False)
    helper, got = _waits(cheap, None)
    assert not helper.is_alive() and got[0].area == "x"  # 1 s to share 3 notebooks of 5 s: help


SPEC = {
    "$schema": "https://vega.github.io/schema/vega-lite/v6.4.1.json",
    "data": {"values": [{"x": 1, "y": 2}]},
    "mark": "point",
    "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"}},
    "title": "A </script> title",  # must not end the page's script early
}


def _output(data: dict) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("display_data", data=data)


@pytest.mark.parametrize("template", ["universal", "standard", "inline"])
def test_altair_html_outputs_become_offline_embeds(template):
    from altair.utils.html import spec_to_html

    html = spec_to_html(SPEC, mode="vega-lite", vega_version="6", vegaembed_version="7", vegalite_version="6.4.1", fullhtml=False, template=template)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("chart", outputs=[_output({"text/html": html})])])
    assert publish.offline_charts(nb) == 1
    snippet = nb.cells[0].outputs[0].data["text/html"]
    assert "jsdelivr" not in snippet and "</script> title" not in snippet
    body = snippet[snippet.index("})(") + 3 :]
    spec, _ = json.JSONDecoder().raw_decode(body)
    assert spec == SPEC


def test_notebook_to_html_with_a_vegalite_mimebundle_embeds_the_bundle_once():
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# A *small* report\n\nText."),
            nbformat.v4.new_code_cell("secret_code_line = 1", outputs=[_output({"application/vnd.vegalite.v6+json": SPEC, "text/plain": "chart"})]),
            nbformat.v4.new_code_cell("second_code_line = 2", outputs=[_output({"application/vnd.vegalite.v6+json": SPEC, "text/plain": "chart"})]),
        ]
    )
    page = publish.notebook_to_html(nb, bundle="window.vegaEmbed=function(){};/*FAKE BUNDLE*/")
    assert page.count("FAKE BUNDLE") == 1
    assert page.count('class="suna-chart"') == 2
    assert "secret_code_line" not in page and "second_code_line" not in page
    assert "<title>A small report</title>" in page
    assert REMOTE_REF.findall(page) == []
    assert "application/vnd.vegalite.v6+json" in nb.cells[1].outputs[0].data  # input not modified


def test_strip_remote_assets_removes_cdn_scripts_and_links():
    page = '<head><script src="https://cdn.jsdelivr.net/npm/vega@6"></script><link rel="stylesheet" href="//unpkg.com/x.css"><script>ok()</script></head>'
    assert publish.strip_remote_assets(page) == "<head><script>ok()</script></head>"


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(TypeError):
        publish.atomic_write_bytes(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    publish.atomic_write_text(target, "new")
    assert target.read_text(encoding="utf-8") == "new"


def test_altair6_dot_json_mimetype_is_drawn_offline_too():
    """Altair 6's mimetype renderer writes application/vnd.vegalite.v6.json; stored as a JSON string."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("c", outputs=[_output({"application/vnd.vegalite.v6.json": json.dumps(SPEC)})])])
    assert publish.offline_charts(nb) == 1
    assert 'class="suna-chart"' in nb.cells[0].outputs[0].data["text/html"]


# ---------------------------------------------------------------------------------------------
# The real analysis notebooks (slow: each area's data is loaded and protected)


def _real_notebooks() -> list[Path]:
    found = batch.find_notebooks()
    if not found:
        pytest.skip("notebooks/ holds no NN_*.ipynb analysis notebooks yet")
    return found


def test_suna_batch_runs_the_real_notebooks_for_one_area(tmp_path):
    """`suna batch --area halton --jobs 2`: every notebook runs, and has a report and an index entry."""
    notebooks = _real_notebooks()
    out = tmp_path / "reports"
    env = dict(os.environ)  # the run's shared result cache: Halton's indicators are computed once per test run
    suna = Path(sys.executable).with_name("suna")
    done = subprocess.run([str(suna), "batch", "--area", "halton", "--jobs", "2", "--force", "--out", str(out)], capture_output=True, text=True, env=env, timeout=3600)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert f"{len(notebooks)} ran, 0 up to date, 0 failed" in done.stdout
    index = (out / "index.html").read_text(encoding="utf-8")
    for nb in notebooks:
        assert (out / "halton" / f"{nb.stem}.ipynb").exists()
        page = (out / "halton" / f"{nb.stem}.html").read_text(encoding="utf-8")
        assert "Traceback" not in page and REMOTE_REF.findall(page) == []
        assert f'href="halton/{nb.stem}.html"' in index
    assert "Halton" in index and "synthetic" in index


def test_an_area_code_missing_from_the_data_fails_at_the_load_cell(tmp_path):
    """A well-formed code with no records (E06000099 is not in the sample): each notebook names it."""
    notebooks = _real_notebooks()
    params = tmp_path / "params"
    params.mkdir()
    (params / "nowhere.yaml").write_text(_halton_with(area="nowhere", def_code="E06000099"), encoding="utf-8")
    result = batch.run_batch(notebooks=notebooks, params_dir=params, out_dir=tmp_path / "r", jobs=2, progress=False)
    assert [j.status for j in result.jobs] == ["failed"] * len(notebooks)
    for job in result.jobs:
        assert job.error.cell_index is not None, job.error  # the notebook ran, and stopped at a cell
        assert job.error.ename == "DataSourceError" and "E06000099" in job.error.evalue, job.error


def test_any_english_authority_added_by_name_runs_every_notebook_on_published_figures(tmp_path):
    """`suna areas add kent` then `suna batch --area kent`, in a project of the user's own (SUNA_HOME):
    every notebook runs; the deaths report draws ONS's figures and the record-level topics say what to supply."""
    project = tmp_path / "project"
    (project / "params").mkdir(parents=True)
    for part in ("data", "notebooks", "shapes"):
        (project / part).symlink_to(paths.project_root() / part)
    env = {**os.environ, "SUNA_HOME": str(project), "SUNA_CACHE_DIR": str(tmp_path / "cache")}
    suna = Path(sys.executable).with_name("suna")
    added = subprocess.run([str(suna), "areas", "add", "kent"], capture_output=True, text=True, env=env, timeout=600)
    assert added.returncode == 0 and "12 districts" in added.stdout, added.stdout + added.stderr
    added = subprocess.run([str(suna), "areas", "add", "Bristol"], capture_output=True, text=True, env=env, timeout=600)
    assert added.returncode == 0 and "bristol.yaml" in added.stdout, added.stdout + added.stderr
    notebooks = _real_notebooks()
    done = subprocess.run([str(suna), "batch", "--area", "kent,bristol", "--jobs", "2"], capture_output=True, text=True,
                          env=env, timeout=1800)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert f"{2 * len(notebooks)} ran, 0 up to date, 0 failed" in done.stdout
    bristol = (project / "reports" / "bristol" / "04_drug_deaths_map.html").read_text(encoding="utf-8")
    assert "147" in bristol and "3rd highest rate of the 15 authorities of South West" in bristol  # ONS: Bristol 2018-20
    reports = project / "reports" / "kent"
    deaths = (reports / "04_drug_deaths_map.html").read_text(encoding="utf-8")
    assert "317" in deaths and "Dover" in deaths  # ONS: Kent 2018-20, and its districts
    assert "synthetic" not in deaths.lower()
    treatment = (reports / "01_treatment_population.html").read_text(encoding="utf-8")
    assert "These figures need treatment records" in treatment and "Traceback" not in treatment
    assert "Kent" in (project / "reports" / "index.html").read_text(encoding="utf-8")
