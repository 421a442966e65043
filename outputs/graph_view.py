"""The graph page's content: :func:`graph_view` picks the nodes and edges a reader should see
(groups, concepts, regions, respondents), filters them and keeps them within a node budget.
"""

from __future__ import annotations

from consultgraph.errors import InputError, UnknownNameError
from consultgraph.graph.model import cli_name, kind_names, kind_summary, normalise_kind
from consultgraph.outputs.graph_data import (
    CONCEPT_KINDS, KIND_STYLE, GraphView, annotate, basis_text, present, quote_rows, share_cells,
    text_or_none, weighted_degree,
)
from consultgraph.queries.shares import format_share

#: Above this many nodes respondents are folded into their groups (then top nodes kept).
MAX_NODES = 500
#: Above this many edges only the strongest are kept.
MAX_EDGES = 2500


def kinds_from_words(words):
    """Node kinds for words like ``group,theme`` (an unknown word raises, listing the choices)."""
    if words is None:
        return None
    if isinstance(words, str):
        words = [w for w in words.split(",")]
    kinds = set()
    for word in words:
        word = word.strip()
        if not word:
            continue
        try:
            kinds.add(normalise_kind(word, tuple(KIND_STYLE)))
        except UnknownNameError:
            choices = ", ".join(kind_names(tuple(KIND_STYLE)))
            raise InputError(f"unknown kind '{word}'", field="kinds", hint=f"use some of: {choices}") from None
    return kinds



def graph_view(graph, *, focus=None, depth=1, groups=None, kinds=None, min_weight=None,
               max_nodes=MAX_NODES, max_edges=MAX_EDGES, title=None):
    """What the interactive page shows, filtered and within the node budget.

    Nodes are stakeholder groups, concepts (themes, tactics, approaches, ideas, partner
    types, audiences), regions and respondents. Edges: group -> concept, labelled with
    the share of the group ("69% (37 of 53)") from respondent codings (counting
    respondents who raised the concept or anything narrower) or else from published
    findings; respondent -> group, concept and region; narrower -> broader concept.

    Parameters
    ----------
    graph : Consultation
    focus : str, optional
        A node id (``theme/environment-climate``), ``kind:label`` (``theme:climate``) or
        a label; only its neighbourhood to ``depth`` is kept.
    groups : str or list, optional
        Only these stakeholder groups (and their parts), their respondents and the
        concepts they raised.
    kinds : str or list, optional
        Node kinds to keep, by their names in ``schema/ontology.ttl`` (group, theme,
        tactic, ..., region, respondent; see :func:`~consultgraph.graph.model.normalise_kind`).
    min_weight : float, optional
        Drop edges lighter than this. A group -> concept edge weighs its share (0-1),
        a respondent's coding its coding weight (1 unless stated).
    max_nodes, max_edges : int
        The budget. Above ``max_nodes`` respondents are folded into their groups,
        then the best-connected nodes are kept; above ``max_edges`` the heaviest edges
        are kept. :attr:`GraphView.notes` says what was left out.

    Returns
    -------
    GraphView

    Examples
    --------
    >>> from consultgraph.loaders import builtin
    >>> view = graph_view(builtin(), kinds="group,tactic")
    >>> sorted(set(node["kind"] for node in view.nodes.values()))
    ['StakeholderGroup', 'Tactic']
    """
    if depth is None or depth < 0:
        raise InputError("depth must be 0 or more", field="depth")
    if max_nodes is not None and max_nodes < 1:
        raise InputError("max_nodes must be 1 or more", field="max_nodes")
    index = graph.concepts
    label_of = lambda c: index[c].label if c in index else c  # noqa: E731
    wanted_kinds = kinds_from_words(kinds)
    people = graph.respondents()
    codings = graph.codings()
    findings = graph.findings()
    sizes = graph.group_sizes()
    quotes = quote_rows(graph)
    notes = []

    nodes, edges = {}, []

    def add_node(node_id, kind, label, **extra):
        if node_id not in nodes:
            nodes[node_id] = {"id": node_id, "kind": kind, "label": label or node_id, "weight": 0.0, **extra}
        return nodes[node_id]

    # concepts that data points at (codings, findings, quotes), with their broader concepts
    used = set(codings["concept"].dropna().unique()) | set(findings["concept"].dropna().unique())
    for quote in quotes:
        used.update(quote["concepts"])
    concept_ids = set()
    for concept in used:
        if concept in index and index[concept].kind in CONCEPT_KINDS:
            concept_ids.add(concept)
            concept_ids.update(a for a in index.ancestors(concept) if index[a].kind in CONCEPT_KINDS)
    for concept in sorted(concept_ids):
        add_node(concept, index[concept].kind, label_of(concept), definition=index[concept].definition)

    group_ids = set(sizes) | set(findings["group"].dropna().unique()) | set(people["group"].dropna().unique())
    group_ids = {g for g in group_ids if g in index}
    for group in sorted(group_ids):
        add_node(group, "StakeholderGroup", label_of(group), size_stated=sizes.get(group))

    # group -> concept edges: the shares table's "raised" row is the label, its parts and
    # the published findings the tooltip
    from consultgraph.queries.shares import PARTS

    cells, published = share_cells(graph, concept_ids)
    for key in sorted(set(cells) | set(published)):
        group, concept = key
        if group not in nodes or concept not in nodes:
            continue
        mine = cells.get(key, {})
        whole = mine.get("raised")
        used = {row["finding"] for row in mine.values() if present(row.get("finding"))}
        extra = [row for row in published.get(key, ()) if row["finding"] not in used]
        if whole is not None and whole["basis"] == "respondents" and not whole["count"] and not extra:
            continue  # nobody in the group raised it
        lines, label, weight, dashed = [], None, 0.0, False
        if whole is not None:
            label = whole["text"]
            if present(whole["share"]):
                weight = float(whole["share"])
            elif present(whole["count"]) and (sizes.get(group) or (None,))[0]:
                weight = min(1.0, whole["count"] / sizes[group][0])  # a count with no base: width from the group size
            dashed = not present(whole["share"]) and not present(whole["count"])
            lines.append(f"raised (any stance): {label}{basis_text(whole)}")
            if whole["base_kind"] == "subgroup":
                lines.append(f"base: a subgroup ({whole['base_note'] or 'see the finding'})")
            for stance in PARTS:
                part = mine.get(stance)
                if part is not None and (part["basis"] != "respondents" or part["count"]):
                    lines.append(f"{stance}: {part['text']}" + ("" if part["basis"] == "respondents" else basis_text(part)))
        for row in extra:
            where = f"in {label_of(row['region'])}" if present(row.get("region")) else "also published"
            lines.append(f"{where} ({row['stance']}): {row['text']}{basis_text(row)}")
        if label is None:
            label, dashed = "regional findings", True
        edges.append({
            "source": group, "target": concept, "kind": "SHARE", "weight": weight, "label": label,
            "dashes": dashed, "lines": lines,
        })

    # respondents, their regions and codings
    region_ids = set()
    group_of = {}
    for row in people.itertuples():
        group = row.group if isinstance(row.group, str) else None
        group_of[row.id] = group
        region = row.region if isinstance(row.region, str) else None
        focus_region = row.focus_region if isinstance(row.focus_region, str) else None
        add_node(row.id, "Respondent", text_or_none(row.label) or row.id, group=group, region=region,
                 focus_region=focus_region)
        if group in nodes:
            edges.append({"source": row.id, "target": group, "kind": "MEMBER_OF", "weight": 1.0})
        if region in index:
            region_ids.add(region)
            edges.append({"source": row.id, "target": region, "kind": "BASED_IN", "weight": 1.0})
    for region in sorted(region_ids):
        add_node(region, "Region", label_of(region))
    if len(codings):
        frame = codings[codings["concept"].isin(concept_ids) & codings["respondent"].isin(nodes)]
        frame = frame.drop_duplicates(["respondent", "concept", "stance"])
        for respondent, concept, stance, weight in frame[["respondent", "concept", "stance", "weight"]].itertuples(
            index=False, name=None
        ):
            stance = stance if isinstance(stance, str) else "mention"
            weight = 1.0 if weight is None or weight != weight else float(weight)
            edges.append({"source": respondent, "target": concept, "kind": "CODED", "stance": stance,
                          "weight": weight, "label": stance if stance != "mention" else None})

    # narrower -> broader, between nodes that are in the picture
    for node_id in list(nodes):
        if node_id in index and nodes[node_id]["kind"] != "Respondent":
            for parent in index[node_id].broader:
                if parent in nodes:
                    edges.append({"source": node_id, "target": parent, "kind": "BROADER", "weight": 1.0,
                                  "dashes": True})

    # ------------------------------------------------------------ filters
    if groups:
        names = [g for g in groups.split(",")] if isinstance(groups, str) else list(groups)
        chosen = set()
        for name in names:
            if name.strip():
                chosen |= index.descendants(index.resolve(name.strip(), ("StakeholderGroup",), field="groups"))
        keep = set()
        for node_id, node in nodes.items():
            if node["kind"] == "StakeholderGroup":
                if node_id in chosen:
                    keep.add(node_id)
            elif node["kind"] == "Respondent":
                if node.get("group") in chosen:
                    keep.add(node_id)
            else:
                keep.add(node_id)
        nodes, edges = restrict(nodes, edges, keep)
        nodes, edges = drop_isolated(nodes, edges, keep_kinds=("StakeholderGroup",))
    if wanted_kinds is not None:
        nodes, edges = restrict(nodes, edges, {n for n, node in nodes.items() if node["kind"] in wanted_kinds})
    if min_weight is not None:
        before = len(edges)
        edges = [e for e in edges if e["kind"] == "BROADER" or e.get("weight", 0) >= min_weight]
        if before != len(edges):
            notes.append(f"{before - len(edges)} edges lighter than {min_weight:g} left out (--min-weight).")
        nodes, edges = drop_isolated(nodes, edges, keep_kinds=("StakeholderGroup",))
    if focus:
        centre = resolve_node(graph, nodes, focus)
        keep = neighbourhood(nodes, edges, centre, depth)
        nodes, edges = restrict(nodes, edges, keep)
        nodes[centre]["focus"] = True
        notes.append(f"Showing the neighbourhood of {nodes[centre]['label']} to depth {depth}.")

    # ------------------------------------------------------------ budget
    if max_nodes is not None and len(nodes) > max_nodes:
        nodes, edges, note = fold_respondents(nodes, edges, index, max_nodes)
        if note:
            notes.append(note)
    if max_nodes is not None and len(nodes) > max_nodes:
        total = len(nodes)
        degree = weighted_degree(edges)
        ranked = sorted(nodes, key=lambda n: (nodes[n]["kind"] != "StakeholderGroup", -degree.get(n, 0), n))
        nodes, edges = restrict(nodes, edges, set(ranked[:max_nodes]))
        notes.append(f"Kept the {len(nodes)} best-connected of {total} nodes (budget {max_nodes}); "
                     "use --focus, --groups or --kinds to see the rest.")
    if max_edges is not None and len(edges) > max_edges:
        total = len(edges)
        order = sorted(range(len(edges)), key=lambda i: (edges[i]["kind"] != "SHARE", -edges[i].get("weight", 0), i))
        keep = set(order[:max_edges])
        edges = [e for i, e in enumerate(edges) if i in keep]
        notes.append(f"Kept the {len(edges)} heaviest of {total} edges (budget {max_edges}).")

    annotate(nodes, edges, index, sizes, quotes, label_of)
    order = {kind: i for i, kind in enumerate(KIND_STYLE)}
    group_list = sorted((n for n in nodes.values() if n["kind"] == "StakeholderGroup"), key=lambda n: n["label"])
    return GraphView(
        title=title or (graph.name or "consultation"),
        nodes=dict(sorted(nodes.items(), key=lambda kv: (order.get(kv[1]["kind"], 99), kv[1]["label"], kv[0]))),
        edges=edges,
        notes=notes,
        groups=[(g["id"], g["label"]) for g in group_list],
    )


def resolve_node(graph, nodes, text):
    """The id of the node ``text`` names among ``nodes``: an id, ``kind:label`` or a label."""
    text = str(text).strip()
    if text in nodes:
        return text
    prefix, sep, rest = text.partition(":")
    kinds = None
    named = kind_summary().words.get(prefix.strip().lower()) if sep else None
    if named in KIND_STYLE:
        kinds = (named,)
        text = rest.strip()
    if kinds is not None and f"{cli_name(named)}/{text}" in nodes:
        return f"{cli_name(named)}/{text}"
    found = problem = None
    if kinds != ("Respondent",):
        try:
            found = graph.concepts.resolve(text, kinds, field="focus")
        except InputError as error:
            if "ambiguous" in error.message:
                raise
            problem = error
    if found in nodes:
        return found
    folded = text.lower()
    for node_id, node in nodes.items():
        if node["kind"] == "Respondent" and (node_id == f"respondent/{text}" or str(node["label"]).lower() == folded):
            return node_id
    if found is not None:
        raise InputError(f"'{graph.concepts[found].label}' is not in the graph as filtered", field="focus",
                         hint="drop --kinds/--groups/--min-weight, or focus on something else")
    if problem is not None and kinds is not None:
        raise problem
    raise InputError(f"no node '{text}' in the graph", field="focus",
                     hint="use an id (theme/environment-climate), kind:label (theme:climate) or a label")


def restrict(nodes, edges, keep):
    nodes = {k: v for k, v in nodes.items() if k in keep}
    edges = [e for e in edges if e["source"] in nodes and e["target"] in nodes]
    return nodes, edges


def drop_isolated(nodes, edges, keep_kinds=()):
    linked = {e["source"] for e in edges} | {e["target"] for e in edges if e["kind"] != "BROADER"}
    linked |= {e["target"] for e in edges if e["kind"] == "BROADER" and e["source"] in linked}
    keep = {n for n, node in nodes.items() if n in linked or node["kind"] in keep_kinds}
    return restrict(nodes, edges, keep)


def neighbourhood(nodes, edges, centre, depth):
    adjacent = {}
    for edge in edges:
        adjacent.setdefault(edge["source"], set()).add(edge["target"])
        adjacent.setdefault(edge["target"], set()).add(edge["source"])
    seen, frontier = {centre}, {centre}
    for _ in range(depth):
        frontier = {m for n in frontier for m in adjacent.get(n, ())} - seen
        seen |= frontier
    return seen



def fold_respondents(nodes, edges, index, max_nodes):
    """Respondents folded into their group: group -> region edges count who is based where."""
    people = [n for n, node in nodes.items() if node["kind"] == "Respondent"]
    if not people:
        return nodes, edges, None
    based = {}
    for edge in edges:
        if edge["kind"] == "BASED_IN":
            group = nodes[edge["source"]].get("group")
            if group in nodes:
                based.setdefault((group, edge["target"]), set()).add(edge["source"])
    members = {}
    for person in people:
        group = nodes[person].get("group")
        members[group] = members.get(group, 0) + 1
    keep = set(nodes) - set(people)
    nodes, edges = restrict(nodes, edges, keep)
    for (group, region), who in sorted(based.items()):
        if region in nodes:
            base = members.get(group, 0)
            edges.append({"source": group, "target": region, "kind": "BASED_IN_GROUP", "weight": len(who) / base,
                          "label": format_share(len(who), base),
                          "lines": [f"{len(who)} of {base} respondents of {nodes[group]['label']} "
                                    f"are based in {nodes[region]['label']}"]})
    nodes, edges = drop_isolated(nodes, edges, keep_kinds=("StakeholderGroup",))
    note = (f"{len(people)} respondents are folded into their groups: the graph had more than "
            f"{max_nodes} nodes. Group -> concept edges carry their counts; use --focus or --groups "
            "(or a larger --max-nodes) to see respondents.")
    return nodes, edges, note

