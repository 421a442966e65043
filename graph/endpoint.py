"""A SPARQL 1.1 endpoint (Fuseki, GraphDB, Oxigraph ...): push with the Graph Store Protocol, query.

``push`` PUTs the whole graph as N-Triples into a named graph (or the default graph):
the store replaces that graph in one request, so readers see the old graph or the new
one. ``query`` sends SPARQL over the SPARQL protocol; parameters are bound by an inline
``VALUES`` block at the start of the WHERE pattern (terms serialised by rdflib), never
pasted as text. ``query`` refuses SPARQL Update unless ``allow_update`` is set.

A protected endpoint (Fuseki with a shiro.ini, the stain/jena-fuseki image) takes HTTP
basic authentication: ``user`` and ``password`` (the CLI reads the password from
``$SPARQL_PASSWORD`` only). Credentials written into the URL are refused, and never
appear in a message.
"""

from __future__ import annotations

import base64
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request

from consultgraph.errors import BackendUnavailable, QueryError

DEFAULT_ENDPOINT = "http://127.0.0.1:3030/kg"


def _request(url, *, data=None, method="GET", headers=None, timeout=60, auth=None):
    headers = dict(headers or {})
    if auth is not None:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the user's own endpoint
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        if error.code in (401, 403):
            who = f"user '{auth[0]}'" if auth else "no credentials"
            raise QueryError(
                f"{method} {url} was refused: HTTP {error.code} {error.reason} ({who}); pass --user NAME and set "
                "SPARQL_PASSWORD (or SPARQL_USER / SPARQL_PASSWORD in the environment)"
            ) from None
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
    ``/update`` and ``/data`` under the dataset URL. ``user`` defaults to
    ``$SPARQL_USER``, ``password`` to ``$SPARQL_PASSWORD``; without a user no
    credentials are sent.

    Examples
    --------
    >>> SparqlEndpoint("http://admin:secret@127.0.0.1:3030/kg")
    Traceback (most recent call last):
    ...
    consultgraph.errors.QueryError: the SPARQL endpoint URL carries credentials, which are refused (they would show in logs and process lists): give the URL without them, pass --user NAME and set SPARQL_PASSWORD
    """

    def __init__(self, url=None, *, user=None, password=None, query_url=None, data_url=None, update_url=None,
                 timeout=300):
        self.url = (url or os.environ.get("SPARQL_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
        for address in (self.url, query_url, data_url, update_url):
            if address and "@" in urllib.parse.urlsplit(address).netloc:
                raise QueryError(
                    "the SPARQL endpoint URL carries credentials, which are refused (they would show in logs and "
                    "process lists): give the URL without them, pass --user NAME and set SPARQL_PASSWORD"
                )
        self.query_url = query_url or f"{self.url}/query"
        self.data_url = data_url or f"{self.url}/data"
        self.update_url = update_url or f"{self.url}/update"
        self.timeout = timeout
        user = user or os.environ.get("SPARQL_USER") or None
        password = password if password is not None else os.environ.get("SPARQL_PASSWORD")
        if password and not user:
            user = "admin"  # the stain/jena-fuseki image's user
        self._auth = (user, password or "") if user else None

    def __repr__(self):
        return f"SparqlEndpoint({self.url!r}, user={self._auth[0] if self._auth else None!r})"

    def _request(self, url, **options):
        return _request(url, timeout=self.timeout, auth=self._auth, **options)

    def _graph_url(self, graph_iri):
        return self.data_url + ("?" + urllib.parse.urlencode({"graph": graph_iri}) if graph_iri else "?default")

    def push(self, graph, *, graph_iri=None, progress=None, block_bytes=4 << 20):
        """Replace the named graph ``graph_iri`` (default graph if None) with ``graph``'s RDF.

        The N-Triples are written to a temporary file, then sent in one Graph Store
        Protocol PUT whose body streams from the file (chunked transfer encoding): the
        store replaces the graph in one transaction, so readers see the old graph or the
        new one, never a part, and neither side holds the whole text in memory.
        (Uploading in pieces to a staging graph and then ``MOVE`` took longer than the
        upload itself on Fuseki's in-memory store: it copies triple by triple.)
        ``progress(done, total)`` is called as the body goes, in triples (counted by bytes sent).
        """
        import tempfile

        from consultgraph.graph.oxigraph import ntriples

        url, headers = self._graph_url(graph_iri), {"Content-Type": "application/n-triples"}
        # an empty POST adds nothing, but a refusal (401) comes back as such, not as a broken pipe mid-stream
        self._request(url, data=b"", method="POST", headers=headers)
        with tempfile.TemporaryFile() as data:
            # the same triples as graph/rdf.py's export, written straight from the tables, each once
            triples = ntriples(graph, data.write)
            total = data.tell()
            data.seek(0)
            report = progress or (lambda done, total: None)

            def body():
                sent = 0
                while block := data.read(block_bytes):
                    yield block
                    sent += len(block)
                    report(triples * sent // total, triples)

            self._request(url, data=body(), method="PUT", headers=headers)
        return {"triples": triples, "graph": graph_iri or "(default graph)"}

    def update(self, text):
        """Run a SPARQL Update."""
        self._request(self.update_url, data=urllib.parse.urlencode({"update": text}).encode(), method="POST",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})

    def triples(self, graph_iri=None):
        text = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        return self.query(text, graph_iri=graph_iri)[0]["n"]

    def query(self, text, bindings=None, *, graph_iri=None, allow_update=False):
        """Rows (dicts of Python values; IRIs as strings) of a SELECT query (``[{"result": b}]`` for ASK).

        SPARQL Update is refused unless ``allow_update``; then it goes to ``update_url``
        and the result is ``[{"updated": True}]``.
        """
        from consultgraph.graph.oxigraph import update_keyword

        keyword = update_keyword(text)
        if keyword:
            if not allow_update:
                raise QueryError(
                    f"this is a SPARQL Update ({keyword}) and queries are read-only: add --allow-update to change "
                    f"the data at {self.url}"
                )
            self.update(text)
            return [{"updated": True}]
        params = {"query": bind_values(text, bindings or {})}
        if graph_iri:
            params["default-graph-uri"] = graph_iri
        status, body = self._request(
            self.query_url,
            data=urllib.parse.urlencode(params).encode(),
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/sparql-results+json"},
        )
        data = json.loads(body)
        if "boolean" in data:
            return [{"result": bool(data["boolean"])}]
        names = data["head"]["vars"]
        return [{n: _python(b.get(n)) for n in names} for b in data["results"]["bindings"]]
