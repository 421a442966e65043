"""The audit: do the published numbers add up?

Checks every reported percent against count/base (more than a point off is a
problem), every subgroup base against the finding that defines it and against its
group's size, and every stated total (and every group with parts) against the sum of
its parts. Each problem names its source line, so an analyst can go and look.
"""

from __future__ import annotations

import pandas as pd

#: A reported percent further than this from 100 * count / base is a problem.
TOLERANCE_POINTS = 1.0


def _int(value):
    return None if pd.isna(value) else int(value)


def audit(graph, *, tolerance=TOLERANCE_POINTS):
    """Problems with the findings of ``graph``, one dict per problem, in source order.

    Each row has ``check`` (percent, subgroup-base, base-vs-group, total, group-parts),
    ``finding``, ``source_line``, ``group``, ``concept``, ``stated``, ``expected`` and a
    one-line ``message``.

    Examples
    --------
    >>> from consultgraph.loaders import builtin
    >>> problems = audit(builtin())
    >>> any(p["check"] == "total" for p in problems)
    True
    """
    findings = graph.findings()
    sizes = graph.group_sizes()
    concepts = graph.concepts
    label = lambda c: concepts[c].label if isinstance(c, str) and c in concepts else (c or "")  # noqa: E731
    problems = []

    def problem(check, row, stated, expected, message):
        problems.append({
            "check": check,
            "finding": row["id"],
            "source_line": _int(row["source_line"]),
            "group": label(row["group"]),
            "concept": label(row["concept"]),
            "stated": stated,
            "expected": expected,
            "message": message,
        })

    by_id = findings.set_index("id", drop=False)
    for _, row in findings.iterrows():
        count, base, reported = _int(row["count"]), _int(row["base"]), row["reported_percent"]
        if count is not None and base and not pd.isna(reported):
            actual = 100 * count / base
            if abs(actual - reported) > tolerance:
                problem("percent", row, f"{reported:g}%", f"{actual:.1f}%",
                        f"reported {reported:g}% but {count} of {base} is {actual:.1f}%")
        if isinstance(row["base_ref"], str) and row["base_ref"] in by_id.index:
            parent = by_id.loc[row["base_ref"]]
            parent_count = _int(parent["count"])
            if base is not None and parent_count is not None and base != parent_count:
                problem("subgroup-base", row, base, parent_count,
                        f"base {base} should be the {parent_count} of line {_int(parent['source_line'])}")
        group_size = sizes.get(row["group"], (None, None))[0]
        if base is not None and group_size is not None and base > group_size:
            problem("base-vs-group", row, base, group_size,
                    f"base {base} is larger than the group ({group_size} {label(row['group'])})")
        if row["measure"] == "total" and row["parts"]:
            part_sizes = [sizes.get(p, (None, None))[0] for p in row["parts"]]
            if None not in part_sizes and count is not None and sum(part_sizes) != count:
                detail = " + ".join(f"{n} {label(p)}" for p, n in zip(row["parts"], part_sizes))
                problem("total", row, count, sum(part_sizes),
                        f"stated total {count} but its parts sum to {sum(part_sizes)} ({detail})")

    # a group with parts: bases of the whole group against the sum of its parts' sizes
    for group, (size, _) in list(sizes.items()):
        children = [c.id for c in concepts.concepts if group in c.broader and c.kind == "StakeholderGroup"]
        child_sizes = [sizes.get(c, (None, None))[0] for c in children]
        if not children or None in child_sizes:
            continue
        total = sum(child_sizes)
        detail = " + ".join(f"{n} {label(c)}" for c, n in zip(children, child_sizes))
        rows = findings[(findings["group"] == group) & findings["base"].notna() & findings["base_ref"].isna()]
        for base_value, same in rows.groupby("base"):
            base_value = int(base_value)
            if base_value != total and base_value > max(child_sizes):
                first = same.sort_values("source_line").iloc[0]
                lines = ", ".join(str(_int(x)) for x in sorted(same["source_line"].dropna()))
                problem("group-parts", first, base_value, total,
                        f"{label(group)} base {base_value} (lines {lines}) but its parts sum to {total} ({detail})")
    problems.sort(key=lambda p: (p["source_line"] or 0, p["check"]))
    return problems
