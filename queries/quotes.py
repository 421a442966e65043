"""Quotes: what people actually said, by concept, group and region, with attribution."""

from __future__ import annotations

from consultgraph.errors import InputError


def quotes(graph, *, concept=None, group=None, region=None, search=None, limit=None):
    """Quotes matching every filter given, with attribution and source line.

    ``concept`` matches the concept and everything narrower (a quote illustrating
    "be embedded in local processes" is a quote about the approach to change);
    ``group`` and ``region`` likewise include their parts; ``search`` is a
    case-insensitive substring of the text.

    Examples
    --------
    >>> from consultgraph.loaders import builtin
    >>> rows = quotes(builtin(), group="national-entity", search="research")
    >>> all("research" in r["text"].lower() for r in rows)
    True
    """
    frame = _by_coder(graph, graph.quotes())
    index = graph.concepts
    if concept:
        wanted = index.descendants(index.resolve(concept, field="concept"))
        # .loc with a bool mask: an empty object mask would be read as a list of columns
        frame = frame.loc[frame["concepts"].map(lambda cs: bool(wanted.intersection(cs))).astype(bool)]
    if group:
        wanted = index.descendants(index.resolve(group, ("StakeholderGroup",), field="group"))
        frame = frame[frame["group"].isin(wanted)]
    if region:
        wanted = index.descendants(index.resolve(region, ("Region",), field="region"))
        frame = frame[frame["region"].isin(wanted)]
    if search:
        frame = frame[frame["text"].str.contains(search, case=False, regex=False, na=False)]
    if limit is not None and limit < 0:
        raise InputError("limit must be 0 or more", field="limit")
    frame = frame.sort_values(["source_line", "id"], na_position="last")
    if limit:
        frame = frame.head(limit)
    where = _where_in_response(graph, frame)
    rows = []
    for row in frame.itertuples():
        who = row.respondent_label if isinstance(row.respondent_label, str) else None
        group_label = index[row.group].label if isinstance(row.group, str) and row.group in index else ""
        rows.append({
            "quote": row.id,
            "text": row.text,
            "attribution": who or (f"a respondent ({group_label})" if group_label else "unattributed"),
            "group": group_label,
            "region": index[row.region].label if isinstance(row.region, str) and row.region in index else "",
            "concepts": ", ".join(index[c].label if c in index else c for c in row.concepts),
            "source_line": None if row.source_line != row.source_line or row.source_line is None else int(row.source_line),
            **where.get(row.id, _NOWHERE),
            "coder": row.coder,
            "confidence": None if row.confidence != row.confidence else row.confidence,
        })
    return rows


_NOWHERE = {"response": None, "start": None, "end": None, "page": None, "paragraph": None}


def _illustrations(graph):
    """ILLUSTRATES edges as ``quote, concept, coder ('' = people), confidence``."""
    import pandas as pd

    from consultgraph.graph.coders import coder_of, number_of

    edges = graph.edges_of("ILLUSTRATES")
    return pd.DataFrame({"quote": edges["source"].astype(object).to_numpy(),
                         "concept": edges["target"].astype(object).to_numpy(),
                         "coder": coder_of(edges["props"].astype(object).to_numpy()).to_numpy(),
                         "confidence": number_of(edges["props"].astype(object).to_numpy(), "confidence").to_numpy()})


def _by_coder(graph, frame):
    """The quotes whose illustrations the graph's ``--coder`` choice picks, with those concepts only.

    A quote's illustration has the coder of the coding it backs: people's quotes (no coder,
    or a person's name) and the machine's evidence quotes (``machine:...``). ``auto`` keeps
    the machine's quotes only from responses people did not code, as the codings do.
    """
    from consultgraph.graph.coders import AUTO, is_machine

    coder = graph.coder
    ill = _illustrations(graph)
    machine = is_machine(ill["coder"].replace("", None))
    if coder == "human":
        ill = ill[~machine]
    elif coder == "machine":
        ill = ill[machine]
    elif coder == AUTO and machine.any():
        quoted = graph.edges_of("QUOTED_FROM")
        response = dict(zip(quoted["source"], quoted["target"]))
        people = graph.codings("human")
        coded = set(people["response"].dropna()) | set(people.loc[people["response"].isna(), "respondent"]) | \
            set(graph.no_code())
        written = graph.edges_of("WROTE")
        author = dict(zip(written["target"], written["source"]))
        units = ill["quote"].map(response)
        covered = units.isin(coded) | units.map(author).isin(coded)
        ill = ill[~machine | ~covered.to_numpy()]
    elif coder not in ("all", AUTO):
        ill = ill[ill["coder"] == coder]
    keep = set(ill["quote"])
    # quotes that illustrate nothing (published report quotes of a group) are nobody's coding: always shown
    unattached = ~frame["id"].isin(set(_illustrations(graph)["quote"]))
    frame = frame[frame["id"].isin(keep) | unattached].copy()
    concepts = ill.groupby("quote")["concept"].apply(list).to_dict()
    frame["concepts"] = [concepts.get(q, []) for q in frame["id"]]
    coders = ill.groupby("quote")["coder"].apply(lambda c: ", ".join(sorted(set(x or "human" for x in c)))).to_dict()
    confidence = ill.groupby("quote")["confidence"].max().to_dict()
    frame["coder"] = [coders.get(q) for q in frame["id"]]
    frame["confidence"] = [confidence.get(q, float("nan")) for q in frame["id"]]
    return frame


def _where_in_response(graph, frame):
    """``quote -> response, start, end, page, paragraph`` for quotes cut from a response.

    Page and paragraph come from the response's ``pages`` (documents: where each page or
    paragraph starts in the text), for the part the quote starts in.
    """
    import bisect
    import json

    quoted = graph.edges_of("QUOTED_FROM")
    response = dict(zip(quoted["source"], quoted["target"]))
    wanted = {response[q] for q in frame["id"] if q in response}
    if not wanted:
        return {}
    responses = graph.table("Response")
    pages = {}
    if "pages" in responses:
        for rid, text in zip(responses["id"], responses["pages"]):
            if rid in wanted and isinstance(text, str):
                pages[rid] = json.loads(text)
    out = {}
    for quote, start, end in zip(frame["id"], frame.get("start", [None] * len(frame)), frame.get("end", [None] * len(frame))):
        if quote not in response:
            continue
        located = start is not None and start == start
        row = {"response": response[quote], "start": int(start) if located else None,
               "end": int(end) if located and end == end else None, "page": None, "paragraph": None}
        parts = pages.get(response[quote])
        if located and parts:
            at = bisect.bisect_right([p[2] for p in parts], int(start)) - 1
            if at >= 0:
                row["page"], row["paragraph"] = parts[at][0], parts[at][1]
        out[quote] = row
    return out
