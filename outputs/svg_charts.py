"""The report's charts drawn straight as SVG text: the plans of :mod:`~consultgraph.outputs.charts`, no matplotlib.

The report shows a few charts in a web page; matplotlib's import and text layout took
longer than the rest of the report. The same plans (rows, marks, notes, legend) are drawn
here with the same colours and markers; the browser lays out the text. Every text is
XML-escaped; widths are estimated from the number of characters.
"""

from __future__ import annotations

import html
import textwrap

from consultgraph.outputs.charts import HATCHES, MARKERS, PALETTE, STANCE_COLOURS, dumbbell_plan, stance_plan

WIDTH = 950
FONT = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"
LINE = 13  # px between the lines of a tick label


def _text(x, y, text, *, size=11, anchor="start", weight=None, colour="#222222"):
    bold = f' font-weight="{weight}"' if weight else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{colour}"{bold}>'
            f"{html.escape(str(text), quote=False)}</text>")


def _width(text, size):
    """An estimate of a text's width in px (an average glyph is a little over half the size)."""
    return len(str(text)) * size * 0.58


def _marker(number, x, y, hollow):
    """The group's marker (circle, square, diamond, triangles, plus, cross, hexagon) at (x, y)."""
    colour = PALETTE[number % len(PALETTE)]
    paint = f'fill="{"white" if hollow else colour}" stroke="{colour}" stroke-width="1.6"'
    shape, r = MARKERS[number % len(MARKERS)], 4.6
    if shape == "o":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" {paint}/>'
    outlines = {
        "s": [(-1, -1), (1, -1), (1, 1), (-1, 1)],
        "D": [(0, -1.3), (1.1, 0), (0, 1.3), (-1.1, 0)],
        "^": [(0, -1.25), (1.15, 0.9), (-1.15, 0.9)],
        "v": [(0, 1.25), (1.15, -0.9), (-1.15, -0.9)],
        "P": [(-0.35, -1.1), (0.35, -1.1), (0.35, -0.35), (1.1, -0.35), (1.1, 0.35), (0.35, 0.35), (0.35, 1.1),
              (-0.35, 1.1), (-0.35, 0.35), (-1.1, 0.35), (-1.1, -0.35), (-0.35, -0.35)],
        "X": [(-1, -0.6), (-0.6, -1), (0, -0.4), (0.6, -1), (1, -0.6), (0.4, 0), (1, 0.6), (0.6, 1), (0, 0.4),
              (-0.6, 1), (-1, 0.6), (-0.4, 0)],
        "h": [(0, -1.15), (1, -0.58), (1, 0.58), (0, 1.15), (-1, 0.58), (-1, -0.58)],
    }[shape]
    points = " ".join(f"{x + dx * r:.1f},{y + dy * r:.1f}" for dx, dy in outlines)
    return f'<polygon points="{points}" {paint}/>'


def _svg(height, parts, title, width=WIDTH):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT}" role="img">'
            f"<title>{html.escape(title, quote=False)}</title>"
            f'<rect width="100%" height="100%" fill="white"/>{"".join(parts)}</svg>')


def _axis(parts, left, right, top, bottom, end, xlabel):
    """Grid lines, the percent ticks and the x label under the plot; returns the y below them."""
    step = 10 if end <= 50 else 20
    scale = (right - left) / end
    for value in range(0, int(end) + 1, step):
        x = left + value * scale
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="#eeeeee"/>')
        parts.append(_text(x, bottom + 15, value, size=10, anchor="middle"))
    parts.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#333333"/>')
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#333333"/>')
    y = bottom + 32
    for line in xlabel.split("\n"):
        parts.append(_text((left + right) / 2, y, line, size=11, anchor="middle"))
        y += 15
    return y


def _label_lines(lines, width=64):
    """A tick label's lines, each figure line broken at its " \u00b7 " separators when too long."""
    out = []
    for line in lines:
        if len(line) <= width:
            out.append(line)
            continue
        current = ""
        for piece in line.split(" \u00b7 "):
            joined = f"{current} \u00b7 {piece}" if current else piece
            if current and len(joined) > width:
                out.append(current)
                current = piece
            else:
                current = joined
        out.extend(textwrap.wrap(current, width) if len(current) > width else [current])
    return out


def _notes(parts, notes, y):
    """The source's caveats and what the chart leaves out, under it; returns the height."""
    for note in notes:
        for line in textwrap.wrap(note, 150) or [""]:
            y += 13
            parts.append(_text(10, y, line, size=9, colour="#444444"))
    return y + 10


def _empty(message, title):
    return _svg(80, [_text(WIDTH / 2, 44, message, size=12, anchor="middle")], title)


def dumbbell_svg(comparison, *, top=20, title=None):
    """:func:`~consultgraph.outputs.charts.dumbbell_chart`'s chart as SVG text.

    >>> from consultgraph.loaders import builtin
    >>> from consultgraph.queries.compare import compare
    >>> svg = dumbbell_svg(compare(builtin(), "partner,national-entity", by="tactic"), top=3)
    >>> svg.startswith("<svg") and "23% (17 of 74)" in svg
    True
    """
    plan = dumbbell_plan(comparison, top=top, title=title)
    heading = plan["heading"] or "Shares by group"
    if plan["empty"]:
        return _empty(plan["empty"], heading)
    rows = [{**row, "lines": _label_lines(row["lines"])} for row in plan["rows"]]
    lines = max(len(row["lines"]) for row in rows)
    row_height = LINE * lines + 16
    left = max(_width(line, 10) for row in rows for line in row["lines"]) + 18
    width = max(WIDTH, left + 480, _width(heading, 14) + 40)
    right = width - max([_width(row["note"], 10) for row in rows] + [30]) - 16
    parts = [_text(width / 2, 22, heading, size=14, anchor="middle", weight="bold")]
    x = (left + right) / 2 - sum(_width(label, 11) + 34 for _, label in plan["legend"]) / 2
    for number, label in plan["legend"]:
        parts.append(_marker(number, x + 6, 43, False))
        parts.append(_text(x + 16, 47, label))
        x += _width(label, 11) + 34
    top_y = 62
    bottom = top_y + row_height * len(rows)
    scale = (right - left) / plan["end"]
    y_after = _axis(parts, left, right, top_y, bottom, plan["end"], plan["xlabel"])
    groups = len(comparison.groups)
    for position, row in enumerate(rows):
        y = top_y + row_height * (position + 0.5)
        low_end, high_end = row["span"]
        parts.append(f'<line x1="{left + low_end * 100 * scale:.1f}" y1="{y:.1f}" x2="{left + high_end * 100 * scale:.1f}" '
                     f'y2="{y:.1f}" stroke="#bbbbbb" stroke-width="5" stroke-linecap="round"/>')
        for number, share, low, high, hollow in row["marks"]:
            colour = PALETTE[number % len(PALETTE)]
            mark_y = y - (number - (groups - 1) / 2) * 0.12 * row_height
            if low is not None and high is not None:
                x1, x2 = left + low * 100 * scale, left + high * 100 * scale
                parts.append(f'<path d="M{x1:.1f},{mark_y:.1f}H{x2:.1f}M{x1:.1f},{mark_y - 3:.1f}V{mark_y + 3:.1f}'
                             f'M{x2:.1f},{mark_y - 3:.1f}V{mark_y + 3:.1f}" stroke="{colour}" stroke-width="1.4" '
                             'stroke-opacity="0.8" fill="none"/>')
            parts.append(_marker(number, left + share * 100 * scale, mark_y, hollow))
        first = y - (len(row["lines"]) - 1) * LINE / 2 + 4
        for number, line in enumerate(row["lines"]):
            parts.append(_text(left - 8, first + number * LINE, line, size=10, anchor="end"))
        if row["note"]:
            parts.append(_text(right + 8, y + 4, row["note"], size=10, colour="#333333"))
    return _svg(_notes(parts, plan["notes"], y_after), parts, heading, width)


def stance_svg(graph, groups, concepts=None, *, by="theme", top=12, title=None):
    """:func:`~consultgraph.outputs.charts.stance_chart`'s chart as SVG text.

    >>> from consultgraph.loaders import builtin
    >>> svg = stance_svg(builtin(), "national-entity,international-secretariat", top=2)
    >>> svg.startswith("<svg") and "lead" in svg
    True
    """
    plan = stance_plan(graph, groups, concepts, by=by, top=top, title=title)
    if plan["empty"]:
        return _empty(plan["empty"], plan["heading"])
    row_height = 24
    labels = [f"{group}{base}" for _, members in plan["blocks"] for group, base, _ in members]
    left = max(_width(label, 10) for label in labels) + 18
    width = max(WIDTH, left + 480, _width(plan["heading"], 14) + 40)
    right = width - 30
    scale = (right - left) / plan["end"]
    parts = ['<defs>'
             '<pattern id="support" width="6" height="6" patternUnits="userSpaceOnUse">'
             f'<rect width="6" height="6" fill="{STANCE_COLOURS["support"]}"/>'
             '<circle cx="3" cy="3" r="0.9" fill="white"/></pattern>'
             '<pattern id="drop" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
             f'<rect width="6" height="6" fill="{STANCE_COLOURS["drop"]}"/>'
             '<line x1="0" y1="0" x2="0" y2="6" stroke="white" stroke-width="1.2"/></pattern></defs>']

    def paint(stance):
        return f"url(#{stance})" if HATCHES[stance] else STANCE_COLOURS[stance]

    parts.append(_text(width / 2, 22, plan["heading"], size=14, anchor="middle", weight="bold"))
    x = (left + right) / 2 - sum(_width(s, 11) + 34 for s in plan["stances"]) / 2
    for stance in plan["stances"]:
        parts.append(f'<rect x="{x:.1f}" y="36" width="14" height="12" fill="{paint(stance)}"/>')
        parts.append(_text(x + 18, 47, stance))
        x += _width(stance, 11) + 34
    y = 62
    bars = []
    for concept, members in plan["blocks"]:
        for line in textwrap.wrap(concept, 50) or [concept]:
            bars.append(_text(10, y + 16, line, size=11, weight="bold"))
            y += 16
        y += 4
        for group, base, segments in members:
            bars.append(_text(left - 8, y + row_height / 2 + 4, f"{group}{base}", size=10, anchor="end"))
            at = left
            for stance, share, text in segments:
                length = share * 100 * scale
                bars.append(f'<rect x="{at:.1f}" y="{y + 2:.1f}" width="{length:.1f}" height="{row_height - 4}" '
                            f'fill="{paint(stance)}" stroke="white"/>')
                if text:
                    colour = "#111111" if stance == "support" else "white"
                    bars.append(_text(at + length / 2, y + row_height / 2 + 4, text, size=9, anchor="middle",
                                      colour=colour, weight="bold" if stance == "support" else None))
                at += length
            y += row_height
    y_after = _axis(parts, left, right, 62, y + 4, plan["end"], plan["xlabel"])
    parts.extend(bars)
    return _svg(_notes(parts, plan["notes"], y_after), parts, plan["heading"], width)
