"""REFI-QDA reading and writing: every shared sample, round trips, hostile files, offsets.

Counts are checked against the XML itself, counted here with ElementTree and a regular
expression, never with the module under test. The samples stay in ../shared (some are
AGPL or carry third-party text): nothing from them is copied into the repository.
"""

from __future__ import annotations

import dataclasses
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from consultgraph.errors import InputError, SchemaError
from consultgraph.loaders.qdpx import (
    Case,
    Code,
    Coding,
    Limits,
    PlainTextSelection,
    QdaProject,
    Source,
    Variable,
    make_guid,
    read_qdpx,
)
from consultgraph.outputs.qdpx import write_qdpx

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "qdpx"
XSD = SAMPLES / "Project.xsd"
NS = "{urn:QDA-XML:project:1.0}"
SAMPLE_FILES = sorted(SAMPLES.glob("*.qd[ep]*")) if SAMPLES.is_dir() else []

needs_samples = pytest.mark.skipif(not SAMPLE_FILES, reason=f"REFI-QDA samples not found in {SAMPLES}")

# From SOURCES.md, as a second witness: codes, text selections, codings on them, all codings.
DOCUMENTED = {
    "atlasti8_refi_standard_project.qdpx": (14, 8, 9, 16),
    "atlasti8_refi_standard_project.qde": (14, 8, 9, 16),
    "nvivo12_hu_vaccine_skepticism.qdpx": (152, 303, 303, 303),
    "nvivo15mac_codebook_qc.qdpx": (262, 0, 0, 0),
    "qc_demo_school_board.qdpx": (262, 158, 205, 205),
    "hand_authored_all_elements.qde": (4, 2, 2, 7),
}

HEADER = '<?xml version="1.0" encoding="utf-8"?>\n'
USER = "10000000-0000-0000-0000-000000000001"
CODE = "20000000-0000-0000-0000-000000000001"
SOURCE = "40000000-0000-0000-0000-000000000001"


def raw_qde(path):
    """The project XML of a sample, read with zipfile alone."""
    if path.suffix.lower() == ".qde":
        return path.read_bytes()
    with zipfile.ZipFile(path) as archive:
        [name] = [n for n in archive.namelist() if "/" not in n and n.lower().endswith(".qde")]
        return archive.read(name)


def sample_ids():
    return [path.name for path in SAMPLE_FILES]


def qde(body, *, sources="", name="tiny"):
    """A small QDA-XML document around ``body`` (code book) and ``sources``."""
    return (f'{HEADER}<Project xmlns="urn:QDA-XML:project:1.0" name="{name}">\n'
            f'<Users><User guid="{USER}" name="Ana"/></Users>\n'
            f"<CodeBook><Codes>{body}</Codes></CodeBook>\n"
            f"{sources}</Project>\n")


def zip_with(path, entries):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def comparable(project):
    """What a round trip must keep: paths to files not carried, and the offset unit found, aside."""
    def source(item):
        return dataclasses.replace(
            item, rich_text_path=None, plain_text_path=None, offset_unit=None,
            transcripts=tuple(dataclasses.replace(t, rich_text_path=None, plain_text_path=None)
                              for t in item.transcripts))

    return dataclasses.replace(project, sources=tuple(source(s) for s in project.sources),
                               notes=tuple(dataclasses.replace(n, plain_text_path=None) for n in project.notes))


# --------------------------------------------------------------------------- samples


@needs_samples
@pytest.mark.parametrize("path", SAMPLE_FILES, ids=sample_ids())
def test_counts_match_the_xml(path):
    xml = raw_qde(path)
    root = ET.fromstring(xml)
    codes = len(root.findall(f".//{NS}Code"))
    selections = len(root.findall(f".//{NS}PlainTextSelection"))
    text_codings = len(root.findall(f".//{NS}PlainTextSelection/{NS}Coding"))
    all_codings = len(root.findall(f".//{NS}Coding"))
    # A regular expression over the raw bytes agrees with ElementTree ...
    assert len(re.findall(rb"<Code[\s/>]", xml)) == codes
    assert len(re.findall(rb"<PlainTextSelection[\s/>]", xml)) == selections
    assert len(re.findall(rb"<Coding[\s/>]", xml)) == all_codings
    # ... and with what SOURCES.md says of each file.
    assert (codes, selections, text_codings, all_codings) == DOCUMENTED[path.name]

    project = read_qdpx(path)
    counts = project.counts()
    assert counts["codes"] == codes
    assert counts["text_selections"] == selections
    assert counts["text_codings"] == text_codings
    assert counts["text_codings"] + counts["media_codings"] + counts["source_codings"] == all_codings
    assert len(list(project.codings())) == text_codings
    for kind in ("PictureSelection", "PDFSelection", "AudioSelection", "VideoSelection", "TranscriptSelection"):
        assert counts["media_selections"].get(kind, 0) == len(root.findall(f".//{NS}{kind}")), kind
    assert counts["cases"] == len(root.findall(f".//{NS}Case"))
    assert counts["users"] == len(root.findall(f".//{NS}User"))
    sources = sum(len(root.findall(f"{NS}Sources/{NS}{kind}"))
                  for kind in ("TextSource", "PictureSource", "PDFSource", "AudioSource", "VideoSource"))
    assert counts["sources"] == sources


@needs_samples
@pytest.mark.parametrize("path", SAMPLE_FILES, ids=sample_ids())
def test_code_tree_keeps_parents(path):
    root = ET.fromstring(raw_qde(path))
    expected = {}
    for parent in root.iter(f"{NS}Code"):
        for child in parent.findall(f"{NS}Code"):
            expected[child.get("guid").lower()] = parent.get("guid").lower()
    project = read_qdpx(path)
    assert {c.guid: c.parent for c in project.codes if c.parent} == expected
    seen = set()
    for code in project.codes:  # parents come before their children
        assert code.parent is None or code.parent in seen
        seen.add(code.guid)


@needs_samples
def test_qc_selections_are_whole_lines():
    # qc names each selection after the (0-based) line it codes: the cut must be that line.
    project = read_qdpx(SAMPLES / "qc_demo_school_board.qdpx")
    assert project.origin == "qc 1.3.2"
    for selection in project.selections:
        lines = project.source(selection.source).plain_text.splitlines(keepends=True)
        assert selection.text == lines[int(selection.name.removeprefix("line:"))]


@needs_samples
def test_nvivo_offsets_are_utf16_units_converted_to_code_points():
    path = SAMPLES / "nvivo12_hu_vaccine_skepticism.qdpx"
    project = read_qdpx(path)
    root = ET.fromstring(raw_qde(path))
    with zipfile.ZipFile(path) as archive:
        files = {n.split("/")[-1]: archive.read(n) for n in archive.namelist()}
    raw_offsets = {s.get("guid"): (int(s.get("startPosition")), int(s.get("endPosition")))
                   for s in root.iter(f"{NS}PlainTextSelection")}
    coded = project.source("68bbdc14-c361-4432-b4dd-ae1dbfc12890")
    assert coded.offset_unit == "utf16"
    assert any(ord(char) > 0xFFFF for char in coded.plain_text)  # emoji, which is why it matters
    assert not coded.plain_text.startswith("\ufeff")  # the file's BOM is not text
    assert "\r\n" in coded.plain_text  # CR LF kept: NVivo counts both
    # Cut independently: UTF-16 code units of the text without its BOM.
    units = files["68bbdc14-c361-4432-b4dd-ae1dbfc12890.txt"].decode("utf-8-sig").encode("utf-16-le")
    inside_words = 0
    for selection in project.selections:
        start, end = raw_offsets[selection.guid]
        assert selection.text == units[2 * start:2 * end].decode("utf-16-le")
        assert coded.plain_text[selection.start_position:selection.end_position] == selection.text
        text = coded.plain_text
        a, e = selection.start_position, selection.end_position
        inside_words += (a > 0 and text[a - 1].isalnum() and text[a].isalnum()) or (
            text[e - 1].isalnum() and text[e].isalnum())
    assert inside_words <= 3  # of 303: the coders' own sloppy sweeps, not an offset shift
    assert any("UTF-16" in warning for warning in project.warnings)
    # Read as code points, most cuts would fall mid-word.
    shifted = read_qdpx(path, offsets="codepoint")
    assert sum(s.text != t.text for s, t in zip(shifted.selections, project.selections)) > 250


@needs_samples
def test_atlas_project_entry_and_pdf_representation():
    for path in (SAMPLES / "atlasti8_refi_standard_project.qdpx", SAMPLES / "atlasti8_refi_standard_project.qde"):
        project = read_qdpx(path)
        assert project.name == "ATLAS.ti standard project"
        pdf = project.source("2065D8AB-D724-40C9-B4E9-6EB8DAB73541")
        assert pdf.kind == "PDFSource" and pdf.representation_guid == "142eb46d-612e-4593-a385-d0e5d04d1288"
        on_pdf = [s for s in project.selections if s.source == pdf.guid]
        assert [(s.start_position, s.end_position) for s in on_pdf] == [(297, 498), (62, 69)]
        # No texts are in this export, so nothing is cut, and the reader says so.
        assert all(s.text is None for s in project.selections)
        # 6 text sources, 2 PDF representations, 3 video transcripts
        assert sum("is not in" in warning for warning in project.warnings) == 11
        granola = [s for s in project.media_selections if s.kind == "PDFSelection" and s.text == "granola"]
        assert granola and granola[0].anchor == {"page": 0, "firstX": 335, "firstY": 367, "secondX": 485,
                                                 "secondY": 420}
        assert project.code_path("D299EFAE-5779-46DC-9827-A3D1A5D544BC") == ("Coke::diet Coke",)


@needs_samples
def test_hand_authored_cases_variables_and_tree():
    project = read_qdpx(SAMPLES / "hand_authored_all_elements.qde")
    [case] = project.cases
    assert case.name == "Participant 1"
    assert case.variables == {"Age": 34, "Consented": True}
    assert case.sources == (SOURCE,)
    assert case.selections == ("50000000-0000-0000-0000-000000000001",)
    assert [v.type for v in project.variables] == ["Integer", "Boolean"]
    assert project.code_path("20000000-0000-0000-0000-000000000003") == ("Topics", "Health", "Diet")
    assert [c.name for c in project.children()] == ["Topics"]
    assert not project.code("20000000-0000-0000-0000-000000000001").is_codable
    assert project.notes[0].text == "Remember to follow up on diet-related comments."
    assert any("Graph" in warning for warning in project.warnings)
    pdf = project.source("40000000-0000-0000-0000-000000000003")
    assert pdf.plain_text == "Notes about diet and health from the document."


@needs_samples
@pytest.mark.parametrize("path", SAMPLE_FILES, ids=sample_ids())
def test_round_trip_validates_and_keeps_everything(path, tmp_path):
    import xmlschema

    schema = xmlschema.XMLSchema(str(XSD))
    first = read_qdpx(path)
    out = write_qdpx(first, tmp_path / "out.qdpx", schema=XSD)
    with zipfile.ZipFile(out) as archive:
        assert archive.namelist()[0] == "project.qde"
        schema.validate(archive.read("project.qde").decode("utf-8"))
        for name in archive.namelist()[1:]:
            assert name.startswith("sources/") and not archive.read(name).startswith(b"\xef\xbb\xbf")
    second = read_qdpx(out)
    assert comparable(second) == comparable(first)
    # The essentials, spelled out.
    assert second.codes == first.codes
    assert second.selections == first.selections
    assert list(second.codings()) == list(first.codings())
    assert second.cases == first.cases
    assert [(s.guid, s.name, s.kind, s.plain_text, s.variables) for s in second.sources] == \
        [(s.guid, s.name, s.kind, s.plain_text, s.variables) for s in first.sources]
    # Written once more, the bytes do not change.
    again = write_qdpx(second, tmp_path / "again.qdpx")
    assert again.read_bytes() == out.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.qdpx", "out.qdpx"]  # no temp files left


# --------------------------------------------------------------------------- hostile and broken files


def test_traversal_entry_is_refused(tmp_path):
    path = zip_with(tmp_path / "evil.qdpx", {"project.qde": qde(""), "../evil.txt": "boo"})
    with pytest.raises(InputError) as error:
        read_qdpx(path)
    assert str(error.value) == f"{path}: unsafe entry path '../evil.txt' (it would leave the archive)"


@pytest.mark.parametrize("entry", ["/etc/passwd", "sources/../../x.txt", "C:\\Windows\\x.txt", "sources\\..\\..\\x"])
def test_absolute_and_hidden_traversal_entries_are_refused(tmp_path, entry):
    path = zip_with(tmp_path / "evil.qdpx", {"project.qde": qde(""), entry: "boo"})
    with pytest.raises(InputError) as error:
        read_qdpx(path)
    assert str(error.value) == f"{path}: unsafe entry path '{entry}' (it would leave the archive)"


def test_traversal_in_plain_text_path_is_refused(tmp_path):
    sources = (f'<Sources><TextSource guid="{SOURCE}" name="x" plainTextPath="internal://../../etc/passwd"/>'
               "</Sources>\n")
    path = zip_with(tmp_path / "evil.qdpx", {"project.qde": qde("", sources=sources)})
    with pytest.raises(InputError) as error:
        read_qdpx(path)
    assert str(error.value) == (f"{path} (entry project.qde), line 5, field 'plainTextPath': "
                                "plainTextPath 'internal://../../etc/passwd' leaves the project")


BILLION_LAUGHS = (HEADER + '<!DOCTYPE Project [\n <!ENTITY lol "lol">\n'
                  ' <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
                  ' <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">\n]>\n'
                  '<Project xmlns="urn:QDA-XML:project:1.0" name="&lol2;"/>\n')


def test_billion_laughs_is_refused(tmp_path):
    path = tmp_path / "laughs.qde"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_qdpx(path)
    assert str(error.value) == (f"{path}, line 3: XML declares the entity 'lol'; entity declarations are "
                                "refused (they make entity-expansion bombs)")
    packed = zip_with(tmp_path / "laughs.qdpx", {"project.qde": BILLION_LAUGHS})
    with pytest.raises(InputError) as error:
        read_qdpx(packed)
    assert str(error.value).startswith(f"{packed} (entry project.qde), line 3: XML declares the entity 'lol';")


def test_external_entity_is_refused(tmp_path):
    path = tmp_path / "xxe.qde"
    path.write_text(HEADER + '<!DOCTYPE Project [\n<!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'
                    '<Project xmlns="urn:QDA-XML:project:1.0" name="&xxe;"/>\n', encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_qdpx(path)
    assert str(error.value) == (f"{path}, line 3: XML declares the external entity 'xxe' (file:///etc/passwd); "
                                "external entities are refused")


def test_zip_without_qde_is_refused(tmp_path):
    path = zip_with(tmp_path / "empty.qdpx", {"sources/a.txt": "text"})
    with pytest.raises(InputError) as error:
        read_qdpx(path)
    assert str(error.value) == f"{path}: no .qde project file in the archive (a .qdpx holds project.qde at its root)"
    nested = zip_with(tmp_path / "nested.qdpx", {"study/project.qde": qde("")})
    with pytest.raises(InputError) as error:
        read_qdpx(nested)
    assert str(error.value) == (f"{nested}: no .qde project file in the archive (found study/project.qde in a "
                                "folder; the project file must be at the root of the archive)")


def test_any_single_qde_at_the_root_is_read(tmp_path):
    path = zip_with(tmp_path / "named.qdpx", {"My Study.qde": qde(f'<Code guid="{CODE}" name="a" isCodable="true"/>')})
    assert [c.name for c in read_qdpx(path).codes] == ["a"]
    both = zip_with(tmp_path / "both.qdpx", {"a.qde": qde(""), "b.qde": qde("")})
    with pytest.raises(InputError) as error:
        read_qdpx(both)
    assert str(error.value) == (f"{both}: several .qde files at the root of the archive: a.qde, b.qde "
                                "(a .qdpx holds one project file)")


def test_truncated_zip_is_refused(tmp_path):
    whole = zip_with(tmp_path / "whole.qdpx", {"project.qde": qde(""), "sources/a.txt": "x" * 5000})
    path = tmp_path / "cut.qdpx"
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(InputError) as error:
        read_qdpx(path)
    assert str(error.value) == f"{path}: truncated or corrupt zip archive (File is not a zip file)"


def test_corrupt_entry_is_refused(tmp_path):
    path = zip_with(tmp_path / "bad.qdpx", {"project.qde": qde("<!-- " + "padding " * 200 + "-->")})
    data = bytearray(path.read_bytes())
    data[60:70] = b"\x00" * 10  # inside the compressed project.qde
    path.write_bytes(bytes(data))
    with pytest.raises(InputError) as error:
        read_qdpx(path)
    assert str(error.value).startswith(f"{path}: entry 'project.qde' is truncated or corrupt (")


def test_not_a_zip_is_refused(tmp_path):
    path = tmp_path / "plain.qdpx"
    path.write_text("hello, I am no archive")
    with pytest.raises(InputError) as error:
        read_qdpx(path)
    assert str(error.value) == (f"{path}: not a zip archive (a .qdpx is a zip holding project.qde and a "
                                "sources/ folder)")
    with pytest.raises(InputError) as error:
        read_qdpx(tmp_path / "missing.qdpx")
    assert str(error.value) == f"{tmp_path / 'missing.qdpx'}: no such file (give a .qdpx or .qde file)"


def test_oversized_archive_is_refused_by_lowered_limits(tmp_path):
    path = zip_with(tmp_path / "big.qdpx", {"project.qde": qde(""), "sources/a.txt": "a" * 5000,
                                            "sources/b.txt": "b"})
    with pytest.raises(InputError) as error:
        read_qdpx(path, limits=Limits(max_total_size=4000))
    assert str(error.value) == (f"{path}: archive expands to more than the limit of 4,000 bytes "
                                "(stopped at entry 'sources/a.txt')")
    with pytest.raises(InputError) as error:
        read_qdpx(path, limits=Limits(max_members=2))
    assert str(error.value) == f"{path}: archive holds 3 entries, more than the limit of 2"
    bare = tmp_path / "big.qde"
    bare.write_text(qde(""))
    with pytest.raises(InputError) as error:
        read_qdpx(bare, limits=Limits(max_total_size=100))
    assert str(error.value) == f"{bare}: file is {bare.stat().st_size:,} bytes, more than the limit of 100"
    assert read_qdpx(path).name == "tiny"  # the default limits let it through


def test_compression_bomb_is_refused(tmp_path):
    path = zip_with(tmp_path / "bomb.qdpx", {"project.qde": qde(""), "sources/zeros.txt": "\0" * (4 * 1024**2)})
    info = zipfile.ZipFile(path).getinfo("sources/zeros.txt")
    ratio = info.file_size / info.compress_size
    assert ratio > 200
    with pytest.raises(InputError) as error:
        read_qdpx(path)
    assert str(error.value) == (f"{path}: entry 'sources/zeros.txt' expands {ratio:,.0f} times, more than the "
                                "limit of 200 (a zip bomb?)")


def test_xml_not_well_formed_gives_the_line(tmp_path):
    path = tmp_path / "broken.qde"
    path.write_text(HEADER + '<Project xmlns="urn:QDA-XML:project:1.0" name="x">\n<Users>\n</Project>\n')
    with pytest.raises(InputError) as error:
        read_qdpx(path)
    assert str(error.value) == f"{path}, line 4: XML is not well-formed (mismatched tag)"
    assert error.value.line == 4


def test_missing_required_attribute_names_entry_line_and_field(tmp_path):
    path = zip_with(tmp_path / "x.qdpx", {"project.qde": qde('<Code name="no guid" isCodable="true"/>')})
    with pytest.raises(InputError) as error:
        read_qdpx(path)
    assert str(error.value) == (f"{path} (entry project.qde), line 4, field 'guid': "
                                "<Code> lacks the required attribute 'guid'")
    sources = f'<Sources><TextSource guid="{SOURCE}"><PlainTextSelection guid="{CODE}" startPosition="0"/>' \
              "</TextSource></Sources>\n"
    path = tmp_path / "y.qde"
    path.write_text(qde("", sources=sources))
    with pytest.raises(InputError) as error:
        read_qdpx(path)
    assert str(error.value) == (f"{path}, line 5, field 'endPosition': "
                                "<PlainTextSelection> lacks the required attribute 'endPosition'")


def test_wrong_root_and_bad_text_encoding(tmp_path):
    path = tmp_path / "other.qde"
    path.write_text('<html xmlns="http://www.w3.org/1999/xhtml"/>')
    with pytest.raises(InputError) as error:
        read_qdpx(path)
    assert str(error.value) == (f"{path}, line 1: the root element is <html> in namespace "
                                "http://www.w3.org/1999/xhtml, not a QDA-XML <Project> (REFI-QDA projects use the "
                                "namespace urn:QDA-XML:project:1.0)")
    sources = f'<Sources><TextSource guid="{SOURCE}" plainTextPath="internal://a.txt"/></Sources>\n'
    latin = zip_with(tmp_path / "latin.qdpx", {"project.qde": qde("", sources=sources),
                                               "sources/a.txt": "café au lait".encode("latin-1")})
    with pytest.raises(InputError) as error:
        read_qdpx(latin)
    assert str(error.value) == (f"{latin} (entry project.qde): plain text 'sources/a.txt' is not UTF-8 "
                                "(byte 3: invalid continuation byte) (REFI-QDA plain texts are UTF-8)")


def test_unknown_code_is_a_warning_or_with_strict_an_error(tmp_path):
    ghost = "99999999-0000-0000-0000-000000000000"
    sources = (f'<Sources><TextSource guid="{SOURCE}" name="t"><PlainTextContent>abc</PlainTextContent>'
               f'<PlainTextSelection guid="{USER}" startPosition="0" endPosition="3"><Coding guid="{CODE}">'
               f'<CodeRef targetGUID="{ghost}"/></Coding></PlainTextSelection></TextSource></Sources>\n')
    path = tmp_path / "ghost.qde"
    path.write_text(qde("", sources=sources))
    assert read_qdpx(path).warnings == (f"1 coding refer to the unknown code {ghost}",)
    # a load says so: the note names the file
    from consultgraph.loaders import load

    assert load([path]).notes == [f"ghost.qde: 1 coding refer to the unknown code {ghost}"]
    with pytest.raises(InputError) as error:
        read_qdpx(path, strict=True)
    assert str(error.value) == (f"{path}: 1 coding refer to the unknown code {ghost} "
                                "(read without strict=True to keep going)")


# --------------------------------------------------------------------------- Unicode offsets

# Code points: "Café " 0-5, "😀" 5, " naïve " 6-13, the family emoji is 5 code points
# (woman ZWJ woman ZWJ girl) at 13-18, " 🇪🇺 " flag is 2 code points at 19-21.
UNICODE_TEXT = "Café 😀 naïve 👩\u200d👩\u200d👧 family 🇪🇺 ok"


def unicode_selections(offsets):
    return "".join(
        f'<PlainTextSelection guid="5000000{i}-0000-0000-0000-000000000000" startPosition="{start}" '
        f'endPosition="{end}"><Coding guid="6000000{i}-0000-0000-0000-000000000000" creatingUser="{USER}">'
        f'<CodeRef targetGUID="{CODE}"/></Coding></PlainTextSelection>'
        for i, (start, end) in enumerate(offsets))


def test_unicode_offsets_are_code_points_in_inline_text(tmp_path):
    spans = [(0, 4), (5, 6), (7, 12), (13, 18), (26, 28), (29, 31)]
    sources = (f'<Sources><TextSource guid="{SOURCE}" name="ü"><PlainTextContent>{UNICODE_TEXT}</PlainTextContent>'
               f"{unicode_selections(spans)}</TextSource></Sources>\n")
    path = tmp_path / "unicode.qde"
    path.write_text(qde(f'<Code guid="{CODE}" name="Émotion 😀" isCodable="true"/>', sources=sources),
                    encoding="utf-8")
    project = read_qdpx(path)
    assert [s.text for s in project.selections] == [
        "Café", "😀", "naïve", "👩\u200d👩\u200d👧", "🇪🇺", "ok"]
    assert project.source(SOURCE).offset_unit == "codepoint"
    assert project.selections[0].codings[0].creating_user == USER
    assert project.code(CODE).name == "Émotion 😀"
    # and they survive a round trip
    again = read_qdpx(write_qdpx(project, tmp_path / "unicode.qdpx", schema=XSD if XSD.exists() else None))
    assert again.selections == project.selections


def test_text_file_with_bom_and_crlf(tmp_path):
    text = "Line one 😀\r\nLine twö\r\n"
    spans = [(0, 8), (13, 21)]  # code points; the BOM does not count, CR LF counts as two
    sources = (f'<Sources><TextSource guid="{SOURCE}" name="t" plainTextPath="internal://t.txt">'
               f"{unicode_selections(spans)}</TextSource></Sources>\n")
    path = zip_with(tmp_path / "bom.qdpx", {"project.qde": qde("", sources=sources),
                                            "Sources/t.txt": "\ufeff".encode() + text.encode("utf-8")})
    project = read_qdpx(path)
    assert project.source(SOURCE).plain_text == text
    assert [s.text for s in project.selections] == ["Line one", "Line twö"]


def test_utf16_offsets_are_detected_and_converted(tmp_path):
    # The same words, counted in UTF-16 code units as NVivo for Windows counts them.
    text = "Café 😀 naïve 👩\u200d👩\u200d👧 family, then more words 🇪🇺 ok"
    words = ["naïve", "family", "then", "words", "ok"]
    spans_cp = [(text.index(w), text.index(w) + len(w)) for w in words]

    def units(offset):
        return len(text[:offset].encode("utf-16-le")) // 2

    spans_u16 = [(units(a), units(b)) for a, b in spans_cp]
    assert spans_u16 != spans_cp
    sources = (f'<Sources><TextSource guid="{SOURCE}" name="t"><PlainTextContent>{text}</PlainTextContent>'
               f"{unicode_selections(spans_u16)}</TextSource></Sources>\n")
    path = tmp_path / "utf16.qde"
    path.write_text(qde("", sources=sources), encoding="utf-8")
    project = read_qdpx(path)
    assert [s.text for s in project.selections] == words
    assert [(s.start_position, s.end_position) for s in project.selections] == spans_cp
    assert project.source(SOURCE).offset_unit == "utf16"
    forced = read_qdpx(path, offsets="codepoint")
    assert [s.text for s in forced.selections] != words
    assert [s.text for s in read_qdpx(path, offsets="utf16").selections] == words


def test_selection_past_the_end_is_kept_without_text(tmp_path):
    sources = (f'<Sources><TextSource guid="{SOURCE}" name="t"><PlainTextContent>short</PlainTextContent>'
               f"{unicode_selections([(2, 50)])}</TextSource></Sources>\n")
    path = tmp_path / "past.qde"
    path.write_text(qde(f'<Code guid="{CODE}" name="c" isCodable="true"/>', sources=sources))
    project = read_qdpx(path)
    assert project.selections[0].text is None
    assert project.warnings == ("line 5: selection 50000000-0000-0000-0000-000000000000 ends at 50, past the "
                                "end of the source 't''s text (5 characters)",)


# --------------------------------------------------------------------------- writing from scratch


def built_project():
    """A project made in code, as the translator would make it from graph records."""
    code, child = make_guid("code", "climate"), make_guid("code", "climate", "adaptation")
    source = make_guid("source", "r1")
    text = "We want climate adaptation — now 🌍."
    start = text.index("climate adaptation")
    selection = PlainTextSelection(make_guid("sel", 1), source, start, start + len("climate adaptation"),
                                   text="climate adaptation", codings=(Coding(make_guid("coding", 1), child),))
    return QdaProject(
        name="Consultation 2024", origin="consultgraph",
        codes=(Code(code, "Climate", color="#00aa00"), Code(child, "Adaptation", parent=code)),
        variables=(Variable(make_guid("var", "group"), "group"), Variable(make_guid("var", "n"), "n", "Integer"),
                   Variable(make_guid("var", "share"), "share", "Float")),
        cases=(Case(make_guid("case", "r1"), "Respondent 1", {"group": "partner", "n": 3, "share": 0.25},
                    sources=(source,)),),
        sources=(Source(source, "r1.txt", plain_text=text),),
        selections=(selection,))


def test_write_from_scratch_validates_and_reads_back(tmp_path):
    project = built_project()
    out = write_qdpx(project, tmp_path / "built.qdpx", schema=XSD if XSD.exists() else None)
    back = read_qdpx(out)
    assert back.codes == project.codes
    assert back.selections == project.selections
    assert back.cases == project.cases
    assert back.code_path(project.selections[0].codes[0]) == ("Climate", "Adaptation")
    assert back.source(project.sources[0].guid).plain_text == project.sources[0].plain_text


def test_writer_refuses_what_the_schema_would(tmp_path):
    project = built_project()
    bad_guid = dataclasses.replace(project, codes=(Code("climate", "Climate"),))
    with pytest.raises(InputError) as error:
        write_qdpx(bad_guid, tmp_path / "x.qdpx")
    assert str(error.value) == ("field 'guid': code 'Climate' has the GUID 'climate', which is not a GUID "
                                "(make one with consultgraph.loaders.qdpx.make_guid(...))")
    bad_value = dataclasses.replace(project, cases=(dataclasses.replace(project.cases[0], variables={"n": "three"}),))
    with pytest.raises(InputError, match="'n' is a Integer variable, but the value is 'three'"):
        write_qdpx(bad_value, tmp_path / "x.qdpx")
    control = dataclasses.replace(project, description="bell \x07")
    with pytest.raises(InputError, match="U\\+0007, which XML 1.0 cannot carry"):
        write_qdpx(control, tmp_path / "x.qdpx")
    assert list(tmp_path.iterdir()) == []  # nothing half-written


@pytest.mark.skipif(not XSD.exists(), reason="Project.xsd not found")
def test_schema_failure_leaves_the_old_file(tmp_path):
    target = tmp_path / "keep.qdpx"
    target.write_bytes(b"old")
    broken = dataclasses.replace(built_project(), created="yesterday")  # not an xsd:dateTime
    with pytest.raises(SchemaError, match="does not validate"):
        write_qdpx(broken, target, schema=XSD)
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]
