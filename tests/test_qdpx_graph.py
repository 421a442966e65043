"""REFI-QDA projects into the graph and the graph back out as a valid .qdpx."""

from __future__ import annotations

import pytest

from consultgraph.errors import InputError
from consultgraph.loaders import detect, load

SAMPLES = [
    "atlasti8_refi_standard_project.qdpx",
    "nvivo12_hu_vaccine_skepticism.qdpx",
    "nvivo15mac_codebook_qc.qdpx",
    "qc_demo_school_board.qdpx",
    "atlasti8_refi_standard_project.qde",
    "hand_authored_all_elements.qde",
]


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_loads(shared_data, name):
    from consultgraph.loaders.qdpx import read_qdpx

    path = shared_data / "qdpx" / name
    assert detect(path) == "qdpx"
    project = read_qdpx(path)
    graph = load([path], options={"respondent_per_source": True}).graph
    quotes = graph.table("Quote")
    cut = [s for s in project.selections if s.text and s.text.strip()]
    assert len(quotes) == len(cut)
    said = graph.edges_of("SAID")
    assert len(said) == len(cut)  # every quote is said by its source's respondent
    in_cases = {source for case in project.cases for source in case.sources}
    expected = len(project.cases) + len([s for s in project.sources if s.guid not in in_cases])
    assert len(graph.respondents()) == expected  # a case is a respondent; other sources are one each


def test_codings_become_mentions_with_weights(shared_data):
    from consultgraph.loaders.qdpx import read_qdpx

    path = shared_data / "qdpx" / "qc_demo_school_board.qdpx"
    project = read_qdpx(path)
    graph = load([path], options={"respondent_per_source": True}).graph
    assert graph.codings()["weight"].sum() == sum(len(s.codings) for s in project.selections if s.source)


def test_known_code_names_map_onto_schema_concepts(tmp_path, shared_data):
    mapping = tmp_path / "map.csv"
    from consultgraph.loaders.qdpx import read_qdpx

    project = read_qdpx(shared_data / "qdpx" / "qc_demo_school_board.qdpx")
    first = next(c for c in project.codes if any(c.guid in s.codes for s in project.selections))
    mapping.write_text(f"code,concept\n{first.name},tactic/research\n")
    graph = load([shared_data / "qdpx" / "qc_demo_school_board.qdpx"],
                 options={"respondent_per_source": True, "code_map": mapping}).graph
    assert "tactic/research" in set(graph.codings()["concept"])


def test_group_variable_must_exist(shared_data):
    with pytest.raises(InputError, match="no case has the variable 'Stakeholder'"):
        load([shared_data / "qdpx" / "hand_authored_all_elements.qde"], options={"group_variable": "Stakeholder"})


def test_graph_exports_to_a_valid_qdpx_and_back(tmp_path, kite_full, shared_data):
    import xmlschema
    import zipfile

    from consultgraph.outputs.export import export
    from consultgraph.loaders.qdpx import read_qdpx

    path = export(kite_full, "qdpx", tmp_path / "kite.qdpx")
    schema = xmlschema.XMLSchema(str(shared_data / "qdpx" / "Project.xsd"))
    with zipfile.ZipFile(path) as archive:
        qde = next(n for n in archive.namelist() if n.endswith(".qde"))
        schema.validate(archive.read(qde).decode("utf-8"))
    project = read_qdpx(path)
    texts = sorted(s.text for s in project.selections)
    assert texts == sorted(kite_full.table("Quote")["text"])
    back = load([path], options={"group_variable": "group"}).graph
    people = back.respondents()
    assert set(people["group"]) <= {"group/partner", "group/national-entity"}


def test_builtin_exports_to_a_valid_qdpx(tmp_path, amnesty, shared_data):
    import xmlschema
    import zipfile

    from consultgraph.outputs.export import export

    path = export(amnesty, "qdpx", tmp_path / "amnesty.qdpx")
    schema = xmlschema.XMLSchema(str(shared_data / "qdpx" / "Project.xsd"))
    with zipfile.ZipFile(path) as archive:
        qde = next(n for n in archive.namelist() if n.endswith(".qde"))
        schema.validate(archive.read(qde).decode("utf-8"))


@pytest.mark.parametrize("name", ["qc_demo_school_board.qdpx", "atlasti8_refi_standard_project.qdpx"])
def test_codings_keep_who_coded_them(shared_data, name):
    from consultgraph.loaders.qdpx import read_qdpx

    path = shared_data / "qdpx" / name
    project = read_qdpx(path)
    users = {u.guid: u.name or u.id or u.guid for u in project.users}
    expected = {users[c.creating_user or s.creating_user] for s in project.selections if s.source
                for c in s.codings if (c.creating_user or s.creating_user) in users}
    graph = load([path], options={"respondent_per_source": True}).graph
    codings = graph.codings("all")
    assert expected  # the sample names its coders
    assert set(codings["coder"].dropna()) == expected
    quotes = graph.table("Quote")  # the ATLAS.ti sample has no plain text, so no quotes
    if len(quotes):
        assert quotes["start"].notna().all() and (quotes["end"] > quotes["start"]).all()
