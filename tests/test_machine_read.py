"""The machine's base is the responses ``code`` read (issue 12), marked on each Response as ``machine_read_by``.

Four partners and two national entities; the codebook is conftest's (Research, Advocacy).
By hand, the rules code Research on p1/q1 and n1/q1 and nothing else: p2's and n2's answers
name no code, p3 answered only q2, where nothing fires at all. The machine read all six.
"""

from __future__ import annotations

import pytest

from consultgraph.coding.run import code
from consultgraph.graph.consultation import Consultation
from consultgraph.loaders import load
from consultgraph.queries.shares import shares
from tests.conftest import FREE_TEXT_CODES

ANSWERS = """id,group,region,q1,q2
p1,partner,Africa,We need more research.,Fine.
p2,partner,Europe,Hello there.,
p3,partner,Europe,,Nothing to add.
n1,national-entity,Europe,Research matters.,
n2,national-entity,Africa,No comment.,
"""
LATER = """id,group,region,q1,q2
p4,partner,Africa,Research and lobbying.,
"""


def _raised(graph, coder, concept="idea/research"):
    table = shares(graph.with_coder(coder))
    rows = table[(table["stance"] == "raised") & (table["concept"] == concept) & (table["basis"] == "respondents")]
    return {g.split("/")[1]: (int(n), int(b)) for g, n, b in zip(rows["group"], rows["count"], rows["base"])}


@pytest.fixture
def project(tmp_path):
    (tmp_path / "codes.ttl").write_text(FREE_TEXT_CODES, encoding="utf-8")
    (tmp_path / "answers.csv").write_text(ANSWERS, encoding="utf-8")
    (tmp_path / "later.csv").write_text(LATER, encoding="utf-8")
    load([tmp_path / "codes.ttl", tmp_path / "answers.csv"], into=tmp_path / "project",
         options={"text_columns": "q1,q2"})
    code(Consultation.open(tmp_path / "project"), model=False).graph.save(tmp_path / "project")
    return tmp_path / "project"


def test_code_marks_every_response_it_read_coded_or_not(project):
    graph = Consultation.open(project)
    responses = set(graph.responses()["id"])
    assert set(graph.machine_read()) == responses  # p3/q2 too: a question where nothing fired
    rules = set(graph.codings("machine")["coder"])
    assert {names for names in graph.machine_read().values()} == {tuple(rules)}
    assert _raised(graph, "machine") == {"partner": (1, 3), "national-entity": (1, 2)}
    assert _raised(graph, next(iter(rules))) == _raised(graph, "machine")  # the rules by name read the same


def test_a_response_loaded_after_code_is_not_read_until_it_runs_again(project, tmp_path):
    load([tmp_path / "later.csv"], into=project, options={"text_columns": "q1,q2"})
    graph = Consultation.open(project)
    assert _raised(graph, "machine")["partner"] == (1, 3)  # p4 is unread: not 1 of 4
    assert "respondent/p4" not in graph.readers("auto")
    code(graph, model=False).graph.save(project)
    assert _raised(Consultation.open(project), "machine")["partner"] == (2, 4)


def test_a_reload_keeps_the_mark(project, tmp_path):
    before = Consultation.open(project).machine_read()
    load([tmp_path / "answers.csv"], into=project, options={"text_columns": "q1,q2"}, force=True)
    assert Consultation.open(project).machine_read() == before


def test_a_project_coded_before_responses_were_marked_reads_by_question(project):
    from consultgraph.graph.coders import MACHINE_READ_BY

    graph = Consultation.open(project)
    nodes = graph.nodes.copy()
    nodes["props"] = nodes["props"].astype(object).str.replace(f'"{MACHINE_READ_BY}"', '"old_key"', regex=False)
    unmarked = Consultation(nodes, graph.edges)
    assert unmarked.machine_read() == {}
    # every response of q1 (the machine coded it), none of q2 (no machine coding there): p3 is left out
    assert _raised(unmarked, "machine") == {"partner": (1, 2), "national-entity": (1, 2)}
