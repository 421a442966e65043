"""Benchmark: compare on the 100,000-respondent synthetic consultation; SPARQL on rdflib vs pyoxigraph.

Prints the time to open the project and to run `compare` (target: compare under 2 s),
and the divergence catalogue query's SPARQL on the embedded rdflib store next to the
same query, same bindings, on pyoxigraph, for the built-in dataset and a synthetic
consultation small enough for an in-memory rdflib graph. Synthetic data is SYNTHETIC
(seeded): for scale only, never for findings.

    python benchmarks/compare.py [--respondents 100000] [--sparql-respondents 2000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def timed(function, repeat=3):
    best = float("inf")
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return best, result


def embedded_sparql(graph, name, values, repeat=3):
    """Time catalogue query ``name`` on rdflib and on pyoxigraph, same text, same bindings."""
    import pyoxigraph

    from consultgraph.graph.endpoint import bind_values
    from consultgraph.graph.rdf import to_rdf
    from consultgraph.queries import catalogue as cat

    query = cat.get(name)
    bindings = cat.sparql_bindings(query, query.bind(graph, values))
    rdf = to_rdf(graph)
    rdflib_seconds, rows = timed(lambda: list(rdf.query(query.sparql, initBindings=bindings)), repeat)
    store = pyoxigraph.Store()
    store.load(rdf.serialize(format="nt", encoding="utf-8"), format=pyoxigraph.RdfFormat.N_TRIPLES)
    text = bind_values(query.sparql, bindings)  # pyoxigraph's substitutions want projected variables
    oxi_seconds, oxi_rows = timed(lambda: list(store.query(text)), repeat)
    return {"query": query, "bindings": bindings, "triples": len(rdf), "rows": len(rows), "rdflib": rdflib_seconds,
            "oxi_rows": len(oxi_rows), "pyoxigraph": oxi_seconds}


def sparql_side_by_side(label, graph, name="divergence", values=None):
    result = embedded_sparql(graph, name, values or {"group_a": "partner", "group_b": "national-entity", "kind": "Tactic"})
    same = result["rows"] == result["oxi_rows"]
    print(f"  {name} on {label:<30} {result['triples']:>9,} triples  rdflib {result['rdflib'] * 1000:8.1f} ms   "
          f"pyoxigraph {result['pyoxigraph'] * 1000:8.1f} ms   ratio {result['rdflib'] / result['pyoxigraph']:6.1f}x   "
          f"rows {result['rows']} / {result['oxi_rows']}{'' if same else '  (DIFFER)'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--codings", type=int, default=20)
    parser.add_argument("--sparql-respondents", type=int, default=2_000)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from synthetic import generate

    from consultgraph.graph.consultation import Consultation
    from consultgraph.loaders import builtin, load
    from consultgraph.queries.compare import compare

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic.csv"
        generate(path, args.respondents, args.codings, seed=42)
        print(f"SYNTHETIC consultation (seed 42) — for scale only: {args.respondents:,} respondents x {args.codings} codings")
        load([path], into=Path(tmp) / "project")
        open_seconds, graph = timed(lambda: Consultation.open(Path(tmp) / "project"), repeat=1)
        first, result = timed(lambda: compare(graph, "partner,national-entity", by="tactic"), repeat=1)
        warm, _ = timed(lambda: compare(graph, "partner,national-entity", by="theme"))
        three, _ = timed(lambda: compare(graph, "partner,national-entity,public", by="tactic"))
        print(f"  open project                       {open_seconds:6.2f} s")
        print(f"  compare --by tactic (first call)   {first:6.2f} s   {len(result.rows)} rows   (target < 2 s)")
        print(f"  compare --by theme (views cached)  {warm:6.2f} s")
        print(f"  compare 3 groups (chi-square)      {three:6.2f} s")

        print("SPARQL catalogue queries, same text and bindings, rdflib vs pyoxigraph:")
        sparql_side_by_side("built-in amnesty-2019", builtin())
        small = Path(tmp) / "small.csv"
        generate(small, args.sparql_respondents, args.codings, seed=7)
        sparql_side_by_side(f"synthetic {args.sparql_respondents:,} respondents", load([small]).graph,
                            "codings-per-group", {"kind": "Tactic"})


if __name__ == "__main__":
    main()
