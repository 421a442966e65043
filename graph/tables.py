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

    from consultgraph.graph.codes import union

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
        single = len(cats) == 1 and cats[0].categories.dtype == object
        out[column] = pd.Series(cats[0] if single else union(cats))
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
    # only concepts' ids are looked up below: find those among the nodes (no Python string per node)
    present = set(nodes.loc[nodes["id"].isin(list(index.by_id)), "id"])
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

    # object Indexes throughout (an Index built from texts would hold Arrow strings, slow to look up in)
    values = [np.asarray(parts[0].categories, dtype=object)]
    categories = pd.Index(values[0], dtype=object)
    for part in parts[1:]:
        own = np.asarray(part.categories, dtype=object)
        extra = own[categories.get_indexer(own) < 0]
        if len(extra):
            values.append(extra)
            categories = pd.Index(np.concatenate(values), dtype=object)
    small = np.int16 if len(categories) < 2**15 else np.int32  # kinds, concepts and stances are few
    lookups = [np.append(categories.get_indexer(np.asarray(p.categories, dtype=object)), -1).astype(small) for p in parts]
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


def _edge_keys(columns, functional_kinds, lookups=None):
    """One int64 key per edge from its key columns' codes (``-1`` missing), and a mask of
    rows whose key cannot occur among the batch's (a value the batch does not have).

    ``columns`` maps source, kind, target, stance to codes; ``lookups`` (for a stored row
    group) recodes them into the batch's categories first (``-1`` there: not in the batch).
    The key is built in place: a batch of 20 million edges holds one int64 per edge, not
    one per column.
    """
    import numpy as np

    rows = len(columns["kind"][0])
    key = np.zeros(rows, dtype=np.int64)
    absent = np.zeros(rows, dtype=bool) if lookups is not None else None
    is_functional = np.append(functional_kinds, False)
    for name in ("source", "kind", "target", "stance", "coder"):
        codes, size = columns[name]
        if lookups is not None and name in lookups:
            recoded = np.append(lookups[name], -1)[codes]
            lacking = (codes >= 0) & (recoded < 0)
            codes = recoded
        else:
            lacking = None
        if name == "kind":
            fn = is_functional[codes]
        if name in ("target", "stance"):  # a functional relationship is keyed by source and kind alone
            codes = np.where(fn, -1, codes)
            if lacking is not None:
                lacking &= ~fn
        if lacking is not None:
            absent |= lacking
        key *= size
        key += codes
        key += 1
        del codes, lacking
    return key, absent


def _key_sizes(new, coders):
    import math

    sizes = {c: len(new[c].array.categories) + 1 for c in ("source", "kind", "target", "stance")}
    sizes["coder"] = len(coders) + 1
    return sizes, math.prod(sizes.values()) < 2**62


def _dictionary_codes(column):
    """A stored column (dictionary or plain text) as ``(codes, dictionary)``; missing is code -1."""
    import pyarrow as pa

    column = column.combine_chunks() if hasattr(column, "combine_chunks") else column
    if not pa.types.is_dictionary(column.type):
        column = column.dictionary_encode()
    return column.indices.fill_null(-1).to_numpy(zero_copy_only=False), column.dictionary


def upsert_stored_edges(path, new, functional):
    """The edges of the stored Parquet table at ``path`` with ``new`` ones upserted, as
    :func:`upsert_edges` would give them, without reading the stored table whole.

    The batch's keys (:func:`kept_rows`' keys as one integer each) are sorted once; the
    stored keys are read a row group at a time, recoded into the batch's categories in
    Arrow and looked up in them; only the stored rows that survive are then read. A
    stored table holds no repeated key (every write upserts), so each of its rows
    survives exactly when the batch lacks its key. Returns None when the keys do not fit
    one integer (the caller then upserts in memory).
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from consultgraph.graph.coders import coder_of
    from consultgraph.graph.store import canonical_pandas, release_arrow_memory

    names = np.append(coder_of(new["props"].array.categories).to_numpy(dtype=object), "")
    coders = pd.Index(names).unique()
    sizes, fits = _key_sizes(new, coders)
    if not fits:
        return None
    kinds = new["kind"].array.categories
    functional_kinds = np.isin(np.asarray(kinds, dtype=object), list(functional))

    def batch_keys():
        columns = {c: (new[c].array.codes, sizes[c]) for c in ("source", "kind", "target", "stance")}
        coder = coders.get_indexer(names).astype(np.int16 if len(coders) < 2**15 else np.int32)
        columns["coder"] = (coder[new["props"].array.codes], sizes["coder"])
        return _edge_keys(columns, functional_kinds)[0]

    # the batch's keys sorted in place answer the lookups; a batch keeps the last row of each
    # key (as kept_rows does), and only a batch that repeats a key needs the rows' order
    key = batch_keys()
    key.sort()
    if len(key) > 1 and (key[1:] == key[:-1]).any():
        order = np.argsort(batch_keys(), kind="stable")
        last = np.append(key[1:] != key[:-1], True)
        kept_new = np.zeros(len(key), dtype=bool)
        kept_new[order[last]] = True
        del order, last
    else:
        kept_new = None
    # the batch's categories, hashed once: each row group's (small) dictionary is looked up in
    # them. A copy of each: the hash table pandas caches on an Index would otherwise live on
    # with the batch's categories, one Python string per respondent, as long as the graph
    values = {c: pd.Index(np.asarray(new[c].array.categories, dtype=object), dtype=object) for c in ("source", "kind", "target", "stance")}

    parquet = pq.ParquetFile(path)
    survivors = {}
    for group in range(parquet.metadata.num_row_groups):
        stored = parquet.read_row_group(group, columns=KEY_COLUMNS, use_threads=False)
        columns, lookups = {}, {}
        for name in ("source", "kind", "target", "stance"):
            codes, dictionary = _dictionary_codes(stored.column(name))
            columns[name] = (codes, sizes[name])
            lookups[name] = values[name].get_indexer(dictionary.to_numpy(zero_copy_only=False))
        codes, dictionary = _dictionary_codes(stored.column("props"))
        stored_names = np.append(coder_of(dictionary.to_numpy(zero_copy_only=False)).to_numpy(dtype=object), "")
        coder = coders.get_indexer(stored_names)[codes]  # missing props: no coder, as in the batch
        columns["coder"] = (coder, sizes["coder"])
        group_key, absent = _edge_keys(columns, functional_kinds, lookups)
        absent |= coder < 0
        place = np.searchsorted(key, group_key).clip(max=len(key) - 1) if len(key) else np.zeros(len(group_key), dtype=np.int64)
        kept = absent | (key[place] != group_key) if len(key) else np.ones(len(group_key), dtype=bool)
        if kept.any():
            survivors[group] = np.flatnonzero(kept)
    del key
    new = new if kept_new is None else new[kept_new]
    if not survivors:
        release_arrow_memory()
        return new.reset_index(drop=True)
    old = [canonical_pandas(parquet.read_row_group(group).take(pa.array(rows)), "edges") for group, rows in survivors.items()]
    release_arrow_memory()
    return concat_tables([*old, new], EDGE_COLUMNS).reset_index(drop=True)


def foreign_ends(nodes, edges):
    """The endpoint ids of ``edges`` that are not among ``nodes`` (compared in Arrow: a batch
    of a million respondents makes no Python string per id)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(edges):
        return set()
    own = pa.array(nodes["id"] if len(nodes) else [], from_pandas=True).cast(pa.string())
    asked = set()
    for end in ("source", "target"):
        ends = pa.array(np.asarray(edges[end].array.categories, dtype=object), pa.string())
        asked.update(ends.filter(pc.invert(pc.is_in(ends, value_set=own))).to_pylist())
    return asked
