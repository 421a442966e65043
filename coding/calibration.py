"""Calibration and decisions of the learned codes: Platt scaling, best-F1 thresholds, conformal cut-offs,
and the decisions a model would have made on the responses it learned from had it not seen them.

Out-of-fold scores (each text scored by a regression fitted without its fold) calibrate
a code (Platt), place its threshold and its conformal cut-off. The same scores, with the
Platt fit and threshold cross-fitted (made without the text's fold) and the codes per
response counted without the text, give its out-of-fold decision: what ``agreement``
compares with people on the responses the model learned from.
"""

from __future__ import annotations

import numpy as np


def platt(scores, labels):
    """Platt scaling of decision scores against 0/1 labels (a 1-D logistic fit): ``(a, b)``.

    Examples
    --------
    >>> platt(np.array([0.1, 0.2]), np.array([0, 0]))
    (0.0, -4.0)
    """
    from sklearn.linear_model import LogisticRegression

    if len(set(labels)) < 2:
        return (0.0, -4.0 if labels.sum() == 0 else 4.0)
    fit = LogisticRegression(C=1e4, solver="lbfgs").fit(scores.reshape(-1, 1), labels)
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])


def calibrated(fit, scores):
    """Probabilities of ``scores`` under a Platt fit ``(a, b)``: ``1 / (1 + exp(-(a * score + b)))``."""
    a, b = fit
    return 1.0 / (1.0 + np.exp(-(a * scores + b)))


def best_threshold(probabilities, labels):
    """The probability cut that maximises F1 on out-of-fold predictions (0.5 if none helps), and that F1.

    Examples
    --------
    >>> cut, f1 = best_threshold(np.array([0.9, 0.6, 0.4, 0.1]), np.array([1, 1, 0, 0]))
    >>> cut, float(f1)
    (0.6, 1.0)
    """
    best, best_f1 = 0.5, -1.0
    for cut in np.unique(np.round(probabilities, 3)):
        predicted = probabilities >= cut
        tp = int((predicted & (labels == 1)).sum())
        f1 = 2 * tp / max(1, predicted.sum() + labels.sum())
        if f1 > best_f1 + 1e-12:
            best, best_f1 = float(cut), f1
    return max(0.05, min(0.95, best)), best_f1


def conformal_cutoff(nonconformity, level):
    """The largest nonconformity score a crepes conformal classifier keeps in its sets at ``level``.

    Inclusion is monotone in the score (unsmoothed p-values), so the cut-off found on the
    calibration scores themselves decides every later set with one comparison.

    Examples
    --------
    >>> conformal_cutoff(np.array([0.1, 0.2, 0.3, 0.4]), 0.5)
    0.3
    """
    from crepes import ConformalClassifier

    nonconformity = np.asarray(nonconformity, dtype=float)
    if len(nonconformity) == 0:
        return 1.0
    # 1 - p never exceeds 1: a set that keeps 1 keeps everything (too few calibration scores)
    candidates = np.unique(np.append(nonconformity, 1.0))
    kept = ConformalClassifier().fit(nonconformity).predict_set(
        candidates.reshape(-1, 1), confidence=level, smoothing=False)[:, 0].astype(bool)
    return float(candidates[kept].max()) if kept.any() else 0.0


def cross_fitted(scores, labels, fold):
    """Each text's probability and threshold from a Platt fit and a best-F1 cut made without its fold.

    ``scores`` are out-of-fold already (see :func:`~consultgraph.coding.learned.fit_model`);
    cross-fitting the calibration too keeps a text's own label out of everything that
    decides it.

    Examples
    --------
    A text's own label (here fold 0's) changes nothing of its figures:

    >>> scores, fold = np.array([0.9, 0.2, 0.6, 0.8, 0.1, 0.5]), np.array([0, 0, 0, 1, 1, 1])
    >>> one = cross_fitted(scores, np.array([1, 0, 1, 1, 0, 0]), fold)
    >>> two = cross_fitted(scores, np.array([0, 1, 0, 1, 0, 0]), fold)
    >>> bool(np.allclose(one[0][:3], two[0][:3]) and np.allclose(one[1][:3], two[1][:3]))
    True
    """
    probability, threshold = np.zeros(len(scores)), np.zeros(len(scores))
    for number in np.unique(fold):
        inside = fold == number
        fit = platt(scores[~inside], labels[~inside])
        threshold[inside] = best_threshold(calibrated(fit, scores[~inside]), labels[~inside])[0]
        probability[inside] = calibrated(fit, scores[inside])
    return probability, threshold


def cardinality_of(counts):
    """Codes per response where every coded response carried one or more (their mean, rounded), else None.

    Examples
    --------
    >>> cardinality_of(np.array([1, 2, 2])), cardinality_of(np.array([1, 0]))
    (2, None)
    """
    counts = np.asarray(counts)
    if not len(counts) or counts.min() < 1:
        return None
    return max(1, int(round(counts.mean())))


def left_out_cardinality(counts):
    """For each coded response, :func:`cardinality_of` the others (0 where the threshold rule decides).

    Examples
    --------
    >>> left_out_cardinality(np.array([1, 1, 4, 0])).tolist()
    [0, 0, 0, 2]
    """
    counts = np.asarray(counts, dtype=int)
    n = len(counts)
    if n < 2:
        return np.zeros(n, dtype=int)
    zeros = int((counts == 0).sum())
    others_zero = zeros - (counts == 0)
    # np.round rounds halves to even, as the built-in round of cardinality_of does
    mean = (counts.sum() - counts) / (n - 1)
    return np.where(others_zero > 0, 0, np.maximum(1, np.round(mean).astype(int)))


def choose(table, thresholds, cardinality):
    """Which codes each text gets, from a texts x codes table of probabilities.

    Where ``cardinality`` (one number, or one per text) is above 0, a text gets that many
    of its most likely codes (ties: the earlier code); where it is 0 (or None), each code
    whose probability reaches its threshold (``thresholds``: one per code, or texts x codes).

    Examples
    --------
    >>> table = np.array([[0.9, 0.2, 0.8], [0.1, 0.3, 0.05]])
    >>> choose(table, np.array([0.5, 0.25, 0.5]), 2).astype(int).tolist()
    [[1, 0, 1], [1, 1, 0]]
    >>> choose(table, np.array([0.5, 0.25, 0.5]), np.array([0, 1])).astype(int).tolist()
    [[1, 0, 1], [0, 1, 0]]
    """
    table = np.asarray(table, dtype=float)
    chosen = table >= np.broadcast_to(thresholds, table.shape)
    per_text = np.broadcast_to(np.asarray(0 if cardinality is None else cardinality), (table.shape[0],))
    ranked = np.flatnonzero(per_text > 0)
    if len(ranked) and table.shape[1]:
        # stable order on ties: the first concept (sorted ids) wins, run after run
        order = np.argsort(-table[ranked], axis=1, kind="stable")
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.broadcast_to(np.arange(table.shape[1]), order.shape), axis=1)
        chosen[ranked] = rank < per_text[ranked, None]
    return chosen
