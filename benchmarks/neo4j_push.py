"""Benchmark: push the 100,000-respondent synthetic consultation to a real Neo4j.

Prints nodes/s and relationships/s of the batched UNWIND ... MERGE push, next to the
same data written with one transaction per row for a 1,000-respondent slice (the ratio
shows what batching buys). Target: at least 20,000 relationships/s on 2 cores.
Needs a running Neo4j ($NEO4J_URI, default bolt://127.0.0.1:7687; start one with
`bash tests/servers/start.sh neo4j`). The data is SYNTHETIC (seeded), for scale only.

    python benchmarks/neo4j_push.py [--respondents 100000] [--slice 1000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def per_row_push(backend, graph):
    """The naive way: one transaction per node and per relationship."""
    kinds = dict(zip(graph.nodes["id"], graph.nodes["kind"]))
    started = time.perf_counter()
    with backend.driver.session(database=backend.database) as session:
        for node_id, kind, label in graph.nodes[["id", "kind", "label"]].itertuples(index=False, name=None):
            session.execute_write(lambda tx: tx.run(f"MERGE (n:{kind} {{id: $id}}) SET n.label = $label",
                                                    id=node_id, label=label).consume())
        node_seconds = time.perf_counter() - started
        started = time.perf_counter()
        for source, target, kind, stance, weight, props in graph.edges.itertuples(index=False, name=None):
            query = (f"MATCH (a:{kinds[source]} {{id: $s}}) MATCH (b:{kinds[target]} {{id: $t}}) "
                     f"MERGE (a)-[r:{kind} {{key: $k}}]->(b) SET r.weight = $w")
            session.execute_write(lambda tx: tx.run(query, s=source, t=target, k=stance or "",
                                                    w=None if weight != weight else weight).consume())
        edge_seconds = time.perf_counter() - started
    return len(graph.nodes) / node_seconds, len(graph.edges) / edge_seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--codings", type=int, default=20)
    parser.add_argument("--slice", type=int, default=1_000)
    parser.add_argument("--batch-size", type=int, default=10_000)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from synthetic import generate

    from consultgraph.graph.neo4j import Neo4jBackend
    from consultgraph.loaders import load

    with tempfile.TemporaryDirectory() as tmp, Neo4jBackend() as backend:
        print(f"Neo4j {'.'.join(map(str, backend.version))} at {backend.uri}")
        print(f"SYNTHETIC consultation (seed 42) — for scale only: {args.respondents:,} respondents x {args.codings} codings")
        path = Path(tmp) / "synthetic.csv"
        generate(path, args.respondents, args.codings, seed=42)
        graph = load([path]).graph
        summary = backend.push(graph, replace=True, batch_size=args.batch_size)
        nodes, rels = backend.counts()
        print(f"  batched push ({args.batch_size:,} rows per transaction):")
        print(f"    {summary['nodes']:,} nodes at {summary['nodes_per_second']:,.0f}/s, "
              f"{summary['relationships']:,} relationships at {summary['relationships_per_second']:,.0f}/s "
              f"({summary['seconds']:.1f} s in all; target >= 20,000 relationships/s)")
        print(f"    server holds {nodes:,} nodes and {rels:,} relationships (expected {len(graph.nodes):,} and {len(graph.edges):,})")
        again = backend.push(graph, batch_size=args.batch_size)
        print(f"    second push (idempotent): {again['seconds']:.1f} s, counts {backend.counts() == (nodes, rels) and 'unchanged' or 'CHANGED'}")

        small = Path(tmp) / "slice.csv"
        generate(small, args.slice, args.codings, seed=42)
        piece = load([small]).graph
        batched = backend.push(piece, replace=True, batch_size=args.batch_size)
        backend.clear()
        backend.apply_constraints()
        node_rate, edge_rate = per_row_push(backend, piece)
        print(f"  {args.slice:,}-respondent slice ({len(piece.edges):,} relationships):")
        print(f"    batched   {batched['relationships_per_second']:>10,.0f} relationships/s")
        print(f"    per row   {edge_rate:>10,.0f} relationships/s   ({node_rate:,.0f} nodes/s)")
        print(f"    batching buys {batched['relationships_per_second'] / edge_rate:,.0f}x")
        print(json.dumps({"relationships_per_second": summary["relationships_per_second"],
                          "per_row_relationships_per_second": edge_rate}))


if __name__ == "__main__":
    main()
