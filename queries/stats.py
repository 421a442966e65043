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

import math

import numpy as np

from consultgraph.queries.stats_checks import (
    StatsInputError, check_confidence, check_counts, check_shares, fisher_two_sided, is_scalar, normal_quantile,
    normal_sf, unwrap,
)
from consultgraph.queries.stats_groups import benjamini_hochberg, chi_square_k, reweight_share

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

# Below this expected cell count the normal approximation behind the z-test is
# not trusted (Cochran's rule of thumb) and compare_proportions uses Fisher.
MIN_EXPECTED_FOR_Z = 5.0


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


def _whole_number(value, name):
    if value != math.floor(value):
        raise StatsInputError(
            f"{name} must be a whole number for Fisher's exact test, got {value:g}"
        )
    return int(value)


def fisher_exact_2x2(c1, n1, c2, n2):
    """Two-sided p-value of Fisher's exact test on two groups' counts.

    Tests the 2x2 table ``[[c1, n1 - c1], [c2, n2 - c2]]`` as
    :func:`scipy.stats.fisher_exact` does, in exact integer arithmetic
    (:func:`~consultgraph.queries.stats_checks.fisher_two_sided`). Exact, so it is the
    test to use when the groups are small.

    Parameters
    ----------
    c1, n1, c2, n2 : int or float
        Counts and bases of the two groups; must be whole numbers (a float such
        as ``17.0`` is accepted).

    Returns
    -------
    float
        Two-sided p-value; NaN when a group is empty (base 0).

    Raises
    ------
    StatsInputError
        (a ``ValueError``) for negative, infinite or fractional numbers or a
        count above its base.

    Examples
    --------
    >>> round(fisher_exact_2x2(1, 10, 8, 10), 4)
    0.0055
    >>> fisher_exact_2x2(3, 10, 3, 10)
    1.0
    """
    c1, n1 = _check_scalar_pair(c1, n1, "c1", "n1")
    c2, n2 = _check_scalar_pair(c2, n2, "c2", "n2")
    if n1 == 0 or n2 == 0:
        return math.nan
    c1, n1 = _whole_number(c1, "c1"), _whole_number(n1, "n1")
    c2, n2 = _whole_number(c2, "c2"), _whole_number(n2, "n2")
    return fisher_two_sided(c1, n1, c2, n2)


def _check_scalar_pair(count, base, count_name, base_name):
    if not is_scalar(count, base):
        raise StatsInputError(f"{count_name} and {base_name} must be single numbers")
    count, base = check_counts(count, base, count_name, base_name)
    if np.isnan(count) or np.isnan(base):
        raise StatsInputError(f"{count_name} and {base_name} must not be missing (NaN)")
    return float(count), float(base)


def compare_proportions(c1, n1, c2, n2):
    """Compare two groups' shares: difference, effect size and the right test.

    Parameters
    ----------
    c1, n1 : int or float
        Count and base of the first group (e.g. 17 of 74 partners).
    c2, n2 : int or float
        Count and base of the second group (e.g. 37 of 53 national entities).

    Returns
    -------
    dict
        ``share1``, ``share2``
            The two shares as fractions in [0, 1].
        ``difference_points``
            ``share1 - share2`` in percentage points.
        ``cohens_h``
            :func:`cohens_h` of the two shares.
        ``test``
            ``"fisher"`` or ``"z"`` (see Notes).
        ``statistic``
            The z statistic for ``"z"``; ``None`` for ``"fisher"``.
        ``p_value``
            Two-sided p-value of the chosen test.
        ``count1``, ``base1``, ``count2``, ``base2``
            The inputs, so every share can be shown with its base.

    Raises
    ------
    StatsInputError
        (a ``ValueError``) for negative, infinite or missing numbers, a count
        above its base, an empty group (base 0), or fractional counts when
        Fisher's test is required.

    Notes
    -----
    Choice of test: form the 2x2 table ``[[c1, n1 - c1], [c2, n2 - c2]]`` and
    its expected counts under equal shares, ``row total * column total / N``.
    If any expected count is below 5 the normal approximation is not trusted
    and Fisher's exact test (:func:`fisher_exact_2x2`) is used; otherwise the
    pooled two-proportion z-test (:func:`two_proportion_z`). When nobody (or
    everybody) in either group has the attribute a column total is 0, so the
    rule picks Fisher, whose p-value is then 1.

    Examples
    --------
    >>> result = compare_proportions(17, 74, 37, 53)
    >>> result["test"], round(result["difference_points"], 1), round(result["cohens_h"], 2)
    ('z', -46.8, -0.98)
    >>> small = compare_proportions(1, 10, 8, 10)
    >>> small["test"], small["statistic"], round(small["p_value"], 4)
    ('fisher', None, 0.0055)
    """
    # Keep the caller's numbers for display: "37 of 53", not "37.0 of 53.0".
    inputs = {"count1": c1, "base1": n1, "count2": c2, "base2": n2}
    c1, n1 = _check_scalar_pair(c1, n1, "c1", "n1")
    c2, n2 = _check_scalar_pair(c2, n2, "c2", "n2")
    if n1 == 0 or n2 == 0:
        raise StatsInputError(
            "cannot compare shares with an empty group "
            f"(n1={n1:g}, n2={n2:g}); drop the group or merge it with another"
        )
    share1, share2 = c1 / n1, c2 / n2
    total = n1 + n2
    column_totals = (c1 + c2, total - c1 - c2)
    smallest_expected = min(n * column / total for n in (n1, n2) for column in column_totals)
    if smallest_expected < MIN_EXPECTED_FOR_Z:
        test, statistic = "fisher", None
        p_value = fisher_exact_2x2(c1, n1, c2, n2)
    else:
        test = "z"
        statistic, p_value = two_proportion_z(c1, n1, c2, n2)
    return {
        "share1": share1,
        "share2": share2,
        "difference_points": 100 * (share1 - share2),
        "cohens_h": cohens_h(share1, share2),
        "test": test,
        "statistic": statistic,
        "p_value": p_value,
        **inputs,
    }
