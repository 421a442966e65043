"""The project store: a folder that ``consultgraph load`` creates and extends.

Format ``consultgraph-project`` version 1 (documented in README "Project store")::

    PROJECT/
      manifest.json          format, version, generation, table files, counts, load log
      nodes-<gen>.parquet    id, kind, label, props (JSON text)
      edges-<gen>.parquet    source, target, kind, stance, weight, props (JSON text)

A write produces the next generation's Parquet files, then swaps ``manifest.json``
atomically (temp file + ``os.replace``), then removes the old generation: a reader sees
the old project or the new one, never half of one. A lock file keeps two writers apart.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import functools
import json
import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from rdflib import Graph

from consultgraph import schema as schema_files
from consultgraph.errors import StoreError
from consultgraph.graph.concepts import ConceptIndex, concepts_from_rdf

FORMAT = "consultgraph-project"
VERSION = 1

_NODE_SCHEMA = pa.schema([("id", pa.string()), ("kind", pa.string()), ("label", pa.string()), ("props", pa.string())])
_EDGE_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("target", pa.string()),
        ("kind", pa.string()),
        ("stance", pa.string()),
        ("weight", pa.float64()),
        ("props", pa.string()),
    ]
)


@functools.lru_cache(maxsize=1)
def _schema_concept_list():
    rdf = Graph()
    for path in schema_files.concept_files():
        rdf.parse(path)
    return tuple(concepts_from_rdf(rdf))


def schema_concepts():
    """A fresh :class:`ConceptIndex` of the concept schemes shipped in ``schema/concepts``."""
    return ConceptIndex(list(_schema_concept_list()))


def _umask():
    # os.umask can only be read by setting it; the value is put straight back.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


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

    def exists(self):
        return self.manifest_path.is_file()

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
        if manifest.get("version") != VERSION:
            raise StoreError(
                f"{self.path}: project format version {manifest.get('version')} is not supported "
                f"(this consultgraph reads version {VERSION})"
            )
        return manifest

    def read(self):
        """``(nodes, edges, manifest)`` as pandas frames."""
        manifest = self.manifest()
        try:
            nodes = pq.read_table(self.path / manifest["tables"]["nodes"]).to_pandas()
            edges = pq.read_table(self.path / manifest["tables"]["edges"]).to_pandas()
        except (OSError, pa.ArrowInvalid, KeyError) as error:
            raise StoreError(f"{self.path}: cannot read the project tables ({error})") from None
        for column in nodes.columns:
            nodes[column] = nodes[column].astype(object)
        for column in ("source", "target", "props"):
            edges[column] = edges[column].astype(object)
        edges["kind"] = edges["kind"].astype(object)
        edges["stance"] = edges["stance"].astype(object).where(edges["stance"].notna(), None)
        return nodes, edges, manifest

    def write(self, nodes, edges, *, load=None, name=None):
        """Write the whole project as the next generation, atomically."""
        self.path.mkdir(parents=True, exist_ok=True)
        lock = self.path / ".lock"
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
            node_table = pa.Table.from_pandas(nodes[list(_NODE_SCHEMA.names)], schema=_NODE_SCHEMA, preserve_index=False)
            edge_table = pa.Table.from_pandas(edges[list(_EDGE_SCHEMA.names)], schema=_EDGE_SCHEMA, preserve_index=False)
            pq.write_table(node_table, self.path / tables["nodes"], compression="zstd")
            pq.write_table(edge_table, self.path / tables["edges"], compression="zstd")
            now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
            loads = list(old.get("loads", [])) if old else []
            if load is not None:
                loads.append({"at": now, **load})
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
            text = json.dumps(manifest, indent=2, ensure_ascii=False)
            atomic_write(self.manifest_path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
            keep = set(tables.values())
            for stale in list(self.path.glob("nodes-*.parquet")) + list(self.path.glob("edges-*.parquet")):
                if stale.name not in keep:
                    stale.unlink()
            return manifest
        except BaseException:
            # the manifest still names the old generation; drop what this attempt wrote
            current = set()
            if self.exists():
                with contextlib.suppress(StoreError):
                    current = set(self.manifest()["tables"].values())
            for stray in list(self.path.glob("nodes-*.parquet")) + list(self.path.glob("edges-*.parquet")):
                if stray.name not in current:
                    stray.unlink()
            raise
        finally:
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()

    def size_bytes(self):
        """Bytes on disk of the current generation (manifest + tables)."""
        manifest = self.manifest()
        files = [self.manifest_path] + [self.path / f for f in manifest["tables"].values()]
        return sum(f.stat().st_size for f in files)
