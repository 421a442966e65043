"""Layers only point down: schema -> graph -> loaders -> queries -> coding -> outputs -> cli.

Every module's imports are read from its syntax tree (imports inside functions too) and so
are module names written in strings ("consultgraph.outputs.export" in a registry entry; docstrings,
which may point a reader to a later layer or show a whole example, are not code). A
module may import from its own layer or an earlier one; ``errors`` and the package's
``__init__`` are the base everyone may use. No module reaches into another module's
``_private`` names, and no module is longer than 600 lines.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "consultgraph"
LAYERS = ("schema", "graph", "loaders", "queries", "coding", "outputs", "cli")
BASE = {"consultgraph", "consultgraph.errors"}
MAX_LINES = 600
MODULE_IN_STRING = re.compile(r"\bconsultgraph(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


def modules():
    """(dotted name, path) of every module of the package."""
    found = [("consultgraph", ROOT / "__init__.py"), ("consultgraph.errors", ROOT / "errors.py")]
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found.append((".".join((PACKAGE, *parts)), path))
    return found


def layer_of(module):
    """The layer's rank (-1 for the base), or None for a name outside the package."""
    if module in BASE or module.startswith("consultgraph.errors."):
        return -1
    parts = module.split(".")
    if parts[0] != PACKAGE or len(parts) < 2:
        return None
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else None


def references(name, tree):
    """(line, module, imported names) for every import and every module named in a string."""
    package = name if name in PACKAGES else name.rsplit(".", 1)[0]
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            names = tuple(alias.name for alias in node.names)
            yield node.lineno, module, names
            for imported in names:  # ``from consultgraph.queries import compare`` imports a module
                yield node.lineno, f"{module}.{imported}", ()
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            for match in MODULE_IN_STRING.finditer(node.value):
                yield node.lineno, match.group(), ()


def upward_edges(name, tree):
    own = layer_of(name)
    for line, module, _ in references(name, tree):
        rank = layer_of(module)
        if rank is not None and rank > own:
            yield f"{name}:{line} imports {module} ({LAYERS[rank]} is above {LAYERS[own] if own >= 0 else 'the base'})"


def private_reaches(name, tree):
    for line, module, names in references(name, tree):
        if layer_of(module) is None or module == name:
            continue
        for imported in names:
            if imported.startswith("_") and not imported.startswith("__"):
                yield f"{name}:{line} imports {imported} from {module}"
    for node in ast.walk(tree):
        # ``module._name`` on an imported consultgraph module
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            dotted = _dotted(node.value)
            if dotted and dotted.startswith(f"{PACKAGE}.") and dotted != name:
                yield f"{name}:{node.lineno} uses {dotted}.{node.attr}"


def _dotted(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None


MODULES = modules()
PACKAGES = {name for name, path in MODULES if path.name == "__init__.py"}
TREES = {name: ast.parse(path.read_text(encoding="utf-8"), filename=str(path)) for name, path in MODULES}


def test_every_layer_is_found():
    # the walk must see the package, or every other test here passes on nothing
    ranks = {layer_of(name) for name, _ in MODULES}
    assert {LAYERS.index(layer) for layer in ("schema", "graph", "loaders", "queries", "outputs", "cli")} <= ranks
    assert len(MODULES) > 40


def test_no_upward_import():
    problems = [edge for name, _ in MODULES for edge in upward_edges(name, TREES[name])]
    assert problems == []


def test_no_private_name_of_another_module():
    problems = [reach for name, _ in MODULES for reach in private_reaches(name, TREES[name])]
    assert problems == []


def test_no_module_over_600_lines():
    long = {name: n for name, path in MODULES if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


@pytest.mark.parametrize("source, found", [
    ("from consultgraph.queries.compare import compare\n", ["imports consultgraph.queries.compare"]),
    ("def f():\n    from consultgraph.outputs import render\n", ["imports consultgraph.outputs"]),
    ("import consultgraph.cli\n", ["imports consultgraph.cli"]),
    ("REGISTRY = ('x', 'consultgraph.outputs.export')\n", ["imports consultgraph.outputs.export"]),
    ("from consultgraph.graph.model import kinds\nfrom consultgraph.errors import InputError\n", []),
])
def test_the_walk_catches_what_it_should(source, found):
    # a loader importing from queries, outputs or cli, at the top, in a function or by a string
    edges = list(upward_edges("consultgraph.loaders.example", ast.parse(source)))
    assert len(edges) >= len(found)
    for expected, edge in zip(found, edges):
        assert expected in edge


def test_the_walk_catches_a_private_name():
    tree = ast.parse("from consultgraph.queries.compare import _fmt_share\nimport consultgraph.graph.rdf\n"
                     "consultgraph.graph.rdf._value(1)\n")
    reaches = list(private_reaches("consultgraph.outputs.example", tree))
    assert len(reaches) == 2 and "_fmt_share" in reaches[0] and "_value" in reaches[1]


def test_the_readme_architecture_picture_is_the_folders():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    picture = section.split("```", 2)[1]
    drawn = re.findall(r"^ (\w+)/", picture, flags=re.M)
    assert drawn == list(LAYERS)
    folders = {path.parent.name for path in ROOT.glob("*/__init__.py")}
    assert set(LAYERS) == folders - {"tests", "benchmarks"}
