"""REFI-QDA projects in: a ``.qdpx`` archive or bare ``.qde`` read into frozen dataclasses
(:func:`read_qdpx`; the model is :mod:`~consultgraph.loaders.qdpx_model`, the writer
:mod:`consultgraph.outputs.qdpx`).

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
import re
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePosixPath

from consultgraph.errors import InputError
from consultgraph.loaders.qdpx_archive import FolderTexts, parse_xml, project_in_archive
from consultgraph.loaders.qdpx_model import (  # noqa: F401  (the model is part of this module's API)
    ANCHORS, MEDIA_SELECTION_KINDS, OFFSET_UNITS, QDA_NAMESPACE, SOURCE_KINDS, VARIABLE_TYPES, Case, Code, Coding,
    Limits, Link, MediaSelection, Note, PlainTextSelection, QdaProject, QdaSet, Source, SyncPoint, Transcript, User,
    Variable, make_guid, norm_guid,
)

__all__ = [
    "QDA_NAMESPACE", "Limits", "User", "Code", "Variable", "Case", "Coding", "PlainTextSelection", "MediaSelection",
    "SyncPoint", "Transcript", "Source", "Note", "QdaSet", "Link", "QdaProject", "read_qdpx", "make_guid",
]

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
        with project_in_archive(path, limits) as (xml, where, texts):
            return _Reader(xml, where, texts, limits, offsets, strict).project()
    if path.suffix.lower() == ".qdpx":
        raise InputError("not a zip archive", file=path,
                         hint="a .qdpx is a zip holding project.qde and a sources/ folder")
    size = path.stat().st_size
    if size > limits.max_total_size:
        raise InputError(f"file is {size:,} bytes, more than the limit of {limits.max_total_size:,}", file=path)
    texts = FolderTexts(path.parent)
    return _Reader(path.read_bytes(), str(path), texts, limits, offsets, strict).project()


class _Reader:
    """One pass over a parsed ``.qde``; collects warnings as it goes."""

    def __init__(self, data, where, texts, limits, offsets, strict):
        self.where, self.texts, self.limits = where, texts, limits
        self.offsets, self.strict = offsets, strict
        self.warnings = []
        self.root, self.lines = parse_xml(data, where)
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
        return norm_guid(value) if value else None

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


