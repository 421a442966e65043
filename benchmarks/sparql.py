"""Benchmark: the divergence catalogue query on the embedded store and on Fuseki.

For the built-in dataset and a synthetic consultation, prints the time of the same
SPARQL text with the same bindings on the embedded rdflib graph, on pyoxigraph (in
process) and on a real Fuseki (push with the Graph Store Protocol first; the push time
is printed too). Needs Fuseki ($SPARQL_ENDPOINT, default http://127.0.0.1:3030/kg; start
it with `bash tests/servers/start.sh fuseki`). Synthetic data is SYNTHETIC (seeded).

    python benchmarks/sparql.py [--respondents 5000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def measure(label, graph, name, values, endpoint):
    from compare import embedded_sparql, timed

    result = embedded_sparql(graph, name, values)
    iri = f"https://example.org/bench/{label.replace(' ', '-')}"
    started = time.perf_counter()
    endpoint.push(graph, graph_iri=iri)
    push = time.perf_counter() - started
    fuseki, server_rows = timed(lambda: endpoint.query(result["query"].sparql, result["bindings"], graph_iri=iri))
    print(f"  {name} on {label}: {result['triples']:,} triples, {result['rows']} rows "
          f"(pyoxigraph {result['oxi_rows']}, Fuseki {len(server_rows)})")
    print(f"    rdflib (embedded) {result['rdflib'] * 1000:9.1f} ms")
    print(f"    pyoxigraph        {result['pyoxigraph'] * 1000:9.1f} ms   "
          f"({result['rdflib'] / result['pyoxigraph']:.1f}x faster than rdflib)")
    print(f"    Fuseki            {fuseki * 1000:9.1f} ms   (push {push:.1f} s; includes HTTP)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--respondents", type=int, default=5_000)
    parser.add_argument("--codings", type=int, default=20)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from synthetic import generate  # noqa: E402  (benchmarks/ on the path)

    from consultgraph.graph.endpoint import SparqlEndpoint
    from consultgraph.loaders import builtin, load

    endpoint = SparqlEndpoint()
    print(f"Fuseki at {endpoint.url}")
    measure("built-in amnesty-2019", builtin(), "divergence",
            {"group_a": "partner", "group_b": "national-entity", "kind": "Tactic"}, endpoint)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic.csv"
        generate(path, args.respondents, args.codings, seed=42)
        print(f"SYNTHETIC consultation (seed 42) — for scale only: {args.respondents:,} respondents x {args.codings} codings")
        measure(f"synthetic {args.respondents}", load([path]).graph, "codings-per-group", {"kind": "Tactic"}, endpoint)


if __name__ == "__main__":
    main()
