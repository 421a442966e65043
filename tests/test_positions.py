"""The machine's positions (agree / disagree / unclear) beside people's: learned, stored, counted, shown."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from consultgraph.cli import main
from consultgraph.coding.positions import code_positions
from consultgraph.graph.consultation import Consultation
from consultgraph.loaders import load
from consultgraph.queries.positions import positions

# Ten responses to one question; people gave positions to the first six (a Consult folder's sentiment.jsonl).
# By hand the model can only learn the words: "yes ... support" is agree, "no ... oppose" is disagree.
TEXTS = {
    1: "Yes, I support the ban.", 2: "Yes, I support it fully.", 3: "Yes, support the ban now.",
    4: "No, I oppose the ban.", 5: "No, I oppose it strongly.", 6: "No, oppose this ban.",
    7: "Yes, I support this.", 8: "No, I oppose this.", 9: "Yes, support it.", 10: "No, oppose it.",
}
PEOPLE = {1: "AGREE", 2: "AGREE", 3: "AGREE", 4: "DISAGREE", 5: "DISAGREE", 6: "DISAGREE"}
BY_HAND = {7: "agree", 8: "disagree", 9: "agree", 10: "disagree"}


def _consult(folder, people=PEOPLE):
    part = folder / "inputs" / "question_part_1"
    part.mkdir(parents=True)
    (part / "question.json").write_text(json.dumps({"question_number": 1, "question_text": "Ban the ads?"}))
    (part / "responses.jsonl").write_text("".join(json.dumps({"response_id": i, "response": t}) + "\n"
                                                  for i, t in TEXTS.items()))
    (folder / "inputs" / "respondents.jsonl").write_text("".join(
        json.dumps({"response_id": i, "demographic_data": {"Do you live in:": "Wales" if i % 2 else "England"}}) + "\n"
        for i in TEXTS))
    gold = folder / "outputs" / "mapping" / "2025-01-01" / "question_part_1"
    gold.mkdir(parents=True)
    (gold / "themes.json").write_text(json.dumps([{"topic_id": "A", "topic_label": "Ban"}]))  # a codebook for `code`
    (gold / "sentiment.jsonl").write_text("".join(json.dumps({"response_id": i, "position": p}) + "\n"
                                                  for i, p in people.items()))
    return folder


@pytest.fixture
def small(tmp_path):
    return load([_consult(tmp_path / "ads")]).graph


def test_positions_are_learned_for_the_responses_people_left(small):
    run = code_positions(small, seed=0)
    responses = run.graph.responses().set_index("id")
    for number, position in BY_HAND.items():
        row = responses.loc[f"response/{number}/question-part-1"]
        assert row["machine_position"] == position
        assert row["position_coder"].startswith("machine:position@") and 0.5 < row["position_confidence"] <= 1
        assert row["position"] != row["position"]  # people's stays empty: never written over
    for number, given in PEOPLE.items():
        row = responses.loc[f"response/{number}/question-part-1"]
        assert row["position"] == given.lower() and row["machine_position"] != row["machine_position"]
    (summary,) = run.summary
    assert (summary["human"], summary["machine"], summary["accuracy"]) == (6, 4, 1.0)
    assert code_positions(small, seed=0).graph.responses().equals(run.graph.responses())  # same seed, same positions


def test_positions_count_people_s_and_the_machine_s_by_coder(small):
    graph = code_positions(small).graph
    rows = {(r["group"], r["position"]): r for r in positions(graph)}
    assert {k: (r["count"], r["base"], r["machine"]) for k, r in rows.items()} == {
        ("General public", "agree"): (5, 10, 2), ("General public", "disagree"): (5, 10, 2)}
    assert rows[("General public", "agree")]["share"] == "50% (5 of 10)"
    human = {r["position"]: (r["count"], r["base"]) for r in positions(graph.with_coder("human"))}
    machine = {r["position"]: (r["count"], r["base"]) for r in positions(graph.with_coder("machine"))}
    assert human == {"agree": (3, 6), "disagree": (3, 6)} and machine == {"agree": (2, 4), "disagree": (2, 4)}


def test_a_position_people_give_later_replaces_the_machine_s(tmp_path):
    graph = code_positions(load([_consult(tmp_path / "ads")]).graph).graph
    later = load([_consult(tmp_path / "again", {**PEOPLE, 7: "UNCLEAR"})]).graph
    nodes = graph.nodes.copy()
    ids = list(nodes["id"])
    response = ids.index("response/7/question-part-1")
    nodes.loc[response, "props"] = json.dumps({**json.loads(nodes.loc[response, "props"]), "position": "unclear"})
    rerun = code_positions(Consultation(nodes, graph.edges)).graph.responses().set_index("id")
    row = rerun.loc["response/7/question-part-1"]
    assert row["position"] == "unclear" and row["machine_position"] != row["machine_position"]
    assert later.responses().set_index("id").loc["response/7/question-part-1", "position"] == "unclear"


def test_one_position_only_is_no_model(tmp_path):
    run = code_positions(load([_consult(tmp_path / "ads", {1: "AGREE", 2: "AGREE", 3: "AGREE", 4: "AGREE"})]).graph)
    assert run.summary[0]["coder"] is None and "agree 4" in run.summary[0]["note"]
    assert "machine_position" not in run.graph.responses()


def test_gambling_positions_beat_the_commonest_on_held_out_responses(shared_data):
    """Consult gambling_XS Q1 with people's positions kept for a seeded 30%: the held-out 70% are predicted."""
    graph = load([shared_data / "consultations" / "consult" / "gambling_XS"]).graph
    nodes = graph.nodes.copy()
    rng = np.random.default_rng(0)
    gold = {}
    for row in nodes.index[(nodes["kind"] == "Response").to_numpy()]:
        props = json.loads(nodes.at[row, "props"])
        if rng.random() < 0.7 and "position" in props:
            gold[nodes.at[row, "id"]] = props.pop("position")
            nodes.at[row, "props"] = json.dumps(props, sort_keys=True)
    run = code_positions(Consultation(nodes, graph.edges), seed=0)
    predicted = run.graph.responses().set_index("id")["machine_position"]
    q1 = [r for r in gold if r.endswith("question-part-1")]
    accuracy = np.mean([predicted[r] == gold[r] for r in q1])
    kept = [p for r, p in zip(graph.responses()["id"], graph.responses()["position"])
            if r.endswith("question-part-1") and r not in gold]
    commonest = max(set(kept), key=kept.count)
    baseline = np.mean([gold[r] == commonest for r in q1])
    assert len(q1) == 63 and accuracy > baseline + 0.05, (accuracy, baseline)
    # Q2's positions are all "agree": no model, nothing predicted there
    q2 = [r for r in gold if r.endswith("question-part-2")]
    assert all(predicted[r] != predicted[r] for r in q2)


def test_code_stores_and_positions_shows_them(tmp_path):
    project = tmp_path / "project"
    load([_consult(tmp_path / "ads")], into=project)
    result = CliRunner().invoke(main, ["code", "-g", str(project), "-q", "--no-model"])
    assert result.exit_code == 0, result.output
    assert "positions of question/question-part-1: 4 by machine:position@" in result.output
    stored = Consultation.open(project).responses().set_index("id")
    assert stored.loc["response/8/question-part-1", "machine_position"] == "disagree"
    shown = CliRunner().invoke(main, ["positions", "-g", str(project), "--coder", "machine", "-f", "csv"])
    assert shown.exit_code == 0, shown.output
    assert "Question 1,General public,agree,2,4,50% (2 of 4),2" in shown.output


def test_positions_without_any_say_where_they_come_from(tmp_path):
    from click.testing import CliRunner

    from consultgraph.cli import main
    from consultgraph.loaders import load

    (tmp_path / "a.csv").write_text("id,q1\na,More wells.\n", encoding="utf-8")
    load([tmp_path / "a.csv"], into=tmp_path / "p", options={"text_columns": "q1"})
    result = CliRunner().invoke(main, ["positions", "-g", str(tmp_path / "p")])
    assert result.exit_code == 0 and "(no rows)" in result.stdout
    assert "note: no response has a position: people's come from a Consult folder's gold sentiment" in result.stderr
