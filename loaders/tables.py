"""Reading tabular and record files with the line number of every record.

CSV/TSV (delimiter sniffed: comma, semicolon or tab; a BOM is dropped; pyarrow, with
an exact fallback for quoted newlines), XLSX (openpyxl via
pandas), JSON Lines, JSON and YAML all come back as a pandas frame of strings with a
``line`` column, so every later error can name file, line and field.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import yaml

from consultgraph.errors import InputError

TABLE_SUFFIXES = {".csv", ".tsv", ".tab", ".txt", ".xlsx", ".xlsm", ".jsonl", ".ndjson", ".json", ".yaml", ".yml"}


def _header(path, delimiter):
    with open(path, newline="", encoding="utf-8-sig") as handle:
        try:
            return next(csv.reader(handle, delimiter=delimiter))
        except StopIteration:
            raise InputError("the file is empty", file=path, line=1) from None
        except (csv.Error, UnicodeDecodeError) as error:
            raise InputError(f"not a readable CSV file ({error})", file=path, line=1) from None


DELIMITERS = (",", ";", "\t")


def sniff_delimiter(path):
    r"""The delimiter of a CSV file: comma, semicolon (Excel in much of Europe) or tab.

    Decided on the header line: the candidate that splits it into the most fields when
    read as CSV (so a comma inside a quoted name does not count). A ``.tsv`` file is tab.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "codes.csv"
    >>> _ = path.write_text("\ufeffrespondent;code;group\nr1;research;partner\n", encoding="utf-8")
    >>> sniff_delimiter(path), read_header(path)
    (';', ['respondent', 'code', 'group'])
    """
    path = Path(path)
    if path.suffix.lower() in (".tsv", ".tab"):
        return "\t"
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("the file is UTF-16 text", file=path, line=1,
                         hint="save it as CSV UTF-8 (Excel: Save As > CSV UTF-8)")
    try:
        first = head.decode("utf-8-sig", errors="replace").splitlines()[0] if head.strip() else ""
    except IndexError:
        first = ""
    counts = {d: len(next(csv.reader([first], delimiter=d), [])) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] > 1 else ","


def read_header(path):
    """The column names of a CSV/TSV file (first line only)."""
    path = Path(path)
    header = [h.strip() for h in _header(path, sniff_delimiter(path))]
    if len(header) > 1 and header[0] == "" and "" not in header[1:]:
        header[0] = "case"  # a crosstab (NVivo matrix export) leaves its row-label column unnamed
    return header


def _csv_exact(path, delimiter, header):
    """The slow, exact reader: Python's csv module, which knows each record's line."""
    rows, lines = [], []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            next(reader)
            start = reader.line_num + 1
            for row in reader:
                if not any(cell.strip() for cell in row):
                    start = reader.line_num + 1
                    continue
                if len(row) != len(header):
                    raise InputError(
                        f"expected {len(header)} fields, found {len(row)}",
                        file=path,
                        line=start,
                        hint="check for an unquoted delimiter or a missing quote",
                    )
                rows.append(row)
                lines.append(start)
                start = reader.line_num + 1
        except csv.Error as error:
            raise InputError(f"malformed CSV ({error})", file=path, line=reader.line_num) from None
        except UnicodeDecodeError as error:
            raise InputError(f"not UTF-8 text ({error.reason})", file=path) from None
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    frame["line"] = lines
    return frame


def _to_pandas(table):
    """A parsed CSV as pandas; dictionary columns become categoricals built from the parser's own
    codes, with plain Python strings as categories (one per distinct value; pandas' Arrow-backed
    strings are slow to iterate and to look up one by one)."""
    import numpy as np
    import pyarrow as pa

    table = table.unify_dictionaries()
    names = table.column_names
    plain = [n for n in names if not pa.types.is_dictionary(table.schema.field(n).type)]
    frame = table.select(plain).to_pandas() if plain else pd.DataFrame(index=pd.RangeIndex(table.num_rows))
    for name in names:
        column = table.column(name)
        if name in plain:
            continue
        chunks = column.chunks
        dictionary = chunks[0].dictionary if chunks else pa.array([], pa.string())
        codes = (np.concatenate([c.indices.fill_null(-1).to_numpy(zero_copy_only=False) for c in chunks])
                 if chunks else np.zeros(0, dtype=np.int32))
        categories = pd.Index(dictionary.to_numpy(zero_copy_only=False), dtype=object)
        frame[name] = pd.Categorical.from_codes(codes.astype(np.int32, copy=False), categories=categories)
    return frame[names]


def read_csv(path, delimiter=None, categorical=(), numeric=()):
    """A CSV/TSV file as a frame of strings (empty cells are None) plus ``line``.

    Columns named in ``categorical`` come back as pandas categoricals (dictionary-encoded
    by the parser): repeated values such as respondent ids and codes are then handled once.
    Columns in ``numeric`` are parsed as numbers by the parser; a cell that is not a number
    sends the whole file to the exact reader, where the caller's check names its line.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    if delimiter is None:
        delimiter = sniff_delimiter(path)
    header = read_header(path) if delimiter == sniff_delimiter(path) else [h.strip() for h in _header(path, delimiter)]
    if len(set(header)) != len(header):
        seen = set()
        dup = next(h for h in header if h in seen or seen.add(h))
        raise InputError(f"column '{dup}' appears twice in the header", file=path, line=1, field=dup)
    if "" in header:
        raise InputError(f"column {header.index('') + 1} has no name", file=path, line=1)
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, encoding="utf8"),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={
                    h: pa.dictionary(pa.int32(), pa.string()) if h in categorical
                    else pa.float64() if h in numeric else pa.string()
                    for h in header
                },
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return _csv_exact(path, delimiter, header)
    frame = _to_pandas(table)
    del table
    # the parser's working memory goes back to the system (Arrow's pool would keep it: a
    # gigabyte for a million respondents, unusable by what the translation allocates next)
    pa.default_memory_pool().release_unused()
    with open(path, "rb") as handle:
        physical = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
    if physical - 1 > len(frame) + 1 or (len(frame) and physical < len(frame)):
        # blank lines or quoted newlines: line numbers need the exact reader
        return _csv_exact(path, delimiter, header)
    frame["line"] = range(2, len(frame) + 2)
    return frame


def read_xlsx(path, sheet=0):
    """The first (or named) sheet of an Excel workbook, as strings, plus ``line``."""
    try:
        frame = pd.read_excel(path, sheet_name=sheet, dtype=str, engine="openpyxl")
    except Exception as error:  # openpyxl raises many kinds for broken workbooks
        raise InputError(f"not a readable Excel workbook ({error})", file=path) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.astype(object).where(frame.notna(), None)
    frame["line"] = range(2, len(frame) + 2)
    return frame


#: The C (libyaml) safe loader where PyYAML was built with it: ~10x faster than pure Python.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(SAFE_LOADER):
    """A safe YAML loader that records the line of each mapping as ``__line__``."""


def _mapping_with_line(loader, node):
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def read_records(path):
    """Records of a YAML, JSON or JSON Lines file: a list of ``(line, dict)``."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"not UTF-8 text ({error.reason})", file=path) from None
    if suffix in (".jsonl", ".ndjson"):
        out = []
        for number, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except json.JSONDecodeError as error:
                raise InputError(f"malformed JSON ({error.msg})", file=path, line=number) from None
            if not isinstance(record, dict):
                raise InputError("each line must be a JSON object", file=path, line=number)
            out.append((number, record))
        return out
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(f"malformed JSON ({error.msg})", file=path, line=error.lineno) from None
        if isinstance(data, dict):
            data = data.get("records", [data])
        if not isinstance(data, list):
            raise InputError("expected a list of records", file=path)
        return [(None, r) for r in data]
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise InputError(
            f"malformed YAML ({getattr(error, 'problem', error)})", file=path, line=None if mark is None else mark.line + 1
        ) from None
    if data is None:
        return []
    if isinstance(data, dict):
        data = data.get("records", [data])
    if not isinstance(data, list):
        raise InputError("expected a list of records", file=path)
    out = []
    for item in data:
        if not isinstance(item, dict):
            raise InputError("each record must be a mapping", file=path)
        line = item.pop("__line__", None)
        out.append((line, _strip_lines(item)))
    return out


def _strip_lines(value):
    if isinstance(value, dict):
        value.pop("__line__", None)
        return {k: _strip_lines(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def read_table(path, categorical=(), numeric=()):
    """Any tabular or record file as a frame plus ``line`` (records become rows)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".tab", ".txt"):
        return read_csv(path, categorical=categorical, numeric=numeric)
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(path)
    if suffix in (".jsonl", ".ndjson", ".json", ".yaml", ".yml"):
        records = read_records(path)
        frame = pd.DataFrame([r for _, r in records], dtype=object)
        frame["line"] = [line for line, _ in records]
        return frame
    raise InputError(f"cannot read '{suffix}' files as a table", file=path)
