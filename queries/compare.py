"""Cross-group comparisons: which concepts do stakeholder groups raise, and how differently?

For each concept (of one kind: theme, tactic, idea ...) and each group, a count, a base
and a share with its Wilson interval; between groups, the difference in points, Cohen's
h, a test (z or Fisher) and Benjamini-Hochberg q-values across the table. Respondent-level
codings are used where a group has them; published findings otherwise; every cell says
which, and which base it used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from consultgraph.errors import InputError
from consultgraph.queries import stats

#: ``--by`` names and the node kinds they compare.
BY_KINDS = {
    "theme": "Theme",
    "tactic": "Tactic",
    "idea": "Idea",
    "approach": "Approach",
    "partner-type": "PartnerType",
    "audience": "Audience",
    "statement": "Statement",
}
#: Bases under this are flagged "too few to compare" (the source report warns of small samples).
SMALL_BASE = 30
SORTS = ("divergence", "concept", "q", "p")


@dataclass
class Comparison:
    """The result of :func:`compare`: rows (one per concept and stance) and notes."""

    groups: list
    group_labels: dict
    by: str
    rows: list
    notes: list = field(default_factory=list)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)


def _fmt_share(share, count, base, reported=None):
    """'69% (37 of 53)': the source's own percent when it agrees with count/base within a point."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        if count is None or base is not None:
            return ""
        return f"{count} respondent{'' if count == 1 else 's'} (base not stated)"
    if reported is not None and abs(reported - share * 100) <= 1:
        percent = f"{reported:g}%"
    else:
        percent = f"{share * 100:.0f}%"
    if count is not None and base is not None:
        return f"{percent} ({count} of {base})"
    if base is not None:
        return f"{percent} (of {base}; count not stated)"
    return f"{percent} (count and base not stated)"


def resolve_groups(graph, groups):
    """Group ids for names like ``partner`` or ``NEs``; at least two are needed."""
    if isinstance(groups, str):
        groups = [g for g in groups.split(",") if g.strip()]
    ids = [graph.concepts.resolve(g.strip(), ("StakeholderGroup",), field="groups") for g in groups]
    if len(ids) < 2:
        raise InputError("compare needs at least two groups", field="groups", hint="e.g. --groups partner,national-entity")
    if len(set(ids)) != len(ids):
        raise InputError("a group is named twice", field="groups")
    return ids


def _respondent_cells(graph, group, kind, stance, region, concepts):
    """{(concept, stance): (count, base)} from codings, or None if the group has none."""
    people = graph.respondents()
    members = graph.concepts.descendants(group)
    people = people[people["group"].isin(members)]
    if region is not None:
        people = people[people["region"].isin(graph.concepts.descendants(region))]
    codings = graph.codings()
    codings = codings[codings["respondent"].isin(set(people["id"]))]
    if not len(codings):
        return None
    base = len(people)
    if stance is not None:
        codings = codings[codings["stance"] == stance]
    # roll codes up: a coding of a narrower concept counts for each broader one of this kind
    target_kind = {c.id: c.kind for c in graph.concepts.concepts}
    roll = {}
    for code in codings["concept"].unique():
        hits = [code] if target_kind.get(code) == kind else []
        hits += [a for a in graph.concepts.ancestors(code) if target_kind.get(a) == kind]
        roll[code] = hits
    frame = pd.DataFrame({
        "respondent": codings["respondent"].to_numpy(),
        "concept": codings["concept"].map(roll).to_numpy(),
        "stance": codings["stance"].fillna("mention").to_numpy() if stance is None else stance,
    }).explode("concept").dropna(subset=["concept"])
    if not len(frame):
        return {}, base
    counts = frame.drop_duplicates().groupby(["concept", "stance"])["respondent"].nunique()
    return {key: (int(n), base) for key, n in counts.items()}, base


def _finding_cells(graph, group, kind, stance, region, base_mode, sizes):
    """{(concept, stance): cell} from published share/qualitative findings of ``group``."""
    findings = graph.findings()
    sub = findings[(findings["group"] == group) & (findings["concept_kind"] == kind)]
    sub = sub[sub["measure"].isin(["share", "qualitative"])]
    if stance is not None:
        sub = sub[sub["stance"] == stance]
    if region is not None:
        sub = sub[sub["region"] == region]
    else:
        sub = sub[sub["region"].isna()]
    cells = {}
    group_size = sizes.get(group, (None, None))[0]
    for key, rows in sub.groupby(["concept", "stance"], dropna=False):
        rows = rows.assign(
            _numbers=rows["count"].notna().astype(int) * 2 + rows["reported_percent"].notna().astype(int),
            _whole=rows["base_ref"].isna().astype(int),
            _base=rows["base"].fillna(0),
        ).sort_values(["_numbers", "_whole", "_base"], ascending=False)
        best = rows.iloc[0]
        cells[key] = _cell_from_finding(best, base_mode, group_size)
    return cells


def _cell_from_finding(row, base_mode, group_size):
    count = None if pd.isna(row["count"]) else int(row["count"])
    base = None if pd.isna(row["base"]) else int(row["base"])
    line = None if pd.isna(row["source_line"]) else int(row["source_line"])
    cell = {
        "basis": f"finding (line {line})" if line else "finding",
        "finding": row["id"],
        "count": count,
        "base": base,
        "base_note": row["base_note"] if isinstance(row["base_note"], str) else None,
        "subgroup_base": isinstance(row["base_ref"], str),
        "reported_percent": None if pd.isna(row["reported_percent"]) else float(row["reported_percent"]),
        "qualitative": None,
    }
    if row["measure"] == "qualitative":
        cell["qualitative"] = row["note"] if isinstance(row["note"], str) else (row["statement"] or "qualitative")
        cell["basis"] = f"qualitative finding (line {line})" if line else "qualitative finding"
        return cell
    if base_mode == "group" and cell["subgroup_base"] and group_size and count is not None:
        cell["base_note"] = f"re-expressed over the whole group (stated: {count} of {base})"
        cell["base"], cell["subgroup_base"] = group_size, False
    if cell["base"] is None and cell["reported_percent"] is not None and not cell["subgroup_base"] and group_size:
        # "38% of NE respondents": the base is the group, the count is not stated
        cell["base"] = group_size
        cell["base_note"] = cell["base_note"] or "the whole group (count not stated)"
    return cell


def compare(graph, groups, by="theme", *, stance=None, region=None, min_base=0, base="stated", sort="divergence",
            quotes=0, reweight=None, target_mix=None):
    """Compare how often stakeholder groups raise each concept of one kind.

    Parameters
    ----------
    graph : Consultation
    groups : list of str or str
        Two or more groups (ids or labels; ``"partner,national-entity"`` works).
    by : {'theme', 'tactic', 'idea', 'approach', 'partner-type', 'audience'}
    stance : {'lead', 'support', 'drop', 'mention'}, optional
        Only codings/findings with this stance; all stances (one row each) when omitted.
    region : str, optional
        Only respondents based in this region (respondent-level data), or findings
        about this region.
    min_base : int
        Drop rows where a group's base is under this.
    base : {'stated', 'group'}
        ``group`` re-expresses subgroup bases ("34 of the 39 who commented") over the
        whole group ("34 of 74").
    sort : {'divergence', 'concept', 'q', 'p'}
    quotes : int
        Up to this many illustrative quotes per concept and group (``<group>.quotes``).
    reweight : {'region'}, optional
        Post-stratify respondent-level shares to a regional mix (``target_mix``, a
        mapping region -> weight summing to 1; default: equal weight for every region
        the compared groups' respondents come from). Shares become reweighted shares,
        bases become Kish effective bases, tests use the z-test. Groups known only
        from published findings cannot be reweighted; the notes say so.
    target_mix : mapping, optional

    Returns
    -------
    Comparison
        ``rows``: one dict per concept and stance with, per group ``g``, ``g.count``,
        ``g.base``, ``g.share``, ``g.low``, ``g.high`` (Wilson 95%), ``g.basis``,
        ``g.base_note``, ``g.cell`` (display text); and ``difference_points``,
        ``cohens_h``, ``test``, ``statistic``, ``p_value``, ``q_value``, ``flags``.

    Examples
    --------
    >>> from consultgraph.loaders import builtin
    >>> result = compare(builtin(), ["partner", "national-entity"], by="tactic")
    >>> row = next(r for r in result.rows if r["concept"] == "tactic/research" and r["stance"] == "mention")
    >>> row["group/partner.cell"], row["group/national-entity.cell"]
    ('23% (17 of 74)', '69% (37 of 53)')
    """
    if by not in BY_KINDS:
        raise InputError(f"cannot compare by '{by}'", field="by", hint=f"use one of: {', '.join(BY_KINDS)}")
    if sort not in SORTS:
        raise InputError(f"cannot sort by '{sort}'", field="sort", hint=f"use one of: {', '.join(SORTS)}")
    if base not in ("stated", "group"):
        raise InputError(f"unknown base mode '{base}'", field="base", hint="use stated or group")
    kind = BY_KINDS[by]
    group_ids = resolve_groups(graph, groups)
    region_id = graph.concepts.resolve(region, ("Region",), field="region") if region else None
    sizes = graph.group_sizes()
    labels = {g: graph.concepts[g].label for g in group_ids}

    if reweight not in (None, "region"):
        raise InputError(f"cannot reweight by '{reweight}'", field="reweight", hint="use region")
    mix = _target_mix(graph, group_ids, target_mix) if reweight else None
    if mix:
        shown = ", ".join(f"{graph.concepts[r].label if r in graph.concepts else r} {w:.0%}" for r, w in mix.items())
    cells, notes = {}, ([f"reweighted to the regional mix: {shown}"] if mix else [])
    if kind == "Statement":
        return _compare_votes(graph, group_ids, labels, stance, min_base, sort)
    for group in group_ids:
        found = _respondent_cells(graph, group, kind, stance, region_id, graph.concepts)
        if found is not None:
            counts, group_base = found
            cells[group] = {
                key: {"basis": "respondents", "count": n, "base": b, "base_note": None, "subgroup_base": False,
                      "reported_percent": None, "qualitative": None}
                for key, (n, b) in counts.items()
            }
            cells[group]["__base__"] = group_base
            notes.append(f"{labels[group]}: from respondent-level codings ({group_base} respondents"
                         + (f" based in {graph.concepts[region_id].label})" if region_id else ")"))
            if reweight:
                notes.append(_reweight_cells(graph, group, kind, stance, region_id, cells[group], mix, labels[group]))
        else:
            cells[group] = _finding_cells(graph, group, kind, stance, region_id, base, sizes)
            notes.append(f"{labels[group]}: from published findings (aggregates as stated in the source)")
            if reweight:
                notes.append(f"{labels[group]}: not reweighted: respondent regions are not known for published findings")

    keys = sorted({k for g in group_ids for k in cells[g] if k != "__base__"}, key=lambda k: (k[0], str(k[1])))
    rows = []
    for concept, row_stance in keys:
        row = {"concept": concept, "label": graph.concepts[concept].label if concept in graph.concepts else concept,
               "stance": row_stance if isinstance(row_stance, str) else None}
        shares, flags, reweighted = [], [], False
        for group in group_ids:
            cell = cells[group].get((concept, row_stance))
            if cell is None and "__base__" in cells[group]:
                # respondent-level: nobody in the group raised it -> 0 of base
                group_base = cells[group]["__base__"]
                cell = {"basis": "respondents", "count": 0, "base": group_base, "base_note": None,
                        "subgroup_base": False, "reported_percent": None, "qualitative": None}
            prefix = f"{group}."
            if cell is None:
                row.update({prefix + k: None for k in ("count", "base", "share", "low", "high", "basis", "base_note")})
                row[prefix + "cell"] = "not reported"
                shares.append(None)
                continue
            count, cell_base = cell["count"], cell["base"]
            share = low = high = None
            if cell["qualitative"] is None:
                if cell.get("reweighted_share") is not None:
                    reweighted = True
                    share, cell_base = cell["reweighted_share"], cell["effective_base"]
                    count = round(share * cell_base, 2)
                    low, high = stats.wilson_interval(share * cell_base, cell_base) if cell_base else (None, None)
                elif count is not None and cell_base:
                    share = count / cell_base
                    low, high = stats.wilson_interval(count, cell_base)
                elif cell["reported_percent"] is not None:
                    share = cell["reported_percent"] / 100
                    flags.append(f"{labels[group]}: percent only")
            row.update({
                prefix + "count": count,
                prefix + "base": cell_base,
                prefix + "share": share,
                prefix + "low": low,
                prefix + "high": high,
                prefix + "basis": cell["basis"],
                prefix + "base_note": cell["base_note"],
            })
            if cell.get("reweighted_share") is not None:
                row[prefix + "raw_share"] = cell["count"] / cell["base"] if cell["base"] else None
                row[prefix + "cell"] = f"{share * 100:.0f}% reweighted (raw {cell['count']} of {cell['base']}; effective base {cell_base:.0f})"
            elif cell["qualitative"] is not None:
                row[prefix + "cell"] = f"qualitative: {cell['qualitative']}"
            else:
                row[prefix + "cell"] = _fmt_share(share, count, cell_base, cell["reported_percent"])
                reported = cell["reported_percent"]
                if reported is not None and share is not None and count is not None and abs(reported - share * 100) > 1:
                    flags.append(f"{labels[group]}: source says {reported:g}%, {count} of {cell_base} is {share * 100:.1f}%")
            if cell_base is not None and cell_base < SMALL_BASE:
                flags.append(f"{labels[group]}: base {cell_base} under {SMALL_BASE}, too few to compare")
            if cell["subgroup_base"]:
                flags.append(f"{labels[group]}: base is a subgroup ({cell['base_note'] or 'see finding'})")
            shares.append((count, cell_base, share))
        _add_statistics(row, shares, flags, z_only=reweighted)
        if quotes:
            for group in group_ids:
                row[f"{group}.quotes"] = _quotes_for(graph, concept, group, quotes)
        row["flags"] = "; ".join(flags)
        if min_base and any(
            row.get(f"{g}.base") is not None and row[f"{g}.base"] < min_base for g in group_ids
        ):
            continue
        rows.append(row)
    p_values = np.array([r["p_value"] if r["p_value"] is not None else np.nan for r in rows], dtype=float)
    q_values = stats.benjamini_hochberg(p_values) if len(rows) else []
    for row, q in zip(rows, q_values):
        row["q_value"] = None if math.isnan(q) else float(q)
    _sort(rows, sort)
    return Comparison(groups=group_ids, group_labels=labels, by=by, rows=rows, notes=notes)


def _add_statistics(row, shares, flags, z_only=False):
    row.update({"difference_points": None, "cohens_h": None, "test": None, "statistic": None, "p_value": None,
                "q_value": None})
    numbers = [s for s in shares if s is not None and s[2] is not None]
    if len(numbers) != len(shares) or len(numbers) < 2:
        return
    if len(numbers) == 2:
        (c1, n1, p1), (c2, n2, p2) = numbers
        row["difference_points"] = round((p1 - p2) * 100, 1)
        row["cohens_h"] = float(stats.cohens_h(p1, p2))
        if z_only and None not in (c1, n1, c2, n2):
            z, p_value = stats.two_proportion_z(c1, n1, c2, n2)
            row["test"], row["statistic"], row["p_value"] = "z (effective bases)", float(z), float(p_value)
        elif None not in (c1, n1, c2, n2):
            result = stats.compare_proportions(c1, n1, c2, n2)
            row["test"], row["statistic"], row["p_value"] = result["test"], result["statistic"], result["p_value"]
        else:
            flags.append("no test: a count is not stated")
        return
    values = [p for _, _, p in numbers]
    row["difference_points"] = round((max(values) - min(values)) * 100, 1)
    row["cohens_h"] = float(stats.cohens_h(max(values), min(values)))
    if all(c is not None and n for c, n, _ in numbers):
        statistic, p_value, _ = stats.chi_square_k([c for c, _, _ in numbers], [n for _, n, _ in numbers])
        row["test"], row["statistic"], row["p_value"] = "chi-square", float(statistic), float(p_value)


VOTE_VALUES = {"agree": 1, "disagree": -1, "pass": 0}


def _vote_counts(graph, group_ids, vote):
    """Per group: a frame statement -> (count of ``vote``, members who voted)."""
    votes = graph.votes()
    out = {}
    for group in group_ids:
        mine = votes[votes["respondent"].isin(graph.members(group))]
        table = mine.groupby("statement")["vote"].agg(count=lambda v: int((v == vote).sum()), base="size")
        out[group] = table
    return out


def _compare_votes(graph, group_ids, labels, stance, min_base, sort):
    """Compare groups on statements they voted on: agree share among members who voted."""
    vote_name = stance if stance in VOTE_VALUES else "agree"
    if stance is not None and stance not in VOTE_VALUES:
        raise InputError(f"'{stance}' is not a vote", field="stance", hint="use agree, disagree or pass")
    counts = _vote_counts(graph, group_ids, VOTE_VALUES[vote_name])
    texts = graph.table("Statement").set_index("id")
    statements = sorted(set().union(*[set(t.index) for t in counts.values()]))
    rows = []
    for statement in statements:
        text = texts.loc[statement, "text"] if statement in texts.index else statement
        row = {"concept": statement, "label": text, "stance": vote_name}
        shares, flags = [], []
        for group in group_ids:
            table = counts[group]
            count, base = (int(table.loc[statement, "count"]), int(table.loc[statement, "base"])) if statement in table.index else (0, 0)
            prefix = f"{group}."
            share = count / base if base else None
            low, high = stats.wilson_interval(count, base) if base else (None, None)
            row.update({prefix + "count": count, prefix + "base": base, prefix + "share": share, prefix + "low": low,
                        prefix + "high": high, prefix + "basis": "votes", prefix + "base_note": "members who voted on it",
                        prefix + "cell": _fmt_share(share, count, base) if base else "no votes"})
            if base and base < SMALL_BASE:
                flags.append(f"{labels[group]}: base {base} under {SMALL_BASE}, too few to compare")
            shares.append((count, base, share) if base else None)
        _add_statistics(row, shares, flags)
        row["flags"] = "; ".join(flags)
        if min_base and any(row[f"{g}.base"] < min_base for g in group_ids):
            continue
        rows.append(row)
    p_values = np.array([r["p_value"] if r["p_value"] is not None else np.nan for r in rows], dtype=float)
    for row, q in zip(rows, stats.benjamini_hochberg(p_values) if rows else []):
        row["q_value"] = None if math.isnan(q) else float(q)
    _sort(rows, sort)
    notes = [f"{labels[g]}: from votes ({len(graph.members(g))} members; share = {vote_name} votes of members who voted)"
             for g in group_ids]
    return Comparison(groups=group_ids, group_labels=labels, by="statement", rows=rows, notes=notes)


def _target_mix(graph, group_ids, target_mix):
    """The regional mix to reweight to: given (labels resolved), or equal over regions present."""
    people = graph.respondents()
    members = set()
    for group in group_ids:
        members |= graph.concepts.descendants(group)
    present = sorted(people.loc[people["group"].isin(members), "region"].dropna().unique())
    if target_mix:
        mix = {graph.concepts.resolve(r, ("Region",), field="target_mix"): float(w) for r, w in target_mix.items()}
    else:
        if not present:
            raise InputError("cannot reweight by region: no respondent of these groups has a region", field="reweight")
        mix = {r: 1 / len(present) for r in present}
    return mix


def _reweight_cells(graph, group, kind, stance, region_id, group_cells, mix, label):
    """Replace each cell's share by its post-stratified share; return a note."""
    people = graph.respondents()
    people = people[people["group"].isin(graph.concepts.descendants(group))]
    if people["region"].isna().any():
        missing = int(people["region"].isna().sum())
        return f"{label}: not reweighted: {missing} respondents have no region"
    counts_by_region = people["region"].value_counts().to_dict()
    missing = [r for r, w in mix.items() if w > 0 and r not in counts_by_region]
    if missing:
        names = ", ".join(graph.concepts[r].label if r in graph.concepts else r for r in missing)
        return f"{label}: not reweighted: no respondents from {names}"
    per_region = {}
    for region in counts_by_region:
        found = _respondent_cells(graph, group, kind, stance, region, graph.concepts)
        per_region[region] = found[0] if found is not None else {}
    keys = [k for k in group_cells if k != "__base__"]
    for key in keys:
        shares = {r: per_region[r].get(key, (0, n))[0] / n for r, n in counts_by_region.items()}
        share, effective = stats.reweight_share(shares, counts_by_region, {r: mix.get(r, 0.0) for r in counts_by_region})
        group_cells[key]["reweighted_share"] = share
        group_cells[key]["effective_base"] = effective
    return f"{label}: reweighted by region ({', '.join(f'{n} {graph.concepts[r].label}' for r, n in sorted(counts_by_region.items()))})"


def _quotes_for(graph, concept, group, limit):
    from consultgraph.queries.quotes import quotes

    rows = quotes(graph, concept=concept, group=group, limit=limit)
    return [f"\u201c{r['text']}\u201d \u2014 {r['attribution']}" + (f", line {r['source_line']}" if r["source_line"] else "")
            for r in rows]


def _sort(rows, how):
    if how == "concept":
        rows.sort(key=lambda r: (r["label"], r["stance"] or ""))
    elif how in ("q", "p"):
        key = "q_value" if how == "q" else "p_value"
        rows.sort(key=lambda r: (r[key] is None, r[key] if r[key] is not None else 0, r["label"]))
    else:
        rows.sort(key=lambda r: (r["difference_points"] is None, -abs(r["difference_points"] or 0), r["label"]))


def display_rows(result):
    """Rows for a human table: concept, stance, one cell per group, difference, test, p, q, flags."""
    out = []
    for row in result.rows:
        shown = {"concept": row["label"], "stance": row["stance"] or ""}
        for group in result.groups:
            shown[result.group_labels[group]] = row[f"{group}.cell"]
        diff = row["difference_points"]
        shown["difference"] = "" if diff is None else f"{diff:+.0f} pts"
        shown["test"] = row["test"] or ""
        shown["p"] = row["p_value"]
        shown["q"] = row["q_value"]
        shown["flags"] = row["flags"]
        quotes = [q for g in result.groups for q in row.get(f"{g}.quotes", [])]
        if any(f"{g}.quotes" in row for g in result.groups):
            shown["quotes"] = "\n".join(quotes)
        out.append(shown)
    return out


def stance_split(graph, concept, groups=None):
    """For one concept (a theme), each group's lead / support / drop split.

    One row per group: a cell per stance ("36% (of 53; count not stated)", a count, or
    the source's words when it gives none), and ``dominant``: the stance with the
    largest stated share (qualitative statements are shown, never ranked as numbers).

    Examples
    --------
    >>> from consultgraph.loaders import builtin
    >>> rows = stance_split(builtin(), "climate")
    >>> {r["group"]: r["dominant"] for r in rows}["National entities"]
    'support'
    """
    concept_id = graph.concepts.resolve(concept, field="concept")
    if groups:
        group_ids = resolve_groups(graph, groups) if len(str(groups).split(",")) > 1 else [
            graph.concepts.resolve(groups, ("StakeholderGroup",), field="groups")]
    else:
        group_ids = None
    kind = graph.concepts[concept_id].kind
    sizes = graph.group_sizes()
    findings = graph.findings()
    present = findings.loc[(findings["concept"] == concept_id) & findings["stance"].isin(["lead", "support", "drop"]), "group"]
    rows = []
    for group in group_ids or sorted(present.dropna().unique()):
        found = _respondent_cells(graph, group, kind, None, None, graph.concepts)
        if found is not None:
            counts, base = found
            cells = {s: {"basis": "respondents", "count": counts.get((concept_id, s), (0, base))[0], "base": base,
                         "base_note": None, "subgroup_base": False, "reported_percent": None, "qualitative": None}
                     for s in ("lead", "support", "drop")}
        else:
            all_cells = _finding_cells(graph, group, kind, None, None, "stated", sizes)
            cells = {s: all_cells.get((concept_id, s)) for s in ("lead", "support", "drop")}
        row = {"group": graph.concepts[group].label, "concept": graph.concepts[concept_id].label}
        shares = {}
        for stance_name in ("lead", "support", "drop"):
            cell = cells.get(stance_name)
            if cell is None:
                row[stance_name] = ""
                continue
            if cell["qualitative"] is not None:
                row[stance_name] = f"qualitative: {cell['qualitative']}"
                continue
            count, base = cell["count"], cell["base"]
            share = count / base if count is not None and base else (
                cell["reported_percent"] / 100 if cell["reported_percent"] is not None else None)
            if share is not None:
                shares[stance_name] = share
            row[stance_name] = _fmt_share(share, count, base, cell["reported_percent"])
        top = max(shares.values()) if shares else None
        row["dominant"] = " = ".join(s for s, v in shares.items() if abs(v - top) < 1e-9) if shares else ""
        row["basis"] = "respondents" if found is not None else "published findings"
        rows.append(row)
    return rows
