"""How well coders agree: Cohen's kappa, Krippendorff's alpha, and where machine and people part.

Every code is a yes/no decision per response and coder. Agreement is computed per code
and overall (all codes pooled, the response as the unit a bootstrap resamples), with
seeded percentile bootstrap intervals; per group and region, a permutation test asks
whether the machine agrees with people less in that segment than in the rest.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np

from consultgraph.errors import InputError
from consultgraph.coding.out_of_fold import held_out_notes, in_place_of_trained
from consultgraph.graph.consultation import MACHINE_PREFIX


def is_machine(coder):
    """True for a machine coder's name (``machine:...``) or the family of them all (``machine``).

    Examples
    --------
    >>> is_machine("machine:rules@1a2b"), is_machine("machine"), is_machine("alice")
    (True, True, False)
    """
    return str(coder).startswith(MACHINE_PREFIX) or str(coder) == MACHINE_PREFIX.rstrip(":")


def covers(name, coder):
    """True if the coder name ``name`` stands for ``coder``: the same, or a family of it.

    Examples
    --------
    >>> covers("machine", "machine:model@ab12"), covers("machine:model", "machine:model@ab12"), covers("ann", "anna")
    (True, True, False)
    """
    return coder == name or coder.startswith(name + ":") or coder.startswith(name + "@")


def resolve_coders(wanted, available):
    """The coders ``wanted`` names: ``{name: [coders]}``; unknown names fail with the nearest ones.

    A name is one coder, or a family whose codings count as one coder's: ``machine``
    is every machine coder (``machine:rules@ab12``, ``machine:model@cd34`` ...), and
    ``machine:model`` every version of the learned model.

    Examples
    --------
    >>> resolve_coders(["alice", "machine"], ["alice", "bob", "machine:model@1", "machine:model@2"])
    {'alice': ['alice'], 'machine': ['machine:model@1', 'machine:model@2']}
    >>> resolve_coders(["alise"], ["alice", "bob"])
    Traceback (most recent call last):
    ...
    consultgraph.errors.InputError: field 'coders': unknown coder 'alise' (nearest: alice; coders in this project: alice, bob)
    """
    available = sorted({str(c) for c in available})
    chosen = {}
    for name in wanted:
        name = name.strip()
        if not name or name in chosen:
            continue
        matches = [c for c in available if covers(name, c)]
        if not matches:
            near = difflib.get_close_matches(name, available, n=3, cutoff=0.5)
            hint = (f"nearest: {', '.join(near)}; " if near else "") + f"coders in this project: {', '.join(available) or 'none'}"
            raise InputError(f"unknown coder '{name}'", field="coders", hint=hint)
        taken = [c for c in matches if any(c in coders for coders in chosen.values())]
        if taken:
            raise InputError(f"coder '{taken[0]}' is named twice", field="coders", hint=f"'{name}' includes it")
        chosen[name] = matches
    return chosen


def families(available):
    """Default coders: each person on their own, machine coders by family (the part before ``@``).

    Examples
    --------
    >>> families(["ann", "machine:model@1", "machine:model@2", "machine:rules@9"])
    {'ann': ['ann'], 'machine:model': ['machine:model@1', 'machine:model@2'], 'machine:rules': ['machine:rules@9']}
    """
    out = {}
    for coder in sorted({str(c) for c in available}):
        out.setdefault(coder.split("@")[0] if is_machine(coder) else coder, []).append(coder)
    return out


# ---------------------------------------------------------------- the statistics
def cohen_kappa(a, b):
    """Cohen's kappa of two coders' decisions on the same units.

    Examples
    --------
    By hand: 10 units, both yes 4, both no 3, only the first 2, only the second 1:
    observed 0.7, expected 0.6 x 0.5 + 0.4 x 0.5 = 0.5, kappa (0.7 - 0.5) / 0.5 = 0.4.

    >>> a = [1, 1, 1, 1, 0, 0, 0, 1, 1, 0]
    >>> b = [1, 1, 1, 1, 0, 0, 0, 0, 0, 1]
    >>> round(cohen_kappa(a, b), 6)
    0.4
    """
    a, b = np.asarray(a), np.asarray(b)
    if len(a) != len(b):
        raise ValueError("both coders must decide on the same units")
    if len(a) == 0:
        return float("nan")
    labels = np.union1d(a, b)
    observed = float(np.mean(a == b))
    expected = float(sum(np.mean(a == v) * np.mean(b == v) for v in labels))
    return _kappa(observed, expected)


def _kappa(observed, expected):
    if np.isclose(expected, 1.0):
        return float("nan")
    return float((observed - expected) / (1.0 - expected))


def krippendorff_alpha(matrix):
    """Krippendorff's alpha (nominal) of a coders x units matrix; ``nan`` marks a missing value.

    Uses the ``krippendorff`` package; ``nan`` when there is no variation to agree on.

    Examples
    --------
    The same 10 units as :func:`cohen_kappa`: 20 values, 11 yes, 9 no, 3 disagreeing
    units; alpha = 1 - 19 x 6 / (2 x 11 x 9) = 84 / 198.

    >>> a = [1, 1, 1, 1, 0, 0, 0, 1, 1, 0]
    >>> b = [1, 1, 1, 1, 0, 0, 0, 0, 0, 1]
    >>> round(krippendorff_alpha([a, b]), 6) == round(84 / 198, 6)
    True
    """
    import krippendorff

    data = np.asarray(matrix, dtype=float)
    values = data[~np.isnan(data)]
    pairable = (np.sum(~np.isnan(data), axis=0) >= 2).sum()
    if pairable == 0 or len(np.unique(values)) < 2:
        return float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):  # no expected disagreement: nan, said in the table
        return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def binary_alpha_from_counts(values, ones, disagreement, weights=None):
    """Nominal alpha of yes/no data from per-unit sufficient statistics, for many resamples at once.

    Parameters
    ----------
    values, ones, disagreement : array (units,)
        Per unit (only units with two values or more): the number of values ``m``, the
        number of yes ``k``, and ``2 k (m - k) / (m - 1)`` (its disagreeing pairs).
    weights : array (resamples, units), optional
        How often each unit is drawn in each resample; default one draw of each.

    Examples
    --------
    >>> round(float(binary_alpha_from_counts([2] * 10, [2, 2, 2, 2, 0, 0, 0, 1, 1, 1], [0] * 7 + [2] * 3)), 6)
    0.424242
    """
    values, ones, disagreement = (np.asarray(x, dtype=float) for x in (values, ones, disagreement))
    if weights is None:
        weights = np.ones((1, len(values)))
    n = weights @ values
    n1 = weights @ ones
    d = weights @ disagreement
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1.0 - (n - 1.0) * d / (2.0 * n1 * (n - n1))
    alpha = np.where((n1 == 0) | (n1 == n), np.nan, alpha)
    return alpha if alpha.shape[0] > 1 else alpha[0]


def benjamini_hochberg(p_values):
    """Benjamini-Hochberg q-values (false discovery rate), in the input order.

    Examples
    --------
    >>> [round(q, 3) for q in benjamini_hochberg([0.01, 0.04, 0.03, 0.5])]
    [0.04, 0.053, 0.053, 0.5]
    """
    p = np.asarray(p_values, dtype=float)
    if len(p) == 0:
        return []
    order = np.argsort(p)
    ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty_like(p)
    q[order] = np.minimum(ranked, 1.0)
    return [float(x) for x in q]


# ---------------------------------------------------------------- decisions
@dataclass
class Decisions:
    """Yes/no decisions: ``array[coder, unit, code]`` (1, 0, or nan where the coder did not code the unit)."""

    coders: list
    units: list
    codes: list
    array: np.ndarray
    groups: list = field(default_factory=list)
    regions: list = field(default_factory=list)
    held_out: dict = field(default_factory=dict)  # learned model -> its trained-on units, read out of fold


def decisions(codings, coders, *, coverage=None, segments=None):
    """Build :class:`Decisions` from plain codings.

    Parameters
    ----------
    codings : iterable of (unit, code, coder)
        Who applied which code to which response.
    coders : list of str
        The coders to compare (in this order).
    coverage : iterable of (unit, coder), optional
        Which units each coder read; a unit a coder read but gave no code counts as
        "no" for every code. Default: the units where the coder applied a code.
    segments : dict, optional
        ``unit -> (group, region)``.
    """
    rows = [(str(u), str(c), str(k)) for u, c, k in codings if str(k) in coders]
    seen = {(u, k) for u, _, k in rows}
    if coverage is not None:
        seen |= {(str(u), str(k)) for u, k in coverage if str(k) in coders}
    units = sorted({u for u, _ in seen})
    codes = sorted({c for _, c, _ in rows})
    unit_index = {u: i for i, u in enumerate(units)}
    code_index = {c: i for i, c in enumerate(codes)}
    coder_index = {k: i for i, k in enumerate(coders)}
    array = np.full((len(coders), len(units), len(codes)), np.nan)
    for unit, coder in seen:
        array[coder_index[coder], unit_index[unit], :] = 0.0
    for unit, code, coder in rows:
        array[coder_index[coder], unit_index[unit], code_index[code]] = 1.0
    segments = segments or {}
    groups = [segments.get(u, (None, None))[0] for u in units]
    regions = [segments.get(u, (None, None))[1] for u in units]
    return Decisions(list(coders), units, codes, array, groups, regions)


def _alpha_stats(block):
    """Per-unit (values, ones, disagreement) of a coders x units x codes block, codes pooled per unit."""
    present = ~np.isnan(block)
    m = present.sum(axis=0)  # units x codes
    k = np.nansum(block, axis=0)
    pairable = m >= 2
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(pairable, 2.0 * k * (m - k) / np.maximum(m - 1, 1), 0.0)
    return (np.where(pairable, m, 0).sum(axis=1), np.where(pairable, k, 0).sum(axis=1), d.sum(axis=1))


def _kappa_stats(first, second):
    """Per-unit counts (both coded, agreements, yes by first, yes by second) of two coders, codes pooled."""
    both = ~np.isnan(first) & ~np.isnan(second)
    a, b = np.nan_to_num(first), np.nan_to_num(second)
    return np.stack([both.sum(axis=1), ((a == b) & both).sum(axis=1), (a * both).sum(axis=1), (b * both).sum(axis=1)], axis=1)


def _kappa_from_stats(stats, weights):
    return _kappa_from_totals(weights @ stats)


def _kappa_from_totals(total):
    """Kappa from summed (both coded, agreements, yes by first, yes by second), one row per resample."""
    n = total[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = total[:, 1] / n
        p1, p2 = total[:, 2] / n, total[:, 3] / n
        expected = p1 * p2 + (1 - p1) * (1 - p2)
        kappa = (observed - expected) / (1 - expected)
    return np.where((n == 0) | np.isclose(expected, 1.0), np.nan, kappa)


def _interval(draws, level):
    draws = draws[~np.isnan(draws)]
    if len(draws) < 10:
        return None, None
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return float(low), float(high)


#: Cells (resamples x units) one chunk of bootstrap weights or permutations may hold.
CHUNK_CELLS = 4_000_000


def _draws(statistic, n_units, resamples, rng):
    """``statistic(weights)`` over ``resamples`` bootstrap resamples of ``n_units`` units, in memory-bounded chunks."""
    if n_units == 0:
        return np.zeros((0, 2))
    step = max(1, CHUNK_CELLS // n_units)
    out = []
    for start in range(0, resamples, step):
        count = min(step, resamples - start)
        # draw n units with replacement per resample; weights = how often each unit was drawn
        drawn = rng.integers(0, n_units, size=(count, n_units)) + (np.arange(count) * n_units)[:, None]
        weights = np.bincount(drawn.ravel(), minlength=count * n_units).reshape(count, n_units)
        out.append(np.atleast_2d(statistic(weights.astype(float))))
    return np.concatenate(out)




def _round(value, digits=3):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return round(float(value), digits)


# ---------------------------------------------------------------- the analysis
@dataclass
class AgreementResult:
    """Rows for the render (one per scope: overall, code, group, region) and notes for people."""

    rows: list
    notes: list = field(default_factory=list)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)


def agreement(data, *, resamples=1000, permutations=2000, level=0.95, seed=0, alpha_level=0.05, labels=None):
    """Agreement of the coders in ``data`` per code, overall, and machine vs people per group and region.

    Parameters
    ----------
    data : Decisions
        From :func:`decisions`.
    resamples : int
        Bootstrap resamples of responses for the intervals.
    permutations : int
        Permutations of segment labels for the per-segment test.
    level : float
        Interval level.
    seed : int
        Seed of the random generator: the same seed gives the same intervals and p-values.
    alpha_level : float
        False discovery rate under which a segment is flagged.
    labels : dict, optional
        ``id -> label`` for codes and segments.

    Returns
    -------
    AgreementResult
        Rows with ``scope`` (overall, code, group, region), ``id``, ``label``, ``units``
        (responses every statistic saw), ``kappa`` (two coders, else empty) and
        ``alpha`` with their intervals; segment rows add the machine-vs-people kappa
        in the segment and in the rest, the difference, one-sided permutation ``p``,
        Benjamini-Hochberg ``q`` and ``flag``.

    Examples
    --------
    >>> codings = [(1, "a", "ann"), (1, "a", "bob"), (2, "b", "ann"), (2, "a", "bob"), (3, "b", "ann"), (3, "b", "bob")]
    >>> result = agreement(decisions(codings, ["ann", "bob"]), resamples=50, permutations=50)
    >>> [(r["scope"], r["id"], r["units"], r["kappa"]) for r in result.rows]
    [('overall', 'all codes', 3, 0.333), ('code', 'a', 3, 0.4), ('code', 'b', 3, 0.4)]
    """
    if len(data.coders) < 2:
        raise InputError("agreement needs two coders or more", field="coders",
                         hint=f"this project has coder(s): {', '.join(data.coders) or 'none'}")
    labels = labels or {}
    rng = np.random.default_rng(seed)
    array = data.array
    two = len(data.coders) == 2
    notes = []
    rows = []

    # every row reads the same bootstrap resamples of all responses (units a row cannot
    # pair weigh nothing in it): one pass of draws, one matrix product per chunk
    blocks = [("overall", "all codes", array)] + [("code", c, array[:, :, i:i + 1]) for i, c in enumerate(data.codes)]
    columns = []
    for _, _, block in blocks:
        values, ones, disagreement = _alpha_stats(block)
        kappa = _kappa_stats(block[0], block[1]) if two else np.zeros((len(values), 4))
        columns.append(np.column_stack([values, ones, disagreement, kappa]))
    per_unit = np.concatenate(columns, axis=1) if columns else np.zeros((array.shape[1], 0))

    def statistics(weights):
        totals = (weights @ per_unit).reshape(len(weights), len(blocks), 7)
        n, n1, d = totals[:, :, 0], totals[:, :, 1], totals[:, :, 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = np.where((n1 == 0) | (n1 == n), np.nan, 1.0 - (n - 1.0) * d / (2.0 * n1 * (n - n1)))
        kappa = _kappa_from_totals(totals[:, :, 3:].reshape(-1, 4)).reshape(len(weights), len(blocks))
        return np.concatenate([kappa, alpha], axis=1)

    draws = _draws(statistics, array.shape[1], resamples, rng) if array.shape[1] else np.zeros((0, 2 * len(blocks)))
    for position, (scope, ident, block) in enumerate(blocks):
        units = int((_alpha_stats(block)[0] > 0).sum())
        flat = block.reshape(block.shape[0], -1)
        out = {"scope": scope, "id": ident, "label": labels.get(ident, ident), "coders": ", ".join(data.coders),
               "units": units}
        kappa = cohen_kappa(*_paired(flat[0], flat[1])) if two and units else None
        # one response resampled is the same response every time: no interval, not a zero-width one
        low, high = _interval(draws[:, position], level) if two and units > 1 else (None, None)
        out.update(kappa=_round(kappa), kappa_low=_round(low), kappa_high=_round(high))
        alpha = krippendorff_alpha(flat) if units else None
        low, high = _interval(draws[:, len(blocks) + position], level) if units > 1 else (None, None)
        out.update(alpha=_round(alpha), alpha_low=_round(low), alpha_high=_round(high))
        rows.append(out)
    if not two:
        notes.append("Cohen's kappa is for two coders; with more, read Krippendorff's alpha")
    if rows and rows[0]["units"] == 0:
        notes.append(f"no response was coded by two of {', '.join(data.coders)}: nothing to agree on "
                     "(review the same responses, or compare a person with a machine coder)")

    machines = [i for i, c in enumerate(data.coders) if is_machine(c)]
    people = [i for i, c in enumerate(data.coders) if not is_machine(c)]
    if machines and people:
        stats = sum(_kappa_stats(array[m], array[h]) for m in machines for h in people)
        segment_rows = []
        for scope, values in (("group", data.groups), ("region", data.regions)):
            segment_rows += _segments(scope, values, stats, rng, resamples, permutations, level, labels)
        q_values = benjamini_hochberg([r["p"] for r in segment_rows if r["p"] is not None])
        tested = iter(q_values)
        for segment in segment_rows:
            if segment["p"] is not None:
                segment["q"] = _round(next(tested), 4)
                segment["flag"] = "machine agrees less" if segment["q"] < alpha_level and segment["difference"] < 0 else ""
        rows += segment_rows
        if segment_rows:
            notes.append(
                "segments: Cohen's kappa of machine vs people decisions (every code) in the segment vs the rest; "
                f"p = one-sided permutation test ({permutations} shuffles of the segment label), "
                + (f"q = Benjamini-Hochberg over {len(q_values)} segments; flagged where q < {alpha_level}" if q_values
                   else "no segment has enough units inside and outside it to test")
            )
    else:
        notes.append("per group and region: needs a machine coder and a human coder among --coders")
    return AgreementResult(rows, notes)


def _paired(first, second):
    both = ~np.isnan(first) & ~np.isnan(second)
    return first[both], second[both]


def _segments(scope, values, stats, rng, resamples, permutations, level, labels, min_units=5):
    """Machine-vs-people kappa in each segment vs the rest, with a permutation p-value."""
    used = stats[:, 0] > 0
    labels_of = np.array([v if v is not None and v == v else "" for v in values], dtype=object)
    usable = used & (labels_of != "")
    stats, labels_of = stats[usable], labels_of[usable]
    segments = np.array(sorted(set(labels_of)), dtype=object)
    if len(segments) < 2:
        return []
    codes = np.searchsorted(segments, labels_of)
    count = len(segments)
    totals = np.stack([np.bincount(codes, weights=stats[:, j], minlength=count) for j in range(4)], axis=1)
    grand = stats.sum(axis=0)
    observed = _kappa_from_totals(totals) - _kappa_from_totals(grand - totals)
    # one set of label shuffles serves every segment of this scope
    below = np.zeros(count)
    tried = np.zeros(count)
    step = max(1, CHUNK_CELLS // max(len(codes), 1))
    for start in range(0, permutations, step):
        chunk = min(step, permutations - start)
        shuffled = rng.permuted(np.tile(codes, (chunk, 1)), axis=1) + (np.arange(chunk) * count)[:, None]
        sums = np.stack([np.bincount(shuffled.ravel(), weights=np.tile(stats[:, j], chunk), minlength=chunk * count)
                         for j in range(4)], axis=1)
        null = (_kappa_from_totals(sums) - _kappa_from_totals(grand - sums)).reshape(chunk, count)
        below += np.sum(null <= observed[None, :] + 1e-12, axis=0)
        tried += np.sum(~np.isnan(null), axis=0)
    rows = []
    for index, segment in enumerate(segments):
        inside = codes == index
        units = int(inside.sum())
        kappa_in = float(_kappa_from_totals(totals[index:index + 1])[0])
        kappa_out = float(_kappa_from_totals((grand - totals[index])[None, :])[0])
        difference = kappa_in - kappa_out
        members = stats[inside]
        low, high = _interval(_draws(lambda w: _kappa_from_stats(members, w)[:, None], len(members), resamples, rng)[:, 0],
                              level) if len(members) > 1 else (None, None)
        p = None
        if units >= min_units and len(labels_of) - units >= min_units and not np.isnan(difference):
            p = float((1 + below[index]) / (1 + tried[index]))
        rows.append({
            "scope": scope, "id": segment, "label": labels.get(segment, segment), "units": units,
            "kappa": _round(kappa_in), "kappa_low": _round(low), "kappa_high": _round(high),
            "kappa_rest": _round(kappa_out), "difference": _round(difference),
            "p": None if p is None else round(p, 4), "q": None, "flag": "" if p is not None else "too few to test",
        })
    return rows


# ---------------------------------------------------------------- the graph
HUMAN = "human"


def graph_decisions(graph, coders=None, *, question=None):
    """:class:`Decisions` of the graph's coders (codings without a coder are ``human``).

    The unit is a response (or a respondent coded as a whole). A machine coder read
    every response to the questions it coded; people read the units they coded and those they
    answered 'none' in a review (no code applies: "no" for every code).
    """
    from consultgraph.coding.campaigns import require_responses

    codings = graph.codings(coder="all")
    if question is not None:
        codings = codings[codings["question"] == question]
    if not len(codings):
        require_responses(graph, question)  # says what to load when there is no text either
        raise InputError("no codings to compare in this project", file=graph.name,
                         hint="code responses first: `consultgraph code -g PROJECT`, and load people's codings")
    # a learned model is judged by its out-of-fold decisions on the responses it learned from
    frame, trained = in_place_of_trained(coder_units(codings), graph, question)
    # a reviewer's 'none' (no code applies) is a decision too: "no" for every code of that response
    no_code = graph.no_code() if hasattr(graph, "no_code") else {}
    if question is not None and no_code:
        asked_here = set(graph.responses(question)["id"])
        no_code = {r: names for r, names in no_code.items() if r in asked_here}
    available = sorted(set(frame["coder"]) | {name for names in no_code.values() for name in names})
    groups = resolve_coders(coders, available) if coders else families(available)
    # a family's codings count as one coder's: a response coded by both versions counts once
    member = {c: name for name, members in groups.items() for c in members}
    frame["coder"] = frame["coder"].map(member)
    frame = frame[frame["coder"].notna()].drop_duplicates(["unit", "concept", "coder"])
    chosen = list(groups)
    if len(chosen) < 2:
        raise InputError(
            f"agreement needs two coders or more; this project has {len(available)}: {', '.join(available)}",
            field="coders", hint="load another coder's codings, or run `consultgraph code` for a machine coder")
    coverage = []
    answered = {}
    if frame["question"].notna().any() or no_code:
        responses = require_responses(graph, question)
        for q, ids in responses.groupby("question")["id"]:
            answered[q] = list(ids)
    for coder in chosen:
        mine = frame[frame["coder"] == coder]
        if is_machine(coder) and answered:
            for q in mine["question"].dropna().unique():
                coverage += [(u, coder) for u in answered.get(q, ())]
    # a person who answered a review row 'none' read the response and gave it no code
    read = {u for ids in answered.values() for u in ids}
    coverage += [(u, member[n]) for u, names in no_code.items() if u in read for n in names if n in member]
    segments = dict(zip(frame["unit"], zip(frame["group"], frame["region"])))
    if no_code:
        for unit, group, region in zip(responses["id"], responses["group"], responses["region"]):
            segments.setdefault(unit, (group, region))
    triples = zip(frame["unit"], frame["concept"], frame["coder"])
    data = decisions(triples, chosen, coverage=coverage, segments=segments)
    data.held_out = {coder: units & set(data.units) for coder, units in trained.items()
                     if any(covers(name, coder) for name in chosen)}
    # a code belongs to the questions it is used on: responses to other questions say nothing about it
    asked = frame.dropna(subset=["question"])
    if len(asked):
        unit_question = dict(zip(asked["unit"], asked["question"]))
        for (q, ids) in (responses.groupby("question")["id"] if answered else ()):
            unit_question.update(dict.fromkeys(ids, q))
        used_on = asked.groupby("concept")["question"].agg(set).to_dict()
        questions = np.array([unit_question.get(u) for u in data.units], dtype=object)
        for index, code in enumerate(data.codes):
            if code in used_on:
                data.array[:, ~np.isin(questions, list(used_on[code])), index] = np.nan
    return data


def coder_units(codings):
    """Codings with ``unit`` (response, else respondent) and ``coder`` (``human`` where none is named)."""
    frame = codings.copy()
    frame["unit"] = frame["response"].where(frame["response"].notna(), frame["respondent"])
    frame["coder"] = frame["coder"].where(frame["coder"].notna() & (frame["coder"] != ""), HUMAN)
    return frame


def graph_agreement(graph, coders=None, *, question=None, **options):
    """:func:`agreement` of the graph's coders, with concept, group and region labels."""
    data = graph_decisions(graph, coders, question=question)
    result = _labelled_agreement(graph, data, **options)
    learned = {c for c in graph.codings("all")["coder"].dropna().unique() if str(c).startswith("machine:model@")}
    result.notes += held_out_notes(data.held_out, learned | set(data.held_out), data.coders, covers,
                                   any(not is_machine(c) for c in data.coders))
    return result


def _labelled_agreement(graph, data, **options):
    index = graph.concepts
    labels = {i: index[i].label for i in set(data.codes) | set(data.groups) | set(data.regions)
              if i is not None and i in index}
    repeated = {label for label in labels.values() if list(labels.values()).count(label) > 1}
    labels = {i: f"{label} ({i})" if label in repeated else label for i, label in labels.items()}
    return agreement(data, labels=labels, **options)
