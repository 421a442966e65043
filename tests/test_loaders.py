"""Each loader on small hand-checkable inputs, and each loader's bad inputs with exact messages."""

from __future__ import annotations

import pytest

from consultgraph.errors import InputError
from consultgraph.loaders import detect, load


def mentions(graph):
    edges = graph.edges[graph.edges["kind"] == "MENTIONS"]
    return {(s.split("/", 1)[1], t, st, w) for s, t, st, w in edges[["source", "target", "stance", "weight"]].itertuples(index=False)}


def test_long_file_makes_respondents_groups_and_codings(kite):
    people = kite.respondents().set_index("id")
    assert len(people) == 6
    assert people.loc["respondent/n2", "group"] == "group/national-entity"
    assert people.loc["respondent/p2", "region"] == "region/americas"
    assert mentions(kite) == {
        ("p1", "tactic/research", "mention", 1.0),
        ("p1", "tactic/advocacy", "mention", 1.0),
        ("p2", "tactic/advocacy", "mention", 1.0),
        ("p3", "theme/environment-climate", "support", 1.0),
        ("n1", "tactic/research", "mention", 1.0),
        ("n2", "tactic/research", "mention", 2.0),
        ("n2", "theme/environment-climate", "lead", 1.0),
        ("n3", "tactic/advocacy", "mention", 1.0),
    }
    quotes = kite.quotes()
    assert sorted(quotes["text"]) == ["Climate first", "We need =research"]


def test_wide_file_gives_the_same_codings_as_long(kite, kite_wide):
    wide = load([kite_wide]).graph
    assert mentions(wide) == mentions(kite)
    assert wide.respondents().set_index("id")["group"].to_dict() == kite.respondents().set_index("id")["group"].to_dict()


def test_repeated_coded_segments_add_up(tmp_path):
    path = tmp_path / "segments.csv"
    path.write_text("respondent,group,code\nr1,partner,research\nr1,partner,research\nr1,partner,Research\n")
    assert mentions(load([path]).graph) == {("r1", "tactic/research", "mention", 3.0)}


def test_jsonl_and_yaml_long_files(tmp_path):
    jsonl = tmp_path / "codings.jsonl"
    jsonl.write_text('{"respondent": "r1", "group": "partner", "code": "HRE", "stance": "lead"}\n')
    yml = tmp_path / "codings.yaml"
    yml.write_text("- respondent: r1\n  group: partner\n  code: HRE\n  stance: lead\n")
    assert mentions(load([jsonl]).graph) == mentions(load([yml]).graph) == {("r1", "tactic/capacity-building", "lead", 1.0)}


def test_xlsx_wide_file(tmp_path, kite, kite_wide):
    import pandas as pd

    path = tmp_path / "kite.xlsx"
    pd.read_csv(kite_wide, dtype=str).to_excel(path, index=False)
    assert mentions(load([path]).graph) == mentions(kite)


def test_partner_types_are_proposed_not_mentioned(tmp_path):
    from consultgraph.graph.store import schema_concepts

    partner_types = schema_concepts().of_kind("PartnerType")
    assert partner_types, "the shipped concept schemes have partner types"
    path = tmp_path / "p.csv"
    path.write_text(f"respondent,group,code\nr1,partner,{partner_types[0].label}\n")
    graph = load([path]).graph
    assert set(graph.edges["kind"]) >= {"PROPOSES"}
    assert "MENTIONS" not in set(graph.edges["kind"])


def test_skos_file_adds_project_codes_usable_by_label(tmp_path):
    ttl = tmp_path / "codes.ttl"
    ttl.write_text(
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "@prefix ex: <http://example.org/codes/> .\n"
        "@prefix tactic: <https://w3id.org/consultgraph/id/tactic/> .\n"
        "ex:ideas a skos:ConceptScheme .\n"
        'ex:satellite a skos:Concept ; skos:inScheme ex:ideas ; skos:prefLabel "Satellite imagery"@en ; '
        "skos:broader tactic:research .\n"
    )
    codings = tmp_path / "c.csv"
    codings.write_text("respondent,group,code\nr1,partner,satellite imagery\n")
    graph = load([ttl, codings]).graph
    assert ("r1", "idea/satellite", "mention", 1.0) in mentions(graph)
    assert graph.concepts["idea/satellite"].broader == ("tactic/research",)


FINDINGS = """id,group,concept,stance,measure,count,base,base_ref,reported_percent,source_line,statement
size,partner,,,size,74,,,,58,74 External partners
A,partner,approach to social change,,share,39,74,,53,111,53% of partners (39 out of 74)
B,partner,research,mention,share,17,74,,23,199,Only 23% (17 out of 74)
C,partner,advocacy,,share,34,39,A,88,114,88% (34 out of 39)
"""


def test_findings_file(tmp_path):
    path = tmp_path / "findings.csv"
    path.write_text(FINDINGS)
    findings = load([path]).graph.findings().set_index("id")
    row = findings.loc["finding/findings/C"]
    assert (row["group"], row["concept"], int(row["count"]), int(row["base"])) == ("group/partner", "tactic/advocacy", 34, 39)
    assert row["base_ref"] == "finding/findings/A"
    assert findings.loc["finding/findings/size", "measure"] == "size"


def test_detection_by_header(tmp_path, kite_long, kite_wide):
    findings = tmp_path / "f.csv"
    findings.write_text(FINDINGS)
    quotes = tmp_path / "q.csv"
    quotes.write_text("text,group\nHello,partner\n")
    people = tmp_path / "r.csv"
    people.write_text("id,name,group,region\nr1,Amnesty Ireland,national-entity,Europe\n")
    assert [detect(p) for p in (kite_long, kite_wide, findings, quotes, people)] == [
        "long", "wide", "findings", "quotes", "respondents"
    ]


# ---------------------------------------------------------------- bad input, exact messages


def error_of(tmp_path, name, text, fmt=None):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load([path], fmt=fmt)
    return str(info.value).replace(str(tmp_path) + "/", "")


def test_unknown_code_names_the_nearest_labels(tmp_path):
    message = error_of(tmp_path, "a.csv", "respondent,group,code\nr1,partner,reserch\nr2,partner,advocacy\n")
    assert message.startswith("a.csv, line 2, field 'code': unknown code 'reserch' (nearest known: 'Research'")


def test_unknown_group_names_the_nearest(tmp_path):
    message = error_of(tmp_path, "a.csv", "respondent,group,code\nr1,partner,research\nr2,partnr,advocacy\n")
    assert message.startswith("a.csv, line 3, field 'group': unknown stakeholder group 'partnr' (nearest known: 'partner'")


def test_unknown_region(tmp_path):
    message = error_of(tmp_path, "a.csv", "respondent,group,region,code\nr1,partner,Eurpoe,research\n")
    assert message.startswith("a.csv, line 2, field 'region': unknown region 'Eurpoe' (nearest known: 'Europe'")


def test_missing_required_column(tmp_path):
    message = error_of(tmp_path, "a.csv", "respondent,group,stance\nr1,partner,lead\n", fmt="long")
    assert message == "a.csv, line 1, field 'code': missing required column 'code' (columns found: respondent, group, stance)"


def test_missing_required_value(tmp_path):
    message = error_of(tmp_path, "a.csv", "respondent,group,code\nr1,,research\n")
    assert message == "a.csv, line 2, field 'group': missing group"


def test_respondent_with_two_groups(tmp_path):
    message = error_of(tmp_path, "a.csv", "respondent,group,code\nr1,partner,research\nr1,public,advocacy\n")
    assert message == "a.csv, line 3, field 'group': respondent 'r1' has two group values: 'partner' and 'public'"


def test_duplicate_respondent_id(tmp_path):
    message = error_of(tmp_path, "r.csv", "id,name,group\nr1,A,partner\nr2,B,partner\nr1,C,public\n", fmt="respondents")
    assert message == "r.csv, line 4, field 'id': duplicate respondent id 'r1' (also on line 2)"


def test_duplicate_respondent_in_wide_file(tmp_path):
    message = error_of(tmp_path, "w.csv", "id,group,research\nr1,partner,1\nr1,partner,0\n")
    assert message == "w.csv, line 3, field 'id': duplicate respondent id 'r1' (also on line 2)"


def test_count_greater_than_base(tmp_path):
    message = error_of(tmp_path, "f.csv", "id,group,concept,measure,count,base\nA,partner,research,share,80,74\n")
    assert message == "f.csv, line 2, field 'count': count 80 is greater than base 74"


def test_bad_stance(tmp_path):
    message = error_of(tmp_path, "a.csv", "respondent,group,code,stance\nr1,partner,research,leed\n")
    assert message == "a.csv, line 2, field 'stance': 'leed' is not a stance (use one of: lead, support, drop, mention)"


def test_bad_wide_cell(tmp_path):
    message = error_of(tmp_path, "w.csv", "id,group,research\nr1,partner,yes please\n")
    assert message == "w.csv, line 2, field 'research': cell 'yes please' is not 1/0, a count or a stance (use a number or one of: lead, support, drop, mention)"


def test_free_text_loaded_without_text_columns_says_so(tmp_path):
    message = error_of(tmp_path, "a.csv", "id,group,age,q1,q2\nr1,partner,40,We need more research.,\n"
                                          "r2,partner,31,Yes.,Lobby the government now.\n")
    assert message == ("a.csv, line 2, field 'q1': cell 'We need more research.' is not 1/0, a count or a stance "
                       "(free-text answers? load them with --text-columns q1,q2, each answer column a question; "
                       "a code column holds 1/0, a count or one of: lead, support, drop, mention)")


def test_codebook_without_a_label_column_says_so(tmp_path):
    message = error_of(tmp_path, "c.csv", "kind,id,lable\ntheme,water,Water\n")
    assert message == ("c.csv, line 2, field 'kind': cell 'theme' is not 1/0, a count or a stance "
                       "(a codebook? its header needs 'kind' and 'label'; columns found: kind, id, lable)")


def test_unknown_code_column_in_wide_file(tmp_path):
    message = error_of(tmp_path, "w.csv", "id,group,Reserch\nr1,partner,1\n")
    assert message.startswith("w.csv, line 1, field 'Reserch': unknown code 'Reserch'")


def test_malformed_csv(tmp_path):
    message = error_of(tmp_path, "a.csv", 'respondent,group,code\nr1,partner,research\nr2,partner,"advocacy,x\n', fmt="long")
    assert message.startswith("a.csv, line 3")


def test_ragged_csv_row(tmp_path):
    message = error_of(tmp_path, "a.csv", "respondent,group,code\nr1,partner,research,extra\n", fmt="long")
    assert message == "a.csv, line 2: expected 3 fields, found 4 (check for an unquoted delimiter or a missing quote)"


def test_malformed_yaml(tmp_path):
    message = error_of(tmp_path, "f.yaml", "- id: A\n  group: partner\n   measure: share\n", fmt="findings")
    assert message.startswith("f.yaml, line 3: malformed YAML")


def test_finding_with_bad_measure(tmp_path):
    message = error_of(tmp_path, "f.yaml", "- id: A\n  group: partner\n  measure: shares\n", fmt="findings")
    assert message == "f.yaml, line 1, field 'measure': 'shares' is not one of 'size', 'total', 'share', 'composition', 'qualitative'"


def test_finding_missing_group(tmp_path):
    message = error_of(tmp_path, "f.yaml", "- id: A\n  measure: share\n", fmt="findings")
    assert message == "f.yaml, line 1, field 'group': missing required field 'group'"


def test_codings_for_unknown_respondent(tmp_path):
    message = error_of(tmp_path, "a.csv", "respondent,code\nr9,research\n", fmt="long")
    assert message == "a.csv, line 2, field 'respondent': unknown respondent 'r9'"


def test_empty_file(tmp_path):
    message = error_of(tmp_path, "a.csv", "", fmt="long")
    assert message == "a.csv, line 1: the file is empty"


def test_bad_weight_names_its_line(tmp_path):
    message = error_of(tmp_path, "a.csv", "respondent,group,code,weight\nr1,partner,research,1\nr2,partner,advocacy,lots\n")
    assert message == "a.csv, line 3, field 'weight': weight 'lots' is not a number"


def test_quote_without_text(tmp_path):
    message = error_of(tmp_path, "q.yaml", "- id: Q1\n  group: partner\n", fmt="quotes")
    assert message == "q.yaml, line 1, field 'text': missing required field 'text'"


def test_quote_without_respondent_or_group(tmp_path):
    message = error_of(tmp_path, "q.yaml", "- id: Q1\n  text: Hello\n", fmt="quotes")
    assert message == "q.yaml, line 1, field 'group': a quote needs a respondent or a group"


def test_quote_illustrating_an_unknown_concept(tmp_path):
    message = error_of(tmp_path, "q.yaml", "- id: Q1\n  text: Hello\n  group: partner\n  illustrates: [reserch]\n", fmt="quotes")
    assert message.startswith("q.yaml, line 1, field 'illustrates': unknown code 'reserch' (nearest known: 'Research'")


def test_malformed_turtle(tmp_path):
    message = error_of(tmp_path, "c.ttl", "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\nthis is not turtle\n")
    assert message.startswith("c.ttl: not a readable RDF file")


def test_turtle_without_concepts(tmp_path):
    message = error_of(tmp_path, "c.ttl", "@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\n")
    assert message == "c.ttl: no skos:Concept in this file"


def test_unknown_format_name_lists_choices(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("respondent,group,code\nr1,partner,research\n")
    from consultgraph.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="unknown input format 'lng'; choose one of: codebook, consult, dataset, documents, findings, json, long"):
        load([path], fmt="lng")


def test_polis_folder_missing_votes(tmp_path):
    folder = tmp_path / "conv"
    folder.mkdir()
    (folder / "comments.csv").write_text("timestamp,datetime,comment-id,author-id,agrees,disagrees,moderated,comment-body\n")
    with pytest.raises(InputError, match="votes"):
        load([folder], fmt="polis")


def test_long_file_quotes_keep_their_offsets(tmp_path):
    path = tmp_path / "codings.csv"
    path.write_text("respondent,group,code,quote,start,end\n"
                    "p1,partner,Research,more research,8,21\n"
                    "p2,partner,Advocacy,lobbying works,,\n")
    quotes = load([path]).graph.table("Quote").set_index("text")
    assert (quotes.loc["more research", "start"], quotes.loc["more research", "end"]) == (8, 21)
    assert quotes["start"].isna().sum() == 1  # no offsets given: none made up
    bad = tmp_path / "bad.csv"
    bad.write_text("respondent,group,code,quote,start,end\np1,partner,Research,more research,eight,21\n")
    with pytest.raises(InputError) as error:
        load([bad])
    assert "line 2" in str(error.value) and "start" in str(error.value)
