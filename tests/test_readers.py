"""A coder choice's base is the respondents it read (free text); coded submissions keep every member.

The graph: six partners p0-p5 and two national entities n0, n1 answer one question.
ana codes p0 research and marks p1 "no code applies"; bob codes n0 advocacy; the machine
codes p2 and p3 research, p0 advocacy and n1 advocacy (it read every response).
"""

import pytest

from consultgraph.graph.consultation import Consultation
from consultgraph.graph.records import Edge, Node, Ref
from consultgraph.graph.store import schema_concepts
from consultgraph.graph.translator import translate
from consultgraph.queries.shares import shares

PARTNERS = [f"p{i}" for i in range(6)]
NATIONAL = ["n0", "n1"]
MACHINE = "machine:rules@test"
CODINGS = [("p0", "research", "ana"), ("n0", "advocacy", "bob"),
           ("p2", "research", MACHINE), ("p3", "research", MACHINE), ("p0", "advocacy", MACHINE),
           ("n1", "advocacy", MACHINE)]


def _records(codings=CODINGS, none_by="ana"):
    records = [Node("Question", "question/q1", {"text": "What next?"})]
    for person, group in [(p, "partners") for p in PARTNERS] + [(n, "national-entity") for n in NATIONAL]:
        props = {"text": "An answer."} | ({"no_code_by": none_by} if person == "p1" and none_by else {})
        records += [Node("Respondent", f"respondent/{person}", {}), Edge("MEMBER_OF", f"respondent/{person}", Ref(group)),
                    Node("Response", f"response/{person}/q1", props),
                    Edge("WROTE", f"respondent/{person}", f"response/{person}/q1"),
                    Edge("ANSWERS", f"response/{person}/q1", "question/q1")]
    for person, code, coder in codings:
        records.append(Edge("MENTIONS", f"response/{person}/q1", Ref(code), {"coder": coder}))
    return records


@pytest.fixture(scope="module")
def graph():
    return Consultation().merge(translate(_records(), concepts=schema_concepts()))


def _raised(graph, coder):
    """``(group, concept) -> (count, base)`` of the raised rows of the shares table."""
    table = shares(graph.with_coder(coder))
    rows = table[(table["stance"] == "raised") & (table["basis"] == "respondents")]
    return {(g.split("/")[1], c.split("/")[1]): (int(n), int(b))
            for g, c, n, b in zip(rows["group"], rows["concept"], rows["count"], rows["base"])}


@pytest.mark.parametrize("coder, expected", [
    # people read p0, p1 (none) and n0: 1 of 2 partners raised research
    ("human", {("partner", "research"): (1, 2), ("partner", "advocacy"): (0, 2),
               ("national-entity", "advocacy"): (1, 1), ("national-entity", "research"): (0, 1)}),
    ("ana", {("partner", "research"): (1, 2)}),
    ("bob", {("national-entity", "advocacy"): (1, 1)}),
    # the machine read every response
    ("machine", {("partner", "research"): (2, 6), ("partner", "advocacy"): (1, 6),
                 ("national-entity", "advocacy"): (1, 2), ("national-entity", "research"): (0, 2)}),
    # people's codes where they read (p0's machine advocacy is not taken), the machine's elsewhere
    ("auto", {("partner", "research"): (3, 6), ("partner", "advocacy"): (0, 6),
              ("national-entity", "advocacy"): (2, 2), ("national-entity", "research"): (0, 2)}),
    ("all", {("partner", "research"): (3, 6), ("partner", "advocacy"): (1, 6),
             ("national-entity", "advocacy"): (2, 2), ("national-entity", "research"): (0, 2)}),
])
def test_base_is_who_the_coder_read(graph, coder, expected):
    assert _raised(graph, coder) == expected


@pytest.mark.parametrize("coder, partners, national", [
    ("human", 2, 1), ("ana", 2, 0), ("bob", 0, 1), ("machine", 6, 2), ("auto", 6, 2), ("all", 6, 2),
])
def test_duckdb_bases_match_the_shares_table(graph, coder, partners, national):
    frame = graph.with_coder(coder).respondent_counts(["group/partner", "group/national-entity"])
    assert frame["respondents"].tolist() == [partners, national]


def test_people_alone_before_the_machine_runs():
    people_only = [c for c in CODINGS if c[2] != MACHINE]
    graph = Consultation().merge(translate(_records(people_only), concepts=schema_concepts()))
    assert sorted(graph.readers("auto")) == ["respondent/n0", "respondent/p0", "respondent/p1"]
    assert _raised(graph, "auto")[("partner", "research")] == (1, 2)


def test_a_none_mark_counts_only_for_its_coder(graph):
    assert "respondent/p1" in graph.readers("ana")
    assert "respondent/p1" not in graph.readers("bob")
    assert "respondent/p1" in graph.readers("machine")  # the machine read it all the same


def test_stored_project_counts_the_same(graph, tmp_path):
    graph.save(tmp_path / "project")
    stored = Consultation.open(tmp_path / "project")
    for coder in ("auto", "human", "machine"):
        assert _raised(stored, coder) == _raised(graph, coder)


def test_coded_submissions_keep_every_member(kite):
    assert kite.readers("auto") is None and kite.readers("human") is None
    table = shares(kite)
    bases = table[table["basis"] == "respondents"].groupby("group")["base"].first()
    sizes = kite.respondent_counts(list(bases.index))
    assert dict(zip(sizes["group"], sizes["respondents"])) == {g: int(b) for g, b in bases.items()}
    members = kite.respondents()["group"].value_counts().to_dict()
    assert bases.get("group/partner") == members.get("group/partner")
