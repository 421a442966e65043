"""The shares table: every figure "share of group G that raised concept C" comes from here.

:func:`shares` computes, once per graph, one row per (group, concept, stance): count,
base, what the base is, share, Wilson interval, where the figure comes from (respondent
codings, a published finding and its source line, or votes) and the text every view
shows, made by the one :func:`format_share`. compare, stances, consensus, the graph
page, the charts, the report and the catalogue all read it.

Stances add up: ``raised`` counts a respondent who coded the concept with any stance;
``lead``, ``support``, ``drop`` and ``mention`` are its parts. A published finding keeps
the stance the source printed: a "lead" figure fills a ``raised`` row only as itself,
and its text says so ("41% (30 of 74), stated as lead").
"""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd

from consultgraph.queries.shares_format import (  # noqa: F401  (the shares table's names, used from here by every view)
    COLUMNS, PARTS, RAISED, STANCE_ORDER, VOTE_VALUES, VOTES, format_row, format_share, stance_label,
)
from consultgraph.queries.shares_format import missing as _missing
from consultgraph.queries.shares_format import whole_or_float as _number

_CACHE = weakref.WeakKeyDictionary()


def shares(graph, region=None):
    """The shares table of ``graph`` (computed once per graph and region, then cached).

    One row per (group, concept, stance). Groups with respondent-level codings get rows
    counted from them (a coding of a narrower concept counts for every broader one; a
    group counts its parts' respondents; every concept anyone raised gets a row, zero
    included); groups without codings get the best published finding per cell (numbers
    before words, whole-group bases before subgroups); statements get vote counts.

    Parameters
    ----------
    graph : Consultation
    region : str, optional
        A region id: only respondents based there, or findings about it.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`. ``stance`` is ``raised`` (any stance) or one of its
        parts; ``basis`` is ``respondents``, ``finding`` or ``votes``; ``base_kind`` is
        ``group``, ``subgroup`` or ``not stated``; ``text`` is :func:`format_share`'s.
        Treat it as read-only: it is shared by every caller.

    Examples
    --------
    >>> from consultgraph.loaders import builtin
    >>> table = shares(builtin())
    >>> row = table[(table["group"] == "group/national-entity") & (table["concept"] == "tactic/research")
    ...             & (table["stance"] == "raised")].iloc[0]
    >>> row["text"], row["basis"], int(row["source_line"])
    ('69% (37 of 53)', 'finding', 393)
    """
    per_graph = _CACHE.setdefault(graph, {})
    if region not in per_graph:
        per_graph[region] = _build(graph, region)
    return per_graph[region]


def _build(graph, region):
    coded = _respondent_rows(graph, region)
    coded_groups = set(coded["group"]) if len(coded) else set()
    published = finding_shares(graph)
    published = published[published["region"].isna()] if region is None else published[published["region"] == region]
    published = published[~published["group"].isin(coded_groups)]
    best = _best_findings(published)
    votes = _vote_rows(graph) if region is None else _empty()
    parts = [frame for frame in (coded, best, votes) if len(frame)]
    if not parts:
        return _empty()
    table = pd.concat(parts, ignore_index=True)
    if len(coded):
        table = _zero_fill(table, coded_groups, graph)
    for column in ("count", "base", "source_line", "reported_percent"):
        table[column] = pd.Series([_number(v) for v in table[column]], index=table.index, dtype=object)
    table["text"] = [format_row(row) for row in table.itertuples(index=False)]
    order = table["stance"].map(STANCE_ORDER).fillna(99)
    table = table.assign(_order=order).sort_values(["group", "kind", "concept", "_order"], kind="stable")
    return table.drop(columns="_order")[list(COLUMNS)].reset_index(drop=True)


def _empty():
    return pd.DataFrame({column: pd.Series(dtype=object) for column in COLUMNS})


def _kinds(graph):
    return {c.id: c.kind for c in graph.concepts.concepts}


def _group_lineage(graph, groups):
    """``group -> [group, its broader groups]``: a respondent of a part counts for the whole."""
    index = graph.concepts
    out = {}
    for group in groups:
        if group in index:
            out[group] = [group] + [a for a in index.ancestors(group) if a in index and index[a].kind == "StakeholderGroup"]
    return out


def _membership(graph, people):
    """(respondent, group) pairs: MEMBER_OF, rolled up to broader groups."""
    lineage = _group_lineage(graph, people["group"].dropna().unique())
    frame = pd.DataFrame({"respondent": people["id"].to_numpy(), "group": people["group"].map(lineage).to_numpy()})
    return frame.explode("group").dropna().drop_duplicates()


def _wilson(count, base):
    from consultgraph.queries import stats

    count = pd.to_numeric(count, errors="coerce").to_numpy(dtype=float)
    base = pd.to_numeric(base, errors="coerce").to_numpy(dtype=float)
    ok = ~np.isnan(count) & ~np.isnan(base) & (base > 0)
    low, high = np.full(len(count), np.nan), np.full(len(count), np.nan)
    if ok.any():
        low[ok], high[ok] = stats.wilson_interval(count[ok], base[ok])
    return low, high


def _respondent_rows(graph, region):
    """Rows counted from respondent codings (no zero rows yet).

    The counting (roll-up of codes to broader concepts and of groups to broader groups,
    one respondent once per group, concept and stance) is read from the project's stored
    share counts for the default view, else counted on integer codes:
    :func:`consultgraph.graph.engine.share_counts`.
    """
    from consultgraph.graph.engine import share_counts

    table, bases = share_counts(graph, region=region)
    if not len(table):
        return _empty()
    table["base"] = table["group"].map(bases)
    # groups whose members coded nothing at all here still have a base (zero rows come later)
    table.attrs["bases"] = dict(bases)
    return _respondent_frame(table, _kinds(graph))


def _respondent_frame(table, kinds):
    out = pd.DataFrame({
        "group": table["group"], "concept": table["concept"], "kind": table["concept"].map(kinds),
        "stance": table["stance"], "count": table["count"].astype(int), "base": table["base"].astype(int),
    })
    out["base_kind"] = "group"
    out["share"] = out["count"] / out["base"]
    out["low"], out["high"] = _wilson(out["count"], out["base"])
    out["basis"] = "respondents"
    for column in ("finding", "source_line", "reported_percent", "qualitative", "base_note", "finding_stance"):
        out[column] = None
    out.attrs.update(table.attrs)
    return out


def _zero_fill(table, coded_groups, graph):
    """Respondent-level groups get a zero row for every (concept, stance) another row has."""
    coded = table[table["basis"] == "respondents"]
    bases = coded.groupby("group")["base"].first().to_dict()
    keys = table.loc[table["basis"] != "votes", ["concept", "kind", "stance"]].drop_duplicates()
    grid = keys.merge(pd.DataFrame({"group": sorted(coded_groups)}), how="cross")
    present = pd.MultiIndex.from_frame(coded[["group", "concept", "stance"]])
    missing = grid[~pd.MultiIndex.from_frame(grid[["group", "concept", "stance"]]).isin(present)]
    if not len(missing):
        return table
    zeros = pd.DataFrame({"group": missing["group"], "concept": missing["concept"], "stance": missing["stance"],
                          "count": 0, "base": missing["group"].map(bases)})
    return pd.concat([table, _respondent_frame(zeros, _kinds(graph))], ignore_index=True)


def finding_shares(graph):
    """One row per published share or qualitative finding about a group and a concept.

    The same columns as :func:`shares` (``stance`` is the stance the source printed) plus
    ``region``, ``subgroup``, ``stated_base`` (the base as printed), ``measure`` and ``score`` (how much the finding states: numbers before
    words, a count before a percent, a whole-group base before a subgroup). Percent-only
    findings about a whole group take the group's size as their base. Cached per graph.
    """
    per_graph = _CACHE.setdefault(graph, {})
    if "findings" not in per_graph:
        per_graph["findings"] = _finding_rows(graph)
    return per_graph["findings"]


def _text_or_none(value):
    return value.strip() if isinstance(value, str) and value.strip() else None


def _finding_rows(graph):
    findings = graph.findings()
    sub = findings[findings["measure"].isin(["share", "qualitative"]) & findings["group"].notna()
                   & findings["concept"].notna()]
    if not len(sub):
        out = _empty()
        for column in ("region", "subgroup", "score", "stated_base", "measure"):
            out[column] = pd.Series(dtype=object)
        return out
    sizes = {g: size for g, (size, _) in graph.group_sizes().items()}
    count = sub["count"].astype("Float64")
    stated_base = sub["base"].astype("Float64")
    reported = sub["reported_percent"].astype(float)
    subgroup = sub["base_ref"].notna().to_numpy()
    qualitative = (sub["measure"] == "qualitative").to_numpy()
    group_size = sub["group"].map(sizes).astype("Float64")
    note = sub["base_note"].map(_text_or_none)
    # "38% of NE respondents": the base is the whole group, the count is not stated (a
    # finding whose base note says the base is unclear keeps it unstated)
    fill = (stated_base.isna() & reported.notna() & ~subgroup & group_size.notna() & ~qualitative
            & note.isna().to_numpy())
    base = stated_base.where(~fill, group_size)
    base_kind = np.where(subgroup, "subgroup", np.where(base.notna().to_numpy(dtype=bool), "group", "not stated"))
    note = note.where(~fill.to_numpy(dtype=bool), note.fillna("the whole group (count not stated)"))
    words = [(_text_or_none(n) or _text_or_none(s) or "qualitative") if q else None
             for n, s, q in zip(sub["note"], sub["statement"], qualitative)]
    has_count_base = (count.notna() & base.notna() & (base > 0)).to_numpy(dtype=bool)
    share = np.where(has_count_base, (count / base.where(base > 0)).to_numpy(dtype=float, na_value=np.nan),
                     reported.to_numpy() / 100)
    share = np.where(qualitative, np.nan, share)
    low, high = _wilson(count.where(has_count_base), base.where(has_count_base))
    stance = sub["stance"].where(sub["stance"].notna(), "mention")
    kinds = _kinds(graph)
    out = pd.DataFrame({
        "group": sub["group"].to_numpy(), "concept": sub["concept"].to_numpy(),
        "kind": sub["concept"].map(kinds).to_numpy(), "stance": stance.to_numpy(),
        "count": [_number(v) for v in count], "base": [_number(v) for v in base],
        "base_kind": np.where(qualitative, "not stated", base_kind), "share": share, "low": low, "high": high,
        "basis": "finding", "finding": sub["id"].to_numpy(),
        "source_line": [_number(v) for v in sub["source_line"]],
        "reported_percent": [_number(v) for v in reported], "qualitative": words,
        "base_note": note.to_numpy(), "finding_stance": stance.to_numpy(),
        "region": sub["region"].to_numpy(), "subgroup": subgroup,
        "stated_base": [_number(v) for v in stated_base], "measure": sub["measure"].to_numpy(),
    })
    numbers = (~np.isnan(out["share"].to_numpy(dtype=float))).astype(int)
    out["score"] = (numbers * 8 + out["count"].notna().astype(int) * 4 + out["reported_percent"].notna().astype(int) * 2
                    + (~out["subgroup"]).astype(int))
    out["text"] = [format_row(row) for row in out.itertuples(index=False)]
    return out


def _best_findings(published):
    """The best finding per (group, concept, stance), plus a ``raised`` row per (group, concept).

    A ``mention`` finding is the source saying the group raised the concept, so it fills
    the ``raised`` row; lead / support / drop findings are parts. Where no mention finding
    has numbers, the ``raised`` row shows the best numbered finding of another stance,
    labelled with its stance by :func:`format_share`.
    """
    if not len(published):
        return _empty()
    ranked = published.assign(
        _base=published["base"].fillna(0).astype(float),
        _share=published["share"].fillna(-1).astype(float),
        _numbers=(published["score"] >= 8).astype(int),
        _mention=(published["finding_stance"] == "mention").astype(int),
    )
    parts = ranked[ranked["finding_stance"] != "mention"].sort_values(["score", "_base"], ascending=False, kind="stable")
    parts = parts.drop_duplicates(["group", "concept", "finding_stance"])
    whole = ranked.sort_values(["_numbers", "_mention", "score", "_share", "_base"], ascending=False, kind="stable")
    whole = whole.drop_duplicates(["group", "concept"]).assign(stance=RAISED)
    table = pd.concat([whole, parts], ignore_index=True)
    return table[list(COLUMNS)]


def _vote_rows(graph):
    """Agree / disagree / pass counts per group and statement, over members who voted on it."""
    votes = graph.votes()
    if not len(votes):
        return _empty()
    people = graph.respondents()[["id", "group"]]
    opinion = graph.edges_of("IN_OPINION_GROUP")
    pairs = pd.concat([people, pd.DataFrame({"id": opinion["source"].to_numpy(), "group": opinion["target"].to_numpy()})],
                      ignore_index=True)
    members = _membership(graph, pairs)
    voted = votes.merge(members, on="respondent")
    if not len(voted):
        return _empty()
    voted = voted.assign(stance=voted["vote"].map(VOTE_VALUES))
    counts = voted.groupby(["group", "statement", "stance"]).size().unstack("stance", fill_value=0)
    counts = counts.reindex(columns=list(VOTES), fill_value=0)
    base = counts.sum(axis=1)
    long = counts.stack().rename("count").reset_index()
    long["base"] = long.set_index(["group", "statement"]).index.map(base).to_numpy()
    out = pd.DataFrame({"group": long["group"], "concept": long["statement"], "kind": "Statement",
                        "stance": long["stance"], "count": long["count"].astype(int), "base": long["base"].astype(int)})
    out["base_kind"] = "group"
    out["share"] = out["count"] / out["base"]
    out["low"], out["high"] = _wilson(out["count"], out["base"])
    out["basis"] = "votes"
    for column in ("finding", "source_line", "reported_percent", "qualitative", "finding_stance"):
        out[column] = None
    out["base_note"] = "members who voted on it"
    return out


def cells(graph, region=None):
    """The shares table as ``{(group, kind): {(concept, stance): row dict}}`` (cached like :func:`shares`).

    For callers that look cells up one by one (compare, the report) without filtering a
    DataFrame each time.
    """
    per_graph = _CACHE.setdefault(graph, {})
    key = ("cells", region)
    if key not in per_graph:
        index = {}
        for row in shares(graph, region).to_dict("records"):
            clean = {k: (None if _missing(v) else v) for k, v in row.items()}
            index.setdefault((row["group"], row["kind"]), {})[(row["concept"], row["stance"])] = clean
        per_graph[key] = index
    return per_graph[key]


def cell(table, group, concept, stance):
    """The row of ``table`` for one (group, concept, stance) as a dict, or None."""
    rows = table[(table["group"] == group) & (table["concept"] == concept) & (table["stance"] == stance)]
    return None if not len(rows) else rows.iloc[0].to_dict()
