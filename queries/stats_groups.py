"""Statistics across many shares or groups at once: Benjamini-Hochberg q-values, the
chi-square test of k groups, and post-stratified (reweighted) shares. Conventions as in
:mod:`consultgraph.queries.stats`, which re-exports these functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from consultgraph.queries.stats_checks import StatsInputError, as_float_array, check_shares
from consultgraph.queries.stats_plain import benjamini_hochberg as plain_benjamini_hochberg
from consultgraph.queries.stats_plain import chi_square_k  # noqa: F401  (re-exported: plain Python)


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
    p_values = check_shares(p_values, "p_values")
    # one step-up rule for every caller: the plain-Python one compare uses, over the flattened values
    q_values = plain_benjamini_hochberg(p_values.ravel().tolist())
    return np.asarray(q_values, dtype=float).reshape(p_values.shape)


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
    weights = as_float_array([target_mix[s] for s in strata], "target_mix")
    shares = check_shares([shares_by_stratum[s] for s in strata], "shares_by_stratum")
    counts = as_float_array([counts_by_stratum[s] for s in strata], "counts_by_stratum")
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
