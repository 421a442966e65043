"""The translator: checks loader records against the schema and makes canonical tables.

Every record from every loader passes through :func:`translate`. It resolves free-text
codes to concept ids, checks node and relationship kinds, endpoints, required
properties and allowed values, and refuses the whole batch at the first problem with an
:class:`~consultgraph.errors.InputError` naming file, line and field. The work is done
on whole columns, so 2 million codings take seconds, not minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from consultgraph.errors import InputError
from consultgraph.graph.concepts import Concept, ConceptIndex, builtin_concept_ids, slugify
from consultgraph.graph.model import load_schema, mentioned_kinds
from consultgraph.graph.props import props_json
from consultgraph.graph.records import Edge, EdgeTable, Node, NodeTable, Ref
from consultgraph.graph.codes import (
    categorical, constant, dense_numbers, distinct_rows, first_rows, from_codes, group_numbers, materialise,
    missing, put, take, union,
)
from consultgraph.graph.tables import EDGE_COLUMNS, NODE_COLUMNS, foreign_ends

_EDGE_BASE = {"source", "target", "kind", "stance", "weight", "line", "file"}
_NODE_BASE = {"id", "kind", "label", "line", "file"}
#: Edge columns the translator carries as pandas Categoricals. A load of millions of
#: codings repeats a few thousand respondents and codes, so lookups and checks run once
#: per distinct value and on integer codes, never on millions of Python strings.
_CODED_COLUMNS = ("source", "target", "kind", "stance", "file", "_kinds", "_field")


@dataclass
class Batch:
    """What one load adds: canonical node and edge tables (see :data:`NODE_COLUMNS`)."""

    nodes: pd.DataFrame
    edges: pd.DataFrame
    concepts: ConceptIndex

    def __len__(self):
        return len(self.nodes) + len(self.edges)


def empty_nodes():
    return pd.DataFrame({c: pd.Series(dtype=object) for c in NODE_COLUMNS})


def empty_edges():
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in EDGE_COLUMNS})
    frame["weight"] = frame["weight"].astype(float)
    return frame


def _where(frame, position):
    row = frame.iloc[position]
    line = row.get("line")
    line = None if line is None or (isinstance(line, float) and math.isnan(line)) else int(line)
    return {"file": row.get("file"), "line": line}


class _Collector:
    def __init__(self):
        self.node_rows, self.edge_rows = [], []
        self.node_frames, self.edge_frames = [], []

    def add(self, record):
        if isinstance(record, Node):
            self.node_rows.append(
                {"kind": record.kind, "id": record.id, "file": record.file, "line": record.line, **record.props}
            )
        elif isinstance(record, Edge):
            target, kinds, is_text = record.target, (), False
            if isinstance(target, Ref):
                target, kinds, is_text = target.text, target.kinds, True
            self.edge_rows.append(
                {
                    "kind": record.kind,
                    "source": record.source,
                    "target": target,
                    "_text": is_text,
                    "_kinds": ",".join(kinds),
                    "file": record.file,
                    "line": record.line,
                    **record.props,
                }
            )
        elif isinstance(record, NodeTable):
            frame = record.frame  # a loader hands its table over: no copy
            # Python objects: pandas would make a constant text an Arrow string column, read back one value at a time
            frame["kind"] = pd.Series(np.full(len(frame), record.kind, dtype=object), index=frame.index, dtype=object)
            frame["file"] = pd.Series(np.full(len(frame), record.file, dtype=object), index=frame.index, dtype=object)
            self.node_frames.append(frame)
        elif isinstance(record, EdgeTable):
            frame = record.frame
            # constant columns as one-category Categoricals: 2 million copies of "CODED" cost time
            frame["kind"] = constant(record.kind, len(frame))
            frame["file"] = constant(record.file, len(frame))
            frame["_text"] = np.full(len(frame), record.target_is_text)
            frame["_kinds"] = constant(",".join(record.target_kinds), len(frame))
            if record.create_missing:
                frame["_create"] = np.full(len(frame), True)
            self.edge_frames.append(frame)
        else:
            raise TypeError(f"a loader yielded {type(record).__name__}, not a record")

    def nodes(self):
        """All nodes in one frame (the collector lets go of its parts)."""
        frames, self.node_frames = self.node_frames, []
        if self.node_rows:
            frames.append(pd.DataFrame(self.node_rows))
            self.node_rows = []
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["id", "kind"])

    def edges(self):
        """All edges in one frame; the columns of :data:`_CODED_COLUMNS` are Categoricals.

        The collector lets go of its parts: only the joined frame stays alive.
        """
        frames, self.edge_frames = self.edge_frames, []
        if self.edge_rows:
            frames.append(pd.DataFrame(self.edge_rows))
            self.edge_rows = []
        if not frames:
            frames = [pd.DataFrame(columns=["source", "target", "kind"])]
        coded = {}
        for column in _CODED_COLUMNS:
            if any(column in frame for frame in frames):
                parts = [categorical(f[column]) if column in f else missing(len(f)) for f in frames]
                coded[column] = union(parts)
        edges = pd.concat([f.drop(columns=[c for c in coded if c in f]) for f in frames], ignore_index=True)
        frames.clear()
        for column, values in coded.items():
            edges[column] = values
        return edges


def _concepts_of(nodes, edges, schema, base):
    """The concept index of a load: the known concepts plus the batch's own."""
    index = ConceptIndex(list(base.concepts))
    concept_kinds = set(schema.concept_kinds)
    mask = nodes["kind"].isin(concept_kinds) if len(nodes) else []
    broader = {}
    if len(edges):
        sub = edges[edges["kind"] == "BROADER"]
        for source, target in zip(sub["source"], sub["target"]):
            broader.setdefault(source, []).append(target)
    for row in nodes[mask].to_dict("records") if len(nodes) else []:
        alt, hidden = (tuple(v) if isinstance(v, (list, tuple)) else () for v in (row.get("alt_labels"), row.get("hidden_labels")))
        definition = row.get("definition")
        index.add(
            Concept(
                id=row["id"],
                kind=row["kind"],
                label=str(row.get("label") or row["id"]),
                alt_labels=alt,
                definition=None if definition is None or definition != definition else str(definition),
                scheme=row.get("scheme") if isinstance(row.get("scheme"), str) else None,
                broader=tuple(broader.get(row["id"], ())),
                hidden_labels=hidden,
            )
        )
    return index


def _check_nodes(nodes, schema):
    if not len(nodes):
        return
    kinds = set(schema.node_kinds)
    bad = ~nodes["kind"].isin(kinds)
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"unknown node kind '{nodes['kind'].iloc[position]}'", field="kind", **_where(nodes, position))
    ids = nodes["id"]
    texts = ids.astype(str)
    missing = ids.isna() | (texts.str.strip() == "")
    if missing.any():
        position = int(np.flatnonzero(missing.to_numpy())[0])
        raise InputError("missing id", field="id", **_where(nodes, position))
    expected = nodes["kind"].map({k: v.prefix for k, v in schema.node_kinds.items()})
    # the part before the first '/' is the kind's prefix: the id starts with 'prefix/' or is the prefix
    bad = np.ones(len(nodes), dtype=bool)
    for prefix in pd.unique(expected.to_numpy(dtype=object)):
        rows = (expected == prefix).to_numpy()
        bad[rows] = ~(texts[rows].str.startswith(prefix + "/") | (texts[rows] == prefix)).to_numpy()
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"id '{ids.iloc[position]}' does not start with '{expected.iloc[position]}/'",
            field="id",
            **_where(nodes, position),
        )
    duplicated = ids.duplicated(keep=False)
    if duplicated.any():
        dups = nodes[duplicated]
        first = dups.iloc[0]
        others = dups[dups["id"] == first["id"]]
        lines = [int(x) for x in others["line"].dropna()] if "line" in others else []
        kind = schema.node_kinds[first["kind"]].label.lower()
        local = str(first["id"]).split("/", 1)[-1]
        raise InputError(
            f"duplicate {kind} id '{local}'" + (f" (also on line {lines[0]})" if len(lines) > 1 else ""),
            field="id",
            file=first.get("file"),
            line=lines[-1] if lines else None,
        )
    for kind, group in nodes.groupby("kind", sort=False):
        for key in schema.required.get(kind, ()):
            values = group[key] if key in group else pd.Series([None] * len(group), index=group.index)
            empty = values.isna() | (values.astype(str).str.strip() == "")
            if empty.any():
                position = nodes.index.get_loc(empty[empty].index[0])
                raise InputError(f"missing required field '{key}'", field=key, **_where(nodes, position))
    for key, allowed in schema.allowed.items():
        if key in nodes:
            values = nodes[key]
            bad = values.notna() & ~values.isin(allowed)
            if bad.any():
                position = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError(
                    f"'{values.iloc[position]}' is not a valid {key}",
                    field=key,
                    hint=f"use one of: {', '.join(allowed)}",
                    **_where(nodes, position),
                )
    props = set(nodes.columns) - _NODE_BASE - {"kind"}
    unknown = sorted(p for p in props if p not in schema.properties and not p.startswith("_"))
    if unknown:
        column = nodes[unknown[0]]
        position = int(np.flatnonzero(column.notna().to_numpy())[0]) if column.notna().any() else 0
        raise InputError(
            f"unknown property '{unknown[0]}'",
            field=unknown[0],
            hint=f"known properties: {', '.join(sorted(schema.properties))}",
            **_where(nodes, position),
        )


def _resolve_targets(edges, index, schema):
    """Replace free-text targets by concept ids, one lookup per distinct text and context.

    Returns the edges and the rows of the concept nodes made for names no concept has
    (where the edge table allows it: ``create_missing``).
    """
    created = []
    if "_text" not in edges or not edges["_text"].fillna(False).astype(bool).any():
        return edges, created
    may_create = edges["_create"].fillna(False).astype(bool).to_numpy() if "_create" in edges else None
    is_text = edges["_text"].fillna(False).astype(bool).to_numpy()
    concept_kinds = tuple(schema.concept_kinds)
    target = edges["target"].array
    # targets are rewritten as codes into a growing list of categories (texts, then concept ids)
    categories = list(target.categories)
    number_of = {value: number for number, value in enumerate(categories)}
    targets = target.codes.astype(np.int32)
    # the distinct (kind, target kinds) contexts, in order of appearance, from their codes
    kind_values, kinds_values = edges["kind"].array, edges["_kinds"].array
    pair = kind_values.codes[is_text].astype(np.int64) * (len(kinds_values.categories) + 1) + kinds_values.codes[is_text] + 1
    first_seen = np.full(int(pair.max(initial=0)) + 1, len(pair), dtype=np.int64)
    np.minimum.at(first_seen, pair, np.arange(len(pair)))
    present = np.flatnonzero(first_seen < len(pair))
    present = present[np.argsort(first_seen[present], kind="stable")]
    kinds_of = np.append(np.asarray(kinds_values.categories, dtype=object), None)
    contexts = [(kind_values.categories[p // (len(kinds_values.categories) + 1)],
                 kinds_of[p % (len(kinds_values.categories) + 1) - 1]) for p in present]
    for edge_kind, kinds in contexts:
        kinds = kinds if isinstance(kinds, str) else ""
        allowed = tuple(k for k in kinds.split(",") if k) or tuple(sorted(schema.edge_kind(edge_kind).range))
        if "Concept" in allowed:
            allowed = concept_kinds
        same_kinds = (edges["_kinds"] == kinds).to_numpy()
        if not kinds:
            same_kinds = same_kinds | edges["_kinds"].isna().to_numpy()
        mask = is_text & (edges["kind"] == edge_kind).to_numpy() & same_kinds
        positions = np.flatnonzero(mask)
        codes, uniques = pd.factorize(targets[positions])  # distinct texts in order of appearance
        resolved = np.full(len(uniques) + 1, -1, dtype=np.int32)  # a missing text stays missing
        # a code that names both, say, a theme and an audience means the theme
        prefer = mentioned_kinds() if set(allowed) > set(mentioned_kinds()) else None
        for number, code in enumerate(uniques):
            if code < 0:
                continue
            text = categories[code]
            try:
                concept = index.resolve(text, allowed, prefer=prefer)
            except InputError:
                position = positions[int(np.flatnonzero(codes == number)[0])]
                concept = _new_concept(text, allowed, index, schema) if may_create is not None and may_create[position] else None
                if concept is not None:
                    row = edges.iloc[position]
                    line = row.get("line")
                    created.append({"kind": allowed[0], "id": concept, "label": str(text).strip(), "file": row.get("file"),
                                    "line": None if line is None or line != line else int(line)})
                    number_of.setdefault(concept, len(categories))
                    if number_of[concept] == len(categories):
                        categories.append(concept)
                    resolved[number] = number_of[concept]
                    continue
                row = edges.iloc[position]
                line, field = row.get("line"), row.get("_field")
                index.resolve(  # raise again, now naming where
                    text,
                    allowed,
                    prefer=prefer,
                    file=row.get("file"),
                    line=None if line is None or line != line else int(line),
                    field=field if isinstance(field, str) else "code",
                )
            if concept not in number_of:
                number_of[concept] = len(categories)
                categories.append(concept)
            resolved[number] = number_of[concept]
        targets[positions] = resolved[codes]
    edges["target"] = from_codes(targets, categories)
    return edges, created


def _new_concept(text, allowed, index, schema):
    """The id of a new concept named ``text`` (of the one kind in ``allowed``), added to ``index``; None if ambiguous.

    A name that folds to the id of a concept the project or the batch defines (a codebook's
    ``farmer``) is that concept; one that clashes with a built-in concept of another name
    gets ``-own``.
    """
    if len(allowed) != 1 or index.candidates(str(text).strip(), allowed):
        return None  # several kinds possible, or several concepts of that name: the error says which
    kind = allowed[0]
    concept_id = f"{schema.node_kind(kind).prefix}/{slugify(text)}"
    if concept_id in index.by_id:
        if index.by_id[concept_id].kind == kind and concept_id not in builtin_concept_ids():
            return concept_id
        concept_id += "-own"
        if concept_id in index.by_id:
            return concept_id if index.by_id[concept_id].kind == kind else None
    index.add(Concept(id=concept_id, kind=kind, label=str(text).strip()))
    return concept_id


def _route_codings(edges, index, schema):
    """Loaders yield codings as ``CODED``: MENTIONS a theme/tactic/idea, PROPOSES a partner type/audience."""
    if not len(edges) or not (edges["kind"] == "CODED").any():
        return edges
    coded = (edges["kind"] == "CODED").to_numpy()
    proposal_kinds = schema.edge_kind("PROPOSES").range
    kinds = list(edges["kind"].array.categories)
    for name in ("PROPOSES", "MENTIONS"):
        if name not in kinds:
            kinds.append(name)
    target = edges["target"].array
    # one decision per distinct target; the last slot (code -1, a missing target) MENTIONS
    route = np.array(
        [kinds.index("PROPOSES") if t in index and index.by_id[t].kind in proposal_kinds else kinds.index("MENTIONS")
         for t in target.categories] + [kinds.index("MENTIONS")],
        dtype=np.int32,
    )
    kind_codes = edges["kind"].array.codes.astype(np.int32)
    kind_codes[coded] = route[target.codes[coded]]
    edges["kind"] = from_codes(kind_codes, kinds)
    if "stance" in edges:
        edges["stance"] = put(edges["stance"].array, coded & (kind_codes == kinds.index("PROPOSES")), None)
    return edges


def _kinds_of(values, known_kinds):
    """The kind of the node each category of ``values`` names, as codes into a list of kinds.

    Code -1 is an unknown node; a last extra slot stands for a missing endpoint (code -1).
    """
    codes, kinds = pd.factorize(np.array([known_kinds.get(node) for node in values.categories] + [None], dtype=object))
    return codes, list(kinds)


def _check_edges(edges, schema, known_kinds):
    """Kinds, endpoints, allowed values; ``known_kinds`` maps node id -> kind."""
    if not len(edges):
        return
    bad = ~edges["kind"].isin(schema.edge_kinds)
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"unknown relationship kind '{edges['kind'].iloc[position]}'", field="kind", **_where(edges, position)
        )
    concept_kinds = set(schema.concept_kinds)
    kind = edges["kind"].array
    ends = {end: (edges[end].array, _kinds_of(edges[end].array, known_kinds)) for end in ("source", "target")}
    for kind_code in pd.unique(kind.codes):  # relationship kinds in order of appearance
        edge_kind = schema.edge_kinds[kind.categories[kind_code]]
        rows = np.flatnonzero(kind.codes == kind_code)
        for end, allowed in (("source", edge_kind.domain), ("target", edge_kind.range)):
            allowed = set(allowed)
            if "Concept" in allowed:
                allowed = (allowed - {"Concept"}) | concept_kinds
            # decide once per kind of node, then per distinct endpoint; find a row only to report it
            values, (kind_codes, node_kinds) = ends[end]
            fits = np.array([k in allowed for k in node_kinds] + [False])[kind_codes]
            wrong = ~fits[values.codes[rows]]
            if not wrong.any():
                continue
            position = int(rows[np.flatnonzero(wrong)[0]])  # the first offending row
            code = values.codes[position]
            node = values.categories[code] if code >= 0 else None
            node_kind = node_kinds[kind_codes[code]] if kind_codes[code] >= 0 else None
            if node_kind is None:
                what = str(node).split("/", 1)
                noun = {"respondent": "respondent", "finding": "finding", "quote": "quote"}.get(what[0], "node")
                field = edges["_field"].iloc[position] if "_field" in edges and end == "target" else None
                if end == "source":
                    field = noun if noun != "node" else "source"
                raise InputError(
                    f"unknown {noun} '{what[-1]}'",
                    field=field if isinstance(field, str) else end,
                    **_where(edges, position),
                )
            raise InputError(
                f"{kind.categories[kind_code]} cannot {'start' if end == 'source' else 'end'} at a {node_kind} ('{node}')",
                field=end,
                hint=f"expected {' or '.join(sorted(allowed))}",
                **_where(edges, position),
            )
    if "stance" in edges:
        allowed = schema.allowed["stance"]
        stance = edges["stance"]
        bad = stance.notna() & ~stance.isin(allowed)
        if bad.any():
            position = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"'{stance.iloc[position]}' is not a stance",
                field="stance",
                hint=f"use one of: {', '.join(allowed)}",
                **_where(edges, position),
            )
    if "weight" in edges:
        weight = pd.to_numeric(edges["weight"], errors="coerce")
        bad = (edges["weight"].notna() & weight.isna()) | (weight < 0)
        if bad.any():
            position = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"weight '{edges['weight'].iloc[position]}' is not a number >= 0", field="weight", **_where(edges, position)
            )


def _canonical_edges(edges, schema):
    """Sum the weights of repeated codings and check functional relationships."""
    if not len(edges):
        return empty_edges()
    stance = edges["stance"].array if "stance" in edges else missing(len(edges))
    if "weight" not in edges:
        edges["weight"] = np.nan
    edges["weight"] = pd.to_numeric(edges["weight"], errors="coerce")
    with_stance = {k for k, v in schema.edge_kinds.items() if "stance" in v.properties}
    stance = put(stance, edges["kind"].isin(with_stance).to_numpy() & stance.isna(), "mention")
    edges["stance"] = stance
    weighted = {k for k, v in schema.edge_kinds.items() if "weight" in v.properties}
    needs_weight = edges["kind"].isin(weighted) & edges["weight"].isna()
    edges.loc[needs_weight, "weight"] = 1.0
    extra = [c for c in edges.columns if c not in _EDGE_BASE and not c.startswith("_")]
    edges["props"] = props_json(edges, extra, as_categorical=True)

    functional = {k for k, v in schema.edge_kinds.items() if v.functional}
    fn = edges[edges["kind"].isin(functional)]
    if len(fn):
        fn = fn.assign(**{c: materialise(fn[c].array) for c in ("source", "kind", "target")})
        clash = fn.groupby(["source", "kind"])["target"].nunique()
        clash = clash[clash > 1]
        if len(clash):
            source, kind = clash.index[0]
            rows = fn[(fn["source"] == source) & (fn["kind"] == kind)]
            position = edges.index.get_loc(rows.index[-1])
            raise InputError(
                f"'{source}' has {kind} '{rows['target'].iloc[0]}' and '{rows['target'].iloc[-1]}': only one is allowed",
                field="target",
                **_where(edges, position),
            )
    # repeated codings (same source, kind, target, stance; no stance = '') become one row
    stance_key = stance.codes.copy()
    stance_key[np.isin(stance_key, np.flatnonzero(stance.categories == ""))] = -1
    # codings by different coders (people, machine) of the same response stay apart
    coder_key = [categorical(edges["coder"].astype(object)).codes] if "coder" in edges else []
    # most loads repeat no coding: check that in one linear pass before numbering groups by hashing
    rest = dense_numbers(*(edges[c].array.codes for c in ("kind", "target")), stance_key, *coder_key)
    source = edges["source"].array
    firsts = np.arange(len(edges))
    weight, props = edges["weight"].to_numpy(), edges["props"].array
    width = int(rest.max(initial=0)) + 1
    if not distinct_rows(source.codes + 1, rest, width, len(source.categories) + 1).all():
        group = group_numbers(source.codes, rest)
        firsts = first_rows(group)
        grouped = pd.DataFrame({"weight": weight, "props": props.codes}).groupby(group, sort=True)
        weight = grouped["weight"].sum(min_count=1).to_numpy()
        props = from_codes(grouped["props"].last().to_numpy().astype(np.int32), props.categories)
    # text columns stay categorical (one Python string per distinct value, never per row)
    columns = {c: pd.Series(take(edges[c].array, firsts)) for c in ("source", "target", "kind", "stance")}
    columns["weight"] = pd.Series(weight, dtype=float)
    columns["props"] = pd.Series(take(props, np.arange(len(props))))
    return pd.DataFrame(columns, copy=False)[EDGE_COLUMNS]


def translate(records, *, concepts=None, existing=None):
    """Check ``records`` against the schema and return a :class:`Batch`.

    Parameters
    ----------
    records : iterable
        :class:`~consultgraph.graph.records.Node`, ``Edge``, ``NodeTable`` and ``EdgeTable``
        records, as loaders yield them.
    concepts : ConceptIndex, optional
        The concepts already known (schema and project); the batch may add its own.
    existing : mapping or callable, optional
        ``node id -> kind`` of nodes already in the project, which edges may point to; or
        a function that returns that mapping for a set of ids (only the endpoints the
        batch lacks are asked for, e.g. :meth:`Consultation.node_kinds`).

    Returns
    -------
    Batch
        Canonical ``nodes`` and ``edges`` tables and the concept index including the
        batch's concepts. Raises :class:`~consultgraph.errors.InputError` instead of
        returning a partial batch.

    Examples
    --------
    >>> from consultgraph.graph.records import Node, Edge, Ref
    >>> from consultgraph.graph.store import schema_concepts
    >>> batch = translate([
    ...     Node("Respondent", "respondent/r1", {"label": "R1"}),
    ...     Edge("MEMBER_OF", "respondent/r1", Ref("partners")),
    ...     Edge("MENTIONS", "respondent/r1", Ref("HRE"), {"stance": "lead"}),
    ... ], concepts=schema_concepts())
    >>> sorted(batch.edges["target"])
    ['group/partner', 'tactic/capacity-building']
    """
    schema = load_schema()
    concepts = concepts if concepts is not None else ConceptIndex()
    collector = _Collector()
    for record in records:
        collector.add(record)
    record = None  # noqa: F841  (the last record, often the biggest table, is not kept alive)
    # the collector hands its tables over: the loaders' frames are freed as they are joined
    nodes = collector.nodes().reset_index(drop=True)
    edges = collector.edges().reset_index(drop=True)
    del collector
    _check_nodes(nodes, schema)
    index = _concepts_of(nodes, edges, schema, concepts)
    edges, created = _resolve_targets(edges, index, schema)
    if created:  # a free-text table's own groups and regions
        nodes = pd.concat([nodes, pd.DataFrame(created)], ignore_index=True)
    edges = _route_codings(edges, index, schema)

    if callable(existing):  # ask only for the endpoints the batch does not define itself
        existing = existing(foreign_ends(nodes, edges))
    known = dict(existing or {})
    for concept in index.concepts:
        known.setdefault(concept.id, concept.kind)
    if len(nodes):
        known.update(zip(nodes["id"], nodes["kind"]))
    _check_edges(edges, schema, known)

    if len(nodes):
        if "label" not in nodes:
            nodes["label"] = None
        nodes["label"] = nodes["label"].where(nodes["label"].notna(), nodes["id"].str.split("/", n=1).str[-1])
        extra = [c for c in nodes.columns if c not in _NODE_BASE and not c.startswith("_")]
        nodes["props"] = props_json(nodes, extra)
        nodes = nodes[NODE_COLUMNS].reset_index(drop=True)
    else:
        nodes = empty_nodes()
    return Batch(nodes=nodes, edges=_canonical_edges(edges, schema), concepts=index)
