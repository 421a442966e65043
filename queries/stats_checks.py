"""Checks of the numbers the statistics take: counts within their bases, shares in [0, 1],
and the error they raise (:class:`StatsInputError`); shared by :mod:`~consultgraph.queries.stats`
and :mod:`~consultgraph.queries.stats_groups`.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from consultgraph.errors import InputError


class StatsInputError(InputError, ValueError):
    """Numbers a statistic cannot be computed from (e.g. a count above its base).

    Both a :class:`consultgraph.InputError` and a ``ValueError``, so callers can
    catch either.
    """


# --------------------------------------------------------------------------- #
# validation helpers


def as_float_array(values, name):
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise StatsInputError(f"{name} must be numbers, got {values!r}") from exc
    if np.isinf(array).any():
        raise StatsInputError(f"{name} must be finite, got {values!r}")
    return array


def first_bad(mask, *arrays):
    """Describe the first offending element, e.g. ' (80 > 74 at position 2)'."""
    if np.ndim(mask) == 0:
        return ""
    position = tuple(int(i) for i in np.argwhere(mask)[0])
    index = position[0] if len(position) == 1 else position
    values = [np.broadcast_to(a, mask.shape)[position] for a in arrays]
    return f" at position {index}: {', '.join(f'{v:g}' for v in values)}"


def check_counts(count, base, count_name="count", base_name="base"):
    """Return ``count`` and ``base`` as broadcast float arrays, or raise."""
    count = as_float_array(count, count_name)
    base = as_float_array(base, base_name)
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
                f"{name} must not be negative{first_bad(negative, array)}"
                if negative.ndim
                else f"{name} must not be negative, got {float(array):g}"
            )
    over = count > base
    if over.any():
        detail = (
            first_bad(over, count, base)
            if over.ndim
            else f": {float(count):g} > {float(base):g}"
        )
        raise StatsInputError(f"{count_name} exceeds {base_name}{detail}")
    return count, base


def check_shares(share, name):
    share = as_float_array(share, name)
    outside = (share < 0) | (share > 1)
    if outside.any():
        detail = first_bad(outside, share) if outside.ndim else f", got {float(share):g}"
        raise StatsInputError(f"{name} must be a share between 0 and 1{detail}")
    return share


def check_confidence(confidence):
    if not (isinstance(confidence, numbers.Real) and 0 < confidence < 1):
        raise StatsInputError(
            f"confidence must be a number strictly between 0 and 1, got {confidence!r}"
        )


def unwrap(array, scalar):
    """Plain float for scalar inputs, the array otherwise."""
    return float(array) if scalar else array


def is_scalar(*values):
    return all(np.ndim(v) == 0 for v in values)


def normal_quantile(confidence):
    from statistics import NormalDist  # plain Python: scipy.stats costs 0.6 s to import

    return float(NormalDist().inv_cdf(1 - (1 - confidence) / 2))


def normal_sf(values):
    """The standard normal's upper tail, elementwise (``erfc`` of the standard library)."""
    values = np.asarray(values, dtype=float)
    out = np.array([0.5 * math.erfc(v / math.sqrt(2)) if v == v else math.nan for v in values.ravel()])
    return out.reshape(values.shape)


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
