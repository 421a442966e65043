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


def _node_lines(graph):
    """The N-Triples lines of the nodes (a few per node), as strings, without duplicates."""
    from consultgraph.graph.consultation import parse_props
    from consultgraph.graph.model import load_schema
    from consultgraph.schema.namespaces import ID

    schema = load_schema()
    base = str(ID)
    classes = {name: str(kind.iri) for name, kind in schema.node_kinds.items()}
    props = {key: (str(prop.iri), str(prop.datatype) if prop.datatype is not None else None)
             for key, prop in schema.properties.items()}
    concept_kinds = set(schema.concept_kinds)
    a = f"<{_RDF}type>"
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
    return list(dict.fromkeys(lines))


def _qualifier_tables(edges):
    """Per row, the number of its (stance, weight, props) combination; per combination, its
    coder (for the statement IRI) and the qualifier triples' predicate-object text.

    Combinations are few (stances x weights x coders), so the literals are written by
    :func:`_literal` in Python, exactly as the export writes them, and joined in DuckDB.
    """
    import numpy as np
    import pandas as pd

    from consultgraph.graph.model import edge_attributes, load_schema

    props = {key: (str(prop.iri), str(prop.datatype) if prop.datatype is not None else None)
             for key, prop in load_schema().properties.items()}
    combo = edges.groupby(["stance", "weight", "props"], dropna=False, observed=True, sort=False).ngroup().to_numpy()
    ids, first = np.unique(combo, return_index=True)
    coders, tails = [], []
    for number, row in zip(ids.tolist(), first.tolist()):
        qualifiers = edge_attributes(edges["stance"].iat[row], edges["weight"].iat[row], edges["props"].iat[row])
        coder = qualifiers.get("coder")
        coders.append((number, bool(qualifiers), f"\x1f{coder}" if coder else ""))
        for key, value in qualifiers.items():
            iri, datatype = props[key]
            tails.append((number, f" <{iri}> {_literal(value, datatype)} .\n"))
    combos = pd.DataFrame(coders, columns=["combo", "qualified", "coder"])
    tails = pd.DataFrame(tails or [(-1, "")], columns=["combo", "tail"])
    return combo, combos, tails


_EDGE_LINES = """
WITH stated AS (
    SELECT DISTINCT e.source, e.target, e.kind, e.stance, c.coder, e.combo
    FROM edge_rows e JOIN combos c ON c.combo = e.combo WHERE c.qualified),
statements AS (
    SELECT concat('<{base}{statement}/', left(sha1(concat(source, chr(31), kind, chr(31), target, chr(31),
                  COALESCE(CAST(stance AS VARCHAR), ''), coder)), 20), '>') AS st,
           source, target, kind, stance, coder
    FROM (SELECT DISTINCT source, target, kind, stance, coder FROM stated))
SELECT concat('<{base}', source, '> ', k.p, ' <{base}', target, '> .', chr(10),
              CASE WHEN k.also IS NOT NULL THEN concat('<{base}', source, '> ', k.also, ' <{base}', target, '> .', chr(10))
              ELSE '' END) AS line,
       1 + CAST(k.also IS NOT NULL AS INTEGER) AS triples
FROM (SELECT DISTINCT source, target, kind FROM edge_rows) d JOIN kinds k ON k.kind = CAST(d.kind AS VARCHAR)
UNION ALL
SELECT concat('<{base}', source, '> ', k.qualified, ' ', st, ' .', chr(10),
              st, ' <{cg}target> <{base}', target, '> .', chr(10)), 2
FROM statements s JOIN kinds k ON k.kind = CAST(s.kind AS VARCHAR)
UNION ALL
SELECT concat(s.st, q.tail), 1
FROM statements s JOIN (SELECT DISTINCT source, target, kind, stance, coder, t.tail
                        FROM stated JOIN tails t USING (combo)) q
     ON s.source = q.source AND s.target = q.target AND s.kind = q.kind
        AND s.stance IS NOT DISTINCT FROM q.stance AND s.coder = q.coder
"""


def _write_strings(column, write):
    """Write a string column's values back to back: its data buffer, not one Python string per value."""
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray):
        for chunk in column.chunks:
            _write_strings(chunk, write)
        return
    if len(column) == 0:
        return
    import numpy as np

    _, offsets, data = column.buffers()
    width = np.int64 if pa.types.is_large_string(column.type) else np.int32
    offsets = np.frombuffer(offsets, dtype=width)[column.offset:column.offset + len(column) + 1]
    write(memoryview(data)[int(offsets[0]):int(offsets[-1])])


def _edge_lines(graph, write):
    """Write the relationships' triples (plain, plus the qualified form of those with properties) built
    in DuckDB from the edge table; returns the number of triples (each written once)."""
    import duckdb
    import pandas as pd
    import pyarrow.compute as pc

    from consultgraph.graph.model import edge_attributes, load_schema
    from consultgraph.graph.rdf import STATEMENT, qualified_form
    from consultgraph.schema.namespaces import CG, ID

    edges = graph.edges
    if len(edges) == 0:
        return 0
    also = {"BROADER": f"<{_SKOS}broader>", "FROM_SOURCE": f"<{_PROV}wasDerivedFrom>"}
    kinds = pd.DataFrame([(name, f"<{kind.iri}>", also.get(name), kind.qualified_iri_text and f"<{kind.qualified_iri}>")
                          for name, kind in load_schema().edge_kinds.items()], columns=["kind", "p", "also", "qualified"])
    combo, combos, tails = _qualifier_tables(edges)
    edge_rows = pd.DataFrame({"source": edges["source"], "target": edges["target"], "kind": edges["kind"],
                              "stance": edges["stance"], "combo": combo})
    unknown = set(edges["kind"].astype(str).unique()) - set(kinds["kind"])
    if unknown:
        raise QueryError(f"relationship kind {sorted(unknown)[0]} is not in the ontology")
    undeclared = combos["qualified"].to_numpy()[combo] & ~edges["kind"].astype(str).isin(
        set(kinds.loc[kinds["qualified"].notna(), "kind"])).to_numpy()
    if undeclared.any():  # properties on a relationship kind the ontology gives no qualified form: say so
        row = int(undeclared.nonzero()[0][0])
        qualified_form(str(edges["kind"].iat[row]),
                       edge_attributes(edges["stance"].iat[row], edges["weight"].iat[row], edges["props"].iat[row]))
    text = _EDGE_LINES.format(base=str(ID), statement=STATEMENT, cg=str(CG))
    connection = duckdb.connect()
    try:
        connection.execute("SET enable_progress_bar = false")  # the library never prints
        for name, frame in (("edge_rows", edge_rows), ("kinds", kinds), ("combos", combos), ("tails", tails)):
            connection.register(name, frame)
        count = 0
        for batch in connection.sql(text).to_arrow_reader(1_000_000):
            _write_strings(batch.column(0), write)
            count += int(pc.sum(batch.column(1)).as_py() or 0)
        return count
    finally:
        connection.close()


def ntriples(graph, write):
    """Call ``write(data)`` with the graph's N-Triples (UTF-8 bytes), a chunk at a time; returns the triple count.

    Every triple is written once, so the count is the size of the RDF graph.
    """
    lines = _node_lines(graph)
    for start in range(0, len(lines), 100_000):
        write("".join(lines[start:start + 100_000]).encode("utf-8"))
    return len(lines) + _edge_lines(graph, write)


def build(graph, folder):
    """A pyoxigraph Store of ``graph`` in ``folder`` (in memory when ``folder`` is None)."""
    import pyoxigraph

    if folder is None:
        chunks = []
        ntriples(graph, chunks.append)
        store = pyoxigraph.Store()
        store.bulk_load(b"".join(chunks), pyoxigraph.RdfFormat.N_TRIPLES, lenient=True)
        return store
    folder = Path(folder)
    data = folder / "graph.nt"
    with open(data, "wb") as handle:
        ntriples(graph, handle.write)
    store = pyoxigraph.Store(str(folder / STORE_FOLDER))
    # lenient: the IRIs are node ids the translator checked, the literals are escaped above
    store.bulk_load(path=str(data), format=pyoxigraph.RdfFormat.N_TRIPLES, lenient=True)
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
