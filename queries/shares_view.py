"""What compare reads about a graph (the shares table's cells, the dataset's metadata,
statement texts, voters per group), kept per project generation as plain JSON.

The first comparison on a stored project computes these with :func:`~consultgraph.queries.shares.shares`
(pandas) and keeps them beside the project's engines (:func:`consultgraph.graph.cache.write_view`:
``PROJECT/.cache``, or the user cache for the built-in datasets and read-only projects),
named by the generation and by the code that derived them. Later comparisons of the same
generation read that file with the standard library alone: no pandas, numpy or pyarrow.
A region filter or another coder's codings are computed each time, never read from the view.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from pathlib import Path

from consultgraph.graph import cache
from consultgraph.graph.coders import AUTO
from consultgraph.queries.metadata import Metadata, metadata_from_json, metadata_to_json
from consultgraph.queries.shares_format import COLUMNS, missing

#: The view's name in the cache.
VIEW = "shares-view"


@dataclass
class ShareCells:
    """The cells a comparison reads, and where they came from.

    ``cells`` is ``{(group, kind): {(concept, stance): row}}`` with the rows of
    :func:`consultgraph.queries.shares.shares` (missing values as None); ``voters`` counts
    the members of each group whose shares are votes; ``from_view`` says whether the
    stored view was read.
    """

    cells: dict
    metadata: Metadata
    statement_labels: dict
    voters: dict
    from_view: bool = False

    def statement_label(self, statement):
        """A statement's text (its id when it has none)."""
        return self.statement_labels.get(statement, statement)


def sources():
    """The modules whose code derives the view (any change to them makes a new view)."""
    queries, graph = Path(__file__).resolve().parent, Path(cache.__file__).resolve().parent
    return [*sorted(queries.glob("*.py")), *sorted(graph.glob("*.py"))]


def can_use_view(graph, region=None):
    """True when the view answers for ``graph``: a stored project, the default coder, no region."""
    return region is None and getattr(graph, "project", None) is not None and graph.coder == AUTO


def share_cells(graph, region=None):
    """The :class:`ShareCells` of ``graph`` (and ``region``): from the view where it answers.

    Examples
    --------
    >>> from consultgraph.loaders import builtin
    >>> found = share_cells(builtin())
    >>> found.cells[("group/national-entity", "Tactic")][("tactic/research", "raised")]["text"]
    '69% (37 of 53)'
    """
    if not can_use_view(graph, region):
        return computed(graph, region)
    return graph.memo(VIEW, lambda: _stored_or_computed(graph))


def _stored_or_computed(graph):
    data = cache.read_view(graph, VIEW, sources())
    if data is not None:
        try:
            return from_json(data)
        except (KeyError, TypeError, ValueError):
            pass  # a damaged view is computed and written again
    found = computed(graph)
    cache.write_view(graph, VIEW, sources(), to_json(found))
    return found


def computed(graph, region=None):
    """The :class:`ShareCells` of ``graph`` computed from its tables (pandas)."""
    from consultgraph.queries import shares
    from consultgraph.queries.metadata import dataset_metadata

    cells = shares.cells(graph, region)
    statements = sorted({concept for (_, kind), rows in cells.items() if kind == "Statement" for concept, _ in rows})
    labels = {}
    if statements:
        table = graph.table("Statement")
        if "text" in table:
            labels = {s: t for s, t in zip(table["id"], table["text"]) if s in set(statements) and not missing(t)}
    voting = sorted({group for (group, _), rows in cells.items() if any(r["basis"] == "votes" for r in rows.values())})
    return ShareCells(cells=cells, metadata=dataset_metadata(graph), statement_labels=labels,
                      voters={group: len(graph.members(group)) for group in voting})


def _plain(value):
    """A JSON value for one cell: numpy numbers as Python numbers, missing as None."""
    if missing(value):
        return None
    if isinstance(value, bool) or isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return value


def to_json(found):
    """JSON-ready data of a :class:`ShareCells` (rows as lists in :data:`COLUMNS` order)."""
    rows = [[_plain(row.get(column)) for column in COLUMNS] for part in found.cells.values() for row in part.values()]
    return {"columns": list(COLUMNS), "rows": rows, "metadata": metadata_to_json(found.metadata),
            "statement_labels": found.statement_labels, "voters": found.voters}


def from_json(data):
    """The :class:`ShareCells` that :func:`to_json` wrote."""
    columns = data["columns"]
    cells = {}
    for values in data["rows"]:
        row = dict(zip(columns, values))
        cells.setdefault((row["group"], row["kind"]), {})[(row["concept"], row["stance"])] = row
    return ShareCells(cells=cells, metadata=metadata_from_json(data["metadata"]),
                      statement_labels=dict(data["statement_labels"]), voters=dict(data["voters"]), from_view=True)
