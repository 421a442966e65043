"""SHACL validation of the graph's RDF against schema/shapes.ttl (pyshacl)."""

from __future__ import annotations

from rdflib import Graph
from rdflib.namespace import RDF, SH

from consultgraph import schema as schema_files
from consultgraph.graph.model import node_id_of


def _short(term):
    if term is None:
        return ""
    node_id = node_id_of(term)
    if node_id is not None:
        return node_id
    text = str(term)
    return text.rsplit("#", 1)[-1] if "#" in text else text


def validate(graph, *, rdf=None):
    """Violations of the SHACL shapes, one dict per result: focus, path, value, message, severity.

    An empty list means the graph conforms.

    Examples
    --------
    >>> from consultgraph.loaders import builtin
    >>> validate(builtin())
    []
    """
    from pyshacl import validate as shacl

    from consultgraph.graph.rdf import to_rdf

    data = rdf if rdf is not None else to_rdf(graph)
    shapes = Graph().parse(schema_files.SHAPES)
    ontology = Graph().parse(schema_files.ONTOLOGY)
    conforms, report, _ = shacl(data, shacl_graph=shapes, ont_graph=ontology, inference="rdfs", advanced=True)
    if conforms:
        return []
    rows = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        message = report.value(result, SH.resultMessage)
        rows.append({
            "focus": _short(report.value(result, SH.focusNode)),
            "path": _short(report.value(result, SH.resultPath)),
            "value": _short(report.value(result, SH.value)),
            "message": str(message) if message is not None else "",
            "severity": _short(report.value(result, SH.resultSeverity)),
        })
    rows.sort(key=lambda r: (r["focus"], r["path"], r["message"]))
    return rows
