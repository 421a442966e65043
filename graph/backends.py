"""Query backends by name: the servers that hold a whole graph and answer queries on it.

The same registry shape as loaders and exporters (:mod:`consultgraph.graph.plugins`).
Flags: ``language`` (what it runs: ``"cypher"`` or ``"sparql"``), ``server`` (it is a
separate process reached over the network), ``pushes`` (``push`` can load a graph into it).

Examples
--------
>>> backend("neo4j").flag("language"), backend("sparql").flag("pushes")
('cypher', True)
"""

from __future__ import annotations

from consultgraph.graph.plugins import Registry

BACKENDS = Registry("backend", "query backend")
BACKENDS.register("neo4j", "consultgraph.graph.neo4j", "Neo4jBackend",
                  "Neo4j over Bolt ($NEO4J_URI ...): Cypher", language="cypher", server=True, pushes=True)
BACKENDS.register("sparql", "consultgraph.graph.endpoint", "SparqlEndpoint",
                  "any SPARQL 1.1 store (Fuseki ...): query, update, Graph Store Protocol", aliases=("sparql-endpoint",),
                  language="sparql", server=True, pushes=True)


def backend(name):
    """The backend registered as ``name`` (a :class:`~consultgraph.graph.plugins.Plugin`)."""
    return BACKENDS.get(name)


def connect(name, *args, **options):
    """A connection to backend ``name``: its class called with ``args`` and ``options``."""
    return backend(name).load()(*args, **options)
