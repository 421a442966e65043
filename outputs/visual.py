"""The interactive graph: one self-contained, offline HTML page drawn with vis-network.

:func:`graph_view` (:mod:`~consultgraph.outputs.graph_view`) turns a consultation into what a reader should see (groups, concepts,
regions, respondents; group -> concept edges labelled "69% (37 of 53)"), filtered and
kept within a node budget; :func:`graph_html` renders it as a page that inlines the
vis-network script pyvis ships, so the file works with no internet and can be mailed.
The page's own CSS and script are package data (``outputs/static/graph.css``, ``graph.js``).
"""

from __future__ import annotations

import html
import json
import math
from functools import lru_cache
from importlib import resources
from importlib.util import find_spec
from pathlib import Path

from consultgraph.errors import InputError
from consultgraph.outputs.graph_data import CONCEPT_KINDS, KIND_STYLE, GraphView, quote_rows  # noqa: F401  (API)
from consultgraph.outputs.graph_page import write_graph_html  # noqa: F401  (API: one writer, kept pages)
from consultgraph.outputs.graph_view import MAX_EDGES, MAX_NODES, graph_view, kinds_from_words  # noqa: F401  (API)

#: Up to this many nodes the browser lays the graph out (physics, then stops);
#: above it positions are computed here and physics stays off.
PHYSICS_LIMIT = 400
LAYOUTS = ("auto", "physics", "precomputed")
#: Up to this many edge labels are always drawn; above it, only the selected node's.
EDGE_LABELS = 80
VIS_VERSION = "9.1.2"


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
    """The vis-network script pyvis ships (standalone build: includes DataSet/DataView).

    The file is found through the package's location, without importing pyvis (which
    imports IPython: half a second).
    """
    spec = find_spec("pyvis")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("pyvis is not installed: it ships the vis-network script the page inlines")
    folder = Path(next(iter(spec.submodule_search_locations)))
    text = (folder / "lib" / f"vis-{VIS_VERSION}" / "vis-network.min.js").read_text(encoding="utf-8")
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



@lru_cache(maxsize=1)
def _static(name):
    """A file of the page's own CSS or script, shipped as package data."""
    return (resources.files("consultgraph.outputs") / "static" / name).read_text(encoding="utf-8")


def render_page(view, *, layout="auto", height=None, show=None):
    """The HTML page of ``view`` (see :func:`graph_html`); ``show``: the kinds ticked at first (None: all)."""
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
            f'<label><input type="checkbox" data-kind="{esc(kind)}"{" checked" if show is None or kind in show else ""}>'
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
    hidden = [KIND_STYLE[k]["label"].lower() for k in KIND_STYLE if k in counts and show is not None and k not in show]
    if hidden:
        summary += (" Opens on: " + ", ".join(KIND_STYLE[k]["label"].lower() for k in KIND_STYLE if k in counts and k in show)
                    + "; tick a kind to add it (" + ", ".join(hidden) + "), or Show everything.")
    style_height = f"#cg-main{{height:{esc(height)}}}" if height else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{esc(view.title)} \u2014 graph</title>"
        f"<style>{_static('graph.css')}{style_height}</style>"
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
        f"<script>{_static('graph.js')}</script>"
        "</body></html>\n"
    )


#: A page with more nodes than this opens on the groups and one concept kind.
OPENING_LIMIT = 60


def opening_kinds(by="theme", *, nodes=OPENING_LIMIT + 1, focus=None, groups=None, kinds=None):
    """The kinds a page shows when it opens: all of them for a small view (``nodes`` up to
    :data:`OPENING_LIMIT`) or once the reader has narrowed it (``focus``, ``groups``,
    ``kinds``); else the stakeholder groups and the concept kind in question (``by``), so
    the first view is readable, with respondents folded into their groups.

    Examples
    --------
    >>> sorted(opening_kinds()), opening_kinds(kinds="group,tactic"), opening_kinds(nodes=15)
    (['StakeholderGroup', 'Theme'], None, None)
    """
    from consultgraph.graph.model import codeable_kinds, normalise_kind

    if focus or groups or kinds or nodes <= OPENING_LIMIT:
        return None
    return {"StakeholderGroup", normalise_kind(by, codeable_kinds(), what="concept kind")}


def graph_html(graph, *, focus=None, depth=1, groups=None, kinds=None, min_weight=None, max_nodes=MAX_NODES,
               max_edges=MAX_EDGES, layout="auto", title=None, height=None, by="theme", show="opening"):
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
    by : str
        The concept kind the page opens on, with the stakeholder groups (default theme).
    show : set of str, None or "opening"
        Kinds ticked when the page opens: ``"opening"`` is :func:`opening_kinds`, None
        every kind. The page holds every node either way; the legend adds the rest.

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
    if show == "opening":
        show = opening_kinds(by, nodes=len(view.nodes), focus=focus, groups=groups, kinds=kinds)
    return render_page(view, layout=layout, height=height, show=show)
