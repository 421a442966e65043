"""Learned codes: where people coded some responses, a calibrated linear model per code.

Features are TF-IDF of words and word pairs plus TF-IDF of character 2-5-grams inside
words (robust to typos, inflection and scripts without spaces). The character n-grams
of a text are the sum of its words' n-grams, so they are computed once per distinct
word and combined with one sparse product: 100,000 texts take seconds, not minutes.
A text's sentence embedding (WordLlama, bundled weights, offline) joins its TF-IDF
features in each code's logistic regression, which is mixed with its nearest coded
neighbours (the share of the most similar coded texts that carry the code) and the
text's closeness to the code's primer (its labels and definition, embedded); out-of-fold scores (k-fold,
seeded) calibrate it (Platt), choose its decision threshold (best F1) and calibrate a
conformal classifier (crepes) for prediction sets at a chosen level. Where every coded
response carries at least one code, each response gets as many codes as the coded ones
carry on average (the most likely ones). Everything is deterministic for a given seed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import numpy as np

from consultgraph.coding.calibration import (best_threshold, calibrated, cardinality_of, choose, conformal_cutoff,
                                             cross_fitted, left_out_cardinality, platt)
from consultgraph.coding.stances import fit_stance

_TOKEN = r"(?u)\b\w+\b"
MIN_POSITIVES = 2
#: How many times each code's primer (labels and definition) joins the coded examples.
PRIMER_COPIES = 3
#: Weight of the nearest coded neighbours in a code's score (the rest: its logistic regression).
NEIGHBOUR_WEIGHT = 0.5
#: How many nearest coded texts vote.
NEIGHBOURS = 10
#: Rows per block when comparing texts with the coded ones (bounds memory at any size).
BLOCK = 4096
#: Texts are compared with the coded ones in the space of the coded texts' leading directions
#: (exact when fewer coded texts and primers than this; 100,000 texts in seconds either way).
NEIGHBOUR_DIMENSIONS = 128
#: Scale of a text's sentence embedding (unit length, see :mod:`consultgraph.coding.embedding`) beside its
#: TF-IDF features (two unit-length blocks) in each code's regression; 0 leaves embeddings out.
EMBEDDING_WEIGHT = 4.0
#: Share of the embedding's cosine in the similarity that picks the nearest coded texts (the rest: TF-IDF).
NEIGHBOUR_EMBEDDING = 0.0
#: Weight of a text's embedding cosine to each code's primer (less its mean over the codes) in the code's score.
PRIMER_WEIGHT = 1.0


class Features:
    """TF-IDF word (1-2) and in-word character (2-5) n-grams; ``fit`` then ``transform``."""

    def __init__(self, min_df=1, max_features=200_000):
        self.min_df = min_df
        self.max_features = max_features

    def fit(self, texts):
        from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

        self.words = CountVectorizer(token_pattern=_TOKEN, ngram_range=(1, 2), min_df=self.min_df,
                                     max_features=self.max_features, dtype=np.float32)
        counts = self.words.fit_transform(texts)
        names = self.words.get_feature_names_out()
        self.unigrams = np.flatnonzero(np.char.find(names.astype(str), " ") < 0)
        self.chars = CountVectorizer(analyzer="char_wb", ngram_range=(2, 5), dtype=np.float32)
        self.word_chars = self.chars.fit_transform(names[self.unigrams])
        self.word_tfidf = TfidfTransformer(sublinear_tf=True).fit(counts)
        self.char_tfidf = TfidfTransformer(sublinear_tf=True).fit(counts[:, self.unigrams] @ self.word_chars)
        return self

    def transform(self, texts):
        from scipy import sparse

        from consultgraph.coding.ngrams import word_counts

        counts = word_counts(self.words, texts)
        chars = counts[:, self.unigrams] @ self.word_chars
        return sparse.hstack([self.word_tfidf.transform(counts), self.char_tfidf.transform(chars)], format="csr")

    def term_array(self):
        """Feature names in column order (words and pairs, then ``[ab]``-style character n-grams)."""
        if getattr(self, "_terms", None) is None:
            words = list(self.words.get_feature_names_out())
            self._terms = np.array(words + [f"[{c.strip()}]" for c in self.chars.get_feature_names_out()], dtype=object)
        return self._terms


@dataclass
class CodeModel:
    """One code's model: weights, calibration, threshold, conformal quantile, quality."""

    concept: str
    classifier: object
    platt: tuple  # (a, b): p = 1 / (1 + exp(-(a * score + b))), score mixing regression and neighbours
    threshold: float
    conformal: float  # the largest nonconformity (1 - p of the truth) crepes keeps in a set at the level
    positives: int
    f1: float  # out-of-fold F1 at the threshold
    column: int = 0  # this code's column in ``Model.neighbour_labels``
    embedding_weight: float = 0.0
    held_out: tuple = None  # (probability, threshold) of each coded text, both made without its fold

    def probability(self, features, neighbours, embedded=None, primer=None, decision=None):
        """Calibrated probabilities from the features (and embeddings), neighbour shares and primer closeness.

        ``decision``: the regression's decision on these texts when already known (see :func:`decisions`).
        """
        if decision is None:
            decision = _decision(self.classifier, features, embedded, self.embedding_weight)
        score = _mix(decision, neighbours[:, self.column], None if primer is None else primer[:, self.column])
        return calibrated(self.platt, score)


@dataclass
class Model:
    """Per-code models for one question's texts, plus a stance model per code where stances are coded."""

    features: Features
    codes: dict = field(default_factory=dict)  # concept -> CodeModel
    stances: dict = field(default_factory=dict)  # concept -> StanceModel (see coding/stances.py)
    level: float = 0.9
    digest: str = ""
    neighbour_space: object = None  # NeighbourSpace of the coded texts (and primers)
    neighbour_labels: object = None  # their 0/1 codes, one column per code
    cardinality: int | None = None  # codes per response where every coded response had one or more
    held_out_cardinality: object = None  # that rule for each coded text, counted without it (0: thresholds)
    embedding_weight: float = 0.0  # scale of the sentence embeddings beside TF-IDF (0: not used)
    neighbour_embedding: float = 0.0  # share of the embeddings' cosine in the neighbours' similarity
    primer_vectors: object = None  # embeddings of the codes' primers, one row per code (zeros: no primer)
    primer_weight: float = 0.0

    @property
    def coder(self):
        return f"machine:model@{self.digest}"


def _classifier(seed):
    from sklearn.linear_model import LogisticRegression

    # dual liblinear: far fewer coded texts than features, so the dual problem is the small one
    return LogisticRegression(C=4.0, class_weight="balanced", solver="liblinear", dual=True, random_state=seed,
                              max_iter=1000)


def _joined(matrix, embedded, weight):
    """TF-IDF features with the scaled sentence embeddings as extra columns (training sets only: small)."""
    from scipy import sparse

    if not weight:
        return matrix
    return sparse.hstack([matrix, sparse.csr_matrix(weight * embedded)], format="csr")


def _decision(classifier, matrix, embedded, weight):
    """The regression's decision on ``[matrix | weight * embedded]`` without building the joined matrix."""
    if not weight:
        return classifier.decision_function(matrix)
    coef = classifier.coef_[0]
    words = matrix.shape[1]
    return np.asarray(matrix @ coef[:words]).ravel() + weight * (embedded @ coef[words:]) + classifier.intercept_[0]


def decisions(codes, matrix, embedded=None):
    """Every code's regression decision on the rows of ``matrix``: one sparse product for all codes.

    The same figures as each code's own ``decision_function`` (see :func:`_decision`; summed
    in another order, so equal to about 1e-16): the features are widened to float64 once, not
    once per code.
    """
    codes = list(codes)
    if not codes:
        return {}
    words = matrix.shape[1]
    weights = np.column_stack([code.classifier.coef_[0][:words] for code in codes])
    out = np.asarray(matrix.astype(np.float64) @ weights)
    wide = None if embedded is None else np.asarray(embedded, dtype=np.float64)
    for j, code in enumerate(codes):
        if code.embedding_weight:
            out[:, j] += code.embedding_weight * (wide @ code.classifier.coef_[0][words:])
        out[:, j] += code.classifier.intercept_[0]
    return {code.concept: out[:, j] for j, code in enumerate(codes)}


def _mix(decision, neighbour_share, primer=None):
    """A code's raw score: its regression's probability and its neighbour share, weighted (plus weighted primer closeness)."""
    score = (1 - NEIGHBOUR_WEIGHT) / (1.0 + np.exp(-decision)) + NEIGHBOUR_WEIGHT * neighbour_share
    return score if primer is None else score + primer


def primer_closeness(primer_vectors, embedded):
    """Each text's cosine to each code's primer, less the text's mean over the codes that have one."""
    cosine = embedded @ primer_vectors.T
    has = np.abs(primer_vectors).sum(axis=1) > 0
    if not has.any():
        return np.zeros_like(cosine)
    return np.where(has, cosine - cosine[:, has].mean(axis=1, keepdims=True), 0.0)


class NeighbourSpace:
    """The span of the coded texts' features, cut to its ``dimensions`` leading directions.

    Inner products with the coded texts are kept exactly while they span no more than
    ``dimensions`` directions; projecting a text costs one product with a small dense basis
    restricted to the features the coded texts use.
    """

    def __init__(self, rows, dimensions=NEIGHBOUR_DIMENSIONS, embedded=None, embedding_share=0.0):
        from threadpoolctl import threadpool_limits

        self.embedding_share = embedding_share if embedded is not None else 0.0

        rows = rows.tocsc()
        self.columns = np.flatnonzero(np.diff(rows.indptr))
        rows = rows[:, self.columns].tocsr()
        with threadpool_limits(limits=1):  # a matrix of about a thousand rows: threads cost more than they save
            values, vectors = np.linalg.eigh(np.asarray((rows @ rows.T).todense(), dtype=float))
        top = np.argsort(-values, kind="stable")[:dimensions]
        top = top[values[top] > 1e-9 * max(values.max(), 1e-12)]
        # basis = rows^T u / sqrt(lambda): orthonormal directions inside the rows' span
        self.basis = np.asarray(rows.T @ (vectors[:, top] / np.sqrt(values[top])), dtype=np.float32)
        self.rows = self.project(rows, embedded, restricted=True)

    def project(self, matrix, embedded=None, restricted=False):
        """Coordinates of ``matrix``'s rows (features of texts; and their embeddings) in this space.

        With embeddings, inner products are ``(1 - share) / 2`` those of the TF-IDF features
        (two unit-length blocks) plus ``share`` those of the unit-length embeddings.
        """
        matrix = matrix if restricted else matrix[:, self.columns]
        coordinates = np.asarray(matrix @ self.basis, dtype=np.float32)
        if not self.embedding_share:
            return coordinates
        share = self.embedding_share
        return np.hstack([coordinates * np.float32(np.sqrt((1 - share) / 2)),
                          np.asarray(embedded, dtype=np.float32) * np.float32(np.sqrt(share))])


def neighbour_shares(rows, labels, queries, *, k=NEIGHBOURS, exclude=None):
    """For each query, the similarity-weighted share of its ``k`` most similar ``rows`` carrying each code.

    ``rows`` and ``queries`` are dense coordinates (see :class:`NeighbourSpace`);
    ``exclude(start, n)`` gives a bool mask (queries ``start..start+n`` x rows) of rows hidden
    from those queries, for out-of-fold scores. Blocks of queries keep memory bounded.

    Examples
    --------
    >>> rows = np.array([[1.0, 0], [0.9, 0.1], [0, 1.0]])
    >>> labels = np.array([[1, 0], [1, 0], [0, 1]])
    >>> neighbour_shares(rows, labels, np.array([[1.0, 0.0]]), k=2).round(2).tolist()
    [[1.0, 0.0]]
    """
    from threadpoolctl import threadpool_limits

    labels = np.asarray(labels, dtype=float)
    out = np.zeros((queries.shape[0], labels.shape[1]))
    k = min(k, rows.shape[0])
    if k == 0:
        return out
    with threadpool_limits(limits=1):  # small products: threads cost more than they save
        _shares_into(out, rows, labels, queries, k, exclude)
    return out


def _shares_into(out, rows, labels, queries, k, exclude):
    for start in range(0, queries.shape[0], BLOCK):
        similarity = queries[start:start + BLOCK] @ rows.T
        if exclude is not None:
            similarity[exclude(start, similarity.shape[0])] = -np.inf
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        weight = np.clip(np.take_along_axis(similarity, nearest, axis=1), 0, None)
        out[start:start + BLOCK] = np.einsum("nk,nkc->nc", weight, labels[nearest]) / np.maximum(
            weight.sum(axis=1, keepdims=True), 1e-12)


def primed(texts, labels, primers, copies=PRIMER_COPIES):
    """``texts`` and ``labels`` plus each code's primer (its labels and definition) as a coded example.

    With few coded responses the codebook's own words are much of what a model can know
    about a code: on Consult gambling_XS this lifts micro F1 at 30% coded from 0.33 to 0.46.
    """
    concepts = sorted(labels)
    extra = [c for c in concepts if primers.get(c)]
    if not extra:
        return list(texts), labels
    texts = list(texts) + [primers[c] for c in extra] * copies
    labels = {c: np.concatenate([np.asarray(labels[c], dtype=int), np.tile([int(c == e) for e in extra], copies)])
              for c in concepts}
    return texts, labels


def fit_model(texts, labels, *, stances=None, seed=0, level=0.9, folds=5, progress=None, primers=None, uncoded=None,
              embeddings=True, workers=None):
    """Train per-code models on people's codings.

    Parameters
    ----------
    texts : list of str
        The coded responses' texts.
    primers : dict, optional
        ``concept -> text`` (labels and definition) added as coded examples (see :func:`primed`).
    labels : dict
        ``concept -> 0/1 array`` over ``texts`` (1: people coded the response with it).
    stances : dict, optional
        ``concept -> array of stance or None`` (people's stance where they coded it).
    seed : int
        Seeds the folds and the solvers: the same input and seed give the same model.
    level : float
        Coverage of the conformal prediction sets.
    uncoded : list of str, optional
        Texts nobody coded yet: their words join the vocabulary and its weights (no labels).
    embeddings : bool
        Use the texts' sentence embeddings (see :mod:`consultgraph.coding.embedding`); without
        them the model reads words and character n-grams only, and its name (``digest``) differs.
    workers : int, optional
        Processes that fit the codes (see :func:`workers`); the model is the same for any number.
    """
    from sklearn.model_selection import KFold

    coded = len(texts)
    counts = sum((np.asarray(y, dtype=int) for y in labels.values()), np.zeros(coded, dtype=int))
    if primers:
        texts, labels = primed(texts, labels, primers)
    features = Features().fit(list(texts) + list(uncoded or []))
    matrix = features.transform(texts)
    concepts = sorted(labels)
    weight, share, closeness = EMBEDDING_WEIGHT, NEIGHBOUR_EMBEDDING, PRIMER_WEIGHT if primers else 0.0
    if not embeddings:
        weight = share = closeness = 0.0
    embedded = primer = primer_vectors = None
    if weight or share or closeness:
        from consultgraph.coding.embedding import embed

        embedded = embed(list(texts))
    if closeness:
        primer_vectors = np.zeros((len(concepts), embedded.shape[1]), dtype=np.float32)
        with_primer = [j for j, c in enumerate(concepts) if primers.get(c)]
        primer_vectors[with_primer] = embed([primers[concepts[j]] for j in with_primer])
        primer = closeness * primer_closeness(primer_vectors, embedded)
    joined = _joined(matrix, embedded, weight)
    space = NeighbourSpace(matrix, embedded=embedded, embedding_share=share)
    model = Model(features=features, level=level, neighbour_space=space, embedding_weight=weight,
                  neighbour_embedding=share, primer_vectors=primer_vectors, primer_weight=closeness,
                  neighbour_labels=np.column_stack([np.asarray(labels[c], dtype=np.int8) for c in concepts]))
    model.cardinality = cardinality_of(counts)
    model.held_out_cardinality = left_out_cardinality(counts)
    # out-of-fold neighbour shares: a text never votes for itself nor for its fold
    fold = np.zeros(len(texts), dtype=int)
    for number, (_, test) in enumerate(KFold(min(folds, len(texts)), shuffle=True, random_state=seed).split(matrix)):
        fold[test] = number
    shares = neighbour_shares(space.rows, model.neighbour_labels, space.rows,
                              exclude=lambda start, n: fold[start:start + n, None] == fold[None, :])
    digest = hashlib.sha256(f"{seed}\x1f{level}\x1f{NEIGHBOUR_WEIGHT}\x1f{NEIGHBOURS}\x1f{weight}\x1f{share}\x1f{closeness}".encode())
    for text in texts:
        digest.update(text.encode() + b"\x1e")
    jobs = []
    for number, concept in enumerate(concepts):
        y = np.asarray(labels[concept], dtype=int)
        digest.update(concept.encode() + y.tobytes())
        if stances is not None and concept in stances:  # the stances people gave decide the machine's
            digest.update("\x1f".join(s if isinstance(s, str) else "" for s in stances[concept]).encode())
        positives = int(y.sum())
        if MIN_POSITIVES <= positives <= len(y) - MIN_POSITIVES:
            jobs.append((number, concept, y))
    # each code's fits are independent: spread over worker processes (liblinear draws from one
    # process-wide random generator, so threads would interleave its draws), results in code order
    context = (joined, shares, primer, seed, folds, level, weight)
    for (number, concept, y), code in zip(jobs, _map_codes(context, jobs, workers)):
        model.codes[concept] = code
        if stances is not None and concept in stances:
            stance = fit_stance(concept, matrix[:coded], y[:coded], stances[concept], _classifier(seed))
            if stance is not None:
                model.stances[concept] = stance
        if progress:
            progress(number + 1, len(labels))
    model.digest = digest.hexdigest()[:10]
    return model


def workers(count=None):
    """How many processes code: ``count``, else ``CONSULTGRAPH_WORKERS``, else every core this process may use.

    Examples
    --------
    >>> workers(2)
    2
    """
    import os

    if count is not None:
        if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
            from consultgraph.errors import InputError

            raise InputError(f"workers: expected a whole number of processes, 1 or more, got {count!r}",
                             hint="for example --workers 2; 1 codes in this process alone")
        return int(count)
    value = os.environ.get("CONSULTGRAPH_WORKERS", "").strip()
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            from consultgraph.errors import InputError

            raise InputError(f"CONSULTGRAPH_WORKERS: expected a whole number of processes, got {value!r}") from None
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


#: Below this much work (stored feature values times codes) the codes are fitted in this process:
#: forking costs more than it saves on small sets.
PARALLEL_MIN_WORK = 5_000_000


def _fit_code(job, context):
    """One code's model: out-of-fold decisions, Platt calibration, threshold, conformal cut, final fit.

    The out-of-fold scores with a calibration cross-fitted on them (see
    :func:`~consultgraph.coding.calibration.cross_fitted`) are each coded text's held-out figures.
    """
    from sklearn.model_selection import StratifiedKFold

    joined, shares, primer, seed, folds, level, weight = context
    number, concept, y = job
    positives = int(y.sum())
    k = max(2, min(folds, positives, len(y) - positives))
    decision = np.zeros(len(y))
    fold = np.zeros(len(y), dtype=int)
    for count, (train, test) in enumerate(StratifiedKFold(k, shuffle=True, random_state=seed).split(joined, y)):
        decision[test] = _classifier(seed).fit(joined[train], y[train]).decision_function(joined[test])
        fold[test] = count
    scores = _mix(decision, shares[:, number], None if primer is None else primer[:, number])
    platt_fit = platt(scores, y)
    probability = calibrated(platt_fit, scores)
    threshold, f1 = best_threshold(probability, y)
    nonconformity = np.where(y == 1, 1 - probability, probability)
    return CodeModel(concept, _classifier(seed).fit(joined, y), platt_fit, threshold,
                     conformal_cutoff(nonconformity, level), positives, f1, number, weight,
                     held_out=cross_fitted(scores, y, fold))


def _map_codes(context, jobs, count=None):
    """``_fit_code`` over ``jobs``, in their order, in up to ``count`` (:func:`workers`) forked processes."""
    joined = context[0]
    work = (joined.nnz if hasattr(joined, "nnz") else joined.size) * len(jobs)
    return forked_map(lambda job: _fit_code(job, context), jobs, count if work >= PARALLEL_MIN_WORK else 1)


#: The function :func:`forked_map`'s processes call (set just before they fork).
_FORKED = None


def _call_forked(item):
    return _FORKED(item)


def forked_map(function, items, count=None):
    """``[function(item) for item in items]``, in that order, in up to ``count`` (:func:`workers`) forked processes.

    The processes fork with this one's memory, so ``function`` may be a closure over large
    data; only ``items`` and the results are pickled. One process (or no ``fork``): a plain loop.
    """
    global _FORKED
    import multiprocessing

    items = list(items)
    count = min(workers() if count is None else count, len(items))
    if count < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [function(item) for item in items]
    from concurrent.futures import ProcessPoolExecutor

    _FORKED = function
    try:
        with ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(_call_forked, items))
    finally:
        _FORKED = None


def predict(model, texts, matrix=None):
    """Probabilities of every code for ``texts``: ``{concept: array}``, and the feature matrix."""
    matrix = model.features.transform(texts) if matrix is None else matrix
    embedded = None
    if model.embedding_weight or model.neighbour_embedding or model.primer_weight:
        from consultgraph.coding.embedding import embed

        embedded = embed(list(texts))
    primer = model.primer_weight * primer_closeness(model.primer_vectors, embedded) if model.primer_weight else None
    space = model.neighbour_space
    shares = neighbour_shares(space.rows, model.neighbour_labels, space.project(matrix, embedded))
    decided = decisions(model.codes.values(), matrix, embedded)
    return {concept: code.probability(matrix, shares, embedded, primer, decided[concept])
            for concept, code in model.codes.items()}, matrix


def decide(model, probabilities):
    """Which codes each text gets: ``{concept: bool array}``.

    Where every coded response carried a code, each text gets the ``model.cardinality``
    most likely codes (as many as people gave on average); otherwise a code is given
    where its probability reaches its threshold.
    """
    concepts = list(probabilities)
    if not concepts:
        return {}
    table = np.column_stack([probabilities[c] for c in concepts])
    # codes per response read no threshold
    thresholds = np.inf if model.cardinality else np.array([model.codes[c].threshold for c in concepts])
    chosen = choose(table, thresholds, model.cardinality)
    return {c: chosen[:, j] for j, c in enumerate(concepts)}


def held_out(model):
    """The decisions the model would have made on the texts it learned from had it not seen each one.

    Returns ``{concept: (probability, decided)}`` over the coded texts (in the order given to
    :func:`fit_model`; not the primers): each text's out-of-fold probability (its fold left out
    of the regression, the neighbours' vote and the Platt fit) and the decision the rule of
    :func:`decide` gives with its threshold and codes per response made without it.
    """
    concepts = [c for c in model.codes if model.codes[c].held_out is not None]
    if not concepts:
        return {}
    coded = len(model.held_out_cardinality)
    table = np.column_stack([model.codes[c].held_out[0][:coded] for c in concepts])
    thresholds = np.column_stack([model.codes[c].held_out[1][:coded] for c in concepts])
    chosen = choose(table, thresholds, model.held_out_cardinality)
    return {c: (table[:, j], chosen[:, j]) for j, c in enumerate(concepts)}


def predict_stances(model, concept, matrix):
    """The stance for each row of ``matrix`` (None where people gave ``concept`` no stance).

    See :mod:`consultgraph.coding.stances`: learned where people gave two or more stances,
    else the one they gave (or their commonest).
    """
    stance = model.stances.get(concept)
    return [None] * matrix.shape[0] if stance is None else stance.predict(matrix)


def top_terms(model, concept, rows, n=5):
    """For each row of ``rows`` (features of texts), the ``n`` terms that pushed most towards ``concept``.

    ``rows`` may hold the word and word-pair columns only (the first ones): cut them once for many codes.
    """
    # words and word pairs only: character n-grams ("[ab]") say little to a reader
    words = len(model.features.words.vocabulary_)
    weights = model.codes[concept].classifier.coef_[0][:words]
    rows = rows.tocsr()[:, :words] if rows.shape[1] > words else rows.tocsr()
    if not rows.has_sorted_indices:  # ties keep the column order
        rows = rows.sorted_indices()
    row_of = np.repeat(np.arange(rows.shape[0]), np.diff(rows.indptr))
    contribution = rows.data * weights[rows.indices]
    pushed = np.flatnonzero(contribution > 0)
    row_of, contribution, column = row_of[pushed], contribution[pushed], rows.indices[pushed]
    # one sort for all rows: by row, then by contribution, largest first
    order = np.lexsort((-contribution, row_of))
    rank = np.arange(len(order)) - np.searchsorted(row_of, row_of[order])
    keep = order[rank < n]
    terms = model.features.term_array()
    out = [[] for _ in range(rows.shape[0])]
    for row, term in zip(row_of[keep], terms[column[keep]]):
        out[row].append(term)
    return out


def prediction_set(model, concept, probability):
    """Conformal prediction sets (crepes' cut-off): ``has`` = the code is in the set, ``lacks`` = its absence is."""
    q = model.codes[concept].conformal
    has, lacks = (1 - probability) <= q, probability <= q
    return has, lacks


_SPACE = re.compile(r"\s+")


def clean(text):
    """Whitespace folded (features do not care about line breaks)."""
    return _SPACE.sub(" ", str(text)).strip()
