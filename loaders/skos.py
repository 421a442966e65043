"""RDF in: SKOS concept schemes as concept nodes, or a whole consultgraph RDF export.

A project may bring its own codes (the finer "ideas" of a report, a QDA code tree);
each ``skos:Concept`` becomes a node of the kind its class or scheme names, with its
labels, definition and BROADER links, so later files can use its labels as codes.
"""

from __future__ import annotations

from rdflib import Graph

from consultgraph.errors import InputError
from consultgraph.graph.concepts import concepts_from_rdf
from consultgraph.graph.records import Edge, Node

RDF_FORMATS = {".ttl": "turtle", ".rdf": "xml", ".owl": "xml", ".xml": "xml", ".jsonld": "json-ld", ".nt": "nt", ".n3": "n3", ".trig": "trig"}


def _is_graph_export(rdf):
    """True for a consultgraph RDF export (it holds respondents, findings, quotes or sources)."""
    from rdflib import RDF

    from consultgraph.schema.namespaces import CG

    return any((None, RDF.type, cls) in rdf for cls in (CG.Respondent, CG.Finding, CG.Quote, CG.Source))


def _fields(record):
    return {name: getattr(record, name) for name in record.__slots__}


def _parse(path, rdf_format):
    """The triples of an RDF file; a TriG file's named graphs are read as one graph."""
    if rdf_format != "trig":
        return Graph().parse(path, format=rdf_format)
    from rdflib import Dataset

    dataset = Dataset().parse(path, format="trig")
    rdf = Graph()
    for named in dataset.graphs():
        for triple in named:
            rdf.add(triple)
    return rdf


def read_skos(path, *, namespace=None, source_id=None):
    """Yield a concept node per ``skos:Concept`` and a BROADER edge per ``skos:broader``."""
    suffix = str(path).lower().rsplit(".", 1)[-1]
    try:
        rdf = _parse(path, RDF_FORMATS.get(f".{suffix}", "turtle"))
    except Exception as error:  # rdflib raises parser-specific exceptions
        message = str(error).strip().splitlines()
        raise InputError(f"not a readable RDF file ({message[0] if message else type(error).__name__})", file=path) from None
    if _is_graph_export(rdf):
        from consultgraph.graph.rdf import from_rdf

        for record in from_rdf(rdf):
            yield record.__class__(**{**_fields(record), "file": str(path)})
        return
    concepts = concepts_from_rdf(rdf)
    if not concepts:
        raise InputError("no skos:Concept in this file", file=path)
    for concept in concepts:
        yield Node(concept.kind, concept.id, {"label": concept.label, **concept.props()}, file=str(path))
        for parent in concept.broader:
            yield Edge("BROADER", concept.id, parent, {"_field": "skos:broader"}, file=str(path))
