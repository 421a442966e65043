"""The project store: a folder that ``consultgraph load`` creates and extends.

Format ``consultgraph-project`` version 2 (documented in README "Project store")::

    PROJECT/
      manifest.json               format, version, generation, table files, counts,
                                  summary (counts by kind, group and region), load log (each load:
                                  its files' sha256, signature, the generation it wrote)
      nodes-<gen>.parquet         id, kind, label, props (JSON text)
      edges-<gen>.parquet         source, target, kind, stance, weight, props (JSON text)
      respondents-<gen>.parquet   derived view: one row per respondent with group, region ...
      concepts-<gen>.json         derived view: the project's whole concept index
      share-counts-<gen>.parquet  derived view: respondents per (group, concept, stance) and
                                  each group's base, rolled up (what the shares table counts)

Text columns repeated across rows (kinds, stances, endpoints, property texts) are
Arrow dictionaries, so a reader gets categoricals and never one Python string per row.
The derived views are written at load time with the generation they describe, so
opening a project reads a manifest, not millions of rows. Version 1 projects (no
views) and version 2 projects written before the share-counts view still open (what a
missing view holds is computed when asked for); their next write adds the views.

A write produces the next generation's files, then swaps ``manifest.json`` atomically
(temp file + ``os.replace``), then removes the old generation: a reader sees the old
project or the new one, never half of one. A lock file keeps two writers apart.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import json
import os
import tempfile
from pathlib import Path

from consultgraph import schema as schema_files
from consultgraph.errors import StoreError
from consultgraph.graph.concepts import Concept, ConceptIndex

FORMAT = "consultgraph-project"
VERSION = 2
#: Versions this code reads; older ones are upgraded by their next write.
READABLE = (1, 2)
_STEMS = ("nodes", "edges", "respondents", "concepts", "share-counts")
_NODE_NAMES = ("id", "kind", "label", "props")
_EDGE_NAMES = ("source", "target", "kind", "stance", "weight", "props")
#: Columns stored as Arrow dictionaries (categoricals in pandas).
_DICTIONARY = {"nodes": ("kind",), "edges": ("source", "target", "kind", "stance", "props")}


def _schema(table):
    import pyarrow as pa

    text, dictionary = pa.string(), pa.dictionary(pa.int32(), pa.string())
    names = _NODE_NAMES if table == "nodes" else _EDGE_NAMES
    return pa.schema([
        (name, pa.float64() if name == "weight" else dictionary if name in _DICTIONARY[table] else text)
        for name in names
    ])


@functools.lru_cache(maxsize=1)
def _schema_concept_list():
    # derived once into the user cache: rdflib and the parse cost more than a small load
    from consultgraph.graph import concepts
    from consultgraph.graph.cache import derived_json

    def derive():
        from rdflib import Graph

        rdf = Graph()
        for path in schema_files.concept_files():
            rdf.parse(path)
        return concepts_to_json(ConceptIndex(concepts.concepts_from_rdf(rdf)))

    sources = (*schema_files.concept_files(), schema_files.ONTOLOGY, concepts.__file__, __file__)
    return tuple(concepts_from_json(derived_json("schema-concepts", sources, derive)).concepts)


def schema_concepts():
    """A fresh :class:`ConceptIndex` of the concept schemes shipped in ``schema/concepts``."""
    return ConceptIndex(list(_schema_concept_list()))


def _umask():
    # os.umask can only be read by setting it; the value is put straight back.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def concepts_to_json(index):
    """The concept index as JSON-ready dicts (the ``concepts`` view of the store)."""
    return [
        {"id": c.id, "kind": c.kind, "label": c.label, "alt_labels": list(c.alt_labels),
         "definition": c.definition, "scheme": c.scheme, "broader": list(c.broader),
         "hidden_labels": list(c.hidden_labels)}
        for c in index.concepts
    ]


def concepts_from_json(rows):
    """A :class:`ConceptIndex` from :func:`concepts_to_json`'s dicts."""
    return ConceptIndex([
        Concept(id=r["id"], kind=r["kind"], label=r["label"], alt_labels=tuple(r.get("alt_labels") or ()),
                definition=r.get("definition"), scheme=r.get("scheme"), broader=tuple(r.get("broader") or ()),
                hidden_labels=tuple(r.get("hidden_labels") or ()))
        for r in rows
    ])


def to_arrow(frame, table):
    """A canonical pandas node or edge table as Arrow, text columns as dictionaries."""
    import pyarrow as pa

    schema = _schema(table)
    columns = []
    for name in schema.names:
        values = frame[name]
        if name in _DICTIONARY[table]:
            columns.append(_dictionary(values))
        else:
            columns.append(pa.array(values.to_numpy(), type=schema.field(name).type, from_pandas=True))
    return pa.Table.from_arrays(columns, schema=schema)


_ROW_GROUP = 131_072


def _kind_order(table):
    """Row positions that group ``table``'s rows by kind (stable: the order within a kind is kept)."""
    import numpy as np

    kind = table.column("kind").combine_chunks()
    if not len(kind):
        return np.zeros(0, dtype=np.int64)
    labels = np.asarray(kind.dictionary.to_pylist(), dtype=object)
    rank = np.argsort(np.argsort(labels, kind="stable"), kind="stable")  # dictionary code -> sorted position
    # a stable sort of small integers is a linear radix sort in numpy
    rank = rank.astype(np.int16 if len(labels) < 2**15 else np.int64)
    return np.argsort(rank[kind.indices.to_numpy(zero_copy_only=False)], kind="stable")


def _compact(column):
    """A dictionary array whose dictionary holds only the values its rows use (in order of use)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    raw = column.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    codes, used = pd.factorize(raw)
    if (used < 0).any():  # a missing value is no entry of the dictionary
        keep = np.flatnonzero(used >= 0)
        renumber = np.full(len(used), -1, dtype=np.int64)
        renumber[keep] = np.arange(len(keep))
        codes, used = renumber[codes], used[keep]
    indices = pa.array(codes.astype(np.int32), type=pa.int32(), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, column.dictionary.take(pa.array(used, type=pa.int64())))


def _write_row_groups(table, path, order=None):
    """Write ``table`` (its rows in ``order``) as Parquet in row groups of :data:`_ROW_GROUP` rows.

    Each row group's dictionaries hold only the values it uses: a reader of one row group
    (or DuckDB scanning them all) never decodes a million respondent ids per group. Rows
    are taken a row group at a time, so the reordered table never exists whole.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    with pq.ParquetWriter(path, table.schema, compression="zstd") as writer:
        for start in range(0, table.num_rows, _ROW_GROUP):
            part = table.slice(start, _ROW_GROUP) if order is None else table.take(pa.array(order[start:start + _ROW_GROUP]))
            columns = [_compact(c.combine_chunks()) if pa.types.is_dictionary(c.type) else c for c in part.columns]
            writer.write_table(pa.Table.from_arrays(columns, schema=table.schema), row_group_size=_ROW_GROUP)


def _read_kinds(parquet, kinds, columns=None):
    """The rows of ``kinds`` only, reading just the row groups whose kind range can hold them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = parquet.schema_arrow.get_field_index("kind")
    groups = []
    for number in range(parquet.metadata.num_row_groups):
        stats = parquet.metadata.row_group(number).column(column).statistics
        if stats is None or not stats.has_min_max or any(stats.min <= k <= stats.max for k in kinds):
            groups.append(number)
    wanted = None if columns is None else list(dict.fromkeys([*columns, "kind"]))
    table = parquet.read_row_groups(groups, columns=wanted) if groups else parquet.schema_arrow.empty_table()
    kind = table.column("kind")
    if pa.types.is_dictionary(kind.type):
        kind = kind.cast(pa.string())
    table = table.filter(pc.is_in(kind, value_set=pa.array(kinds, pa.string())))
    return table if columns is None else table.select(list(columns))


def _dictionary(values):
    """A pandas column (categorical or not) as an Arrow int32 dictionary of strings."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, categories = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, categories = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    used = np.zeros(len(categories) + 1, dtype=bool)
    used[codes] = True  # code -1 (missing) marks the last slot, which is dropped
    keep = np.flatnonzero(used[:-1])
    renumber = np.full(len(categories) + 1, -1, dtype=np.int32)
    renumber[keep] = np.arange(len(keep), dtype=np.int32)
    new_codes = renumber[codes]
    dictionary = pa.array(np.asarray(categories, dtype=object)[keep], type=pa.string())
    indices = pa.array(new_codes, type=pa.int32(), mask=new_codes < 0)
    return pa.DictionaryArray.from_arrays(indices, dictionary)


def release_arrow_memory():
    """Hand the memory Arrow's allocator keeps after freeing back to the system.

    Reading a table a row group at a time frees each group's buffers, but the allocator
    (mimalloc) keeps their pages for later Arrow work: a reload's later pandas and numpy
    peaks would stand on top of them. Cheap (milliseconds) and harmless to call often.
    """
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def atomic_write(path, write):
    """Call ``write(tmp_path)`` then rename the temp file over ``path`` (same folder).

    The file gets the mode a plain ``open()`` would give it (0666 less the umask), not
    the 0600 of a temp file; an existing file keeps its mode.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        mode = path.stat().st_mode & 0o7777 if path.is_file() else 0o666 & ~_umask()
        write(Path(tmp))
        if Path(tmp).is_file():
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


class Project:
    """A project folder on disk. Use :meth:`read` and :meth:`write`; both are whole-project.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from consultgraph.graph.translator import empty_nodes, empty_edges
    >>> project = Project(tempfile.mkdtemp() + "/demo.cg")
    >>> project.exists()
    False
    >>> _ = project.write(empty_nodes(), empty_edges(), load={"files": []})
    >>> project.manifest()["generation"]
    1
    """

    def __init__(self, path):
        self.path = Path(path)

    @property
    def manifest_path(self):
        return self.path / "manifest.json"

    @property
    def lock_path(self):
        return self.path / ".lock"

    def exists(self):
        return self.manifest_path.is_file()

    def locked(self):
        """True while a writer holds the project (its next generation is being written)."""
        return self.lock_path.exists()

    def manifest(self):
        """The parsed manifest; :class:`StoreError` if this is not a project of ours."""
        if not self.path.exists():
            raise StoreError(f"no project at {self.path} (create one with `consultgraph load FILE --into {self.path}`)")
        try:
            manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise StoreError(f"{self.path} is not a consultgraph project (no manifest.json)") from None
        except json.JSONDecodeError as error:
            raise StoreError(f"{self.manifest_path}: corrupt manifest ({error})") from None
        if manifest.get("format") != FORMAT:
            raise StoreError(f"{self.manifest_path}: not a consultgraph project (format {manifest.get('format')!r})")
        if manifest.get("version") not in READABLE:
            raise StoreError(
                f"{self.path}: project format version {manifest.get('version')} is not supported "
                f"(this consultgraph reads versions {', '.join(map(str, READABLE))}); rebuild it from its "
                f"input files with `consultgraph load FILES --into NEW-FOLDER`, or upgrade consultgraph"
            )
        return manifest

    def table_path(self, name, manifest=None):
        """The file of table or view ``name`` in the current generation (None if it has none)."""
        manifest = manifest or self.manifest()
        file = manifest["tables"].get(name)
        return self.path / file if file else None

    def read_arrow(self, name, *, kinds=None, columns=None, manifest=None):
        """Table ``name`` (nodes, edges, respondents) as Arrow; ``kinds`` keeps only those kinds,
        ``columns`` only those columns."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = self.table_path(name, manifest)
        if path is None:
            raise StoreError(f"{self.path}: no {name} table in this generation")
        try:
            if kinds is None:
                return pq.read_table(path, columns=None if columns is None else list(columns))
            return _read_kinds(pq.ParquetFile(path), list(kinds), columns)
        except (OSError, pa.ArrowInvalid) as error:
            raise StoreError(f"{self.path}: cannot read the {name} table ({error})") from None

    def read_where(self, name, column, values, *, keep=True, columns=None, manifest=None):
        """The rows of table ``name`` whose ``column`` is among ``values`` (``keep=False``:
        is not), as Arrow, with ``columns`` only (default all).

        ``column`` is read first and looked up in ``values`` once; then the table is read
        a row group at a time, each filtered before the next is read, on this thread: a
        reload asks a million stored nodes for the few it keeps without holding them all
        (and without leaving the freed buffers with Arrow's reader threads).
        """
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        path = self.table_path(name, manifest)
        if path is None:
            raise StoreError(f"{self.path}: no {name} table in this generation")
        value_set = values if isinstance(values, pa.Array) else pa.array(list(values), pa.string())
        try:
            parquet = pq.ParquetFile(path)
            groups = range(parquet.metadata.num_row_groups)
            tested = [parquet.read_row_group(g, columns=[column], use_threads=False).column(column) for g in groups]
            tested = pa.chunked_array([c for part in tested for c in part.chunks], type=parquet.schema_arrow.field(column).type)
            if pa.types.is_dictionary(tested.type):
                tested = tested.cast(pa.string())
            found = pc.is_in(tested, value_set=value_set).to_numpy(zero_copy_only=False)
            del tested
            if not keep:
                np.logical_not(found, out=found)
            wanted = None if columns is None else list(dict.fromkeys([*columns, column]))
            parts, start = [], 0
            for group in groups:
                rows = parquet.metadata.row_group(group).num_rows
                kept = found[start:start + rows]
                start += rows
                if kept.any():
                    parts.append(parquet.read_row_group(group, columns=wanted, use_threads=False).filter(pa.array(kept)))
            schema = parquet.schema_arrow if wanted is None else pa.schema([parquet.schema_arrow.field(c) for c in wanted])
            table = pa.concat_tables(parts) if parts else schema.empty_table()
        except (OSError, pa.ArrowInvalid) as error:
            raise StoreError(f"{self.path}: cannot read the {name} table ({error})") from None
        return table if columns is None else table.select(list(columns))

    def read_pandas(self, name, *, kinds=None, columns=None, manifest=None):
        """Table ``name`` as pandas: dictionary columns become categoricals (see :func:`canonical_pandas`)."""
        return canonical_pandas(self.read_arrow(name, kinds=kinds, columns=columns, manifest=manifest), name)

    def read_concepts(self, manifest=None):
        """The stored concept index view, or None for a version 1 project."""
        path = self.table_path("concepts", manifest)
        if path is None:
            return None
        try:
            return concepts_from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError) as error:
            raise StoreError(f"{self.path}: cannot read the concepts view ({error})") from None

    def read_share_counts(self, manifest=None):
        """The stored share counts ``(counts, bases)`` (see :func:`consultgraph.graph.counts.share_counts`), or None."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = self.table_path("share_counts", manifest)
        if path is None:
            return None
        try:
            return share_counts_from_arrow(pq.read_table(path))
        except (OSError, pa.ArrowInvalid, KeyError) as error:
            raise StoreError(f"{self.path}: cannot read the share counts view ({error})") from None

    def read(self):
        """``(nodes, edges, manifest)`` as pandas frames (categorical text columns)."""
        manifest = self.manifest()
        return self.read_pandas("nodes", manifest=manifest), self.read_pandas("edges", manifest=manifest), manifest

    def write(self, nodes, edges, *, load=None, name=None, views=None):
        """Write the whole project as the next generation, atomically.

        ``views`` holds the derived views of this generation: ``respondents`` (a pandas
        frame), ``concepts`` (a :class:`ConceptIndex`), ``summary`` (a JSON-ready dict)
        and ``share_counts`` (``(counts, bases)`` of :func:`consultgraph.graph.counts.share_counts`).
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        views = views or {}
        self.path.mkdir(parents=True, exist_ok=True)
        lock = self.lock_path
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            raise StoreError(
                f"{self.path} is locked by another writer (remove {lock} if no load is running)"
            ) from None
        try:
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            old = self.manifest() if self.exists() else None
            generation = (old["generation"] if old else 0) + 1
            tables = {"nodes": f"nodes-{generation:06d}.parquet", "edges": f"edges-{generation:06d}.parquet"}
            for table, frame in (("nodes", nodes), ("edges", edges)):
                # sorted by kind in modest row groups: reading one kind skips the others' groups
                arrow = to_arrow(frame, table)
                _write_row_groups(arrow, self.path / tables[table], _kind_order(arrow))
            if views.get("respondents") is not None:
                tables["respondents"] = f"respondents-{generation:06d}.parquet"
                frame = views["respondents"]
                frame = frame.astype({c: object for c in frame.columns if frame[c].dtype != object})
                pq.write_table(pa.Table.from_pandas(frame, preserve_index=False),
                               self.path / tables["respondents"], compression="zstd")
            if views.get("share_counts") is not None:
                tables["share_counts"] = f"share-counts-{generation:06d}.parquet"
                pq.write_table(share_counts_to_arrow(*views["share_counts"]), self.path / tables["share_counts"],
                               compression="zstd")
            if views.get("concepts") is not None:
                tables["concepts"] = f"concepts-{generation:06d}.json"
                text = json.dumps(concepts_to_json(views["concepts"]), ensure_ascii=False)
                (self.path / tables["concepts"]).write_text(text, encoding="utf-8")
            now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
            loads = list(old.get("loads", [])) if old else []
            if load is not None:
                # the generation it wrote: a later write without a load entry (``code``) leaves this one behind
                loads.append({"at": now, **load, "generation": generation})
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "name": name or (old or {}).get("name") or self.path.name,
                "generation": generation,
                "created": (old or {}).get("created", now),
                "modified": now,
                "tables": tables,
                "counts": {"nodes": len(nodes), "edges": len(edges)},
                "loads": loads,
            }
            if views.get("summary") is not None:
                manifest["summary"] = views["summary"]
            text = json.dumps(manifest, indent=2, ensure_ascii=False)
            atomic_write(self.manifest_path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
            keep = set(tables.values())
            for stale in self._generation_files():
                if stale.name not in keep:
                    stale.unlink()
            return manifest
        except BaseException:
            # the manifest still names the old generation; drop what this attempt wrote
            current = set()
            if self.exists():
                with contextlib.suppress(StoreError):
                    current = set(self.manifest()["tables"].values())
            for stray in self._generation_files():
                if stray.name not in current:
                    stray.unlink()
            raise
        finally:
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()

    def _generation_files(self):
        return [f for stem in _STEMS for f in self.path.glob(f"{stem}-*.*") if f.suffix in (".parquet", ".json")]

    def size_bytes(self):
        """Bytes on disk of the current generation (manifest + tables + views)."""
        manifest = self.manifest()
        files = [self.manifest_path] + [self.path / f for f in manifest["tables"].values()]
        return sum(f.stat().st_size for f in files)


def share_counts_to_arrow(counts, bases):
    """The share counts as one Arrow table: ``count`` rows, then one ``base`` row per group."""
    import pyarrow as pa

    groups = list(bases)
    return pa.table({
        "what": pa.array(["count"] * len(counts) + ["base"] * len(groups), pa.string()),
        "group": pa.array(list(counts["group"]) + groups, pa.string()),
        "concept": pa.array(list(counts["concept"]) + [None] * len(groups), pa.string()),
        "stance": pa.array(list(counts["stance"]) + [None] * len(groups), pa.string()),
        "count": pa.array([int(n) for n in counts["count"]] + [int(bases[g]) for g in groups], pa.int64()),
    })


def share_counts_from_arrow(table):
    """``(counts, bases)`` from :func:`share_counts_to_arrow`'s table."""
    import pandas as pd

    rows = table.to_pylist()
    bases = {r["group"]: int(r["count"]) for r in rows if r["what"] == "base"}
    counts = pd.DataFrame([(r["group"], r["concept"], r["stance"], int(r["count"])) for r in rows if r["what"] == "count"],
                          columns=["group", "concept", "stance", "count"])
    for column in ("group", "concept", "stance"):
        counts[column] = counts[column].astype(object)
    counts["count"] = counts["count"].astype("int64")
    return counts, bases


def canonical_pandas(table, name):
    """An Arrow node/edge/respondents table as pandas in the canonical column order.

    Dictionary columns come out as categoricals; a version 1 file (plain strings) gets
    the same categoricals, so every reader sees one form.
    """
    import pandas as pd
    import pyarrow as pa

    if name in _DICTIONARY:
        columns = []
        for field_name in table.column_names:
            column = table.column(field_name)
            if field_name in _DICTIONARY[name] and not pa.types.is_dictionary(column.type):
                column = column.dictionary_encode()
            columns.append(column)
        table = pa.Table.from_arrays(columns, names=table.column_names)
    frame = table.to_pandas(split_blocks=True)
    if name in _DICTIONARY:
        for column in _DICTIONARY[name]:
            # categories as object: categoricals from different sources then unite without copies
            if column in frame and frame[column].cat.categories.dtype != object:
                categories = frame[column].cat.categories
                frame[column] = frame[column].cat.rename_categories(pd.Index(categories.to_numpy(dtype=object), dtype=object))
        frame = frame[[c for c in (_NODE_NAMES if name == "nodes" else _EDGE_NAMES) if c in frame]]
    return frame
