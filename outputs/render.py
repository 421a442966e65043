"""Rendering rows (lists of dicts) as table, CSV, TSV, JSON, JSON Lines, Markdown or XLSX.

Queries return rows; this module is the one place that turns them into text or a
workbook. Spreadsheet cells that start with ``= + - @`` are neutralised so a
spreadsheet never executes them; files are written to a temp file and renamed.
Terminal tables fit the terminal (rich): flags become footnotes, p and q a fixed
compact form, shares percentages; machine formats carry every figure at full precision.
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import textwrap
from pathlib import Path

from consultgraph.errors import InputError, UnknownNameError

FORMATS = ("table", "csv", "tsv", "json", "jsonl", "markdown", "xlsx")
#: File extensions and the format they mean (``-o out.csv`` without ``-f`` writes CSV).
EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".jsonl": "jsonl",
              ".ndjson": "jsonl", ".md": "markdown", ".markdown": "markdown", ".xlsx": "xlsx",
              ".txt": "table"}
#: Columns shown as a p- or q-value, and columns holding a share (0..1) shown as a percent.
P_COLUMNS = ("p", "q", "p_value", "q_value")
FLAG_COLUMNS = ("flags",)
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Prefix a text cell a spreadsheet would run as a formula with an apostrophe.

    Examples
    --------
    >>> neutralise("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise("-12"), neutralise(-12)
    ('-12', -12)
    """
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        try:
            float(value)
            return value
        except ValueError:
            return "'" + value
    return value


def resolve_format(fmt, output):
    """The output format: ``fmt`` if given, else the one ``output``'s extension names, else table.

    ``output`` of ``"-"`` (or None) is standard output. A format that contradicts the
    extension (``-f csv -o out.xlsx``) is an error rather than a mislabelled file.

    Examples
    --------
    >>> resolve_format(None, "t.xlsx"), resolve_format(None, "-"), resolve_format("json", "rows.txt")
    ('xlsx', 'table', 'json')
    >>> resolve_format("csv", "t.xlsx")
    Traceback (most recent call last):
    ...
    consultgraph.errors.InputError: t.xlsx: -f csv does not match the file extension .xlsx (use -f xlsx, or name the file t.csv)
    """
    if fmt is not None and fmt not in FORMATS and fmt != "md":
        raise UnknownNameError("output format", fmt, FORMATS)
    if output in (None, "-"):
        return fmt or "table"
    suffix = Path(str(output)).suffix.lower()
    implied = EXTENSIONS.get(suffix)
    if fmt is None:
        return implied or "table"
    fmt = "markdown" if fmt == "md" else fmt
    if implied is not None and implied != fmt and suffix != ".txt":
        wanted = next((ext for ext, name in EXTENSIONS.items() if name == fmt), None)
        hint = f"use -f {implied}" + (f", or name the file {Path(str(output)).stem}{wanted}" if wanted else "")
        raise InputError(f"-f {fmt} does not match the file extension {suffix}", file=output, hint=hint)
    if implied is None and fmt == "xlsx" and suffix not in (".xlsx",):
        raise InputError("an xlsx workbook needs a .xlsx file name", file=output, hint=f"name it {Path(str(output)).stem}.xlsx")
    return fmt


def _plain(value, precise=False):
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value) if precise else f"{value:.4g}"
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return _plain(value.item(), precise)
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v, precise) for v in value)
    return str(value)


def compact_p(value):
    """A p- or q-value in a fixed compact form: three decimals, ``<0.001`` below that.

    Examples
    --------
    >>> compact_p(1.4e-07), compact_p(0.07312), compact_p(1.0), compact_p(None)
    ('<0.001', '0.073', '1.000', '')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, str):
        return value
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def percent(value):
    """A share (0..1) as a whole percent for people: ``0.868`` -> ``'87%'``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, str):
        return value
    return f"{value * 100:.0f}%"


def _is_share_column(name):
    return name == "share" or name.endswith("_share") or name.endswith(".share")


def _display(column, value):
    if column in P_COLUMNS:
        return compact_p(value)
    if _is_share_column(column) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return percent(value)
    return _plain(value)


def footnotes(rows, column="flags"):
    """Replace each row's ``column`` text ("a; b") by markers ("1,2"); returns (rows, notes).

    Each distinct flag is numbered once, in order of first appearance, so a table can
    explain it once underneath instead of on every row.

    Examples
    --------
    >>> rows, notes = footnotes([{"flags": "small base; subgroup"}, {"flags": "small base"}, {"flags": ""}])
    >>> [r["flags"] for r in rows], notes
    (['1,2', '1', ''], ['small base', 'subgroup'])
    """
    notes, out = [], []
    for row in rows:
        text = row.get(column) or ""
        marks = []
        for flag in (part.strip() for part in str(text).split("; ")):
            if not flag:
                continue
            if flag not in notes:
                notes.append(flag)
            marks.append(str(notes.index(flag) + 1))
        out.append({**row, column: ",".join(marks)})
    return out, notes


def _json_value(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def columns_of(rows):
    columns = []
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    return columns


def as_table(rows, columns=None, width=None, color=False):
    """A table that fits ``width`` columns: labels wrap within their column, flags are footnotes.

    ``color`` adds ANSI styling (the CLI asks for it only on a terminal without NO_COLOR).

    Examples
    --------
    >>> text = as_table([{"concept": "Research", "share": 0.2297, "p_value": 1e-7, "flags": "base 20 under 30"}], width=60)
    >>> "23%" in text and "<0.001" in text and "1 base 20 under 30" in text
    True
    """
    from rich import box
    from rich.console import Console
    from rich.table import Table

    columns = columns or columns_of(rows)
    if not rows:
        return "(no rows)\n"
    flag_column = next((c for c in FLAG_COLUMNS if c in columns), None)
    notes = []
    if flag_column:
        rows, notes = footnotes(rows, flag_column)
        if not notes:
            columns = [c for c in columns if c != flag_column]
    width = width or shutil.get_terminal_size((160, 24)).columns
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold" if color else None,
                  expand=False)
    cells = [[_display(c, row.get(c)) for c in columns] for row in rows]
    keep = [i for i, c in enumerate(columns) if any(r[i] for r in cells)] or list(range(len(columns)))
    cap = min(14, max(6, (width - 3 * len(keep)) // max(len(keep), 1)))  # many columns: words may split
    for i in keep:
        column = columns[i]
        numeric = column in P_COLUMNS or all(isinstance(r.get(column), (int, float)) and not isinstance(r.get(column), bool)
                                             for r in rows if r.get(column) is not None)
        header = "note" if column == flag_column else column
        # A column is never narrower than its longest word (up to 14), so words wrap, not split.
        longest_word = max(len(word) for text in [header] + [r[i] for r in cells] for word in (text.split() or [""]))
        table.add_column(header, overflow="fold", justify="right" if numeric else "left",
                         min_width=min(longest_word, cap))
    for row in cells:
        table.add_row(*[row[i] for i in keep])
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=color, color_system="standard" if color else None,
                      no_color=not color, highlight=False, soft_wrap=False, emoji=False, markup=False)
    console.print(table, crop=False)  # never cut text off: a table too wide for the terminal wraps there
    lines = [line.rstrip() for line in buffer.getvalue().splitlines()]
    for number, note in enumerate(notes, start=1):
        marker = f"{number:>{len(str(len(notes)))}} "
        lines += textwrap.wrap(note, width, initial_indent=marker, subsequent_indent=" " * len(marker)) or [marker]
    return "\n".join(lines) + "\n"


def as_wide_table(rows, columns=None, width=None):
    """The plain aligned layout (``--wide``): every cell on its own row, flags in full."""
    columns = columns or columns_of(rows)
    if not rows:
        return "(no rows)\n"
    width = width or shutil.get_terminal_size((160, 24)).columns
    cells = [[_plain(row.get(c)) for c in columns] for row in rows]
    natural = [max([len(c)] + [len(line) for r in cells for line in r[i].splitlines() or [""]]) for i, c in enumerate(columns)]
    budget = max(width - 3 * (len(columns) - 1), 20 * len(columns))
    widths = list(natural)
    while sum(widths) > budget and max(widths) > 12:
        widest = widths.index(max(widths))
        widths[widest] = max(12, widths[widest] - max(1, (sum(widths) - budget) // 2))
    out = []

    def emit(values):
        wrapped = [textwrap.wrap(v, w) or [""] for v, w in zip(values, widths)]
        for i in range(max(len(w) for w in wrapped)):
            out.append(" | ".join((w[i] if i < len(w) else "").ljust(widths[j]) for j, w in enumerate(wrapped)).rstrip())

    emit(columns)
    out.append("-+-".join("-" * w for w in widths))
    for row in cells:
        emit(row)
    return "\n".join(out) + "\n"


def as_markdown(rows, columns=None):
    columns = columns or columns_of(rows)
    escape = lambda text: _plain(text).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    lines = ["| " + " | ".join(escape(c) for c in columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(escape(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def as_delimited(rows, columns=None, delimiter=","):
    columns = columns or columns_of(rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([neutralise(_plain(row.get(c), precise=True)) for c in columns])
    return buffer.getvalue()


def as_json(rows, columns=None):
    columns = columns or columns_of(rows)
    return json.dumps([{c: _json_value(row.get(c)) for c in columns} for row in rows], ensure_ascii=False, indent=2) + "\n"


def as_jsonl(rows, columns=None):
    columns = columns or columns_of(rows)
    return "".join(json.dumps({c: _json_value(row.get(c)) for c in columns}, ensure_ascii=False) + "\n" for row in rows)


_TEXT = {
    "table": as_table,
    "wide": as_wide_table,
    "csv": as_delimited,
    "tsv": lambda rows, columns=None: as_delimited(rows, columns, "\t"),
    "json": as_json,
    "jsonl": as_jsonl,
    "markdown": as_markdown,
    "md": as_markdown,
}


def render_text(rows, fmt="table", columns=None, *, wide=False, color=False, width=None):
    """Rows as text in ``fmt`` (every format but xlsx); ``wide`` keeps the plain table layout."""
    if fmt == "table":
        return as_wide_table(rows, columns, width) if wide else as_table(rows, columns, width, color)
    try:
        return _TEXT[fmt](rows, columns)
    except KeyError:
        raise UnknownNameError("output format", fmt, [f for f in FORMATS if f != "xlsx"]) from None


def write_xlsx(tables, path):
    """One sheet per table: ``tables`` maps sheet name -> rows (or ``(rows, columns)``)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    from consultgraph.graph.store import atomic_write

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, table in tables.items():
        rows, columns = table if isinstance(table, tuple) else (table, None)
        columns = columns or columns_of(rows)
        sheet = workbook.create_sheet(title=str(name)[:31] or "sheet")
        sheet.append(columns)
        for row in rows:
            values = []
            for column in columns:
                value = _json_value(row.get(column))
                if isinstance(value, (list, tuple, dict)):
                    value = _plain(value) if not isinstance(value, dict) else json.dumps(value)
                values.append(neutralise(value) if isinstance(value, str) else value)
            sheet.append(values)
        sheet.freeze_panes = "A2"
        for index, column in enumerate(columns, start=1):
            longest = max([len(str(column))] + [len(_plain(r.get(column))) for r in rows[:200]])
            sheet.column_dimensions[get_column_letter(index)].width = min(60, max(8, longest + 2))
    return atomic_write(path, lambda tmp: workbook.save(tmp))


def render(rows, fmt="table", output=None, columns=None, sheet="results", *, wide=False, color=False, width=None):
    """Write rows in ``fmt`` to ``output`` (a path, written atomically) or return the text."""
    if fmt == "xlsx":
        if output is None:
            raise UnknownNameError("output for xlsx (use -o FILE.xlsx)", "stdout", ["-o FILE.xlsx"])
        return write_xlsx({sheet: (rows, columns)}, output)
    text = render_text(rows, fmt, columns, wide=wide, color=color, width=width)
    if output is None:
        return text
    from consultgraph.graph.store import atomic_write

    return atomic_write(Path(output), lambda tmp: tmp.write_text(text, encoding="utf-8"))
