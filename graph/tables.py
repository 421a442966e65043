"""The node and edge tables: their columns, concatenation that keeps text columns
categorical, and the concept nodes a set of edges needs (:func:`with_concepts`).
"""

from __future__ import annotations

import json

NODE_COLUMNS = ["id", "kind", "label", "props"]
EDGE_COLUMNS = ["source", "target", "kind", "stance", "weight", "props"]


def parse_props(series):
    """Parse a column of JSON property texts into a list of dicts."""
    return [json.loads(text) if isinstance(text, str) and text not in ("", "{}") else {} for text in series]


def value_counts(values):
    """``value -> count`` of a column, values present only (a categorical's unused categories left out)."""
    counts = values.value_counts(dropna=True)
    return {str(k): int(v) for k, v in counts.items() if v}


def concat_tables(frames, columns):
    """Node or edge tables one after another; text columns come out as categoricals.

    ``pd.concat`` would turn categoricals with different categories into one Python
    object per row; here the categories are united and only integer codes are copied.
    """
    import numpy as np
    import pandas as pd
    from pandas.api.types import union_categoricals

    frames = [f for f in frames if len(f)] or frames[:1]
    categorical = ("kind",) if list(columns) == NODE_COLUMNS else ("source", "target", "kind", "stance", "props")
    out = {}
    for column in columns:
        parts = [f[column] for f in frames]
        if column == "weight":
            out[column] = pd.Series(np.concatenate([p.to_numpy(dtype=float) for p in parts]))
            continue
        if column not in categorical:
            out[column] = pd.Series(np.concatenate([p.to_numpy(dtype=object) for p in parts]), dtype=object)
            continue
        cats = [p.array if isinstance(p.dtype, pd.CategoricalDtype) else as_categorical(p) for p in parts]
        cats = [pd.Categorical.from_codes(c.codes, categories=pd.Index(list(c.categories), dtype=object))
                if c.categories.dtype != object else c for c in cats]
        out[column] = pd.Series(union_categoricals(cats) if len(cats) > 1 else cats[0])
    return pd.DataFrame(out, copy=False)[list(columns)]


def as_objects(values):
    """A categorical as an object array sharing one Python string per category; None where missing."""
    import numpy as np

    return np.append(np.asarray(values.categories, dtype=object), None)[values.codes]


def as_categorical(series):
    import pandas as pd

    codes, uniques = pd.factorize(series.to_numpy(dtype=object))
    return pd.Categorical.from_codes(codes, categories=pd.Index(list(uniques), dtype=object))


def with_concepts(nodes, edges, index, schema):
    """Add nodes (and BROADER edges) for concepts the edges use but the tables lack."""
    import pandas as pd

    concept_kinds = set(schema.concept_kinds)
    present = set(nodes["id"])
    referenced = set(distinct(edges["target"])) | set(distinct(edges["source"]))
    wanted = {c for c in referenced if c in index and c not in present}
    queue = list(wanted)
    while queue:
        concept = index.by_id[queue.pop()]
        for parent in concept.broader:
            if parent in index and parent not in present and parent not in wanted:
                wanted.add(parent)
                queue.append(parent)
    if not wanted:
        return nodes, edges
    rows, broader = [], []
    for concept_id in sorted(wanted):
        concept = index.by_id[concept_id]
        if concept.kind not in concept_kinds:
            continue
        props = concept.props()
        rows.append(
            {
                "id": concept.id,
                "kind": concept.kind,
                "label": concept.label,
                "props": json.dumps(props, ensure_ascii=False, sort_keys=True) if props else "{}",
            }
        )
        for parent in concept.broader:
            broader.append(
                {"source": concept.id, "target": parent, "kind": "BROADER", "stance": None, "weight": float("nan"), "props": "{}"}
            )
    nodes = concat_tables([nodes, pd.DataFrame(rows, columns=NODE_COLUMNS)], NODE_COLUMNS)
    if broader:
        new = pd.DataFrame(broader, columns=EDGE_COLUMNS)
        old = edges[edges["kind"] == "BROADER"]
        existing = set(zip(old["source"], old["target"], old["kind"]))
        new = new[[(s, t, k) not in existing for s, t, k in zip(new["source"], new["target"], new["kind"])]]
        edges = concat_tables([edges, new], EDGE_COLUMNS) if len(edges) else new
    return nodes, edges


def distinct(values):
    """The distinct values of a column; for a categorical, the categories it uses."""
    import numpy as np

    array = values.array
    if hasattr(array, "codes"):
        codes = array.codes
        # the categories some row uses: a count per code, not a sort of every row
        return array.categories[np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(array.categories)))]
    return values.dropna().unique()


def _recoded(parts):
    """Codes of categorical ``parts`` into their united categories (no rows concatenated), and those categories."""
    import numpy as np
    import pandas as pd

    categories = pd.Index(np.asarray(parts[0].categories, dtype=object), dtype=object)
    for part in parts[1:]:
        extra = part.categories[~pd.Index(part.categories).isin(categories)]
        if len(extra):
            categories = categories.append(pd.Index(np.asarray(extra, dtype=object), dtype=object))
    small = np.int16 if len(categories) < 2**15 else np.int32  # kinds, concepts and stances are few
    lookups = [np.append(categories.get_indexer(p.categories), -1).astype(small) for p in parts]
    return [lookup[p.codes] for lookup, p in zip(lookups, parts)], categories


#: The columns that make an edge's key (the coder is read from ``props``).
KEY_COLUMNS = ["source", "kind", "target", "stance", "props"]


def kept_rows(old, new, functional):
    """Which rows survive when ``new`` edges are upserted into ``old``: ``(old mask, new mask)``.

    A new edge replaces an old one with the same key (source, kind, target, stance,
    coder); a functional relationship (one target per source) is keyed by (source, kind).
    Only :data:`KEY_COLUMNS` are read, and keys are compared on integer codes.
    """
    import numpy as np
    import pandas as pd

    from consultgraph.graph.codes import dense_numbers, distinct_rows
    from consultgraph.graph.coders import coder_of

    codes, kinds = {}, None
    for column in ("source", "kind", "target", "stance"):
        parts, categories = _recoded([old[column].array, new[column].array])
        codes[column] = np.concatenate(parts)
        if column == "kind":
            kinds = categories
    is_functional = np.append(np.isin(np.asarray(kinds, dtype=object), list(functional)), False)[codes["kind"]]
    codes["target"][is_functional] = -1
    codes["stance"][is_functional] = -1
    # codings by different coders (people, a machine) are different edges: coder names per
    # distinct property text, spread by code
    names = [np.append(coder_of(part["props"].array.categories).to_numpy(dtype=object), "") for part in (old, new)]
    coders = pd.Index(np.concatenate(names)).unique()
    coder = np.concatenate([coders.get_indexer(n).astype(np.int16 if len(coders) < 2**15 else np.int32)[part["props"].array.codes]
                            for n, part in zip(names, (old, new))])
    rest = dense_numbers(codes["kind"], codes["target"], codes["stance"], coder)
    del is_functional, coder
    source = codes.pop("source")
    del codes
    keep = distinct_rows(source + 1, rest, int(rest.max(initial=0)) + 1, int(source.max(initial=-1)) + 2)
    return keep[:len(old)], keep[len(old):]


def upsert_edges(old, new, functional, *, old_keys=None):
    """``old`` edges with ``new`` ones upserted (which rows survive: :func:`kept_rows`).

    ``old`` may be a callable that returns the old table, with ``old_keys`` (its
    :data:`KEY_COLUMNS`) given: it is called only when some old edge survives, so
    upserting a batch that is already there never reads the old table whole.
    """
    kept_old, kept_new = kept_rows(old if old_keys is None else old_keys, new, functional)
    new = new if kept_new.all() else new[kept_new]  # a batch keeps all its rows unless it repeats itself
    if not kept_old.any():  # the batch replaces every old edge (loading the same file again)
        return new.reset_index(drop=True)
    old = old() if callable(old) else old
    return concat_tables([old[kept_old], new], EDGE_COLUMNS).reset_index(drop=True)
