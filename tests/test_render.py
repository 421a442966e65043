"""render(): the one place rows become text or a workbook. Every machine format of the same
hand-made rows reads back to the same values; formulas never reach a spreadsheet alive."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

from consultgraph.errors import UnknownNameError
from consultgraph.outputs.render import FORMATS, render

ROWS = [
    {"group": "Partners", "concept": "Research | data", "count": 17, "base": 74, "share": 17 / 74, "note": "=1+1"},
    {"group": "National entities", "concept": "Research | data", "count": 37, "base": 53, "share": 37 / 53,
     "note": math.nan},
]


def read_back(fmt, text):
    if fmt in ("csv", "tsv"):
        return list(csv.DictReader(io.StringIO(text), delimiter="," if fmt == "csv" else "\t"))
    if fmt == "json":
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f in ("csv", "tsv", "json", "jsonl")])
def test_machine_formats_read_back_to_the_rows(fmt):
    back = read_back(fmt, render(ROWS, fmt))
    assert [row["group"] for row in back] == ["Partners", "National entities"]
    if fmt in ("json", "jsonl"):
        assert back[0]["share"] == 17 / 74  # full precision
        assert back[1]["note"] is None  # NaN is missing, not "NaN"
        assert back[0]["note"] == "=1+1"  # JSON is not a spreadsheet
    else:
        assert float(back[0]["share"]) == pytest.approx(17 / 74, abs=1e-12)
        assert back[1]["note"] == ""
        assert back[0]["note"] == "'=1+1"  # a spreadsheet would run it
    assert [int(row["count"]) for row in back] == [17, 37]


def test_markdown_escapes_the_pipe_and_keeps_every_row():
    text = render(ROWS, "markdown")
    lines = text.splitlines()
    assert lines[0].startswith("| group | concept | count | base | share | note |")
    assert len(lines) == 2 + len(ROWS)
    assert "Research \\| data" in lines[2]


def test_the_table_shows_shares_as_percents():
    text = render(ROWS, "table", width=120)
    assert "23%" in text and "70%" in text


def test_xlsx_neutralises_formulas(tmp_path):
    from openpyxl import load_workbook

    path = render(ROWS, "xlsx", tmp_path / "rows.xlsx", sheet="shares")
    sheet = load_workbook(path)["shares"]
    values = list(sheet.values)
    assert values[0] == ("group", "concept", "count", "base", "share", "note")
    assert values[1][0] == "Partners" and values[1][2] == 17 and values[1][5] == "'=1+1"


def test_an_unknown_format_lists_the_choices():
    with pytest.raises(UnknownNameError, match="unknown output format 'pdf'; choose one of: csv, json, jsonl, markdown"):
        render(ROWS, "pdf")
