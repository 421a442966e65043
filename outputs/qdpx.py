"""A graph out as a REFI-QDA project: :func:`to_qda_project` and a valid ``.qdpx`` (:func:`write_qdpx`).

:func:`to_qda_project` puts the concepts as the code tree, one case per respondent with every
coding as a case-level code and stances as case variables, and one text source per
respondent holding their quotes, coded. The model is :mod:`consultgraph.loaders.qdpx_model`; the reader is :mod:`consultgraph.loaders.qdpx`.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import zipfile
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePosixPath

from consultgraph.errors import InputError, SchemaError
from consultgraph.loaders.qdpx_model import (
    ANCHORS, GUID_PATTERN, NOT_XML, QDA_NAMESPACE, RGB_PATTERN, SOURCE_KINDS, STANCE_VARIABLE, VARIABLE_TYPES, Case,
    Code, Coding,
    PlainTextSelection, QdaProject, Source, Variable, make_guid,
)

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
    >>> from consultgraph.loaders.qdpx import read_qdpx
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
        match = GUID_PATTERN.match(value or "")
        if not match:
            raise InputError(f"{what} has the GUID '{value}', which is not a GUID", field="guid",
                             hint="make one with consultgraph.loaders.qdpx.make_guid(...)")
        return match.group(1)

    def text(self, value, what):
        if value is not None and NOT_XML.search(value):
            bad = NOT_XML.search(value).group()
            raise InputError(f"{what} holds the character U+{ord(bad):04X}, which XML 1.0 cannot carry",
                             hint="remove control characters from the text")
        return value

    def color(self, value, what):
        if value is not None and not RGB_PATTERN.match(value):
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
                if GUID_PATTERN.match(name or ""):  # kept under its GUID when the variable was unknown
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


# --------------------------------------------------------------------------- the graph out


def to_qda_project(graph, name=None):
    """A REFI-QDA project of the graph, losing nothing the format can carry.

    - the concepts in use (and their ancestors) are the code tree;
    - every respondent is a case, with variables ``group`` and ``region`` (labels);
    - a respondent's quotes are one text source (a paragraph each), every quote a
      selection coded with the concepts it illustrates;
    - every coding of a respondent is a case-level code (``<CodeRef>`` in the case), also
      where it has no quote; a stance other than "mention" is the case variable
      ``stance: <code name>`` (e.g. ``stance: Climate change`` = ``lead``; two stances
      read ``lead; support``);
    - quotes without a respondent go into one source per group.

    Not carried: coding weights (a case holds a code once), findings, Pol.is votes.
    """
    import pandas as pd

    concepts = graph.concepts
    quotes = graph.quotes()
    codings = graph.codings()
    codings = codings[codings["respondent"].notna() & codings["concept"].notna()]
    used = set()
    for items in quotes["concepts"]:
        used.update(items)
    used.update(codings["concept"])
    # every ancestor of a used concept, so the tree is whole
    for concept in list(used):
        used.update(a for a in concepts.ancestors(concept) if a in concepts)
    ordered, placed = [], set()

    def place(concept_id):
        if concept_id in placed or concept_id not in concepts:
            return
        for parent in concepts[concept_id].broader:
            if parent in used:
                place(parent)
        placed.add(concept_id)
        ordered.append(concept_id)

    for concept_id in sorted(used):
        place(concept_id)
    guid_of = {c: make_guid("code", c) for c in ordered}
    codes = tuple(
        Code(guid=guid_of[c], name=concepts[c].label, description=concepts[c].definition,
             parent=next((guid_of[p] for p in concepts[c].broader if p in guid_of), None))
        for c in ordered
    )

    # each respondent's codes (in code order) and non-mention stances per code
    case_codes, stances = {}, {}
    order = {c: i for i, c in enumerate(ordered)}
    for respondent, concept, stance in zip(codings["respondent"], codings["concept"], codings["stance"]):
        if concept not in guid_of:
            continue
        case_codes.setdefault(respondent, set()).add(concept)
        if isinstance(stance, str) and stance != "mention":
            stances.setdefault((respondent, concept), set()).add(stance)
    stance_names = sorted({concepts[c].label for _, c in stances})
    variables = (Variable(guid=make_guid("variable", "group"), name="group"),
                 Variable(guid=make_guid("variable", "region"), name="region"),
                 *(Variable(guid=make_guid("variable", "stance", label), name=STANCE_VARIABLE + label)
                   for label in stance_names))

    sources, selections, cases = [], [], []
    grouped = {}
    for row in quotes.itertuples():
        owner = row.respondent if isinstance(row.respondent, str) else f"group:{row.group}"
        grouped.setdefault(owner, []).append(row)
    people = graph.respondents().set_index("id")
    source_of = {}
    for owner in sorted(grouped):
        rows = grouped[owner]
        parts, spans, position = [], [], 0
        for row in rows:
            text = str(row.text)
            spans.append((position, position + len(text), row))
            parts.append(text)
            position += len(text) + 2  # paragraphs separated by a blank line
        plain = "\n\n".join(parts)
        source_guid = make_guid("source", owner)
        source_of[owner] = source_guid
        label = people.loc[owner, "label"] if owner in people.index else owner.split(":", 1)[-1]
        sources.append(Source(guid=source_guid, name=str(label), plain_text=plain))
        for start, end, row in spans:
            quote_codings = tuple(Coding(guid=make_guid("coding", row.id, c), code=guid_of[c])
                                  for c in row.concepts if c in guid_of)
            selections.append(PlainTextSelection(guid=make_guid("selection", row.id), source=source_guid,
                                                 start_position=start, end_position=end, text=str(row.text),
                                                 codings=quote_codings, name=row.id))
    for owner in people.index:
        person = people.loc[owner]
        case_variables = {"group": concepts[person["group"]].label if person["group"] in concepts else None}
        if isinstance(person["region"], str) and person["region"] in concepts:
            case_variables["region"] = concepts[person["region"]].label
        for concept in sorted(case_codes.get(owner, ()), key=order.get):
            if (owner, concept) in stances:
                case_variables[STANCE_VARIABLE + concepts[concept].label] = "; ".join(
                    s for s in ("lead", "support", "drop", "agree", "disagree", "pass")
                    if s in stances[(owner, concept)]) or "; ".join(sorted(stances[(owner, concept)]))
        cases.append(Case(guid=make_guid("case", owner), name=str(person["label"]),
                          variables={k: v for k, v in case_variables.items() if not pd.isna(v)},
                          sources=(source_of[owner],) if owner in source_of else (),
                          codes=tuple(guid_of[c] for c in sorted(case_codes.get(owner, ()), key=order.get))))
    return QdaProject(name=name or graph.name or "consultation", origin="consultgraph", codes=codes,
                      variables=variables, cases=tuple(cases), sources=tuple(sources), selections=tuple(selections))


def describe_qdpx(path):
    """What a .qdpx holds, in one line: codes, cases, sources, codings (on text and on cases).

    Read back from the file itself, so the line counts what was written.
    """
    from consultgraph.loaders.qdpx import read_qdpx

    project = read_qdpx(path)
    on_text = sum(len(selection.codes) for selection in project.selections)
    on_cases = sum(len(case.codes) for case in project.cases)
    stances = sum(1 for case in project.cases for name in case.variables if str(name).startswith(STANCE_VARIABLE))
    return (f"{len(project.codes)} codes, {len(project.cases)} cases, {len(project.sources)} text sources, "
            f"{len(project.selections)} coded quotes ({on_text} codings on text), {on_cases} case-level codings, "
            f"{stances} stances")


def write_graph_qdpx(graph, path):
    """Write the graph as a .qdpx (atomically)."""
    return write_qdpx(to_qda_project(graph), path)
