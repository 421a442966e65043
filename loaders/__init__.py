"""Loaders: one per input format, in a registry keyed by name, imported lazily.

Every loader is a function ``read(path, *, namespace, source_id)`` that yields records
(:mod:`consultgraph.graph.records`). :func:`load` runs loaders, hands every record to the
translator, merges the batch into the project and saves it, all or nothing.
"""

from __future__ import annotations

import hashlib
import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from consultgraph.errors import InputError, UnknownNameError
from consultgraph.graph.concepts import slugify
from consultgraph.graph.records import Node

DATASETS_DIR = Path(__file__).resolve().parent / "datasets"
#: The built-in datasets, translated and stored as projects (``python -m consultgraph.loaders.build_builtin``).
PREBUILT_DIR = Path(__file__).resolve().parent / "prebuilt"
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DEFAULT_DATASET = "amnesty-2019"


@dataclass(frozen=True)
class Loader:
    """A registered input format."""

    name: str
    module: str
    function: str
    description: str
    aliases: tuple = ()

    def read(self, path, **options):
        function = getattr(importlib.import_module(self.module), self.function)
        return function(path, **options)


_REGISTRY = {}


def register(name, module, function, description, aliases=()):
    """Register a loader under ``name`` (and ``aliases``)."""
    loader = Loader(name, module, function, description, tuple(aliases))
    for key in (name, *aliases):
        _REGISTRY[key] = loader
    return loader


register("long", "consultgraph.loaders.coded", "read_long",
         "coded submissions, one row per coding: respondent, code, stance, weight, quote (CSV/TSV/XLSX/JSONL/YAML)",
         aliases=("codings", "segments"))
register("wide", "consultgraph.loaders.coded", "read_wide",
         "coded submissions, one row per respondent and one column per code (CSV/TSV/XLSX)",
         aliases=("crosstab",))
register("respondents", "consultgraph.loaders.published", "read_respondents",
         "respondents: id, name, group, region, focus_region")
register("findings", "consultgraph.loaders.published", "read_findings",
         "published findings: group, concept, stance, count, base, reported_percent, source_line ... (CSV/YAML)")
register("quotes", "consultgraph.loaders.published", "read_quotes",
         "quotes: text, respondent or group, illustrates, source_line (CSV/YAML/JSONL)")
register("skos", "consultgraph.loaders.skos", "read_skos",
         "a SKOS concept scheme (Turtle, RDF/XML, JSON-LD): the project's own codes", aliases=("concepts", "turtle"))
register("codebook", "consultgraph.loaders.codebook", "read_codebook",
         "your own concepts, one row each: kind (group, region, theme, tactic, idea ...), id, label, alt_labels, "
         "broader, definition (CSV/XLSX/YAML)", aliases=("codes",))
register("json", "consultgraph.loaders.graphjson", "read_graph_json",
         "consultgraph's own JSON export (export --format json)", aliases=("graph-json",))
register("polis", "consultgraph.loaders.polis", "read_polis",
         "a Pol.is export folder (comments.csv, votes.csv, participants-votes.csv): the general public's votes")
register("tttc", "consultgraph.loaders.tttc", "read_tttc",
         "a Talk to the City report JSON: LLM topics and claims, with speakers where the report has them")
register("qdpx", "consultgraph.loaders.qdpx_graph", "read_qdpx_records",
         "a REFI-QDA project (.qdpx from NVivo, ATLAS.ti, MAXQDA, QualCoder; or a bare .qde)", aliases=("qde", "refi-qda"))
register("metadata", "consultgraph.loaders", "read_metadata",
         "a metadata.yaml: title, sources, question_type (open-ended/closed), caveats with source lines, questions")
register("dataset", "consultgraph.loaders", "read_dataset",
         "a dataset folder with dataset.yaml (the built-in amnesty-2019 is one)")


def loader(name):
    """The :class:`Loader` registered as ``name``; :class:`UnknownNameError` lists the choices."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownNameError("input format", name, {l.name for l in _REGISTRY.values()}) from None


def loaders():
    """The registered loaders, one per name (aliases not repeated)."""
    seen = {}
    for entry in _REGISTRY.values():
        seen.setdefault(entry.name, entry)
    return list(seen.values())


def detect(path):
    """The name of the loader for ``path``, from its suffix and header."""
    path = Path(path)
    if path.is_dir():
        if (path / "dataset.yaml").is_file():
            return "dataset"
        if any(path.glob("*votes.csv")) and any(path.glob("*comments.csv")):
            return "polis"
        raise InputError("a folder must hold a dataset.yaml or a Pol.is export (comments.csv, votes.csv)", file=path)
    if not path.exists():
        raise InputError("no such file", file=path)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml") and _declares_metadata(path):
        return "metadata"
    if suffix in (".qdpx", ".qde"):
        return "qdpx"
    from consultgraph.loaders.skos import RDF_FORMATS

    if suffix in RDF_FORMATS and suffix != ".xml":
        return "skos"
    if suffix == ".json":
        from consultgraph.loaders.graphjson import is_graph_json
        from consultgraph.loaders.tttc import is_tttc

        if is_graph_json(path):
            return "json"
        if is_tttc(path):
            return "tttc"
    from consultgraph.loaders.coded import find_columns, fold
    from consultgraph.loaders.tables import read_table

    if suffix in (".csv", ".tsv", ".tab", ".txt"):
        import pandas as pd

        from consultgraph.loaders.tables import read_header

        frame = pd.DataFrame(columns=read_header(path))  # the header decides; no need to parse rows
    elif suffix in (".xlsx", ".xlsm"):
        from consultgraph.loaders.tables import read_xlsx

        frame = read_xlsx(path)
    else:
        frame = read_table(path)
    columns = {fold(c) for c in frame.columns if c != "line"}
    found = find_columns(frame)
    from consultgraph.loaders.codebook import is_codebook

    if is_codebook(columns):
        return "codebook"
    if "measure" in columns:
        return "findings"
    if "text" in columns and "code" not in found:
        return "quotes"
    if "code" in found and "respondent" in found:
        return "long"
    if "respondent" in found:
        attributes = {"respondent", "name", "group", "region", "focus_region"}
        extra = [c for c in frame.columns if c != "line" and c not in {found.get(a) for a in attributes}]
        extra = [c for c in extra if fold(c) != "source_line"]
        return "wide" if extra else "respondents"
    raise InputError(
        "cannot tell what this file holds",
        file=path,
        line=1,
        hint="name its format with --from (long, wide, respondents, findings, quotes, codebook, skos, json)",
    )


def _declares_metadata(path):
    """Whether a YAML file is a metadata mapping rather than a list of records."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError:
        return False
    return isinstance(data, dict) and bool({"question_type", "caveats", "questions", "title"} & set(data))


#: What a loader's input looks like on standard input: the file suffix it is read as.
_STDIN_SUFFIX = {"skos": ".ttl", "qdpx": ".qdpx", "json": ".json", "tttc": ".json"}


def stdin_suffix(data, fmt):
    """The file suffix to give ``data`` read from standard input for loader ``fmt``.

    Tables are told apart by their first character: ``{`` JSON Lines (or one JSON
    object), ``[`` JSON, ``-`` or ``key:`` YAML, anything else CSV (delimiter sniffed).

    Examples
    --------
    >>> stdin_suffix(b"respondent;code\\nr1;research\\n", "long"), stdin_suffix(b'{"respondent": "r1"}\\n', "long")
    ('.csv', '.jsonl')
    >>> stdin_suffix(b"- text: Hi\\n", "quotes"), stdin_suffix(b"@prefix skos: <x> .", "skos")
    ('.yaml', '.ttl')
    """
    entry = loader(fmt)
    if entry.name in ("polis", "dataset"):
        raise InputError(f"the {entry.name} format is a folder and cannot come from standard input", file="-")
    if entry.name == "skos":
        head = data.lstrip()[:200]
        return ".rdf" if head.startswith(b"<") else ".jsonld" if head.startswith((b"{", b"[")) else ".ttl"
    if entry.name in _STDIN_SUFFIX:
        return _STDIN_SUFFIX[entry.name]
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:4096]
    if head.startswith(b"{"):
        lines = [line for line in head.splitlines() if line.strip()]
        return ".jsonl" if len(lines) > 1 and lines[1].lstrip().startswith(b"{") or len(lines) == 1 else ".json"
    if head.startswith(b"["):
        return ".json"
    first = head.split(b"\n", 1)[0]
    if head.startswith((b"- ", b"---")) or re.match(rb"^[A-Za-z_][\w ]*:(\s|$)", first):
        return ".yaml"
    if head.startswith(b"PK"):
        return ".xlsx"
    return ".csv"


def source_record(path, namespace, meta=None):
    """The Source node a file's findings and quotes are derived from.

    ``meta`` (a dataset.yaml mapping) adds title, publisher, issued and the declared
    metadata (question type, caveats, questions: see :mod:`consultgraph.queries.metadata`).
    """
    from consultgraph.queries.metadata import metadata_props

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


def read_metadata(path, *, namespace=None, source_id=None):
    """Yield the Source node a ``metadata.yaml`` declares (title, question type, caveats, questions)."""
    meta = _yaml_mapping(path)
    yield source_record(path, slugify(namespace or meta.get("name") or Path(path).stem), meta)


def _yaml_mapping(path):
    try:
        meta = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise InputError(f"malformed YAML ({error})", file=path) from None
    if not isinstance(meta, dict):
        raise InputError("a metadata file must be a mapping (title, question_type, caveats, questions)", file=path)
    return meta


def read_dataset(path, *, namespace=None, source_id=None):
    """Yield the records of every file a dataset folder's ``dataset.yaml`` lists, in order."""
    folder = Path(path)
    meta_path = folder / "dataset.yaml"
    try:
        meta = yaml.load(meta_path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}  # noqa: S506 - safe
    except yaml.YAMLError as error:
        raise InputError(f"malformed YAML ({error})", file=meta_path) from None
    name = slugify(meta.get("name") or folder.name)
    source = source_record(meta_path, name, {**meta, "title": meta.get("source_title") or meta.get("title"), "dataset_title": meta.get("title")})
    yield source
    for entry in meta.get("files") or []:
        entry = {"path": entry} if isinstance(entry, str) else dict(entry)
        file_path = folder / entry["path"]
        fmt = entry.get("format") or detect(file_path)
        yield from loader(fmt).read(file_path, namespace=name, source_id=source.id)


def _accepted(entry, options):
    """The options the loader's function takes; an option it does not take is an error."""
    import inspect

    if not options:
        return {}
    function = getattr(importlib.import_module(entry.module), entry.function)
    accepted = set(inspect.signature(function).parameters)
    unknown = sorted(k for k, v in options.items() if v not in (None, False) and k not in accepted)
    if unknown:
        raise InputError(f"the {entry.name} format takes no option '{unknown[0].replace('_', '-')}'", field=unknown[0])
    return {k: v for k, v in options.items() if k in accepted and v not in (None, False)}


def iter_records(path, fmt=None, namespace=None, options=None):
    """The records of one input, with a Source node for plain files."""
    path = Path(path)
    fmt = fmt or detect(path)
    entry = loader(fmt)
    extra = _accepted(entry, options)
    if entry.name in ("dataset", "json", "skos", "metadata", "codebook"):
        yield from entry.read(path, namespace=namespace, source_id=None)
        return
    namespace = namespace or slugify(path.stem)
    source = source_record(path, namespace)
    yield source
    yield from entry.read(path, namespace=namespace, source_id=source.id, **extra)


@dataclass
class LoadReport:
    """What a load did: the new graph, and counts before and after."""

    graph: object
    files: list = field(default_factory=list)
    nodes_before: int = 0
    edges_before: int = 0
    added: dict = field(default_factory=dict)

    @property
    def nodes_after(self):
        return len(self.graph.nodes)

    @property
    def edges_after(self):
        return len(self.graph.edges)


def _sha256(path):
    path = Path(path)
    if path.is_dir():
        digest = hashlib.sha256()
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            digest.update(child.name.encode())
            digest.update(child.read_bytes())
        return digest.hexdigest()
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load(paths, into=None, *, fmt=None, namespace=None, graph=None, progress=None, options=None):
    """Load input files into a project (or into ``graph`` in memory), all or nothing.

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

    Returns
    -------
    LoadReport
    """
    from consultgraph.graph.consultation import Consultation
    from consultgraph.graph.store import Project
    from consultgraph.graph.translator import translate

    report = progress or (lambda step, detail=None: None)
    if graph is None:
        graph = Consultation.open(into) if into is not None and Project(into).exists() else Consultation()
    if graph.name is None and into is not None:
        graph.name = Path(into).name
    before = (len(graph.nodes), len(graph.edges))

    def records():
        for path in paths:
            report("read", str(path))
            path_fmt = fmt.get(str(path)) if isinstance(fmt, dict) else fmt
            yield from iter_records(path, path_fmt, namespace, options)

    batch = translate(records(), concepts=graph.concepts, existing=graph.node_kinds())
    report("merge", f"{len(batch.nodes)} nodes, {len(batch.edges)} edges")
    merged = graph.merge(batch)
    files = [{"file": str(p), "sha256": _sha256(p)} for p in paths]
    if into is not None:
        report("save", str(into))
        merged.save(into, load={"files": files, "nodes": len(batch.nodes), "edges": len(batch.edges)})
    return LoadReport(
        graph=merged,
        files=files,
        nodes_before=before[0],
        edges_before=before[1],
        added={"nodes": len(batch.nodes), "edges": len(batch.edges)},
    )


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
