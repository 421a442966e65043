"""Checks of the numbers the statistics take: counts within their bases, shares in [0, 1],
and the error they raise (:class:`StatsInputError`); shared by :mod:`~consultgraph.queries.stats`
and :mod:`~consultgraph.queries.stats_groups`.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from consultgraph.queries.stats_plain import (  # noqa: F401  (shared names: stats and stats_groups import them from here)
    StatsInputError, chi_square_sf, fisher_two_sided, normal_quantile,
)


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


def normal_sf(values):
    """The standard normal's upper tail, elementwise (``erfc`` of the standard library)."""
    values = np.asarray(values, dtype=float)
    out = np.array([0.5 * math.erfc(v / math.sqrt(2)) if v == v else math.nan for v in values.ravel()])
    return out.reshape(values.shape)
