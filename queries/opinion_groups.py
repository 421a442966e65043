"""Opinion groups found the Pol.is way from a vote matrix, and the explicit load step that adds
them to a Pol.is conversation's records (:func:`opinion_group_records`).

Clustering is analysis, not reading: the Pol.is loader yields what the export says
(participants, statements, votes, Pol.is's own group ids) and the caller of the pipeline
(``consultgraph load``) runs :func:`opinion_group_records` as a step after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["OpinionGroups", "opinion_groups", "opinion_group_records"]


# -- opinion groups ----------------------------------------------------------------


@dataclass(frozen=True)
class OpinionGroups:
    """Opinion groups found the Pol.is way.

    Attributes
    ----------
    groups : pandas.Series
        Participant -> group id (0 = largest group), for the participants clustered.
    projection : pandas.DataFrame
        ``x``, ``y``: every participant's scaled position on the two principal components.
    k : int
        Number of groups.
    silhouette : dict
        k -> silhouette of the base-cluster centres (the run kept), as Pol.is chooses k.
    base_clusters : pandas.Series
        Participant -> base cluster id (the run kept).
    components : pandas.DataFrame
        ``pc1``, ``pc2`` loadings per statement. Sign convention: each component's
        largest absolute loading is positive (Pol.is's power iteration leaves the sign
        arbitrary).
    center : pandas.Series
        Column means the projection is centred on.
    stability : float
        Mean adjusted Rand index between the run kept and the other runs (1.0 = every
        run found the same groups; NaN when ``n_runs == 1``).
    """

    groups: pd.Series = field(repr=False)
    projection: pd.DataFrame = field(repr=False)
    k: int
    silhouette: dict
    base_clusters: pd.Series = field(repr=False)
    components: pd.DataFrame = field(repr=False)
    center: pd.Series = field(repr=False)
    stability: float


def opinion_groups(
    matrix,
    *,
    moderated_out=(),
    min_votes=7,
    min_participants=15,
    base_clusters=100,
    max_groups=5,
    scale=True,
    n_runs=10,
    seed=0,
    threads=1,
):
    """Cluster participants into opinion groups the way Pol.is does.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Participants x statements, from :func:`vote_matrix`.
    moderated_out : iterable, optional
        Statements moderated out. Pol.is keeps them in the matrix with every cell set to
        0: they add nothing to the components but count as seen when scaling, and votes
        on them count towards ``min_votes``. Pass ``export.moderated_out`` with a matrix
        built with ``include_moderated=True`` to reproduce Pol.is.
    min_votes : int, default 7
        Participants with at least ``min(min_votes, n_statements)`` votes are clustered.
    min_participants : int, default 15
        When fewer qualify, the most active voters are added up to this number (Pol.is's
        "greedy" rule).
    base_clusters : int, default 100
        k-means clusters of participants; groups are made of whole base clusters.
    max_groups : int, default 5
        Largest k tried; Pol.is also caps it at ``2 + n_base_clusters // 12``.
    scale : bool, default True
        Scale each projection by ``sqrt(n_statements / n_seen)`` so that participants
        who saw few statements are not pulled to the centre.
    n_runs : int, default 10
        Independent clusterings (different k-means seeds); the one with the highest
        mean adjusted Rand index to the others is kept.
    seed : int, default 0
        The result is a deterministic function of ``seed``.
    threads : int or None, default 1
        Threads for the k-means runs (None: as many as the libraries like). The groups
        are the same either way; one thread is faster, the inputs being small.

    Returns
    -------
    OpinionGroups

    Examples
    --------
    Two camps who answer eight statements in opposite ways:

    >>> import numpy as np, pandas as pd
    >>> pattern = np.array([1, 1, 1, 1, -1, -1, -1, -1.0])
    >>> rows = [pattern] * 10 + [-pattern] * 10
    >>> matrix = pd.DataFrame(rows, index=range(20), columns=range(8))
    >>> result = opinion_groups(matrix, n_runs=2)
    >>> result.k, result.groups.groupby(result.groups).size().tolist()
    (2, [10, 10])
    >>> bool((result.groups.loc[:9] == result.groups.loc[0]).all())
    True
    """
    import numpy as np
    import pandas as pd

    from consultgraph.queries.opinion import check_matrix

    values = check_matrix(matrix)
    n_statements = values.shape[1]
    moderated = np.isin(matrix.columns, list(moderated_out))
    raw_counts = (~np.isnan(values)).sum(axis=1)

    rating = values.copy()
    rating[:, moderated] = 0.0
    seen = (~np.isnan(rating)).sum(axis=1)
    voters = (~np.isnan(rating)).sum(axis=0)
    center = np.nansum(rating, axis=0) / np.maximum(voters, 1)
    centred = np.where(np.isnan(rating), 0.0, rating - center)

    # threadpool_limits limits the libraries loaded when it starts: scikit-learn's OpenMP
    # runtime is loaded by its import, so import it first (else the limit misses it: 5 s -> 0.6 s)
    import sklearn.cluster  # noqa: F401
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads):  # a few hundred rows: threads cost more than they save
        components = _principal_components(centred, 2)
    projection = centred @ components.T
    if scale:
        projection = projection * np.sqrt(n_statements / np.maximum(seen, 1))[:, None]

    in_conv = raw_counts >= min(min_votes, n_statements)
    if in_conv.sum() < min_participants:
        order = np.argsort(-raw_counts, kind="stable")
        extra = [i for i in order if not in_conv[i] and raw_counts[i] > 0][: min_participants - int(in_conv.sum())]
        in_conv[extra] = True
    members = matrix.index[in_conv]
    points = projection[in_conv]

    rng = np.random.default_rng(seed)
    seeds = rng.integers(0, 2**31 - 1, size=max(1, n_runs) if len(points) > 1 else 1)
    # Hundreds of k-means fits on a few hundred points: OpenMP/BLAS threads cost far more
    # to start than they save (13 s -> 1 s on the biodiversity export); results are the same.
    # The points are finite (missing votes are 0) and every parameter is ours: scikit-learn's
    # checks of both, once per fit, silhouette and ARI, are skipped (the same numbers;
    # 0.42 -> 0.36 s, best of 5, on the biodiversity export).
    from sklearn import config_context

    with threadpool_limits(limits=threads), config_context(assume_finite=True, skip_parameter_validation=True):
        # rounded, so that the last-bit noise of the SVD does not make copies look distinct
        n_distinct = len(np.unique(np.round(points, 9), axis=0))
        runs = [_cluster_once(points, n_distinct, base_clusters, max_groups, int(s)) for s in seeds]
        chosen, stability = _most_central(runs)
    labels, k, silhouette, base = runs[chosen]

    return OpinionGroups(
        groups=pd.Series(labels, index=members, name="group", dtype="int64"),
        projection=pd.DataFrame(projection, index=matrix.index, columns=["x", "y"]),
        k=k,
        silhouette=silhouette,
        base_clusters=pd.Series(base, index=members, name="base_cluster", dtype="int64"),
        components=pd.DataFrame(components.T, index=matrix.columns, columns=["pc1", "pc2"]),
        center=pd.Series(center, index=matrix.columns, name="center"),
        stability=stability,
    )


def _principal_components(centred, n):
    """The first ``n`` principal axes (rows), zero-padded, largest loading positive."""
    import numpy as np

    if centred.size == 0:
        return np.zeros((n, centred.shape[1]))
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    components = np.zeros((n, centred.shape[1]))
    components[: min(n, len(vt))] = vt[:n]
    for row in components:
        if row.any() and row[np.argmax(np.abs(row))] < 0:
            row *= -1
    return components


def _cluster_once(points, n_distinct, base_k, max_groups, random_state):
    """One Pol.is clustering: base k-means, then weighted k-means of base centres by silhouette
    (``n_distinct``: how many distinct points there are)."""
    import warnings

    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import silhouette_score

    n = len(points)
    if n == 0:
        return np.zeros(0, dtype=int), 0, {}, np.zeros(0, dtype=int)
    k_base = min(base_k, n_distinct)
    if k_base <= 1:
        return np.zeros(n, dtype=int), 1, {}, np.zeros(n, dtype=int)
    # One k-means++ start per run, as Pol.is runs one k-means per update: the spread of
    # starts comes from the n_runs repetitions, which opinion_groups reconciles.
    with warnings.catch_warnings():
        # Near-duplicate points can leave a base cluster empty; empty ones are dropped below.
        warnings.simplefilter("ignore", ConvergenceWarning)
        base = KMeans(k_base, n_init=1, max_iter=100, random_state=random_state).fit(points)
    used, base_labels = np.unique(base.labels_, return_inverse=True)
    centres = base.cluster_centers_[used]
    weights = np.bincount(base_labels).astype(float)

    n_centres = len(np.unique(np.round(centres, 9), axis=0))
    max_k = min(max_groups, 2 + len(centres) // 12)
    candidates = [k for k in range(2, max_k + 1) if k < n_centres]
    silhouette = {}
    if not candidates:
        group_of_base = np.arange(len(centres)) if len(centres) == 2 else np.zeros(len(centres), dtype=int)
    else:
        best = None
        for k in candidates:
            grouping = KMeans(k, n_init=10, random_state=random_state).fit(centres, sample_weight=weights)
            score = silhouette_score(centres, grouping.labels_) if len(set(grouping.labels_)) > 1 else -1.0
            silhouette[k] = float(score)
            if best is None or score > best[0]:
                best = (score, grouping.labels_)
        group_of_base = best[1]
    labels = _by_size(group_of_base[base_labels])
    return labels, int(labels.max()) + 1, silhouette, base_labels


def _by_size(labels):
    """Renumber groups 0, 1, ... from the largest (ties: the one met first)."""
    import numpy as np

    values, first, counts = np.unique(labels, return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))
    renumber = np.empty(len(values), dtype=int)
    renumber[order] = np.arange(len(values))
    return renumber[np.searchsorted(values, labels)]


def _most_central(runs):
    """Index of the run with the highest mean adjusted Rand index to the others, and that mean."""
    import numpy as np

    if len(runs) == 1:
        return 0, float("nan")
    from sklearn.metrics import adjusted_rand_score

    # runs often find the very same labels: score each pair of distinct labellings once
    # (identical labellings score exactly 1.0, as adjusted_rand_score gives them)
    distinct, which = np.unique(np.array([run[0] for run in runs]), axis=0, return_inverse=True)
    which = which.ravel()
    scores = np.ones((len(distinct), len(distinct)))
    for i in range(len(distinct)):
        for j in range(i + 1, len(distinct)):
            scores[i, j] = scores[j, i] = adjusted_rand_score(distinct[i], distinct[j])
    agreement = scores[np.ix_(which, which)]
    mean = (agreement.sum(axis=1) - 1) / (len(runs) - 1)
    chosen = int(np.argmax(mean))
    return chosen, float(mean[chosen])


# -- the load step ------------------------------------------------------------------


def opinion_group_records(path, fmt, namespace, *, seed=0):
    """Records of the opinion groups of a Pol.is export, for ``load(..., steps=[...])``.

    Every input that is not a Pol.is export yields nothing. For one that is, the groups
    found by :func:`opinion_groups` (on all votes, moderated-out statements zeroed as
    Pol.is does) become stakeholder groups ``<conversation>/opinion-1`` ... under
    ``public``, with an IN_OPINION_GROUP edge from each participant clustered.

    Parameters
    ----------
    path : str or Path
        The input as given to the loader.
    fmt : str
        The input's format name (this step acts on ``"polis"`` only).
    namespace : str or None
        The namespace the loader was given (the conversation's id when set).
    seed : int, default 0
        As :func:`opinion_groups`.

    Examples
    --------
    >>> list(opinion_group_records("codings.csv", "long", None))
    []
    """
    if fmt != "polis":
        return
    from consultgraph.loaders.polis import conversation_of, opinion_group_records as group_records, read_polis_export
    from consultgraph.queries.opinion import vote_matrix

    export = read_polis_export(path)
    matrix = vote_matrix(export, include_moderated=True)
    if len(matrix) >= 2:
        found = opinion_groups(matrix, moderated_out=export.moderated_out, seed=seed)
        ours = (found.groups + 1).astype(int)
        yield from group_records(ours, conversation_of(path, namespace), export, "opinion", "Opinion group",
                                 file=str(path))
