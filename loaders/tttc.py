"""Talk to the City (T3C) reports: LLM-clustered topics and claims in the same graph as human codes.

Topics and subtopics become a project concept scheme (``Idea`` concepts, subtopics
``skos:broader`` their topic); claims become Quotes (the verbatim ``quote``, labelled
with the claim) that ILLUSTRATE their subtopic; speakers (the ``interview`` field of
the source rows, when the report has one) become Respondents of the ``public`` group
who SAID their quotes. The source comments the report carries (``data``) become
Responses to the question "comment" (by their speaker, or by a respondent of their own),
each claim's quote is QUOTED_FROM its comment, and the comment MENTIONS the subtopics
its claims are under (weight = claims) with coder ``talk-to-the-city``; claims whose
comment the report lacks stay codings of their speaker.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from consultgraph.errors import InputError
from consultgraph.graph.concepts import slugify
from consultgraph.graph.records import Edge, Node
from consultgraph.loaders.freetext import question_id, response_id

#: Who coded a report's comments: its LLM pipeline (people's codings to consultgraph, not ``machine:``).
REPORT_CODER = "talk-to-the-city"


def is_tttc(path):
    """True for a JSON object with a ``tree`` of topics (a T3C report)."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    tree = data.get("tree") if isinstance(data, dict) else None
    return isinstance(tree, list) and any(isinstance(t, dict) and "topicName" in t for t in tree)


def read_tttc(path, *, namespace=None, source_id=None):
    """Yield records for a T3C report JSON."""
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise InputError(f"malformed JSON ({error.msg})", file=path, line=error.lineno) from None
    if not isinstance(report, dict) or not isinstance(report.get("tree"), list):
        raise InputError("not a Talk to the City report (no 'tree' of topics)", file=path, field="tree")
    ns = namespace or slugify(Path(path).stem)
    file = str(path)
    scheme = f"scheme/{ns}-topics"
    speakers, comments = {}, {}
    for row in report.get("data") or []:
        if isinstance(row, dict) and row.get("interview") and row.get("id") is not None:
            speakers[str(row["id"])] = str(row["interview"]).strip()
        if isinstance(row, dict) and row.get("id") is not None and str(row.get("comment") or "").strip():
            comments[str(row["id"])] = str(row["comment"])
    for name in sorted(set(speakers.values())):
        respondent = f"respondent/{ns}/{slugify(name)}"
        yield Node("Respondent", respondent, {"label": name, "name": name}, file=file)
        yield Edge("MEMBER_OF", respondent, "group/public", file=file)
    # each source comment is a Response (to the question "comment", as in T3C's input CSV) by its
    # speaker, or by a respondent of its own where the report names none; the report's claims
    # are then its LLM's codings of that comment (coder talk-to-the-city), which `code` learns from
    author, response_of = {}, {}
    if comments:
        yield Node("Question", question_id("comment"), {"label": "comment"}, file=file)
    for comment_id, text in comments.items():
        if comment_id in speakers:
            author[comment_id] = f"respondent/{ns}/{slugify(speakers[comment_id])}"
        else:
            author[comment_id] = f"respondent/{ns}/comment-{slugify(comment_id)}"
            yield Node("Respondent", author[comment_id], {"label": f"comment {comment_id}"}, file=file)
            yield Edge("MEMBER_OF", author[comment_id], "group/public", file=file)
        response_of[comment_id] = response_id(f"{ns}-{slugify(comment_id)}", "comment")
        yield Node("Response", response_of[comment_id], {"text": text, "label": f"comment {comment_id}"}, file=file)
        yield Edge("WROTE", author[comment_id], response_of[comment_id], file=file)
        yield Edge("ANSWERS", response_of[comment_id], question_id("comment"), file=file)
    mentions, emitted = {}, set()
    for t_number, topic in enumerate(report["tree"]):
        if not isinstance(topic, dict) or "topicName" not in topic:
            raise InputError(f"topic {t_number + 1} has no topicName", file=path, field="tree")
        topic_id = f"idea/{ns}/{slugify(topic['topicName'])}"
        props = {"label": topic["topicName"], "scheme": scheme}
        if topic.get("topicShortDescription"):
            props["definition"] = topic["topicShortDescription"]
        if topic_id not in emitted:  # a report may repeat a topic or subtopic name: one concept
            emitted.add(topic_id)
            yield Node("Idea", topic_id, props, file=file)
        for s_number, sub in enumerate(topic.get("subtopics") or []):
            if "subtopicName" not in sub:
                raise InputError(f"topic '{topic['topicName']}', subtopic {s_number + 1} has no subtopicName",
                                 file=path, field="subtopics")
            sub_id = f"{topic_id}/{slugify(sub['subtopicName'])}"
            props = {"label": sub["subtopicName"], "scheme": scheme}
            if sub.get("subtopicShortDescription"):
                props["definition"] = sub["subtopicShortDescription"]
            if sub_id not in emitted:
                emitted.add(sub_id)
                yield Node("Idea", sub_id, props, file=file)
                yield Edge("BROADER", sub_id, topic_id, file=file)
            for claim in sub.get("claims") or []:
                text = (claim.get("quote") or "").strip()
                if not text:
                    continue
                key = claim.get("claimId") or hashlib.sha1(text.encode()).hexdigest()[:16]
                quote_id = f"quote/{ns}/{slugify(str(key))}"
                label = (claim.get("claim") or text)[:200]
                yield Node("Quote", quote_id, {"text": text, "label": label,
                                               "section": f"{topic['topicName']} / {sub['subtopicName']}"}, file=file)
                comment = str(claim.get("commentId"))
                if comment in response_of:
                    yield Edge("ILLUSTRATES", quote_id, sub_id, {"coder": REPORT_CODER}, file=file)
                    yield Edge("QUOTED_FROM", quote_id, response_of[comment], file=file)
                    yield Edge("SAID", author[comment], quote_id, file=file)
                    mentions[(response_of[comment], sub_id)] = mentions.get((response_of[comment], sub_id), 0) + 1
                    if source_id:
                        yield Edge("FROM_SOURCE", quote_id, source_id, file=file)
                    continue
                yield Edge("ILLUSTRATES", quote_id, sub_id, file=file)
                speaker = speakers.get(comment)
                if speaker:
                    respondent = f"respondent/{ns}/{slugify(speaker)}"
                    yield Edge("SAID", respondent, quote_id, file=file)
                    mentions[(respondent, sub_id)] = mentions.get((respondent, sub_id), 0) + 1
                else:
                    yield Edge("FOR_GROUP", quote_id, "group/public", file=file)
                if source_id:
                    yield Edge("FROM_SOURCE", quote_id, source_id, file=file)
    for (unit, sub_id), count in sorted(mentions.items()):
        props = {"stance": "mention", "weight": float(count)}
        if unit.startswith("response/"):
            props["coder"] = REPORT_CODER
        yield Edge("MENTIONS", unit, sub_id, props, file=file)
