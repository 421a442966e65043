"""A folder of submitted documents (.txt, .md, .docx, .pdf) with a manifest CSV.

``manifest.csv`` names each document and who sent it: ``file, respondent, group, region``
(and any other attributes). Each document becomes one Response to the question
"document", its text kept whole; the Response's ``pages`` property records where each
page (PDF) or paragraph (Word, text) starts, so quotes keep page and paragraph offsets.
"""

from __future__ import annotations

import difflib
import json
import re
import warnings
from pathlib import Path

import pandas as pd

from consultgraph.errors import InputError, LoadWarning
from consultgraph.loaders.coded import find_columns, fold
from consultgraph.loaders.freetext import check_utf8, responses_from_frame
from consultgraph.loaders.tables import read_table

MANIFEST_NAMES = ("manifest.csv", "manifest.tsv", "manifest.xlsx")
DOCUMENT_SUFFIXES = (".txt", ".md", ".docx", ".pdf")
#: The question every document answers (its column in the manifest frame).
DOCUMENT_QUESTION = "document"
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def manifest_of(folder):
    """The manifest file of a documents folder, or None."""
    for name in MANIFEST_NAMES:
        if (Path(folder) / name).is_file():
            return Path(folder) / name
    return None


def _text_parts(path):
    """``[(page, paragraph, text)]`` of one document; page is None outside PDFs."""
    suffix = path.suffix.lower()
    if suffix in (".txt", ".md"):
        data = check_utf8(path, hint="save the document as UTF-8 text")
        if b"\x00" in data:  # valid UTF-8 all the same: an image, an archive, a UTF-16 file renamed .txt
            line = data[:data.index(b"\x00")].count(b"\n") + 1
            raise InputError("not a text document: it holds NUL bytes (binary data, or UTF-16 text)", file=path,
                             line=line, hint="give the document as UTF-8 text, .docx or .pdf")
        text = data.decode("utf-8").lstrip("\ufeff").replace("\r\n", "\n")
        return [(None, n, p.strip()) for n, p in enumerate(_PARAGRAPH_BREAK.split(text), start=1) if p.strip()]
    if suffix == ".docx":
        import docx

        try:
            document = docx.Document(str(path))
        except Exception as error:  # python-docx raises several kinds for a broken package
            raise InputError(f"not a readable Word document ({type(error).__name__}: {error})", file=path) from None
        paragraphs = [p.text.strip() for p in document.paragraphs if p.text.strip()]
        return [(None, n, text) for n, text in enumerate(paragraphs, start=1)]
    if suffix == ".pdf":
        import pypdf

        try:
            reader = pypdf.PdfReader(str(path))
            pages = [page.extract_text() or "" for page in reader.pages]
        except Exception as error:  # pypdf raises many kinds for broken files
            raise InputError(f"not a readable PDF ({type(error).__name__}: {error})", file=path) from None
        if not any(p.strip() for p in pages):
            raise InputError(
                f"no text found in {len(pages)} page{'s' if len(pages) != 1 else ''}: a scanned PDF without a text layer?",
                file=path,
                hint="run OCR first (e.g. ocrmypdf) or give the text as a .txt file",
            )
        parts = []
        for number, page in enumerate(pages, start=1):
            paragraphs = [p.strip() for p in _PARAGRAPH_BREAK.split(page.replace("\r\n", "\n")) if p.strip()]
            parts.extend((number, n, text) for n, text in enumerate(paragraphs, start=1))
        return parts
    raise InputError(f"cannot read '{suffix}' documents", file=path, hint=f"use one of: {', '.join(DOCUMENT_SUFFIXES)}")


def document_text(path):
    """The text of one document and its offsets: ``(text, [[page, paragraph, start], ...])``.

    Paragraphs are joined by a blank line; ``start`` is the character offset where each
    begins in the joined text.
    """
    path = Path(path)
    if not path.is_file() or path.stat().st_size == 0:
        raise InputError("empty file" if path.is_file() else "no such file", file=path)
    parts = _text_parts(path)
    if not parts:
        raise InputError("no text found", file=path, hint="is it empty, or an image?")
    texts, offsets, position = [], [], 0
    for page, paragraph, text in parts:
        offsets.append([page, paragraph, position])
        texts.append(text)
        position += len(text) + 2
    return "\n\n".join(texts), offsets


def _documents_in(folder):
    """Every document under ``folder`` (a readable suffix), as sorted relative paths."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES)


def _nearest_documents(folder, name):
    """Where a manifest's document name may have meant: the same name in other case, close names, or what is there."""
    present = _documents_in(folder)
    same = [p for p in present if p.casefold() == name.casefold()]
    near = same or difflib.get_close_matches(name, present, n=3, cutoff=0.6)
    if near:
        return f"nearest: {', '.join(near)}" + ("; names are case-sensitive" if same else "")
    shown = ", ".join(present[:5]) + (f" and {len(present) - 5} more" if len(present) > 5 else "")
    return f"documents in the folder: {shown or 'none'}"


def read_documents(path, *, namespace=None, source_id=None, group=None):
    """Yield records for a folder of documents and its manifest (all or nothing)."""
    folder = Path(path)
    manifest = manifest_of(folder)
    if manifest is None:
        raise InputError(f"no manifest in the folder (expected one of: {', '.join(MANIFEST_NAMES)})", file=folder)
    if manifest.suffix.lower() != ".xlsx":
        check_utf8(manifest)
    frame = read_table(manifest)
    cells = frame[[c for c in frame.columns if c != "line"]].astype(object)
    filled = (cells.notna() & (cells.astype(str).apply(lambda c: c.str.strip()) != "")).any(axis=1)
    frame = frame[filled].reset_index(drop=True)  # a row with every cell empty lists no document
    columns = {fold(c): c for c in frame.columns if c != "line"}
    file_column = columns.get("file") or columns.get("document") or columns.get("filename")
    if file_column is None:
        raise InputError("the manifest needs a 'file' column", file=manifest, line=1, field="file",
                         hint=f"columns found: {', '.join(c for c in frame.columns if c != 'line')}")
    if "respondent" not in find_columns(frame.drop(columns=[file_column])):
        frame["respondent"] = [Path(str(f)).stem for f in frame[file_column]]
    texts, pages = [], []
    for name, line in zip(frame[file_column], frame["line"]):
        if not isinstance(name, str) or not name.strip():
            raise InputError("missing file name", file=manifest, line=int(line), field=file_column)
        document = (folder / name.strip()).resolve()
        if not document.is_relative_to(folder.resolve()):
            raise InputError(f"'{name}' is outside the documents folder", file=manifest, line=int(line), field=file_column)
        if not document.is_file():
            raise InputError(f"document '{name}' not found", file=manifest, line=int(line), field=file_column,
                             hint=_nearest_documents(folder, name.strip()))
        try:
            text, offsets = document_text(document)
        except InputError as error:  # say which manifest row named the document, and where in it
            inside = f", line {error.line}" if error.line is not None else ""
            raise InputError(f"document '{name.strip()}'{inside}: {error.message}", file=manifest, line=int(line),
                             field=file_column, hint=error.hint) from None
        texts.append(text)
        pages.append(json.dumps(offsets))
    named = {(folder / str(n).strip()).resolve() for n in frame[file_column]}
    unlisted = [p for p in _documents_in(folder) if (folder / p).resolve() not in named]
    if unlisted:  # a half-finished manifest: say what it leaves out
        shown = ", ".join(unlisted[:10]) + (f" and {len(unlisted) - 10} more" if len(unlisted) > 10 else "")
        warnings.warn(LoadWarning(f"{manifest.name}: {len(unlisted)} document{'s' if len(unlisted) != 1 else ''} in "
                                  f"{folder.resolve().name}/ not in the manifest, not loaded: {shown}"), stacklevel=2)
    frame = frame.rename(columns={file_column: "_file"})
    frame[DOCUMENT_QUESTION] = pd.Series(texts, index=frame.index, dtype=object)
    records = responses_from_frame(frame.drop(columns=["_file"]), path=manifest, namespace=namespace or folder.name,
                                   text_columns=[DOCUMENT_QUESTION], default_group=group or "public")
    who = frame[find_columns(frame.drop(columns=["_file", DOCUMENT_QUESTION]))["respondent"]]
    pages_of = {str(key).strip(): value for key, value in zip(who, zip(pages, frame["_file"]))}
    for record in records:
        if getattr(record, "kind", None) == "Response" and hasattr(record, "frame"):
            local = [i.split("/")[1] for i in record.frame["id"]]
            record.frame["pages"] = [pages_of[key][0] for key in local]
            record.frame["file"] = [pages_of[key][1] for key in local]
        yield record
