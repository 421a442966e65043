"""Where people's quotes sit in their responses: offsets for quotes a codings file gave without them.

A long codings file's ``quote`` column often has no ``start``/``end``. After a load, each
such quote is looked for in its response (or, without a question, in every response of
the respondent who said it): exactly, then ignoring case, spacing and curly quotes, then
by rapidfuzz's partial alignment at :data:`FUZZY_THRESHOLD` or better. A quote found gets
``start``/``end`` and a QUOTED_FROM edge to its response; a quote not found keeps no
offsets (none is ever invented) and is counted.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field

#: rapidfuzz partial-alignment score (0-100) a quote must reach to be placed by fuzzy matching.
FUZZY_THRESHOLD = 90
#: Quotes shorter than this (folded characters) are placed only exactly or folded, never fuzzily.
FUZZY_MIN_LENGTH = 12
#: Machine coders cut their quotes with offsets already (see ``coding.run``).
_MACHINE_PREFIX = "quote/machine/"
#: How far (folded characters) a fuzzy alignment's ends may move to the span that reads most like the quote.
_SLACK = 24
_ELISION = re.compile(r"\s*(?:\[\s*(?:\.\s*){3}\]|\(\s*(?:\.\s*){3}\)|\.\.\.|\u2026)\s*")
_SAME = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
                       "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"',
                       "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00a0": " ", "\u2026": "..."})


@dataclass
class QuoteOffsets:
    """How many quotes without offsets were placed, and how."""

    exact: int = 0
    folded: int = 0
    fuzzy: int = 0
    unlocated: list = field(default_factory=list)  # (quote id, text) of the quotes not found

    @property
    def located(self):
        return self.exact + self.folded + self.fuzzy

    @property
    def attempted(self):
        return self.located + len(self.unlocated)


@functools.lru_cache(maxsize=8192)  # a respondent's responses are folded once, not once per quote
def _folded(text):
    """``text`` case-folded with runs of white space as one space, and each character's offset in ``text``."""
    chars, where, space = [], [], False
    for offset, char in enumerate(text):
        if char.isspace():
            if chars and not space:
                chars.append(" ")
                where.append(offset)
            space = True
            continue
        space = False
        for folded in char.translate(_SAME).casefold():
            chars.append(folded)
            where.append(offset)
    if chars and chars[-1] == " ":
        chars.pop()
        where.pop()
    return "".join(chars), where


def _refined(folded_quote, folded_text, start, end):
    """The span near ``[start, end)`` of ``folded_text``, on word edges, that reads most like the quote."""
    from rapidfuzz import fuzz

    low, high = max(0, start - _SLACK), min(len(folded_text), end + _SLACK)
    def edge(i):  # between a word and what is not a word (or at either end)
        return i in (0, len(folded_text)) or folded_text[i - 1].isalnum() != folded_text[i].isalnum()

    starts = [i for i in range(low, min(len(folded_text), start + _SLACK)) if edge(i) and folded_text[i] != " "]
    ends = [i for i in range(max(1, end - _SLACK), high + 1) if edge(i) and folded_text[i - 1] != " "]
    starts, ends = starts or [start], ends or [end]
    best = None
    for s in starts:
        for e in ends:
            if e > s:
                score = fuzz.ratio(folded_quote, folded_text[s:e])
                if best is None or score > best[0]:
                    best = (score, s, e)
    return best[1], best[2]


def _pieces(quote):
    """The parts of a quote that elides words ("a [...] b", "a ... b"), or None."""
    parts = [p.strip() for p in _ELISION.split(quote)]
    parts = [p for p in parts if p]
    return parts if len(parts) > 1 else None


def locate(quote, text, *, threshold=FUZZY_THRESHOLD):
    """Where ``quote`` sits in ``text``: ``(start, end, how)`` or None.

    ``how`` is ``"exact"``, ``"folded"`` (case, spacing, curly quotes and dashes ignored)
    or ``"fuzzy"`` (rapidfuzz partial alignment scoring ``threshold`` or more, widened to
    whole words). ``text[start:end]`` is the span in ``text``, not the quote as typed.

    Examples
    --------
    >>> text = "We need more  Research on climate. Not campaigns."
    >>> locate("more  Research", text), locate("MORE research on", text)
    ((8, 22, 'exact'), (8, 25, 'folded'))
    >>> start, end, how = locate("we need more reserch on climat", text); text[start:end], how
    ('We need more  Research on climate', 'fuzzy')
    >>> locate("something never said", text) is None
    True
    """
    quote = str(quote).strip()
    if not quote or not text:
        return None
    start = text.find(quote)
    if start >= 0:
        return start, start + len(quote), "exact"
    pieces = _pieces(quote)
    if pieces:  # each part in order; the span runs from the first part's start to the last one's end
        spans, after = [], 0
        for piece in pieces:
            hit = locate(piece, text[after:], threshold=threshold)
            if hit is None:
                break
            spans.append((after + hit[0], after + hit[1], hit[2]))
            after = spans[-1][1]
        else:
            how = max((s[2] for s in spans), key=("exact", "folded", "fuzzy").index)
            return spans[0][0], spans[-1][1], how
        # a part not found (too short to align alone?): the quote as a whole, below
    folded_quote, _ = _folded(quote)
    folded_text, where = _folded(text)
    if not folded_quote:
        return None
    start = folded_text.find(folded_quote)
    if start >= 0:
        return where[start], where[start + len(folded_quote) - 1] + 1, "folded"
    if len(folded_quote) < FUZZY_MIN_LENGTH or len(folded_quote) > len(folded_text):
        return None
    from rapidfuzz import fuzz

    alignment = fuzz.partial_ratio_alignment(folded_quote, folded_text, score_cutoff=threshold)
    if alignment is None or alignment.dest_end <= alignment.dest_start:
        return None
    start, end = _refined(folded_quote, folded_text, alignment.dest_start, alignment.dest_end)
    return where[start], where[end - 1] + 1, "fuzzy"


def _best(quote, candidates, threshold):
    """The first exact place among ``candidates`` (response id, text), else the first folded, else the best fuzzy."""
    quote = str(quote).strip()
    for response, text in candidates:  # an exact place anywhere first: no folding, no alignment
        start = text.find(quote) if quote else -1
        if start >= 0:
            return response, (start, start + len(quote), "exact")
    found = [(response, locate(quote, text, threshold=threshold)) for response, text in candidates]
    found = [(response, hit) for response, hit in found if hit is not None]
    for how in ("exact", "folded"):
        for response, hit in found:
            if hit[2] == how:
                return response, hit
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    from rapidfuzz import fuzz

    texts = dict(candidates)
    scored = [(fuzz.ratio(_folded(quote)[0], _folded(texts[r][s:e])[0]), -n, r, (s, e, how))
              for n, (r, (s, e, how)) in enumerate(found)]
    _, _, response, hit = max(scored)
    return response, hit


def locate_quotes(graph, *, threshold=FUZZY_THRESHOLD):
    """``graph`` with offsets for the quotes that lack them, and what was found.

    Only quotes said by a respondent who wrote responses (or already QUOTED_FROM a
    response) are looked for; machine quotes have offsets already.

    Returns
    -------
    (Consultation, QuoteOffsets)
    """
    import pandas as pd

    from consultgraph.graph.consultation import Consultation
    from consultgraph.graph.tables import EDGE_COLUMNS, concat_tables

    report = QuoteOffsets()
    nodes = graph.nodes
    is_quote = (nodes["kind"] == "Quote").to_numpy()
    if not is_quote.any():
        return graph, report
    quotes = nodes[is_quote]
    quotes = quotes[~quotes["id"].astype(str).str.startswith(_MACHINE_PREFIX)]
    props = {i: json.loads(p) if isinstance(p, str) and p else {} for i, p in zip(quotes["id"], quotes["props"])}
    pending = [i for i, p in props.items() if p.get("start") is None and isinstance(p.get("text"), str)]
    if not pending:
        return graph, report
    responses = graph.responses()
    if not len(responses):
        return graph, report
    text_of = dict(zip(responses["id"], responses["text"]))
    written = {}
    for response, respondent in zip(responses["id"], responses["respondent"]):
        written.setdefault(respondent, []).append(response)
    said = graph.edges_of("SAID")
    speaker = dict(zip(said["target"], said["source"]))
    quoted = graph.edges_of("QUOTED_FROM")
    quoted_from = dict(zip(quoted["source"], quoted["target"]))
    placed, links = {}, []
    for quote_id in pending:
        if quote_id in quoted_from:
            candidates = [quoted_from[quote_id]] if quoted_from[quote_id] in text_of else []
        else:
            candidates = written.get(speaker.get(quote_id), [])
        candidates = [(r, text_of[r]) for r in candidates if isinstance(text_of.get(r), str)]
        if not candidates:
            continue  # no response text to look in: not this module's quote
        best = _best(props[quote_id]["text"], candidates, threshold)
        if best is None:
            report.unlocated.append((quote_id, props[quote_id]["text"]))
            continue
        response, (start, end, how) = best
        setattr(report, how, getattr(report, how) + 1)
        placed[quote_id] = (start, end)
        if quote_id not in quoted_from:
            links.append(quote_id)
            quoted_from[quote_id] = response
    if not placed:
        return graph, report
    nodes = nodes.copy()
    rows = nodes.index[nodes["id"].isin(list(placed))]
    new_props = []
    for quote_id in nodes.loc[rows, "id"]:
        start, end = placed[quote_id]
        new_props.append(json.dumps({**props[quote_id], "start": int(start), "end": int(end)},
                                    ensure_ascii=False, sort_keys=True))
    nodes.loc[rows, "props"] = new_props
    edges = graph.edges
    if links:
        new = pd.DataFrame({"source": links, "target": [quoted_from[q] for q in links], "kind": "QUOTED_FROM",
                            "stance": None, "weight": float("nan"), "props": "{}"}, columns=EDGE_COLUMNS)
        edges = concat_tables([edges, new], EDGE_COLUMNS)
    return Consultation(nodes, edges, name=graph.name, manifest=graph.manifest, coder=graph.coder), report
