"""Pol.is's opinion math on a vote matrix: consensus, representative statements (opinion groups
are in :mod:`~consultgraph.queries.opinion_groups`).

Pure functions on a participants x statements frame of 1 (agree), -1 (disagree), 0 (pass)
and NaN (not seen); :func:`vote_matrix` builds one from a :class:`~consultgraph.loaders.polis.PolisExport`.

What follows the Pol.is math service (compdemocracy/polis, ``math/src/polismath/math``)
and what does not:

* :func:`~consultgraph.queries.opinion_groups.opinion_groups` follows ``conversation.clj``, ``pca.clj`` and ``clusters.clj``:
  moderated-out statements are zeroed rather than dropped, missing votes are imputed
  with the column mean, two principal components are taken from *all* voters, each
  projection is scaled by ``sqrt(n_statements / n_seen)``, participants with at least
  ``min(7, n_statements)`` votes are clustered into (at most) 100 base clusters, and
  those are grouped by weighted k-means for k = 2..5 chosen by silhouette. Pol.is
  re-clusters incrementally from its previous clusters and smooths k over updates;
  an export carries no such history, so we start afresh with k-means++ and, to make the
  answer depend less on the seed, run the whole clustering ``n_runs`` times and keep
  the run that agrees best with the others (our addition; ``n_runs=1`` turns it off).
* :func:`group_informed_consensus` is ``group-aware-consensus`` in ``conversation.clj``.
* :func:`repness` and :func:`representative_statements` are ``repness.clj`` with the
  z-tests of ``stats.clj``.
* :func:`divisive_statements` and :func:`uncertain_statements` are ours; the second
  uses the cut-off and ordering of the Pol.is report's "areas of uncertainty".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from consultgraph.errors import InputError

__all__ = [
    "vote_matrix",
    "group_informed_consensus",
    "repness",
    "representative_statements",
    "divisive_statements",
    "uncertain_statements",
    "prop_test",
    "two_prop_test",
    "Z_90",
]

#: One-sided 90% threshold of Pol.is's z-tests (``z-sig-90?`` in ``stats.clj``).
Z_90 = 1.2816


# -- the matrix --------------------------------------------------------------------


def vote_matrix(export, include_moderated=False):
    """Participants x statements: 1 agree, -1 disagree, 0 pass, NaN not seen.

    Parameters
    ----------
    export : PolisExport
        From :func:`consultgraph.loaders.polis.read_polis_export` (latest votes only).
    include_moderated : bool, default False
        Keep statements a moderator rejected (``moderated == -1``). To reproduce Pol.is's
        opinion groups, include them and pass ``export.moderated_out`` to
        :func:`opinion_groups`, which treats them the way Pol.is does.

    Returns
    -------
    pandas.DataFrame
        Float values; rows are every participant who voted (sorted ids; a row is all NaN
        when its only votes were on excluded statements), columns every statement with
        at least one vote among those kept (sorted ids).
    """
    votes = export.votes
    kept = votes if include_moderated else votes[~votes["statement"].isin(export.moderated_out)]
    matrix = kept.pivot(index="participant", columns="statement", values="vote").astype(float)
    matrix = matrix.reindex(index=np.sort(votes["participant"].unique())).sort_index(axis=1)
    matrix.index.name, matrix.columns.name = "participant", "statement"
    return matrix


def check_matrix(matrix):
    """The matrix's values as a float array; a value other than 1, -1, 0 or NaN raises."""
    if not isinstance(matrix, pd.DataFrame):
        raise InputError("a vote matrix must be a pandas DataFrame of participants x statements")
    values = matrix.to_numpy(dtype=float)
    bad = ~(np.isnan(values) | np.isin(values, (-1.0, 0.0, 1.0)))
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise InputError(
            f"vote {values[row, column]:g} of participant {matrix.index[row]} on statement "
            f"{matrix.columns[column]} is not one of 1, -1, 0 or NaN",
            field="vote",
            hint="1 = agree, -1 = disagree, 0 = pass, NaN = not seen",
        )
    return values


def _group_members(matrix, groups):
    """{group: row positions in matrix} for participants with a group (sorted groups)."""
    groups = pd.Series(groups).dropna()
    groups = groups[groups.index.isin(matrix.index)]
    position = pd.Series(np.arange(len(matrix)), index=matrix.index)
    return {g: position[ids].to_numpy() for g, ids in sorted(groups.groupby(groups).groups.items())}


def _counts(values, rows):
    """Agree, disagree and seen (agree + disagree + pass) counts per statement for ``rows``."""
    part = values[rows]
    return (part == 1).sum(axis=0), (part == -1).sum(axis=0), (~np.isnan(part)).sum(axis=0)


# -- statistics per statement ------------------------------------------------------


def group_informed_consensus(matrix, groups, direction="agree"):
    """Pol.is's group-informed consensus of each statement.

    For each statement, the product over groups of ``(A + 1) / (S + 2)``, where ``A`` is
    the number of the group's members who agreed and ``S`` the number who voted on it
    at all: agree, disagree *or pass* (Pol.is's ``S`` counts every vote cast,
    ``group-aware-consensus`` in ``conversation.clj``). A statement scores high only
    when every group tends to agree. Participants without a group are left out.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Participants x statements (1, -1, 0, NaN).
    groups : pandas.Series
        Participant -> group (NaN = no group), e.g. ``OpinionGroups.groups`` or
        Pol.is's ``polis_group``.
    direction : {"agree", "disagree"}
        ``"disagree"`` uses disagrees ``D`` in place of ``A`` (shared rejection).

    Returns
    -------
    pandas.Series
        Statement -> consensus in (0, 1).

    Examples
    --------
    Group 0 (two members) both agree with statement 10; group 1 has one agree and
    one pass: (2 + 1) / (2 + 2) * (1 + 1) / (2 + 2) = 0.375.

    >>> import numpy as np, pandas as pd
    >>> matrix = pd.DataFrame({10: [1, 1, 1, 0], 11: [1, -1, np.nan, -1]}, index=[1, 2, 3, 4])
    >>> groups = pd.Series({1: 0, 2: 0, 3: 1, 4: 1})
    >>> group_informed_consensus(matrix, groups).round(4).tolist()
    [0.375, 0.1667]
    """
    if direction not in ("agree", "disagree"):
        raise InputError(f"direction '{direction}' is not 'agree' or 'disagree'", field="direction")
    values = check_matrix(matrix)
    consensus = np.ones(values.shape[1])
    for rows in _group_members(matrix, groups).values():
        agree, disagree, seen = _counts(values, rows)
        consensus *= ((agree if direction == "agree" else disagree) + 1) / (seen + 2)
    return pd.Series(consensus, index=matrix.columns, name="group_informed_consensus")


def prop_test(successes, trials):
    """Pol.is's one-proportion z-score against 1/2, with a pseudo-count (``stats.clj``).

    ``2 * sqrt(n + 1) * ((s + 1) / (n + 1) - 0.5)``; vectorised.

    >>> round(float(prop_test(9, 10)), 4)
    2.7136
    """
    successes, trials = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)
    return 2 * np.sqrt(trials + 1) * ((successes + 1) / (trials + 1) - 0.5)


def two_prop_test(successes_in, successes_out, trials_in, trials_out):
    """Pol.is's two-proportion z-score (in > out), every count plus one (``stats.clj``).

    Returns 0 where the pooled proportion is 1; vectorised.

    >>> round(float(two_prop_test(8, 2, 10, 10)), 4)
    2.569
    """
    s1, s2, n1, n2 = (np.asarray(x, dtype=float) + 1 for x in (successes_in, successes_out, trials_in, trials_out))
    pooled = (s1 + s2) / (n1 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (s1 / n1 - s2 / n2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return np.where(pooled == 1, 0.0, z)


def repness(matrix, groups):
    """How representative each statement is of each group, as Pol.is computes it.

    For a group and a statement (Pol.is's abbreviation in brackets): ``n_agree`` (na),
    ``n_disagree`` (nd), ``n_votes`` (ns, passes included) among the group's members;
    ``p_agree`` (pa) = (na + 1) / (ns + 2) and ``p_disagree`` (pd); their z-scores
    against 1/2, ``p_agree_test`` (pat) and ``p_disagree_test`` (pdt); the same counts
    for the members of the *other* groups (``*_rest``); the ratios ``r_agree`` (ra) =
    pa / pa_rest and ``r_disagree`` (rd); and the two-proportion z-scores
    ``r_agree_test`` (rat) and ``r_disagree_test`` (rdt). ``repful_for`` is "agree" when
    rat > rdt, else "disagree", and ``repness``, ``repness_test``, ``p_success``,
    ``p_test``, ``n_success`` are the figures for that direction; ``metric`` is their
    product ``repness * repness_test * p_success * p_test``, Pol.is's sort key.
    ``significant`` is Pol.is's ``passes-by-test?``: both the group's own z and the
    comparison z exceed :data:`Z_90` (90% one-sided) for agree, or both for disagree.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Participants x statements (1, -1, 0, NaN).
    groups : pandas.Series
        Participant -> group (NaN = no group).

    Returns
    -------
    pandas.DataFrame
        One row per group and statement (groups, then statements, ascending).

    Examples
    --------
    >>> import pandas as pd
    >>> matrix = pd.DataFrame({7: [1, 1, 1, -1, -1, -1]}, index=range(6))
    >>> groups = pd.Series([0, 0, 0, 1, 1, 1], index=range(6))
    >>> table = repness(matrix, groups)
    >>> table[["group", "statement", "repful_for", "n_success", "n_votes"]].values.tolist()
    [[0, 7, 'agree', 3, 3], [1, 7, 'disagree', 3, 3]]
    >>> table["p_success"].round(2).tolist()
    [0.8, 0.8]
    """
    values = check_matrix(matrix)
    members = _group_members(matrix, groups)
    counts = {g: _counts(values, rows) for g, rows in members.items()}
    total = [sum(c[i] for c in counts.values()) for i in range(3)] if counts else [0, 0, 0]
    frames = []
    for g, (na, nd, ns) in counts.items():
        na_rest, nd_rest, ns_rest = total[0] - na, total[1] - nd, total[2] - ns
        pa, pd_ = (na + 1) / (ns + 2), (nd + 1) / (ns + 2)
        ra = pa / ((na_rest + 1) / (ns_rest + 2))
        rd = pd_ / ((nd_rest + 1) / (ns_rest + 2))
        pat, pdt = prop_test(na, ns), prop_test(nd, ns)
        rat, rdt = two_prop_test(na, na_rest, ns, ns_rest), two_prop_test(nd, nd_rest, ns, ns_rest)
        agree = rat > rdt
        frame = pd.DataFrame(
            {
                "group": g,
                "statement": matrix.columns,
                "n_agree": na,
                "n_disagree": nd,
                "n_votes": ns,
                "n_agree_rest": na_rest,
                "n_disagree_rest": nd_rest,
                "n_votes_rest": ns_rest,
                "p_agree": pa,
                "p_disagree": pd_,
                "p_agree_test": pat,
                "p_disagree_test": pdt,
                "r_agree": ra,
                "r_disagree": rd,
                "r_agree_test": rat,
                "r_disagree_test": rdt,
                "repful_for": np.where(agree, "agree", "disagree"),
                "n_success": np.where(agree, na, nd),
                "p_success": np.where(agree, pa, pd_),
                "p_test": np.where(agree, pat, pdt),
                "repness": np.where(agree, ra, rd),
                "repness_test": np.where(agree, rat, rdt),
            }
        )
        frame["metric"] = frame["repness"] * frame["repness_test"] * frame["p_success"] * frame["p_test"]
        frame["significant"] = ((rat > Z_90) & (pat > Z_90)) | ((rdt > Z_90) & (pdt > Z_90))
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["group", "statement", "repful_for", "metric", "significant"])
    return pd.concat(frames, ignore_index=True)


def _beats_best_agree(row, best):
    """Pol.is's ``beats-best-agr?``: a better "what this group agrees on" statement."""
    if row.n_agree == 0 and row.n_disagree == 0:
        return False
    if best is not None and best.r_agree > 1.0:
        return (row.r_agree * row.r_agree_test * row.p_agree * row.p_agree_test) > (
            best.r_agree * best.r_agree_test * best.p_agree * best.p_agree_test
        )
    if best is not None:
        return row.p_agree * row.p_agree_test > best.p_agree * best.p_agree_test
    return row.p_agree_test > Z_90 or (row.r_agree > 1.0 and row.p_agree > 0.5)


def _as_agree(row):
    """The row reported in its agree direction (what a best-agree statement was chosen for)."""
    return row._replace(
        repful_for="agree",
        n_success=row.n_agree,
        p_success=row.p_agree,
        p_test=row.p_agree_test,
        repness=row.r_agree,
        repness_test=row.r_agree_test,
        metric=row.r_agree * row.r_agree_test * row.p_agree * row.p_agree_test,
    )


def representative_statements(table, pick_max=5):
    """Pick each group's representative statements from :func:`repness`, as Pol.is does.

    Following ``select-rep-comments`` in ``repness.clj``: a group's candidates are its
    ``significant`` statements, sorted by ``metric``; the group's best agree statement
    (``beats-best-agr?``) is put first; the first ``pick_max`` are kept and agrees are
    listed before disagrees. A group with no significant statement gets one: its best
    agree statement, or else the statement with the highest comparison z-score.

    One deliberate difference: Pol.is labels the best agree statement by whichever of
    its comparison z-scores is larger, which can file a statement the whole group agreed
    with under "disagree" (when the other groups agreed as much). We report it, with its
    agree figures, as "agree", which is what it was chosen for.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`repness` (already without moderated-out statements, or filter first).
    pick_max : int, default 5

    Returns
    -------
    pandas.DataFrame
        The chosen rows of ``table`` with ``rank`` (1 = first shown) and ``best_agree``.

    Examples
    --------
    Statement 7 splits two groups of three; everybody agrees with statement 8. Group 0's
    pick is 7; group 1 is shown 8 first (what it agrees on), then 7 (what it rejects).

    >>> import pandas as pd
    >>> matrix = pd.DataFrame({7: [1, 1, 1, -1, -1, -1], 8: [1, 1, 1, 1, 1, 1]}, index=range(6))
    >>> groups = pd.Series([0, 0, 0, 1, 1, 1], index=range(6))
    >>> picked = representative_statements(repness(matrix, groups))
    >>> picked[["group", "rank", "statement", "repful_for", "best_agree"]].values.tolist()
    [[0, 1, 7, 'agree', True], [1, 1, 8, 'agree', True], [1, 2, 7, 'disagree', False]]
    """
    chosen = []
    for group, rows in table.groupby("group", sort=True):
        sufficient, best, best_agree = [], None, None
        for row in rows.sort_values("statement", kind="mergesort").itertuples(index=False):
            if row.significant:
                sufficient.append(row)
            if not sufficient and (best is None or max(row.r_agree_test, row.r_disagree_test) > best.repness_test):
                best = row
            if _beats_best_agree(row, best_agree):
                best_agree = row
        if best_agree is not None:
            best_agree = _as_agree(best_agree)
        head = [best_agree] if best_agree is not None else ([best] if best is not None else [])
        if not sufficient:
            picked = head
        else:
            skip = None if best_agree is None else best_agree.statement
            ranked = sorted((r for r in sufficient if r.statement != skip), key=lambda r: -r.metric)
            picked = ([best_agree] if best_agree is not None else []) + ranked
            picked = picked[:pick_max]
            picked = [r for r in picked if r.repful_for == "agree"] + [r for r in picked if r.repful_for != "agree"]
        for rank, row in enumerate(picked, start=1):
            record = row._asdict()
            record["rank"] = rank
            record["best_agree"] = best_agree is not None and row.statement == best_agree.statement
            chosen.append(record)
    columns = ["group", "rank", "statement", "best_agree"] + [c for c in table.columns if c not in ("group", "statement")]
    return pd.DataFrame(chosen, columns=columns)


def divisive_statements(matrix, groups, min_votes=1):
    """Statements on which opinion groups differ most.

    For each group, the pseudo-counted agree probability ``(agrees + 1) / (votes + 2)``
    (Pol.is's ``pa``; votes include passes); a statement's ``spread`` is the largest
    minus the smallest of these over groups. The pseudo-count keeps a group of two
    voters from producing a spread near 1. Raw counts are given so that shares can be
    shown with their base.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Participants x statements (1, -1, 0, NaN).
    groups : pandas.Series
        Participant -> group (NaN = no group).
    min_votes : int, default 1
        Leave out statements on which some group cast fewer votes.

    Returns
    -------
    pandas.DataFrame
        Indexed by statement, largest ``spread`` first: ``spread``,
        ``most_agreeing_group``, ``least_agreeing_group`` and, for each group g,
        ``n_agree_g``, ``n_votes_g`` and ``agree_share_g`` (agrees / votes).

    Examples
    --------
    >>> import pandas as pd
    >>> matrix = pd.DataFrame({1: [1, 1, -1, -1], 2: [1, 1, 1, 1]}, index=range(4))
    >>> groups = pd.Series([0, 0, 1, 1], index=range(4))
    >>> divisive_statements(matrix, groups)["spread"].round(2).to_dict()
    {1: 0.5, 2: 0.0}
    """
    values = check_matrix(matrix)
    members = _group_members(matrix, groups)
    out = pd.DataFrame(index=pd.Index(matrix.columns, name="statement"))
    probabilities = {}
    for g, rows in members.items():
        agree, _, seen = _counts(values, rows)
        out[f"n_agree_{g}"] = agree
        out[f"n_votes_{g}"] = seen
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"agree_share_{g}"] = np.where(seen > 0, agree / np.maximum(seen, 1), np.nan)
        probabilities[g] = (agree + 1) / (seen + 2)
    if not probabilities:
        return out.iloc[:0].assign(spread=0.0, most_agreeing_group=0, least_agreeing_group=0)
    table = pd.DataFrame(probabilities, index=out.index)
    out.insert(0, "spread", table.max(axis=1) - table.min(axis=1))
    out.insert(1, "most_agreeing_group", table.idxmax(axis=1))
    out.insert(2, "least_agreeing_group", table.idxmin(axis=1))
    enough = np.all([out[f"n_votes_{g}"] >= min_votes for g in members], axis=0)
    out = out[enough]
    return out.sort_values(["spread"], ascending=False, kind="mergesort")


def uncertain_statements(matrix, threshold=0.3):
    """Statements many participants passed on: Pol.is report's "areas of uncertainty".

    ``pass_share`` = passes / votes (agree + disagree + pass). Statements with a share
    above ``threshold`` are kept and ordered by ``score`` = pass_share² x passes, the
    Pol.is report's order (it shows the first five).

    Parameters
    ----------
    matrix : pandas.DataFrame
        Participants x statements (1, -1, 0, NaN).
    threshold : float, default 0.3
        Strictly more than this share of votes must be passes.

    Returns
    -------
    pandas.DataFrame
        Indexed by statement: ``n_votes``, ``n_agree``, ``n_disagree``, ``n_pass``,
        ``pass_share``, ``score``; highest score first.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> matrix = pd.DataFrame({1: [0, 0, 1, np.nan], 2: [1, 1, -1, 0]}, index=range(4))
    >>> uncertain_statements(matrix)[["n_pass", "n_votes"]].values.tolist()
    [[2, 3]]
    """
    values = check_matrix(matrix)
    out = pd.DataFrame(index=pd.Index(matrix.columns, name="statement"))
    out["n_votes"] = (~np.isnan(values)).sum(axis=0)
    out["n_agree"] = (values == 1).sum(axis=0)
    out["n_disagree"] = (values == -1).sum(axis=0)
    out["n_pass"] = (values == 0).sum(axis=0)
    out["pass_share"] = out["n_pass"] / out["n_votes"].where(out["n_votes"] > 0)
    out["score"] = out["pass_share"] ** 2 * out["n_pass"]
    out = out[out["pass_share"] > threshold]
    return out.sort_values("score", ascending=False, kind="mergesort")
