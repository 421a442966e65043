"""Machine stances (issue 12): the stance people gave a code is the stance the machine's codings carry."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import sparse

from consultgraph.coding.run import code
from consultgraph.coding.stances import fit_stance
from consultgraph.loaders import load

CODES = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix cg:   <https://w3id.org/consultgraph/ontology#> .
@prefix ex:   <https://example.org/codes/> .
ex:codes a skos:ConceptScheme ; cg:kind cg:Theme .
ex:parks a skos:Concept ; skos:inScheme ex:codes ; skos:prefLabel "Parks"@en .
ex:ads a skos:Concept ; skos:inScheme ex:codes ; skos:prefLabel "Gambling ads"@en .
ex:buses a skos:Concept ; skos:inScheme ex:codes ; skos:prefLabel "Buses"@en .
"""
ANSWERS = """id,group,region,q1
r1,public,North,Green parks with trees and benches.
r2,public,North,More green parks and trees for children.
r3,public,South,Ban gambling adverts on television now.
r4,public,South,Ban all gambling adverts near schools.
r5,public,North,Keep gambling adverts; they fund football clubs.
r6,public,South,Gambling adverts fund football clubs; keep them.
r7,public,North,Night buses should run every hour.
r8,public,South,Cheaper night buses every hour.
u1,public,North,Green trees in parks for children please.
u2,public,South,Ban the gambling adverts on television.
u3,public,North,Football clubs need the gambling adverts money; keep them.
u4,public,South,Buses every hour at night.
"""
# By hand: people gave Parks one stance (support, twice), Gambling ads two (lead on r3, r4;
# drop on r5, r6: each twice, so a model learns them), Buses none.
CODED = """respondent,question,code,stance,coder
r1,q1,theme/parks,support,ann
r2,q1,theme/parks,support,ann
r3,q1,theme/ads,lead,ann
r4,q1,theme/ads,lead,ann
r5,q1,theme/ads,drop,ann
r6,q1,theme/ads,drop,ann
r7,q1,theme/buses,,ann
r8,q1,theme/buses,,ann
"""


@pytest.fixture
def stanced(tmp_path):
    (tmp_path / "codes.ttl").write_text(CODES, encoding="utf-8")
    (tmp_path / "answers.csv").write_text(ANSWERS, encoding="utf-8")
    (tmp_path / "coded.csv").write_text(CODED, encoding="utf-8")
    load([tmp_path / "codes.ttl", tmp_path / "answers.csv"], into=tmp_path / "project", options={"text_columns": "q1"})
    return load([tmp_path / "coded.csv"], into=tmp_path / "project").graph


def _machine(graph):
    """The model's codings, and each one's evidence by (response, concept)."""
    machine = graph.codings("machine")
    machine = machine[machine["coder"].str.startswith("machine:model@")]
    edges = graph.edges[graph.edges["kind"] == "MENTIONS"]
    props = [json.loads(p) for p in edges["props"]]
    evidence = {(s, t): p["evidence"] for s, t, p in zip(edges["source"], edges["target"], props)
                if p.get("coder", "").startswith("machine:model@")}
    return machine, evidence


def test_machine_codings_carry_the_stance_people_gave(stanced):
    graph = code(stanced, rules=False, seed=0).graph
    machine, evidence = _machine(graph)
    stance = {(r, c): s for r, c, s in zip(machine["response"], machine["concept"], machine["stance"])}
    parks = {k: s for k, s in stance.items() if k[1] == "theme/parks"}
    buses = {k: s for k, s in stance.items() if k[1] == "theme/buses"}
    ads = {k: s for k, s in stance.items() if k[1] == "theme/ads"}
    assert ("response/u1/q1", "theme/parks") in parks and ("response/u4/q1", "theme/buses") in buses
    # one stance given (support, n=2): every machine coding carries it, and says why
    assert set(parks.values()) == {"support"}
    assert all(evidence[k].endswith("; stance: support, the only stance people gave (n=2)") for k in parks)
    # no stance given: a plain mention, with nothing said about stance
    assert set(buses.values()) == {"mention"}
    assert not any("stance" in evidence[k] for k in buses)
    # two stances given twice each: a model picks, as before; on the texts it learned from it agrees with people
    assert ads[("response/r3/q1", "theme/ads")] == "lead" and ads[("response/r5/q1", "theme/ads")] == "drop"
    assert ads[("response/u2/q1", "theme/ads")] == "lead" and ads[("response/u3/q1", "theme/ads")] == "drop"
    assert all("learned from people's stances (drop 2, lead 2)" in evidence[k] for k in ads)
    # deterministic: the same input and seed, the same stances and evidence
    again, again_evidence = _machine(code(stanced, rules=False, seed=0).graph)
    assert again.to_csv(index=False) == machine.to_csv(index=False) and again_evidence == evidence


def test_stance_model_per_case():
    matrix = sparse.eye(6, format="csr")
    coded = np.array([1, 1, 1, 1, 1, 0])
    # one stance (a "mention" or a missing stance is no stance)
    one = fit_stance("c", matrix, coded, ["support", "mention", None, "support", "support", "drop"], None)
    assert one.classifier is None and one.fixed == "support" and one.counts == (("support", 3),)
    assert one.predict(matrix[:2]) == ["support", "support"]
    # two stances, one too rare to learn: the commonest
    rare = fit_stance("c", matrix, coded, ["drop", "drop", "support", "drop", None, None], None)
    assert rare.classifier is None and rare.fixed == "drop"
    assert rare.evidence("drop") == "stance: drop, the commonest stance people gave (3 of 4; support 1: too few to learn)"
    # two common stances and a rare third: the model learns the two common ones
    from sklearn.linear_model import LogisticRegression

    learned = fit_stance("c", matrix, coded, ["lead", "lead", "drop", "drop", "support", None], LogisticRegression())
    assert learned.classifier is not None and learned.learned == ("drop", "lead")
    assert set(learned.predict(matrix)) <= {"drop", "lead"}
    assert learned.evidence("lead") == "stance: lead, learned from people's stances (drop 2, lead 2, support 1; support 1: too few to learn)"
    # a tie of rare stances: no commonest, so no stance; none given at all: no model
    tie = fit_stance("c", matrix, coded, ["lead", "drop", None, None, None, None], None)
    assert tie.fixed is None and tie.predict(matrix[:1]) == [None]
    assert fit_stance("c", matrix, coded, [None, "mention", None, None, None, "lead"], None) is None
