"""Embedded Cypher on LadybugDB (the maintained fork of Kùzu), read-only, cached per generation.

Node tables are the node kinds of ``schema/ontology.ttl`` (the labels Neo4j gets), each
with ``id`` (primary key), ``kind``, ``label`` and every ontology property, so a missing
property reads as null as in Neo4j. Relationship tables are the relationship types with
their FROM/TO pairs from the ontology's domains and ranges, each with ``key`` and every
relationship property. Tables are bulk-loaded from Arrow; the database is cached (see
:mod:`consultgraph.graph.cache`) and opened read-only for queries.

Dialect differences from Neo4j an analyst may meet (each has a test in
tests/test_embedded.py):

- a node has one label: concepts are ``Theme``, ``Tactic`` ... but not also ``Concept``;
  match ``(c)`` and filter on ``c.kind``, or write ``(c:Theme:Tactic)``, which means
  Theme OR Tactic here (AND in Neo4j);
- ``label(r)`` gives a relationship's type (Neo4j: ``type(r)``); ``labels(n)`` works;
- a property no table has is an error, not null (every ontology property exists);
- ``ORDER BY`` cannot name an alias that shadows a node variable (``RETURN r.id AS r
  ORDER BY r``); pick another alias;
- ``toInteger``/``toFloat`` are ``to_int64``/``to_double``; ``7 / 2`` is 3 in both;
- ``CALL db.labels()`` and other ``db.*`` procedures do not exist (``CALL show_tables()
  RETURN *`` lists the tables);
- the graph is read-only, and statements that read files or the network (``LOAD FROM``,
  ``COPY``, ``INSTALL``, ``ATTACH``) are refused.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from consultgraph.errors import QueryError
from consultgraph.graph import cache
from consultgraph.graph.model import load_schema

ENGINE = "cypher"
DATABASE_FILE = "graph.lbug"
_LIST_PROPERTIES = {"alt_labels"}


def _arrow_type(kind):
    """The Arrow type of a column type of ours (pyarrow is imported only to build: queries start faster)."""
    import pyarrow as pa

    return {"INT64": pa.int64(), "DOUBLE": pa.float64(), "STRING": pa.string(), "BOOLEAN": pa.bool_(),
            "STRING[]": pa.list_(pa.string())}[kind]


def engine_version():
    import ladybug

    return ladybug.__version__


def _column_type(prop):
    if prop.key in _LIST_PROPERTIES:
        return "STRING[]"
    datatype = str(prop.datatype or "")
    if datatype.endswith("#integer"):
        return "INT64"
    if datatype.endswith(("#decimal", "#double")):
        return "DOUBLE"
    if datatype.endswith("#boolean"):
        return "BOOLEAN"
    return "STRING"


@functools.lru_cache(maxsize=1)
def node_columns():
    """``(name, type)`` of every node table's columns: id, kind, label, then the ontology's properties."""
    schema = load_schema()
    columns = [("id", "STRING"), ("kind", "STRING"), ("label", "STRING")]
    columns += [(key, _column_type(prop)) for key, prop in sorted(schema.properties.items()) if key != "label"]
    return tuple(columns)


@functools.lru_cache(maxsize=1)
def relationship_columns():
    """``(name, type)`` of every relationship table's columns: key, then every relationship property."""
    schema = load_schema()
    keys = sorted({key for kind in schema.edge_kinds.values() for key in kind.properties})
    return (("key", "STRING"),) + tuple((key, _column_type(schema.properties[key])) for key in keys)


def _expand(kinds, schema):
    if "Concept" in kinds:
        return sorted(set(kinds) - {"Concept"} | set(schema.concept_kinds))
    return sorted(kinds)


def relationship_pairs(extra=()):
    """``{type: [(from kind, to kind), ...]}`` from the ontology, plus ``extra`` pairs seen in data."""
    schema = load_schema()
    pairs = {}
    for name, kind in schema.edge_kinds.items():
        pairs[name] = [(a, b) for a in _expand(kind.domain, schema) for b in _expand(kind.range, schema)]
    for name, source, target in extra:
        if (source, target) not in pairs.setdefault(name, []):
            pairs[name].append((source, target))
    return pairs


def ddl(extra_pairs=()):
    """The CREATE statements of the database, generated from schema/."""
    schema = load_schema()
    nodes = ", ".join(f"`{name}` {kind}" for name, kind in node_columns())
    statements = [f"CREATE NODE TABLE `{kind}`({nodes}, PRIMARY KEY(id))" for kind in sorted(schema.node_kinds)]
    rel_columns = ", ".join(f"`{name}` {kind}" for name, kind in relationship_columns())
    for name, pairs in sorted(relationship_pairs(extra_pairs).items()):
        ends = ", ".join(f"FROM `{a}` TO `{b}`" for a, b in pairs)
        statements.append(f"CREATE REL TABLE `{name}`({ends}, {rel_columns})")
    return statements


def _convert(values, kind):
    def one(value):
        if value is None:
            return None
        if kind == "INT64":
            number = float(value)
            return None if number != number else int(number)
        if kind == "DOUBLE":
            return float(value)
        if kind == "BOOLEAN":
            return bool(value)
        if kind == "STRING[]":
            return [str(v) for v in value] if isinstance(value, list) else [str(value)]
        if isinstance(value, (dict, list)):
            return json.dumps(value, ensure_ascii=False)
        return str(value)

    import pyarrow as pa

    return pa.array([one(v) for v in values], type=_arrow_type(kind))


def _props_table(frame, fixed, columns):
    """An Arrow table: the ``fixed`` arrays, then one array per column in ``columns`` from the JSON props."""
    import pyarrow as pa

    from consultgraph.graph.consultation import parse_props

    props = parse_props(frame["props"])
    present = set().union(*props) if props else set()
    # COPY maps columns by position: endpoints first, then the table's columns in order
    arrays = {name: fixed[name] for name in ("from", "to") if name in fixed}
    for name, kind in columns:
        if name in fixed:
            arrays[name] = fixed[name]
        elif name in present:
            arrays[name] = _convert([p.get(name) for p in props], kind)
        else:
            arrays[name] = pa.nulls(len(frame), type=_arrow_type(kind))
    return pa.table(arrays)


def _strings(series):
    """A column (object or categorical) as an Arrow string array, nulls kept."""
    import pyarrow as pa

    values = series.astype(object)
    return pa.array(values.where(values.notna(), None), pa.string())


def build(graph, folder):
    """Create the database in ``folder`` and bulk-load ``graph``'s tables into it."""
    import ladybug
    import pandas as pd
    import pyarrow as pa

    nodes, edges = graph.nodes, graph.edges
    kind_of = pd.Series(nodes["kind"].astype(object).to_numpy(), index=nodes["id"].astype(object).to_numpy())
    kind_of = kind_of[~kind_of.index.duplicated()]
    source_kind = edges["source"].astype(object).map(kind_of)
    target_kind = edges["target"].astype(object).map(kind_of)
    if (source_kind.isna() | target_kind.isna()).any():
        missing = edges.loc[source_kind.isna() | target_kind.isna()].iloc[0]
        raise QueryError(f"{missing['kind']} relationship {missing['source']} -> {missing['target']} "
                         "points to a node missing from the graph")
    groups = edges.groupby([edges["kind"].astype(object), source_kind, target_kind], sort=True)
    extra = [key for key in groups.groups]
    database = ladybug.Database(str(Path(folder) / DATABASE_FILE)) if folder else ladybug.Database()
    connection = ladybug.Connection(database)
    for statement in ddl(extra):
        connection.execute(statement)
    for kind, frame in nodes.groupby(nodes["kind"].astype(object), sort=True):
        fixed = {"id": _strings(frame["id"]), "kind": _strings(frame["kind"]), "label": _strings(frame["label"])}
        connection.execute(f"COPY `{kind}` FROM $data", {"data": _props_table(frame, fixed, node_columns())})
    for (kind, source, target), frame in groups:
        stance = frame["stance"].astype(object)
        stance = stance.where(stance.notna(), None)
        weight = frame["weight"].astype(float)
        fixed = {"from": _strings(frame["source"]), "to": _strings(frame["target"]),
                 "key": pa.array(stance.fillna(""), pa.string()), "stance": pa.array(stance, pa.string()),
                 "weight": pa.array(weight, pa.float64(), from_pandas=True)}
        table = _props_table(frame, fixed, relationship_columns())
        connection.execute(f"COPY `{kind}` FROM $data (from='{source}', to='{target}')", {"data": table})
    connection.close()
    if folder:
        database.close()
        return None
    return database


# ---------------------------------------------------------------- reading

_STRINGS = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.DOTALL)
_WRITES = re.compile(r"(?<![.:$\w])(CREATE|MERGE|SET|DELETE|DETACH|REMOVE|DROP|ALTER)(?!\w)", re.IGNORECASE)
_OUTSIDE = re.compile(r"(?<![.:$\w])(LOAD|COPY|INSTALL|ATTACH|EXPORT|IMPORT|USE)(?!\w)", re.IGNORECASE)
_HINTS = (
    ("function TYPE does not exist", "use label(r) for a relationship's type"),
    ("Table Concept does not exist", "a node has one label here: match (c) and filter on c.kind"),
    ("function TOINTEGER does not exist", "use to_int64(x)"),
    ("function TOFLOAT does not exist", "use to_double(x)"),
    ("Order by NODE is not supported", "an alias in ORDER BY shadows a node variable: rename the alias"),
)


def check_read_only(text):
    """Refuse updates and statements that reach outside the graph, before the engine sees them.

    Examples
    --------
    >>> check_read_only("MATCH (n) WHERE n.note = 'CREATE' RETURN n.set AS x")
    >>> check_read_only("MATCH (n) DETACH DELETE n")
    Traceback (most recent call last):
    ...
    consultgraph.errors.QueryError: the embedded graph is read-only (DETACH): change the data with `consultgraph load`, or run updates on Neo4j with `cypher --neo4j --allow-update`
    """
    code = _STRINGS.sub(" ", text)
    write = _WRITES.search(code)
    if write:
        raise QueryError(
            f"the embedded graph is read-only ({write.group(1).upper()}): change the data with `consultgraph load`, "
            "or run updates on Neo4j with `cypher --neo4j --allow-update`"
        )
    outside = _OUTSIDE.search(code)
    if outside:
        raise QueryError(
            f"{outside.group(1).upper()} is refused by the embedded engine: it reads files, extensions or the network"
        )


_PARAMETER = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|\$([A-Za-z_][A-Za-z0-9_]*)")


def _rename_parameters(text, params):
    """``$group`` -> ``$p_group``: LadybugDB reserves some words (group, order, end, table) that Neo4j allows."""
    used = set()

    def rename(match):
        name = match.group(1)
        if name is None:
            return match.group(0)
        if name not in params:
            raise QueryError(f"Cypher parameter ${name} is not bound; pass --param {name}=...")
        used.add(name)
        return f"$p_{name}"

    text = _PARAMETER.sub(rename, text)
    return text, {f"p_{name}": params[name] for name in used}


def _plain(value):
    if isinstance(value, dict) and ("_ID" in value or "_LABEL" in value):
        return {k: v for k, v in value.items() if not k.startswith("_") and v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class CypherEngine:
    """A read-only connection to a LadybugDB database of one graph."""

    def __init__(self, database):
        import ladybug

        self.database = database
        self.connection = ladybug.Connection(database)

    def run(self, text, params=None):
        """Run Cypher with bound parameters; rows as dicts of plain Python values."""
        check_read_only(text)
        text, params = _rename_parameters(text, params or {})
        try:
            result = self.connection.execute(text, params)
        except RuntimeError as error:
            message = str(error).strip()
            hint = next((h for key, h in _HINTS if key in message), None)
            raise QueryError(
                f"Cypher failed on the embedded engine (LadybugDB): {message}" + (f" — {hint}" if hint else "")
            ) from None
        if isinstance(result, list):
            result = result[-1]
        names = result.get_column_names()
        return [dict(zip(names, (_plain(v) for v in row))) for row in result.get_all()]


def _open(folder):
    import ladybug

    return ladybug.Database(str(Path(folder) / DATABASE_FILE), read_only=True)


def engine(graph):
    """The :class:`CypherEngine` of ``graph`` (a Consultation or a project reference), built once per generation.

    The database is found in (or built into) the cache folder of :mod:`cache`; a graph
    that lives only in memory gets an in-memory database, kept on the graph object.
    """
    memo = getattr(graph, "__dict__", {}).get("_cypher_engine")
    if memo is not None:
        return memo
    folder = cache.location(graph, ENGINE, engine_version())
    if folder is None:
        result = CypherEngine(build(graph, None))
    else:
        if not (folder / DATABASE_FILE).exists():
            source = graph.load() if hasattr(graph, "load") else graph
            cache.build_atomically(folder, lambda scratch: build(source, scratch))
        result = CypherEngine(_open(folder))
    graph.__dict__["_cypher_engine"] = result
    return result
