"""Comparisons on the hand-checkable kite consultation and on the built-in dataset."""

from __future__ import annotations

import pytest

from consultgraph.errors import InputError
from consultgraph.queries.compare import compare


def row_of(result, concept, stance=None):
    return next(r for r in result.rows if r["concept"] == concept and (stance is None or r["stance"] == stance))


def test_kite_counts_by_hand(kite):
    result = compare(kite, "partner,national-entity", by="tactic")
    research = row_of(result, "tactic/research")
    assert (research["group/partner.count"], research["group/partner.base"]) == (1, 3)
    assert (research["group/national-entity.count"], research["group/national-entity.base"]) == (2, 3)
    assert research["difference_points"] == pytest.approx(-33.3, abs=0.1)
    assert research["group/partner.basis"] == "respondents"
    advocacy = row_of(result, "tactic/advocacy")
    assert advocacy["group/partner.cell"] == "67% (2 of 3)"
    assert advocacy["test"] == "fisher"  # expected cells under 5
    assert "too few to compare" in advocacy["flags"]


def test_kite_stance_split(kite):
    result = compare(kite, ["partner", "NE"], by="theme")
    support = row_of(result, "theme/environment-climate", "support")
    lead = row_of(result, "theme/environment-climate", "lead")
    assert (support["group/partner.count"], support["group/national-entity.count"]) == (1, 0)
    assert (lead["group/partner.count"], lead["group/national-entity.count"]) == (0, 1)


def test_kite_region_filter(kite):
    result = compare(kite, "partner,national-entity", by="tactic", region="Europe")
    research = row_of(result, "tactic/research")
    assert research["group/partner.cell"] == "not reported"  # no partner is based in Europe
    assert (research["group/national-entity.count"], research["group/national-entity.base"]) == (2, 2)


def test_sorted_by_divergence(kite):
    result = compare(kite, "partner,national-entity", by="tactic")
    diffs = [abs(r["difference_points"]) for r in result.rows if r["difference_points"] is not None]
    assert diffs == sorted(diffs, reverse=True)


def test_q_values_are_benjamini_hochberg_of_p(kite):
    from scipy.stats import false_discovery_control

    result = compare(kite, "partner,national-entity", by="tactic")
    rows = [r for r in result.rows if r["p_value"] is not None]
    expected = false_discovery_control([r["p_value"] for r in rows])
    assert [r["q_value"] for r in rows] == pytest.approx(list(expected))


def test_needs_two_known_groups(kite):
    # the kite's groups are partner and national-entity: the message names them with the ids --groups takes
    with pytest.raises(InputError, match=r"at least two groups \(this graph's groups: National entities "
                                         r"\(national-entity\), Partners \(partner\)\)"):
        compare(kite, "partner", by="tactic")
    with pytest.raises(InputError, match="unknown stakeholder group 'partnr'"):
        compare(kite, "partnr,national-entity", by="tactic")


def test_builtin_research_partners_vs_national_entities(amnesty):
    result = compare(amnesty, "partner,national-entity", by="tactic")
    research = row_of(result, "tactic/research", "raised")
    assert research["group/partner.cell"] == "23% (17 of 74)"
    assert research["group/national-entity.cell"] == "69% (37 of 53)"
    assert research["group/partner.basis"].startswith("finding (line ")
    assert research["p_value"] < 0.001 and research["q_value"] is not None
    ranked = [r["concept"] for r in result.rows if r["difference_points"] is not None]
    assert "tactic/research" in ranked[:3]


def test_reweighting_by_region_by_hand(tmp_path):
    from consultgraph.loaders import load

    # partners: 2 in Africa both raise research, 2 in Europe neither -> raw 2 of 4 = 50%
    # national entities: 1 in Africa raises it, 1 in Europe raises it -> 2 of 2
    path = tmp_path / "r.csv"
    path.write_text(
        "respondent,group,region,code\n"
        "a1,partner,Africa,research\na2,partner,Africa,research\ne1,partner,Europe,advocacy\ne2,partner,Europe,advocacy\n"
        "n1,NE,Africa,research\nn2,NE,Europe,research\n"
    )
    graph = load([path]).graph
    result = compare(graph, "partner,NE", by="tactic", reweight="region", target_mix={"Africa": 0.25, "Europe": 0.75})
    research = row_of(result, "tactic/research")
    assert research["group/partner.share"] == pytest.approx(0.25)  # 0.25 * 1 + 0.75 * 0
    assert research["group/partner.raw_share"] == pytest.approx(0.5)
    # Kish: weights 0.25/2 for 2 Africans, 0.75/2 for 2 Europeans -> (1)^2 / (2*0.125^2 + 2*0.375^2) = 3.2
    assert research["group/partner.base"] == pytest.approx(3.2)
    assert research["test"] == "z (effective bases)"
    assert any("reweighted to the regional mix" in n for n in result.notes)


def test_reweighting_says_when_it_cannot(amnesty):
    result = compare(amnesty, "partner,national-entity", by="tactic", reweight="region", target_mix={"Europe": 1.0})
    assert any("not reweighted: respondent regions are not known" in n for n in result.notes)


def test_quotes_per_row(kite):
    result = compare(kite, "partner,national-entity", by="tactic", quotes=3)
    research = row_of(result, "tactic/research")
    assert research["group/national-entity.quotes"] == ["\u201cWe need =research\u201d \u2014 n2"]
    assert research["group/partner.quotes"] == []


def test_stance_split_kite(kite):
    from consultgraph.queries.compare import stance_split

    rows = {r["group"]: r for r in stance_split(kite, "climate", "partner,national-entity")}
    assert rows["Partners"]["support"] == "33% (1 of 3)" and rows["Partners"]["dominant"] == "support"
    assert rows["National entities"]["lead"] == "33% (1 of 3)" and rows["National entities"]["dominant"] == "lead"


def test_builtin_climate_support_dominates_for_ne_and_is(amnesty):
    from consultgraph.queries.compare import stance_split

    rows = {r["group"]: r for r in stance_split(amnesty, "theme/environment-climate")}
    assert rows["National entities"]["dominant"] == "support"
    assert rows["International Secretariat"]["dominant"] == "support"
    assert rows["Partners"]["dominant"] == ""  # partners' split is qualitative only: never ranked as numbers


def test_builtin_escr_tie_is_shown_as_a_tie(amnesty):
    from consultgraph.queries.compare import stance_split

    rows = {r["group"]: r for r in stance_split(amnesty, "ESCR")}
    assert rows["National entities"]["dominant"] == "lead = support"


def test_builtin_ne_vs_is_themes_lead(amnesty):
    result = compare(amnesty, "national-entity,international-secretariat", by="theme", stance="lead")
    foe = row_of(result, "theme/freedom-of-expression", "lead")
    assert foe["group/national-entity.cell"].startswith("38%")
    assert "percent only" in foe["flags"]


def test_quotes_on_a_project_without_quotes_are_empty_lists(tmp_path):
    """Two partners and two sections, no quotes: --quotes gives each group an empty list, not a KeyError."""
    from consultgraph.graph.consultation import Consultation
    from consultgraph.loaders.pipeline import load as load_files

    (tmp_path / "c.csv").write_text("id,group,climate,gender\nr1,partner,1,0\nr2,partner,1,1\n"
                                    "r3,national-entity,0,1\nr4,national-entity,1,0\n")
    load_files([tmp_path / "c.csv"], into=tmp_path / "p")
    result = compare(Consultation.open(tmp_path / "p"), "partner,national-entity", by="theme", quotes=2)
    assert result.rows and all(row[f"group/{g}.quotes"] == [] for row in result.rows for g in ("partner", "national-entity"))


def test_quotes_by_statement_are_empty_lists(shared_data, tmp_path):
    """Pol.is statements are voted on, never illustrated: --quotes with --by statement gives empty lists."""
    from consultgraph.graph.consultation import Consultation
    from consultgraph.loaders.pipeline import load as load_files

    load_files([shared_data / "polis" / "15-per-hour-seattle"], into=tmp_path / "public")
    graph = Consultation.open(tmp_path / "public")
    groups = sorted(c.id for c in graph.concepts.concepts if c.id.startswith("group/15-per-hour-seattle/polis-"))[:2]
    result = compare(graph, ",".join(groups), by="statement", quotes=1)
    assert result.rows and all(row[f"{g}.quotes"] == [] for row in result.rows for g in groups)


def test_one_group_says_so(tmp_path):
    """A free-text table without a group column: everyone is General public, nothing to compare with."""
    from consultgraph.loaders import load

    (tmp_path / "a.csv").write_text("id,q1\na,More wells.\nb,Fix roads.\n", encoding="utf-8")
    graph = load([tmp_path / "a.csv"], options={"text_columns": "q1"}).graph
    with pytest.raises(InputError, match=r"at least two groups \(every respondent here is in one group, General "
                                         r"public \(public\); load respondents with a group column"):
        compare(graph, "public", by="theme")
