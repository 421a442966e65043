"""Sentence embeddings in the learned coder (issue 12): offline, deterministic, and paraphrases."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from consultgraph.coding import embedding, learned

TRAIN = ["Buses and trains are always late", "The railway needs investment", "More cycle lanes on the roads",
         "Hospitals need more nurses", "Waiting lists for doctors are too long", "Clinics keep closing"]
LABELS = {"transport": np.array([1, 1, 1, 0, 0, 0]), "health": np.array([0, 0, 0, 1, 1, 1])}
# By hand: none of these shares a word with the coded texts of its code.
PARAPHRASES = {"Commuter subway lines": "transport", "Surgery for patients with illness": "health",
               "metro tickets cost a fortune": "transport", "medicine shortages at the pharmacy": "health",
               "GP appointments are impossible to get": "health", "Ambulances take hours to arrive": "health",
               "Trams and coaches": "transport", "Potholes on the motorway": "transport",
               "Cancer treatment": "health", "Traffic jams at rush hour": "transport"}


def test_bundled_model_loads_with_no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network used")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    embedding.model.cache_clear()
    vectors = embedding.embed(["Ban gambling adverts", "", "Les publicités devraient être interdites"])
    assert vectors.shape == (3, embedding.DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[[0, 2]], axis=1), 1, atol=1e-5)


def test_similar_meaning_is_closer():
    ads, ban, parks = embedding.embed(["The ads should be banned", "Ban gambling adverts", "I like the city parks"])
    assert ads @ ban > ads @ parks and ban @ ads > ban @ parks


def _codes(weight, primer):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(learned, "EMBEDDING_WEIGHT", weight)
        patch.setattr(learned, "PRIMER_WEIGHT", primer)
        model = learned.fit_model(TRAIN, LABELS, seed=0, primers={"transport": "Transport", "health": "Health"})
        probabilities, _ = learned.predict(model, list(PARAPHRASES))
    decided = learned.decide(model, probabilities)
    return model, probabilities, ["health" if decided["health"][i] else "transport" for i in range(len(PARAPHRASES))]


def test_paraphrases_without_shared_words_get_their_code():
    _, _, with_embeddings = _codes(learned.EMBEDDING_WEIGHT, learned.PRIMER_WEIGHT)
    _, _, words_only = _codes(0.0, 0.0)
    truth = list(PARAPHRASES.values())
    right = sum(a == b for a, b in zip(with_embeddings, truth))
    assert right >= 9, with_embeddings
    assert sum(a == b for a, b in zip(words_only, truth)) < right


def test_coder_with_embeddings_is_deterministic():
    one, p1, _ = _codes(learned.EMBEDDING_WEIGHT, learned.PRIMER_WEIGHT)
    two, p2, _ = _codes(learned.EMBEDDING_WEIGHT, learned.PRIMER_WEIGHT)
    assert one.coder == two.coder
    assert all(np.array_equal(p1[c], p2[c]) for c in p1)
    # the embedding settings are part of the model's name
    assert _codes(0.0, 0.0)[0].coder != one.coder


def test_evidence_terms_are_words_of_the_text():
    # the embedding columns never show up as evidence: the terms are the text's words and pairs
    model, _, _ = _codes(learned.EMBEDDING_WEIGHT, learned.PRIMER_WEIGHT)
    texts = ["The railway and the trains", "Nurses in hospitals"]
    matrix = model.features.transform(texts)
    transport = learned.top_terms(model, "transport", matrix[:1])[0]
    health = learned.top_terms(model, "health", matrix[1:])[0]
    assert "railway" in transport and set(transport) <= {"the", "railway", "and", "trains", "the railway",
                                                         "railway and", "and the", "the trains"}
    assert "nurses" in health and set(health) <= {"nurses", "in", "hospitals", "nurses in", "in hospitals"}
