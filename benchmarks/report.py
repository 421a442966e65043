"""Benchmark: the report on the built-in dataset, and what reusing the shares table saves.

Prints (best of --repeat, imports warmed first):
  * building the shares table once (a fresh graph view each time, so nothing is cached);
  * the report without and with the embedded graph page (target: under 1.5 s without);
  * --calls compare calls on one graph (the table built once, then looked up) next to
    the same calls each on a fresh graph view (the table rebuilt every call: the
    baseline of computing shares per call), and their ratio.

    python benchmarks/report.py [--repeat 3] [--calls 92]
"""

from __future__ import annotations

import argparse
import time


def timed(function, repeat):
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--calls", type=int, default=92, help="compare calls (the report made 92 before the table)")
    args = parser.parse_args(argv)

    from consultgraph.loaders import builtin
    from consultgraph.outputs.report import report_html
    from consultgraph.queries.compare import compare
    from consultgraph.queries.shares import shares

    graph = builtin()
    fresh = lambda: graph.with_coder(graph.coder)  # noqa: E731 - a new view: no cached shares
    report_html(fresh(), graph_section=True)  # warm imports (matplotlib, scipy, the page's script)

    table = timed(lambda: shares(fresh()), args.repeat)
    plain = timed(lambda: report_html(fresh(), graph_section=False), args.repeat)
    full = timed(lambda: report_html(fresh(), graph_section=True), args.repeat)
    pairs = [("partner", "national-entity"), ("national-entity", "international-secretariat"),
             ("partner", "international-secretariat")]
    kinds = ["tactic", "theme", "idea", "approach"]
    calls = [(pairs[i % len(pairs)], kinds[i % len(kinds)]) for i in range(args.calls)]

    def cached():
        view = fresh()
        for groups, by in calls:
            compare(view, list(groups), by)

    def rebuilt():
        for groups, by in calls:
            compare(fresh(), list(groups), by)

    once = timed(cached, args.repeat)
    every = timed(rebuilt, args.repeat)
    print(f"shares table, built once:              {table:7.3f} s ({len(shares(graph))} rows)")
    print(f"report without the graph page:         {plain:7.3f} s (target < 1.5 s)")
    print(f"report with the graph page:            {full:7.3f} s")
    print(f"{args.calls} compare calls, table reused:     {once:7.3f} s")
    print(f"{args.calls} compare calls, table per call:   {every:7.3f} s (baseline)")
    print(f"ratio baseline / reused:               {every / once:7.1f}x")


if __name__ == "__main__":
    main()
