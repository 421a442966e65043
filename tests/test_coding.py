"""Machine coding of free text: rules, learned codes, the review loop, --coder (issue 12)."""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

from consultgraph.cli import main
from consultgraph.coding.review import labels_of, read_review, review_items
from consultgraph.coding.rules import Matcher, build_codebook
from consultgraph.coding.run import code
from consultgraph.errors import InputError
from consultgraph.loaders import load
from tests.conftest import FREE_TEXT_ANSWERS, FREE_TEXT_CODES

CODES = FREE_TEXT_CODES + (
    'ex:education a skos:Concept ; skos:inScheme ex:codes ; skos:prefLabel "Human rights education"@en ; '
    'skos:altLabel "HRE"@en .\n')

# By hand, the rules code:
#   research:  p1/q1 (research), n1/q1 (Research), n2/q1 (Investigations); not p3/q1 ("No research")
#   advocacy:  p1/q2 (Lobbying), p2/q1 (Campaigns, advocasy), p3/q1 (campaign); not n3/q1 ("Not advocacy")
#   education: n1/q2 (human rights education), n2/q2 (HRE); not p3/q2 (no label)
ANSWERS = FREE_TEXT_ANSWERS
BY_HAND = {
    ("response/p1/q1", "idea/research"), ("response/n1/q1", "idea/research"), ("response/n2/q1", "idea/research"),
    ("response/p1/q2", "idea/advocacy"), ("response/p2/q1", "idea/advocacy"), ("response/p3/q1", "idea/advocacy"),
    ("response/n1/q2", "idea/education"), ("response/n2/q2", "idea/education"),
}


@pytest.fixture
def free_text(tmp_path):
    (tmp_path / "codes.ttl").write_text(CODES, encoding="utf-8")
    (tmp_path / "answers.csv").write_text(ANSWERS, encoding="utf-8")
    project = tmp_path / "project"
    load([tmp_path / "codes.ttl", tmp_path / "answers.csv"], into=project, options={"text_columns": "q1,q2"})
    return project


def test_rules_match_lemmas_typos_and_skip_negations():
    book = build_codebook({"tactic/hre": ("Human rights education",), "tactic/advocacy": ("Advocacy",)})
    text = "More human rights educations. Not advocacy; but advocasy!"
    found = [(m.concept, text[m.start:m.end], m.fuzzy) for m in Matcher(book).matches(text)]
    assert found == [("tactic/hre", "human rights educations", False), ("tactic/advocacy", "advocasy", True)]


def test_codebook_hash_names_the_rules_coder():
    one = build_codebook({"tactic/advocacy": ("Advocacy",)})
    two = build_codebook({"tactic/advocacy": ("Advocacy", "lobbying")})
    assert one.coder.startswith("machine:rules@") and one.coder != two.coder
    assert one.coder == build_codebook({"tactic/advocacy": ("Advocacy",)}).coder


def test_rules_code_the_hand_checked_responses(free_text):
    from consultgraph.graph.consultation import Consultation

    run = code(Consultation.open(free_text), model=False)
    machine = run.graph.codings("machine")
    assert set(zip(machine["response"], machine["concept"])) == BY_HAND
    assert set(machine["coder"]) == {run.rules_coder}
    assert machine["confidence"].between(0, 1).all()
    # the evidence is a quote of the matched span, with offsets into the response
    quotes = run.graph.quotes().set_index("id")
    quote = quotes.loc["quote/machine/n2/q1/0-14"]
    assert quote["text"] == "Investigations" and (quote["start"], quote["end"]) == (0, 14)
    assert quote["concepts"] == ["idea/research"] and quote["respondent"] == "respondent/n2"


def test_coding_twice_gives_the_same_graph(free_text):
    from consultgraph.graph.consultation import Consultation

    graph = Consultation.open(free_text)
    first, second = code(graph, seed=3).graph, code(code(graph, seed=3).graph, seed=3).graph
    assert first.edges.sort_values(list(first.edges.columns)).to_csv(index=False) == \
        second.edges.sort_values(list(second.edges.columns)).to_csv(index=False)


def test_compare_reads_machine_codes_and_says_so(free_text):
    runner = CliRunner()
    result = runner.invoke(main, ["code", "-g", str(free_text), "-q"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["compare", "-g", str(free_text), "--groups", "partner,national-entity",
                                  "--by", "idea", "-f", "csv"])
    assert result.exit_code == 0, result.output
    rows = {r["concept"]: r for r in csv.DictReader(line for line in result.stdout.splitlines())}
    assert rows["idea/advocacy"]["partner_cell"] == "100% (3 of 3)"
    assert rows["idea/advocacy"]["national_entity_cell"] == "0% (0 of 3)"
    assert rows["idea/research"]["national_entity_cell"] == "67% (2 of 3)"
    assert "the machine's for 8" in result.stderr
    human = runner.invoke(main, ["compare", "-g", str(free_text), "--groups", "partner,national-entity",
                                 "--by", "idea", "--coder", "human"])
    assert "Advocacy" not in human.stdout
    assert "the machine's for 8" not in human.stderr


def test_review_loop_records_people_and_retrains(free_text, tmp_path):
    runner = CliRunner()
    sheet = tmp_path / "review.csv"
    result = runner.invoke(main, ["code", "-g", str(free_text), "-q", "--review", "3", "-o", str(sheet)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(sheet.open(encoding="utf-8")))
    assert len(rows) == 3 and all(r["check"] for r in rows)
    rows[0]["codes"], rows[0]["coder"] = "Research; Advocacy", "ann"
    with sheet.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = runner.invoke(main, ["code", "-g", str(free_text), "-q", "--reviewed", str(sheet)])
    assert result.exit_code == 0, result.output
    from consultgraph.graph.consultation import Consultation

    graph = Consultation.open(free_text)
    ann = graph.codings("ann")
    assert set(ann["concept"]) == {"idea/research", "idea/advocacy"} and set(ann["response"]) == {rows[0]["response"]}
    assert graph.coders_used()["human"] == sum(1 for r in rows if r["codes"])


def test_review_qdpx_round_trip(free_text, tmp_path):
    from consultgraph.coding.review import REVIEW_COLUMNS, codebook_rows
    from consultgraph.graph.consultation import Consultation
    from consultgraph.outputs.review import write_review

    run = code(Consultation.open(free_text))
    rows = review_items(run, 4)
    path = write_review(rows, codebook_rows(run.graph), tmp_path / "review.qdpx", columns=REVIEW_COLUMNS)
    review = read_review(run.graph, path, reviewer="bob")
    graph, added = review.graph, review.codings
    # a source keeps its suggested codes (kept: accepted); one without any is skipped
    assert added == sum(len(labels_of(r["suggested"])) for r in rows)
    assert set(graph.codings("bob")["response"]) == {r["response"] for r in rows if r["suggested"]}
    assert review.skipped == sum(1 for r in rows if not r["suggested"])


def test_a_stale_review_is_refused_whole(free_text, tmp_path):
    from consultgraph.graph.consultation import Consultation

    graph = Consultation.open(free_text)
    sheet = tmp_path / "review.csv"
    sheet.write_text("response,codes,coder,check\nresponse/p1/q1,Research,ann,\n"
                     "response/zz/q1,Research,ann,\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"review.csv, line 3, field 'response': response 'response/zz/q1' is not in"):
        read_review(graph, sheet)
    sheet.write_text("response,codes,coder,check\nresponse/p1/q1,Research,ann,0000\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"line 2, field 'check': the text of response 'response/p1/q1' changed"):
        read_review(graph, sheet)
    sheet.write_text("response,codes,coder\nresponse/p1/q1,Reserch,ann\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"line 2, field 'codes': unknown code 'Reserch' \(nearest in this project's codes: 'Research'\)"):
        read_review(graph, sheet)
    assert len(graph.codings("human")) == 0


def test_learned_codes_on_consult_gold(shared_data):
    """Trained on 60 of 100 gold-coded responses, the model codes the other 40 better than chance."""
    import numpy as np

    from consultgraph.coding.learned import fit_model, predict
    from consultgraph.graph.consultation import Consultation

    graph = load([shared_data / "consultations" / "consult" / "gambling_XS"]).graph
    responses = graph.responses("question/question-part-1")
    gold = graph.codings("consult-gold")
    coded = gold.groupby("response")["concept"].apply(set).to_dict()
    ids, texts = list(responses["id"]), list(responses["text"])
    concepts = sorted(set(gold.loc[gold["question"] == "question/question-part-1", "concept"]))
    labels = {c: np.array([c in coded.get(r, set()) for r in ids], dtype=int) for c in concepts}
    model = fit_model(texts[:60], {c: y[:60] for c, y in labels.items()}, seed=0)
    probabilities, _ = predict(model, texts[60:])
    tp = fp = fn = 0
    for concept, p in probabilities.items():
        predicted, truth = p >= model.codes[concept].threshold, labels[concept][60:] == 1
        tp, fp, fn = tp + (predicted & truth).sum(), fp + (predicted & ~truth).sum(), fn + (~predicted & truth).sum()
    micro_f1 = 2 * tp / (2 * tp + fp + fn)
    base_rate = np.mean([y[60:].mean() for y in labels.values()])
    assert micro_f1 > 2 * base_rate
    again, _ = predict(fit_model(texts[:60], {c: y[:60] for c, y in labels.items()}, seed=0), texts[60:])
    assert all(np.array_equal(again[c], probabilities[c]) for c in probabilities)


def test_people_s_codings_of_responses_load_with_their_coder(free_text, tmp_path):
    sheet = tmp_path / "coded.csv"
    # the project's labels "HRE" and "Research" also name built-in concepts: ids are unambiguous
    sheet.write_text("respondent,question,code,coder\np3,q2,idea/education,ann\np3,q2,idea/education,bob\n"
                     "p1,,idea/research,ann\n", encoding="utf-8")
    graph = load([sheet], into=free_text).graph
    ann, bob = graph.codings("ann"), graph.codings("bob")
    assert sorted(zip(ann["response"].fillna("-"), ann["concept"])) == [("-", "idea/research"),
                                                                         ("response/p3/q2", "idea/education")]
    assert list(bob["response"]) == ["response/p3/q2"]
    bad = tmp_path / "bad.csv"
    bad.write_text("respondent,question,code,coder\np3,q9,idea/education,ann\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.csv, line 2.*unknown .*'p3/q9'"):
        load([bad], into=free_text)


def test_nothing_to_code_with_says_what_to_load(tmp_path):
    from consultgraph.graph.consultation import Consultation

    (tmp_path / "answers.csv").write_text(ANSWERS, encoding="utf-8")
    graph = load([tmp_path / "answers.csv"], options={"text_columns": "q1,q2"}).graph
    with pytest.raises(InputError, match="no codebook and no responses coded by people"):
        code(graph)
    with pytest.raises(InputError, match="no free-text responses"):
        code(Consultation())


def test_neighbour_space_keeps_inner_products_with_the_coded_texts():
    import numpy as np

    from consultgraph.coding.learned import Features, NeighbourSpace

    coded = ["ban the ads now", "sports need the money", "protect children from betting ads", "fund grassroots clubs"]
    features = Features().fit(coded)
    rows = features.transform(coded)
    space = NeighbourSpace(rows)
    queries = features.transform(["ban betting ads for children", "clubs need money", "nothing in common xyz"])
    # four coded texts span at most four directions (< NEIGHBOUR_DIMENSIONS): exact
    np.testing.assert_allclose(space.project(queries) @ space.rows.T, (queries @ rows.T).toarray(), atol=1e-5)


def test_decide_gives_as_many_codes_as_people_gave_on_average():
    import numpy as np

    from consultgraph.coding.learned import Model, decide

    model = Model(features=None, cardinality=2)
    probabilities = {"a": np.array([0.9, 0.1]), "b": np.array([0.2, 0.3]), "c": np.array([0.8, 0.05])}
    chosen = decide(model, probabilities)
    assert [sorted(c for c in chosen if chosen[c][row]) for row in (0, 1)] == [["a", "c"], ["a", "b"]]


def test_no_embeddings_switch_names_another_model(shared_data, tmp_path):
    """``code --no-embeddings``: the learned codes read words only, under another machine:model@ name."""
    from consultgraph.coding.learned import fit_model
    from consultgraph.graph.consultation import Consultation

    project = tmp_path / "gambling"
    load([shared_data / "consultations" / "consult" / "gambling_XS"], into=project)
    runner = CliRunner()
    coders = {}
    for flags in (["--embeddings"], ["--no-embeddings"], []):
        result = runner.invoke(main, ["code", "-g", str(project), "-q", "--no-rules", "--question", "question-part-1",
                                      *flags])
        assert result.exit_code == 0, result.output
        coders[" ".join(flags)] = set(Consultation.open(project).codings("machine")["coder"])
    assert all(len(names) == 1 and next(iter(names)).startswith("machine:model@") for names in coders.values())
    assert coders["--embeddings"] == coders[""] != coders["--no-embeddings"]
    help_text = " ".join(runner.invoke(main, ["code", "--help"]).output.split())
    assert "--embeddings / --no-embeddings" in help_text and "sentence embedding" in help_text
    # the name is the library's: the same texts and labels without embeddings give it
    texts, labels = ["ads everywhere", "ban the ads", "parks please", "more parks"], {"ads": [1, 1, 0, 0]}
    assert fit_model(texts, labels, embeddings=False).coder != fit_model(texts, labels).coder


@pytest.mark.parametrize("which", ["free_text", "consult"])
def test_rules_beside_the_models_in_a_second_process_code_the_same(which, free_text, shared_data, monkeypatch):
    """Rules forked beside the models, codes fitted and responses applied in worker processes: the graph one process gives."""
    from consultgraph.coding import learned
    from consultgraph.coding import run as coding_run
    from consultgraph.graph.consultation import Consultation

    graph = Consultation.open(free_text) if which == "free_text" else \
        load([shared_data / "consultations" / "consult" / "gambling_XS"]).graph
    monkeypatch.setattr(coding_run, "BACKGROUND_RULES", 0)
    monkeypatch.setattr(coding_run, "APPLY_BLOCK_MIN", 7)
    monkeypatch.setattr(learned, "PARALLEL_MIN_WORK", 0)
    monkeypatch.setenv("CONSULTGRAPH_WORKERS", "1")
    alone = code(graph, seed=3)
    forked, started, mapped = coding_run._later, [], []
    monkeypatch.setattr(coding_run, "_later", lambda *a: started.append(1) or forked(*a))
    in_processes = learned.forked_map
    monkeypatch.setattr(learned, "forked_map", lambda f, items, count=None: mapped.append(len(items)) or in_processes(f, items, count))
    monkeypatch.setenv("CONSULTGRAPH_WORKERS", "2")
    together = code(graph, seed=3)
    assert started and (which == "free_text" or max(mapped) >= 2) and alone.rules_coder == together.rules_coder and alone.model_coders == together.model_coders
    assert len(alone.graph.codings("machine")) > 0
    for frame in ("edges", "nodes"):
        a, b = getattr(alone.graph, frame), getattr(together.graph, frame)
        assert a.to_csv(index=False) == b.to_csv(index=False), frame
    assert alone.summary == together.summary


def test_code_workers_option_gives_the_same_codings(free_text, tmp_path, monkeypatch):
    """``code --workers 1`` and ``--workers 2`` (the option wins over CONSULTGRAPH_WORKERS) store the same graph."""
    import shutil

    from consultgraph.coding import learned
    from consultgraph.coding import run as coding_run
    from consultgraph.graph.consultation import Consultation

    (tmp_path / "coded.csv").write_text("respondent,question,code,coder\np1,q1,idea/research,ann\n"
                                        "p2,q1,idea/advocacy,ann\nn1,q1,idea/research,ann\nn3,q1,idea/advocacy,ann\n",
                                        encoding="utf-8")
    load([tmp_path / "coded.csv"], into=free_text)
    # every step that can fork does, even on six responses
    monkeypatch.setattr(coding_run, "BACKGROUND_RULES", 0)
    monkeypatch.setattr(coding_run, "APPLY_BLOCK_MIN", 2)
    monkeypatch.setattr(learned, "PARALLEL_MIN_WORK", 0)
    counts, in_processes = [], learned.forked_map
    monkeypatch.setattr(learned, "forked_map", lambda f, items, count=None: counts.append(count) or in_processes(f, items, count))
    monkeypatch.setenv("CONSULTGRAPH_WORKERS", "1")
    edges = {}
    for n in (1, 2):
        project = tmp_path / f"workers-{n}"
        shutil.copytree(free_text, project)
        counts.clear()
        result = CliRunner().invoke(main, ["code", "-g", str(project), "-q", "--workers", str(n)])
        assert result.exit_code == 0, result.output
        assert counts and set(counts) == {n}
        frame = Consultation.open(project).edges
        edges[n] = frame.sort_values(list(frame.columns)).to_csv(index=False)
    assert "machine:model@" in edges[1] and edges[1] == edges[2]
    result = CliRunner().invoke(main, ["code", "-g", str(free_text), "--workers", "0"])
    assert result.exit_code == 2 and "--workers" in result.output and "x>=1" in result.output
    with pytest.raises(InputError, match="workers: expected a whole number of processes, 1 or more, got 0"):
        code(Consultation.open(free_text), workers=0)
