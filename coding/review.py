"""The review loop: pick the responses the machine is least sure of, and record people's review.

:func:`review_items` ranks the responses no person has coded by how close their codes'
probabilities sit to the decision thresholds (uncertainty sampling; seeded random order
before any model exists). ``outputs/review.py`` writes them as a sheet or a REFI-QDA
project; :func:`read_review` reads the reviewed file back and records its codes as
people's codings (``none``: no code applies), refusing the whole file if any row no
longer matches the project. A row left empty is skipped: not recorded.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from consultgraph.errors import InputError
from consultgraph.graph.coders import NO_CODE_BY, coder_of, is_machine, no_code_coders
from consultgraph.graph.consultation import Consultation

#: Columns of a review sheet; people fill ``codes`` (labels separated by ';', or ``none``) and ``coder``.
REVIEW_COLUMNS = ["response", "respondent", "question", "text", "suggested", "codes", "coder", "uncertainty", "check"]
DEFAULT_REVIEWER = "reviewer"
SEPARATOR = ";"
#: What a reviewer writes in ``codes`` (or, in a .qdpx, the code applied) when no code applies.
NONE_APPLY = "none"
#: The code a .qdpx review's code book offers for "no code applies".
NONE_APPLY_CODE = "none apply"
#: How to fill a review sheet, line by line: an XLSX's "instructions" sheet and the CLI's message say it.
INSTRUCTIONS = (
    "codes: write the codes that apply to the response, labels separated by ';' (copy 'suggested' to accept "
    "the machine's codes: the probabilities in brackets are ignored).",
    "codes: write 'none' when no code applies: the response is recorded as reviewed, with no code.",
    "codes left empty: the row is skipped, not recorded, and asked again by the next --review.",
    "coder: your name (rows without one take --reviewer, else 'reviewer').",
)
_PROBABILITY = re.compile(r"\s*\(\s*[01](?:\.\d*)?\s*\)\s*$")


def labels_of(cell):
    """The code labels of a ``codes`` (or ``suggested``) cell: ';'-separated, a trailing "(0.83)" dropped.

    Examples
    --------
    >>> labels_of("Research (0.83); Advocacy (0.41)")
    ['Research', 'Advocacy']
    >>> labels_of(" none ")
    ['none']
    """
    labels = (_PROBABILITY.sub("", label).strip() for label in str(cell or "").split(SEPARATOR))
    return [label for label in labels if label]


def says_none(label):
    """True for the answer "no code applies": ``none`` (a sheet) or the ``none apply`` code (a .qdpx)."""
    return label.strip().casefold() in (NONE_APPLY, NONE_APPLY_CODE)


@dataclass
class Review:
    """What :func:`read_review` recorded: the new graph, people's codings, the responses with no code, rows skipped."""

    graph: object
    codings: int = 0
    no_code: int = 0
    skipped: int = 0


def text_check(text):
    """A short fingerprint of a response text: a review row whose text changed is refused."""
    return hashlib.sha1(str(text).encode("utf-8")).hexdigest()[:12]


def _uncertainty(run, response_ids):
    """``response -> uncertainty`` in [0, 1]: 1 - the smallest distance of a code's probability to its threshold."""
    out = {}
    for ids, probabilities, model in run.predictions.values():
        position = {r: i for i, r in enumerate(ids)}
        margins = np.ones(len(ids))
        for concept, probability in probabilities.items():
            threshold = model.codes[concept].threshold
            scale = np.where(probability >= threshold, 1 - threshold, threshold)
            margins = np.minimum(margins, np.abs(probability - threshold) / np.maximum(scale, 1e-9))
        for response in response_ids:
            if response in position:
                out[response] = float(1 - margins[position[response]])
    return out


def review_items(run, count, *, seed=0):
    """The ``count`` responses people should code next, most uncertain first.

    Parameters
    ----------
    run : CodingRun
        The result of :func:`consultgraph.coding.run.code`.
    count : int
        How many responses.
    seed : int
        Orders responses the model cannot rank (and all of them before any model exists).

    Returns
    -------
    list of dict
        One row per response with the columns of :data:`REVIEW_COLUMNS`; ``suggested``
        holds the machine's codes (labels with their confidence); ``codes`` is empty, for
        people to fill (see :data:`INSTRUCTIONS`).
    """
    graph = run.graph
    responses = graph.responses()
    every = graph.codings("all")
    human = every[~is_machine(every["coder"]) & every["response"].notna()]
    done = set(human["response"]) | set(graph.no_code())  # "none apply" is an answer: not asked again
    open_ids = [r for r in responses["id"] if r not in done]
    uncertainty = _uncertainty(run, open_ids)
    rng = np.random.default_rng(seed)
    tiebreak = dict(zip(open_ids, rng.permutation(len(open_ids))))
    order = sorted(open_ids, key=lambda r: (-uncertainty.get(r, 0.0), tiebreak[r]))[:count]
    machine = every[is_machine(every["coder"]) & every["response"].isin(order)]
    concepts = graph.concepts
    suggestions = {}
    for response, concept, confidence in zip(machine["response"], machine["concept"], machine["confidence"]):
        label = concepts[concept].label if concept in concepts else concept
        best = suggestions.setdefault(response, {})
        best[label] = max(best.get(label, 0.0), float(confidence) if confidence == confidence else 0.0)
    rows = []
    by_id = responses.set_index("id")
    for response in order:
        row = by_id.loc[response]
        suggested = sorted(suggestions.get(response, {}).items(), key=lambda item: (-item[1], item[0]))
        rows.append({
            "response": response,
            "respondent": row["respondent"],
            "question": row["question"],
            "text": row["text"],
            "suggested": "; ".join(f"{label} ({p:.2f})" for label, p in suggested),
            "codes": "",
            "coder": "",
            "uncertainty": round(uncertainty.get(response, float("nan")), 3),
            "check": text_check(row["text"]),
        })
    return rows


def codebook_rows(graph):
    """The codes a reviewer may use: id, label, definition, kind (a second sheet, or the QDA code book)."""
    from consultgraph.coding.rules import code_kinds

    concepts = graph.concepts
    ids = sorted(graph.nodes.loc[graph.nodes["kind"].isin(code_kinds()), "id"])
    return [{"id": c, "label": concepts[c].label, "kind": concepts[c].kind, "definition": concepts[c].definition or ""}
            for c in ids if c in concepts]


def _question_codes(graph):
    """``question -> set of concepts`` used on its responses (by anyone): resolves labels two questions share."""
    every = graph.codings("all")
    every = every[every["question"].notna()]
    out = {}
    for question, concept in zip(every["question"], every["concept"]):
        out.setdefault(question, set()).add(concept)
    return out


def _resolve_code(graph, label, question, per_question, where):
    from consultgraph.coding.rules import code_kinds

    concepts = graph.concepts
    kinds = code_kinds()
    ids = concepts.candidates(label.strip(), kinds)
    own = set(graph.nodes.loc[graph.nodes["kind"].isin(kinds), "id"])
    if not ids and own:  # a typo: the nearest of the project's own codes (the review's codebook), not of every scheme
        import difflib

        names = {}
        for concept in sorted(own):
            if concept in concepts:
                for name in (concepts[concept].label, *concepts[concept].alt_labels):
                    names.setdefault(name.casefold(), name)
        near = [names[n] for n in difflib.get_close_matches(label.strip().casefold(), list(names), n=3, cutoff=0.5)]
        if near:
            raise InputError(f"unknown code '{label.strip()}'", **where,
                             hint=f"nearest in this project's codes: {', '.join(repr(n) for n in near)}")
    # a label the built-in schemes share with the project's codebook means the project's code,
    # and one two questions' codebooks share means the code of the row's question
    for preferred in (own, per_question.get(question, set())):
        if len(ids) > 1:
            ids = [i for i in ids if i in preferred] or ids
    if len(ids) == 1:
        return ids[0]
    return concepts.resolve(label.strip(), kinds, **where)  # raises, naming the nearest labels


def read_review(graph, path, *, reviewer=None):
    """Record a reviewed sheet (CSV/TSV/XLSX from :func:`review_items`) or ``.qdpx`` as people's codings.

    A row's ``codes`` are recorded as its coder's codings of the response; ``none`` records
    that the coder found no code applies (the Response's ``no_code_by``: a coded response
    with no code); an empty row is skipped. A recorded row replaces its coder's earlier
    review of that response. The file is refused whole, naming the row, if a response is
    not in the project, its text changed, a code is unknown, or ``none`` comes with codes.

    Returns
    -------
    Review
    """
    from consultgraph.graph.records import Edge
    from consultgraph.graph.translator import translate

    path = Path(path)
    rows = _qdpx_rows(graph, path) if path.suffix.lower() in (".qdpx", ".qde") else _sheet_rows(path)
    responses = graph.responses().set_index("id")
    per_question = _question_codes(graph)
    records, seen, reviewed, none_apply, skipped = [], set(), {}, set(), 0
    for line, row in rows:
        where = {"file": str(path), "line": line}
        response = str(row.get("response") or "").strip()
        if response not in responses.index:
            raise InputError(f"response '{response}' is not in the project", field="response", **where,
                             hint="the review file belongs to another project, or the responses were reloaded")
        if response in seen:
            raise InputError(f"response '{response}' appears twice", field="response", **where)
        seen.add(response)
        check = str(row.get("check") or "").strip()
        if check and check != text_check(responses.loc[response, "text"]):
            raise InputError(f"the text of response '{response}' changed since the review file was written",
                             field="check", **where, hint="write a new review file with code --review")
        coder = str(row.get("coder") or "").strip() or reviewer or DEFAULT_REVIEWER
        if coder.startswith("machine:") or "|" in coder:
            raise InputError(f"coder '{coder}' is a machine coder's name" if "|" not in coder else
                             f"coder '{coder}' has a '|'", field="coder", **where, hint="name the person who reviewed the row")
        labels = labels_of(row.get("codes"))
        if not labels:
            skipped += 1
            continue
        reviewed[response] = coder
        if any(says_none(label) for label in labels):
            if len(labels) > 1:
                raise InputError(f"'{NONE_APPLY}' (no code applies) and codes together: {'; '.join(labels)}",
                                 field="codes", **where, hint=f"keep either the codes or '{NONE_APPLY}'")
            none_apply.add(response)
            continue
        question = responses.loc[response, "question"]
        concepts = [_resolve_code(graph, label, question, per_question, {**where, "field": "codes"}) for label in labels]
        for concept in dict.fromkeys(concepts):  # "Roads; transport" (its altLabel) is one coding
            records.append(Edge("CODED", response, concept, {"coder": coder}, file=str(path), line=line))
    if not reviewed:
        return Review(graph, skipped=skipped)
    graph = _without_earlier_review(graph, reviewed, none_apply)
    if records:
        graph = graph.merge(translate(records, concepts=graph.concepts, existing=graph.node_kinds))
    return Review(graph, codings=len(records), no_code=len(none_apply), skipped=skipped)


def _without_earlier_review(graph, reviewed, none_apply):
    """``graph`` without the reviewers' earlier codings of the responses they reviewed again, with ``no_code_by`` set.

    ``reviewed``: response -> coder; ``none_apply``: the responses that coder found no code for.
    """
    edges, nodes = graph.edges, graph.nodes
    candidates = edges["kind"].isin(("MENTIONS", "PROPOSES")).to_numpy() & edges["source"].isin(list(reviewed)).to_numpy()
    drop = np.zeros(len(edges), dtype=bool)
    if candidates.any():
        coders = coder_of(edges.loc[candidates, "props"].astype(object).to_numpy()).to_numpy()
        sources = edges.loc[candidates, "source"].astype(object).to_numpy()
        drop[np.flatnonzero(candidates)] = [reviewed[s] == c for s, c in zip(sources, coders)]
    rows = np.flatnonzero((nodes["kind"] == "Response").to_numpy() & nodes["id"].isin(list(reviewed)).to_numpy())
    props = []
    for response, text in zip(nodes["id"].to_numpy()[rows], nodes["props"].astype(object).to_numpy()[rows]):
        values = json.loads(text) if isinstance(text, str) and text else {}
        names = [n for n in no_code_coders(values.get(NO_CODE_BY)) if n != reviewed[response]]
        names += [reviewed[response]] if response in none_apply else []
        values.pop(NO_CODE_BY, None)
        values.update({NO_CODE_BY: "|".join(sorted(names))} if names else {})
        props.append(json.dumps(values, ensure_ascii=False, sort_keys=True) if values else "{}")
    nodes = nodes.copy()
    nodes["props"] = nodes["props"].astype(object)
    nodes.iloc[rows, nodes.columns.get_loc("props")] = props
    return Consultation(nodes, edges[~drop], name=graph.name, manifest=graph.manifest, coder=graph.coder)


def _sheet_rows(path):
    from consultgraph.loaders.tables import read_table

    frame = read_table(path)
    missing = [c for c in ("response", "codes") if c not in frame.columns]
    if missing:
        raise InputError(f"not a review sheet: no '{missing[0]}' column", file=path, line=1, field=missing[0],
                         hint="write one with: consultgraph code -g PROJECT --review N -o review.csv")
    def cell(value):
        return None if value is None or (isinstance(value, float) and value != value) else value

    return [(int(line) if line == line else None, {k: cell(v) for k, v in row.items()})
            for line, row in zip(frame["line"], frame.to_dict("records"))]


def _qdpx_rows(graph, path):
    """Review rows of a REFI-QDA project written by ``code --review``: each source is a response.

    A source's codes are all the codes its selections (or the source itself) carry after
    review: suggestions kept, plus what people added. The coder is the first user other
    than the suggesting one who coded there.
    """
    from consultgraph.loaders.qdpx import read_qdpx

    project = read_qdpx(path)
    names = {u.guid: u.name for u in project.users}
    by_source = {}

    def add(source, coding, user):
        entry = by_source.setdefault(source, {"codes": [], "coder": None})
        name = project.code(coding.code).name
        if name not in entry["codes"]:
            entry["codes"].append(name)
        who = names.get(coding.creating_user or user)
        if who and who != "suggested" and entry["coder"] is None:
            entry["coder"] = who

    for selection, coding in project.codings():
        add(selection.source, coding, selection.creating_user)
    for source in project.sources:
        for coding in source.codings:
            add(source.guid, coding, source.creating_user)
    rows = []
    for number, source in enumerate(project.sources, start=1):
        variables = dict(source.variables or {})
        entry = by_source.get(source.guid, {"codes": [], "coder": None})
        rows.append((number, {"response": variables.get("response") or source.name, "check": variables.get("check"),
                              "codes": SEPARATOR.join(entry["codes"]), "coder": entry["coder"]}))
    return rows
