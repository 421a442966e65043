"""Commands that move data in and out: load, export."""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from pathlib import Path

import click

from consultgraph.cli.base import LazyEpilog, graph_option, main
from consultgraph.errors import InputError


def _loader_help():
    from consultgraph.loaders import loaders

    return "\b\nInput formats (detected from the file; --from to force):\n" + "\n".join(f"  {l.name:<12} {l.description}" for l in loaders())


def _named_columns(value):
    """``--text-columns`` as given, unless it names no column at all ('' or ',')."""
    if value is not None and not [c for c in value.split(",") if c.strip()]:
        raise click.BadParameter("names no column: give the answer columns, e.g. --text-columns q1,q2",
                                 param_hint="'--text-columns'")
    return value


@main.command(cls=LazyEpilog, epilog=_loader_help)
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True))
@click.option("--into", "project", required=True, type=click.Path(file_okay=False),
              help="Project folder to create or extend.")
@click.option("--from", "fmt", default=None, metavar="FORMAT",
              help="Input format for all FILES (default: detect); with '-', the format of standard input.")
@click.option("--namespace", default=None, help="Prefix of finding/quote ids (default: the file name).")
@click.option("--group-variable", default=None, help="qdpx: the case/source variable that names the stakeholder group.")
@click.option("--region-variable", default=None, help="qdpx: the case/source variable that names the region.")
@click.option("--respondent-per-source", is_flag=True, help="qdpx: each text source is one submission.")
@click.option("--map", "code_map", type=click.Path(exists=True, dir_okay=False), default=None,
              help="qdpx: CSV code,concept mapping QDA codes onto concepts.")
@click.option("--default-group", "group", default=None, help="qdpx: group of respondents without a group variable (default public).")
@click.option("--text-columns", default=None, metavar="A,B",
              callback=lambda ctx, param, value: _named_columns(value),
              help="The answer columns of free-text tables, one question each (such tables load as --from text).")
@click.option("--force", is_flag=True,
              help="Load even if the project was last written by this same load (same files, options and code).")
@click.option("-q", "--quiet", is_flag=True, help="No progress output.")
def load(files, project, fmt, namespace, group_variable, region_variable, respondent_per_source, code_map, group,
         text_columns, force, quiet):
    """Load FILES into a project, all or nothing; loading the same file again changes nothing.

    If the project's current state was written by loading these very files (same
    bytes, same order, same options, same consultgraph), the load is skipped after
    hashing them: nothing is parsed or written. --force loads them again.

    \b
    Examples:
      consultgraph load submissions.csv --into my-project
      consultgraph load codes.ttl crosstab.xlsx findings.yaml --into my-project
      consultgraph load segments.jsonl --from long --into my-project
      consultgraph load study.qdpx --respondent-per-source --default-group partner --into my-project
      consultgraph load study.qdpx --group-variable Stakeholder --region-variable Region --into my-project
      consultgraph load ../shared/data/polis/15-per-hour-seattle --into public
      some-export-tool | consultgraph load - --from long --into my-project
      consultgraph load answers.csv --text-columns q1,q2 --into my-project
      consultgraph load submissions/ --into my-project       # documents + manifest.csv
      consultgraph load ../shared/data/consultations/consult/gambling_XS --into gambling
      consultgraph load submissions.csv --into my-project --force   # even if already loaded
    """
    if "-" in files:
        if files.count("-") > 1:
            raise click.UsageError("standard input ('-') can be read only once")
        if not fmt:
            raise click.UsageError("reading standard input needs --from FORMAT (e.g. --from long; see load --help)")
    with _stdin_spooled(files, fmt) as (files, stdin_path):
        try:
            # with standard input, --from names its format; the files beside it are detected
            formats = {str(stdin_path): fmt} if stdin_path is not None else fmt
            _load(files, project, formats, namespace, quiet, force,
                  {"group_variable": group_variable, "region_variable": region_variable,
                   "respondent_per_source": respondent_per_source, "code_map": code_map, "group": group,
                   "text_columns": text_columns})
        except InputError as error:
            if stdin_path is not None and error.file == str(stdin_path):
                error.file = "<stdin>"
            raise


@contextlib.contextmanager
def _stdin_spooled(files, fmt):
    """Standard input saved to a temporary file the loaders can read (and removed after)."""
    if "-" not in files:
        yield list(files), None
        return
    from consultgraph.loaders import stdin_suffix

    data = sys.stdin.buffer.read()
    if not data.strip():
        raise InputError("standard input is empty", file="<stdin>")
    with tempfile.TemporaryDirectory(prefix="consultgraph-stdin-") as folder:
        path = Path(folder) / f"stdin{stdin_suffix(data, fmt)}"
        path.write_bytes(data)
        yield [str(path) if f == "-" else f for f in files], path


def _load(files, project, fmt, namespace, quiet, force, options):
    from consultgraph.loaders import load as load_files
    from consultgraph.queries.opinion_groups import opinion_group_records

    started = time.perf_counter()
    import sys

    # a bar on standard error only when it is a terminal: logs and pipes stay clean (and
    # without one, tqdm is not imported: 0.03 s of a Pol.is load's CPU)
    drawn = not quiet and sys.stderr.isatty()
    if drawn:
        from tqdm import tqdm

        bar = tqdm(total=len(files) + 2, desc="loading", unit="step", file=sys.stderr, leave=False)

    def progress(step, detail=None):
        if drawn:
            bar.set_description(f"{step} {detail or ''}"[:60])
            bar.update(1)

    try:
        report = load_files(list(files), into=project, fmt=fmt, namespace=namespace, progress=progress, options=options,
                            steps=(opinion_group_records,), force=force)
    finally:
        if drawn:
            bar.close()
    if report.unchanged:
        loaded = ", ".join(f"{entry['file']} (sha256 {entry['sha256'][:12]}…)" for entry in report.files)
        click.echo(f"already loaded: {loaded}, nothing to do; --force to load again", err=True)
        return
    added_nodes = report.nodes_after - report.nodes_before
    added_edges = report.edges_after - report.edges_before
    click.echo(
        f"{project}: {report.nodes_after} nodes ({added_nodes:+d}), {report.edges_after} relationships "
        f"({added_edges:+d}) from {len(files)} file(s) in {time.perf_counter() - started:.1f}s"
        + ("; nothing changed" if added_nodes == 0 and added_edges == 0 and report.nodes_before else ""),
        err=True,
    )
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    offsets = report.quote_offsets
    if offsets is not None and offsets.attempted:
        how = ", ".join(f"{n} {w}" for n, w in ((offsets.exact, "exactly"), (offsets.folded, "ignoring case and spacing"),
                                                (offsets.fuzzy, "by fuzzy alignment")) if n)
        click.echo(f"quotes without offsets: {offsets.located} of {offsets.attempted} located in their responses"
                   + (f" ({how})" if how else "")
                   + (f"; {len(offsets.unlocated)} not found, kept without offsets (first: '{offsets.unlocated[0][1][:60]}')"
                      if offsets.unlocated else ""), err=True)


def _export_help():
    from consultgraph.outputs.export import exporters

    return "\b\nFormats:\n" + "\n".join(f"  {e.name:<9} {e.description}" for e in exporters())


@main.command(cls=LazyEpilog, epilog=_export_help)
@graph_option
@click.option("-f", "--format", "fmt", default=None, metavar="FORMAT",
              help="Export format [default: from -o's extension (.qdpx, .ttl, .graphml ...), else json].")
@click.option("-o", "--output", required=True, type=click.Path(), help="File (a folder for csv) to write.")
@click.option("--anonymise", is_flag=True, help="Replace respondent ids and names by stable pseudonyms.")
@click.option("--salt", envvar="CONSULTGRAPH_SALT", default="", help="Secret mixed into pseudonyms (or $CONSULTGRAPH_SALT).")
def export(graph, fmt, output, anonymise, salt):
    """Write the whole graph in another format.

    \b
    Examples:
      consultgraph export -f json -o amnesty.json
      consultgraph export -f csv -o tables/          # nodes.csv, edges.csv, findings.csv
      consultgraph export -g my-project -f graphml -o my-project.graphml
      consultgraph export -g my-project -o for-nvivo.qdpx   # every respondent a case: codings, stances, quotes
      consultgraph export -g my-project -f json --anonymise --salt "$SECRET" -o shareable.json
    """
    from consultgraph.outputs.export import anonymise as make_anonymous
    from consultgraph.outputs.export import export as write
    from consultgraph.outputs.export import format_for, summary

    fmt = format_for(output, fmt)
    if anonymise:
        graph = make_anonymous(graph, salt=salt)
    path = write(graph, fmt, output)
    click.echo(f"wrote {summary(graph, fmt, path)} to {path}", err=True)
