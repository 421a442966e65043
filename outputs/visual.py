"""The interactive graph: one self-contained, offline HTML page drawn with vis-network.

:func:`graph_view` turns a consultation into what a reader should see (groups, concepts,
regions, respondents; group -> concept edges labelled "69% (37 of 53)"), filtered and
kept within a node budget; :func:`graph_html` renders it as a page that inlines the
vis-network script pyvis ships, so the file works with no internet and can be mailed.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import pandas as pd

from consultgraph.errors import InputError
from consultgraph.queries.shares import format_share

#: Okabe-Ito colours (safe for colour-blind readers) and a shape per node kind, so
#: kinds stay apart in greyscale too.
KIND_STYLE = {
    "StakeholderGroup": {"color": "#D55E00", "shape": "diamond", "label": "Stakeholder group"},
    "Theme": {"color": "#0072B2", "shape": "dot", "label": "Theme"},
    "Tactic": {"color": "#009E73", "shape": "dot", "label": "Tactic"},
    "Approach": {"color": "#CC79A7", "shape": "square", "label": "Approach (question)"},
    "Idea": {"color": "#56B4E9", "shape": "dot", "label": "Idea"},
    "PartnerType": {"color": "#E69F00", "shape": "dot", "label": "Partner type"},
    "Audience": {"color": "#F0E442", "shape": "dot", "label": "Audience"},
    "Region": {"color": "#999999", "shape": "triangle", "label": "Region"},
    "Respondent": {"color": "#444444", "shape": "dot", "label": "Respondent"},
}
#: Words a reader may use for kinds (``--kinds group,theme``, ``--focus theme:climate``).
KIND_WORDS = {
    "group": "StakeholderGroup", "groups": "StakeholderGroup", "stakeholdergroup": "StakeholderGroup",
    "theme": "Theme", "themes": "Theme", "tactic": "Tactic", "tactics": "Tactic",
    "approach": "Approach", "approaches": "Approach", "idea": "Idea", "ideas": "Idea",
    "partner-type": "PartnerType", "partnertype": "PartnerType", "partner-types": "PartnerType",
    "audience": "Audience", "audiences": "Audience", "region": "Region", "regions": "Region",
    "respondent": "Respondent", "respondents": "Respondent",
}
CONCEPT_KINDS = ("Theme", "Tactic", "Approach", "Idea", "PartnerType", "Audience")
#: Above this many nodes respondents are folded into their groups (then top nodes kept).
MAX_NODES = 500
#: Above this many edges only the strongest are kept.
MAX_EDGES = 2500
#: Up to this many nodes the browser lays the graph out (physics, then stops);
#: above it positions are computed here and physics stays off.
PHYSICS_LIMIT = 400
LAYOUTS = ("auto", "physics", "precomputed")
QUOTES_PER_TIP = 3
#: Up to this many edge labels are always drawn; above it, only the selected node's.
EDGE_LABELS = 80
VIS_VERSION = "9.1.2"


@dataclass
class GraphView:
    """What the page shows: nodes and edges (plain dicts) and notes on what was left out."""

    title: str
    nodes: dict
    edges: list
    notes: list = field(default_factory=list)
    groups: list = field(default_factory=list)

    def counts(self):
        kinds = {}
        for node in self.nodes.values():
            kinds[node["kind"]] = kinds.get(node["kind"], 0) + 1
        return kinds


# ---------------------------------------------------------------------------- helpers
def _int(value):
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _text(value):
    return value if isinstance(value, str) and value.strip() else None


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
        kind = KIND_WORDS.get(word.lower()) or (word if word in KIND_STYLE else None)
        if kind is None:
            choices = "group, theme, tactic, approach, idea, partner-type, audience, region, respondent"
            raise InputError(f"unknown kind '{word}'", field="kinds", hint=f"use some of: {choices}")
        kinds.add(kind)
    return kinds


def quote_rows(graph):
    """Every quote as a dict: id, text, who (attribution), line, group, respondent, concepts."""
    frame = graph.quotes()
    concepts = graph.concepts
    label = lambda c: concepts[c].label if isinstance(c, str) and c in concepts else None  # noqa: E731
    rows = []
    for row in frame.itertuples():
        text = _text(row.text)
        if text is None:
            continue
        group = row.group if isinstance(row.group, str) else None
        region = row.region if isinstance(row.region, str) else None
        who = _text(row.respondent_label)
        parts = [p for p in (label(group), label(region)) if p]
        if who:
            attribution = who + (f" ({', '.join(parts)})" if parts else "")
        elif parts:
            attribution = f"a respondent ({', '.join(parts)})"
        else:
            attribution = "unattributed"
        line = _int(row.source_line)
        rows.append({
            "id": row.id,
            "text": text,
            "who": attribution + (f", source line {line}" if line else ""),
            "line": line,
            "group": group,
            "respondent": row.respondent if isinstance(row.respondent, str) else None,
            "concepts": list(row.concepts or ()),
        })
    rows.sort(key=lambda q: (q["line"] is None, q["line"] or 0, q["id"]))
    return rows


# ---------------------------------------------------------------------------- the view
def _share_cells(graph, concept_ids):
    """Per (group, concept): its rows of the shares table by stance, and every published finding on it."""
    from consultgraph.queries.shares import finding_shares, shares

    table = shares(graph)
    table = table[table["concept"].isin(concept_ids) & (table["basis"] != "votes")]
    cells = {}
    for row in table.to_dict("records"):
        cells.setdefault((row["group"], row["concept"]), {})[row["stance"]] = row
    published = finding_shares(graph)
    published = published[published["concept"].isin(concept_ids)]
    findings = {}
    for row in published.to_dict("records"):
        findings.setdefault((row["group"], row["concept"]), []).append(row)
    return cells, findings


def _basis_text(row):
    """' (respondent codings)', ' (finding, line 175)'."""
    if row["basis"] == "respondents":
        return " (respondent codings)"
    line = _int(row.get("source_line"))
    return f" (finding, line {line})" if line else " (finding)"


def _present(value):
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and value is not pd.NA


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
        Node kinds to keep: group, theme, tactic, approach, idea, partner-type,
        audience, region, respondent.
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

    cells, published = _share_cells(graph, concept_ids)
    for key in sorted(set(cells) | set(published)):
        group, concept = key
        if group not in nodes or concept not in nodes:
            continue
        mine = cells.get(key, {})
        whole = mine.get("raised")
        used = {row["finding"] for row in mine.values() if _present(row.get("finding"))}
        extra = [row for row in published.get(key, ()) if row["finding"] not in used]
        if whole is not None and whole["basis"] == "respondents" and not whole["count"] and not extra:
            continue  # nobody in the group raised it
        lines, label, weight, dashed = [], None, 0.0, False
        if whole is not None:
            label = whole["text"]
            if _present(whole["share"]):
                weight = float(whole["share"])
            elif _present(whole["count"]) and (sizes.get(group) or (None,))[0]:
                weight = min(1.0, whole["count"] / sizes[group][0])  # a count with no base: width from the group size
            dashed = not _present(whole["share"]) and not _present(whole["count"])
            lines.append(f"raised (any stance): {label}{_basis_text(whole)}")
            for stance in PARTS:
                part = mine.get(stance)
                if part is not None and (part["basis"] != "respondents" or part["count"]):
                    lines.append(f"{stance}: {part['text']}" + ("" if part["basis"] == "respondents" else _basis_text(part)))
        for row in extra:
            where = f"in {label_of(row['region'])}" if _present(row.get("region")) else "also published"
            lines.append(f"{where} ({row['stance']}): {row['text']}{_basis_text(row)}")
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
        add_node(row.id, "Respondent", _text(row.label) or row.id, group=group, region=region,
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
        nodes, edges = _restrict(nodes, edges, keep)
        nodes, edges = _drop_isolated(nodes, edges, keep_kinds=("StakeholderGroup",))
    if wanted_kinds is not None:
        nodes, edges = _restrict(nodes, edges, {n for n, node in nodes.items() if node["kind"] in wanted_kinds})
    if min_weight is not None:
        before = len(edges)
        edges = [e for e in edges if e["kind"] == "BROADER" or e.get("weight", 0) >= min_weight]
        if before != len(edges):
            notes.append(f"{before - len(edges)} edges lighter than {min_weight:g} left out (--min-weight).")
        nodes, edges = _drop_isolated(nodes, edges, keep_kinds=("StakeholderGroup",))
    if focus:
        centre = resolve_node(graph, nodes, focus)
        keep = _neighbourhood(nodes, edges, centre, depth)
        nodes, edges = _restrict(nodes, edges, keep)
        nodes[centre]["focus"] = True
        notes.append(f"Showing the neighbourhood of {nodes[centre]['label']} to depth {depth}.")

    # ------------------------------------------------------------ budget
    if max_nodes is not None and len(nodes) > max_nodes:
        nodes, edges, note = _fold_respondents(nodes, edges, index, max_nodes)
        if note:
            notes.append(note)
    if max_nodes is not None and len(nodes) > max_nodes:
        total = len(nodes)
        degree = _weighted_degree(edges)
        ranked = sorted(nodes, key=lambda n: (nodes[n]["kind"] != "StakeholderGroup", -degree.get(n, 0), n))
        nodes, edges = _restrict(nodes, edges, set(ranked[:max_nodes]))
        notes.append(f"Kept the {len(nodes)} best-connected of {total} nodes (budget {max_nodes}); "
                     "use --focus, --groups or --kinds to see the rest.")
    if max_edges is not None and len(edges) > max_edges:
        total = len(edges)
        order = sorted(range(len(edges)), key=lambda i: (edges[i]["kind"] != "SHARE", -edges[i].get("weight", 0), i))
        keep = set(order[:max_edges])
        edges = [e for i, e in enumerate(edges) if i in keep]
        notes.append(f"Kept the {len(edges)} heaviest of {total} edges (budget {max_edges}).")

    _annotate(nodes, edges, index, sizes, quotes, label_of)
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
    if sep and prefix.strip().lower() in KIND_WORDS:
        kinds = (KIND_WORDS[prefix.strip().lower()],)
        text = rest.strip()
    if kinds is not None and f"{prefix.strip().lower()}/{text}" in nodes:
        return f"{prefix.strip().lower()}/{text}"
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


def _restrict(nodes, edges, keep):
    nodes = {k: v for k, v in nodes.items() if k in keep}
    edges = [e for e in edges if e["source"] in nodes and e["target"] in nodes]
    return nodes, edges


def _drop_isolated(nodes, edges, keep_kinds=()):
    linked = {e["source"] for e in edges} | {e["target"] for e in edges if e["kind"] != "BROADER"}
    linked |= {e["target"] for e in edges if e["kind"] == "BROADER" and e["source"] in linked}
    keep = {n for n, node in nodes.items() if n in linked or node["kind"] in keep_kinds}
    return _restrict(nodes, edges, keep)


def _neighbourhood(nodes, edges, centre, depth):
    adjacent = {}
    for edge in edges:
        adjacent.setdefault(edge["source"], set()).add(edge["target"])
        adjacent.setdefault(edge["target"], set()).add(edge["source"])
    seen, frontier = {centre}, {centre}
    for _ in range(depth):
        frontier = {m for n in frontier for m in adjacent.get(n, ())} - seen
        seen |= frontier
    return seen


def _weighted_degree(edges):
    degree = {}
    for edge in edges:
        w = 1 + edge.get("weight", 0) if edge["kind"] == "SHARE" else 1
        degree[edge["source"]] = degree.get(edge["source"], 0) + w
        degree[edge["target"]] = degree.get(edge["target"], 0) + w
    return degree


def _fold_respondents(nodes, edges, index, max_nodes):
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
    nodes, edges = _restrict(nodes, edges, keep)
    for (group, region), who in sorted(based.items()):
        if region in nodes:
            base = members.get(group, 0)
            edges.append({"source": group, "target": region, "kind": "BASED_IN_GROUP", "weight": len(who) / base,
                          "label": format_share(len(who), base),
                          "lines": [f"{len(who)} of {base} respondents of {nodes[group]['label']} "
                                    f"are based in {nodes[region]['label']}"]})
    nodes, edges = _drop_isolated(nodes, edges, keep_kinds=("StakeholderGroup",))
    note = (f"{len(people)} respondents are folded into their groups: the graph had more than "
            f"{max_nodes} nodes. Group -> concept edges carry their counts; use --focus or --groups "
            "(or a larger --max-nodes) to see respondents.")
    return nodes, edges, note


def _annotate(nodes, edges, index, sizes, quotes, label_of):
    """Sizes, hover texts (counts, bases, quotes) and the groups each node belongs to."""
    ancestors = {}

    def lineage(group):
        if group not in ancestors:
            ancestors[group] = [group] + (sorted(index.ancestors(group)) if group in index else [])
        return ancestors[group]

    share_in, share_out = {}, {}
    for edge in edges:
        if edge["kind"] == "SHARE":
            share_in.setdefault(edge["target"], []).append(edge)
            share_out.setdefault(edge["source"], []).append(edge)
    # which groups a node belongs to, for the page's group filter
    belongs = {n: set() for n in nodes}
    for node_id, node in nodes.items():
        if node["kind"] == "StakeholderGroup":
            belongs[node_id].update(lineage(node_id))
        elif node["kind"] == "Respondent" and node.get("group"):
            belongs[node_id].update(lineage(node["group"]))
    for edge in edges:
        s, t = edge["source"], edge["target"]
        if edge["kind"] in ("SHARE", "BASED_IN_GROUP"):
            belongs[t].update(lineage(s))
            edge["groups"] = lineage(s)
        elif edge["kind"] in ("CODED", "BASED_IN", "MEMBER_OF"):
            belongs[t].update(belongs[s])
            edge["groups"] = sorted(belongs[s])
        elif edge["kind"] == "BROADER" and nodes[s]["kind"] == "StakeholderGroup":
            edge["groups"] = lineage(s)

    by_concept, by_group, by_person = {}, {}, {}
    for quote in quotes:
        for concept in quote["concepts"]:
            for c in [concept] + (sorted(index.ancestors(concept)) if concept in index else []):
                by_concept.setdefault(c, []).append(quote)
        if quote["group"]:
            for g in lineage(quote["group"]):
                by_group.setdefault(g, []).append(quote)
        if quote["respondent"]:
            by_person.setdefault(quote["respondent"], []).append(quote)

    def pick(rows, limit=QUOTES_PER_TIP):
        """Up to ``limit`` distinct quotes, and how many distinct quotes there were."""
        seen, out = set(), []
        for row in rows:
            if row["id"] in seen:
                continue
            seen.add(row["id"])
            if len(out) < limit:
                out.append({"text": row["text"], "who": row["who"]})
        return out, len(seen)

    degree = _weighted_degree(edges)
    biggest_group = max([s for s, _ in sizes.values()] or [1])
    max_concept = max([sum(e["weight"] for e in share_in.get(n, ())) for n in nodes] or [0]) or 1
    for node_id, node in nodes.items():
        kind = node["kind"]
        lines, picked, total = [], [], 0
        if kind == "StakeholderGroup":
            size = sizes.get(node_id)
            if size:
                basis = "in the data" if size[1] == "respondents" else size[1]
                lines.append(f"{size[0]} respondents, {basis}")
            parts = [label_of(c) for c in nodes if nodes[c]["kind"] == "StakeholderGroup" and c in index
                     and node_id in index[c].broader]
            if parts:
                lines.append("parts: " + ", ".join(parts))
            raised = sorted(share_out.get(node_id, ()), key=lambda e: -e["weight"])
            for edge in raised[:5]:
                lines.append(f"{label_of(edge['target'])}: {edge['label']}")
            if len(raised) > 5:
                lines.append(f"… and {len(raised) - 5} more concepts")
            picked, total = pick(by_group.get(node_id, ()))
            node["size"] = 16 + 18 * math.sqrt((size[0] if size else 1) / biggest_group)
        elif kind in CONCEPT_KINDS:
            lines.append(KIND_STYLE[kind]["label"])
            if node.get("definition"):
                lines.append(node["definition"])
            for edge in sorted(share_in.get(node_id, ()), key=lambda e: -e["weight"]):
                lines.append(f"{label_of(edge['source'])}: {edge['label']}")
            picked, total = pick(by_concept.get(node_id, ()))
            weight = sum(e["weight"] for e in share_in.get(node_id, ()))
            node["size"] = 9 + 17 * math.sqrt(weight / max_concept) + min(6, degree.get(node_id, 0) / 20)
        elif kind == "Region":
            lines.append("Region")
            node["size"] = 10 + min(14, math.sqrt(degree.get(node_id, 0)) * 2)
        elif kind == "Respondent":
            facts = [label_of(node[k]) for k in ("group", "region") if node.get(k)]
            if facts:
                lines.append(", ".join(facts))
            if node.get("focus_region"):
                lines.append(f"works in {label_of(node['focus_region'])}")
            picked, total = pick(by_person.get(node_id, ()))
            node["size"] = 5
        if node.get("focus"):
            node["size"] = node.get("size", 10) + 6
        tip = {"title": node["label"], "lines": lines}
        if picked:
            tip["quotes"] = picked
            if total > len(picked):
                tip["more"] = f"{total - len(picked)} more quote(s)"
        node["tip"] = tip
        node["groups"] = sorted(belongs[node_id])
    for edge in edges:
        if edge["kind"] == "SHARE":
            source, target = edge["source"], edge["target"]
            tip = {"title": f"{label_of(source)} \u2192 {label_of(target)}", "lines": edge.get("lines", [])}
            wanted = {target} | index.descendants(target) if target in index else {target}
            group_lineage = {source} | (index.descendants(source) if source in index else set())
            rows = [q for q in quotes if q["group"] in group_lineage and wanted.intersection(q["concepts"])]
            picked, total = pick(rows)
            if picked:
                tip["quotes"] = picked
                if total > len(picked):
                    tip["more"] = f"{total - len(picked)} more quote(s)"
            edge["tip"] = tip
            edge["width"] = 1 + 7 * edge["weight"]
        elif edge["kind"] == "BASED_IN_GROUP":
            edge["tip"] = {"title": f"{label_of(edge['source'])} \u2192 {label_of(edge['target'])}",
                           "lines": edge.get("lines", [])}
            edge["width"] = 1 + 4 * edge["weight"]


# ---------------------------------------------------------------------------- layout
def _positions(view):
    """x, y per node, computed here so big graphs need no physics in the browser.

    Concepts sit in the middle (a networkx spring layout of concepts and groups, so
    concepts raised by the same groups sit together), groups on a ring around them,
    each group's respondents in a sunflower outside their group, regions on an outer
    ring. Linear in respondents: 10,000 nodes take well under a second.
    """
    import networkx as nx

    nodes = view.nodes
    concepts = [n for n, node in nodes.items() if node["kind"] in CONCEPT_KINDS]
    groups = sorted((n for n, node in nodes.items() if node["kind"] == "StakeholderGroup"),
                    key=lambda n: nodes[n]["label"])
    regions = sorted((n for n, node in nodes.items() if node["kind"] == "Region"), key=lambda n: nodes[n]["label"])
    people = [n for n, node in nodes.items() if node["kind"] == "Respondent"]
    out = {}
    inner = 70 * math.sqrt(max(len(concepts), 1)) + 80
    if concepts:
        shape = nx.Graph()
        shape.add_nodes_from(concepts + groups)
        wanted = set(concepts) | set(groups)
        shape.add_edges_from((e["source"], e["target"]) for e in view.edges
                             if e["source"] in wanted and e["target"] in wanted)
        pos = nx.spring_layout(shape, seed=7, iterations=50) if len(concepts) <= 1500 else nx.circular_layout(shape)
        xs = [pos[c] for c in concepts]
        cx = sum(p[0] for p in xs) / len(xs)
        cy = sum(p[1] for p in xs) / len(xs)
        reach = max(math.hypot(p[0] - cx, p[1] - cy) for p in xs) or 1.0
        for concept in concepts:
            px, py = pos[concept]
            out[concept] = ((px - cx) / reach * inner, (py - cy) / reach * inner)
    by_group = {}
    for person in people:
        by_group.setdefault(nodes[person].get("group"), []).append(person)
    ring = inner + 220
    anchors = {}
    slots = groups + [g for g in sorted(by_group, key=str) if g not in nodes]
    for number, group in enumerate(slots):
        angle = 2 * math.pi * number / max(len(slots), 1) - math.pi / 2
        anchors[group] = (math.cos(angle), math.sin(angle))
        if group in nodes:
            out[group] = (math.cos(angle) * ring, math.sin(angle) * ring)
    golden = math.pi * (3 - math.sqrt(5))
    outer = ring + 200
    for group, members in by_group.items():
        ux, uy = anchors[group]
        spread = 10 * math.sqrt(len(members))
        cx, cy = ux * (ring + spread + 90), uy * (ring + spread + 90)
        outer = max(outer, ring + 2 * spread + 250)
        for i, person in enumerate(sorted(members)):
            radius = 10 * math.sqrt(i + 0.5)
            out[person] = (cx + radius * math.cos(i * golden), cy + radius * math.sin(i * golden))
    for number, region in enumerate(regions):
        angle = 2 * math.pi * (number + 0.5) / max(len(regions), 1) - math.pi / 2
        out[region] = (math.cos(angle) * outer, math.sin(angle) * outer)
    for node_id in nodes:
        out.setdefault(node_id, (0.0, 0.0))
    return out


# ---------------------------------------------------------------------------- the page
@lru_cache(maxsize=1)
def vis_network_js():
    """The vis-network script pyvis ships (standalone build: includes DataSet/DataView)."""
    path = resources.files("pyvis") / "lib" / f"vis-{VIS_VERSION}" / "vis-network.min.js"
    text = path.read_text(encoding="utf-8")
    # inside <script> the only dangerous sequence is "</script"; the build has none, but be sure
    return text.replace("</script", "<\\/script")


def _json_for_script(value):
    """JSON safe inside <script>: '<', '>' and '&' escaped, so data cannot close the tag."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _page_data(view, layout):
    positions = None
    physics = layout == "physics" or (layout == "auto" and len(view.nodes) <= PHYSICS_LIMIT)
    if not physics:
        positions = _positions(view)
    nodes = []
    for node_id, node in view.nodes.items():
        item = {"id": node_id, "label": node["label"], "kind": node["kind"], "size": round(node.get("size", 10), 1),
                "tip": node.get("tip"), "g": node.get("groups", [])}
        if node.get("focus"):
            item["focus"] = True
        if positions is not None:
            item["x"], item["y"] = (round(v, 1) for v in positions[node_id])
        nodes.append(item)
    edges = []
    for number, edge in enumerate(view.edges):
        item = {"id": f"e{number}", "from": edge["source"], "to": edge["target"], "kind": edge["kind"],
                "w": round(edge.get("weight", 0), 4)}
        for key in ("label", "tip", "dashes", "stance"):
            if edge.get(key):
                item[key] = edge[key]
        if edge.get("width"):
            item["width"] = round(edge["width"], 2)
        if edge.get("groups"):
            item["g"] = edge["groups"]
        edges.append(item)
    style = {kind: dict(spec) for kind, spec in KIND_STYLE.items()}
    labelled = sum(1 for e in edges if e.get("label"))
    return {"nodes": nodes, "edges": edges, "style": style, "physics": physics,
            "big": len(view.nodes) > PHYSICS_LIMIT, "labels": "all" if labelled <= EDGE_LABELS else "selected"}


_CSS = """
*{box-sizing:border-box}
body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#222;background:#fff}
header{padding:8px 14px;border-bottom:1px solid #ddd}
header h1{font-size:18px;margin:0 0 2px}
header p{margin:2px 0;color:#444}
header p.cg-note{color:#7a3b00;background:#fff4e5;padding:3px 6px;border-left:3px solid #E69F00}
#cg-main{display:flex;height:calc(100vh - 70px);min-height:420px}
#cg-side{width:290px;flex:none;overflow:auto;padding:8px 12px;border-right:1px solid #ddd;background:#fafafa}
#cg-side label{display:block;margin:6px 0 2px;font-weight:600}
#cg-side input,#cg-side select{width:100%;padding:4px;font:inherit}
#cg-side input[type=checkbox]{width:auto;margin:0}
#cg-side fieldset{border:1px solid #ddd;margin:8px 0;padding:4px 8px}
#cg-side fieldset label{font-weight:400;display:flex;align-items:center;gap:6px;margin:2px 0}
#cg-side button{margin:6px 0;font:inherit;padding:3px 8px}
.cg-swatch{display:inline-block;width:12px;height:12px;border:1px solid #333;flex:none}
.cg-swatch.dot{border-radius:50%}
.cg-swatch.diamond{transform:rotate(45deg) scale(.85)}
.cg-swatch.triangle{width:0;height:0;border:6px solid transparent;border-bottom:12px solid var(--c);border-top:0;background:none!important}
#cg-status{color:#555;font-size:12px}
#cg-network{flex:1;position:relative;min-width:0}
#cg-loading{position:absolute;top:10px;left:10px;background:#fff;padding:4px 8px;border:1px solid #ddd;z-index:2}
#cg-details{border-top:1px solid #ddd;margin-top:8px;padding-top:4px}
#cg-details h2{font-size:14px;margin:4px 0}
.cg-tip{max-width:420px;white-space:normal;font-size:13px}
.cg-tip strong{display:block;margin-bottom:2px}
.cg-tip blockquote{margin:4px 0 0;padding:2px 6px;border-left:3px solid #0072B2;font-style:italic;background:#f3f7fb}
.cg-tip cite{display:block;font-style:normal;color:#555;font-size:12px}
.cg-tip .cg-more{color:#555;font-size:12px}
div.vis-tooltip{position:absolute;visibility:hidden;padding:6px 8px;white-space:normal;font-size:13px;
 background:#fff;border:1px solid #888;border-radius:3px;box-shadow:2px 2px 8px rgba(0,0,0,.2);
 pointer-events:none;z-index:5;max-width:440px;color:#111}
@media print{#cg-side input,#cg-side select,#cg-side button,#cg-loading{display:none}
 #cg-main{height:auto;display:block}#cg-side{width:auto;border:0}#cg-network{height:600px;border:1px solid #ccc}}
"""

_APP_JS = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("cg-data").textContent);
  var style = data.style;
  window.cgReady = false;
  function ready() {
    if (window.cgReady) return;
    window.cgReady = true;
    window.cgReadyAt = performance.now();
    document.body.setAttribute("data-ready", "1");
    var loading = document.getElementById("cg-loading");
    if (loading) loading.style.display = "none";
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;  // text, never HTML
    return node;
  }
  function tipElement(tip) {
    if (!tip) return undefined;
    var root = el("div", "cg-tip");
    root.appendChild(el("strong", null, tip.title));
    (tip.lines || []).forEach(function (line) { root.appendChild(el("div", null, line)); });
    (tip.quotes || []).forEach(function (q) {
      var block = el("blockquote", null, "\u201c" + q.text + "\u201d");
      block.appendChild(el("cite", null, "\u2014 " + q.who));
      root.appendChild(block);
    });
    if (tip.more) root.appendChild(el("div", "cg-more", tip.more));
    return root;
  }
  function darker(hex) {
    var n = parseInt(hex.slice(1), 16), r = (n >> 16) * 0.6, g = ((n >> 8) & 255) * 0.6, b = (n & 255) * 0.6;
    return "rgb(" + Math.round(r) + "," + Math.round(g) + "," + Math.round(b) + ")";
  }
  var nodes = new vis.DataSet(data.nodes.map(function (n) {
    var s = style[n.kind] || {color: "#888888", shape: "dot"};
    var item = {
      id: n.id, label: n.label, kind: n.kind, g: n.g || [], tip: n.tip, size: n.size, shape: s.shape,
      color: {background: s.color, border: darker(s.color),
              highlight: {background: s.color, border: "#000000"}, hover: {background: s.color, border: "#000000"}},
      borderWidth: n.focus ? 4 : 1,
      font: {size: n.kind === "Respondent" ? 10 : 14, color: "#222222", strokeWidth: 3, strokeColor: "#ffffff"},
      title: tipElement(n.tip)
    };
    if (n.x !== undefined) { item.x = n.x; item.y = n.y; }
    return item;
  }));
  var edgeColours = {SHARE: "#555555", BASED_IN_GROUP: "#999999", BROADER: "#bbbbbb", MEMBER_OF: "#cccccc",
                     CODED: "#cfcfcf", BASED_IN: "#dddddd"};
  var edges = new vis.DataSet(data.edges.map(function (e) {
    var item = {id: e.id, from: e.from, to: e.to, kind: e.kind, g: e.g, w: e.w, tip: e.tip,
                color: {color: edgeColours[e.kind] || "#cccccc", highlight: "#000000", hover: "#000000", opacity: 0.9},
                width: e.width || (e.kind === "CODED" ? 0.6 : 1), dashes: !!e.dashes,
                arrows: e.kind === "BROADER" ? {to: {enabled: true, scaleFactor: 0.5}} : undefined};
    if (e.label) {
      item.fullLabel = e.label;
      if (data.labels === "all") item.label = e.label;
      item.font = {size: 11, align: "horizontal", strokeWidth: 0, background: "rgba(255,255,255,0.85)", color: "#222222"};
    }
    if (e.tip) item.title = tipElement(e.tip);
    return item;
  }));
  var kindOn = {}, groupOn = "", visible = new Set();
  document.querySelectorAll("#cg-legend input[data-kind]").forEach(function (box) {
    kindOn[box.getAttribute("data-kind")] = box.checked;
  });
  function nodeShown(n) {
    if (kindOn[n.kind] === false) return false;
    return !groupOn || (n.g || []).indexOf(groupOn) >= 0;
  }
  function recompute() {
    visible = new Set();
    nodes.forEach(function (n) { if (nodeShown(n)) visible.add(n.id); });
  }
  recompute();
  var nodesView = new vis.DataView(nodes, {filter: function (n) { return visible.has(n.id); }});
  var edgesView = new vis.DataView(edges, {filter: function (e) {
    if (!visible.has(e.from) || !visible.has(e.to)) return false;
    return !groupOn || !e.g || e.g.indexOf(groupOn) >= 0;
  }});
  var container = document.getElementById("cg-network");
  var options = {
    autoResize: true,
    nodes: {scaling: {label: {enabled: false}}},
    edges: {smooth: data.big ? false : {type: "continuous"}, selectionWidth: 2, hoverWidth: 1.5},
    interaction: {hover: true, tooltipDelay: 120, hideEdgesOnDrag: data.big, navigationButtons: false,
                  keyboard: false, multiselect: false},
    physics: data.physics ? {
      enabled: true, solver: "forceAtlas2Based",
      forceAtlas2Based: {gravitationalConstant: -70, springLength: 110, springConstant: 0.06, avoidOverlap: 0.5},
      stabilization: {enabled: true, iterations: 500, updateInterval: 50, fit: true}, minVelocity: 1.5
    } : {enabled: false},
    layout: {randomSeed: 7, improvedLayout: data.physics && data.nodes.length < 150}
  };
  var network = new vis.Network(container, {nodes: nodesView, edges: edgesView}, options);
  window.cg = {network: network, nodes: nodes, edges: edges, nodesView: nodesView, edgesView: edgesView};
  if (data.physics) {
    network.once("stabilizationIterationsDone", function () { network.setOptions({physics: {enabled: false}}); ready(); });
    network.once("stabilized", function () { network.setOptions({physics: {enabled: false}}); ready(); });
  } else {
    network.once("afterDrawing", function () { ready(); });
  }
  var status = document.getElementById("cg-status");
  function showStatus() {
    status.textContent = "Showing " + nodesView.length + " of " + nodes.length + " nodes and " +
      edgesView.length + " of " + edges.length + " edges.";
  }
  function refresh() { recompute(); nodesView.refresh(); edgesView.refresh(); showStatus(); }
  showStatus();
  document.querySelectorAll("#cg-legend input[data-kind]").forEach(function (box) {
    box.addEventListener("change", function () { kindOn[box.getAttribute("data-kind")] = box.checked; refresh(); });
  });
  var groupSelect = document.getElementById("cg-group");
  groupSelect.addEventListener("change", function () { groupOn = groupSelect.value; refresh(); });
  var details = document.getElementById("cg-details-body");
  function showDetails(tip) {
    details.textContent = "";
    if (tip) details.appendChild(tipElement(tip));
  }
  function describeEdge(e) {
    if (e.tip) return e.tip;
    var a = nodes.get(e.from), b = nodes.get(e.to);
    var words = {CODED: "raised", MEMBER_OF: "is a member of", BASED_IN: "is based in", BROADER: "is part of"};
    return {title: (a ? a.label : e.from) + " \u2192 " + (b ? b.label : e.to),
            lines: [(words[e.kind] || e.kind) + (e.label ? " (" + e.label + ")" : "")]};
  }
  var labelled = [];
  function labelEdgesOf(ids) {
    if (data.labels === "all") return;
    var changes = labelled.map(function (id) { return {id: id, label: undefined}; });
    labelled = [];
    ids.forEach(function (id) {
      network.getConnectedEdges(id).forEach(function (edgeId) {
        var edge = edges.get(edgeId);
        if (edge && edge.fullLabel) { changes.push({id: edgeId, label: edge.fullLabel}); labelled.push(edgeId); }
      });
    });
    edges.update(changes);
  }
  network.on("selectNode", function (params) { labelEdgesOf(params.nodes); });
  network.on("deselectNode", function (params) { labelEdgesOf(params.nodes); });
  network.on("click", function (params) {
    if (params.nodes.length) { showDetails(nodes.get(params.nodes[0]).tip); }
    else if (params.edges.length) { showDetails(describeEdge(edges.get(params.edges[0]))); }
  });
  var find = document.getElementById("cg-find"), list = document.getElementById("cg-names"), byName = {};
  var names = [];
  nodes.forEach(function (n) {
    var name = n.label + " (" + ((style[n.kind] || {}).label || n.kind) + ")";
    if (!(name in byName)) { byName[name] = n.id; names.push(name); }
  });
  names.sort().forEach(function (name) { var option = document.createElement("option"); option.value = name; list.appendChild(option); });
  var findStatus = document.getElementById("cg-find-status");
  function go() {
    var text = find.value.trim(), id = byName[text];
    if (id === undefined) {
      var lower = text.toLowerCase();
      nodes.forEach(function (n) { if (id === undefined && String(n.label).toLowerCase() === lower) id = n.id; });
    }
    if (id === undefined) { findStatus.textContent = text ? "No node called \u201c" + text + "\u201d." : ""; return; }
    if (!visible.has(id)) {
      groupOn = ""; groupSelect.value = "";
      var kind = nodes.get(id).kind; kindOn[kind] = true;
      var box = document.querySelector('#cg-legend input[data-kind="' + kind + '"]'); if (box) box.checked = true;
      refresh();
    }
    findStatus.textContent = "";
    network.selectNodes([id]);
    labelEdgesOf([id]);
    network.focus(id, {scale: 1.1, animation: {duration: 300}});
    showDetails(nodes.get(id).tip);
  }
  find.addEventListener("change", go);
  find.addEventListener("keydown", function (event) { if (event.key === "Enter") go(); });
  document.getElementById("cg-reset").addEventListener("click", function () {
    groupOn = ""; groupSelect.value = "";
    document.querySelectorAll("#cg-legend input[data-kind]").forEach(function (box) {
      box.checked = true; kindOn[box.getAttribute("data-kind")] = true; });
    refresh(); network.unselectAll(); labelEdgesOf([]); network.fit();
  });
  window.cg.refresh = refresh;
  window.cg.find = function (text) { find.value = text; go(); };
})();
"""


def render_page(view, *, layout="auto", height=None):
    """The HTML page of ``view`` (see :func:`graph_html`)."""
    if layout not in LAYOUTS:
        raise InputError(f"unknown layout '{layout}'", field="layout", hint=f"use one of: {', '.join(LAYOUTS)}")
    data = _page_data(view, layout)
    esc = html.escape
    counts = view.counts()
    legend = []
    for kind, spec in KIND_STYLE.items():
        if kind not in counts:
            continue
        legend.append(
            f'<label><input type="checkbox" data-kind="{esc(kind)}" checked>'
            f'<span class="cg-swatch {esc(spec["shape"])}" style="background:{spec["color"]};--c:{spec["color"]}"></span>'
            f'{esc(spec["label"])} ({counts[kind]})</label>'
        )
    options = "".join(f'<option value="{esc(gid)}">{esc(label)}</option>' for gid, label in view.groups)
    notes = "".join(f'<p class="cg-note">{esc(note)}</p>' for note in view.notes)
    summary = (f"{len(view.nodes)} nodes, {len(view.edges)} edges. Group \u2192 concept edges show the share of "
               "the group that raised the concept, with count and base. Hover for counts and quotes; "
               "click for details.")
    if data["labels"] == "selected":
        summary += " Click a node to label its edges with their numbers."
    style_height = f"#cg-main{{height:{esc(height)}}}" if height else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{esc(view.title)} \u2014 graph</title>"
        f"<style>{_CSS}{style_height}</style>"
        f"<script>{vis_network_js()}</script>"
        "</head><body>"
        f"<header><h1>{esc(view.title)}</h1><p>{esc(summary)}</p>{notes}</header>"
        "<div id=\"cg-main\"><aside id=\"cg-side\">"
        "<label for=\"cg-find\">Find a node</label>"
        "<input id=\"cg-find\" list=\"cg-names\" placeholder=\"type a name, then Enter\" autocomplete=\"off\">"
        "<datalist id=\"cg-names\"></datalist><div id=\"cg-find-status\" role=\"status\"></div>"
        "<label for=\"cg-group\">Stakeholder group</label>"
        f"<select id=\"cg-group\"><option value=\"\">All groups</option>{options}</select>"
        f"<fieldset id=\"cg-legend\"><legend>Kinds (untick to hide)</legend>{''.join(legend)}</fieldset>"
        "<button id=\"cg-reset\" type=\"button\">Show everything</button>"
        "<p id=\"cg-status\" role=\"status\"></p>"
        "<section id=\"cg-details\"><h2>Details</h2><div id=\"cg-details-body\">Click a node or an edge.</div></section>"
        "</aside><div id=\"cg-network\"><div id=\"cg-loading\">Laying out the graph\u2026</div></div></div>"
        "<noscript><p>This page needs JavaScript to draw the graph.</p></noscript>"
        f"<script type=\"application/json\" id=\"cg-data\">{_json_for_script(data)}</script>"
        f"<script>{_APP_JS}</script>"
        "</body></html>\n"
    )


def graph_html(graph, *, focus=None, depth=1, groups=None, kinds=None, min_weight=None, max_nodes=MAX_NODES,
               max_edges=MAX_EDGES, layout="auto", title=None, height=None):
    """One self-contained HTML page with the interactive graph (no network access needed).

    Nodes are coloured and shaped by kind (legend on the page, Okabe-Ito colours) and
    sized by group size or by the shares that point at them; group -> concept edges are
    as wide as the share and labelled "69% (37 of 53)". Hovering shows counts, bases and
    up to three quotes with attribution; the side bar finds a node and filters by
    stakeholder group and kind. Every text from the data is put in the page as text
    (JSON with ``<`` escaped, drawn with ``textContent``), never as HTML.

    Parameters
    ----------
    graph : Consultation
    focus, depth, groups, kinds, min_weight, max_nodes, max_edges
        As :func:`graph_view`.
    layout : {'auto', 'physics', 'precomputed'}
        ``auto`` lets the browser lay out up to 400 nodes (physics stabilises, then
        stops) and precomputes positions with networkx above that.
    title : str, optional
    height : str, optional
        CSS height of the drawing area (e.g. ``"640px"``); the window's height if omitted.

    Returns
    -------
    str

    Examples
    --------
    >>> from consultgraph.loaders import builtin
    >>> page = graph_html(builtin(), kinds="group,tactic")
    >>> "https://" in page.split('id="cg-data"')[0].split("<body>")[1]
    False
    """
    view = graph_view(graph, focus=focus, depth=depth, groups=groups, kinds=kinds, min_weight=min_weight,
                      max_nodes=max_nodes, max_edges=max_edges, title=title)
    return render_page(view, layout=layout, height=height)


def write_graph_html(graph, path, **options):
    """Write :func:`graph_html` to ``path`` atomically; returns the path."""
    from consultgraph.graph.store import atomic_write

    page = graph_html(graph, **options)
    return atomic_write(path, lambda tmp: tmp.write_text(page, encoding="utf-8"))
