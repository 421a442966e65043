"""Commands that answer questions: stats, audit, compare, quotes."""

from __future__ import annotations

import click

from consultgraph.cli.base import KindChoice, campaign_option, emit, graph_option, main, output_options

_LAYOUT = click.option("--layout", type=click.Choice(["wide", "tidy"]), default="wide", show_default=True,
                       help="Machine formats: 'wide' = one row per concept (columns partner_count, partner_share ...); "
                            "'tidy' = one row per group x concept x stance.")


def _export(graph, rows, fmt, output, layout, comparison=None, keep=None, sheet="results"):
    """Machine formats: the wide rows with simple column names, or the tidy layout."""
    from consultgraph.outputs.layouts import TIDY_COLUMNS, tidy, wide

    if layout == "tidy":
        emit(tidy(comparison.rows, comparison.groups, comparison.group_labels, keep=keep), fmt, output,
             columns=list(TIDY_COLUMNS), sheet=sheet)
    else:
        emit(wide(rows), fmt, output, sheet=sheet)


def _under_table(result, fmt, output):
    """The source's caveats (and the parameters used) under a human table on the terminal."""
    import shutil
    import textwrap

    if fmt not in ("table", "markdown") or output:
        return
    width = shutil.get_terminal_size((160, 24)).columns
    lines = [f"parameters: {result.describe()}"] if getattr(result, "parameters", None) and hasattr(result, "describe") else []
    for text in lines + list(getattr(result, "caveats", ())):
        click.echo(textwrap.fill(text, width, subsequent_indent="  "))


def _shown(rows, top, total_hint="--top 0 shows all"):
    if top and len(rows) > top:
        click.echo(f"showing {top} of {len(rows)} rows ({total_hint})", err=True)
        return rows[:top]
    return rows


@main.command()
@output_options
@graph_option
def stats(graph, fmt, output):
    """Who answered and what the graph holds: every group (the ids --groups takes, parts, size and
    where it comes from), respondents counted vs quoted by name, regions, node and relationship counts.

    \b
    Examples:
      consultgraph stats
      consultgraph stats -g my-project -f json
    """
    from consultgraph.queries.overview import stats as overview

    emit(overview(graph), fmt, output)


@main.command()
@output_options
@graph_option
@click.option("--tolerance", default=1.0, show_default=True, help="Points a reported percent may be off.")
def audit(graph, fmt, output, tolerance):
    """Check the published numbers: percents vs count/base, subgroup bases, totals vs their parts.

    \b
    Examples:
      consultgraph audit
      consultgraph audit -f markdown -o audit.md
    """
    from consultgraph.queries.audit import audit as run_audit

    problems = run_audit(graph, tolerance=tolerance)
    emit(problems, fmt, output, columns=["source_line", "check", "group", "concept", "stated", "expected", "message", "finding"])


@main.command()
@output_options
@graph_option
@click.option("--groups", required=True, help="Two or more groups, comma-separated (ids or labels).")
@click.option("--by", type=KindChoice(extra_kinds=("Statement",)),
              default="theme", show_default=True, help="Which concepts to compare.")
@click.option("--stance", type=click.Choice(["raised", "lead", "support", "drop", "mention", "agree", "disagree", "pass"]),
              default=None, help="Only this stance (default: every stance, one row each: raised = any stance, then "
                                 "its parts); for --by statement, the vote.")
@click.option("--region", default=None, help="Only respondents based in (or findings about) this region.")
@click.option("--min-base", type=int, default=0, show_default=True, help="Drop rows where a base is under N.")
@click.option("--base", "base_mode", type=click.Choice(["stated", "group"]), default="stated", show_default=True,
              help="'group' re-expresses subgroup bases over the whole group.")
@click.option("--sort", type=click.Choice(["divergence", "concept", "q", "p"]), default="divergence", show_default=True)
@click.option("--quotes", "quote_count", type=int, default=0, metavar="N", help="Show up to N quotes per concept and group.")
@click.option("--reweight", type=click.Choice(["region"]), default=None,
              help="Post-stratify respondent-level shares to a regional mix.")
@click.option("--mix", default=None, metavar="REGION=W,...",
              help="The regional mix for --reweight (default: equal over the regions present).")
@_LAYOUT
@campaign_option
def compare(graph, fmt, output, groups, by, stance, region, min_base, base_mode, sort, quote_count, reweight, mix, layout,
            campaigns):
    """Compare how often groups raise each concept: shares with bases, differences, tests, q-values.

    Cells read "69% (37 of 53)": share, count and base. Bases under 30 are flagged as too
    few to compare (numbered notes under the table). Machine formats (csv, json, xlsx ...)
    carry every figure in its own column at full precision: count, base, share, Wilson
    interval, basis per group (partner_count, partner_share ...); difference, Cohen's h,
    test, p and Benjamini-Hochberg q. --layout tidy gives one row per group x concept x stance.

    \b
    Examples:
      consultgraph compare --groups partner,national-entity --by tactic
      consultgraph compare --groups national-entity,international-secretariat --by theme --stance lead
      consultgraph compare --groups partner,NE --by tactic -o tactics.xlsx
      consultgraph compare --groups partner,NE --by tactic --layout tidy -o tactics.csv
      consultgraph compare -g my-project --groups partner,public --by theme --quotes 2
      consultgraph compare -g my-project --groups partner,NE --by theme --reweight region --mix Africa=0.5,Europe=0.5
      consultgraph compare -g my-project --groups partner,public --campaigns one
    """
    from consultgraph.graph.campaigns import campaign_view
    from consultgraph.queries.compare import compare as run_compare
    from consultgraph.queries.compare import display_rows

    graph = campaign_view(graph, campaigns)

    target_mix = None
    if mix:
        try:
            target_mix = {k.strip(): float(v) for k, v in (part.split("=", 1) for part in mix.split(","))}
        except ValueError:
            raise click.BadParameter("use REGION=WEIGHT,... e.g. Africa=0.2,Europe=0.2", param_hint="--mix") from None
    result = run_compare(graph, groups, by, stance=stance, region=region, min_base=min_base, base=base_mode, sort=sort,
                         quotes=quote_count, reweight=reweight, target_mix=target_mix)
    if fmt in ("table", "markdown"):
        emit(display_rows(result), fmt, output)
        _under_table(result, fmt, output)
        if fmt == "table" and not output:
            for note in result.notes:
                click.echo(f"note: {note}", err=True)
            if getattr(graph, "campaign_dropped", 0):
                click.echo(f"note: --campaigns {campaigns}: {graph.campaign_dropped} campaign member(s) left out", err=True)
        return
    if fmt == "xlsx":
        from consultgraph.outputs.layouts import TIDY_COLUMNS, tidy, wide
        from consultgraph.outputs.render import write_xlsx

        notes = [{"note": n} for n in result.caveats + result.notes]
        rows = (tidy(result.rows, result.groups, result.group_labels), list(TIDY_COLUMNS)) if layout == "tidy" else wide(result.rows)
        path = write_xlsx({"comparison": rows, "notes": notes}, output)
        click.echo(f"wrote {len(result.rows)} rows to {path}", err=True)
        return
    _export(graph, result.rows, fmt, output, layout, comparison=result)


@main.command()
@output_options
@graph_option
@click.option("--concept", default=None, help="Concept id or label (includes narrower concepts).")
@click.option("--group", default=None, help="Stakeholder group (includes its parts).")
@click.option("--region", default=None, help="Region.")
@click.option("--search", default=None, help="Text the quote contains (case-insensitive).")
@click.option("-n", "--limit", type=int, default=None, help="At most N quotes.")
def quotes(graph, fmt, output, concept, group, region, search, limit):
    """Quotes with attribution, by concept, group and region.

    \b
    Examples:
      consultgraph quotes --group national-entity --concept research
      consultgraph quotes --search "grassroots" -f markdown
    """
    from consultgraph.queries.quotes import quotes as find_quotes

    rows = find_quotes(graph, concept=concept, group=group, region=region, search=search, limit=limit)
    if fmt == "table" and not output:
        for row in rows:
            click.echo(f"\u201c{row['text']}\u201d")
            where = f", line {row['source_line']}" if row["source_line"] else ""
            click.echo(f"    \u2014 {row['attribution']}{where}  [{row['concepts']}]{_provenance(row)}\n")
        click.echo(f"{len(rows)} quote(s)", err=True)
        if not rows and graph.coder != "all":  # people's codings carry no quote: say where the evidence is
            more = find_quotes(graph.with_coder("all"), concept=concept, group=group, region=region, search=search,
                               limit=limit)
            if more:
                click.echo(f"note: {len(more)} more with --coder all (the machine's evidence, or other coders' quotes)",
                           err=True)
        return
    emit(rows, fmt, output)


def _provenance(row):
    """Who quoted it and where it sits: '  (ann; page 2, paragraph 1, characters 40-51 of response/r3/document)'."""
    parts = []
    if row.get("coder"):
        parts.append(row["coder"] + (f", confidence {row['confidence']:.2f}" if row.get("confidence") is not None else ""))
    if row.get("response"):
        place = [f"page {row['page']}" if row.get("page") is not None else "",
                 f"paragraph {row['paragraph']}" if row.get("paragraph") is not None else "",
                 f"characters {row['start']}-{row['end']}" if row.get("start") is not None else "offsets not found"]
        parts.append(", ".join(p for p in place if p) + f" of {row['response']}")
    return f"  ({'; '.join(parts)})" if parts else ""


def _top(top, by):
    return (10 if by == "statement" else 0) if top is None else top


def _wide(rows):
    from consultgraph.outputs.layouts import wide

    return wide(rows)


def _comparison_options(function):
    function = click.option("--top", type=click.IntRange(0), default=None, metavar="N",
                            help="At most N rows, highest first; 0 = all [default: all; 10 for --by statement].")(function)
    function = click.option("--by", type=KindChoice(extra_kinds=("Statement",)),
                            default="theme", show_default=True, help="Which concepts.")(function)
    function = click.option("--groups", required=True, help="Two or more groups, comma-separated.")(function)
    function = click.option("--min-base", type=int, default=0, show_default=True,
                            help="Ignore rows where a base is under N.")(function)
    return function


@main.command()
@output_options
@graph_option
@_comparison_options
@click.option("--threshold", type=float, default=0.5, show_default=True, help="Share every group must reach.")
@click.option("--stance", type=click.Choice(["raised", "lead", "support", "drop", "mention"]), default=None,
              help="Only this stance (raised = any stance).")
@_LAYOUT
def consensus(graph, fmt, output, groups, by, min_base, threshold, stance, top, layout):
    """Concepts every group raises at a threshold share or more, and what the source calls consensus.

    \b
    Examples:
      consultgraph consensus --groups partner,national-entity --by tactic
      consultgraph consensus --groups partner,NE,IS --by theme --threshold 0.3 -f markdown
      consultgraph consensus -g public --groups opinion-group-0,opinion-group-1 --by statement --top 0 -o all.csv
    """
    from consultgraph.queries.consensus import consensus as run

    result = run(graph, groups, by, threshold=threshold, stance=stance, min_base=min_base, top=0)
    rows = _shown(result, _top(top, by))
    if fmt in ("table", "markdown") or layout == "wide":
        emit(rows if fmt in ("table", "markdown") else _wide(rows), fmt, output)
        _under_table(result, fmt, output)
        return
    from consultgraph.queries.compare import compare

    comparison = compare(graph, groups, by, stance=stance, min_base=min_base, sort="concept")
    _export(graph, rows, fmt, output, layout, comparison=comparison,
            keep={(r["concept"], r.get("stance")) for r in rows if r.get("lowest_share") is not None or by == "statement"})


@main.command()
@output_options
@graph_option
@_comparison_options
@click.option("--min-difference", type=float, default=20.0, show_default=True, help="Points apart that count.")
def contention(graph, fmt, output, groups, by, min_base, min_difference, top):
    """Concepts the groups split on: split on stance within a group, divisive votes, what the source calls
    contested; far apart between groups ("mentioned more often by" when the questions were open-ended).

    \b
    Examples:
      consultgraph contention --groups partner,national-entity --by tactic
      consultgraph contention --groups national-entity,international-secretariat --by theme -f csv
    """
    from consultgraph.queries.consensus import contention as run

    result = run(graph, groups, by, min_difference=min_difference, min_base=min_base, top=0)
    rows = _shown(result, _top(top, by))
    emit(rows if fmt in ("table", "markdown") else _wide(rows), fmt, output)
    _under_table(result, fmt, output)


@main.command()
@output_options
@graph_option
@click.option("--concept", required=True, help="The concept (usually a theme): id or label.")
@click.option("--groups", default=None, help="Groups to show (default: every group with a stance on it).")
@_LAYOUT
def stances(graph, fmt, output, concept, groups, layout):
    """Lead / support / drop split of one concept for each group.

    \b
    Examples:
      consultgraph stances --concept climate
      consultgraph stances --concept ESCR --groups partner,national-entity,IS -f markdown
      consultgraph stances --concept climate --layout tidy -o climate.csv
    """
    from consultgraph.queries.compare import BY_KINDS, compare, stance_split

    rows = stance_split(graph, concept, groups)
    if layout == "wide" or fmt in ("table", "markdown"):
        emit(rows, fmt, output)
        return
    concept_id = graph.concepts.resolve(concept, field="concept")
    by = next(name for name, kind in BY_KINDS.items() if kind == graph.concepts[concept_id].kind)
    group_ids = [graph.concepts.resolve(r["group"], ("StakeholderGroup",), field="groups") for r in rows]
    if len(group_ids) < 2:
        raise click.UsageError("--layout tidy needs two or more groups with a stance on this concept")
    comparison = compare(graph, group_ids, by, sort="concept")
    _export(graph, rows, fmt, output, layout, comparison=comparison,
            keep={(concept_id, s) for s in ("lead", "support", "drop")})
