"""A seeded synthetic coded consultation, for scale tests only (never for findings).

``python benchmarks/synthetic.py OUT.csv --respondents 100000 --codings 20`` writes a
long CSV: respondent, group, region, code, stance, weight.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

GROUPS = ["partner", "national-entity", "is-office", "global-network", "public"]
GROUP_MIX = [0.3, 0.3, 0.1, 0.05, 0.25]
REGIONS = ["Africa", "Americas", "Asia-Pacific", "Europe", "Middle East and North Africa", "Global"]
STANCES = ["mention", "lead", "support", "drop"]


def codes():
    from consultgraph.graph.store import schema_concepts

    index = schema_concepts()
    return [c.label for c in index.of_kind("Theme", "Tactic", "Approach")]


def add_scale_options(parser, respondents=100_000):
    """The --respondents / --codings / --seed options every scale benchmark takes."""
    parser.add_argument("--respondents", type=int, default=respondents)
    parser.add_argument("--codings", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    return parser


def generate(path, respondents=100_000, codings=20, seed=42):
    """Write the CSV and return its row count. Groups differ on purpose, so comparisons have signal."""
    rng = np.random.default_rng(seed)
    labels = np.array(codes())
    group_of = rng.choice(len(GROUPS), size=respondents, p=GROUP_MIX)
    region_of = rng.integers(0, len(REGIONS), size=respondents)
    # each group has its own preference over codes (Dirichlet), each respondent draws `codings` distinct codes
    preferences = rng.dirichlet(np.ones(len(labels)) * 0.7, size=len(GROUPS))
    rows = respondents * codings
    respondent_col = np.repeat(np.arange(respondents), codings)
    code_col = np.empty(rows, dtype=np.int64)
    for g in range(len(GROUPS)):
        members = np.flatnonzero(group_of == g)
        gumbel = rng.gumbel(size=(len(members), len(labels))) + np.log(preferences[g])
        picks = np.argsort(-gumbel, axis=1)[:, :codings]
        for k in range(codings):
            code_col[members * codings + k] = picks[:, k]
    frame = pd.DataFrame(
        {
            "respondent": np.char.add("s", respondent_col.astype(str)),
            "group": np.array(GROUPS)[group_of[respondent_col]],
            "region": np.array(REGIONS)[region_of[respondent_col]],
            "code": labels[code_col],
            "stance": np.array(STANCES)[rng.choice(4, size=rows, p=[0.7, 0.15, 0.1, 0.05])],
            "weight": rng.integers(1, 4, size=rows),
        }
    )
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out")
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--codings", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    n = generate(args.out, args.respondents, args.codings, args.seed)
    print(f"SYNTHETIC data (seed {args.seed}), for scale only: {n} codings -> {args.out}", file=sys.stderr)
