"""Consensus and contention across stakeholder groups.

Consensus: concepts that every compared group raises at or above a threshold share.
Contention: concepts where one group splits on stance (many say lead, many say support
or drop), votes that divide, and what the source itself calls contentious; a large
difference in mention rates between groups is reported as "mentioned more often" when
the questions were open-ended (a low share is not disagreement), as contention otherwise. Both work on the rows of
:func:`consultgraph.queries.compare.compare`, so bases and tests come with them.
"""

from __future__ import annotations

from consultgraph.errors import InputError
from consultgraph.queries.compare import compare, resolve_groups

#: Default share every group must reach for consensus.
CONSENSUS_SHARE = 0.5
#: Default difference (percentage points) between groups that counts as contention.
CONTENTION_POINTS = 20.0
#: A stance split: the smaller of two stances is at least this fraction of the larger.
SPLIT_RATIO = 0.5


class Assessment(list):
    """Rows of :func:`consensus` or :func:`contention`, with the parameters they were found
    with (the report prints them) and the source's caveats that apply."""

    def __init__(self, rows=(), *, parameters=None, caveats=(), notes=()):
        super().__init__(rows)
        self.parameters = dict(parameters or {})
        self.caveats = list(caveats)
        self.notes = list(notes)

    def describe(self):
        """The parameters as one line: 'groups partner, national-entity; by tactic; ...'."""
        return "; ".join(f"{k} {v}" for k, v in self.parameters.items() if v not in (None, ""))


def _source_assessments(graph, groups, by, assessment):
    """Findings the source itself marks as consensus/contention, for these groups."""
    from consultgraph.queries.compare import BY_KINDS

    findings = graph.findings()
    wanted = findings[(findings["assessment"] == assessment) & findings["group"].isin(groups)]
    if by is not None:
        wanted = wanted[wanted["concept_kind"].isna() | (wanted["concept_kind"] == BY_KINDS[by])]
    rows = []
    for row in wanted.itertuples():
        rows.append({
            "concept": row.concept,
            "label": row.concept_label or "",
            "kind": assessment,
            "reason": f"the source says so (line {row.source_line}): {row.statement or ''}".strip(),
            "groups": graph.concepts[row.group].label,
        })
    return rows


def _vote_setup(graph, groups):
    """The vote matrix and the participant -> group series for the given groups."""
    import pandas as pd

    group_ids = resolve_groups(graph, groups)
    votes = graph.votes()
    matrix = votes.pivot_table(index="respondent", columns="statement", values="vote", aggfunc="last").astype(float)
    membership = {}
    for group in group_ids:
        for member in graph.members(group):
            if member in membership:
                raise InputError(f"'{member}' is in two of the compared groups; compare disjoint groups",
                                 field="groups")
            membership[member] = group
    series = pd.Series(membership, dtype=object)
    series = series[series.index.isin(matrix.index)]
    return group_ids, matrix, series


def _statement_text(graph):
    table = graph.table("Statement")
    return dict(zip(table["id"], table["text"]))


def vote_consensus(graph, groups, *, top=10):
    """Pol.is group-informed consensus: statements every opinion group tends to agree with."""
    from consultgraph.queries.opinion import group_informed_consensus

    group_ids, matrix, series = _vote_setup(graph, groups)
    scores = group_informed_consensus(matrix, series).sort_values(ascending=False)
    texts = _statement_text(graph)
    labels = {g: graph.concepts[g].label for g in group_ids}
    cells = _agree_cells(graph, group_ids)
    out = []
    for statement, score in (scores.head(top) if top else scores).items():
        row = {"concept": statement, "label": texts.get(statement, statement), "consensus": float(score)}
        for group in group_ids:
            row[labels[group]] = cells.get(group, {}).get(statement, "no votes")
        row["reason"] = "group-informed consensus: product over groups of (agrees + 1) / (votes + 2)"
        out.append(row)
    return out


def _agree_cells(graph, group_ids):
    """{group: {statement: text}}: agree shares from the shares table."""
    from consultgraph.queries.shares import shares

    table = shares(graph)
    agree = table[(table["stance"] == "agree") & table["group"].isin(group_ids)]
    return {g: dict(zip(mine["concept"], mine["text"])) for g, mine in agree.groupby("group")}


def vote_contention(graph, groups, *, top=10, uncertain_threshold=0.3):
    """Divisive statements (opinion groups' agree rates far apart) and uncertain ones (many passes)."""
    from consultgraph.queries.opinion import divisive_statements, uncertain_statements

    group_ids, matrix, series = _vote_setup(graph, groups)
    texts = _statement_text(graph)
    labels = {g: graph.concepts[g].label for g in group_ids}
    cells = _agree_cells(graph, group_ids)
    out = []
    divisive = divisive_statements(matrix, series)
    for statement, row in (divisive.head(top) if top else divisive).iterrows():
        entry = {"concept": statement, "label": texts.get(statement, statement), "kind": "divisive",
                 "spread": float(row["spread"])}
        for group in group_ids:
            entry[labels[group]] = cells.get(group, {}).get(statement, "no votes")
        entry["reason"] = (f"agree rates {labels.get(row['most_agreeing_group'], row['most_agreeing_group'])} vs "
                           f"{labels.get(row['least_agreeing_group'], row['least_agreeing_group'])} far apart")
        out.append(entry)
    uncertain = uncertain_statements(matrix[matrix.index.isin(series.index)], threshold=uncertain_threshold)
    for statement, row in (uncertain.head(top) if top else uncertain).iterrows():
        out.append({"concept": statement, "label": texts.get(statement, statement), "kind": "uncertain",
                    "spread": None, "reason": f"{int(row['n_pass'])} of {int(row['n_votes'])} votes were passes"})
    return out


def consensus(graph, groups, by="theme", *, threshold=CONSENSUS_SHARE, stance=None, min_base=0, top=None):
    """Concepts every group raises at ``threshold`` share or more (and what the source calls consensus).

    Returns rows: ``concept, label, stance, <group label> (cell), lowest_share, reason``,
    highest first; ``top`` keeps the first N (0: all; default all, 10 for statements).

    Examples
    --------
    >>> from consultgraph.loaders import builtin
    >>> rows = consensus(builtin(), "partner,national-entity", by="tactic", threshold=0.5)
    >>> all(r["lowest_share"] >= 0.5 for r in rows if r["lowest_share"] is not None)
    True
    """
    if by == "statement":
        return Assessment(vote_consensus(graph, groups, top=10 if top is None else top),
                          parameters={"groups": groups, "by": by})
    group_ids = resolve_groups(graph, groups)
    # the whole (any stance) unless a part is asked for: a part row would repeat it
    result = compare(graph, group_ids, by, stance=stance or "raised", min_base=min_base, sort="concept")
    out = []
    for row in result.rows:
        shares = [row.get(f"{g}.share") for g in group_ids]
        if any(s is None for s in shares):
            continue
        lowest = min(shares)
        if lowest >= threshold:
            entry = {"concept": row["concept"], "label": row["label"], "stance": row["stance"]}
            entry.update({result.group_labels[g]: row[f"{g}.cell"] for g in group_ids})
            entry["lowest_share"] = lowest
            entry["reason"] = f"every group at {threshold:.0%} or more"
            if row["flags"]:
                entry["reason"] += f" ({row['flags']})"
            out.append(entry)
    out.sort(key=lambda r: -r["lowest_share"])
    for extra in _source_assessments(graph, group_ids, by, "consensus"):
        out.append({"concept": extra["concept"], "label": extra["label"], "stance": None,
                    "lowest_share": None, "reason": f"{extra['groups']}: {extra['reason']}"})
    parameters = {"groups": ",".join(g.split("/")[-1] for g in group_ids), "by": by, "threshold": threshold,
                  "stance": stance or "raised", "min_base": min_base}
    return Assessment(out[:top] if top else out, parameters=parameters, caveats=result.caveats)


def contention(graph, groups, by="theme", *, min_difference=CONTENTION_POINTS, split_ratio=SPLIT_RATIO, min_base=0,
               top=None):
    """Concepts the groups split on: between groups, by stance within a group, or as the source says.

    Differences between groups need two groups with a share; a group without a figure
    is shown as such ("not reported") and does not hide the others. Where the questions
    were open-ended (the dataset says so), a difference in mention rates is not
    disagreement: such rows are of kind ``mentioned more often`` and the caveat comes
    with them; ``between-groups`` is kept for closed questions. Real disagreement is a
    ``stance-split`` (many say lead, many support or drop), votes, or the ``source``
    calling it contested. ``top`` keeps the first N (0: all; default all, 10 of each
    kind for statements).

    Returns
    -------
    Assessment
        Rows: ``concept, label, kind, stance, <group label> (cell), difference_points,
        q_value, reason``; ``.parameters`` and ``.caveats``.

    Examples
    --------
    >>> from consultgraph.loaders import builtin
    >>> rows = contention(builtin(), "partner,national-entity", by="tactic")
    >>> next(r["kind"] for r in rows if r["concept"] == "tactic/research")
    'mentioned more often'
    """
    from consultgraph.queries.metadata import dataset_metadata

    if by == "statement":
        return Assessment(vote_contention(graph, groups, top=10 if top is None else top),
                          parameters={"groups": groups, "by": by})
    limit = top  # the stance-split loop below reuses the name ``top``
    group_ids = resolve_groups(graph, groups)
    result = compare(graph, group_ids, by, min_base=min_base, sort="divergence")
    labels = result.group_labels
    open_ended = dataset_metadata(graph).question_type != "closed"
    out = []
    for row in result.rows:
        shares = {g: row[f"{g}.share"] for g in group_ids if row.get(f"{g}.share") is not None}
        if len(shares) < 2 or row.get("stances_differ"):
            continue
        diff = row["difference_points"]
        if diff is None:  # a group without a figure: the difference between those with one
            diff = round((max(shares.values()) - min(shares.values())) * 100, 1)
        if abs(diff) < min_difference:
            continue
        most = max(shares, key=shares.get)
        entry = {"concept": row["concept"], "label": row["label"],
                 "kind": "mentioned more often" if open_ended else "between-groups", "stance": row["stance"]}
        entry.update({labels[g]: row[f"{g}.cell"] for g in group_ids})
        entry["difference_points"] = diff
        entry["q_value"] = row["q_value"]
        significant = row["q_value"] is not None and row["q_value"] < 0.05
        lead = f"mentioned more often by {labels[most]}" if open_ended else f"higher share: {labels[most]}"
        entry["reason"] = f"{lead}, {abs(diff):.0f} points apart" + (" (q < 0.05)" if significant else "")
        missing = [labels[g] for g in group_ids if g not in shares]
        if missing:
            entry["reason"] += f"; no figure for {', '.join(missing)}"
        if row["flags"]:
            entry["reason"] += f"; {row['flags']}"
        out.append(entry)
    # stance splits within a group: two stances each held by many
    by_concept = {}
    for row in result.rows:
        if row["stance"] in ("lead", "support", "drop"):
            by_concept.setdefault(row["concept"], []).append(row)
    for concept, rows in by_concept.items():
        for group in group_ids:
            shares = {r["stance"]: r.get(f"{group}.share") for r in rows if r.get(f"{group}.share")}
            if len(shares) < 2:
                continue
            ordered = sorted(shares.items(), key=lambda kv: -kv[1])
            (top, top_share), (second, second_share) = ordered[0], ordered[1]
            if second_share >= split_ratio * top_share:
                cells = {r["stance"]: r[f"{group}.cell"] for r in rows}
                out.append({
                    "concept": concept,
                    "label": rows[0]["label"],
                    "kind": "stance-split",
                    "stance": f"{top}/{second}",
                    labels[group]: f"{top}: {cells[top]}; {second}: {cells[second]}",
                    "difference_points": round((top_share - second_share) * 100, 1),
                    "q_value": None,
                    "reason": f"{labels[group]} split between {top} and {second}",
                })
    for extra in _source_assessments(graph, group_ids, by, "contention"):
        out.append({"concept": extra["concept"], "label": extra["label"], "kind": "source",
                    "reason": f"{extra['groups']}: {extra['reason']}"})
    parameters = {"groups": ",".join(g.split("/")[-1] for g in group_ids), "by": by,
                  "min_difference": min_difference, "split_ratio": split_ratio, "min_base": min_base}
    return Assessment(out[:limit] if limit else out, parameters=parameters, caveats=result.caveats)
