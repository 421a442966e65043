"""Coder agreement: hand-computed kappa and alpha, published values, and the Consult gold codings."""

from __future__ import annotations

import json

import numpy as np
import pytest

from consultgraph.coding.agreement import (
    _alpha_stats,
    agreement,
    benjamini_hochberg,
    binary_alpha_from_counts,
    cohen_kappa,
    decisions,
    krippendorff_alpha,
    resolve_coders,
)
from consultgraph.errors import InputError

from pathlib import Path

CONSULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "consultations" / "consult" / "gambling_XS"
nan = np.nan


def test_kappa_and_alpha_by_hand():
    # 10 units: both yes 4, both no 3, only first 2, only second 1
    a = [1, 1, 1, 1, 0, 0, 0, 1, 1, 0]
    b = [1, 1, 1, 1, 0, 0, 0, 0, 0, 1]
    assert cohen_kappa(a, b) == pytest.approx(0.4)          # (0.7 - 0.5) / 0.5
    assert krippendorff_alpha([a, b]) == pytest.approx(84 / 198)  # 1 - 19 * 6 / (2 * 11 * 9)
    # perfect agreement, and agreement no better than chance
    assert cohen_kappa([1, 0, 1, 0], [1, 0, 1, 0]) == pytest.approx(1.0)
    assert cohen_kappa([1, 1, 0, 0], [1, 0, 1, 0]) == pytest.approx(0.0)


def test_kappa_matches_scikit_learn():
    from sklearn.metrics import cohen_kappa_score

    rng = np.random.default_rng(3)
    a = rng.integers(0, 2, 200)
    b = np.where(rng.random(200) < 0.8, a, 1 - a)
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))


def test_alpha_published_example():
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", example C:
    # four observers, twelve units, missing values; nominal alpha = 0.743
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
    assert krippendorff_alpha(data) == pytest.approx(0.743, abs=5e-4)


def test_sufficient_statistics_give_the_package_alpha():
    # the bootstrap uses per-unit counts; at weight 1 they must give the package's value
    rng = np.random.default_rng(7)
    block = rng.integers(0, 2, (3, 40, 1)).astype(float)
    block[rng.random(block.shape) < 0.2] = nan
    values, ones, disagreement = _alpha_stats(block)
    keep = values > 0
    ours = binary_alpha_from_counts(values[keep], ones[keep], disagreement[keep])
    assert float(ours) == pytest.approx(krippendorff_alpha(block[:, :, 0]))


def test_benjamini_hochberg_by_hand():
    # sorted p 0.01, 0.03, 0.04, 0.5 -> 0.04, 0.04*4/3... monotone from the top
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5])


def test_unknown_and_too_few_coders():
    with pytest.raises(InputError, match="nearest: alice"):
        resolve_coders(["alise"], ["alice", "bob"])
    # a family name takes every version; naming a coder twice is an error
    assert resolve_coders(["machine"], ["machine:rules@1", "machine:model@2"]) == {
        "machine": ["machine:model@2", "machine:rules@1"]}
    with pytest.raises(InputError, match="named twice"):
        resolve_coders(["machine", "machine:rules"], ["machine:rules@1", "machine:model@2"])
    with pytest.raises(InputError, match="two coders or more"):
        agreement(decisions([(1, "a", "alice")], ["alice"]))


def test_coders_without_a_response_in_common_are_told_so():
    result = agreement(decisions([(1, "a", "ann"), (2, "a", "bob")], ["ann", "bob"]), resamples=10, permutations=10)
    assert result.rows[0]["units"] == 0
    assert "no response was coded by two of ann, bob: nothing to agree on" in " ".join(result.notes)


def test_one_response_has_no_interval():
    result = agreement(decisions([(1, "a", "ann"), (1, "b", "bob")], ["ann", "bob"]), resamples=50, permutations=10)
    overall = result.rows[0]
    assert overall["units"] == 1 and overall["kappa"] is not None
    assert (overall["kappa_low"], overall["kappa_high"], overall["alpha_low"], overall["alpha_high"]) == (None,) * 4


def test_coverage_counts_read_but_uncoded_units_as_no():
    # bob read unit 3 and applied nothing: without coverage, unit 3 would not count
    codings = [(1, "a", "ann"), (1, "a", "bob"), (3, "a", "ann")]
    plain = decisions(codings, ["ann", "bob"])
    covered = decisions(codings, ["ann", "bob"], coverage=[(3, "bob")])
    assert plain.units == ["1", "3"] and np.isnan(plain.array[1, 1, 0])
    assert covered.array[1, 1, 0] == 0.0


def _gold(question=1):
    folder = CONSULT / "outputs" / "mapping" / "2025-07-22" / f"question_part_{question}"
    rows = [json.loads(line) for line in (folder / "mapping.jsonl").read_text().splitlines() if line.strip()]
    themes = [t["topic_id"] for t in json.loads((folder / "themes.json").read_text())]
    people = {}
    for line in (CONSULT / "inputs" / "respondents.jsonl").read_text().splitlines():
        record = json.loads(line)
        demo = record["demographic_data"]
        people[str(record["response_id"])] = (demo.get("Do you consider yourself to have a health condition or a disability?"),
                                              demo.get("Do you live in:"))
    return rows, themes, people


def _machine(rows, themes, people, noisy_region, seed=1):
    """A machine coder: the gold labels, flipped often in one region and rarely elsewhere."""
    rng = np.random.default_rng(seed)
    codings = []
    for row in rows:
        unit = str(row["response_id"])
        flip = 0.45 if people[unit][1] == noisy_region else 0.03
        for theme in themes:
            has = theme in row["labels"]
            if rng.random() < flip:
                has = not has
            if has:
                codings.append((unit, theme, "machine:test"))
    return codings


@pytest.mark.skipif(not CONSULT.exists(), reason="Consult sample not in ../shared")
def test_consult_gold_vs_a_machine_that_codes_one_region_worse():
    rows, themes, people = _gold()
    human = [(str(r["response_id"]), label, "gold") for r in rows for label in r["labels"]]
    regions = [p[1] for p in people.values()]
    noisy = max(set(regions), key=regions.count)  # the largest region, so the test has power
    machine = _machine(rows, themes, people, noisy)
    units = [str(r["response_id"]) for r in rows]
    coverage = [(u, c) for u in units for c in ("gold", "machine:test")]
    data = decisions(human + machine, ["gold", "machine:test"], coverage=coverage, segments=people)
    result = agreement(data, resamples=300, permutations=500, seed=4)
    overall = result.rows[0]
    assert overall["units"] == len(rows) == 100
    assert 0 < overall["kappa"] < 0.95
    assert overall["kappa_low"] < overall["kappa"] < overall["kappa_high"]
    regions_rows = {r["id"]: r for r in result.rows if r["scope"] == "region"}
    assert regions_rows[noisy]["flag"] == "machine agrees less"
    assert regions_rows[noisy]["q"] < 0.05
    assert not any(r["flag"] == "machine agrees less" for k, r in regions_rows.items() if k != noisy)
    # the health question is not where the noise is: nothing flagged there
    assert not any(r["flag"] == "machine agrees less" for r in result.rows if r["scope"] == "group")
    # seeded: the same seed, the same figures
    again = agreement(data, resamples=300, permutations=500, seed=4)
    assert again.rows == result.rows


@pytest.mark.skipif(not CONSULT.exists(), reason="Consult sample not in ../shared")
def test_consult_gold_against_itself_is_perfect():
    rows, themes, people = _gold(2)
    human = [(str(r["response_id"]), label, "gold") for r in rows for label in r["labels"]]
    copy = [(u, c, "copy") for u, c, _ in human]
    result = agreement(decisions(human + copy, ["gold", "copy"]), resamples=100, permutations=100)
    assert all(r["kappa"] == 1.0 and r["alpha"] == 1.0 for r in result.rows if r["units"])


@pytest.mark.skipif(not CONSULT.exists(), reason="Consult sample not in ../shared")
def test_small_chunks_give_the_same_findings(monkeypatch):
    # big projects draw resamples and shuffles in memory-bounded chunks; the findings do not change
    import consultgraph.coding.agreement as module

    rows, themes, people = _gold()
    human = [(str(r["response_id"]), label, "gold") for r in rows for label in r["labels"]]
    regions = [p[1] for p in people.values()]
    noisy = max(set(regions), key=regions.count)
    data = decisions(human + _machine(rows, themes, people, noisy), ["gold", "machine:test"],
                     coverage=[(str(r["response_id"]), c) for r in rows for c in ("gold", "machine:test")], segments=people)
    whole = agreement(data, resamples=300, permutations=500, seed=4)
    monkeypatch.setattr(module, "CHUNK_CELLS", 250)
    chunked = agreement(data, resamples=300, permutations=500, seed=4)
    for a, b in zip(whole.rows, chunked.rows):
        assert (a["kappa"], a.get("alpha"), a.get("flag")) == (b["kappa"], b.get("alpha"), b.get("flag"))
        if a["kappa_low"] is not None:
            assert abs(a["kappa_low"] - b["kappa_low"]) < 0.1 and b["kappa_low"] <= b["kappa"] <= b["kappa_high"]


def test_agreement_says_when_the_model_meets_the_codings_it_learned_from(tmp_path):
    """After `code --reviewed` the model learned from the reviewer's codes: there agreement reads its out-of-fold decisions."""
    from pathlib import Path

    from consultgraph.coding.agreement import graph_agreement
    from consultgraph.coding.review import read_review, review_items
    from consultgraph.coding.run import code
    from consultgraph.graph.consultation import Consultation
    from consultgraph.loaders import load
    from consultgraph.outputs.review import write_review
    from consultgraph.coding.review import REVIEW_COLUMNS, codebook_rows

    examples = Path(__file__).resolve().parents[1] / "examples" / "free-text"
    graph = load([examples / "codes.ttl", examples / "answers.csv"], options={"text_columns": "q1,q2"}).graph
    run = code(graph)
    rows = review_items(run, 10, seed=0)
    for row in rows:  # the reviewer accepts the machine's suggestions
        row["codes"] = row["suggested"]
    sheet = write_review(rows, codebook_rows(run.graph), tmp_path / "review.csv", columns=REVIEW_COLUMNS)
    graph = read_review(run.graph, sheet).graph
    graph = code(graph).graph
    assert any(c.startswith("machine:model@") for c in graph.codings("all")["coder"].dropna())
    reviewed = graph.codings("reviewer")["response"].nunique()
    notes = graph_agreement(graph, ["reviewer", "machine"], resamples=20, permutations=20).notes
    held_out = [n for n in notes if n.startswith("model vs people on ")]
    assert len(held_out) == 1 and f"on {reviewed} trained-on responses: out-of-fold decisions" in held_out[0]
    assert not any(n.startswith("in-sample") for n in notes)
    # a project coded before out-of-fold decisions were stored: its agreement is in-sample, and says so
    older = Consultation(graph.nodes, graph.edges[graph.edges["kind"] != "OUT_OF_FOLD"], name=graph.name)
    in_sample = [n for n in graph_agreement(older, ["reviewer", "machine"], resamples=20, permutations=20).notes
                 if n.startswith("in-sample")]
    assert len(in_sample) == 1 and "machine:model@" in in_sample[0]
    rules_only = graph_agreement(graph, ["reviewer", "machine:rules"], resamples=20, permutations=20).notes
    assert not any(n.startswith("in-sample") for n in rules_only)
    # 12 respondents: no group or region has the units to test (not "Benjamini-Hochberg over 0 segments")
    assert any("no segment has enough units inside and outside it to test" in n for n in rules_only)
