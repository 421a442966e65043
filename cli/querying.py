"""Commands that run queries: the named catalogue, raw SPARQL and raw Cypher."""

from __future__ import annotations

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
@click.option("--endpoint", default=None, help="Run the SPARQL text on this SPARQL endpoint, not embedded.")
@click.option("--named-graph", "endpoint_graph", default=None, metavar="IRI", help="Named graph on the endpoint to query.")
def query(graph, fmt, output, name, pairs, language, show, raw, use_neo4j, endpoint, endpoint_graph):
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

        server = SparqlEndpoint(endpoint)
        rows = cat.run(graph, name, _params(pairs), language="sparql", post=not raw, sparql=server,
                       sparql_graph=endpoint_graph)
    else:
        rows = cat.run(graph, name, _params(pairs), language=language, post=not raw)
    emit(rows, fmt, output)


@main.command()
@output_options
@graph_option
@click.argument("text")
@click.option("--param", "-p", "pairs", multiple=True, metavar="NAME=VALUE",
              help="Bind ?NAME to VALUE (a node id or label becomes its IRI; otherwise a literal).")
@click.option("--endpoint", default=None, help="Query this SPARQL endpoint instead of the embedded store.")
@click.option("--named-graph", "endpoint_graph", default=None, metavar="IRI", help="Named graph on the endpoint to query.")
def sparql(graph, fmt, output, text, pairs, endpoint, endpoint_graph):
    """Run a SPARQL query on the project's RDF (embedded rdflib store).

    Node IRIs are https://w3id.org/consultgraph/id/<id>; the vocabulary is
    https://w3id.org/consultgraph/ontology# (prefix cg:), see schema/ontology.ttl.

    \b
    Examples:
      consultgraph sparql 'PREFIX cg: <https://w3id.org/consultgraph/ontology#>
        SELECT ?statement ?count ?base WHERE { ?f a cg:Finding ; cg:statement ?statement ;
        cg:count ?count ; cg:base ?base } LIMIT 5'
      consultgraph sparql 'SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p' -f csv
      consultgraph sparql --endpoint http://127.0.0.1:3030/kg 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }'
    """
    from rdflib import Literal

    from consultgraph.graph.model import node_iri
    from consultgraph.queries.catalogue import run_sparql

    bindings = {}
    for name, value in _params(pairs).items():
        known = value in graph.concepts or bool(graph.nodes["id"].eq(value).any())
        bindings[name] = node_iri(value) if known else Literal(value)
    if endpoint:
        from consultgraph.graph.endpoint import SparqlEndpoint

        emit(SparqlEndpoint(endpoint).query(text, bindings, graph_iri=endpoint_graph), fmt, output)
        return
    emit(run_sparql(graph, text, bindings), fmt, output)


@main.command()
@output_options
@graph_option
@click.argument("text")
@click.option("--param", "-p", "pairs", multiple=True, metavar="NAME=VALUE", help="Bind $NAME to VALUE.")
@click.option("--neo4j", "use_neo4j", is_flag=True, help="Run on Neo4j ($NEO4J_URI, $NEO4J_USERNAME, $NEO4J_PASSWORD).")
def cypher(graph, fmt, output, text, pairs, use_neo4j):
    """Run a Cypher query on the embedded engine (grand-cypher over networkx).

    Nodes have labels from their kind (Respondent, Finding, Theme ...) and properties
    id, kind, label and the rest; relationships have types MEMBER_OF, MENTIONS ... with
    stance and weight. The embedded engine has limits: no OPTIONAL MATCH, WITH, UNWIND,
    CASE or arithmetic in RETURN.

    \b
    Examples:
      consultgraph cypher 'MATCH (g:StakeholderGroup)<-[:FOR_GROUP]-(f:Finding) WHERE f.measure = "size"
        RETURN g.id AS group, f.count AS size'
      consultgraph cypher 'MATCH (q:Quote)-[:ILLUSTRATES]->(c) WHERE c.id = $c RETURN q.text AS text' -p c=tactic/research
      consultgraph cypher --neo4j 'MATCH (n) RETURN labels(n)[0] AS kind, count(*) AS n'
    """
    if use_neo4j:
        from consultgraph.graph.neo4j import Neo4jBackend

        with Neo4jBackend() as backend:
            emit(backend.run(text, _params(pairs)), fmt, output)
        return
    from consultgraph.queries.catalogue import run_cypher

    emit(run_cypher(graph, text, _params(pairs)), fmt, output)
