"""Output ergonomics (issue 13): format from the extension, pipes, modes, tables that fit, tidy layouts."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from consultgraph.cli import main


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), catch_exceptions=False, env=env)


# problem 1: -o t.xlsx without -f is a workbook; -o - is standard output
def test_format_follows_the_extension(tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "t.xlsx"
    result = run("compare", "--groups", "partner,NE", "--by", "tactic", "-o", str(out))
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out)["comparison"]
    header = [c.value for c in sheet[1]]
    assert "partner_count" in header and "national_entity_share" in header
    csv_out = tmp_path / "t.csv"
    run("stats", "-o", str(csv_out))
    assert csv_out.read_text().startswith("section,") or "," in csv_out.read_text().splitlines()[0]
    json_out = tmp_path / "t.json"
    run("stats", "-o", str(json_out))
    assert isinstance(json.loads(json_out.read_text()), list)


def test_format_and_extension_that_disagree_is_one_line_error(tmp_path):
    result = CliRunner().invoke(main, ["stats", "-f", "csv", "-o", str(tmp_path / "t.xlsx")])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: {tmp_path / 't.xlsx'}: -f csv does not match the file extension .xlsx (use -f xlsx, or name the file t.csv)"]
    assert not (tmp_path / "t.xlsx").exists()


def test_dash_is_standard_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("stats", "-f", "csv", "-o", "-")
    assert result.exit_code == 0
    assert not (tmp_path / "-").exists()
    assert next(csv.reader(io.StringIO(result.stdout)))
    result = CliRunner().invoke(main, ["stats", "-f", "xlsx", "-o", "-"])
    assert result.exit_code == 2 and "xlsx cannot go to standard output" in result.output


# problem 10: files follow the umask, not 0600
def test_files_are_created_with_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        run("stats", "-o", str(tmp_path / "s.csv"))
        run("compare", "--groups", "partner,NE", "--by", "tactic", "-o", str(tmp_path / "c.xlsx"))
        run("export", "-f", "json", "-o", str(tmp_path / "g.json"))
    finally:
        os.umask(old)
    for name in ("s.csv", "c.xlsx", "g.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name


def test_one_meaning_per_short_option():
    meanings = {}

    def walk(group, prefix=()):
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                walk(command, prefix + (name,))
                continue
            for param in command.params:
                for option in [*param.opts, *param.secondary_opts]:
                    if len(option) == 2:
                        meanings.setdefault(option, {})[param.name] = " ".join(prefix + (name,))

    walk(main)
    clashes = {option: names for option, names in meanings.items() if len(names) > 1}
    assert not clashes


# problem 2: tables fit the terminal; flags become footnotes; p/q compact; shares as percents
def test_compare_table_fits_the_terminal_with_footnotes():
    result = run("compare", "--groups", "partner,NE,IS", "--by", "idea", env={"COLUMNS": "100"})
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert "source says" not in "".join(line for line in lines if line.startswith("Adopt"))
    start = max(i for i, line in enumerate(lines) if line.startswith("─")) + 1
    start += next(i for i, line in enumerate(lines[start:]) if re.match(r"^ ?1 ", line))
    texts = []
    for line in lines[start:]:
        if re.match(r"^ ?\d+ ", line):
            texts.append(line.split(None, 1)[1])
        else:
            texts[-1] += " " + line.strip()
    assert len(texts) == len(set(texts)) > 3  # each flag explained once


def test_p_and_q_are_compact_and_shares_percent():
    result = run("compare", "--groups", "partner,NE", "--by", "tactic", env={"COLUMNS": "120"})
    research = next(line for line in result.stdout.splitlines() if line.startswith("Research"))
    assert research.split()[-2:] == ["<0.001", "<0.001"]
    consensus = run("consensus", "--groups", "partner,NE", "--by", "tactic", env={"COLUMNS": "160"}).stdout
    assert "87%" in consensus and "0.868" not in consensus


def test_wide_keeps_the_plain_layout():
    result = run("compare", "--groups", "partner,NE", "--by", "tactic", "--wide")
    assert " | " in result.stdout and "flags" in result.stdout.splitlines()[0]


def test_colour_only_on_a_terminal(monkeypatch):
    from consultgraph.cli.base import use_color

    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(Tty()) and not use_color(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(Tty())
    assert "\x1b[" not in run("stats").stdout


# problem 4: simple wide column names, tidy layout
def test_tidy_layout_one_row_per_group_concept_stance(tmp_path, kite_long):
    project = str(tmp_path / "p")
    run("load", str(kite_long), "--into", project, "-q")
    out = run("compare", "-g", project, "--groups", "partner,national-entity", "--by", "theme", "--layout", "tidy",
              "-f", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["group", "group_label", "concept", "label", "stance", "count", "base", "share",
                             "ci_low", "ci_high", "basis", "source_line", "base_note"]
    # by hand: climate support = p3 (1 of 3 partners); climate lead = n2 (1 of 3 NEs)
    cells = {(r["group"], r["stance"]): (r["count"], r["base"]) for r in rows if r["concept"] == "theme/environment-climate"}
    assert cells[("group/partner", "support")] == ("1", "3")
    assert cells[("group/national-entity", "lead")] == ("1", "3")
    assert {r["basis"] for r in rows} == {"respondents"}


def test_tidy_for_stances_and_consensus():
    stances = list(csv.DictReader(io.StringIO(run("stances", "--concept", "climate", "--layout", "tidy", "-f", "csv").stdout)))
    ne = next(r for r in stances if r["group"] == "group/national-entity" and r["stance"] == "support")
    assert (ne["base"], ne["share"], ne["source_line"]) == ("53", "0.36", "286")
    consensus = json.loads(run("consensus", "--groups", "partner,NE", "--by", "tactic", "--layout", "tidy", "-f", "json").stdout)
    assert {(r["group"], r["count"], r["base"]) for r in consensus if r["concept"] == "tactic/coalitions"} == {
        ("group/partner", 66, 74), ("group/national-entity", 46, 53)}


# problem 8: --top and full precision
@pytest.fixture(scope="module")
def seattle_project(shared_data, tmp_path_factory):
    project = str(tmp_path_factory.mktemp("polis") / "public")
    assert run("load", str(shared_data / "polis" / "15-per-hour-seattle"), "--into", project, "-q").exit_code == 0
    return project


def test_consensus_top_and_full_precision(seattle_project):
    project = seattle_project
    groups = "15-per-hour-seattle/polis-A,15-per-hour-seattle/polis-B"
    ten = run("consensus", "-g", project, "--groups", groups, "--by", "statement", "-f", "json")
    assert len(json.loads(ten.stdout)) == 10 and "--top 0 shows all" in ten.stderr
    every = json.loads(run("consensus", "-g", project, "--groups", groups, "--by", "statement", "--top", "0", "-f", "json").stdout)
    assert len(every) > 10
    three = list(csv.DictReader(io.StringIO(run("consensus", "-g", project, "--groups", groups, "--by", "statement",
                                                "--top", "3", "-f", "csv").stdout)))
    assert len(three) == 3
    assert float(three[0]["consensus"]) == every[0]["consensus"]
    assert len(three[0]["consensus"].split(".")[1]) > 4
    contention = json.loads(run("contention", "-g", project, "--groups", groups, "--by", "statement", "--top", "0",
                                "-f", "json").stdout)
    assert len(contention) > 20


# problem 7: stats lists every group with id, parts, size and where it comes from
def test_stats_lists_groups_with_ids_parts_and_size_sources():
    rows = json.loads(run("stats", "-f", "json").stdout)
    groups = {r["id"]: r for r in rows if r["section"] == "group"}
    assert groups["group/international-secretariat"]["count"] == 26 + 11  # its two parts, lines 60
    assert "parts: group/global-network, group/is-office" in groups["group/international-secretariat"]["detail"]
    assert groups["group/partner"]["detail"] == "stated (line 74)"
    named = {r["id"]: r for r in rows if r["section"] == "respondents in the graph"}
    assert named["group/national-entity"]["count"] == 18
    assert named["group/national-entity"]["detail"] == "quoted by name (not counted in the size)"
    # the label stats shows is the one compare shows
    table = run("compare", "--groups", "IS,NE", "--by", "theme", "-f", "json").stdout
    assert "international_secretariat_cell" in table
    assert groups["group/international-secretariat"]["name"] == "International Secretariat"


def test_stats_lists_opinion_groups(seattle_project):
    rows = json.loads(run("stats", "-g", seattle_project, "-f", "json").stdout)
    groups = {r["id"]: r for r in rows if r["section"] == "group"}
    polis_a = groups["group/15-per-hour-seattle/polis-A"]
    assert polis_a["count"] > 0 and polis_a["detail"].startswith("members of the opinion group")
    assert "group/15-per-hour-seattle/polis-A" in groups["group/public"]["detail"]
    compare = run("compare", "-g", seattle_project, "--groups", "group/15-per-hour-seattle/polis-A,"
                  "group/15-per-hour-seattle/polis-B", "--by", "statement", "-f", "json")
    assert compare.exit_code == 0


# problem 6: the REFI-QDA export carries every coding of every respondent, and stances
def test_qdpx_export_carries_every_coding_and_says_what_it_holds(tmp_path):
    from consultgraph.graph.consultation import Consultation
    from consultgraph.loaders.qdpx import read_qdpx

    examples = Path(__file__).resolve().parents[1] / "examples"
    project = str(tmp_path / "p")
    files = [examples / name for name in ("codebook.csv", "submissions-long.csv", "submissions-wide.csv", "quotes.yaml")]
    assert run("load", *map(str, files), "--into", project, "-q").exit_code == 0
    graph = Consultation.open(project)
    out = tmp_path / "p.qdpx"
    result = run("export", "-g", project, "-o", str(out))  # the format follows the extension
    held = read_qdpx(out)
    people, codings = graph.respondents(), graph.codings()
    assert len(held.cases) == len(people) == 40
    assert sum(len(case.codes) for case in held.cases) == len(codings[["respondent", "concept"]].drop_duplicates())
    stances = codings[codings["stance"] != "mention"]
    assert sum(1 for case in held.cases for name in case.variables if name.startswith("stance: ")) == len(
        stances[["respondent", "concept"]].drop_duplicates()) > 0
    assert result.stderr.startswith(f"wrote {len(held.codes)} codes, 40 cases, ")
    assert f"{sum(len(case.codes) for case in held.cases)} case-level codings" in result.stderr
    # and back: the codebook first (its groups and codes), then the file
    back = str(tmp_path / "back")
    run("load", str(examples / "codebook.csv"), "--into", back, "-q")
    assert run("load", str(out), "--group-variable", "group", "--region-variable", "region", "--into", back,
               "-q").exit_code == 0
    again = Consultation.open(back)

    def by_label(of):
        label = dict(zip(of.respondents()["id"], of.respondents()["label"]))
        table = of.codings()
        return sorted(zip(table["respondent"].map(label), table["concept"], table["stance"]))

    assert by_label(again) == by_label(graph)


def test_a_narrow_table_never_cuts_text_off():
    result = run("consensus", "--groups", "partner,national-entity", "--by", "tactic", env={"COLUMNS": "100"})
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert "every group at" in result.stdout  # wrapped within its column, not cropped at the edge
