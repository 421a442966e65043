"""Progress bars: drawn on standard error only when it is a terminal; the report reports each section."""

from __future__ import annotations

import io

from click.testing import CliRunner

from consultgraph.cli.progress import Progress, progress_bar


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_bar_is_drawn_on_a_terminal_only():
    terminal, pipe = Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        progress = Progress("pushing", unit="row", stream=stream)
        progress(10, 40)
        progress(40, 40)
        if stream is terminal:
            assert (progress.bar.n, progress.bar.total) == (40, 40)
            progress.bar.refresh()
            assert "pushing: 100%" in terminal.getvalue() and "40/40" in terminal.getvalue()
        progress.close()
    assert pipe.getvalue() == ""
    quiet = Terminal()
    progress = Progress("pushing", stream=quiet, quiet=True)
    progress(1, 2)
    progress.close()
    assert quiet.getvalue() == ""


def test_a_new_stage_starts_the_bar_again_and_names_it():
    terminal = Terminal()
    progress = Progress("coding", stream=terminal)
    progress(2000, 5000, step="rules")
    progress(5000, 5000, step="rules")
    progress(0, 300, step="model")
    assert (progress.bar.n, progress.bar.total) == (0, 300)
    assert str(progress.bar).startswith("coding: model:   0%")
    progress.close()


def test_the_report_reports_every_section_in_order():
    from consultgraph.loaders import builtin
    from consultgraph.outputs.report import questions, report_html

    graph = builtin()
    calls = []
    report_html(graph, graph_section=False, progress=lambda done, total, step=None: calls.append((done, total, step)))
    sections = [q.title for q in questions(graph)]
    assert [c[2] for c in calls] == ["overview", *sections, "audit", "done"]
    assert [c[0] for c in calls] == list(range(0, len(sections) + 3))
    assert {c[1] for c in calls} == {len(sections) + 2}


def test_commands_print_no_bar_when_standard_error_is_not_a_terminal(tmp_path):
    from consultgraph.cli import main

    with progress_bar("anything", ticking=True) as progress:
        progress(1, 2)
    result = CliRunner().invoke(main, ["report", "--no-graph", "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    assert result.output.strip().startswith("wrote the report to") and "report:" not in result.output
