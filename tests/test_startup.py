"""Start-up stays light: the CLI and the core import no heavy library until a command needs it.

Structural, not timed: a fresh interpreter imports the module and we look at sys.modules.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("pandas", "rdflib", "scipy", "matplotlib", "sklearn", "pyshacl", "networkx", "duckdb", "pyarrow")


def imported_after(code):
    """The heavy top-level packages in sys.modules after running ``code`` in a fresh interpreter."""
    probe = code + "\nimport json, sys\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    return sorted(loaded & set(HEAVY))


@pytest.mark.parametrize("module", ["consultgraph", "consultgraph.cli", "consultgraph.loaders", "consultgraph.graph.store",
                                    "consultgraph.graph.consultation", "consultgraph.outputs.export"])
def test_importing_loads_no_heavy_library(module):
    assert imported_after(f"import {module}") == []


def test_help_loads_no_heavy_library():
    code = ("import sys\nfrom consultgraph.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n")
    assert imported_after(code) == []


def test_stats_module_avoids_scipy_stats():
    """z tests and intervals use math / scipy.special; scipy.stats (0.6 s) only inside Fisher and chi-square."""
    out = subprocess.run([sys.executable, "-c", "import sys, consultgraph.queries.stats\n"
                          "print('scipy.stats' in sys.modules)"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_stats_on_the_built_in_dataset_reads_only_the_stored_views():
    """`consultgraph stats` answers from the manifest and the concepts view: no pandas, Arrow or rdflib."""
    code = ("from consultgraph.cli import main\n"
            "try:\n    main(['stats'])\nexcept SystemExit:\n    pass\n")
    assert imported_after(code) == []


@pytest.mark.parametrize("argv", [["compare", "--groups", "partner,national-entity", "--by", "tactics"],
                                  ["viz", "-o", "{tmp}/graph.html"]])
def test_built_in_commands_need_neither_rdflib_nor_ipython(argv, tmp_path):
    """Kind names come from the cached kind summary, and the graph page finds pyvis's script
    without importing pyvis (which imports IPython)."""
    argv = [part.format(tmp=tmp_path) for part in argv]
    code = ("import sys\nfrom consultgraph.cli import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'rdflib', 'pyvis', 'IPython'}))")
    subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # fills the cache
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("preset, expected", [(None, "16"), ("28", "28")])
def test_cli_lets_idle_openblas_workers_sleep_unless_the_user_chose(preset, expected):
    """The CLI sets OPENBLAS_THREAD_TIMEOUT before any command loads numpy (OpenBLAS reads it then)."""
    env = {key: value for key, value in os.environ.items() if key != "OPENBLAS_THREAD_TIMEOUT"}
    if preset is not None:
        env["OPENBLAS_THREAD_TIMEOUT"] = preset
    code = ("import os, sys\nfrom consultgraph.cli import main\n"
            "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
            "print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'), 'numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip().splitlines()[-1] == f"{expected} False"
