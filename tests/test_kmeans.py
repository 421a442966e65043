"""The opinion groups' k-means, silhouette and adjusted Rand index give scikit-learn's results bit for bit."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from consultgraph.queries.kmeans import adjusted_rand, kmeans, silhouette

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "polis"


def point_sets():
    """Real Pol.is projections (many near-duplicates: empty clusters happen) and random weighted sets."""
    random = np.random.default_rng(3)
    sets = [random.normal(size=(120, 2)), np.round(random.normal(size=(200, 2)), 1), random.normal(size=(40, 3))]
    if DATA.is_dir():
        from consultgraph.loaders.polis import read_polis_export
        from consultgraph.queries.opinion import vote_matrix
        from consultgraph.queries.opinion_groups import opinion_groups

        export = read_polis_export(DATA / "scoop-hivemind.biodiversity")
        found = opinion_groups(vote_matrix(export, include_moderated=True), moderated_out=export.moderated_out,
                               n_runs=1)
        sets.append(found.projection.loc[found.groups.index].to_numpy())
    return sets


@pytest.mark.parametrize("number", range(4))
def test_kmeans_is_scikit_learns(number):
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    sets = point_sets()
    if number >= len(sets):
        pytest.skip("no Pol.is data")
    points = sets[number]
    weights = np.random.default_rng(number).integers(1, 9, size=len(points)).astype(float)
    # one thread, as opinion_groups runs them: scikit-learn's inertia sums per thread
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore")  # scikit-learn warns when clusters end up empty
        for seed in range(3):
            for k, n_init, max_iter, weight in ((min(100, len(points) - 1), 1, 100, None), (3, 10, 300, weights),
                                                (5, 10, 300, None)):
                theirs = KMeans(k, n_init=n_init, max_iter=max_iter, random_state=seed).fit(points, sample_weight=weight)
                labels, centres, inertia = kmeans(points, k, n_init=n_init, max_iter=max_iter, random_state=seed,
                                                  sample_weight=weight)
                assert np.array_equal(labels, theirs.labels_), (number, seed, k)
                assert np.array_equal(centres, theirs.cluster_centers_) and inertia == theirs.inertia_


def test_silhouette_and_adjusted_rand_are_scikit_learns():
    from sklearn.metrics import adjusted_rand_score, silhouette_score

    random = np.random.default_rng(5)
    for size, groups in ((30, 2), (100, 4), (7, 3)):
        points = random.normal(size=(size, 2))
        first, second = random.integers(0, groups, size), random.integers(0, groups + 1, size)
        assert silhouette(points, first) == silhouette_score(points, first)
        assert adjusted_rand(first, second) == adjusted_rand_score(first, second)
    assert adjusted_rand([3, 3, 5], [0, 0, 1]) == adjusted_rand_score([3, 3, 5], [0, 0, 1]) == 1.0


def test_a_polis_load_imports_no_scikit_learn(tmp_path):
    """Importing scikit-learn took longer than the clustering: `load` of a Pol.is export does without it."""
    import subprocess
    import sys

    if not DATA.is_dir():
        pytest.skip("no Pol.is data")
    code = ("import sys\nfrom consultgraph.cli import main\n"
            f"try:\n    main(['load', {str(DATA / '15-per-hour-seattle')!r}, '--into', {str(tmp_path / 'p')!r}, '-q'])\n"
            "except SystemExit:\n    pass\nprint('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
    assert (tmp_path / "p").is_dir()
