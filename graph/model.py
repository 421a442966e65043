"""The consultation graph model, read from ``schema/ontology.ttl`` and ``schema/shapes.ttl``.

Node kinds, relationship kinds and their properties are declared there once; this
module turns them into small frozen objects that the translator, the store, the RDF
export and the Neo4j backend share. The Turtle is parsed once and the result kept as
JSON in the user cache (named by a hash of the files), so commands need no rdflib.
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
    iri_text: str
    prefix: str
    is_concept: bool
    label: str
    codeable: bool = False
    aliases: tuple = ()
    order: int = 99

    @property
    def iri(self):
        """The class's IRI as an rdflib ``URIRef`` (rdflib is imported here, not to read names)."""
        return _uri(self.iri_text)

    @property
    def cli_name(self):
        """The kind's name on the command line: its id prefix (``partner-type``)."""
        return self.prefix


@dataclass(frozen=True)
class EdgeKind:
    """A kind of relationship, e.g. ``MENTIONS`` from Respondent to Theme/Tactic/..."""

    name: str
    iri_text: str
    domain: frozenset
    range: frozenset
    properties: tuple
    functional: bool = False
    qualified_iri_text: str | None = None

    @property
    def iri(self):
        """The object property's IRI as an rdflib ``URIRef``."""
        return _uri(self.iri_text)

    @property
    def qualified_iri(self):
        """The ``cg:qualified...`` property that links a source to a relationship of this kind
        with its properties (``cg:qualifiedForm``), or None."""
        return None if self.qualified_iri_text is None else _uri(self.qualified_iri_text)


@dataclass(frozen=True)
class Property:
    """A data property: its key in records/JSON/Neo4j and its RDF term."""

    key: str
    iri_text: str
    datatype_text: str | None

    @property
    def iri(self):
        """The data property's IRI as an rdflib ``URIRef``."""
        return _uri(self.iri_text)

    @property
    def datatype(self):
        """Its ``rdfs:range`` as a ``URIRef``, or None."""
        return None if self.datatype_text is None else _uri(self.datatype_text)


def _uri(text):
    from rdflib import URIRef

    return URIRef(text)


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
        """Names of the node kinds that are SKOS concepts, in display order."""
        return tuple(k.name for k in self.ordered() if k.is_concept)

    @property
    def codeable_kinds(self):
        """Names of the concept kinds respondents raise (``cg:codeable``), in display order."""
        return tuple(k.name for k in self.ordered() if k.codeable)

    def ordered(self):
        """Every :class:`NodeKind` in display order (``cg:order``, then name)."""
        return sorted(self.node_kinds.values(), key=lambda k: (k.order, k.name))

    @functools.cached_property
    def kind_words(self):
        """{word: kind name}: every class name, id prefix and alias, in lower case."""
        words = {}
        for kind in self.node_kinds.values():
            for word in (kind.name, kind.prefix, *kind.aliases):
                words[word.lower()] = kind.name
        return words

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
    """The :class:`Schema` of the ontology and the shapes, parsed once (:func:`parse_schema`)
    and then read from the user cache (:func:`consultgraph.graph.cache.derived_json`).

    Examples
    --------
    >>> schema = load_schema()
    >>> schema.edge_kind("MENTIONS").properties
    ('coder', 'confidence', 'evidence', 'stance', 'weight')
    >>> schema.node_kind("theme").name
    'Theme'
    """
    from consultgraph.graph.cache import derived_json

    sources = (schema_files.ONTOLOGY, schema_files.SHAPES, __file__)
    data = derived_json("schema", sources, lambda: schema_to_json(parse_schema()))
    try:
        return schema_from_json(data)
    except (KeyError, TypeError, ValueError):  # a copy of another shape: parse afresh
        return parse_schema()


def schema_to_json(schema):
    """``schema`` as JSON-ready data (:func:`schema_from_json` reads it back)."""
    return {
        "node_kinds": [[k.name, k.iri_text, k.prefix, k.is_concept, k.label, k.codeable, list(k.aliases), k.order]
                       for k in schema.node_kinds.values()],
        "edge_kinds": [[e.name, e.iri_text, sorted(e.domain), sorted(e.range), list(e.properties), e.functional,
                        e.qualified_iri_text] for e in schema.edge_kinds.values()],
        "properties": [[p.key, p.iri_text, p.datatype_text] for p in schema.properties.values()],
        "required": {kind: sorted(keys) for kind, keys in schema.required.items()},
        "allowed": {key: list(values) for key, values in schema.allowed.items()},
    }


def schema_from_json(data):
    """The :class:`Schema` of :func:`schema_to_json`'s data."""
    node_kinds = {}
    for name, iri, prefix, is_concept, label, codeable, aliases, order in data["node_kinds"]:
        node_kinds[name] = NodeKind(name, iri, prefix, is_concept, label, codeable, tuple(aliases), order)
    edge_kinds = {}
    for name, iri, domain, range_, properties, functional, qualified in data["edge_kinds"]:
        edge_kinds[name] = EdgeKind(name, iri, frozenset(domain), frozenset(range_), tuple(properties), functional,
                                    qualified)
    return Schema(
        node_kinds=node_kinds,
        edge_kinds=edge_kinds,
        properties={key: Property(key, iri, datatype) for key, iri, datatype in data["properties"]},
        required={kind: frozenset(keys) for kind, keys in data["required"].items()},
        allowed={key: tuple(values) for key, values in data["allowed"].items()},
    )


def parse_schema():
    """Parse ``schema/ontology.ttl`` and ``schema/shapes.ttl`` into a :class:`Schema` (rdflib)."""
    from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
    from rdflib.collection import Collection
    from rdflib.namespace import SH, SKOS

    from consultgraph.schema.namespaces import CG

    onto = Graph().parse(schema_files.ONTOLOGY)
    shapes = Graph().parse(schema_files.SHAPES)

    node_kinds = {}
    for cls in onto.subjects(RDF.type, OWL.Class):
        if not isinstance(cls, URIRef) or _literal(onto, cls, CG.qualification):
            continue
        name = str(cls).split("#")[-1]
        prefix = _literal(onto, cls, CG.idPrefix)
        if prefix is None:
            raise SchemaError(f"class {name} in ontology.ttl has no cg:idPrefix")
        node_kinds[name] = NodeKind(
            name=name,
            iri_text=str(cls),
            prefix=prefix,
            is_concept=bool(_literal(onto, cls, CG.conceptKind)),
            label=_literal(onto, cls, RDFS.label) or name,
            codeable=bool(_literal(onto, cls, CG.codeable)),
            aliases=tuple(sorted(str(a) for a in onto.objects(cls, SKOS.altLabel))),
            order=int(_literal(onto, cls, CG.order) or 99),
        )

    properties = {}
    for prop in onto.subjects(RDF.type, OWL.DatatypeProperty):
        key = _literal(onto, prop, CG.key)
        if key is None:
            raise SchemaError(f"property {prop} in ontology.ttl has no cg:key")
        datatype = onto.value(prop, RDFS.range)
        properties[key] = Property(key=key, iri_text=str(prop), datatype_text=None if datatype is None else str(datatype))
    by_iri = {URIRef(p.iri_text): p.key for p in properties.values()}

    edge_kinds = {}
    for prop in onto.subjects(RDF.type, OWL.ObjectProperty):
        if _literal(onto, prop, CG.qualification):  # cg:target and the cg:qualified... links
            continue
        name = _literal(onto, prop, CG.relationshipType)
        if name is None:
            raise SchemaError(f"object property {prop} in ontology.ttl has no cg:relationshipType")
        edge_kinds[name] = EdgeKind(
            name=name,
            iri_text=str(prop),
            domain=_classes(onto, onto.value(prop, RDFS.domain)),
            range=_classes(onto, onto.value(prop, RDFS.range)),
            properties=tuple(sorted(by_iri[p] for p in onto.objects(prop, CG.edgeProperty))),
            functional=(prop, RDF.type, OWL.FunctionalProperty) in onto,
            qualified_iri_text=None if onto.value(prop, CG.qualifiedForm) is None else str(onto.value(prop, CG.qualifiedForm)),
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


class KindSummary:
    """The names of the node kinds, without rdflib: what the CLI and the queries need to read
    and show kind names (:func:`kind_summary`).

    ``kinds`` maps a class name to its ``prefix`` (CLI name), ``label``, ``is_concept``,
    ``codeable``, ``aliases`` and ``order``; ``mentioned`` is the range of ``cg:mentions``.
    """

    def __init__(self, data):
        self.data = data
        self.kinds = data["kinds"]
        self.mentioned = frozenset(data["mentioned"])
        self.ordered = tuple(sorted(self.kinds, key=lambda k: (self.kinds[k]["order"], k)))
        self.codeable = tuple(k for k in self.ordered if self.kinds[k]["codeable"])
        self.concept = tuple(k for k in self.ordered if self.kinds[k]["is_concept"])
        self.words = {}
        for name, kind in self.kinds.items():
            for word in (name, kind["prefix"], *kind["aliases"]):
                self.words[word.lower()] = name


def summarise_schema(schema):
    """The plain-data summary of ``schema``'s node kinds that :class:`KindSummary` reads."""
    kinds = {
        kind.name: {"prefix": kind.prefix, "label": kind.label, "is_concept": kind.is_concept,
                    "codeable": kind.codeable, "aliases": list(kind.aliases), "order": kind.order}
        for kind in schema.ordered()
    }
    return {"kinds": kinds, "mentioned": sorted(schema.edge_kind("MENTIONS").range)}


@functools.lru_cache(maxsize=1)
def kind_summary():
    """The :class:`KindSummary` of the schema's node kinds.

    >>> kind_summary().kinds["PartnerType"]["prefix"]
    'partner-type'
    """
    return KindSummary(summarise_schema(load_schema()))


def normalise_kind(word, kinds=None, *, what="kind"):
    """The node kind a person means by ``word``: a class name, a CLI name or an alias.

    The one place kind names are read (GUIDE: vocabularies come from the schema): the
    words are the classes of ``schema/ontology.ttl``, their ``cg:idPrefix`` (the CLI
    name) and their ``skos:altLabel`` s, in any case.

    Parameters
    ----------
    word : str
    kinds : iterable of str, optional
        The kinds allowed here (class names); all node kinds when omitted.
    what : str
        What the error calls them ("concept kind").

    Returns
    -------
    str
        The class name, e.g. ``"PartnerType"``.

    Raises
    ------
    UnknownNameError
        ``word`` names no kind allowed here; the message lists their CLI names.

    Examples
    --------
    >>> normalise_kind("partner-types"), normalise_kind("Tactic"), normalise_kind("GROUP")
    ('PartnerType', 'Tactic', 'StakeholderGroup')
    >>> normalise_kind("region", codeable_kinds())
    Traceback (most recent call last):
    ...
    consultgraph.errors.UnknownNameError: unknown kind 'region'; choose one of: approach, audience, idea, ...
    """
    summary = kind_summary()
    allowed = tuple(kinds) if kinds is not None else summary.ordered
    kind = summary.words.get(str(word).strip().lower())
    if kind is None or kind not in allowed:
        raise UnknownNameError(what, str(word).strip(), [summary.kinds[k]["prefix"] for k in allowed])
    return kind


def codeable_kinds():
    """The kinds respondents raise, in display order: ``('Theme', 'Tactic', ...)``."""
    return kind_summary().codeable


def cli_name(kind):
    """The CLI name of a node kind (its id prefix): ``cli_name("PartnerType") == "partner-type"``."""
    return kind_summary().kinds[kind]["prefix"]


def kind_label(kind):
    """A node kind's label for people (``rdfs:label``): ``kind_label("Tactic") == "Tactic"``."""
    return kind_summary().kinds[kind]["label"]


def mentioned_kinds():
    """The codeable kinds a MENTIONS coding points at (the range of ``cg:mentions``), in display
    order: a code naming one of these and also a proposed kind (an audience) means this one.

    >>> mentioned_kinds()
    ('Theme', 'Tactic', 'Approach', 'Idea')
    """
    mentioned = kind_summary().mentioned
    return tuple(kind for kind in codeable_kinds() if kind in mentioned)


def kind_names(kinds=None):
    """The CLI names of ``kinds`` (default: the codeable kinds), in display order.

    >>> kind_names()
    ('theme', 'tactic', 'approach', 'idea', 'partner-type', 'audience')
    """
    summary = kind_summary()
    kinds = codeable_kinds() if kinds is None else kinds
    return tuple(summary.kinds[k]["prefix"] for k in sorted(kinds, key=lambda k: summary.kinds[k]["order"]))


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
