"""People's quotes given without offsets are found in their responses (exact, folded, fuzzy) or counted."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from consultgraph.cli import main
from consultgraph.loaders import load
from consultgraph.loaders.quote_offsets import locate

ANSWERS = """id,group,region,q1,q2
p1,partner,Africa,"We need more research on climate.",Lobbying governments works.
p2,partner,Europe,Campaigns and advocasy matter most.,
p3,partner,Europe,No research please; just campaign.,Teach human rights in schools.
p4,partner,Africa,Evidence from the field should guide us.,Put pressure on ministers - “it’s urgent”.
p5,partner,Asia,Lobbying for research.,
"""
CODES = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix cg:   <https://w3id.org/consultgraph/ontology#> .
@prefix ex:   <https://example.org/codes/> .
ex:codes a skos:ConceptScheme ; cg:kind cg:Idea .
ex:research a skos:Concept ; skos:inScheme ex:codes ; skos:prefLabel "Research"@en .
ex:advocacy a skos:Concept ; skos:inScheme ex:codes ; skos:prefLabel "Advocacy"@en .
"""
# By hand, in the responses' own text:
#   p1/q1 "more research on climate"          exact at 8-32
#   p2/q1 "campaigns and  ADVOCASY"           folded: "Campaigns and advocasy" at 0-22
#   p4/q1 "Evidence from teh field shuold"    fuzzy: "Evidence from the field should" at 0-30
#   p3 (no question) "just campaign"          exact in p3/q1 at 20-33, found among p3's two responses
#   p4/q2 'pressure on ministers - "it's urgent"'  folded (straight quotes for curly ones) at 4-41
#   p1/q2 "We need ... on climate"            elided; parts in p1/q1, not in p1/q2: not found
#   p4/q2 "something never said"              not found: no offsets
CODINGS = '''respondent,question,code,coder,quote
p1,q1,idea/research,ann,more research on climate
p2,q1,idea/advocacy,ann,campaigns and  ADVOCASY
p4,q1,idea/research,ann,Evidence from teh field shuold
p3,,idea/advocacy,bob,just campaign
p4,q2,idea/advocacy,ann,"pressure on ministers - ""it's urgent"""
p1,q2,idea/research,ann,We need [...] on climate
p4,q2,idea/advocacy,ann,something never said
'''
PLACED = {
    "more research on climate": ("response/p1/q1", 8, 32),
    "campaigns and  ADVOCASY": ("response/p2/q1", 0, 22),
    "Evidence from teh field shuold": ("response/p4/q1", 0, 30),
    "just campaign": ("response/p3/q1", 20, 33),
    "pressure on ministers - \"it's urgent\"": ("response/p4/q2", 4, 41),
}


@pytest.fixture
def coded(tmp_path):
    (tmp_path / "codes.ttl").write_text(CODES, encoding="utf-8")
    (tmp_path / "answers.csv").write_text(ANSWERS, encoding="utf-8")
    (tmp_path / "codings.csv").write_text(CODINGS, encoding="utf-8")
    project = tmp_path / "project"
    load([tmp_path / "codes.ttl", tmp_path / "answers.csv"], into=project, options={"text_columns": "q1,q2"})
    return tmp_path, project


def _placed(graph):
    quotes = graph.quotes()
    quoted = graph.edges_of("QUOTED_FROM")
    source = dict(zip(quoted["source"], quoted["target"]))
    return {text: (source.get(i), start, end) for i, text, start, end in
            zip(quotes["id"], quotes["text"], quotes["start"], quotes["end"])}


def test_quotes_are_placed_exactly_folded_fuzzily_or_counted(coded):
    folder, project = coded
    report = load([folder / "codings.csv"], into=project)
    offsets = report.quote_offsets
    assert (offsets.exact, offsets.folded, offsets.fuzzy) == (2, 2, 1)
    assert sorted(text for _, text in offsets.unlocated) == ["We need [...] on climate", "something never said"]
    placed = _placed(report.graph)
    texts = dict(zip(report.graph.responses()["id"], report.graph.responses()["text"]))
    for quote, (response, start, end) in PLACED.items():
        assert placed[quote] == (response, start, end), quote
    assert texts["response/p4/q1"][0:30] == "Evidence from the field should"
    # never an invented offset: the quotes not found have none, and keep the response the file named
    for quote in ("something never said", "We need [...] on climate"):
        response, start, end = placed[quote]
        assert start != start and end != end  # NaN
    assert placed["something never said"][0] == "response/p4/q2"
    # the coder of the coding is the coder of the quote's illustration
    illustrates = report.graph.edges_of("ILLUSTRATES")
    assert set(json.loads(p)["coder"] for p in illustrates["props"]) == {"ann", "bob"}


def test_loading_the_codings_again_places_the_same_quotes(coded):
    folder, project = coded
    first = _placed(load([folder / "codings.csv"], into=project).graph)
    again = load([folder / "codings.csv"], into=project, force=True)  # located again, not skipped
    assert _placed(again.graph).keys() == first.keys()
    assert {k: v for k, v in _placed(again.graph).items() if v[1] == v[1]} == {k: v for k, v in first.items() if v[1] == v[1]}
    assert again.edges_after == again.edges_before and again.nodes_after == again.nodes_before


def test_offsets_a_file_gives_are_kept(coded):
    folder, project = coded
    (folder / "given.csv").write_text("respondent,question,code,coder,quote,start,end\n"
                                      "p1,q1,idea/research,ann,research,13,21\n", encoding="utf-8")
    report = load([folder / "given.csv"], into=project)
    assert report.quote_offsets is None or report.quote_offsets.attempted == 0
    assert _placed(report.graph)["research"][1:] == (13, 21)


def test_load_says_how_many_quotes_were_not_found(coded):
    folder, project = coded
    result = CliRunner().invoke(main, ["load", str(folder / "codings.csv"), "--into", str(project), "-q"])
    assert result.exit_code == 0, result.output
    assert ("quotes without offsets: 5 of 7 located in their responses (2 exactly, 2 ignoring case and spacing, "
            "1 by fuzzy alignment); 2 not found, kept without offsets") in result.output


def test_locate_by_hand():
    text = "Yes. I could save a life.  We had a Narcan training here  . I could save a life."
    # a space before the full stop: not the same folded, aligned fuzzily to the words
    assert locate("We had a Narcan training here.", text) == (27, 56, "fuzzy")
    start, end, how = locate("could save a life [...] a Narcan training", text)
    assert (text[start:end], how) == ("could save a life.  We had a Narcan training", "exact")
    assert locate("short typo", "a shrt typo here") is None  # too short to align fuzzily
    assert locate("", text) is None and locate("anything", "") is None


def test_talk_to_the_city_report_quotes_are_found_in_the_transcripts(shared_data, tmp_path):
    """The Heal Michigan report's claims quote the interviews (commentId); most are verbatim, some edited."""
    from consultgraph.graph.concepts import slugify
    from consultgraph.loaders.quote_offsets import _folded

    folder = shared_data / "consultations" / "talk-to-the-city"
    report = json.loads((folder / "heal_michigan_report.json").read_text(encoding="utf-8"))
    speaker = {row["id"]: row["interview"] for row in report["data"]}
    claims = [(topic["topicName"], claim) for topic in report["tree"] for sub in topic["subtopics"]
              for top in sub["claims"] for claim in [top, *top.get("duplicates", [])]]
    topics = sorted({t for t, _ in claims})
    with open(tmp_path / "codebook.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["kind", "id", "label"])
        writer.writerows(["theme", f"theme/hm-{n}", t] for n, t in enumerate(topics))
    with open(tmp_path / "codings.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["respondent", "code", "coder", "quote"])
        writer.writerows([slugify(speaker[c["commentId"]]), f"theme/hm-{topics.index(t)}", "tttc", c["quote"]]
                         for t, c in claims)
    project = tmp_path / "project"
    load([folder / "heal_michigan_source.csv", tmp_path / "codebook.csv"], into=project)
    result = load([tmp_path / "codings.csv"], into=project)
    offsets = result.quote_offsets
    assert offsets.attempted == 532  # distinct (speaker, quote) pairs
    assert offsets.located >= 0.97 * offsets.attempted and offsets.exact >= 350
    graph = result.graph
    texts = dict(zip(graph.responses()["id"], graph.responses()["text"]))
    quotes = graph.quotes()
    quoted = dict(zip(graph.edges_of("QUOTED_FROM")["source"], graph.edges_of("QUOTED_FROM")["target"]))
    located = quotes[quotes["start"].notna()]
    assert len(located) == offsets.located
    for quote_id, text, start, end in zip(located["id"], located["text"], located["start"], located["end"]):
        span = texts[quoted[quote_id]][int(start):int(end)]
        if "..." not in text and "[" not in text:  # whole quotes: the span reads as the quote
            from rapidfuzz import fuzz

            assert fuzz.ratio(_folded(text)[0], _folded(span)[0]) >= 85, (text, span)
        # the quote's response is one its speaker gave
        assert graph.responses().set_index("id").loc[quoted[quote_id], "respondent"] == \
            graph.edges_of("SAID").set_index("target").loc[quote_id, "source"]


def test_quotes_follow_the_coder_choice_and_say_where_they_sit(coded, tmp_path):
    from consultgraph.coding.run import code
    from consultgraph.queries.quotes import quotes

    folder, project = coded
    graph = load([folder / "codings.csv"], into=project).graph
    graph = code(graph, model=False).graph  # the rules' evidence quotes, by machine:rules@...
    listed = {choice: quotes(graph.with_coder(choice)) for choice in ("human", "machine", "all", "auto", "bob")}
    by_coder = {choice: {r["text"]: r for r in rows} for choice, rows in listed.items()}  # people's texts are distinct
    people = {"more research on climate", "campaigns and  ADVOCASY", "Evidence from teh field shuold", "just campaign",
              "pressure on ministers - \"it's urgent\"", "We need [...] on climate", "something never said"}
    assert set(by_coder["human"]) == people
    assert set(by_coder["bob"]) == {"just campaign"}
    machine = {r["quote"] for r in listed["machine"]}
    assert machine and all(r["coder"].startswith("machine:rules@") for r in listed["machine"])
    assert {r["quote"] for r in listed["all"]} == {r["quote"] for r in listed["human"]} | machine
    # auto: the machine's quotes only from responses people did not code (p1/q1 ... were coded by ann)
    auto_machine = {r["response"] for r in listed["auto"] if r["coder"].startswith("machine:")}
    assert auto_machine == {"response/p5/q1"}  # the one response with a rule hit that nobody coded
    assert {"response/p1/q1", "response/p2/q1", "response/p5/q1"} <= {r["response"] for r in listed["machine"]}
    row = by_coder["human"]["more research on climate"]
    assert (row["response"], row["start"], row["end"], row["coder"]) == ("response/p1/q1", 8, 32, "ann")
    assert by_coder["human"]["something never said"]["start"] is None


def test_document_quotes_carry_page_and_paragraph(tmp_path):
    import docx

    from consultgraph.coding.run import code
    from consultgraph.queries.quotes import quotes
    from tests.test_freetext import _pdf

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("First paragraph.\n\nWe want more research.\n", encoding="utf-8")
    word = docx.Document()
    word.add_paragraph("Opening words.")
    word.add_paragraph("Lobbying works best.")
    word.save(docs / "b.docx")
    _pdf(docs / "c.pdf", ["Page one is empty of codes", "Page two on advocacy"])
    (docs / "manifest.csv").write_text("file,respondent,group\na.txt,r1,partner\nb.docx,r2,partner\nc.pdf,r3,partner\n",
                                       encoding="utf-8")
    (tmp_path / "codes.ttl").write_text(CODES.replace('"Advocacy"@en .', '"Advocacy"@en ; skos:altLabel "lobbying"@en .'),
                                        encoding="utf-8")
    graph = code(load([tmp_path / "codes.ttl", docs]).graph, model=False).graph
    rows = {(r["response"], r["text"]): r for r in quotes(graph)}
    # by hand: a.txt's 2nd paragraph starts at 18 ("First paragraph." + blank line); "research" at 18 + 13
    assert {k: (r["page"], r["paragraph"], r["start"]) for k, r in rows.items()} == {
        ("response/r1/document", "research"): (None, 2, 31),
        ("response/r2/document", "Lobbying"): (None, 2, 16),
        ("response/r3/document", "advocacy"): (2, 1, 40),
    }


def test_a_label_the_project_shares_with_the_built_in_vocabulary_names_the_project_s_code(coded):
    """"Research" is the project's idea and also a built-in tactic: people's codings by label mean their own code."""
    folder, project = coded
    (folder / "labels.csv").write_text("respondent,question,code,coder\np1,q1,Research,ann\np2,q1,advocacy,ann\n",
                                       encoding="utf-8")
    graph = load([folder / "labels.csv"], into=project).graph
    assert "tactic/research" in graph.concepts  # the built-in namesake is still known
    assert sorted(graph.codings("ann")["concept"]) == ["idea/advocacy", "idea/research"]
    # two of the project's own codes with one label stay ambiguous
    (folder / "more.ttl").write_text(CODES.replace("ex:research", "ex:study").replace('"Research"@en', '"Research"@en'),
                                     encoding="utf-8")
    load([folder / "more.ttl"], into=project)
    from consultgraph.errors import InputError

    with pytest.raises(InputError, match=r"labels.csv, line 2, field 'code': 'Research' is ambiguous"):
        load([folder / "labels.csv"], into=project)


def test_refi_qda_sources_become_responses_their_selections_sit_in(shared_data, tmp_path):
    """QualCoder's school-board project: each text source is a Response; the coder's selections are quotes in it."""
    from consultgraph.coding.run import code
    from consultgraph.queries.quotes import quotes

    graph = load([shared_data / "qdpx" / "qc_demo_school_board.qdpx"], options={"respondent_per_source": True}).graph
    responses = graph.responses()
    assert len(responses) == 2 and set(responses["question"]) == {"question/document"}
    texts = dict(zip(responses["id"], responses["text"]))
    codings = graph.codings("all")
    assert codings["response"].notna().all() and set(codings["coder"]) == {"cp"}
    rows = quotes(graph.with_coder("cp"))
    assert len(rows) > 50 and all(r["coder"] == "cp" for r in rows)
    for row in rows:  # REFI-QDA offsets count in the source's plain text: the span is the selection
        assert texts[row["response"]][row["start"]:row["end"]].strip() == row["text"]
    assert len(code(graph, model=False).graph.responses()) == 2  # `code` reads them
