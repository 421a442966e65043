"""Benchmark: campaign detection on synthetic responses with planted templates (seeded).

Prints the time to find campaigns in 100,000 responses (target: under 30 s on 2 cores),
the precision and recall of planted campaign membership, and the same figures for a
baseline measured in the same run: grouping exact duplicates of the case-folded text.
Synthetic data is SYNTHETIC (seeded): for scale and accuracy checks only.

    python benchmarks/campaigns.py [--responses 100000] [--seed 42]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

import numpy as np


def planted(responses=100_000, seed=42, campaign_share=0.2, templates=60, words=80):
    """``(ids, texts, truth)``: truth[i] is the planted template of response i, or -1.

    Background responses draw ~``words`` words from a Zipf vocabulary; campaign members
    copy one of ``templates`` texts with edits people make: a personal opening sentence
    (half of them), about 5% of words replaced, a word dropped here and there.
    """
    rng = np.random.default_rng(seed)
    vocabulary = np.array([f"w{i}" for i in range(5000)])
    weights = 1.0 / np.arange(1, len(vocabulary) + 1) ** 1.05
    weights /= weights.sum()

    def draw(n):
        return list(vocabulary[rng.choice(len(vocabulary), size=n, p=weights)])

    template_texts = [draw(int(rng.integers(50, 110))) for _ in range(templates)]
    sizes = rng.dirichlet(np.ones(templates) * 0.6) * responses * campaign_share
    truth = np.full(responses, -1)
    members = rng.permutation(responses)[: int(responses * campaign_share)]
    truth[members] = rng.choice(templates, size=len(members), p=sizes / sizes.sum())
    texts = []
    for i in range(responses):
        t = truth[i]
        if t < 0:
            texts.append(" ".join(draw(int(rng.integers(words // 2, words * 3 // 2)))))
            continue
        body = list(template_texts[t])
        replace = rng.random(len(body)) < 0.05
        for k in np.flatnonzero(replace):
            body[k] = vocabulary[rng.integers(len(vocabulary))]
        body = [w for w, keep in zip(body, rng.random(len(body)) > 0.02) if keep]
        if rng.random() < 0.5:
            body = draw(int(rng.integers(5, 15))) + body
        texts.append(" ".join(body))
    ids = [f"response/r{i}" for i in range(responses)]
    return ids, texts, truth


def score(groups, ids, truth, min_size=3):
    """Precision and recall of planted membership: a member counts if its campaign's majority template is its own."""
    position = {r: i for i, r in enumerate(ids)}
    sizes = Counter(int(t) for t in truth if t >= 0)
    planted_members = sum(n for n in sizes.values() if n >= min_size)
    predicted = correct = 0
    for members in groups:
        templates = [int(truth[position[m]]) for m in members]
        majority, _ = Counter(t for t in templates if t >= 0).most_common(1)[0] if any(t >= 0 for t in templates) else (-1, 0)
        predicted += len(members)
        correct += sum(1 for t in templates if t == majority and t >= 0)
    precision = correct / predicted if predicted else float("nan")
    recall = correct / planted_members if planted_members else float("nan")
    return precision, recall


def exact_duplicates(ids, texts, min_size=3):
    from consultgraph.coding.campaigns import words

    groups = {}
    for response, text in zip(ids, texts):
        groups.setdefault(" ".join(words(text)), []).append(response)
    return [g for g in groups.values() if len(g) >= min_size]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)

    from consultgraph.coding.campaigns import find_campaigns

    started = time.perf_counter()
    ids, texts, truth = planted(args.responses, args.seed)
    print(f"generated {len(ids):,} responses ({int((truth >= 0).sum()):,} planted in {len(set(truth[truth >= 0]))} templates) "
          f"in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    baseline = exact_duplicates(ids, texts)
    baseline_time = time.perf_counter() - started
    b_precision, b_recall = score(baseline, ids, truth)

    started = time.perf_counter()
    campaigns = find_campaigns(list(zip(ids, texts)))
    elapsed = time.perf_counter() - started
    precision, recall = score([c.members for c in campaigns], ids, truth)

    print(f"campaigns (MinHash LSH + rapidfuzz): {elapsed:.1f} s for {len(ids):,} responses "
          f"(target < 30 s); {len(campaigns)} campaigns, {sum(c.size for c in campaigns):,} members")
    print(f"  precision {precision:.3f}  recall {recall:.3f}")
    print(f"baseline (exact duplicates of case-folded text): {baseline_time:.1f} s; {len(baseline)} groups; "
          f"precision {b_precision if b_precision == b_precision else 0:.3f}  recall {b_recall:.3f}")
    print(f"ratio of times (campaigns / baseline): {elapsed / max(baseline_time, 1e-9):.1f}x")
    return 0 if elapsed < 30 else 1


if __name__ == "__main__":
    sys.exit(main())
