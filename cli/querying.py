"""Commands that run queries: the named catalogue, raw SPARQL and raw Cypher."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import click

from consultgraph.cli.base import LazyEpilog, emit, graph_option, main, output_options
from consultgraph.errors import QueryError


def _params(pairs):
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise QueryError(f"--param takes NAME=VALUE, not '{pair}'")
        name, value = pair.split("=", 1)
        out[name.strip()] = value.strip()
    return out


def engine_graph_option(function):
    """``-g/--graph`` for the engine commands: a project is known by its manifest until a cache miss needs its tables."""

    @click.option("-g", "--graph", "graph_spec", metavar="PROJECT", default=lambda: os.environ.get("CONSULTGRAPH_GRAPH"),
                  help="Project folder, or a built-in dataset name. Default: $CONSULTGRAPH_GRAPH, else amnesty-2019.")
    @functools.wraps(function)
    def wrapper(*args, graph_spec=None, **kwargs):
        from consultgraph.graph.cache import ProjectRef
        from consultgraph.loaders import open_graph

        if graph_spec and (Path(graph_spec) / "manifest.json").is_file():
            return function(*args, graph=ProjectRef(graph_spec), **kwargs)
        return function(*args, graph=open_graph(graph_spec), **kwargs)

    return wrapper


def endpoint_options(function):
    for option in reversed([
        click.option("--endpoint", default=None, metavar="URL",
                     help="Query this SPARQL endpoint (e.g. http://127.0.0.1:3030/kg) instead of the embedded store."),
        click.option("--named-graph", "endpoint_graph", default=None, metavar="IRI",
                     help="Named graph on the endpoint to query."),
        click.option("--user", envvar="SPARQL_USER", default=None,
                     help="User for a protected endpoint (or $SPARQL_USER); the password is read from $SPARQL_PASSWORD."),
    ]):
        function = option(function)
    return function


def _catalogue_help():
    from consultgraph.queries.catalogue import catalogue

    lines = []
    for query in catalogue().values():
        params = " ".join(f"{p.name}=..." for p in query.params)
        lines.append(f"  {query.name:<22} {params}")
    return "\b\nQueries:\n" + "\n".join(lines)


@main.command(cls=LazyEpilog, epilog=_catalogue_help)
@output_options
@graph_option
@click.argument("name", required=False)
@click.option("--param", "-p", "pairs", multiple=True, metavar="NAME=VALUE", help="A query parameter (repeatable).")
@click.option("--language", "-l", type=click.Choice(["python", "sparql", "cypher"]), default="python", show_default=True,
              help="Which of the query's three texts to run.")
@click.option("--show", is_flag=True, help="Print the query's SPARQL and Cypher texts instead of running it.")
@click.option("--raw", is_flag=True, help="Rows as the query returns them, before shared post-processing.")
@click.option("--neo4j", "use_neo4j", is_flag=True, help="Run the Cypher text on Neo4j ($NEO4J_URI ...), not embedded.")
@endpoint_options
def query(graph, fmt, output, name, pairs, language, show, raw, use_neo4j, endpoint, endpoint_graph, user):
    """Run a named analyst question from the catalogue (queries/catalogue/*.yaml).

    Without NAME, lists the catalogue. Every query gives the same rows in Python, SPARQL
    and Cypher; parameters are bound, never pasted into the query text.

    \b
    Examples:
      consultgraph query
      consultgraph query divergence -p group_a=partner -p group_b=national-entity -p kind=Tactic
      consultgraph query stance-split -p concept=climate --language sparql
      consultgraph query divergence -p group_a=partner -p group_b=NE -p kind=Theme --show
      consultgraph query divergence -p group_a=partner -p group_b=NE -p kind=Tactic --neo4j
    """
    from consultgraph.queries import catalogue as cat

    if not name:
        rows = [{"query": q.name, "parameters": ", ".join(p.name for p in q.params), "description": q.description}
                for q in cat.catalogue().values()]
        emit(rows, fmt, output)
        return
    entry = cat.get(name)
    if show:
        click.echo(f"# {entry.name}: {entry.description}\n\n-- SPARQL\n{entry.sparql}\n-- Cypher\n{entry.cypher}")
        return
    if use_neo4j:
        from consultgraph.graph.neo4j import Neo4jBackend

        with Neo4jBackend() as backend:
            rows = cat.run(graph, name, _params(pairs), language="cypher", post=not raw, neo4j=backend)
    elif endpoint:
        from consultgraph.graph.endpoint import SparqlEndpoint

        server = SparqlEndpoint(endpoint, user=user)
        rows = cat.run(graph, name, _params(pairs), language="sparql", post=not raw, sparql=server,
                       sparql_graph=endpoint_graph)
    else:
        rows = cat.run(graph, name, _params(pairs), language=language, post=not raw)
    emit(cat.display_rows(rows) if fmt in ("table", "markdown") else rows, fmt, output)


@main.command()
@output_options
@engine_graph_option
@click.argument("text")
@click.option("--param", "-p", "pairs", multiple=True, metavar="NAME=VALUE",
              help="Bind ?NAME to VALUE (a node id such as theme/escr becomes its IRI; otherwise a literal).")
@endpoint_options
@click.option("--allow-update", is_flag=True, help="With --endpoint: allow SPARQL Update (INSERT, DELETE, LOAD ...).")
def sparql(graph, fmt, output, text, pairs, endpoint, endpoint_graph, user, allow_update):
    """Run a SPARQL query on the project's RDF (embedded Oxigraph store, read-only).

    Node IRIs are https://w3id.org/consultgraph/id/<id>; the vocabulary is
    https://w3id.org/consultgraph/ontology# (prefix cg:), see schema/ontology.ttl. The
    store is built once per project generation and cached (PROJECT/.cache, or
    ~/.cache/consultgraph). Updates, LOAD and SERVICE are refused on it; a server
    takes updates with --endpoint URL --allow-update.

    \b
    Examples:
      consultgraph sparql 'PREFIX cg: <https://w3id.org/consultgraph/ontology#>
        SELECT ?statement ?count ?base WHERE { ?f a cg:Finding ; cg:statement ?statement ;
        cg:count ?count ; cg:base ?base } LIMIT 5'
      consultgraph sparql 'SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p' -f csv
      SPARQL_PASSWORD=... consultgraph sparql --endpoint http://127.0.0.1:3030/kg --user admin \\
        'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }'
    """
    from rdflib import Literal

    from consultgraph.graph.model import load_schema, node_iri

    if allow_update and not endpoint:
        raise click.UsageError("--allow-update needs --endpoint: the embedded store is read-only")
    schema = load_schema()
    bindings = {}
    for name, value in _params(pairs).items():
        bindings[name] = node_iri(value) if "/" in value and schema.kind_of_id(value) else Literal(value)
    if endpoint:
        from consultgraph.graph.endpoint import SparqlEndpoint

        server = SparqlEndpoint(endpoint, user=user)
        emit(server.query(text, bindings, graph_iri=endpoint_graph, allow_update=allow_update), fmt, output)
        return
    from consultgraph.queries.catalogue import run_sparql

    emit(run_sparql(graph, text, bindings), fmt, output)


@main.command()
@output_options
@engine_graph_option
@click.argument("text")
@click.option("--param", "-p", "pairs", multiple=True, metavar="NAME=VALUE", help="Bind $NAME to VALUE.")
@click.option("--neo4j", "use_neo4j", is_flag=True,
              help="Run on Neo4j ($NEO4J_URI, $NEO4J_USERNAME, $NEO4J_PASSWORD, $NEO4J_DATABASE).")
@click.option("--allow-update", is_flag=True, help="With --neo4j: run in a write transaction (CREATE, SET, DELETE ...).")
def cypher(graph, fmt, output, text, pairs, use_neo4j, allow_update):
    """Run a Cypher query on the embedded engine (LadybugDB, read-only) or on Neo4j.

    Nodes have labels from their kind (Respondent, Finding, Theme ...) and properties
    id, kind, label and the rest; relationships have types MEMBER_OF, MENTIONS ... with
    stance and weight. The embedded database is built once per project generation and
    cached. Its dialect differs from Neo4j's in a few places: a node has one label (no
    :Concept; filter on c.kind), label(r) not type(r), to_int64 not toInteger, and
    `group`, `order`, `end`, `table` need backticks as aliases (README "Cypher and SPARQL").

    \b
    Examples:
      consultgraph cypher "MATCH (n) RETURN count(n) AS n"
      consultgraph cypher 'MATCH (g:StakeholderGroup)<-[:FOR_GROUP]-(f:Finding) WHERE f.measure = "size"
        RETURN g.id AS grp, f.count AS size'
      consultgraph cypher 'MATCH (q:Quote)-[:ILLUSTRATES]->(c) WHERE c.id = $c RETURN q.text AS text' -p c=tactic/research
      consultgraph cypher --neo4j 'MATCH (n) RETURN labels(n)[0] AS kind, count(*) AS n'
    """
    if allow_update and not use_neo4j:
        raise click.UsageError("--allow-update needs --neo4j: the embedded graph is read-only")
    if use_neo4j:
        from consultgraph.graph.neo4j import Neo4jBackend

        with Neo4jBackend() as backend:
            emit(backend.run(text, _params(pairs), allow_update=allow_update), fmt, output)
        return
    from consultgraph.queries.catalogue import run_cypher

    emit(run_cypher(graph, text, _params(pairs)), fmt, output)
