"""Network questions on respondent-level codings: co-occurrence, centrality, communities, bridges.

Everything starts from one respondent x concept incidence matrix (``scipy.sparse``), so
co-occurrence counts are ``X.T @ X`` and 100,000 respondents take seconds, not minutes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from consultgraph.errors import QueryError, UnknownNameError
from consultgraph.graph.codings import CODING_KINDS
from consultgraph.graph.model import codeable_kinds, normalise_kind
from consultgraph.queries import stats
from consultgraph.queries.shares import format_share

#: Relationship kinds that record a respondent raising a concept.
MEASURES = ("degree", "betweenness", "pagerank", "eigenvector")
SORTS = ("lift", "count")
NO_CODINGS = "network questions need respondent-level codings; this graph has only published findings"


def concept_kinds(kinds):
    """Node kinds for names like ``"tactic,theme"``, ``["Theme"]`` or ``"partner-type"``.

    Examples
    --------
    >>> concept_kinds("tactic, theme")
    ('Tactic', 'Theme')
    >>> concept_kinds(["PartnerType"])
    ('PartnerType',)
    >>> concept_kinds("tactik")
    Traceback (most recent call last):
    ...
    consultgraph.errors.UnknownNameError: unknown concept kind 'tactik'; choose one of: approach, audience, ...
    """
    if kinds is None:
        return None
    if isinstance(kinds, str):
        kinds = kinds.split(",")
    out = []
    for name in kinds:
        if not str(name).strip():
            continue
        kind = normalise_kind(str(name).replace("_", "-"), codeable_kinds(), what="concept kind")
        if kind not in out:
            out.append(kind)
    return tuple(out) or None


def lift(count, count_a, count_b, base):
    """How much more often two concepts are raised together than if they were independent.

    ``lift = count * base / (count_a * count_b)``: 1 means "as often as chance would
    have it", 2 "twice as often", 0 "never together". Vectorised.

    Examples
    --------
    >>> lift(1, 3, 2, 6)    # research and climate on the kite: exactly chance
    1.0
    >>> lift([1, 3], [3, 3], [3, 3], [6, 6]).tolist()
    [0.6666666666666666, 2.0]
    """
    count, count_a, count_b, base = (np.asarray(v, dtype=float) for v in (count, count_a, count_b, base))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = count * base / (count_a * count_b)
    return float(out) if out.ndim == 0 else out


# --------------------------------------------------------------------------- #
# the incidence matrix


@dataclass
class Incidence:
    """Who raised what: a 0/1 respondents x concepts matrix and its row and column labels.

    ``people`` has one row per respondent considered (``id``, ``label``, ``group``,
    ``region``), including respondents who raised none of the concepts: they count in
    every base. ``concepts`` are the column ids, sorted.
    """

    matrix: sparse.csr_matrix
    people: pd.DataFrame
    concepts: list

    @property
    def base(self):
        return len(self.people)

    def counts(self):
        """Respondents raising each concept (column sums)."""
        return np.asarray(self.matrix.sum(axis=0)).ravel().astype(np.int64)

    def together(self):
        """``C[i, j]``: respondents raising both concept i and concept j (``X.T @ X``)."""
        return (self.matrix.T @ self.matrix).toarray().astype(np.int64)


def _label(graph, concept_id):
    concepts = graph.concepts
    return concepts[concept_id].label if concept_id in concepts else concept_id


def _people(graph):
    """Every respondent with label, direct group and region, from the tables (no JSON parsing)."""
    nodes = graph.nodes
    people = nodes.loc[nodes["kind"] == "Respondent", ["id", "label"]].reset_index(drop=True)
    links = graph.edges[graph.edges["kind"].isin(["MEMBER_OF", "BASED_IN"])]
    for kind, column in (("MEMBER_OF", "group"), ("BASED_IN", "region")):
        link = links[links["kind"] == kind].drop_duplicates("source")
        people[column] = people["id"].map(pd.Series(link["target"].to_numpy(), index=link["source"].to_numpy()))
    return people


def incidence(graph, *, kinds=None, group=None, region=None, roll_up=True):
    """The respondents x concepts incidence matrix behind every network question.

    Parameters
    ----------
    graph : Consultation
    kinds : str or sequence of str, optional
        Concept kinds to keep as columns (``"tactic,theme"``); every kind raised when omitted.
    group : str, optional
        Only respondents of this stakeholder group (id or label; includes its parts).
    region : str, optional
        Only respondents based in this region (id or label; includes its parts).
    roll_up : bool, default True
        A coding of a narrower concept also counts for every broader concept of a wanted
        kind ("Children" counts for "Discrimination"). Without it only codes that are
        themselves of a wanted kind count.

    Returns
    -------
    Incidence

    Raises
    ------
    QueryError
        When the graph has no respondent-level codings, or none among the respondents
        the filters leave.
    """
    kinds = concept_kinds(kinds)
    all_codings = graph.codings()  # the graph's choice of coder (people, machine, both)
    if not len(all_codings):
        if (graph.nodes["kind"] == "Finding").any():
            raise QueryError(NO_CODINGS)
        raise QueryError("network questions need respondent-level codings; this graph has none "
                         "(load a long or wide file of coded submissions)")
    concepts = graph.concepts
    people = _people(graph)
    read = graph.readers()  # free text: only respondents whose answers the coder choice read count in the base
    if read is not None:
        people = people[people["id"].isin(read)]
    where = []
    if group is not None:
        group_id = concepts.resolve(group, ("StakeholderGroup",), field="group")
        people = people[people["group"].isin(concepts.descendants(group_id))]
        where.append(_label(graph, group_id))
    if region is not None:
        region_id = concepts.resolve(region, ("Region",), field="region")
        people = people[people["region"].isin(concepts.descendants(region_id))]
        where.append(f"based in {_label(graph, region_id)}")
    people = people.sort_values("id").reset_index(drop=True)
    codings = all_codings[["respondent", "concept"]].rename(columns={"respondent": "source", "concept": "target"})
    rows = pd.Index(people["id"]).get_indexer(codings["source"])
    keep = rows >= 0
    if not keep.any():
        raise QueryError(f"no respondents with codings among {' '.join(where) or 'the respondents'}")
    code_of, codes = pd.factorize(codings["target"].to_numpy()[keep])
    # which wanted concepts each code counts for: itself and (rolled up) its broader concepts
    pairs = []
    for position, code in enumerate(codes):
        targets = [code] + (concepts.ancestors(code) if roll_up else [])
        for target in targets:
            kind = concepts[target].kind if target in concepts else None
            if kinds is None or kind in kinds:
                pairs.append((position, target))
    columns = sorted({target for _, target in pairs})
    column_of = {c: i for i, c in enumerate(columns)}
    if pairs:
        code_index, target_index = zip(*((p, column_of[t]) for p, t in pairs))
    else:
        code_index, target_index = (), ()
    code_index, target_index = np.array(code_index, dtype=np.int64), np.array(target_index, dtype=np.int64)
    counts_for = sparse.csr_matrix(
        (np.ones(len(code_index), dtype=np.int32), (code_index, target_index)), shape=(len(codes), len(columns))
    )
    raised = sparse.csr_matrix(
        (np.ones(int(keep.sum()), dtype=np.int32), (rows[keep], code_of)), shape=(len(people), len(codes))
    )
    matrix = (raised @ counts_for).tocsr()
    matrix.data[:] = 1  # raised once or five times, through one code or two: one respondent
    matrix.eliminate_zeros()
    return Incidence(matrix=matrix, people=people, concepts=columns)


def _nested(graph, a, b):
    """True where one concept is broader than the other (they co-occur by construction when rolled up)."""
    concepts = graph.concepts
    return b in concepts.ancestors(a) or a in concepts.ancestors(b)


# --------------------------------------------------------------------------- #
# co-occurrence


def cooccur(graph, *, kinds=("Tactic", "Theme"), group=None, region=None, min_count=1, roll_up=True,
            sort="lift", top=None):
    """Pairs of concepts raised by the same respondents, with counts, lift and a test.

    Parameters
    ----------
    graph : Consultation
    kinds : str or sequence of str, default ("Tactic", "Theme")
        One kind: pairs within it (``a`` before ``b`` by id). Two kinds: ``a`` from the
        first, ``b`` from the second ("which tactics go with which themes"). More: any
        pair of concepts of those kinds.
    group, region : str, optional
        Only respondents of this stakeholder group / based in this region (with parts).
    min_count : int, default 1
        Drop pairs raised together by fewer respondents (0 keeps pairs never raised together).
    roll_up : bool, default True
        Codes of narrower concepts count for their broader concepts of the wanted kinds;
        pairs where one concept is broader than the other are then left out, since
        they co-occur by construction.
    sort : {'lift', 'count'}, default 'lift'
        Largest first; ties broken by the other, then by ids.
    top : int, optional
        At most this many rows (after sorting).

    Returns
    -------
    list of dict
        One row per pair: ``a``, ``a_label``, ``a_kind``, ``b``, ``b_label``, ``b_kind``;
        ``count`` (respondents raising both), ``count_a``, ``count_b``, ``base``
        (respondents considered, including those who raised neither); ``share`` =
        count/base with its Wilson 95% interval ``low``, ``high`` and ``share_text``
        ("17% (1 of 6)"); ``b_given_a`` = count/count_a; ``lift`` =
        count*base/(count_a*count_b); ``jaccard`` = count/(count_a+count_b-count);
        ``p_value``: one-sided hypergeometric test (Fisher's exact) that the pair
        occurs together more often than chance; ``q_value``: Benjamini-Hochberg across
        every pair considered, before ``min_count`` and ``top`` are applied.

    Raises
    ------
    QueryError
        When the graph has no respondent-level codings (e.g. only published findings).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from consultgraph.loaders import load
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "codes.csv"
    >>> _ = path.write_text("respondent,group,code\\n" "p1,partner,research\\n" "p1,partner,climate\\n"
    ...                     "p2,partner,research\\n" "n1,NE,advocacy\\n" "n2,NE,climate\\n")
    >>> rows = cooccur(load([path]).graph, kinds="tactic,theme")
    >>> [(r["a_label"], r["b_label"], r["share_text"], r["lift"]) for r in rows]
    [('Research', 'Environment and climate change', '25% (1 of 4)', 1.0)]
    """
    if sort not in SORTS:
        raise UnknownNameError("sort", sort, SORTS)
    kinds = concept_kinds(kinds) or codeable_kinds()
    data = incidence(graph, kinds=kinds, group=group, region=region, roll_up=roll_up)
    concepts = graph.concepts
    kind_of = np.array([concepts[c].kind if c in concepts else None for c in data.concepts], dtype=object)
    if len(kinds) == 2:
        left, right = np.flatnonzero(kind_of == kinds[0]), np.flatnonzero(kind_of == kinds[1])
        a_index, b_index = (x.ravel() for x in np.meshgrid(left, right, indexing="ij"))
    else:
        wanted = np.flatnonzero(np.isin(kind_of, kinds))
        upper_a, upper_b = np.triu_indices(len(wanted), k=1)
        a_index, b_index = wanted[upper_a], wanted[upper_b]
    if roll_up and len(a_index):
        apart = np.array([not _nested(graph, data.concepts[i], data.concepts[j]) for i, j in zip(a_index, b_index)])
        a_index, b_index = a_index[apart], b_index[apart]
    together, single, base = data.together(), data.counts(), data.base
    frame = pd.DataFrame({
        "a": np.array(data.concepts, dtype=object)[a_index] if len(a_index) else [],
        "b": np.array(data.concepts, dtype=object)[b_index] if len(b_index) else [],
        "count": together[a_index, b_index],
        "count_a": single[a_index],
        "count_b": single[b_index],
    })
    frame["base"] = base
    if len(frame):
        from scipy.stats import hypergeom

        frame["p_value"] = hypergeom.sf(frame["count"] - 1, base, frame["count_a"], frame["count_b"]).clip(0, 1)
        frame["q_value"] = stats.benjamini_hochberg(frame["p_value"].to_numpy())
    else:
        frame["p_value"] = frame["q_value"] = pd.Series(dtype=float)
    frame = frame[frame["count"] >= min_count].copy()
    if not len(frame):
        return []
    frame["share"] = frame["count"] / base
    frame["low"], frame["high"] = stats.wilson_interval(frame["count"].to_numpy(), np.full(len(frame), base))
    frame["b_given_a"] = frame["count"] / frame["count_a"]
    frame["lift"] = lift(frame["count"], frame["count_a"], frame["count_b"], base)
    frame["jaccard"] = frame["count"] / (frame["count_a"] + frame["count_b"] - frame["count"])
    order = ["lift", "count"] if sort == "lift" else ["count", "lift"]
    frame = frame.sort_values(order + ["a", "b"], ascending=[False, False, True, True], kind="stable")
    if top is not None:
        frame = frame.head(top)
    labels = {c: _label(graph, c) for c in data.concepts}
    kind_by_id = dict(zip(data.concepts, kind_of))
    frame["a_label"], frame["a_kind"] = frame["a"].map(labels), frame["a"].map(kind_by_id)
    frame["b_label"], frame["b_kind"] = frame["b"].map(labels), frame["b"].map(kind_by_id)
    frame["share_text"] = [format_share(c, base) if base else "" for c in frame["count"]]
    columns = ["a", "a_label", "a_kind", "b", "b_label", "b_kind", "count", "count_a", "count_b", "base",
               "share", "low", "high", "share_text", "b_given_a", "lift", "jaccard", "p_value", "q_value"]
    return frame[columns].to_dict("records")


# --------------------------------------------------------------------------- #
# the concept network: centrality and communities


def concept_network(graph, *, kind=None, group=None, region=None, roll_up=True):
    """The weighted concept co-occurrence network as an undirected :class:`networkx.Graph`.

    Nodes are the concepts (of ``kind``, or every kind) that the respondents considered
    raised, with attributes ``label``, ``kind`` and ``count`` (respondents raising it).
    Two concepts are joined when at least one respondent raised both: ``weight`` is
    that number of respondents, ``distance`` its inverse (for shortest paths: concepts
    often raised together are close), ``lift`` as in :func:`cooccur`. With ``roll_up``
    a concept and one broader than it are not joined (they co-occur by construction).
    The graph attribute ``base`` is the number of respondents considered.
    """
    import networkx as nx

    data = incidence(graph, kinds=kind, group=group, region=region, roll_up=roll_up)
    together, single = data.together(), data.counts()
    network = nx.Graph(base=data.base)
    concepts = graph.concepts
    for concept, count in zip(data.concepts, single):
        kind = concepts[concept].kind if concept in concepts else None
        network.add_node(concept, label=_label(graph, concept), kind=kind, count=int(count))
    a_index, b_index = np.nonzero(np.triu(together, k=1))
    for i, j in zip(a_index, b_index):
        a, b = data.concepts[i], data.concepts[j]
        if roll_up and _nested(graph, a, b):
            continue
        weight = int(together[i, j])
        network.add_edge(a, b, weight=weight, distance=1.0 / weight,
                         lift=lift(weight, single[i], single[j], data.base))
    return network


def _scores(network, measure):
    import networkx as nx

    if measure == "degree":
        return dict(network.degree(weight="weight"))
    if measure == "betweenness":
        return nx.betweenness_centrality(network, weight="distance", normalized=True)
    if measure == "pagerank":
        return nx.pagerank(network, weight="weight")
    if network.number_of_edges() == 0:
        return {node: 0.0 for node in network}
    # power iteration on A + I (networkx's): converges on bipartite networks too, and on a
    # disconnected one still answers, deterministically, where the ARPACK variant refuses
    return nx.eigenvector_centrality(network, weight="weight", max_iter=10_000, tol=1e-10)


def central(graph, *, kind=None, measure="degree", group=None, region=None, top=None, roll_up=True):
    """Concepts ranked by centrality in the weighted concept co-occurrence network.

    Parameters
    ----------
    graph : Consultation
    kind : str, optional
        Only concepts of this kind (``"theme"``, ``"Tactic"`` ...); every kind when omitted.
    measure : {'degree', 'betweenness', 'pagerank', 'eigenvector'}
        ``degree``: weighted degree, the number of (respondent, other concept) pairs a
        concept is raised with, i.e. the sum of its edge weights. ``betweenness``: share
        of shortest paths through the concept, with distance = 1 / respondents raising
        both. ``pagerank`` and ``eigenvector``: on the edge weights; on a network in
        several pieces, eigenvector scores concentrate on the piece with the largest
        eigenvalue (others score near 0). See :func:`concept_network` for the network.
    group, region : str, optional
        Only respondents of this group / based in this region (with parts).
    top : int, optional
        At most this many rows.

    Returns
    -------
    list of dict
        ``concept``, ``label``, ``kind``, ``count`` (respondents raising it), ``score``,
        ``rank`` (1 = most central; ties share the best rank), most central first.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from consultgraph.loaders import load
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "codes.csv"
    >>> _ = path.write_text("respondent,group,code\\n" "p1,partner,research\\n" "p1,partner,climate\\n"
    ...                     "p2,partner,advocacy\\n" "p2,partner,climate\\n" "p3,partner,gender\\n")
    >>> [(r["label"], r["score"], r["rank"]) for r in central(load([path]).graph)]
    [('Environment and climate change', 2, 1), ('Advocacy', 1, 2), ('Research', 1, 2), ('Gender', 0, 4)]
    """
    if measure not in MEASURES:
        raise UnknownNameError("centrality measure", measure, MEASURES)
    kinds = concept_kinds(kind)
    network = concept_network(graph, kind=kinds, group=group, region=region, roll_up=roll_up)
    scores = _scores(network, measure)
    frame = pd.DataFrame({
        "concept": list(network.nodes),
        "label": [network.nodes[n]["label"] for n in network],
        "kind": [network.nodes[n]["kind"] for n in network],
        "count": [network.nodes[n]["count"] for n in network],
        "score": [scores[n] for n in network],
    })
    if not len(frame):
        return []
    # round away float noise so equal scores tie
    frame["rank"] = frame["score"].round(12).rank(method="min", ascending=False).astype(int)
    frame = frame.sort_values(["rank", "label"], kind="stable")
    if top is not None:
        frame = frame.head(top)
    return frame.to_dict("records")


def communities(graph, *, kind=None, group=None, region=None, seed=0, resolution=1.0, roll_up=True):
    """Communities of concepts raised together: Louvain on the concept co-occurrence network.

    Uses :func:`networkx.community.louvain_communities` on the edge weights (respondents
    raising both concepts), seeded so the same graph always gives the same answer.
    Communities are numbered from 1, largest first; a concept raised with no other
    forms a community of its own.

    Parameters
    ----------
    graph : Consultation
    kind : str, optional
        Only concepts of this kind; every kind when omitted.
    group, region : str, optional
        Only respondents of this group / based in this region (with parts).
    seed : int, default 0
    resolution : float, default 1.0
        Above 1 favours smaller communities, below 1 larger ones.

    Returns
    -------
    list of dict
        ``concept``, ``label``, ``kind``, ``count``, ``community``, ``size`` (concepts in
        the community), by community and then by count.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from consultgraph.loaders import load
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "codes.csv"
    >>> _ = path.write_text("respondent,group,code\\n" "p1,partner,research\\n" "p1,partner,advocacy\\n"
    ...                     "p2,partner,climate\\n" "p2,partner,gender\\n")
    >>> [(r["label"], r["community"]) for r in communities(load([path]).graph)]
    [('Advocacy', 1), ('Research', 1), ('Environment and climate change', 2), ('Gender', 2)]
    """
    import networkx as nx

    network = concept_network(graph, kind=concept_kinds(kind), group=group, region=region, roll_up=roll_up)
    if not len(network):
        return []
    found = nx.community.louvain_communities(network, weight="weight", resolution=resolution, seed=seed)
    weight = lambda members: sum(network.nodes[n]["count"] for n in members)  # noqa: E731
    found = sorted(found, key=lambda members: (-len(members), -weight(members), min(members)))
    rows = []
    for number, members in enumerate(found, start=1):
        for concept in sorted(members, key=lambda n: (-network.nodes[n]["count"], network.nodes[n]["label"])):
            node = network.nodes[concept]
            rows.append({"concept": concept, "label": node["label"], "kind": node["kind"], "count": node["count"],
                         "community": number, "size": len(members)})
    return rows


# --------------------------------------------------------------------------- #
# respondents who bridge groups


def bridges(graph, *, top=20, group=None, kinds=None, roll_up=True):
    """Respondents whose concerns sound more like another stakeholder group than their own.

    A heuristic, not a test. Each respondent's profile is the 0/1 vector of concepts
    they raised (rolled up to broader concepts). For each stakeholder group, its profile
    is the mean of its members' profiles; a respondent's own group is taken *without*
    the respondent (leave-one-out), so small groups are not flattered by their own
    members. Then

    - ``own_similarity``: cosine similarity to the rest of their own group,
    - ``other_similarity``: the highest cosine similarity to any other group, which is
      ``closest_other_group``,
    - ``score`` = ``other_similarity - own_similarity``, from -1 to 1.

    A positive score means the respondent's concepts are closer to another group's
    than to their own; such respondents are candidates for brokering between groups.
    Respondents who raised nothing, and groups with one coded member (no
    leave-one-out profile), are left out.

    Parameters
    ----------
    graph : Consultation
    top : int, default 20
        At most this many rows, highest score first (``None`` for all).
    group : str, optional
        Only report respondents of this group (with parts); profiles use everyone.
    kinds : str or sequence of str, optional
        Concept kinds making up the profiles; every kind raised when omitted.

    Returns
    -------
    list of dict
        ``respondent``, ``label``, ``group``, ``closest_other_group``,
        ``own_similarity``, ``other_similarity``, ``score``, ``concepts`` (number raised).

    Raises
    ------
    QueryError
        Without respondent-level codings, or with coded respondents in fewer than two groups.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from consultgraph.loaders import load
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "codes.csv"
    >>> _ = path.write_text("respondent,group,code\\n" "p1,partner,research\\n" "p2,partner,research\\n"
    ...                     "p3,partner,climate\\n" "n1,NE,climate\\n" "n2,NE,climate\\n")
    >>> row = bridges(load([path]).graph, top=1)[0]
    >>> row["label"], row["closest_other_group"], row["own_similarity"], row["other_similarity"], row["score"]
    ('p3', 'group/national-entity', 0.0, 1.0, 1.0)
    """
    data = incidence(graph, kinds=kinds, roll_up=roll_up)
    matrix = data.matrix.astype(np.float64)
    raised = np.asarray(matrix.sum(axis=1)).ravel()  # |x|^2 for a 0/1 profile
    people = data.people.assign(_raised=raised)
    coded = (people["_raised"] > 0) & people["group"].notna()
    group_ids, group_of = np.unique(people.loc[coded, "group"].astype(str), return_inverse=True)
    if len(group_ids) < 2:
        raise QueryError("bridges need coded respondents in at least two stakeholder groups")
    rows = np.flatnonzero(coded.to_numpy())
    x = matrix[rows]
    membership = sparse.csr_matrix(
        (np.ones(len(rows)), (group_of, np.arange(len(rows)))), shape=(len(group_ids), len(rows))
    )
    sums = np.asarray((membership @ x).todense())  # group x concept: summed profiles
    members = np.asarray(membership.sum(axis=1)).ravel()
    dots = np.asarray((x @ sums.T))  # respondent x group: x . S_g
    x_norm2 = raised[rows]
    s_norm2 = (sums ** 2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        similarity = dots / np.sqrt(x_norm2[:, None] * s_norm2[None, :])
        # own group without the respondent: S - x, so x.(S - x) = x.S - |x|^2 and
        # |S - x|^2 = |S|^2 - 2 x.S + |x|^2 (cosine ignores the division by n - 1)
        own_dot = dots[np.arange(len(rows)), group_of] - x_norm2
        own_norm2 = s_norm2[group_of] - 2 * dots[np.arange(len(rows)), group_of] + x_norm2
        own = own_dot / np.sqrt(x_norm2 * own_norm2)
    own = np.where(members[group_of] > 1, own, np.nan)
    similarity = np.nan_to_num(similarity, nan=0.0)
    similarity[np.arange(len(rows)), group_of] = -np.inf
    closest = similarity.argmax(axis=1)
    other = similarity[np.arange(len(rows)), closest]
    frame = pd.DataFrame({
        "respondent": people["id"].to_numpy()[rows],
        "label": people["label"].to_numpy()[rows],
        "group": group_ids[group_of],
        "closest_other_group": group_ids[closest],
        "own_similarity": own,
        "other_similarity": other,
        "score": other - own,
        "concepts": x_norm2.astype(int),
    }).dropna(subset=["own_similarity"])
    if group is not None:
        wanted = graph.concepts.descendants(graph.concepts.resolve(group, ("StakeholderGroup",), field="group"))
        frame = frame[frame["group"].isin(wanted)]
    frame = frame.sort_values(["score", "respondent"], ascending=[False, True], kind="stable")
    if top is not None:
        frame = frame.head(top)
    return frame.to_dict("records")
