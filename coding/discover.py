"""Themes the codebook misses: NMF on TF-IDF of the responses no one has coded.

Each discovered theme has its top terms, the responses it describes best (quotes) and
how many responses it leads in; :func:`skos_draft` writes them as a SKOS concept
scheme in Turtle that people edit and load back as codes (``consultgraph load``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from consultgraph.graph.concepts import slugify


@dataclass(frozen=True)
class DiscoveredTheme:
    """One NMF component: its terms (strongest first), representative quotes and size."""

    number: int
    terms: tuple
    quotes: tuple
    responses: tuple
    size: int

    @property
    def label(self):
        """A first label for people to replace: the three strongest terms."""
        return ", ".join(self.terms[:3])


#: A word, as the TF-IDF of :func:`discover` reads one (letters only, two or more).
WORD = r"(?u)\b[^\W\d_][^\W\d_]+\b"


def discover(responses, *, themes=8, terms=8, quotes=3, seed=0, stop_words="english", min_df=2, max_df=0.6,
             known=()):
    """Themes in ``responses`` by non-negative matrix factorisation of their TF-IDF.

    Parameters
    ----------
    responses : iterable of (response id, text)
        Usually the responses nobody has coded yet.
    themes : int
        How many themes (NMF components); fewer when the texts cannot carry that many.
    terms, quotes : int
        Top terms and representative quotes per theme.
    seed : int
        NMF's random state: the same seed and texts give the same themes.
    stop_words : str or list or None
        Passed to scikit-learn's ``TfidfVectorizer`` ("english", a list, or None).
    min_df, max_df : int or float
        Words in fewer than ``min_df`` responses, or more than a ``max_df`` share, are ignored.
    known : iterable of str
        Labels that are codes already (see :func:`codebook_terms`): one word is ignored like
        a stop word, several words are taken out of the texts as a phrase ("human rights
        education"), so no theme is made of what the codebook has.

    Returns
    -------
    list of DiscoveredTheme
        Largest first; each response counts for its strongest theme.

    Examples
    --------
    >>> texts = ["ban adverts football children"] * 3 + ["sponsorship funds grassroots clubs"] * 3
    >>> found = discover(list(enumerate(texts)), themes=2, terms=2, quotes=1)
    >>> sorted(t.label for t in found)
    ['adverts, ban', 'clubs, funds']
    """
    import numpy as np
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    responses = [(str(i), str(t)) for i, t in responses if t is not None and str(t).strip()]
    if len(responses) < 2:
        return []
    ids = [i for i, _ in responses]
    texts = [t for _, t in responses]
    min_df = min(min_df, len(texts)) if isinstance(min_df, int) else min_df
    known = {" ".join(re.findall(WORD, k.casefold())) for k in known} - {""}
    words = {k for k in known if " " not in k}
    if words:  # the codebook's one-word labels join the stop words
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        base = ENGLISH_STOP_WORDS if stop_words == "english" else (stop_words or ())
        stop_words = sorted(set(base) | words)
    phrases = sorted(known - words, key=len, reverse=True)
    if phrases:  # and its labels of several words are taken out of the texts the themes are found in
        pattern = re.compile(r"\b(?:" + "|".join(r"\W+".join(map(re.escape, p.split())) for p in phrases) + r")\b", re.I)
        read = [pattern.sub(" ", t) for t in texts]
    else:
        read = texts
    vectorizer = TfidfVectorizer(stop_words=stop_words, min_df=min_df, max_df=max_df if len(texts) > 2 else 1.0,
                                 sublinear_tf=True, token_pattern=WORD)
    try:
        matrix = vectorizer.fit_transform(read)
    except ValueError:  # no word survives the filters
        return []
    vocabulary = vectorizer.get_feature_names_out()
    k = max(1, min(themes, matrix.shape[0] - 1, matrix.shape[1]))
    model = NMF(n_components=k, init="nndsvda", random_state=seed, max_iter=400)
    with np.errstate(invalid="ignore"):  # scikit-learn's loss on a tiny matrix: a sqrt of -0.0, not our output
        weights = model.fit_transform(matrix)
    strongest = weights.argmax(axis=1)
    leads = weights.max(axis=1) > 0
    found = []
    for component in range(k):
        order = np.argsort(-model.components_[component], kind="stable")
        top = tuple(str(vocabulary[i]) for i in order[:terms] if model.components_[component, i] > 0)
        members = np.flatnonzero((strongest == component) & leads)
        if not top or not len(members):
            continue
        best = members[np.argsort(-weights[members, component], kind="stable")]
        found.append(DiscoveredTheme(
            number=0,
            terms=top,
            quotes=tuple(_quote(texts[i]) for i in best[:quotes]),
            responses=tuple(ids[i] for i in best),
            size=len(members),
        ))
    found.sort(key=lambda t: (-t.size, t.terms))
    return [DiscoveredTheme(n, t.terms, t.quotes, t.responses, t.size) for n, t in enumerate(found, 1)]


def _quote(text, limit=300):
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "\u2026"


def skos_draft(themes, *, scheme="discovered", kind="Theme", title=None):
    """The discovered themes as a SKOS concept scheme in Turtle, ready to edit and load.

    Each theme is a ``skos:Concept`` of ``kind`` with a first prefLabel (its strongest
    terms), its terms as altLabels (so rules coding can match them), a definition that
    says where it came from, and its representative quotes as ``skos:example``.

    Examples
    --------
    >>> theme = DiscoveredTheme(1, ("stake", "limits"), ("Cap online stakes",), ("response/1",), 4)
    >>> text = skos_draft([theme])
    >>> "theme:discovered-1-stake-limits" in text and 'skos:prefLabel "stake, limits"@en' in text
    True
    """
    from rdflib import RDF, Graph, Literal, Namespace
    from rdflib.namespace import SKOS

    from consultgraph.graph.model import load_schema, node_iri
    from consultgraph.schema.namespaces import CG, ID

    node_kind = load_schema().node_kind(kind)
    if not node_kind.is_concept:
        raise ValueError(f"{kind} is not a kind of code")
    rdf = Graph()
    rdf.bind("skos", SKOS)
    rdf.bind("cg", CG)
    rdf.bind("scheme", Namespace(str(ID) + "scheme/"))
    rdf.bind(node_kind.prefix.replace("-", "_"), Namespace(f"{ID}{node_kind.prefix}/"))
    scheme_iri = node_iri(f"scheme/{slugify(scheme)}")
    rdf.add((scheme_iri, RDF.type, SKOS.ConceptScheme))
    rdf.add((scheme_iri, SKOS.prefLabel, Literal(title or f"Discovered themes ({scheme})", lang="en")))
    rdf.add((scheme_iri, CG.kind, node_kind.iri))
    for theme in themes:
        local = slugify(f"{scheme}-{theme.number}-{'-'.join(theme.terms[:2])}")
        concept = node_iri(f"{node_kind.prefix}/{local}")
        rdf.add((concept, RDF.type, SKOS.Concept))
        rdf.add((concept, RDF.type, node_kind.iri))
        rdf.add((concept, SKOS.inScheme, scheme_iri))
        rdf.add((concept, SKOS.topConceptOf, scheme_iri))
        rdf.add((concept, SKOS.prefLabel, Literal(theme.label, lang="en")))
        for term in theme.terms:
            rdf.add((concept, SKOS.altLabel, Literal(term, lang="en")))
        rdf.add((concept, SKOS.definition, Literal(
            f"DRAFT from theme discovery (NMF on TF-IDF of uncoded responses): leads in {theme.size} "
            f"response(s); top terms: {', '.join(theme.terms)}. Edit the label and definition, drop "
            f"terms that do not belong, delete the concept if it is not a theme.", lang="en")))
        for quote in theme.quotes:
            rdf.add((concept, SKOS.example, Literal(quote)))
    header = (
        "# A DRAFT codebook from `consultgraph discover`: edit labels, definitions and altLabels,\n"
        "# delete concepts that are not themes, then load it with `consultgraph load FILE --into PROJECT`.\n"
    )
    return header + rdf.serialize(format="turtle")


def codebook_terms(concepts):
    """The labels (pref, alt, hidden) of every code in ``concepts``, as case-folded words.

    >>> from consultgraph.graph.concepts import Concept
    >>> sorted(codebook_terms([Concept("idea/advocacy", "Idea", "Advocacy", ("lobbying", "Public campaigns!")),
    ...                        Concept("region/africa", "Region", "Africa")]))
    ['advocacy', 'lobbying', 'public campaigns']
    """
    from consultgraph.graph.model import codeable_kinds

    kinds = set(codeable_kinds())
    terms = set()
    for concept in concepts:
        if concept.kind in kinds:
            for label in (concept.label, *concept.alt_labels, *concept.hidden_labels):
                terms.add(" ".join(re.findall(WORD, str(label).casefold())))
    return terms - {""}


def uncoded_responses(graph, *, question=None, include_coded=False):
    """``(response id, text)`` of the responses no coder has coded (every response with ``include_coded``)."""
    from consultgraph.coding.campaigns import require_responses
    from consultgraph.errors import InputError

    responses = require_responses(graph, question)
    if not include_coded:
        coded = set(graph.codings(coder="all")["response"].dropna())
        responses = responses[~responses["id"].isin(coded)]
        if not len(responses):
            raise InputError("every response has a code already", file=graph.name,
                             hint="add --all to look for themes across all responses")
    return list(zip(responses["id"], responses["text"]))


def discover_into_draft(graph, path, *, question=None, include_coded=False, kind="Theme", scheme=None, **options):
    """Discover themes in ``graph``'s uncoded responses and write the SKOS draft to ``path`` atomically.

    Returns ``(themes, path)``. ``options`` go to :func:`discover`.
    """
    from consultgraph.errors import InputError
    from consultgraph.graph.model import load_schema
    from consultgraph.graph.store import atomic_write

    schema = load_schema()
    node_kind = schema.node_kind(kind)
    if not node_kind.is_concept:
        raise InputError(f"'{kind}' is not a kind of code", field="kind",
                         hint=f"use one of: {', '.join(schema.concept_kinds)}")
    found = discover(uncoded_responses(graph, question=question, include_coded=include_coded),
                     known=codebook_terms(graph.concepts.concepts), **options)
    if not found:
        raise InputError("no themes found: too few responses or words", file=graph.name,
                         hint="try --all, fewer --themes, or --stop-words none")
    text = skos_draft(found, scheme=scheme or f"discovered-{slugify(graph.name or 'project')}", kind=node_kind.name)
    return found, atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
