"""Table layouts for exports: wide (one row per concept, simple column names) or tidy.

The tidy layout has one row per group x concept x stance, the shape pandas, R and
spreadsheets' pivot tables want; the wide layout names columns ``partner_count``.
"""

from __future__ import annotations

import re

#: Columns of the tidy layout, in order.
TIDY_COLUMNS = ("group", "group_label", "concept", "label", "stance", "count", "base", "share", "ci_low", "ci_high",
                "basis", "source_line", "base_note")
LAYOUTS = ("wide", "tidy")
_GROUP_KEY = re.compile(r"^(?P<group>[^.]+)\.(?P<field>[a-z_]+)$")
_LINE = re.compile(r"line (\d+)")


def column_name(key):
    """A simple column name for a wide-layout key: ``group/partner.count`` -> ``partner_count``.

    Examples
    --------
    >>> column_name("group/national-entity.share"), column_name("difference_points")
    ('national_entity_share', 'difference_points')
    """
    match = _GROUP_KEY.match(key)
    if not match:
        return key
    group = match["group"].rsplit("/", 1)[-1]
    return re.sub(r"[^0-9A-Za-z]+", "_", group).strip("_").lower() + "_" + match["field"]


def wide(rows):
    """Rows with simple column names (``partner_count``, ``partner_share``, ...).

    Examples
    --------
    >>> wide([{"concept": "tactic/research", "group/partner.count": 17}])
    [{'concept': 'tactic/research', 'partner_count': 17}]
    """
    return [{column_name(key): value for key, value in row.items()} for row in rows]


def _source_line(basis):
    match = _LINE.search(str(basis or ""))
    return int(match.group(1)) if match else None


def tidy(rows, groups, group_labels, keep=None):
    """One row per group x concept x stance from comparison rows.

    Parameters
    ----------
    rows : list of dict
        :func:`consultgraph.queries.compare.compare` rows (keys ``<group>.count`` ...).
    groups : list of str
        Group ids, in the order to list them.
    group_labels : dict
        Group id -> label.
    keep : set of (concept, stance), optional
        Only these rows (e.g. the concepts a consensus table lists).

    Returns
    -------
    list of dict
        ``group, group_label, concept, label, stance, count, base, share, ci_low,
        ci_high, basis, source_line, base_note``; basis is ``respondents``, ``finding``
        or ``votes``; a group with no figure for a concept has no row.

    Examples
    --------
    >>> from consultgraph.loaders import builtin
    >>> from consultgraph.queries.compare import compare
    >>> result = compare(builtin(), "partner,national-entity", by="tactic")
    >>> rows = tidy(result.rows, result.groups, result.group_labels, keep={("tactic/research", "raised")})
    >>> [(r["group"], r["count"], r["base"], r["basis"], r["source_line"]) for r in rows]
    [('group/partner', 17, 74, 'finding', 199), ('group/national-entity', 37, 53, 'finding', 393)]
    """
    out = []
    for row in rows:
        if keep is not None and (row["concept"], row.get("stance")) not in keep:
            continue
        for group in groups:
            basis = row.get(f"{group}.basis")
            if basis is None and row.get(f"{group}.share") is None and row.get(f"{group}.count") is None:
                continue
            kind = str(basis or "").split(" ", 1)[0] or None
            out.append({
                "group": group, "group_label": group_labels.get(group, group),
                "concept": row["concept"], "label": row.get("label"), "stance": row.get("stance"),
                "count": row.get(f"{group}.count"), "base": row.get(f"{group}.base"),
                "share": row.get(f"{group}.share"), "ci_low": row.get(f"{group}.low"), "ci_high": row.get(f"{group}.high"),
                "basis": kind, "source_line": _source_line(basis), "base_note": row.get(f"{group}.base_note"),
            })
    return out
