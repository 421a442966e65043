"""A plain codebook (CSV, XLSX or YAML): your own groups, regions, themes, tactics, ideas.

One row per concept: ``kind, id, label, alt_labels, broader, definition``. Each row
becomes a SKOS concept of that kind (a ``group`` row a real stakeholder group that
``--groups`` and a ``group`` column accept), so no Turtle needs writing by hand.
"""

from __future__ import annotations

from pathlib import Path

from consultgraph.errors import InputError
from consultgraph.graph.concepts import slugify
from consultgraph.graph.records import Edge, Node, Ref

#: Column names accepted for each field (folded: lower case, spaces and dashes as _).
FIELDS = {
    "kind": ("kind", "type", "scheme"),
    "id": ("id", "code_id", "notation"),
    "label": ("label", "name", "preflabel", "pref_label", "code"),
    "alt_labels": ("alt_labels", "alt_label", "altlabel", "altlabels", "synonyms", "aliases"),
    "broader": ("broader", "parent", "parents"),
    "definition": ("definition", "description", "memo"),
}
#: Several values in one CSV cell are separated by either of these.
SEPARATORS = ("|", ";")


def _fold(text):
    return str(text).strip().casefold().replace(" ", "_").replace("-", "_")


def kind_names():
    """Every way to name a concept kind in a codebook (folded) -> the schema class.

    The words are the schema's own (``cg:idPrefix``, class names, ``skos:altLabel``, plurals:
    see :func:`consultgraph.graph.model.normalise_kind`), folded as column names are.

    Examples
    --------
    >>> names = kind_names()
    >>> names["group"], names["groups"], names["partner_type"], names["ideas"], names["regions"]
    ('StakeholderGroup', 'StakeholderGroup', 'PartnerType', 'Idea', 'Region')
    """
    from consultgraph.graph.model import load_schema

    schema = load_schema()
    return {_fold(word): kind for word, kind in schema.kind_words.items() if schema.node_kinds[kind].is_concept}


def _split(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value)
    for separator in SEPARATORS:
        if separator in text:
            return [part.strip() for part in text.split(separator) if part.strip()]
    return [text.strip()] if text.strip() else []


def _rows(path):
    """(line, record) pairs: CSV/XLSX rows, or YAML/JSON records (a list, or ``kind: [records]``)."""
    from consultgraph.loaders.tables import read_records, read_table

    suffix = Path(path).suffix.lower()
    if suffix in (".yaml", ".yml", ".json"):
        records = read_records(path)
        if len(records) == 1 and records[0][1] and all(isinstance(v, list) for v in records[0][1].values()):
            line, grouped = records[0]
            return [(line, {"kind": kind, **item}) for kind, items in grouped.items() for item in items]
        return records
    frame = read_table(path)
    return [(int(row.pop("line")), row) for row in frame.to_dict("records")]


def _field(record, field):
    for name in FIELDS[field]:
        for key, value in record.items():
            if _fold(key) == name:
                return None if value is None or (isinstance(value, float) and value != value) else value
    return None


def is_codebook(columns):
    """True when a header names a kind and a label (and no respondent), or only kinds: a codebook."""
    folded = {_fold(c) for c in columns}
    if folded and folded <= set(kind_names()):  # YAML grouped by kind: ``groups: [...]``
        return True
    return bool(folded & set(FIELDS["kind"])) and bool(folded & {"label", "name", "preflabel", "pref_label"}) \
        and not folded & {"respondent", "respondent_id", "measure", "count", "base", "text"}


def read_codebook(path, *, namespace=None, source_id=None):
    """Yield a concept node per codebook row and a BROADER edge per parent."""
    from consultgraph.graph.model import load_schema

    schema = load_schema()
    names = kind_names()
    choices = sorted({schema.node_kinds[k].prefix for k in names.values()})
    rows = _rows(path)
    if not rows:
        raise InputError("the codebook has no rows", file=path)
    concepts = []
    for line, record in rows:
        kind_text = _field(record, "kind")
        label = _field(record, "label")
        if kind_text is None or not str(kind_text).strip():
            raise InputError("missing kind", file=path, line=line, field="kind", hint=f"one of: {', '.join(choices)}")
        kind = names.get(_fold(kind_text))
        if kind is None:
            from difflib import get_close_matches

            near = get_close_matches(_fold(kind_text), list(names), n=1)
            raise InputError(f"unknown kind '{kind_text}'", file=path, line=line, field="kind",
                             hint=(f"nearest: '{near[0]}'; " if near else "") + f"one of: {', '.join(choices)}")
        if label is None or not str(label).strip():
            raise InputError("missing label", file=path, line=line, field="label")
        prefix = schema.node_kinds[kind].prefix
        given = str(_field(record, "id") or "").strip()
        if "/" in given and not given.startswith(prefix + "/"):
            raise InputError(f"id '{given}' does not start with '{prefix}/', the prefix of a {kind_text}",
                             file=path, line=line, field="id")
        concept_id = given if "/" in given else f"{prefix}/{slugify(given or str(label))}"
        concepts.append({"line": line, "kind": kind, "id": concept_id, "label": str(label).strip(),
                         "alt_labels": _split(_field(record, "alt_labels")),
                         "broader": _split(_field(record, "broader")),
                         "definition": _field(record, "definition")})
    seen = {}
    for concept in concepts:
        if concept["id"] in seen:
            raise InputError(f"id '{concept['id']}' is defined twice (also on line {seen[concept['id']]})",
                             file=path, line=concept["line"], field="id")
        seen[concept["id"]] = concept["line"]
    # a parent may be named by its id (with or without prefix) or label within this file
    local = {}
    for concept in concepts:
        for name in (concept["id"], concept["id"].split("/", 1)[1], concept["label"]):
            local.setdefault(name.casefold(), concept["id"])
    for concept in concepts:
        props = {"label": concept["label"]}
        if concept["alt_labels"]:
            props["alt_labels"] = concept["alt_labels"]
        if concept["definition"]:
            props["definition"] = str(concept["definition"]).strip()
        yield Node(concept["kind"], concept["id"], props, file=str(path), line=concept["line"])
        for parent in concept["broader"]:
            target = local.get(parent.casefold())
            if target is None:
                target = parent if "/" in parent else Ref(parent)
            yield Edge("BROADER", concept["id"], target, {"_field": "broader"}, file=str(path), line=concept["line"])
