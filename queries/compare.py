"""Cross-group comparisons: which concepts do stakeholder groups raise, and how differently?

For each concept (of one kind: theme, tactic, idea ...) and each group, a count, a base
and a share with its Wilson interval; between groups, the difference in points, Cohen's
h, a test (z or Fisher) and Benjamini-Hochberg q-values across the table. Every cell is
a row of the shares table (:mod:`consultgraph.queries.shares`: respondent codings where a
group has them, published findings otherwise), so it reads the same in every view.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from consultgraph.errors import InputError
from consultgraph.graph.model import cli_name, codeable_kinds
from consultgraph.queries import shares_format
from consultgraph.queries import stats_plain
from consultgraph.queries.shares_view import share_cells

#: ``--by`` names and the node kinds they compare: the codeable kinds of schema/ontology.ttl
#: by their CLI names, and statements (votes).
BY_KINDS = {cli_name(kind): kind for kind in (*codeable_kinds(), "Statement")}
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
    caveats: list = field(default_factory=list)
    parameters: dict = field(default_factory=dict)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self):
        return len(self.rows)


def resolve_groups(graph, groups):
    """Group ids for names like ``partner`` or ``NEs``; at least two are needed."""
    if isinstance(groups, str):
        groups = [g for g in groups.split(",") if g.strip()]
    ids = [graph.concepts.resolve(g.strip(), ("StakeholderGroup",), field="groups") for g in groups]
    if len(ids) < 2:
        raise InputError("compare needs at least two groups", field="groups", hint=_groups_hint(graph))
    if len(set(ids)) != len(ids):
        raise InputError("a group is named twice", field="groups")
    return ids


def _groups_hint(graph):
    """The groups a comparison could name: the graph's StakeholderGroup nodes, with their ids."""
    try:
        present = sorted(set(graph.table("StakeholderGroup")["id"]))
    except (AttributeError, KeyError):
        present = []
    if not present:
        return "e.g. --groups partner,national-entity; `consultgraph stats` lists the groups"
    named = ", ".join(f"{graph.concepts[g].label} ({g.split('/', 1)[-1]})" if g in graph.concepts else g for g in present)
    if len(present) == 1:
        return f"every respondent here is in one group, {named}; load respondents with a group column to compare groups"
    return f"this graph's groups: {named}"


def _group_cells(index, group, kind, stance):
    """{(concept, stance): row} of one group from :func:`shares.cells`, and the group's basis (or None)."""
    mine = index.get((group, kind), {})
    if stance is not None:
        mine = {key: row for key, row in mine.items() if key[1] == stance}
    if not mine:
        return {}, None
    return {key: dict(row) for key, row in mine.items()}, next(iter(mine.values()))["basis"]


def _clean(value):
    return None if shares_format.missing(value) else value


def _effective_stance(cell):
    """What a cell counts: ``raised`` for codings and mention findings, else the stance printed."""
    if cell["basis"] != "finding" or cell.get("finding_stance") in (None, "mention"):
        return cell["stance"] if cell["stance"] != "mention" or cell["basis"] != "finding" else shares_format.RAISED
    return cell["finding_stance"]


def compare(graph, groups, by="theme", *, stance=None, region=None, min_base=0, base="stated", sort="divergence",
            quotes=0, reweight=None, target_mix=None):
    """Compare how often stakeholder groups raise each concept of one kind.

    Every cell is a row of :func:`consultgraph.queries.shares.shares`: its text, count,
    base and basis are the ones every other view shows.

    Parameters
    ----------
    graph : Consultation
    groups : list of str or str
        Two or more groups (ids or labels; ``"partner,national-entity"`` works).
    by : str
        A key of :data:`BY_KINDS`: a codeable kind's CLI name (theme, tactic, ...) or statement.
    stance : {'raised', 'lead', 'support', 'drop', 'mention', 'agree', 'disagree', 'pass'}, optional
        Only this stance; every stance (one row each: ``raised`` = any stance, then its
        parts) when omitted.
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
        ``g.base``, ``g.base_kind``, ``g.share``, ``g.low``, ``g.high`` (Wilson 95%),
        ``g.basis``, ``g.source_line``, ``g.finding``, ``g.base_note``, ``g.cell``
        (display text); and ``difference_points``, ``reading``, ``cohens_h``,
        ``test``, ``statistic``, ``p_value``, ``q_value``, ``flags``. ``caveats``:
        the source's own warnings that apply, with their source lines.

    Examples
    --------
    >>> from consultgraph.loaders import builtin
    >>> result = compare(builtin(), ["partner", "national-entity"], by="tactic")
    >>> row = next(r for r in result.rows if r["concept"] == "tactic/research" and r["stance"] == "raised")
    >>> row["group/partner.cell"], row["group/national-entity.cell"], row["reading"]
    ('23% (17 of 74)', '69% (37 of 53)', 'mentioned more often by National entities')
    >>> hre = next(r for r in result.rows if r["concept"] == "tactic/capacity-building" and r["stance"] == "raised")
    >>> hre["group/partner.cell"], hre["group/national-entity.cell"], hre["test"]
    ('41% (30 of 74), stated as lead', '77% (41 of 53)', None)
    """
    if by not in BY_KINDS:
        raise InputError(f"cannot compare by '{by}'", field="by", hint=f"use one of: {', '.join(BY_KINDS)}")
    if sort not in SORTS:
        raise InputError(f"cannot sort by '{sort}'", field="sort", hint=f"use one of: {', '.join(SORTS)}")
    if base not in ("stated", "group"):
        raise InputError(f"unknown base mode '{base}'", field="base", hint="use stated or group")
    if reweight not in (None, "region"):
        raise InputError(f"cannot reweight by '{reweight}'", field="reweight", hint="use region")
    kind = BY_KINDS[by]
    votes = kind == "Statement"
    allowed = shares_format.VOTES if votes else (shares_format.RAISED,) + shares_format.PARTS
    if stance is not None and stance not in allowed:
        what = "a vote" if votes else "a stance"
        raise InputError(f"'{stance}' is not {what}", field="stance", hint=f"use one of: {', '.join(allowed)}")
    group_ids = resolve_groups(graph, groups)
    region_id = graph.concepts.resolve(region, ("Region",), field="region") if region else None
    labels = {g: graph.concepts[g].label for g in group_ids}
    # the shares table's cells, the metadata, statement texts and voters: read from the
    # project's stored view where it answers (no pandas), else computed from the tables
    source = share_cells(graph, region_id)
    meta, index = source.metadata, source.cells
    wanted_stance = (stance or "agree") if votes else stance

    mix = _target_mix(graph, group_ids, target_mix) if reweight else None
    notes = []
    if mix:
        shown = ", ".join(f"{graph.concepts[r].label if r in graph.concepts else r} {w:.0%}" for r, w in mix.items())
        notes.append(f"reweighted to the regional mix: {shown}")
    cells, bases = {}, {}
    sizes = graph.group_sizes()
    for group in group_ids:
        cells[group], basis = _group_cells(index, group, kind, wanted_stance)
        bases[group] = basis
        if basis == "respondents":
            size = next(iter(cells[group].values()))["base"]
            read = "" if graph.readers() is None else f" read by --coder {graph.coder}"  # free text: who it read
            notes.append(f"{labels[group]}: from respondent-level codings ({size} respondents{read}"
                         + (f" based in {graph.concepts[region_id].label})" if region_id else ")"))
            if reweight:
                notes.append(_reweight_cells(graph, group, kind, cells[group], mix, labels[group]))
        elif basis == "votes":
            notes.append(f"{labels[group]}: from votes ({source.voters[group]} members; share = "
                         f"{stance or 'agree'} votes of members who voted)")
        elif basis == "finding":
            notes.append(f"{labels[group]}: from published findings (aggregates as stated in the source)")
            if reweight:
                notes.append(f"{labels[group]}: not reweighted: respondent regions are not known for published findings")
        else:
            notes.append(f"{labels[group]}: no figures on {by}s" + (" in this region" if region_id else ""))

    keys = sorted({k for g in group_ids for k in cells[g]},
                  key=lambda k: (k[0], shares_format.STANCE_ORDER.get(k[1], 99)))
    rows = []
    for concept, row_stance in keys:
        row = {"concept": concept, "stance": row_stance,
               "label": graph.concepts[concept].label if concept in graph.concepts else source.statement_label(concept)}
        numbers, flags, reweighted, stances_held = [], [], False, {}
        for group in group_ids:
            cell = cells[group].get((concept, row_stance))
            prefix = f"{group}."
            if cell is None:
                row.update({prefix + k: None for k in ("count", "base", "base_kind", "share", "low", "high", "basis",
                                                      "base_note", "finding", "source_line")})
                row[prefix + "cell"] = "no votes" if bases[group] == "votes" else "not reported"
                numbers.append(None)
                continue
            cell = {k: _clean(v) for k, v in cell.items()}
            text = cell["text"]
            if base == "group" and cell["base_kind"] == "subgroup" and cell["count"] is not None and sizes.get(group):
                cell["base_note"] = f"re-expressed over the whole group (stated: {cell['count']} of {cell['base']})"
                cell["base"], cell["base_kind"] = sizes[group][0], "group"
                cell["share"] = cell["count"] / cell["base"]
                cell["low"], cell["high"] = stats_plain.wilson_interval(cell["count"], cell["base"])
                cell["reported_percent"] = None
                text = shares_format.format_row(cell)
            count, cell_base, share = cell["count"], cell["base"], cell["share"]
            if cell.get("reweighted_share") is not None:
                reweighted = True
                raw = (count, cell_base)
                share, cell_base = cell["reweighted_share"], cell["effective_base"]
                count = round(share * cell_base, 2)
                cell["low"], cell["high"] = stats_plain.wilson_interval(share * cell_base, cell_base) if cell_base else (None, None)
                row[prefix + "raw_share"] = raw[0] / raw[1] if raw[1] else None
                text = f"{share * 100:.0f}% reweighted (raw {raw[0]} of {raw[1]}; effective base {cell_base:.0f})"
            basis = cell["basis"]
            if basis == "finding":
                kind_word = "qualitative finding" if cell["qualitative"] else "finding"
                basis = f"{kind_word} (line {cell['source_line']})" if cell["source_line"] else kind_word
            row.update({prefix + "count": count, prefix + "base": cell_base, prefix + "base_kind": cell["base_kind"],
                        prefix + "share": share, prefix + "low": cell["low"], prefix + "high": cell["high"],
                        prefix + "basis": basis, prefix + "base_note": cell["base_note"],
                        prefix + "finding": cell["finding"], prefix + "source_line": cell["source_line"],
                        prefix + "cell": text})
            if cell["qualitative"] is None and share is not None:
                stances_held[group] = (_effective_stance(cell), cell["source_line"])
                reported = cell["reported_percent"]
                if count is None:
                    flags.append(f"{labels[group]}: percent only")
                elif reported is not None and abs(reported - share * 100) > 1:
                    flags.append(f"{labels[group]}: source says {reported:g}%, {count} of {cell_base} is {share * 100:.1f}%")
            if cell_base is not None and cell_base < SMALL_BASE:
                flags.append(f"{labels[group]}: base {cell_base:g} under {SMALL_BASE}, too few to compare")
            if cell["base_kind"] == "subgroup":
                flags.append(f"{labels[group]}: base is a subgroup ({cell['base_note'] or 'see finding'})")
            numbers.append((count, cell_base, share) if share is not None else None)
        mixed = len({s for s, _ in stances_held.values()}) > 1
        if mixed:
            held = " vs ".join(f"{labels[g]}: {s}" + (f", line {line}" if line else "")
                             for g, (s, line) in stances_held.items())
            flags.append(f"different stances side by side, not tested ({held})")
        row["stances_differ"] = mixed
        _add_statistics(row, numbers, flags, z_only=reweighted, test=not mixed)
        row["reading"] = _reading(row, group_ids, labels, votes, meta)
        if quotes:
            for group in group_ids:
                row[f"{group}.quotes"] = _quotes_for(graph, concept, group, quotes)
        row["flags"] = "; ".join(flags)
        if min_base and any(row.get(f"{g}.base") is not None and row[f"{g}.base"] < min_base for g in group_ids):
            continue
        rows.append(row)
    q_values = stats_plain.benjamini_hochberg([r["p_value"] for r in rows])
    for row, q in zip(rows, q_values):
        row["q_value"] = None if math.isnan(q) else q
    _sort(rows, sort)
    caveats = [c.note(labels) for c in meta.caveats_for(group_ids, mention_rates=not votes)]
    parameters = {"groups": ",".join(group_ids), "by": by, "stance": stance, "region": region_id,
                  "min_base": min_base, "base": base}
    return Comparison(groups=group_ids, group_labels=labels, by=by, rows=rows, notes=notes, caveats=caveats,
                      parameters=parameters)


def _reading(row, group_ids, labels, votes, meta):
    """How to read a difference: 'mentioned more often by ...' for open-ended questions."""
    shares = {g: row.get(f"{g}.share") for g in group_ids}
    if row.get("difference_points") is None or any(s is None for s in shares.values()):
        return ""
    top = max(shares, key=lambda g: shares[g])
    if abs(row["difference_points"]) < 0.5:
        return "same share"
    if votes:
        return f"{row['stance']} more often: {labels[top]}"
    if meta.open_ended or meta.question_type is None:
        return f"mentioned more often by {labels[top]}"
    return f"higher share: {labels[top]}"


def _add_statistics(row, shares, flags, z_only=False, test=True):
    row.update({"difference_points": None, "cohens_h": None, "test": None, "statistic": None, "p_value": None,
                "q_value": None})
    numbers = [s for s in shares if s is not None and s[2] is not None]
    if len(numbers) != len(shares) or len(numbers) < 2:
        return
    if not test:  # different stances: no difference, no test
        return
    if len(numbers) == 2:
        (c1, n1, p1), (c2, n2, p2) = numbers
        row["difference_points"] = round((p1 - p2) * 100, 1)
        row["cohens_h"] = stats_plain.cohens_h(p1, p2)
        if z_only and None not in (c1, n1, c2, n2):
            z, p_value = stats_plain.two_proportion_z(c1, n1, c2, n2)
            row["test"], row["statistic"], row["p_value"] = "z (effective bases)", z, p_value
        elif None not in (c1, n1, c2, n2):
            result = stats_plain.compare_proportions(c1, n1, c2, n2)
            row["test"], row["statistic"], row["p_value"] = result["test"], result["statistic"], result["p_value"]
        else:
            flags.append("no test: a count is not stated")
        return
    values = [p for _, _, p in numbers]
    row["difference_points"] = round((max(values) - min(values)) * 100, 1)
    row["cohens_h"] = stats_plain.cohens_h(max(values), min(values))
    if all(c is not None and n for c, n, _ in numbers):
        statistic, p_value, _ = stats_plain.chi_square_k([c for c, _, _ in numbers], [n for _, n, _ in numbers])
        row["test"], row["statistic"], row["p_value"] = "chi-square", statistic, p_value


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


def _reweight_cells(graph, group, kind, group_cells, mix, label):
    """Add each cell's post-stratified share and Kish effective base; return a note."""
    people = graph.respondents()
    people = people[people["group"].isin(graph.concepts.descendants(group))]
    read = graph.readers()  # free text: the regions of the respondents the coder choice read, as the shares' bases
    if read is not None:
        people = people[people["id"].isin(read)]
    if people["region"].isna().any():
        missing = int(people["region"].isna().sum())
        return f"{label}: not reweighted: {missing} respondents have no region"
    counts_by_region = people["region"].value_counts().to_dict()
    missing = [r for r, w in mix.items() if w > 0 and r not in counts_by_region]
    if missing:
        names = ", ".join(graph.concepts[r].label if r in graph.concepts else r for r in missing)
        return f"{label}: not reweighted: no respondents from {names}"
    per_region = {}
    from consultgraph.queries.shares import shares
    from consultgraph.queries.stats import reweight_share

    for region in counts_by_region:
        table = shares(graph, region)
        mine = table[(table["group"] == group) & (table["kind"] == kind)]
        per_region[region] = dict(zip(zip(mine["concept"], mine["stance"]), mine["count"]))
    for key, cell in group_cells.items():
        by_region = {r: per_region[r].get(key, 0) / n for r, n in counts_by_region.items()}
        share, effective = reweight_share(by_region, counts_by_region, {r: mix.get(r, 0.0) for r in counts_by_region})
        cell["reweighted_share"], cell["effective_base"] = share, effective
    return f"{label}: reweighted by region ({', '.join(f'{n} {graph.concepts[r].label}' for r, n in sorted(counts_by_region.items()))})"


def _quotes_for(graph, concept, group, limit):
    from consultgraph.queries.quotes import quotes

    if concept not in graph.concepts:  # a Pol.is statement: people voted on it, no quote illustrates it
        return []
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
    """Rows for a human table: concept, stance, one cell per group, difference, reading, test, q, flags."""
    out = []
    for row in result.rows:
        shown = {"concept": row["label"], "stance": shares_format.stance_label(row["stance"])}
        for group in result.groups:
            shown[result.group_labels[group]] = row[f"{group}.cell"]
        diff = row["difference_points"]
        shown["difference"] = "" if diff is None else f"{diff:+.0f} pts"
        shown["reading"] = row.get("reading") or ""
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
    """For one concept, each group's whole (raised, any stance) and its parts: lead / support / drop / mention.

    One row per group: a cell per stance from the shares table, ``parts`` saying whether
    the parts add up to the whole (respondent codings: a respondent may hold two
    stances, so the parts can sum to more), and ``dominant``: the stance with the largest
    stated share among lead / support / drop (qualitative statements are shown, never
    ranked as numbers).

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
    from consultgraph.queries.shares import shares

    table = shares(graph)
    about = table[table["concept"] == concept_id]
    if group_ids is None:
        with_stance = about[about["stance"].isin(["lead", "support", "drop"])
                            & ((about["basis"] == "finding") | (about["count"].fillna(0) > 0))]
        group_ids = sorted(with_stance["group"].unique(), key=lambda g: graph.concepts[g].label)
    rows = []
    for group in group_ids:
        mine = {r["stance"]: r for r in about[about["group"] == group].to_dict("records")}
        row = {"group": graph.concepts[group].label, "concept": graph.concepts[concept_id].label}
        for name in (shares_format.RAISED,) + shares_format.PARTS:
            row[name] = mine[name]["text"] if name in mine else ""
        numbered = {s: _clean(mine[s]["share"]) for s in ("lead", "support", "drop") if s in mine}
        numbered = {s: v for s, v in numbered.items() if v is not None}
        top = max(numbered.values()) if numbered else None
        row["dominant"] = " = ".join(s for s, v in numbered.items() if abs(v - top) < 1e-9) if numbered else ""
        basis = next(iter(mine.values()))["basis"] if mine else None
        row["basis"] = {"respondents": "respondents", "finding": "published findings"}.get(basis, "no figures")
        row["parts"] = _parts_note(mine) if basis == "respondents" else ""
        rows.append(row)
    return rows


def _parts_note(cells):
    """Whether the stance parts add up to the whole ('4 + 1 + 0 + 2 = 7 of 7 who raised it')."""
    whole = cells.get(shares_format.RAISED)
    if whole is None:
        return ""
    counts = [int(cells[s]["count"]) if s in cells else 0 for s in shares_format.PARTS]
    total, raised = sum(counts), int(whole["count"])
    text = " + ".join(str(c) for c in counts) + f" = {total} (lead + support + drop + mention); {raised} raised it"
    if total > raised:
        text += f"; {total - raised} respondent coding(s) hold two stances"
    return text

