"""The layers of planner/ follow the data, each importing only the layers below it:

    base (planner/__init__, tolerances, clock, interrupt) -> inputs -> model -> solve
    -> analysis -> studies -> report -> cli (and planner/__main__)

Read from the source with ast, every import anywhere in a module (a function's own
``from planner... import`` included: a lazy import hides a cycle, it does not remove it).
Fails on: a module outside the layers, an import cycle between modules, a cycle between the
top-level packages, and an arrow pointing up the layer order."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "planner"
# top-level module or package of planner -> its place in the layer order
LAYERS = {"__init__": 0, "tolerances": 0, "clock": 0, "interrupt": 0, "inputs": 1, "model": 2,
          "solve": 3, "analysis": 4, "studies": 5, "report": 6, "cli": 7, "__main__": 7}


def modules(root: Path = PACKAGE) -> dict[str, Path]:
    """Dotted module name -> file, for every .py under ``root`` (a package is its
    __init__.py)."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = (root.name,) + path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports(name: str, path: Path, known: dict[str, Path]) -> dict[str, int]:
    """planner modules that module ``name`` imports -> the first line that does."""
    is_package = path.name == "__init__.py"
    here = name if is_package else name.rpartition(".")[0]
    found: dict[str, int] = {}

    def add(target: str, line: int) -> None:
        while target and target not in known:  # planner.x.y.attr -> planner.x.y
            target = target.rpartition(".")[0]
        if target and target != name:
            found.setdefault(target, line)

    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE.name:
                    add(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")
                base = base[:len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != PACKAGE.name:
                continue
            for alias in node.names:  # a submodule imported by name, else the module itself
                sub = f"{module}.{alias.name}"
                add(sub if sub in known else module, node.lineno)
    return found


def graph(root: Path = PACKAGE) -> tuple[dict[str, dict[str, int]], dict[str, Path]]:
    known = modules(root)
    return {name: imports(name, path, known) for name, path in known.items()}, known


def top(name: str) -> str:
    """planner.solve.stages -> solve; planner -> __init__."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan), each sorted."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_every_module_is_in_a_layer():
    _, known = graph()
    outside = sorted(name for name in known if top(name) not in LAYERS)
    assert not outside, f"modules outside the layers {sorted(LAYERS)}: {outside}"


def test_no_import_cycle_between_modules():
    edges, _ = graph()
    found = cycles({a: set(bs) for a, bs in edges.items()})
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_no_import_cycle_between_packages():
    edges, _ = graph()
    packages: dict[str, set[str]] = {}
    for a, bs in edges.items():
        packages.setdefault(top(a), set()).update(top(b) for b in bs if top(b) != top(a))
    found = cycles(packages)
    assert not found, "cycles between packages: " + "; ".join(" <-> ".join(c) for c in found)


def test_every_import_points_down_the_layers():
    edges, known = graph()
    up = [f"{known[a].relative_to(PACKAGE.parent)}:{line}: {a} ({top(a)}) imports {b} "
          f"({top(b)})"
          for a, bs in sorted(edges.items()) for b, line in sorted(bs.items())
          if top(a) in LAYERS and top(b) in LAYERS and LAYERS[top(b)] > LAYERS[top(a)]]
    assert not up, "imports pointing up the layers:\n" + "\n".join(up)
