"""Loading what the project was last written from again is a no-op (and only then): the load signature."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from consultgraph.cli import main
from consultgraph.graph.consultation import Consultation
from consultgraph.graph.store import Project
from consultgraph.loaders import load
from consultgraph.loaders.signature import file_sha256
from tests.test_store import same_graph

# By hand: A puts p1 in partner and codes research; B moves p1 to public and codes advocacy.
A = "respondent,group,code\np1,partner,research\np2,partner,advocacy\n"
B = "respondent,group,code\np1,public,advocacy\n"


@pytest.fixture
def files(tmp_path):
    (tmp_path / "a.csv").write_text(A, encoding="utf-8")
    (tmp_path / "b.csv").write_text(B, encoding="utf-8")
    return tmp_path / "a.csv", tmp_path / "b.csv"


def generation(project):
    return Project(project).manifest()["generation"]


def group_of(project, respondent):
    return Consultation.open(project).respondents().set_index("id").loc[respondent, "group"]


def no_reading(monkeypatch):
    """Make any parse or table read fail the test: a no-op reads neither."""
    import consultgraph.loaders.pipeline as pipeline

    def refuse(*args, **kwargs):
        raise AssertionError("a no-op load parsed a file or read a table")

    monkeypatch.setattr(pipeline, "iter_records", refuse)
    for name in ("read_arrow", "read_where", "read_pandas", "read_concepts", "read_share_counts"):
        monkeypatch.setattr(Project, name, refuse)


def test_same_file_twice_is_a_no_op(tmp_path, files, monkeypatch):
    a, _ = files
    project = tmp_path / "p"
    first = load([a], into=project)
    manifest = (project / "manifest.json").read_bytes()
    tables = sorted(p.name for p in project.iterdir())
    no_reading(monkeypatch)
    again = load([a], into=project)
    assert not first.unchanged and again.unchanged
    assert (again.nodes_after, again.edges_after) == (first.nodes_after, first.edges_after)
    assert again.added == {"nodes": 0, "edges": 0}
    assert again.files == [{"file": str(a), "sha256": file_sha256(a)}]
    assert (project / "manifest.json").read_bytes() == manifest  # generation 1, one load logged
    assert sorted(p.name for p in project.iterdir()) == tables


def test_a_then_b_then_a_is_loaded_and_equals_a_fresh_a_b_a(tmp_path, files):
    a, b = files
    project, fresh = tmp_path / "p", tmp_path / "fresh"
    load([a], into=project)
    load([b], into=project)
    assert group_of(project, "respondent/p1") == "group/public"
    third = load([a], into=project)
    assert not third.unchanged and generation(project) == 3
    assert group_of(project, "respondent/p1") == "group/partner"
    for path in (a, b, a):
        load([path], into=fresh, force=True)
    assert same_graph(Consultation.open(project), Consultation.open(fresh))


def test_the_same_files_in_another_order_are_loaded(tmp_path, files):
    a, _ = files
    c = tmp_path / "c.csv"
    c.write_text("respondent,group,code\nr3,public,climate\n", encoding="utf-8")
    project = tmp_path / "p"
    load([a, c], into=project)
    assert not load([c, a], into=project).unchanged  # a later file's rows replace an earlier one's
    assert load([c, a], into=project).unchanged and generation(project) == 2


def test_changed_content_is_loaded(tmp_path, files):
    a, _ = files
    project = tmp_path / "p"
    load([a], into=project)
    a.write_text(A.replace("p1,partner", "p1,public"), encoding="utf-8")
    again = load([a], into=project)
    assert not again.unchanged and generation(project) == 2
    assert group_of(project, "respondent/p1") == "group/public"


@pytest.mark.parametrize("change", [{"namespace": "other"}, {"fmt": "long"}, {"steps": (lambda path, fmt, ns: iter(()),)}])
def test_other_options_are_loaded(tmp_path, files, change):
    a, _ = files
    project = tmp_path / "p"
    load([a], into=project)
    assert not load([a], into=project, **change).unchanged
    assert generation(project) == 2
    assert load([a], into=project, **change).unchanged  # and that load, repeated, is the no-op


def test_other_format_options_are_loaded(tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text("id,group,q1,q2\nr1,partner,More research,Less travel\n", encoding="utf-8")
    project = tmp_path / "p"
    load([answers], into=project, options={"text_columns": "q1"})
    assert load([answers], into=project, options={"text_columns": "q1", "group": None}).unchanged  # None: not given
    assert not load([answers], into=project, options={"text_columns": "q1,q2"}).unchanged
    assert generation(project) == 2


def test_a_later_save_makes_the_same_load_run(tmp_path, files):
    a, _ = files
    project = tmp_path / "p"
    load([a], into=project)
    Consultation.open(project).save(project)  # what `code` and other writers do: a generation without a load
    assert generation(project) == 2
    assert not load([a], into=project).unchanged
    assert generation(project) == 3


def test_force_takes_the_full_path_and_writes_the_same_tables(tmp_path, files):
    a, b = files
    project = tmp_path / "p"
    load([b], into=project)
    load([a], into=project)
    before = Consultation.open(project)
    before.nodes, before.edges  # read now: the forced load replaces this generation's files
    forced = load([a], into=project, force=True)
    assert not forced.unchanged and generation(project) == 3
    assert same_graph(before, Consultation.open(project))  # what the skip relies on: loading again changes nothing


@pytest.mark.parametrize("missing", ["signature", "generation"])
def test_a_load_logged_without_a_signature_or_generation_is_loaded_again(tmp_path, files, missing):
    a, _ = files
    project = tmp_path / "p"
    load([a], into=project)
    path = project / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for entry in manifest["loads"]:
        del entry[missing]  # as older versions wrote it
    path.write_text(json.dumps(manifest), encoding="utf-8")
    assert not load([a], into=project).unchanged
    assert load([a], into=project).unchanged


def test_a_file_a_dataset_lists_outside_its_folder_counts(tmp_path):
    folder = tmp_path / "survey"
    folder.mkdir()
    (folder / "dataset.yaml").write_text("name: survey\nfiles:\n  - ../answers.csv\n", encoding="utf-8")
    answers = tmp_path / "answers.csv"
    answers.write_text(A, encoding="utf-8")
    project = tmp_path / "p"
    load([folder], into=project)
    assert load([folder], into=project).unchanged
    answers.write_text(B, encoding="utf-8")
    assert not load([folder], into=project).unchanged
    assert group_of(project, "respondent/p1") == "group/public"


def test_cli_says_already_loaded_and_force_loads(tmp_path, files):
    a, _ = files
    project = str(tmp_path / "p")
    runner = CliRunner()
    assert runner.invoke(main, ["load", str(a), "--into", project]).exit_code == 0
    again = runner.invoke(main, ["load", str(a), "--into", project])
    assert again.exit_code == 0
    assert again.stderr.strip() == f"already loaded: {a} (sha256 {file_sha256(a)[:12]}…), nothing to do; --force to load again"
    forced = runner.invoke(main, ["load", str(a), "--into", project, "--force"])
    assert forced.exit_code == 0 and "already loaded" not in forced.stderr
    assert "nothing changed" in forced.stderr and generation(project) == 2


def test_the_cli_no_op_imports_no_heavy_library(tmp_path, files):
    """Structural, not timed: hashing is the no-op's work, so neither pandas nor Arrow is imported."""
    from tests.test_startup import imported_after

    a, _ = files
    project = tmp_path / "p"
    assert CliRunner().invoke(main, ["load", str(a), "--into", str(project)]).exit_code == 0  # the CLI's own steps
    code = ("from consultgraph.cli import main\n"
            f"try:\n    main(['load', {str(a)!r}, '--into', {str(project)!r}])\nexcept SystemExit:\n    pass\n")
    assert imported_after(code) == []
    assert generation(project) == 1
