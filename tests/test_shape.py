"""The import graph of napari_dip has no cycles, between modules or between subpackages.

The graph is read from the source with ``ast`` and counts every import, those inside functions too
(a function-local import hides a cycle from Python's import machinery, not from a reader). Layers,
bottom up: ``core/engine/`` (the fit; its types in ``core/engine/types.py``) < ``core/blending/`` (the
blend's building blocks) < ``core/tasks/`` < ``core/restore.py``, ``core/blend.py`` (the public API)
< ``batch/``, ``experiments/``, ``cli/``, ``widgets/``. A package's edge to its own modules (an
``__init__`` re-exporting its children) is not a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import napari_dip

ROOT = Path(napari_dip.__file__).parent
PACKAGE = "napari_dip"

#: Cycles that could not be broken yet, as sorted tuples of names without the ``napari_dip.`` prefix,
#: each with the reason. A cycle not listed here fails the test; one listed but gone fails it too
#: (so that the list shrinks). Empty: no known exceptions.
KNOWN_MODULE_CYCLES: dict[tuple[str, ...], str] = {}
KNOWN_PACKAGE_CYCLES: dict[tuple[str, ...], str] = {}


def modules() -> dict[str, tuple[Path, bool]]:
    """``dotted name -> (path, is a package __init__)`` of every module of napari_dip."""
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = (PACKAGE, *path.relative_to(ROOT).with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_pkg else parts)] = (path, is_pkg)
    return out


def _targets(name: str, is_pkg: bool, node: ast.Import | ast.ImportFrom, known) -> set[str]:
    """The napari_dip modules an import statement refers to (the deepest known module of each name)."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            parts = name.split(".") if is_pkg else name.split(".")[:-1]
            parts = parts[: len(parts) - (node.level - 1)]
            base = ".".join([*parts, base] if base else parts)
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
    hits = set()
    for t in names:
        while t and t not in known:
            t = t.rpartition(".")[0]
        if t:
            hits.add(t)
    return hits


def import_graph() -> tuple[dict[str, set[str]], dict[str, bool]]:
    """``module -> modules it imports`` (anywhere in its source) and ``module -> is a package``."""
    known = modules()
    graph = {}
    for name, (path, is_pkg) in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges |= _targets(name, is_pkg, node, known)
        graph[name] = edges - {name}
    return graph, {n: p for n, (_, p) in known.items()}


def strongly_connected(graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    """The components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on.add(start)
        while work:
            v, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on:
                    low[v] = min(low[v], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(tuple(sorted(comp)))
    return out


def _short(names) -> tuple[str, ...]:
    return tuple(sorted(n.removeprefix(PACKAGE + ".") or PACKAGE for n in names))


def module_cycles() -> set[tuple[str, ...]]:
    """Module-level cycles, less those only between a package and its own modules (re-exports)."""
    graph, is_pkg = import_graph()
    # drop a package's edges to its own modules and theirs back to it: "the package re-exports its children"
    def own(a: str, b: str) -> bool:
        return (is_pkg[a] and b.startswith(a + ".")) or (is_pkg[b] and a.startswith(b + "."))

    pruned = {a: {b for b in bs if not own(a, b)} for a, bs in graph.items()}
    return {_short(c) for c in strongly_connected(pruned)}


def package_cycles() -> set[tuple[str, ...]]:
    """Cycles between packages (each folder one node; a module belongs to its folder)."""
    graph, is_pkg = import_graph()

    def folder(m: str) -> str:
        return m if is_pkg[m] else m.rpartition(".")[0]

    pgraph: dict[str, set[str]] = {}
    for a, bs in graph.items():
        pa = folder(a)
        pgraph.setdefault(pa, set())
        for b in bs:
            pb = folder(b)
            if pa != pb and not pa.startswith(pb + ".") and not pb.startswith(pa + "."):
                pgraph[pa].add(pb)
    return {_short(c) for c in strongly_connected(pgraph)}


def test_graph_is_read_with_function_local_imports():
    """The reader sees imports inside functions (the ones that hide cycles) and resolves relative ones."""
    graph, _ = import_graph()
    # sample_data.py imports the physics' operators inside a function only (torch)
    assert "napari_dip.core.physics" in graph["napari_dip.sample_data"]
    assert "napari_dip.core.engine.types" in graph["napari_dip.core.tasks.base"]
    assert len(graph) > 50


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert strongly_connected(graph) == [("a", "b", "c")]


def test_no_import_cycle_between_modules():
    found = module_cycles()
    new = found - set(KNOWN_MODULE_CYCLES)
    assert not new, f"new import cycle(s) between modules: {sorted(new)}"
    gone = set(KNOWN_MODULE_CYCLES) - found
    assert not gone, f"cycle(s) broken: remove them from KNOWN_MODULE_CYCLES: {sorted(gone)}"


def test_no_import_cycle_between_subpackages():
    found = package_cycles()
    new = found - set(KNOWN_PACKAGE_CYCLES)
    assert not new, f"new import cycle(s) between subpackages: {sorted(new)}"
    gone = set(KNOWN_PACKAGE_CYCLES) - found
    assert not gone, f"cycle(s) broken: remove them from KNOWN_PACKAGE_CYCLES: {sorted(gone)}"


def test_engine_imports_nothing_from_the_tasks_and_blending_not_the_tasks():
    graph, _ = import_graph()
    for module, imports in graph.items():
        if module.startswith(("napari_dip.core.engine", "napari_dip.core.blending")):
            bad = sorted(m for m in imports if m.startswith("napari_dip.core.tasks"))
            assert not bad, f"{module} imports {bad}"
