"""Quotes: what people actually said, by concept, group and region, with attribution."""

from __future__ import annotations

from consultgraph.errors import InputError


def quotes(graph, *, concept=None, group=None, region=None, search=None, limit=None):
    """Quotes matching every filter given, with attribution and source line.

    ``concept`` matches the concept and everything narrower (a quote illustrating
    "be embedded in local processes" is a quote about the approach to change);
    ``group`` and ``region`` likewise include their parts; ``search`` is a
    case-insensitive substring of the text.

    Examples
    --------
    >>> from consultgraph.loaders import builtin
    >>> rows = quotes(builtin(), group="national-entity", search="research")
    >>> all("research" in r["text"].lower() for r in rows)
    True
    """
    frame = graph.quotes()
    index = graph.concepts
    if concept:
        wanted = index.descendants(index.resolve(concept, field="concept"))
        frame = frame[frame["concepts"].map(lambda cs: bool(wanted.intersection(cs)))]
    if group:
        wanted = index.descendants(index.resolve(group, ("StakeholderGroup",), field="group"))
        frame = frame[frame["group"].isin(wanted)]
    if region:
        wanted = index.descendants(index.resolve(region, ("Region",), field="region"))
        frame = frame[frame["region"].isin(wanted)]
    if search:
        frame = frame[frame["text"].str.contains(search, case=False, regex=False, na=False)]
    if limit is not None and limit < 0:
        raise InputError("limit must be 0 or more", field="limit")
    frame = frame.sort_values(["source_line", "id"], na_position="last")
    if limit:
        frame = frame.head(limit)
    rows = []
    for row in frame.itertuples():
        who = row.respondent_label if isinstance(row.respondent_label, str) else None
        group_label = index[row.group].label if isinstance(row.group, str) and row.group in index else ""
        rows.append({
            "quote": row.id,
            "text": row.text,
            "attribution": who or (f"a respondent ({group_label})" if group_label else "unattributed"),
            "group": group_label,
            "region": index[row.region].label if isinstance(row.region, str) and row.region in index else "",
            "concepts": ", ".join(index[c].label if c in index else c for c in row.concepts),
            "source_line": None if row.source_line != row.source_line or row.source_line is None else int(row.source_line),
        })
    return rows
