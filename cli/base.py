"""The root command, shared options and error handling of the CLI."""

from __future__ import annotations

import functools
import gc
import os
import re
import sys
from pathlib import Path

import click

from consultgraph import __version__
from consultgraph.errors import ConsultGraphError
from consultgraph.outputs.render import FORMATS, render, resolve_format

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Root(click.Group):
    """Turns consultgraph errors into one clear line and exit code 1 (2 for usage)."""

    def main(self, *args, **kwargs):
        # OpenBLAS (numpy and scipy each load a copy) starts a worker thread per core when
        # it is loaded, and each worker busy-waits 2**28 cycles for work before it sleeps,
        # at start-up and after every threaded BLAS call: ~0.2 s of CPU per Pol.is load
        # for nothing (its matrices are a few hundred rows). Workers now sleep after 2**16
        # cycles; they still serve large products. Read when OpenBLAS loads, so set before
        # any command imports numpy; a value the user set wins.
        os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "16")
        # A command imports large libraries (pandas, pyarrow, scikit-learn: some 135,000
        # objects that live as long as the process) before its work; CPython's default
        # full collections walk them all again each time they grow by a quarter (3 full
        # collections, 0.14-0.17 s of a Pol.is load's 2.5 s). Full collections 10x rarer;
        # young garbage is collected as before.
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, 100)
        return super().main(*args, **kwargs)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ConsultGraphError as error:
            click.echo(f"Error: {error}", err=True)
            sys.exit(1)
        except BrokenPipeError:  # e.g. `consultgraph quotes | head`
            sys.exit(0)


class LazyEpilog(click.Command):
    """A command whose epilog is a function, called only when its help is shown.

    Epilogs list registries (input formats, exporters, catalogue queries); building them
    at import would load every registry's module for every command, even ``--help``.
    """

    def format_epilog(self, ctx, formatter):
        if callable(self.epilog):
            self.epilog = self.epilog()
        super().format_epilog(ctx, formatter)


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


class KindChoice(click.Choice):
    """One node kind, by its CLI name or an alias (``tactics``), converted to its CLI name.

    The names come from ``schema/ontology.ttl`` (:func:`consultgraph.graph.model.normalise_kind`)
    and are read when first needed, so importing the CLI does not parse the ontology.
    """

    def __init__(self, kinds=None, *, extra_kinds=()):
        self._kinds, self._extra_kinds, self._choices = kinds, tuple(extra_kinds), None
        self.case_sensitive = False

    def allowed(self):
        """The class names this option takes: ``kinds`` (a callable giving them; default the
        codeable kinds) and the extra ones."""
        from consultgraph.graph.model import codeable_kinds

        return tuple((self._kinds or codeable_kinds)()) + self._extra_kinds

    @property
    def choices(self):
        if self._choices is None:
            from consultgraph.graph.model import kind_names

            self._choices = kind_names(self.allowed())
        return self._choices

    @choices.setter
    def choices(self, value):
        self._choices = tuple(value)

    def name_of(self, word, param, ctx):
        from consultgraph.errors import UnknownNameError
        from consultgraph.graph.model import cli_name, normalise_kind

        try:
            return cli_name(normalise_kind(word, self.allowed()))
        except UnknownNameError:
            self.fail(f"{word!r} is not one of {', '.join(map(repr, self.choices))}.", param, ctx)

    def convert(self, value, param, ctx):
        return self.name_of(value, param, ctx)


class KindList(KindChoice):
    """Node kinds, comma-separated (``group,tactic``), each as :class:`KindChoice` takes it."""

    name = "kinds"

    def get_metavar(self, param, ctx=None):
        return "[" + "|".join(self.choices) + "],..."

    def convert(self, value, param, ctx):
        words = [word.strip() for word in str(value).split(",") if word.strip()]
        return ",".join(self.name_of(word, param, ctx) for word in words)


def graph_option(function):
    """``-g/--graph PROJECT`` (a project folder or built-in dataset name, default amnesty-2019)
    and ``--coder`` (whose codings the command reads: people's, the machine's, or both)."""

    @click.option(
        "-g",
        "--graph",
        "graph_spec",
        metavar="PROJECT",
        default=lambda: os.environ.get("CONSULTGRAPH_GRAPH"),
        help="Project folder, or a built-in dataset name. Default: $CONSULTGRAPH_GRAPH, else amnesty-2019.",
    )
    @click.option(
        "--coder",
        default="auto",
        show_default=True,
        metavar="auto|human|machine|all|NAME",
        help="Whose codings to use: auto = people's where they coded a response, the machine's elsewhere.",
    )
    @functools.wraps(function)
    def wrapper(*args, graph_spec=None, coder="auto", **kwargs):
        from consultgraph.graph.coders import CODER_CHOICES
        from consultgraph.loaders import open_graph

        check_project_spec(graph_spec)
        graph = open_graph(graph_spec).with_coder(coder)
        if coder not in CODER_CHOICES:
            graph.codings()  # a coder's name is checked before anything is written, not after
        result = function(*args, graph=graph, **kwargs)
        _say_coders(graph)
        return result

    return wrapper


def campaign_option(function):
    """``--campaigns count|one|exclude``: how responses in a campaign count (see `consultgraph campaigns`)."""
    from consultgraph.graph.campaigns import CAMPAIGN_MODES

    return click.option(
        "--campaigns", "campaigns", type=click.Choice(CAMPAIGN_MODES), default="count", show_default=True,
        help="Campaigns found by `consultgraph campaigns`: count every member, count each campaign once, "
             "or exclude their members.")(function)


#: An IRI (``https://...``, ``urn:...``): what a SPARQL named graph is called, never a project.
_IRI = re.compile(r"^(?!builtin:)[A-Za-z][A-Za-z0-9+.-]+:(//|[^/\\])")


def check_project_spec(spec):
    """``-g`` is always the project: an IRI there is a usage error that names ``--named-graph``."""
    if spec and _IRI.match(str(spec)) and not Path(spec).exists():
        raise click.UsageError(f"-g/--graph names a project, not the IRI '{spec}': a SPARQL named graph is "
                               "given with --named-graph IRI")


def _say_coders(graph):
    """On stderr, how many responses the command read people's and the machine's codes for,
    and (free text) what its shares are out of."""
    from consultgraph.graph.codings import CODING_KINDS, base_description
    from consultgraph.graph.consultation import MACHINE_PREFIX, is_machine

    summary = graph.summary()  # stored with the project: no codings are read to know
    if not summary["edges_by_kind"].get("WROTE") or not any(summary["edges_by_kind"].get(k) for k in CODING_KINDS):
        return  # coded submissions (every member is the base), or free text nobody coded yet
    coders = summary.get("coders")
    if coders is None or any(str(c).startswith(MACHINE_PREFIX) for c in coders):
        every = graph.codings("all")
        if len(every) and is_machine(every["coder"]).any():
            used = graph.coders_used()
            click.echo(f"codings used (--coder {graph.coder}): people's for {used['human']} responses, "
                       f"the machine's for {used['machine']}", err=True)
    click.echo(f"base (--coder {graph.coder}): {base_description(graph, graph.coder)}", err=True)


def output_options(function):
    """``-f/--format``, ``-o/--output`` and ``--wide`` for every read command.

    Without ``-f`` the format follows ``-o``'s extension (``out.xlsx`` is a workbook,
    ``out.csv`` CSV, anything else a text table); ``-o -`` is standard output.
    """

    @click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default=None,
                  help="Output format [default: from -o's extension, else table]. xlsx needs -o FILE.xlsx.")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True), default=None,
                  help="Write to this file (atomically) instead of standard output; '-' is standard output.")
    @click.option("--wide", is_flag=True, help="Plain table: every cell in full on one line, flags spelt out per row.")
    @functools.wraps(function)
    def wrapper(*args, fmt=None, output=None, wide=False, **kwargs):
        fmt = resolve_format(fmt, output)
        output = None if output == "-" else output
        if fmt == "xlsx" and not output:
            raise click.UsageError("xlsx cannot go to standard output: add -o FILE.xlsx")
        click.get_current_context().meta["consultgraph.wide"] = wide
        return function(*args, fmt=fmt, output=output, **kwargs)

    return wrapper


def use_color(stream=None):
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


def emit(rows, fmt, output, columns=None, sheet="results"):
    """Render rows to stdout or to ``output``; says where a file went on stderr."""
    if fmt == "xlsx" and not output:
        raise click.UsageError("xlsx cannot go to standard output: add -o FILE.xlsx")
    wide = click.get_current_context().meta.get("consultgraph.wide", False)
    rows = list(rows)
    result = render(rows, fmt, output, columns=columns, sheet=sheet, wide=wide,
                    color=not output and use_color())
    if output:
        click.echo(f"wrote {len(rows)} rows to {result}", err=True)
    else:
        click.echo(result, nl=False)
