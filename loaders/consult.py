"""i.AI Consult / ThemeFinder folders: questions, free-text responses, respondents, gold mapping.

Layout (``themefinder/evals/data/<name>``): ``inputs/question_part_N/question.json`` and
``responses.jsonl`` (``response_id``, ``response``), ``inputs/respondents.jsonl``
(``response_id``, ``demographic_data``); optionally ``outputs/mapping/<date>/
question_part_N/themes.json`` (topic_id, topic_label, topic_description), ``mapping.jsonl``
(labels and per-theme stances) and ``sentiment.jsonl`` (position). The gold mapping loads
as people's codings with coder ``consult-gold``: POSITIVE -> support, NEGATIVE -> drop.
"""

from __future__ import annotations

import json
from pathlib import Path

from consultgraph.errors import InputError
from consultgraph.graph.concepts import slugify
from consultgraph.graph.records import Edge, Node
from consultgraph.loaders.freetext import group_and_region_records, question_id, response_id
from consultgraph.loaders.tables import read_records

GOLD_CODER = "consult-gold"
STANCES = {"POSITIVE": "support", "NEGATIVE": "drop"}
POSITIONS = {"AGREE": "agree", "DISAGREE": "disagree", "UNCLEAR": "unclear"}
#: Demographic questions that name where a respondent lives (folded substrings).
_REGION_KEYS = ("live in", "region", "country", "nation")


def inputs_folder(path):
    """The folder holding ``question_part_*`` (the dataset root or its ``inputs/``), or None."""
    path = Path(path)
    for folder in (path, path / "inputs"):
        if folder.is_dir() and any(p.is_dir() and p.name.startswith("question_part_") for p in folder.iterdir()):
            return folder
    return None


def gold_folder(path):
    """The latest ``outputs/mapping/<date>`` folder of a Consult dataset, or None."""
    mapping = Path(path) / "outputs" / "mapping"
    if not mapping.is_dir():
        return None
    dates = sorted(p for p in mapping.iterdir() if p.is_dir())
    return dates[-1] if dates else None


def _question_parts(inputs):
    parts = [p for p in inputs.iterdir() if p.is_dir() and p.name.startswith("question_part_")]
    return sorted(parts, key=lambda p: int(p.name.rsplit("_", 1)[-1]) if p.name.rsplit("_", 1)[-1].isdigit() else 0)


def _json(path):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise InputError(f"malformed JSON ({error.msg})", file=path, line=error.lineno) from None
    except UnicodeDecodeError as error:
        raise InputError(f"not UTF-8 text ({error.reason})", file=path) from None


def theme_id(namespace, part, topic_id):
    """The concept id of a Consult theme: ``theme/<dataset>/<question part>-<topic>``."""
    return f"theme/{namespace}/{slugify(part)}-{slugify(topic_id)}"


def read_consult(path, *, namespace=None, source_id=None, gold=True, group=None):
    """Yield records for a Consult dataset folder (see the module docstring).

    Parameters
    ----------
    gold : bool
        Also load the gold mapping (themes as a concept scheme per question, codings
        by ``consult-gold``, positions) when the folder has one.
    group : str, optional
        Stakeholder group of every respondent (default public: Consult data name none).
    """
    root = Path(path)
    inputs = inputs_folder(root)
    if inputs is None:
        raise InputError("not a Consult folder: no question_part_N/ with responses.jsonl", file=root)
    namespace = namespace or slugify(root.name if inputs != root else root.name)
    people = inputs / "respondents.jsonl"
    respondent_rows = read_records(people) if people.is_file() else []
    respondents = {}
    regions = {}
    for line, record in respondent_rows:
        if "response_id" not in record:
            raise InputError("missing response_id", file=people, line=line, field="response_id")
        rid = str(record["response_id"]).strip()
        demographic = record.get("demographic_data") or {}
        region = next((str(v) for k, v in demographic.items() if any(key in k.casefold() for key in _REGION_KEYS)), None)
        respondents[rid] = (line, demographic)
        if region:
            regions[rid] = region
    parts = []
    for part in _question_parts(inputs):
        file = part / "responses.jsonl"
        if not file.is_file():
            raise InputError("missing responses.jsonl", file=part)
        question = _json(part / "question.json") if (part / "question.json").is_file() else {}
        rows = read_records(file)
        for line, record in rows:
            for field in ("response_id", "response"):
                if field not in record:
                    raise InputError(f"missing {field}", file=file, line=line, field=field)
            respondents.setdefault(str(record["response_id"]).strip(), (None, {}))
        parts.append((part, question, file, rows))
    if not parts:
        raise InputError("no question_part_N folders", file=inputs)

    file_of_people = str(people)
    group_records, groups = group_and_region_records([group or "public"], "StakeholderGroup", file_of_people)
    yield from group_records
    region_records, region_ids = group_and_region_records(list(regions.values()), "Region", file_of_people)
    yield from region_records
    for rid, (line, demographic) in respondents.items():
        respondent = f"respondent/{rid}"
        props = {"label": rid}
        if demographic:
            props["attributes"] = json.dumps(demographic, ensure_ascii=False, sort_keys=True)
        yield Node("Respondent", respondent, props, file=file_of_people, line=line)
        yield Edge("MEMBER_OF", respondent, groups[group or "public"], file=file_of_people, line=line)
        if rid in regions:
            yield Edge("BASED_IN", respondent, region_ids[regions[rid]], file=file_of_people, line=line)

    gold_root = gold_folder(root) if gold else None
    positions = {}
    if gold_root is not None:
        for part, _, _, _ in parts:
            positions.update(_positions(gold_root / part.name / "sentiment.jsonl", part.name))
    for part, question, file, rows in parts:
        qid = question_id(part.name)
        props = {"label": f"Question {question.get('question_number', part.name.rsplit('_', 1)[-1])}"}
        if question.get("question_text"):
            props["text"] = question["question_text"]
        yield Node("Question", qid, props, file=str(part / "question.json"))
        for line, record in rows:
            text = str(record["response"] or "")
            if not text.strip():
                continue
            rid = str(record["response_id"]).strip()
            response = response_id(rid, part.name)
            props = {"text": text, "label": f"{rid} / {part.name}"}
            if response in positions:
                props["position"] = positions[response]
            yield Node("Response", response, props, file=str(file), line=line)
            yield Edge("WROTE", f"respondent/{rid}", response, file=str(file), line=line)
            yield Edge("ANSWERS", response, qid, file=str(file), line=line)
    if gold_root is not None:
        loaded = {response_id(str(r["response_id"]).strip(), part.name)
                  for part, _, _, rows in parts for _, r in rows if str(r["response"] or "").strip()}
        for part, _, _, _ in parts:
            yield from _gold(gold_root / part.name, part.name, namespace, loaded)


def _gold(folder, part, namespace, loaded):
    """Themes (a concept scheme per question), gold codings and positions of one question."""
    themes_file = folder / "themes.json"
    if not themes_file.is_file():
        return
    scheme = f"scheme/{namespace}-{slugify(part)}"
    themes = _json(themes_file)
    known = set()
    for number, theme in enumerate(themes, start=1):
        if "topic_id" not in theme:
            raise InputError(f"theme {number} has no topic_id", file=themes_file, field="topic_id")
        concept = theme_id(namespace, part, theme["topic_id"])
        known.add(str(theme["topic_id"]))
        props = {"label": theme.get("topic_label") or str(theme["topic_id"]), "scheme": scheme}
        if theme.get("topic_description"):
            props["definition"] = theme["topic_description"]
        yield Node("Theme", concept, props, file=str(themes_file))
    mapping = folder / "mapping.jsonl"
    if mapping.is_file():
        for line, record in read_records(mapping):
            response = response_id(str(record.get("response_id")).strip(), part)
            if response not in loaded:
                raise InputError(f"response {record.get('response_id')} is not among the responses of {part}",
                                 file=mapping, line=line, field="response_id")
            labels = record.get("labels") or []
            stances = record.get("stances") or [None] * len(labels)
            for label, stance in zip(labels, stances):
                if str(label) not in known:
                    raise InputError(f"unknown theme '{label}'", file=mapping, line=line, field="labels",
                                     hint=f"themes of {part}: {', '.join(sorted(known))}")
                props = {"coder": GOLD_CODER}
                if stance in STANCES:
                    props["stance"] = STANCES[stance]
                yield Edge("MENTIONS", response, theme_id(namespace, part, label), props, file=str(mapping), line=line)


def _positions(sentiment, part):
    """``response id -> agree|disagree|unclear`` from a gold sentiment.jsonl (empty if none)."""
    positions = {}
    if not sentiment.is_file():
        return positions
    for line, record in read_records(sentiment):
        position = POSITIONS.get(str(record.get("position", "")).upper())
        if position is None:
            raise InputError(f"'{record.get('position')}' is not a position", file=sentiment, line=line,
                             field="position", hint="use AGREE, DISAGREE or UNCLEAR")
        positions[response_id(str(record.get("response_id")).strip(), part)] = position
    return positions
