"""The review loop's "none apply" answer (issue 12): a reviewed response with no code is a coded response."""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

from consultgraph.cli import main
from consultgraph.coding.review import read_review, review_items
from consultgraph.coding.run import code
from consultgraph.errors import InputError
from consultgraph.graph.consultation import Consultation
from consultgraph.loaders import load
from tests.conftest import FREE_TEXT_ANSWERS, FREE_TEXT_CODES

# The rules code Research on p1/q1, n1/q1 and n2/q1, Advocacy on p1/q2, p2/q1 and p3/q1.
CODES, ANSWERS = FREE_TEXT_CODES, FREE_TEXT_ANSWERS


@pytest.fixture
def project(tmp_path):
    (tmp_path / "codes.ttl").write_text(CODES, encoding="utf-8")
    (tmp_path / "answers.csv").write_text(ANSWERS, encoding="utf-8")
    load([tmp_path / "codes.ttl", tmp_path / "answers.csv"], into=tmp_path / "project", options={"text_columns": "q1,q2"})
    return tmp_path / "project"


def _sheet(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_none_is_recorded_and_an_empty_row_is_skipped(project, tmp_path):
    sheet = _sheet(tmp_path / "review.csv", "response,codes,coder\nresponse/p1/q1,none,ann\nresponse/n1/q1,,ann\n"
                                            "response/n2/q1,Research,ann\nresponse/p3/q1, NONE ,\n")
    review = read_review(Consultation.open(project), sheet, reviewer="bob")
    assert (review.codings, review.no_code, review.skipped) == (1, 2, 1)
    assert review.graph.no_code() == {"response/p1/q1": ("ann",), "response/p3/q1": ("bob",)}
    # a coder who only answered "none" is a coder with no codings, not an unknown name
    assert len(review.graph.codings("bob")) == 0 and review.graph.coders_used("bob") == {"human": 1, "machine": 0}
    assert review.graph.coders_used("ann") == {"human": 2, "machine": 0}
    review.graph.save(project)  # stored as the Response's no_code_by: it survives a reopen
    assert Consultation.open(project).no_code() == review.graph.no_code()


def test_none_counts_as_coded_for_auto_the_rules_and_the_next_review(project, tmp_path):
    sheet = _sheet(tmp_path / "review.csv", "response,codes,coder\nresponse/p1/q1,none,ann\n")
    runner = CliRunner()
    result = runner.invoke(main, ["code", "-g", str(project), "-q", "--reviewed", str(sheet)])
    assert result.exit_code == 0, result.output
    assert "recorded 0 reviewed codings and 1 response where no code applies ('none')" in result.stderr
    graph = Consultation.open(project)
    machine, auto = graph.codings("machine"), graph.codings("auto")
    assert "response/p1/q1" in set(machine["response"])  # the machine still codes it (for agreement) ...
    assert "response/p1/q1" not in set(auto["response"])  # ... but auto takes people's answer: no code
    assert graph.coders_used() == {"human": 1, "machine": len(set(machine["response"])) - 1}
    # the Research rule fired once where people said no code applies: (0 + 0.7 * 4) / (1 + 4), was 0.7
    research = machine[machine["concept"] == "idea/research"]
    assert set(research["confidence"].round(4)) == {0.56}
    result = runner.invoke(main, ["compare", "-g", str(project), "--groups", "partner,national-entity", "--by", "idea",
                                  "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert "people's for 1 responses, the machine's for 5" in result.stderr
    # p1's Research (the rules' only partner hit) is gone under auto: people said no code applies there
    research = next(row for row in csv.DictReader(result.stdout.splitlines()) if row["concept"] == "idea/research")
    assert (research["partner_cell"], research["national_entity_cell"]) == ("0% (0 of 3)", "67% (2 of 3)")
    # the next review does not ask for it again
    asked = {row["response"] for row in review_items(code(graph), 20)}
    assert "response/p1/q1" not in asked and "response/n1/q1" in asked


def test_none_is_a_negative_for_every_learned_code(project, tmp_path):
    """Four responses people coded, then a fifth they found no code for: the model learns a row of zeros."""
    (tmp_path / "coded.csv").write_text("respondent,question,code,coder\np1,q1,idea/research,ann\n"
                                        "p2,q1,idea/advocacy,ann\nn1,q1,idea/research,ann\nn3,q1,idea/advocacy,ann\n",
                                        encoding="utf-8")
    graph = load([tmp_path / "coded.csv"], into=project).graph
    before = code(graph, rules=False).predictions["question/q1"][2]
    sheet = _sheet(tmp_path / "review.csv", "response,codes,coder\nresponse/n2/q1,none,ann\n")
    after = code(read_review(graph, sheet).graph, rules=False).predictions["question/q1"][2]
    zeros = [int((model.neighbour_labels.sum(axis=1) == 0).sum()) for model in (before, after)]
    assert zeros[1] == zeros[0] + 1 and len(after.neighbour_labels) == len(before.neighbour_labels) + 1
    # every coded response had a code before (so one code each); now one has none: thresholds decide
    assert before.cardinality == 1 and after.cardinality is None and before.coder != after.coder


def test_a_new_review_replaces_the_coder_s_earlier_one(project, tmp_path):
    graph = Consultation.open(project)
    graph = read_review(graph, _sheet(tmp_path / "a.csv", "response,codes,coder\nresponse/n2/q1,Research,ann\n"
                                                          "response/n1/q1,Research,bob\n")).graph
    graph = read_review(graph, _sheet(tmp_path / "b.csv", "response,codes,coder\nresponse/n2/q1,none,ann\n")).graph
    assert len(graph.codings("ann")) == 0 and graph.no_code() == {"response/n2/q1": ("ann",)}
    graph = read_review(graph, _sheet(tmp_path / "c.csv", "response,codes,coder\nresponse/n2/q1,Advocacy,ann\n")).graph
    assert list(graph.codings("ann")["concept"]) == ["idea/advocacy"] and graph.no_code() == {}
    assert list(graph.codings("bob")["response"]) == ["response/n1/q1"]  # another coder's review stays


def test_bad_none_rows_refuse_the_whole_file(project, tmp_path):
    graph = Consultation.open(project)
    sheet = _sheet(tmp_path / "review.csv", "response,codes,coder\nresponse/p1/q1,none,ann\nresponse/n1/q1,none; Research,ann\n")
    with pytest.raises(InputError, match=r"review.csv, line 3, field 'codes': 'none' \(no code applies\) and codes"):
        read_review(graph, sheet)
    sheet = _sheet(tmp_path / "review.csv", "response,codes,coder\nresponse/p1/q1,none,ann\nresponse/n1/q1,Reserch,ann\n")
    with pytest.raises(InputError, match=r"line 3, field 'codes': unknown .*'Reserch'"):
        read_review(graph, sheet)
    assert graph.no_code() == {} and len(graph.codings("human")) == 0


def test_review_files_say_how_to_answer_none(project, tmp_path):
    import openpyxl

    from consultgraph.coding.review import REVIEW_COLUMNS, codebook_rows
    from consultgraph.outputs.review import write_review

    runner = CliRunner()
    result = runner.invoke(main, ["code", "-g", str(project), "-q", "--review", "3", "-o", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 0, result.output
    assert "write 'none' when no code applies" in result.stderr and "left empty: the row is skipped" in result.stderr
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    instructions = " ".join(str(row[0].value) for row in book["instructions"].iter_rows())
    assert "'none'" in instructions and "skipped" in instructions
    header = [cell.value for cell in book["review"][1]]
    assert all(row[header.index("codes")].value in (None, "") for row in book["review"].iter_rows(min_row=2))
    # a .qdpx offers a "none apply" code: applied alone, it records the response as reviewed with no code
    run = code(Consultation.open(project))
    rows = review_items(run, 2)
    rows[0]["suggested"], rows[1]["suggested"] = "none apply", ""
    path = write_review(rows, codebook_rows(run.graph), tmp_path / "r.qdpx", columns=REVIEW_COLUMNS)
    review = read_review(run.graph, path, reviewer="cy")
    assert review.graph.no_code() == {rows[0]["response"]: ("cy",)} and review.skipped == 1


def test_agreement_counts_none_as_no_for_every_code(project, tmp_path):
    """ann: Research on n2/q1 (the rules agree), none on n3/q1 (the rules found nothing: agree), Advocacy on
    p1/q1 (the rules: Research). By hand, codes pooled: ann 1,0 / 0,0 / 0,1, rules 1,0 / 0,0 / 1,0: observed
    4/6, each says yes to 2 of 6, expected 5/9, kappa (4/6 - 5/9) / (4/9) = 0.25 on 3 responses (without the
    'none': 0 on 2)."""
    from consultgraph.coding.agreement import graph_agreement

    sheet = _sheet(tmp_path / "review.csv", "response,codes,coder\nresponse/n2/q1,Research,ann\n"
                                            "response/n3/q1,none,ann\nresponse/p1/q1,Advocacy,ann\n"
                                            "response/n1/q2,none,bob\n")
    graph = code(read_review(Consultation.open(project), sheet).graph, model=False).graph
    overall = graph_agreement(graph, ["ann", "machine:rules"], resamples=20, permutations=20).rows[0]
    assert (overall["scope"], overall["units"], overall["kappa"]) == ("overall", 3, 0.25)
    # bob only ever answered 'none': a coder, with one response
    overall = graph_agreement(graph, ["bob", "machine:rules"], resamples=20, permutations=20).rows[0]
    assert overall["units"] == 1


def test_nothing_left_to_review_writes_no_sheet(project, tmp_path):
    """Every one of the 11 responses reviewed (one 'none'): --review has nothing to ask and says so."""
    graph = Consultation.open(project)
    rows = ["response,codes,coder"] + [f"{r},{'none' if i == 0 else 'Research'},ann" for i, r in enumerate(graph.responses()["id"])]
    sheet = _sheet(tmp_path / "all.csv", "\n".join(rows) + "\n")
    out = tmp_path / "next.csv"
    result = CliRunner().invoke(main, ["code", "-g", str(project), "-q", "--reviewed", str(sheet), "--review", "5",
                                       "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"nothing to review: each of the 11 responses has people's codes or a 'none' answer; {out} not written" \
        in result.stderr
    assert not out.exists()


def test_a_mistyped_coder_fails_before_any_output(project, tmp_path):
    sheet = _sheet(tmp_path / "review.csv", "response,codes,coder\nresponse/n2/q1,Research,anne\n")
    runner = CliRunner()
    assert runner.invoke(main, ["code", "-g", str(project), "-q", "--reviewed", str(sheet)]).exit_code == 0
    for command in (["stats"], ["compare", "--groups", "partner,NE", "--by", "idea"]):
        result = runner.invoke(main, [*command, "-g", str(project), "--coder", "ane"])
        assert result.exit_code == 1 and result.stdout == "", result.output
        assert result.stderr.startswith("Error: unknown coder 'ane' (nearest: anne); choose one of: all, anne, auto")


def test_a_coder_name_on_a_project_with_no_codings_is_unknown(project):
    """Before any coding, no coder has a name: 'anne' is refused, the choices still work."""
    runner = CliRunner()
    result = runner.invoke(main, ["stats", "-g", str(project), "--coder", "anne"])
    assert result.exit_code == 1 and result.stdout == "", result.output
    assert result.stderr.startswith("Error: unknown coder 'anne'; choose one of: all, auto, human, machine")
    assert runner.invoke(main, ["stats", "-g", str(project), "--coder", "human"]).exit_code == 0


def test_a_code_named_twice_in_a_row_is_one_coding(project, tmp_path):
    """'Advocacy; lobbying' names one code twice (label and altLabel): one coding, and the count says 1."""
    sheet = _sheet(tmp_path / "review.csv", "response,codes,coder\nresponse/p1/q2,Advocacy; lobbying,ann\n")
    review = read_review(Consultation.open(project), sheet)
    assert review.codings == 1 and list(review.graph.codings("ann")["concept"]) == ["idea/advocacy"]


def test_a_sheet_returned_unfilled_says_nothing_was_recorded(project, tmp_path):
    sheet = _sheet(tmp_path / "review.csv", "response,codes,coder\nresponse/p1/q1,,\nresponse/n1/q1,,\n")
    result = CliRunner().invoke(main, ["code", "-g", str(project), "-q", "--reviewed", str(sheet)])
    assert result.exit_code == 0, result.output
    assert f"nothing recorded from {sheet}: 2 rows, every 'codes' cell empty (write the codes" in result.stderr


def test_a_qdpx_returned_without_codings_speaks_of_sources(project, tmp_path):
    from consultgraph.coding.review import REVIEW_COLUMNS, codebook_rows
    from consultgraph.outputs.review import write_review

    run = code(Consultation.open(project))
    rows = review_items(run, 2)
    for row in rows:
        row["suggested"] = ""  # nothing suggested, nothing applied: the reviewer left both sources alone
    path = write_review(rows, codebook_rows(run.graph), tmp_path / "r.qdpx", columns=REVIEW_COLUMNS)
    result = CliRunner().invoke(main, ["code", "-g", str(project), "-q", "--reviewed", str(path)])
    assert result.exit_code == 0, result.output
    assert f"nothing recorded from {path}: 2 sources, none with a coding (apply the codes" in result.stderr
    assert "row" not in result.stderr


def test_a_none_answer_outlives_loading_the_answers_again(project, tmp_path):
    """Reloading the same table (after a code, so the load runs in full) replaces the Response nodes: ann's
    'none' on p1/q1 must stay, and so must the text."""
    sheet = _sheet(tmp_path / "review.csv", "response,codes,coder\nresponse/p1/q1,none,ann\n")
    runner = CliRunner()
    assert runner.invoke(main, ["code", "-g", str(project), "-q", "--reviewed", str(sheet)]).exit_code == 0
    load([tmp_path / "answers.csv"], into=project, options={"text_columns": "q1,q2"}, force=True)
    graph = Consultation.open(project)
    assert graph.no_code() == {"response/p1/q1": ("ann",)}
    assert graph.responses().set_index("id").loc["response/p1/q1", "text"] == "We need more research on climate."


def test_a_review_file_of_an_unknown_type_is_refused_before_coding(project, tmp_path):
    before = sorted(p.name for p in project.iterdir())
    result = CliRunner().invoke(main, ["code", "-g", str(project), "-q", "--review", "3", "-o", str(tmp_path / "r.pdf")])
    assert result.exit_code == 1
    assert result.stderr == "Error: unknown review file type '.pdf'; choose one of: .csv, .qdpx, .tsv, .xlsx\n"
    assert sorted(p.name for p in project.iterdir()) == before  # the project was not coded and written


def test_a_review_sheet_given_to_load_says_to_use_code_reviewed(project, tmp_path):
    sheet = _sheet(tmp_path / "review.csv", "response,respondent,question,text,suggested,codes,coder,uncertainty,check\n"
                                            "response/p1/q1,respondent/p1,question/q1,x,,Research,ann,,abc\n")
    result = CliRunner().invoke(main, ["load", str(sheet), "--into", str(project)])
    assert result.exit_code == 1
    assert "this is a review sheet from `consultgraph code --review`" in result.stderr
    assert "--reviewed review.csv" in result.stderr


def test_no_quote_for_this_coder_says_where_the_evidence_is(project, tmp_path):
    sheet = _sheet(tmp_path / "review.csv", "response,codes,coder\nresponse/p1/q1,Research,ann\n")
    runner = CliRunner()
    assert runner.invoke(main, ["code", "-g", str(project), "-q", "--reviewed", str(sheet)]).exit_code == 0
    result = runner.invoke(main, ["quotes", "-g", str(project), "--coder", "ann"])
    assert result.exit_code == 0, result.output
    assert "0 quote(s)" in result.stderr and "more with --coder all (the machine's evidence" in result.stderr
    machine = runner.invoke(main, ["quotes", "-g", str(project), "--coder", "all"])
    assert "note:" not in machine.stderr and "0 quote(s)" not in machine.stderr
