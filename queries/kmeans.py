"""k-means, the silhouette and the adjusted Rand index for opinion groups, in numpy.

The same arithmetic, step for step, as scikit-learn's ``KMeans`` (k-means++ seeding,
Lloyd iterations through BLAS ``dgemm``, empty clusters moved to the farthest points),
``silhouette_score`` and ``adjusted_rand_score``, so the groups are the ones scikit-learn
finds in one thread, bit for bit (tests compare them). Written out because importing
scikit-learn takes longer (0.9 s) than the hundreds of small clusterings a Pol.is
conversation needs.
"""

from __future__ import annotations

import numpy as np

__all__ = ["kmeans", "silhouette", "adjusted_rand"]


def _row_norms(values):
    return np.einsum("ij,ij->i", values, values)


def _squared_distances(points, data, data_norms):
    """Squared distances from each of ``points`` to each row of ``data``, clipped at 0."""
    distances = -2 * (points @ data.T)
    distances += _row_norms(points)[:, np.newaxis]
    distances += data_norms.reshape(1, -1)
    np.maximum(distances, 0, out=distances)
    return distances


def _seeds(data, k, data_norms, weight, random):
    """k-means++: each next centre the best of ``2 + log k`` draws weighted by squared distance."""
    centres = np.empty((k, data.shape[1]))
    trials = 2 + int(np.log(k))
    centres[0] = data[random.choice(len(data), p=weight / weight.sum())]
    closest = _squared_distances(centres[0, np.newaxis], data, data_norms)
    potential = closest @ weight
    for number in range(1, k):
        draws = random.uniform(size=trials) * potential
        candidates = np.searchsorted(np.cumsum(weight * closest), draws)
        np.clip(candidates, None, closest.size - 1, out=candidates)
        to_candidates = _squared_distances(data[candidates], data, data_norms)
        np.minimum(closest, to_candidates, out=to_candidates)
        potentials = to_candidates @ weight.reshape(-1, 1)
        best = np.argmin(potentials)
        potential, closest = potentials[best], to_candidates[best]
        centres[number] = data[candidates[best]]
    return centres


def _nearest(data, centres, dgemm):
    """Each row's nearest centre: ``||c||^2 - 2 x.c`` by the column-major dgemm call scikit-learn makes."""
    pairwise = np.empty((len(data), len(centres)))
    pairwise[:] = _row_norms(centres)
    out = dgemm(-2.0, centres.T, data.T, beta=1.0, c=pairwise.T, trans_a=1, overwrite_c=1)
    return np.argmin(out.T, axis=1).astype(np.int32)


def _squared_lengths(differences):
    total = np.zeros(len(differences))
    for column in range(differences.shape[1]):
        total = total + differences[:, column] * differences[:, column]
    return total


def _lloyd(data, weight, centres, max_iter, tolerance, dgemm):
    k = len(centres)
    previous = np.full(len(data), -1, dtype=np.int32)
    settled = False
    for _ in range(max_iter):
        labels = _nearest(data, centres, dgemm)
        sums = np.column_stack([np.bincount(labels, weights=data[:, f] * weight, minlength=k)
                                for f in range(data.shape[1])])
        weight_in = np.bincount(labels, weights=weight, minlength=k)
        empty = np.flatnonzero(weight_in == 0)
        if len(empty):
            distances = ((data - centres[labels]) ** 2).sum(axis=1)
            farthest = np.argpartition(distances, -len(empty))[:-len(empty) - 1:-1]
            if np.max(distances) != 0:  # an empty cluster takes one of the farthest points
                for new, point in zip(empty, farthest):
                    old = labels[point]
                    sums[old] -= data[point] * weight[point]
                    sums[new] = data[point] * weight[point]
                    weight_in[old] -= weight[point]
                    weight_in[new] = weight[point]
        heaviest = np.argmax(weight_in)
        moved = sums
        for j in range(k):
            if weight_in[j] > 0:
                moved[j] *= 1.0 / weight_in[j]
            else:
                moved[j] = moved[heaviest]
        shift = np.sqrt(_squared_lengths(moved - centres))
        centres = moved
        if np.array_equal(labels, previous):
            settled = True
            break
        if (shift ** 2).sum() <= tolerance:
            break
        previous = labels
    if not settled:
        labels = _nearest(data, centres, dgemm)
    inertia = 0.0
    for value in _squared_lengths(data - centres[labels]) * weight:
        inertia += float(value)
    return labels, inertia, centres


def _same_grouping(first, second, k):
    mapping = np.full(k, -1)
    for a, b in zip(first, second):
        if mapping[a] == -1:
            mapping[a] = b
        elif mapping[a] != b:
            return False
    return True


def kmeans(points, k, *, n_init=10, max_iter=300, tol=1e-4, random_state=0, sample_weight=None):
    """Weighted k-means with k-means++ seeding, best of ``n_init`` runs (least inertia).

    As ``sklearn.cluster.KMeans(k, n_init=n_init, max_iter=max_iter, tol=tol,
    random_state=random_state).fit(points, sample_weight=sample_weight)``.

    Returns
    -------
    labels : numpy.ndarray
    centres : numpy.ndarray
    inertia : float

    Examples
    --------
    >>> labels, centres, inertia = kmeans([[0, 0], [0, 1], [10, 10], [10, 11]], 2, random_state=1)
    >>> sorted(np.bincount(labels).tolist()), round(inertia, 3)
    ([2, 2], 1.0)
    """
    from scipy.linalg.blas import dgemm

    data = np.array(points, dtype=float, order="C")
    weight = np.ones(len(data)) if sample_weight is None else np.array(sample_weight, dtype=float)
    tolerance = np.mean(np.var(data, axis=0)) * tol if tol else 0
    random = np.random.RandomState(random_state)
    mean = data.mean(axis=0)
    data -= mean  # centred, as scikit-learn computes distances
    data_norms = _row_norms(data)
    best = None
    for _ in range(n_init):
        labels, inertia, centres = _lloyd(data, weight, _seeds(data, k, data_norms, weight, random), max_iter,
                                          tolerance, dgemm)
        if best is None or (inertia < best[1] and not _same_grouping(labels, best[0], k)):
            best = (labels, inertia, centres)
    return best[0], best[2] + mean, best[1]


def silhouette(points, labels):
    """The mean silhouette coefficient of a grouping (euclidean), as ``sklearn.metrics.silhouette_score``.

    >>> round(silhouette([[0, 0], [0, 1], [10, 10], [10, 11]], [0, 0, 1, 1]), 4)
    0.9293
    """
    data = np.asarray(points, dtype=float)
    _, labels = np.unique(np.asarray(labels), return_inverse=True)
    sizes = np.bincount(labels)
    norms = _row_norms(data)
    distances = -2 * (data @ data.T)
    distances += norms[:, np.newaxis]
    distances += norms[np.newaxis, :]
    np.maximum(distances, 0, out=distances)
    distances = np.sqrt(distances)
    distances.flat[:: len(data) + 1] = 0
    by_group = np.zeros((len(data), len(sizes)))
    for row in range(len(data)):
        by_group[row] += np.bincount(labels, weights=distances[row], minlength=len(sizes))
    own = (np.arange(len(data)), labels)
    inside = by_group[own]
    by_group[own] = np.inf
    by_group /= sizes
    nearest = by_group.min(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        inside /= (sizes - 1).take(labels, mode="clip")
        scores = nearest - inside
        scores /= np.maximum(inside, nearest)
    return float(np.mean(np.nan_to_num(scores)))


def adjusted_rand(first, second):
    """The adjusted Rand index of two groupings of the same items (1.0: the same groups).

    >>> adjusted_rand([0, 0, 1, 1], [1, 1, 0, 0]), round(adjusted_rand([0, 0, 1, 1], [0, 1, 0, 1]), 3)
    (1.0, -0.5)
    """
    _, first = np.unique(np.asarray(first), return_inverse=True)
    _, second = np.unique(np.asarray(second), return_inverse=True)
    n = len(first)
    table = np.zeros((first.max(initial=-1) + 1, second.max(initial=-1) + 1), dtype=np.int64)
    np.add.at(table, (first, second), 1)
    rows, columns = table.sum(axis=1), table.sum(axis=0)
    squares = int((table ** 2).sum())
    tp = squares - n
    fp = int((table @ columns).sum()) - squares
    fn = int((table.T @ rows).sum()) - squares
    tn = n * n - fp - fn - squares
    if fn == 0 and fp == 0:
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))
