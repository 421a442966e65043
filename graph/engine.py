"""Counting in DuckDB: respondents and codings per group, concept and stance, out of core.

A stored graph is queried straight from its generation's Parquet files (nothing is
loaded into pandas); an in-memory graph (the built-in dataset, a fresh load) is handed
to DuckDB as Arrow. Queries return small pandas frames; the shares table builds on them.

Tables visible to :func:`sql`:

``nodes``        id, kind, label, props
``edges``        source, target, kind, stance, weight, props
``respondents``  id, "group", region (the respondent's own group, not its parents)
``codings``      respondent, concept, kind, stance ('mention' where a coding has none), weight:
                 the codings :meth:`Consultation.codings` picks for the graph's coder choice
"""

from __future__ import annotations

from consultgraph.graph.codings import CODING_KINDS


def connect(graph):
    """A DuckDB connection with the graph's tables as views (cached on the graph)."""
    return graph.memo(("duckdb", graph.coder), lambda: _connect(graph))


def _connect(graph):
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads TO 2")
    con.execute("SET enable_progress_bar = false")  # the library never prints
    if graph.parquet_path("edges") is not None:
        for table in ("nodes", "edges"):
            path = str(graph.parquet_path(table)).replace("'", "''")
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{path}')")
    else:
        from consultgraph.graph.store import to_arrow

        con.register("nodes", to_arrow(graph.nodes, "nodes"))
        con.register("edges", to_arrow(graph.edges, "edges"))
    if graph.parquet_path("respondents") is not None:
        path = str(graph.parquet_path("respondents")).replace("'", "''")
        con.execute(f"""CREATE VIEW respondents AS SELECT CAST(id AS VARCHAR) AS id, CAST("group" AS VARCHAR) AS "group",
                        CAST(region AS VARCHAR) AS region FROM read_parquet('{path}')""")
    else:
        import pyarrow as pa

        people = graph.respondents()
        columns = {name: pa.array(people[name].to_numpy(dtype=object) if name in people else [None] * len(people),
                                  pa.string(), from_pandas=True) for name in ("id", "group", "region")}
        con.register("respondents", pa.table(columns))
    summary = graph.summary()
    if summary.get("coders") or "WROTE" in summary["edges_by_kind"]:
        # machine coders or coded responses: the codings the graph's coder choice picks
        import pyarrow as pa

        chosen = graph.codings()
        columns = {name: pa.array(chosen[name].to_numpy(dtype=object), pa.string(), from_pandas=True)
                   for name in ("respondent", "concept", "kind", "stance")}
        columns["stance"] = pa.array(chosen["stance"].fillna("mention").to_numpy(dtype=object), pa.string())
        columns["weight"] = pa.array(chosen["weight"].to_numpy(dtype=float))
        con.register("codings", pa.table(columns))
    else:
        kinds = ", ".join(f"'{k}'" for k in CODING_KINDS)
        con.execute(f"""CREATE VIEW codings AS SELECT CAST(source AS VARCHAR) AS respondent, CAST(target AS VARCHAR) AS concept,
                        CAST(kind AS VARCHAR) AS kind, coalesce(CAST(stance AS VARCHAR), 'mention') AS stance, weight
                        FROM edges WHERE kind IN ({kinds})""")
    return con


def sql(graph, query, **tables):
    """The result of ``query`` (DuckDB SQL) as a pandas frame; ``tables`` adds named pandas/Arrow tables.

    Examples
    --------
    >>> from consultgraph.loaders import builtin
    >>> int(sql(builtin(), "SELECT count(*) AS n FROM respondents")["n"][0]) == len(builtin().respondents())
    True
    """
    con = connect(graph)
    for name, table in tables.items():
        con.register(name, table)
    try:
        return con.execute(query).df()
    finally:
        for name in tables:
            con.unregister(name)


def _group_table(graph, groups):
    """(member_group, "group") pairs: each requested group and every group under it."""
    import pyarrow as pa

    pairs = [(member, group) for group in groups for member in sorted(graph.concepts.descendants(group))]
    return pa.table({"member_group": [m for m, _ in pairs], "group": [g for _, g in pairs]},
                    schema=pa.schema([("member_group", pa.string()), ("group", pa.string())]))


def _region_table(graph, region):
    import pyarrow as pa

    regions = sorted(graph.concepts.descendants(region)) if region is not None else []
    return pa.table({"region": pa.array(regions, pa.string())})


def respondent_counts(graph, groups, *, region=None):
    """Respondents of each group (with its parts), and how many of them carry codings.

    Parameters
    ----------
    graph : Consultation
    groups : list of str
        Group ids; a group counts the respondents of every group under it too.
    region : str, optional
        Only respondents based in this region (or a region under it).

    Returns
    -------
    pandas.DataFrame
        One row per group: ``group``, ``respondents`` (the base: every member, or for free
        text the members the graph's coder choice read, see :meth:`Consultation.readers`),
        ``coded`` (those with at least one coding). Groups without respondents have zeros.

    Examples
    --------
    >>> from consultgraph.graph.translator import translate
    >>> from consultgraph.graph.consultation import Consultation
    >>> from consultgraph.graph.records import Node, Edge, Ref
    >>> from consultgraph.graph.store import schema_concepts
    >>> batch = translate([Node("Respondent", "respondent/a", {}), Node("Respondent", "respondent/b", {}),
    ...                    Edge("MEMBER_OF", "respondent/a", Ref("partners")),
    ...                    Edge("MEMBER_OF", "respondent/b", Ref("partners")),
    ...                    Edge("MENTIONS", "respondent/a", Ref("research"), {"stance": "lead"})],
    ...                   concepts=schema_concepts())
    >>> graph = Consultation().merge(batch)
    >>> respondent_counts(graph, ["group/partner"]).to_dict("records")
    [{'group': 'group/partner', 'respondents': 2, 'coded': 1}]
    """
    import pyarrow as pa

    read = graph.readers()  # free text: only the respondents the graph's coder choice read count
    conditions = (["p.region IN (SELECT region FROM wanted_regions)"] if region is not None else []) + \
                 (["p.id IN (SELECT id FROM readers)"] if read is not None else [])
    query = f"""
        WITH people AS (
            SELECT p.id, g."group" FROM respondents p JOIN wanted_groups g ON p."group" = g.member_group
            {"WHERE " + " AND ".join(conditions) if conditions else ""}
        ), coded AS (SELECT DISTINCT respondent FROM codings)
        SELECT g."group", count(DISTINCT people.id) AS respondents,
               count(DISTINCT CASE WHEN coded.respondent IS NOT NULL THEN people.id END) AS coded
        FROM (SELECT DISTINCT "group" FROM wanted_groups) g
        LEFT JOIN people ON people."group" = g."group"
        LEFT JOIN coded ON coded.respondent = people.id
        GROUP BY g."group"
    """
    readers = pa.table({"id": pa.array(sorted(read or ()), pa.string())})
    frame = sql(graph, query, wanted_groups=_group_table(graph, groups), wanted_regions=_region_table(graph, region),
                readers=readers)
    order = {g: i for i, g in enumerate(groups)}
    frame = frame.sort_values("group", key=lambda s: s.map(order)).reset_index(drop=True)
    frame["group"] = frame["group"].astype(object)
    for column in ("respondents", "coded"):
        frame[column] = frame[column].astype("int64")
    return frame


def rollup(graph, kind):
    """(code, concept) pairs: a coding of ``code`` counts for ``concept``, itself or a broader concept of ``kind``."""
    import pyarrow as pa

    concepts = graph.concepts
    kind_of = {c.id: c.kind for c in concepts.concepts}
    pairs = []
    for code in kind_of:
        hits = [code] if kind_of[code] == kind else []
        hits += [a for a in concepts.ancestors(code) if kind_of.get(a) == kind]
        pairs += [(code, hit) for hit in dict.fromkeys(hits)]
    return pa.table({"code": pa.array([c for c, _ in pairs], pa.string()),
                     "concept": pa.array([h for _, h in pairs], pa.string())})


def coding_counts(graph, kind, groups, *, stance=None, region=None):
    """How many respondents of each group raised each concept of ``kind``, per stance.

    A coding of a narrower concept counts for each broader concept of ``kind``; a
    respondent counts once per concept and stance however often coded. Stance
    ``"raised"`` counts respondents with any stance (so it is not the sum of the others).

    Parameters
    ----------
    graph : Consultation
    kind : str
        Concept kind to count (``"Theme"``, ``"Tactic"`` ...).
    groups : list of str
        Group ids; a group counts the respondents of every group under it too.
    stance : str, optional
        Only this stance (then no ``"raised"`` rows).
    region : str, optional
        Only respondents based in this region (or a region under it).

    Returns
    -------
    pandas.DataFrame
        ``group, concept, stance, count``, sorted; only combinations with a count > 0.
        The base of each group is :func:`respondent_counts`.

    Examples
    --------
    >>> from consultgraph.graph.translator import translate
    >>> from consultgraph.graph.consultation import Consultation
    >>> from consultgraph.graph.records import Node, Edge, Ref
    >>> from consultgraph.graph.store import schema_concepts
    >>> batch = translate([Node("Respondent", "respondent/a", {}), Node("Respondent", "respondent/b", {}),
    ...                    Edge("MEMBER_OF", "respondent/a", Ref("partners")),
    ...                    Edge("MEMBER_OF", "respondent/b", Ref("partners")),
    ...                    Edge("MENTIONS", "respondent/a", Ref("research"), {"stance": "lead"}),
    ...                    Edge("MENTIONS", "respondent/b", Ref("research"))], concepts=schema_concepts())
    >>> graph = Consultation().merge(batch)
    >>> coding_counts(graph, "Tactic", ["group/partner"]).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'group': 'group/partner', 'concept': 'tactic/research', 'stance': 'lead', 'count': 1},
     {'group': 'group/partner', 'concept': 'tactic/research', 'stance': 'mention', 'count': 1},
     {'group': 'group/partner', 'concept': 'tactic/research', 'stance': 'raised', 'count': 2}]
    """
    if region is None and graph.coder == "auto" and graph.parquet_path("share_counts") is not None:
        return _stored_coding_counts(graph, kind, groups, stance)
    stance_filter = "WHERE c.stance = $stance" if stance is not None else ""
    raised = "" if stance is not None else """
        UNION ALL
        SELECT "group", concept, 'raised' AS stance, count(DISTINCT respondent) AS count FROM hits GROUP BY ALL"""
    query = f"""
        WITH people AS (
            SELECT p.id, g."group" FROM respondents p JOIN wanted_groups g ON p."group" = g.member_group
            {"WHERE p.region IN (SELECT region FROM wanted_regions)" if region is not None else ""}
        ), hits AS (
            SELECT people."group", r.concept, c.stance, c.respondent
            FROM codings c JOIN rolled r ON c.concept = r.code JOIN people ON c.respondent = people.id
            {stance_filter}
        )
        SELECT "group", concept, stance, count(DISTINCT respondent) AS count FROM hits GROUP BY ALL
        {raised}
        ORDER BY 1, 2, 3
    """
    con = connect(graph)
    tables = {"wanted_groups": _group_table(graph, groups), "wanted_regions": _region_table(graph, region),
              "rolled": rollup(graph, kind)}
    for name, table in tables.items():
        con.register(name, table)
    try:
        frame = con.execute(query, {"stance": stance} if stance is not None else {}).df()
    finally:
        for name in tables:
            con.unregister(name)
    for column in ("group", "concept", "stance"):
        frame[column] = frame[column].astype(object)
    frame["count"] = frame["count"].astype("int64")
    return frame


def _stored_coding_counts(graph, kind, groups, stance):
    """:func:`coding_counts` read from the share counts stored with the project (its default
    view: no region, the ``auto`` coder choice), which hold every concept and broader group."""
    from consultgraph.graph.counts import RAISED

    counts, _ = share_counts(graph)
    kind_of = {c.id: c.kind for c in graph.concepts.concepts}
    keep = counts["group"].isin(list(groups)) & (counts["concept"].map(kind_of) == kind)
    if stance is not None:  # one stance asked for: "raised" is no stance a coding has
        keep &= (counts["stance"] == stance) & (counts["stance"] != RAISED)
    return counts[keep].sort_values(["group", "concept", "stance"]).reset_index(drop=True)


def share_counts(graph, *, region=None):
    """Respondent counts for the shares table: every group (rolled up to broader groups), concept, stance.

    What :mod:`consultgraph.queries.shares` needs from respondent codings: a coding counts
    for its concept and every broader concept, a respondent of a group counts for every
    broader group too, and a respondent counts once per (group, concept, stance). Stance
    ``"raised"`` counts respondents with any stance. A stored project holds the counts of
    its default view (no region, the ``auto`` coder choice) with its generation; any other
    view is counted on integer codes by :func:`consultgraph.graph.counts.share_counts`.

    Parameters
    ----------
    graph : Consultation
    region : str, optional
        Only respondents based in this region (or a region under it).

    Returns
    -------
    (pandas.DataFrame, dict)
        ``group, concept, stance, count`` (counts > 0 only), and ``group -> base``
        (respondents) for every group that has at least one such count.
    """
    from consultgraph.graph.counts import share_counts as count

    if region is None and graph.coder == "auto" and graph.parquet_path("share_counts") is not None:
        counts, bases = graph.project.read_share_counts(graph.manifest)
        return counts, bases
    return count(graph, region=region, coder=graph.coder)
