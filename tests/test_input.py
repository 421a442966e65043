"""Input ergonomics (issue 13): standard input, CSV dialects, NVivo/MAXQDA crosstabs, a plain codebook."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from consultgraph.cli import main
from consultgraph.errors import InputError


def run(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def research_counts(project):
    rows = json.loads(run("compare", "-g", project, "--groups", "partner,national-entity", "--by", "tactic",
                          "-f", "json").stdout)
    research = next(r for r in rows if r["concept"] == "tactic/research")
    return research["partner_count"], research["partner_base"], research["national_entity_count"], research["national_entity_base"]


# problem 3: standard input
def test_load_dash_reads_standard_input(tmp_path):
    from tests.conftest import KITE_LONG

    project = str(tmp_path / "p")
    result = run("load", "-", "--from", "long", "--into", project, "-q", input=KITE_LONG)
    assert result.exit_code == 0, result.output
    assert research_counts(project) == (1, 3, 2, 3)  # the kite, by hand


def test_load_dash_without_from_is_one_clear_line(tmp_path):
    result = CliRunner().invoke(main, ["load", "-", "--into", str(tmp_path / "p")], input="respondent,code\n")
    assert result.exit_code == 2
    assert "Error: reading standard input needs --from FORMAT" in result.output


def test_bad_standard_input_names_stdin_and_line(tmp_path):
    result = CliRunner().invoke(main, ["load", "-", "--from", "long", "--into", str(tmp_path / "p"), "-q"],
                                input="respondent,group,code\nr1,partner,reserch\n")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: <stdin>, line 2, field 'code': unknown code 'reserch'")


# problem 3: semicolons, tabs, BOM
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_dialect_is_sniffed(tmp_path, delimiter):
    from tests.conftest import KITE_LONG

    path = tmp_path / "kite.csv"
    text = "\n".join(delimiter.join(line.split(",")) for line in KITE_LONG.splitlines()) + "\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    project = str(tmp_path / "p")
    assert run("load", str(path), "--into", project, "-q").exit_code == 0
    assert research_counts(project) == (1, 3, 2, 3)


def test_utf16_is_a_clear_error(tmp_path):
    from consultgraph.loaders import load

    path = tmp_path / "excel.csv"
    path.write_text("respondent\tcode\nr1\tresearch\n", encoding="utf-16")
    with pytest.raises(InputError, match="UTF-16"):
        load([path])


# problem 3: NVivo and MAXQDA crosstabs
def test_nvivo_and_maxqda_crosstab_headers(tmp_path):
    path = tmp_path / "matrix.csv"
    path.write_text(",group,A : Research,B : Advocacy,Codes\\Themes\\Climate change\n"
                    "1 : p1,partner,1,1,0\n2 : p2,partner,0,1,\n3 : p3,partner,0,0,support\n"
                    "4 : n1,national-entity,1,0,0\n5 : n2,national-entity,2,0,lead\n6 : n3,national-entity,,1,0\n",
                    encoding="utf-8")
    project = str(tmp_path / "p")
    result = run("load", str(path), "--into", project, "-q")
    assert result.exit_code == 0, result.output
    assert research_counts(project) == (1, 3, 2, 3)
    from consultgraph.graph.consultation import Consultation

    graph = Consultation.open(project)
    assert {"respondent/p1", "respondent/n3"} <= set(graph.table("Respondent")["id"])


# problem 5: a plain codebook makes real groups and concepts
CODEBOOK = """kind,id,label,alt_labels,broader,definition
group,donor,Donors,funders|foundations,,Organisations that fund the work
region,north,The North,,,
theme,water,Water and sanitation,WASH,,
idea,wells,More wells,boreholes,water,
"""


def test_codebook_csv_defines_groups_and_concepts(tmp_path):
    book = tmp_path / "codebook.csv"
    book.write_text(CODEBOOK)
    codings = tmp_path / "codings.csv"
    codings.write_text("respondent,group,region,code\nd1,donor,north,boreholes\nd2,funders,The North,WASH\n"
                       "p1,partner,Africa,research\np2,partner,Africa,Water and sanitation\n")
    project = str(tmp_path / "p")
    result = run("load", str(book), str(codings), "--into", project, "-q")
    assert result.exit_code == 0, result.output
    from consultgraph.graph.consultation import Consultation

    graph = Consultation.open(project)
    donor = graph.concepts["group/donor"]
    assert (donor.kind, donor.label) == ("StakeholderGroup", "Donors")
    assert graph.concepts["idea/wells"].broader == ("theme/water",)
    rows = json.loads(run("compare", "-g", project, "--groups", "donor,partner", "--by", "theme", "-f", "json").stdout)
    water = next(r for r in rows if r["concept"] == "theme/water")
    assert (water["donor_count"], water["donor_base"], water["partner_count"], water["partner_base"]) == (2, 2, 1, 2)


def test_codebook_yaml_grouped_by_kind(tmp_path):
    book = tmp_path / "codes.yaml"
    book.write_text("groups:\n  - id: volunteer\n    label: Volunteers\n"
                    "tactics:\n  - label: Street theatre\n    broader: Activism and mobilisation\n")
    from consultgraph.loaders import detect, load

    assert detect(book) == "codebook"
    graph = load([book]).graph
    assert graph.concepts["group/volunteer"].kind == "StakeholderGroup"
    assert graph.concepts["tactic/street-theatre"].broader == ("tactic/activism",)


def test_codebook_errors_name_line_and_field(tmp_path):
    from consultgraph.loaders import load

    book = tmp_path / "codebook.csv"
    book.write_text("kind,label\ngroup,Donors\ngruop,Volunteers\n")
    with pytest.raises(InputError) as error:
        load([book])
    assert str(error.value).startswith(f"{book}, line 3, field 'kind': unknown kind 'gruop' (nearest: 'group'")
