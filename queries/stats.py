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
import numbers
from collections.abc import Mapping

import numpy as np

from consultgraph.errors import InputError

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


class StatsInputError(InputError, ValueError):
    """Numbers a statistic cannot be computed from (e.g. a count above its base).

    Both a :class:`consultgraph.InputError` and a ``ValueError``, so callers can
    catch either.
    """


# --------------------------------------------------------------------------- #
# validation helpers


def _as_float_array(values, name):
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise StatsInputError(f"{name} must be numbers, got {values!r}") from exc
    if np.isinf(array).any():
        raise StatsInputError(f"{name} must be finite, got {values!r}")
    return array


def _first_bad(mask, *arrays):
    """Describe the first offending element, e.g. ' (80 > 74 at position 2)'."""
    if np.ndim(mask) == 0:
        return ""
    position = tuple(int(i) for i in np.argwhere(mask)[0])
    index = position[0] if len(position) == 1 else position
    values = [np.broadcast_to(a, mask.shape)[position] for a in arrays]
    return f" at position {index}: {', '.join(f'{v:g}' for v in values)}"


def _check_counts(count, base, count_name="count", base_name="base"):
    """Return ``count`` and ``base`` as broadcast float arrays, or raise."""
    count = _as_float_array(count, count_name)
    base = _as_float_array(base, base_name)
    try:
        count, base = np.broadcast_arrays(count, base)
    except ValueError as exc:
        raise StatsInputError(
            f"{count_name} and {base_name} have incompatible shapes "
            f"{np.shape(count)} and {np.shape(base)}"
        ) from exc
    for array, name in ((count, count_name), (base, base_name)):
        negative = array < 0
        if negative.any():
            raise StatsInputError(
                f"{name} must not be negative{_first_bad(negative, array)}"
                if negative.ndim
                else f"{name} must not be negative, got {float(array):g}"
            )
    over = count > base
    if over.any():
        detail = (
            _first_bad(over, count, base)
            if over.ndim
            else f": {float(count):g} > {float(base):g}"
        )
        raise StatsInputError(f"{count_name} exceeds {base_name}{detail}")
    return count, base


def _check_shares(share, name):
    share = _as_float_array(share, name)
    outside = (share < 0) | (share > 1)
    if outside.any():
        detail = _first_bad(outside, share) if outside.ndim else f", got {float(share):g}"
        raise StatsInputError(f"{name} must be a share between 0 and 1{detail}")
    return share


def _check_confidence(confidence):
    if not (isinstance(confidence, numbers.Real) and 0 < confidence < 1):
        raise StatsInputError(
            f"confidence must be a number strictly between 0 and 1, got {confidence!r}"
        )


def _unwrap(array, scalar):
    """Plain float for scalar inputs, the array otherwise."""
    return float(array) if scalar else array


def _is_scalar(*values):
    return all(np.ndim(v) == 0 for v in values)


def _normal_quantile(confidence):
    from statistics import NormalDist  # plain Python: scipy.stats costs 0.6 s to import

    return float(NormalDist().inv_cdf(1 - (1 - confidence) / 2))


def _normal_sf(values):
    """The standard normal's upper tail, elementwise (``erfc`` of the standard library)."""
    values = np.asarray(values, dtype=float)
    out = np.array([0.5 * math.erfc(v / math.sqrt(2)) if v == v else math.nan for v in values.ravel()])
    return out.reshape(values.shape)


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
    _check_confidence(confidence)
    scalar = _is_scalar(count, base)
    count, base = _check_counts(count, base)
    z = _normal_quantile(confidence)
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
    return _unwrap(low, scalar), _unwrap(high, scalar)


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
    scalar = _is_scalar(p1, p2)
    p1 = _check_shares(p1, "p1")
    p2 = _check_shares(p2, "p2")
    h = 2 * np.arcsin(np.sqrt(p1)) - 2 * np.arcsin(np.sqrt(p2))
    return _unwrap(h, scalar)


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
    scalar = _is_scalar(c1, n1, c2, n2)
    c1, n1 = _check_counts(c1, n1, "c1", "n1")
    c2, n2 = _check_counts(c2, n2, "c2", "n2")
    c1, n1, c2, n2 = np.broadcast_arrays(c1, n1, c2, n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (c1 + c2) / (n1 + n2)
        standard_error = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (c1 / n1 - c2 / n2) / standard_error
    p_value = 2 * _normal_sf(np.abs(z))
    degenerate = (pooled == 0) | (pooled == 1)
    empty = (n1 == 0) | (n2 == 0)
    z = np.where(empty, np.nan, np.where(degenerate, 0.0, z))
    p_value = np.where(empty, np.nan, np.where(degenerate, 1.0, p_value))
    return _unwrap(z, scalar), _unwrap(p_value, scalar)


def _whole_number(value, name):
    if value != math.floor(value):
        raise StatsInputError(
            f"{name} must be a whole number for Fisher's exact test, got {value:g}"
        )
    return int(value)


def fisher_exact_2x2(c1, n1, c2, n2):
    """Two-sided p-value of Fisher's exact test on two groups' counts.

    Tests the 2x2 table ``[[c1, n1 - c1], [c2, n2 - c2]]`` with
    :func:`scipy.stats.fisher_exact`. Exact, so it is the test to use when the
    groups are small.

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
    from scipy import stats as scipy_stats  # only here and in chi-square: a heavy import

    result = scipy_stats.fisher_exact([[c1, n1 - c1], [c2, n2 - c2]], alternative="two-sided")
    return float(result.pvalue)


def _check_scalar_pair(count, base, count_name, base_name):
    if not _is_scalar(count, base):
        raise StatsInputError(f"{count_name} and {base_name} must be single numbers")
    count, base = _check_counts(count, base, count_name, base_name)
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


# --------------------------------------------------------------------------- #
# many comparisons, many groups


def benjamini_hochberg(p_values):
    """Benjamini-Hochberg adjusted p-values (q-values) for a family of tests.

    Controls the false discovery rate: reject where ``q <= alpha`` and, on
    average, at most a fraction ``alpha`` of the rejections are false. Use it
    when one finding is compared across many groups or many findings at once.

    Parameters
    ----------
    p_values : array_like
        P-values in [0, 1], any shape; all non-NaN entries form one family.

    Returns
    -------
    numpy.ndarray
        q-values, same shape as the input. The step-up rule
        ``q_(i) = min_{j >= i} p_(j) * m / j`` over the ascending p-values,
        so q-values keep the order of the p-values, are never below them and
        are capped at 1. NaNs stay NaN and do not count toward ``m``.

    Raises
    ------
    StatsInputError
        (a ``ValueError``) for a p-value outside [0, 1].

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03, 0.20]).round(4).tolist()
    [0.04, 0.0533, 0.0533, 0.2]
    >>> benjamini_hochberg([0.02, float("nan"), 0.04]).tolist()
    [0.04, nan, 0.04]
    """
    p_values = _check_shares(p_values, "p_values")
    flat = p_values.ravel()
    q_values = np.full(flat.shape, np.nan)
    present = np.flatnonzero(~np.isnan(flat))
    m = present.size
    if m:
        order = present[np.argsort(flat[present], kind="stable")]
        ranks = np.arange(1, m + 1)
        # m / rank first: it is exactly 1 at the top rank and >= 1 elsewhere, so
        # rounding can never push a q-value below its p-value.
        stepped = flat[order] * (m / ranks)
        # Step-up: each q is the smallest scaled p at its rank or above.
        monotone = np.minimum.accumulate(stepped[::-1])[::-1]
        q_values[order] = np.minimum(monotone, 1.0)
    return q_values.reshape(p_values.shape)


def chi_square_k(counts, bases):
    """Chi-square test that k groups (k >= 2) share the same proportion.

    The test of homogeneity on the k x 2 table of ``[count, base - count]`` rows,
    via :func:`scipy.stats.chi2_contingency` without Yates' continuity
    correction, so for two groups the statistic equals the square of
    :func:`two_proportion_z`. Use it before pairwise comparisons of 3+ groups.

    Parameters
    ----------
    counts : array_like
        Count per group, 1-D of length k.
    bases : array_like
        Base per group, same length; each must be positive.

    Returns
    -------
    statistic : float
        Pearson's chi-square.
    p_value : float
    dof : int
        Degrees of freedom, ``k - 1``.

    Raises
    ------
    StatsInputError
        (a ``ValueError``) for fewer than two groups, mismatched lengths, an
        empty group, negative, infinite or missing numbers, or a count above
        its base.

    Notes
    -----
    When the pooled share is 0 or 1 there is no variation to test and the
    result is ``(0.0, 1.0, k - 1)``, matching :func:`two_proportion_z`. Like the
    z-test, this is an approximation: check that expected counts are mostly
    5 or more.

    Examples
    --------
    >>> statistic, p_value, dof = chi_square_k([17, 37, 20], [74, 53, 40])
    >>> round(statistic, 2), f"{p_value:.1e}", dof
    (28.15, '7.7e-07', 2)
    """
    counts = _as_float_array(counts, "counts")
    bases = _as_float_array(bases, "bases")
    if counts.ndim != 1 or bases.ndim != 1 or counts.shape != bases.shape:
        raise StatsInputError(
            "counts and bases must be 1-D and of the same length, got shapes "
            f"{counts.shape} and {bases.shape}"
        )
    if counts.size < 2:
        raise StatsInputError(f"need at least two groups to compare, got {counts.size}")
    if np.isnan(counts).any() or np.isnan(bases).any():
        raise StatsInputError("counts and bases must not be missing (NaN)")
    counts, bases = _check_counts(counts, bases, "counts", "bases")
    empty = bases == 0
    if empty.any():
        raise StatsInputError(
            f"every group needs a positive base; group {int(np.flatnonzero(empty)[0])} is empty"
        )
    dof = counts.size - 1
    pooled = counts.sum() / bases.sum()
    if pooled in (0.0, 1.0):
        return 0.0, 1.0, dof
    table = np.column_stack([counts, bases - counts])
    from scipy import stats as scipy_stats

    result = scipy_stats.chi2_contingency(table, correction=False)
    return float(result.statistic), float(result.pvalue), int(result.dof)


# --------------------------------------------------------------------------- #
# post-stratification


def reweight_share(shares_by_stratum, counts_by_stratum, target_mix):
    """Post-stratified share: reweight strata (e.g. regions) to a target mix.

    When some regions answered far more than others, the raw share mostly
    reflects them. Reweighting gives each stratum its weight in ``target_mix``
    instead of its weight among respondents.

    Parameters
    ----------
    shares_by_stratum : Mapping[str, float]
        Share in [0, 1] with the attribute, per stratum.
    counts_by_stratum : Mapping[str, float]
        Respondents (the base of each share) per stratum; same strata as
        ``shares_by_stratum``.
    target_mix : Mapping[str, float]
        Weight of each stratum in the population to represent; non-negative,
        summing to 1 (within 1e-6).

    Returns
    -------
    share : float
        ``sum(target_mix[s] * shares_by_stratum[s])``.
    effective_base : float
        Kish's effective sample size ``(sum w)^2 / sum w^2`` over respondents,
        where every respondent of stratum ``s`` gets weight
        ``target_mix[s] / counts_by_stratum[s]``. It equals the raw base when the
        target matches the respondents' own mix and shrinks the further it is
        from it; use it as the base of an interval, e.g.
        ``wilson_interval(share * effective_base, effective_base)``.

    Raises
    ------
    StatsInputError
        (a ``ValueError``) for a stratum in ``target_mix`` missing from the data
        (or present with no respondents), mismatched strata between shares and
        counts, shares outside [0, 1], negative counts or weights, or weights not
        summing to 1.

    Notes
    -----
    Assumptions:

    * Cell weighting: within a stratum, respondents are exchangeable, so its
      observed share stands for the stratum's share in the population, and all
      its respondents get the same weight.
    * The target mix is known and describes the population to represent.
    * Strata in the data but not in ``target_mix`` get weight 0, i.e. they are
      left out of the reweighted share and the effective base.
    * Kish's formula accounts only for unequal weights; it ignores clustering
      and any correlation between weights and answers.

    Examples
    --------
    >>> shares = {"north": 0.60, "south": 0.20}
    >>> counts = {"north": 80, "south": 20}
    >>> share, effective_base = reweight_share(shares, counts, {"north": 0.5, "south": 0.5})
    >>> round(share, 3), round(effective_base, 1)
    (0.4, 64.0)
    >>> share, effective_base = reweight_share(shares, counts, {"north": 0.8, "south": 0.2})
    >>> round(share, 3), round(effective_base, 1)
    (0.52, 100.0)
    """
    for name, mapping in (
        ("shares_by_stratum", shares_by_stratum),
        ("counts_by_stratum", counts_by_stratum),
        ("target_mix", target_mix),
    ):
        if not isinstance(mapping, Mapping):
            raise StatsInputError(f"{name} must be a mapping of stratum to number")
    if not target_mix:
        raise StatsInputError("target_mix is empty")
    if set(shares_by_stratum) != set(counts_by_stratum):
        only_shares = sorted(map(str, set(shares_by_stratum) - set(counts_by_stratum)))
        only_counts = sorted(map(str, set(counts_by_stratum) - set(shares_by_stratum)))
        raise StatsInputError(
            "shares_by_stratum and counts_by_stratum must name the same strata; "
            f"only in shares: {only_shares}, only in counts: {only_counts}"
        )
    missing = [stratum for stratum in target_mix if stratum not in counts_by_stratum]
    if missing:
        raise StatsInputError(
            f"strata in target_mix have no data: {', '.join(map(str, missing))}",
            hint="drop them from the target mix or merge them with a neighbouring stratum",
        )

    strata = list(target_mix)
    weights = _as_float_array([target_mix[s] for s in strata], "target_mix")
    shares = _check_shares([shares_by_stratum[s] for s in strata], "shares_by_stratum")
    counts = _as_float_array([counts_by_stratum[s] for s in strata], "counts_by_stratum")
    for array, name in ((weights, "target_mix"), (shares, "shares_by_stratum"),
                        (counts, "counts_by_stratum")):
        if np.isnan(array).any():
            raise StatsInputError(f"{name} must not be missing (NaN)")
    if (weights < 0).any():
        raise StatsInputError("target_mix weights must not be negative")
    if not math.isclose(weights.sum(), 1.0, abs_tol=1e-6):
        raise StatsInputError(f"target_mix weights must sum to 1, got {weights.sum():g}")
    if (counts < 0).any():
        raise StatsInputError("counts_by_stratum must not be negative")
    unrepresented = [s for s, w, n in zip(strata, weights, counts) if w > 0 and n == 0]
    if unrepresented:
        raise StatsInputError(
            f"strata in target_mix have no respondents: {', '.join(map(str, unrepresented))}",
            hint="drop them from the target mix or merge them with a neighbouring stratum",
        )

    share = float(np.sum(weights * shares))
    # Per-respondent weight w_s = target_s / n_s, so sum w = sum target_s = 1 and
    # sum w^2 = sum n_s * w_s^2 = sum target_s^2 / n_s.
    used = weights > 0
    sum_of_squares = np.sum(weights[used] ** 2 / counts[used])
    effective_base = float(weights.sum() ** 2 / sum_of_squares)
    return share, effective_base
