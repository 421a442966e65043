"""``code``: machine-code a project's free-text responses with the codebook rules and learned models.

The rules code every response whose text names a code; where people coded some
responses of a question, a model per code learns from them and codes the rest. Every
machine coding is a MENTIONS (or PROPOSES) edge from the response with ``coder``,
``confidence`` and ``evidence``; a rule's evidence is also a Quote of the matched span
(with offsets) that ILLUSTRATES the code. A model also leaves, for each response it
learned from, its out-of-fold decision on each code (OUT_OF_FOLD edges, not codings: only
``agreement`` reads them). Running ``code`` again replaces the machine's earlier codings
and decisions of those responses; people's codings are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from consultgraph.coding.out_of_fold import HELD_OUT
from consultgraph.errors import InputError
from consultgraph.graph.consultation import Consultation, is_machine
from consultgraph.graph.records import EdgeTable, NodeTable

#: Prefix of the ids of the quotes machine coders cut from responses.
MACHINE_QUOTES = "quote/machine/"
#: Where machine codings come from, in error messages (the translator names a file).
WHERE = "consultgraph code"
#: At most this many uncoded responses (a seeded sample) lend their words to a question's model.
UNCODED_VOCABULARY = 2_000
#: From this many responses the rules run in a second process beside the models (forking costs ~0.1 s).
BACKGROUND_RULES = 20_000
#: The call a forked process makes (set just before it forks).
_PENDING = None
#: A question's responses are applied to its model in blocks of at least this many, one per worker process.
APPLY_BLOCK_MIN = 10_000
#: Rule precision before any human coding is seen (a Beta prior worth this many codings).
RULE_PRIOR, RULE_PRIOR_WEIGHT = 0.7, 4.0


@dataclass
class CodingRun:
    """What :func:`code` did: the new graph, per-code figures, and what it used."""

    graph: Consultation
    responses: int = 0
    rules_coder: str | None = None
    model_coders: dict = field(default_factory=dict)  # question -> coder
    summary: list = field(default_factory=list)
    predictions: dict = field(default_factory=dict)  # question -> (response ids, {concept: p}, model)

    @property
    def machine_codings(self):
        return int(sum(row["machine"] for row in self.summary))


def _human_labels(graph, responses):
    """People's codings of ``responses`` as ``{response: {concept: stance}}``.

    A response people read and found no code for (a review row answered ``none``) is coded
    with nothing: ``{}``, a negative for every code.
    """
    human = graph.codings("human")
    wanted = set(responses["id"])
    human = human[human["response"].isin(wanted)]
    coded = {response: {} for response in graph.no_code() if response in wanted}
    for response, concept, stance in zip(human["response"], human["concept"], human["stance"]):
        coded.setdefault(response, {})[concept] = stance if isinstance(stance, str) else None
    return coded


def _rule_codings(graph, responses, coded, progress, language):
    from consultgraph.coding.rules import Matcher, codebook_of

    book = codebook_of(graph, language=language)
    matcher = Matcher(book)
    rows = []
    total = len(responses)
    for number, (response, text) in enumerate(zip(responses["id"], responses["text"])):
        seen = set()
        for match in matcher.matches(text if isinstance(text, str) else ""):
            if match.concept in seen:
                continue
            seen.add(match.concept)
            rows.append((response, match.concept, match.start, match.end, match.fuzzy))
        if progress and number % 2000 == 0:
            progress("rules", number, total)
    frame = pd.DataFrame(rows, columns=["response", "concept", "start", "end", "fuzzy"], dtype=object).astype(
        {"start": np.int64, "end": np.int64, "fuzzy": bool})
    # a rule's confidence: how often people agreed where it fired on a response they coded
    checked = frame[frame["response"].isin(coded)]
    agreed = np.array([c in coded[r] for r, c in zip(checked["response"], checked["concept"])], dtype=float)
    stats = pd.DataFrame({"concept": checked["concept"], "agreed": agreed}).groupby("concept")["agreed"].agg(["sum", "count"])
    hits = frame["concept"].map(stats["sum"]).fillna(0.0)
    fires = frame["concept"].map(stats["count"]).fillna(0.0)
    frame["confidence"] = (hits + RULE_PRIOR * RULE_PRIOR_WEIGHT) / (fires + RULE_PRIOR_WEIGHT)
    frame.loc[frame["fuzzy"], "confidence"] *= 0.8
    frame["confidence"] = frame["confidence"].round(4)
    return book, frame


def primers_of(concepts, ids):
    """``concept -> its labels and definition`` as one text, for :func:`~consultgraph.coding.learned.primed`."""
    out = {}
    for concept_id in ids:
        if concept_id in concepts:
            concept = concepts[concept_id]
            words = [concept.label, *concept.alt_labels, *concept.hidden_labels, concept.definition or ""]
            out[concept_id] = ". ".join(w for w in words if w)
    return out


def _model_codings(responses, coded, seed, level, progress, concepts, embeddings=True, workers=1):
    """The models' codings of ``responses``, the models per question, and their out-of-fold decisions."""
    from consultgraph.coding.learned import clean, fit_model, forked_map, held_out

    out, models, decided = [], {}, []
    for question, group in responses.groupby("question", sort=True, dropna=False):
        ids = group["id"].to_numpy()
        texts = [clean(t) for t in group["text"]]
        trained = [i for i, r in enumerate(ids) if r in coded]
        if len(trained) < 4:
            continue
        concepts_used = sorted({c for i in trained for c in coded[ids[i]]})
        labels = {c: np.array([c in coded[ids[i]] for i in trained], dtype=int) for c in concepts_used}
        stances = {c: [coded[ids[i]].get(c) for i in trained] for c in concepts_used}
        uncoded = np.setdiff1d(np.arange(len(ids)), trained)
        if len(uncoded) > UNCODED_VOCABULARY:
            uncoded = np.sort(np.random.default_rng(seed).choice(uncoded, UNCODED_VOCABULARY, replace=False))
        model = fit_model([texts[i] for i in trained], labels, stances=stances, seed=seed, level=level,
                          primers=primers_of(concepts, concepts_used), uncoded=[texts[i] for i in uncoded],
                          embeddings=embeddings, workers=workers)
        if not model.codes:
            continue
        trained_ids = ids[trained]
        for concept, (probability, chosen) in held_out(model).items():
            decided.append(pd.DataFrame({"source": trained_ids, "target": concept, "coder": model.coder,
                                         "confidence": probability.round(4), "decision": chosen.astype(int)}))
        if progress:
            progress("model", 0, len(ids))
        # every step after the fit reads a text alone: row blocks in forked processes, joined in order
        blocks = np.array_split(np.arange(len(ids)), max(1, min(workers, len(ids) // APPLY_BLOCK_MIN)))
        done = forked_map(lambda rows: _apply(model, ids[rows], [texts[i] for i in rows], level), blocks, workers)
        probabilities = {c: np.concatenate([p[c] for p, _ in done]) for c in model.codes}
        models[question] = (ids, probabilities, model)
        out.extend(row for concept in probabilities for _, rows in done for row in rows.get(concept, ()))
    frame = pd.DataFrame(out, columns=["response", "concept", "confidence", "stance", "evidence", "coder"],
                         dtype=object).astype({"confidence": float})
    return frame, models, decided


def _apply(model, ids, texts, level):
    """The model's probabilities for ``texts`` and its codings of them: ``{concept: rows of the frame}``."""
    from consultgraph.coding.learned import decide, predict, predict_stances, prediction_set, top_terms

    probabilities, matrix = predict(model, texts)
    decided = decide(model, probabilities)
    words = matrix[:, :len(model.features.words.vocabulary_)]  # the evidence terms' columns, cut once
    out = {}
    for concept, probability in probabilities.items():
        has, lacks = prediction_set(model, concept, probability)
        picked = np.flatnonzero(decided[concept])
        if not len(picked):
            continue
        stance = predict_stances(model, concept, matrix[picked])
        stance_model = model.stances.get(concept)
        why = {s: stance_model.evidence(s) for s in set(stance)} if stance_model is not None else {}
        evidence = top_terms(model, concept, words[picked])
        rows = out[concept] = []
        for position, row in enumerate(picked):
            terms = evidence[position]
            certain = "sure" if has[row] and not lacks[row] else "unsure"
            said = why.get(stance[position])
            rows.append((ids[row], concept, round(float(probability[row]), 4), stance[position],
                         f"{certain} at {level:.0%}; terms: " + ", ".join(terms) + (f"; {said}" if said else ""),
                         model.coder))
    return probabilities, out


def _without_machine(graph, response_ids):
    """``graph`` minus the machine's codings and evidence quotes of ``response_ids``."""
    edges, nodes = graph.edges, graph.nodes
    coding = edges["kind"].isin(("MENTIONS", "PROPOSES")) & edges["source"].isin(response_ids)
    machine = (coding & is_machine(_coders(edges["props"]))) | ((edges["kind"] == HELD_OUT) & edges["source"].isin(response_ids))
    prefixes = tuple(MACHINE_QUOTES + r.split("/", 1)[1] + "/" for r in response_ids)
    quote_ids = set(nodes.loc[nodes["id"].str.startswith(MACHINE_QUOTES), "id"])
    stale = {q for q in quote_ids if q.startswith(prefixes)} if quote_ids else set()
    drop = machine | edges["source"].isin(stale) | edges["target"].isin(stale)
    return Consultation(nodes[~nodes["id"].isin(stale)], edges[~drop], name=graph.name, manifest=graph.manifest,
                        coder=graph.coder)


def _mark_read(graph, responses, rules_coder, model_coders):
    """``graph`` with each of ``responses`` marked read by the machine coders of this run (``machine_read_by``).

    The rules read every response they run on, a question's model every response of its
    question, whether or not they code it: a response they found nothing in is in the
    base of the machine's shares (see :func:`consultgraph.graph.codings.readers`). An
    earlier run's mark goes with its codings (:func:`_without_machine`).
    """
    import json

    from consultgraph.graph.coders import MACHINE_READ_BY

    readers = {}
    for response, question in zip(responses["id"], responses["question"]):
        names = ([rules_coder] if rules_coder else []) + ([model_coders[question]] if question in model_coders else [])
        readers[response] = "|".join(sorted(names))
    nodes = graph.nodes
    rows = np.flatnonzero((nodes["kind"] == "Response").to_numpy() & nodes["id"].isin(list(readers)).to_numpy())
    texts = [t if isinstance(t, str) and t else "{}" for t in nodes["props"].astype(object).to_numpy()[rows]]
    props = []
    for response, values in zip(nodes["id"].to_numpy()[rows], json.loads("[" + ",".join(texts) + "]")):  # one parse
        values.pop(MACHINE_READ_BY, None)
        values.update({MACHINE_READ_BY: readers[response]} if readers[response] else {})
        props.append(json.dumps(values, ensure_ascii=False, sort_keys=True) if values else "{}")
    nodes = nodes.copy()
    nodes["props"] = nodes["props"].astype(object)
    nodes.iloc[rows, nodes.columns.get_loc("props")] = props
    return Consultation(nodes, graph.edges, name=graph.name, manifest=graph.manifest, coder=graph.coder)


def _coders(props):
    from consultgraph.graph.consultation import coder_of

    return coder_of(props)


def code(graph, *, question=None, rules=True, model=True, seed=0, level=0.9, language="en", progress=None,
         embeddings=True, workers=None):
    """Machine-code the free-text responses of ``graph``.

    Parameters
    ----------
    graph : Consultation
        A project with Response nodes (see the ``text``, ``consult``, ``tttc-csv`` and
        ``documents`` loaders) and a codebook (its code concepts).
    question : str, optional
        Code only the responses to this question (id or label).
    rules, model : bool
        Use the codebook rules; use learned models (needs people's codings of the question).
    seed : int
        Seeds every random choice: the same input and seed give the same codings.
    level : float
        Coverage of the conformal prediction sets reported in a model coding's evidence.
    embeddings : bool
        Let the learned models read the texts' sentence embeddings (WordLlama, bundled); off,
        they read words and character n-grams only (faster; a different ``machine:model@`` name).
    workers : int, optional
        Processes to code in (1 or more): each code's fits, the rules and blocks of responses
        run in forked processes; the codings are the same for any number. Default:
        ``CONSULTGRAPH_WORKERS``, else every core this process may use.
    progress : callable, optional
        ``progress(step, done, total)``.

    Returns
    -------
    CodingRun
    """
    import gc

    from consultgraph.coding.learned import workers as usable_workers

    workers = usable_workers(workers)
    # coding makes millions of small lists, tuples and strings that hold no reference cycles; the
    # cyclic collector would walk them again and again (about 7 s of ~80 at 100,000 responses)
    paused = gc.isenabled()
    gc.disable()
    try:
        return _code(graph, question=question, rules=rules, model=model, seed=seed, level=level, language=language,
                     progress=progress, embeddings=embeddings, workers=workers)
    finally:
        if paused:
            gc.enable()


def _code(graph, *, question, rules, model, seed, level, language, progress, embeddings, workers):
    from consultgraph.graph.translator import translate

    responses = graph.responses()
    if not len(responses):
        raise InputError("the project has no free-text responses to code",
                         hint="load answers first: consultgraph load answers.csv --text-columns q1 --into PROJECT")
    if question is not None:
        questions = graph.questions()
        wanted = [q for q, label in zip(questions["id"], questions["label"])
                  if question in (q, label, q.split("/", 1)[-1])]
        if not wanted:
            from consultgraph.errors import UnknownNameError

            raise UnknownNameError("question", question, list(questions["id"]))
        responses = responses[responses["question"] == wanted[0]].reset_index(drop=True)
    coded = _human_labels(graph, responses)
    run = CodingRun(graph=graph, responses=len(responses))
    found = []
    author = dict(zip(responses["id"], responses["respondent"]))
    texts = dict(zip(responses["id"], responses["text"]))
    quotes, book = [], None
    # the rules run in a forked process while this one fits and applies the models (two cores)
    ruled = _later(workers, _rule_codings, graph, responses, coded, None, language) if rules and model and \
        len(responses) >= BACKGROUND_RULES else None
    if rules and ruled is None:
        book, matches = _rule_codings(graph, responses, coded, progress, language)
    learned, decided = None, []
    try:
        if model:
            learned, models, decided = _model_codings(responses, coded, seed, level, progress, graph.concepts,
                                                      embeddings, workers)
            run.predictions = models
            run.model_coders = {q: m.coder for q, (_, _, m) in models.items()}
    except BaseException:
        if ruled is not None:
            ruled(wait_only=True)
        raise
    if ruled is not None:
        book, matches = ruled()
        if progress:
            progress("rules", len(responses), len(responses))
    if rules:
        run.rules_coder = book.coder
        if len(matches):
            matches["coder"] = _objects([book.coder] * len(matches), matches.index)
            matches["stance"] = None
            matches["evidence"] = _objects([f"matched '{texts[r][s:e]}'" for r, s, e in
                                            zip(matches["response"], matches["start"], matches["end"])], matches.index)
            found.append(matches[["response", "concept", "confidence", "stance", "evidence", "coder"]])
            quotes.append(matches)
    if learned is not None and len(learned):
        found.append(learned)
    if (not rules or not book.concepts) and not run.model_coders:
        raise InputError("nothing to code with: the project has no codebook and no responses coded by people",
                         hint="load your codes as SKOS (consultgraph load codes.ttl --into PROJECT) "
                              "or some people's codings (respondent, question, code, coder)")
    codings = pd.concat(found, ignore_index=True) if found else pd.DataFrame(
        columns=["response", "concept", "confidence", "stance", "evidence", "coder"])
    base = _mark_read(_without_machine(graph, set(responses["id"])), responses, run.rules_coder, run.model_coders)
    records = list(_records(codings, quotes, author, texts))
    # what each model would have decided on the responses it learned from: read by `agreement` alone
    records += [EdgeTable(HELD_OUT, frame, file=WHERE) for frame in decided]
    batch = translate(records, concepts=base.concepts, existing=base.node_kinds)
    run.graph = base.merge(batch)
    run.summary = _summary(run.graph, codings, coded, models if model else {})
    return run


def _background(_=None):
    function, args = _PENDING
    return function(*args)


def _later(workers, function, *args):
    """Start ``function(*args)`` in a forked process; returns the call that waits for its result.

    ``None`` where a second process would not help (``workers`` below 2, or no ``fork``):
    the caller runs it itself.
    """
    global _PENDING
    import multiprocessing

    if workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    from concurrent.futures import ProcessPoolExecutor

    _PENDING = (function, args)
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    try:
        future = pool.submit(_background)  # forks now, with the arguments in its memory
    finally:
        _PENDING = None

    def result(wait_only=False):
        try:
            return None if wait_only and future.exception() else future.result()
        finally:
            pool.shutdown()

    return result


def _objects(values, index=None):
    """``values`` as a Series of Python objects. Pandas would copy texts into Arrow strings, which the
    translator reads back one at a time: about a second at 100,000 responses."""
    return pd.Series(values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values, index=index,
                     dtype=object)


def _records(codings, quotes, author, texts):
    if len(codings):
        frame = codings.rename(columns={"response": "source", "concept": "target"}).copy()
        frame["stance"] = frame["stance"].astype(object).where(frame["stance"].notna(), None)
        yield EdgeTable("CODED", frame.reset_index(drop=True), file=WHERE)
    for matches in quotes:
        ids = [f"{MACHINE_QUOTES}{r.split('/', 1)[1]}/{s}-{e}" for r, s, e in
               zip(matches["response"], matches["start"], matches["end"])]
        frame = pd.DataFrame({"id": _objects(ids), "response": _objects(matches["response"]),
                              "start": matches["start"].to_numpy(), "end": matches["end"].to_numpy(),
                              "concept": _objects(matches["concept"]), "coder": _objects(matches["coder"]),
                              "confidence": matches["confidence"].to_numpy()})
        first = frame.drop_duplicates("id")
        nodes = pd.DataFrame({
            "id": _objects(first["id"]),
            "text": _objects([texts[r][s:e] for r, s, e in zip(first["response"], first["start"], first["end"])]),
            "start": first["start"].to_numpy(), "end": first["end"].to_numpy(),
        })
        yield NodeTable("Quote", nodes, file=WHERE)
        yield EdgeTable("QUOTED_FROM", pd.DataFrame({"source": _objects(first["id"]), "target": _objects(first["response"])}),
                        file=WHERE)
        said = first[first["response"].map(author).notna()]
        yield EdgeTable("SAID", pd.DataFrame({"source": _objects(said["response"].map(author)), "target": _objects(said["id"])}),
                        file=WHERE)
        yield EdgeTable("ILLUSTRATES", pd.DataFrame({"source": _objects(frame["id"]), "target": _objects(frame["concept"]),
                                                     "coder": _objects(frame["coder"]),
                                                     "confidence": frame["confidence"].to_numpy()}), file=WHERE)


def _summary(graph, codings, coded, models):
    """One row per code: people's codings, the machine's, its mean confidence and model quality."""
    concepts = graph.concepts
    human = pd.Series([c for codes in coded.values() for c in codes], dtype=object).value_counts()
    machine = codings.groupby("concept")["response"].nunique() if len(codings) else pd.Series(dtype=int)
    confidence = codings.groupby("concept")["confidence"].mean() if len(codings) else pd.Series(dtype=float)
    quality = {}
    for _, _, model in models.values():
        for concept, code_model in model.codes.items():
            quality[concept] = code_model
    rows = []
    for concept in sorted(set(human.index) | set(machine.index)):
        q = quality.get(concept)
        rows.append({
            "concept": concept,
            "label": concepts[concept].label if concept in concepts else concept,
            "human": int(human.get(concept, 0)),
            "machine": int(machine.get(concept, 0)),
            "mean_confidence": round(float(confidence.get(concept, float("nan"))), 3),
            "model_f1": None if q is None else round(q.f1, 3),
            "threshold": None if q is None else round(q.threshold, 3),
        })
    return rows
