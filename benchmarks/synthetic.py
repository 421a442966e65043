"""A seeded synthetic coded consultation, for scale tests only (never for findings).

``python benchmarks/synthetic.py OUT.csv --respondents 100000 --codings 20`` writes a
long CSV: respondent, group, region, code, stance, weight.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

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


def _field(text):
    """A CSV field as pandas writes it (quoted only when it must be)."""
    return '"' + text.replace('"', '""') + '"' if any(ch in text for ch in ',"\r\n') else text


def _write_csv(path, respondent_col, group_of, region_of, labels, code_col, stance_col, weight_col):
    """Write the rows in slices from a few small string tables: a million respondents in modest memory."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    who = [f"s{i},{GROUPS[g]},{_field(REGIONS[r])}," for i, (g, r) in enumerate(zip(group_of.tolist(), region_of.tolist()))]
    code = [_field(str(label)) + "," for label in labels]
    tail = [f"{stance},{weight}\n" for stance in STANCES for weight in range(4)]
    tail_col = stance_col * 4 + weight_col
    step = 1_000_000
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write("respondent,group,region,code,stance,weight\n")
        for start in range(0, len(respondent_col), step):
            part = slice(start, start + step)
            handle.write("".join([who[r] + code[c] + tail[t] for r, c, t in
                                  zip(respondent_col[part].tolist(), code_col[part].tolist(), tail_col[part].tolist())]))


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
    stance_col = rng.choice(4, size=rows, p=[0.7, 0.15, 0.1, 0.05])
    weight_col = rng.integers(1, 4, size=rows)
    _write_csv(path, respondent_col, group_of, region_of, labels, code_col, stance_col, weight_col)
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
