"""The project store: round trips, idempotence, atomicity, versioning."""

from __future__ import annotations

import json

import pytest

from consultgraph.errors import InputError, StoreError
from consultgraph.graph.consultation import Consultation
from consultgraph.graph.store import Project
from consultgraph.loaders import load


def frames(graph):
    """Node and edge tables in one order, text as plain objects (a store gives categoricals)."""
    nodes, edges = (t.astype({c: object for c in t.columns if c != "weight"}) for t in (graph.nodes, graph.edges))
    nodes = nodes.sort_values("id").reset_index(drop=True)
    edges = edges.sort_values(["source", "kind", "target", "stance"], na_position="first").reset_index(drop=True)
    return nodes, edges


def same_graph(a, b):
    (na, ea), (nb, eb) = frames(a), frames(b)
    return na.equals(nb) and ea.astype(str).equals(eb.astype(str))


def test_load_creates_a_project_and_reads_back(tmp_path, kite_long):
    project = tmp_path / "p"
    report = load([kite_long], into=project)
    assert Project(project).manifest()["counts"] == {"nodes": report.nodes_after, "edges": report.edges_after}
    assert same_graph(Consultation.open(project), report.graph)


def test_loading_twice_changes_nothing(tmp_path, kite_long):
    project = tmp_path / "p"
    first = load([kite_long], into=project).graph
    second = load([kite_long], into=project, force=True).graph  # the full path, not the no-op
    assert same_graph(first, second)
    assert same_graph(first, Consultation.open(project))
    assert len(Project(project).manifest()["loads"]) == 2


def test_incremental_load_extends(tmp_path, kite_long):
    project = tmp_path / "p"
    load([kite_long], into=project)
    more = tmp_path / "more.csv"
    more.write_text("respondent,code\np2,research\n")
    graph = load([more], into=project).graph
    research = graph.edges[(graph.edges["kind"] == "MENTIONS") & (graph.edges["target"] == "tactic/research")]
    assert sorted(research["source"]) == ["respondent/n1", "respondent/n2", "respondent/p1", "respondent/p2"]


def test_regrouping_a_respondent_replaces_the_group(tmp_path, kite_long):
    project = tmp_path / "p"
    load([kite_long], into=project)
    moved = tmp_path / "moved.csv"
    moved.write_text("respondent,group,code\np1,public,research\n")
    people = load([moved], into=project).graph.respondents().set_index("id")
    assert people.loc["respondent/p1", "group"] == "group/public"


def test_failed_load_leaves_the_project_untouched(tmp_path, kite_long):
    project = tmp_path / "p"
    load([kite_long], into=project)
    before = sorted(p.name for p in project.iterdir())
    manifest = Project(project).manifest()
    bad = tmp_path / "bad.csv"
    bad.write_text("respondent,group,code\nr1,partner,research\nr2,partner,nonsense-code\n")
    with pytest.raises(InputError):
        load([kite_long, bad], into=project)
    assert sorted(p.name for p in project.iterdir()) == before
    assert Project(project).manifest() == manifest


def test_json_export_round_trip(tmp_path, kite_long):
    from consultgraph.outputs.export import export

    graph = load([kite_long]).graph
    path = export(graph, "json", tmp_path / "g.json")
    again = load([path]).graph
    assert same_graph(graph, again)
    export(again, "json", tmp_path / "g2.json")
    assert json.loads((tmp_path / "g.json").read_text())["nodes"] == json.loads((tmp_path / "g2.json").read_text())["nodes"]


def test_builtin_round_trips_through_json(tmp_path, amnesty):
    from consultgraph.outputs.export import export

    path = export(amnesty, "json", tmp_path / "a.json")
    assert same_graph(amnesty, load([path]).graph)


def test_not_a_project(tmp_path):
    (tmp_path / "x").mkdir()
    with pytest.raises(StoreError, match="not a consultgraph project"):
        Consultation.open(tmp_path / "x")


def test_newer_format_version_is_refused(tmp_path, kite_long):
    project = tmp_path / "p"
    load([kite_long], into=project)
    manifest = json.loads((project / "manifest.json").read_text())
    manifest["version"] = 99
    (project / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(StoreError, match="version 99 is not supported"):
        Consultation.open(project)


def test_a_second_writer_is_refused(tmp_path, kite_long):
    project = tmp_path / "p"
    load([kite_long], into=project)
    (project / ".lock").write_text("123")
    with pytest.raises(StoreError, match="locked by another writer"):
        load([kite_long], into=project)


def test_anonymised_export_keeps_structure_not_identities(tmp_path, amnesty):
    from consultgraph.outputs.export import anonymise

    anon = anonymise(amnesty, salt="s")
    again = anonymise(amnesty, salt="s")
    other = anonymise(amnesty, salt="t")
    assert len(anon.nodes) == len(amnesty.nodes) and len(anon.edges) == len(amnesty.edges)
    assert set(anon.respondents()["id"]) == set(again.respondents()["id"])  # stable with the same salt
    assert set(anon.respondents()["id"]).isdisjoint(other.respondents()["id"])
    assert not (set(anon.nodes["id"]) & set(amnesty.respondents()["id"]))
    assert "Amnesty Ireland" not in anon.nodes["props"].str.cat()
    assert anon.respondents()["group"].value_counts().to_dict() == amnesty.respondents()["group"].value_counts().to_dict()


def test_version_1_project_still_opens_and_is_upgraded_by_its_next_write(tmp_path, kite_long):
    """A version 1 project (plain string columns, no views) opens; the next load writes version 2."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    project = tmp_path / "p"
    graph = load([kite_long], into=project).graph
    manifest = Project(project).manifest()
    for table in ("nodes", "edges"):  # rewrite as version 1 wrote them: plain strings
        path = project / manifest["tables"][table]
        arrow = pq.read_table(path)
        columns = [c.cast(pa.string()) if pa.types.is_dictionary(c.type) else c for c in arrow.columns]
        pq.write_table(pa.Table.from_arrays(columns, names=arrow.column_names), path)
    for view in ("respondents", "concepts"):
        (project / manifest["tables"].pop(view)).unlink()
    manifest.pop("summary")
    manifest["version"] = 1
    (project / "manifest.json").write_text(json.dumps(manifest))
    old = Consultation.open(project)
    assert same_graph(old, graph)
    assert old.group_sizes() == graph.group_sizes() and old.stats() == graph.stats()
    load([kite_long], into=project)
    upgraded = Project(project).manifest()
    assert upgraded["version"] == 2 and {"respondents", "concepts"} <= set(upgraded["tables"])


def test_schema_concepts_derived_once_are_the_turtle_files(tmp_path, monkeypatch):
    """The shipped concept schemes come from the user cache after the first parse, and are
    exactly what rdflib reads from schema/concepts/*.ttl."""
    from rdflib import Graph

    from consultgraph import schema as schema_files
    from consultgraph.graph import store
    from consultgraph.graph.concepts import ConceptIndex, concepts_from_rdf

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    store._schema_concept_list.cache_clear()
    try:
        first = store.schema_concepts().concepts
        (cached,) = (tmp_path / "consultgraph" / "derived").glob("schema-concepts-*.json")
        store._schema_concept_list.cache_clear()
        again = store.schema_concepts().concepts
        rdf = Graph()
        for path in schema_files.concept_files():
            rdf.parse(path)
        assert first == again == ConceptIndex(concepts_from_rdf(rdf)).concepts
        assert len(again) > 50 and cached.stat().st_size > 1000
    finally:
        store._schema_concept_list.cache_clear()


def _edge_rows(graph):
    """The edge table in its own row order, text as plain objects."""
    return graph.edges.astype({c: object for c in graph.edges.columns if c != "weight"}).reset_index(drop=True)


@pytest.mark.parametrize("batch_rows", [
    "same",  # loading the same file again
    "respondent,group,code\np1,public,research\n",  # a functional edge changes target
    "respondent,group,code,stance\np1,partner,research,lead\nz9,partner,climate,\n",  # a new stance, a new respondent
    "machine",  # a machine coder's codings beside the people's
])
def test_upsert_into_a_stored_project_is_the_in_memory_upsert(tmp_path, kite_long, batch_rows):
    from consultgraph.graph.records import Edge, Ref
    from consultgraph.graph.translator import translate
    from consultgraph.loaders.pipeline import iter_records

    project = tmp_path / "p"
    load([kite_long], into=project)
    stored = Consultation.open(project)
    if batch_rows == "same":
        records = list(iter_records(kite_long))
    elif batch_rows == "machine":
        records = [Edge("MENTIONS", "respondent/p1", Ref("research"), {"coder": "machine:rules"}),
                   Edge("MENTIONS", "respondent/n2", Ref("climate"), {"coder": "machine:rules", "stance": "lead"})]
    else:
        more = tmp_path / "more.csv"
        more.write_text(batch_rows)
        records = list(iter_records(more))
    batch = translate(records, concepts=stored.concepts, existing=stored.node_kinds())
    in_memory = Consultation(stored.nodes, stored.edges).merge(batch)
    from_store = Consultation.open(project).merge(batch)
    assert _edge_rows(from_store).equals(_edge_rows(in_memory))
    nodes = [g.nodes.astype(object).reset_index(drop=True) for g in (from_store, in_memory)]
    assert nodes[0].equals(nodes[1])
    assert len(from_store.edges) > len(batch.edges) or batch_rows == "same"


def test_upsert_of_a_batch_that_repeats_a_key_keeps_its_last_row(tmp_path, kite_long):
    """A batch with one key twice (built by hand: translate merges repeats) upserts into a
    stored project as in memory: the last row of the key wins, the stored one goes."""
    import pandas as pd

    from consultgraph.graph.model import load_schema
    from consultgraph.graph.tables import EDGE_COLUMNS, concat_tables, upsert_edges, upsert_stored_edges

    project = tmp_path / "p"
    load([kite_long], into=project)
    stored = Consultation.open(project)
    codings = stored.edges[stored.edges["kind"] == "MENTIONS"].head(2)
    repeated = concat_tables([codings, codings.assign(weight=7.0)], EDGE_COLUMNS)
    functional = [k for k, v in load_schema().edge_kinds.items() if v.functional]
    from_store = upsert_stored_edges(Project(project).table_path("edges"), repeated, functional)
    in_memory = upsert_edges(stored.edges, repeated, functional)
    rows = [frame.astype({c: object for c in frame.columns if c != "weight"}).reset_index(drop=True)
            for frame in (from_store, in_memory)]
    assert rows[0].equals(rows[1])
    # the stored two are replaced by the batch's last two (weight 7), every other edge kept
    assert len(from_store) == len(stored.edges) and list(from_store["weight"].tail(2)) == [7.0, 7.0]
    assert (pd.Series(from_store["weight"]) == 7.0).sum() == 2


@pytest.mark.parametrize("keep", [True, False])
def test_read_where_is_the_whole_table_filtered(tmp_path, kite_long, keep):
    """Rows read a row group at a time are the rows of the whole table, filtered, in order."""
    import pyarrow.compute as pc

    from consultgraph.graph import store

    project = tmp_path / "p"
    load([kite_long], into=project)
    stored = Project(project)
    whole = stored.read_arrow("nodes")
    wanted = [whole.column("id")[i].as_py() for i in (0, 3, 5)] + ["respondent/nobody"]
    found = pc.is_in(whole.column("id"), value_set=__import__("pyarrow").array(wanted))
    expected = whole.filter(found if keep else pc.invert(found))
    small = store._ROW_GROUP
    try:
        store._ROW_GROUP = 2  # several row groups, each filtered alone
        load([kite_long], into=project, force=True)
    finally:
        store._ROW_GROUP = small
    assert stored.manifest()["generation"] == 2
    import pyarrow.parquet as pq

    assert pq.ParquetFile(stored.table_path("nodes")).metadata.num_row_groups > 3
    got = stored.read_where("nodes", "id", wanted, keep=keep)
    assert canonical(got).equals(canonical(expected.select(got.column_names)))
    kinds = stored.read_where("nodes", "kind", ["StakeholderGroup"], columns=["id"])
    assert kinds.column_names == ["id"] and kinds.num_rows == len(stored.read_pandas("nodes", kinds=["StakeholderGroup"]))
    assert stored.read_where("nodes", "id", [], columns=["id", "kind"]).num_rows == 0


def canonical(table):
    """An Arrow node table as plain objects sorted by id (row groups may order rows by kind)."""
    from consultgraph.graph.store import canonical_pandas

    frame = canonical_pandas(table, "nodes")
    return frame.astype(object).sort_values("id").reset_index(drop=True)


def test_node_kinds_of_some_ids_from_the_store_are_the_in_memory_ones(tmp_path, kite_long):
    project = tmp_path / "p"
    report = load([kite_long], into=project)
    ids = list(report.graph.nodes["id"][::2]) + ["respondent/nobody"]
    stored = Consultation.open(project).node_kinds(ids)
    assert stored == report.graph.node_kinds(ids) and "respondent/nobody" not in stored
    assert len(stored) == len(ids) - 1


def test_release_memory_keeps_what_is_live(tmp_path, kite_long):
    from consultgraph.graph.memory import release_memory

    project = tmp_path / "p"
    graph = load([kite_long], into=project).graph
    before = frames(graph)
    assert release_memory() in (True, False)
    after = frames(graph)
    assert before[0].equals(after[0]) and before[1].equals(after[1])
