"""The source's caveats are data; consensus and contention read the same everywhere; the audit by hand."""

from __future__ import annotations

import html
import re

import pytest
from click.testing import CliRunner

from consultgraph.queries.compare import compare
from consultgraph.queries.consensus import consensus, contention
from consultgraph.queries.metadata import dataset_metadata

METADATA = """title: Kite consultation (test)
question_type: closed
caveats:
  - text: only six respondents answered
    source_line: 3
questions:
  - key: tools
    title: Which tools
    kinds: [tactic]
"""


def section(page, key):
    match = re.search(rf'<section class="question" id="{key}">(.*?)</section>', page, re.S)
    assert match, f"no section {key}"
    return html.unescape(match.group(1))


# ---------------------------------------------------------------- caveats and labels
def test_builtin_metadata_quotes_the_source(amnesty):
    from tests.conftest import SOURCE_TEXT

    meta = dataset_metadata(amnesty)
    assert meta.open_ended and meta.title.startswith("Amnesty International next global strategy")
    if SOURCE_TEXT.exists():
        lines = SOURCE_TEXT.read_text(encoding="utf-8").splitlines()
        for caveat in meta.caveats:
            assert " ".join(caveat.text.split()) in " ".join(lines[caveat.source_line - 1].split())


def test_open_ended_differences_are_mention_rates_not_contention(amnesty):
    result = compare(amnesty, "partner,national-entity", by="tactic")
    research = next(r for r in result.rows if r["concept"] == "tactic/research" and r["stance"] == "raised")
    assert research["reading"] == "mentioned more often by National entities"
    rows = contention(amnesty, "partner,national-entity", by="tactic")
    assert {r["kind"] for r in rows} <= {"mentioned more often", "stance-split", "source"}
    assert any("source line 64" in c for c in rows.caveats)
    assert any("source line 199" in c and "Partners" in c for c in rows.caveats)


def test_a_group_without_counts_does_not_empty_contention(amnesty):
    rows = contention(amnesty, "partner,NE,IS", by="tactic")
    research = next(r for r in rows if r["concept"] == "tactic/research")
    assert research["Partners"] == "23% (17 of 74)" and research["National entities"] == "69% (37 of 53)"
    assert research["International Secretariat"].startswith("qualitative")
    assert "no figure for International Secretariat" in research["reason"]


def test_cli_prints_the_caveat_under_the_compare_table():
    from consultgraph.cli import main

    result = CliRunner().invoke(main, ["compare", "--groups", "partner,national-entity", "--by", "tactic"],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    table, _, under = result.stdout.partition("caveat (source line 64)")
    assert "raised (any stance)" in table and "41% (30 of 74), stated as lead" in table
    assert "doesn't necessarily point to disagreement" in " ".join(under.split())


def test_a_projects_metadata_file_is_stored_and_read_back(tmp_path, kite_long):
    from consultgraph.cli import main
    from consultgraph.graph.consultation import Consultation
    from consultgraph.outputs.report import report_html

    meta = tmp_path / "metadata.yaml"
    meta.write_text(METADATA, encoding="utf-8")
    project = tmp_path / "kite-project"
    result = CliRunner().invoke(main, ["load", str(kite_long), str(meta), "--into", str(project)])
    assert result.exit_code == 0, result.output
    graph = Consultation.open(project)
    declared = dataset_metadata(graph)
    assert declared.question_type == "closed" and declared.caveats[0].source_line == 3
    rows = contention(graph, "partner,national-entity", by="tactic", min_difference=30)
    assert {r["kind"] for r in rows} == {"between-groups"}  # closed questions: a difference is a difference
    assert rows.caveats == ["caveat (source line 3): \u201conly six respondents answered\u201d"]
    page = report_html(graph, graph_section=False)
    assert "<h1>Kite consultation (test)</h1>" in page and "Which tools" in page
    assert "only six respondents answered" in section(page, "tools")


def test_a_bad_metadata_file_names_the_field(tmp_path, kite_long):
    from consultgraph.errors import InputError
    from consultgraph.loaders import load

    meta = tmp_path / "metadata.yaml"
    meta.write_text("title: x\nquestion_type: multiple-choice\n", encoding="utf-8")
    with pytest.raises(InputError, match="question_type 'multiple-choice' is not one of open-ended, closed"):
        load([kite_long, meta])


# ---------------------------------------------------------------- the report agrees with the CLI
def test_report_and_contention_agree(amnesty):
    from consultgraph.outputs.report import report_html

    page = report_html(amnesty, graph_section=False)
    tactics = section(page, "tactics")
    assert "Contention and differences in mention rates: none found" not in tactics
    assert "Found with: consultgraph contention --groups " in tactics
    rows = contention(amnesty, "partner,national-entity", by="tactic")
    assert rows
    for row in rows:
        if row["kind"] == "mentioned more often":
            # the same concept, kind and cells in the report's table
            assert re.search(rf"<td>{re.escape(row['label'])}</td><td>mentioned more often</td>", tactics)
            assert f"<td>{row['Partners']}</td>" in tactics and f"<td>{row['National entities']}</td>" in tactics


def test_report_of_a_hand_made_project_has_none_of_the_2019_questions(kite):
    from consultgraph.loaders import builtin
    from consultgraph.outputs.report import report_html

    page = report_html(kite, graph_section=False)
    for question in dataset_metadata(builtin()).questions:
        assert question.title not in page
        if question.intro:
            assert question.intro not in page
    assert "amnesty" not in page.lower()
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", page)
    assert cells and not {"nan", "NaN", "None"} & set(cells)


def test_builtin_report_has_no_nan_and_its_title(amnesty):
    from consultgraph.outputs.report import report_html

    page = report_html(amnesty, graph_section=False)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", page)
    assert len(cells) > 100 and not {"nan", "NaN", "None"} & set(cells)
    assert "<h1>Amnesty International next global strategy consultation" in page
    assert "<h1>amnesty-2019</h1>" not in page


# ---------------------------------------------------------------- consensus and audit by hand
def test_consensus_on_the_kite_by_hand(kite):
    # research: partners 1 of 3, NEs 2 of 3; advocacy: partners 2 of 3, NEs 1 of 3
    assert [r["concept"] for r in consensus(kite, "partner,NE", by="tactic", threshold=0.5)] == []
    rows = consensus(kite, "partner,NE", by="tactic", threshold=0.3)
    assert sorted(r["concept"] for r in rows) == ["tactic/advocacy", "tactic/research"]
    assert all(r["stance"] == "raised" and r["lowest_share"] == pytest.approx(1 / 3) for r in rows)
    research = next(r for r in rows if r["concept"] == "tactic/research")
    assert (research["Partners"], research["National entities"]) == ("33% (1 of 3)", "67% (2 of 3)")
    assert rows.parameters["threshold"] == 0.3


def test_audit_on_the_kite_by_hand(kite_full):
    from consultgraph.queries.audit import audit

    problems = audit(kite_full)
    # c-s: "50% support climate" but 2 of 3 is 66.7%; nothing else is off
    assert [(p["check"], p["source_line"], p["stated"], p["expected"]) for p in problems] == [
        ("percent", 8, "50%", "66.7%")]
    assert audit(kite_full, tolerance=20) == []
