"""What a load depends on, hashed: its files' bytes, its options and the code that translates them.

:func:`load_signature` is recorded with each load in the project's manifest; a load whose
signature is the one that wrote the project's current generation would write the same
tables again, so :func:`consultgraph.loaders.load` skips it (as ``make`` skips a target
newer than its inputs) without opening a table.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import os
from pathlib import Path

_CHUNK = 1 << 20
_PACKAGE = Path(__file__).resolve().parent.parent


def file_sha256(path):
    """SHA-256 of a file's bytes, read 1 MB at a time; of a folder, over its files' relative paths and bytes.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = path.write_text("respondent,code\\n")
    >>> file_sha256(path)[:12]
    'a5df66faad4e'
    """
    path = Path(path)
    digest = hashlib.sha256()
    if path.is_dir():
        for child in sorted((p for p in path.rglob("*") if p.is_file()), key=lambda p: p.relative_to(path).as_posix()):
            digest.update(child.relative_to(path).as_posix().encode())
            digest.update(b"\0")
            _update(digest, child)
            digest.update(b"\0")
    else:
        _update(digest, path)
    return digest.hexdigest()


def _update(digest, path):
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while size := handle.readinto(buffer):
            digest.update(view[:size])


def files_read(path):
    """The files and folders besides ``path`` itself that loading it reads.

    A bare ``.qde`` reads its texts from ``sources/`` beside it; a dataset folder may list
    files outside itself in ``dataset.yaml``.
    """
    path = Path(path)
    if path.is_file() and path.suffix.lower() == ".qde":
        return [path.parent / sub for sub in ("sources", "Sources") if (path.parent / sub).is_dir()]
    meta = path / "dataset.yaml"
    if not meta.is_file():
        return []
    import yaml

    try:
        entries = (yaml.load(meta.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}).get("files") or []  # noqa: S506 - safe
    except (yaml.YAMLError, AttributeError):
        return []  # the load reports a malformed dataset.yaml itself
    folder = path.resolve()
    listed = [folder / (entry if isinstance(entry, str) else str(entry.get("path", ""))) for entry in entries
              if isinstance(entry, (str, dict))]
    return [p for p in listed if not p.resolve().is_relative_to(folder)]


#: What code and declarations are kept in (a built-in dataset's Parquet is derived from them).
_CODE_SUFFIXES = (".py", ".ttl", ".json", ".cypher", ".yaml", ".yml")


@functools.lru_cache(maxsize=None)
def _folder_digest(folder):
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        if path.suffix in _CODE_SUFFIXES and path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


def code_digest(steps=()):
    """A hash of consultgraph's version and of the code a load runs: ``schema/``, ``graph/``,
    ``loaders/`` and the folder of each step's module (a step imports only from its own or
    earlier layers, so its folder and these hold all its code)."""
    from consultgraph import __version__

    folders = {_PACKAGE / "schema", _PACKAGE / "graph", _PACKAGE / "loaders"}
    for step in steps:
        source = inspect.getsourcefile(step)
        if source:
            folders.add(Path(source).resolve().parent)
    parts = [__version__] + [f"{folder.relative_to(_PACKAGE) if folder.is_relative_to(_PACKAGE) else folder}:"
                             f"{_folder_digest(folder)}" for folder in sorted(folders)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _option_value(value):
    """An option as it enters the signature: a file it names counts by its bytes too."""
    if isinstance(value, (str, os.PathLike)) and str(value) and Path(value).is_file():
        return {"file": str(Path(value).resolve()), "sha256": file_sha256(value)}
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def load_signature(paths, digests, *, fmt=None, namespace=None, options=None, steps=()):
    """SHA-256 over everything a load's tables depend on besides the project it merges into.

    Parameters
    ----------
    paths : list of path
        The inputs, in the order given (a later file's rows replace an earlier one's).
    digests : list of str
        :func:`file_sha256` of each input.
    fmt, namespace, options, steps
        As :func:`consultgraph.loaders.load` takes them; options that are None or False
        are ones not given.

    Examples
    --------
    >>> a = load_signature(["a.csv"], ["00"], options={"group": None})
    >>> a == load_signature(["a.csv"], ["00"]) != load_signature(["a.csv"], ["00"], options={"group": "public"})
    True
    """
    inputs = []
    for path, digest in zip(paths, digests):
        extra = [[str(Path(p).resolve()), file_sha256(p)] for p in files_read(path)]
        inputs.append([str(Path(path).resolve()), digest, extra])
    formats = {str(Path(k).resolve()): v for k, v in fmt.items()} if isinstance(fmt, dict) else fmt
    given = {k: _option_value(v) for k, v in sorted((options or {}).items()) if v not in (None, False)}
    what = {"inputs": inputs, "format": formats, "namespace": namespace, "options": given,
            "steps": [f"{step.__module__}.{step.__qualname__}" for step in steps], "code": code_digest(tuple(steps))}
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=repr).encode()).hexdigest()


def written_by(manifest, signature):
    """True when the load with ``signature`` wrote ``manifest``'s current generation.

    False when a later write made the generation (``code``, a review, another load), when
    the load that did was recorded without a signature or a generation (older projects), or
    when the project is stored in an older format (its next write upgrades it).
    """
    from consultgraph.graph.store import VERSION

    loads = manifest.get("loads") or []
    last = loads[-1] if loads else {}
    return (signature is not None and manifest.get("version") == VERSION and last.get("signature") == signature
            and last.get("generation") is not None and last.get("generation") == manifest.get("generation"))
