"""The loaders' registry: every input format by name (aliases allowed), imported lazily,
and :func:`detect`, which names the format of a file from its suffix and header.
"""

from __future__ import annotations

import re
from pathlib import Path

from consultgraph.errors import InputError
from consultgraph.graph.plugins import Registry

#: Every input format: ``LOADERS.get(name)(path, *, namespace, source_id, **options)``
#: yields records. Flags: ``folder=True`` for formats read from a folder.
LOADERS = Registry("loader", "input format")


def register(name, module, function, description, aliases=(), **flags):
    """Register a loader under ``name`` (and ``aliases``)."""
    return LOADERS.register(name, module, function, description, aliases, **flags)


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
         "a Pol.is export folder (comments.csv, votes.csv, participants-votes.csv): the general public's votes",
         folder=True)
register("tttc", "consultgraph.loaders.tttc", "read_tttc",
         "a Talk to the City report JSON: LLM topics and claims, with speakers where the report has them")
register("qdpx", "consultgraph.loaders.qdpx_graph", "read_qdpx_records",
         "a REFI-QDA project (.qdpx from NVivo, ATLAS.ti, MAXQDA, QualCoder; or a bare .qde)", aliases=("qde", "refi-qda"))
register("metadata", "consultgraph.loaders.metadata", "read_metadata",
         "a metadata.yaml: title, sources, question_type (open-ended/closed), caveats with source lines, questions")
register("text", "consultgraph.loaders.freetext", "read_text_table",
         "free-text answers: one row per respondent (id, group, region, attributes) and answer columns (--text-columns)",
         aliases=("free-text", "freetext"))
register("tttc-csv", "consultgraph.loaders.freetext", "read_tttc_csv",
         "Talk to the City's input CSV: id, interview, comment (one response per comment)")
register("consult", "consultgraph.loaders.consult", "read_consult",
         "an i.AI Consult folder: question_part_N/ responses, respondents.jsonl, gold mapping (coder consult-gold)")
register("documents", "consultgraph.loaders.documents", "read_documents",
         "a folder of .txt/.md/.docx/.pdf submissions with manifest.csv (file, respondent, group, region)",
         aliases=("docs",))
register("dataset", "consultgraph.loaders.pipeline", "read_dataset",
         "a dataset folder with dataset.yaml (the built-in amnesty-2019 is one)", folder=True)


def loader(name):
    """The loader registered as ``name`` (a :class:`~consultgraph.graph.plugins.Plugin`)."""
    return LOADERS.get(name)


def loaders():
    """The registered loaders, one per name (aliases not repeated)."""
    return LOADERS.all()


def detect(path):
    """The name of the loader for ``path``, from its suffix and header."""
    path = Path(path)
    if path.is_dir():
        if (path / "dataset.yaml").is_file():
            return "dataset"
        if any(path.glob("*votes.csv")) and any(path.glob("*comments.csv")):
            return "polis"
        from consultgraph.loaders.consult import inputs_folder
        from consultgraph.loaders.documents import manifest_of

        if manifest_of(path) is not None:
            return "documents"
        if inputs_folder(path) is not None:
            return "consult"
        raise InputError("a folder must hold a dataset.yaml, a Pol.is export (comments.csv, votes.csv), "
                         "a Consult layout (question_part_N/) or documents with manifest.csv", file=path)
    if not path.exists():
        raise InputError("no such file", file=path)
    suffix = path.suffix.lower()
    from consultgraph.loaders.metadata import declares_metadata

    if suffix in (".yaml", ".yml") and declares_metadata(path):
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
    from consultgraph.loaders.freetext import is_tttc_csv

    if is_tttc_csv(frame.columns):
        return "tttc-csv"
    if {"response", "suggested", "codes", "check"} <= columns:  # `code --review`'s sheet, sent to load
        raise InputError("this is a review sheet from `consultgraph code --review`: record it with "
                         f"`consultgraph code -g PROJECT --reviewed {path.name}`", file=path)

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
