"""Helpers for the notebook tests: run a notebook with papermill (the product path) and read its outputs.

    def test_trend_chart(run_notebook, area_parameters, outputs_by_tag):
        nb = run_notebook(NOTEBOOKS / "01_treatment_population.ipynb", area_parameters("halton"))
        specs = vegalite_specs(outputs_by_tag(nb, "trend_chart"))

Notebooks run exactly as ``suna batch`` runs them (``suna.batch.execute_notebook``: kernel python3,
working directory the notebook's folder, in a warm kernel reset before each notebook), with the
executed copy written under the test's tmp_path. The session keeps one warm kernel, so imports and
each area's data load (``suna.pipeline``'s in-memory cache) are paid once per session, not per test;
``run_notebook(..., fresh=True)`` runs in a kernel of its own instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

_VEGALITE = re.compile(r"^application/vnd\.vegalite\.v\d+\+json$")


def execute(path: Path, parameters: dict[str, Any] | None, tmp_path: Path, kernel_name: str = "python3", kernel: Any = None) -> Any:
    """Run ``path`` with papermill and these parameters; return the executed nbformat node.

    A cell error raises papermill's PapermillExecutionError (its ``ename``, ``evalue``,
    ``cell_index``), and the executed notebook with the traceback is left in ``tmp_path``.
    ``kernel`` is a ``suna.batch.WarmKernel`` to run in; None starts a fresh kernel.
    """
    from suna.batch import execute_notebook

    path = Path(path).resolve()
    output = Path(tmp_path) / f"{path.stem}.executed.ipynb"
    return execute_notebook(path, output, parameters or {}, cwd=path.parent, kernel_name=kernel_name, kernel=kernel)


class _WarmKernels:
    """One warm kernel per kernel name for the session; replaced when one dies or hangs."""

    def __init__(self) -> None:
        self._kernels: dict[str, Any] = {}

    def run(self, path: Path, parameters: dict[str, Any] | None, tmp_path: Path, kernel_name: str) -> Any:
        from papermill.exceptions import PapermillExecutionError

        from suna.batch import WarmKernel

        kernel = self._kernels.get(kernel_name)
        if kernel is None:
            kernel = self._kernels[kernel_name] = WarmKernel(kernel_name, Path(path).resolve().parent)
        try:
            return execute(path, parameters, tmp_path, kernel_name, kernel)
        except PapermillExecutionError:
            raise  # a cell raised: the kernel is fine
        except BaseException:
            self.close(kernel_name)
            raise

    def close(self, kernel_name: str | None = None) -> None:
        for name in [kernel_name] if kernel_name else list(self._kernels):
            kernel = self._kernels.pop(name, None)
            if kernel is not None:
                kernel.shutdown()


@pytest.fixture(scope="session")
def warm_kernels() -> Any:
    """The session's warm kernels (``run_notebook`` uses them)."""
    kernels = _WarmKernels()
    yield kernels
    kernels.close()


def cells_by_tag(nb: Any, tag: str) -> list[Any]:
    """The cells carrying ``tag`` in their metadata tags, in order."""
    return [cell for cell in nb.cells if tag in cell.get("metadata", {}).get("tags", [])]


def outputs_by_tag(nb: Any, tag: str) -> list[Any]:
    """Every output of the cells tagged ``tag``; fails the test if no cell has the tag."""
    cells = cells_by_tag(nb, tag)
    if not cells:
        pytest.fail(f"No cell is tagged {tag!r}.")
    return [output for cell in cells for output in cell.get("outputs", [])]


def output_data(outputs: list[Any], mimetype: str) -> list[Any]:
    """The ``mimetype`` payloads (``text/html``, ``text/plain``, ``image/png``, ...) among outputs."""
    found = []
    for output in outputs:
        value = output.get("data", {}).get(mimetype)
        if value is not None:
            found.append("".join(value) if isinstance(value, list) else value)
    return found


def stream_text(outputs: list[Any], name: str = "stdout") -> str:
    """Everything printed to ``stdout`` (or ``stderr``) by these outputs."""
    return "".join(
        "".join(o["text"]) if isinstance(o.get("text"), list) else o.get("text", "")
        for o in outputs
        if o.get("output_type") == "stream" and o.get("name") == name
    )


def vegalite_specs(outputs: list[Any]) -> list[dict[str, Any]]:
    """The Vega-Lite specs of Altair charts shown by the default (mimebundle) renderer."""
    return [dict(value) for o in outputs for mime, value in o.get("data", {}).items() if _VEGALITE.match(mime)]


def spec_rows(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Every data row a chart's spec carries (its datasets, and those of its layers and side-by-side parts)."""
    rows = [row for rows in spec.get("datasets", {}).values() for row in rows]
    for part in spec.get("hconcat", []) + spec.get("layer", []):
        rows += spec_rows(part)
    return rows


def spec_title(spec: dict[str, Any]) -> str:
    """A chart's title as the reader sees it."""
    title = spec.get("title", {})
    return title.get("text", "") if isinstance(title, dict) else str(title)


def error_outputs(nb: Any) -> list[Any]:
    """Outputs of type ``error`` anywhere in the notebook (there should be none)."""
    return [o for cell in nb.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]


@pytest.fixture
def run_notebook(tmp_path: Path, warm_kernels: _WarmKernels) -> Callable[..., Any]:
    """``run_notebook(path, parameters=None, tmp_path=None, fresh=False)`` -> the executed notebook node."""

    default_dir = tmp_path

    def run(
        path: Path,
        parameters: dict[str, Any] | None = None,
        tmp_path: Path | None = None,
        kernel_name: str = "python3",
        fresh: bool = False,
    ) -> Any:
        if fresh:
            return execute(path, parameters, tmp_path or default_dir, kernel_name)
        return warm_kernels.run(path, parameters, tmp_path or default_dir, kernel_name)

    return run


@pytest.fixture
def area_parameters() -> Callable[[str], dict[str, Any]]:
    """``area_parameters("halton")`` -> the papermill parameters of a real params file (as the batch passes them)."""
    from suna.batch import read_job_parameters
    from suna.core import paths

    def load(area: str, data_dir: str | None = None) -> dict[str, Any]:
        parameters, _ = read_job_parameters(paths.params_dir() / f"{area}.yaml", data_dir)
        return parameters

    return load


@pytest.fixture(name="outputs_by_tag")
def outputs_by_tag_fixture() -> Callable[[Any, str], list[Any]]:
    return outputs_by_tag


@pytest.fixture(name="cells_by_tag")
def cells_by_tag_fixture() -> Callable[[Any, str], list[Any]]:
    return cells_by_tag


@pytest.fixture(name="output_data")
def output_data_fixture() -> Callable[[list[Any], str], list[Any]]:
    return output_data


@pytest.fixture(name="vegalite_specs")
def vegalite_specs_fixture() -> Callable[[list[Any]], list[dict[str, Any]]]:
    return vegalite_specs


@pytest.fixture(name="stream_text")
def stream_text_fixture() -> Callable[..., str]:
    return stream_text


@pytest.fixture(name="spec_rows")
def spec_rows_fixture() -> Callable[[dict[str, Any]], list[dict[str, Any]]]:
    return spec_rows


@pytest.fixture(name="spec_title")
def spec_title_fixture() -> Callable[[dict[str, Any]], str]:
    return spec_title


@pytest.fixture(name="error_outputs")
def error_outputs_fixture() -> Callable[[Any], list[Any]]:
    return error_outputs


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test taking ``run`` runs once for each of its module's ``AREAS``."""
    if "run" in metafunc.fixturenames:
        metafunc.parametrize("run", metafunc.module.AREAS, indirect=True, scope="module")


@pytest.fixture(scope="module")
def run(request: pytest.FixtureRequest, run_area_notebook: Callable[[Path, str], tuple[Any, Any]]) -> tuple[Any, Any]:
    """The module's ``NOTEBOOK`` run as the batch runs it for one of its ``AREAS``: (executed node, AreaData)."""
    return run_area_notebook(request.module.NOTEBOOK, request.param)


@pytest.fixture(scope="session")
def run_area_notebook(tmp_path_factory):
    """Run a notebook as the batch runs it, with an area's params file; return (executed node, AreaData)."""
    from suna import pipeline
    from suna.batch import execute_notebook, read_job_parameters
    from suna.core import paths

    def run(notebook: Path, slug: str) -> tuple[Any, Any]:
        parameters, _ = read_job_parameters(paths.params_dir() / f"{slug}.yaml", None)
        output = tmp_path_factory.mktemp(slug) / notebook.name
        nb = execute_notebook(notebook, output, parameters, cwd=notebook.parent, kernel_name="python3")
        return nb, pipeline.load_area_data(slug)

    return run
