"""Tests for consultgraph.queries.stats on tables small enough to check by hand.

References are computed independently: textbook formulas written out here with
``math``, or scipy's own routines (binomtest, fisher_exact, chi2_contingency,
false_discovery_control).
"""

import doctest
import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

import consultgraph
import consultgraph.queries.stats as stats_module
from consultgraph.queries.stats import (
    StatsInputError,
    benjamini_hochberg,
    chi_square_k,
    cohens_h,
    compare_proportions,
    fisher_exact_2x2,
    reweight_share,
    two_proportion_z,
    wilson_interval,
)

# The running example: "research: 17 of 74 partners vs 37 of 53 national entities".
PARTNERS = (17, 74)
NATIONAL = (37, 53)


def hand_wilson(count, base, z=1.959963984540054):
    """Wilson score interval written out from the textbook formula."""
    p = count / base
    centre = (p + z**2 / (2 * base)) / (1 + z**2 / base)
    half = z / (1 + z**2 / base) * math.sqrt(p * (1 - p) / base + z**2 / (4 * base**2))
    return centre - half, centre + half


def hand_z(c1, n1, c2, n2):
    """Pooled two-proportion z and its two-sided normal p-value."""
    pooled = (c1 + c2) / (n1 + n2)
    z = (c1 / n1 - c2 / n2) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return z, math.erfc(abs(z) / math.sqrt(2))


def hand_fisher(c1, n1, c2, n2):
    """Two-sided Fisher p: sum of hypergeometric tables no likelier than the observed."""
    successes, total = c1 + c2, n1 + n2

    def probability(a):
        return math.comb(n1, a) * math.comb(n2, successes - a) / math.comb(total, successes)

    observed = probability(c1)
    low, high = max(0, successes - n2), min(n1, successes)
    return sum(
        probability(a) for a in range(low, high + 1) if probability(a) <= observed * (1 + 1e-7)
    )


# --------------------------------------------------------------------------- #
# wilson_interval


@pytest.mark.parametrize("count, base", [PARTNERS, NATIONAL, (1, 10), (9, 10), (50, 100)])
def test_wilson_matches_hand_formula_and_scipy(count, base):
    low, high = wilson_interval(count, base)
    assert isinstance(low, float) and isinstance(high, float)
    assert (low, high) == pytest.approx(hand_wilson(count, base), abs=1e-12)
    reference = scipy_stats.binomtest(count, base).proportion_ci(method="wilson")
    assert (low, high) == pytest.approx((reference.low, reference.high), abs=1e-12)


def test_wilson_known_values_for_the_running_example():
    assert wilson_interval(*PARTNERS) == pytest.approx((0.148672, 0.337463), abs=1e-6)
    assert wilson_interval(*NATIONAL) == pytest.approx((0.564632, 0.804817), abs=1e-6)


def test_wilson_other_confidence_matches_scipy():
    low, high = wilson_interval(17, 74, confidence=0.90)
    reference = scipy_stats.binomtest(17, 74).proportion_ci(0.90, method="wilson")
    assert (low, high) == pytest.approx((reference.low, reference.high), abs=1e-12)
    wide_low, wide_high = wilson_interval(17, 74, confidence=0.99)
    assert wide_low < low and wide_high > high


def test_wilson_extremes_stay_in_unit_interval():
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == 1.0
    low, high = wilson_interval(0, 10)
    assert 0 < high < 1
    low, high = wilson_interval(10, 10)
    assert 0 < low < 1


def test_wilson_base_zero_is_nan():
    low, high = wilson_interval(0, 0)
    assert math.isnan(low) and math.isnan(high)


def test_wilson_vectorised_matches_scalar_and_keeps_shape():
    counts = np.array([17, 37, 0, 0])
    bases = np.array([74, 53, 10, 0])
    low, high = wilson_interval(counts, bases)
    assert low.shape == high.shape == (4,)
    for i in range(3):
        assert (low[i], high[i]) == pytest.approx(wilson_interval(counts[i], bases[i]))
    assert np.isnan(low[3]) and np.isnan(high[3])
    # Broadcasting: one base for a 2-D grid of counts.
    low, high = wilson_interval(np.array([[1, 2], [3, 4]]), 10)
    assert low.shape == (2, 2)
    assert low[1, 1] == pytest.approx(wilson_interval(4, 10)[0])


def test_wilson_accepts_weighted_float_counts():
    low, high = wilson_interval(17.5, 74.25)
    assert (low, high) == pytest.approx(hand_wilson(17.5, 74.25), abs=1e-12)


# --------------------------------------------------------------------------- #
# cohens_h


def test_cohens_h_equal_shares_is_zero():
    for p in (0.0, 0.3, 0.5, 1.0):
        assert cohens_h(p, p) == 0.0


def test_cohens_h_known_values():
    # asin(sqrt(1/2)) = pi/4 and asin(sqrt(1/4)) = pi/6, so h = pi/2 - pi/3 = pi/6.
    assert cohens_h(0.5, 0.25) == pytest.approx(math.pi / 6)
    assert cohens_h(1.0, 0.0) == pytest.approx(math.pi)
    assert cohens_h(0.25, 0.5) == pytest.approx(-math.pi / 6)


def test_cohens_h_vectorised():
    result = cohens_h(np.array([0.5, 1.0, 0.25]), np.array([0.25, 0.0, 0.25]))
    assert result == pytest.approx([math.pi / 6, math.pi, 0.0])
    assert np.isnan(cohens_h([np.nan], 0.5)[0])


# --------------------------------------------------------------------------- #
# two_proportion_z


def test_z_matches_hand_computation():
    z, p = two_proportion_z(*PARTNERS, *NATIONAL)
    hand_statistic, hand_p = hand_z(*PARTNERS, *NATIONAL)
    assert z == pytest.approx(hand_statistic, rel=1e-12)
    assert p == pytest.approx(hand_p, rel=1e-9)
    # Worked by hand: pooled 54/127, se = 0.08896, z = (0.22973 - 0.69811) / se.
    assert z == pytest.approx(-5.265, abs=1e-3)


def test_z_is_antisymmetric():
    z, p = two_proportion_z(*NATIONAL, *PARTNERS)
    z_back, p_back = two_proportion_z(*PARTNERS, *NATIONAL)
    assert z == pytest.approx(-z_back) and p == pytest.approx(p_back)


@pytest.mark.parametrize("c1, n1, c2, n2", [(0, 10, 0, 12), (10, 10, 12, 12)])
def test_z_degenerate_pooled_share(c1, n1, c2, n2):
    assert two_proportion_z(c1, n1, c2, n2) == (0.0, 1.0)


def test_z_empty_group_is_nan():
    z, p = two_proportion_z(0, 0, 3, 10)
    assert math.isnan(z) and math.isnan(p)


def test_z_vectorised_matches_scalar():
    c1, n1 = np.array([17, 30, 0]), np.array([74, 60, 10])
    c2, n2 = np.array([37, 30, 0]), np.array([53, 60, 12])
    z, p = two_proportion_z(c1, n1, c2, n2)
    for i in range(3):
        assert (z[i], p[i]) == pytest.approx(two_proportion_z(c1[i], n1[i], c2[i], n2[i]))


# --------------------------------------------------------------------------- #
# fisher_exact_2x2


@pytest.mark.parametrize(
    "c1, n1, c2, n2",
    [(1, 10, 8, 10), PARTNERS + NATIONAL, (3, 5, 1, 7), (0, 4, 4, 4), (2, 9, 2, 9)],
)
def test_fisher_matches_scipy_and_hand_sum(c1, n1, c2, n2):
    p = fisher_exact_2x2(c1, n1, c2, n2)
    reference = scipy_stats.fisher_exact([[c1, n1 - c1], [c2, n2 - c2]]).pvalue
    assert p == pytest.approx(reference, rel=1e-9)
    assert p == pytest.approx(min(1.0, hand_fisher(c1, n1, c2, n2)), rel=1e-9)


def test_fisher_accepts_whole_floats_and_rejects_fractions():
    assert fisher_exact_2x2(1.0, 10.0, 8.0, 10.0) == fisher_exact_2x2(1, 10, 8, 10)
    with pytest.raises(ValueError, match="whole number"):
        fisher_exact_2x2(1.5, 10, 8, 10)


def test_fisher_empty_group_is_nan():
    assert math.isnan(fisher_exact_2x2(0, 0, 3, 10))


# --------------------------------------------------------------------------- #
# compare_proportions


def test_compare_running_example_uses_z():
    result = compare_proportions(*PARTNERS, *NATIONAL)
    assert result["test"] == "z"
    assert result["share1"] == pytest.approx(17 / 74)
    assert result["share2"] == pytest.approx(37 / 53)
    assert result["difference_points"] == pytest.approx(100 * (17 / 74 - 37 / 53))
    assert result["cohens_h"] == pytest.approx(cohens_h(17 / 74, 37 / 53))
    z, p = hand_z(*PARTNERS, *NATIONAL)
    assert result["statistic"] == pytest.approx(z)
    assert result["p_value"] == pytest.approx(p)
    shown = (result["count1"], result["base1"], result["count2"], result["base2"])
    assert shown == (17, 74, 37, 53)
    assert all(isinstance(number, int) for number in shown)
    assert {
        "share1",
        "share2",
        "difference_points",
        "cohens_h",
        "test",
        "statistic",
        "p_value",
    } <= set(result)


def test_compare_small_groups_use_fisher():
    result = compare_proportions(1, 10, 8, 10)
    assert result["test"] == "fisher"
    assert result["statistic"] is None
    assert result["p_value"] == pytest.approx(scipy_stats.fisher_exact([[1, 9], [8, 2]]).pvalue)


def test_compare_rule_threshold_is_expected_count_under_five():
    # [[3, 7], [7, 3]]: every expected count is exactly 10 * 10 / 20 = 5 -> z.
    assert compare_proportions(3, 10, 7, 10)["test"] == "z"
    # [[3, 7], [6, 4]]: smallest expected is 10 * 9 / 20 = 4.5 -> Fisher.
    assert compare_proportions(3, 10, 6, 10)["test"] == "fisher"
    # Large groups but a rare answer: expected successes 2 * 100 / 200 = 1 -> Fisher.
    assert compare_proportions(2, 100, 0, 100)["test"] == "fisher"


def test_compare_nobody_in_either_group():
    result = compare_proportions(0, 40, 0, 50)
    assert result["test"] == "fisher"
    assert result["p_value"] == 1.0
    assert result["difference_points"] == 0.0


def test_compare_weighted_counts_with_z():
    result = compare_proportions(17.5, 74.0, 37.25, 53.0)
    assert result["test"] == "z"
    assert result["statistic"] == pytest.approx(hand_z(17.5, 74.0, 37.25, 53.0)[0])


def test_compare_empty_group_raises():
    with pytest.raises(ValueError, match="empty group"):
        compare_proportions(0, 0, 3, 10)


# --------------------------------------------------------------------------- #
# benjamini_hochberg


def test_bh_hand_worked_example():
    # Sorted: 0.01, 0.03, 0.04, 0.20 -> p * 4 / rank = 0.04, 0.06, 0.0533, 0.20;
    # stepping up from the largest, 0.06 falls to 0.0533.
    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.20])
    assert q == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.20])


def test_bh_matches_scipy():
    rng = np.random.default_rng(20240101)
    for size in (1, 2, 7, 50):
        p_values = np.concatenate([rng.uniform(0, 0.05, size), rng.uniform(0, 1, size)])
        expected = scipy_stats.false_discovery_control(p_values, method="bh")
        assert benjamini_hochberg(p_values) == pytest.approx(expected, rel=1e-12)
    ties = [0.01, 0.01, 0.5, 0.5, 1.0, 0.0]
    assert benjamini_hochberg(ties) == pytest.approx(
        scipy_stats.false_discovery_control(ties, method="bh")
    )


def test_bh_is_monotone_not_below_p_and_capped():
    rng = np.random.default_rng(7)
    p_values = rng.uniform(0, 1, 40)
    q = benjamini_hochberg(p_values)
    order = np.argsort(p_values)
    assert np.all(np.diff(q[order]) >= 0)
    assert np.all(q >= p_values)
    assert np.all(q <= 1)


def test_bh_nans_stay_nan_and_do_not_count():
    p_values = [0.02, np.nan, 0.04, np.nan, 0.5]
    q = benjamini_hochberg(p_values)
    assert np.isnan(q[1]) and np.isnan(q[3])
    expected = scipy_stats.false_discovery_control([0.02, 0.04, 0.5], method="bh")
    assert q[[0, 2, 4]] == pytest.approx(expected)
    assert np.isnan(benjamini_hochberg([np.nan, np.nan])).all()
    assert benjamini_hochberg([]).shape == (0,)


def test_bh_keeps_shape_and_treats_all_entries_as_one_family():
    grid = np.array([[0.01, 0.04], [0.03, 0.20]])
    q = benjamini_hochberg(grid)
    assert q.shape == (2, 2)
    assert q.ravel() == pytest.approx(benjamini_hochberg(grid.ravel()))


# --------------------------------------------------------------------------- #
# chi_square_k


def test_chi_square_matches_scipy_and_hand_pearson():
    counts, bases = np.array([17, 37, 20]), np.array([74, 53, 40])
    statistic, p_value, dof = chi_square_k(counts, bases)
    table = np.column_stack([counts, bases - counts])
    reference = scipy_stats.chi2_contingency(table, correction=False)
    assert (statistic, p_value, dof) == pytest.approx(
        (reference.statistic, reference.pvalue, reference.dof)
    )
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    assert statistic == pytest.approx(((table - expected) ** 2 / expected).sum())
    assert p_value == pytest.approx(scipy_stats.chi2.sf(statistic, 2))
    assert dof == 2 and isinstance(dof, int)


def test_chi_square_two_groups_is_z_squared():
    statistic, p_value, dof = chi_square_k([17, 37], [74, 53])
    z, z_p = two_proportion_z(*PARTNERS, *NATIONAL)
    assert statistic == pytest.approx(z**2)
    assert p_value == pytest.approx(z_p)
    assert dof == 1


def test_chi_square_degenerate_and_errors():
    assert chi_square_k([0, 0, 0], [10, 20, 30]) == (0.0, 1.0, 2)
    assert chi_square_k([10, 20, 30], [10, 20, 30]) == (0.0, 1.0, 2)
    with pytest.raises(ValueError, match="at least two groups"):
        chi_square_k([3], [10])
    with pytest.raises(ValueError, match="same length"):
        chi_square_k([3, 4], [10, 10, 10])
    with pytest.raises(ValueError, match="positive base"):
        chi_square_k([3, 0], [10, 0])
    with pytest.raises(ValueError, match="exceeds"):
        chi_square_k([3, 11], [10, 10])


# --------------------------------------------------------------------------- #
# reweight_share


SHARES = {"north": 0.60, "south": 0.20}
COUNTS = {"north": 80, "south": 20}


def test_reweight_to_equal_mix_by_hand():
    # Weights 0.5/80 for 80 north and 0.5/20 for 20 south respondents:
    # sum w = 1, sum w^2 = 0.25/80 + 0.25/20 = 1/64, so the effective base is 64.
    share, effective_base = reweight_share(SHARES, COUNTS, {"north": 0.5, "south": 0.5})
    assert share == pytest.approx(0.5 * 0.6 + 0.5 * 0.2)
    assert effective_base == pytest.approx(64.0)


def test_reweight_to_own_mix_changes_nothing():
    share, effective_base = reweight_share(SHARES, COUNTS, {"north": 0.8, "south": 0.2})
    raw_share = (0.6 * 80 + 0.2 * 20) / 100
    assert share == pytest.approx(raw_share)
    assert effective_base == pytest.approx(100.0)


def test_reweight_kish_matches_per_respondent_weights():
    shares = {"a": 0.1, "b": 0.5, "c": 0.9}
    counts = {"a": 5, "b": 12, "c": 30}
    target = {"a": 0.2, "b": 0.3, "c": 0.5}
    share, effective_base = reweight_share(shares, counts, target)
    weights = np.concatenate([np.full(counts[s], target[s] / counts[s]) for s in counts])
    assert effective_base == pytest.approx(weights.sum() ** 2 / (weights**2).sum())
    assert share == pytest.approx(sum(target[s] * shares[s] for s in target))


def test_reweight_stratum_outside_target_gets_zero_weight():
    shares = {**SHARES, "islands": 1.0}
    counts = {**COUNTS, "islands": 3}
    with_islands = reweight_share(shares, counts, {"north": 0.5, "south": 0.5})
    assert with_islands == pytest.approx(
        reweight_share(SHARES, COUNTS, {"north": 0.5, "south": 0.5})
    )


def test_reweight_errors():
    with pytest.raises(ValueError, match="no data: east"):
        reweight_share(SHARES, COUNTS, {"north": 0.5, "east": 0.5})
    with pytest.raises(ValueError, match="sum to 1"):
        reweight_share(SHARES, COUNTS, {"north": 0.5, "south": 0.6})
    with pytest.raises(ValueError, match="negative"):
        reweight_share(SHARES, COUNTS, {"north": 1.5, "south": -0.5})
    with pytest.raises(ValueError, match="same strata"):
        reweight_share(SHARES, {"north": 80}, {"north": 1.0})
    with pytest.raises(ValueError, match="no respondents: south"):
        reweight_share(SHARES, {"north": 80, "south": 0}, {"north": 0.5, "south": 0.5})
    with pytest.raises(ValueError, match="between 0 and 1"):
        reweight_share({"north": 1.2, "south": 0.2}, COUNTS, {"north": 0.5, "south": 0.5})


# --------------------------------------------------------------------------- #
# input validation shared by all functions


def test_errors_are_value_errors_and_consultgraph_errors():
    with pytest.raises(StatsInputError) as caught:
        wilson_interval(80, 74)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, consultgraph.InputError)
    assert isinstance(caught.value, consultgraph.ConsultGraphError)
    assert "count exceeds base: 80 > 74" in str(caught.value)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: wilson_interval(-1, 10), "count must not be negative"),
        (lambda: wilson_interval(3, -10), "base must not be negative"),
        (lambda: wilson_interval([3, 12], [10, 10]), "exceeds base at position 1: 12, 10"),
        (lambda: wilson_interval(3, 10, confidence=1.5), "confidence"),
        (lambda: wilson_interval(3, 10, confidence=0), "confidence"),
        (lambda: wilson_interval(3, math.inf), "finite"),
        (lambda: wilson_interval("three", 10), "must be numbers"),
        (lambda: wilson_interval([1, 2, 3], [10, 10]), "incompatible shapes"),
        (lambda: cohens_h(1.2, 0.5), "p1 must be a share between 0 and 1"),
        (lambda: cohens_h(0.5, -0.1), "p2 must be a share between 0 and 1"),
        (lambda: two_proportion_z(11, 10, 3, 10), "c1 exceeds n1"),
        (lambda: two_proportion_z(1, 10, -3, 10), "c2 must not be negative"),
        (lambda: fisher_exact_2x2(1, 10, 12, 10), "c2 exceeds n2"),
        (lambda: compare_proportions(-1, 10, 3, 10), "c1 must not be negative"),
        (lambda: compare_proportions(math.nan, 10, 3, 10), "missing"),
        (lambda: benjamini_hochberg([0.2, 1.3]), "between 0 and 1"),
        (lambda: chi_square_k([-1, 3], [10, 10]), "must not be negative"),
    ],
)
def test_bad_input_raises_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --------------------------------------------------------------------------- #
# the docstring examples are part of the contract


def test_module_doctests_pass():
    result = doctest.testmod(stats_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_fisher_and_chi_square_need_no_scipy_stats_and_agree_with_it_widely():
    """Plain-Python Fisher and chi-square tails agree with scipy's over many tables."""
    import random

    from consultgraph.queries.stats_checks import chi_square_sf

    draw = random.Random(7)
    for _ in range(300):
        n1, n2 = draw.randint(1, 400), draw.randint(1, 400)
        c1, c2 = draw.randint(0, n1), draw.randint(0, n2)
        reference = scipy_stats.fisher_exact([[c1, n1 - c1], [c2, n2 - c2]]).pvalue
        assert fisher_exact_2x2(c1, n1, c2, n2) == pytest.approx(reference, rel=1e-9, abs=1e-300)
    assert fisher_exact_2x2(2, 100_000, 9, 120_000) == pytest.approx(
        scipy_stats.fisher_exact([[2, 99_998], [9, 119_991]]).pvalue, rel=1e-9)
    for dof in range(1, 9):
        for statistic in (0.0, 0.01, 0.5, 1.0, 3.84, 10.0, 28.15, 80.0, 300.0):
            assert chi_square_sf(statistic, dof) == pytest.approx(scipy_stats.chi2.sf(statistic, dof), rel=1e-9)
