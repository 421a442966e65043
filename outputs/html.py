"""Escaped HTML building blocks for the pages consultgraph writes (the report).

Every text from the data goes through :func:`h`; :class:`Markup` marks text that is
already HTML, built here from escaped parts.
"""

from __future__ import annotations

import html
import math


class Markup(str):
    """Text that is already HTML (built here from escaped parts); :func:`h` leaves it alone."""


def h(value):
    """``value`` as HTML text: escaped unless it is :class:`Markup`; None is empty.

    Examples
    --------
    >>> h("<script>alert(1)</script>")
    '&lt;script&gt;alert(1)&lt;/script&gt;'
    >>> h(Markup("<b>ok</b>"))
    '<b>ok</b>'
    """
    if value is None or type(value).__name__ == "NAType" or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, Markup):
        return str(value)
    if isinstance(value, float):
        value = f"{value:.3g}"
    return html.escape(str(value), quote=True)


def tag(name, content="", **attrs):
    """``<name attrs>content</name>`` with attributes and content escaped."""
    attributes = "".join(f' {key.rstrip("_").replace("_", "-")}="{h(value)}"' for key, value in attrs.items()
                         if value is not None)
    if isinstance(content, (list, tuple)):
        content = "".join(h(c) for c in content)
    else:
        content = h(content)
    return Markup(f"<{name}{attributes}>{content}</{name}>")


def table(columns, rows, *, caption=None, numeric=()):
    """An HTML table; ``columns`` are ``(key, heading)`` pairs, cells escaped."""
    head = "".join(f"<th scope=\"col\">{h(heading)}</th>" for _, heading in columns)
    body = []
    for row in rows:
        cells = "".join(
            f"<td class=\"num\">{h(row.get(key))}</td>" if key in numeric else f"<td>{h(row.get(key))}</td>"
            for key, _ in columns
        )
        body.append(f"<tr>{cells}</tr>")
    caption_html = f"<caption>{h(caption)}</caption>" if caption else ""
    return Markup(f"<table>{caption_html}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")
