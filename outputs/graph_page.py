"""The graph page of a stored project, kept per generation: a repeated ``viz`` without pandas.

The first page drawn for a project generation with given options is rendered by
:func:`consultgraph.outputs.visual.graph_html` (pandas) and kept as a JSON view beside the
project's engines (:func:`consultgraph.graph.cache.write_view`: ``PROJECT/.cache``, or the
user cache for the built-in datasets and read-only projects), named by the generation, the
options and the code that draws it (this package's graph/, queries/ and outputs/ code, the
page's static files and pyvis's vis-network script). The same page asked for again is read
from that view with the standard library alone. A graph held in memory or another coder's
codings are drawn each time.
"""

from __future__ import annotations

import hashlib
import json
from importlib.util import find_spec
from pathlib import Path

from consultgraph.graph import cache
from consultgraph.graph.coders import AUTO

#: The views' common name in the cache (each is named by its options too).
VIEW = "graph-page"


def sources():
    """The files whose content draws the page (any change to them makes a new view)."""
    outputs = Path(__file__).resolve().parent
    graph = Path(cache.__file__).resolve().parent
    files = [*sorted(outputs.glob("*.py")), *sorted((outputs / "static").glob("*")),
             *sorted((outputs.parent / "queries").glob("*.py")), *sorted(graph.glob("*.py"))]
    spec = find_spec("pyvis")
    if spec is not None and spec.submodule_search_locations:
        files += sorted((Path(next(iter(spec.submodule_search_locations))) / "lib").rglob("vis-network.min.js"))
    return files


def _plain(value):
    if isinstance(value, (set, frozenset, list, tuple)):
        return sorted(str(v) for v in value) if isinstance(value, (set, frozenset)) else [_plain(v) for v in value]
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def view_name(options):
    """The view's name for ``options`` (as :func:`graph_page` takes them).

    Examples
    --------
    >>> view_name({"kinds": "group,tactic"}) == view_name({"kinds": "group,tactic"})
    True
    >>> view_name({"kinds": "group,tactic"}) == view_name({"kinds": "group"})
    False
    """
    key = json.dumps({k: _plain(v) for k, v in options.items()}, sort_keys=True)
    return f"{VIEW}-{hashlib.sha1(key.encode()).hexdigest()[:10]}"


def graph_page(graph, **options):
    """The HTML page of :func:`consultgraph.outputs.visual.graph_html` for ``graph`` and ``options``,
    read from the project generation's view when it was drawn before with the same options.

    Returns
    -------
    str
    """
    if getattr(graph, "project", None) is None or getattr(graph, "coder", AUTO) != AUTO:
        return _render(graph, options)
    name, files = view_name(options), sources()
    data = cache.read_view(graph, name, files)
    if isinstance(data, dict) and isinstance(data.get("page"), str):
        return data["page"]
    page = _render(graph, options)
    cache.write_view(graph, name, files, {"page": page}, family=VIEW)
    return page


def _render(graph, options):
    from consultgraph.outputs.visual import graph_html

    return graph_html(graph, **options)


def write_graph_html(graph, path, **options):
    """Write :func:`graph_page` to ``path`` atomically; returns the path."""
    from consultgraph.graph.store import atomic_write

    page = graph_page(graph, **options)
    return atomic_write(path, lambda tmp: tmp.write_text(page, encoding="utf-8"))
