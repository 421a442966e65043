"""Responses and codings by coder: the shared views of free-text projects (issue 12)."""

from __future__ import annotations

import pytest

from consultgraph.errors import UnknownNameError
from consultgraph.graph.consultation import Consultation
from consultgraph.graph.records import Edge, Node, Ref
from consultgraph.graph.store import schema_concepts
from consultgraph.graph.translator import translate


def _graph():
    # Two respondents, one question. r1's response is coded by a person (research) and by
    # the machine (research, advocacy); r2's only by the machine (advocacy).
    records = [
        Node("Question", "question/q1", {"label": "Q1", "text": "What should we do?"}),
        Node("Respondent", "respondent/r1", {"label": "r1"}),
        Edge("MEMBER_OF", "respondent/r1", Ref("partners")),
        Node("Respondent", "respondent/r2", {"label": "r2"}),
        Edge("MEMBER_OF", "respondent/r2", Ref("partners")),
        Node("Response", "response/r1-q1", {"text": "More research please."}),
        Node("Response", "response/r2-q1", {"text": "Advocacy works."}),
        Edge("WROTE", "respondent/r1", "response/r1-q1"),
        Edge("WROTE", "respondent/r2", "response/r2-q1"),
        Edge("ANSWERS", "response/r1-q1", "question/q1"),
        Edge("ANSWERS", "response/r2-q1", "question/q1"),
        Edge("MENTIONS", "response/r1-q1", Ref("research"), {"coder": "ann"}),
        Edge("MENTIONS", "response/r1-q1", Ref("research"), {"coder": "machine:rules@abc", "confidence": 0.9}),
        Edge("MENTIONS", "response/r1-q1", Ref("advocacy"), {"coder": "machine:rules@abc", "confidence": 0.6}),
        Edge("MENTIONS", "response/r2-q1", Ref("advocacy"), {"coder": "machine:rules@abc", "confidence": 0.7}),
    ]
    batch = translate(records, concepts=schema_concepts())
    return Consultation().merge(batch)


def test_responses_view_links_text_respondent_question():
    responses = _graph().responses()
    assert list(responses["id"]) == ["response/r1-q1", "response/r2-q1"]
    assert list(responses["respondent"]) == ["respondent/r1", "respondent/r2"]
    assert set(responses["question"]) == {"question/q1"}
    assert responses["text"].iloc[0] == "More research please."
    assert set(responses["group"]) == {"group/partner"}


def test_same_coding_by_two_coders_stays_two_edges():
    graph = _graph()
    mentions = graph.edges[graph.edges["kind"] == "MENTIONS"]
    assert len(mentions) == 4


def test_codings_by_coder():
    graph = _graph()
    every = graph.codings("all")
    assert len(every) == 4
    assert set(every["respondent"]) == {"respondent/r1", "respondent/r2"}
    assert len(graph.codings("human")) == 1
    assert len(graph.codings("machine")) == 3
    # auto: people's code for r1's response, the machine's for r2's
    auto = graph.codings()
    assert sorted(zip(auto["response"], auto["concept"], auto["coder"].fillna(""))) == [
        ("response/r1-q1", "tactic/research", "ann"),
        ("response/r2-q1", "tactic/advocacy", "machine:rules@abc"),
    ]
    assert graph.coders_used() == {"human": 1, "machine": 1}
    assert graph.with_coder("machine").codings()["confidence"].tolist() == [0.9, 0.6, 0.7]
    assert len(graph.codings("ann")) == 1


def test_unknown_coder_names_the_choices():
    with pytest.raises(UnknownNameError, match="ann"):
        _graph().codings("bob")


def test_loading_again_keeps_one_edge_per_coder():
    graph = _graph()
    again = translate([Edge("MENTIONS", "response/r1-q1", Ref("research"), {"coder": "machine:rules@abc", "confidence": 0.5})],
                      concepts=graph.concepts, existing=graph.node_kinds())
    merged = graph.merge(again)
    assert len(merged.codings("all")) == 4
    assert sorted(merged.codings("machine")["confidence"]) == [0.5, 0.6, 0.7]


def test_rdf_round_trip_keeps_coders_apart():
    from consultgraph.graph.rdf import from_rdf, to_rdf

    graph = _graph()
    back = Consultation().merge(translate(from_rdf(to_rdf(graph)), concepts=schema_concepts()))
    assert sorted(back.codings("all")["coder"].fillna("")) == sorted(graph.codings("all")["coder"].fillna(""))
    assert back.responses()["text"].tolist() == graph.responses()["text"].tolist()
