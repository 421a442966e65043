"""The machine coder: ``code`` (rules and learned codes), its review sheet, and reading reviews back."""

from __future__ import annotations

import time

import click

from consultgraph.cli.base import emit, main
from consultgraph.cli.progress import progress_bar


@main.command(name="code")
@click.option("-g", "--graph", "graph_spec", required=True, type=click.Path(file_okay=False, exists=True),
              metavar="PROJECT", help="The project folder to code (written back in place).")
@click.option("--question", default=None, help="Code only the responses to this question (id or label).")
@click.option("--no-rules", is_flag=True, help="Do not use the codebook rules.")
@click.option("--no-model", is_flag=True, help="Do not learn codes from people's codings.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed: the same input and seed give the same codes.")
@click.option("--level", type=click.FloatRange(0.5, 0.999), default=0.9, show_default=True,
              help="Coverage of the conformal prediction sets in model evidence.")
@click.option("--language", default="en", show_default=True, help="Language of the texts (lemmatiser, negations).")
@click.option("--embeddings/--no-embeddings", default=True, show_default=True,
              help="Learned codes also read each text's sentence embedding (WordLlama, bundled, offline); "
                   "--no-embeddings: words and character n-grams only (faster; the model gets another name).")
@click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N",
              help="Processes to code in, 1 or more (same codings for any number; e.g. --workers 2). "
                   "[default: $CONSULTGRAPH_WORKERS, else every usable core]")
@click.option("--review", "review_count", type=int, default=None, metavar="N",
              help="Also write the N responses the machine is least sure of to -o (csv, xlsx or qdpx).")
@click.option("--reviewed", type=click.Path(exists=True, dir_okay=False), default=None,
              help="First record a reviewed sheet (or .qdpx) as people's codings, then code: a row's codes, "
                   "'none' (no code applies: reviewed, no code), or empty (skipped, not recorded).")
@click.option("--reviewer", default=None, help="Coder name for reviewed rows that do not name one (default: reviewer).")
@click.option("-f", "--format", "fmt", default="table", show_default=True,
              type=click.Choice(["table", "csv", "tsv", "json", "jsonl", "markdown"]), help="Format of the per-code summary.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="With --review: the review file (.csv, .xlsx or .qdpx).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def code_command(graph_spec, question, no_rules, no_model, seed, level, language, embeddings, workers, review_count,
                 reviewed, reviewer, fmt, output, quiet):
    """Machine-code a project's free-text responses: codebook rules and codes learned from people.

    Every machine coding is stored with its coder (machine:rules@<codebook hash> or
    machine:model@<hash>), its confidence and its evidence; people's codings are never
    changed. Prints one row per code: people's codings, the machine's, mean confidence
    and the model's cross-validated F1.

    \b
    Examples:
      consultgraph code -g my-project
      consultgraph code -g my-project --question q1 --seed 7
      consultgraph code -g my-project --no-embeddings
      consultgraph code -g my-project --workers 2
      consultgraph code -g my-project --review 20 -o review.csv
      consultgraph code -g my-project --reviewed review.csv --reviewer ann
    """
    from consultgraph.coding.run import code
    from consultgraph.graph.consultation import Consultation

    if review_count is not None and not output:
        raise click.UsageError("--review needs a file: add -o review.csv (or .xlsx, .qdpx)")
    if review_count is not None:
        from consultgraph.outputs.review import check_review_path

        check_review_path(output)  # before the project is coded and written, not after
    started = time.perf_counter()
    project = graph_spec
    graph = Consultation.open(project)
    if reviewed:
        from consultgraph.coding.review import read_review

        review = read_review(graph, reviewed, reviewer=reviewer)
        graph = review.graph
        qdpx = str(reviewed).lower().endswith(".qdpx")  # a REFI-QDA project has sources, not rows
        unit, none = ("source", "'none apply'") if qdpx else ("row", "'none'")
        if not review.codings and not review.no_code:
            empty = "none with a coding" if qdpx else "every 'codes' cell empty"
            how = ("apply the codes that apply, keep the suggested codings, or apply 'none apply' alone" if qdpx else
                   "write the codes that apply, copy 'suggested' to accept it, or 'none'")
            click.echo(f"nothing recorded from {reviewed}: {_count(review.skipped, unit)}, {empty} ({how})", err=True)
        else:
            click.echo(f"recorded {_count(review.codings, 'reviewed coding')} and {_count(review.no_code, 'response')} "
                       f"where no code applies ({none}) from {reviewed}; {_count(review.skipped, unit)} left without "
                       f"codes skipped", err=True)
    with progress_bar("coding", unit="response", quiet=quiet, ticking=True) as bar:
        run = code(graph, question=question, rules=not no_rules, model=not no_model, seed=seed, level=level,
                   language=language, embeddings=embeddings, workers=workers,
                   progress=lambda step, done, total: bar(done, total, step=step))
    from consultgraph.coding.positions import code_positions

    # a response's overall position (agree/disagree/unclear), where people gave some to learn from
    placed = code_positions(run.graph, question=question and _question_id(run.graph, question), seed=seed)
    run.graph = placed.graph
    run.graph.save(project)
    coders = ", ".join(filter(None, [run.rules_coder, *sorted(set(run.model_coders.values()))])) or "none"
    click.echo(f"{project}: coded {run.responses} responses, {run.machine_codings} machine codings "
               f"({coders}) in {time.perf_counter() - started:.1f}s", err=True)
    for row in placed.summary:
        if row["coder"] is None:
            click.echo(f"positions of {row['question']}: no model ({row['note']})", err=True)
            continue
        accuracy = "not cross-validated (too few)" if row["accuracy"] is None else f"{row['accuracy']:.2f}"
        click.echo(f"positions of {row['question']}: {row['machine']} by {row['coder']} (mean confidence "
                   f"{row['mean_confidence']:.2f}), learned from people's {row['human']}; out-of-fold accuracy "
                   f"{accuracy} vs {row['majority_share']:.2f} for the commonest position", err=True)
    if review_count is not None:
        from consultgraph.coding.review import INSTRUCTIONS, REVIEW_COLUMNS, codebook_rows, review_items
        from consultgraph.outputs.review import write_review

        rows = review_items(run, review_count, seed=seed)
        if not rows:
            click.echo(f"nothing to review: each of the {_count(len(run.graph.responses()), 'response')} has people's "
                       f"codes or a 'none' answer; {output} not written", err=True)
            emit(run.summary, fmt, None)
            return
        path = write_review(rows, codebook_rows(run.graph), output, columns=REVIEW_COLUMNS)
        how = ("in each source, keep, delete or add codes; apply 'none apply' alone when no code fits; "
               "a source left without codes is skipped") if str(path).lower().endswith(".qdpx") else " ".join(INSTRUCTIONS)
        click.echo(f"wrote {len(rows)} responses to review to {path}. {how}", err=True)
        emit(run.summary, fmt, None)
    else:
        emit(run.summary, fmt, output)


def _count(n, noun):
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _question_id(graph, question):
    """The id of the question ``code --question`` names (id, its last part or label); as given if none matches."""
    questions = graph.questions()
    for asked, label in zip(questions["id"], questions["label"]):
        if question in (asked, label, asked.split("/", 1)[-1]):
            return asked
    return question
