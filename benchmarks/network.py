"""Benchmark: network questions on a synthetic 100,000-respondent x 20-coding consultation.

Times ``cooccur`` (tactics x themes and themes x themes), ``central`` (each measure),
``communities`` and ``bridges`` on the graph loaded in memory. Target: each in a few
seconds. The data is SYNTHETIC (seeded): for scale only, never for findings.

    python benchmarks/network.py [--respondents 100000] [--codings 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def main():
    sys.path.insert(0, str(HERE))
    from synthetic import add_scale_options, generate

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args = add_scale_options(parser).parse_args()

    from consultgraph.loaders import load
    from consultgraph.queries import network

    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "synthetic.csv"
        rows = generate(csv_path, args.respondents, args.codings, args.seed)
        report, seconds = timed(load, [csv_path])
    graph = report.graph
    print(f"SYNTHETIC consultation (seed {args.seed}) — for scale only, never for findings")
    print(f"  {args.respondents:,} respondents x {args.codings} codings = {rows:,} codings, loaded in {seconds:.1f} s")
    data, seconds = timed(network.incidence, graph)
    print(f"  incidence matrix {data.matrix.shape[0]:,} x {data.matrix.shape[1]}, {data.matrix.nnz:,} entries"
          f"                {seconds:6.2f} s")
    pairs, seconds = timed(network.cooccur, graph, kinds=("Tactic", "Theme"))
    print(f"  cooccur tactic x theme          {len(pairs):4d} pairs  {seconds:6.2f} s")
    pairs, seconds = timed(network.cooccur, graph, kinds="theme", group="partner", region="Africa")
    print(f"  cooccur theme, partners/Africa  {len(pairs):4d} pairs  {seconds:6.2f} s")
    for measure in network.MEASURES:
        ranked, seconds = timed(network.central, graph, measure=measure)
        print(f"  central --measure {measure:<12s}  {len(ranked):4d} concepts {seconds:5.2f} s   top: {ranked[0]['label']}")
    found, seconds = timed(network.communities, graph)
    print(f"  communities (Louvain, seed 0)   {max(r['community'] for r in found):4d} communities {seconds:4.2f} s")
    bridging, seconds = timed(network.bridges, graph, top=20)
    print(f"  bridges (top 20)                {len(bridging):4d} rows   {seconds:6.2f} s")


if __name__ == "__main__":
    main()
