"""Talk to the City (T3C) reports: LLM-clustered topics and claims in the same graph as human codes.

Topics and subtopics become a project concept scheme (``Idea`` concepts, subtopics
``skos:broader`` their topic); claims become Quotes (the verbatim ``quote``, labelled
with the claim) that ILLUSTRATE their subtopic; speakers (the ``interview`` field of
the source rows, when the report has one) become Respondents of the ``public`` group
who SAID their quotes and MENTION the subtopics they spoke to (weight = claims).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from consultgraph.errors import InputError
from consultgraph.graph.concepts import slugify
from consultgraph.graph.records import Edge, Node


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
    speakers = {}
    for row in report.get("data") or []:
        if isinstance(row, dict) and row.get("interview") and row.get("id") is not None:
            speakers[str(row["id"])] = str(row["interview"]).strip()
    for name in sorted(set(speakers.values())):
        respondent = f"respondent/{ns}/{slugify(name)}"
        yield Node("Respondent", respondent, {"label": name, "name": name}, file=file)
        yield Edge("MEMBER_OF", respondent, "group/public", file=file)
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
                yield Edge("ILLUSTRATES", quote_id, sub_id, file=file)
                speaker = speakers.get(str(claim.get("commentId")))
                if speaker:
                    respondent = f"respondent/{ns}/{slugify(speaker)}"
                    yield Edge("SAID", respondent, quote_id, file=file)
                    mentions[(respondent, sub_id)] = mentions.get((respondent, sub_id), 0) + 1
                else:
                    yield Edge("FOR_GROUP", quote_id, "group/public", file=file)
                if source_id:
                    yield Edge("FROM_SOURCE", quote_id, source_id, file=file)
    for (respondent, sub_id), count in sorted(mentions.items()):
        yield Edge("MENTIONS", respondent, sub_id, {"stance": "mention", "weight": float(count)}, file=file)
