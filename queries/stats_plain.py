"""The statistics of a comparison on single numbers, in plain Python (``math`` only).

What :func:`consultgraph.queries.compare.compare` computes per row (Wilson interval,
Cohen's h, the z or Fisher test, the chi-square test of k groups, Benjamini-Hochberg
q-values), so a comparison runs without numpy or scipy. :mod:`~consultgraph.queries.stats`
re-exports the scalar tests and keeps the vectorised (numpy) forms of the interval, the
effect size and the z-test for whole columns; a test checks both forms agree.
"""

from __future__ import annotations

import math
import numbers

from consultgraph.errors import InputError

# Below this expected cell count the normal approximation behind the z-test is
# not trusted (Cochran's rule of thumb) and compare_proportions uses Fisher.
MIN_EXPECTED_FOR_Z = 5.0


class StatsInputError(InputError, ValueError):
    """Numbers a statistic cannot be computed from (e.g. a count above its base).

    Both a :class:`consultgraph.InputError` and a ``ValueError``, so callers can
    catch either.
    """


# --------------------------------------------------------------------------- #
# checks of single numbers


def number(value, name):
    """``value`` as a finite float (NaN passes: callers decide what missing means)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        try:
            value = float(value)
        except (TypeError, ValueError) as exc:
            raise StatsInputError(f"{name} must be numbers, got {value!r}") from exc
    value = float(value)
    if math.isinf(value):
        raise StatsInputError(f"{name} must be finite, got {value!r}")
    return value


def count_pair(count, base, count_name="count", base_name="base"):
    """``(count, base)`` as floats: not negative, the count not above its base, neither missing."""
    count, base = number(count, count_name), number(base, base_name)
    if math.isnan(count) or math.isnan(base):
        raise StatsInputError(f"{count_name} and {base_name} must not be missing (NaN)")
    for value, name in ((count, count_name), (base, base_name)):
        if value < 0:
            raise StatsInputError(f"{name} must not be negative, got {value:g}")
    if count > base:
        raise StatsInputError(f"{count_name} exceeds {base_name}: {count:g} > {base:g}")
    return count, base


def share(value, name):
    value = number(value, name)
    if not 0 <= value <= 1:
        raise StatsInputError(f"{name} must be a share between 0 and 1, got {value:g}")
    return value


# --------------------------------------------------------------------------- #
# distributions


def normal_quantile(confidence):
    """The two-sided standard normal quantile of ``confidence`` (1.96 for 0.95)."""
    from statistics import NormalDist  # plain Python: scipy.stats costs 0.6 s to import

    return float(NormalDist().inv_cdf(1 - (1 - confidence) / 2))


def normal_sf(value):
    """The standard normal's upper tail at ``value``.

    >>> round(normal_sf(1.959963984540054), 6)
    0.025
    """
    return 0.5 * math.erfc(value / math.sqrt(2)) if value == value else math.nan


def chi_square_sf(statistic, dof):
    """The chi-square distribution's upper tail for whole ``dof``, in plain Python.

    The closed forms of the regularised upper incomplete gamma function at half-integer
    order: a finite sum of Poisson terms (even ``dof``), plus ``erfc`` (odd ``dof``).

    >>> round(chi_square_sf(3.841458820694124, 1), 6), round(chi_square_sf(5.991464547107979, 2), 6)
    (0.05, 0.05)
    """
    if statistic != statistic:
        return math.nan
    if statistic <= 0:
        return 1.0
    half = statistic / 2
    if dof % 2 == 0:
        return min(1.0, sum(math.exp(i * math.log(half) - half - math.lgamma(i + 1)) for i in range(dof // 2)))
    tail = math.erfc(math.sqrt(half))
    tail += sum(math.exp((i - 0.5) * math.log(half) - half - math.lgamma(i + 0.5)) for i in range(1, (dof + 1) // 2))
    return min(1.0, tail)


def fisher_two_sided(a, n1, c, n2):
    """Two-sided p-value of Fisher's exact test on ``[[a, n1 - a], [c, n2 - c]]`` (whole numbers).

    The sum of the hypergeometric probabilities of every table with the same margins that
    is no likelier than the observed one, as :func:`scipy.stats.fisher_exact` defines it
    (a relative tolerance of 1e-14 for ties), in exact integer arithmetic: plain Python,
    since scipy.stats takes 0.7 s to import.

    >>> round(fisher_two_sided(1, 10, 8, 10), 6)
    0.005477
    """
    successes = a + c
    low, high = max(0, successes - n2), min(n1, successes)
    # weights proportional to the hypergeometric probabilities: comb(n1, x) * comb(n2, successes - x)
    weight = math.comb(n1, low) * math.comb(n2, successes - low)
    weights = [weight]
    for x in range(low, high):
        weight = weight * (n1 - x) * (successes - x) // ((x + 1) * (n2 - successes + x + 1))
        weights.append(weight)
    observed = weights[a - low]
    # w <= observed * (1 + 1e-14), in integers
    tail = sum(w for w in weights if w * 10**14 <= observed * (10**14 + 1))
    return min(1.0, tail / math.comb(n1 + n2, successes))


# --------------------------------------------------------------------------- #
# one share, two shares


def wilson_interval(count, base, confidence=0.95):
    """Wilson score interval of ``count / base`` for single numbers (see
    :func:`consultgraph.queries.stats.wilson_interval`, its vectorised form).

    >>> low, high = wilson_interval(17, 74)
    >>> round(low, 3), round(high, 3)
    (0.149, 0.337)
    >>> wilson_interval(0, 0)
    (nan, nan)
    """
    if not (isinstance(confidence, numbers.Real) and 0 < confidence < 1):
        raise StatsInputError(f"confidence must be a number strictly between 0 and 1, got {confidence!r}")
    count, base = count_pair(count, base)
    if base == 0:
        return math.nan, math.nan
    z = normal_quantile(confidence)
    p = count / base
    z2_n = z * z / base
    denominator = 1 + z2_n
    centre = (p + z2_n / 2) / denominator
    half_width = (z / denominator) * math.sqrt(p * (1 - p) / base + z2_n / (4 * base))
    low = 0.0 if count == 0 else min(max(centre - half_width, 0.0), 1.0)
    high = 1.0 if count == base else min(max(centre + half_width, 0.0), 1.0)
    return low, high


def cohens_h(p1, p2):
    """Cohen's h of two shares, ``2*asin(sqrt(p1)) - 2*asin(sqrt(p2))``.

    >>> round(cohens_h(0.5, 0.25), 4)
    0.5236
    """
    p1, p2 = share(p1, "p1"), share(p2, "p2")
    return 2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p2))


def two_proportion_z(c1, n1, c2, n2):
    """Pooled two-proportion z and its two-sided p-value for single numbers.

    ``(0.0, 1.0)`` when the pooled share is 0 or 1, ``(nan, nan)`` when a base is 0.

    >>> z, p = two_proportion_z(17, 74, 37, 53)
    >>> round(z, 2), f"{p:.1e}"
    (-5.27, '1.4e-07')
    """
    c1, n1 = count_pair(c1, n1, "c1", "n1")
    c2, n2 = count_pair(c2, n2, "c2", "n2")
    if n1 == 0 or n2 == 0:
        return math.nan, math.nan
    pooled = (c1 + c2) / (n1 + n2)
    if pooled in (0.0, 1.0):
        return 0.0, 1.0
    z = (c1 / n1 - c2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return z, 2 * normal_sf(abs(z))


def fisher_exact_2x2(c1, n1, c2, n2):
    """Two-sided p-value of Fisher's exact test on two groups' counts.

    Tests the 2x2 table ``[[c1, n1 - c1], [c2, n2 - c2]]`` as
    :func:`scipy.stats.fisher_exact` does, in exact integer arithmetic
    (:func:`fisher_two_sided`). Exact, so it is the test to use when the groups are small.

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
    c1, n1 = count_pair(c1, n1, "c1", "n1")
    c2, n2 = count_pair(c2, n2, "c2", "n2")
    if n1 == 0 or n2 == 0:
        return math.nan
    return fisher_two_sided(_whole(c1, "c1"), _whole(n1, "n1"), _whole(c2, "c2"), _whole(n2, "n2"))


def _whole(value, name):
    if value != math.floor(value):
        raise StatsInputError(f"{name} must be a whole number for Fisher's exact test, got {value:g}")
    return int(value)


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
    c1, n1 = count_pair(c1, n1, "c1", "n1")
    c2, n2 = count_pair(c2, n2, "c2", "n2")
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
# many groups, many tests


def chi_square_k(counts, bases):
    """Chi-square test that k groups (k >= 2) share the same proportion.

    The test of homogeneity on the k x 2 table of ``[count, base - count]`` rows,
    as :func:`scipy.stats.chi2_contingency` computes it without Yates' continuity
    correction (in plain Python: scipy.stats is slow to import), so for two groups the
    statistic equals the square of :func:`two_proportion_z`. Use it before pairwise
    comparisons of 3+ groups.

    Parameters
    ----------
    counts : sequence of float
        Count per group, k of them.
    bases : sequence of float
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
    counts, bases = _numbers_1d(counts, "counts"), _numbers_1d(bases, "bases")
    if counts is None or bases is None or len(counts) != len(bases):
        raise StatsInputError("counts and bases must be 1-D and of the same length")
    if len(counts) < 2:
        raise StatsInputError(f"need at least two groups to compare, got {len(counts)}")
    if any(math.isnan(v) for v in counts + bases):
        raise StatsInputError("counts and bases must not be missing (NaN)")
    for position, (count, base) in enumerate(zip(counts, bases)):
        for value, name in ((count, "counts"), (base, "bases")):
            if value < 0:
                raise StatsInputError(f"{name} must not be negative at position {position}: {value:g}")
        if count > base:
            raise StatsInputError(f"counts exceeds bases at position {position}: {count:g}, {base:g}")
    for position, base in enumerate(bases):
        if base == 0:
            raise StatsInputError(f"every group needs a positive base; group {position} is empty")
    dof = len(counts) - 1
    total, hits = sum(bases), sum(counts)
    pooled = hits / total
    if pooled in (0.0, 1.0):
        return 0.0, 1.0, dof
    columns = (hits, total - hits)
    statistic = 0.0
    for count, base in zip(counts, bases):
        for observed, column in ((count, columns[0]), (base - count, columns[1])):
            expected = base * column / total
            statistic += (observed - expected) ** 2 / expected
    return statistic, chi_square_sf(statistic, dof), dof


def _numbers_1d(values, name):
    try:
        values = list(values)
    except TypeError:
        return None
    if any(isinstance(v, (list, tuple)) for v in values):
        return None
    return [number(v, name) for v in values]


def benjamini_hochberg(p_values):
    """Benjamini-Hochberg adjusted p-values (q-values) of a list of p-values.

    The step-up rule ``q_(i) = min_{j >= i} p_(j) * m / j`` over the ascending
    p-values, capped at 1; ``None`` and NaN stay NaN and do not count toward ``m``.

    >>> [round(q, 4) for q in benjamini_hochberg([0.01, 0.04, 0.03, 0.20])]
    [0.04, 0.0533, 0.0533, 0.2]
    >>> benjamini_hochberg([0.02, None, 0.04])
    [0.04, nan, 0.04]
    """
    values = [math.nan if p is None or p != p else share(p, "p_values") for p in p_values]
    present = sorted((i for i, p in enumerate(values) if p == p), key=lambda i: values[i])
    q_values = [math.nan] * len(values)
    m = len(present)
    running = math.inf
    for rank in range(m, 0, -1):
        index = present[rank - 1]
        # m / rank first: exactly 1 at the top rank and >= 1 elsewhere, so rounding
        # can never push a q-value below its p-value
        running = min(running, values[index] * (m / rank))
        q_values[index] = min(running, 1.0)
    return q_values
