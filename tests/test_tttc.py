"""Talk to the City reports: topics, subtopics and claims counted against the JSON itself."""

from __future__ import annotations

import json

import pytest

from consultgraph.errors import InputError
from consultgraph.loaders import detect, load

REPORTS = ["heal_michigan_report.json", "ai_assemblies_taiwan_2023_report.json"]


@pytest.mark.parametrize("name", REPORTS)
def test_report_counts(shared_data, name):
    path = shared_data / "consultations" / "talk-to-the-city" / name
    report = json.loads(path.read_text())
    assert detect(path) == "tttc"
    graph = load([path]).graph
    topics = {t["topicName"] for t in report["tree"]}
    subtopics = {(t["topicName"], s["subtopicName"]) for t in report["tree"] for s in t["subtopics"]}
    claims = {c["claimId"] for t in report["tree"] for s in t["subtopics"] for c in s["claims"] if c.get("quote")}
    ideas = graph.table("Idea")
    assert len(ideas) == len(topics) + len(subtopics)
    assert len(graph.table("Quote")) == len(claims)
    speakers = {r["interview"].strip() for r in report["data"] if r.get("interview")}
    unnamed = {str(r["id"]) for r in report["data"] if not r.get("interview") and str(r.get("comment") or "").strip()}
    assert len(graph.respondents()) == len(speakers) + len(unnamed)  # a comment with no speaker is its own respondent
    comments = [r for r in report["data"] if str(r.get("comment") or "").strip()]
    assert len(graph.responses()) == len(comments)


def test_speakers_said_their_quotes_and_mention_subtopics(shared_data):
    path = shared_data / "consultations" / "talk-to-the-city" / "heal_michigan_report.json"
    report = json.loads(path.read_text())
    graph = load([path]).graph
    said = graph.edges_of("SAID")
    by_comment = {str(r["id"]): r["interview"].strip() for r in report["data"]}
    first = report["tree"][0]["subtopics"][0]["claims"][0]
    speaker = by_comment[first["commentId"]]
    quote_ids = set(said.loc[said["source"].str.endswith("/" + speaker.lower().replace(" ", "-")), "target"])
    texts = set(graph.table("Quote").set_index("id").loc[list(quote_ids), "text"])
    assert first["quote"].strip() in texts
    assert len(graph.codings()) > 0


def test_not_a_report(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"tree": 3}')
    with pytest.raises(InputError, match="not a Talk to the City report"):
        load([path], fmt="tttc")


def test_report_claims_code_their_comments(shared_data, tmp_path):
    """Each claim is the report's coding of its comment (coder talk-to-the-city): counted by hand from the JSON."""
    path = shared_data / "consultations" / "talk-to-the-city" / "heal_michigan_report.json"
    report = json.loads(path.read_text())
    by_hand = set()
    for topic in report["tree"]:
        for sub in topic["subtopics"]:
            for claim in sub["claims"]:
                if claim.get("quote"):
                    by_hand.add((claim["commentId"], sub["subtopicName"]))
    result = load([path], into=tmp_path / "project")
    graph = result.graph
    codings = graph.codings("talk-to-the-city")
    labels = {c: graph.concepts[c].label for c in set(codings["concept"])}
    found = {(r.split("/")[1].rsplit("-", 1)[1], labels[c]) for r, c in zip(codings["response"], codings["concept"])}
    assert found == by_hand
    # the claims' quotes sit in their comments (some are edited or elided: those keep no offsets)
    assert result.quote_offsets.located >= 0.95 * result.quote_offsets.attempted
    from consultgraph.coding.run import code

    assert code(graph, model=False).responses == len(graph.responses())  # `code` reads the comments
