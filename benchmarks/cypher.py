"""Benchmark: embedded Cypher (LadybugDB) as whole commands, next to Neo4j on the same data.

For each size: `consultgraph load` (the baseline), then `consultgraph cypher "MATCH (n)
RETURN count(n) AS n"` and `consultgraph query codings-per-group -l cypher`, each first
(it builds the cached database) and cached. Targets: cached under 1 s at 100,000
respondents; the first call within 3x of the load. With Neo4j reachable ($NEO4J_URI ...,
`bash tests/servers/start.sh neo4j`), `consultgraph push neo4j --replace` and the same
two commands with --neo4j, each twice; CPU seconds there are the client's plus the server's.
Synthetic data is SYNTHETIC (seeded): for scale only, never for findings.

    python benchmarks/cypher.py [--respondents 10000 100000] [--codings 20] [--server-max 100000]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def neo4j_or_none():
    from consultgraph.errors import BackendUnavailable
    from consultgraph.graph.neo4j import Neo4jBackend

    try:
        return Neo4jBackend(timeout=5)
    except BackendUnavailable as error:
        print(f"  (no Neo4j: {error})")
        return None


def main():
    sys.path.insert(0, str(HERE))
    from engines import COUNT_CYPHER, Server, embedded, machine, options, project, report, server_block

    args = options(__doc__, "Neo4j", 100_000)
    neo4j = neo4j_or_none()
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.respondents:
            print(f"SYNTHETIC consultation (seed 42): {size:,} respondents x {args.codings} codings; {machine()}")
            path, load = project(tmp, size, args.codings)
            report("consultgraph load (baseline)", load)
            target = "target < 1 s" if size >= 100_000 else ""
            rows = embedded(path, "cypher", COUNT_CYPHER, load, "n={n:,}", target, target)
            if neo4j is None or size > args.server_max:
                continue
            server_block(Server("neo4j"), "Neo4j", path, load, ("neo4j", "--replace"), (("cypher", "--neo4j"), ("--neo4j",)),
                         COUNT_CYPHER, "n={n:,}", rows)
    if neo4j is not None:
        neo4j.clear()
        neo4j.close()


if __name__ == "__main__":
    main()
