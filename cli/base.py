"""The root command, shared options and error handling of the CLI."""

from __future__ import annotations

import functools
import os
import sys

import click

from consultgraph import __version__
from consultgraph.errors import ConsultGraphError
from consultgraph.outputs.render import FORMATS, render

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Root(click.Group):
    """Turns consultgraph errors into one clear line and exit code 1 (2 for usage)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ConsultGraphError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(1)
        except BrokenPipeError:  # e.g. `consultgraph quotes | head`
            sys.exit(0)


@click.group(cls=Root, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="consultgraph")
def main():
    """consultgraph: a stakeholder consultation as a knowledge graph.

    Load coded submissions, published findings, quotes and concept schemes into a
    project; ask where stakeholder groups diverge and agree, what the numbers add up
    to, and who said what. Without --graph, commands use the built-in dataset
    amnesty-2019 (Amnesty International's 2019 strategy consultation).

    \b
    Examples:
      consultgraph stats
      consultgraph compare --groups partner,national-entity --by tactic
      consultgraph load submissions.csv --into my-project
      consultgraph compare -g my-project --groups partner,public --by theme -f xlsx -o out.xlsx
    """


def graph_option(function):
    """``-g/--graph PROJECT``: a project folder or built-in dataset name (default amnesty-2019)."""

    @click.option(
        "-g",
        "--graph",
        "graph_spec",
        metavar="PROJECT",
        default=lambda: os.environ.get("CONSULTGRAPH_GRAPH"),
        help="Project folder, or a built-in dataset name. Default: $CONSULTGRAPH_GRAPH, else amnesty-2019.",
    )
    @functools.wraps(function)
    def wrapper(*args, graph_spec=None, **kwargs):
        from consultgraph.loaders import open_graph

        return function(*args, graph=open_graph(graph_spec), **kwargs)

    return wrapper


def output_options(function):
    """``-f/--format`` and ``-o/--output`` for every read command."""

    @click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
                  help="Output format (xlsx needs -o).")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
                  help="Write to this file (atomically) instead of standard output.")
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        if kwargs.get("fmt") == "xlsx" and not kwargs.get("output"):
            raise click.UsageError("xlsx needs an output file: add -o FILE.xlsx")
        return function(*args, **kwargs)

    return wrapper


def emit(rows, fmt, output, columns=None, sheet="results"):
    """Render rows to stdout or to ``output``; says where a file went on stderr."""
    if fmt == "xlsx" and not output:
        raise click.UsageError("xlsx needs an output file: add -o FILE.xlsx")
    result = render(rows, fmt, output, columns=columns, sheet=sheet)
    if output:
        click.echo(f"wrote {len(rows)} rows to {result}", err=True)
    else:
        click.echo(result, nl=False)
