"""The package's shape as rules a test can hold: layers, no import circles, no private names across modules.

Layers, left to right (a module imports only its own layer and those to its left)::

    data  ->  stats  ->  study  ->  present  ->  (cli)
    render: imports nothing of the package but itself

Imports inside functions count: a circle hidden in a function body is still a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "nlrstats"
LAYERS = ["data", "stats", "study", "present"]
MAX_LINES = 400


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(name: str) -> list[tuple[str, str | None, int]]:
    """(imported module, imported name or None, line) for every import in a module, functions included."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((a.name, None, node.lineno) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(name, path.name == "__init__.py", node)
            for a in node.names:
                sub = f"{target}.{a.name}"
                if sub in MODULES:  # `from pkg import module`
                    out.append((sub, None, node.lineno))
                else:
                    out.append((target, a.name, node.lineno))
    return out


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in (*LAYERS, "render", "cli") else None


def _internal_edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {m: set() for m in MODULES}
    for m in MODULES:
        for target, _, _ in _imports(m):
            if target.startswith("nlrstats") and target in MODULES and target != m:
                edges[m].add(target)
    return edges


def test_layers_import_only_to_their_left():
    bad = []
    for m in MODULES:
        src = _layer(m)
        for target, _, line in _imports(m):
            if not target.startswith("nlrstats.") or target == "nlrstats":
                continue
            dst = _layer(target)
            if src is None or dst is None or src == dst or src == "cli":
                continue
            if src == "render" or dst == "render" and src != "cli":
                bad.append(f"{m}:{line} imports {target} (render stands alone)")
            elif dst == "cli" or LAYERS.index(dst) > LAYERS.index(src):
                bad.append(f"{m}:{line} imports {target} ({dst} is right of {src})")
    assert not bad, "\n".join(bad)


def test_no_import_circles():
    edges = _internal_edges()
    # a package's __init__ re-exporting its modules is not a circle of code: drop edges into a package
    # from its own children (the child's import of the package resolves to a sibling module already)
    cycles = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if nxt.startswith(node + "."):  # a package importing its own children
                continue
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m)
    assert not cycles, "import circles:\n" + "\n".join(cycles)


def test_no_private_names_across_modules():
    bad = []
    for m in MODULES:
        for target, name, line in _imports(m):
            if not target.startswith("nlrstats"):
                root = target.split(".")[0]
                if any(part.startswith("_") and not part.startswith("__") for part in target.split(".")[1:]) \
                        and root not in ("numba",):
                    bad.append(f"{m}:{line} imports a dependency's private module {target}")
                continue
            if name is not None and name.startswith("_") and not name.startswith("__") and target != m:
                bad.append(f"{m}:{line} imports private {target}.{name}")
            private_parts = [i for i, part in enumerate(target.split(".")) if part.startswith("_")
                             and not part.startswith("__")]
            if private_parts:
                owner = ".".join(target.split(".")[: private_parts[0]])
                if not (m == owner or m.startswith(owner + ".")):
                    bad.append(f"{m}:{line} imports {target}, private to {owner}")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_size(name):
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{MODULES[name]} has {lines} lines; split it by what it holds"
