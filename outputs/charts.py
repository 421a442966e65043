"""Static charts of comparisons (matplotlib, no display needed): PNG or SVG by suffix.

:func:`dumbbell_chart` draws each group's share of a concept with its Wilson interval,
rows sorted by how far the groups diverge; :func:`stance_chart` stacks lead / support /
drop per group. Colours are Okabe-Ito (safe for colour-blind readers) and every group
also has its own marker, so charts read in greyscale. Files are written atomically.
"""

from __future__ import annotations

import io
from pathlib import Path

from consultgraph.errors import InputError

#: Okabe-Ito, in the order groups are given.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
MARKERS = ("o", "s", "D", "^", "v", "P", "X", "h")
STANCE_COLOURS = {"lead": "#009E73", "support": "#56B4E9", "drop": "#D55E00"}
STANCES = ("lead", "support", "drop")
HATCHES = {"lead": "", "support": "..", "drop": "//"}
FORMATS = {".png": "png", ".svg": "svg"}


def _figure(width, height):
    # a bare Figure needs no pyplot and no GUI backend: savefig uses Agg / the SVG writer
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100)
    figure.patch.set_facecolor("white")
    return figure


def figure_bytes(figure, fmt):
    """The figure as PNG or SVG bytes (SVG keeps text as text and carries no date)."""
    import matplotlib

    if fmt not in ("png", "svg"):
        raise InputError(f"unknown chart format '{fmt}'", field="output", hint="use a .png or .svg file name")
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "consultgraph"}):
        metadata = {"Date": None} if fmt == "svg" else {"Software": "consultgraph (matplotlib)"}
        figure.savefig(buffer, format=fmt, dpi=150 if fmt == "png" else 100, bbox_inches="tight",
                       metadata=metadata, facecolor="white")
    return buffer.getvalue()


def _format_of(path):
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"cannot tell the chart format of '{path}'", field="output",
                         hint="name the file .png or .svg")
    return FORMATS[suffix]


def _axis_end(percent):
    """Where a percent axis ends: past the largest value, in steps of 10, at most 100."""
    return min(100, max(10, 10 * -(-(percent * 1.08) // 10)))


def _wrap(text, width=34):
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def plottable(comparison):
    """Rows where at least two groups have a share (percent-only shares included)."""
    rows = []
    for row in comparison.rows:
        shares = [row.get(f"{g}.share") for g in comparison.groups]
        if sum(s is not None for s in shares) >= 2:
            rows.append(row)
    return rows


def dumbbell_plan(comparison, *, top=20, title=None):
    """What :func:`dumbbell_chart` draws, for any renderer (matplotlib here, SVG in the report).

    Returns a dict: ``rows`` (top to bottom; each with ``lines`` of its tick label,
    ``marks`` ``(group number, share, low, high, hollow)``, ``span`` and ``note``),
    ``legend`` ``(group number, label)``, ``end`` of the percent axis, ``xlabel``,
    ``heading``, ``notes`` to print under the chart, and ``empty`` (a message, or None).
    """
    rows = plottable(comparison)
    total = len(rows)

    def divergence(row):
        if row.get("difference_points") is not None:
            return abs(row["difference_points"])
        shares = [row[f"{g}.share"] for g in comparison.groups if row.get(f"{g}.share") is not None]
        return (max(shares) - min(shares)) * 100

    one_sided = [r for r in comparison.rows if r not in rows]
    rows.sort(key=lambda r: (-divergence(r), r["label"]))
    if top:
        rows = rows[:top]
    plan = {"rows": [], "legend": [], "end": 100, "xlabel": "", "heading": "", "notes": [], "empty": None}
    if not rows:
        plan["empty"] = "No concept has a share for two groups to compare."
        return plan
    drawn = {"interval": False, "hollow": False}
    mixed = len({r["stance"] for r in rows}) > 1
    for row in rows:
        marks = []
        for number, group in enumerate(comparison.groups):
            share = row.get(f"{group}.share")
            if share is None:
                continue
            low, high = row.get(f"{group}.low"), row.get(f"{group}.high")
            drawn["interval"] = drawn["interval"] or (low is not None and high is not None)
            hollow = row.get(f"{group}.count") is None  # a percent without a count
            drawn["hollow"] = drawn["hollow"] or hollow
            marks.append((number, share, low, high, hollow))
        note = []
        if row.get("difference_points") is not None:
            note.append(f"{row['difference_points']:+.0f} pts")
        if row.get("q_value") is not None:
            note.append(f"q={row['q_value']:.2g}")
        name = row["label"] + (f" ({row['stance']})" if mixed and row["stance"] else "")
        bases = " \u00b7 ".join(row.get(f"{g}.cell") or "not reported" for g in comparison.groups)
        shares = [mark[1] for mark in marks]
        plan["rows"].append({"lines": [*_wrap(name).split("\n"), bases], "marks": marks,
                             "span": (min(shares), max(shares)), "note": ", ".join(note)})
    highest = max((row.get(f"{g}.high") or row.get(f"{g}.share") or 0) for row in rows for g in comparison.groups)
    plan["end"] = _axis_end(highest * 100)
    # explain only the marks this chart draws
    explained = "share of the group (%)" + (", with 95% Wilson interval" if drawn["interval"] else "")
    if drawn["hollow"]:
        explained += "; hollow marker: percent only, no count"
    plan["xlabel"] = explained + "\ntick labels: each group's figure, in legend order"
    shown = {g for row in rows for g in comparison.groups if row.get(f"{g}.share") is not None}
    plan["legend"] = [(number, comparison.group_labels[group]) for number, group in enumerate(comparison.groups)
                      if group in shown]
    heading = title or f"Shares by group, most divergent first (by {comparison.by})"
    if top and total > len(rows):
        heading += f" \u2014 top {len(rows)} of {total}"
    plan["heading"] = heading
    notes = list(getattr(comparison, "caveats", ()))
    if one_sided:
        names = ", ".join(dict.fromkeys(r["label"] + (f" ({r['stance']})" if r.get("stance") else "") for r in one_sided))
        notes.append(f"Not drawn: {len(one_sided)} row(s) with a share for fewer than two groups "
                     f"(qualitative or not reported for the others): {names}.")
    plan["notes"] = notes
    return plan


def dumbbell_figure(comparison, *, top=20, title=None):
    """The matplotlib figure of :func:`dumbbell_chart` (for embedding)."""
    plan = dumbbell_plan(comparison, top=top, title=title)
    rows = plan["rows"]
    figure = _figure(9.5, 1.6 + 0.52 * max(len(rows), 1))
    axes = figure.add_subplot(1, 1, 1)
    if plan["empty"]:
        axes.text(0.5, 0.5, plan["empty"], ha="center", va="center", transform=axes.transAxes)
        axes.set_axis_off()
        return figure
    groups = len(comparison.groups)
    for position, row in enumerate(reversed(rows)):
        low_end, high_end = row["span"]
        axes.plot([low_end * 100, high_end * 100], [position, position], color="#bbbbbb", lw=3,
                  solid_capstyle="round", zorder=1)
        for number, share, low, high, hollow in row["marks"]:
            colour, marker = PALETTE[number % len(PALETTE)], MARKERS[number % len(MARKERS)]
            offset = (number - (groups - 1) / 2) * 0.12
            if low is not None and high is not None:
                axes.errorbar(share * 100, position + offset, xerr=[[(share - low) * 100], [(high - share) * 100]],
                              fmt="none", ecolor=colour, elinewidth=1.2, capsize=2.5, alpha=0.8, zorder=2)
            axes.scatter([share * 100], [position + offset], s=46, marker=marker, zorder=3,
                         facecolors="white" if hollow else colour, edgecolors=colour, linewidths=1.4)
        if row["note"]:
            axes.text(1.01, position, row["note"], transform=axes.get_yaxis_transform(), va="center",
                      fontsize=8, color="#333333")
    axes.set_yticks(range(len(rows)))
    axes.set_yticklabels(["\n".join(row["lines"]) for row in reversed(rows)], fontsize=8)
    axes.set_xlim(0, plan["end"])
    axes.set_ylim(-0.7, len(rows) - 0.3)
    axes.set_xlabel(plan["xlabel"], fontsize=9)
    axes.grid(axis="x", color="#eeeeee")
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], linestyle="none", marker=MARKERS[number % len(MARKERS)],
                      color=PALETTE[number % len(PALETTE)], label=label, markersize=7)
               for number, label in plan["legend"]]
    axes.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=min(groups, 4),
                frameon=False, fontsize=9)
    axes.set_title(plan["heading"], fontsize=11, pad=26)
    footnote(figure, plan["notes"])
    return figure


def footnote(figure, caveats):
    """Print the source's caveats once under a chart, below its x label (never over it)."""
    if not caveats:
        return
    import textwrap

    text = "\n".join(textwrap.fill(c, 150) for c in caveats)
    if not figure.axes:
        figure.text(0.01, -0.02, text, ha="left", va="top", fontsize=7, color="#444444")
        return
    # x at the figure's left edge, y under the bottom of the x label, whatever its number of lines
    figure.axes[0].annotate(text, xy=(0.01, 0), xycoords=("figure fraction", figure.axes[0].xaxis.label),
                            xytext=(0, -8), textcoords="offset points", ha="left", va="top", fontsize=7,
                            color="#444444", annotation_clip=False)


def dumbbell_chart(comparison, path, *, top=20, title=None):
    """Write a dot-and-line chart of each group's share per concept, most divergent first.

    Each row is a concept (and stance); each group a coloured marker at its share with
    its 95% Wilson interval; the grey bar spans the lowest to the highest share. Tick
    labels carry the counts and bases ("17 of 74 · 37 of 53"); the right margin the
    difference in points and the q-value.

    Parameters
    ----------
    comparison : Comparison
        From :func:`consultgraph.queries.compare.compare`.
    path : path
        ``.png`` or ``.svg``.
    top : int, optional
        Only the ``top`` most divergent rows (all when 0 or None).

    Examples
    --------
    >>> import tempfile, os
    >>> from consultgraph.loaders import builtin
    >>> from consultgraph.queries.compare import compare
    >>> result = compare(builtin(), "partner,national-entity", by="tactic")
    >>> path = dumbbell_chart(result, os.path.join(tempfile.mkdtemp(), "tactics.svg"))
    >>> path.read_text()[:5] in ("<?xml", "<svg ")
    True
    """
    fmt = _format_of(path)
    figure = dumbbell_figure(comparison, top=top, title=title)
    payload = figure_bytes(figure, fmt)
    from consultgraph.graph.store import atomic_write

    return atomic_write(path, lambda tmp: tmp.write_bytes(payload))


def stance_rows(graph, groups, concepts=None, *, by="theme", top=12):
    """``[(concept label, group label, {stance: (share, count, base, text)})]`` for :func:`stance_figure`."""
    from consultgraph.queries.compare import BY_KINDS, compare

    result = compare(graph, groups, by, sort="concept")
    wanted = None
    if concepts:
        names = concepts.split(",") if isinstance(concepts, str) else list(concepts)
        wanted = [graph.concepts.resolve(n.strip(), (BY_KINDS[by],), field="concepts") for n in names if n.strip()]
    cells = {}
    for row in result.rows:
        if row["stance"] not in STANCES:
            continue
        if wanted is not None and row["concept"] not in wanted:
            continue
        for group in result.groups:
            share = row.get(f"{group}.share")
            if share is None:
                continue
            entry = cells.setdefault(row["concept"], {"label": row["label"], "groups": {}})
            entry["groups"].setdefault(group, {})[row["stance"]] = (
                share, row.get(f"{group}.count"), row.get(f"{group}.base"), row.get(f"{group}.cell"))
    order = wanted if wanted is not None else sorted(
        cells, key=lambda c: -max(sum(s[0] for s in per.values()) for per in cells[c]["groups"].values()))
    order = [c for c in order if c in cells]
    if top and wanted is None:
        order = order[:top]
    out = []
    for concept in order:
        for group in result.groups:
            per = cells[concept]["groups"].get(group)
            if per:
                out.append((cells[concept]["label"], result.group_labels[group], per))
    return out


def _stance_cells_without_share(graph, groups, by, concepts):
    """"Group: concept (stance)" for lead/support/drop cells the source states only in words."""
    from consultgraph.queries.compare import compare

    result = compare(graph, groups, by, sort="concept")
    out = []
    for row in result.rows:
        if row["stance"] not in STANCES or row["label"] not in concepts:
            continue
        for group in result.groups:
            if row.get(f"{group}.share") is None and row.get(f"{group}.basis"):
                out.append(f"{result.group_labels[group]}: {row['label']} ({row['stance']})")
    return out


def stance_plan(graph, groups, concepts=None, *, by="theme", top=12, title=None):
    """What :func:`stance_chart` draws, for any renderer.

    Returns a dict: ``blocks`` ``(concept label, [(group label, base text, segments)])``
    top to bottom, each segment ``(stance, share, label or None)`` left to right;
    ``end`` of the percent axis, ``stances`` drawn (legend), ``xlabel``, ``heading``,
    ``notes`` and ``empty`` (a message, or None).
    """
    from consultgraph.queries.compare import resolve_groups
    from consultgraph.queries.metadata import dataset_metadata

    rows = stance_rows(graph, groups, concepts, by=by, top=top)
    group_ids = resolve_groups(graph, groups)
    labels = {g: graph.concepts[g].label for g in group_ids}
    caveats = [c.note(labels) for c in dataset_metadata(graph).caveats_for(group_ids, mention_rates=True)]
    everything = stance_rows(graph, groups, concepts, by=by, top=0)
    shown_concepts = {concept for concept, _, _ in rows}
    hidden = list(dict.fromkeys(concept for concept, _, _ in everything if concept not in shown_concepts))
    if hidden:
        caveats.append(f"Not drawn: {len(hidden)} more concept(s) with smaller lead/support/drop shares "
                       f"(top {top} shown): {', '.join(hidden)}.")
    unshared = _stance_cells_without_share(graph, groups, by, {concept for concept, _, _ in everything})
    if unshared:
        caveats.append(f"Not drawn: {len(unshared)} group-concept stance(s) the source gives in words only: "
                       f"{'; '.join(unshared)}.")
    plan = {"blocks": [], "end": 100, "stances": [], "xlabel": "", "heading": title or "Lead, support or drop, by group",
            "notes": caveats, "empty": None}
    if not rows:
        plan["empty"] = "No lead / support / drop figures for these groups."
        return plan
    plan["end"] = end = _axis_end(max(sum(per[s][0] for s in per) for _, _, per in rows) * 100)
    counted, drawn = False, set()
    for concept, group, per in rows:
        if not plan["blocks"] or plan["blocks"][-1][0] != concept:
            plan["blocks"].append((concept, []))
        bases = {per[s][2] for s in per if per[s][2] is not None}
        segments = []
        for stance in (s for s in STANCES if s in per):
            share, count, _, _ = per[stance]
            drawn.add(stance)
            text = None
            if share * 100 >= end * 0.08:  # room for its label
                text = f"{share * 100:.0f}%" + (f" ({count})" if count is not None else "")
                counted = counted or count is not None
            segments.append((stance, share, text))
        base_text = f" (of {', '.join(str(b) for b in sorted(bases))})" if bases else ""
        plan["blocks"][-1][1].append((group, base_text, segments))
    plan["stances"] = [s for s in STANCES if s in drawn]
    plan["xlabel"] = "share of the group (%)" + ("; the count of respondents in brackets, where the source gives it"
                                                 if counted else "")
    return plan


def stance_figure(graph, groups, concepts=None, *, by="theme", top=12, title=None):
    """The matplotlib figure of :func:`stance_chart` (for embedding)."""
    plan = stance_plan(graph, groups, concepts, by=by, top=top, title=title)
    blocks = plan["blocks"]
    lines = sum(len(b[1]) + 1 for b in blocks)
    figure = _figure(9.5, 1.4 + 0.34 * max(lines, 1))
    axes = figure.add_subplot(1, 1, 1)
    if plan["empty"]:
        axes.text(0.5, 0.5, plan["empty"], ha="center", va="center", transform=axes.transAxes)
        axes.set_axis_off()
        return figure
    y, ticks, tick_labels = 0, [], []
    for concept, members in reversed(blocks):
        for group, base_text, segments in reversed(members):
            left = 0.0
            for stance, share, text in segments:
                axes.barh(y, share * 100, left=left, color=STANCE_COLOURS[stance], edgecolor="white", height=0.8,
                          hatch=HATCHES[stance])
                if text:
                    axes.text(left + share * 50, y, text, ha="center", va="center", fontsize=7,
                              color="white" if stance != "support" else "#111111")
                left += share * 100
            ticks.append(y)
            tick_labels.append(f"{group}{base_text}")
            y += 1
        axes.text(-0.01, y - 0.1, _wrap(concept, 50), transform=axes.get_yaxis_transform(), ha="right",
                  va="center", fontsize=9, fontweight="bold")
        y += 1
    axes.set_yticks(ticks)
    axes.set_yticklabels(tick_labels, fontsize=8)
    axes.set_xlim(0, plan["end"])
    axes.set_ylim(-0.7, y - 0.3)
    axes.set_xlabel(plan["xlabel"])
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=STANCE_COLOURS[s], hatch=HATCHES[s], edgecolor="white", label=s)
               for s in plan["stances"]]
    axes.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=len(handles), frameon=False,
                fontsize=9)
    axes.set_title(plan["heading"], fontsize=11, pad=26)
    footnote(figure, plan["notes"])
    return figure


def stance_chart(graph, groups, concepts, path, *, by="theme", top=12, title=None):
    """Write stacked bars of lead / support / drop per group for each concept.

    Parameters
    ----------
    graph : Consultation
    groups : str or list
        Two or more stakeholder groups.
    concepts : str or list or None
        Concepts (ids or labels) in this order; ``None``: the ``top`` concepts with the
        largest lead + support + drop shares.
    path : path
        ``.png`` or ``.svg``.
    by : str
        The kind of concept (``theme`` by default).

    Examples
    --------
    >>> import tempfile, os
    >>> from consultgraph.loaders import builtin
    >>> path = stance_chart(builtin(), "partner,national-entity", None, os.path.join(tempfile.mkdtemp(), "s.png"))
    >>> path.read_bytes()[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    """
    fmt = _format_of(path)
    figure = stance_figure(graph, groups, concepts, by=by, top=top, title=title)
    payload = figure_bytes(figure, fmt)
    from consultgraph.graph.store import atomic_write

    return atomic_write(path, lambda tmp: tmp.write_bytes(payload))
