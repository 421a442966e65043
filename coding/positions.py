"""A response's overall position on its question (agree / disagree / unclear), learned from people's.

Where people gave some responses of a question a ``position`` (the Consult gold
``sentiment.jsonl`` does), a logistic regression on TF-IDF word and character n-grams
(the learned codes' features) predicts it for the others. The machine's position is
stored beside people's, never over it: ``machine_position``, ``position_confidence``
(the predicted class's probability) and ``position_coder`` (``machine:position@<hash>``)
on the Response node. Same input and seed: same positions.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np

#: A question's position model needs this many responses with people's positions, in two classes or more.
MIN_POSITIONS = 4
POSITION_PREFIX = "machine:position@"
MACHINE_KEYS = ("machine_position", "position_confidence", "position_coder")


@dataclass
class PositionModel:
    """One question's position classifier and how well it did out of fold."""

    features: object
    classifier: object
    digest: str
    trained: int
    accuracy: float | None  # out-of-fold accuracy on people's positions (None: too few to cross-validate)
    majority: float  # share of the commonest position among people's

    @property
    def coder(self):
        return POSITION_PREFIX + self.digest


@dataclass
class PositionRun:
    """What :func:`code_positions` did: the new graph and one row per question."""

    graph: object
    summary: list = field(default_factory=list)


def fit_positions(texts, positions, *, seed=0):
    """A :class:`PositionModel` from texts and people's positions (None if they are too few or all alike)."""
    from sklearn.linear_model import LogisticRegression

    from consultgraph.coding.learned import Features, clean

    positions = np.asarray(positions, dtype=object)
    values, counts = np.unique(positions, return_counts=True)
    if len(positions) < MIN_POSITIONS or len(values) < 2:
        return None
    texts = [clean(t) for t in texts]
    digest = hashlib.sha256(json.dumps([seed, texts, positions.tolist()], ensure_ascii=False).encode()).hexdigest()[:10]

    def classifier():
        return LogisticRegression(C=4.0, class_weight="balanced", max_iter=1000, random_state=seed)

    accuracy = None
    folds = min(5, int(counts.min()))
    if folds >= 2:
        from sklearn.model_selection import StratifiedKFold

        right = 0
        for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(texts, positions):
            features = Features().fit([texts[i] for i in train])
            model = classifier().fit(features.transform([texts[i] for i in train]), positions[train])
            right += int((model.predict(features.transform([texts[i] for i in test])) == positions[test]).sum())
        accuracy = right / len(texts)
    features = Features().fit(texts)
    model = classifier().fit(features.transform(texts), positions)
    return PositionModel(features, model, digest, len(texts), accuracy, float(counts.max() / counts.sum()))


def predict_positions(model, texts):
    """``(positions, confidences)`` for ``texts``: the likeliest position and its probability."""
    from consultgraph.coding.learned import clean

    probabilities = model.classifier.predict_proba(model.features.transform([clean(t) for t in texts]))
    best = probabilities.argmax(axis=1)
    return model.classifier.classes_[best], probabilities[np.arange(len(best)), best]


def code_positions(graph, *, question=None, seed=0):
    """``graph`` with the machine's position for every response people gave none, where a model can learn one.

    Parameters
    ----------
    graph : Consultation
        A project with Response nodes, some carrying people's ``position``.
    question : str, optional
        Only this question (its id).
    seed : int
        Seeds the model and its cross-validation.

    Returns
    -------
    PositionRun
        ``summary``: per question, people's positions, the machine's, its mean confidence,
        out-of-fold accuracy and the commonest position's share (the baseline to beat).
    """
    from consultgraph.graph.consultation import Consultation

    responses = graph.responses()
    run = PositionRun(graph=graph)
    if not len(responses) or "position" not in responses:
        return run
    if question is not None:
        responses = responses[responses["question"] == question]
    nodes = graph.nodes
    is_response = (nodes["kind"] == "Response").to_numpy()
    props = {i: json.loads(p) if isinstance(p, str) and p else {} for i, p in
             zip(nodes.loc[is_response, "id"], nodes.loc[is_response, "props"])}
    changed = {}
    for asked, group in responses.groupby("question", sort=True):
        known = group["position"].notna().to_numpy()
        texts = [t if isinstance(t, str) else "" for t in group["text"]]
        ids = group["id"].to_numpy()
        for response in ids:  # an earlier run's positions go: a person may have given one since
            if any(k in props[response] for k in MACHINE_KEYS):
                changed[response] = {k: v for k, v in props[response].items() if k not in MACHINE_KEYS}
        if known.all() or not known.any():
            continue
        model = fit_positions([texts[i] for i in np.flatnonzero(known)], group["position"][known].to_numpy(), seed=seed)
        if model is None:
            given = group["position"][known].value_counts()
            run.summary.append({"question": asked, "human": int(known.sum()), "machine": 0, "coder": None,
                                "note": f"people's positions: {', '.join(f'{v} {n}' for v, n in given.items())}; "
                                        f"a model needs {MIN_POSITIONS} or more in two positions or more"})
            continue
        unknown = np.flatnonzero(~known)
        predicted, confidence = predict_positions(model, [texts[i] for i in unknown])
        for row, position, probability in zip(unknown, predicted, confidence):
            response = ids[row]
            base = changed.get(response, props[response])
            changed[response] = {**base, "machine_position": str(position),
                                 "position_confidence": round(float(probability), 4), "position_coder": model.coder}
        run.summary.append({
            "question": asked, "human": int(known.sum()), "machine": len(unknown),
            "mean_confidence": round(float(confidence.mean()), 3),
            "accuracy": None if model.accuracy is None else round(model.accuracy, 3),
            "majority_share": round(model.majority, 3), "coder": model.coder,
        })
    if not changed:
        return run
    nodes = nodes.copy()
    rows = nodes.index[is_response & nodes["id"].isin(list(changed)).to_numpy()]
    nodes.loc[rows, "props"] = [json.dumps(changed[i], ensure_ascii=False, sort_keys=True) if changed[i] else "{}"
                                for i in nodes.loc[rows, "id"]]
    run.graph = Consultation(nodes, graph.edges, name=graph.name, manifest=graph.manifest, coder=graph.coder)
    return run
