"""A dataset's declared metadata in: a ``metadata.yaml`` (or the same keys in a
``dataset.yaml``) is checked and stored on the project's Source node as JSON; queries read
it back (:mod:`consultgraph.queries.metadata`).
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from consultgraph.errors import InputError
from consultgraph.graph.concepts import slugify

#: Question types a dataset may declare.
QUESTION_TYPES = ("open-ended", "closed")
#: Caveat scopes: every comparison of mention rates, or every figure.
CAVEAT_SCOPES = ("mention-rates", "all")


def metadata_props(meta, *, check=None):
    """The part of a dataset.yaml mapping stored on the Source node, as JSON text (or None).

    ``check(message, field)`` is called on a bad value (the loader raises InputError).
    """
    def fail(message, name):
        if check is not None:
            check(message, name)

    title = meta.get("dataset_title") or meta.get("title")
    stored = {"title": str(title)} if title else {}
    question_type = meta.get("question_type")
    if question_type is not None:
        if question_type not in QUESTION_TYPES:
            fail(f"question_type '{question_type}' is not one of {', '.join(QUESTION_TYPES)}", "question_type")
        stored["question_type"] = question_type
    caveats = []
    for number, caveat in enumerate(meta.get("caveats") or [], start=1):
        if isinstance(caveat, str):
            caveat = {"text": caveat}
        if not isinstance(caveat, dict) or not caveat.get("text"):
            fail(f"caveat {number} needs a text", "caveats")
            continue
        scope = caveat.get("applies_to", "all")
        if scope not in CAVEAT_SCOPES:
            fail(f"caveat {number}: applies_to '{scope}' is not one of {', '.join(CAVEAT_SCOPES)}", "caveats")
        caveats.append({key: caveat[key] for key in ("text", "source_line", "applies_to", "groups") if key in caveat})
    if caveats:
        stored["caveats"] = caveats
    questions = []
    for number, question in enumerate(meta.get("questions") or [], start=1):
        if not isinstance(question, dict) or not question.get("title"):
            fail(f"question {number} needs a title", "questions")
            continue
        questions.append({key: question[key] for key in ("key", "title", "root", "kinds", "stances", "intro")
                          if key in question})
    if questions:
        stored["questions"] = questions
    return json.dumps(stored, ensure_ascii=False, sort_keys=True) if stored else None


def declares_metadata(path):
    """Whether a YAML file is a metadata mapping rather than a list of records."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return False
    return isinstance(data, dict) and bool({"question_type", "caveats", "questions", "title"} & set(data))


def read_metadata(path, *, namespace=None, source_id=None):
    """Yield the Source node a ``metadata.yaml`` declares (title, question type, caveats, questions)."""
    from consultgraph.loaders.pipeline import source_record

    meta = _yaml_mapping(path)
    yield source_record(path, slugify(namespace or meta.get("name") or Path(path).stem), meta)


def _yaml_mapping(path):
    try:
        meta = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise InputError(f"malformed YAML ({error})", file=path) from None
    if not isinstance(meta, dict):
        raise InputError("a metadata file must be a mapping (title, question_type, caveats, questions)", file=path)
    return meta
