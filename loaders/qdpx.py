"""REFI-QDA projects in and out: a ``.qdpx`` archive or bare ``.qde`` read into frozen
dataclasses (:func:`read_qdpx`), and written back as a valid ``.qdpx`` (:func:`write_qdpx`).

This module is a pure library: it knows nothing of the graph. It reads what ATLAS.ti,
NVivo, MAXQDA, QualCoder and ``qc`` export — codes as a tree, sources with their plain
text, cases with their variables, users, notes, sets, links, and coded selections with
the quoted text cut out — and it refuses hostile files cleanly (see :class:`Limits`).

What the exports do differently, and what is done about it here:

* The project file inside the zip is ``project.qde`` by the spec, but ATLAS.ti writes
  ``Project.qde`` (8.x) or ``<project name>.qde`` (later versions): any single ``.qde``
  at the root of the archive is accepted, ``project.qde`` first.
* Plain texts live in ``sources/`` (spec, ``qc``, NVivo for Mac) or ``Sources/``
  (NVivo for Windows, ATLAS.ti); ``qc`` writes ``plainTextPath="board_2017.txt"`` with
  no ``internal://``. All of these are found.
* ``startPosition``/``endPosition`` count Unicode code points by the spec, and this
  module's offsets always do. NVivo for Windows counts UTF-16 code units instead (an
  emoji counts 2), which shifts every selection after the first emoji. With
  ``offsets="auto"`` each text's offsets are tried both ways and the reading that cuts
  the selections at word boundaries wins (code points on a tie); the unit found is in
  :attr:`Source.offset_unit` and in the warnings, and offsets are converted to code
  points. A UTF-8 byte-order mark is not counted by any tool and is dropped; CR LF line
  ends are kept, and count as two characters as every tool counts them.
* GUIDs are case-insensitive (ATLAS.ti writes them in capitals, NVivo in small letters,
  the schema allows braces); they are normalised to small letters without braces.

Examples
--------
>>> project = read_qdpx(SAMPLES / "qc_demo_school_board.qdpx")     # doctest: +SKIP
>>> project.counts()["text_selections"]                              # doctest: +SKIP
158
"""

from __future__ import annotations

import bisect
import datetime as dt
import os
import re
import tempfile
import uuid
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePosixPath
from typing import Iterator, Mapping

from defusedxml import DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser, ParseError
from xml.etree.ElementTree import TreeBuilder

from consultgraph.errors import InputError, SchemaError

__all__ = [
    "QDA_NAMESPACE",
    "Limits",
    "User",
    "Code",
    "Variable",
    "Case",
    "Coding",
    "PlainTextSelection",
    "MediaSelection",
    "SyncPoint",
    "Transcript",
    "Source",
    "Note",
    "QdaSet",
    "Link",
    "QdaProject",
    "read_qdpx",
    "write_qdpx",
    "make_guid",
]

QDA_NAMESPACE = "urn:QDA-XML:project:1.0"

SOURCE_KINDS = ("TextSource", "PictureSource", "PDFSource", "AudioSource", "VideoSource")
MEDIA_SELECTION_KINDS = ("PictureSelection", "PDFSelection", "AudioSelection", "VideoSelection", "TranscriptSelection")
VARIABLE_TYPES = ("Text", "Boolean", "Integer", "Float", "Date", "DateTime")
# The attributes that place each kind of non-text selection (all required but the
# transcript's sync points).
ANCHORS = {
    "PictureSelection": ("firstX", "firstY", "secondX", "secondY"),
    "PDFSelection": ("page", "firstX", "firstY", "secondX", "secondY"),
    "AudioSelection": ("begin", "end"),
    "VideoSelection": ("begin", "end"),
    "TranscriptSelection": ("fromSyncPoint", "toSyncPoint"),
}
OFFSET_UNITS = ("auto", "codepoint", "utf16")

_GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")
_RGB = re.compile(r"^#([A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})$")
# Characters XML 1.0 cannot carry at all, even as character references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_GUID_NAMESPACE = uuid.UUID("5b0b3c4e-6f4a-4f51-9a53-0c0a3c9b8d11")


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Limits:
    """How much a ``.qdpx`` may hold before it is refused as hostile.

    Parameters
    ----------
    max_total_size : int
        Uncompressed bytes of all entries together (default 2 GiB). A bare ``.qde``
        may not be larger either.
    max_members : int
        Entries in the archive (default 100,000).
    max_ratio : float
        Uncompressed / compressed size of any one entry larger than
        ``ratio_floor`` bytes (default 200; XML and text compress 5 to 20 times, a
        zip bomb a thousand times and more).
    ratio_floor : int
        Entries smaller than this (default 1 MiB) are not ratio-checked.
    max_code_depth : int
        Nesting of codes in the code book (default 100).
    """

    max_total_size: int = 2 * 1024**3
    max_members: int = 100_000
    max_ratio: float = 200.0
    ratio_floor: int = 1024**2
    max_code_depth: int = 100


@dataclass(frozen=True)
class User:
    """Someone who coded: ``guid``, display ``name``, short ``id`` (initials)."""

    guid: str
    name: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class Code:
    """One code of the code book; the tree is kept through ``parent`` (a code GUID).

    ``notes`` are the GUIDs of the notes (memos) attached to the code.
    """

    guid: str
    name: str
    is_codable: bool = True
    color: str | None = None
    description: str | None = None
    parent: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Variable:
    """A case or source attribute: ``type`` is one of Text, Boolean, Integer, Float, Date, DateTime."""

    guid: str
    name: str
    type: str = "Text"
    description: str | None = None


@dataclass(frozen=True)
class Case:
    """A case (a respondent, an organisation): its variables by name, and its members.

    ``variables`` maps variable name to a typed value (str, bool, int, float,
    datetime.date, datetime.datetime, or None when the file gives no value).
    ``sources``, ``selections`` and ``codes`` are the GUIDs the case refers to.
    """

    guid: str
    name: str | None = None
    variables: Mapping[str, object] = field(default_factory=dict)
    sources: tuple[str, ...] = ()
    selections: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    description: str | None = None


@dataclass(frozen=True)
class Coding:
    """One code applied to a selection (or to a whole source): ``code`` is its GUID."""

    guid: str
    code: str
    creating_user: str | None = None
    created: str | None = None


@dataclass(frozen=True)
class PlainTextSelection:
    """A coded span of a source's plain text, in Unicode code points, end exclusive.

    ``text`` is the span cut from :attr:`Source.plain_text` (None when the plain text
    is not in the file); ``codings`` say which codes it carries.
    """

    guid: str
    source: str
    start_position: int
    end_position: int
    text: str | None = None
    codings: tuple[Coding, ...] = ()
    creating_user: str | None = None
    created: str | None = None
    name: str | None = None
    description: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        """The GUIDs of the codes applied to this selection."""
        return tuple(coding.code for coding in self.codings)


@dataclass(frozen=True)
class MediaSelection:
    """A coded region that is not a plain-text span: a picture or PDF rectangle, an
    audio or video interval, a stretch of a transcript between two sync points.

    ``kind`` is the QDA-XML element name; ``anchor`` holds its placing attributes under
    their QDA-XML names (``firstX``... ``page``, ``begin``/``end`` in milliseconds,
    ``fromSyncPoint``/``toSyncPoint``). ``text`` is the text a PDF selection covers, when
    the exporter gave it (``text_guid`` is then the GUID of that representation);
    ``transcript`` is the transcript GUID of a transcript selection.
    """

    guid: str
    source: str
    kind: str
    anchor: Mapping[str, object] = field(default_factory=dict)
    codings: tuple[Coding, ...] = ()
    creating_user: str | None = None
    created: str | None = None
    name: str | None = None
    description: str | None = None
    text: str | None = None
    text_guid: str | None = None
    transcript: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        """The GUIDs of the codes applied to this selection."""
        return tuple(coding.code for coding in self.codings)


@dataclass(frozen=True)
class SyncPoint:
    """A point tying a transcript character ``position`` to a media ``time_stamp`` (ms)."""

    guid: str
    position: int | None = None
    time_stamp: int | None = None


@dataclass(frozen=True)
class Transcript:
    """The transcript of an audio or video source."""

    guid: str
    name: str | None = None
    plain_text: str | None = None
    plain_text_path: str | None = None
    rich_text_path: str | None = None
    sync_points: tuple[SyncPoint, ...] = ()


@dataclass(frozen=True)
class Source:
    """A document of the project: a text, PDF, picture, audio or video.

    ``plain_text`` is the text that :class:`PlainTextSelection` offsets count in: the
    text of a TextSource, or the text representation of a PDF (whose own GUID and name
    are ``representation_guid``/``representation_name``). It is None when the export
    does not carry it. ``path`` is where a media file lives (``internal://``,
    ``relative://`` or ``absolute://``). ``codings`` apply to the whole source.
    ``offset_unit`` is the unit the file counted offsets in ("codepoint" or "utf16");
    the offsets in this module are code points either way.
    """

    guid: str
    name: str | None = None
    kind: str = "TextSource"
    plain_text: str | None = None
    plain_text_path: str | None = None
    rich_text_path: str | None = None
    path: str | None = None
    current_path: str | None = None
    variables: Mapping[str, object] = field(default_factory=dict)
    codings: tuple[Coding, ...] = ()
    description: str | None = None
    creating_user: str | None = None
    created: str | None = None
    representation_guid: str | None = None
    representation_name: str | None = None
    transcripts: tuple[Transcript, ...] = ()
    notes: tuple[str, ...] = ()
    offset_unit: str = "codepoint"


@dataclass(frozen=True)
class Note:
    """A note (memo): its text, and who wrote it."""

    guid: str
    name: str | None = None
    text: str | None = None
    description: str | None = None
    creating_user: str | None = None
    created: str | None = None
    plain_text_path: str | None = None


@dataclass(frozen=True)
class QdaSet:
    """A named set of codes, sources and notes (ATLAS.ti's code and document groups)."""

    guid: str
    name: str
    codes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    description: str | None = None


@dataclass(frozen=True)
class Link:
    """A named relation between two objects of the project, by GUID."""

    guid: str
    name: str | None = None
    origin: str | None = None
    target: str | None = None
    direction: str | None = None
    color: str | None = None


@dataclass(frozen=True)
class QdaProject:
    """A REFI-QDA project.

    Attributes
    ----------
    name, origin : str
        The project's name, and the software that wrote it (e.g. "NVivo for Windows 12.6").
    users, codes, variables, cases, sources : tuple
        :class:`User`, :class:`Code` (depth first: every parent before its children),
        :class:`Variable`, :class:`Case`, :class:`Source`.
    selections : tuple of PlainTextSelection
        The coded text spans, in file order.
    media_selections : tuple of MediaSelection
        Every other kind of selection (pictures, PDF regions, audio, video, transcripts).
    notes, sets, links : tuple
        :class:`Note`, :class:`QdaSet`, :class:`Link`.
    description : str or None
        The project's description.
    project_notes : tuple of str
        GUIDs of the notes about the project as a whole.
    warnings : tuple of str
        What was odd but readable (unknown references, texts not in the archive, the
        offset unit found, elements not kept such as Graphs).
    file : str or None
        The file it was read from.
    """

    name: str
    origin: str | None = None
    users: tuple[User, ...] = ()
    codes: tuple[Code, ...] = ()
    variables: tuple[Variable, ...] = ()
    cases: tuple[Case, ...] = ()
    sources: tuple[Source, ...] = ()
    selections: tuple[PlainTextSelection, ...] = ()
    media_selections: tuple[MediaSelection, ...] = ()
    notes: tuple[Note, ...] = ()
    sets: tuple[QdaSet, ...] = ()
    links: tuple[Link, ...] = ()
    description: str | None = None
    project_notes: tuple[str, ...] = ()
    creating_user: str | None = None
    created: str | None = None
    base_path: str | None = None
    warnings: tuple[str, ...] = field(default=(), compare=False)
    file: str | None = field(default=None, compare=False)

    def code(self, guid: str) -> Code:
        """The code of that GUID (KeyError if none)."""
        return _index(self.codes, "_codes_by_guid", self)[_norm_guid(guid)]

    def source(self, guid: str) -> Source:
        """The source of that GUID (KeyError if none)."""
        return _index(self.sources, "_sources_by_guid", self)[_norm_guid(guid)]

    def children(self, guid: str | None = None) -> tuple[Code, ...]:
        """The codes directly under code ``guid``; the top-level codes when ``guid`` is None."""
        parent = None if guid is None else _norm_guid(guid)
        return tuple(code for code in self.codes if code.parent == parent)

    def code_path(self, guid: str) -> tuple[str, ...]:
        """The names from the top of the code tree down to code ``guid``."""
        names, code = [], self.code(guid)
        while True:
            names.append(code.name)
            if code.parent is None or len(names) > len(self.codes):
                return tuple(reversed(names))
            code = self.code(code.parent)

    def codings(self) -> Iterator[tuple[PlainTextSelection, Coding]]:
        """Every (text selection, coding) pair, in file order."""
        for selection in self.selections:
            for coding in selection.codings:
                yield selection, coding

    def counts(self) -> dict:
        """How many of each thing the project holds.

        Keys: users, codes, variables, cases, sources, text_selections, text_codings,
        media_selections (a dict by kind), media_codings, source_codings, notes, sets,
        links.
        """
        return {
            "users": len(self.users),
            "codes": len(self.codes),
            "variables": len(self.variables),
            "cases": len(self.cases),
            "sources": len(self.sources),
            "text_selections": len(self.selections),
            "text_codings": sum(len(s.codings) for s in self.selections),
            "media_selections": dict(Counter(s.kind for s in self.media_selections)),
            "media_codings": sum(len(s.codings) for s in self.media_selections),
            "source_codings": sum(len(s.codings) for s in self.sources),
            "notes": len(self.notes),
            "sets": len(self.sets),
            "links": len(self.links),
        }


def _index(items, attribute, owner):
    # Frozen dataclasses cannot set attributes the usual way; the index is a cache.
    cached = owner.__dict__.get(attribute)
    if cached is None:
        cached = {item.guid: item for item in items}
        object.__setattr__(owner, attribute, cached)
    return cached


def make_guid(*parts) -> str:
    """A GUID for ``parts``, the same every time (UUID 5): use it to give records GUIDs.

    >>> make_guid("respondent", "p1") == make_guid("respondent", "p1")
    True
    >>> len(make_guid("code", "climate"))
    36
    """
    return str(uuid.uuid5(_GUID_NAMESPACE, "\x1f".join(str(part) for part in parts)))


def _norm_guid(value):
    if value is None:
        return None
    match = _GUID.match(value.strip())
    return match.group(1).lower() if match else value.strip()


# --------------------------------------------------------------------------- reading


def read_qdpx(path, *, limits: Limits | None = None, offsets: str = "auto", strict: bool = False) -> QdaProject:
    """Read a REFI-QDA project: a ``.qdpx`` archive or a bare ``.qde`` file.

    Parameters
    ----------
    path : str or Path
        The ``.qdpx`` (a zip holding one ``.qde`` at its root and the plain texts in
        ``sources/``) or ``.qde`` (the XML alone; ``internal://`` texts are then looked
        for in a ``sources/`` folder beside it).
    limits : Limits, optional
        Size limits past which the file is refused as hostile.
    offsets : {"auto", "codepoint", "utf16"}
        What the file's ``startPosition``/``endPosition`` count. "auto" decides for each
        text from where the selections fall (see the module docstring).
    strict : bool
        Turn warnings about references to unknown codes, out-of-range offsets and
        duplicate GUIDs into errors.

    Returns
    -------
    QdaProject

    Raises
    ------
    InputError
        The file is missing, not a zip nor XML, truncated, unsafe (entry paths leaving
        the archive, entity declarations, too large), or not a QDA-XML project.

    Examples
    --------
    >>> project = read_qdpx("interviews.qdpx")                    # doctest: +SKIP
    >>> [(s.text, project.code(s.codes[0]).name) for s in project.selections][:1]  # doctest: +SKIP
    [('I did try the gluten free bread', 'Feelings')]
    """
    if offsets not in OFFSET_UNITS:
        raise ValueError(f"offsets must be one of {', '.join(OFFSET_UNITS)}, not {offsets!r}")
    limits = limits or Limits()
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", file=path, hint="give a .qdpx or .qde file")
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head.startswith(b"PK"):
        return _read_archive(path, limits, offsets, strict)
    if path.suffix.lower() == ".qdpx":
        raise InputError("not a zip archive", file=path,
                         hint="a .qdpx is a zip holding project.qde and a sources/ folder")
    size = path.stat().st_size
    if size > limits.max_total_size:
        raise InputError(f"file is {size:,} bytes, more than the limit of {limits.max_total_size:,}", file=path)
    texts = _FolderTexts(path.parent)
    return _Reader(path.read_bytes(), str(path), texts, limits, offsets, strict).project()


def _read_archive(path, limits, offsets, strict):
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise InputError(f"truncated or corrupt zip archive ({error})", file=path) from None
    except (OSError, EOFError, ValueError) as error:
        raise InputError(f"unreadable zip archive ({error})", file=path) from None
    with archive:
        members = _check_members(archive, path, limits)
        roots = sorted(name for name in members if "/" not in name and name.lower().endswith(".qde"))
        if not roots:
            nested = sorted(name for name in members if name.lower().endswith(".qde"))
            hint = (f"found {nested[0]} in a folder; the project file must be at the root of the archive"
                    if nested else "a .qdpx holds project.qde at its root")
            raise InputError("no .qde project file in the archive", file=path, hint=hint)
        preferred = [name for name in roots if name.lower() == "project.qde"]
        if len(preferred) != 1 and len(roots) > 1:
            raise InputError(f"several .qde files at the root of the archive: {', '.join(roots)}", file=path,
                             hint="a .qdpx holds one project file")
        entry = (preferred or roots)[0]
        xml = _read_member(archive, members[entry], path, limits)
        texts = _ArchiveTexts(archive, members, path, limits)
        return _Reader(xml, f"{path} (entry {entry})", texts, limits, offsets, strict).project()


def _check_members(archive, path, limits):
    """The archive's entries by normalised name, after refusing unsafe or oversized ones."""
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise InputError(f"archive holds {len(infos):,} entries, more than the limit of {limits.max_members:,}",
                         file=path)
    members, total = {}, 0
    for info in infos:
        name = info.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if (name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts or "\x00" in name):
            raise InputError(f"unsafe entry path '{info.filename}' (it would leave the archive)", file=path)
        total += info.file_size
        if total > limits.max_total_size:
            raise InputError(f"archive expands to more than the limit of {limits.max_total_size:,} bytes",
                             file=path, hint=f"stopped at entry '{info.filename}'")
        if info.file_size > limits.ratio_floor:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise InputError(f"entry '{info.filename}' expands {ratio:,.0f} times, more than the limit of "
                                 f"{limits.max_ratio:,.0f} (a zip bomb?)", file=path)
        if not info.is_dir():
            members[name] = info
    return members


def _read_member(archive, info, path, limits):
    try:
        with archive.open(info) as handle:
            # zipfile stops at the declared size and checks the CRC, so a lying header
            # cannot make this read more than the limits above allowed.
            return handle.read(limits.max_total_size + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
        raise InputError(f"entry '{info.filename}' is truncated or corrupt ({error})", file=path) from None
    except (RuntimeError, NotImplementedError) as error:  # encrypted, or an unknown compression
        raise InputError(f"entry '{info.filename}' cannot be read ({error})", file=path) from None


class _ArchiveTexts:
    """Plain texts referenced as ``internal://name`` (or a bare name), inside the archive."""

    def __init__(self, archive, members, path, limits):
        self.archive, self.path, self.limits = archive, path, limits
        self.by_name = {name.lower(): info for name, info in members.items()}
        self.where = "the archive"

    def get(self, name):
        for candidate in (f"sources/{name}", name):
            info = self.by_name.get(candidate.lower())
            if info is not None:
                return _read_member(self.archive, info, self.path, self.limits), info.filename
        return None, None


class _FolderTexts:
    """Plain texts of a bare ``.qde``: looked for in a ``sources/`` folder beside it."""

    def __init__(self, folder):
        self.folder = folder
        self.where = f"{folder}/sources"

    def get(self, name):
        for sub in ("sources", "Sources"):
            candidate = self.folder / sub / name
            if candidate.is_file():
                return candidate.read_bytes(), str(candidate)
        return None, None


class _LineTreeBuilder(TreeBuilder):
    """A TreeBuilder that remembers the line each element starts on."""

    def __init__(self):
        super().__init__()
        self.lines = {}
        self.expat = None

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        self.lines[element] = self.expat.CurrentLineNumber
        return element


def _parse_xml(data, where):
    builder = _LineTreeBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    builder.expat = parser.parser
    try:
        parser.feed(data)
        root = parser.close()
    except EntitiesForbidden as error:
        line = parser.parser.CurrentLineNumber
        if error.sysid or error.pubid:
            message = (f"XML declares the external entity '{error.name}' ({error.sysid or error.pubid}); "
                       "external entities are refused")
        else:
            message = (f"XML declares the entity '{error.name}'; entity declarations are refused "
                       "(they make entity-expansion bombs)")
        raise InputError(message, file=where, line=line) from None
    except ExternalReferenceForbidden as error:
        raise InputError(f"XML refers to the external resource '{error.sysid}'; refused",
                         file=where, line=parser.parser.CurrentLineNumber) from None
    except DefusedXmlException as error:
        raise InputError(f"XML refused ({error})", file=where) from None
    except ParseError as error:
        line = error.position[0] if getattr(error, "position", None) else None
        reason = re.sub(r":\s*line \d+, column \d+$", "", str(error))
        raise InputError(f"XML is not well-formed ({reason})", file=where, line=line) from None
    return root, builder.lines


class _Reader:
    """One pass over a parsed ``.qde``; collects warnings as it goes."""

    def __init__(self, data, where, texts, limits, offsets, strict):
        self.where, self.texts, self.limits = where, texts, limits
        self.offsets, self.strict = offsets, strict
        self.warnings = []
        self.root, self.lines = _parse_xml(data, where)
        tag = self.root.tag
        namespace = tag[1:].split("}")[0] if tag.startswith("{") else ""
        local = tag.split("}")[-1]
        if local != "Project" or namespace not in (QDA_NAMESPACE, ""):
            raise InputError(f"the root element is <{local}>{f' in namespace {namespace}' if namespace else ''}, "
                             f"not a QDA-XML <Project>", file=where, line=self.lines.get(self.root),
                             hint=f"REFI-QDA projects use the namespace {QDA_NAMESPACE}")
        self.ns = f"{{{namespace}}}" if namespace else ""
        self.variables_by_guid = {}

    # -- small helpers

    def local(self, element):
        return element.tag[len(self.ns):] if element.tag.startswith(self.ns) else element.tag

    def kids(self, element, name):
        return element.findall(self.ns + name)

    def kid(self, element, name):
        return element.find(self.ns + name)

    def fail(self, element, message, field=None, hint=None):
        raise InputError(message, file=self.where, line=self.lines.get(element), field=field, hint=hint)

    def warn(self, element, message):
        line = self.lines.get(element)
        if self.strict:
            self.fail(element, message, hint="read without strict=True to keep going")
        self.warnings.append(f"line {line}: {message}" if line else message)

    def required(self, element, attribute):
        value = element.get(attribute)
        if value is None or not value.strip():
            self.fail(element, f"<{self.local(element)}> lacks the required attribute '{attribute}'", field=attribute)
        return value

    def guid(self, element, attribute="guid", required=True):
        value = self.required(element, attribute) if required else element.get(attribute)
        return _norm_guid(value) if value else None

    def integer(self, element, attribute, required=True):
        value = self.required(element, attribute) if required else element.get(attribute)
        if value is None:
            return None
        try:
            return int(value.strip())
        except ValueError:
            self.fail(element, f"<{self.local(element)}> {attribute}='{value}' is not a whole number", field=attribute)

    def boolean(self, element, attribute):
        value = self.required(element, attribute).strip()
        if value not in ("true", "false", "1", "0"):
            self.fail(element, f"<{self.local(element)}> {attribute}='{value}' is not true or false", field=attribute)
        return value in ("true", "1")

    def text_of(self, element, name):
        child = self.kid(element, name)
        text = None if child is None else child.text
        return text if text else None

    def refs(self, element, name):
        return tuple(self.guid(ref, "targetGUID") for ref in self.kids(element, name))

    # -- the project

    def project(self):
        root = self.root
        name = self.required(root, "name")
        users = tuple(User(self.guid(u), u.get("name"), u.get("id"))
                      for users in self.kids(root, "Users") for u in self.kids(users, "User"))
        codes = self.codebook()
        variables = self.variables()
        cases = self.cases()
        sources, selections, media = self.sources()
        notes = self.notes()
        sets = tuple(
            QdaSet(self.guid(s), self.required(s, "name"), self.refs(s, "MemberCode"), self.refs(s, "MemberSource"),
                   self.refs(s, "MemberNote"), self.text_of(s, "Description"))
            for group in self.kids(root, "Sets") for s in self.kids(group, "Set"))
        links = tuple(
            Link(self.guid(l), l.get("name"), self.guid(l, "originGUID", False), self.guid(l, "targetGUID", False),
                 l.get("direction"), l.get("color"))
            for group in self.kids(root, "Links") for l in self.kids(group, "Link"))
        for graphs in self.kids(root, "Graphs"):
            count = len(self.kids(graphs, "Graph"))
            self.warnings.append(f"{count} Graph{'s' if count != 1 else ''} (network views) not kept")
        self.check_references(codes, sources, selections, media, cases)
        return QdaProject(
            name=name, origin=root.get("origin"), users=users, codes=codes, variables=variables, cases=cases,
            sources=sources, selections=selections, media_selections=media, notes=notes, sets=sets, links=links,
            description=self.text_of(root, "Description"), project_notes=self.refs(root, "NoteRef"),
            creating_user=self.guid(root, "creatingUserGUID", False), created=root.get("creationDateTime"),
            base_path=root.get("basePath") or None, warnings=tuple(self.warnings), file=self.where)

    def codebook(self):
        codes = []
        seen = set()
        for book in self.kids(self.root, "CodeBook"):
            for holder in self.kids(book, "Codes"):
                # Depth first without recursion, so a deep tree cannot exhaust the stack.
                stack = [(element, None, 1) for element in reversed(self.kids(holder, "Code"))]
                while stack:
                    element, parent, depth = stack.pop()
                    if depth > self.limits.max_code_depth:
                        self.fail(element, f"the code tree is deeper than {self.limits.max_code_depth} levels")
                    code = Code(
                        guid=self.guid(element), name=self.required(element, "name"),
                        is_codable=self.boolean(element, "isCodable") if element.get("isCodable") else True,
                        color=element.get("color"), description=self.text_of(element, "Description"),
                        parent=parent, notes=self.refs(element, "NoteRef"))
                    if element.get("isCodable") is None:
                        self.warn(element, f"code '{code.name}' lacks isCodable; taken as true")
                    if code.guid in seen:
                        self.warn(element, f"code GUID {code.guid} is used twice")
                    seen.add(code.guid)
                    codes.append(code)
                    stack.extend((child, code.guid, depth + 1) for child in reversed(self.kids(element, "Code")))
        return tuple(codes)

    def variables(self):
        variables = []
        names = set()
        for holder in self.kids(self.root, "Variables"):
            for element in self.kids(holder, "Variable"):
                kind = self.required(element, "typeOfVariable").strip()
                if kind not in VARIABLE_TYPES:
                    self.fail(element, f"typeOfVariable '{kind}' is not one of {', '.join(VARIABLE_TYPES)}",
                              field="typeOfVariable")
                variable = Variable(self.guid(element), self.required(element, "name"), kind,
                                    self.text_of(element, "Description"))
                if variable.name in names:
                    self.fail(element, f"two variables are named '{variable.name}'", field="name",
                              hint="variable names must be unique to key case and source values by name")
                names.add(variable.name)
                self.variables_by_guid[variable.guid] = variable
                variables.append(variable)
        return tuple(variables)

    def variable_values(self, element):
        values = {}
        for holder in self.kids(element, "VariableValue"):
            ref = self.kid(holder, "VariableRef")
            if ref is None:
                self.fail(holder, "<VariableValue> lacks its <VariableRef>")
            target = self.guid(ref, "targetGUID")
            variable = self.variables_by_guid.get(target)
            if variable is None:
                self.warn(ref, f"value of an unknown variable {target}; kept under its GUID")
                key = target
            else:
                key = variable.name
            value = None
            for child in holder:
                kind = self.local(child)
                if kind.endswith("Value") and kind != "VariableRef":
                    value = self.typed_value(child, kind[: -len("Value")])
            values[key] = value
        return values

    def typed_value(self, element, kind):
        raw = (element.text or "").strip() if kind != "Text" else (element.text or "")
        try:
            if kind == "Text":
                return raw
            if kind == "Boolean":
                if raw not in ("true", "false", "1", "0"):
                    raise ValueError(raw)
                return raw in ("true", "1")
            if kind == "Integer":
                return int(raw)
            if kind == "Float":
                Decimal(raw)  # xsd:decimal: refuse "nan", "1e5"... as the schema does
                if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", raw):
                    raise ValueError(raw)
                return float(raw)
            if kind == "Date":
                return dt.date.fromisoformat(raw)
            if kind == "DateTime":
                return dt.datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith("Z") else raw)
        except (ValueError, InvalidOperation):
            self.fail(element, f"<{kind}Value> '{raw}' is not a valid {kind.lower()}", field=f"{kind}Value")
        self.fail(element, f"<{kind}Value> is not a QDA-XML value type")

    def cases(self):
        return tuple(
            Case(guid=self.guid(element), name=element.get("name"), variables=self.variable_values(element),
                 sources=self.refs(element, "SourceRef"), selections=self.refs(element, "SelectionRef"),
                 codes=self.refs(element, "CodeRef"), description=self.text_of(element, "Description"))
            for holder in self.kids(self.root, "Cases") for element in self.kids(holder, "Case"))

    def codings(self, element):
        codings = []
        for coding in self.kids(element, "Coding"):
            ref = self.kid(coding, "CodeRef")
            if ref is None:
                self.fail(coding, "<Coding> lacks its <CodeRef>")
            codings.append(Coding(self.guid(coding), self.guid(ref, "targetGUID"),
                                  self.guid(coding, "creatingUser", False), coding.get("creationDateTime")))
        return tuple(codings)

    # -- sources and their selections

    def plain_text(self, element, owner):
        """The plain text of a TextSource-like element: inline, or from its plainTextPath."""
        inline = self.kid(element, "PlainTextContent")
        if inline is not None:
            return inline.text or ""
        reference = element.get("plainTextPath")
        if not reference:
            return None
        scheme, separator, name = reference.partition("://")
        if not separator:
            scheme, name = "internal", reference  # qc writes the bare file name
        if scheme != "internal":
            self.warnings.append(f"{owner}: plain text {reference} is outside the project; not read")
            return None
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if not name or name.startswith(("/", "\\")) or ".." in parts:
            self.fail(element, f"plainTextPath '{reference}' leaves the project", field="plainTextPath")
        data, entry = self.texts.get(name)
        if data is None:
            self.warnings.append(f"{owner}: plain text {reference} is not in {self.texts.where}")
            return None
        return _decode_text(data, entry, self.where)

    def sources(self):
        sources, selections, media = [], [], []
        seen = set()
        for holder in self.kids(self.root, "Sources"):
            for element in holder:
                kind = self.local(element)
                if kind not in SOURCE_KINDS:
                    self.warn(element, f"unknown source element <{kind}> skipped")
                    continue
                guid = self.guid(element)
                if guid in seen:
                    self.warn(element, f"source GUID {guid} is used twice")
                seen.add(guid)
                name = element.get("name")
                label = f"source '{name or guid}'"
                text_element = element if kind == "TextSource" else self.kid(element, "Representation")
                plain_text, unit, spans = None, "codepoint", []
                representation = {}
                if text_element is not None:
                    plain_text = self.plain_text(text_element, label)
                    spans = self.kids(text_element, "PlainTextSelection")
                    if text_element is not element:
                        representation = {"representation_guid": self.guid(text_element),
                                          "representation_name": text_element.get("name")}
                    plain_text, unit, converted = self.text_selections(spans, guid, plain_text, label)
                    selections.extend(converted)
                for selection_kind in MEDIA_SELECTION_KINDS[:-1]:
                    for selection in self.kids(element, selection_kind):
                        media.append(self.media_selection(selection, selection_kind, guid))
                transcripts = []
                for transcript in self.kids(element, "Transcript"):
                    transcripts.append(self.transcript(transcript, label))
                    for selection in self.kids(transcript, "TranscriptSelection"):
                        media.append(self.media_selection(selection, "TranscriptSelection", guid,
                                                          transcript=transcripts[-1].guid))
                if self.kid(element, "TextDescription") is not None:
                    self.warnings.append(f"{label}: the picture's TextDescription is not kept")
                sources.append(Source(
                    guid=guid, name=name, kind=kind, plain_text=plain_text,
                    plain_text_path=None if text_element is None else text_element.get("plainTextPath"),
                    rich_text_path=element.get("richTextPath"), path=element.get("path"),
                    current_path=element.get("currentPath"), variables=self.variable_values(element),
                    codings=self.codings(element), description=self.text_of(element, "Description"),
                    creating_user=self.guid(element, "creatingUser", False), created=element.get("creationDateTime"),
                    transcripts=tuple(transcripts), notes=self.refs(element, "NoteRef"), offset_unit=unit,
                    **representation))
        return tuple(sources), tuple(selections), tuple(media)

    def text_selections(self, elements, source, text, label):
        """PlainTextSelections of one text, with offsets in code points and the text cut."""
        raw = []
        for element in elements:
            start, end = self.integer(element, "startPosition"), self.integer(element, "endPosition")
            raw.append((element, start, end))
        unit = self.offsets
        if text is not None and unit == "auto":
            unit = _guess_offset_unit(text, [(start, end) for _, start, end in raw])
            if unit == "utf16":
                self.warnings.append(f"{label}: offsets count UTF-16 code units (as NVivo for Windows writes "
                                     "them); converted to code points")
        elif unit == "auto":
            unit = "codepoint"
        to_codepoints = _utf16_to_codepoints(text) if unit == "utf16" and text is not None else None
        selections = []
        for element, start, end in raw:
            if to_codepoints is not None:
                start, start_ok = to_codepoints(start)
                end, end_ok = to_codepoints(end)
                if not (start_ok and end_ok):
                    self.warn(element, f"selection {element.get('guid')} starts or ends inside a character "
                                       "(between the halves of a UTF-16 surrogate pair)")
            cut = None
            if not 0 <= start <= end:
                self.warn(element, f"selection {element.get('guid')} has startPosition {start} and "
                                   f"endPosition {end}")
            elif text is not None:
                if end > len(text):
                    self.warn(element, f"selection {element.get('guid')} ends at {end}, past the end of the "
                                       f"{label}'s text ({len(text)} characters)")
                else:
                    cut = text[start:end]
            selections.append(PlainTextSelection(
                guid=self.guid(element), source=source, start_position=start, end_position=end, text=cut,
                codings=self.codings(element), creating_user=self.guid(element, "creatingUser", False),
                created=element.get("creationDateTime"), name=element.get("name") or None,
                description=self.text_of(element, "Description"), notes=self.refs(element, "NoteRef")))
        return text, (unit if text is not None else "codepoint"), selections

    def media_selection(self, element, kind, source, transcript=None):
        anchor = {}
        for attribute in ANCHORS[kind]:
            if kind == "TranscriptSelection":
                value = self.guid(element, attribute, required=False)
                if value is not None:
                    anchor[attribute] = value
            else:
                anchor[attribute] = self.integer(element, attribute)
        text = text_guid = None
        representation = self.kid(element, "Representation") if kind == "PDFSelection" else None
        if representation is not None:
            text_guid = self.guid(representation)
            text = self.plain_text(representation, f"PDF selection {element.get('guid')}")
        return MediaSelection(
            guid=self.guid(element), source=source, kind=kind, anchor=anchor, codings=self.codings(element),
            creating_user=self.guid(element, "creatingUser", False), created=element.get("creationDateTime"),
            name=element.get("name") or None, description=self.text_of(element, "Description"), text=text,
            text_guid=text_guid, transcript=transcript, notes=self.refs(element, "NoteRef"))

    def transcript(self, element, label):
        return Transcript(
            guid=self.guid(element), name=element.get("name"),
            plain_text=self.plain_text(element, f"{label} transcript"),
            plain_text_path=element.get("plainTextPath"), rich_text_path=element.get("richTextPath"),
            sync_points=tuple(SyncPoint(self.guid(point), self.integer(point, "position", False),
                                        self.integer(point, "timeStamp", False))
                              for point in self.kids(element, "SyncPoint")))

    def notes(self):
        return tuple(
            Note(guid=self.guid(element), name=element.get("name"),
                 text=self.plain_text(element, f"note '{element.get('name')}'"),
                 description=self.text_of(element, "Description"),
                 creating_user=self.guid(element, "creatingUser", False), created=element.get("creationDateTime"),
                 plain_text_path=element.get("plainTextPath"))
            for holder in self.kids(self.root, "Notes") for element in self.kids(holder, "Note"))

    def check_references(self, codes, sources, selections, media, cases):
        known_codes = {code.guid for code in codes}
        unknown = Counter(coding.code for owner in (*selections, *media, *sources) for coding in owner.codings
                          if coding.code not in known_codes)
        unknown.update(code for case in cases for code in case.codes if code not in known_codes)
        for guid, count in sorted(unknown.items()):
            self.warn(None, f"{count} coding{'s' if count != 1 else ''} refer to the unknown code {guid}")
        known_sources = {source.guid for source in sources}
        for case in cases:
            for guid in case.sources:
                if guid not in known_sources:
                    self.warn(None, f"case '{case.name or case.guid}' refers to the unknown source {guid}")


def _decode_text(data, entry, where):
    """A plain-text file's text: UTF-8 (or UTF-16 with its byte-order mark), BOM dropped."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"plain text '{entry}' is not UTF-8 (byte {error.start}: {error.reason})", file=where,
                         hint="REFI-QDA plain texts are UTF-8") from None


def _utf16_to_codepoints(text):
    """A function mapping a UTF-16 offset in ``text`` to (code-point offset, ok)."""
    astral = [index for index, char in enumerate(text) if ord(char) > 0xFFFF]
    # The k-th astral character (0-based) starts at UTF-16 offset index + k.
    starts = [index + k for k, index in enumerate(astral)]

    def convert(offset):
        before = bisect.bisect_left(starts, offset)
        inside = before > 0 and starts[before - 1] + 1 == offset
        return offset - before - (1 if inside else 0), not inside

    return convert


def _boundary_score(text, spans):
    """How many span ends fall between words (or at the text's ends); -2 for an impossible span."""
    score = 0
    for start, end in spans:
        if not 0 <= start <= end <= len(text):
            score -= 2
            continue
        if start in (0, len(text)) or not (text[start - 1].isalnum() and text[start].isalnum()):
            score += 1
        if end in (0, len(text)) or not (text[end - 1].isalnum() and text[end].isalnum()):
            score += 1
    return score


def _guess_offset_unit(text, spans):
    if not spans or not any(ord(char) > 0xFFFF for char in text):
        return "codepoint"  # the two units agree
    convert = _utf16_to_codepoints(text)
    as_utf16 = []
    for start, end in spans:
        (cp_start, ok_start), (cp_end, ok_end) = convert(start), convert(end)
        as_utf16.append((cp_start, cp_end) if ok_start and ok_end else (-1, -1))
    return "utf16" if _boundary_score(text, as_utf16) > _boundary_score(text, spans) else "codepoint"


# --------------------------------------------------------------------------- writing


def write_qdpx(project: QdaProject, path, *, schema=None) -> Path:
    """Write ``project`` as a ``.qdpx``: ``project.qde`` and the plain texts in ``sources/``.

    Offsets are written in Unicode code points, texts as UTF-8 without a byte-order
    mark. The file is written to a temporary file beside ``path`` and moved into place,
    so a reader never sees half a file. Media and rich-text files are not carried:
    media ``path`` attributes are written as they are, ``internal://`` rich-text paths
    are left out.

    Parameters
    ----------
    project : QdaProject
    path : str or Path
        Where to write; the folder must exist.
    schema : str or Path, optional
        A ``Project.xsd``; when given, the XML is validated against it before writing.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    InputError
        A GUID, colour or text cannot be written as QDA-XML.
    SchemaError
        The XML does not validate against ``schema``.

    Examples
    --------
    >>> project = QdaProject("demo", codes=(Code(make_guid("code", "climate"), "Climate"),))
    >>> import tempfile, pathlib
    >>> out = write_qdpx(project, pathlib.Path(tempfile.mkdtemp()) / "demo.qdpx")
    >>> [code.name for code in read_qdpx(out).codes]
    ['Climate']
    """
    path = Path(path)
    writer = _Writer(project)
    xml = writer.document()
    if schema is not None:
        _validate(xml, schema)
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False)
    try:
        with handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(_entry("project.qde"), xml)
            for name, text in writer.files.items():
                archive.writestr(_entry(f"sources/{name}"), text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return path


def _entry(name):
    # A fixed date makes the same project give the same bytes.
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _validate(xml, schema):
    import xmlschema

    validator = xmlschema.XMLSchema(str(schema))
    errors = list(validator.iter_errors(xml.decode("utf-8")))
    if errors:
        first = errors[0]
        raise SchemaError(f"the written project does not validate against {schema}: "
                          f"{first.reason} at {first.path} ({len(errors)} error{'s' if len(errors) != 1 else ''})")


class _Element:
    """A minimal XML element for the writer (QDA-XML has no mixed content)."""

    __slots__ = ("tag", "attributes", "text", "children")

    def __init__(self, tag, attributes=None, text=None):
        self.tag, self.text, self.children = tag, text, []
        self.attributes = {key: value for key, value in (attributes or {}).items() if value is not None}

    def add(self, tag, attributes=None, text=None):
        child = _Element(tag, attributes, text)
        self.children.append(child)
        return child


def _escape(value, attribute):
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    if attribute:
        value = value.replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    return value


def _serialise(root):
    """The element tree as indented UTF-8 XML (iterative, so depth costs no stack)."""
    out = ['<?xml version="1.0" encoding="utf-8"?>\n']
    stack = [(root, 0, False)]
    while stack:
        element, depth, closing = stack.pop()
        pad = "  " * depth
        if closing:
            out.append(f"{pad}</{element.tag}>\n")
            continue
        attributes = "".join(f' {key}="{_escape(str(value), True)}"' for key, value in element.attributes.items())
        if element.text is not None:
            out.append(f"{pad}<{element.tag}{attributes}>{_escape(element.text, False)}</{element.tag}>\n")
        elif not element.children:
            out.append(f"{pad}<{element.tag}{attributes}/>\n")
        else:
            out.append(f"{pad}<{element.tag}{attributes}>\n")
            stack.append((element, depth, True))
            stack.extend((child, depth + 1, False) for child in reversed(element.children))
    return "".join(out).encode("utf-8")


class _Writer:
    """Builds ``project.qde`` in the order Project.xsd prescribes, and the texts beside it."""

    def __init__(self, project):
        self.project = project
        self.files = {}  # sources/ file name -> text
        self.variables = {variable.name: variable for variable in project.variables}

    # -- checks: what the schema would refuse, said in the user's words

    def guid(self, value, what):
        match = _GUID.match(value or "")
        if not match:
            raise InputError(f"{what} has the GUID '{value}', which is not a GUID", field="guid",
                             hint="make one with consultgraph.loaders.qdpx.make_guid(...)")
        return match.group(1)

    def text(self, value, what):
        if value is not None and _NOT_XML.search(value):
            bad = _NOT_XML.search(value).group()
            raise InputError(f"{what} holds the character U+{ord(bad):04X}, which XML 1.0 cannot carry",
                             hint="remove control characters from the text")
        return value

    def color(self, value, what):
        if value is not None and not _RGB.match(value):
            raise InputError(f"{what} has the colour '{value}'; QDA-XML wants #RRGGBB", field="color")
        return value

    def text_file(self, guid, reference, text):
        """Put ``text`` in sources/ and return its ``internal://`` path (reusing the old name)."""
        name = None
        if reference:
            _, _, tail = reference.partition("://")
            candidate = PurePosixPath((tail or reference).replace("\\", "/")).name
            if candidate and self.files.get(candidate, text) == text:
                name = candidate
        if name is None or name.startswith("."):
            name = f"{guid}.txt"
        self.files[name] = text
        return f"internal://{name}"

    # -- the document

    def document(self):
        project = self.project
        root = _Element("Project", {
            "xmlns": QDA_NAMESPACE, "name": self.text(project.name or "Untitled", "the project name"),
            "origin": project.origin,
            "creatingUserGUID": project.creating_user and self.guid(project.creating_user, "the project's user"),
            "creationDateTime": project.created, "basePath": project.base_path})
        if project.users:
            users = root.add("Users")
            for user in project.users:
                users.add("User", {"guid": self.guid(user.guid, f"user '{user.name}'"), "name": user.name,
                                   "id": user.id})
        if project.codes:
            self.codebook(root.add("CodeBook").add("Codes"))
        if project.variables:
            holder = root.add("Variables")
            for variable in project.variables:
                if variable.type not in VARIABLE_TYPES:
                    raise InputError(f"variable '{variable.name}' has the type '{variable.type}'; choose one of "
                                     f"{', '.join(VARIABLE_TYPES)}", field="type")
                element = holder.add("Variable", {"guid": self.guid(variable.guid, f"variable '{variable.name}'"),
                                                  "name": variable.name, "typeOfVariable": variable.type})
                self.description(element, variable.description)
        if project.cases:
            holder = root.add("Cases")
            for case in project.cases:
                element = holder.add("Case", {"guid": self.guid(case.guid, f"case '{case.name}'"), "name": case.name})
                self.description(element, case.description)
                self.refs(element, "CodeRef", case.codes)
                self.variable_values(element, case.variables, f"case '{case.name or case.guid}'")
                self.refs(element, "SourceRef", case.sources)
                self.refs(element, "SelectionRef", case.selections)
        if project.sources:
            self.sources(root.add("Sources"))
        if project.notes:
            holder = root.add("Notes")
            for note in project.notes:
                element = holder.add("Note", {"guid": self.guid(note.guid, f"note '{note.name}'"), "name": note.name,
                                              "creatingUser": self.user(note.creating_user),
                                              "creationDateTime": note.created})
                self.description(element, note.description)
                if note.text is not None:
                    element.add("PlainTextContent", text=self.text(note.text, f"note '{note.name}'"))
        if project.links:
            holder = root.add("Links")
            for link in project.links:
                holder.add("Link", {"guid": self.guid(link.guid, f"link '{link.name}'"), "name": link.name,
                                    "direction": link.direction, "color": self.color(link.color, "a link"),
                                    "originGUID": link.origin and self.guid(link.origin, "a link's origin"),
                                    "targetGUID": link.target and self.guid(link.target, "a link's target")})
        if project.sets:
            holder = root.add("Sets")
            for group in project.sets:
                element = holder.add("Set", {"guid": self.guid(group.guid, f"set '{group.name}'"), "name": group.name})
                self.description(element, group.description)
                self.refs(element, "MemberCode", group.codes)
                self.refs(element, "MemberSource", group.sources)
                self.refs(element, "MemberNote", group.notes)
        self.description(root, project.description)
        self.refs(root, "NoteRef", project.project_notes)
        return _serialise(root)

    def user(self, guid):
        return guid and self.guid(guid, "a creating user")

    def description(self, element, text):
        if text is not None:
            element.add("Description", text=self.text(text, f"a description in <{element.tag}>"))

    def refs(self, element, tag, guids):
        for guid in guids:
            element.add(tag, {"targetGUID": self.guid(guid, f"a <{tag}>")})

    def codebook(self, holder):
        codes = self.project.codes
        known = {code.guid for code in codes}
        children = {}
        for code in codes:
            parent = code.parent if code.parent in known else None
            children.setdefault(parent, []).append(code)
        stack = [(holder, code) for code in reversed(children.get(None, []))]
        written = 0
        while stack:
            parent_element, code = stack.pop()
            element = parent_element.add("Code", {
                "guid": self.guid(code.guid, f"code '{code.name}'"), "name": self.text(code.name, "a code name"),
                "isCodable": "true" if code.is_codable else "false",
                "color": self.color(code.color, f"code '{code.name}'")})
            self.description(element, code.description)
            self.refs(element, "NoteRef", code.notes)
            written += 1
            stack.extend((element, child) for child in reversed(children.get(code.guid, [])))
        if written != len(codes):
            raise InputError("the code tree has a cycle (a code is its own ancestor)", field="parent")

    def variable_values(self, element, values, owner):
        for name, value in values.items():
            variable = self.variables.get(name)
            if variable is None:
                if _GUID.match(name or ""):  # kept under its GUID when the variable was unknown
                    variable = Variable(name, name, _python_type(value))
                else:
                    raise InputError(f"{owner} has a value for '{name}', which is not among the project's variables",
                                     field=name)
            holder = element.add("VariableValue")
            holder.add("VariableRef", {"targetGUID": self.guid(variable.guid, f"variable '{name}'")})
            if value is not None:
                holder.add(f"{variable.type}Value", text=self.text(_format_value(value, variable, owner), owner))

    def coding_elements(self, element, codings):
        for coding in codings:
            holder = element.add("Coding", {"guid": self.guid(coding.guid, "a coding"),
                                            "creatingUser": self.user(coding.creating_user),
                                            "creationDateTime": coding.created})
            holder.add("CodeRef", {"targetGUID": self.guid(coding.code, "a coding's code")})

    def sources(self, holder):
        text_selections, media = {}, {}
        for selection in self.project.selections:
            text_selections.setdefault(selection.source, []).append(selection)
        for selection in self.project.media_selections:
            media.setdefault((selection.source, selection.kind, selection.transcript), []).append(selection)
        for source in self.project.sources:
            if source.kind not in SOURCE_KINDS:
                raise InputError(f"source '{source.name}' is of kind '{source.kind}'; choose one of "
                                 f"{', '.join(SOURCE_KINDS)}", field="kind")
            label = f"source '{source.name or source.guid}'"
            attributes = {"guid": self.guid(source.guid, label), "name": source.name,
                          "creatingUser": self.user(source.creating_user), "creationDateTime": source.created}
            if source.kind == "TextSource":
                attributes.update(self.text_paths(source, source.guid))
            else:
                attributes.update(path=source.path, currentPath=source.current_path)
            element = holder.add(source.kind, attributes)
            self.description(element, source.description)
            selections = text_selections.get(source.guid, [])
            if source.kind == "TextSource":
                self.text_selection_elements(element, selections, label)
            elif source.kind == "PDFSource":
                self.media_elements(element, media.get((source.guid, "PDFSelection", None), []))
                if source.representation_guid or source.plain_text is not None or selections:
                    guid = source.representation_guid or make_guid("representation", source.guid)
                    representation = element.add("Representation", {
                        "guid": self.guid(guid, f"{label}'s representation"), "name": source.representation_name,
                        **self.text_paths(source, guid)})
                    self.text_selection_elements(representation, selections, label)
            elif selections:
                raise InputError(f"{label} is a {source.kind} but has text selections", field="kind")
            if source.kind == "PictureSource":
                self.media_elements(element, media.get((source.guid, "PictureSelection", None), []))
            if source.kind in ("AudioSource", "VideoSource"):
                for transcript in source.transcripts:
                    self.transcript(element, transcript, media.get((source.guid, "TranscriptSelection",
                                                                     transcript.guid), []))
                kind = "AudioSelection" if source.kind == "AudioSource" else "VideoSelection"
                self.media_elements(element, media.get((source.guid, kind, None), []))
            self.coding_elements(element, source.codings)
            self.refs(element, "NoteRef", source.notes)
            self.variable_values(element, source.variables, label)

    def text_paths(self, source, guid):
        paths = {}
        rich = source.rich_text_path
        if rich and not rich.startswith("internal://"):
            paths["richTextPath"] = rich  # internal rich texts are not carried, so not referred to
        if source.plain_text is not None:
            paths["plainTextPath"] = self.text_file(guid, source.plain_text_path, source.plain_text)
        elif source.plain_text_path:
            paths["plainTextPath"] = source.plain_text_path
        return paths

    def text_selection_elements(self, element, selections, label):
        for selection in selections:
            if not 0 <= selection.start_position <= selection.end_position:
                raise InputError(f"selection {selection.guid} of {label} runs from {selection.start_position} to "
                                 f"{selection.end_position}", field="start_position")
            holder = element.add("PlainTextSelection", {
                "guid": self.guid(selection.guid, f"a selection of {label}"),
                "name": self.text(selection.name, "a selection name"),
                "startPosition": selection.start_position, "endPosition": selection.end_position,
                "creatingUser": self.user(selection.creating_user), "creationDateTime": selection.created})
            self.description(holder, selection.description)
            self.coding_elements(holder, selection.codings)
            self.refs(holder, "NoteRef", selection.notes)

    def media_elements(self, element, selections):
        for selection in selections:
            anchor = dict(selection.anchor)
            missing = [key for key in ANCHORS[selection.kind] if key not in anchor
                       and selection.kind != "TranscriptSelection"]
            if missing:
                raise InputError(f"{selection.kind} {selection.guid} lacks {', '.join(missing)}", field=missing[0])
            attributes = {"guid": self.guid(selection.guid, f"a {selection.kind}"),
                          "name": self.text(selection.name, "a selection name")}
            for key in ANCHORS[selection.kind]:
                value = anchor.get(key)
                if selection.kind == "TranscriptSelection":
                    attributes[key] = value and self.guid(value, f"a {selection.kind}'s {key}")
                else:
                    attributes[key] = int(value)
            attributes.update(creatingUser=self.user(selection.creating_user), creationDateTime=selection.created)
            holder = element.add(selection.kind, attributes)
            self.description(holder, selection.description)
            if selection.kind == "PDFSelection" and selection.text is not None:
                guid = selection.text_guid or make_guid("representation", selection.guid)
                representation = holder.add("Representation", {"guid": self.guid(guid, "a PDF selection's text")})
                representation.add("PlainTextContent", text=self.text(selection.text, "a PDF selection's text"))
            self.coding_elements(holder, selection.codings)
            self.refs(holder, "NoteRef", selection.notes)

    def transcript(self, element, transcript, selections):
        attributes = {"guid": self.guid(transcript.guid, "a transcript"), "name": transcript.name}
        rich = transcript.rich_text_path
        if rich and not rich.startswith("internal://"):
            attributes["richTextPath"] = rich
        if transcript.plain_text is not None:
            attributes["plainTextPath"] = self.text_file(transcript.guid, transcript.plain_text_path,
                                                         transcript.plain_text)
        elif transcript.plain_text_path:
            attributes["plainTextPath"] = transcript.plain_text_path
        holder = element.add("Transcript", attributes)
        for point in transcript.sync_points:
            holder.add("SyncPoint", {"guid": self.guid(point.guid, "a sync point"), "timeStamp": point.time_stamp,
                                     "position": point.position})
        self.media_elements(holder, selections)


def _python_type(value):
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    if isinstance(value, dt.datetime):
        return "DateTime"
    if isinstance(value, dt.date):
        return "Date"
    return "Text"


def _format_value(value, variable, owner):
    kind = variable.type
    try:
        if kind == "Text":
            return str(value)
        if kind == "Boolean" and isinstance(value, bool):
            return "true" if value else "false"
        if kind == "Integer" and isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if (kind == "Float" and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)
                and Decimal(value).is_finite()):
            return format(Decimal(repr(value)) if isinstance(value, float) else Decimal(value), "f")
        if kind == "DateTime" and isinstance(value, dt.datetime):
            return value.isoformat()
        if kind == "Date" and isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value.isoformat()
    except (InvalidOperation, ValueError):
        pass
    raise InputError(f"{owner}: '{variable.name}' is a {kind} variable, but the value is {value!r}",
                     field=variable.name)
