"""Commands for servers and RDF: push (Neo4j, SPARQL endpoint), validate."""

from __future__ import annotations

import click

from consultgraph.cli.base import emit, graph_option, main, output_options
from consultgraph.cli.progress import progress_bar


def neo4j_options(function):
    for option in reversed([
        click.option("--uri", envvar="NEO4J_URI", default="bolt://127.0.0.1:7687", show_default=True,
                     help="Bolt URI (or $NEO4J_URI)."),
        click.option("--user", envvar="NEO4J_USERNAME", default="neo4j", show_default=True, help="User (or $NEO4J_USERNAME)."),
        click.option("--password", envvar="NEO4J_PASSWORD", default=None, help="Password (or $NEO4J_PASSWORD; unset: no auth)."),
        click.option("--database", envvar="NEO4J_DATABASE", default=None, help="Database (default: the server's)."),
    ]):
        function = option(function)
    return function


def connect_neo4j(uri, user, password, database):
    from consultgraph.graph.backends import connect

    return connect("neo4j", uri, user, password, database)


@main.group()
def push():
    """Load the graph into a server: Neo4j, or any SPARQL 1.1 store.

    \b
    Examples:
      consultgraph push neo4j
      consultgraph push sparql --endpoint http://127.0.0.1:3030/kg --named-graph https://example.org/amnesty
    """


@push.command("neo4j")
@graph_option
@neo4j_options
@click.option("--replace", is_flag=True, help="Delete consultgraph's nodes on the server first.")
@click.option("--batch-size", type=int, default=10_000, show_default=True, help="Rows per UNWIND transaction.")
def push_neo4j(graph, uri, user, password, database, replace, batch_size):
    """Create constraints, then MERGE nodes and relationships in batches (idempotent).

    \b
    Examples:
      consultgraph push neo4j
      NEO4J_PASSWORD=secret consultgraph push neo4j -g my-project --replace
    """
    with connect_neo4j(uri, user, password, database) as backend:
        with progress_bar("pushing", unit="row") as progress:
            summary = backend.push(graph, replace=replace, batch_size=batch_size, progress=progress)
        nodes, rels = backend.counts()
    click.echo(
        f"pushed {summary['nodes']} nodes and {summary['relationships']} relationships to {uri} in "
        f"{summary['seconds']:.1f}s; the server now holds {nodes} nodes and {rels} relationships",
        err=True,
    )


@push.command("sparql")
@graph_option
@click.option("--endpoint", envvar="SPARQL_ENDPOINT", default="http://127.0.0.1:3030/kg", show_default=True,
              help="Dataset URL (Fuseki: http://host:3030/DATASET), or $SPARQL_ENDPOINT.")
@click.option("--named-graph", "graph_iri", default=None, metavar="IRI",
              help="Named graph to replace (default: the store's default graph).")
@click.option("--data-url", default=None, help="Graph Store Protocol URL (default: ENDPOINT/data).")
@click.option("--user", envvar="SPARQL_USER", default=None,
              help="User for a protected store (or $SPARQL_USER); the password is read from $SPARQL_PASSWORD only.")
def push_sparql(graph, endpoint, graph_iri, data_url, user):
    """Replace a graph in a SPARQL 1.1 store (Graph Store Protocol: one streamed PUT, replaced in one transaction).

    A password-protected store (Fuseki with basic auth, the stain/jena-fuseki image) takes
    --user and the password from $SPARQL_PASSWORD; credentials in the URL are refused.

    \b
    Examples:
      consultgraph push sparql --endpoint http://127.0.0.1:3030/kg
      consultgraph push sparql --endpoint http://127.0.0.1:3030/kg --named-graph https://example.org/amnesty
      SPARQL_PASSWORD=... consultgraph push sparql --endpoint http://127.0.0.1:3030/kg --user admin
      consultgraph push sparql -g my-project --named-graph https://example.org/my-project
    """
    from consultgraph.graph.backends import connect

    with progress_bar("pushing", unit="triple") as progress:
        result = connect("sparql", endpoint, user=user, data_url=data_url).push(graph, graph_iri=graph_iri,
                                                                                 progress=progress)
    click.echo(f"pushed {result['triples']} triples to {endpoint} ({result['graph']})", err=True)


@main.command()
@output_options
@graph_option
def validate(graph, fmt, output):
    """Check the graph against the SHACL shapes in schema/shapes.ttl; exit 1 if it breaks them.

    \b
    Examples:
      consultgraph validate
      consultgraph validate -g my-project -f csv -o violations.csv
    """
    from consultgraph.graph.validate import validate as run

    rows = run(graph)
    if rows:
        emit(rows, fmt, output)
        click.echo(f"{len(rows)} violation(s) of schema/shapes.ttl", err=True)
        raise SystemExit(1)
    click.echo("the graph conforms to schema/shapes.ttl", err=True)
