"""One truth for every number: the shares table, and every view that shows a share agrees with it.

The cell-consistency walk: for every (group, concept, stance) cell, the CLI table
(``compare``), the graph page's embedded data, the report and the catalogue's Python
answer show the text of :func:`consultgraph.queries.shares.shares`. On the kite (by
hand), the built-in dataset and a Pol.is export.
"""

from __future__ import annotations

import html
import json
import re
from itertools import combinations

import pytest

from consultgraph.queries import shares as S
from consultgraph.queries.compare import BY_KINDS, compare

KIND_BY = {kind: by for by, kind in BY_KINDS.items()}


def table_text(table, group, concept, stance):
    row = S.cell(table, group, concept, stance)
    return None if row is None else row["text"]


# ---------------------------------------------------------------- by hand
def test_kite_shares_by_hand(kite):
    table = S.shares(kite)
    # research: partners 1 of 3 (p1), national entities 2 of 3 (n1, n2)
    assert table_text(table, "group/partner", "tactic/research", "raised") == "33% (1 of 3)"
    assert table_text(table, "group/national-entity", "tactic/research", "raised") == "67% (2 of 3)"
    # climate: p3 support, n2 lead; nobody else: zeros are rows too
    assert table_text(table, "group/partner", "theme/environment-climate", "support") == "33% (1 of 3)"
    assert table_text(table, "group/partner", "theme/environment-climate", "lead") == "0% (0 of 3)"
    assert table_text(table, "group/national-entity", "theme/environment-climate", "raised") == "33% (1 of 3)"
    assert set(table["basis"]) == {"respondents"}
    row = S.cell(table, "group/partner", "tactic/advocacy", "raised")
    assert (row["count"], row["base"], row["base_kind"]) == (2, 3, "group")
    assert row["low"] < 2 / 3 < row["high"]


def test_stances_add_up_a_lead_counts_as_raised(tmp_path):
    from consultgraph.loaders import load

    path = tmp_path / "ten.csv"
    rows = ["respondent,group,code,stance"]
    rows += [f"n{i},national-entity,HRE,{'lead' if i == 0 else ''}" for i in range(1)]
    rows += [f"n{i},national-entity,advocacy," for i in range(1, 5)]
    rows += [f"p{i},partner,HRE," for i in range(3)] + [f"p{i},partner,advocacy," for i in range(3, 5)]
    path.write_text("\n".join(rows) + "\n")
    graph = load([path]).graph
    result = compare(graph, "partner,national-entity", by="tactic", stance="raised")
    hre = next(r for r in result.rows if r["concept"] == "tactic/capacity-building")
    # the NE who coded HRE "lead" raised it: 1 of 5, not "0 of 5"
    assert hre["group/national-entity.cell"] == "20% (1 of 5)"
    assert hre["group/partner.cell"] == "60% (3 of 5)"
    split = {r["group"]: r for r in __import__("consultgraph.queries.compare", fromlist=["x"]).stance_split(
        graph, "HRE", "partner,national-entity")}
    assert split["National entities"]["raised"] == "20% (1 of 5)"
    assert split["National entities"]["lead"] == "20% (1 of 5)"
    assert split["National entities"]["parts"].startswith("1 + 0 + 0 + 0 = 1")


def test_format_share_is_the_only_text():
    assert S.format_share(37, 53, 69) == "69% (37 of 53)"
    assert S.format_share(37, 53, 75) == "70% (37 of 53)"  # the source's slip is not shown as its figure
    assert S.format_share(None, None, None) == "not reported"
    assert S.format_share(5, None) == "5 respondents (base not stated)"
    assert S.format_share(qualitative="a few partners") == "qualitative: a few partners"


# ---------------------------------------------------------------- the built-in dataset
def test_builtin_capacity_building_raised_row_pairs_the_stances_it_has(amnesty):
    result = compare(amnesty, "partner,national-entity", by="tactic")
    row = next(r for r in result.rows if r["concept"] == "tactic/capacity-building" and r["stance"] == "raised")
    assert row["group/partner.cell"] == "41% (30 of 74), stated as lead"
    assert row["group/partner.source_line"] == 175
    assert row["group/national-entity.cell"] == "77% (41 of 53)"
    assert row["test"] is None and row["p_value"] is None  # side by side, never a test
    assert "different stances side by side, not tested" in row["flags"]
    assert any("(source line 64)" in c and "doesn't necessarily point to disagreement" in c for c in result.caveats)


def test_transcription_fixes_reach_the_table(amnesty):
    table = S.shares(amnesty)
    # L381-b "should not participate": opposition, a drop
    assert table_text(table, "group/national-entity", "idea/civil-disobedience", "drop") == \
        "6 respondents (base not stated)"
    # line 601: "one IS respondent"
    assert table_text(table, "group/international-secretariat", "idea/mainstream-gender-and-sexuality",
                      "raised") == "1 respondent (base not stated)"
    # L153 prints no base: the percent stays unattached to a base
    assert table_text(table, "group/partner", "idea/international-advocacy", "raised") == \
        "38% (count and base not stated)"


# ---------------------------------------------------------------- the walk
def _groups_with_rows(table, kind):
    return sorted(table.loc[table["kind"] == kind, "group"].unique())


def check_compare(graph):
    """Every cell of compare, for every pair of groups and every kind, is the table's text."""
    table = S.shares(graph)
    checked = 0
    for kind in sorted(table["kind"].dropna().unique()):
        by = KIND_BY.get(kind)
        if by is None:
            continue
        groups = _groups_with_rows(table, kind)
        for pair in list(combinations(groups, 2))[:6]:
            result = compare(graph, list(pair), by)
            for row in result.rows:
                for group in pair:
                    expected = table_text(table, group, row["concept"], row["stance"])
                    shown = row[f"{group}.cell"]
                    assert shown == (expected or ("no votes" if by == "statement" else "not reported")), \
                        (group, row["concept"], row["stance"])
                    checked += 1
    return checked


def check_graph_page(graph):
    """The graph page's SHARE edges show the raised row's text; their tips the parts' texts."""
    from consultgraph.outputs.visual import graph_html

    page = graph_html(graph, max_nodes=100000, max_edges=100000)
    data = json.loads(re.search(r'<script type="application/json" id="cg-data">(.*?)</script>', page, re.S).group(1))
    table = S.shares(graph)
    checked = 0
    for edge in data["edges"]:
        if edge["kind"] != "SHARE":
            continue
        group, concept = edge["from"], edge["to"]
        raised = table_text(table, group, concept, "raised")
        if raised is None:
            continue  # regional findings only
        assert edge["label"] == raised, (group, concept)
        lines = edge["tip"]["lines"]
        for stance in S.PARTS:
            part = S.cell(table, group, concept, stance)
            if part is not None and (part["basis"] != "respondents" or part["count"]):
                assert any(line.startswith(f"{stance}: {part['text']}") for line in lines), (group, concept, stance)
        checked += 1
    return checked


def check_report(graph):
    """The report's top-concept cards show the table's texts."""
    from consultgraph.outputs.report import report_html

    page = report_html(graph, graph_section=False)
    table = S.shares(graph)
    labels = {c.label: c.id for c in graph.concepts.concepts}
    group_of = {graph.concepts[g].label: g for g in table["group"].unique() if g in graph.concepts}
    checked = 0
    for group_label, items in re.findall(r'<div class="card"><h4>([^<]*)</h4><ol>(.*?)</ol>', page):
        group = group_of[html.unescape(group_label)]
        for name, text in re.findall(r"<li>(.*?) \u2014 (.*?)</li>", items):
            name, text = html.unescape(name), html.unescape(text)
            stance = "raised"
            match = re.fullmatch(r"(.*) \((lead|support|drop|mention)\)", name)
            if match and match.group(1) in labels:
                name, stance = match.groups()
            assert text == table_text(table, group, labels[name], stance), (group, name, stance)
            checked += 1
    cells = re.findall(r"<td>([^<]*)</td>", page)
    assert not {"nan", "NaN", "None"} & set(cells), "a cell reads nan/None"
    return checked


def check_catalogue(graph):
    """The catalogue's divergence answer (Python) shows the table's text where it states the same figures."""
    from consultgraph.queries.catalogue import run

    table = S.shares(graph)
    checked = 0
    for kind in ("Tactic", "Theme", "Idea"):
        groups = _groups_with_rows(table[table["basis"] == "finding"], kind)
        for a, b in list(combinations(groups, 2))[:3]:
            for row in run(graph, "divergence", {"group_a": a, "group_b": b, "kind": kind}):
                for tag, group in (("a", a), ("b", b)):
                    stance = row["stance"]  # "raised" where the finding states no stance, as in the table
                    mine = S.cell(table, group, row["concept"], stance)
                    if mine is None or row[f"count_{tag}"] is None or mine["base"] != row[f"base_{tag}"]:
                        continue  # the table chose another finding, or filled the base from the group size
                    printed = "raised" if mine["finding_stance"] == "mention" else mine["finding_stance"]
                    if printed not in (stance, None):
                        continue
                    assert row[f"cell_{tag}"] == mine["text"].split(", stated as")[0], (group, row["concept"])
                    checked += 1
    return checked


def test_views_agree_on_the_kite(kite_full):
    assert check_compare(kite_full) > 10
    assert check_graph_page(kite_full) >= 6
    assert check_report(kite_full) > 0
    check_catalogue(kite_full)


def test_views_agree_on_the_builtin_dataset(amnesty):
    assert check_compare(amnesty) > 500
    assert check_graph_page(amnesty) > 100
    assert check_report(amnesty) > 50
    assert check_catalogue(amnesty) > 20


@pytest.fixture(scope="module")
def seattle(shared_data):
    from consultgraph.loaders import load

    return load([shared_data / "polis" / "15-per-hour-seattle"]).graph


def test_views_agree_on_a_polis_project(seattle):
    table = S.shares(seattle)
    assert set(table["basis"]) == {"votes"}
    # votes: agree + disagree + pass = the members who voted
    one = table[(table["group"] == table["group"].iloc[0]) & (table["concept"] == table["concept"].iloc[0])]
    assert int(one["count"].sum()) == int(one["base"].iloc[0])
    assert check_compare(seattle) > 50
    from consultgraph.queries.consensus import vote_consensus

    groups = sorted(g for g in table["group"].unique() if "/polis-" in g)[:2]
    for row in vote_consensus(seattle, groups):
        for group in groups:
            label = seattle.concepts[group].label
            assert row[label] == (table_text(table, group, row["concept"], "agree") or "no votes")
