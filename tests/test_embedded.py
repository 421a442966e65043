"""The embedded engines: LadybugDB (Cypher) and Oxigraph (SPARQL), their cache, their dialect, read-only."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from consultgraph.cli import main
from consultgraph.errors import QueryError
from consultgraph.graph import cache, ladybug, oxigraph
from consultgraph.queries.catalogue import run_cypher, run_sparql


def cli(*args):
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def rows(*args):
    code, output = cli(*args, "-f", "json")
    assert code == 0, output
    return json.loads(output)


@pytest.fixture
def project(kite_full, tmp_path):
    kite_full.save(tmp_path / "kite.cg")
    return tmp_path / "kite.cg"


# ------------------------------------------------------------------ the first queries anyone types


def test_count_and_optional_match_with_unwind_from_the_command_line(project, kite_full):
    assert rows("cypher", "-g", str(project), "MATCH (n) RETURN count(n) AS n") == [{"n": len(kite_full.nodes)}]
    text = ("MATCH (r:Respondent) OPTIONAL MATCH (r)-[m:MENTIONS]->(c) WITH r, collect(c.id) AS codes "
            "UNWIND codes AS code RETURN r.id AS respondent, code ORDER BY respondent, code")
    found = rows("cypher", "-g", str(project), text)
    # by hand from the kite: p1 research + advocacy, p2 advocacy, p3 climate, n1 research, n2 research + climate, n3 advocacy
    assert len(found) == 8
    assert found[0] == {"respondent": "respondent/n1", "code": "tactic/research"}
    case = rows("cypher", "-g", str(project), "MATCH (r:Respondent)-[m:MENTIONS]->(c) "
                "RETURN CASE WHEN m.weight > 1 THEN 'heavy' ELSE 'light' END AS w, count(*) AS n ORDER BY w")
    assert case == [{"w": "heavy", "n": 1}, {"w": "light", "n": 7}]


def test_sparql_count_from_the_command_line(project, kite_full):
    from consultgraph.graph.rdf import to_rdf

    assert rows("sparql", "-g", str(project), "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == [{"n": len(to_rdf(kite_full))}]


# ------------------------------------------------------------------ cache per generation


def test_engines_are_cached_per_generation_and_rebuilt_after_a_load(project, kite_long, monkeypatch):
    rows("cypher", "-g", str(project), "MATCH (n) RETURN count(n) AS n")
    rows("sparql", "-g", str(project), "ASK { ?s ?p ?o }")
    built = sorted(p.name.split("-")[0] + "-" + p.name.split("-")[1] for p in (project / ".cache").iterdir())
    assert built == ["cypher-g000001", "sparql-g000001"]

    def no_reading(self):
        raise AssertionError("a cached engine must not read the project's tables")

    monkeypatch.setattr(cache.ProjectRef, "load", no_reading)
    assert rows("cypher", "-g", str(project), "MATCH (n:Respondent) RETURN count(n) AS n") == [{"n": 6}]
    assert rows("sparql", "-g", str(project), "ASK { ?s ?p ?o }") == [{"result": True}]
    monkeypatch.undo()

    extra = project.parent / "extra.csv"
    extra.write_text("respondent,group,region,code\nz1,partner,Asia-Pacific,research\n", encoding="utf-8")
    assert cli("load", str(extra), "--into", str(project))[0] == 0
    assert rows("cypher", "-g", str(project), "MATCH (n:Respondent) RETURN count(n) AS n") == [{"n": 7}]
    names = sorted(p.name for p in (project / ".cache").iterdir())
    assert [n.split("-")[1] for n in names if n.startswith("cypher")] == ["g000002"], "the old generation is removed"


def test_a_project_that_cannot_hold_a_cache_uses_the_user_cache(project, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(cache, "_writable", lambda folder: False)
    ref = cache.ProjectRef(project)
    place = cache.location(ref, "cypher", ladybug.engine_version())
    assert str(place).startswith(str(tmp_path / "xdg" / "consultgraph" / "projects"))
    assert ladybug.engine(ref).run("MATCH (n:Respondent) RETURN count(n) AS n") == [{"n": 6}]
    assert not (project / ".cache" / place.name).exists()


def test_builtin_dataset_is_cached_in_the_user_cache(amnesty, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    place = cache.location(amnesty, "sparql", oxigraph.engine_version())
    assert place.parent == tmp_path / "consultgraph" / "datasets"
    assert place.name.startswith("amnesty-2019-sparql-")


# ------------------------------------------------------------------ SPARQL: the same triples as the RDF export


@pytest.mark.parametrize("which", ["kite_full", "amnesty"])
def test_ntriples_are_the_rdf_export(which, request):
    from rdflib import Graph
    from rdflib.compare import isomorphic

    from consultgraph.graph.rdf import to_rdf

    graph = request.getfixturevalue(which)
    chunks = []
    count = oxigraph.ntriples(graph, chunks.append)
    ours = Graph().parse(data=b"".join(chunks).decode("utf-8"), format="nt")
    reference = to_rdf(graph)
    assert count == len(ours) == len(reference) > 0
    assert isomorphic(ours, reference)


def test_sparql_values_are_python_values(kite_full_shared):
    found = run_sparql(kite_full_shared, """PREFIX cg: <https://w3id.org/consultgraph/ontology#>
        SELECT ?count ?percent ?statement WHERE { ?f cg:count ?count ; cg:reportedPercent ?percent ;
        cg:statement ?statement ; cg:about <https://w3id.org/consultgraph/id/tactic/research> ; cg:forGroup ?g }
        ORDER BY ?count LIMIT 1""")
    assert found == [{"count": 1, "percent": 33.0, "statement": "33% of partners (1 of 3) research"}]


# ------------------------------------------------------------------ read-only


@pytest.mark.parametrize("text, word", [
    ("INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }", "INSERT"),
    ("PREFIX x: <http://x/> DELETE WHERE { ?s x:p ?o }", "DELETE"),
    ("LOAD <file:///etc/passwd>", "LOAD"),
    ("CLEAR ALL", "CLEAR"),
])
def test_embedded_sparql_refuses_updates(kite_full_shared, text, word):
    with pytest.raises(QueryError, match=f"read-only \\({word}\\)"):
        run_sparql(kite_full_shared, text)


def test_embedded_sparql_refuses_service(kite_full_shared):
    with pytest.raises(QueryError, match="SERVICE is refused"):
        run_sparql(kite_full_shared, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")


def test_update_words_inside_strings_and_iris_are_fine(kite_full_shared):
    text = 'SELECT ?s WHERE { ?s <http://x/insert> "DELETE" } # LOAD in a comment'
    assert run_sparql(kite_full_shared, text) == []


@pytest.mark.parametrize("text, word", [
    ("CREATE (n:Theme {id: 'x'})", "CREATE"),
    ("MATCH (n) DETACH DELETE n", "DETACH"),
    ("MATCH (n:Respondent) SET n.label = 'x'", "SET"),
    ("MERGE (n:Region {id: 'region/x'})", "MERGE"),
])
def test_embedded_cypher_refuses_updates(kite_full_shared, text, word):
    with pytest.raises(QueryError, match=f"read-only \\({word}\\)"):
        run_cypher(kite_full_shared, text)


@pytest.mark.parametrize("text", ["LOAD FROM '/etc/passwd' RETURN *", "COPY Theme FROM '/tmp/x.csv'",
                                  "INSTALL httpfs", "ATTACH '/tmp/other.lbug' AS other"])
def test_embedded_cypher_refuses_files_and_network(kite_full_shared, text):
    with pytest.raises(QueryError, match="refused by the embedded engine"):
        run_cypher(kite_full_shared, text)


def test_allow_update_is_for_servers_only(project):
    code, output = cli("sparql", "-g", str(project), "--allow-update", "INSERT DATA { <a:b> <a:c> <a:d> }")
    assert code == 2 and "--allow-update needs --endpoint" in output
    code, output = cli("cypher", "-g", str(project), "--allow-update", "CREATE (n:Theme {id: 'x'})")
    assert code == 2 and "--allow-update needs --neo4j" in output


# ------------------------------------------------------------------ dialect differences from Neo4j (README)


def test_a_node_has_one_label_so_no_concept_label(kite_full_shared):
    with pytest.raises(QueryError, match="Table Concept does not exist.* a node has one label"):
        run_cypher(kite_full_shared, "MATCH (c:Concept) RETURN count(c) AS n")
    by_kind = run_cypher(kite_full_shared, "MATCH (c) WHERE c.kind IN ['Theme', 'Tactic'] RETURN count(c) AS n")
    # two labels mean OR here (AND in Neo4j, where no node is both a Theme and a Tactic)
    either = run_cypher(kite_full_shared, "MATCH (c:Theme:Tactic) RETURN count(c) AS n")
    assert either == by_kind and by_kind[0]["n"] > 0


def test_relationship_type_is_label_not_type(kite_full_shared):
    with pytest.raises(QueryError, match="use label\\(r\\)"):
        run_cypher(kite_full_shared, "MATCH ()-[r]->() RETURN type(r) AS t")
    found = run_cypher(kite_full_shared, "MATCH ()-[r:MEMBER_OF]->() RETURN DISTINCT label(r) AS t")
    assert found == [{"t": "MEMBER_OF"}]


def test_missing_property_is_null_but_unknown_property_is_an_error(kite_full_shared):
    # every ontology property exists on every node table: absent values read as null, as in Neo4j
    assert run_cypher(kite_full_shared, "MATCH (r:Respondent) RETURN DISTINCT r.count AS c") == [{"c": None}]
    with pytest.raises(QueryError, match="Cannot find property colour"):
        run_cypher(kite_full_shared, "MATCH (r:Respondent) RETURN r.colour AS c")


def test_order_by_an_alias_that_shadows_a_node(kite_full_shared):
    with pytest.raises(QueryError, match="rename the alias"):
        run_cypher(kite_full_shared, "MATCH (r:Respondent) RETURN r.id AS r ORDER BY r")
    assert len(run_cypher(kite_full_shared, "MATCH (r:Respondent) RETURN r.id AS rid ORDER BY rid")) == 6


def test_conversion_functions_have_other_names(kite_full_shared):
    with pytest.raises(QueryError, match="to_int64"):
        run_cypher(kite_full_shared, "RETURN toInteger('3') AS x")
    assert run_cypher(kite_full_shared, "RETURN to_int64('3') AS x, 7 / 2 AS half") == [{"x": 3, "half": 3}]


def test_reserved_words_need_backticks_but_parameters_keep_their_names(kite_full_shared):
    with pytest.raises(QueryError, match="Parser exception"):
        run_cypher(kite_full_shared, "MATCH (g:StakeholderGroup) RETURN g.id AS group")
    found = run_cypher(kite_full_shared, "MATCH (g:StakeholderGroup) WHERE g.id = $group RETURN g.id AS `group`",
                       {"group": "group/partner"})
    assert found == [{"group": "group/partner"}]


def test_no_db_procedures_but_show_tables(kite_full_shared):
    with pytest.raises(QueryError, match="Parser exception"):
        run_cypher(kite_full_shared, "CALL db.labels() YIELD label RETURN label")
    tables = {r["name"] for r in run_cypher(kite_full_shared, "CALL show_tables() RETURN name")}
    assert {"Respondent", "Theme", "MENTIONS", "MEMBER_OF"} <= tables


def test_unbound_parameter_names_the_fix(kite_full_shared):
    with pytest.raises(QueryError, match="pass --param who=..."):
        run_cypher(kite_full_shared, "MATCH (n) WHERE n.id = $who RETURN n.id AS id")


def test_nodes_come_back_as_their_properties(kite_full_shared):
    found = run_cypher(kite_full_shared, "MATCH (g:StakeholderGroup) WHERE g.id = 'group/partner' RETURN g")
    group = found[0]["g"]
    assert (group["id"], group["kind"], group["label"]) == ("group/partner", "StakeholderGroup", "Partners")
    assert "partner" in group["alt_labels"] and "count" not in group, "nulls are left out, as Neo4j does"


def test_tables_come_from_the_schema():
    from consultgraph.graph.model import load_schema

    schema = load_schema()
    statements = ladybug.ddl()
    assert len(statements) == len(schema.node_kinds) + len(schema.edge_kinds)
    mentions = next(s for s in statements if s.startswith("CREATE REL TABLE `MENTIONS`"))
    assert "FROM `Respondent` TO `Theme`" in mentions and "`stance` STRING" in mentions
    assert any("`count` INT64" in s for s in statements if s.startswith("CREATE NODE TABLE `Finding`"))
