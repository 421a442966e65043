"""RDF export is built from schema/, round-trips, and SHACL catches broken graphs."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal
from rdflib.compare import isomorphic

from consultgraph.graph.consultation import Consultation
from consultgraph.outputs.export import export
from consultgraph.graph.rdf import to_rdf
from consultgraph.graph.validate import validate
from consultgraph.loaders import load

RDF_FORMATS = [("turtle", "g.ttl"), ("jsonld", "g.jsonld"), ("ntriples", "g.nt")]


@pytest.mark.parametrize("fmt,name", RDF_FORMATS)
def test_export_import_export_is_isomorphic(tmp_path, kite_full, fmt, name):
    first = export(kite_full, fmt, tmp_path / name)
    again = load([first]).graph
    second = export(again, fmt, tmp_path / ("2" + name))
    rdf_format = {"turtle": "turtle", "jsonld": "json-ld", "ntriples": "nt"}[fmt]
    assert isomorphic(Graph().parse(first, format=rdf_format), Graph().parse(second, format=rdf_format))


def test_builtin_round_trips_through_turtle(tmp_path, amnesty):
    first = export(amnesty, "turtle", tmp_path / "a.ttl")
    second = export(load([first]).graph, "turtle", tmp_path / "b.ttl")
    assert isomorphic(Graph().parse(first), Graph().parse(second))


def test_trig_holds_a_named_graph(tmp_path, kite_full):
    from rdflib import Dataset

    path = export(kite_full, "trig", tmp_path / "g.trig")
    dataset = Dataset().parse(path, format="trig")
    assert len([g for g in dataset.graphs() if len(g)]) == 1


def test_classes_and_properties_come_from_the_ontology(kite_full):
    from consultgraph import schema as schema_files

    ontology = Graph().parse(schema_files.ONTOLOGY)
    rdf = to_rdf(kite_full)
    cg = "https://w3id.org/consultgraph/ontology#"
    used = {str(p) for p in rdf.predicates() if str(p).startswith(cg)}
    used |= {str(o) for o in rdf.objects() if str(o).startswith(cg)}
    declared = {str(s) for s in ontology.subjects() if str(s).startswith(cg)}
    assert used <= declared, used - declared


def test_stance_is_queryable_in_sparql(kite_full):
    from consultgraph.queries.catalogue import run_sparql

    rows = run_sparql(kite_full, """
        PREFIX cg: <https://w3id.org/consultgraph/ontology#>
        SELECT ?r ?c WHERE { ?r cg:qualifiedMention ?m . ?m cg:stance "lead" ; cg:target ?c . ?r cg:mentions ?c }""")
    assert [r["r"].rsplit("/", 1)[1] for r in rows] == ["n2"]


def test_a_qualified_relationship_is_the_plain_triple_plus_two_and_one_per_property(kite_full):
    from rdflib import URIRef

    from consultgraph.schema.namespaces import CG, ID

    rdf = to_rdf(kite_full)
    lead = [s for s in rdf.subjects(CG.stance, Literal("lead")) if (None, CG.qualifiedMention, s) in rdf]
    assert len(lead) == 1
    (respondent, link), = rdf.subject_predicates(lead[0])
    concept = rdf.value(lead[0], CG.target)
    assert (link, str(respondent)) == (CG.qualifiedMention, str(ID["respondent/n2"]))
    assert (respondent, CG.mentions, concept) in rdf
    assert sorted(str(p) for p, _ in rdf.predicate_objects(lead[0])) == sorted(
        str(CG[p]) for p in ("target", "stance", "weight"))
    assert isinstance(concept, URIRef)


def test_shacl_catches_a_qualified_relationship_without_target(kite_full):
    from consultgraph.schema.namespaces import CG

    rdf = to_rdf(kite_full)
    qualified = next(iter(rdf.objects(None, CG.qualifiedMention)))
    rdf.remove((qualified, CG.target, None))
    problems = validate(kite_full, rdf=rdf)
    assert [p["message"] for p in problems] == ["A qualified relationship points to exactly one target (cg:target)."]


def test_properties_on_a_relationship_without_qualified_form_are_refused(kite_full):
    from consultgraph.errors import SchemaError
    from consultgraph.graph.oxigraph import ntriples

    edges = kite_full.edges.copy()
    edges["weight"] = edges["weight"].astype(float)
    edges.loc[(edges["kind"] == "MEMBER_OF").to_numpy().nonzero()[0][0], "weight"] = 2.0
    graph = Consultation(kite_full.nodes, edges)
    with pytest.raises(SchemaError, match="MEMBER_OF relationships carry weight"):
        to_rdf(graph)
    with pytest.raises(SchemaError, match="MEMBER_OF relationships carry weight"):
        ntriples(graph, lambda data: None)


def test_valid_graphs_conform(kite_full, amnesty):
    assert validate(kite_full) == []
    assert validate(amnesty) == []


def test_shacl_catches_a_respondent_without_group_and_count_over_base(kite_full):
    nodes = kite_full.nodes.copy()
    finding = nodes["id"] == "finding/kite-findings/r-p"
    nodes.loc[finding, "props"] = '{"measure": "share", "count": 80, "base": 74}'
    edges = kite_full.edges[~((kite_full.edges["kind"] == "MEMBER_OF") & (kite_full.edges["source"] == "respondent/p1"))]
    problems = validate(Consultation(nodes, edges))
    messages = {(p["focus"], p["message"]) for p in problems}
    assert ("respondent/p1", "A respondent belongs to exactly one stakeholder group.") in messages
    assert ("finding/kite-findings/r-p", "A finding's count must not exceed its base.") in messages
