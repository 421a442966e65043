"""Out-of-fold decisions of the learned model: agreement on the responses it learned from (issue 12)."""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

from consultgraph.cli import main
from consultgraph.coding.agreement import graph_agreement
from consultgraph.coding.out_of_fold import HELD_OUT, held_out_decisions
from consultgraph.coding.run import code
from consultgraph.graph.consultation import Consultation
from consultgraph.loaders import load

CODES = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix cg:   <https://w3id.org/consultgraph/ontology#> .
@prefix ex:   <https://example.org/codes/> .
ex:codes a skos:ConceptScheme ; cg:kind cg:Idea .
ex:sun a skos:Concept ; skos:inScheme ex:codes ; skos:prefLabel "Sunshine"@en .
ex:rain a skos:Concept ; skos:inScheme ex:codes ; skos:prefLabel "Rainfall"@en .
"""
FRUIT = ["kiwi", "plum", "fig", "lime", "pear", "date", "yam", "okra", "leek", "kale", "corn", "rice", "bean", "nut",
         "oat", "rye"]
# By hand: 16 answers "sun <fruit>" (even rows) or "rain <fruit>" (odd rows), each coded by ann
# with the code its weather word names, except r0 ("sun kiwi", coded Rainfall) and r5 ("rain
# date", coded Sunshine). A model trained on all 16 has seen r0's and r5's fruit with their
# codes and gives every response ann's code (kappa 1). Without a response's fold, a fruit word
# is new and the weather word decides: r0 gets Sunshine and r5 Rainfall, 2 of 16 responses
# wrong on both codes: 28 of 32 decisions agree, each coder says yes to 16 of 32, so
# kappa = (28/32 - 1/2) / (1 - 1/2) = 0.75.
AGAINST_THEIR_WORDS = {0, 5}


def _weather(index):
    return "sun" if index % 2 == 0 else "rain"


def _code_of(index):
    flipped = {"sun": "rain", "rain": "sun"}
    return flipped[_weather(index)] if index in AGAINST_THEIR_WORDS else _weather(index)


@pytest.fixture
def weather(tmp_path):
    (tmp_path / "codes.ttl").write_text(CODES, encoding="utf-8")
    rows = ["id,group,q1"] + [f"r{i},g{i % 2},{_weather(i)} {fruit}" for i, fruit in enumerate(FRUIT)]
    (tmp_path / "answers.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    coded = ["respondent,question,code,coder"] + [f"r{i},q1,idea/{_code_of(i)},ann" for i in range(len(FRUIT))]
    (tmp_path / "coded.csv").write_text("\n".join(coded) + "\n", encoding="utf-8")
    project = tmp_path / "weather"
    load([tmp_path / "codes.ttl", tmp_path / "answers.csv"], into=project, options={"text_columns": "q1"})
    load([tmp_path / "coded.csv"], into=project)
    return project


def _without_held_out(graph):
    return Consultation(graph.nodes, graph.edges[graph.edges["kind"] != HELD_OUT], name=graph.name)


def test_in_sample_agreement_is_perfect_but_out_of_fold_is_not(weather):
    graph = code(Consultation.open(weather), rules=False, embeddings=False).graph
    people = {(f"response/r{i}/q1", f"idea/{_code_of(i)}") for i in range(len(FRUIT))}
    machine = graph.codings("machine")
    assert set(zip(machine["response"], machine["concept"])) == people  # memorised
    held = held_out_decisions(graph)
    assert len(held) == 2 * len(FRUIT) and held["confidence"].between(0, 1).all()
    given = held[held["decision"] == 1]
    assert set(zip(given["response"], given["concept"])) == {
        (f"response/r{i}/q1", f"idea/{_weather(i)}") for i in range(len(FRUIT))}
    result = graph_agreement(graph, ["ann", "machine"], resamples=50, permutations=50)
    assert result.rows[0]["kappa"] == 0.75 and result.rows[0]["units"] == len(FRUIT)
    assert any(n.startswith(f"model vs people on {len(FRUIT)} trained-on responses: out-of-fold decisions")
               for n in result.notes)
    in_sample = graph_agreement(_without_held_out(graph), ["ann", "machine"], resamples=50, permutations=50)
    assert in_sample.rows[0]["kappa"] == 1.0
    assert any(n.startswith("in-sample") for n in in_sample.notes)
    # the rules never learn: the model's decisions are read out of fold only where the model is compared
    family = graph_agreement(graph, ["ann", "machine:model"], resamples=20, permutations=20)
    assert family.rows[0]["kappa"] == 0.75


def test_out_of_fold_decisions_are_no_codings_anywhere_else(weather):
    """`--coder machine`, `all` and `auto`, the shares and the counts read the same codings with or without them."""
    from consultgraph.queries.shares import shares

    graph = code(Consultation.open(weather), embeddings=False).graph
    assert (graph.edges["kind"] == HELD_OUT).sum() == 2 * len(FRUIT)
    bare = _without_held_out(graph)
    for coder in ("machine", "all", "auto", "human"):
        assert graph.codings(coder).equals(bare.codings(coder)), coder
        assert graph.coders_used(coder) == bare.coders_used(coder)
        assert shares(graph.with_coder(coder)).equals(shares(bare.with_coder(coder))), coder
    assert graph.summary()["coders"] == bare.summary()["coders"]
    # and from the saved project, as the commands read it
    runner = CliRunner()
    result = runner.invoke(main, ["code", "-g", str(weather), "-q", "--no-embeddings"])
    assert result.exit_code == 0, result.output
    saved = Consultation.open(weather)
    assert (saved.edges_of(HELD_OUT)["source"].nunique(), len(saved.edges_of(HELD_OUT))) == (len(FRUIT), 2 * len(FRUIT))
    assert saved.codings("machine").equals(_without_held_out(saved).codings("machine"))
    result = runner.invoke(main, ["compare", "-g", str(weather), "--groups", "g0,g1", "--by", "idea", "--coder", "machine",
                                  "-f", "csv"])
    assert result.exit_code == 0, result.output
    rows = {r["concept"]: r for r in csv.DictReader(result.stdout.splitlines())}
    # the machine's codings alone (in sample: ann's codes); r0's out-of-fold Sunshine would make it 8 of 8
    assert (rows["idea/sun"]["g0_cell"], rows["idea/sun"]["g1_cell"]) == ("88% (7 of 8)", "12% (1 of 8)")
    result = runner.invoke(main, ["agreement", "-g", str(weather), "--coders", "ann,machine:model",
                                  "--resamples", "20", "--permutations", "20"])
    assert result.exit_code == 0, result.output
    assert "model vs people on 16 trained-on responses: out-of-fold decisions" in result.stderr


def test_out_of_fold_decisions_are_the_same_for_the_same_seed(shared_data):
    graph = load([shared_data / "consultations" / "consult" / "gambling_XS"]).graph
    first = held_out_decisions(code(graph, question="question-part-1", rules=False, seed=3).graph)
    again = held_out_decisions(code(graph, question="question-part-1", rules=False, seed=3).graph)
    other = held_out_decisions(code(graph, question="question-part-1", rules=False, seed=4).graph)
    assert len(first) == 100 * 11 and first.equals(again)
    assert not first["confidence"].equals(other["confidence"])  # other folds
    # re-coding replaces a model's decisions: none piles up
    twice = code(code(graph, question="question-part-1", rules=False, seed=3).graph, question="question-part-1",
                 rules=False, seed=3).graph
    assert held_out_decisions(twice).equals(first)


def test_out_of_fold_decisions_round_trip_through_rdf_apart_from_codings(weather):
    from consultgraph.graph.rdf import from_rdf, to_rdf
    from consultgraph.graph.translator import translate

    graph = code(Consultation.open(weather), rules=False, embeddings=False).graph
    back = Consultation().merge(translate(from_rdf(to_rdf(graph)), concepts=graph.concepts))
    columns = ["response", "concept", "coder", "confidence", "decision"]
    ordered = columns[:2]
    assert held_out_decisions(back)[columns].sort_values(ordered).reset_index(drop=True).equals(
        held_out_decisions(graph)[columns].sort_values(ordered).reset_index(drop=True))
    assert len(back.codings("machine")) == len(graph.codings("machine")) == len(FRUIT)


def test_a_none_answer_is_a_no_from_people_where_the_model_is_read_out_of_fold(weather, tmp_path):
    """A review row answered 'none': the model learned it as a negative, and agreement counts ann's 'no' there."""
    from consultgraph.coding.agreement import graph_decisions
    from consultgraph.coding.review import read_review

    (tmp_path / "more.csv").write_text("id,group,q1\nr16,g0,hail pea\n", encoding="utf-8")
    load([tmp_path / "more.csv"], into=weather, options={"text_columns": "q1"})
    (tmp_path / "review.csv").write_text("response,codes,coder\nresponse/r16/q1,none,ann\n", encoding="utf-8")
    graph = read_review(Consultation.open(weather), tmp_path / "review.csv").graph
    graph = code(graph, rules=False, embeddings=False).graph
    assert "response/r16/q1" in set(held_out_decisions(graph)["response"])  # learned from
    data = graph_decisions(graph, ["ann", "machine"])
    row = data.units.index("response/r16/q1")
    assert data.array[0, row].tolist() == [0.0, 0.0]  # ann: no code applies
    notes = graph_agreement(graph, ["ann", "machine"], resamples=20, permutations=20).notes
    assert any(n.startswith(f"model vs people on {len(FRUIT) + 1} trained-on responses") for n in notes)
