"""Benchmark: how well the machine codes free text, and how fast.

Learning curves of theme mapping (micro and macro F1 of the learned per-code models)
with 10/20/30/50% of the responses coded by people, over repeated seeded splits (mean
and a 95% interval over the repeats), on three public datasets with people's or the
tool's own labels:

- Consult gambling_XS (i.AI; SYNTHETIC responses, gold themes, stances, positions),
  per question; also position accuracy (agree/disagree/unclear), the stances of the
  machine's right codings, and active learning (uncertainty sampling) against random
  choice of what to code;
- Talk to the City, Taiwan AI Assemblies (real; Mandarin transcripts; a comment's
  topics are those of the claims cut from it);
- Sensemaker, Bowling Green (real Pol.is statements; topic labels).

Then speed: ``code`` on N synthetic responses of ~80 words (seeded), rules and model,
against a baseline measured in the same run (tokenising the same texts once).

    python benchmarks/coding.py [--repeats 10] [--active-repeats N] [--fractions 0.1,0.2,0.3,0.5]
        [--speed-responses 100000] [--skip-speed] [--without-embeddings]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data" / "consultations"
FRACTIONS = (0.1, 0.2, 0.3, 0.5)


# --------------------------------------------------------------------------- datasets
def consult_questions():
    """``[(question, texts, {concept: 0/1 array}, positions, primers)]`` from the Consult loader and gold mapping."""
    from consultgraph.coding.run import primers_of
    from consultgraph.loaders import load

    graph = load([DATA / "consult" / "gambling_XS"]).graph
    gold = graph.codings("consult-gold")
    out = []
    for question in sorted(graph.responses()["question"].unique()):
        responses = graph.responses(question)
        ids = list(responses["id"])
        coded = gold[gold["question"] == question].groupby("response")["concept"].apply(set).to_dict()
        concepts = sorted(set().union(*coded.values()))
        labels = {c: np.array([c in coded.get(r, set()) for r in ids], dtype=int) for c in concepts}
        out.append((question.split("/")[-1], list(responses["text"]), labels, list(responses["position"]),
                    primers_of(graph.concepts, concepts)))
    return out


def consult_stances():
    """``{question: {concept: array of people's stance or None}}`` from the Consult gold mapping."""
    from consultgraph.loaders import load

    graph = load([DATA / "consult" / "gambling_XS"]).graph
    gold = graph.codings("consult-gold")
    out = {}
    for question in sorted(graph.responses()["question"].unique()):
        ids = list(graph.responses(question)["id"])
        given = gold[gold["question"] == question]
        stance = {(r, c): s for r, c, s in zip(given["response"], given["concept"], given["stance"])}
        out[question.split("/")[-1]] = {c: np.array([stance.get((r, c)) for r in ids], dtype=object)
                                        for c in sorted(set(given["concept"]))}
    return out


def taiwan():
    """Taiwan AI Assemblies comments and their topics (through the claims' comment ids)."""
    report = json.loads((DATA / "talk-to-the-city" / "ai_assemblies_taiwan_2023_report.json").read_text("utf-8"))
    texts = {row["id"]: row["comment"] for row in report["data"] if row.get("comment")}
    topics, primers = {}, {}
    for topic in report["tree"]:
        primers[topic["topicName"]] = f"{topic['topicName']}. {topic.get('topicShortDescription') or ''}"
        for sub in topic.get("subtopics") or []:
            for claim in sub.get("claims") or []:
                topics.setdefault(claim.get("commentId"), set()).add(topic["topicName"])
    ids = sorted(texts)
    concepts = sorted({t for ts in topics.values() for t in ts})
    labels = {c: np.array([c in topics.get(i, set()) for i in ids], dtype=int) for c in concepts}
    return [texts[i] for i in ids], labels, primers


def bowling_green():
    """Bowling Green statements and their top-level topics (``topic:subtopic;...``)."""
    comments = json.loads((DATA / "sensemaker" / "bowling_green_comments.json").read_text("utf-8"))
    rows = [(c["text"], {part.split(":")[0].strip() for part in str(c.get("topics") or "").split(";") if part.strip()})
            for c in comments if c.get("text")]
    concepts = sorted({t for _, ts in rows for t in ts})
    labels = {c: np.array([c in ts for _, ts in rows], dtype=int) for c in concepts}
    return [t for t, _ in rows], labels, {c: c for c in concepts}


# --------------------------------------------------------------------------- evaluation
def f1_scores(predicted, truth):
    """Micro and macro F1 over codes (macro: codes with a positive in ``truth`` or ``predicted``)."""
    tp = fp = fn = 0
    per_code = []
    for concept in truth:
        p, t = predicted[concept], truth[concept] == 1
        a, b, c = int((p & t).sum()), int((p & ~t).sum()), int((~p & t).sum())
        tp, fp, fn = tp + a, fp + b, fn + c
        if a + b + c:
            per_code.append(2 * a / (2 * a + b + c))
    micro = 2 * tp / max(1, 2 * tp + fp + fn)
    return micro, float(np.mean(per_code)) if per_code else 0.0


def fit_predict(texts, labels, train, test, seed, primers=None):
    from consultgraph.coding.learned import decide, fit_model, predict

    # the uncoded texts lend their words (never their labels), as in ``code``
    uncoded = np.setdiff1d(np.arange(len(texts)), train)
    model = fit_model([texts[i] for i in train], {c: y[train] for c, y in labels.items()}, seed=seed,
                      primers=primers, uncoded=[texts[i] for i in uncoded])
    probabilities, matrix = predict(model, [texts[i] for i in test])
    predicted = {c: np.zeros(len(test), dtype=bool) for c in labels}
    predicted.update(decide(model, probabilities))
    return model, probabilities, predicted


def split(n, fraction, seed):
    order = np.random.default_rng(seed).permutation(n)
    k = max(4, int(round(fraction * n)))
    return np.sort(order[:k]), np.sort(order[k:])


def interval(values):
    """Mean and the 2.5%-97.5% range over repeats."""
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def fmt(values):
    mean, low, high = interval(values)
    return f"{mean:.2f} [{low:.2f}-{high:.2f}]"


def learning_curve(name, texts, labels, repeats, primers=None, fractions=FRACTIONS):
    rows = []
    for fraction in fractions:
        micro, macro = [], []
        for seed in range(repeats):
            train, test = split(len(texts), fraction, seed)
            _, _, predicted = fit_predict(texts, labels, train, test, seed, primers)
            m, M = f1_scores(predicted, {c: y[test] for c, y in labels.items()})
            micro.append(m)
            macro.append(M)
        rows.append((name, fraction, len(texts), fmt(micro), fmt(macro), interval(micro)[0]))
        print(f"  {name:<28} {fraction:>4.0%} coded  micro F1 {fmt(micro)}  macro F1 {fmt(macro)}", flush=True)
    return rows


def position_accuracy(question, texts, positions, repeats, fraction=0.3):
    """Accuracy of a position model (agree/disagree/unclear) trained on ``fraction`` of the responses."""
    from sklearn.linear_model import LogisticRegression

    from consultgraph.coding.learned import Features

    positions = np.array([p if isinstance(p, str) else "unclear" for p in positions])
    values, counts = np.unique(positions, return_counts=True)
    if len(values) < 2 or sorted(counts)[-2] < 3:
        print(f"  position {question:<19} not measured: the gold positions are "
              f"{', '.join(f'{v} {c}' for v, c in zip(values, counts))}", flush=True)
        return [], []
    accuracy, majority = [], []
    for seed in range(repeats):
        train, test = split(len(texts), fraction, seed)
        features = Features().fit([texts[i] for i in train])
        model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=1000)
        if len(set(positions[train])) < 2:  # a small split may hold one position only
            predicted = np.full(len(test), positions[train][0])
            accuracy.append(float((predicted == positions[test]).mean()))
            majority.append(accuracy[-1])
            continue
        model.fit(features.transform([texts[i] for i in train]), positions[train])
        predicted = model.predict(features.transform([texts[i] for i in test]))
        accuracy.append(float((predicted == positions[test]).mean()))
        values, counts = np.unique(positions[train], return_counts=True)
        majority.append(float((positions[test] == values[np.argmax(counts)]).mean()))
    print(f"  position {question:<19} {fraction:>4.0%} coded  accuracy {fmt(accuracy)}  "
          f"(majority class {fmt(majority)})", flush=True)
    return accuracy, majority


def stance_accuracy(question, texts, labels, stances, repeats, primers=None, fraction=0.3):
    """Of the codings the model gets right on held-out responses, how many carry people's stance.

    Also what the code before machine stances from single-stance codes gave: a stance only where
    a stance model was fitted (two stances, each twice or more), "mention" elsewhere.
    """
    from consultgraph.coding.learned import decide, fit_model, predict, predict_stances

    after, before, matched = [], [], []
    for seed in range(repeats):
        train, test = split(len(texts), fraction, seed)
        uncoded = [texts[i] for i in test]
        model = fit_model([texts[i] for i in train], {c: y[train] for c, y in labels.items()}, seed=seed,
                          primers=primers, uncoded=uncoded, stances={c: list(s[train]) for c, s in stances.items()})
        probabilities, matrix = predict(model, uncoded)
        right = learned_right = total = 0
        for concept, chosen in decide(model, probabilities).items():
            rows = np.flatnonzero(chosen & (labels[concept][test] == 1))
            truth = stances[concept][test][rows]
            given = np.array([isinstance(t, str) and t != "mention" for t in truth], dtype=bool)
            predicted = np.array(predict_stances(model, concept, matrix[rows]), dtype=object)
            hits = (predicted == truth) & given
            stance_model = model.stances.get(concept)
            right, total = right + int(hits.sum()), total + int(given.sum())
            learned_right += int(hits.sum()) if stance_model is not None and stance_model.classifier is not None else 0
        after.append(right / max(1, total))
        before.append(learned_right / max(1, total))
        matched.append(total)
    print(f"  stance   {question:<19} {fraction:>4.0%} coded  {fmt(after)} of the right codings with a stance carry "
          f"people's (before machine stances from single-stance codes: {fmt(before)}; "
          f"{np.mean(matched):.0f} codings per split)", flush=True)
    return after, before


def active_learning(name, texts, labels, repeats, primers=None, budgets=(0.1, 0.2, 0.3, 0.5), test_share=0.4):
    """Micro F1 on a held-out set as people code more, choosing what to code by uncertainty vs at random."""
    n = len(texts)
    results = {"uncertainty": {b: [] for b in budgets}, "random": {b: [] for b in budgets}}
    for seed in range(repeats):
        rng = np.random.default_rng(1000 + seed)
        order = rng.permutation(n)
        test = np.sort(order[: int(test_share * n)])
        pool = order[int(test_share * n):]
        start = list(pool[: int(budgets[0] * n)])
        for strategy in results:
            coded = list(start)
            for budget in budgets:
                target = int(round(budget * n))
                while len(coded) < target:
                    left = [i for i in pool if i not in set(coded)]
                    step = min(target - len(coded), max(1, int(0.05 * n)))
                    if strategy == "random":
                        coded += list(rng.permutation(left)[:step])
                    else:
                        model, probabilities, _ = fit_predict(texts, labels, np.array(coded), np.array(left), seed, primers)
                        margin = np.ones(len(left))
                        for concept, p in probabilities.items():
                            t = model.codes[concept].threshold
                            margin = np.minimum(margin, np.abs(p - t) / np.where(p >= t, 1 - t, t))
                        coded += [left[i] for i in np.argsort(margin, kind="stable")[:step]]
                _, _, predicted = fit_predict(texts, labels, np.array(coded), test, seed, primers)
                results[strategy][budget].append(f1_scores(predicted, {c: y[test] for c, y in labels.items()})[0])
    for budget in budgets:
        print(f"  active learning {name:<12} {budget:>4.0%} coded  uncertainty {fmt(results['uncertainty'][budget])}"
              f"  random {fmt(results['random'][budget])}", flush=True)
    return results


# --------------------------------------------------------------------------- speed
def synthetic_responses(n, seed=42, words=80):
    """``n`` seeded texts of ~``words`` words: Zipf filler plus planted code words (SYNTHETIC)."""
    rng = np.random.default_rng(seed)
    vocabulary = np.array([f"w{i}" for i in range(20_000)])
    codes = ["climate change", "human rights education", "advocacy", "research", "campaigning", "lobbying",
             "housing", "policing", "transport", "health care", "privacy", "education", "jobs", "taxes",
             "public safety", "parks", "internet access", "elections", "migration", "energy"]
    ranks = np.minimum(rng.zipf(1.3, size=(n, words)), len(vocabulary)) - 1
    planted = rng.integers(0, len(codes), size=(n, 3))
    texts = []
    for row, codes_of in zip(ranks, planted):
        parts = list(vocabulary[row])
        for k, code in enumerate(codes_of):
            parts[(k + 1) * words // 4] = codes[code]
        texts.append(" ".join(parts))
    return texts, codes, planted


def _cpu():
    """CPU seconds of this process and of its ended worker processes (``code`` forks some; see CONSULTGRAPH_WORKERS)."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def synthetic_project(n, seed=42):
    """A graph of ``n`` synthetic responses (:func:`synthetic_responses`), 1% coded by 'people'; and the texts and codes."""
    import pandas as pd

    from consultgraph.graph.consultation import Consultation
    from consultgraph.graph.records import EdgeTable, Node, NodeTable
    from consultgraph.graph.translator import translate

    texts, codes, planted = synthetic_responses(n, seed)
    ids = [f"response/s{i}/q" for i in range(n)]
    people = [f"respondent/s{i}" for i in range(n)]
    human = np.arange(0, n, 100)
    records = [Node("Question", "question/q", {"label": "q"}), Node("StakeholderGroup", "group/public", {"label": "public"})]
    records += [Node("Idea", f"idea/c{k}", {"label": label}) for k, label in enumerate(codes)]
    records += [NodeTable("Respondent", pd.DataFrame({"id": people}), file="synthetic"),
                NodeTable("Response", pd.DataFrame({"id": ids, "text": texts}), file="synthetic"),
                EdgeTable("MEMBER_OF", pd.DataFrame({"source": people, "target": "group/public"}), file="synthetic"),
                EdgeTable("WROTE", pd.DataFrame({"source": people, "target": ids}), file="synthetic"),
                EdgeTable("ANSWERS", pd.DataFrame({"source": ids, "target": "question/q"}), file="synthetic"),
                EdgeTable("MENTIONS", pd.DataFrame({
                    "source": np.repeat(np.array(ids, dtype=object)[human], 3),
                    "target": [f"idea/c{k}" for k in planted[human].ravel()], "coder": "synthetic-people"}),
                    file="synthetic")]
    return Consultation().merge(translate(records)), texts, codes, human


def speed(n, seed=42):
    """Time ``code`` (rules and model) on ``n`` synthetic responses; 1% coded by 'people'."""
    from consultgraph.coding.learned import workers
    from consultgraph.coding.run import code

    graph, texts, codes, human = synthetic_project(n, seed)
    from sklearn.feature_extraction.text import CountVectorizer

    started, cpu = time.perf_counter(), time.process_time()
    CountVectorizer(token_pattern=r"(?u)\b\w+\b").fit_transform(texts)
    baseline, baseline_cpu = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), _cpu()
    run = code(graph, seed=seed)
    elapsed, elapsed_cpu = time.perf_counter() - started, _cpu() - cpu
    machine = run.graph.codings("machine")
    print(f"  code: {n:,} SYNTHETIC responses of ~80 words, {len(codes)} codes, {len(human):,} coded by people: "
          f"{elapsed:.1f} s wall, {elapsed_cpu:.1f} s CPU with its worker processes, {workers()} workers "
          f"({len(machine):,} machine codings); baseline (tokenise once) {baseline:.1f} s wall, {baseline_cpu:.1f} s CPU; "
          f"ratio {elapsed_cpu / baseline_cpu:.1f}x (CPU); load average {os.getloadavg()[0]:.1f}", flush=True)
    started, cpu = time.perf_counter(), _cpu()
    code(graph, seed=seed, embeddings=False)
    print(f"  code --no-embeddings: {time.perf_counter() - started:.1f} s wall, {_cpu() - cpu:.1f} s CPU; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    # what `consultgraph code` then writes: the tables and the derived views, next to the tables alone
    import tempfile

    from consultgraph.graph.store import Project

    with tempfile.TemporaryDirectory() as folder:
        cpu = time.process_time()
        Project(f"{folder}/tables").write(run.graph.nodes, run.graph.edges)
        tables_cpu = time.process_time() - cpu
        cpu = time.process_time()
        run.graph.save(f"{folder}/project")
        save_cpu = time.process_time() - cpu
    print(f"  save after code: {save_cpu:.1f} s CPU with the derived views, the tables alone {tables_cpu:.1f} s CPU: "
          f"the views add {save_cpu - tables_cpu:.1f} s ({(save_cpu - tables_cpu) / elapsed_cpu:.0%} of code's CPU)",
          flush=True)
    return elapsed, baseline


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--speed-responses", type=int, default=100_000)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-curves", action="store_true")
    parser.add_argument("--datasets", default="consult,taiwan,bowling-green",
                        help="Which learning curves: consult, taiwan, bowling-green (comma-separated).")
    parser.add_argument("--fractions", default=",".join(str(f) for f in FRACTIONS),
                        help="Shares of the responses coded by people in the curves (comma-separated).")
    parser.add_argument("--active-repeats", type=int, default=None,
                        help="Splits for active learning (default: half of --repeats, at least 3; 0 skips it).")
    parser.add_argument("--without-embeddings", action="store_true",
                        help="The learned coder as before sentence embeddings (TF-IDF only; the README's brackets).")
    args = parser.parse_args(argv)
    if args.without_embeddings:
        from consultgraph.coding import learned

        learned.EMBEDDING_WEIGHT = learned.PRIMER_WEIGHT = learned.NEIGHBOUR_EMBEDDING = 0.0
    rows = []
    fractions = tuple(float(f) for f in args.fractions.split(","))
    active = max(3, args.repeats // 2) if args.active_repeats is None else args.active_repeats
    if not args.skip_curves:
        print(f"Learning curves ({args.repeats} seeded splits; mean [95% interval]):", flush=True)
        wanted = set(args.datasets.split(","))
        stances = consult_stances() if "consult" in wanted else {}
        for question, texts, labels, positions, primers in (consult_questions() if "consult" in wanted else []):
            rows += learning_curve(f"Consult gambling_XS {question}", texts, labels, args.repeats, primers, fractions)
            learning_curve(f"  (no codebook primers) {question}", texts, labels, args.repeats, None, (0.3,))
            position_accuracy(question, texts, positions, args.repeats)
            stance_accuracy(question, texts, labels, stances[question], args.repeats, primers)
            if active:
                active_learning(question, texts, labels, active, primers)
        if "taiwan" in wanted:
            texts, labels, primers = taiwan()
            rows += learning_curve("T3C Taiwan (Mandarin)", texts, labels, args.repeats, primers, fractions)
        if "bowling-green" in wanted:
            texts, labels, primers = bowling_green()
            rows += learning_curve("Sensemaker Bowling Green", texts, labels, args.repeats, primers, fractions)
        thirty = [r for r in rows if r[1] == 0.3 and r[0].startswith("Consult")]
        met = all(r[5] >= 0.75 for r in thirty)
        if thirty:
            print(f"Target micro F1 >= 0.75 with 30% coded on Consult: {'met' if met else 'NOT met'} "
                  f"({', '.join(f'{r[5]:.2f}' for r in thirty)})", flush=True)
    if not args.skip_speed:
        print("Speed:", flush=True)
        speed(args.speed_responses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
