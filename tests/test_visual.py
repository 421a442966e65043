"""The interactive graph page, the charts and the HTML report, checked as files.

A small consultation you can count by hand: the kite (three partners, three national
entities, see conftest), the public known only from published findings, and quotes one
of which tries to inject a script.
"""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from tests.conftest import KITE_LONG

HOSTILE = "<script>window.pwned=1</script> & <b>bold</b>"
FINDINGS = """id,group,measure,concept,stance,count,base,reported_percent,source_line,statement
gp,public,size,,,200,,,10,200 members of the public answered
f1,public,share,research,,120,200,60,11,60% of the public want research
f2,public,share,climate,lead,50,200,,12,a quarter put climate first
f3,public,qualitative,advocacy,,,,,13,Some doubted advocacy
"""
QUOTES = """text,group,illustrates,source_line
"Research is our bedrock",public,research,40
"Climate is everything <img src=x onerror=alert(1)>",public,climate,41
"""


def write_inputs(folder):
    """The three input files of the test consultation; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    kite = folder / "kite.csv"
    kite.write_text(KITE_LONG + f'n3,national-entity,Africa,climate,drop,,"{HOSTILE}"\n', encoding="utf-8")
    findings = folder / "findings.csv"
    findings.write_text(FINDINGS, encoding="utf-8")
    quotes = folder / "quotes.csv"
    quotes.write_text(QUOTES, encoding="utf-8")
    return [kite, findings, quotes]


@pytest.fixture
def hostile(tmp_path):
    from consultgraph.loaders import load

    return load(write_inputs(tmp_path / "inputs")).graph


def page_data(page):
    """The JSON the page draws from."""
    match = re.search(r'<script type="application/json" id="cg-data">(.*?)</script>', page, re.S)
    assert match, "no embedded graph data"
    return json.loads(match.group(1))


def remote_references(page):
    """src/href attributes that point at the network."""
    return re.findall(r'(?:src|href)\s*=\s*["\']?\s*(?:https?:)?//[^"\'\s>]+', page, re.I)


# ---------------------------------------------------------------------------- graph page
def test_graph_page_loads_nothing_from_the_network(hostile):
    from consultgraph.outputs.visual import graph_html

    page = graph_html(hostile)
    assert remote_references(page) == []
    assert not re.search(r"<script[^>]*\bsrc=", page, re.I)
    assert not re.search(r"<link[^>]*\bhref=", page, re.I)
    assert "new vis.Network" in page and "vis-network" in page  # the library is inlined


def test_data_texts_cannot_become_html(hostile):
    from consultgraph.outputs.visual import graph_html

    page = graph_html(hostile)
    # three script elements: vis-network, the data (JSON), the app; the quote closes none
    assert len(re.findall(r"</script", page, re.I)) == 3
    assert "<script>window.pwned" not in page and "<img src=x" not in page
    data = page_data(page)
    texts = [q["text"] for n in data["nodes"] for q in (n["tip"] or {}).get("quotes", [])]
    assert HOSTILE in texts  # the quote is kept, as text


def test_counts_in_the_page_match_the_consultation(hostile):
    from consultgraph.outputs.visual import graph_html

    data = page_data(graph_html(hostile))
    kinds = {}
    for node in data["nodes"]:
        kinds[node["kind"]] = kinds.get(node["kind"], 0) + 1
    assert kinds == {"StakeholderGroup": 3, "Theme": 1, "Tactic": 2, "Region": 3, "Respondent": 6}
    edges = {}
    for edge in data["edges"]:
        edges[edge["kind"]] = edges.get(edge["kind"], 0) + 1
    # 3 groups x 3 concepts; 6 members, 6 based-in; 9 codings (8 kite + the hostile one)
    assert edges == {"SHARE": 9, "MEMBER_OF": 6, "BASED_IN": 6, "CODED": 9}
    share = {(e["from"], e["to"]): e["label"] for e in data["edges"] if e["kind"] == "SHARE"}
    assert share[("group/national-entity", "tactic/research")] == "67% (2 of 3)"
    assert share[("group/partner", "tactic/research")] == "33% (1 of 3)"
    assert share[("group/public", "tactic/research")] == "60% (120 of 200)"
    # the source's "lead" figure fills the raised row only as itself, and says so
    assert share[("group/public", "theme/environment-climate")] == "25% (50 of 200), stated as lead"
    assert share[("group/public", "tactic/advocacy")] == "qualitative: Some doubted advocacy"
    assert data["physics"] is True


def test_hover_texts_carry_counts_bases_and_at_most_three_quotes(hostile):
    from consultgraph.outputs.visual import graph_view

    view = graph_view(hostile)
    climate = view.nodes["theme/environment-climate"]["tip"]
    assert "National entities: 67% (2 of 3)" in climate["lines"]
    assert len(climate["quotes"]) == 3
    assert any(q["who"] == "a respondent (General public), source line 41" for q in climate["quotes"])
    edge = next(e for e in view.edges if (e["source"], e["target"]) == ("group/national-entity", "theme/environment-climate"))
    assert "lead: 33% (1 of 3)" in edge["tip"]["lines"] and "drop: 33% (1 of 3)" in edge["tip"]["lines"]
    public = view.nodes["group/public"]["tip"]
    assert "200 respondents, stated (line 10)" in public["lines"]


def test_above_the_budget_respondents_fold_into_groups_and_the_page_says_so(hostile):
    from consultgraph.outputs.visual import graph_html, graph_view

    view = graph_view(hostile, max_nodes=10)
    assert not [n for n in view.nodes.values() if n["kind"] == "Respondent"]
    assert any("6 respondents are folded into their groups" in note for note in view.notes)
    based = {(e["source"], e["target"]): e["label"] for e in view.edges if e["kind"] == "BASED_IN_GROUP"}
    assert based[("group/partner", "region/africa")] == "67% (2 of 3)"
    page = graph_html(hostile, max_nodes=10)
    assert "6 respondents are folded into their groups" in page
    assert len(page_data(page)["nodes"]) == 9


def test_top_k_edges_when_over_the_edge_budget(hostile):
    from consultgraph.outputs.visual import graph_view

    view = graph_view(hostile, max_edges=5)
    assert len(view.edges) == 5 and all(e["kind"] == "SHARE" for e in view.edges)
    assert any("Kept the 5 heaviest of 30 edges" in note for note in view.notes)
    view = graph_view(hostile, kinds="group,tactic,theme", max_nodes=4)
    assert len(view.nodes) == 4 and any("best-connected" in note for note in view.notes)


def test_filters(hostile):
    from consultgraph.outputs.visual import graph_view

    kinds = graph_view(hostile, kinds="group,tactic")
    assert {n["kind"] for n in kinds.nodes.values()} == {"StakeholderGroup", "Tactic"}
    partner = graph_view(hostile, groups="partner")
    assert {n for n, node in partner.nodes.items() if node["kind"] == "StakeholderGroup"} == {"group/partner"}
    assert {n for n, node in partner.nodes.items() if node["kind"] == "Respondent"} == {
        "respondent/p1", "respondent/p2", "respondent/p3"}
    assert "region/europe" not in partner.nodes  # nobody of the partners is based there
    heavy = graph_view(hostile, kinds="group,tactic,theme", min_weight=0.5)
    assert sorted((e["source"], e["target"]) for e in heavy.edges) == [
        ("group/national-entity", "tactic/research"), ("group/national-entity", "theme/environment-climate"),
        ("group/partner", "tactic/advocacy"), ("group/public", "tactic/research")]
    focus = graph_view(hostile, focus="theme:climate", kinds="group,theme,tactic")
    assert set(focus.nodes) == {"theme/environment-climate", "group/partner", "group/national-entity", "group/public"}
    assert focus.nodes["theme/environment-climate"]["focus"] is True
    assert set(graph_view(hostile, focus="n2", depth=0).nodes) == {"respondent/n2"}


def test_bad_filters_are_clear_errors(hostile):
    from consultgraph.errors import InputError
    from consultgraph.outputs.visual import graph_html

    with pytest.raises(InputError, match="unknown kind 'colour'"):
        graph_html(hostile, kinds="group,colour")
    with pytest.raises(InputError, match="unknown theme 'nonsense'"):
        graph_html(hostile, focus="theme:nonsense")
    with pytest.raises(InputError, match="not in the graph as filtered"):
        graph_html(hostile, focus="climate", kinds="group")
    with pytest.raises(InputError, match="unknown layout"):
        graph_html(hostile, layout="circles")


def test_precomputed_layout_places_every_node_and_turns_physics_off(hostile):
    from consultgraph.outputs.visual import graph_html

    data = page_data(graph_html(hostile, layout="precomputed"))
    assert data["physics"] is False
    assert all(isinstance(n["x"], float) and isinstance(n["y"], float) for n in data["nodes"])
    assert len({(n["x"], n["y"]) for n in data["nodes"]}) == len(data["nodes"])


def test_write_graph_html_is_atomic(hostile, tmp_path):
    from consultgraph.outputs.visual import write_graph_html

    path = write_graph_html(hostile, tmp_path / "out" / "graph.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in path.parent.iterdir()] == ["graph.html"]


# ---------------------------------------------------------------------------- charts
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_dumbbell_chart_png_and_svg(hostile, tmp_path):
    from consultgraph.outputs.charts import dumbbell_chart
    from consultgraph.queries.compare import compare

    result = compare(hostile, "partner,national-entity,public", by="tactic")
    out = tmp_path / "charts"
    png = dumbbell_chart(result, out / "c.png")
    assert png.read_bytes()[:8] == PNG_MAGIC
    svg = dumbbell_chart(result, out / "c.svg")
    root = ElementTree.fromstring(svg.read_bytes())
    assert root.tag.endswith("svg")
    text = "".join(root.itertext())
    assert "Partners" in text and "General public" in text
    assert "120 of 200" in text  # bases in the labels
    assert sorted(p.name for p in out.iterdir()) == ["c.png", "c.svg"]  # no temp files left


def test_stance_chart(hostile, tmp_path):
    from consultgraph.outputs.charts import stance_chart

    path = stance_chart(hostile, "partner,national-entity,public", None, tmp_path / "s.svg")
    text = "".join(ElementTree.fromstring(path.read_bytes()).itertext())
    assert "Environment and climate change" in text and "lead" in text and "drop" in text
    assert "National entities (of 3)" in text
    assert stance_chart(hostile, "partner,national-entity", "climate", tmp_path / "s.png").read_bytes()[:8] == PNG_MAGIC


def test_chart_needs_png_or_svg(hostile, tmp_path):
    from consultgraph.errors import InputError
    from consultgraph.outputs.charts import dumbbell_chart
    from consultgraph.queries.compare import compare

    with pytest.raises(InputError, match="name the file .png or .svg"):
        dumbbell_chart(compare(hostile, "partner,national-entity", by="tactic"), tmp_path / "charts" / "c.pdf")
    assert not (tmp_path / "charts").exists()


# ---------------------------------------------------------------------------- report
def test_report_sections_numbers_and_escaping(hostile):
    from consultgraph.outputs.report import questions, report_html

    page = report_html(hostile)
    # no declared questions: one section per concept kind with figures
    assert [q.key for q in questions(hostile)] == ["theme", "tactic"]
    for section in ["overview", "theme", "tactic", "audit", "graph"]:
        assert f'id="{section}"' in page
    assert "Toolbox: tactics" not in page and "Issues to lead, support or drop" not in page
    assert "60% (120 of 200)" in page and "67% (2 of 3)" in page
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "<script>window.pwned" not in page
    outside_iframe = re.sub(r'srcdoc="[^"]*"', "", page)
    assert "<script" not in outside_iframe  # the report itself runs no script
    assert remote_references(outside_iframe) == []
    assert "@media print" in page
    assert re.search(r'<img class="chart" alt="[^"]*" src="data:image/svg\+xml;base64,', page)
    srcdoc = re.search(r'srcdoc="([^"]*)"', page).group(1)
    import html

    inner = html.unescape(srcdoc)
    assert remote_references(inner) == [] and len(page_data(inner)["nodes"]) == 15


def test_report_on_the_built_in_dataset(amnesty):
    from consultgraph.outputs.report import report_html

    page = report_html(amnesty, graph_section=False)
    assert "69% (37 of 53)" in page and "23% (17 of 74)" in page
    assert "Do the published numbers add up?" in page


# ---------------------------------------------------------------------------- CLI
def test_cli_writes_graph_charts_and_report(tmp_path):
    from consultgraph.cli import main

    runner = CliRunner()
    project = str(tmp_path / "p")
    result = runner.invoke(main, ["load", *map(str, write_inputs(tmp_path / "in")), "--into", project, "-q"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    commands = [
        ["viz", "-g", project, "-o", str(out / "g.html"), "--focus", "theme:climate", "--kinds", "group,theme"],
        ["chart", "compare", "-g", project, "--groups", "partner,national-entity", "--by", "tactic",
         "-o", str(out / "c.png")],
        ["chart", "stance", "-g", project, "--groups", "partner,national-entity", "-o", str(out / "s.svg")],
        ["report", "-g", project, "-o", str(out / "r.html")],
    ]
    for command in commands:
        result = runner.invoke(main, command)
        assert result.exit_code == 0, (command, result.output)
        assert "wrote" in result.stderr
    assert len(page_data((out / "g.html").read_text(encoding="utf-8"))["nodes"]) == 4
    assert (out / "c.png").read_bytes()[:8] == PNG_MAGIC
    result = runner.invoke(main, ["viz", "-g", project, "--kinds", "colour", "-o", str(out / "x.html")])
    # the kinds are checked as the option is read, against the vocabulary of schema/ontology.ttl
    assert result.exit_code == 2 and "'colour' is not one of 'group', 'theme', 'tactic'" in result.stderr


def test_an_empty_graph_still_makes_pages():
    from consultgraph.graph.consultation import Consultation
    from consultgraph.outputs.report import report_html
    from consultgraph.outputs.visual import graph_html

    assert page_data(graph_html(Consultation()))["nodes"] == []
    assert "The data holds no figures to compare." in report_html(Consultation(), graph_section=False)


def _texts(figure):
    return " ".join(" ".join(t.get_text().split()) for t in figure.findobj(lambda a: hasattr(a, "get_text")))


def test_charts_note_what_they_leave_out_and_explain_only_what_they_draw(amnesty):
    """Issue 13: one-sided rows are named under the chart; no legend or axis text for marks not drawn."""
    from consultgraph.outputs.charts import dumbbell_figure, stance_figure
    from consultgraph.queries.compare import compare

    result = compare(amnesty, "partner,national-entity", by="tactic")
    text = _texts(dumbbell_figure(result))
    assert "Not drawn: 6 row(s) with a share for fewer than two groups" in text
    assert "Communications (" in text and "Strategic litigation (" in text
    assert "hollow marker" not in text  # every drawn share has a count here
    stance = stance_figure(amnesty, "partner,national-entity,IS", None)
    text = _texts(stance)
    assert "in brackets" not in text  # the source gives shares, no counts, for these stances
    assert "Not drawn:" in text and "Partners: Environment and climate change (lead)" in text
    legend = [t.get_text() for t in stance.axes[0].get_legend().get_texts()]
    assert legend == ["lead", "support"]  # no drop bar is drawn, so none is explained


def test_the_reports_svg_charts_draw_the_plans(hostile, amnesty):
    """The report's charts (SVG text, no matplotlib) draw every planned mark, label and note, escaped."""
    from consultgraph.outputs.charts import dumbbell_plan, stance_plan
    from consultgraph.outputs.svg_charts import dumbbell_svg, stance_svg
    from consultgraph.queries.compare import compare

    for graph, groups in ((hostile, "partner,national-entity,public"), (amnesty, "partner,national-entity")):
        result = compare(graph, groups, by="tactic")
        plan = dumbbell_plan(result, top=12)
        root = ElementTree.fromstring(dumbbell_svg(result, top=12))
        text = " ".join(root.itertext())
        marks = sum(len(row["marks"]) for row in plan["rows"])
        shapes = [e for e in root.iter() if e.tag.endswith(("circle", "polygon"))]
        assert len(shapes) == marks + len(plan["legend"])
        for row in plan["rows"]:
            assert row["lines"][0] in text and (not row["note"] or row["note"] in text)
        for part in plan["notes"]:
            assert part.split()[0] in text
        assert plan["heading"] in text
    assert "<script>" not in dumbbell_svg(compare(hostile, "partner,national-entity", by="theme"))
    plan = stance_plan(amnesty, "partner,national-entity,IS", None)
    svg = stance_svg(amnesty, "partner,national-entity,IS", None)
    text = " ".join(ElementTree.fromstring(svg).itertext())
    bars = sum(len(segments) for _, members in plan["blocks"] for _, _, segments in members)
    assert svg.count('stroke="white"/>') == bars
    assert "Partners: Environment and climate change (lead)" in text and "drop" not in plan["stances"]


def test_the_report_needs_no_matplotlib():
    import subprocess
    import sys

    code = ("import sys\nfrom consultgraph.loaders import builtin\nfrom consultgraph.outputs.report import report_html\n"
            "page = report_html(builtin(), graph_section=False)\n"
            "print('matplotlib' in sys.modules, page.count('data:image/svg+xml'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "4"]
