"""The codings table (every MENTIONS and PROPOSES edge with its respondent, response, coder)
and which respondents a ``--coder`` choice read: the base of its shares.

A share is "respondents who raised C, of those whose answers were read". For coded
submissions (no Response nodes) every member of a group was read: the coding is the
respondent's own. For free text, people read some responses and the machine reads every
response of the questions it coded, so a coder choice's base is the respondents it read
(:func:`readers`), not every member.
"""

from __future__ import annotations

from consultgraph.graph.coders import AUTO, MACHINE_PREFIX, coder_of, is_machine, number_of
from consultgraph.graph.tables import EDGE_COLUMNS, as_objects, concat_tables

#: The relationship kinds that are codings (a respondent raised a concept).
CODING_KINDS = ("MENTIONS", "PROPOSES")


def codings_table(graph):
    """Every coding of ``graph`` with respondent, group, region, response, question, coder, confidence.

    See :meth:`consultgraph.graph.consultation.Consultation.codings` (which picks rows of it).
    """
    import numpy as np
    import pandas as pd

    edges = concat_tables([graph.edges_of(kind) for kind in CODING_KINDS], EDGE_COLUMNS)
    source, props = edges["source"].array, edges["props"].array
    # every lookup runs once per distinct value (respondent, response, property text),
    # then spreads by integer code: no per-row Python work for millions of codings
    sources = np.asarray(source.categories, dtype=object)
    written = graph.edges_of("WROTE")
    author = dict(zip(written["target"], written["source"])) if len(written) else {}
    respondent_of = np.array([author.get(s, s) for s in sources], dtype=object)
    response_of = np.array([s if s in author else None for s in sources], dtype=object)
    answers = graph.edges_of("ANSWERS")
    question_by_response = dict(zip(answers["source"], answers["target"])) if len(answers) else {}
    question_of = np.array([question_by_response.get(r) if r is not None else None for r in response_of], dtype=object)
    people = graph.respondents()
    where = pd.Index(people["id"]).get_indexer(respondent_of)
    coders = coder_of(props.categories).replace("", None).to_numpy(dtype=object)
    confidence = number_of(props.categories, "confidence").to_numpy(dtype=float)

    def spread(per_category, codes, missing=None):
        return np.append(np.asarray(per_category, dtype=object if missing is None else float), missing)[codes]

    frame = pd.DataFrame({
        "respondent": spread(respondent_of, source.codes),
        "concept": as_objects(edges["target"].array),
        "kind": as_objects(edges["kind"].array),
        "stance": as_objects(edges["stance"].array),
        "weight": edges["weight"].to_numpy(dtype=float),
    })
    for column in ("group", "region"):
        values = people[column].to_numpy(dtype=object) if column in people else np.full(len(people), None, dtype=object)
        frame[column] = spread(np.append(values, None)[where], source.codes)  # -1: not a respondent
    frame["response"] = spread(response_of, source.codes)
    frame["question"] = spread(question_of, source.codes)
    frame["coder"] = spread(coders, props.codes)
    frame["confidence"] = spread(confidence, props.codes, missing=float("nan"))
    return frame


def readers(graph, coder):
    """The respondents whose answers ``coder`` read, or None when every member counts.

    None for a graph without free-text responses (coded submissions: each coding is the
    respondent's own, and a respondent with none raised nothing). Otherwise the
    respondents with a coding ``coder`` picks (:meth:`Consultation.codings`), those with a
    response the chosen people marked "no code applies" (``no_code_by``), and, where the
    choice takes the machine's codings (``machine``, ``all``, ``auto``, a machine coder's
    name), every respondent with a response the machine read: ``code`` reads every
    response it runs on, coded or not, and marks it (``machine_read_by``); a response
    loaded after it ran is not read until it runs again. (In a project coded before
    responses were marked: every response of a question the machine coded.)

    Examples
    --------
    Six respondents answer one question; a person reads two of them and finds research
    in one and nothing in the other; the machine has not run:

    >>> from consultgraph.graph.consultation import Consultation
    >>> from consultgraph.graph.records import Node, Edge, Ref
    >>> from consultgraph.graph.store import schema_concepts
    >>> from consultgraph.graph.translator import translate
    >>> people = [f"respondent/p{i}" for i in range(6)]
    >>> records = [Node("Question", "question/q1", {"text": "What next?"})]
    >>> for i, person in enumerate(people):
    ...     props = {"text": "An answer."} | ({"no_code_by": "ana"} if i == 1 else {})
    ...     records += [Node("Respondent", person, {}), Edge("MEMBER_OF", person, Ref("partners")),
    ...                 Node("Response", f"response/p{i}/q1", props), Edge("WROTE", person, f"response/p{i}/q1"),
    ...                 Edge("ANSWERS", f"response/p{i}/q1", "question/q1")]
    >>> records.append(Edge("MENTIONS", "response/p0/q1", Ref("research"), {"coder": "ana"}))
    >>> graph = Consultation().merge(translate(records, concepts=schema_concepts()))
    >>> sorted(readers(graph, "human")), sorted(readers(graph, "machine"))
    (['respondent/p0', 'respondent/p1'], [])
    """
    summary = graph.summary()
    if not summary["edges_by_kind"].get("WROTE"):
        return None
    import pandas as pd

    chosen = graph.codings(coder)
    read = set(pd.unique(chosen["respondent"].to_numpy(dtype=object))) - {None}
    takes_people = coder in (AUTO, "human", "all")
    marked = [response for response, names in graph.no_code().items() if takes_people or coder in names]
    takes_machine = coder in (AUTO, "machine", "all")
    machine_read = graph.machine_read() if takes_machine or str(coder).startswith(MACHINE_PREFIX) else {}
    marked += [response for response, names in machine_read.items() if takes_machine or coder in names]
    coded_questions = set()
    if takes_machine:  # the questions the machine coded, from the distinct coders and questions
        every = graph.codings("all")
        pairs = every[["coder", "question"]].drop_duplicates()
        coded_questions = set(pairs["question"][is_machine(pairs["coder"])].dropna())
    if marked or coded_questions:
        # response -> respondent and question from the edges (not the responses' properties and texts)
        written = graph.edges_of("WROTE")
        author = pd.Series(written["source"].to_numpy(dtype=object), index=written["target"].to_numpy(dtype=object))
        read.update(author.reindex(pd.unique(pd.Series(marked, dtype=object))).dropna())
        # a project coded before ``code`` marked the responses it read: every response of a
        # question the machine coded there (it reads them all)
        answers = graph.edges_of("ANSWERS")
        question = pd.Series(answers["target"].to_numpy(dtype=object), index=answers["source"].to_numpy(dtype=object))
        unmarked = coded_questions - set(question.reindex(list(machine_read)).dropna())
        if unmarked:
            read.update(author.reindex(question.index[question.isin(unmarked)]).dropna())
    return read


def base_description(graph, coder):
    """What a ``coder`` choice's shares are out of, in words, or None when every member counts.

    Free text only (coded submissions: every member, see :func:`readers`), e.g. "the 3 of
    6 respondents coded by human (a coding or a 'none' mark)".

    Examples
    --------
    >>> from consultgraph.graph.consultation import Consultation
    >>> base_description(Consultation(), "human") is None
    True
    """
    read = graph.readers(coder)
    if read is None:
        return None
    who = "people" if coder == "human" else coder
    if coder == "machine":
        what = "whose answers the machine read (`code` reads every response it runs on)"
    elif str(coder).startswith(MACHINE_PREFIX):
        what = f"whose answers {coder} read"
    elif coder in (AUTO, "all"):
        what = "coded by people (a coding or a 'none' mark) or whose answers the machine read"
    else:
        what = f"coded by {who} (a coding or a 'none' mark)"
    return f"the {len(read)} of {int(graph.summary()['respondents'])} respondents {what}"
