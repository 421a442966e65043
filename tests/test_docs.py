"""The docstring examples of every library module run (networkx-style runnable examples)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import consultgraph

MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(consultgraph.__path__, "consultgraph.")
    if not name.startswith("consultgraph.cli") and ".tests" not in name and ".benchmarks" not in name
)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"


def test_ci_runs_exactly_the_readme_test_command():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text()
    command = readme.split("Run the tests:")[1].split("```bash")[1].split("```")[0].strip()
    ci = (root / ".ci" / "run").read_text().splitlines()
    assert command in ci
