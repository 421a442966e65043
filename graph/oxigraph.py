"""Embedded SPARQL on Oxigraph: N-Triples written straight from the tables, cached per generation.

:func:`ntriples` writes the same triples as :func:`consultgraph.graph.rdf.to_rdf` (a
test checks the two graphs are isomorphic) without building rdflib objects, so a
million-triple project loads in seconds. The store is bulk-loaded into the cache folder
of :mod:`consultgraph.graph.cache` and opened read-only. Queries only: updates, ``LOAD``
and ``SERVICE`` (which would fetch from the network) are refused.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from consultgraph.errors import QueryError
from consultgraph.graph import cache

ENGINE = "sparql"
STORE_FOLDER = "store"
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_PROV = "http://www.w3.org/ns/prov#"
_XSD = "http://www.w3.org/2001/XMLSchema#"


def engine_version():
    import pyoxigraph

    return pyoxigraph.__version__


def _text(value):
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


def _literal(value, datatype):
    """The N-Triples literal rdf.py's ``_literal`` makes of ``value``."""
    if isinstance(value, bool):
        return f'"{"true" if value else "false"}"^^<{_XSD}boolean>'
    if datatype == f"{_XSD}integer":
        return f'"{int(value)}"^^<{_XSD}integer>'
    if datatype == f"{_XSD}decimal":
        return f'"{float(value)}"^^<{_XSD}double>'
    return _text(value)


def ntriples(graph, write):
    """Call ``write(text)`` with the graph's N-Triples, a chunk of lines at a time; returns the line count."""
    from consultgraph.graph.consultation import parse_props
    from consultgraph.graph.model import edge_attributes, load_schema
    from consultgraph.graph.rdf import statement_key
    from consultgraph.schema.namespaces import ID

    schema = load_schema()
    base = str(ID)
    classes = {name: str(kind.iri) for name, kind in schema.node_kinds.items()}
    props = {key: (str(prop.iri), str(prop.datatype) if prop.datatype is not None else None)
             for key, prop in schema.properties.items()}
    edge_iris = {name: str(kind.iri) for name, kind in schema.edge_kinds.items()}
    concept_kinds = set(schema.concept_kinds)
    a = f"<{_RDF}type>"
    lines = []
    count = 0

    def flush():
        nonlocal lines, count
        count += len(lines)
        write("".join(lines))
        lines = []

    for (node_id, kind, label), extra in zip(
        graph.nodes[["id", "kind", "label"]].itertuples(index=False, name=None), parse_props(graph.nodes["props"])
    ):
        s = f"<{base}{node_id}>"
        lines.append(f"{s} {a} <{classes[kind]}> .\n")
        if kind in concept_kinds:
            lines.append(f"{s} {a} <{_SKOS}Concept> .\n")
            lines.append(f"{s} <{_SKOS}prefLabel> {_text(label)}@en .\n")
        else:
            lines.append(f"{s} <{_RDFS}label> {_text(label)} .\n")
        for key, value in extra.items():
            if value is None:
                continue
            if kind in concept_kinds and key == "alt_labels":
                lines.extend(f"{s} <{_SKOS}altLabel> {_text(alt)}@en .\n" for alt in value)
            elif kind in concept_kinds and key == "scheme":
                scheme = base + value if "/" in value and ":" not in value else value
                lines.append(f"{s} <{_SKOS}inScheme> <{scheme}> .\n")
            elif kind in concept_kinds and key == "definition":
                lines.append(f"{s} <{_SKOS}definition> {_text(value)}@en .\n")
            elif key not in props:
                from consultgraph.errors import InputError

                raise InputError(f"property '{key}' of {node_id} is not in the ontology", field=key)
            else:
                iri, datatype = props[key]
                literal = _text(json.dumps(value, ensure_ascii=False)) if isinstance(value, list) else _literal(value, datatype)
                lines.append(f"{s} <{iri}> {literal} .\n")
        if len(lines) > 100_000:
            flush()
    statement = f"<{_RDF}Statement>"
    for source, target, kind, stance, weight, extra in graph.edge_rows():
        s, o, p = f"<{base}{source}>", f"<{base}{target}>", f"<{edge_iris[kind]}>"
        lines.append(f"{s} {p} {o} .\n")
        if kind == "BROADER":
            lines.append(f"{s} <{_SKOS}broader> {o} .\n")
        elif kind == "FROM_SOURCE":
            lines.append(f"{s} <{_PROV}wasDerivedFrom> {o} .\n")
        qualifiers = edge_attributes(stance, weight, extra)
        if qualifiers:
            st = f"<{base}{statement_key(source, kind, target, stance, qualifiers.get('coder'))}>"
            lines.append(f"{st} {a} {statement} .\n{st} <{_RDF}subject> {s} .\n"
                         f"{st} <{_RDF}predicate> {p} .\n{st} <{_RDF}object> {o} .\n")
            for key, value in qualifiers.items():
                iri, datatype = props[key]
                lines.append(f"{st} <{iri}> {_literal(value, datatype)} .\n")
        if len(lines) > 100_000:
            flush()
    flush()
    return count


def build(graph, folder):
    """A pyoxigraph Store of ``graph`` in ``folder`` (in memory when ``folder`` is None)."""
    import pyoxigraph

    if folder is None:
        chunks = []
        ntriples(graph, chunks.append)
        store = pyoxigraph.Store()
        store.bulk_load("".join(chunks).encode(), pyoxigraph.RdfFormat.N_TRIPLES)
        return store
    folder = Path(folder)
    data = folder / "graph.nt"
    with open(data, "w", encoding="utf-8") as handle:
        ntriples(graph, handle.write)
    store = pyoxigraph.Store(str(folder / STORE_FOLDER))
    store.bulk_load(path=str(data), format=pyoxigraph.RdfFormat.N_TRIPLES)
    store.flush()
    del store
    data.unlink()
    return None


# ---------------------------------------------------------------- reading

_SKIP = re.compile(r"'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"|<[^<>\"{}|^`\\\s]*>|#[^\n]*",
                   re.DOTALL)
_UPDATE = re.compile(r"(?<![\w:?$])(INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)(?![\w:])", re.IGNORECASE)
_SERVICE = re.compile(r"(?<![\w:?$])SERVICE(?![\w:])", re.IGNORECASE)


def update_keyword(text):
    """The SPARQL Update keyword in ``text`` (outside strings, IRIs and comments), or None.

    Examples
    --------
    >>> update_keyword('SELECT ?s WHERE { ?s <http://x/insert> "DELETE" }') is None
    True
    >>> update_keyword("PREFIX x: <http://x/> DELETE WHERE { ?s ?p ?o }")
    'DELETE'
    """
    match = _UPDATE.search(_SKIP.sub(" ", text))
    return match.group(1).upper() if match else None


def check_read_only(text):
    """Refuse SPARQL Update (LOAD included) and SERVICE before the embedded store sees the text."""
    keyword = update_keyword(text)
    if keyword:
        raise QueryError(
            f"the embedded store is read-only ({keyword}): change the data with `consultgraph load`, or send "
            "updates to a server with `sparql --endpoint URL --allow-update`"
        )
    if _SERVICE.search(_SKIP.sub(" ", text)):
        raise QueryError("SERVICE is refused by the embedded store: it would fetch from the network "
                         "(run federated queries on a server with `sparql --endpoint URL`)")


def python_value(term):
    """A pyoxigraph term as a plain Python value (IRIs as strings, typed literals as numbers or booleans)."""
    import pyoxigraph

    if term is None:
        return None
    if isinstance(term, pyoxigraph.Literal):
        datatype = term.datatype.value if term.datatype is not None else ""
        value = term.value
        if datatype.endswith(("#integer", "#int", "#long", "#short", "#nonNegativeInteger", "#positiveInteger")):
            return int(value)
        if datatype.endswith(("#decimal", "#double", "#float")):
            return float(value)
        if datatype.endswith("#boolean"):
            return value in ("true", "1")
        return value
    return term.value


class SparqlEngine:
    """A read-only pyoxigraph store of one graph."""

    def __init__(self, store):
        self.store = store

    def run(self, text, bindings=None):
        """Rows (dicts of Python values) of a SELECT; ``[{"result": bool}]`` for ASK; s/p/o rows for CONSTRUCT.

        ``bindings`` (name -> rdflib term) are bound by an inline ``VALUES`` block, never pasted as text.
        """
        import pyoxigraph

        from consultgraph.graph.endpoint import bind_values

        check_read_only(text)
        text = bind_values(text, bindings or {})
        try:
            result = self.store.query(text)
            if isinstance(result, pyoxigraph.QueryBoolean):
                return [{"result": bool(result)}]
            if isinstance(result, pyoxigraph.QueryTriples):
                return [{"subject": python_value(t.subject), "predicate": python_value(t.predicate),
                         "object": python_value(t.object)} for t in result]
            names = [v.value for v in result.variables]
            return [{n: python_value(solution[n]) for n in names} for solution in result]
        except SyntaxError as error:
            raise QueryError(f"SPARQL failed: {error}") from None
        except OSError as error:
            raise QueryError(f"SPARQL failed on the embedded store: {error}") from None

    def __len__(self):
        return len(self.store)


def engine(graph):
    """The :class:`SparqlEngine` of ``graph`` (a Consultation or a project reference), built once per generation."""
    import pyoxigraph

    memo = getattr(graph, "__dict__", {}).get("_sparql_engine")
    if memo is not None:
        return memo
    folder = cache.location(graph, ENGINE, engine_version())
    if folder is None:
        result = SparqlEngine(build(graph, None))
    else:
        if not (folder / STORE_FOLDER).exists():
            source = graph.load() if hasattr(graph, "load") else graph
            cache.build_atomically(folder, lambda scratch: build(source, scratch))
        result = SparqlEngine(pyoxigraph.Store.read_only(str(folder / STORE_FOLDER)))
    graph.__dict__["_sparql_engine"] = result
    return result
