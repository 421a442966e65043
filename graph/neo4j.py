"""Neo4j backend: push the graph with batched UNWIND ... MERGE, and run Cypher with parameters.

Labels, relationship types and property names follow schema/ (a node gets its kind as
label, plus ``Concept`` for SKOS concepts; properties ``id``, ``kind``, ``label`` and its
own). Constraints and indexes come from ``schema/constraints.cypher``. Every write is a
MERGE on a stable key, so a push can be repeated, or re-run after a failure, and
converges to the same graph: nothing is duplicated.
"""

from __future__ import annotations

import json
import os
import time

from consultgraph import schema as schema_files
from consultgraph.errors import BackendUnavailable, QueryError
from consultgraph.graph.consultation import parse_props
from consultgraph.graph.model import edge_attributes, load_schema

DEFAULT_URI = "bolt://127.0.0.1:7687"
MIN_VERSION = (5, 0)


def constraint_statements():
    """The statements of schema/constraints.cypher (comments dropped)."""
    text = "\n".join(
        line for line in schema_files.CONSTRAINTS.read_text().splitlines() if not line.strip().startswith("//")
    )
    return [s.strip() for s in text.split(";") if s.strip()]


def _neo4j_value(value):
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        if all(isinstance(v, (str, int, float, bool)) for v in value):
            return value
        return json.dumps(value, ensure_ascii=False)
    return value


class Neo4jBackend:
    """A connection to a Neo4j server.

    Parameters default to the environment: ``NEO4J_URI`` (else bolt://127.0.0.1:7687),
    ``NEO4J_USERNAME`` (else neo4j), ``NEO4J_PASSWORD`` (unset: no authentication),
    ``NEO4J_DATABASE`` (else the server's default).
    """

    def __init__(self, uri=None, user=None, password=None, database=None, *, timeout=10.0):
        import neo4j

        self.uri = uri or os.environ.get("NEO4J_URI") or DEFAULT_URI
        user = user or os.environ.get("NEO4J_USERNAME") or "neo4j"
        password = password if password is not None else os.environ.get("NEO4J_PASSWORD")
        self.database = database or os.environ.get("NEO4J_DATABASE") or None
        auth = (user, password) if password else None
        try:
            self.driver = neo4j.GraphDatabase.driver(self.uri, auth=auth, connection_timeout=timeout)
            self.driver.verify_connectivity()
        except neo4j.exceptions.AuthError as error:
            raise BackendUnavailable(
                f"Neo4j at {self.uri} refused the credentials ({error.message}); set NEO4J_USERNAME / NEO4J_PASSWORD"
            ) from None
        except (neo4j.exceptions.ServiceUnavailable, OSError, ValueError) as error:
            raise BackendUnavailable(
                f"Neo4j not reachable at {self.uri} ({str(error).splitlines()[0]}); start it with "
                "`docker compose up -d neo4j` or `bash tests/servers/start.sh neo4j`"
            ) from None
        self.version = self._version()
        if self.version < MIN_VERSION:
            raise BackendUnavailable(
                f"Neo4j {'.'.join(map(str, self.version))} at {self.uri} is too old: consultgraph needs 5.0 or newer"
            )

    def close(self):
        self.driver.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _version(self):
        import neo4j

        try:
            record = self.driver.execute_query(
                "CALL dbms.components() YIELD versions RETURN versions[0] AS version", database_=self.database
            ).records[0]
        except neo4j.exceptions.ClientError as error:
            self.driver.close()
            raise BackendUnavailable(
                f"Neo4j at {self.uri} has no usable database '{self.database}' ({error.message}); "
                "set NEO4J_DATABASE to one it has, or unset it for the server's default"
            ) from None
        numbers = []
        for part in str(record["version"]).split(".")[:2]:
            digits = "".join(ch for ch in part if ch.isdigit())
            numbers.append(int(digits or 0))
        return tuple(numbers)

    # ------------------------------------------------------------------ queries
    def run(self, cypher, params=None, *, allow_update=False):
        """Run Cypher with bound parameters; rows as dicts.

        Runs in a read transaction unless ``allow_update``: the server refuses writes.
        """
        import neo4j

        routing = neo4j.RoutingControl.WRITE if allow_update else neo4j.RoutingControl.READ
        try:
            result = self.driver.execute_query(cypher, params or {}, database_=self.database, routing_=routing)
        except neo4j.exceptions.CypherSyntaxError as error:
            raise QueryError(f"Neo4j rejected the query: {error.message}") from None
        except neo4j.exceptions.ClientError as error:
            if "AccessMode" in (error.code or "") or "read access mode" in (error.message or ""):
                raise QueryError(
                    f"Neo4j refused a write in a read-only query at {self.uri}: add --allow-update to change the data"
                ) from None
            raise QueryError(f"Neo4j rejected the query: {error.message}") from None
        except neo4j.exceptions.ServiceUnavailable as error:
            raise BackendUnavailable(f"Neo4j at {self.uri} went away ({error})") from None
        return [dict(record) for record in result.records]

    def counts(self):
        """``(nodes, relationships)`` carrying consultgraph labels/types."""
        schema = load_schema()
        nodes = self.run(
            "MATCH (n) WHERE any(l IN labels(n) WHERE l IN $labels) RETURN count(n) AS n", {"labels": list(schema.node_kinds)}
        )[0]["n"]
        rels = self.run(
            "MATCH ()-[r]->() WHERE type(r) IN $types RETURN count(r) AS n", {"types": list(schema.edge_kinds)}
        )[0]["n"]
        return nodes, rels

    # ------------------------------------------------------------------ writing
    def apply_constraints(self):
        for statement in constraint_statements():
            self.run(statement, allow_update=True)

    def clear(self, batch_size=10_000):
        """Delete every node with a consultgraph label (and its relationships), in batches.

        Relationships go first, a batch at a time: a concept or a group can hold a large
        share of them, and one DETACH DELETE of it would need them all in one transaction
        (beyond the server's transaction memory at 100,000 respondents with a 1 GB heap).
        """
        schema = load_schema()
        for cypher, params in (
            ("MATCH ()-[r]->() WHERE type(r) IN $types WITH r LIMIT $batch DELETE r RETURN count(*) AS n",
             {"types": list(schema.edge_kinds)}),
            ("MATCH (n) WHERE any(l IN labels(n) WHERE l IN $labels) WITH n LIMIT $batch DETACH DELETE n "
             "RETURN count(*) AS n", {"labels": list(schema.node_kinds)}),
        ):
            while self.run(cypher, {**params, "batch": batch_size}, allow_update=True)[0]["n"]:
                pass

    def _write(self, cypher, rows):
        import neo4j

        def work(tx):
            tx.run(cypher, rows=rows).consume()

        with self.driver.session(database=self.database) as session:
            try:
                session.execute_write(work)
            except neo4j.exceptions.ServiceUnavailable as error:
                raise BackendUnavailable(
                    f"Neo4j at {self.uri} went away during the push ({error}); run the push again: it converges"
                ) from None

    def push(self, graph, *, replace=False, batch_size=10_000, progress=None):
        """Write ``graph`` to the server; returns a summary with counts and rates.

        ``progress(done, total)`` is called after each batch (the CLI draws a bar).
        """
        schema = load_schema()
        concept_kinds = set(schema.concept_kinds)
        started = time.perf_counter()
        if replace:
            self.clear()
        self.apply_constraints()
        kinds = dict(zip(graph.nodes["id"], graph.nodes["kind"]))
        total = len(graph.nodes) + len(graph.edges)
        done = 0
        report = progress or (lambda done, total: None)

        node_seconds = time.perf_counter()
        props = parse_props(graph.nodes["props"])
        by_kind = {}
        for (node_id, kind, label), extra in zip(graph.nodes[["id", "kind", "label"]].itertuples(index=False, name=None), props):
            row = {k: _neo4j_value(v) for k, v in extra.items() if v is not None}
            row.update({"id": node_id, "kind": kind, "label": label})
            by_kind.setdefault(kind, []).append(row)
        for kind, rows in by_kind.items():
            labels = f"{kind}:Concept" if kind in concept_kinds else kind
            cypher = f"UNWIND $rows AS row MERGE (n:{labels} {{id: row.id}}) SET n = row"
            for start in range(0, len(rows), batch_size):
                chunk = rows[start:start + batch_size]
                self._write(cypher, chunk)
                done += len(chunk)
                report(done, total)
        node_seconds = time.perf_counter() - node_seconds

        edge_seconds = time.perf_counter()
        groups = {}
        for source, target, kind, stance, weight, extra in graph.edge_rows():
            row = {"source": source, "target": target, "key": stance if isinstance(stance, str) else ""}
            row["props"] = {k: _neo4j_value(v) for k, v in edge_attributes(stance, weight, extra).items()}
            groups.setdefault((kind, kinds.get(source), kinds.get(target)), []).append(row)
        for (kind, source_kind, target_kind), rows in groups.items():
            if source_kind is None or target_kind is None:
                raise QueryError(f"{kind} relationship points to a node missing from the graph")
            cypher = (
                f"UNWIND $rows AS row MATCH (a:{source_kind} {{id: row.source}}) MATCH (b:{target_kind} {{id: row.target}}) "
                f"MERGE (a)-[r:{kind} {{key: row.key}}]->(b) SET r += row.props"
            )
            for start in range(0, len(rows), batch_size):
                chunk = rows[start:start + batch_size]
                self._write(cypher, chunk)
                done += len(chunk)
                report(done, total)
        edge_seconds = time.perf_counter() - edge_seconds
        return {
            "nodes": len(graph.nodes),
            "relationships": len(graph.edges),
            "seconds": time.perf_counter() - started,
            "nodes_per_second": len(graph.nodes) / node_seconds if node_seconds else None,
            "relationships_per_second": len(graph.edges) / edge_seconds if edge_seconds else None,
        }
