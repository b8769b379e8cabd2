"""The generator's modules import in one direction: no import circles.

Reads every module under generator/ and fails naming the modules of any
cycle. Every import counts, wherever it is written:

- at any depth, including the ones inside functions, which only hide a
  circle from the interpreter;
- under ``if TYPE_CHECKING:`` too: such an import names a module the code
  depends on for its types, and it is only written there because the run
  time import would close a circle (generator/config/stages.py once took
  ``Config`` from the model that imports stages that way);
- ``from package import name`` depends on the package's ``__init__`` (which
  runs first) and on the module that really defines ``name``, followed
  through every re-export (``from generator.config import Config`` reaches
  the module that defines Config, not only generator/config/__init__.py).

The config package in particular imports nothing but itself and the leaf
modules generator.errors, generator.names and generator.roles, and its
input model (generator/config/model.py) imports none of the sections that
extend it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT

PACKAGE = ROOT / "generator"


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _top_level_names(tree: ast.Module, package: str) -> dict[str, tuple[str, str] | None]:
    """What each module-level name of a module is: (module, name) it was
    imported from (a re-export), or None when the module defines it."""
    names: dict[str, tuple[str, str] | None] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = None
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        names[name.id] = None
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            for alias in node.names:
                names[alias.asname or alias.name] = (base, alias.name)
    return names


def _absolute(node: ast.ImportFrom, package: str) -> str:
    base = node.module or ""
    if node.level:
        anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
        base = ".".join(anchor + ([base] if base else []))
    return base


def import_graph(package_dir: Path = PACKAGE) -> dict[str, set[str]]:
    """{module: the modules it imports}, for every module of the package at ``package_dir``."""
    modules = {_module_name(p, package_dir.parent): p for p in package_dir.rglob("*.py")}
    own = package_dir.name
    trees = {name: ast.parse(path.read_text(), str(path)) for name, path in modules.items()}
    packages = {name: name if path.name == "__init__.py" else name.rsplit(".", 1)[0] for name, path in modules.items()}
    top = {name: _top_level_names(trees[name], packages[name]) for name in modules}

    def owner(target: str) -> str:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        return target

    def definer(module: str, name: str, seen: frozenset = frozenset()) -> str:
        """The module that defines ``name`` as ``module`` exports it (through re-exports)."""
        origin = top.get(module, {}).get(name)
        if origin is None or (module, name) in seen:
            return module
        base, original = origin
        if f"{base}.{original}" in modules:
            return f"{base}.{original}"  # a submodule, re-exported
        if base not in modules:
            return module  # from outside the generator
        return definer(base, original, seen | {(module, name)})

    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name in modules:
        package = packages[name]
        # Every node: function bodies and `if TYPE_CHECKING:` blocks included.
        for node in ast.walk(trees[name]):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node, package)
                for alias in node.names:
                    if f"{base}.{alias.name}" in modules:
                        # `from pkg import mod` imports the module pkg.mod when it exists.
                        targets.append(f"{base}.{alias.name}")
                    else:
                        # `from pkg import name` runs pkg (its __init__) and needs
                        # the module that defines name, wherever pkg took it from.
                        targets += [base, definer(base, alias.name)] if base in modules else [base]
            for target in targets:
                target = owner(target)
                if target and target != name and target.split(".")[0] == own:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


def test_no_import_cycles_among_generator_modules():
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_config_imports_nothing_above_it():
    graph = import_graph()
    allowed = {"generator.errors", "generator.names", "generator.roles"}
    for module, targets in graph.items():
        if module.startswith("generator.config"):
            above = {t for t in targets if not t.startswith("generator.config") and t not in allowed}
            assert not above, f"{module} imports {sorted(above)}"


def test_the_input_model_imports_no_section():
    """generator/config/model.py is what the sections extend: it imports only
    leaf modules, and the sections reach it, never the other way round; the
    sections' checks run through the Config that generator/config/document.py
    composes (Config.section_checks)."""
    graph = import_graph()
    leaves = {"generator.config.fields", "generator.config.rules", "generator.errors", "generator.names",
              "generator.roles"}
    assert graph["generator.config.model"] <= leaves, sorted(graph["generator.config.model"] - leaves)
    composed = {"generator.config", "generator.config.document"}
    for module, targets in graph.items():
        if module.startswith("generator.config.") and module not in composed:
            assert not targets & composed, f"{module} imports {sorted(targets & composed)}"


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pkg"


# The shape of the circle generator/config had: the package re-exports the
# model's Config, the model imports a section, and the section takes the
# type back (under TYPE_CHECKING, or from the package, or in a function).
_CIRCLE = {
    "pkg/__init__.py": "",
    "pkg/config/__init__.py": "from pkg.config.model import Config\n",
    "pkg/config/model.py": "from pkg.config.stages import Stage\nclass Config: stages: Stage\n",
}


def test_the_graph_sees_a_circle_closed_under_type_checking(tmp_path):
    package = _write(tmp_path, {**_CIRCLE, "pkg/config/stages.py": (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.config.model import Config\nclass Stage: pass\n")})
    assert cycles(import_graph(package)) == [["pkg.config.model", "pkg.config.stages"]]


def test_the_graph_resolves_a_name_taken_from_a_package_to_its_module(tmp_path):
    package = _write(tmp_path, {**_CIRCLE, "pkg/config/stages.py": (
        "class Stage: pass\ndef check(config):\n    from pkg.config import Config\n")})
    graph = import_graph(package)
    assert graph["pkg.config.stages"] == {"pkg.config", "pkg.config.model"}
    assert cycles(graph) == [["pkg.config", "pkg.config.model", "pkg.config.stages"]]


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
