"""Share counts on integer codes: respondents per group, concept and stance, rolled up.

What the shares table needs from respondent codings (:func:`share_counts`), counted on
the integer codes of dictionary columns: respondent, concept and stance texts are
looked up once per distinct value, never once per coding. A project stores the counts
of its default view (no region, the ``auto`` coder choice) with each generation, so
compare, stances and consensus read a few thousand rows instead of millions of codings.
"""

from __future__ import annotations

import numpy as np

from consultgraph.graph.codings import CODING_KINDS

RAISED = "raised"
_MENTION = "mention"
#: The code of a value not found, as int32 (a Python -1 appended to an int32 lookup makes it int64).
_MISSING = np.int32(-1)


def _strings(values):
    """``values`` (a sequence of texts) as an Arrow string array."""
    import pyarrow as pa

    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values.cast(pa.string())
    return pa.array(np.asarray(values, dtype=object), pa.string(), from_pandas=True)


def _lookup(texts, universe):
    """Position of each of ``texts`` in ``universe`` (both Arrow strings); -1 where absent or missing."""
    import pyarrow.compute as pc

    return pc.index_in(texts, value_set=universe).fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)


def _codes(column, universe):
    """Positions in ``universe`` of every value of ``column``: one lookup per distinct value.

    ``column`` is a pandas Categorical, an Arrow (chunked) dictionary array or plain texts.
    """
    import pandas as pd
    import pyarrow as pa

    if isinstance(column, pd.Series):
        column = column.array
    if isinstance(column, pd.Categorical):
        lookup = np.append(_lookup(_strings(column.categories.to_numpy(dtype=object)), universe), _MISSING)
        return lookup[column.codes]
    if isinstance(column, pa.ChunkedArray):
        if pa.types.is_dictionary(column.type) and column.num_chunks > 1:
            # one dictionary for every chunk (a row group each): the lookup runs once
            column = pa.table({"values": column}).unify_dictionaries().column("values")
            dictionary = column.chunk(0).dictionary
            lookup = np.append(_lookup(_strings(dictionary), universe), _MISSING)
            return np.concatenate([lookup[c.indices.fill_null(len(dictionary)).to_numpy(zero_copy_only=False)]
                                   for c in column.chunks])
        parts = [_codes(chunk, universe) for chunk in column.chunks]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    if isinstance(column, pa.Array) and not pa.types.is_dictionary(column.type):
        column = column.dictionary_encode()
    if isinstance(column, pa.Array):
        dictionary = column.dictionary
        lookup = np.append(_lookup(_strings(dictionary), universe), _MISSING)
        return lookup[column.indices.fill_null(len(dictionary)).to_numpy(zero_copy_only=False)]
    codes, uniques = pd.factorize(np.asarray(column, dtype=object))
    return np.append(_lookup(_strings(uniques), universe), _MISSING)[codes]


def _people(graph):
    """The respondents as Arrow: ``id``, ``group``, ``region`` (texts; missing where unknown)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = graph.parquet_path("respondents")
    if path is not None:
        names = pq.read_schema(path).names
        table = pq.read_table(path, columns=[c for c in ("id", "group", "region") if c in names])
        return {c: (table.column(c) if c in names else pa.nulls(table.num_rows, pa.string())) for c in ("id", "group", "region")}
    people = graph.respondents()
    return {c: _strings(people[c] if c in people else [None] * len(people)) for c in ("id", "group", "region")}


def _simple(graph):
    """True when every coding is a respondent's own, by people: the stored edges are the codings."""
    summary = graph.summary()
    return not (summary.get("coders") or "WROTE" in summary["edges_by_kind"])


def _coding_columns(graph, coder):
    """``[(respondent, concept, stance)]`` column triples of the codings ``coder`` picks."""
    if coder is None or (coder == "auto" and _simple(graph)):
        if graph.parquet_path("edges") is not None:  # a stored graph: read three columns of two kinds
            table = graph.project.read_arrow("edges", kinds=CODING_KINDS, columns=["source", "target", "stance"],
                                             manifest=graph.manifest)
            return [(table.column("source"), table.column("target"), table.column("stance"))]
        edges = graph.edges  # in memory: the three columns of the codings, not a copy of the codings
        is_coding = edges["kind"].isin(CODING_KINDS).to_numpy()
        return [tuple(edges[column][is_coding] for column in ("source", "target", "stance"))]
    chosen = graph.codings(coder)
    return [(chosen["respondent"], chosen["concept"], chosen["stance"])]


def _stance_codes(column, stances):
    """Codes into ``stances`` (grown as new stances appear); a missing stance is ``mention``."""
    import pandas as pd
    import pyarrow as pa

    if isinstance(column, pd.Series):
        column = column.array
    if isinstance(column, pd.Categorical):
        values = [str(v) for v in column.categories]
    else:
        if isinstance(column, pa.ChunkedArray):
            values = [str(v) for chunk in column.chunks for v in
                      (chunk.dictionary if pa.types.is_dictionary(chunk.type) else chunk.unique()).to_pylist()
                      if v is not None]
        else:
            values = [str(v) for v in pd.unique(np.asarray(column, dtype=object)) if v is not None and v == v]
    for value in values:
        if value not in stances:
            stances.append(value)
    codes = _codes(column, _strings(stances))
    codes[codes < 0] = stances.index(_MENTION)
    return codes


#: Cells of the scratch table :func:`_tally` marks at a time (int32: 16 MB, reused block after
#: block: a fresh page costs more than the writes to it).
_SCRATCH = 1 << 22


def _tally(respondent, concept, stance, leaf, steps, n_stances):
    """``cells[leaf group, hit, stance]``: distinct respondents per cell; the last stance slot is "raised".

    ``steps[d][concept]`` is the ``d``-th hit (dense number) a coding of ``concept`` counts
    for, -1 past its last. Respondents are taken a block at a time; a scratch table of
    (respondent, cell) slots records which row wrote each slot last, and a row counts when
    the slot still names it: one respondent once per cell, however many codings (or
    narrower concepts) put it there. Linear in the codings: no hashing, no sort of them.
    ``respondent``, ``concept`` and ``stance`` may be reordered in place.
    """
    depth, _ = steps.shape
    n_hits = int(steps.max(initial=-1)) + 1
    width = n_hits * (n_stances + 1)
    n_leaves = int(leaf.max(initial=-1)) + 1
    cells = np.zeros(max(n_leaves, 1) * width, dtype=np.int64)
    if not len(respondent) or not width:
        return cells.reshape(max(n_leaves, 1), n_hits, n_stances + 1)[:n_leaves]
    people = len(leaf)
    block = max(1, _SCRATCH // width)
    blocks = -(-people // block)
    if blocks > 1 and (respondent[1:] < respondent[:-1]).any():
        # codings by block of respondents: a stable (radix) sort of small block numbers; the
        # columns are reordered in place (one copy at a time, not a second set of columns)
        number = (respondent // block).astype(np.int16 if blocks < 2**15 else np.int64)
        order = np.argsort(number, kind="stable")
        for column in (respondent, concept, stance):
            column[:] = column[order]
        bounds = np.searchsorted(number[order], np.arange(blocks + 1))
        del number, order
    elif blocks > 1:
        bounds = np.searchsorted(respondent, np.arange(blocks + 1) * block)
    else:
        bounds = np.array([0, len(respondent)])
    slots = np.empty(min(block, people) * width, dtype=np.int32)
    for number in range(blocks):
        start, stop = bounds[number], bounds[number + 1]
        if start == stop:
            continue
        who, code, said = respondent[start:stop], concept[start:stop], stance[start:stop]
        here, group = (who - number * block) * width, leaf[who] * width
        flats, keys = [], []
        for d in range(depth):
            hit = steps[d][code]
            ok = hit >= 0
            cell = hit[ok] * (n_stances + 1)
            for part in (cell + said[ok], cell + n_stances):  # its stance, and "raised"
                flats.append(here[ok] + part)
                keys.append(group[ok] + part)
        flat, key = np.concatenate(flats), np.concatenate(keys)
        rows = np.arange(len(flat), dtype=np.int32)
        slots[flat] = rows  # where a (respondent, cell) repeats, one of its rows is left in the slot
        cells += np.bincount(key[slots[flat] == rows], minlength=len(cells))
    return cells.reshape(n_leaves, n_hits, n_stances + 1)


def share_counts(graph, *, region=None, coder="auto"):
    """Respondents per (group, concept, stance) over respondent codings, and each group's base.

    The same figures as :func:`consultgraph.graph.engine.share_counts` (which reads them
    from the store when they were written there): a coding counts for its concept and
    every broader concept, a respondent of a group for every broader group too, and a
    respondent once per (group, concept, stance); ``raised`` counts respondents with
    any stance.

    Parameters
    ----------
    graph : Consultation
    region : str, optional
        Only respondents based in this region (or a region under it).
    coder : str
        Whose codings (see :meth:`Consultation.codings`).

    Returns
    -------
    (pandas.DataFrame, dict)
        ``group, concept, stance, count`` (counts > 0, sorted), and ``group -> base``
        for every group with at least one count.

    Examples
    --------
    >>> from consultgraph.graph.translator import translate
    >>> from consultgraph.graph.consultation import Consultation
    >>> from consultgraph.graph.records import Node, Edge, Ref
    >>> from consultgraph.graph.store import schema_concepts
    >>> batch = translate([Node("Respondent", "respondent/a", {}), Node("Respondent", "respondent/b", {}),
    ...                    Edge("MEMBER_OF", "respondent/a", Ref("partners")),
    ...                    Edge("MEMBER_OF", "respondent/b", Ref("partners")),
    ...                    Edge("MENTIONS", "respondent/a", Ref("research"), {"stance": "lead"})],
    ...                   concepts=schema_concepts())
    >>> counts, bases = share_counts(Consultation().merge(batch))
    >>> counts.to_dict("records"), bases
    ([{'group': 'group/partner', 'concept': 'tactic/research', 'stance': 'lead', 'count': 1}, {'group': 'group/partner', 'concept': 'tactic/research', 'stance': 'raised', 'count': 1}], {'group/partner': 2})
    """
    import pandas as pd

    concepts = graph.concepts
    people = _people(graph)
    groups = [c.id for c in concepts.concepts if c.kind == "StakeholderGroup"]
    leaf = _codes(people["group"], _strings(groups))  # each respondent's own group, -1: none we know
    if region is not None:
        inside = _codes(people["region"], _strings(sorted(concepts.descendants(region)))) >= 0
        leaf = np.where(inside, leaf, -1)
    ids = sorted(c.id for c in concepts.concepts)
    stances = [_MENTION]
    respondent_parts, concept_parts, stance_parts = [], [], []
    for respondent, concept, stance in _coding_columns(graph, coder):
        respondent_parts.append(_codes(respondent, people["id"]))
        concept_parts.append(_codes(concept, _strings(ids)))
        stance_parts.append(_stance_codes(stance, stances))
    # one part (the usual case) is used as it is: concatenating would copy every column
    respondent, concept, stance = (np.concatenate(parts) if len(parts) > 1 else parts[0] if parts else
                                   np.zeros(0, dtype=np.int32) for parts in (respondent_parts, concept_parts, stance_parts))
    del respondent_parts, concept_parts, stance_parts
    keep = (respondent >= 0) & (concept >= 0)
    keep[keep] = leaf[respondent[keep]] >= 0
    if not keep.all():
        respondent, concept, stance = respondent[keep], concept[keep], stance[keep]
    del keep

    # roll-up: a coding counts for its concept and every broader one ("hits", numbered densely)
    used = np.flatnonzero(np.bincount(concept, minlength=len(ids)))
    position = {c: i for i, c in enumerate(ids)}
    hits_of = {int(c): [position[h] for h in dict.fromkeys([ids[c], *concepts.ancestors(ids[c])]) if h in position]
               for c in used}
    hit_ids = sorted({h for hits in hits_of.values() for h in hits})
    dense = {h: i for i, h in enumerate(hit_ids)}
    # int32 steps keep the per-block cell numbers int32 (half the memory of int64)
    steps = np.full((max((len(h) for h in hits_of.values()), default=0), len(ids)), -1, dtype=np.int32)
    for code, hits in hits_of.items():
        steps[:len(hits), code] = [dense[h] for h in hits]
    n_leaves = len(groups)
    cells = np.zeros((n_leaves, len(hit_ids), len(stances) + 1), dtype=np.int64)
    tallied = _tally(respondent, concept, stance, leaf, steps, len(stances))
    cells[:len(tallied)] = tallied
    counted = leaf >= 0
    read = graph.readers(coder or "auto")  # free text: the respondents this coder choice read are the base
    if read is not None:
        counted &= _codes(people["id"], _strings(sorted(read))) >= 0
    members = np.bincount(leaf[counted], minlength=n_leaves)

    # a group counts its own respondents and those of every group under it
    index = {g: i for i, g in enumerate(groups)}
    rows, bases = [], {}
    stance_names = stances + [RAISED]
    for whole in groups:
        parts = [index[g] for g in concepts.descendants(whole) if g in index]
        total = cells[parts].sum(axis=0)
        if not total.any():
            continue
        bases[whole] = int(members[parts].sum())
        for h, s in zip(*np.nonzero(total)):
            rows.append((whole, ids[hit_ids[h]], stance_names[s], int(total[h, s])))
    rows.sort()
    counts = pd.DataFrame(rows, columns=["group", "concept", "stance", "count"])
    for column in ("group", "concept", "stance"):
        counts[column] = counts[column].astype(object)
    counts["count"] = counts["count"].astype("int64")
    return counts, dict(sorted(bases.items()))
