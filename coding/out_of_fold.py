"""Out-of-fold decisions: what a learned model would have coded on the responses it learned from.

``code`` stores them as OUT_OF_FOLD edges (not codings: no other command reads them);
``agreement`` puts them in place of the model's own codings of those responses, so that
the model is judged on decisions it made without seeing people's codes of the response.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from consultgraph.graph.consultation import coder_of, number_of

#: The relationship that holds a learned model's out-of-fold decisions (schema/ontology.ttl: cg:outOfFold).
HELD_OUT = "OUT_OF_FOLD"


def held_out_decisions(graph, question=None):
    """The graph's out-of-fold decisions: response, concept, coder, confidence, decision (1 or 0), question."""
    edges = graph.edges_of(HELD_OUT)
    props = edges["props"].astype(object)
    frame = pd.DataFrame({
        "response": edges["source"].astype(object).to_numpy(), "concept": edges["target"].astype(object).to_numpy(),
        "coder": coder_of(props).to_numpy(), "confidence": number_of(props, "confidence").to_numpy(),
        "decision": number_of(props, "decision").fillna(0).astype(int).to_numpy(),
    })
    responses = graph.responses() if len(frame) else pd.DataFrame(columns=["id", "question"])
    frame["question"] = frame["response"].map(dict(zip(responses["id"], responses["question"])))
    return frame if question is None else frame[frame["question"] == question].reset_index(drop=True)


def in_place_of_trained(codings, graph, question=None):
    """``codings`` (see :func:`~consultgraph.coding.agreement.coder_units`) with each learned model's
    codings of the responses it learned from replaced by its out-of-fold decisions there.

    Returns the new codings and ``{coder: its trained-on responses}``; a model that left no
    out-of-fold decisions (coded before they were stored) keeps its codings.
    """
    held = held_out_decisions(graph, question)
    if not len(held):
        return codings, {}
    trained = held[["response", "coder"]].drop_duplicates()
    replaced = pd.MultiIndex.from_frame(codings[["unit", "coder"]].astype(object)).isin(
        pd.MultiIndex.from_frame(trained.astype(object)))
    given = held[held["decision"] == 1]
    responses = graph.responses().set_index("id")
    added = pd.DataFrame({
        "respondent": given["response"].map(responses["respondent"]).to_numpy(),
        "concept": given["concept"].to_numpy(), "kind": None, "stance": None, "weight": np.nan,
        "group": given["response"].map(responses["group"]).to_numpy(),
        "region": given["response"].map(responses["region"]).to_numpy(),
        "response": given["response"].to_numpy(), "question": given["question"].to_numpy(),
        "coder": given["coder"].to_numpy(), "confidence": given["confidence"].to_numpy(),
        "unit": given["response"].to_numpy(),
    })
    frame = pd.concat([codings[~replaced], added[[c for c in codings.columns if c in added]]], ignore_index=True)
    return frame, {coder: set(group["response"]) for coder, group in trained.groupby("coder")}


def held_out_notes(trained, learned, compared, covers, people):
    """What ``agreement`` says about the learned models among the ``compared`` coders.

    ``trained``: ``{model coder: responses}`` (from :func:`in_place_of_trained`, among the
    compared units); ``learned``: every ``machine:model@`` coder of the graph; ``covers(name,
    coder)``: whether a compared name stands for a coder; ``people``: whether people are compared.
    """
    notes = []
    shown = sorted(m for m in learned if any(covers(c, m) for c in compared))
    with_held_out = [m for m in shown if trained.get(m)]
    if with_held_out:
        units = set().union(*(trained[m] for m in with_held_out))
        notes.append(
            f"model vs {'people' if people else 'the other coders'} on {len(units)} trained-on responses: "
            "out-of-fold decisions (" + ", ".join(with_held_out) + ": each made without the response's fold (5 folds, "
            "fewer for a rare code) in the regression, the neighbours' vote, the calibration and the threshold); "
            "its codings elsewhere")
    stale = [m for m in shown if m not in trained]
    if stale and people:
        notes.append(
            "in-sample: " + ", ".join(stale) + " learned from people's codings of the responses they coded, so "
            "where it meets them there it was trained on their answers (optimistic). Run `consultgraph code` again "
            "to store its out-of-fold decisions, which agreement then uses there; or compare it with codings people "
            "made after the last `consultgraph code`")
    return notes
