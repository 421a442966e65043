"""The overview: who answered, how the graph is made up, what the findings cover."""

from __future__ import annotations


def groups(graph):
    """Every stakeholder group: id, label, parts, size, where the size comes from, respondents.

    One row per group in the graph, top-level groups first, each followed by its parts.
    ``size`` is the group's size in the source ("stated (line 74)"), the respondents
    counted with codings, the members of a Pol.is opinion group, or the sum of its
    parts; ``respondents`` counts the respondent nodes of the group and ``respondents_are``
    says whether they are counted (they carry codings) or only quoted by name.

    Examples
    --------
    >>> from consultgraph.loaders import builtin
    >>> rows = {r["id"]: r for r in groups(builtin())}
    >>> rows["group/international-secretariat"]["parts"], rows["group/international-secretariat"]["size"]
    ('group/global-network, group/is-office', 37)
    >>> rows["group/national-entity"]["respondents"], rows["group/national-entity"]["respondents_are"]
    (18, 'quoted by name (not counted in the size)')
    """
    concepts = graph.concepts
    summary = graph.summary()  # stored with the project: respondents are not read here
    ids = summary.get("group_ids")  # stored with the project; an older store reads the nodes
    if ids is None:
        ids = [str(i) for i in graph.table("StakeholderGroup")["id"]]
    sizes = graph.group_sizes()
    opinion = {}
    if summary["edges_by_kind"].get("IN_OPINION_GROUP"):
        members = graph.edges_of("IN_OPINION_GROUP")
        opinion = members.groupby("target", observed=True)["source"].nunique().to_dict()
    named = summary["respondents_by_group"]
    coded = set(summary["coded_groups"])
    voted = bool(summary["edges_by_kind"].get("VOTED"))
    wrote = bool(summary["edges_by_kind"].get("WROTE"))  # free-text responses, coded or not yet
    parents = {g: [p for p in (concepts[g].broader if g in concepts else ()) if p in ids] for g in ids}
    parts = {g: [c for c in ids if g in parents[c]] for g in ids}

    def label(group):
        return concepts[group].label if group in concepts else group

    def size_of(group):
        if group in sizes:
            size, basis = sizes[group]
            return size, ("respondents with codings" if basis == "respondents" else basis)
        if group in opinion:
            return int(opinion[group]), "members of the opinion group (participants who voted)"
        if voted and named.get(group):
            return int(named[group]), "participants who voted"
        known = [size_of(p)[0] for p in parts[group]]
        if parts[group] and all(k is not None for k in known):
            return sum(known), "sum of its parts"
        if wrote and named.get(group):
            return None, "not coded yet: run `consultgraph code`"
        return None, "not stated"

    rows = []

    def add(group, depth):
        size, basis = size_of(group)
        count = int(named.get(group, 0))
        if count and group in coded:
            are = "counted (they carry codings)"
        elif count and voted:
            are = "counted (they voted)"
        elif count and wrote:
            are = "wrote responses, not coded yet"
        elif count:
            are = "quoted by name (not counted in the size)"
        else:
            are = ""
        rows.append({"id": group, "label": ("  " * depth) + label(group) if depth else label(group),
                     "parts": ", ".join(parts[group]), "size": size, "size_from": basis,
                     "respondents": count, "respondents_are": are})
        for part in sorted(parts[group], key=lambda g: ids.index(g)):
            add(part, depth + 1)

    for group in ids:
        if not parents[group]:
            add(group, 0)
    return rows


def stats(graph):
    """Rows ``section, name, count, detail`` describing the graph.

    The ``group`` section lists every stakeholder group (opinion groups included) with
    its id (what ``--groups`` takes), parts, size and where the size comes from.

    Examples
    --------
    >>> from consultgraph.loaders import builtin
    >>> rows = stats(builtin())
    >>> next(r for r in rows if r["section"] == "group" and r["name"] == "Partners")["count"]
    74
    """
    rows = []
    concepts = graph.concepts
    group_rows = groups(graph)
    for group in group_rows:
        detail = group["size_from"] + (f"; parts: {group['parts']}" if group["parts"] else "")
        rows.append({"section": "group", "id": group["id"], "name": group["label"].strip(), "count": group["size"],
                     "detail": detail})
    for group in group_rows:
        if group["respondents"]:
            rows.append({"section": "respondents in the graph", "id": group["id"], "name": group["label"].strip(),
                         "count": group["respondents"], "detail": group["respondents_are"]})
    summary = graph.summary()  # counted when the project was written: no table is read here
    if summary["edges_by_kind"].get("WROTE"):  # free text: a coder choice's base is who it read
        read = [g for g in group_rows if g["respondents"]]
        bases = graph.respondent_counts([g["id"] for g in read]) if read else None
        for group, base in zip(read, bases["respondents"] if bases is not None else ()):
            rows.append({"section": "read by --coder " + graph.coder, "id": group["id"], "name": group["label"].strip(),
                         "count": int(base), "detail": "respondents whose answers it read: the base of its shares"})
    if summary["respondents"]:
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
