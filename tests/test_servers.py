"""Integration tests against a real Neo4j (Bolt and Browser) and a password-protected Fuseki.

`.ci/run` starts both (tests/servers/start.sh). Locally a test skips with a reason when
no server answers; under CI=true a missing server is a failure. Fuseki's credentials
come from SPARQL_USER / SPARQL_PASSWORD, else tests/servers/.run/fuseki-password (written
by start.sh); Neo4j Browser's address from NEO4J_BROWSER, else NEO4J_HTTP_PORT, else the port start.sh
recorded in tests/servers/.run/neo4j-http-port.
"""

from __future__ import annotations

import os
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from consultgraph.errors import BackendUnavailable
from consultgraph.queries import catalogue as cat

SERVERS = Path(__file__).resolve().parent / "servers"
CI = os.environ.get("CI") == "true"


@pytest.fixture(scope="module", autouse=True)
def one_process_at_a_time():
    """Every test here writes to the same Neo4j database and Fuseki dataset, and one stops and
    restarts Neo4j: they must never run concurrently. pytest-xdist's ``--dist loadfile`` (our
    addopts) keeps this file on one worker; the lock holds if a run distributes otherwise."""
    try:
        import fcntl
    except ImportError:  # not POSIX: tests/servers/start.sh does not run there either
        yield
        return
    lock = SERVERS / ".run" / "tests.lock"
    lock.parent.mkdir(exist_ok=True)
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


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


def fuseki_password():
    if os.environ.get("SPARQL_PASSWORD"):
        return os.environ["SPARQL_PASSWORD"]
    saved = SERVERS / ".run" / "fuseki-password"
    return saved.read_text().strip() if saved.is_file() else None


@pytest.fixture(scope="module")
def fuseki():
    from consultgraph.graph.endpoint import SparqlEndpoint

    url = os.environ.get("SPARQL_ENDPOINT") or "http://127.0.0.1:3030/kg"
    try:
        urllib.request.urlopen(url.rsplit("/", 1)[0] + "/$/ping", timeout=5).read()
    except urllib.error.HTTPError as error:
        if error.code != 401:
            _unavailable("Fuseki", error)
    except OSError as error:
        _unavailable("Fuseki", error)
    return SparqlEndpoint(url, user=os.environ.get("SPARQL_USER") or "admin", password=fuseki_password())


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
    http_port = _http_port()  # before stop.sh forgets it
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
    # start it again on the port the tests use (NEO4J_URI), never on a default one by accident
    env = {**os.environ, "NEO4J_BOLT_PORT": neo4j.uri.rsplit(":", 1)[1]}
    if http_port is not None:  # Browser back on the port it had, never on 7474 by accident
        env["NEO4J_HTTP_PORT"] = http_port
    elif env["NEO4J_BOLT_PORT"] != "7687":
        env["NEO4J_HTTP_PORT"] = "0"
    subprocess.run(["bash", str(SERVERS / "start.sh"), "neo4j"], check=True, env=env)
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

    runner = CliRunner(env={"SPARQL_PASSWORD": fuseki_password(), "SPARQL_USER": None})
    pushed = runner.invoke(main, ["push", "sparql", "--endpoint", fuseki.url, "--user", "admin",
                                  "--named-graph", "https://example.org/cli"])
    assert pushed.exit_code == 0, pushed.output
    assert fuseki_password() not in pushed.output
    args = ["query", "group-sizes", "-f", "json"]
    server = runner.invoke(main, args + ["--endpoint", fuseki.url, "--user", "admin",
                                         "--named-graph", "https://example.org/cli"])
    embedded = runner.invoke(main, args)
    assert server.exit_code == 0, server.output
    assert json.loads(server.stdout) == json.loads(embedded.stdout)



@pytest.fixture(scope="module")
def neo4j_with_password(neo4j):
    """A second, password-protected Neo4j from the same launcher (built by tests/servers/start.sh).

    Only when the test servers run (``neo4j``): a plain test run skips every server test,
    also in a checkout where the launcher was built once.
    """
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
         "--host", "127.0.0.1", "--port", str(port), "--http-port", "0", "--pagecache", "64m"],
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


def test_large_push_streams_in_one_request_and_replaces_the_graph(fuseki, kite_full, amnesty):
    """A body of many blocks goes in one streamed PUT: the old graph is replaced, nothing else is left."""
    from consultgraph.graph.rdf import to_rdf

    fuseki.push(kite_full, graph_iri="https://example.org/chunked")
    sent = []
    result = fuseki.push(amnesty, graph_iri="https://example.org/chunked", block_bytes=16_384,
                         progress=lambda done, total: sent.append((done, total)))
    assert result["triples"] == len(to_rdf(amnesty)) > 1000
    assert len(sent) > 3 and sent[-1] == (result["triples"], result["triples"])
    assert fuseki.triples("https://example.org/chunked") == result["triples"]
    graphs = fuseki.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert "https://example.org/chunked" in {row["g"] for row in graphs}
    assert not [row for row in graphs if "staging" in row["g"]]



# ------------------------------------------------------------------ servers as users run them


def test_fuseki_refuses_without_credentials_and_says_how(fuseki, kite_full, monkeypatch):
    from consultgraph.errors import QueryError
    from consultgraph.graph.endpoint import SparqlEndpoint

    monkeypatch.delenv("SPARQL_USER", raising=False)
    monkeypatch.delenv("SPARQL_PASSWORD", raising=False)
    with pytest.raises(QueryError, match="HTTP 401.*no credentials.*SPARQL_PASSWORD"):
        SparqlEndpoint(fuseki.url).push(kite_full)
    with pytest.raises(QueryError, match="HTTP 401.*user 'admin'") as info:
        SparqlEndpoint(fuseki.url, user="admin", password="wrong-password").query("ASK {}")
    assert "wrong-password" not in str(info.value)


def test_push_sparql_cli_with_password_from_the_environment(fuseki):
    """`push sparql` against the password-protected Fuseki, as the README shows; the password never shows."""
    from click.testing import CliRunner

    from consultgraph.cli import main

    password = fuseki_password()
    runner = CliRunner(env={"SPARQL_PASSWORD": password, "SPARQL_USER": None})
    pushed = runner.invoke(main, ["push", "sparql", "--endpoint", fuseki.url, "--user", "admin"])
    assert pushed.exit_code == 0, pushed.output
    counted = runner.invoke(main, ["sparql", "--endpoint", fuseki.url, "--user", "admin", "-f", "json",
                                   "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"])
    assert counted.exit_code == 0, counted.output
    from consultgraph.graph.rdf import to_rdf
    from consultgraph.loaders import builtin

    assert '"n": %d' % len(to_rdf(builtin())) in counted.output
    assert password not in pushed.output + counted.output


def test_credentials_in_the_url_are_refused_without_echoing_them():
    from click.testing import CliRunner

    from consultgraph.cli import main

    runner = CliRunner()
    for args in (["push", "sparql", "--endpoint", "http://admin:s3cret-pw@127.0.0.1:1/kg"],
                 ["sparql", "--endpoint", "http://admin:s3cret-pw@127.0.0.1:1/kg", "ASK {}"],
                 ["query", "group-sizes", "--endpoint", "http://admin:s3cret-pw@127.0.0.1:1/kg"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 1, result.output
        assert "carries credentials, which are refused" in result.output
        assert "s3cret-pw" not in result.output


def test_server_queries_are_read_only_unless_allowed(fuseki, neo4j):
    from click.testing import CliRunner

    from consultgraph.cli import main

    runner = CliRunner(env={"SPARQL_PASSWORD": fuseki_password(), "SPARQL_USER": "admin", "NEO4J_URI": neo4j.uri})
    insert = "INSERT DATA { GRAPH <https://example.org/rw> { <https://example.org/a> <https://example.org/b> 1 } }"
    refused = runner.invoke(main, ["sparql", "--endpoint", fuseki.url, insert])
    assert refused.exit_code == 1 and "add --allow-update" in refused.output
    assert fuseki.triples("https://example.org/rw") == 0
    allowed = runner.invoke(main, ["sparql", "--endpoint", fuseki.url, "--allow-update", insert])
    assert allowed.exit_code == 0, allowed.output
    assert fuseki.triples("https://example.org/rw") == 1
    fuseki.update("DROP SILENT GRAPH <https://example.org/rw>")

    create = "CREATE (n:ConsultgraphScratch {id: 'x'}) RETURN n.id AS id"
    refused = runner.invoke(main, ["cypher", "--neo4j", create])
    assert refused.exit_code == 1 and "add --allow-update" in refused.output
    assert neo4j.run("MATCH (n:ConsultgraphScratch) RETURN count(n) AS n")[0]["n"] == 0
    allowed = runner.invoke(main, ["cypher", "--neo4j", "--allow-update", create])
    assert allowed.exit_code == 0, allowed.output
    assert neo4j.run("MATCH (n:ConsultgraphScratch) DETACH DELETE n RETURN count(*) AS n", allow_update=True)[0]["n"] == 1


def test_neo4j_database_is_honoured(neo4j, monkeypatch):
    from consultgraph.graph.neo4j import Neo4jBackend

    monkeypatch.setenv("NEO4J_DATABASE", "no-such-database")
    with pytest.raises(BackendUnavailable, match="no usable database 'no-such-database'.*NEO4J_DATABASE"):
        Neo4jBackend(neo4j.uri, timeout=5)
    monkeypatch.setenv("NEO4J_DATABASE", "neo4j")
    with Neo4jBackend(neo4j.uri, timeout=5) as backend:
        assert backend.database == "neo4j"
        assert backend.run("RETURN 1 AS one") == [{"one": 1}]


def _http_port():
    """Neo4j's HTTP port: $NEO4J_HTTP_PORT, else the one start.sh recorded for the Neo4j it runs, else None."""
    if os.environ.get("NEO4J_HTTP_PORT"):
        return os.environ["NEO4J_HTTP_PORT"]
    recorded = SERVERS / ".run" / "neo4j-http-port"
    if recorded.is_file() and recorded.read_text().strip():
        return recorded.read_text().strip()
    return None


def _browser_url():
    if os.environ.get("NEO4J_BROWSER"):
        return os.environ["NEO4J_BROWSER"].rstrip("/")
    return f"http://127.0.0.1:{_http_port() or '7474'}/browser"


def test_neo4j_browser_loads_and_connects_over_bolt(neo4j):
    """start.sh serves Neo4j Browser; a headless Chromium opens it and connects to Bolt."""
    from tests.test_browser import CHROMIUM_ARGS, chromium_path

    try:
        page = urllib.request.urlopen(_browser_url() + "/", timeout=10).read().decode("utf-8", "replace")
    except OSError as error:
        _unavailable("Neo4j Browser", error)
    assert "<title>Neo4j Browser</title>" in page
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        executable = None
    if executable is None:
        _unavailable("Chromium with playwright", "needed to open Neo4j Browser")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page()
            tab.goto(f"{_browser_url()}/?dbms={neo4j.uri}", timeout=60_000)
            connected, clicked, asked = False, False, False
            for _ in range(120):
                text = tab.inner_text("body")
                if "You are connected to" in text or "You have a working connection" in text:
                    connected = True
                    break
                if not asked and text.startswith("neo4j$"):
                    # it connected by itself (no connect form): ask for the status it prints after the form
                    tab.keyboard.type(":server status")  # the editor has the focus
                    tab.keyboard.press("Enter")
                    asked = True
                button = tab.locator("[data-testid=connect]")
                if not clicked and button.count() and button.is_enabled():
                    method = tab.locator("select").nth(1)
                    if not os.environ.get("NEO4J_PASSWORD"):
                        method.select_option(label="No authentication")
                    else:
                        tab.fill("[data-testid=username]", os.environ.get("NEO4J_USERNAME", "neo4j"))
                        tab.fill("[data-testid=password]", os.environ["NEO4J_PASSWORD"])
                    button.click()
                    clicked = True
                tab.wait_for_timeout(1000)
            assert connected, tab.inner_text("body")[:500]
            if "You are connected to" in text:  # with auth disabled it says only "a working connection"
                assert neo4j.uri.split("//", 1)[1] in text
        finally:
            browser.close()


# ------------------------------------------------------------------ the catalogue on five engines

from tests.test_catalogue import AMNESTY_PARAMS, KITE_PARAMS, kite_catalogue  # noqa: E402,F401 (a fixture)


@pytest.mark.parametrize("which", ["kite", "amnesty"])
def test_catalogue_answers_identically_on_five_engines(which, request, neo4j, fuseki):
    """Python, embedded Cypher (LadybugDB), embedded SPARQL (Oxigraph), Neo4j and Fuseki give the same rows."""
    graph = request.getfixturevalue("kite_catalogue" if which == "kite" else "amnesty")
    params = KITE_PARAMS if which == "kite" else AMNESTY_PARAMS
    iri = f"https://example.org/five-engines/{which}"
    neo4j.push(graph, replace=True)
    fuseki.push(graph, graph_iri=iri)
    answered = []
    for name in sorted(cat.catalogue()):
        values = params[name]
        answers = {
            "python": cat.run(graph, name, values, language="python"),
            "ladybug": cat.run(graph, name, values, language="cypher"),
            "oxigraph": cat.run(graph, name, values, language="sparql"),
            "neo4j": cat.run(graph, name, values, language="cypher", neo4j=neo4j),
            "fuseki": cat.run(graph, name, values, language="sparql", sparql=fuseki, sparql_graph=iri),
        }
        for engine, rows in answers.items():
            assert rows == answers["python"], f"{name}: {engine} differs from python"
        if answers["python"]:
            answered.append(name)
    if which == "kite":
        assert answered == sorted(cat.catalogue()), "every question has rows on the kite: the comparison proves something"
    else:
        assert {"divergence", "group-sizes", "percent-mismatch", "quotes-attributed"} <= set(answered)
