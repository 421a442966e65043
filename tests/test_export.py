"""Every exporter with a reader round-trips, generated from the registry (as RDFLib's
test_roundtrip does): export, load the file back with the loader the exporter names, and
compare node for node and edge for edge. Exporters that cannot carry everything (``lossy``)
must give back what they promise: every quote's text and every respondent's group."""

from __future__ import annotations

import json

import pytest

from consultgraph.graph.backends import BACKENDS
from consultgraph.loaders import detect, load, loader, loaders
from consultgraph.outputs.export import EXPORTERS, export, exporters

ROUND_TRIPS = [entry for entry in exporters() if entry.flag("reader")]


def canonical(graph):
    """Nodes and edges as sorted tuples, properties as sorted JSON: equal iff the graphs are."""
    def props(text):
        return json.dumps(json.loads(text or "{}"), sort_keys=True)

    nodes = sorted((r["id"], r["kind"], r["label"], props(r["props"])) for r in graph.nodes.to_dict("records"))
    edges = sorted(
        (r["source"], r["target"], r["kind"], r["stance"] if isinstance(r["stance"], str) else None,
         None if r["weight"] != r["weight"] else r["weight"], props(r["props"]))
        for r in graph.edges.to_dict("records")
    )
    return nodes, edges


def test_the_registries_hold_what_the_issue_lists():
    # the parametrised tests below must have something to run on
    assert {e.name for e in ROUND_TRIPS} == {"json", "turtle", "jsonld", "ntriples", "trig", "qdpx"}
    assert {e.name for e in exporters()} - {e.name for e in ROUND_TRIPS} == {"csv", "graphml", "gexf"}


@pytest.mark.parametrize("entry", exporters() + loaders() + BACKENDS.all(), ids=lambda e: f"{e.kind}-{e.name}")
def test_every_registered_entry_imports(entry):
    assert callable(entry.load())


@pytest.mark.parametrize("entry", ROUND_TRIPS, ids=lambda e: e.name)
@pytest.mark.parametrize("which", ["kite_full", "amnesty"])
def test_every_exporter_with_a_reader_round_trips(tmp_path, request, entry, which):
    graph = request.getfixturevalue(which)
    path = export(graph, entry.name, tmp_path / f"graph{entry.flag('suffix')}")
    assert detect(path) == loader(entry.flag("reader")).name, "the file is recognised as what it is"
    back = load([path], options=entry.flag("reader_options")).graph
    if not entry.flag("lossy"):
        assert canonical(back) == canonical(graph)
        return
    assert sorted(back.table("Quote")["text"]) == sorted(graph.table("Quote")["text"])
    assert len(graph.respondents()), "a round trip of no respondents proves nothing"

    def people(of):
        return sorted((str(r.label), of.concepts[r.group].label, r.region if isinstance(r.region, str) else None)
                      for r in of.respondents().itertuples())

    def codings(of):
        label = dict(zip(of.respondents()["id"], of.respondents()["label"]))
        table = of.codings()
        return sorted(zip(table["respondent"].map(label), table["concept"], table["stance"]))

    # every respondent (quoted or not) with group and region, every coding with its stance
    assert people(back) == people(graph)
    assert codings(back) == codings(graph)
    assert which != "kite_full" or {s for _, _, s in codings(graph)} >= {"lead", "support", "mention"}


def test_an_unknown_format_lists_every_choice():
    from consultgraph.errors import UnknownNameError

    with pytest.raises(UnknownNameError) as error:
        EXPORTERS.get("pdf")
    assert str(error.value) == f"unknown export format 'pdf'; choose one of: {', '.join(sorted(EXPORTERS.names()))}"


def test_aliases_are_the_same_exporter():
    assert EXPORTERS.get("ttl") is EXPORTERS.get("turtle") and EXPORTERS.get("json-ld") is EXPORTERS.get("jsonld")
