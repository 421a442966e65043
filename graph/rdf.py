"""The graph as RDF, built from schema/: classes, properties and SKOS from the ontology.

Every node is ``ID[<node id>]`` typed with its class; properties use the ontology's
datatype properties (``cg:count`` ...), concepts carry ``skos:prefLabel``/``altLabel``/
``inScheme``/``broader``. A relationship is a plain triple (``cg:mentions``); one that
carries properties (stance, weight, source line) also has a qualified form, a node with a
stable IRI (PROV-O's qualification pattern, declared by ``cg:qualifiedForm`` in the
ontology): ``r cg:qualifiedMention st . st cg:target c ; cg:stance "lead"``. So SPARQL
can filter on stance, and the export is deterministic (no blank nodes): export -> import
-> export gives the same graph.
Findings and quotes link to their source with ``prov:wasDerivedFrom``.
"""

from __future__ import annotations

import functools
import hashlib
import json

from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS

from consultgraph.errors import InputError
from consultgraph.graph.consultation import parse_props
from consultgraph.graph.model import edge_attributes, load_schema, node_id_of, node_iri
from consultgraph.schema.namespaces import CG, ID

#: Formats of ``export`` that are RDF serialisations, by our name -> rdflib's.
RDF_FORMATS = {"turtle": "turtle", "ttl": "turtle", "jsonld": "json-ld", "json-ld": "json-ld", "ntriples": "nt",
               "nt": "nt", "trig": "trig", "nquads": "nquads", "xml": "xml", "rdfxml": "xml"}
STATEMENT = "edge"
_LIST_PROPS = {"alt_labels", "hidden_labels"}


def bind_prefixes(rdf):
    rdf.bind("cg", str(CG))
    rdf.bind("skos", str(SKOS))
    rdf.bind("prov", str(PROV))
    rdf.bind("dcterms", str(DCTERMS))
    for kind in load_schema().node_kinds.values():
        rdf.bind(kind.prefix.replace("-", ""), Namespace(str(ID) + kind.prefix + "/"))
    rdf.bind("st", Namespace(str(ID) + STATEMENT + "/"))
    return rdf


@functools.lru_cache(maxsize=1)
def _terms():
    schema = load_schema()
    props = {key: prop for key, prop in schema.properties.items()}
    edges = {name: kind.iri for name, kind in schema.edge_kinds.items()}
    classes = {name: kind.iri for name, kind in schema.node_kinds.items()}
    return schema, props, edges, classes


def _literal(value, datatype):
    if isinstance(value, bool):
        return Literal(value)
    if datatype == XSD.integer:
        return Literal(int(value), datatype=XSD.integer)
    if datatype == XSD.decimal:
        return Literal(float(value), datatype=XSD.double) if not float(value).is_integer() else Literal(
            float(value), datatype=XSD.double
        )
    return Literal(str(value))


def statement_key(source, kind, target, stance, coder=None):
    """The local part of a qualified relationship's IRI (stable across exports)."""
    key = f"{source}\x1f{kind}\x1f{target}\x1f{stance or ''}" + (f"\x1f{coder}" if coder else "")
    digest = hashlib.sha1(key.encode()).hexdigest()[:20]
    return f"{STATEMENT}/{digest}"


def statement_iri(source, kind, target, stance, coder=None):
    return ID[statement_key(source, kind, target, stance, coder)]


def qualified_form(kind, qualifiers):
    """The ``cg:qualified...`` property of relationship ``kind``; a :class:`SchemaError` when the
    ontology declares none and the relationship carries ``qualifiers``."""
    iri = load_schema().edge_kind(kind).qualified_iri
    if iri is None:
        from consultgraph.errors import SchemaError

        raise SchemaError(f"{kind} relationships carry {', '.join(sorted(qualifiers))} but ontology.ttl declares no "
                          "cg:qualifiedForm for them: add one (and cg:edgeProperty) to store their properties in RDF")
    return iri


def to_rdf(graph, rdf=None, *, context=None):
    """The RDF graph of a :class:`Consultation` (into ``rdf`` if given)."""
    schema, props, edge_iris, classes = _terms()
    rdf = bind_prefixes(rdf if rdf is not None else Graph())
    add = rdf.add
    concept_kinds = set(schema.concept_kinds)
    for (node_id, kind, label), extra in zip(
        graph.nodes[["id", "kind", "label"]].itertuples(index=False, name=None), parse_props(graph.nodes["props"])
    ):
        subject = node_iri(node_id)
        add((subject, RDF.type, classes[kind]))
        if kind in concept_kinds:
            add((subject, RDF.type, SKOS.Concept))
            add((subject, SKOS.prefLabel, Literal(label, lang="en")))
        else:
            add((subject, RDFS.label, Literal(label)))
        for key, value in extra.items():
            if value is None:
                continue
            if key == "alt_labels" and kind in concept_kinds:
                for alt in value:
                    add((subject, SKOS.altLabel, Literal(alt, lang="en")))
                continue
            if key == "scheme" and kind in concept_kinds:
                add((subject, SKOS.inScheme, ID[value] if "/" in value and ":" not in value else URIRef(value)))
                continue
            if key == "definition" and kind in concept_kinds:
                add((subject, SKOS.definition, Literal(value, lang="en")))
                continue
            prop = props.get(key)
            if prop is None:
                raise InputError(f"property '{key}' of {node_id} is not in the ontology", field=key)
            if isinstance(value, list):
                add((subject, prop.iri, Literal(json.dumps(value, ensure_ascii=False))))
            else:
                add((subject, prop.iri, _literal(value, prop.datatype)))
    for source, target, kind, stance, weight, extra in graph.edge_rows():
        s, o, p = node_iri(source), node_iri(target), edge_iris[kind]
        add((s, p, o))
        if kind == "BROADER":
            add((s, SKOS.broader, o))
        if kind == "FROM_SOURCE":
            add((s, PROV.wasDerivedFrom, o))
        qualifiers = edge_attributes(stance, weight, extra)
        if qualifiers:
            statement = statement_iri(source, kind, target, stance, qualifiers.get("coder"))
            add((s, qualified_form(kind, qualifiers), statement))
            add((statement, CG.target, o))
            for key, value in qualifiers.items():
                prop = props[key]
                add((statement, prop.iri, _literal(value, prop.datatype)))
    return rdf


def from_rdf(rdf):
    """Records (nodes, edges) of an RDF graph written by :func:`to_rdf` (the round trip)."""
    from consultgraph.graph.records import Edge, Node

    schema, props, edge_iris, classes = _terms()
    kind_of_class = {iri: name for name, iri in classes.items()}
    key_of = {prop.iri: key for key, prop in props.items()}
    kind_of_edge = {iri: name for name, iri in edge_iris.items()}
    integer_keys = {k for k, p in props.items() if p.datatype == XSD.integer}
    for subject, cls in rdf.subject_objects(RDF.type):
        if cls not in kind_of_class:
            continue
        node_id = node_id_of(subject)
        if node_id is None:
            continue
        kind = kind_of_class[cls]
        values = {}
        for predicate, obj in rdf.predicate_objects(subject):
            if predicate == SKOS.prefLabel or predicate == RDFS.label:
                values["label"] = str(obj)
            elif predicate == SKOS.altLabel:
                values.setdefault("alt_labels", []).append(str(obj))
            elif predicate == SKOS.definition:
                values["definition"] = str(obj)
            elif predicate == SKOS.inScheme:
                values["scheme"] = node_id_of(obj) or str(obj)
            elif predicate in key_of and isinstance(obj, Literal):
                key = key_of[predicate]
                value = obj.toPython()
                if key in integer_keys:
                    value = int(value)
                elif isinstance(value, str) and value.startswith("[") and key in _LIST_PROPS:
                    value = json.loads(value)
                values[key] = value
        if "alt_labels" in values:
            values["alt_labels"] = sorted(values["alt_labels"])
        yield Node(kind, node_id, values)
    qualified = {}
    for name, kind in schema.edge_kinds.items():
        if kind.qualified_iri is None:
            continue
        for s, statement in rdf.subject_objects(kind.qualified_iri):
            quals = {}
            for predicate, obj in rdf.predicate_objects(statement):
                if predicate in key_of:
                    key = key_of[predicate]
                    quals[key] = int(obj.toPython()) if key in integer_keys else obj.toPython()
            qualified.setdefault((s, kind.iri, rdf.value(statement, CG.target)), []).append(quals)
    for predicate, kind in kind_of_edge.items():
        for s, o in rdf.subject_objects(predicate):
            source, target = node_id_of(s), node_id_of(o)
            if source is None or target is None:
                continue
            for quals in qualified.get((s, predicate, o), [{}]):
                yield Edge(kind, source, target, dict(quals))


def serialize(graph, fmt="turtle"):
    """The graph as RDF text in ``fmt`` (turtle, jsonld, ntriples, trig, nquads, xml)."""
    try:
        rdf_format = RDF_FORMATS[fmt]
    except KeyError:
        from consultgraph.errors import UnknownNameError

        raise UnknownNameError("RDF format", fmt, RDF_FORMATS) from None
    if rdf_format in ("trig", "nquads"):
        from rdflib import Dataset

        dataset = Dataset()
        bind_prefixes(dataset)
        named = dataset.graph(URIRef(f"{ID}graph/{graph.name or 'consultation'}"))
        to_rdf(graph, named)
        return dataset.serialize(format=rdf_format)
    return to_rdf(graph).serialize(format=rdf_format)


def write_rdf(graph, path, fmt):
    from consultgraph.graph.store import atomic_write

    text = serialize(graph, fmt)
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
