"""Concepts (SKOS) and the label index that turns free-text codes into concept ids.

Loaders hand the translator codes as people typed them ("Capacity building/HRE",
"HRDs", "climate"); :class:`ConceptIndex` resolves them through prefLabel, altLabel
and id, and names the nearest known labels when it cannot.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass, field

from consultgraph.errors import InputError

_SPACES = re.compile(r"[^0-9a-z]+")


def normalise_label(text):
    """Fold a label for matching: case, accents, '&' and punctuation do not count.

    Examples
    --------
    >>> normalise_label("  Capacity building/HRE ")
    'capacity building hre'
    >>> normalise_label("Environment & Climate") == normalise_label("environment and climate")
    True
    """
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    text = text.casefold().replace("&", " and ").replace("'", "").replace("\u2019", "")
    return _SPACES.sub(" ", text).strip()


def slugify(text):
    """A stable id fragment: ``"Be embedded in local processes"`` -> ``be-embedded-in-local-processes``.

    Examples
    --------
    >>> slugify("LGBTI+ rights")
    'lgbti-rights'
    """
    return normalise_label(text).replace(" ", "-") or "x"


@dataclass(frozen=True)
class Concept:
    """One SKOS concept: a theme, tactic, idea, group, region, partner type ..."""

    id: str
    kind: str
    label: str
    alt_labels: tuple = ()
    definition: str | None = None
    scheme: str | None = None
    broader: tuple = ()
    hidden_labels: tuple = ()  # SKOS hiddenLabel: variants for matching text, never shown

    def props(self):
        """The node properties a concept carries besides its label: alt_labels, definition, scheme.

        >>> Concept("theme/escr", "Theme", "ESCR", ("ESC rights",), scheme="scheme/themes").props()
        {'alt_labels': ['ESC rights'], 'scheme': 'scheme/themes'}
        """
        props = {}
        if self.alt_labels:
            props["alt_labels"] = list(self.alt_labels)
        if self.hidden_labels:
            props["hidden_labels"] = list(self.hidden_labels)
        if self.definition:
            props["definition"] = self.definition
        if self.scheme:
            props["scheme"] = self.scheme
        return props


@functools.cache
def builtin_concept_ids():
    """The ids of the concepts shipped in ``schema/concepts`` (every project knows them)."""
    from consultgraph.graph.store import schema_concepts

    return frozenset(schema_concepts().by_id)


@dataclass
class ConceptIndex:
    """All known concepts, and an index from folded labels to ids.

    Examples
    --------
    >>> index = ConceptIndex([Concept("tactic/research", "Tactic", "Research"),
    ...                       Concept("theme/escr", "Theme", "ESCR", ("ESC rights",))])
    >>> index.resolve("esc Rights")
    'theme/escr'
    >>> index.resolve("research", kinds=("Tactic",))
    'tactic/research'
    """

    concepts: list = field(default_factory=list)

    def __post_init__(self):
        self.by_id = {}
        self._labels = {}
        for concept in list(self.concepts):
            self.add(concept)

    def add(self, concept):
        """Add or replace a concept (same id replaces)."""
        self._children = None  # the broader -> narrower map changes
        old = self.by_id.get(concept.id)
        if old is not None:
            self.concepts.remove(old)
        if concept not in self.concepts:
            self.concepts.append(concept)
        self.by_id[concept.id] = concept
        keys = {concept.id, concept.id.split("/", 1)[-1], concept.label, *concept.alt_labels}
        for key in keys:
            folded = normalise_label(key)
            ids = self._labels.setdefault(folded, [])
            if concept.id not in ids:
                ids.append(concept.id)
        self._labels.setdefault(concept.id.casefold(), [concept.id])

    def __contains__(self, concept_id):
        return concept_id in self.by_id

    def __len__(self):
        return len(self.by_id)

    def __getitem__(self, concept_id):
        return self.by_id[concept_id]

    def of_kind(self, *kinds):
        """Concepts of the given kinds, in index order."""
        return [c for c in self.concepts if c.kind in kinds]

    def candidates(self, text, kinds=None):
        """Ids whose id, prefLabel or altLabel folds to the same text as ``text``."""
        if text in self.by_id:
            ids = [text]
        else:
            ids = self._labels.get(text.casefold()) or self._labels.get(normalise_label(text), [])
        if kinds:
            ids = [i for i in ids if self.by_id[i].kind in kinds]
        return ids

    def nearest(self, text, kinds=None, n=3):
        """Up to ``n`` known labels closest to ``text`` (for error messages)."""
        labels = {}
        for concept in self.concepts:
            if kinds and concept.kind not in kinds:
                continue
            for label in (concept.label, *concept.alt_labels):
                labels.setdefault(normalise_label(label), label)
        close = difflib.get_close_matches(normalise_label(text), list(labels), n=n, cutoff=0.5)
        return [labels[c] for c in close]

    def resolve(self, text, kinds=None, *, prefer=None, file=None, line=None, field=None):
        """The id of the one concept ``text`` names, or an :class:`InputError`.

        ``kinds`` limits the search to some node kinds (e.g. ``("StakeholderGroup",)``);
        ``prefer`` settles a label two kinds share in favour of these kinds (a code
        "Indigenous peoples" is the theme, not the audience of the same name).
        """
        ids = self.candidates(str(text).strip(), kinds)
        if len(ids) > 1:
            # the project's own codebook before the vocabulary shipped in schema/concepts: a user's
            # code "Research" is their idea, not the built-in tactic of the same name
            own = [i for i in ids if i not in builtin_concept_ids()]
            if len(own) == 1:
                return own[0]
        if len(ids) > 1 and prefer:
            preferred = [i for i in ids if self.by_id[i].kind in prefer]
            if len(preferred) == 1:
                return preferred[0]
        if len(ids) == 1:
            return ids[0]
        what = _noun(kinds[0]) if kinds and len(kinds) == 1 else "code"
        if not ids:
            near = self.nearest(text, kinds)
            hint = f"nearest known: {', '.join(repr(n) for n in near)}" if near else None
            raise InputError(f"unknown {what} '{text}'", file=file, line=line, field=field, hint=hint)
        raise InputError(
            f"'{text}' is ambiguous: it names {', '.join(ids)}",
            file=file,
            line=line,
            field=field,
            hint="write the concept id instead",
        )

    def descendants(self, concept_id):
        """``concept_id`` and every concept below it through ``broader`` (transitively)."""
        children = getattr(self, "_children", None)
        if children is None:  # built once per version of the index: the report asks per row
            children = self._children = {}
            for concept in self.concepts:
                for parent in concept.broader:
                    children.setdefault(parent, []).append(concept.id)
        seen, stack = {concept_id}, [concept_id]
        while stack:
            for child in children.get(stack.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        return seen

    def ancestors(self, concept_id):
        """The concepts above ``concept_id`` through ``broader`` (transitively), nearest first."""
        out, stack = [], list(self.by_id[concept_id].broader) if concept_id in self.by_id else []
        while stack:
            parent = stack.pop(0)
            if parent not in out:
                out.append(parent)
                if parent in self.by_id:
                    stack.extend(self.by_id[parent].broader)
        return out


def concepts_from_rdf(rdf_graph, *, default_kind="Idea", source=None):
    """Read every ``skos:Concept`` of an rdflib graph as :class:`Concept` objects.

    The kind comes from the concept's ``rdf:type`` (a consultgraph class), else from its
    scheme's ``cg:kind``, else ``default_kind``. Concepts outside the consultgraph
    namespace get ids ``<prefix>/<slug of their local name>``.
    """
    from rdflib import RDF
    from rdflib.namespace import SKOS

    from consultgraph.graph.model import load_schema, node_id_of
    from consultgraph.schema.namespaces import CG

    schema = load_schema()
    class_names = {kind.iri: name for name, kind in schema.node_kinds.items() if kind.is_concept}
    scheme_kind = {}
    for scheme, kind in rdf_graph.subject_objects(CG.kind):
        if kind in class_names:
            scheme_kind[scheme] = class_names[kind]

    def kind_of(subject):
        for cls in rdf_graph.objects(subject, RDF.type):
            if cls in class_names:
                return class_names[cls]
        for scheme in rdf_graph.objects(subject, SKOS.inScheme):
            if scheme in scheme_kind:
                return scheme_kind[scheme]
        return default_kind

    def id_of(subject, kind):
        local = node_id_of(subject)
        if local is not None:
            return local
        text = str(subject).rstrip("/#")
        tail = text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        return f"{schema.node_kinds[kind].prefix}/{slugify(tail)}"

    def scheme_id(subject):
        scheme = rdf_graph.value(subject, SKOS.inScheme)
        if scheme is None:
            return None
        return node_id_of(scheme) or str(scheme)

    subjects = set(rdf_graph.subjects(RDF.type, SKOS.Concept))
    kinds = {s: kind_of(s) for s in subjects}
    ids = {s: id_of(s, kinds[s]) for s in subjects}
    out = []
    for subject in sorted(subjects, key=lambda s: ids[s]):
        labels = [l for l in rdf_graph.objects(subject, SKOS.prefLabel)]
        english = [l for l in labels if getattr(l, "language", None) in (None, "en")]
        label = str((english or labels or [ids[subject]])[0])
        alt = tuple(sorted(str(a) for a in rdf_graph.objects(subject, SKOS.altLabel)))
        hidden = tuple(sorted(str(a) for a in rdf_graph.objects(subject, SKOS.hiddenLabel)))
        definition = rdf_graph.value(subject, SKOS.definition)
        broader = tuple(
            sorted(ids.get(b) or node_id_of(b) or str(b) for b in rdf_graph.objects(subject, SKOS.broader))
        )
        out.append(
            Concept(
                id=ids[subject],
                kind=kinds[subject],
                label=label,
                alt_labels=alt,
                definition=None if definition is None else str(definition),
                scheme=scheme_id(subject),
                broader=broader,
                hidden_labels=hidden,
            )
        )
    return out


def _noun(kind):
    """What a kind is called in a sentence: its label in schema/ontology.ttl, in lower case."""
    from consultgraph.graph.model import kind_label, kind_summary

    return kind_label(kind).lower() if kind in kind_summary().kinds else kind.lower()
