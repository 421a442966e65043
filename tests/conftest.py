"""Shared fixtures: tiny consultations you can check by hand, and the real data in ../shared."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SOURCE_TEXT = SHARED / "source" / "amnesty-next-strategy-synthesis-2019.txt"

# Three partners and three national entities. By hand:
#   research: partners 1 of 3 (p1), national entities 2 of 3 (n1, n2)
#   advocacy: partners 2 of 3 (p1, p2), national entities 1 of 3 (n3)
#   climate:  partners 1 of 3 support (p3), national entities 1 of 3 lead (n2)
# A small free-text project (two questions, six respondents) and its codebook, read by
# test_coding and test_review: the rules code Research on p1/q1, n1/q1 and n2/q1 and
# Advocacy on p1/q2, p2/q1 and p3/q1 (by hand; test_coding adds education).
FREE_TEXT_CODES = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix cg:   <https://w3id.org/consultgraph/ontology#> .
@prefix ex:   <https://example.org/codes/> .
ex:codes a skos:ConceptScheme ; cg:kind cg:Idea .
ex:research a skos:Concept ; skos:inScheme ex:codes ; skos:prefLabel "Research"@en ; skos:altLabel "investigation"@en .
ex:advocacy a skos:Concept ; skos:inScheme ex:codes ; skos:prefLabel "Advocacy"@en ;
    skos:altLabel "lobbying"@en, "campaigning"@en ; skos:hiddenLabel "advocasy"@en .
"""
FREE_TEXT_ANSWERS = """id,group,region,q1,q2
p1,partner,Africa,"We need more research on climate.",Lobbying governments works.
p2,partner,Europe,Campaigns and advocasy matter most.,
p3,partner,Europe,No research please; just campaign.,Teach human rights in schools.
n1,national-entity,Europe,"Research, research, research.",Fund human rights education.
n2,national-entity,Africa,Investigations into abuses.,HRE for young people.
n3,national-entity,Africa,Not advocacy.,Nothing to add.
"""

KITE_LONG = """respondent,group,region,code,stance,weight,quote
p1,partner,Africa,research,,1,
p1,partner,Africa,advocacy,,,
p2,partner,Americas,Advocacy,,,
p3,partner,Africa,climate,support,,Climate first
n1,national-entity,Europe,Research,,,
n2,NE,Europe,research,,2,We need =research
n2,NE,Europe,Climate change,lead,,
n3,national-entity,Africa,advocacy,,,
"""

KITE_WIDE = """id,group,region,Research,Advocacy,Climate change
p1,partner,Africa,1,1,0
p2,partner,Americas,0,1,
p3,partner,Africa,0,0,support
n1,national-entity,Europe,1,0,0
n2,national-entity,Europe,2,0,lead
n3,national-entity,Africa,,1,0
"""


# Published findings for the kite: sizes, shares (one over a subgroup base), a stance split.
KITE_FINDINGS = """id,group,concept,stance,measure,count,base,base_ref,reported_percent,source_line,statement
size-p,partner,,,size,3,,,,1,3 partners
size-n,national-entity,,,size,3,,,,2,3 national entities
total,partner,,,total,7,,,,3,7 submissions
r-p,partner,research,mention,share,1,3,,33,4,33% of partners (1 of 3) research
r-n,national-entity,research,mention,share,2,3,,67,5,67% of NEs (2 of 3) research
a-p,partner,advocacy,mention,share,2,3,,67,6,67% of partners (2 of 3) advocacy
c-l,national-entity,climate,lead,share,1,3,,33,7,33% lead on climate
c-s,national-entity,climate,support,share,2,3,,50,8,50% support climate (2 of 3; reported 50; the audit flags it)
sub,partner,HRE,lead,share,1,2,a-p,50,9,1 of the 2 partners who mention advocacy lead on HRE
"""


@pytest.fixture
def kite_findings(tmp_path):
    path = tmp_path / "kite-findings.csv"
    path.write_text(KITE_FINDINGS, encoding="utf-8")
    return path


@pytest.fixture
def kite_full(kite_long, kite_findings):
    from consultgraph.loaders import load

    return load([kite_long, kite_findings]).graph


@pytest.fixture(scope="module")
def kite_full_shared(tmp_path_factory):
    """``kite_full`` built once per module, for tests that only query it: its query engines
    and shares table are cached on the graph, so they are built once too."""
    from consultgraph.loaders import load

    folder = tmp_path_factory.mktemp("kite")
    (folder / "kite.csv").write_text(KITE_LONG, encoding="utf-8")
    (folder / "kite-findings.csv").write_text(KITE_FINDINGS, encoding="utf-8")
    return load([folder / "kite.csv", folder / "kite-findings.csv"]).graph


@pytest.fixture
def kite_long(tmp_path):
    path = tmp_path / "kite.csv"
    path.write_text(KITE_LONG, encoding="utf-8")
    return path


@pytest.fixture
def kite_wide(tmp_path):
    path = tmp_path / "kite-wide.csv"
    path.write_text(KITE_WIDE, encoding="utf-8")
    return path


@pytest.fixture
def kite(kite_long):
    from consultgraph.loaders import load

    return load([kite_long]).graph


@pytest.fixture(scope="session")
def amnesty():
    from consultgraph.loaders import builtin

    return builtin()


@pytest.fixture(scope="session")
def shared_data():
    path = SHARED / "data"
    if not path.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing: CI must have ../shared beside the checkout")
        pytest.skip(f"{path} not present")
    return path


def pytest_sessionfinish(session, exitstatus):
    """A run that collected no test must fail, never pass silently (pytest's exit 5)."""
    if exitstatus == 5:
        session.exitstatus = 1
