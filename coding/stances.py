"""Machine stances: which stance a learned code's machine codings carry, from people's stances of that code.

Where people gave the code two or more stances, each often enough to learn, a classifier
on the responses' features picks one per coding; where they gave one stance (or every
other one too rarely to learn), every machine coding carries it; where they gave none, the
coding is a plain mention. The evidence of each coding says which of the three it was.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: A stance people gave fewer times than this is too rare to learn.
MIN_STANCE_EXAMPLES = 2
#: The stance of a coding that takes no position (also what people's codings without a stance mean).
NO_STANCE = "mention"


@dataclass
class StanceModel:
    """How one code's machine codings get their stance.

    ``counts``: people's stances of the code and how many codings gave each (commonest first,
    then by name); ``classifier``: fitted on the stances in ``learned``, or None where every
    coding carries ``fixed``.
    """

    concept: str
    counts: tuple  # ((stance, codings), ...)
    classifier: object = None
    learned: tuple = ()  # the stances the classifier chooses between

    @property
    def fixed(self):
        """The stance every coding carries without a classifier (None: no stance, a mention)."""
        if self.classifier is not None or not self.counts:
            return None
        if len(self.counts) > 1 and self.counts[0][1] == self.counts[1][1]:
            return None  # no commonest stance to carry
        return self.counts[0][0]

    def predict(self, matrix):
        """The stance of each row of ``matrix`` (features of the texts the code was given to)."""
        if self.classifier is not None:
            return list(self.classifier.predict(matrix))
        return [self.fixed] * matrix.shape[0]

    def evidence(self, stance):
        """Why a coding carries ``stance``, in words (empty where people gave no stance).

        Examples
        --------
        >>> StanceModel("c", (("support", 7),)).evidence("support")
        'stance: support, the only stance people gave (n=7)'
        >>> StanceModel("c", (("drop", 15), ("support", 1))).evidence("drop")
        'stance: drop, the commonest stance people gave (15 of 16; support 1: too few to learn)'
        """
        given = sum(n for _, n in self.counts)
        listed = ", ".join(f"{s} {n}" for s, n in self.counts)
        if self.classifier is not None:
            rare = [f"{s} {n}" for s, n in self.counts if s not in self.learned]
            left = f"; {', '.join(rare)}: too few to learn" if rare else ""
            return f"stance: {stance}, learned from people's stances ({listed}{left})"
        if not self.counts:
            return ""
        if len(self.counts) == 1:
            return f"stance: {stance}, the only stance people gave (n={given})"
        if stance is None:
            return f"stance: none, people's stances tie ({listed})"
        rest = ", ".join(f"{s} {n}" for s, n in self.counts[1:])
        return f"stance: {stance}, the commonest stance people gave ({self.counts[0][1]} of {given}; {rest}: too few to learn)"


def fit_stance(concept, matrix, coded, stances, classifier):
    """The stance model of ``concept`` from people's codings (None where they gave it no stance).

    Parameters
    ----------
    concept : str
        The code.
    matrix : sparse matrix
        Features of the coded responses, one row each.
    coded : array of 0/1
        Whether people gave the response this code.
    stances : sequence of str or None
        People's stance of the code on each response (None or ``mention``: no stance).
    classifier : estimator
        An unfitted scikit-learn classifier, fitted where two or more stances are common enough.

    Examples
    --------
    >>> from scipy import sparse
    >>> model = fit_stance("c", sparse.eye(3, format="csr"), np.array([1, 1, 0]), ["support", None, "drop"], None)
    >>> model.fixed, model.counts
    ('support', (('support', 1),))
    """
    stances = np.asarray(stances, dtype=object)
    given = np.array([isinstance(s, str) and s != NO_STANCE for s in stances], dtype=bool)
    rows = np.flatnonzero((np.asarray(coded) == 1) & given)
    if not len(rows):
        return None
    values, counts = np.unique(stances[rows].astype(str), return_counts=True)
    order = sorted(zip(values.tolist(), counts.tolist()), key=lambda item: (-item[1], item[0]))
    model = StanceModel(concept, tuple((s, int(n)) for s, n in order))
    common = [s for s, n in order if n >= MIN_STANCE_EXAMPLES]
    if len(common) >= 2:
        keep = rows[np.isin(stances[rows].astype(str), common)]
        model.classifier = classifier.fit(matrix[keep], stances[keep].astype(str))
        model.learned = tuple(sorted(common))
    return model
