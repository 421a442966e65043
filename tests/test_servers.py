"""Integration tests against a real Neo4j and a real SPARQL server (Fuseki).

`.ci/run` starts both (tests/servers/start.sh). Locally a test skips with a reason when
no server answers; under CI=true a missing server is a failure.
"""

from __future__ import annotations

import os
import subprocess
import urllib.request
from pathlib import Path

import pytest

from consultgraph.errors import BackendUnavailable
from consultgraph.queries import catalogue as cat

SERVERS = Path(__file__).resolve().parent / "servers"
CI = os.environ.get("CI") == "true"


def _unavailable(what, reason):
    if CI:
        pytest.fail(f"{what} is not available under CI: {reason}")
    pytest.skip(f"{what} not running ({reason}); start it with `bash tests/servers/start.sh`")


@pytest.fixture(scope="module")
def neo4j():
    from consultgraph.graph.neo4j import Neo4jBackend

    try:
        backend = Neo4jBackend(timeout=5)
    except BackendUnavailable as error:
        _unavailable("Neo4j", error)
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def fuseki():
    from consultgraph.graph.endpoint import SparqlEndpoint

    endpoint = SparqlEndpoint(os.environ.get("SPARQL_ENDPOINT"))
    try:
        urllib.request.urlopen(endpoint.url.rsplit("/", 1)[0] + "/$/ping", timeout=5).read()
    except OSError as error:
        _unavailable("Fuseki", error)
    return endpoint


DIVERGENCE = {"group_a": "partner", "group_b": "national-entity", "kind": "Tactic"}


def test_push_builtin_to_neo4j_counts_and_idempotence(neo4j, amnesty):
    neo4j.push(amnesty, replace=True)
    first = neo4j.counts()
    assert first == (len(amnesty.nodes), len(amnesty.edges))
    neo4j.push(amnesty)
    assert neo4j.counts() == first


def test_catalogue_on_neo4j_equals_embedded(neo4j, amnesty):
    neo4j.push(amnesty, replace=True)
    for name, params in [("divergence", DIVERGENCE), ("group-sizes", {}), ("stance-split", {"concept": "theme/environment-climate"})]:
        embedded = cat.run(amnesty, name, params, language="python")
        server = cat.run(amnesty, name, params, language="cypher", neo4j=neo4j)
        assert server == embedded, name
    assert cat.run(amnesty, "divergence", DIVERGENCE), "divergence gave no rows: the comparison proves nothing"


def test_synthetic_consultation_on_neo4j(neo4j, tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from synthetic import generate

    from consultgraph.loaders import load

    path = tmp_path / "synthetic.csv"
    generate(path, respondents=300, codings=5, seed=3)
    graph = load([path]).graph
    neo4j.push(graph, replace=True)
    assert neo4j.counts() == (len(graph.nodes), len(graph.edges))
    embedded = cat.run(graph, "codings-per-group", {"kind": "Tactic"})
    server = cat.run(graph, "codings-per-group", {"kind": "Tactic"}, language="cypher", neo4j=neo4j)
    assert embedded and server == embedded


def test_neo4j_push_converges_after_a_restart_mid_push(neo4j, tmp_path):
    """Stop the server during a push, start it again, push again: same counts, nothing doubled."""
    if not (SERVERS / "start.sh").exists():
        pytest.skip("no tests/servers/start.sh")
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from synthetic import generate

    from consultgraph.graph.neo4j import Neo4jBackend
    from consultgraph.loaders import load

    path = tmp_path / "synthetic.csv"
    generate(path, respondents=4000, codings=10, seed=5)
    graph = load([path]).graph
    neo4j.clear()
    stopped = []

    def stop_at_a_third(done, total):
        # stop the server once a third is written; the push waits here, so the next batch
        # meets a dead server however fast this machine is
        if done > total / 3 and not stopped:
            subprocess.run(["bash", str(SERVERS / "stop.sh"), "neo4j"], check=False)
            stopped.append(done)

    with pytest.raises(BackendUnavailable):
        backend = Neo4jBackend(timeout=5)
        try:
            backend.push(graph, batch_size=500, progress=stop_at_a_third)
        finally:
            backend.close()
    assert stopped and stopped[0] < len(graph.nodes) + len(graph.edges)
    subprocess.run(["bash", str(SERVERS / "start.sh"), "neo4j"], check=True)
    with Neo4jBackend(timeout=30) as again:
        again.push(graph)
        assert again.counts() == (len(graph.nodes), len(graph.edges))


def test_push_sparql_and_query_equals_embedded(fuseki, amnesty):
    result = fuseki.push(amnesty, graph_iri="https://example.org/amnesty")
    assert result["triples"] > 0
    assert fuseki.triples("https://example.org/amnesty") == result["triples"]
    for name, params in [("divergence", DIVERGENCE), ("group-sizes", {})]:
        embedded = cat.run(amnesty, name, params, language="sparql")
        server = cat.run(amnesty, name, params, language="sparql", sparql=fuseki, sparql_graph="https://example.org/amnesty")
        assert server == embedded, name


def test_push_sparql_replaces_the_graph(fuseki, kite_full, amnesty):
    fuseki.push(amnesty, graph_iri="https://example.org/replace")
    fuseki.push(kite_full, graph_iri="https://example.org/replace")
    from consultgraph.graph.rdf import to_rdf

    assert fuseki.triples("https://example.org/replace") == len(to_rdf(kite_full))


def test_unreachable_neo4j_is_a_clear_error():
    from consultgraph.graph.neo4j import Neo4jBackend

    with pytest.raises(BackendUnavailable, match="Neo4j not reachable at bolt://127.0.0.1:1"):
        Neo4jBackend("bolt://127.0.0.1:1", timeout=2)


def test_unreachable_endpoint_is_a_clear_error(kite_full):
    from consultgraph.graph.endpoint import SparqlEndpoint

    with pytest.raises(BackendUnavailable, match="SPARQL endpoint not reachable at http://127.0.0.1:1/kg/data"):
        SparqlEndpoint("http://127.0.0.1:1/kg").push(kite_full)


def test_cli_push_neo4j_then_query_equals_embedded(neo4j):
    """What the README promises: `consultgraph push neo4j` + `consultgraph query divergence --neo4j`."""
    import json

    from click.testing import CliRunner

    from consultgraph.cli import main

    runner = CliRunner()
    pushed = runner.invoke(main, ["push", "neo4j", "--replace"], env={"NEO4J_URI": neo4j.uri})
    assert pushed.exit_code == 0, pushed.output
    args = ["query", "divergence", "-p", "group_a=partner", "-p", "group_b=national-entity", "-p", "kind=Tactic", "-f", "json"]
    server = runner.invoke(main, args + ["--neo4j"], env={"NEO4J_URI": neo4j.uri})
    embedded = runner.invoke(main, args)
    assert server.exit_code == 0, server.output
    assert json.loads(server.stdout) == json.loads(embedded.stdout)
    assert any(r["concept"] == "tactic/research" for r in json.loads(embedded.stdout))


def test_cli_push_sparql_then_query_equals_embedded(fuseki):
    import json

    from click.testing import CliRunner

    from consultgraph.cli import main

    runner = CliRunner()
    pushed = runner.invoke(main, ["push", "sparql", "--endpoint", fuseki.url, "--named-graph", "https://example.org/cli"])
    assert pushed.exit_code == 0, pushed.output
    args = ["query", "group-sizes", "-f", "json"]
    server = runner.invoke(main, args + ["--endpoint", fuseki.url, "--named-graph", "https://example.org/cli"])
    embedded = runner.invoke(main, args)
    assert server.exit_code == 0, server.output
    assert json.loads(server.stdout) == json.loads(embedded.stdout)



@pytest.fixture(scope="module")
def neo4j_with_password():
    """A second, password-protected Neo4j from the same launcher (built by tests/servers/start.sh)."""
    import socket
    import time

    build = SERVERS / ".build" / "neo4j-launcher"
    if not (build / "neo4j-launcher.jar").exists():
        _unavailable("the Neo4j launcher build", "tests/servers/.build is missing")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = SERVERS / ".run" / "neo4j-auth.log"
    log.parent.mkdir(exist_ok=True)
    process = subprocess.Popen(
        ["java", "-Xmx512m", "--add-opens=java.base/java.nio=ALL-UNNAMED", "-cp",
         f"{build / 'neo4j-launcher.jar'}:{build / 'lib'}/*", "consultgraph.Neo4jLauncher",
         "--host", "127.0.0.1", "--port", str(port), "--pagecache", "64m"],
        env={**os.environ, "NEO4J_PASSWORD": "right-password"}, stdout=open(log, "w"), stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 120
        while "READY" not in log.read_text():
            if process.poll() is not None or time.time() > deadline:
                _unavailable("a password-protected Neo4j", log.read_text()[-500:])
            time.sleep(0.5)
        yield f"bolt://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_wrong_password_is_a_clear_error(neo4j_with_password):
    from consultgraph.graph.neo4j import Neo4jBackend

    with pytest.raises(BackendUnavailable, match="refused the credentials.*set NEO4J_USERNAME / NEO4J_PASSWORD"):
        Neo4jBackend(neo4j_with_password, "neo4j", "wrong-password", timeout=10)
    with Neo4jBackend(neo4j_with_password, "neo4j", "right-password", timeout=10) as backend:
        assert backend.version >= (5, 0)


def test_large_push_goes_in_chunks_and_replaces_atomically(fuseki, kite_full, amnesty):
    """Above chunk_triples the graph is staged in chunks and MOVEd over the target in one update."""
    from consultgraph.graph.rdf import to_rdf

    fuseki.push(kite_full, graph_iri="https://example.org/chunked")
    result = fuseki.push(amnesty, graph_iri="https://example.org/chunked", chunk_triples=1000)
    assert result["triples"] == len(to_rdf(amnesty)) > 1000
    assert fuseki.triples("https://example.org/chunked") == result["triples"]
    staging = fuseki.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), 'urn:consultgraph:staging')) }")
    assert staging[0]["n"] == 0
