"""The library's layers point one way: each module imports only its own layer and those below it.

Read from the source (every ``import suna...``, at module level or inside a function), so a new
import that climbs back up the tree fails here with the module and the import named.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[1] / "lib" / "suna"
NOTEBOOKS = LIB.parents[1] / "notebooks"

# Bottom to top: the data flow from parameters and published tables to what a reader sees.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("core", ("suna", "errors", "paths", "reference", "fingerprint", "periods", "areas", "schemas", "stats", "formatting",
              "population", "outputs")),
    ("sources", ("sources",)),
    ("figures", ("indicators", "national", "published_indicators", "shapes", "localities", "area_registry", "result_cache",
                 "targets")),
    ("disclosure", ("disclosure", "secondary", "optimal_suppression")),
    ("presentation", ("charts", "narrative", "maps", "responsive", "sparklines", "chart_svg")),
    ("pipeline", ("pipeline",)),
    ("views", ("views",)),
    ("apps", ("app_cache", "app_pack", "output_column", "widgets", "batch", "publish", "board_pack", "app_server", "cli")),
]
# Known upward imports, to be moved (each is debt, named so that no other can join it unseen).
KNOWN = {
    ("pipeline", "views.indicator_cells"),  # the cohort tables that decide the treatment indicators' cells
}


def _layer(module: str) -> int:
    first = module.split(".")[0]
    for rank, (_, members) in enumerate(LAYERS):
        if first in members:
            return rank
    raise AssertionError(f"suna.{module} belongs to no layer: add it to LAYERS in tests/test_layers.py")


def _imports(path: Path) -> set[str]:
    """Every suna module a file imports (``from suna import x`` counts as suna.x)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "suna"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "suna":
            if node.module in ("suna", "suna.views", "suna.sources"):
                found |= {f"{node.module}.{a.name}" for a in node.names}
            else:
                found.add(node.module)
    return {name.removeprefix("suna.") or "suna" for name in found}


def _module(path: Path) -> str:
    parts = path.relative_to(LIB).with_suffix("").parts
    return ".".join(p for p in parts if p != "__init__") or "suna"


MODULES = sorted(LIB.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module(p))
def test_each_module_imports_only_its_layer_and_those_below(path: Path) -> None:
    me = _module(path)
    upward = []
    for imported in sorted(_imports(path)):
        target = imported if imported.split(".")[0] in {m for _, ms in LAYERS for m in ms} else "suna"
        if _layer(target) > _layer(me) and (me, imported) not in KNOWN:
            upward.append(f"suna.{imported} ({LAYERS[_layer(target)][0]})")
    assert not upward, f"suna.{me} ({LAYERS[_layer(me)][0]}) imports from a layer above it: {', '.join(upward)}"


def test_the_known_exceptions_are_still_there() -> None:
    """An exception that is gone is struck from KNOWN, so it cannot come back unseen."""
    for me, imported in KNOWN:
        assert imported in _imports(LIB / (me.replace(".", "/") + ".py")), f"remove ({me!r}, {imported!r}) from KNOWN"


def test_analysis_notebooks_use_only_the_pipeline_and_the_views() -> None:
    for nb in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        source = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        tree = ast.parse("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))
        used = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                used |= {a.name for a in node.names if a.name.startswith("suna")}
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("suna"):
                used.add(node.module)
        assert used and used <= {"suna.pipeline", "suna.views"}, f"{nb.name} imports {sorted(used)}"
