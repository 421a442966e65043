"""The consultation graph model, read from ``schema/ontology.ttl`` and ``schema/shapes.ttl``.

Node kinds, relationship kinds and their properties are declared there once; this
module turns them into small frozen objects that the translator, the store, the RDF
export and the Neo4j backend share.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from consultgraph import schema as schema_files
from consultgraph.errors import SchemaError, UnknownNameError


@dataclass(frozen=True)
class NodeKind:
    """A kind of node, e.g. ``Respondent`` (ids ``respondent/...``)."""

    name: str
    iri: URIRef
    prefix: str
    is_concept: bool
    label: str


@dataclass(frozen=True)
class EdgeKind:
    """A kind of relationship, e.g. ``MENTIONS`` from Respondent to Theme/Tactic/..."""

    name: str
    iri: URIRef
    domain: frozenset
    range: frozenset
    properties: tuple
    functional: bool = False


@dataclass(frozen=True)
class Property:
    """A data property: its key in records/JSON/Neo4j and its RDF term."""

    key: str
    iri: URIRef
    datatype: URIRef | None


@dataclass(frozen=True)
class Schema:
    """Everything the code needs to know about the model."""

    node_kinds: dict
    edge_kinds: dict
    properties: dict
    required: dict
    allowed: dict

    @property
    def concept_kinds(self):
        """Names of the node kinds that are SKOS concepts."""
        return tuple(k for k, v in self.node_kinds.items() if v.is_concept)

    def node_kind(self, name):
        """The :class:`NodeKind` called ``name`` (class name or id prefix)."""
        if name in self.node_kinds:
            return self.node_kinds[name]
        for kind in self.node_kinds.values():
            if kind.prefix == name:
                return kind
        raise UnknownNameError("node kind", name, self.node_kinds)

    def edge_kind(self, name):
        """The :class:`EdgeKind` called ``name``."""
        try:
            return self.edge_kinds[name]
        except KeyError:
            raise UnknownNameError("relationship kind", name, self.edge_kinds) from None

    def kind_of_id(self, node_id):
        """The node kind of an id such as ``theme/escr`` (by its prefix), or None."""
        prefix = node_id.split("/", 1)[0]
        for kind in self.node_kinds.values():
            if kind.prefix == prefix:
                return kind.name
        return None


def _literal(graph, subject, predicate):
    value = graph.value(subject, predicate)
    return None if value is None else value.toPython()


def _classes(graph, term):
    """Class names named by ``term``: a class, ``owl:unionOf`` list, or skos:Concept."""
    from rdflib import OWL
    from rdflib.collection import Collection
    from rdflib.namespace import SKOS

    if (term, OWL.unionOf, None) in graph:
        members = Collection(graph, graph.value(term, OWL.unionOf))
        return frozenset(str(m).split("#")[-1] for m in members)
    if term == SKOS.Concept:
        return frozenset({"Concept"})
    return frozenset({str(term).split("#")[-1]})


@functools.lru_cache(maxsize=1)
def load_schema():
    """Read the ontology and the shapes once and return the :class:`Schema`.

    Examples
    --------
    >>> schema = load_schema()
    >>> schema.edge_kind("MENTIONS").properties
    ('coder', 'confidence', 'evidence', 'stance', 'weight')
    >>> schema.node_kind("theme").name
    'Theme'
    """
    from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
    from rdflib.collection import Collection
    from rdflib.namespace import SH

    from consultgraph.schema.namespaces import CG

    onto = Graph().parse(schema_files.ONTOLOGY)
    shapes = Graph().parse(schema_files.SHAPES)

    node_kinds = {}
    for cls in onto.subjects(RDF.type, OWL.Class):
        if not isinstance(cls, URIRef):
            continue
        name = str(cls).split("#")[-1]
        prefix = _literal(onto, cls, CG.idPrefix)
        if prefix is None:
            raise SchemaError(f"class {name} in ontology.ttl has no cg:idPrefix")
        node_kinds[name] = NodeKind(
            name=name,
            iri=cls,
            prefix=prefix,
            is_concept=bool(_literal(onto, cls, CG.conceptKind)),
            label=_literal(onto, cls, RDFS.label) or name,
        )

    properties = {}
    for prop in onto.subjects(RDF.type, OWL.DatatypeProperty):
        key = _literal(onto, prop, CG.key)
        if key is None:
            raise SchemaError(f"property {prop} in ontology.ttl has no cg:key")
        properties[key] = Property(key=key, iri=prop, datatype=onto.value(prop, RDFS.range))
    by_iri = {p.iri: p.key for p in properties.values()}

    edge_kinds = {}
    for prop in onto.subjects(RDF.type, OWL.ObjectProperty):
        name = _literal(onto, prop, CG.relationshipType)
        if name is None:
            raise SchemaError(f"object property {prop} in ontology.ttl has no cg:relationshipType")
        edge_kinds[name] = EdgeKind(
            name=name,
            iri=prop,
            domain=_classes(onto, onto.value(prop, RDFS.domain)),
            range=_classes(onto, onto.value(prop, RDFS.range)),
            properties=tuple(sorted(by_iri[p] for p in onto.objects(prop, CG.edgeProperty))),
            functional=(prop, RDF.type, OWL.FunctionalProperty) in onto,
        )

    required, allowed = {}, {}
    for shape in shapes.subjects(RDF.type, SH.NodeShape):
        target = shapes.value(shape, SH.targetClass)
        kind = None if target is None else str(target).split("#")[-1]
        for prop_shape in shapes.objects(shape, SH.property):
            path = shapes.value(prop_shape, SH.path)
            key = by_iri.get(path)
            if key is None:
                continue
            min_count = shapes.value(prop_shape, SH.minCount)
            if kind and min_count is not None and int(min_count) >= 1:
                required.setdefault(kind, set()).add(key)
            values = shapes.value(prop_shape, getattr(SH, "in"))
            if values is not None:
                allowed[key] = tuple(
                    v.toPython() if isinstance(v, Literal) else str(v) for v in Collection(shapes, values)
                )
    return Schema(
        node_kinds=node_kinds,
        edge_kinds=edge_kinds,
        properties=properties,
        required={k: frozenset(v) for k, v in required.items()},
        allowed=allowed,
    )


def node_iri(node_id):
    """The IRI of a node id: ``theme/escr`` -> ``https://w3id.org/consultgraph/id/theme/escr``."""
    from consultgraph.schema.namespaces import ID

    return ID[node_id]


def node_id_of(iri):
    """The node id of an IRI minted by :func:`node_iri`, or None for a foreign IRI."""
    from consultgraph.schema.namespaces import ID

    text = str(iri)
    return text[len(str(ID)):] if text.startswith(str(ID)) else None


def edge_attributes(stance, weight, props):
    """The properties of one canonical edge row as a dict: stance, weight and its own.

    Examples
    --------
    >>> edge_attributes("lead", 2.0, '{"source_line": 12}')
    {'stance': 'lead', 'weight': 2.0, 'source_line': 12}
    >>> edge_attributes(None, float("nan"), "{}")
    {}
    """
    import json

    attrs = {}
    if isinstance(stance, str):
        attrs["stance"] = stance
    if weight is not None and weight == weight:
        attrs["weight"] = float(weight)
    if props and props != "{}":
        attrs.update(json.loads(props))
    return attrs
