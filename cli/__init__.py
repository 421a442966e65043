"""The ``consultgraph`` command line: thin commands that parse, call the library, render.

Each command group lives in its own module; :data:`main` collects them.
"""

from __future__ import annotations

from consultgraph.cli.base import main
from consultgraph.cli import data as _data  # noqa: F401  (registers load, export)
from consultgraph.cli import analysis as _analysis  # noqa: F401  (registers stats, audit, compare, quotes)
from consultgraph.cli import querying as _querying  # noqa: F401  (registers query, sparql, cypher)
from consultgraph.cli import network as _network  # noqa: F401  (registers cooccur, central, bridges)
from consultgraph.cli import servers as _servers  # noqa: F401  (registers push, validate)
from consultgraph.cli import visual as _visual  # noqa: F401  (registers viz, chart, report)
from consultgraph.cli import coding_extra as _coding_extra  # noqa: F401  (registers agreement, campaigns, discover)
from consultgraph.cli import coding as _coding  # noqa: F401  (registers code)

__all__ = ["main"]
