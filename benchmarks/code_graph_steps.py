"""Benchmark: the steps of ``code`` that put the machine codings into the graph, one process.

On N synthetic responses (benchmarks/coding.py's generator, seeded; SYNTHETIC), ``code``
runs once with CPU timers around the steps after the models: the previous machine
codings dropped, the records built, translated and merged into the graph. Baseline in
the same run: tokenising the same texts once (as benchmarks/coding.py). To compare two
trees, run the script from each back to back (``PYTHONPATH`` pointing at the other).

    python benchmarks/code_graph_steps.py [--responses 100000]
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from coding import synthetic_project  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    from sklearn.feature_extraction.text import CountVectorizer

    from consultgraph.coding import run as coding_run
    from consultgraph.graph import translator
    from consultgraph.graph.consultation import Consultation

    graph, texts, codes, human = synthetic_project(args.responses, args.seed)
    spent = {}

    def timed(name, function):
        @functools.wraps(function)
        def wrapper(*a, **k):
            cpu = time.process_time()
            try:
                result = function(*a, **k)
                return list(result) if name == "records" else result  # a generator: time its work
            finally:
                spent[name] = spent.get(name, 0.0) + time.process_time() - cpu
        return wrapper

    # the steps code() calls by these names, timed in place (the module attributes it looks up)
    coding_run._without_machine = timed("drop earlier", coding_run._without_machine)
    coding_run._records = timed("records", coding_run._records)
    translator.translate = timed("translate", translator.translate)
    Consultation.merge = timed("merge", Consultation.merge)
    cpu = time.process_time()
    CountVectorizer(token_pattern=r"(?u)\b\w+\b").fit_transform(texts)
    baseline = time.process_time() - cpu
    spent.clear()
    cpu, wall = time.process_time(), time.perf_counter()
    run = coding_run.code(graph, seed=args.seed)
    total = time.process_time() - cpu
    steps = sum(spent.values())
    print(f"code: {args.responses:,} SYNTHETIC responses, {len(run.graph.codings('machine')):,} machine codings: "
          f"{total:.1f} s CPU in this process ({time.perf_counter() - wall:.1f} s wall, workers not counted)")
    print("graph steps: " + ", ".join(f"{name} {seconds:.2f}" for name, seconds in spent.items())
          + f"; total {steps:.2f} s CPU; baseline (tokenise once) {baseline:.2f} s CPU, ratio {steps / baseline:.1f}x; "
          f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
