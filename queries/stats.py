"""The statistics behind cross-group comparisons of shares of respondents.

Pure functions on counts and bases (no graph, no I/O): intervals, effect sizes,
tests, multiple-comparison adjustment and post-stratification.

Conventions
-----------
* A *share* is a fraction in [0, 1]; ``count`` respondents out of ``base``.
* Counts and bases may be ints or floats (weighted counts are floats); only
  :func:`fisher_exact_2x2` needs whole numbers.
* Bad numbers (negative, infinite, a count above its base, a share outside
  [0, 1]) raise :class:`StatsInputError`, which is both a ``ValueError`` and a
  :class:`consultgraph.InputError`. NaN is treated as "missing" and propagates
  to NaN results where a function is vectorised.
* Functions marked *vectorised* accept numpy arrays (broadcast together) and
  return arrays; given only scalars they return plain Python floats.
"""

from __future__ import annotations


import numpy as np

from consultgraph.queries.stats_checks import (
    StatsInputError, check_confidence, check_counts, check_shares, is_scalar, normal_quantile, normal_sf, unwrap,
)
from consultgraph.queries.stats_groups import benjamini_hochberg, chi_square_k, reweight_share
# the scalar tests live in plain Python (compare runs without numpy); re-exported here
from consultgraph.queries.stats_plain import MIN_EXPECTED_FOR_Z, compare_proportions, fisher_exact_2x2  # noqa: F401

__all__ = [
    "StatsInputError",
    "wilson_interval",
    "cohens_h",
    "two_proportion_z",
    "fisher_exact_2x2",
    "compare_proportions",
    "benjamini_hochberg",
    "chi_square_k",
    "reweight_share",
]


# --------------------------------------------------------------------------- #
# one share


def wilson_interval(count, base, confidence=0.95):
    """Wilson score interval for the share ``count / base``. Vectorised.

    Unlike the textbook ``p +/- z*sqrt(p(1-p)/n)`` interval, the Wilson interval
    stays inside [0, 1] and keeps close to its nominal coverage for small bases
    and shares near 0 or 1, which is the usual situation for stakeholder groups.

    Parameters
    ----------
    count : float or array_like
        Respondents with the attribute (may be a weighted, non-integer count).
    base : float or array_like
        Respondents asked; broadcast against ``count``.
    confidence : float, default 0.95
        Two-sided confidence level, strictly between 0 and 1.

    Returns
    -------
    low, high : float or numpy.ndarray
        Interval bounds as shares. Floats when both inputs are scalars, arrays of
        the broadcast shape otherwise. A base of 0 gives ``(nan, nan)``.

    Raises
    ------
    StatsInputError
        (a ``ValueError``) for negative or infinite numbers, a count above its
        base, or a confidence outside (0, 1).

    Notes
    -----
    With :math:`\\hat p = c/n` and :math:`z` the normal quantile,

    .. math::

        \\frac{\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}}{1 + z^2/n}

    Examples
    --------
    >>> low, high = wilson_interval(17, 74)
    >>> round(low, 3), round(high, 3)
    (0.149, 0.337)
    >>> wilson_interval(0, 0)
    (nan, nan)
    >>> low, high = wilson_interval([17, 37], [74, 53])
    >>> low.round(3).tolist(), high.round(3).tolist()
    ([0.149, 0.565], [0.337, 0.805])
    """
    check_confidence(confidence)
    scalar = is_scalar(count, base)
    count, base = check_counts(count, base)
    z = normal_quantile(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = count / base
        z2_n = z * z / base
        denominator = 1 + z2_n
        centre = (share + z2_n / 2) / denominator
        half_width = (z / denominator) * np.sqrt(share * (1 - share) / base + z2_n / (4 * base))
    low = np.clip(centre - half_width, 0.0, 1.0)
    high = np.clip(centre + half_width, 0.0, 1.0)
    # The bounds are exactly 0 and 1 at the extremes; pin them against rounding.
    low = np.where((count == 0) & (base > 0), 0.0, low)
    high = np.where((count == base) & (base > 0), 1.0, high)
    return unwrap(low, scalar), unwrap(high, scalar)


# --------------------------------------------------------------------------- #
# two shares


def cohens_h(p1, p2):
    """Cohen's h, the effect size for a difference between two shares. Vectorised.

    ``h = 2*asin(sqrt(p1)) - 2*asin(sqrt(p2))``. The arcsine transform makes
    equal differences in ``h`` equally detectable wherever the shares lie, so
    17% vs 2% counts as a bigger effect than 57% vs 42%. Cohen's rough reading:
    0.2 small, 0.5 medium, 0.8 large.

    Parameters
    ----------
    p1, p2 : float or array_like
        Shares in [0, 1], broadcast together.

    Returns
    -------
    float or numpy.ndarray
        Signed: positive when ``p1 > p2``. NaN where either share is NaN.

    Raises
    ------
    StatsInputError
        (a ``ValueError``) for a share outside [0, 1].

    Examples
    --------
    >>> round(cohens_h(0.5, 0.25), 4)  # pi/2 - pi/3 = pi/6
    0.5236
    >>> cohens_h(0.3, 0.3)
    0.0
    >>> cohens_h([0.5, 1.0], 0.0).round(4).tolist()
    [1.5708, 3.1416]
    """
    scalar = is_scalar(p1, p2)
    p1 = check_shares(p1, "p1")
    p2 = check_shares(p2, "p2")
    h = 2 * np.arcsin(np.sqrt(p1)) - 2 * np.arcsin(np.sqrt(p2))
    return unwrap(h, scalar)


def two_proportion_z(c1, n1, c2, n2):
    """Pooled-variance z-test that two groups share the same proportion. Vectorised.

    Parameters
    ----------
    c1, n1 : float or array_like
        Count and base of the first group.
    c2, n2 : float or array_like
        Count and base of the second group. All four are broadcast together.

    Returns
    -------
    z : float or numpy.ndarray
        ``(c1/n1 - c2/n2) / se`` with the standard error from the pooled share
        ``(c1 + c2) / (n1 + n2)``; positive when group 1 has the larger share.
    p_value : float or numpy.ndarray
        Two-sided p-value from the standard normal.

    Raises
    ------
    StatsInputError
        (a ``ValueError``) for negative or infinite numbers or a count above its
        base.

    Notes
    -----
    Degenerate cases: when the pooled share is 0 or 1 (nobody, or everybody, in
    both groups) there is no variance and no evidence of a difference, so the
    result is ``z = 0, p = 1``. When a group is empty (base 0) its share is
    undefined and the result is ``(nan, nan)``.

    The normal approximation is poor when expected cell counts are small; see
    :func:`compare_proportions`, which switches to :func:`fisher_exact_2x2`.

    Examples
    --------
    >>> z, p = two_proportion_z(17, 74, 37, 53)
    >>> round(z, 2), f"{p:.1e}"
    (-5.27, '1.4e-07')
    >>> two_proportion_z(0, 10, 0, 12)
    (0.0, 1.0)
    >>> z, p = two_proportion_z([17, 30], [74, 60], [37, 30], [53, 60])
    >>> z.round(2).tolist(), p.round(3).tolist()
    ([-5.27, 0.0], [0.0, 1.0])
    """
    scalar = is_scalar(c1, n1, c2, n2)
    c1, n1 = check_counts(c1, n1, "c1", "n1")
    c2, n2 = check_counts(c2, n2, "c2", "n2")
    c1, n1, c2, n2 = np.broadcast_arrays(c1, n1, c2, n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (c1 + c2) / (n1 + n2)
        standard_error = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (c1 / n1 - c2 / n2) / standard_error
    p_value = 2 * normal_sf(np.abs(z))
    degenerate = (pooled == 0) | (pooled == 1)
    empty = (n1 == 0) | (n2 == 0)
    z = np.where(empty, np.nan, np.where(degenerate, 0.0, z))
    p_value = np.where(empty, np.nan, np.where(degenerate, 1.0, p_value))
    return unwrap(z, scalar), unwrap(p_value, scalar)
