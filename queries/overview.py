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
    people = graph.respondents()
    if len(people):
        for group, n in people["group"].value_counts().sort_index().items():
            name = concepts[group].label if group in concepts else group
            rows.append({"section": "respondents in the graph", "name": name, "count": int(n), "detail": ""})
        for region, n in people["region"].fillna("(not given)").value_counts().sort_index().items():
            name = concepts[region].label if region in concepts else region
            rows.append({"section": "respondents by region", "name": name, "count": int(n), "detail": ""})
    for kind, n in sorted(graph.nodes["kind"].value_counts().items()):
        rows.append({"section": "nodes", "name": kind, "count": int(n), "detail": ""})
    for kind, n in sorted(graph.edges["kind"].value_counts().items()):
        rows.append({"section": "relationships", "name": kind, "count": int(n), "detail": ""})
    findings = graph.findings()
    if len(findings):
        for measure, n in sorted(findings["measure"].value_counts().items()):
            rows.append({"section": "findings", "name": measure, "count": int(n), "detail": ""})
    return rows
