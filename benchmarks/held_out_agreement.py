"""Benchmark: is the learned model's out-of-fold agreement with people an honest figure?

On Consult gambling_XS (SYNTHETIC responses, gold themes), a seeded 30% of each
question's responses keep their gold codings (the split of benchmarks/coding.py); the
rest are held out. ``code`` learns from the 30% and stores its out-of-fold decisions
there. Then Cohen's kappa and Krippendorff's alpha of model vs gold (all codes pooled,
both questions) on:

- the trained-on responses, in sample (the model's own codings, which learned from them);
- the trained-on responses, out of fold (what ``agreement`` now reads there);
- the held-out responses (gold put back after coding: the model never saw them).

Out of fold should be close to held out; in sample is optimistic. Mean over seeded
splits, [min-max].

    python benchmarks/held_out_agreement.py [--repeats 5] [--fraction 0.3] [--no-embeddings]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data" / "consultations" / "consult" / "gambling_XS"
sys.path.insert(0, str(HERE))

from coding import split  # noqa: E402  (the learning curves' seeded split)

GOLD = "consult-gold"


def _subset(data, keep):
    from consultgraph.coding.agreement import Decisions

    rows = [i for i, unit in enumerate(data.units) if unit in keep]
    return Decisions(data.coders, [data.units[i] for i in rows], data.codes, data.array[:, rows, :],
                     [data.groups[i] for i in rows], [data.regions[i] for i in rows])


def one_split(graph, seed, fraction, embeddings):
    """``{scope: (kappa, alpha, units)}`` for one seeded split."""
    from consultgraph.coding.agreement import agreement, graph_decisions
    from consultgraph.coding.out_of_fold import HELD_OUT
    from consultgraph.coding.run import code
    from consultgraph.graph.consultation import Consultation, coder_of

    responses = graph.responses()
    trained, held_out = set(), set()
    for _, group in responses.groupby("question", sort=True):
        ids = group["id"].to_numpy()
        train, test = split(len(ids), fraction, seed)
        trained |= set(ids[train])
        held_out |= set(ids[test])
    edges = graph.edges
    gold = (edges["kind"] == "MENTIONS").to_numpy() & (coder_of(edges["props"].astype(object)) == GOLD).to_numpy()
    hidden = gold & edges["source"].isin(held_out).to_numpy()
    kept = Consultation(graph.nodes, edges[~hidden], name=graph.name)
    coded = code(kept, rules=False, seed=seed, embeddings=embeddings).graph
    # the held-out gold back, after coding: the model never saw it
    full = Consultation(coded.nodes, pd.concat([coded.edges.astype(object), edges[hidden].astype(object)],
                                               ignore_index=True), name=graph.name)
    in_sample = Consultation(full.nodes, full.edges[full.edges["kind"] != HELD_OUT], name=graph.name)
    out = {}
    for scope, view, units in (("trained-on, in sample", in_sample, trained), ("trained-on, out of fold", full, trained),
                               ("held out", full, held_out)):
        data = _subset(graph_decisions(view, [GOLD, "machine:model"]), units)
        row = agreement(data, resamples=200, permutations=10, seed=seed).rows[0]
        out[scope] = (row["kappa"], row["alpha"], row["units"])
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--fraction", type=float, default=0.3)
    parser.add_argument("--no-embeddings", action="store_true")
    args = parser.parse_args(argv)
    from consultgraph.loaders import load

    graph = load([DATA]).graph
    started, cpu = time.perf_counter(), time.process_time()
    results = []
    for seed in range(args.repeats):
        found = one_split(graph, seed, args.fraction, not args.no_embeddings)
        results.append(found)
        print(f"  split {seed}: " + "; ".join(f"{scope} kappa {k:.3f} alpha {a:.3f} ({n} responses)"
                                          for scope, (k, a, n) in found.items()), flush=True)
    print(f"Consult gambling_XS, both questions, {args.fraction:.0%} of the responses coded (gold), model vs gold, "
          f"all codes pooled; mean over {args.repeats} seeded splits [min-max]:")
    for scope in results[0]:
        kappa = np.array([r[scope][0] for r in results])
        alpha = np.array([r[scope][1] for r in results])
        print(f"  {scope:<24} kappa {kappa.mean():.3f} [{kappa.min():.3f}-{kappa.max():.3f}]  "
              f"alpha {alpha.mean():.3f} [{alpha.min():.3f}-{alpha.max():.3f}]  ({results[0][scope][2]} responses)")
    print(f"({time.perf_counter() - started:.0f} s wall, {time.process_time() - cpu:.0f} s CPU in this process; "
          f"load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
