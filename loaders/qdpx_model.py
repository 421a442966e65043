"""The REFI-QDA project model: frozen dataclasses for a QDA-XML project and its parts.

Read by :mod:`consultgraph.loaders.qdpx`, written by :mod:`consultgraph.outputs.qdpx`;
GUIDs are normalised to small letters without braces (:func:`norm_guid`).
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterator, Mapping

QDA_NAMESPACE = "urn:QDA-XML:project:1.0"

SOURCE_KINDS = ("TextSource", "PictureSource", "PDFSource", "AudioSource", "VideoSource")
MEDIA_SELECTION_KINDS = ("PictureSelection", "PDFSelection", "AudioSelection", "VideoSelection", "TranscriptSelection")
VARIABLE_TYPES = ("Text", "Boolean", "Integer", "Float", "Date", "DateTime")
#: The case variable consultgraph writes for a respondent's stance on a code:
#: "stance: <code name>" = "lead" (two stances: "lead; support").
STANCE_VARIABLE = "stance: "
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

GUID_PATTERN = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")
RGB_PATTERN = re.compile(r"^#([A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})$")
# Characters XML 1.0 cannot carry at all, even as character references.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
GUID_NAMESPACE = uuid.UUID("5b0b3c4e-6f4a-4f51-9a53-0c0a3c9b8d11")


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
        return _index(self.codes, "_codes_by_guid", self)[norm_guid(guid)]

    def source(self, guid: str) -> Source:
        """The source of that GUID (KeyError if none)."""
        return _index(self.sources, "_sources_by_guid", self)[norm_guid(guid)]

    def children(self, guid: str | None = None) -> tuple[Code, ...]:
        """The codes directly under code ``guid``; the top-level codes when ``guid`` is None."""
        parent = None if guid is None else norm_guid(guid)
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
    return str(uuid.uuid5(GUID_NAMESPACE, "\x1f".join(str(part) for part in parts)))


def norm_guid(value):
    if value is None:
        return None
    match = GUID_PATTERN.match(value.strip())
    return match.group(1).lower() if match else value.strip()

