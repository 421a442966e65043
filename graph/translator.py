"""The translator: checks loader records against the schema and makes canonical tables.

Every record from every loader passes through :func:`translate`. It resolves free-text
codes to concept ids, checks node and relationship kinds, endpoints, required
properties and allowed values, and refuses the whole batch at the first problem with an
:class:`~consultgraph.errors.InputError` naming file, line and field. The work is done
on whole columns, so 2 million codings take seconds, not minutes.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from consultgraph.errors import InputError
from consultgraph.graph.concepts import Concept, ConceptIndex
from consultgraph.graph.model import load_schema
from consultgraph.graph.records import Edge, EdgeTable, Node, NodeTable, Ref

NODE_COLUMNS = ["id", "kind", "label", "props"]
EDGE_COLUMNS = ["source", "target", "kind", "stance", "weight", "props"]
_EDGE_BASE = {"source", "target", "kind", "stance", "weight", "line", "file"}
_NODE_BASE = {"id", "kind", "label", "line", "file"}
#: A code that names both, say, a theme and an audience means the theme.
PREFERRED_CODE_KINDS = ("Theme", "Tactic", "Approach", "Idea")


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


def _clean(value):
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return int(value) if value.is_integer() else value
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def props_json(frame, columns):
    """One JSON object per row from ``columns``, dropping empty values; '{}' when none."""
    if not columns:
        return pd.Series(["{}"] * len(frame), index=frame.index, dtype=object)
    out = []
    for row in frame[columns].itertuples(index=False, name=None):
        obj = {k: _clean(v) for k, v in zip(columns, row)}
        obj = {k: v for k, v in obj.items() if v is not None and v != ""}
        out.append(json.dumps(obj, ensure_ascii=False, sort_keys=True) if obj else "{}")
    return pd.Series(out, index=frame.index, dtype=object)


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
            frame["kind"] = record.kind
            frame["file"] = record.file
            self.node_frames.append(frame)
        elif isinstance(record, EdgeTable):
            frame = record.frame
            frame["kind"] = record.kind
            frame["file"] = record.file
            frame["_text"] = record.target_is_text
            frame["_kinds"] = ",".join(record.target_kinds)
            self.edge_frames.append(frame)
        else:
            raise TypeError(f"a loader yielded {type(record).__name__}, not a record")

    def nodes(self):
        frames = list(self.node_frames)
        if self.node_rows:
            frames.append(pd.DataFrame(self.node_rows))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["id", "kind"])

    def edges(self):
        frames = list(self.edge_frames)
        if self.edge_rows:
            frames.append(pd.DataFrame(self.edge_rows))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["source", "target", "kind"])


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
        alt = row.get("alt_labels")
        alt = tuple(alt) if isinstance(alt, (list, tuple)) else ()
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
    missing = ids.isna() | (ids.astype(str).str.strip() == "")
    if missing.any():
        position = int(np.flatnonzero(missing.to_numpy())[0])
        raise InputError("missing id", field="id", **_where(nodes, position))
    prefixes = ids.astype(str).str.split("/", n=1).str[0]
    expected = nodes["kind"].map({k: v.prefix for k, v in schema.node_kinds.items()})
    bad = prefixes != expected
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
    """Replace free-text targets by concept ids, one lookup per distinct text and context."""
    if "_text" not in edges or not edges["_text"].fillna(False).astype(bool).any():
        return edges
    is_text = edges["_text"].fillna(False).astype(bool).to_numpy()
    concept_kinds = tuple(schema.concept_kinds)
    targets = edges["target"].to_numpy(dtype=object, copy=True)
    contexts = edges.loc[is_text, ["kind", "_kinds"]].drop_duplicates()
    for edge_kind, kinds in contexts.itertuples(index=False, name=None):
        kinds = kinds if isinstance(kinds, str) else ""
        allowed = tuple(k for k in kinds.split(",") if k) or tuple(sorted(schema.edge_kind(edge_kind).range))
        if "Concept" in allowed:
            allowed = concept_kinds
        mask = is_text & (edges["kind"] == edge_kind).to_numpy() & (edges["_kinds"].fillna("") == kinds).to_numpy()
        positions = np.flatnonzero(mask)
        codes, uniques = pd.factorize(targets[positions])
        resolved = []
        prefer = PREFERRED_CODE_KINDS if set(allowed) > set(PREFERRED_CODE_KINDS) else None
        for number, text in enumerate(uniques):
            try:
                resolved.append(index.resolve(text, allowed, prefer=prefer))
            except InputError:
                position = positions[int(np.flatnonzero(codes == number)[0])]
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
        targets[positions] = np.asarray(resolved, dtype=object)[codes]
    edges["target"] = targets
    return edges


def _route_codings(edges, index, schema):
    """Loaders yield codings as ``CODED``: MENTIONS a theme/tactic/idea, PROPOSES a partner type/audience."""
    if not len(edges) or not (edges["kind"] == "CODED").any():
        return edges
    edges = edges.copy()
    coded = edges["kind"] == "CODED"
    codes, uniques = pd.factorize(edges.loc[coded, "target"])
    proposal_kinds = schema.edge_kind("PROPOSES").range
    routed = np.array(["PROPOSES" if t in index and index.by_id[t].kind in proposal_kinds else "MENTIONS" for t in uniques],
                      dtype=object)
    edges.loc[coded, "kind"] = routed[codes]
    if "stance" in edges:
        edges.loc[coded & (edges["kind"] == "PROPOSES"), "stance"] = None
    return edges


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
    for kind, group in edges.groupby("kind", sort=False):
        edge_kind = schema.edge_kinds[kind]
        for end, allowed in (("source", edge_kind.domain), ("target", edge_kind.range)):
            allowed = set(allowed)
            if "Concept" in allowed:
                allowed = (allowed - {"Concept"}) | concept_kinds
            # check each distinct endpoint once; find a row only to report a problem
            for node in group[end].unique():
                node_kind = known_kinds.get(node)
                if node_kind in allowed:
                    continue
                position = edges.index.get_loc(group.index[(group[end] == node).to_numpy()][0])
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
                    f"{kind} cannot {'start' if end == 'source' else 'end'} at a {node_kind} ('{node}')",
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
    if "stance" not in edges:
        edges["stance"] = None
    if "weight" not in edges:
        edges["weight"] = np.nan
    edges["weight"] = pd.to_numeric(edges["weight"], errors="coerce")
    with_stance = {k for k, v in schema.edge_kinds.items() if "stance" in v.properties}
    needs_default = edges["kind"].isin(with_stance) & edges["stance"].isna()
    edges.loc[needs_default, "stance"] = "mention"
    weighted = {k for k, v in schema.edge_kinds.items() if "weight" in v.properties}
    needs_weight = edges["kind"].isin(weighted) & edges["weight"].isna()
    edges.loc[needs_weight, "weight"] = 1.0
    extra = [c for c in edges.columns if c not in _EDGE_BASE and not c.startswith("_")]
    edges["props"] = props_json(edges, extra)
    edges["stance"] = edges["stance"].astype(object).where(edges["stance"].notna(), None)

    functional = {k for k, v in schema.edge_kinds.items() if v.functional}
    fn = edges[edges["kind"].isin(functional)]
    if len(fn):
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
    keys = ["source", "kind", "target", "stance"]
    key_frame = edges[keys].fillna({"stance": ""})
    if key_frame.duplicated().any():
        edges = edges.assign(_stance=key_frame["stance"])
        grouped = edges.groupby(["source", "kind", "target", "_stance"], sort=False, dropna=False)
        edges = grouped.agg({"stance": "first", "weight": lambda w: w.sum(min_count=1), "props": "last"}).reset_index()
    return edges[EDGE_COLUMNS].reset_index(drop=True)


def translate(records, *, concepts=None, existing=None):
    """Check ``records`` against the schema and return a :class:`Batch`.

    Parameters
    ----------
    records : iterable
        :class:`~consultgraph.graph.records.Node`, ``Edge``, ``NodeTable`` and ``EdgeTable``
        records, as loaders yield them.
    concepts : ConceptIndex, optional
        The concepts already known (schema and project); the batch may add its own.
    existing : mapping, optional
        ``node id -> kind`` of nodes already in the project, which edges may point to.

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
    nodes = collector.nodes().reset_index(drop=True)
    edges = collector.edges().reset_index(drop=True)
    _check_nodes(nodes, schema)
    index = _concepts_of(nodes, edges, schema, concepts)
    edges = _resolve_targets(edges, index, schema)
    edges = _route_codings(edges, index, schema)

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
