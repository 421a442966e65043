"""Exporters: the graph written as JSON, CSV tables, GraphML or GEXF, by name.

A registry keyed by format name (aliases allowed), as RDFLib's plugins are. Every
exporter writes to a temp file and renames, so an interrupted export leaves nothing
half-written.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from consultgraph.graph.plugins import Registry
from consultgraph.graph.store import atomic_write

JSON_FORMAT = "consultgraph-json"


#: Every export format: ``EXPORTERS.get(name)`` writes ``(graph, path)``. Flags: ``suffix``
#: (the file's), ``writes_folder``, ``reader``: the loader that reads the file back (with
#: ``reader_options``), and ``lossy``: the format carries the quotes, their codes and each
#: respondent's group, not every node (tests/test_export.py round-trips every one with a reader);
#: ``describe``: a function of the exporter's module that says in one line what a written file holds.
EXPORTERS = Registry("exporter", "export format")


def register(name, module, function, description, suffix, aliases=(), **flags):
    """Register an exporter under ``name`` (and ``aliases``)."""
    return EXPORTERS.register(name, module, function, description, aliases, suffix=suffix, **flags)


def exporter(name):
    """The exporter registered as ``name`` (a :class:`~consultgraph.graph.plugins.Plugin`)."""
    return EXPORTERS.get(name)


def exporters():
    """The registered exporters, one per name."""
    return EXPORTERS.all()


def export(graph, fmt, path, **options):
    """Write ``graph`` to ``path`` in format ``fmt``; returns the path written."""
    return exporter(fmt).load()(graph, path, **options)


def format_for(path, fmt=None):
    """The export format: ``fmt`` if given, else the one whose suffix ``path`` has (else json).

    Examples
    --------
    >>> format_for("out.qdpx"), format_for("g.ttl"), format_for("tables/"), format_for("x.json", "graphml")
    ('qdpx', 'turtle', 'json', 'graphml')
    """
    if fmt:
        return fmt
    suffix = Path(str(path)).suffix.lower()
    return next((entry.name for entry in exporters() if suffix and entry.flag("suffix") == suffix), "json")


def summary(graph, fmt, path):
    """One line saying what the written file holds (a format may count it from the file itself)."""
    describe = exporter(fmt).flag("describe")
    if describe:
        import importlib

        return getattr(importlib.import_module(exporter(fmt).module), describe)(path)
    return f"{len(graph.nodes)} nodes and {len(graph.edges)} relationships"


def _clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def graph_dict(graph):
    """The graph as consultgraph-json: ``{"format", "version", "name", "nodes", "edges"}``."""
    from consultgraph.graph.consultation import parse_props
    from consultgraph.graph.model import edge_attributes

    nodes = []
    for (node_id, kind, label), props in zip(
        graph.nodes[["id", "kind", "label"]].itertuples(index=False, name=None), parse_props(graph.nodes["props"])
    ):
        nodes.append({"id": node_id, "kind": kind, "label": label, **props})
    edges = []
    for source, target, kind, stance, weight, props in graph.edge_rows():
        edges.append({"source": source, "target": target, "kind": kind, **edge_attributes(stance, weight, props)})
    return {"format": JSON_FORMAT, "version": 1, "name": graph.name, "nodes": nodes, "edges": edges}


def write_json(graph, path):
    data = graph_dict(graph)
    return atomic_write(path, lambda tmp: tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8"))


def _scalar_attrs(attrs):
    """GraphML/GEXF take scalars only: lists become '|'-joined text, None is dropped."""
    out = {}
    for key, value in attrs.items():
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if isinstance(value, (list, tuple)):
            value = "|".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = json.dumps(value, ensure_ascii=False)
        out[key] = value
    return out


def _simple_graph(graph):
    import networkx as nx

    multi = graph.to_networkx()
    simple = nx.MultiDiGraph(name=multi.graph.get("name", "consultation"))
    for node, attrs in multi.nodes(data=True):
        simple.add_node(node, **_scalar_attrs(attrs))
    for source, target, key, attrs in multi.edges(keys=True, data=True):
        simple.add_edge(source, target, key=key, **_scalar_attrs(attrs))
    return simple


def write_graphml(graph, path):
    import networkx as nx

    simple = _simple_graph(graph)
    return atomic_write(path, lambda tmp: nx.write_graphml(simple, tmp))


def write_gexf(graph, path):
    import networkx as nx

    simple = _simple_graph(graph)
    return atomic_write(path, lambda tmp: nx.write_gexf(simple, tmp))


FINDING_COLUMNS = [
    "id", "group", "concept", "label", "stance", "measure", "count", "base", "base_ref", "base_note",
    "reported_percent", "region", "assessment", "rank", "note", "source_line", "statement",
]


def findings_rows(graph):
    """The findings table: group, concept, label, stance, count, base, reported_percent, source_line ..."""
    frame = graph.findings()
    rows = []
    for record in frame.to_dict("records"):
        row = {}
        for column in FINDING_COLUMNS:
            value = record.get("concept_label") if column == "label" else record.get(column)
            if value is not None and not isinstance(value, (list, str)) and value != value:
                value = None
            if hasattr(value, "item"):
                value = value.item()
            row[column] = value
        rows.append(row)
    return rows


def _write_csv(path, columns, rows):
    def write(tmp):
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _csv_cell(row.get(k)) for k in columns})

    return atomic_write(path, write)


def _csv_cell(value):
    from consultgraph.outputs.render import neutralise

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return neutralise(value)


def write_csv_tables(graph, path):
    """A folder with nodes.csv, edges.csv and findings.csv."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    _write_csv(folder / "nodes.csv", ["id", "kind", "label", "props"], graph.nodes.to_dict("records"))
    _write_csv(folder / "edges.csv", ["source", "target", "kind", "stance", "weight", "props"], graph.edges.to_dict("records"))
    _write_csv(folder / "findings.csv", FINDING_COLUMNS, findings_rows(graph))
    return folder


register("json", "consultgraph.outputs.export", "write_json", "consultgraph-json: every node and edge (loads back)", ".json",
         reader="json")
register("csv", "consultgraph.outputs.export", "write_csv_tables", "a folder of nodes.csv, edges.csv, findings.csv",
         "", writes_folder=True)
register("graphml", "consultgraph.outputs.export", "write_graphml", "GraphML (Gephi, yEd, Cytoscape)", ".graphml")
register("gexf", "consultgraph.outputs.export", "write_gexf", "GEXF (Gephi)", ".gexf")


def _rdf_writer(fmt):
    def write(graph, path):
        from consultgraph.graph.rdf import write_rdf

        return write_rdf(graph, path, fmt)

    return write


write_turtle = _rdf_writer("turtle")
write_jsonld = _rdf_writer("jsonld")
write_ntriples = _rdf_writer("ntriples")
write_trig = _rdf_writer("trig")
register("turtle", "consultgraph.outputs.export", "write_turtle", "RDF Turtle (SKOS, PROV-O; loads back)", ".ttl",
         aliases=("ttl",), reader="skos")
register("jsonld", "consultgraph.outputs.export", "write_jsonld", "RDF JSON-LD (loads back)", ".jsonld",
         aliases=("json-ld",), reader="skos")
register("ntriples", "consultgraph.outputs.export", "write_ntriples", "RDF N-Triples (loads back)", ".nt",
         aliases=("nt",), reader="skos")
register("trig", "consultgraph.outputs.export", "write_trig", "RDF TriG, the graph in a named graph", ".trig",
         reader="skos")
register("qdpx", "consultgraph.outputs.qdpx", "write_graph_qdpx",
         "REFI-QDA project (NVivo, ATLAS.ti, MAXQDA, QualCoder): concepts as codes, every respondent a case with "
         "its codings and stances, quotes as coded text", ".qdpx",
         reader="qdpx", reader_options={"group_variable": "group", "region_variable": "region"}, lossy=True,
         describe="describe_qdpx")


def anonymise(graph, *, salt=""):
    """A copy of ``graph`` whose respondents carry stable pseudonyms instead of ids and names.

    Respondent ids become ``respondent/anon-<10 hex>`` (SHA-256 of ``salt`` + the id, so the
    same respondent gets the same pseudonym in every export with the same salt), labels
    become "respondent <n>", and the ``name`` property is dropped. Quotes stay, attributed to
    the pseudonym. Everything else is unchanged.

    Examples
    --------
    >>> from consultgraph.loaders import builtin
    >>> anon = anonymise(builtin(), salt="x")
    >>> bool(anon.respondents()["id"].str.startswith("respondent/anon-").all())
    True
    >>> "Amnesty Ireland" in set(anon.respondents()["label"])
    False
    """
    import hashlib

    from consultgraph.graph.consultation import Consultation

    nodes = graph.nodes.copy()
    is_person = nodes["kind"] == "Respondent"
    mapping = {
        node_id: "respondent/anon-" + hashlib.sha256(f"{salt}\x1f{node_id}".encode()).hexdigest()[:10]
        for node_id in nodes.loc[is_person, "id"]
    }
    nodes.loc[is_person, "id"] = nodes.loc[is_person, "id"].map(mapping)
    nodes.loc[is_person, "label"] = [f"respondent {n}" for n in range(1, int(is_person.sum()) + 1)]

    def without_name(text):
        props = json.loads(text) if text and text != "{}" else {}
        props.pop("name", None)
        return json.dumps(props, ensure_ascii=False, sort_keys=True) if props else "{}"

    nodes.loc[is_person, "props"] = nodes.loc[is_person, "props"].map(without_name)
    edges = graph.edges.copy()
    edges["source"] = edges["source"].map(lambda s: mapping.get(s, s))
    edges["target"] = edges["target"].map(lambda t: mapping.get(t, t))
    return Consultation(nodes, edges, name=graph.name, manifest=graph.manifest)
