"""Free-text inputs: tables with answer columns, Talk to the City CSV, Consult folders, documents."""

from __future__ import annotations

import json

import pytest

from consultgraph.errors import InputError
from consultgraph.loaders import detect, load

# Three respondents, two questions; p2 left q2 blank. By hand: 5 responses.
ANSWERS = """id,group,region,age,q1,q2
p1,partner,Africa,40,"We need more research on climate.",Advocacy with governments.
p2,partner,Scotland,31,Campaigning and advocacy matter most.,
n1,national-entity,Europe,,"Research, research, research.",Fund human rights education.
"""


@pytest.fixture
def answers(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text(ANSWERS, encoding="utf-8")
    return path


def test_answer_columns_become_responses(answers):
    graph = load([answers], options={"text_columns": "q1,q2"}, fmt="text").graph
    responses = graph.responses()
    assert len(responses) == 5
    assert sorted(responses["question"].unique()) == ["question/q1", "question/q2"]
    row = responses[responses["id"] == "response/p2/q1"].iloc[0]
    assert row["text"] == "Campaigning and advocacy matter most."
    assert (row["respondent"], row["group"], row["region"]) == ("respondent/p2", "group/partner", "region/scotland")
    people = graph.respondents().set_index("id")
    assert json.loads(people.loc["respondent/p1", "attributes"]) == {"age": "40"}
    assert graph.concepts["region/scotland"].label == "Scotland"


def test_loading_twice_changes_nothing(answers, tmp_path):
    project = tmp_path / "p"
    first = load([answers], into=project, fmt="text", options={"text_columns": "q1,q2"})
    again = load([answers], into=project, fmt="text", options={"text_columns": "q1,q2"}, force=True)
    assert (again.nodes_after, again.edges_after) == (first.nodes_after, first.edges_after)


CODEBOOK = """kind,id,label,alt_labels
group,farmer,Farmers,growers
region,north,Northern hills,
"""
SURVEY = """id,group,region,q1
f1,farmer,North,Wells dried up.
f2,Farmers,Northern hills,No rain.
f3,growers,South,Roads flood.
t1,trader,South,Prices go up.
"""


@pytest.mark.parametrize("together", [True, False])
def test_a_tables_groups_and_regions_are_the_codebooks(tmp_path, together):
    """By hand: f1-f3 name the codebook's group by id, label and altLabel, f1-f2 its region by id and
    label; 'trader' and 'South' are new concepts, labelled as the table writes them."""
    codebook, survey = tmp_path / "codebook.csv", tmp_path / "survey.csv"
    codebook.write_text(CODEBOOK, encoding="utf-8")
    survey.write_text(SURVEY, encoding="utf-8")
    project = tmp_path / "p"
    if together:
        load([codebook, survey], into=project, options={"text_columns": "q1"})
    else:
        load([codebook], into=project)
        load([survey], into=project, options={"text_columns": "q1"})
    from consultgraph.graph.consultation import Consultation

    graph = Consultation.open(project)
    people = graph.respondents().set_index("id")
    assert list(people.loc[["respondent/f1", "respondent/f2", "respondent/f3", "respondent/t1"], "group"]) == [
        "group/farmer", "group/farmer", "group/farmer", "group/trader"]
    assert graph.concepts["group/farmer"].label == "Farmers"  # the table's name did not replace the codebook's label
    assert graph.concepts["group/trader"].label == "trader"
    assert list(people.loc[["respondent/f1", "respondent/f2", "respondent/f3"], "region"]) == [
        "region/north", "region/north", "region/south"]
    assert graph.concepts["region/north"].label == "Northern hills"


def test_unknown_text_column_names_the_nearest(answers):
    with pytest.raises(InputError, match=r"line 1, field 'q3': unknown text column 'q3' \(nearest: 'q2', 'q1'\)"):
        load([answers], fmt="text", options={"text_columns": "q1,q3"})


def test_text_columns_name_answers_once_and_no_other_column(answers):
    with pytest.raises(InputError, match=r"line 1, field 'id': 'id' is the respondent id column, not an answer column"):
        load([answers], fmt="text", options={"text_columns": "id,q1"})
    with pytest.raises(InputError, match=r"field 'group': 'group' is the group column, not an answer column"):
        load([answers], fmt="text", options={"text_columns": "group"})
    with pytest.raises(InputError, match=r"field 'q1': answer column 'q1' is named twice in --text-columns"):
        load([answers], fmt="text", options={"text_columns": "q1,Q1"})


def test_mixed_encodings_name_the_line(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes("id,text\na,caf\u00e9 ok\n".encode() + "b,na\u00efve\n".encode("cp1252"))
    with pytest.raises(InputError, match=r"mixed.csv, line 3.*not UTF-8"):
        load([path], fmt="text")


def test_talk_to_the_city_csv(shared_data):
    path = shared_data / "consultations" / "talk-to-the-city" / "t3c_sample_input.csv"
    assert detect(path) == "tttc-csv"
    graph = load([path]).graph
    responses = graph.responses()
    assert len(responses) >= 1
    assert responses["text"].str.len().min() > 0
    assert set(responses["question"]) == {"question/comment"}


def test_consult_folder_with_gold(shared_data):
    folder = shared_data / "consultations" / "consult" / "gambling_XS"
    assert detect(folder) == "consult"
    graph = load([folder]).graph
    responses = graph.responses()
    assert len(responses) == 200
    assert set(responses["position"].dropna()) <= {"agree", "disagree", "unclear"}
    first = responses.set_index("id").loc["response/1001/question-part-1"]
    assert first["text"].startswith("Yes, absolutely ban them.")
    assert first["position"] == "agree"
    codings = graph.codings("consult-gold")
    # mapping.jsonl line 1: 1001 -> A (POSITIVE), D, E (NEGATIVE)
    mine = codings[codings["response"] == "response/1001/question-part-1"].sort_values("concept")
    assert [c.rsplit("-", 1)[-1] for c in mine["concept"]] == ["a", "d", "e"]
    assert list(mine["stance"]) == ["support", "drop", "drop"]
    assert graph.concepts["theme/gambling-xs/question-part-1-a"].label == "Complete Ban Support"
    assert graph.coders_used() == {"human": 200, "machine": 0}


def _pdf(path, pages):
    """A minimal PDF with one line of text per page (empty text: a page without a text layer)."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", None, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for text in pages:
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET" if text else ""
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                       f"/Contents {len(objects)} 0 R >>")
        kids.append(len(objects))
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>"
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(out)


@pytest.fixture
def documents(tmp_path):
    import docx

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text("First paragraph on research.\n\nSecond on advocacy.\n", encoding="utf-8")
    word = docx.Document()
    word.add_paragraph("We ask for human rights education.")
    word.add_paragraph("And climate justice.")
    word.save(folder / "b.docx")
    _pdf(folder / "c.pdf", ["Page one on research", "Page two on campaigning"])
    (folder / "manifest.csv").write_text("file,respondent,group,region\na.txt,r1,partner,Africa\n"
                                         "b.docx,r2,partner,Europe\nc.pdf,r3,NE,Europe\n", encoding="utf-8")
    return folder


def test_documents_keep_page_and_paragraph_offsets(documents):
    assert detect(documents) == "documents"
    graph = load([documents]).graph
    responses = graph.responses().set_index("respondent")
    assert responses.loc["respondent/r1", "text"] == "First paragraph on research.\n\nSecond on advocacy."
    assert json.loads(responses.loc["respondent/r1", "pages"]) == [[None, 1, 0], [None, 2, 30]]
    assert responses.loc["respondent/r2", "text"] == "We ask for human rights education.\n\nAnd climate justice."
    text = responses.loc["respondent/r3", "text"]
    pages = json.loads(responses.loc["respondent/r3", "pages"])
    assert [p[0] for p in pages] == [1, 2]
    assert text[pages[1][2]:].startswith("Page two")
    assert responses.loc["respondent/r3", "group"] == "group/national-entity"


def test_manifest_naming_a_missing_file(documents):
    (documents / "manifest.csv").write_text("file,respondent,group\na.txt,r1,partner\nzzz.pdf,r9,partner\n",
                                            encoding="utf-8")
    with pytest.raises(InputError, match=r"manifest.csv, line 3, field 'file': document 'zzz.pdf' not found"):
        load([documents])


def test_documents_the_manifest_leaves_out_are_named(documents):
    (documents / "notes").mkdir()
    (documents / "notes" / "d.md").write_text("Late submission.", encoding="utf-8")
    (documents / "manifest.csv").write_text("file,respondent,group\na.txt,r1,partner\n", encoding="utf-8")
    report = load([documents])
    assert report.notes == ["manifest.csv: 3 documents in docs/ not in the manifest, not loaded: b.docx, c.pdf, notes/d.md"]
    assert list(report.graph.responses()["respondent"]) == ["respondent/r1"]


def test_a_binary_file_named_txt_is_refused(documents):
    (documents / "a.txt").write_bytes("Intro.\n".encode() + "UTF-16 text".encode("utf-16-le"))
    with pytest.raises(InputError, match=r"manifest.csv, line 2, field 'file': document 'a.txt', line 2: "
                                         r"not a text document: it holds NUL bytes"):
        load([documents])


def test_a_full_manifest_gives_no_note(documents):
    assert load([documents]).notes == []


def test_scanned_pdf_says_no_text_and_page_count(documents):
    _pdf(documents / "c.pdf", ["", "", ""])
    with pytest.raises(InputError, match=r"manifest.csv, line 4, field 'file': document 'c.pdf': no text found in 3 pages"):
        load([documents])


def test_empty_document_is_refused(documents):
    (documents / "a.txt").write_text("   \n\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"manifest.csv, line 2, field 'file': document 'a.txt': no text found"):
        load([documents])
    (documents / "a.txt").write_bytes(b"")
    with pytest.raises(InputError, match=r"manifest.csv, line 2, field 'file': document 'a.txt': empty file"):
        load([documents])
    (documents / "a.txt").write_bytes(b"ok\n\ncaf\xe9\n")
    with pytest.raises(InputError, match=r"manifest.csv, line 2, field 'file': document 'a.txt', line 3: not UTF-8 text "
                                         r"\(byte 0xe9\).* \(save the document as UTF-8 text\)"):
        load([documents])


def test_a_manifest_name_in_other_case_names_the_document(documents):
    (documents / "manifest.csv").write_text("file,respondent,group\nA.TXT,r1,partner\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"line 2, field 'file': document 'A.TXT' not found \(nearest: a.txt; names "
                                         r"are case-sensitive\)"):
        load([documents])


def test_stats_of_responses_not_yet_coded_say_so(answers, tmp_path):
    """Loaded, not coded: two partners and one national entity wrote answers; no size yet, no 'quoted by name'."""
    from consultgraph.queries.overview import groups

    graph = load([answers], into=tmp_path / "p", options={"text_columns": "q1,q2"}).graph
    rows = {r["id"]: r for r in groups(graph)}
    assert (rows["group/partner"]["respondents"], rows["group/partner"]["respondents_are"]) == (
        2, "wrote responses, not coded yet")
    assert (rows["group/partner"]["size"], rows["group/partner"]["size_from"]) == (
        None, "not coded yet: run `consultgraph code`")


def test_empty_rows_are_skipped_and_a_row_without_id_is_named(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("id,group,q1\nx1,partner,Wells are dry\n,,\nx2,partner,Roads\n, ,\n", encoding="utf-8")
    graph = load([path], options={"text_columns": "q1"}, fmt="text").graph
    assert sorted(graph.responses()["id"]) == ["response/x1/q1", "response/x2/q1"]
    path.write_text("id,group,q1\nx1,partner,Wells are dry\n,,\n,partner,Roads\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"a.csv, line 4, field 'id': missing id"):
        load([path], options={"text_columns": "q1"}, fmt="text")


def test_an_empty_manifest_row_lists_no_document(documents):
    (documents / "manifest.csv").write_text("file,respondent,group\na.txt,r1,partner\n,,\n", encoding="utf-8")
    assert list(load([documents]).graph.responses()["respondent"]) == ["respondent/r1"]


def test_a_mistyped_group_column_is_refused_not_kept_as_an_attribute(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("id,gruop,q1\nx1,partner,Wells are dry\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"a.csv, line 1, field 'gruop': column 'gruop' looks like 'group', and the "
                                         r"table has no 'group' column \(rename it 'group'"):
        load([path], options={"text_columns": "q1"}, fmt="text")
    path.write_text("id,group,regoin,grade,q1\nx1,partner,Africa,3,Wells are dry\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"field 'regoin': column 'regoin' looks like 'region'"):
        load([path], options={"text_columns": "q1"}, fmt="text")
    path.write_text("id,group,grade,reason,q1\nx1,partner,3,none,Wells are dry\n", encoding="utf-8")  # far enough
    assert len(load([path], options={"text_columns": "q1"}, fmt="text").graph.responses()) == 1
