"""Opening a REFI-QDA project safely: the ``.qdpx`` zip (entry paths, sizes, zip bombs) and
its XML (no entities, no external references), with the line each element starts on.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import PurePosixPath
from xml.etree.ElementTree import TreeBuilder

from defusedxml import DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser, ParseError

from consultgraph.errors import InputError


@contextmanager
def project_in_archive(path, limits):
    """``(project XML, where, texts)`` of a ``.qdpx``, the archive open while the block runs."""
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
        yield xml, f"{path} (entry {entry})", _ArchiveTexts(archive, members, path, limits)


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


class FolderTexts:
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


def parse_xml(data, where):
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
