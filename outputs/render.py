"""Rendering rows (lists of dicts) as table, CSV, TSV, JSON, JSON Lines, Markdown or XLSX.

Queries return rows; this module is the one place that turns them into text or a
workbook. Spreadsheet cells that start with ``= + - @`` are neutralised so a
spreadsheet never executes them; files are written to a temp file and renamed.
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import textwrap
from pathlib import Path

from consultgraph.errors import UnknownNameError

FORMATS = ("table", "csv", "tsv", "json", "jsonl", "markdown", "xlsx")
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


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v) for v in value)
    return str(value)


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


def as_table(rows, columns=None, width=None):
    """An aligned text table; long cells wrap so the table fits ``width`` characters."""
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
        writer.writerow([neutralise(_plain(row.get(c))) for c in columns])
    return buffer.getvalue()


def as_json(rows, columns=None):
    columns = columns or columns_of(rows)
    return json.dumps([{c: _json_value(row.get(c)) for c in columns} for row in rows], ensure_ascii=False, indent=2) + "\n"


def as_jsonl(rows, columns=None):
    columns = columns or columns_of(rows)
    return "".join(json.dumps({c: _json_value(row.get(c)) for c in columns}, ensure_ascii=False) + "\n" for row in rows)


_TEXT = {
    "table": as_table,
    "csv": as_delimited,
    "tsv": lambda rows, columns=None: as_delimited(rows, columns, "\t"),
    "json": as_json,
    "jsonl": as_jsonl,
    "markdown": as_markdown,
    "md": as_markdown,
}


def render_text(rows, fmt="table", columns=None):
    """Rows as text in ``fmt`` (every format but xlsx)."""
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


def render(rows, fmt="table", output=None, columns=None, sheet="results"):
    """Write rows in ``fmt`` to ``output`` (a path, written atomically) or return the text."""
    if fmt == "xlsx":
        if output is None:
            raise UnknownNameError("output for xlsx (use -o FILE.xlsx)", "stdout", ["-o FILE.xlsx"])
        return write_xlsx({sheet: (rows, columns)}, output)
    text = render_text(rows, fmt, columns)
    if output is None:
        return text
    from consultgraph.graph.store import atomic_write

    return atomic_write(Path(output), lambda tmp: tmp.write_text(text, encoding="utf-8"))
