"""The graph page kept per project generation: same page, read back without pandas."""

import subprocess
import sys
from pathlib import Path

import pytest

from consultgraph.graph.consultation import Consultation
from consultgraph.loaders import load
from consultgraph.outputs import graph_page
from consultgraph.outputs.visual import graph_html

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
def project(tmp_path):
    folder = tmp_path / "p"
    load([EXAMPLES / "codebook.csv", EXAMPLES / "submissions-wide.csv"], into=folder)
    return folder


def _views(project):
    return sorted(p.name for p in (project / ".cache").glob("graph-page-*.json"))


def test_the_page_is_drawn_once_per_generation_and_options(project, monkeypatch):
    graph = Consultation.open(project)
    first = graph_page.graph_page(graph, kinds="group,theme")
    assert first == graph_html(Consultation.open(project), kinds="group,theme")
    assert len(_views(project)) == 1

    def fail(graph, options):
        raise AssertionError("drawn again")

    monkeypatch.setattr(graph_page, "_render", fail)
    assert graph_page.graph_page(Consultation.open(project), kinds="group,theme") == first
    with pytest.raises(AssertionError, match="drawn again"):  # other options: another page
        graph_page.graph_page(Consultation.open(project), kinds="group")


def test_a_new_generation_draws_again_and_drops_the_old_views(project, tmp_path):
    graph_page.graph_page(Consultation.open(project))
    graph_page.graph_page(Consultation.open(project), kinds="group,theme")
    old = _views(project)
    assert len(old) == 2 and all("-g000001-" in name for name in old)
    more = tmp_path / "more.csv"
    more.write_text("id,group,region,Research\nz9,partner,Africa,1\n", encoding="utf-8")
    load([more], into=project, fmt="wide")
    graph = Consultation.open(project)
    page = graph_page.graph_page(graph)
    assert page == graph_html(Consultation.open(project)) and "z9" in page
    assert [name for name in _views(project)] and all("-g000002-" in name for name in _views(project))


def test_another_coder_or_a_graph_in_memory_is_drawn_each_time(project):
    graph_page.graph_page(Consultation.open(project).with_coder("human"))
    graph_page.graph_page(load([EXAMPLES / "codebook.csv"], graph=Consultation()).graph)
    assert _views(project) == []


def test_viz_of_a_page_drawn_before_imports_no_pandas(project, tmp_path):
    code = ("import sys; from consultgraph.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print('pandas' in sys.modules, file=sys.stderr)")
    argv = [sys.executable, "-c", code, "viz", "-g", str(project), "-o", str(tmp_path / "g.html")]
    first = subprocess.run(argv, capture_output=True, text=True, check=True)
    again = subprocess.run(argv, capture_output=True, text=True, check=True)
    assert first.stderr.strip().endswith("True") and again.stderr.strip().endswith("False"), again.stderr
    assert (tmp_path / "g.html").read_text(encoding="utf-8") == graph_html(Consultation.open(project))
