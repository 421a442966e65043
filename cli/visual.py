"""Commands that draw: viz (interactive graph), chart compare / chart stance, report."""

from __future__ import annotations

from pathlib import Path

import click

from consultgraph.cli.base import KindChoice, KindList, campaign_option, graph_option, main

_BY = KindChoice()


def _page_kinds():
    """The kinds the graph page draws (it has a style for each)."""
    from consultgraph.outputs.graph_data import KIND_STYLE

    return tuple(KIND_STYLE)


_PAGE_KINDS = KindList(_page_kinds)


def _wrote(path, what):
    size = path.stat().st_size
    click.echo(f"wrote {what} to {path} ({size / 1024:,.0f} KB)", err=True)


def _html_file(path, what):
    """``path`` if it names an HTML file (.html, .htm); a .pdf or .png would hold HTML under a lying name."""
    if Path(path).suffix.lower() not in (".html", ".htm"):
        pdf = "; a browser prints it to PDF" if what == "report" else ""
        raise click.BadParameter(f"the {what} is one HTML file: name it .html (e.g. {Path(path).stem or 'out'}.html)"
                                 + pdf, param_hint="'-o' / '--output'")
    return path


@main.command()
@graph_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default="graph.html", show_default=True,
              callback=lambda ctx, param, value: _html_file(value, "graph page"),
              help="The HTML file to write (one self-contained file, works offline).")
@click.option("--focus", default=None, metavar="NODE",
              help="Only this node's neighbourhood: an id, kind:label (theme:climate) or a label.")
@click.option("--depth", type=click.IntRange(0, 10), default=1, show_default=True, help="Steps around --focus.")
@click.option("--groups", default=None, help="Only these stakeholder groups (comma-separated) and what they raised.")
@click.option("--kinds", type=_PAGE_KINDS, default=None, help="Only these node kinds (comma-separated).")
@click.option("--min-weight", type=float, default=None,
              help="Drop lighter edges: a group-concept edge weighs its share (0-1), a coding its weight.")
@click.option("--max-nodes", type=click.IntRange(1), default=500, show_default=True,
              help="Node budget: above it respondents fold into their groups, then the best-connected nodes stay.")
@click.option("--layout", type=click.Choice(["auto", "physics", "precomputed"]), default="auto", show_default=True,
              help="auto: the browser lays out up to 400 nodes, positions are precomputed above that.")
@click.option("--by", type=_BY, default="theme", show_default=True,
              help="The concept kind the page opens on, with the stakeholder groups (the legend adds the rest).")
def viz(graph, output, focus, depth, groups, kinds, min_weight, max_nodes, layout, by):
    """Write the interactive graph as one HTML file: groups, concepts, regions, respondents.

    The page opens on the stakeholder groups and one concept kind (--by, default theme);
    respondents, regions and the other kinds are in the file, a tick in the legend away.

    Group-concept edges are labelled with the share of the group, its count and base
    ("69% (37 of 53)"); hovering shows counts and up to three quotes; the side bar finds
    a node and filters by group and kind. The file needs no internet.

    \b
    Examples:
      consultgraph viz -o graph.html
      consultgraph viz --by tactic -o tactics.html
      consultgraph viz --focus theme:climate --depth 2 -o climate.html
      consultgraph viz --groups partner,national-entity --kinds group,tactic --min-weight 0.3
    """
    from consultgraph.outputs.graph_page import write_graph_html  # a page drawn before is read back, no pandas

    path = write_graph_html(graph, output, focus=focus, depth=depth, groups=groups, kinds=kinds,
                            min_weight=min_weight, max_nodes=max_nodes, layout=layout, by=by)
    _wrote(path, "the graph")


@main.group()
def chart():
    """Charts of comparisons as PNG or SVG (by the output file's suffix).

    \b
    Examples:
      consultgraph chart compare --groups partner,national-entity --by tactic -o tactics.png
      consultgraph chart stance --groups national-entity,international-secretariat -o stances.svg
    """


@chart.command("compare")
@graph_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True,
              help="chart.png or chart.svg.")
@click.option("--groups", required=True, help="Two or more groups, comma-separated (ids or labels).")
@click.option("--by", type=_BY, default="theme", show_default=True, help="Which concepts to compare.")
@click.option("--stance", type=click.Choice(["lead", "support", "drop", "mention"]), default=None,
              help="Only this stance (default: every stance, one row each).")
@click.option("--region", default=None, help="Only respondents based in (or findings about) this region.")
@click.option("--min-base", type=int, default=0, show_default=True, help="Drop rows where a base is under N.")
@click.option("--base", "base_mode", type=click.Choice(["stated", "group"]), default="stated", show_default=True,
              help="'group' re-expresses subgroup bases over the whole group.")
@click.option("--top", type=click.IntRange(0), default=20, show_default=True,
              help="Only the N most divergent rows (0: all).")
def chart_compare(graph, output, groups, by, stance, region, min_base, base_mode, top):
    """Dot-and-line chart: each group's share per concept with its 95% interval, most divergent first.

    Tick labels carry each group's count and base; the margin the difference in points
    and the q-value. Colours are colour-blind safe and every group has its own marker.

    \b
    Examples:
      consultgraph chart compare --groups partner,national-entity --by tactic -o tactics.png
      consultgraph chart compare --groups partner,NE,IS --by theme --stance lead -o lead.svg
    """
    from consultgraph.outputs.charts import dumbbell_chart
    from consultgraph.queries.compare import compare

    result = compare(graph, groups, by, stance=stance, region=region, min_base=min_base, base=base_mode)
    path = dumbbell_chart(result, output, top=top)
    _wrote(path, "the chart")


@chart.command("stance")
@graph_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True,
              help="chart.png or chart.svg.")
@click.option("--groups", required=True, help="Two or more groups, comma-separated.")
@click.option("--concepts", default=None, help="Concepts in this order (comma-separated); default: the top ones.")
@click.option("--by", type=_BY, default="theme", show_default=True, help="Which kind of concept.")
@click.option("--top", type=click.IntRange(1), default=12, show_default=True, help="How many concepts by default.")
def chart_stance(graph, output, groups, concepts, by, top):
    """Stacked bars: the share of each group that would lead, support or drop each concept.

    \b
    Examples:
      consultgraph chart stance --groups national-entity,international-secretariat -o stances.png
      consultgraph chart stance --groups partner,NE --concepts climate,gender -o two.svg
    """
    from consultgraph.outputs.charts import stance_chart

    path = stance_chart(graph, groups, concepts, output, by=by, top=top)
    _wrote(path, "the chart")


@main.command()
@graph_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default="report.html",
              show_default=True, callback=lambda ctx, param, value: _html_file(value, "report"),
              help="The HTML file to write (one self-contained file, works offline).")
@click.option("--title", default=None, help="Heading of the report (default: the project's name).")
@click.option("--no-graph", is_flag=True, help="Leave the interactive graph out (a smaller file).")
@campaign_option
def report(graph, output, title, no_graph, campaigns):
    """Write the whole consultation as one HTML report that opens offline and prints cleanly.

    Overview (groups, sizes, regions); per question of the consultation (vision,
    issues to lead/support/drop, approach, how we talk, tactics, ways of working,
    partnerships, diversity) the top concepts per group, the largest divergences with
    their statistics, consensus and contention, and quotes; the audit of the published
    numbers; the interactive graph.

    \b
    Examples:
      consultgraph report -o report.html
      consultgraph report -g my-project --title "Our 2025 consultation" -o ours.html
      consultgraph report -g my-project --campaigns one -o report.html
    """
    from consultgraph.cli.progress import progress_bar
    from consultgraph.outputs.report import write_report

    with progress_bar("report", unit="section") as progress:
        path = write_report(graph, output, title=title, graph_section=not no_graph, campaigns=campaigns,
                            progress=progress)
    _wrote(path, "the report")
