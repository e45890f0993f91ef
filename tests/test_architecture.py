"""The package's shape: layers that import only downward, no import cycle, click only in the CLI.

The layers, bottom to top, are visible in the folder names:
foundation -> mathlang -> engines -> bank -> features -> commands -> cli (and the notebook front end,
``tutor.notebook``, beside the CLI).
Every import counts, including those inside functions (the lazy ones that keep
start-up fast), so a lazy import cannot smuggle in an upward arrow.
"""
import ast
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "tutor"
LAYERS = ["foundation", "mathlang", "engines", "bank", "features", "commands", "cli"]
FEATURES = ("quiz", "sheets", "grading", "check")
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imported(node: ast.AST, package: str) -> set[str]:
    """The modules one import statement (or importlib.import_module / __import__ call) names."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names}
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = package.split(".")
            base = base[:len(base) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        # `from . import bank` imports a module
        return {target} | {f"{target}.{a.name}" for a in node.names if module_path(f"{target}.{a.name}")}
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
            and isinstance(node.args[0].value, str):
        func = node.func
        fname = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if fname in ("import_module", "__import__"):
            return {node.args[0].value}
    return set()


def imports_of(path: Path, every: bool = True) -> set[str]:
    """The modules this file imports (absolute names): all of them, or with ``every=False`` only those
    that run when the module loads (not inside a function or a class body's methods)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = ast.walk(tree) if every else _module_level(tree)
    found: set[str] = set()
    for node in nodes:
        found |= _imported(node, package)
    return found


def _module_level(tree: ast.Module):
    """Every node that runs at import time: the module body, into if/try/with blocks, not into functions."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            stack.extend(node.orelse)            # typing-only imports never run
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def module_path(name: str):
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH = {name: {t for t in imports_of(path) if t in MODULES and t != name} for name, path in MODULES.items()}
LOAD_GRAPH = {name: {t for t in imports_of(path, every=False) if t in MODULES and t != name}
              for name, path in MODULES.items()}


FRONT_ENDS = ("notebook", "notebook_support")   # tutor.notebook (the Jupyter front end) beside the CLI, at the top


def layer(name: str) -> int | None:
    parts = name.split(".")
    if len(parts) > 1 and parts[1] in FRONT_ENDS:
        return LAYERS.index("cli")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_every_module_belongs_to_a_layer():
    loose = [n for n in MODULES if layer(n) is None and n not in ("tutor", "tutor.__main__")]
    assert not loose, f"modules outside the layers: {loose}"


def test_no_arrow_points_to_a_higher_layer():
    upward = [(a, b) for a, targets in GRAPH.items() for b in targets
              if layer(a) is not None and layer(b) is not None and layer(b) > layer(a)]
    assert not upward, "imports from a lower layer to a higher one:\n" + "\n".join(f"{a} -> {b}" for a, b in upward)


def test_features_do_not_import_one_another():
    def feature(name):
        parts = name.split(".")
        return parts[2] if len(parts) > 2 and parts[1] == "features" else None

    crossing = [(a, b) for a, targets in GRAPH.items() for b in targets
                if feature(a) and feature(b) and feature(a) != feature(b)]
    assert not crossing, crossing


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def _package_graph():
    """Imports between packages (folders), a package's own __init__ counted as itself."""
    def package(name):
        return name if MODULES[name].name == "__init__.py" else name.rsplit(".", 1)[0]

    out = {}
    for a, targets in GRAPH.items():
        pa = package(a)
        out.setdefault(pa, set()).update(package(b) for b in targets if package(b) != pa
                                         and not package(b).startswith(pa + ".") and not pa.startswith(package(b) + "."))
    return out


def test_no_import_cycle_between_packages():
    assert _cycles(_package_graph()) == []


def test_no_import_cycle_at_import_time():
    """What runs when a module loads (relative or absolute imports, in if/try blocks too) forms no cycle."""
    graph = {name: set(targets) for name, targets in LOAD_GRAPH.items()}
    # a package's __init__ that imports its own submodules is how a package exports: not a cycle
    for name in graph:
        if MODULES[name].name == "__init__.py":
            graph[name] = {t for t in graph[name] if not t.startswith(name + ".")}
    assert _cycles(graph) == []


def test_click_only_in_the_cli():
    users = [name for name, path in MODULES.items()
             if any(m.split(".")[0] == "click" for m in imports_of(path))]
    assert users and all(u == "tutor.cli" or u.startswith("tutor.cli.") for u in users), users


def test_heavy_libraries_are_not_imported_at_module_level_below_the_engines():
    """torch, sympy and numpy load inside functions (tutor --help must not pay for them).

    The sympy extensions (mathlang.sym) import sympy by design and are themselves imported lazily.
    """
    offenders = [name for name, path in MODULES.items() if name != "tutor.mathlang.sym"
                 and any(m.split(".")[0] in ("torch", "sympy", "numpy", "mpmath") for m in imports_of(path, every=False))]
    assert not offenders, offenders


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_too_long(name):
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name} has {lines} lines (at most {MAX_LINES}): split it by job"


def test_every_package_ships_in_the_wheel():
    declared = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    packages = {module_name(p) for p in PACKAGE.rglob("__init__.py")}
    assert packages <= declared, f"add to pyproject.toml: {sorted(packages - declared)}"


def test_the_architecture_checks_can_fail(tmp_path, monkeypatch):
    """The checks see every way of importing: in try blocks, absolute, by string, typing-only excluded."""
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    assert layer("tutor.bank.load") > layer("tutor.engines.scenario")
    sample = PACKAGE / "foundation" / "term.py"
    text = ("import os, click\ntry:\n    import torch\nexcept ImportError:\n    pass\nimport tutor.bank.load\n"
            "import importlib\nimportlib.import_module('tutor.features.quiz')\n__import__('tutor.cli')\n"
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import sympy\n"
            "def f():\n    import numpy\n")
    fake = tmp_path / "term.py"
    fake.write_text(text)
    monkeypatch.setattr(Path, "read_text", lambda self, encoding=None: text if self == sample else
                        Path.__dict__["read_bytes"](self).decode())
    every, at_load = imports_of(sample), imports_of(sample, every=False)
    assert {"click", "torch", "tutor.bank.load", "tutor.features.quiz", "tutor.cli", "sympy", "numpy"} <= every
    assert {"click", "torch", "tutor.bank.load", "tutor.features.quiz", "tutor.cli"} <= at_load
    assert "sympy" not in at_load and "numpy" not in at_load
