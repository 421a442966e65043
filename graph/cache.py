"""Where the embedded query engines keep their databases (one folder per project generation),
and small derived views their JSON (:func:`read_view`, :func:`write_view`).

A project's engines live in ``PROJECT/.cache/<engine>-g<generation>-<stamp>`` and are
rebuilt only when the project's generation changes (``load`` writes a new one) or when
consultgraph, the engine or the schema changes (the stamp). A read-only project and the
built-in datasets use ``$XDG_CACHE_HOME/consultgraph`` (else ``~/.cache/consultgraph``)
instead. A graph that lives only in memory gets no folder: its engine is built in memory.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

CACHE_FOLDER = ".cache"


def user_cache_dir():
    """``$XDG_CACHE_HOME/consultgraph``, else ``~/.cache/consultgraph``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "consultgraph"


@functools.lru_cache(maxsize=None)
def stamp(engine, engine_version):
    """A short hash of what a cached database depends on besides the data."""
    from consultgraph import __version__
    from consultgraph import schema as schema_files

    digest = hashlib.sha1(f"{__version__}\x1f{engine}\x1f{engine_version}".encode())
    for path in (schema_files.ONTOLOGY, schema_files.SHAPES):
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:10]


def derived_json(name, sources, derive):
    """JSON-ready data derived from files, kept in the user cache so it is derived once.

    For what commands need from ``schema/`` without parsing Turtle (rdflib and the parse
    take longer than most commands on the built-in dataset). The cache file is named by
    a hash of consultgraph's version and of every file in ``sources`` (list the modules
    whose code derives the data too): an edited ontology or module never reads an old
    copy. A damaged copy is derived again; a cache that cannot be written is only slower.

    Parameters
    ----------
    name : str
        What the data is (``"kinds"``): the start of the file name.
    sources : iterable of path
        The files the data is derived from.
    derive : callable
        Returns the data (anything :func:`json.dumps` takes).
    """
    import json

    from consultgraph import __version__

    digest = hashlib.sha1(__version__.encode())
    for path in sources:
        digest.update(Path(path).read_bytes())
    cached = user_cache_dir() / "derived" / f"{name}-{digest.hexdigest()[:16]}.json"
    try:
        return json.loads(cached.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    data = derive()
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        handle, scratch = tempfile.mkstemp(prefix=f".{name}-", dir=cached.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(data, out)
            os.replace(scratch, cached)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(scratch)
    except OSError:
        pass
    return data


def _view_file(graph, name, sources):
    """Where the JSON view ``name`` of a stored project's generation is kept (None for a graph in memory)."""
    if getattr(graph, "project", None) is None:
        return None
    digest = hashlib.sha1()
    for path in sorted(str(p) for p in sources):
        digest.update(Path(path).read_bytes())
    where = location(graph, name, digest.hexdigest()[:12])
    return None if where is None else where.with_name(where.name + ".json")


def _identity(graph):
    """What a view must have been derived from: the generation (and when it was written), or the
    built-in dataset's fingerprint."""
    loads = graph.manifest.get("loads") or [{}]
    return {"generation": graph.manifest.get("generation"), "modified": graph.manifest.get("modified"),
            "fingerprint": loads[-1].get("fingerprint")}


def read_view(graph, name, sources):
    """The data of JSON view ``name`` derived from ``graph``'s stored generation, or None.

    None when the graph is not a stored project, when no view was written for this
    generation, or when the one found was derived from another generation or by other
    code (``sources``: the modules whose code derives the data; they name the file, as in
    :func:`derived_json`). Views live where the project's engines do (:func:`location`).
    """
    import json

    path = _view_file(graph, name, sources)
    if path is None:
        return None
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("identity") != _identity(graph):
        return None
    return stored.get("data")


def write_view(graph, name, sources, data, family=None):
    """Keep ``data`` (JSON-ready) as view ``name`` of ``graph``'s generation; see :func:`read_view`.

    Written atomically; views of older generations beside it are removed (every view whose
    name starts with ``family``, default ``name``: views named by their options too). Returns the
    path, or None when the graph is not a stored project or the cache cannot be written
    (a missing view only makes the next command slower).
    """
    import json

    path = _view_file(graph, name, sources)
    if path is None:
        return None
    text = json.dumps({"identity": _identity(graph), "data": data}, ensure_ascii=False, allow_nan=False)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, scratch = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(scratch, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(scratch)
    except OSError:
        return None
    if not getattr(graph, "dataset", None):
        # older generations' views go; another code's view of this generation stays (two
        # installs may read one project)
        keep = f"-g{graph.manifest.get('generation', 0):06d}-"
        for stale in path.parent.glob(f"{family or name}-*g*.json"):
            if keep not in stale.name:
                with contextlib.suppress(OSError):
                    stale.unlink()
    return path


def _writable(folder):
    folder = Path(folder)
    try:
        (folder / CACHE_FOLDER).mkdir(exist_ok=True)
    except OSError:
        return False
    return os.access(folder / CACHE_FOLDER, os.W_OK)


def location(graph, engine, engine_version):
    """The cache path of ``engine`` for ``graph``, or None for a graph held only in memory.

    ``graph`` is a :class:`~consultgraph.graph.consultation.Consultation` or a
    :class:`GraphRef`: anything with ``path`` (project folder or None), ``manifest``
    (with ``generation``) and ``dataset`` (a built-in dataset name or None).
    """
    tag = stamp(engine, engine_version)
    dataset = getattr(graph, "dataset", None)
    if dataset:  # a built-in dataset lives in the package: never write beside it
        loads = graph.manifest.get("loads") or [{}]
        key = (loads[-1].get("fingerprint") or "")[:12] or fingerprint(graph)
        return user_cache_dir() / "datasets" / f"{dataset}-{engine}-{tag}-{key}"
    path = getattr(graph, "path", None)
    if path is not None:
        generation = graph.manifest.get("generation", 0)
        name = f"{engine}-g{generation:06d}-{tag}"
        if _writable(path):
            return Path(path) / CACHE_FOLDER / name
        key = hashlib.sha1(str(Path(path).resolve()).encode()).hexdigest()[:12]
        return user_cache_dir() / "projects" / key / name
    return None


def fingerprint(graph):
    """A short hash of a graph's node and edge tables (for graphs that have no generation)."""
    import pandas as pd

    digest = hashlib.sha1()
    for frame in (graph.nodes, graph.edges):
        digest.update(pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy().tobytes())
    return digest.hexdigest()[:12]


def build_atomically(target, build):
    """Build into a temporary sibling of ``target``, then rename it into place.

    ``build(folder)`` fills a fresh folder. Two processes racing both build; the first
    rename wins and the other's copy is dropped, so a reader never sees half a database.
    Older generations of the same engine beside ``target`` are removed.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        build(scratch)
        try:
            os.rename(scratch, target)
        except OSError:
            if not target.exists():
                raise
            shutil.rmtree(scratch, ignore_errors=True)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    engine = target.name.split("-g", 1)[0]
    for stale in target.parent.glob(f"{engine}-g*"):
        if stale != target and stale.is_dir():
            with contextlib.suppress(OSError):
                shutil.rmtree(stale)
    return target


class ProjectRef:
    """A project folder known by its manifest only: engines cached for its generation open without reading the tables.

    ``load()`` reads the whole :class:`~consultgraph.graph.consultation.Consultation`
    (what a cache miss needs to build).
    """

    dataset = None

    def __init__(self, path):
        from consultgraph.graph.store import Project

        self.project = Project(path)
        self.path = self.project.path
        self.manifest = self.project.manifest()

    def load(self):
        from consultgraph.graph.consultation import Consultation

        return Consultation.open(self.path)
