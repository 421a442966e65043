"""Campaigns, the campaign view, discovery and agreement on graphs: hand-made and the Consult sample."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from consultgraph.cli import main
from consultgraph.coding.campaigns import find_campaigns, lsh_parameters, signatures, store_campaigns
from consultgraph.errors import InputError
from consultgraph.graph.campaigns import campaign_members, campaign_view
from consultgraph.graph.consultation import Consultation
from consultgraph.graph.records import Edge, Node, Ref
from consultgraph.graph.store import schema_concepts
from consultgraph.graph.translator import translate

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CONSULT = SHARED / "data" / "consultations" / "consult" / "gambling_XS"
TEMPLATE = ("I am writing to ask you to ban gambling adverts during televised football because they "
            "normalise betting for children and harm families across the country")


def _respondent(rid, group, text, codes=()):
    yield Node("Respondent", f"respondent/{rid}", {"label": rid})
    yield Edge("MEMBER_OF", f"respondent/{rid}", Ref(group))
    yield Node("Response", f"response/{rid}-q1", {"text": text})
    yield Edge("WROTE", f"respondent/{rid}", f"response/{rid}-q1")
    yield Edge("ANSWERS", f"response/{rid}-q1", "question/q1")
    for code in codes:
        yield Edge("MENTIONS", f"response/{rid}-q1", Ref(code), {"coder": "ann"})


def _kite_with_campaign():
    """Four partners write the template (p1..p4), two partners and three NEs write their own.

    By hand, research among partners: p1..p4 (the campaign) and p5: 5 of 6; with the
    campaign once: p1 and p5, 2 of 3; without the campaign: p5, 1 of 2.
    """
    records = [Node("Question", "question/q1", {"label": "Q1", "text": "What should we do?"})]
    variants = [TEMPLATE, TEMPLATE + " Yours, Ann", "Dear minister, " + TEMPLATE, TEMPLATE.replace("football", "sport")]
    for number, text in enumerate(variants, 1):
        records += _respondent(f"p{number}", "partners", text, ["research"])
    records += _respondent("p5", "partners", "More research into what works, please, and publish it", ["research"])
    records += _respondent("p6", "partners", "Advocacy with governments is where change happens", ["advocacy"])
    records += _respondent("n1", "national-entity", "Research first: evidence makes our campaigns credible", ["research"])
    records += _respondent("n2", "national-entity", "Grassroots activism and advocacy together", ["advocacy"])
    records += _respondent("n3", "national-entity", "We should invest in research capacity in the regions", ["research"])
    return Consultation(name="kite-campaign").merge(translate(records, concepts=schema_concepts()))


def test_find_campaigns_by_hand():
    graph = _kite_with_campaign()
    texts = list(zip(graph.responses()["respondent"], graph.responses()["text"]))
    found = find_campaigns(texts)
    assert [c.members for c in found] == [tuple(f"respondent/p{i}" for i in range(1, 5))]
    assert found[0].representative == "respondent/p1"
    assert min(found[0].similarities) >= 80 and max(found[0].similarities) == 100
    # the same seed gives the same campaigns; fewer members than min_size is no campaign
    assert find_campaigns(texts) == found
    assert find_campaigns(texts, min_size=5) == []


def test_signatures_are_stable_across_processes():
    code = ("from consultgraph.coding.campaigns import signatures;"
            "print(signatures(['ban the adverts now', 'keep sport funded'], num_perm=8).tolist())")
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
            for _ in range(2)}
    assert len(runs) == 1


def test_lsh_parameters_are_the_ones_datasketch_picks():
    datasketch = pytest.importorskip("datasketch")
    for threshold, perms in ((0.5, 64), (0.8, 128), (0.3, 32)):
        lsh = datasketch.MinHashLSH(threshold=threshold, num_perm=perms)
        assert lsh_parameters(threshold, perms) == (lsh.b, lsh.r)


def test_campaign_view_counts_each_campaign_once_or_not_at_all(tmp_path):
    project = tmp_path / "kite"
    _kite_with_campaign().save(project)
    found, graph = store_campaigns(project)
    assert len(found) == 1
    assert len(graph.table("Campaign")) == 1 and len(campaign_members(graph)) == 4
    reopened = Consultation.open(project)
    assert len(campaign_members(reopened)) == 4

    def research_partners(view):
        codings = view.codings("all")
        partners = set(view.respondents().query("group == 'group/partner'")["id"])
        coded = set(codings[(codings["concept"] == "tactic/research")]["respondent"]) & partners
        return len(coded), len(partners)

    assert research_partners(campaign_view(reopened, "count")) == (5, 6)
    assert research_partners(campaign_view(reopened, "one")) == (2, 3)
    assert research_partners(campaign_view(reopened, "exclude")) == (1, 2)
    # responses of left-out members go with them
    assert len(campaign_view(reopened, "exclude").responses()) == 5
    # a second run replaces, never piles up
    again, _ = store_campaigns(project)
    assert len(Consultation.open(project).table("Campaign")) == 1 and again == found


def test_compare_and_report_take_campaigns(tmp_path):
    project = tmp_path / "kite"
    _kite_with_campaign().save(project)
    store_campaigns(project)
    runner = CliRunner()
    shares = {}
    for mode in ("count", "one", "exclude"):
        result = runner.invoke(main, ["compare", "-g", str(project), "--groups", "partner,national-entity",
                                      "--by", "tactic", "--campaigns", mode, "-f", "json"])
        assert result.exit_code == 0, result.output
        rows = {r["concept"]: r for r in json.loads(result.stdout)}
        shares[mode] = (rows["tactic/research"]["partner_count"], rows["tactic/research"]["partner_base"])
    assert shares == {"count": (5, 6), "one": (2, 3), "exclude": (1, 2)}
    page = tmp_path / "report.html"
    result = runner.invoke(main, ["report", "-g", str(project), "--no-graph", "--campaigns", "one", "-o", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text()
    assert 'id="campaigns"' in html and "each campaign counts once" in html
    assert "83% (5 of 6)" in html and "67% (2 of 3)" in html  # the headline both ways


def test_campaigns_command_and_bad_input(tmp_path):
    runner = CliRunner()
    project = tmp_path / "kite"
    _kite_with_campaign().save(project)
    result = runner.invoke(main, ["campaigns", "-g", str(project), "-f", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows[0]["members"] == 4 and rows[0]["groups"] == "Partners 4"
    # a project without free text: one line that says what to load
    empty = tmp_path / "coded-only"
    Consultation(name="coded-only").merge(translate([Node("Respondent", "respondent/x", {"label": "x"}),
                                                     Edge("MEMBER_OF", "respondent/x", Ref("partners"))],
                                                    concepts=schema_concepts())).save(empty)
    for command in (["campaigns"], ["discover"], ["agreement"]):
        result = runner.invoke(main, [*command, "-g", str(empty)])
        assert result.exit_code == 1
        assert "no responses with text" in result.output and "consultgraph load" in result.output
        assert len(result.output.strip().splitlines()) == 1
    result = runner.invoke(main, ["campaigns", "-g", str(tmp_path / "nowhere")])
    assert result.exit_code == 1 and "no project here" in result.output


# ---------------------------------------------------------------- the Consult sample
def _consult_records(noisy_region=None, seed=1, plant=0):
    """The Consult gambling_XS sample as records: responses, gold codings ("consult-gold") and a
    machine coder that copies the gold labels with flips (often in ``noisy_region``)."""
    rng = np.random.default_rng(seed)
    people = {}
    for line in (CONSULT / "inputs" / "respondents.jsonl").read_text().splitlines():
        record = json.loads(line)
        people[str(record["response_id"])] = record["demographic_data"]
    records = []
    groups, regions = set(), set()
    for rid, demo in people.items():
        group = "disability-" + str(demo.get("Do you consider yourself to have a health condition or a disability?")).lower().replace(" ", "-")
        region = str(demo.get("Do you live in:")).lower().replace(" ", "-")
        if group not in groups:
            records.append(Node("StakeholderGroup", f"group/{group}", {"label": group}))
            groups.add(group)
        if region not in regions:
            records.append(Node("Region", f"region/{region}", {"label": region}))
            regions.add(region)
        records += [Node("Respondent", f"respondent/{rid}", {"label": rid}),
                    Edge("MEMBER_OF", f"respondent/{rid}", f"group/{group}"),
                    Edge("BASED_IN", f"respondent/{rid}", f"region/{region}")]
    mapping_root = CONSULT / "outputs" / "mapping" / "2025-07-22"
    for q in (1, 2):
        records.append(Node("Question", f"question/q{q}", {"label": f"Q{q}"}))
        themes = json.loads((mapping_root / f"question_part_{q}" / "themes.json").read_text())
        for theme in themes:
            records.append(Node("Theme", f"theme/q{q}-{theme['topic_id'].lower()}", {"label": theme["topic_label"]}))
        texts = [json.loads(l) for l in (CONSULT / "inputs" / f"question_part_{q}" / "responses.jsonl").read_text().splitlines()]
        for row in texts:
            rid = str(row["response_id"])
            records += [Node("Response", f"response/{rid}-q{q}", {"text": row["response"]}),
                        Edge("WROTE", f"respondent/{rid}", f"response/{rid}-q{q}"),
                        Edge("ANSWERS", f"response/{rid}-q{q}", f"question/q{q}")]
        gold = [json.loads(l) for l in (mapping_root / f"question_part_{q}" / "mapping.jsonl").read_text().splitlines()]
        for row in gold:
            rid = str(row["response_id"])
            region = str(people[rid].get("Do you live in:")).lower().replace(" ", "-")
            flip = 0.45 if region == noisy_region else 0.03
            for theme in themes:
                concept = f"theme/q{q}-{theme['topic_id'].lower()}"
                has = theme["topic_id"] in row["labels"]
                if has:
                    records.append(Edge("MENTIONS", f"response/{rid}-q{q}", concept, {"coder": "consult-gold"}))
                if rng.random() < flip:
                    has = not has
                if has:
                    records.append(Edge("MENTIONS", f"response/{rid}-q{q}", concept,
                                        {"coder": "machine:test@1", "confidence": 0.9}))
    first = texts[0]["response"]
    for k in range(plant):
        rid = f"planted{k}"
        records += [Node("Respondent", f"respondent/{rid}", {"label": rid}),
                    Edge("MEMBER_OF", f"respondent/{rid}", "group/disability-no"),
                    Node("Response", f"response/{rid}-q2", {"text": first + ("" if k % 2 else " Thank you.")}),
                    Edge("WROTE", f"respondent/{rid}", f"response/{rid}-q2"),
                    Edge("ANSWERS", f"response/{rid}-q2", "question/q2")]
    return records


def _consult_graph(**options):
    return Consultation(name="consult").merge(translate(_consult_records(**options), concepts=schema_concepts()))


needs_consult = pytest.mark.skipif(not CONSULT.exists(), reason="Consult sample not in ../shared")


@needs_consult
def test_agreement_on_the_consult_sample_flags_the_noisy_region(tmp_path):
    project = tmp_path / "consult"
    _consult_graph(noisy_region="england").save(project)
    runner = CliRunner()
    result = runner.invoke(main, ["agreement", "-g", str(project), "--coders", "consult-gold,machine",
                                  "--resamples", "200", "--permutations", "400", "-f", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    overall = rows[0]
    assert overall["scope"] == "overall" and overall["units"] == 200  # 100 respondents x 2 questions
    assert overall["kappa_low"] < overall["kappa"] < overall["kappa_high"] < 1
    flagged = [r["id"] for r in rows if r.get("flag") == "machine agrees less"]
    assert flagged == ["region/england"]
    codes = [r for r in rows if r["scope"] == "code"]
    assert len(codes) == len({r["id"] for r in codes}) >= 10
    # unknown coder names: the nearest ones
    result = runner.invoke(main, ["agreement", "-g", str(project), "--coders", "consult-glod,machine"])
    assert result.exit_code == 1 and "nearest: consult-gold" in result.output
    result = runner.invoke(main, ["agreement", "-g", str(project), "--coders", "consult-gold"])
    assert result.exit_code == 1 and "two coders or more" in result.output


@needs_consult
def test_campaigns_on_the_consult_sample_find_only_the_planted_copies(tmp_path):
    project = tmp_path / "consult"
    _consult_graph(plant=4).save(project)
    found, _ = store_campaigns(project, question="question/q2")
    assert len(found) == 1
    members = set(found[0].members)
    assert {f"respondent/planted{k}" for k in range(4)} < members
    assert len(members) == 5  # the four copies and the respondent they copied


@needs_consult
def test_discover_round_trip_through_a_skos_draft(tmp_path):
    graph = _consult_graph()
    # pretend nobody coded question 2: its themes are what the codebook misses
    keep = ~(graph.edges["kind"].eq("MENTIONS") & graph.edges["source"].str.endswith("-q2"))
    project = tmp_path / "consult"
    Consultation(graph.nodes, graph.edges[keep], name="consult").save(project)
    draft = tmp_path / "draft.ttl"
    runner = CliRunner()
    result = runner.invoke(main, ["discover", "-g", str(project), "--themes", "5", "--draft", str(draft), "-f", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert 2 <= len(rows) <= 5 and sum(r["responses"] for r in rows) == 100
    text = draft.read_text()
    assert "skos:example" in text and "DRAFT" in text
    # same seed, same draft
    again = tmp_path / "again.ttl"
    runner.invoke(main, ["discover", "-g", str(project), "--themes", "5", "--draft", str(again)])
    assert again.read_text() == text
    # the user edits a label, then loads the draft back as codes
    first = rows[0]["label"]
    draft.write_text(text.replace(f'"{first}"@en', '"Edited theme"@en', 1))
    result = runner.invoke(main, ["load", str(draft), "--into", str(project)])
    assert result.exit_code == 0, result.output
    loaded = Consultation.open(project)
    themes = loaded.table("Theme")
    drafts = themes[themes["id"].str.startswith("theme/discovered-consult-")]
    assert len(drafts) == len(rows)
    assert "Edited theme" in set(drafts["label"])
    concept = loaded.concepts[drafts["id"].iloc[0]]
    assert concept.alt_labels and concept.scheme == "scheme/discovered-consult"


SENSEMAKER = SHARED / "data" / "consultations" / "sensemaker" / "bowling_green_comments.json"


@pytest.mark.skipif(not SENSEMAKER.exists(), reason="Sensemaker sample not in ../shared")
def test_sensemaker_statements_themes_and_no_false_campaigns():
    from sklearn.metrics import adjusted_mutual_info_score

    from consultgraph.coding.discover import discover

    comments = json.loads(SENSEMAKER.read_text())
    statements = [(c["id"], c["text"]) for c in comments]
    topic = {c["id"]: c["topics"].split(";")[0].split(":")[0] for c in comments}
    # Pol.is statements are moderated to be distinct: no campaign among them
    assert find_campaigns(statements) == []
    # ten people paste one statement with small edits: one campaign, exactly them and the original
    original = statements[0][1]
    planted = [(f"copy{k}", ("Please: " if k % 2 else "") + original + ("" if k % 3 else " Thanks!")) for k in range(10)]
    found = find_campaigns(statements + planted)
    assert [set(c.members) for c in found] == [{statements[0][0]} | {p for p, _ in planted}]
    # discovered themes follow Sensemaker's topic labels better than chance (AMI of shuffled labels ~0)
    themes = discover(statements, themes=8, seed=0)
    assert len(statements) - 5 <= sum(t.size for t in themes) <= len(statements)  # a statement of stop words leads none
    theme_of = {r: t.number for t in themes for r in t.responses}
    ids = sorted(theme_of)
    ami = adjusted_mutual_info_score([topic[i] for i in ids], [theme_of[i] for i in ids])
    shuffled = adjusted_mutual_info_score([topic[i] for i in ids],
                                          list(np.random.default_rng(0).permutation([theme_of[i] for i in ids])))
    assert ami > 0.07 and shuffled < 0.02


def test_campaigns_survive_rdf_and_json_round_trips_and_validate(tmp_path):
    project = tmp_path / "kite"
    _kite_with_campaign().save(project)
    store_campaigns(project)
    runner = CliRunner()
    result = runner.invoke(main, ["validate", "-g", str(project)])
    assert result.exit_code == 0 and "conforms" in result.output, result.output
    expected = sorted(map(tuple, campaign_members(Consultation.open(project))[["campaign", "respondent"]].values))
    for suffix in ("ttl", "json"):
        out = tmp_path / f"kite.{suffix}"
        assert runner.invoke(main, ["export", "-g", str(project), "-f", {"ttl": "turtle", "json": "json"}[suffix],
                                    "-o", str(out)]).exit_code == 0
        copy = tmp_path / f"copy-{suffix}"
        result = runner.invoke(main, ["load", str(out), "--into", str(copy)])
        assert result.exit_code == 0, result.output
        members = campaign_members(Consultation.open(copy))
        assert sorted(map(tuple, members[["campaign", "respondent"]].values)) == expected
        assert members["representative"].sum() == 1


@needs_consult
def test_the_user_flow_load_code_agreement_campaigns_discover(tmp_path):
    """As the README runs it: load the Consult folder (gold codings), code, then measure and look further."""
    runner = CliRunner()
    project = tmp_path / "consult"
    result = runner.invoke(main, ["load", str(CONSULT), "--into", str(project)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["code", "-g", str(project), "-q"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["agreement", "-g", str(project), "--coders", "consult-gold,machine",
                                  "--resamples", "100", "--permutations", "100", "-f", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows[0]["scope"] == "overall" and rows[0]["units"] == 200 and rows[0]["coders"] == "consult-gold, machine"
    assert {r["scope"] for r in rows} >= {"overall", "code", "region"}
    result = runner.invoke(main, ["campaigns", "-g", str(project), "-f", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == []  # 100 distinct synthetic answers
    result = runner.invoke(main, ["discover", "-g", str(project), "--all", "--themes", "4",
                                  "--draft", str(tmp_path / "draft.ttl"), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert 2 <= len(json.loads(result.stdout)) <= 4


def test_discover_proposes_no_word_the_codebook_has(tmp_path):
    from consultgraph.coding.discover import discover_into_draft
    from consultgraph.loaders import load
    from tests.conftest import FREE_TEXT_ANSWERS, FREE_TEXT_CODES

    codes = FREE_TEXT_CODES + 'ex:hre a skos:Concept ; skos:inScheme ex:codes ; skos:prefLabel "Human rights education"@en .\n'
    (tmp_path / "codes.ttl").write_text(codes, encoding="utf-8")
    extra = "".join(f"x{i},partner,Africa,Research and lobbying for water rights.,Lobbying for water.\n" for i in range(4))
    extra += "".join(f"y{i},partner,Africa,Human rights education for all.,Human-rights education!\n" for i in range(3))
    (tmp_path / "answers.csv").write_text(FREE_TEXT_ANSWERS + extra, encoding="utf-8")
    graph = load([tmp_path / "codes.ttl", tmp_path / "answers.csv"], options={"text_columns": "q1,q2"}).graph
    graph.name = "t"
    found, _ = discover_into_draft(graph, tmp_path / "draft.ttl", include_coded=True, themes=3)
    terms = {t for theme in found for t in theme.terms}
    assert "water" in terms  # what the codebook misses
    # the codebook's labels (research; advocacy, lobbying, campaigning; hidden advocasy) are not proposed
    assert not terms & {"research", "investigation", "advocacy", "lobbying", "campaigning", "advocasy"}
    assert not terms & {"education"}  # "human rights education" is a code: its phrase is taken out
