"""Free-text answers: one row per respondent, one answer column per question.

CSV/TSV/XLSX/JSONL tables (``--text-columns`` names the answer columns) and Talk to the
City's input CSV (``id, interview, comment``) become Respondent, Question and Response
nodes: the respondent WROTE each non-empty answer, which ANSWERS its question.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from consultgraph.errors import InputError
from consultgraph.graph.concepts import slugify
from consultgraph.graph.records import Edge, EdgeTable, Node, NodeTable
from consultgraph.loaders.coded import find_columns, fold
from consultgraph.loaders.tables import read_table

#: Answer columns found without ``--text-columns`` (folded names).
TEXT_ALIASES = ("text", "response", "answer", "comment", "free_text")
_ATTRIBUTE_FIELDS = ("respondent", "name", "group", "region", "focus_region")


def question_id(question):
    """The node id of a question (an answer column's name): ``question/<slug>``."""
    return f"question/{slugify(question)}"


def response_id(respondent, question):
    """The node id of one respondent's answer to one question: ``response/<respondent>/<question slug>``.

    Examples
    --------
    >>> response_id("1001", "question_part_1")
    'response/1001/question-part-1'
    """
    return f"response/{str(respondent).strip()}/{slugify(question)}"


def check_utf8(path, hint="save the file as UTF-8 (e.g. in a spreadsheet: CSV UTF-8)"):
    """Refuse a text file that is not UTF-8 throughout, naming the first bad line.

    A file saved from two programs can mix UTF-8 and Windows-1252; the parser would
    otherwise fail far from the cause.
    """
    data = Path(path).read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        byte = data[error.start: error.start + 1].hex()
        raise InputError(
            f"not UTF-8 text (byte 0x{byte}): mixed or legacy encoding",
            file=path,
            line=line,
            hint=hint,
        ) from None
    return data


def nearest_columns(name, columns, n=3):
    """The ``n`` column names closest to ``name`` (for 'unknown column' messages)."""
    folded = {fold(c): c for c in columns}
    close = difflib.get_close_matches(fold(name), list(folded), n=n, cutoff=0.4)
    return [folded[c] for c in close]


def group_and_region_records(values, kind, file):
    """Concept nodes for group or region names the built-in schemes do not know.

    Returns ``(records, target of each distinct value)``: a known name (``Partners``,
    ``Europe``) points to its concept; a new one (``Scotland``) gets a node
    ``region/scotland`` of its own.
    """
    from consultgraph.graph.model import load_schema
    from consultgraph.graph.store import schema_concepts

    index = schema_concepts()
    prefix = load_schema().node_kind(kind).prefix
    records, targets = [], {}
    for value in sorted({str(v).strip() for v in values if isinstance(v, str) and v.strip()}):
        known = index.candidates(value, (kind,))
        if len(known) == 1:
            targets[value] = known[0]
            continue
        concept_id = f"{prefix}/{slugify(value)}"
        if concept_id in index:  # a slug clash with a built-in concept of another name
            concept_id = f"{prefix}/{slugify(value)}-own"
        targets[value] = concept_id
        records.append(Node(kind, concept_id, {"label": value}, file=file))
    return records, targets


def _text_columns(frame, text_columns, path):
    columns = [c for c in frame.columns if c != "line"]
    if text_columns:
        wanted = [c.strip() for c in (text_columns.split(",") if isinstance(text_columns, str) else text_columns)]
        by_fold = {fold(c): c for c in columns}
        out = []
        for name in wanted:
            if name in columns:
                out.append(name)
            elif fold(name) in by_fold:
                out.append(by_fold[fold(name)])
            else:
                near = nearest_columns(name, columns)
                raise InputError(
                    f"unknown text column '{name}'",
                    file=path,
                    line=1,
                    field=name,
                    hint=f"nearest: {', '.join(repr(n) for n in near)}" if near else f"columns: {', '.join(columns)}",
                )
        twice = [c for c in out if out.count(c) > 1]
        if twice:
            raise InputError(f"answer column '{twice[0]}' is named twice in --text-columns", file=path, line=1,
                             field=twice[0])
        roles = {column: field for field, column in find_columns(frame.drop(columns=out)).items()}
        roles.update({column: field for field, column in find_columns(frame[[*out, "line"]]).items()})
        taken = [c for c in out if c in roles and roles[c] in _ATTRIBUTE_FIELDS]
        if taken:
            role = {"respondent": "respondent id", "focus_region": "focus region"}.get(roles[taken[0]], roles[taken[0]])
            raise InputError(f"'{taken[0]}' is the {role} column, not an answer column", file=path, line=1,
                             field=taken[0], hint="--text-columns names the columns that hold answers")
        return out
    found = [c for c in columns if fold(c) in TEXT_ALIASES]
    if not found:
        raise InputError(
            "no answer column found",
            file=path,
            line=1,
            hint=f"name the answer columns with --text-columns (columns found: {', '.join(columns)})",
        )
    return found


def _refuse_near_misses(frame, fields, texts, path):
    """A column named almost 'group' or 'region' where the table has none: a typo, not an attribute.

    Kept as an attribute, 'gruop' would leave every respondent in the default group, silently.
    """
    for field in ("group", "region"):
        if field in fields:
            continue
        for column in frame.columns:
            if column in ("line", *texts, *fields.values()):
                continue
            if difflib.SequenceMatcher(None, fold(column), field).ratio() >= 0.8:
                raise InputError(f"column '{column}' looks like '{field}', and the table has no '{field}' column",
                                 file=path, line=1, field=column,
                                 hint=f"rename it '{field}'; an attribute needs a name further from '{field}'")


def responses_from_frame(frame, *, path, namespace, text_columns=None, default_group="public",
                         question_texts=None):
    """Records for a table of respondents with answer columns (the shared core of the table loaders)."""
    file = str(path)
    texts = _text_columns(frame, text_columns, path)
    fields = find_columns(frame.drop(columns=texts))
    _refuse_near_misses(frame, fields, texts, path)
    if "respondent" not in fields:
        columns = [c for c in frame.columns if c != "line"]
        raise InputError("missing required column 'id'", file=path, line=1, field="id",
                         hint=f"columns found: {', '.join(columns)}")
    ids = frame[fields["respondent"]].astype(object)
    blank = ids.isna() | (ids.astype(str).str.strip() == "")
    if blank.any():  # a row with every cell empty (a spreadsheet's trailing rows) is no respondent
        cells = frame.loc[blank, [c for c in frame.columns if c != "line"]].astype(object)
        empty = ~(cells.notna() & (cells.astype(str).apply(lambda c: c.str.strip()) != "")).any(axis=1)
        frame = frame.drop(index=empty[empty].index).reset_index(drop=True)
        ids = frame[fields["respondent"]].astype(object)
        blank = ids.isna() | (ids.astype(str).str.strip() == "")
    if blank.any():
        raise InputError("missing id", file=path, line=int(frame["line"][blank].iloc[0]), field=fields["respondent"])
    local = ids.astype(str).str.strip()
    duplicated = local.duplicated()
    if duplicated.any():
        line = int(frame["line"][duplicated].iloc[0])
        first = int(frame["line"][local == local[duplicated].iloc[0]].iloc[0])
        raise InputError(f"respondent '{local[duplicated].iloc[0]}' appears twice (also on line {first})",
                         file=path, line=line, field=fields["respondent"],
                         hint="one row per respondent: put each question in its own column")
    respondent = ("respondent/" + local).to_numpy(dtype=object)
    people = pd.DataFrame({"id": respondent, "line": frame["line"].to_numpy(), "label": local.to_numpy(dtype=object)})
    if "name" in fields:
        people["name"] = frame[fields["name"]].to_numpy(dtype=object)
    used = {fields[f] for f in _ATTRIBUTE_FIELDS if f in fields} | set(texts) | {"line"}
    others = [c for c in frame.columns if c not in used]
    if others:
        people["attributes"] = [
            json.dumps({k: v for k, v in zip(others, row) if v is not None and v == v and str(v).strip() != ""},
                       ensure_ascii=False, sort_keys=True)
            for row in frame[others].itertuples(index=False, name=None)
        ]
    yield NodeTable("Respondent", people, file=file)

    for field, kind, edge in (("group", "StakeholderGroup", "MEMBER_OF"), ("region", "Region", "BASED_IN"),
                              ("focus_region", "Region", "WORKS_IN")):
        if field in fields:
            values = frame[fields[field]].astype(object).where(frame[fields[field]].notna(), None)
            values = values.map(lambda v: str(v).strip() if v is not None and str(v).strip() else None)
        elif field == "group" and default_group:
            values = pd.Series([default_group] * len(frame), dtype=object)
        else:
            continue
        keep = values.notna().to_numpy()
        # names the project, this load's codebook or the built-in schemes know are their concepts;
        # a new name ("Scotland") becomes a concept of its own (the translator makes it)
        yield EdgeTable(edge, pd.DataFrame({
            "source": respondent[keep],
            "target": values[keep].to_numpy(dtype=object),
            "line": frame["line"].to_numpy()[keep],
            "_field": fields.get(field, field),
        }), file=file, target_is_text=True, target_kinds=(kind,), create_missing=True)

    for column in texts:
        question = question_id(column)
        props = {"label": str(column)}
        if question_texts and question_texts.get(column):
            props["text"] = question_texts[column]
        yield Node("Question", question, props, file=file)
        cells = frame[column]
        text = cells.astype(object).where(cells.notna(), "").astype(str)
        keep = (text.str.strip() != "").to_numpy()
        if not keep.any():
            continue
        response = np.array([response_id(r.split('/', 1)[1], column) for r in respondent[keep]], dtype=object)
        lines = frame["line"].to_numpy()[keep]
        yield NodeTable("Response", pd.DataFrame({
            "id": response, "line": lines, "text": text[keep].to_numpy(dtype=object),
            "label": [f"{r.split('/', 1)[1]} / {column}" for r in respondent[keep]],
        }), file=file)
        yield EdgeTable("WROTE", pd.DataFrame({"source": respondent[keep], "target": response, "line": lines}), file=file)
        yield EdgeTable("ANSWERS", pd.DataFrame({"source": response, "target": question, "line": lines}), file=file)


def read_text_table(path, *, namespace=None, source_id=None, text_columns=None, group=None):
    """Yield records for a free-text table: id, group, region, attributes and answer columns.

    Parameters
    ----------
    path : path
        CSV, TSV, XLSX or JSON Lines; one row per respondent.
    text_columns : str or list, optional
        The answer columns (comma-separated), one question each. Default: the columns
        called text, response, answer or comment.
    group : str, optional
        Stakeholder group of respondents when the table has no group column (default public).
    """
    path = Path(path)
    if path.suffix.lower() in (".csv", ".tsv", ".tab", ".txt", ".jsonl", ".ndjson", ".json"):
        check_utf8(path)
    frame = read_table(path)
    if not len(frame):
        raise InputError("the table has no rows", file=path, line=2)
    namespace = namespace or slugify(path.stem)
    yield from responses_from_frame(frame, path=path, namespace=namespace, text_columns=text_columns,
                                    default_group=group or "public")


def is_tttc_csv(columns):
    """True for Talk to the City's input CSV header: id and comment (interview optional)."""
    folded = {fold(c) for c in columns}
    return {"id", "comment"} <= folded and "code" not in folded


def read_tttc_csv(path, *, namespace=None, source_id=None, group=None):
    """Yield records for Talk to the City's input CSV: ``id, interview, comment``.

    Each row is one comment (a Response to one question, "comment"); the ``interview``
    (speaker) is the respondent, or the row's own id when there is none.
    """
    path = Path(path)
    check_utf8(path)
    frame = read_table(path)
    columns = {fold(c): c for c in frame.columns if c != "line"}
    if "comment" not in columns or "id" not in columns:
        raise InputError("a Talk to the City CSV needs columns id and comment", file=path, line=1,
                         hint=f"columns found: {', '.join(c for c in frame.columns if c != 'line')}")
    namespace = namespace or slugify(path.stem)
    file = str(path)
    speaker = columns.get("interview")
    ids = frame[columns["id"]].astype(str).str.strip()
    duplicated = ids.duplicated()
    if duplicated.any():
        raise InputError(f"comment id '{ids[duplicated].iloc[0]}' appears twice", file=path,
                         line=int(frame["line"][duplicated].iloc[0]), field=columns["id"])
    who = frame[speaker].astype(object) if speaker else pd.Series([None] * len(frame), dtype=object)
    who = [str(w).strip() if isinstance(w, str) and w.strip() else f"comment {i}" for w, i in zip(who, ids)]
    respondents = {}
    for name, line in zip(who, frame["line"]):
        respondents.setdefault(name, line)
    group_records, targets = group_and_region_records([group or "public"], "StakeholderGroup", file)
    yield from group_records
    question = question_id("comment")
    yield Node("Question", question, {"label": "comment"}, file=file)
    for name, line in respondents.items():
        rid = f"respondent/{slugify(name)}"
        yield Node("Respondent", rid, {"label": name}, file=file, line=int(line))
        yield Edge("MEMBER_OF", rid, targets[group or "public"], file=file, line=int(line))
    for comment_id, name, text, line in zip(ids, who, frame[columns["comment"]], frame["line"]):
        if not isinstance(text, str) or not text.strip():
            continue
        response = response_id(comment_id, "comment")
        yield Node("Response", response, {"text": text, "label": f"comment {comment_id}"}, file=file, line=int(line))
        yield Edge("WROTE", f"respondent/{slugify(name)}", response, file=file, line=int(line))
        yield Edge("ANSWERS", response, question, file=file, line=int(line))
