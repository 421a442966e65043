"""Every view of a free-text project shares one base: the respondents the --coder choice read (issue 12).

Six partners p0-p5 (p0, p1 in Africa, the rest in Europe) and four national entities n0-n3
(Europe) answer one question. By hand:
  ana codes p0 research, p2 research and advocacy, and marks p1 "no code applies";
  bob codes n0 advocacy;
  the machine (it reads every response) codes p0 and p3 research, p1 advocacy,
  n1 and n2 advocacy, n3 research.
So people read p0, p1, p2 (ana) and n0 (bob):
  --coder human:   partners research 2 of 3, advocacy 1 of 3; national entities advocacy 1 of 1
  --coder ana:     partners research 2 of 3, advocacy 1 of 3; no national entity read
  --coder machine: partners research 2 of 6, advocacy 1 of 6; national entities advocacy 2 of 4, research 1 of 4
  --coder auto:    people's where they read (p1: none), the machine's elsewhere: partners research
                   3 of 6 (p0, p2, p3), advocacy 1 of 6 (p2); national entities advocacy 3 of 4, research 1 of 4
  --coder all:     both: partners advocacy 2 of 6 (p1 by the machine, p2 by ana)
"""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

from consultgraph.cli import main
from consultgraph.graph.consultation import Consultation
from consultgraph.graph.records import Edge, Node, Ref
from consultgraph.graph.store import schema_concepts
from consultgraph.graph.translator import translate

MACHINE = "machine:rules@test"
CODINGS = [("p0", "research", "ana"), ("p2", "research", "ana"), ("p2", "advocacy", "ana"), ("n0", "advocacy", "bob"),
           ("p0", "research", MACHINE), ("p3", "research", MACHINE), ("p1", "advocacy", MACHINE),
           ("n1", "advocacy", MACHINE), ("n2", "advocacy", MACHINE), ("n3", "research", MACHINE)]
GROUPS = ["--groups", "partner,national-entity", "--by", "tactic"]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    records = [Node("Question", "question/q1", {"text": "What next?"})]
    people = [(f"p{i}", "partners") for i in range(6)] + [(f"n{i}", "national-entity") for i in range(4)]
    for person, group in people:
        props = {"text": "An answer."} | ({"no_code_by": "ana"} if person == "p1" else {})
        region = "Africa" if person in ("p0", "p1") else "Europe"
        records += [Node("Respondent", f"respondent/{person}", {}), Edge("MEMBER_OF", f"respondent/{person}", Ref(group)),
                    Edge("BASED_IN", f"respondent/{person}", Ref(region)),
                    Node("Response", f"response/{person}/q1", props),
                    Edge("WROTE", f"respondent/{person}", f"response/{person}/q1"),
                    Edge("ANSWERS", f"response/{person}/q1", "question/q1")]
    for person, code, coder in CODINGS:
        records.append(Edge("MENTIONS", f"response/{person}/q1", Ref(code), {"coder": coder}))
    path = tmp_path_factory.mktemp("base") / "project"
    Consultation().merge(translate(records, concepts=schema_concepts())).save(path)
    return path


def _run(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


def _compare(project, coder):
    """``tactic -> (partners cell, national entities cell)`` of compare's raised rows, and stderr."""
    result = _run("compare", "-g", str(project), *GROUPS, "--coder", coder, "-f", "csv")
    rows = [r for r in csv.DictReader(result.stdout.splitlines()) if r["stance"] == "raised"]
    return {r["concept"].split("/")[1]: (r["partner_cell"], r["national_entity_cell"]) for r in rows}, result.stderr


@pytest.mark.parametrize("coder, expected", [
    ("human", {"research": ("67% (2 of 3)", "0% (0 of 1)"), "advocacy": ("33% (1 of 3)", "100% (1 of 1)")}),
    ("machine", {"research": ("33% (2 of 6)", "25% (1 of 4)"), "advocacy": ("17% (1 of 6)", "50% (2 of 4)")}),
    ("auto", {"research": ("50% (3 of 6)", "25% (1 of 4)"), "advocacy": ("17% (1 of 6)", "75% (3 of 4)")}),
    ("all", {"research": ("50% (3 of 6)", "25% (1 of 4)"), "advocacy": ("33% (2 of 6)", "75% (3 of 4)")}),
])
def test_compare_shares_are_out_of_who_the_coder_read(project, coder, expected):
    cells, _ = _compare(project, coder)
    assert cells == expected


def test_a_named_coder_reads_only_their_own(project):
    cells, stderr = _compare(project, "ana")
    assert cells["research"][0] == "67% (2 of 3)" and cells["advocacy"][0] == "33% (1 of 3)"
    assert "not reported" in cells["research"][1]  # ana read no national entity: no base, no share
    assert "base (--coder ana): the 3 of 10 respondents coded by ana (a coding or a 'none' mark)" in stderr


@pytest.mark.parametrize("coder, said", [
    ("human", "the 4 of 10 respondents coded by people"),
    # a project coded before ``code`` marked what it read (this one): every response of a question it coded
    ("machine", "the 10 of 10 respondents whose answers the machine read"),
    ("auto", "the 10 of 10 respondents coded by people (a coding or a 'none' mark) or whose answers the machine read"),
])
def test_the_base_is_said_beside_the_coder_counts(project, coder, said):
    _, stderr = _compare(project, coder)
    assert f"base (--coder {coder}): {said}" in stderr
    assert f"codings used (--coder {coder})" in stderr


def test_compare_notes_name_the_base(project):
    result = _run("compare", "-g", str(project), *GROUPS, "--coder", "human")
    assert "note: Partners: from respondent-level codings (3 respondents read by --coder human)" in result.stderr


def test_reweighting_counts_the_regions_of_who_the_coder_read(project):
    # people read p0, p1 (Africa: research 1 of 2) and p2 (Europe: research 1 of 1); an equal
    # mix gives 0.5 * 1/2 + 0.5 * 1 = 75% (over every Europe member it would be 1 of 4: 38%)
    result = _run("compare", "-g", str(project), *GROUPS, "--coder", "human", "--reweight", "region",
                  "--mix", "Africa=0.5,Europe=0.5", "-f", "csv")
    research = next(r for r in csv.DictReader(result.stdout.splitlines())
                    if r["concept"] == "tactic/research" and r["stance"] == "raised")
    assert float(research["partner_share"]) == pytest.approx(0.75)


@pytest.mark.parametrize("coder, partners, national", [("human", 3, 1), ("ana", 3, 0), ("machine", 6, 4), ("auto", 6, 4)])
def test_stats_lists_the_bases_compare_uses(project, coder, partners, national):
    result = _run("stats", "-g", str(project), "--coder", coder, "-f", "csv")
    read = {r["id"]: int(r["count"]) for r in csv.DictReader(result.stdout.splitlines())
            if r["section"] == f"read by --coder {coder}"}
    assert (read.get("group/partner"), read.get("group/national-entity", 0)) == (partners, national)


def test_report_numbers_and_base_under_human(project, tmp_path):
    out = tmp_path / "report.html"
    _run("report", "-g", str(project), "--coder", "human", "--no-graph", "-o", str(out))
    html = out.read_text(encoding="utf-8")
    assert "67% (2 of 3)" in html and "100% (1 of 1)" in html
    assert "33% (2 of 6)" not in html and "17% (1 of 6)" not in html  # the machine's figures are not in it
    assert "Base of every share: the 4 of 10 respondents coded by people" in html
    assert "Respondents read by --coder human" in html


def test_network_base_is_who_the_coder_read(project):
    from consultgraph.queries.network import incidence

    graph = Consultation.open(project)
    assert incidence(graph.with_coder("human")).base == 4
    assert incidence(graph.with_coder("machine")).base == 10


def test_builtin_dataset_keeps_every_member(amnesty):
    for coder in ("auto", "human", "machine"):
        assert amnesty.readers(coder) is None
    result = _run("compare", "--groups", "partner,national-entity", "--by", "tactic", "--coder", "human")
    assert "base (" not in result.stderr and "read by --coder" not in result.stdout

