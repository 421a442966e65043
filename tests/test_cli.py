"""The command line: every command documented with an example, and the main paths work."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from consultgraph.cli import main


def all_commands(group=main, prefix=()):
    for name, command in sorted(group.commands.items()):
        yield prefix + (name,), command
        if isinstance(command, click.Group):
            yield from all_commands(command, prefix + (name,))


@pytest.mark.parametrize("path,command", list(all_commands()), ids=lambda x: " ".join(x) if isinstance(x, tuple) else "")
def test_every_command_has_help_with_an_example(path, command):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"`consultgraph {' '.join(path)} --help` shows no example"


def run(*args):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


def test_load_then_compare_as_json(tmp_path, kite_long):
    project = str(tmp_path / "p")
    result = run("load", str(kite_long), "--into", project, "-q")
    assert result.exit_code == 0, result.output
    result = run("compare", "-g", project, "--groups", "partner,national-entity", "--by", "tactic", "-f", "json")
    rows = json.loads(result.stdout)
    research = next(r for r in rows if r["concept"] == "tactic/research")
    assert (research["partner_count"], research["partner_base"]) == (1, 3)


def test_bad_input_is_one_clear_line_and_exit_1(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("respondent,group,code\nr1,partner,reserch\n")
    result = run("load", str(bad), "--into", str(tmp_path / "p"), "-q")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {bad}, line 2, field 'code': unknown code 'reserch'")
    assert not (tmp_path / "p" / "manifest.json").exists()


def test_csv_output_neutralises_formulas(tmp_path, kite_long):
    project = str(tmp_path / "p")
    run("load", str(kite_long), "--into", project, "-q")
    result = run("quotes", "-g", project, "-f", "csv")
    # nothing in the kite looks like a formula, so nothing is quoted
    assert result.exit_code == 0 and result.stdout.count("\n") > 1 and "'=" not in result.stdout
    hostile = tmp_path / "hostile.csv"
    hostile.write_text('respondent,group,code,quote\nr9,partner,research,"=HYPERLINK(""http://evil"")"\n')
    run("load", str(hostile), "--into", project, "-q")
    out = run("quotes", "-g", project, "-f", "csv", "--search", "HYPERLINK").stdout
    assert "'=HYPERLINK" in out


def test_xlsx_needs_an_output_file():
    result = CliRunner().invoke(main, ["stats", "-f", "xlsx"])
    assert result.exit_code == 2
    assert "xlsx cannot go to standard output: add -o FILE.xlsx" in result.output


def test_compare_xlsx_has_bases_in_their_own_columns(tmp_path, kite_long):
    from openpyxl import load_workbook

    project = str(tmp_path / "p")
    run("load", str(kite_long), "--into", project, "-q")
    out = tmp_path / "c.xlsx"
    result = run("compare", "-g", project, "--groups", "partner,NE", "--by", "tactic", "-f", "xlsx", "-o", str(out))
    assert result.exit_code == 0
    workbook = load_workbook(out)
    assert workbook.sheetnames == ["comparison", "notes"]
    header = [c.value for c in workbook["comparison"][1]]
    assert "partner_base" in header and "national_entity_base" in header


def test_export_formats(tmp_path, kite_long):
    project = str(tmp_path / "p")
    run("load", str(kite_long), "--into", project, "-q")
    for fmt, name in (("json", "g.json"), ("graphml", "g.graphml"), ("gexf", "g.gexf"), ("csv", "tables")):
        result = run("export", "-g", project, "-f", fmt, "-o", str(tmp_path / name))
        assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "tables").iterdir()) == ["edges.csv", "findings.csv", "nodes.csv"]
    import networkx as nx

    graph = nx.read_graphml(tmp_path / "g.graphml")
    assert graph.nodes["respondent/p1"]["kind"] == "Respondent"


def test_unknown_export_format_lists_choices(tmp_path):
    result = CliRunner().invoke(main, ["export", "-f", "pdf", "-o", str(tmp_path / "x")])
    assert result.exit_code == 1
    from consultgraph.outputs.export import exporters

    names = ", ".join(sorted(e.name for e in exporters()))
    assert result.stderr == f"Error: unknown export format 'pdf'; choose one of: {names}\n"
    assert "json, jsonld" in names


@pytest.mark.parametrize("command", [["stats"], ["push", "sparql", "--endpoint", "http://127.0.0.1:9"],
                                     ["query", "group-sizes"]])
def test_an_iri_for_the_project_is_a_usage_error_naming_named_graph(command):
    # -g is always the project; a SPARQL named graph is --named-graph IRI everywhere
    result = CliRunner().invoke(main, [*command, "-g", "https://example.org/amnesty"])
    assert result.exit_code == 2
    assert ("-g/--graph names a project, not the IRI 'https://example.org/amnesty': a SPARQL named graph is given "
            "with --named-graph IRI") in result.stderr


def test_every_named_graph_option_has_one_name():
    import click

    def walk(command, path=()):
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, (*path, name))
        else:
            yield path, command

    spellings = {opt for path, command in walk(main) for param in command.params for opt in param.opts
                 if "graph" in opt and opt not in ("-g", "--graph", "--no-graph")}  # --no-graph: the report's page
    assert spellings == {"--named-graph"}


@pytest.mark.parametrize("command, what", [("report", "report"), ("viz", "graph page")])
def test_report_and_graph_page_want_an_html_name(tmp_path, command, what):
    result = CliRunner().invoke(main, [command, "-o", str(tmp_path / "out.pdf")])
    assert result.exit_code == 2 and not (tmp_path / "out.pdf").exists()
    assert f"the {what} is one HTML file: name it .html (e.g. out.html)" in result.stderr


def test_discover_wants_a_turtle_draft(tmp_path):
    result = CliRunner().invoke(main, ["discover", "--draft", str(tmp_path / "themes.csv")])
    assert result.exit_code == 2 and not (tmp_path / "themes.csv").exists()
    assert "the draft is SKOS in Turtle: name it .ttl (e.g. themes.ttl)" in result.stderr


def test_empty_text_columns_is_a_usage_error(tmp_path):
    (tmp_path / "a.csv").write_text("id,q1\na,hello there\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["load", str(tmp_path / "a.csv"), "--text-columns", " , ", "--into",
                                       str(tmp_path / "p")])
    assert result.exit_code == 2 and "'--text-columns': names no column" in result.stderr
