"""Campaigns: near-duplicate and template responses, found with MinHash LSH and checked with rapidfuzz.

Word-pair shingles of every response are MinHashed (numpy, seeded, stable across runs),
LSH bands (the bands and rows ``datasketch.MinHashLSH`` would choose) propose candidates,
candidates sharing a bucket are joined into components, and each member is kept only if its text is close to the component's template by
rapidfuzz's similarity ratio. :func:`campaign_batch` turns the result into Campaign nodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

_WORD = re.compile(r"\w+")
_PRIME = (1 << 61) - 1
_MASK32 = (1 << 32) - 1


@dataclass(frozen=True)
class Campaign:
    """A set of responses that share a template.

    ``representative`` is the member whose text is the template (the response every
    member is checked against); ``similarities`` are the members' ratios to it (0-100),
    in the order of ``members``.
    """

    id: str
    members: tuple
    representative: str
    similarities: tuple
    template: str

    @property
    def similarity(self):
        """The lowest member's ratio to the template."""
        return min(self.similarities)

    @property
    def size(self):
        return len(self.members)


def words(text):
    """Case-folded words of ``text``.

    Examples
    --------
    >>> words("Ban the ADS, now!")
    ['ban', 'the', 'ads', 'now']
    """
    return _WORD.findall(str(text).casefold())


def signatures(texts, *, num_perm=64, shingle=2, seed=1, chunk=1 << 21, folded=False):
    """MinHash signatures (``len(texts) x num_perm``, uint32) of word shingles, vectorised.

    Words get ids in order of first appearance (so the same texts give the same
    signatures in every process: Python's own string hash is salted per run); a
    shingle is ``shingle`` consecutive word ids; each permutation is a multiply-shift
    hash of it. A text shorter than ``shingle`` words is hashed as one shingle; an
    empty text keeps the all-ones signature. ``folded=True`` says ``texts`` are already
    lists of case-folded words (as :func:`find_campaigns` passes them).

    Examples
    --------
    >>> sig = signatures(["a b c d", "A b c d", "w x y z"], num_perm=8)
    >>> bool((sig[0] == sig[1]).all()), bool((sig[0] == sig[2]).any())
    (True, False)
    """
    import pandas as pd

    tokens = texts if folded else [words(t) for t in texts]
    lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
    flat = pd.Series([w for t in tokens for w in t], dtype=object)
    ids = pd.factorize(flat, sort=False)[0].astype(np.uint64) + np.uint64(1)
    owner = np.repeat(np.arange(len(texts)), lengths)
    values = ids.copy()
    whole = np.ones(len(ids), dtype=bool)
    for k in range(1, shingle):
        # the shingle starting at word i: ids i .. i+k, all in the same text
        shifted = np.r_[ids[k:], np.zeros(k, dtype=np.uint64)]
        whole &= np.r_[owner[k:] == owner[:-k], np.zeros(k, dtype=bool)]
        values = values * np.uint64(0x9E3779B97F4A7C15) + shifted
    starts = np.r_[0, np.cumsum(lengths)[:-1]].astype(np.int64)
    short = (lengths > 0) & (lengths < shingle)
    whole[starts[short]] = True
    values, owner = values[whole], owner[whole]
    rng = np.random.default_rng(seed)
    a = rng.integers(1, np.iinfo(np.int64).max, size=num_perm, dtype=np.int64).astype(np.uint64) | np.uint64(1)
    b = rng.integers(0, np.iinfo(np.int64).max, size=num_perm, dtype=np.int64).astype(np.uint64)
    out = np.full((len(texts), num_perm), np.iinfo(np.uint32).max, dtype=np.uint32)
    step = max(1, chunk // num_perm)
    for begin in range(0, len(values), step):
        part, who = values[begin:begin + step], owner[begin:begin + step]
        # multiply-shift hashing: the top 32 bits of a * x + b (mod 2^64)
        hashed = ((part[:, None] * a[None, :] + b[None, :]) >> np.uint64(32)).astype(np.uint32)
        first = np.flatnonzero(np.r_[True, who[1:] != who[:-1]])
        rows = who[first]
        out[rows] = np.minimum(out[rows], np.minimum.reduceat(hashed, first, axis=0))
    return out


def lsh_parameters(threshold, num_perm, false_positive_weight=0.5, false_negative_weight=0.5):
    """Bands and rows per band that minimise the weighted chance of a wrong LSH decision.

    The choice ``datasketch.MinHashLSH`` makes: the integral of the false-positive
    probability below ``threshold`` and of the false-negative probability above it.

    Examples
    --------
    >>> lsh_parameters(0.5, 64)
    (14, 4)
    """
    from scipy.integrate import quad

    best, best_error = None, float("inf")
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            fp = quad(lambda s: 1 - (1 - s ** rows) ** bands, 0.0, threshold)[0]
            fn = quad(lambda s: 1 - (1 - (1 - s ** rows) ** bands), threshold, 1.0)[0]
            error = false_positive_weight * fp + false_negative_weight * fn
            if error < best_error:
                best, best_error = (bands, rows), error
    return best


def candidate_components(sig, threshold=0.5):
    """Component label per row of ``sig``: rows that share a bucket in any LSH band are joined.

    A component is labelled by its first row.

    Examples
    --------
    >>> sig = signatures(["a b c d e", "a b c d e", "v w x y z"], num_perm=16)
    >>> candidate_components(sig).tolist()
    [0, 0, 2]
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n, num_perm = sig.shape
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    bands, rows = lsh_parameters(threshold, num_perm)
    sources, targets = [], []
    for band in range(bands):
        block = np.ascontiguousarray(sig[:, band * rows:(band + 1) * rows])
        key = block.view(np.dtype((np.void, block.dtype.itemsize * rows))).ravel()
        order = np.argsort(key, kind="stable")
        ordered = key[order]
        new = np.r_[True, ordered[1:] != ordered[:-1]]
        head = order[np.flatnonzero(new)][np.cumsum(new) - 1]
        linked = head != order
        sources.append(order[linked])
        targets.append(head[linked])
    sources, targets = np.concatenate(sources), np.concatenate(targets)
    graph = coo_matrix((np.ones(len(sources), dtype=np.int8), (sources, targets)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    first = np.full(labels.max() + 1, n)
    np.minimum.at(first, labels, np.arange(n))
    return first[labels]


def find_campaigns(responses, *, threshold=0.5, min_ratio=80.0, min_size=3, num_perm=64, seed=1):
    """Groups of responses that share a template.

    Parameters
    ----------
    responses : iterable of (response id, text)
    threshold : float
        Estimated Jaccard similarity of word-pair shingles at which LSH proposes a pair.
    min_ratio : float
        rapidfuzz ``ratio`` (0-100, on case-folded words) a member must reach against the template.
    min_size : int
        Fewest members a campaign has.
    num_perm : int
        MinHash permutations.
    seed : int
        Seed of the MinHash permutations: the same seed gives the same campaigns.

    Returns
    -------
    list of Campaign
        Largest first; ids ``campaign/<representative>``.

    Examples
    --------
    >>> template = "Please ban gambling adverts during football, they target my children and friends"
    >>> responses = [("r1", template), ("r2", template + " Signed, Ann."), ("r3", template.upper()),
    ...              ("r4", "Sponsorship pays for grassroots sport, keep the adverts as they are")]
    >>> [(c.id, c.members) for c in find_campaigns(responses)]
    [('campaign/r1', ('r1', 'r2', 'r3'))]
    """
    from rapidfuzz import fuzz

    responses = [(str(i), "" if t is None else str(t)) for i, t in responses]
    ids = [i for i, _ in responses]
    tokens = [words(t) for _, t in responses]
    texts = [" ".join(t) for t in tokens]
    if len(texts) < min_size:
        return []
    labels = candidate_components(signatures(tokens, num_perm=num_perm, seed=seed, folded=True), threshold)
    labels[np.array([not t for t in texts], dtype=bool)] = -1  # empty texts are nobody's campaign
    order = np.argsort(labels, kind="stable")
    ordered = labels[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    campaigns = []
    for group in np.split(order, starts[1:]):
        if len(group) >= min_size and labels[group[0]] >= 0:
            campaigns += _verified(group, ids, texts, fuzz, min_ratio, min_size)
    campaigns.sort(key=lambda c: (-c.size, c.id))
    return campaigns


def _verified(group, ids, texts, fuzz, min_ratio, min_size):
    """Split a candidate component into campaigns whose members all match their template."""
    from collections import Counter

    from rapidfuzz import process

    remaining = sorted(group, key=lambda p: ids[p])
    found = []
    while len(remaining) >= min_size:
        # the template is the most repeated text (ties: the earliest id), else the earliest response
        counts = Counter(texts[p] for p in remaining)
        text, _ = counts.most_common(1)[0]
        representative = next(p for p in remaining if texts[p] == text)
        scores = process.cdist([texts[representative]], [texts[p] for p in remaining], scorer=fuzz.ratio, workers=1)[0]
        keep = sorted((ids[p], round(float(s), 1), p) for p, s in zip(remaining, scores) if s >= min_ratio)
        if len(keep) >= min_size:
            found.append(Campaign(f"campaign/{_local(ids[representative])}", tuple(k[0] for k in keep),
                                  ids[representative], tuple(k[1] for k in keep), texts[representative]))
            kept = {k[2] for k in keep}
            remaining = [p for p in remaining if p not in kept]
        else:
            # the template found no company: drop it and look again among the rest
            remaining = [p for p in remaining if p != representative]
    return found


def _local(node_id):
    return str(node_id).split("/", 1)[-1]


# ---------------------------------------------------------------- the graph
def require_responses(graph, question=None):
    """The graph's responses with text; a clear error saying what to load when there are none."""
    from consultgraph.errors import InputError

    responses = graph.responses(question) if hasattr(graph, "responses") else None
    if responses is None or not len(responses) or not responses["text"].fillna("").str.strip().any():
        where = f" to {question}" if question else ""
        raise InputError(
            f"no responses with text{where} in this project",
            file=graph.name,
            hint="load free-text answers or documents first, e.g. `consultgraph load answers.csv --into PROJECT "
                 "--text-columns Q1,Q2`",
        )
    return responses[responses["text"].fillna("").str.strip() != ""]


def respondent_texts(graph, question=None):
    """``(respondent id, text)`` pairs: each respondent's responses joined, in question order."""
    responses = require_responses(graph, question)
    responses = responses[responses["respondent"].notna()].sort_values(["respondent", "question", "id"], na_position="last")
    joined = responses.groupby("respondent", sort=True)["text"].agg(lambda texts: "\n\n".join(texts))
    return list(joined.items())


def campaign_records(campaigns):
    """Campaign nodes and IN_CAMPAIGN edges (records for the translator) for ``campaigns``."""
    from consultgraph.graph.records import Edge, Node

    for campaign in campaigns:
        words_ = campaign.template.split()
        label = " ".join(words_[:8]) + ("\u2026" if len(words_) > 8 else "")
        yield Node("Campaign", campaign.id, {
            "label": f"{campaign.size} alike: \u201c{label}\u201d",
            "template": campaign.template,
            "representative": campaign.representative,
            "members": campaign.size,
        })
        for member, similarity in zip(campaign.members, campaign.similarities):
            yield Edge("IN_CAMPAIGN", member, campaign.id, {"similarity": similarity})


def detect_campaigns(graph, *, question=None, **options):
    """Find campaigns among the respondents' texts and return ``(campaigns, new graph)``.

    The new graph replaces every earlier Campaign node and IN_CAMPAIGN edge by the ones
    found now (a re-run never leaves stale campaigns); nothing is written: save it with
    ``graph.save(path)``, which writes the project's next generation atomically.
    ``options`` go to :func:`find_campaigns`.
    """
    from consultgraph.graph.translator import translate

    campaigns = find_campaigns(respondent_texts(graph, question), **options)
    nodes = graph.nodes[graph.nodes["kind"] != "Campaign"]
    edges = graph.edges[graph.edges["kind"] != "IN_CAMPAIGN"]
    base = type(graph)(nodes, edges, name=graph.name, manifest=graph.manifest)
    batch = translate(campaign_records(campaigns), concepts=base.concepts, existing=base.node_kinds)
    return campaigns, base.merge(batch)


def campaign_rows(graph, campaigns=None):
    """One row per campaign (largest first): id, members, groups, similarity, template; for the render."""
    from consultgraph.graph.campaigns import campaign_members

    members = campaign_members(graph)
    table = graph.table("Campaign")
    if not len(table):
        return []
    people = graph.respondents().set_index("id")
    index = graph.concepts
    rows = []
    for campaign in table.itertuples():
        mine = members[members["campaign"] == campaign.id]
        groups = people["group"].reindex(mine["respondent"]).dropna().map(lambda g: index[g].label if g in index else g)
        mix = ", ".join(f"{g} {n}" for g, n in groups.value_counts().items())
        rows.append({
            "campaign": campaign.id,
            "members": len(mine),
            "groups": mix,
            "lowest_similarity": float(mine["similarity"].min()) if len(mine) else None,
            "representative": campaign.representative,
            "template": _excerpt(campaign.template),
        })
    rows.sort(key=lambda r: (-r["members"], r["campaign"]))
    return rows


def _excerpt(text, limit=160):
    text = str(text or "")
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "\u2026"


def headline_both_ways(graph, groups, by=None, top=8):
    """The largest divergences between ``groups`` with every member counted and with each campaign once.

    ``by`` defaults to the kind of code the respondents' codings use most. Returns rows:
    concept, stance, and per group the cell counted both ways, plus the difference in
    points both ways; empty when the graph has no campaigns.
    """
    from consultgraph.graph.campaigns import campaign_members, campaign_view
    from consultgraph.queries.compare import BY_KINDS, compare

    if not len(campaign_members(graph)) or len(groups) < 2:
        return []
    if by is None:
        index = graph.concepts
        kinds = graph.codings("all")["concept"].map(lambda c: index[c].kind if c in index else None).value_counts()
        names = {kind: name for name, kind in BY_KINDS.items()}
        by = next((names[k] for k in kinds.index if k in names), "theme")
    counted = compare(graph, groups, by, sort="divergence")
    once = compare(campaign_view(graph, "one"), groups, by, sort="divergence")
    by_key = {(r["concept"], r.get("stance")): r for r in once.rows}
    rows = []
    for row in counted.rows:
        if row.get("difference_points") is None:
            continue
        other = by_key.get((row["concept"], row.get("stance")), {})
        out = {"concept": row.get("label") or row["concept"], "stance": row.get("stance")}
        for group in counted.groups:
            label = counted.group_labels.get(group, group)
            out[f"{label} (every response)"] = row.get(f"{group}.cell")
            out[f"{label} (each campaign once)"] = other.get(f"{group}.cell")
        out["difference (every response)"] = row.get("difference_points")
        out["difference (each campaign once)"] = other.get("difference_points")
        rows.append(out)
        if len(rows) >= top:
            break
    return rows


def store_campaigns(project, *, question=None, **options):
    """Find campaigns in the project at ``project`` and write them as its next generation (all or nothing).

    Returns ``(campaigns, graph)``: what was found, and the graph as saved.
    """
    from pathlib import Path

    from consultgraph.errors import InputError
    from consultgraph.graph.consultation import Consultation
    from consultgraph.graph.store import Project

    if not Project(project).exists():
        raise InputError("campaigns are written into a project; no project here", file=project,
                         hint=f"load responses first: `consultgraph load answers.csv --into {project}`")
    graph = Consultation.open(project)
    graph.name = graph.name or Path(project).name
    campaigns, updated = detect_campaigns(graph, question=question, **options)
    updated.save(project, load={"step": "campaigns", "campaigns": len(campaigns),
                                "members": sum(c.size for c in campaigns)})
    return campaigns, updated
