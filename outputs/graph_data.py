"""What the graph page says about each node and edge: kind styles, the share cells of group ->
concept edges (read from the shares table), quotes, sizes and hover texts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from consultgraph.graph.model import codeable_kinds

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
#: The concept kinds the page draws: the codeable kinds of schema/ontology.ttl.
CONCEPT_KINDS = codeable_kinds()
QUOTES_PER_TIP = 3


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
def int_or_none(value):
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def text_or_none(value):
    return value if isinstance(value, str) and value.strip() else None


def quote_rows(graph):
    """Every quote as a dict: id, text, who (attribution), line, group, respondent, concepts."""
    frame = graph.quotes()
    concepts = graph.concepts
    label = lambda c: concepts[c].label if isinstance(c, str) and c in concepts else None  # noqa: E731
    rows = []
    for row in frame.itertuples():
        text = text_or_none(row.text)
        if text is None:
            continue
        group = row.group if isinstance(row.group, str) else None
        region = row.region if isinstance(row.region, str) else None
        who = text_or_none(row.respondent_label)
        parts = [p for p in (label(group), label(region)) if p]
        if who:
            attribution = who + (f" ({', '.join(parts)})" if parts else "")
        elif parts:
            attribution = f"a respondent ({', '.join(parts)})"
        else:
            attribution = "unattributed"
        line = int_or_none(row.source_line)
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



def share_cells(graph, concept_ids):
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


def basis_text(row):
    """' (respondent codings)', ' (finding, line 175)'."""
    if row["basis"] == "respondents":
        return " (respondent codings)"
    line = int_or_none(row.get("source_line"))
    return f" (finding, line {line})" if line else " (finding)"


def present(value):
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and value is not pd.NA


def weighted_degree(edges):
    degree = {}
    for edge in edges:
        w = 1 + edge.get("weight", 0) if edge["kind"] == "SHARE" else 1
        degree[edge["source"]] = degree.get(edge["source"], 0) + w
        degree[edge["target"]] = degree.get(edge["target"], 0) + w
    return degree



def annotate(nodes, edges, index, sizes, quotes, label_of):
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

    degree = weighted_degree(edges)
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

