"""The layout shows the flow: core's imports go one way (no cycles, each part imports only from
the parts below it, also inside functions), core never imports Streamlit, pages/ holds only the
page scripts, and the bench scripts import core as installed (no ``sys.path`` edits)."""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORE = REPO / "core"

#: core's parts from the bottom up, along the data flow: a part imports only from its own layer
#: or those below. A part is a subpackage (``audio`` for ``core/audio/``), a top-level module
#: (``cli``) or, where one module of a subpackage sits elsewhere, that module
#: (``evaluation.metrics``). The demo set sits with audio: it imports neither, and the dataset
#: library generates it and joins its ground truth. The scores (``evaluation.metrics``) sit under
#: training, which records them per fold.
LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(layer.split())
    for layer in (
        "errors settings genres constraints storage policy public_paths",
        "audio demo",
        "dataset",
        "faults features models plots",
        "splits evaluation.metrics",
        "training",
        "runs",
        "sweeps",
        "evaluation",
        "predict links access front cli __main__",
    )
)
PAGES = {
    "home.py",
    "explore.py",
    "spectrogram_lab.py",
    "train.py",
    "compare.py",
    "sweep.py",
    "predict.py",
}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, e.g. core.audio.mel
    target: str  # the imported module, e.g. core.errors
    lazy: bool  # inside a function (or any block), not at module level
    line: int

    def __str__(self) -> str:
        where = "inside a function" if self.lazy else "at module level"
        return f"{self.source}:{self.line} imports {self.target} {where}"


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def core_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(CORE.rglob("*.py"))}


def imports_of(path: Path, modules: dict[str, Path]) -> list[Import]:
    """The core modules ``path`` imports: ``from core import audio`` names core.audio,
    ``from core.audio.mel import MelParams`` names core.audio.mel."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = {id(node) for node in tree.body}
    typing_only = {  # under ``if TYPE_CHECKING:``: never run
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    source = module_name(path)
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            targets = [
                f"{node.module}.{alias.name}"
                if f"{node.module}.{alias.name}" in modules
                else node.module
                for alias in node.names
            ]
        else:
            continue
        for target in dict.fromkeys(targets):
            if target == "core" or target.startswith("core."):
                found.append(Import(source, target, id(node) not in top_level, node.lineno))
    return found


def layer(module: str) -> int:
    """The layer of core.audio.mel (part ``audio``), core.cli (``cli``), core.evaluation.metrics
    (``evaluation.metrics`` when LAYERS names it, else ``evaluation``)."""
    names = module.split(".")[1:3]
    for name in (".".join(names), names[0]):
        for level, parts in enumerate(LAYERS):
            if name in parts:
                return level
    raise AssertionError(f"{module}: place {names[0]!r} in tests/test_layout.py's LAYERS")


@pytest.fixture(scope="module")
def all_imports() -> list[Import]:
    modules = core_modules()
    return [imp for path in modules.values() for imp in imports_of(path, modules)]


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph, as the modules along it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node], path[len(path) :] = 1, [node]
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        path.pop()
        return None

    for start in sorted(edges):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_find_cycle_finds_one_and_only_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def graph(imports: list[Import]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for imp in imports:
        if imp.source != imp.target:
            edges.setdefault(imp.source, set()).add(imp.target)
    return edges


def test_no_import_cycle_among_core_modules(all_imports):
    cycle = find_cycle(graph([imp for imp in all_imports if not imp.lazy]))
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_no_import_cycle_even_through_imports_inside_functions(all_imports):
    cycle = find_cycle(graph(all_imports))
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_every_core_part_has_a_layer():
    for module in core_modules():
        if module != "core":
            layer(module)


def test_core_imports_go_downhill(all_imports):
    uphill = [
        imp for imp in all_imports if imp.target != "core" and layer(imp.target) > layer(imp.source)
    ]
    assert not uphill, "imports against the data flow:\n" + "\n".join(map(str, uphill))


def test_core_never_imports_streamlit():
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(n == "streamlit" or n.startswith("streamlit.") for n in names):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not offenders, f"Streamlit imported under core/: {offenders}"


def test_pages_holds_only_the_page_scripts():
    entries = {p.name for p in (REPO / "pages").iterdir() if p.name != "__pycache__"}
    assert entries == PAGES


@pytest.mark.parametrize("script", sorted((REPO / "bench").glob("*.py")), ids=lambda p: p.name)
def test_bench_scripts_import_core_as_installed(script):
    assert "sys.path" not in script.read_text(encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"bench_{script.stem}", script)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))  # its imports resolve
