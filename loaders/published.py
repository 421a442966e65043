"""Published material: findings (aggregate statements), quotes and named respondents.

Each record is checked against ``schema/submission.schema.json`` (the field that is
wrong and its line are named), then yielded as Finding / Quote / Respondent nodes with
their links to groups, concepts, regions and the source they came from.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math

from consultgraph import schema as schema_files
from consultgraph.errors import InputError
from consultgraph.graph.model import codeable_kinds
from consultgraph.graph.records import Edge, Node, Ref
from consultgraph.loaders.tables import read_table



@functools.lru_cache(maxsize=1)
def record_schema():
    return json.loads(schema_files.RECORDS_SCHEMA.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=8)
def _validator(kind):
    import jsonschema

    full = record_schema()
    sub = dict(full["$defs"][kind])
    sub["$defs"] = full["$defs"]
    return jsonschema.Draft202012Validator(sub)


def _blank(value):
    return value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and not value.strip())


def _coerce(record, kind):
    """Turn table cells (all strings) into the types the schema declares."""
    properties = record_schema()["$defs"][kind]["properties"]
    out = {}
    for key, value in record.items():
        if key == "line" or _blank(value):
            continue
        spec = properties.get(key, {})
        types = spec.get("type", [])
        types = [types] if isinstance(types, str) else types
        if isinstance(value, str):
            value = value.strip()
            if "integer" in types and value.lstrip("-").isdigit():
                value = int(value)
            elif "number" in types:
                try:
                    value = float(value)
                    value = int(value) if value.is_integer() and "integer" in types else value
                except ValueError:
                    pass
            elif "array" in types:
                value = [v.strip() for v in value.replace(";", "|").split("|") if v.strip()]
        elif isinstance(value, float) and value.is_integer() and "integer" in types:
            value = int(value)
        out[key] = value
    return out


def checked_records(path, kind):
    """``(line, record)`` for each record of ``path``, valid against the ``kind`` schema."""
    frame = read_table(path)
    validator = _validator(kind)
    known = set(record_schema()["$defs"][kind]["properties"])
    for raw in frame.to_dict("records"):
        line = raw.get("line")
        line = None if _blank(line) else int(line)
        record = _coerce(raw, kind)
        unknown = sorted(set(record) - known)
        if unknown:
            raise InputError(
                f"unknown field '{unknown[0]}'", file=path, line=line, field=unknown[0],
                hint=f"known fields: {', '.join(sorted(known))}",
            )
        errors = sorted(validator.iter_errors(record), key=lambda e: list(e.path))
        if errors:
            error = errors[0]
            field = error.path[0] if error.path else None
            if error.validator == "required":
                field = error.message.split("'")[1]
                message = f"missing required field '{field}'"
            elif error.validator == "enum":
                message = f"{error.instance!r} is not one of {', '.join(map(repr, error.validator_value))}"
            else:
                message = error.message
            raise InputError(message, file=path, line=line, field=field)
        yield line, record


def _local(value):
    return str(value).strip()


def read_findings(path, *, namespace, source_id=None):
    """Yield Finding nodes and their FOR_GROUP / ABOUT / IN_REGION / HAS_BASE / SUM_OF edges."""
    path_text = str(path)
    records = list(checked_records(path, "finding"))
    ids = {}
    for number, (line, record) in enumerate(records, start=1):
        local = _local(record.get("id", f"L{record.get('source_line') or line or number}"))
        if local in ids:
            raise InputError(
                f"duplicate finding id '{local}' (also on line {ids[local]})", file=path, line=line, field="id"
            )
        ids[local] = line
    for number, (line, record) in enumerate(records, start=1):
        local = _local(record.get("id", f"L{record.get('source_line') or line or number}"))
        node_id = f"finding/{namespace}/{local}"
        count, base = record.get("count"), record.get("base")
        if count is not None and base is not None and count > base:
            raise InputError(f"count {count} is greater than base {base}", file=path, line=line, field="count")
        base_ref = record.get("base_ref")
        if base_ref is not None and _local(base_ref) not in ids:
            raise InputError(f"base_ref '{base_ref}' names no finding in this file", file=path, line=line, field="base_ref")
        props = {
            key: record[key]
            for key in ("measure", "stance", "assessment", "count", "base", "base_note", "reported_percent",
                        "rank", "note", "source_line", "statement")
            if key in record
        }
        if record["measure"] in ("share", "qualitative") and "stance" not in props and record.get("concept"):
            props["stance"] = "mention"
        statement = record.get("statement") or ""
        props["label"] = statement[:80] + ("…" if len(statement) > 80 else "") if statement else local
        yield Node("Finding", node_id, props, file=path_text, line=line)
        if record.get("group"):
            yield Edge("FOR_GROUP", node_id, Ref(record["group"], ("StakeholderGroup",)), {"_field": "group"}, file=path_text, line=line)
        if record.get("concept"):
            yield Edge("ABOUT", node_id, Ref(record["concept"], codeable_kinds()), {"_field": "concept"}, file=path_text, line=line)
        if record.get("region"):
            yield Edge("IN_REGION", node_id, Ref(record["region"], ("Region",)), {"_field": "region"}, file=path_text, line=line)
        if base_ref is not None:
            yield Edge("HAS_BASE", node_id, f"finding/{namespace}/{_local(base_ref)}", {"_field": "base_ref"}, file=path_text, line=line)
        for part in record.get("parts") or ():
            yield Edge("SUM_OF", node_id, Ref(part, ("StakeholderGroup",)), {"_field": "parts"}, file=path_text, line=line)
        if source_id:
            edge_props = {"source_line": record["source_line"]} if record.get("source_line") else {}
            yield Edge("FROM_SOURCE", node_id, source_id, edge_props, file=path_text, line=line)


def read_quotes(path, *, namespace, source_id=None):
    """Yield Quote nodes, SAID by their respondent (or FOR_GROUP), ILLUSTRATING concepts."""
    path_text = str(path)
    seen = {}
    for line, record in checked_records(path, "quote"):
        text = record["text"].strip()
        local = _local(record["id"]) if "id" in record else hashlib.sha1(text.encode()).hexdigest()[:16]
        if local in seen:
            raise InputError(f"duplicate quote id '{local}' (also on line {seen[local]})", file=path, line=line, field="id")
        seen[local] = line
        node_id = f"quote/{namespace}/{local}"
        props = {"text": text, "label": text[:80] + ("…" if len(text) > 80 else "")}
        for key in ("section", "source_line"):
            if key in record:
                props[key] = record[key]
        yield Node("Quote", node_id, props, file=path_text, line=line)
        if record.get("respondent") is not None:
            yield Edge("SAID", f"respondent/{_local(record['respondent'])}", node_id, {"_field": "respondent"}, file=path_text, line=line)
        elif not record.get("group"):
            raise InputError("a quote needs a respondent or a group", file=path, line=line, field="group")
        if record.get("group"):
            yield Edge("FOR_GROUP", node_id, Ref(record["group"], ("StakeholderGroup",)), {"_field": "group"}, file=path_text, line=line)
        if record.get("region"):
            yield Edge("IN_REGION", node_id, Ref(record["region"], ("Region",)), {"_field": "region"}, file=path_text, line=line)
        for concept in record.get("illustrates") or ():
            yield Edge("ILLUSTRATES", node_id, Ref(concept, codeable_kinds()), {"_field": "illustrates"}, file=path_text, line=line)
        if source_id:
            edge_props = {"source_line": record["source_line"]} if record.get("source_line") else {}
            yield Edge("FROM_SOURCE", node_id, source_id, edge_props, file=path_text, line=line)


def read_respondents(path, *, namespace=None, source_id=None):
    """Yield Respondent nodes with MEMBER_OF / BASED_IN / WORKS_IN edges."""
    path_text = str(path)
    seen = {}
    for line, record in checked_records(path, "respondent"):
        local = _local(record["id"])
        if local in seen:
            raise InputError(
                f"duplicate respondent id '{local}' (also on line {seen[local]})", file=path, line=line, field="id"
            )
        seen[local] = line
        node_id = f"respondent/{local}"
        props = {"label": record.get("name") or local}
        if record.get("name"):
            props["name"] = record["name"]
        yield Node("Respondent", node_id, props, file=path_text, line=line)
        yield Edge("MEMBER_OF", node_id, Ref(record["group"], ("StakeholderGroup",)), {"_field": "group"}, file=path_text, line=line)
        if record.get("region"):
            yield Edge("BASED_IN", node_id, Ref(record["region"], ("Region",)), {"_field": "region"}, file=path_text, line=line)
        if record.get("focus_region"):
            yield Edge("WORKS_IN", node_id, Ref(record["focus_region"], ("Region",)), {"_field": "focus_region"}, file=path_text, line=line)
        if source_id:
            edge_props = {"source_line": record["source_line"]} if record.get("source_line") else {}
            yield Edge("FROM_SOURCE", node_id, source_id, edge_props, file=path_text, line=line)
