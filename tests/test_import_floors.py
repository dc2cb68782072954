"""The import graph of ``src/motionbase`` keeps to its floors, and no two files import each other in a circle.

The graph is read with ``ast`` from the source (every ``import``, at module top or inside a function, counts;
only imports under ``if TYPE_CHECKING:`` do not, since they never run). Each module belongs to the unit of
:data:`FLOORS` with the longest matching name (a package, or a sub-package / module named on its own). A
module may import its own unit and units on lower floors; never a unit on its own floor (siblings stay
independent: the motion LM never imports the tokenizer) or above. docs/ARCHITECTURE.md shows the same table.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

# floor -> units (names relative to ``motionbase``; "" is the package's own __init__: the version)
FLOORS: dict[int, tuple[str, ...]] = {
    0: ("", "errors"),
    1: ("io", "devices", "skeleton", "defaults.paths"),
    2: ("config",),  # the typed config base (imports errors and io)
    3: ("clip", "features", "metrics", "quantize", "viz", "pipeline.clean", "training"),
    4: ("data",),
    5: ("formats",),
    6: ("tokenizer", "lm"),
    7: ("prior",),
    8: ("pipeline",),
    9: ("bodymodels", "defaults"),
    10: ("generation",),
    11: ("evaluate", "generation_tasks"),
    12: ("app", "demo", "experiments"),
    13: ("cli",),
    14: ("__main__",),
}
UNIT_FLOOR = {unit: floor for floor, units in FLOORS.items() for unit in units}


def module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def unit_of(module: str) -> str:
    """The longest unit of :data:`FLOORS` that ``module`` (``motionbase.x.y``) is or lies in."""
    rel = module.split(".")[1:]
    for n in range(len(rel), 0, -1):
        if ".".join(rel[:n]) in UNIT_FLOOR:
            return ".".join(rel[:n])
    if rel:
        raise AssertionError(f"{module}: in no unit of FLOORS; add its package to the table")
    return ""


def _type_only(tree: ast.AST) -> set[int]:
    """ids of the import nodes under ``if TYPE_CHECKING:``."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return out


def import_graph(src: Path = SRC) -> dict[str, set[str]]:
    """{module: modules of the package it imports} over every ``.py`` file under ``src/motionbase``."""
    files = {module_name(p, src): p for p in sorted((src / "motionbase").rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for mod, path in files.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        skip = _type_only(tree)
        targets: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base_name = ".".join(base + ([node.module] if node.module else []))
                else:
                    base_name = node.module or ""
                names = [f"{base_name}.{a.name}" if f"{base_name}.{a.name}" in files else base_name
                         for a in node.names]
            else:
                continue
            for name in names:
                while name not in files and "." in name:
                    name = name.rpartition(".")[0]
                if name in files and name != mod:
                    targets.add(name)
        graph[mod] = targets
    return graph


def floor_violations(graph: dict[str, set[str]]) -> list[str]:
    out = []
    for mod, targets in sorted(graph.items()):
        unit = unit_of(mod)
        for t in sorted(targets):
            other = unit_of(t)
            if other != unit and UNIT_FLOOR[other] >= UNIT_FLOOR[unit]:
                out.append(f"{mod} (floor {UNIT_FLOOR[unit]}, {unit or 'motionbase'}) imports {t} "
                           f"(floor {UNIT_FLOOR[other]}, {other or 'motionbase'})")
    return out


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of two or more modules (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    group.append(m)
                    if m == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_the_reader_sees_imports_a_circle_and_an_upward_arrow():
    graph = {"motionbase.lm.a": {"motionbase.lm.b", "motionbase.tokenizer.c"},
             "motionbase.lm.b": {"motionbase.lm.a"}, "motionbase.tokenizer.c": {"motionbase.errors"},
             "motionbase.errors": set()}
    assert circles(graph) == [["motionbase.lm.a", "motionbase.lm.b"]]
    assert floor_violations(graph) == ["motionbase.lm.a (floor 6, lm) imports motionbase.tokenizer.c "
                                       "(floor 6, tokenizer)"]
    real = import_graph()
    assert "motionbase.errors" in real["motionbase.io"]  # a relative import at module top
    assert "motionbase.quantize.base" in real["motionbase.quantize.lfq"]  # from .base import ...
    assert "motionbase.tokenizer.model" not in real["motionbase.generation"]  # under `if TYPE_CHECKING:` only


def test_no_import_runs_against_the_floors():
    bad = floor_violations(import_graph())
    assert not bad, "imports against the floors:\n" + "\n".join(bad)


def test_no_circle_across_files():
    found = circles(import_graph())
    assert not found, "modules importing each other (only `if TYPE_CHECKING:` imports may): " + str(found)


def test_architecture_doc_shows_the_same_floors():
    doc = (SRC.parent / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    for floor, units in FLOORS.items():
        row = f"| {floor} | " + ", ".join(f"`{u or 'motionbase'}`" for u in units) + " |"
        assert row in doc, f"docs/ARCHITECTURE.md lacks the floors row {row!r}"
