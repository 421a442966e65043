"""Network commands on respondent-level codings: cooccur, central, bridges."""

from __future__ import annotations

import click

from consultgraph.cli.base import KindChoice, KindList, emit, graph_option, main, output_options


@main.command()
@output_options
@graph_option
@click.option("--kinds", type=KindList(), default="tactic,theme", show_default=True,
              help="One kind (pairs within it) or two (a from the first, b from the second).")
@click.option("--group", default=None, help="Only respondents of this stakeholder group (includes its parts).")
@click.option("--region", default=None, help="Only respondents based in this region.")
@click.option("--min-count", type=int, default=1, show_default=True, help="Drop pairs raised together by fewer respondents.")
@click.option("--sort", type=click.Choice(["lift", "count"]), default="lift", show_default=True)
@click.option("--top", type=int, default=None, help="At most N pairs.")
@click.option("--roll-up/--no-roll-up", default=True, show_default=True,
              help="Count codes of narrower concepts for their broader concepts.")
def cooccur(graph, fmt, output, kinds, group, region, min_count, sort, top, roll_up):
    """Which concepts the same respondents raise together: counts, shares with bases, lift, a test.

    Lift is count x base / (count_a x count_b): 1 is chance, above 1 more often together
    than chance. The test is one-sided hypergeometric (Fisher's exact), with
    Benjamini-Hochberg q-values over every pair. Needs respondent-level codings.

    \b
    Examples:
      consultgraph cooccur -g my-project
      consultgraph cooccur -g my-project --kinds theme --min-count 10 --top 20
      consultgraph cooccur -g my-project --kinds tactic,theme --group partner --sort count -f csv -o pairs.csv
    """
    from consultgraph.queries.network import cooccur as find_pairs

    rows = find_pairs(graph, kinds=kinds, group=group, region=region, min_count=min_count, roll_up=roll_up,
                      sort=sort, top=top)
    columns = None
    if fmt in ("table", "markdown"):
        columns = ["a_label", "b_label", "share_text", "count_a", "count_b", "lift", "jaccard", "q_value"]
    emit(rows, fmt, output, columns=columns, sheet="cooccurrence")


@main.command()
@output_options
@graph_option
@click.option("--kind", type=KindChoice(), default=None, help="Only concepts of this kind (default: all).")
@click.option("--measure", type=click.Choice(["degree", "betweenness", "pagerank", "eigenvector"]), default="degree",
              show_default=True, help="Centrality in the weighted co-occurrence network.")
@click.option("--group", default=None, help="Only respondents of this stakeholder group (includes its parts).")
@click.option("--region", default=None, help="Only respondents based in this region.")
@click.option("--top", type=int, default=None, help="At most N concepts.")
@click.option("--communities", "show_communities", is_flag=True, help="Show Louvain communities instead of centrality.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed for --communities.")
def central(graph, fmt, output, kind, measure, group, region, top, show_communities, seed):
    """Central concepts, or communities of concepts, in the co-occurrence network.

    Concepts are joined by the number of respondents raising both. degree is that number
    summed over a concept's links; betweenness uses distance 1/weight; pagerank and
    eigenvector use the weights. --communities runs seeded Louvain instead.

    \b
    Examples:
      consultgraph central -g my-project --kind theme --top 10
      consultgraph central -g my-project --measure betweenness --group national-entity
      consultgraph central -g my-project --communities -f markdown
    """
    from consultgraph.queries import network

    if show_communities:
        rows = network.communities(graph, kind=kind, group=group, region=region, seed=seed)
        emit(rows, fmt, output, sheet="communities")
        return
    rows = network.central(graph, kind=kind, measure=measure, group=group, region=region, top=top)
    emit(rows, fmt, output, sheet="centrality")


@main.command()
@output_options
@graph_option
@click.option("--top", type=int, default=20, show_default=True, help="At most N respondents.")
@click.option("--group", default=None, help="Only respondents of this stakeholder group.")
def bridges(graph, fmt, output, top, group):
    """Respondents whose concepts sound more like another group than their own (a heuristic).

    score = cosine similarity of the respondent's concepts to the closest other group's
    mean profile, minus that to the rest of their own group. Positive: closer to the
    other group.

    \b
    Examples:
      consultgraph bridges -g my-project
      consultgraph bridges -g my-project --group partner --top 5 -f json
    """
    from consultgraph.queries.network import bridges as find_bridges

    emit(find_bridges(graph, top=top, group=group), fmt, output, sheet="bridges")
