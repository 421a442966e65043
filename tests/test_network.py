"""Network questions: co-occurrence, centrality, communities and bridges, checked by hand."""

from __future__ import annotations

import json
import math

import networkx as nx
import pytest
from click.testing import CliRunner

from consultgraph.errors import QueryError, UnknownNameError
from consultgraph.queries import network

# The kite (tests/conftest.py), as sets of concepts raised:
#   p1 {research, advocacy}   p2 {advocacy}   p3 {climate}
#   n1 {research}             n2 {research, climate}   n3 {advocacy}
# base 6; research 3, advocacy 3, climate 2; together: research+advocacy 1 (p1),
# research+climate 1 (n2), advocacy+climate 0.
R, A, C = "tactic/research", "tactic/advocacy", "theme/environment-climate"


def graph_of(tmp_path, text, name="codes.csv"):
    from consultgraph.loaders import load

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load([path]).graph


def pair(rows, a, b):
    return next(r for r in rows if (r["a"], r["b"]) == (a, b))


# --------------------------------------------------------------------------- cooccur


def test_tactic_theme_pairs_on_the_kite(kite):
    rows = network.cooccur(kite, kinds=("Tactic", "Theme"))
    # advocacy+climate never happens, so min_count=1 leaves one pair
    assert [(r["a"], r["b"]) for r in rows] == [(R, C)]
    row = rows[0]
    assert (row["count"], row["count_a"], row["count_b"], row["base"]) == (1, 3, 2, 6)
    assert row["lift"] == pytest.approx(1.0)  # 1 * 6 / (3 * 2): exactly chance
    assert row["jaccard"] == pytest.approx(0.25)  # 1 / (3 + 2 - 1)
    assert row["share"] == pytest.approx(1 / 6) and row["share_text"] == "17% (1 of 6)"
    assert row["b_given_a"] == pytest.approx(1 / 3)
    assert row["low"] < 1 / 6 < row["high"]
    # P(X >= 1), X hypergeometric(6, 3 research, 2 climate) = 1 - C(3,2)/C(6,2) = 1 - 3/15
    assert row["p_value"] == pytest.approx(0.8)
    # BH over both pairs considered (p = 0.8 and 1.0): q = min(0.8 * 2/1, 1.0 * 2/2) = 1
    assert row["q_value"] == pytest.approx(1.0)
    assert (row["a_label"], row["b_kind"]) == ("Research", "Theme")


def test_min_count_zero_keeps_pairs_never_raised_together(kite):
    rows = network.cooccur(kite, kinds="tactic,theme", min_count=0)
    never = pair(rows, A, C)
    assert (never["count"], never["lift"], never["jaccard"], never["p_value"]) == (0, 0.0, 0.0, 1.0)


def test_pairs_within_one_kind(kite):
    rows = network.cooccur(kite, kinds="tactic")
    assert len(rows) == 1
    row = pair(rows, A, R)  # within one kind a comes before b by id
    assert (row["count"], row["count_a"], row["count_b"]) == (1, 3, 3)
    assert row["lift"] == pytest.approx(6 / 9)  # 1 * 6 / (3 * 3)
    assert row["jaccard"] == pytest.approx(1 / 5)  # 1 / (3 + 3 - 1)


def test_group_and_region_change_the_base(kite):
    # national entities: n1 {research}, n2 {research, climate}, n3 {advocacy}
    row = network.cooccur(kite, group="NE")[0]
    assert (row["count"], row["count_a"], row["count_b"], row["base"]) == (1, 2, 1, 3)
    assert row["lift"] == pytest.approx(1.5)  # 1 * 3 / (2 * 1)
    # based in Europe: n1, n2
    row = network.cooccur(kite, region="Europe")[0]
    assert (row["count"], row["base"], row["share_text"]) == (1, 2, "50% (1 of 2)")
    assert row["lift"] == pytest.approx(1.0)  # 1 * 2 / (2 * 1)


def test_base_counts_respondents_who_raised_neither(kite):
    # only n2 raised climate, only n1 and n2 research among NEs; n3 (advocacy) still counts in the base
    row = network.cooccur(kite, group="national-entity", kinds="tactic,theme")[0]
    assert row["base"] == 3


def test_roll_up_counts_narrower_codes_for_broader_concepts(tmp_path):
    # r1 {research, children}; r2 {discrimination}; children is narrower than discrimination
    graph = graph_of(tmp_path, "respondent,group,code\nr1,partner,research\nr1,partner,theme/children\n"
                               "r2,partner,discrimination\n")
    rolled = network.cooccur(graph, kinds="tactic,theme")
    discrimination = pair(rolled, R, "theme/discrimination")
    assert (discrimination["count"], discrimination["count_b"]) == (1, 2)  # r1 through children, r2 directly
    assert discrimination["lift"] == pytest.approx(1.0)  # 1 * 2 / (1 * 2)
    assert pair(rolled, R, "theme/children")["lift"] == pytest.approx(2.0)  # 1 * 2 / (1 * 1)
    flat = network.cooccur(graph, kinds="tactic,theme", roll_up=False)
    assert [(r["a"], r["b"]) for r in flat] == [(R, "theme/children")]
    # a concept and a broader one co-occur by construction when rolled up: never listed as a pair
    assert network.cooccur(graph, kinds="theme", min_count=0) == []
    unrolled = network.cooccur(graph, kinds="theme", min_count=0, roll_up=False)
    assert [(r["a"], r["b"], r["count"]) for r in unrolled] == [("theme/children", "theme/discrimination", 0)]


def test_sort_and_top(kite):
    rows = network.cooccur(kite, kinds="tactic,theme", min_count=0, sort="count")
    assert [r["count"] for r in rows] == [1, 0]
    assert len(network.cooccur(kite, kinds="tactic,theme", min_count=0, top=1)) == 1
    with pytest.raises(UnknownNameError, match="choose one of: count, lift"):
        network.cooccur(kite, sort="size")


def test_unknown_kind_lists_the_choices(kite):
    with pytest.raises(UnknownNameError, match="unknown concept kind 'tactik'; choose one of: approach, audience"):
        network.cooccur(kite, kinds="tactik")
    # the aliases of schema/ontology.ttl (skos:altLabel) are kind names too
    assert network.cooccur(kite, kinds="tactics,themes", min_count=0) == network.cooccur(kite, kinds="tactic,theme",
                                                                                         min_count=0)


def test_incidence_matrix_is_respondents_by_concepts(kite):
    data = network.incidence(kite)
    assert data.matrix.shape == (6, 3) and data.base == 6
    assert data.concepts == [A, R, C]
    assert data.counts().tolist() == [3, 3, 2]
    # research (3 coded rows, one with weight 2) counts each respondent once
    assert data.together().tolist() == [[3, 1, 0], [1, 3, 1], [0, 1, 2]]


# --------------------------------------------------------------------------- errors


def test_findings_only_graph_raises_a_clear_error(kite_findings):
    from consultgraph.loaders import load

    graph = load([kite_findings]).graph
    for question in (network.cooccur, network.central, network.communities, network.bridges):
        with pytest.raises(QueryError, match="need respondent-level codings; this graph has only published findings"):
            question(graph)


def test_a_filter_that_leaves_nobody_is_an_error(kite):
    with pytest.raises(QueryError, match="no respondents with codings"):
        network.cooccur(kite, group="public")


# --------------------------------------------------------------------------- centrality


def test_centrality_on_the_kite(kite):
    # the network is a path advocacy - research - climate, every edge weight 1
    degree = {r["concept"]: (r["score"], r["rank"]) for r in network.central(kite)}
    assert degree == {R: (2, 1), A: (1, 2), C: (1, 2)}
    between = {r["concept"]: r["score"] for r in network.central(kite, measure="betweenness")}
    assert between == {R: 1.0, A: 0.0, C: 0.0}  # the one path advocacy-climate runs through research
    eigen = {r["concept"]: r["score"] for r in network.central(kite, measure="eigenvector")}
    # path on 3 nodes: eigenvalue sqrt 2, eigenvector (1, sqrt 2, 1) / 2
    assert eigen[R] == pytest.approx(math.sqrt(2) / 2) and eigen[A] == pytest.approx(0.5)
    pagerank = network.central(kite, measure="pagerank")
    assert pagerank[0]["concept"] == R and sum(r["score"] for r in pagerank) == pytest.approx(1.0)
    assert [r["rank"] for r in pagerank] == [1, 2, 2]


def test_centrality_by_kind_top_and_measure_name(kite):
    # tactics only: advocacy - research, weight 1; both rank 1, ties by label
    rows = network.central(kite, kind="tactic", top=1)
    assert [(r["concept"], r["kind"], r["score"], r["rank"]) for r in rows] == [(A, "Tactic", 1, 1)]
    with pytest.raises(UnknownNameError, match="unknown centrality measure 'closeness'"):
        network.central(kite, measure="closeness")


def test_every_measure_answers_on_a_network_in_pieces(tmp_path):
    # research-advocacy raised together 2 times, climate-gender once, torture alone: three pieces
    graph = graph_of(tmp_path, "respondent,group,code\n" "r1,partner,research\nr1,partner,advocacy\n"
                               "r2,partner,research\nr2,partner,advocacy\n" "r3,partner,climate\nr3,partner,gender\n"
                               "r4,partner,torture\n")
    for measure in network.MEASURES:
        rows = network.central(graph, measure=measure)
        assert len(rows) == 5
        assert rows[-1]["concept"] == "theme/torture"  # raised with nothing else: least central
        if measure != "pagerank":  # pagerank's random jumps give every concept some score
            assert rows[-1]["score"] == pytest.approx(0.0, abs=1e-6)
    eigen = {r["concept"]: r["score"] for r in network.central(graph, measure="eigenvector")}
    assert eigen[R] == pytest.approx(eigen[A]) and eigen[R] > eigen[C]  # the heavier piece dominates


def test_concept_network_weights_are_respondents_raising_both(kite):
    graph = network.concept_network(kite)
    assert graph.graph["base"] == 6
    assert {frozenset((a, b)): w for a, b, w in graph.edges(data="weight")} == {frozenset((A, R)): 1, frozenset((R, C)): 1}
    assert graph.edges[R, C]["lift"] == pytest.approx(1.0) and graph.edges[A, R]["distance"] == 1.0
    assert graph.nodes[R]["count"] == 3 and graph.nodes[C]["kind"] == "Theme"


# --------------------------------------------------------------------------- communities

# Two obvious clusters: three respondents raise research, advocacy and campaigning; three
# raise climate, gender and indigenous peoples; one raises advocacy and climate (a weak link).
TWO_CLUSTERS = "respondent,group,code\n" + "".join(
    f"{who},partner,{code}\n"
    for who, codes in [
        ("a1", ["research", "advocacy", "campaigning"]),
        ("a2", ["research", "advocacy", "campaigning"]),
        ("a3", ["research", "advocacy", "campaigning"]),
        ("b1", ["climate", "gender", "theme/indigenous-peoples"]),
        ("b2", ["climate", "gender", "theme/indigenous-peoples"]),
        ("b3", ["climate", "gender", "theme/indigenous-peoples"]),
        ("x", ["advocacy", "climate"]),
    ]
    for code in codes
)


def test_louvain_finds_the_two_clusters(tmp_path):
    graph = graph_of(tmp_path, TWO_CLUSTERS)
    rows = network.communities(graph)
    found = {}
    for row in rows:
        found.setdefault(row["community"], set()).add(row["concept"])
        assert row["size"] == 3
    assert sorted(found.values(), key=sorted) == sorted(
        [{R, A, "tactic/campaigning"}, {C, "theme/gender", "theme/indigenous-peoples"}], key=sorted
    )
    assert network.communities(graph, seed=0) == rows  # seeded: the same answer every time
    # the weak link makes advocacy and climate the brokers
    between = network.central(graph, measure="betweenness", top=2)
    assert {r["concept"] for r in between} == {A, C}


def test_communities_by_kind(tmp_path):
    graph = graph_of(tmp_path, TWO_CLUSTERS)
    rows = network.communities(graph, kind="theme")
    assert {r["concept"] for r in rows} == {C, "theme/gender", "theme/indigenous-peoples"}
    assert {r["community"] for r in rows} == {1}


# --------------------------------------------------------------------------- bridges

# Partners a1-a3 raise research and advocacy, partner a4 climate and gender, like NEs b1-b3.
BRIDGE = "respondent,group,code\n" + "".join(
    f"{who},{group},{code}\n"
    for who, group, codes in [
        ("a1", "partner", ["research", "advocacy"]),
        ("a2", "partner", ["research", "advocacy"]),
        ("a3", "partner", ["research", "advocacy"]),
        ("a4", "partner", ["climate", "gender"]),
        ("b1", "NE", ["climate", "gender"]),
        ("b2", "NE", ["climate", "gender"]),
        ("b3", "NE", ["climate", "gender"]),
    ]
    for code in codes
)


def test_bridges_on_a_constructed_case(tmp_path):
    graph = graph_of(tmp_path, BRIDGE)
    rows = network.bridges(graph, top=None)
    by_label = {r["label"]: r for r in rows}
    # a4 vs the other partners (research 3, advocacy 3): cosine 0; vs NEs (climate 3, gender 3): 1
    a4 = rows[0]
    assert a4["label"] == "a4"
    assert (a4["group"], a4["closest_other_group"]) == ("group/partner", "group/national-entity")
    assert (a4["own_similarity"], a4["other_similarity"], a4["score"]) == pytest.approx((0.0, 1.0, 1.0))
    # b1 vs b2+b3 (climate 2, gender 2): 1; vs partners (research 3, advocacy 3, climate 1, gender 1):
    # 2 / (sqrt 2 * sqrt 20) = 0.316
    b1 = by_label["b1"]
    assert b1["own_similarity"] == pytest.approx(1.0)
    assert b1["other_similarity"] == pytest.approx(2 / math.sqrt(40))
    # a1 vs a2+a3+a4 (research 2, advocacy 2, climate 1, gender 1): 4 / (sqrt 2 * sqrt 10) = 0.894; vs NEs 0
    a1 = by_label["a1"]
    assert a1["own_similarity"] == pytest.approx(4 / math.sqrt(20)) and a1["score"] == pytest.approx(-4 / math.sqrt(20))
    assert [r["label"] for r in rows] == ["a4", "b1", "b2", "b3", "a1", "a2", "a3"]
    assert a4["concepts"] == 2
    assert [r["label"] for r in network.bridges(graph, top=2)] == ["a4", "b1"]
    assert {r["label"] for r in network.bridges(graph, group="NE", top=None)} == {"b1", "b2", "b3"}


def test_bridges_leave_out_lone_members_and_need_two_groups(tmp_path):
    graph = graph_of(tmp_path, BRIDGE + "z1,public,research\n", name="more.csv")
    assert "z1" not in {r["label"] for r in network.bridges(graph, top=None)}
    alone = graph_of(tmp_path, "respondent,group,code\np1,partner,research\np2,partner,climate\n", name="one.csv")
    with pytest.raises(QueryError, match="at least two stakeholder groups"):
        network.bridges(alone)


# --------------------------------------------------------------------------- scale (small and quick)


def test_cooccur_matches_a_plain_count_on_a_random_consultation(tmp_path):
    import random

    rng = random.Random(3)
    codes = ["research", "advocacy", "campaigning", "climate", "gender", "torture"]
    raised = {f"r{i}": set(rng.sample(codes, rng.randint(1, 4))) for i in range(60)}
    text = "respondent,group,code\n" + "".join(
        f"{who},{'partner' if int(who[1:]) % 2 else 'NE'},{code}\n" for who, got in raised.items() for code in sorted(got)
    )
    graph = graph_of(tmp_path, text)
    rows = network.cooccur(graph, kinds="tactic,theme", min_count=0)
    ids = {"research": R, "advocacy": A, "campaigning": "tactic/campaigning", "climate": C,
           "gender": "theme/gender", "torture": "theme/torture"}
    for a in codes[:3]:
        for b in codes[3:]:
            row = pair(rows, ids[a], ids[b])
            both = sum(1 for got in raised.values() if a in got and b in got)
            n_a = sum(1 for got in raised.values() if a in got)
            n_b = sum(1 for got in raised.values() if b in got)
            assert (row["count"], row["count_a"], row["count_b"], row["base"]) == (both, n_a, n_b, 60)
            assert row["lift"] == pytest.approx(both * 60 / (n_a * n_b))
    # weighted degree = sum of edge weights, as networkx computes it
    net = network.concept_network(graph)
    degree = {r["concept"]: r["score"] for r in network.central(graph)}
    assert degree == dict(net.degree(weight="weight"))
    assert nx.is_connected(net)


# --------------------------------------------------------------------------- command line


def run(*args):
    from consultgraph.cli import main

    # tables wrap to the terminal's width: pin it (pytest-xdist's workers say 80 columns)
    return CliRunner(env={"COLUMNS": "160"}).invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def kite_project(tmp_path, kite_long):
    project = str(tmp_path / "p")
    assert run("load", str(kite_long), "--into", project, "-q").exit_code == 0
    return project


def test_cli_cooccur(kite_project):
    result = run("cooccur", "-g", kite_project, "--kinds", "tactic,theme", "-f", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["a"], r["b"], r["count"], r["lift"]) for r in rows] == [(R, C, 1, 1.0)]
    table = run("cooccur", "-g", kite_project, "--kinds", "tactic", "--min-count", "0", "--sort", "count").stdout
    assert "17% (1 of 6)" in table and "Advocacy" in table
    assert json.loads(run("cooccur", "-g", kite_project, "--group", "NE", "-f", "json").stdout)[0]["base"] == 3
    assert json.loads(run("cooccur", "-g", kite_project, "--region", "Europe", "-f", "json").stdout)[0]["base"] == 2


def test_cli_central_and_communities(kite_project):
    rows = json.loads(run("central", "-g", kite_project, "--measure", "betweenness", "-f", "json").stdout)
    assert rows[0]["concept"] == R and rows[0]["score"] == 1.0
    rows = json.loads(run("central", "-g", kite_project, "--kind", "tactic", "--top", "1", "-f", "json").stdout)
    assert len(rows) == 1 and rows[0]["kind"] == "Tactic"
    rows = json.loads(run("central", "-g", kite_project, "--communities", "-f", "json").stdout)
    assert {r["concept"] for r in rows} == {R, A, C} and all("community" in r for r in rows)


def test_cli_bridges(kite_project):
    rows = json.loads(run("bridges", "-g", kite_project, "--top", "2", "-f", "json").stdout)
    # n3 {advocacy}: the other NEs raised research 2, climate 1 (cosine 0); partners advocacy 2,
    # research 1, climate 1: 2 / sqrt 6 = 0.816
    assert rows[0]["label"] == "n3" and rows[0]["score"] == pytest.approx(2 / math.sqrt(6))
    assert len(rows) == 2


def test_cli_without_codings_is_one_clear_line(tmp_path, kite_findings):
    project = str(tmp_path / "f")
    assert run("load", str(kite_findings), "--into", project, "-q").exit_code == 0
    for command in ("cooccur", "central", "bridges"):
        result = run(command, "-g", project)
        assert result.exit_code == 1
        assert result.stderr.startswith("Error: network questions need respondent-level codings")


def test_cli_unknown_kind_is_a_usage_error(kite_project):
    result = run("cooccur", "-g", kite_project, "--kinds", "tactik")
    assert result.exit_code == 2 and "'tactik' is not one of 'theme', 'tactic'" in result.stderr
