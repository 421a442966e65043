"""Every catalogue query gives identical rows in Python, SPARQL and Cypher."""

from __future__ import annotations

import pytest

from consultgraph.errors import InputError, QueryError
from consultgraph.queries import catalogue as cat

KITE_PARAMS = {
    "group-sizes": {},
    "respondents-per-group": {},
    "divergence": {"group_a": "partner", "group_b": "national-entity", "kind": "Tactic"},
    "codings-per-group": {"kind": "Tactic"},
    "stance-split": {"concept": "theme/environment-climate"},
    "quotes-by-group": {"concept": "tactic/research", "group": "national-entity"},
    "quotes-by-region": {"concept": "tactic/research", "region": "Europe"},
    "raised-by-every-group": {"kind": "Tactic"},
    "quotes-attributed": {"concept": "tactic/research", "region": "Europe"},
    "raised-by-one-group-only": {"group_a": "partner", "group_b": "national-entity", "kind": "Tactic"},
    "bridging-respondents": {"group_a": "partner", "group_b": "national-entity"},
    "percent-mismatch": {},
}

# the same parameters serve the built-in dataset
AMNESTY_PARAMS = KITE_PARAMS
#: The built-in dataset holds published findings and no respondent-level codings.
# the built-in dataset has published findings and quotes, no respondent-level codings
EMPTY_ON_AMNESTY = {"codings-per-group", "bridging-respondents", "raised-by-one-group-only"}


def test_every_catalogue_query_is_exercised():
    assert set(KITE_PARAMS) == set(cat.catalogue()) == set(AMNESTY_PARAMS)


@pytest.fixture(scope="module")
def kite_catalogue(tmp_path_factory):
    """The kite plus one partner who alone raises litigation (so one group raises a concept the other never does).

    Built once per module (the tests only query it, so its engines are built once too).
    """
    from consultgraph.loaders import load
    from tests.conftest import KITE_FINDINGS, KITE_LONG

    folder = tmp_path_factory.mktemp("kite-catalogue")
    for name, text in [("kite.csv", KITE_LONG), ("kite-findings.csv", KITE_FINDINGS),
                       ("kite-extra.csv", "respondent,group,region,code\np4,partner,Asia-Pacific,litigation\n")]:
        (folder / name).write_text(text, encoding="utf-8")
    return load([folder / "kite.csv", folder / "kite-findings.csv", folder / "kite-extra.csv"]).graph


@pytest.mark.parametrize("name", sorted(KITE_PARAMS))
def test_three_languages_agree_on_the_kite(kite_catalogue, name):
    rows = {lang: cat.run(kite_catalogue, name, KITE_PARAMS[name], language=lang) for lang in cat.LANGUAGES}
    assert rows["python"], f"{name} returned no rows on the kite: the comparison would prove nothing"
    assert rows["python"] == rows["sparql"] == rows["cypher"]


@pytest.mark.parametrize("name", sorted(AMNESTY_PARAMS))
def test_three_languages_agree_on_the_builtin_dataset(amnesty, name):
    rows = {lang: cat.run(amnesty, name, AMNESTY_PARAMS[name], language=lang) for lang in cat.LANGUAGES}
    assert bool(rows["python"]) == (name not in EMPTY_ON_AMNESTY), "rows where none are expected, or none at all"
    assert rows["python"] == rows["sparql"] == rows["cypher"]


def test_kite_values_by_hand(kite_full_shared):
    divergence = cat.run(kite_full_shared, "divergence", KITE_PARAMS["divergence"])
    research = next(r for r in divergence if r["concept"] == "tactic/research")
    assert (research["count_a"], research["base_a"], research["count_b"], research["base_b"]) == (1, 3, 2, 3)
    assert research["difference_points"] == pytest.approx(-33.3)
    codings = cat.run(kite_full_shared, "codings-per-group", {"kind": "Tactic"})
    assert {"group": "group/partner", "concept": "tactic/advocacy", "stance": "mention", "respondents": 2} in codings
    every = cat.run(kite_full_shared, "raised-by-every-group", {"kind": "Tactic"})
    assert [r["concept"] for r in every] == ["tactic/research"]


def test_new_questions_by_hand(kite_catalogue):
    only = cat.run(kite_catalogue, "raised-by-one-group-only", KITE_PARAMS["raised-by-one-group-only"])
    assert only == [{"concept": "tactic/strategic-litigation", "respondents": 1}]
    reverse = {"group_a": "national-entity", "group_b": "partner", "kind": "Tactic"}
    assert cat.run(kite_catalogue, "raised-by-one-group-only", reverse) == []
    # research: p1 is the only partner and NEs raise it; climate: p3 likewise; advocacy has two partners
    bridges = cat.run(kite_catalogue, "bridging-respondents", KITE_PARAMS["bridging-respondents"])
    assert bridges == [{"respondent": "respondent/p1", "concept": "tactic/research"},
                       {"respondent": "respondent/p3", "concept": "theme/environment-climate"}]
    # c-s prints 50% for 2 of 3 (66.7%); every other kite percent is within rounding
    mismatch = cat.run(kite_catalogue, "percent-mismatch")
    assert [(r["count"], r["base"], r["reported_percent"], r["computed_percent"]) for r in mismatch] == [(2, 3, 50, 66.666667)]
    quotes = cat.run(kite_catalogue, "quotes-attributed", KITE_PARAMS["quotes-attributed"])
    assert [(q["text"], q["respondent"], q["group"]) for q in quotes] == [
        ("We need =research", "respondent/n2", "group/national-entity")]


def test_parameters_are_bound_not_pasted(kite_full_shared):
    hostile = 'x" OR 1=1 //'
    with pytest.raises(InputError, match="field 'group': unknown code 'x\" OR 1=1 //'"):
        cat.run(kite_full_shared, "quotes-by-group", {"concept": "tactic/research", "group": hostile}, language="cypher")
    assert cat.run_cypher(kite_full_shared, "MATCH (n) WHERE n.id = $g RETURN n.id AS id", {"g": hostile}) == []


def test_missing_and_unknown_parameters(kite_full_shared):
    with pytest.raises(QueryError, match="needs --param kind"):
        cat.run(kite_full_shared, "codings-per-group", {})
    with pytest.raises(QueryError, match="has no parameter 'colour'"):
        cat.run(kite_full_shared, "group-sizes", {"colour": "red"})


@pytest.mark.parametrize("name", ["quotes-by-group", "quotes-by-region", "quotes-attributed"])
def test_quote_questions_on_a_project_without_quotes(tmp_path, name):
    from consultgraph.loaders import load

    codings = tmp_path / "codings.csv"
    codings.write_text("respondent,group,region,code\np1,partner,Europe,research\n", encoding="utf-8")
    graph = load([codings]).graph
    assert {lang: cat.run(graph, name, KITE_PARAMS[name], language=lang) for lang in cat.LANGUAGES} == {
        lang: [] for lang in cat.LANGUAGES}


def test_query_divergence_names_the_stance_as_compare_does():
    import csv

    from click.testing import CliRunner

    from consultgraph.cli import main

    def run(*args):
        result = CliRunner().invoke(main, list(args))
        assert result.exit_code == 0, result.output
        return result.stdout

    divergence = ["query", "divergence", "-p", "group_a=partner", "-p", "group_b=national-entity", "-p", "kind=Tactic"]
    table = run(*divergence, "--wide")
    compared = run("compare", "--groups", "partner,national-entity", "--by", "tactic", "--wide")
    assert "raised (any stance)" in table and "raised (any stance)" in compared
    rows = list(csv.DictReader(run(*divergence, "-f", "csv").splitlines()))
    assert "raised" in {r["stance"] for r in rows}  # a data format keeps the value, as compare's CSV does
