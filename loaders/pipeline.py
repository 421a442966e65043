"""The pipeline: files -> loaders -> records -> translator -> one graph, merged into a project
all or nothing (:func:`load`); the built-in datasets (:func:`builtin`) and :func:`open_graph`.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from consultgraph.errors import InputError, LoadWarning, UnknownNameError
from consultgraph.graph.concepts import slugify
from consultgraph.graph.records import Node
from consultgraph.loaders.registry import detect, loader
from consultgraph.loaders.signature import file_sha256, load_signature, written_by

DATASETS_DIR = Path(__file__).resolve().parent / "datasets"
#: The built-in datasets, translated and stored as projects (``python -m consultgraph.loaders.build_builtin``).
PREBUILT_DIR = Path(__file__).resolve().parent / "prebuilt"
DEFAULT_DATASET = "amnesty-2019"


def source_record(path, namespace, meta=None):
    """The Source node a file's findings and quotes are derived from.

    ``meta`` (a dataset.yaml mapping) adds title, publisher, issued and the declared
    metadata (question type, caveats, questions: see :mod:`consultgraph.loaders.metadata`).
    """
    from consultgraph.loaders.metadata import metadata_props

    meta = meta or {}
    props = {"label": meta.get("title") or Path(path).name, "file": Path(path).name}
    for key in ("title", "publisher", "issued"):
        if meta.get(key):
            props[key] = str(meta[key])

    def bad(message, name):
        raise InputError(message, file=path, field=name)

    declared = metadata_props(meta, check=bad)
    if declared:
        props["metadata"] = declared
    return Node("Source", f"source/{namespace}", props, file=str(path))


def read_dataset(path, *, namespace=None, source_id=None, steps=()):
    """Yield the records of every file a dataset folder's ``dataset.yaml`` lists, in order
    (each file's followed by what ``steps`` derive from it, as in :func:`load`)."""
    folder = Path(path)
    meta_path = folder / "dataset.yaml"
    import yaml  # only a dataset folder needs it: opening a stored project (every command) does not

    try:
        meta = yaml.load(meta_path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}  # noqa: S506 - safe
    except yaml.YAMLError as error:
        raise InputError(f"malformed YAML ({error})", file=meta_path) from None
    name = slugify(meta.get("name") or folder.name)
    source = source_record(meta_path, name, {**meta, "title": meta.get("source_title") or meta.get("title"), "dataset_title": meta.get("title")})
    yield source
    for entry in meta.get("files") or []:
        entry = {"path": entry} if isinstance(entry, str) else dict(entry)
        file_path = folder / entry["path"]
        fmt = entry.get("format") or detect(file_path)
        yield from loader(fmt).load()(file_path, namespace=name, source_id=source.id)
        for step in steps:
            yield from step(file_path, fmt, name)


def _accepted(entry, options):
    """The options the loader's function takes; an option it does not take is an error."""
    import inspect

    if not options:
        return {}
    function = entry.load()
    accepted = set(inspect.signature(function).parameters)
    unknown = sorted(k for k, v in options.items() if v not in (None, False) and k not in accepted)
    if unknown:
        raise InputError(f"the {entry.name} format takes no option '{unknown[0].replace('_', '-')}'", field=unknown[0])
    return {k: v for k, v in options.items() if k in accepted and v not in (None, False)}


#: Formats a file given beside ``--text-columns`` keeps (codebooks, whole projects): not answer tables.
_NOT_ANSWERS = ("skos", "codebook", "json", "dataset", "metadata", "tttc", "polis", "consult", "documents", "qdpx")


def iter_records(path, fmt=None, namespace=None, options=None, steps=(), concepts=None):
    """The records of one input, with a Source node for plain files, then what ``steps`` derive.

    ``concepts`` (the project's concept index) goes to loaders that map names onto
    concepts themselves (qdpx codes), so a project's own codebook is known to them.
    """
    import inspect

    path = Path(path)
    options = dict(options or {})
    if options.get("text_columns") and fmt is None:
        # --text-columns names the answer columns of the tables among the files; codebooks load as usual
        try:
            detected = detect(path)
        except InputError:
            detected = None
        if detected in _NOT_ANSWERS:
            fmt = detected
            options.pop("text_columns")
        else:
            fmt = "text"
    fmt = fmt or detect(path)
    entry = loader(fmt)
    extra = _accepted(entry, options)
    if concepts is not None and "concepts" in inspect.signature(entry.load()).parameters:
        extra["concepts"] = concepts
    if entry.name == "dataset":
        yield from entry.load()(path, namespace=namespace, source_id=None, steps=steps)
        return
    if entry.name in ("json", "skos", "metadata", "codebook"):
        yield from entry.load()(path, namespace=namespace, source_id=None)
    else:
        namespace = namespace or slugify(path.stem)
        source = source_record(path, namespace)
        yield source
        yield from entry.load()(path, namespace=namespace, source_id=source.id, **extra)
    for step in steps:
        yield from step(path, entry.name, namespace)


@dataclass
class LoadReport:
    """What a load did: the new graph, and counts before and after.

    ``unchanged`` is True when the load was skipped: the project's current generation was
    written by a load of the same files (same bytes, same order), options and code, so
    nothing was read or written and ``graph`` is the project as it was.
    """

    graph: object
    files: list = field(default_factory=list)
    nodes_before: int = 0
    edges_before: int = 0
    added: dict = field(default_factory=dict)
    #: quotes given without offsets that were looked for in their responses (QuoteOffsets), if any
    quote_offsets: object = None
    unchanged: bool = False
    #: what the loaders said about their input (:class:`consultgraph.errors.LoadWarning`), in order
    notes: list = field(default_factory=list)

    @property
    def nodes_after(self):
        return self.nodes_before if self.unchanged else len(self.graph.nodes)

    @property
    def edges_after(self):
        return self.edges_before if self.unchanged else len(self.graph.edges)


def load(paths, into=None, *, fmt=None, namespace=None, graph=None, progress=None, options=None, steps=(),
         force=False):
    """Load input files into a project (or into ``graph`` in memory), all or nothing.

    A load into a project whose current generation was written by a load of the same
    files (same SHA-256, same order), format, namespace, options, steps and consultgraph
    code would write the same tables again: it is skipped (``LoadReport.unchanged``)
    after hashing the files, without reading a table or parsing a file. Any later write
    (another load, ``code``) makes the next identical load run in full.

    Parameters
    ----------
    paths : list of path
        Input files or dataset folders.
    into : path, optional
        The project folder: created if missing, extended if present. Nothing is
        written unless every file translates cleanly.
    fmt : str or dict, optional
        Loader name for all ``paths`` (or a mapping path -> name); detected per file
        when omitted.
    namespace : str, optional
        Prefix of finding and quote ids (default: the file name).
    graph : Consultation, optional
        Start from this graph instead of the project.
    progress : callable, optional
        ``progress(step, detail)`` is called as work proceeds (the CLI draws a bar).
    options : dict, optional
        Format options, e.g. for qdpx ``group_variable``, ``region_variable``,
        ``respondent_per_source``, ``code_map``, ``group``.
    steps : sequence of callable, optional
        Work a later layer does on each input, run here so it lands in the same batch:
        ``step(path, format_name, namespace)`` yields more records after the input's own.
        ``consultgraph load`` passes
        :func:`consultgraph.queries.opinion_groups.opinion_group_records`, which adds the
        opinion groups of a Pol.is export (clustering is analysis, so no loader does it).
    force : bool, optional
        Load even when the project's current generation was written by this very load.

    Returns
    -------
    LoadReport

    Examples
    --------
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.csv").write_text("respondent,group,code\\nr1,partner,research\\n")
    >>> first = load([folder / "a.csv"], into=folder / "project")
    >>> again = load([folder / "a.csv"], into=folder / "project")
    >>> first.unchanged, again.unchanged, again.edges_after == first.edges_after
    (False, True, True)
    >>> load([folder / "a.csv"], into=folder / "project", force=True).unchanged
    False
    """
    from consultgraph.graph.consultation import Consultation
    from consultgraph.graph.store import Project

    report = progress or (lambda step, detail=None: None)
    # hashed before any file is parsed: a file changed while it loads is recorded as it was, so loaded again
    digests = [file_sha256(p) if Path(p).exists() else None for p in paths]
    signature = None
    if graph is None and into is not None and None not in digests:
        signature = load_signature(paths, digests, fmt=fmt, namespace=namespace, options=options, steps=steps)
        project = Project(into)
        # while another writer holds the project its generation is about to change: no skipping
        manifest = project.manifest() if project.exists() and not project.locked() else None
        if manifest is not None and not force and written_by(manifest, signature):
            counts = manifest.get("counts") or {}
            return LoadReport(graph=Consultation.open(into), files=_files(paths, digests),
                              nodes_before=counts.get("nodes", 0), edges_before=counts.get("edges", 0),
                              added={"nodes": 0, "edges": 0}, unchanged=True)
    from consultgraph.graph.memory import release_memory
    from consultgraph.graph.translator import translate

    if graph is None:
        graph = Consultation.open(into) if into is not None and Project(into).exists() else Consultation()
    if graph.name is None and into is not None:
        graph.name = Path(into).name
    stored = graph.manifest.get("counts") if graph.project is not None else None
    # a stored project's sizes are in its manifest: its tables are read only when merging
    before = (stored["nodes"], stored["edges"]) if stored else (len(graph.nodes), len(graph.edges))

    def records():
        for path in paths:
            report("read", str(path))
            path_fmt = fmt.get(str(path)) if isinstance(fmt, dict) else fmt
            yield from iter_records(path, path_fmt, namespace, options, steps, concepts=graph.concepts)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LoadWarning)
        batch = translate(records(), concepts=graph.concepts, existing=graph.node_kinds)
    notes = _notes(caught)
    report("merge", f"{len(batch.nodes)} nodes, {len(batch.edges)} edges")
    merged = graph.merge(batch)
    offsets = None
    if len(batch.nodes) and (batch.nodes["kind"] == "Quote").any():
        from consultgraph.loaders.quote_offsets import locate_quotes

        report("locate", "quotes in their responses")
        merged, offsets = locate_quotes(merged)
    added = {"nodes": len(batch.nodes), "edges": len(batch.edges)}
    del graph, batch  # the project's old tables are not kept while the new ones are written
    release_memory()  # what translating and merging freed serves the save, not the next allocation
    files = _files(paths, digests)
    if into is not None:
        report("save", str(into))
        merged.save(into, load={"files": files, **added, **({"signature": signature} if signature else {})})
    return LoadReport(graph=merged, files=files, nodes_before=before[0], edges_before=before[1], added=added,
                      quote_offsets=offsets, notes=notes)


def _notes(caught):
    """The texts of the :class:`LoadWarning` s ``caught``; any other warning is issued again as it was."""
    notes = []
    for found in caught:
        if issubclass(found.category, LoadWarning):
            notes.append(str(found.message))
        else:
            warnings.warn_explicit(found.message, found.category, found.filename, found.lineno)
    return notes


def _files(paths, digests):
    return [{"file": str(p), "sha256": digest or file_sha256(p)} for p, digest in zip(paths, digests)]


_BUILTIN_CACHE = {}


def builtin(name=DEFAULT_DATASET):
    """The built-in dataset ``name`` as a :class:`Consultation` (built once per process)."""
    folder = DATASETS_DIR / name
    if not (folder / "dataset.yaml").is_file():
        available = sorted(p.name for p in DATASETS_DIR.iterdir() if (p / "dataset.yaml").is_file())
        raise UnknownNameError("built-in dataset", name, available)
    if name not in _BUILTIN_CACHE:
        from consultgraph.graph.consultation import Consultation
        from consultgraph.loaders.build_builtin import is_current

        if is_current(name):  # the stored copy, built from these very files: no parsing, no translating
            graph = Consultation.open(PREBUILT_DIR / name)
        else:
            graph = load([folder], graph=Consultation(name=name)).graph
        graph.dataset = name  # engines cache it in the user's cache, never in the package
        _BUILTIN_CACHE[name] = graph
    return _BUILTIN_CACHE[name]


def open_graph(spec=None):
    """A graph from a project path, or a built-in dataset by name (default amnesty-2019)."""
    from consultgraph.graph.consultation import Consultation

    if spec is None or str(spec) == "":
        return builtin()
    text = str(spec)
    if text.startswith("builtin:"):
        return builtin(text.split(":", 1)[1])
    if not Path(text).exists() and re.fullmatch(r"[a-z0-9-]+", text) and (DATASETS_DIR / text).is_dir():
        return builtin(text)
    return Consultation.open(text)
