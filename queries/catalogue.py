"""The catalogue of named analyst questions, each in Python, SPARQL and Cypher.

Each question is a file ``queries/catalogue/<name>.yaml`` with declared parameters, a
Cypher text, a SPARQL text and the name of its Python implementation. All three return
the same rows (a test checks this on the built-in dataset and on a tiny consultation);
an optional shared post-processing step (e.g. pivoting counts into divergences) is
applied to whichever language ran.

The engines: Python (the graph's tables), embedded Cypher (LadybugDB,
:mod:`consultgraph.graph.ladybug`), embedded SPARQL (Oxigraph,
:mod:`consultgraph.graph.oxigraph`), Neo4j and any SPARQL endpoint (Fuseki). Parameters
are bound, never pasted: Cypher engines get driver parameters; SPARQL gets an inline
``VALUES`` block of serialised terms.
"""

from __future__ import annotations

import functools
import importlib
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from consultgraph.errors import QueryError, UnknownNameError

CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogue"
LANGUAGES = ("python", "sparql", "cypher")


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    description: str = ""
    default: object = None


@dataclass(frozen=True)
class Query:
    """A named question with its three texts."""

    name: str
    description: str
    params: tuple
    columns: tuple
    cypher: str
    sparql: str
    python: str
    post: str | None = None
    distinct: bool = False

    def bind(self, graph, values):
        """Check and normalise parameter values: node ids resolved through labels, kinds checked."""
        values = dict(values or {})
        unknown = set(values) - {p.name for p in self.params}
        if unknown:
            raise QueryError(
                f"query '{self.name}' has no parameter '{sorted(unknown)[0]}'; "
                f"its parameters: {', '.join(p.name for p in self.params) or 'none'}"
            )
        bound = {}
        for param in self.params:
            value = values.get(param.name, param.default)
            if value is None:
                raise QueryError(f"query '{self.name}' needs --param {param.name}=... ({param.description})")
            if param.type == "node":
                value = str(value)
                if value not in graph.concepts and graph.nodes["id"].eq(value).sum() == 0:
                    value = graph.concepts.resolve(value, field=param.name)
            elif param.type == "kind":
                from consultgraph.graph.model import load_schema

                schema = load_schema()
                kinds = {k.lower(): k for k in schema.node_kinds}
                kinds.update({v.prefix: k for k, v in schema.node_kinds.items()})
                key = str(value).strip()
                if key not in schema.node_kinds:
                    if key.lower() not in kinds:
                        raise QueryError(f"'{value}' is not a node kind; use one of: {', '.join(sorted(schema.node_kinds))}")
                    key = kinds[key.lower()]
                value = key
            bound[param.name] = value
        return bound


@functools.lru_cache(maxsize=1)
def catalogue():
    """All catalogue queries by name."""
    queries = {}
    for path in sorted(CATALOGUE_DIR.glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
        params = tuple(
            Param(name, spec.get("type", "string"), spec.get("description", ""), spec.get("default"))
            for name, spec in (data.get("params") or {}).items()
        )
        queries[data["name"]] = Query(
            name=data["name"],
            description=" ".join(data.get("description", "").split()),
            params=params,
            columns=tuple(data["columns"]),
            cypher=data["cypher"],
            sparql=data["sparql"],
            python=data["python"],
            post=data.get("post"),
            distinct=bool(data.get("distinct")),
        )
    return queries


def get(name):
    try:
        return catalogue()[name]
    except KeyError:
        raise UnknownNameError("query", name, catalogue()) from None


# ---------------------------------------------------------------- running


def normalise_rows(rows, columns):
    """Rows as tuples of plain values (ints for whole numbers), sorted: comparable across languages."""
    # only rows made with pandas can hold its missing values; the engines' rows come without importing it
    pandas = sys.modules.get("pandas")
    out = []
    for row in rows:
        values = []
        for column in columns:
            value = row.get(column)
            if hasattr(value, "toPython"):
                value = value.toPython()
            if (pandas is not None and value is not None and not isinstance(value, (str, list, dict, tuple))
                    and pandas.isna(value)):
                value = None
            if hasattr(value, "item"):
                value = value.item()
            if isinstance(value, float):
                value = None if math.isnan(value) else (int(value) if value.is_integer() else round(value, 6))
            values.append(value)
        out.append(dict(zip(columns, values)))
    out.sort(key=lambda r: json.dumps([r[c] for c in columns], default=str))
    return out


def run(graph, name, params=None, *, language="python", post=True, neo4j=None, sparql=None, sparql_graph=None):
    """Run catalogue query ``name`` on ``graph`` in ``language`` and return its rows.

    ``neo4j`` (a :class:`consultgraph.graph.neo4j.Neo4jBackend`) runs the Cypher text on
    a server instead of the embedded engine; ``sparql`` (a
    :class:`consultgraph.graph.endpoint.SparqlEndpoint`) runs the SPARQL text on an endpoint.
    """
    query = get(name)
    bound = query.bind(graph, params)
    if language == "python":
        module, function = query.python.split(":")
        rows = getattr(importlib.import_module(module), function)(graph, **bound)
    elif language == "sparql" and sparql is not None:
        rows = sparql.query(query.sparql, sparql_bindings(query, bound), graph_iri=sparql_graph)
    elif language == "sparql":
        rows = run_sparql(graph, query.sparql, sparql_bindings(query, bound))
    elif language == "cypher":
        if neo4j is not None:
            rows = neo4j.run(query.cypher, bound)
        else:
            rows = run_cypher(graph, query.cypher, bound)
    else:
        raise UnknownNameError("query language", language, LANGUAGES)
    rows = normalise_rows(rows, query.columns)
    if query.distinct:
        rows = [dict(t) for t in dict.fromkeys(tuple(r.items()) for r in rows)]
    if post and query.post:
        rows = POST[query.post](rows, bound)
    return rows


def sparql_bindings(query, bound):
    from rdflib import URIRef

    from consultgraph.graph.model import load_schema, node_iri

    schema = load_schema()
    out = {}
    for param in query.params:
        value = bound[param.name]
        if param.type == "node":
            out[param.name] = node_iri(value)
        elif param.type == "kind":
            out[param.name] = URIRef(schema.node_kinds[value].iri)
        else:
            from rdflib import Literal

            out[param.name] = Literal(value)
    return out


def run_sparql(graph, text, bindings=None):
    """Run SPARQL on the graph's embedded Oxigraph store (read-only); rows as dicts of Python values."""
    from consultgraph.graph.oxigraph import engine

    return engine(graph).run(text, bindings or {})


def run_cypher(graph, text, params=None):
    """Run Cypher on the embedded engine (LadybugDB, read-only); rows as dicts.

    See :mod:`consultgraph.graph.ladybug` for the dialect differences from Neo4j.
    """
    from consultgraph.graph.ladybug import engine

    return engine(graph).run(text, params or {})


# ---------------------------------------------------------------- Python implementations


def _findings(graph):
    return graph.findings()


def _clean(value):
    if value is None:
        return None
    try:
        if value != value:
            return None
    except (TypeError, ValueError):
        pass
    return value.item() if hasattr(value, "item") else value


def py_group_sizes(graph):
    findings = _findings(graph)
    sizes = findings[findings["measure"] == "size"]
    return [{"group": g, "size": _clean(c)} for g, c in zip(sizes["group"], sizes["count"])]


def py_respondents_per_group(graph):
    people = graph.respondents()
    counts = people.groupby("group")["id"].count()
    return [{"group": g, "respondents": int(n)} for g, n in counts.items()]


def _published_shares(graph):
    """Share findings as the shares module reads them (one row per finding, stated figures)."""
    from consultgraph.queries.shares import finding_shares

    rows = finding_shares(graph)
    return rows[rows["measure"] == "share"]


def py_divergence(graph, group_a, group_b, kind):
    sub = _published_shares(graph)
    sub = sub[sub["group"].isin([group_a, group_b]) & (sub["kind"] == kind)]
    return [
        {"group": r.group, "concept": r.concept, "stance": r.finding_stance, "count": _clean(r.count),
         "base": _clean(r.stated_base), "reported_percent": _clean(r.reported_percent)}
        for r in sub.itertuples()
    ]


def py_codings_per_group(graph, kind):
    codings = graph.codings()
    codings = codings[codings["kind"] == "MENTIONS"]
    kinds = {c.id: c.kind for c in graph.concepts.concepts}
    codings = codings[codings["concept"].map(kinds) == kind]
    counts = codings.groupby(["group", "concept", "stance"])["respondent"].nunique()
    return [{"group": g, "concept": c, "stance": s, "respondents": int(n)} for (g, c, s), n in counts.items()]


def py_stance_split(graph, concept):
    from consultgraph.queries.shares import finding_shares

    rows = finding_shares(graph)
    sub = rows[(rows["concept"] == concept) & rows["finding_stance"].isin(["lead", "support", "drop"])]
    return [
        {"group": r.group, "stance": r.finding_stance, "count": _clean(r.count), "base": _clean(r.stated_base),
         "reported_percent": _clean(r.reported_percent)}
        for r in sub.itertuples()
    ]


def _quote_rows(graph):
    quotes = graph.table("Quote")
    if "text" not in quotes:  # a project without quotes has no text column
        quotes = quotes.assign(text=None)
    own_group = dict(zip(graph.edges_of("FOR_GROUP")["source"], graph.edges_of("FOR_GROUP")["target"]))
    illustrates = graph.edges_of("ILLUSTRATES")
    return quotes, own_group, illustrates


def py_quotes_by_group(graph, concept, group):
    quotes, own_group, illustrates = _quote_rows(graph)
    about = set(illustrates.loc[illustrates["target"] == concept, "source"])
    rows = []
    for row in quotes.itertuples():
        if row.id in about and own_group.get(row.id) == group:
            rows.append({"quote": row.id, "text": row.text, "source_line": _clean(getattr(row, "source_line", None))})
    return rows


def py_quotes_by_region(graph, concept, region):
    quotes, _, illustrates = _quote_rows(graph)
    about = set(illustrates.loc[illustrates["target"] == concept, "source"])
    people = graph.respondents().set_index("id")
    said = graph.edges_of("SAID")
    text = dict(zip(quotes["id"], quotes["text"]))
    rows = []
    for respondent, quote in zip(said["source"], said["target"]):
        if quote in about and respondent in people.index and people.loc[respondent, "region"] == region:
            rows.append({"quote": quote, "respondent": respondent, "text": text.get(quote)})
    return rows


def py_raised_by_every_group(graph, kind):
    sub = _published_shares(graph)
    sub = sub[sub["kind"] == kind]
    raised = (sub["count"].fillna(0) > 0) | (sub["reported_percent"].fillna(0) > 0)
    pairs = {(c, g) for c, g in zip(sub.loc[raised, "concept"], sub.loc[raised, "group"])}
    return [{"concept": c, "group": g} for c, g in pairs]


def py_quotes_attributed(graph, concept, region):
    quotes = _quote_rows(graph)[0]
    lines = quotes["source_line"] if "source_line" in quotes else [None] * len(quotes)
    about = set(graph.edges_of("ILLUSTRATES").query("target == @concept")["source"])
    speakers, own_regions = {}, {}
    for respondent, quote in zip(graph.edges_of("SAID")["source"], graph.edges_of("SAID")["target"]):
        speakers.setdefault(quote, []).append(respondent)
    for quote, place in zip(graph.edges_of("IN_REGION")["source"], graph.edges_of("IN_REGION")["target"]):
        own_regions.setdefault(quote, []).append(place)
    based = dict(zip(graph.edges_of("BASED_IN")["source"], graph.edges_of("BASED_IN")["target"]))
    member = dict(zip(graph.edges_of("MEMBER_OF")["source"], graph.edges_of("MEMBER_OF")["target"]))
    own_group = dict(zip(graph.edges_of("FOR_GROUP")["source"], graph.edges_of("FOR_GROUP")["target"]))
    rows = []
    for quote, text, line in zip(quotes["id"], quotes["text"], lines):
        if quote not in about or not isinstance(text, str):
            continue
        for respondent in speakers.get(quote, [None]):
            places = [based[respondent]] if respondent in based else own_regions.get(quote, [])
            group = member.get(respondent) or own_group.get(quote)
            if region in places:
                rows.append({"quote": quote, "text": text, "respondent": respondent, "group": group,
                             "source_line": _clean(line)})
    return rows


def _raisers(graph):
    """``concept -> {respondent: group}`` over MENTIONS and PROPOSES."""
    codings = graph.codings()
    raisers = {}
    for respondent, concept, group in zip(codings["respondent"], codings["concept"], codings["group"]):
        raisers.setdefault(concept, {})[respondent] = group
    return raisers


def py_raised_by_one_group_only(graph, group_a, group_b, kind):
    """From the shares table: concepts group A's respondents raise (count > 0) and group B's never do."""
    from consultgraph.queries.shares import RAISED, shares

    table = shares(graph)
    raised = table[(table["stance"] == RAISED) & (table["basis"] == "respondents") & (table["kind"] == kind)]
    count = {(g, c): int(n) for g, c, n in zip(raised["group"], raised["concept"], raised["count"])}
    return [{"concept": c, "respondents": n} for (g, c), n in count.items()
            if g == group_a and n > 0 and count.get((group_b, c), 0) == 0]


def py_bridging_respondents(graph, group_a, group_b):
    rows = []
    for concept, people in _raisers(graph).items():
        in_a = [r for r, g in people.items() if g == group_a]
        if len(in_a) == 1 and group_b in people.values():
            rows.append({"respondent": in_a[0], "concept": concept})
    return rows


def py_percent_mismatch(graph):
    findings = _findings(graph)
    known = findings[findings["count"].notna() & findings["base"].notna() & findings["reported_percent"].notna()]
    known = known[known["base"] > 0]
    rows = []
    for row in known.itertuples():
        computed = 100.0 * int(row.count) / int(row.base)
        if abs(computed - float(row.reported_percent)) >= 1.0:
            rows.append({"finding": row.id, "count": int(row.count), "base": int(row.base),
                         "reported_percent": float(row.reported_percent), "computed_percent": computed,
                         "source_line": _clean(row.source_line)})
    return rows


# ---------------------------------------------------------------- shared post-processing


def _post_divergence(rows, params):
    from consultgraph.queries.shares_format import RAISED, format_share

    a, b = params["group_a"], params["group_b"]
    table = {}
    for row in rows:
        # a finding with no stance (or "mention") says the group raised the concept: the
        # shares table's and compare's "raised" row; lead / support / drop keep their name
        stance = RAISED if row["stance"] in (None, "mention") else row["stance"]
        key = (row["concept"], stance)
        table.setdefault(key, {})[row["group"]] = row
    out = []
    for (concept, stance), cells in table.items():
        entry = {"concept": concept, "stance": stance}
        shares = []
        for tag, group in (("a", a), ("b", b)):
            cell = cells.get(group, {})
            count, base = cell.get("count"), cell.get("base")
            entry[f"count_{tag}"], entry[f"base_{tag}"] = count, base
            share = round(count / base, 6) if count is not None and base else None
            entry[f"share_{tag}"] = share
            # the same text as every view, from the stated figures
            entry[f"cell_{tag}"] = format_share(count, base, cell.get("reported_percent")) if cell else "not reported"
            shares.append(share)
        entry["difference_points"] = None if None in shares else round((shares[0] - shares[1]) * 100, 1)
        out.append(entry)
    out.sort(key=lambda r: (r["difference_points"] is None, -abs(r["difference_points"] or 0), r["concept"], str(r["stance"])))
    return out


def _post_every_group(rows, params):
    groups = {r["group"] for r in rows}
    by_concept = {}
    for row in rows:
        by_concept.setdefault(row["concept"], set()).add(row["group"])
    return [
        {"concept": c, "groups": len(gs), "of_groups": len(groups)}
        for c, gs in sorted(by_concept.items())
        if gs == groups
    ]


POST = {"divergence": _post_divergence, "every-group": _post_every_group}


def display_rows(rows):
    """Rows for a human table: a stance is named as compare names it ("raised (any stance)").

    Data formats (CSV, JSON) keep the stance's value ("raised"), as compare's do.

    Examples
    --------
    >>> display_rows([{"concept": "tactic/research", "stance": "raised"}])
    [{'concept': 'tactic/research', 'stance': 'raised (any stance)'}]
    """
    from consultgraph.queries.shares_format import stance_label

    return [row | {"stance": stance_label(row["stance"])} if "stance" in row else row for row in rows]
