"""The learned coder's fast paths give the libraries' own figures (issue 12: speed without changing codes).

Sentence embeddings summed per distinct word against WordLlama's own ``embed``; word and
pair counts looked up in arrays against scikit-learn's ``CountVectorizer.transform``; all
codes' decisions in one product against each regression's own; on real texts and on
texts built to break the shortcuts.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from consultgraph.coding import embedding, learned, ngrams

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "consultations"
# double, leading and trailing spaces, tabs and line breaks, the tokenizer's own space mark and
# special tokens' text, scripts without spaces, empty texts, case the preprocessor folds
AWKWARD = ["", " ", "  Ban  the ads ", "ban\tthe ads\nnow", "x<s>y </s> <unk>", "a \u2581b\u2581\u2581 c",
           "禁止賭博廣告 ban", "Ünïcödé  façade, İstanbul", "w1 w2 w1 w2 w1", "end ", "ads ads ads ads"]


def _real_texts():
    comments = json.loads((DATA / "sensemaker" / "bowling_green_comments.json").read_text("utf-8"))
    report = json.loads((DATA / "talk-to-the-city" / "ai_assemblies_taiwan_2023_report.json").read_text("utf-8"))
    consult = [json.loads(line)["response"] for line in
               (DATA / "consult" / "gambling_XS" / "inputs" / "question_part_1" / "responses.jsonl").read_text("utf-8").splitlines()
               if line.strip()]
    return ([c["text"] for c in comments if c.get("text")][:300] + [r["comment"] for r in report["data"]
                                                                    if r.get("comment")][:60] + consult)


@pytest.fixture(scope="module")
def real_texts():
    return _real_texts()


def test_embeddings_are_wordllamas(real_texts):
    wl = embedding.model()
    assert embedding.by_words(wl), "the bundled tokenizer no longer allows word-by-word tokens: the fast path is off"
    texts = real_texts + AWKWARD
    theirs = wl.embed(texts)
    norms = np.linalg.norm(theirs, axis=1, keepdims=True)
    theirs = np.divide(theirs, norms, out=np.zeros_like(theirs), where=norms > 0)
    ours = embedding.embed(texts)
    assert ours.shape == theirs.shape and ours.dtype == np.float32
    assert np.abs(ours - theirs).max() < 1e-5
    # the empty text has no tokens: the zero vector
    assert not ours[len(real_texts)].any()


def test_embeddings_across_blocks_match_one_block(monkeypatch, real_texts):
    whole = embedding.embed(real_texts)
    monkeypatch.setattr(embedding, "BLOCK", 7)
    assert np.array_equal(embedding.embed(real_texts), whole)


@pytest.mark.parametrize("max_features", [None, 500])
def test_word_counts_are_count_vectorizers(real_texts, max_features):
    from sklearn.feature_extraction.text import CountVectorizer

    # 500 features: some pairs are kept where one of their words is not
    vectorizer = CountVectorizer(token_pattern=learned._TOKEN, ngram_range=(1, 2), max_features=max_features,
                                 dtype=np.float32).fit(real_texts[::2])
    for texts in (real_texts, AWKWARD, [], [""]):
        theirs, ours = vectorizer.transform(texts), ngrams.word_counts(vectorizer, texts)
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        assert np.array_equal(ours.indptr, theirs.indptr) and np.array_equal(ours.indices, theirs.indices)
        assert np.array_equal(ours.data, theirs.data)


def test_word_counts_fall_back_where_they_do_not_apply():
    from sklearn.feature_extraction.text import CountVectorizer

    texts = ["ban the ads now", "the ads now work"]
    for vectorizer in (CountVectorizer(ngram_range=(1, 3)), CountVectorizer(analyzer="char_wb"),
                       CountVectorizer(stop_words=["the"]), CountVectorizer(binary=True)):
        vectorizer.fit(texts)
        assert not ngrams.handles(vectorizer)
        assert (ngrams.word_counts(vectorizer, texts[::-1]) != vectorizer.transform(texts[::-1])).nnz == 0


def test_all_codes_decisions_are_each_regressions(real_texts):
    texts = real_texts[:200]
    labels = {"long": np.array([len(t) > 200 for t in texts], dtype=int),
              "question": np.array(["?" in t for t in texts], dtype=int)}
    model = learned.fit_model(texts, labels, seed=3, primers={"long": "A long answer", "question": "A question"})
    matrix = model.features.transform(real_texts[200:])
    embedded = embedding.embed(real_texts[200:])
    together = learned.decisions(model.codes.values(), matrix, embedded)
    for concept, code in model.codes.items():
        alone = learned._decision(code.classifier, matrix, embedded, code.embedding_weight)
        # summed in another order: equal to rounding (1e-16), far below the 4 decimals a confidence keeps
        assert np.allclose(together[concept], alone, rtol=1e-12, atol=1e-12), concept


def test_codes_fitted_in_worker_processes_are_the_ones_fitted_in_one(monkeypatch, real_texts):
    """Forked workers (``CONSULTGRAPH_WORKERS``) give every code the very same model, in code order."""
    texts = real_texts[:100] + real_texts[300:]
    labels = {"long": np.array([len(t) > 150 for t in texts], dtype=int),
              "question": np.array(["?" in t for t in texts], dtype=int),
              "people": np.array(["people" in t.lower() for t in texts], dtype=int),
              "gambling": np.array(["gambl" in t.lower() for t in texts], dtype=int),
              "ads": np.array(["advert" in t.lower() for t in texts], dtype=int)}
    seen = []
    monkeypatch.setattr(learned, "PARALLEL_MIN_WORK", 0)
    monkeypatch.setenv("CONSULTGRAPH_WORKERS", "1")
    alone = learned.fit_model(texts, labels, seed=5, embeddings=False)
    monkeypatch.setenv("CONSULTGRAPH_WORKERS", "2")
    forked = learned._map_codes  # the parallel path must run, not the fallback
    monkeypatch.setattr(learned, "_map_codes",
                        lambda context, jobs, count=None: seen.append(len(jobs)) or forked(context, jobs, count))
    together = learned.fit_model(texts, labels, seed=5, embeddings=False,
                                 progress=lambda done, total: seen.append((done, total)))
    assert list(together.codes) == list(alone.codes) and len(alone.codes) >= 3
    for concept, code in alone.codes.items():
        other = together.codes[concept]
        assert np.array_equal(code.classifier.coef_, other.classifier.coef_), concept
        assert (code.platt, code.threshold, code.f1, code.column) == \
               (other.platt, other.threshold, other.f1, other.column), concept
        # the conformal cut is one of the calibration scores; where two of them tie to 1e-15 a fresh
        # process may pick the other one (seen here: 0.3592558280171422 / ...413), far below a confidence's 4 decimals
        assert code.conformal == pytest.approx(other.conformal, rel=1e-12, abs=1e-12), concept
    assert together.digest == alone.digest
    assert seen[0] == len(alone.codes) and [s[0] for s in seen[1:]] == sorted(s[0] for s in seen[1:])


def test_workers_knob(monkeypatch):
    monkeypatch.setenv("CONSULTGRAPH_WORKERS", "3")
    assert learned.workers() == 3
    monkeypatch.setenv("CONSULTGRAPH_WORKERS", "")
    assert learned.workers() >= 1
    monkeypatch.setenv("CONSULTGRAPH_WORKERS", "two")
    from consultgraph.errors import InputError

    with pytest.raises(InputError, match="CONSULTGRAPH_WORKERS"):
        learned.workers()
