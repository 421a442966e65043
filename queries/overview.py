"""The overview: who answered, how the graph is made up, what the findings cover."""

from __future__ import annotations


def stats(graph):
    """Rows ``section, name, count, detail`` describing the graph.

    Examples
    --------
    >>> from consultgraph.loaders import builtin
    >>> rows = stats(builtin())
    >>> next(r for r in rows if r["section"] == "group" and r["name"] == "Partners")["count"]
    74
    """
    rows = []
    concepts = graph.concepts
    for group, (size, basis) in sorted(graph.group_sizes().items()):
        name = concepts[group].label if group in concepts else group
        rows.append({"section": "group", "name": name, "count": size, "detail": basis})
    summary = graph.summary()  # counted when the project was written: no table is read here
    if summary["respondents"]:
        for group, n in sorted(summary["respondents_by_group"].items()):
            name = concepts[group].label if group in concepts else group
            rows.append({"section": "respondents in the graph", "name": name, "count": int(n), "detail": ""})
        by_region = dict(summary["respondents_by_region"])
        missing = summary["respondents"] - sum(by_region.values())
        if missing:
            by_region["(not given)"] = missing
        for region, n in sorted(by_region.items()):
            name = concepts[region].label if region in concepts else region
            rows.append({"section": "respondents by region", "name": name, "count": int(n), "detail": ""})
    counts = graph.stats()  # stored with the project: no table is read for these
    for kind, n in sorted(counts["nodes"].items()):
        rows.append({"section": "nodes", "name": kind, "count": int(n), "detail": ""})
    for kind, n in sorted(counts["edges"].items()):
        rows.append({"section": "relationships", "name": kind, "count": int(n), "detail": ""})
    for measure, n in sorted(summary["findings_by_measure"].items()):
        rows.append({"section": "findings", "name": measure, "count": int(n), "detail": ""})
    return rows
