"""A SPARQL 1.1 endpoint (Fuseki, GraphDB, Oxigraph ...): push with the Graph Store Protocol, query.

``push`` PUTs the whole graph as N-Triples into a named graph (or the default graph):
the store replaces that graph in one request, so readers see the old graph or the new
one. ``query`` sends SPARQL over the SPARQL protocol; parameters are bound by an inline
``VALUES`` block at the start of the WHERE pattern (terms serialised by rdflib), never
pasted as text.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request

from consultgraph.errors import BackendUnavailable, QueryError

DEFAULT_ENDPOINT = "http://127.0.0.1:3030/kg"


def _request(url, *, data=None, method="GET", headers=None, timeout=60):
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the user's own endpoint
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        body = error.read().decode("utf-8", "replace")[:300]
        raise QueryError(f"{method} {url} failed: HTTP {error.code} {error.reason}: {body.strip()}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise BackendUnavailable(
            f"SPARQL endpoint not reachable at {url} ({reason}); start one with `docker compose up -d fuseki` "
            "or `bash tests/servers/start.sh fuseki`"
        ) from None


def bind_values(text, bindings):
    """Insert ``VALUES (?a ?b) { (<iri> "x") }`` right after the first ``WHERE {``.

    Examples
    --------
    >>> from rdflib import URIRef
    >>> bind_values("SELECT ?s WHERE { ?s ?p ?o }", {"p": URIRef("http://x/p")})
    'SELECT ?s WHERE { VALUES (?p) { (<http://x/p>) } ?s ?p ?o }'
    """
    if not bindings:
        return text
    names = sorted(bindings)
    block = "VALUES (" + " ".join(f"?{n}" for n in names) + ") { (" + " ".join(bindings[n].n3() for n in names) + ") }"
    match = re.search(r"WHERE\s*\{", text, flags=re.IGNORECASE)
    if match is None:
        raise QueryError("cannot bind parameters: the query has no WHERE { ... }")
    return text[: match.end()] + " " + block + text[match.end():]


def _python(term):
    if term is None:
        return None
    kind, value = term["type"], term["value"]
    if kind == "uri":
        return value
    datatype = term.get("datatype", "")
    if datatype.endswith(("#integer", "#int", "#long", "#short", "#nonNegativeInteger")):
        return int(value)
    if datatype.endswith(("#decimal", "#double", "#float")):
        return float(value)
    if datatype.endswith("#boolean"):
        return value == "true"
    return value


class SparqlEndpoint:
    """A SPARQL 1.1 store at ``url`` (Fuseki dataset URL, e.g. http://127.0.0.1:3030/kg).

    ``query_url``, ``update_url`` and ``data_url`` default to Fuseki's ``/query``,
    ``/update`` and ``/data`` under the dataset URL.
    """

    def __init__(self, url=None, *, query_url=None, data_url=None, update_url=None, timeout=300):
        import os

        self.url = (url or os.environ.get("SPARQL_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
        self.query_url = query_url or f"{self.url}/query"
        self.data_url = data_url or f"{self.url}/data"
        self.update_url = update_url or f"{self.url}/update"
        self.timeout = timeout

    def _graph_url(self, graph_iri):
        return self.data_url + ("?" + urllib.parse.urlencode({"graph": graph_iri}) if graph_iri else "?default")

    def push(self, graph, *, graph_iri=None, chunk_triples=200_000, progress=None):
        """Replace the named graph ``graph_iri`` (default graph if None) with ``graph``'s RDF.

        A graph up to ``chunk_triples`` goes in one Graph Store Protocol PUT. A larger one
        is uploaded in chunks into a fresh staging graph, then moved over the target with
        one SPARQL Update ``MOVE`` (needs ``update_url``), so readers still see the old
        graph or the new one, never a part, and the server never parses one huge request.
        """
        import uuid

        from consultgraph.graph.rdf import to_rdf

        lines = to_rdf(graph).serialize(format="nt", encoding="utf-8").splitlines(keepends=True)
        headers = {"Content-Type": "application/n-triples"}
        report = progress or (lambda done, total: None)
        if len(lines) <= chunk_triples:
            _request(self._graph_url(graph_iri), data=b"".join(lines), method="PUT", headers=headers, timeout=self.timeout)
            report(len(lines), len(lines))
            return {"triples": len(lines), "graph": graph_iri or "(default graph)"}
        staging = f"urn:consultgraph:staging:{uuid.uuid4()}"
        try:
            for start in range(0, len(lines), chunk_triples):
                body = b"".join(lines[start:start + chunk_triples])
                _request(self._graph_url(staging), data=body, method="PUT" if start == 0 else "POST", headers=headers,
                         timeout=self.timeout)
                report(min(start + chunk_triples, len(lines)), len(lines))
            target = f"<{graph_iri}>" if graph_iri else "DEFAULT"
            self.update(f"MOVE SILENT <{staging}> TO {target}")
        except BaseException:
            try:
                self.update(f"DROP SILENT GRAPH <{staging}>")
            except Exception:  # the server may be gone; the staging graph is then gone too (in memory) or harmless
                pass
            raise
        return {"triples": len(lines), "graph": graph_iri or "(default graph)"}

    def update(self, text):
        """Run a SPARQL Update."""
        _request(self.update_url, data=urllib.parse.urlencode({"update": text}).encode(), method="POST",
                 headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=self.timeout)

    def triples(self, graph_iri=None):
        text = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        return self.query(text, graph_iri=graph_iri)[0]["n"]

    def query(self, text, bindings=None, *, graph_iri=None):
        """Rows (dicts of Python values; IRIs as strings) of a SELECT query."""
        params = {"query": bind_values(text, bindings or {})}
        if graph_iri:
            params["default-graph-uri"] = graph_iri
        status, body = _request(
            self.query_url,
            data=urllib.parse.urlencode(params).encode(),
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"},
            timeout=self.timeout,
        )
        data = json.loads(body)
        names = data["head"]["vars"]
        return [{n: _python(b.get(n)) for n in names} for b in data["results"]["bindings"]]
