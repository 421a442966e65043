"""Commands that check and extend coding: agreement, campaigns, discover."""

from __future__ import annotations

from pathlib import Path

import click

from consultgraph.cli.base import emit, graph_option, main, output_options
from consultgraph.cli.progress import progress_bar

AGREEMENT_COLUMNS = ["scope", "label", "units", "kappa", "kappa_low", "kappa_high", "alpha", "alpha_low", "alpha_high",
                     "kappa_rest", "difference", "p", "q", "flag"]


@main.command()
@output_options
@graph_option
@click.option("--coders", default=None, metavar="A,B,...",
              help="Coders to compare (default: every person, and machine coders by family). People's codings "
                   "without a coder are 'human'; a family name ('machine', 'machine:model') counts its coders as one.")
@click.option("--question", default=None, help="Only responses to this question (an id such as question/q1).")
@click.option("--resamples", type=int, default=1000, show_default=True, help="Bootstrap resamples for the intervals.")
@click.option("--permutations", type=int, default=2000, show_default=True,
              help="Permutations for the per-group and per-region test.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same figures).")
def agreement(graph, fmt, output, coders, question, resamples, permutations, seed):
    """How well coders agree: Cohen's kappa and Krippendorff's alpha, per code and overall, per group and region.

    Each code is a yes/no decision per response. Intervals are 95% percentile bootstrap
    over responses. Per group and region, the machine's agreement with people in the
    segment is compared with the rest (one-sided permutation test, Benjamini-Hochberg
    q); segments where the machine agrees significantly less are flagged.

    \b
    Examples:
      consultgraph agreement -g my-project
      consultgraph agreement -g my-project --coders human,machine -f csv -o agreement.csv
    """
    from consultgraph.coding.agreement import graph_agreement

    wanted = [c for c in coders.split(",")] if coders else None
    with progress_bar("agreement: bootstrap and permutations", ticking=True):
        result = graph_agreement(graph, wanted, question=question, resamples=resamples, permutations=permutations,
                                 seed=seed)
    columns = AGREEMENT_COLUMNS if fmt in ("table", "markdown") else None
    emit(result.rows, fmt, output, columns=columns)
    if fmt == "table" and not output:
        for note in result.notes:
            click.echo(f"note: {note}", err=True)


@main.command()
@output_options
@click.option("-g", "--graph", "graph_spec", required=True, type=click.Path(file_okay=False), metavar="PROJECT",
              help="The project to search and to write the campaigns into.")
@click.option("--question", default=None, help="Only responses to this question (default: each respondent's responses joined).")
@click.option("--threshold", type=float, default=0.5, show_default=True,
              help="Estimated word-pair Jaccard similarity at which two responses become candidates.")
@click.option("--min-ratio", type=float, default=80.0, show_default=True,
              help="Similarity (0-100) a member's text must reach against the campaign's template.")
@click.option("--min-size", type=int, default=3, show_default=True, help="Fewest members a campaign has.")
@click.option("--seed", type=int, default=1, show_default=True, help="MinHash seed (same seed, same campaigns).")
def campaigns(graph_spec, fmt, output, question, threshold, min_ratio, min_size, seed):
    """Find near-duplicate and template responses and store them as campaigns in the project.

    Responses are compared with MinHash LSH and checked with rapidfuzz; each campaign
    becomes a Campaign node with its members (IN_CAMPAIGN), replacing earlier ones, in one
    atomic write. Then `compare` and `report` take --campaigns count|one|exclude.

    \b
    Examples:
      consultgraph campaigns -g my-project
      consultgraph campaigns -g my-project --min-size 5 -f csv -o campaigns.csv
      consultgraph compare -g my-project --groups partner,public --campaigns one
    """
    from consultgraph.coding.campaigns import campaign_rows, store_campaigns

    project = graph_spec
    with progress_bar("finding campaigns", ticking=True):
        found, graph = store_campaigns(project, question=question, threshold=threshold, min_ratio=min_ratio,
                                       min_size=min_size, seed=seed)
    click.echo(f"{project}: {len(found)} campaign(s), {sum(c.size for c in found)} respondents in them", err=True)
    emit(campaign_rows(graph), fmt, output)


@main.command()
@output_options
@graph_option
@click.option("--draft", default="discovered-themes.ttl", show_default=True, type=click.Path(dir_okay=False),
              callback=lambda ctx, param, value: _turtle_file(value),
              help="Where to write the SKOS draft (Turtle, .ttl) to edit and load back.")
@click.option("--themes", type=int, default=8, show_default=True, help="How many themes to look for.")
@click.option("--terms", type=int, default=8, show_default=True, help="Top terms per theme.")
@click.option("--quotes", type=int, default=3, show_default=True, help="Representative quotes per theme.")
@click.option("--question", default=None, help="Only responses to this question.")
@click.option("--all", "include_coded", is_flag=True, help="Use every response, not only the uncoded ones.")
@click.option("--kind", default="Theme", show_default=True, help="Kind of code the drafts become (Theme, Idea ...).")
@click.option("--stop-words", default="english", show_default=True,
              help="'english', 'none', or a comma-separated list of words to ignore.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed (same seed, same themes).")
def discover(graph, fmt, output, draft, themes, terms, quotes, question, include_coded, kind, stop_words, seed):
    """Themes the codebook misses: NMF on TF-IDF of the uncoded responses, written as a SKOS draft.

    Each theme has its top terms and the responses it describes best. Edit the draft
    (labels, definitions, terms as altLabels; delete what is not a theme), then load it
    as codes with `consultgraph load DRAFT --into PROJECT` and run `consultgraph code`.

    \b
    Examples:
      consultgraph discover -g my-project --draft new-themes.ttl
      consultgraph discover -g my-project --themes 5 --all -f markdown
      consultgraph load new-themes.ttl --into my-project
    """
    from consultgraph.coding.discover import discover_into_draft

    stop = None if stop_words == "none" else stop_words if stop_words == "english" else [
        w.strip() for w in stop_words.split(",") if w.strip()]
    found, path = discover_into_draft(graph, draft, question=question, include_coded=include_coded, themes=themes,
                                      terms=terms, quotes=quotes, kind=kind, stop_words=stop, seed=seed)
    click.echo(f"wrote {len(found)} draft theme(s) to {path}", err=True)
    rows = [{"theme": t.number, "label": t.label, "responses": t.size, "terms": ", ".join(t.terms),
             "quote": t.quotes[0] if t.quotes else ""} for t in found]
    emit(rows, fmt, output)


def _turtle_file(path):
    """``path`` if it names a Turtle file: ``load`` reads the draft back by its suffix."""
    if not str(path).lower().endswith(".ttl"):
        raise click.BadParameter(f"the draft is SKOS in Turtle: name it .ttl (e.g. {Path(path).stem or 'draft'}.ttl), "
                                 "so that `consultgraph load` reads it back", param_hint="'--draft'")
    return path


@main.command()
@output_options
@graph_option
@click.option("--question", default=None, help="Only this question (id or label).")
def positions(graph, fmt, output, question):
    """How many responses agree, disagree or are unclear, per question and group.

    People's positions where they gave one (the Consult gold sentiment, say) and, with
    --coder auto (the default), the machine's elsewhere: `consultgraph code` learns a
    position model per question from people's positions. `machine` counts the machine's.

    \b
    Examples:
      consultgraph positions -g gambling
      consultgraph positions -g gambling --coder machine --question "Question 1"
    """
    from consultgraph.queries.positions import positions as position_rows

    rows = position_rows(graph, question=question)
    if not rows:
        click.echo("note: no response has a position: people's come from a Consult folder's gold sentiment, and "
                   "`consultgraph code` learns the machine's from them", err=True)
    emit(rows, fmt, output)
