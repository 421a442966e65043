"""Coded submissions: wide (one row per respondent) and long (one row per coding).

Wide is the crosstab QDA tools export (NVivo, MAXQDA, QualCoder): ``id, group,
region`` and then one column per code whose cell is 1/0, a stance word or a count;
NVivo's "A : Research" and MAXQDA's "Codes\\Research" headers name the code "Research".
Long is one row per coded segment: ``respondent, code, stance, weight, quote``.
Both yield respondent nodes, MEMBER_OF / BASED_IN / WORKS_IN edges and bulk coding
edges whose codes the translator resolves through the concept labels.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd

from consultgraph.errors import InputError
from consultgraph.graph.model import codeable_kinds
from consultgraph.graph.records import EdgeTable, NodeTable
from consultgraph.graph.codes import first_rows
from consultgraph.loaders.tables import read_table

#: Column names we accept for each field (folded: lower case, spaces as _).
ALIASES = {
    "respondent": ("respondent", "respondent_id", "id", "case", "participant", "submission"),
    "name": ("name", "display_name", "respondent_name"),
    "group": ("group", "stakeholder_group", "stakeholder"),
    "region": ("region", "based_in", "region_based"),
    "focus_region": ("focus_region", "works_in", "region_focus"),
    "code": ("code", "concept", "codes"),
    "stance": ("stance",),
    "weight": ("weight", "count", "segments"),
    "quote": ("quote", "text", "segment", "coded_text"),
    "coder": ("coder", "coded_by"),
    "question": ("question", "question_id"),
    "start": ("start", "start_offset", "quote_start"),
    "end": ("end", "end_offset", "quote_end"),
}
STANCES = ("lead", "support", "drop", "mention")


def fold(column):
    return str(column).strip().casefold().replace(" ", "_").replace("-", "_")


_NVIVO_PREFIX = re.compile(r"^(?:[A-Z]{1,3}|\d+)\s+:\s+(?P<name>.+)$")


def code_from_header(header):
    r"""The code a crosstab column names, without NVivo's or MAXQDA's decorations.

    NVivo numbers matrix columns ("A : Research"); MAXQDA writes the code's path
    ("Codes\Tactics\Research"); both mean the code "Research".

    Examples
    --------
    >>> code_from_header("A : Research"), code_from_header("Codes\\Tactics\\Research"), code_from_header("ESCR")
    ('Research', 'Research', 'ESCR')
    """
    text = str(header).strip()
    match = _NVIVO_PREFIX.match(text)
    if match:
        text = match["name"].strip()
    if "\\" in text:
        text = text.rstrip("\\").rsplit("\\", 1)[-1].strip()
    return text


def case_from_label(values):
    """Row labels of an NVivo matrix ("1 : p1") as case names ("p1"), when every row has one."""
    text = values.astype(str).str.strip()
    numbered = text.str.match(r"^\d+\s+:\s+\S")
    if len(text) and numbered[values.notna()].all():
        return text.str.replace(r"^\d+\s+:\s+", "", regex=True).where(values.notna(), None)
    return values


def find_columns(frame):
    """``field -> actual column`` for the known fields present in ``frame``."""
    folded = {fold(c): c for c in frame.columns if c != "line"}
    found = {}
    for field, names in ALIASES.items():
        for name in names:
            if name in folded and folded[name] not in found.values():
                found[field] = folded[name]
                break
    return found


def _per_value(values, clean):
    """``clean(value)`` for each of ``values``, as a categorical Series.

    ``clean`` runs once per distinct value (a long file repeats a few thousand
    respondents and codes millions of times); values it maps alike share a category,
    missing values and ``None`` results are missing. Categories are in order of first
    appearance, so codes number the distinct results as ``pd.factorize`` would.
    """
    codes, uniques = pd.factorize(values)
    cleaned = np.empty(len(uniques), dtype=object)
    cleaned[:] = [clean(value) for value in uniques]
    result_codes, results = pd.factorize(cleaned)
    recode = np.append(result_codes, -1)  # code -1 (missing) stays missing
    categorical = pd.Categorical.from_codes(recode[codes], categories=pd.Index(results, dtype=object))
    return pd.Series(categorical, index=values.index)


def respondent_ids(values):
    """``respondent/<id>`` for each value (a categorical; ids that differ only in spaces are one)."""
    return _per_value(values, lambda value: "respondent/" + str(value).strip())


def stripped(values):
    """Values as stripped text (a categorical; missing stays missing)."""
    return _per_value(values, lambda value: str(value).strip())


def _constant(value, length):
    """A column of one value, stored once (a categorical)."""
    return pd.Categorical.from_codes(np.zeros(length, dtype=np.int8), categories=pd.Index([value], dtype=object))


def _require(frame, columns, field, path, why=""):
    if field not in columns:
        raise InputError(
            f"missing required column '{field}'{why}",
            file=path,
            line=1,
            field=field,
            hint=f"columns found: {', '.join(c for c in frame.columns if c != 'line')}",
        )
    codes, uniques = pd.factorize(frame[columns[field]])
    blank = np.flatnonzero(pd.Index(uniques).astype(str).str.strip() == "") if len(uniques) else np.array([], int)
    empty = (codes < 0) | np.isin(codes, blank)
    if empty.any():
        row = frame.iloc[int(np.flatnonzero(empty)[0])]
        raise InputError(f"missing {field}", file=path, line=int(row["line"]), field=columns[field])


def respondent_records(frame, columns, path):
    """Respondent nodes and their group/region edges, one per distinct respondent."""
    _require(frame, columns, "respondent", path)
    ids = respondent_ids(frame[columns["respondent"]])
    frame = frame.assign(_id=ids)
    if "group" in columns:
        _require(frame, columns, "group", path)
    attributes = [f for f in ("group", "region", "focus_region", "name") if f in columns]
    id_codes = ids.array.codes.astype(np.int64)  # respondents numbered in order of appearance
    firsts = first_rows(id_codes)  # each respondent's first row
    for field in attributes:
        # a respondent must keep one value per attribute: every row's value is its first row's
        # (checked on integer codes, in one pass, not on strings)
        values = stripped(frame[columns[field]]).array
        value_codes = values.codes.astype(np.int64) + 1
        value_codes[np.isin(value_codes, np.flatnonzero(values.categories == "") + 1)] = 0  # blank = missing
        differs = value_codes != value_codes[firsts][id_codes]
        if differs.any():
            clash_code = id_codes[np.flatnonzero(differs)[0]]
            rows = frame[id_codes == clash_code]
            values = stripped(rows[columns[field]]).astype(object).fillna("")
            changed = values.ne(values.iloc[0]).to_numpy()
            raise InputError(
                f"respondent '{rows['_id'].iloc[0].split('/', 1)[1]}' has two {field} values: "
                f"'{values.iloc[0]}' and '{values[changed].iloc[0]}'",
                file=path,
                line=int(rows["line"][changed].iloc[0]),
                field=columns[field],
            )
    first = frame.iloc[firsts]
    if "group" in columns:
        nodes = pd.DataFrame({"id": first["_id"].astype(object), "line": first["line"]})
        if "name" in columns:
            nodes["name"] = first[columns["name"]].astype(object).values
            nodes["label"] = nodes["name"].where(nodes["name"].notna(), nodes["id"].str.split("/", n=1).str[1])
        yield NodeTable("Respondent", nodes.reset_index(drop=True), file=str(path))
        for field, kind, kinds in (
            ("group", "MEMBER_OF", ("StakeholderGroup",)),
            ("region", "BASED_IN", ("Region",)),
            ("focus_region", "WORKS_IN", ("Region",)),
        ):
            if field not in columns:
                continue
            sub = first[first[columns[field]].notna() & (first[columns[field]].astype(str).str.strip() != "")]
            edges = pd.DataFrame(
                {"source": sub["_id"].astype(object), "target": sub[columns[field]].astype(str).str.strip(), "line": sub["line"]}
            )
            edges["_field"] = columns[field]
            yield EdgeTable(kind, edges.reset_index(drop=True), file=str(path), target_is_text=True, target_kinds=kinds)


def read_long(path, *, namespace=None, source_id=None):
    """Yield records for a long file: one row per coding (coded segment)."""
    from consultgraph.loaders.tables import read_header

    header = read_header(path) if Path(path).suffix.lower() in (".csv", ".tsv", ".tab", ".txt") else []
    repeated = {"respondent", "group", "region", "focus_region", "code", "stance", "name"}
    frame = read_table(
        path,
        categorical=[h for h in header if fold(h) in {a for f in repeated for a in ALIASES[f]}],
        numeric=[h for h in header if fold(h) in ALIASES["weight"]],
    )
    columns = find_columns(frame)
    _require(frame, columns, "respondent", path)
    _require(frame, columns, "code", path)
    yield from respondent_records(frame, columns, path)
    edges = pd.DataFrame(
        {
            "source": respondent_ids(frame[columns["respondent"]]),
            "target": stripped(frame[columns["code"]]),
            "line": frame["line"],
        }
    )
    if "stance" in columns:
        edges["stance"] = _per_value(frame[columns["stance"]], lambda value: str(value).strip().casefold() or None)
    if "weight" in columns:
        raw = frame[columns["weight"]]
        weight = pd.to_numeric(raw, errors="coerce")
        bad = raw.notna() & weight.isna()
        if bad.any():
            row = frame[bad].iloc[0]
            raise InputError(
                f"weight '{row[columns['weight']]}' is not a number", file=path, line=int(row["line"]), field=columns["weight"]
            )
        edges["weight"] = weight
    if "coder" in columns:  # who coded: kept apart from other coders' codings of the same response
        edges["coder"] = stripped(frame[columns["coder"]]).astype(object)
    if "question" in columns:  # a coding of one free-text response, not of the respondent as a whole
        from consultgraph.loaders.freetext import response_id

        question = frame[columns["question"]].astype(object)
        has = (question.notna() & (question.astype(str).str.strip() != "")).to_numpy()
        local = frame[columns["respondent"]].astype(str).str.strip().to_numpy(dtype=object)
        source = np.array(edges["source"].astype(object), dtype=object)
        source[has] = [response_id(r, q) for r, q in zip(local[has], question[has])]
        edges["source"] = source
    edges["_field"] = _constant(columns["code"], len(edges))
    yield EdgeTable("CODED", edges, file=str(path), target_is_text=True, target_kinds=codeable_kinds())
    if "quote" in columns:
        yield from _quotes_from_codings(frame, columns, path)


def _quotes_from_codings(frame, columns, path):
    """A Quote per non-empty quote cell, SAID by the respondent, ILLUSTRATING the code."""
    sub = frame[frame[columns["quote"]].notna() & (frame[columns["quote"]].astype(str).str.strip() != "")]
    if not len(sub):
        return
    respondents = respondent_ids(sub[columns["respondent"]])
    texts = sub[columns["quote"]].astype(str).str.strip()
    ids = [
        "quote/" + hashlib.sha1(f"{r}\x1f{t}".encode()).hexdigest()[:16] for r, t in zip(respondents, texts)
    ]
    nodes = pd.DataFrame({"id": ids, "text": texts.values, "line": sub["line"].values})
    for field in ("start", "end"):  # where the quote sits in its response or document, if the file says
        if field in columns and "start" in columns and "end" in columns:
            nodes[field] = _offsets(sub, columns[field], path)
    nodes["label"] = nodes["text"].str.slice(0, 80)
    nodes = nodes.drop_duplicates("id")
    yield NodeTable("Quote", nodes, file=str(path))
    said = pd.DataFrame({"source": respondents.values, "target": ids, "line": sub["line"].values}).drop_duplicates(
        ["source", "target"]
    )
    yield EdgeTable("SAID", said, file=str(path))
    if "group" in columns:
        groups = pd.DataFrame(
            {"source": ids, "target": sub[columns["group"]].astype(str).str.strip().values, "line": sub["line"].values}
        ).drop_duplicates("source")
        groups["_field"] = columns["group"]
        yield EdgeTable("FOR_GROUP", groups, file=str(path), target_is_text=True, target_kinds=("StakeholderGroup",))
    if "question" in columns:  # the response the quote is a span of (its offsets are found after the load)
        from consultgraph.loaders.freetext import response_id

        question = sub[columns["question"]]
        has = (question.notna() & (question.astype(str).str.strip() != "")).to_numpy()
        local = sub[columns["respondent"]].astype(str).str.strip().to_numpy(dtype=object)
        quoted = pd.DataFrame({"source": np.array(ids, dtype=object)[has],
                               "target": [response_id(r, q) for r, q in zip(local[has], question[has])],
                               "line": sub["line"].values[has]}).drop_duplicates("source")
        if len(quoted):
            yield EdgeTable("QUOTED_FROM", quoted, file=str(path))
    illustrates = pd.DataFrame(
        {"source": ids, "target": sub[columns["code"]].astype(str).str.strip().values, "line": sub["line"].values}
    )
    if "coder" in columns:  # whose reading of the quote this is, as on the coding itself
        illustrates["coder"] = stripped(sub[columns["coder"]]).astype(object).values
    illustrates["_field"] = columns["code"]
    yield EdgeTable("ILLUSTRATES", illustrates, file=str(path), target_is_text=True, target_kinds=codeable_kinds())


def _offsets(rows, column, path):
    """A quote's start or end offset column as integers (empty stays empty); anything else is refused."""
    raw = rows[column]
    number = pd.to_numeric(raw, errors="coerce")
    bad = (raw.notna() & (raw.astype(str).str.strip() != "") & number.isna()) | (number < 0) | (number.notna() & (number % 1 != 0))
    if bad.any():
        row = rows[bad].iloc[0]
        raise InputError(f"offset '{row[column]}' is not a whole number >= 0", file=path, line=int(row["line"]),
                         field=column)
    return number.astype("Int64").to_numpy()


def _wide_hint(frame, column, code_columns, cell):
    """How to fix a wide file's bad cell: a number or stance; free text wants --text-columns; a codebook wants a label."""
    if fold(column) == "kind":
        found = ", ".join(c for c in frame.columns if c != "line")
        return f"a codebook? its header needs 'kind' and 'label'; columns found: {found}"
    if len(cell.split()) >= 3:  # a sentence, not a mistyped stance
        texts = [c for c in code_columns if (frame[c].dropna().astype(str).str.split().str.len() >= 3).any()]
        return (f"free-text answers? load them with --text-columns {','.join(texts)}, each answer column a question; "
                f"a code column holds 1/0, a count or one of: {', '.join(STANCES)}")
    return f"use a number or one of: {', '.join(STANCES)}"


def read_wide(path, *, namespace=None, source_id=None):
    """Yield records for a wide file: one row per respondent, one column per code."""
    frame = read_table(path)
    columns = find_columns(frame)
    columns.pop("code", None)
    columns.pop("stance", None)
    columns.pop("weight", None)
    columns.pop("quote", None)
    columns.pop("start", None)
    columns.pop("end", None)
    _require(frame, columns, "respondent", path)
    frame[columns["respondent"]] = case_from_label(frame[columns["respondent"]])
    yield from respondent_records(frame, columns, path)
    used = set(columns.values()) | {"line"}
    code_columns = [c for c in frame.columns if c not in used]
    if not code_columns:
        raise InputError("no code columns after the respondent columns", file=path, line=1)
    ids = respondent_ids(frame[columns["respondent"]])
    duplicated = ids.duplicated()
    if duplicated.any():
        again = frame[duplicated].iloc[0]
        first = frame[ids == ids[duplicated].iloc[0]].iloc[0]
        raise InputError(
            f"duplicate respondent id '{again[columns['respondent']]}' (also on line {first['line']})",
            file=path,
            line=int(again["line"]),
            field=columns["respondent"],
        )
    parts = []
    for column in code_columns:
        cells = frame[column]
        present = cells.notna()
        text = cells[present].astype(str).str.strip()
        folded = text.str.casefold()
        number = pd.to_numeric(text, errors="coerce")
        is_stance = folded.isin(STANCES)
        bad = ~is_stance & number.isna() & (text != "")
        if bad.any():
            row = frame.loc[bad[bad].index[0]]
            raise InputError(
                f"cell '{row[column]}' is not 1/0, a count or a stance",
                file=path,
                line=int(row["line"]),
                field=column,
                hint=_wide_hint(frame, column, code_columns, str(row[column])),
            )
        if (number < 0).any():
            row = frame.loc[number[number < 0].index[0]]
            raise InputError(f"count '{row[column]}' is negative", file=path, line=int(row["line"]), field=column)
        keep = is_stance | (number > 0)
        if not keep.any():
            continue
        index = keep[keep].index
        part = pd.DataFrame(
            {
                "source": ids.loc[index].values,
                "target": code_from_header(column),
                "stance": np.where(is_stance.loc[index], folded.loc[index], "mention"),
                "weight": np.where(is_stance.loc[index], 1.0, number.loc[index].fillna(1.0)),
                "line": 1,
                "_field": column,
            }
        )
        parts.append(part)
    edges = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["source", "target", "line"])
    yield EdgeTable("CODED", edges, file=str(path), target_is_text=True, target_kinds=codeable_kinds())
