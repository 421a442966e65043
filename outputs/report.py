"""The consultation report: one self-contained HTML file a researcher can open offline and send on.

Sections follow the questions the dataset declares (its metadata; the built-in dataset's
are the 2019 questionnaire's), else one section per kind of concept in the data: top
concepts per group, the largest divergences, consensus and contention (the same functions
and parameters as the CLI, which the page prints), stances, what the source says in words,
illustrative quotes; then the audit of the published numbers and the interactive graph.
Every figure is the shares table's text; the source's caveats stand under what they qualify. Charts are inline SVG images, the graph an
``iframe srcdoc``; every text from the data is HTML-escaped.
"""

from __future__ import annotations

import base64
import datetime as _dt

from consultgraph import __version__
from consultgraph.errors import ConsultGraphError
from consultgraph.outputs.html import Markup, h, tag, table
from consultgraph.queries.shares import stance_label


def kind_heading(by):
    """The heading of a concept kind (a ``--by`` name): its schema label in the plural.

    >>> kind_heading("partner-type"), kind_heading("approach")
    ('Partner types', 'Approaches')
    """
    from consultgraph.graph.model import kind_label, normalise_kind

    label = kind_label(normalise_kind(by))
    return label + ("es" if label.endswith(("ch", "sh", "s", "x")) else "s")


TOP_CONCEPTS = 5
TOP_DIVERGENCES = 6
QUOTES_PER_SECTION = 6
WORDS_PER_SECTION = 8


# ---------------------------------------------------------------------------- data
def questions(graph):
    """The report's sections: the dataset's declared questions, else one per concept kind with figures.

    Examples
    --------
    >>> from consultgraph.loaders import builtin
    >>> [q.title for q in questions(builtin())][:2]
    ['Vision', 'Issues to lead, support or drop']
    """
    from consultgraph.graph.model import kind_names
    from consultgraph.queries.compare import BY_KINDS
    from consultgraph.queries.metadata import Question, dataset_metadata
    from consultgraph.queries.shares import shares

    declared = dataset_metadata(graph).questions
    if declared:
        return list(declared)
    present = set(shares(graph)["kind"].dropna())
    out = []
    codeable = kind_names()
    for by, kind in BY_KINDS.items():
        if kind in present and by in codeable:
            stances = ("lead", "support", "drop") if by == "theme" else ()
            out.append(Question(key=by, title=kind_heading(by), kinds=(by,), stances=stances,
                                intro=f"Which {kind_heading(by).lower()} each group raised, and how differently."))
    return out


def _group_candidates(graph):
    """Stakeholder groups that hold data: sizes, findings, respondents."""
    index = graph.concepts
    groups = set(graph.group_sizes())
    findings = graph.findings()
    groups |= set(findings["group"].dropna().unique())
    return sorted((g for g in groups if g in index and index[g].kind == "StakeholderGroup"),
                  key=lambda g: index[g].label)


def _has_data(row, group):
    return (row.get(f"{group}.share") is not None or row.get(f"{group}.count") is not None
            or str(row.get(f"{group}.cell") or "").startswith("qualitative"))


def _in_scope(graph, question, by, concept):
    """Whether a concept belongs to the question (approaches and ideas under its root)."""
    if question.root is None or question.root not in graph.concepts or by not in ("approach", "idea"):
        return True
    return concept in graph.concepts.descendants(question.root)


def _section_data(graph, question, groups):
    """Per kind the question compares: the groups with data, their comparison and pairwise divergences.

    Groups are the finest with data (a part's figures beat its whole's), so groups do
    not overlap; statistics come from pairwise comparisons, since a k-group test needs
    every group to report the concept.
    """
    from itertools import combinations

    from consultgraph.queries.compare import BY_KINDS, compare

    if len(groups) < 2:
        return []
    index = graph.concepts
    parts = []
    for by in question.kinds:
        first = compare(graph, groups, by, sort="divergence")
        scoped = [r for r in first.rows if _in_scope(graph, question, by, r["concept"])]
        with_data = [g for g in groups if any(_has_data(r, g) for r in scoped)]
        finest = [g for g in with_data if not any(g in index[o].broader for o in with_data if o != g)]
        if not finest:
            continue
        result = compare(graph, finest, by, sort="divergence") if len(finest) >= 2 else first
        rows = [r for r in result.rows if _in_scope(graph, question, by, r["concept"])]
        if question.stances and by == "theme":
            rows = [r for r in rows if r["stance"] in tuple(question.stances) + ("raised", None)]
        pairs = []
        for a, b in combinations(finest, 2):
            pair = compare(graph, [a, b], by, sort="divergence")
            for row in pair.rows:
                if row.get("difference_points") is None or not _in_scope(graph, question, by, row["concept"]):
                    continue
                if question.stances and by == "theme" and row["stance"] not in tuple(question.stances) + ("raised", None):
                    continue
                pairs.append((a, b, row, pair.group_labels))
        if rows:
            numeric = [g for g in finest if any(r.get(f"{g}.share") is not None for r in rows)]
            parts.append({"by": by, "kind": BY_KINDS[by], "result": result, "rows": rows, "groups": finest,
                          "numeric": numeric, "pairs": pairs})
    return parts


def cell_text(row, group):
    """A comparison cell for reading: the shares table's text, as every view shows it."""
    return row.get(f"{group}.cell") or ""


def _top_concepts(part):
    """Per group, the concepts with the highest shares (with their cells)."""
    out = {}
    for group in part["groups"]:
        # shares first, then bare counts ("20 respondents", base not stated)
        ranked = [r for r in part["rows"] if r.get(f"{group}.share") or r.get(f"{group}.count")]
        ranked.sort(key=lambda r: (r.get(f"{group}.share") is None, -(r.get(f"{group}.share") or 0),
                                   -(r.get(f"{group}.count") or 0), r["label"]))
        out[group] = [
            (r["label"] + (f" ({r['stance']})" if r["stance"] and r["stance"] != "raised" else ""), cell_text(r, group))
            for r in ranked[:TOP_CONCEPTS]
        ]
    return out


def _fmt_p(value):
    if value is None:
        return ""
    return f"{value:.2g}" if value >= 0.001 else f"{value:.1e}"


def _divergence_rows(part):
    """The largest pairwise differences, tested ones first."""
    pairs = sorted(part["pairs"], key=lambda p: (p[2].get("p_value") is None, -abs(p[2]["difference_points"]),
                                                   p[2]["label"]))
    out = []
    for a, b, row, labels in pairs[:TOP_DIVERGENCES]:
        out.append({
            "concept": row["label"],
            "stance": stance_label(row["stance"]),
            "first": f"{labels[a]}: {cell_text(row, a)}",
            "second": f"{labels[b]}: {cell_text(row, b)}",
            "difference": f"{row['difference_points']:+.0f} pts",
            "reading": row.get("reading") or "",
            "h": "" if row.get("cohens_h") is None else f"{row['cohens_h']:.2f}",
            "test": row.get("test") or "",
            "p": _fmt_p(row.get("p_value")),
            "q": _fmt_p(row.get("q_value")),
            "flags": row.get("flags") or "",
        })
    return out


def _words(part):
    """What the source says in words (qualitative findings) for this part."""
    result = part["result"]
    out = []
    for row in part["rows"]:
        for group in part["groups"]:
            cell = str(row.get(f"{group}.cell") or "")
            if cell.startswith("qualitative"):
                basis = row.get(f"{group}.basis") or ""
                out.append({"group": result.group_labels[group], "concept": row["label"],
                            "stance": row["stance"] or "", "says": cell.split(":", 1)[-1].strip(), "source": basis})
    return out


def _consensus_rows(graph, part, question):
    """:func:`consensus` and :func:`contention` with their default parameters, as the CLI calls them.

    Every group of the part is passed, those without a figure included: they show as
    "not reported" and do not hide the others.
    """
    from consultgraph.queries.consensus import consensus, contention

    groups = part["groups"]
    if len(groups) < 2:
        return None, None
    try:
        agreed = consensus(graph, groups, part["by"])
        split = contention(graph, groups, part["by"])
    except ConsultGraphError:
        return None, None
    for result in (agreed, split):
        result[:] = [r for r in result if not r.get("concept") or _in_scope(graph, question, part["by"], r["concept"])]
    return agreed, split


def _section_quotes(graph, question, parts, quotes):
    """Up to QUOTES_PER_SECTION quotes on the question's concepts, taking groups in turn."""
    index = graph.concepts
    wanted = set()
    if question.root and question.root in index:
        wanted |= index.descendants(question.root)
    for part in parts:
        wanted |= {r["concept"] for r in part["rows"]}
        if question.root is None or part["by"] not in ("approach", "idea"):
            wanted |= {c.id for c in index.of_kind(part["kind"])}
    by_group = {}
    for quote in quotes:
        if wanted.intersection(quote["concepts"]):
            by_group.setdefault(quote["group"] or "", []).append(quote)
    picked = []
    while len(picked) < QUOTES_PER_SECTION and any(by_group.values()):
        for group in sorted(by_group):
            if by_group[group] and len(picked) < QUOTES_PER_SECTION:
                picked.append(by_group[group].pop(0))
    total = sum(len(v) for v in by_group.values()) + len(picked)
    return picked, total


def _chart_img(svg, alt):
    payload = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return Markup(f'<img class="chart" alt="{h(alt)}" src="data:image/svg+xml;base64,{payload}">')


# ---------------------------------------------------------------------------- html
def _css():
    """The report's stylesheet (package data: ``outputs/static/report.css``)."""
    from importlib import resources

    return (resources.files("consultgraph.outputs") / "static" / "report.css").read_text(encoding="utf-8")


def _overview(graph, quotes, meta):
    from consultgraph.graph.codings import base_description
    from consultgraph.queries.overview import stats

    rows = stats(graph)
    index = graph.concepts
    parts = []
    for source in meta.sources:
        bits = [source["title"]] + [source[k] for k in ("publisher", "issued") if source.get(k)]
        parts.append(tag("li", ", ".join(str(b) for b in bits if b)))
    if parts:
        parts = [tag("p", "Sources:"), Markup("<ul>" + "".join(parts) + "</ul>")]
    if meta.question_type:
        kind = ("open-ended: a share is how many raised something unprompted, not a vote"
                if meta.open_ended else "closed: respondents answered set questions")
        parts.append(tag("p", f"Questions: {kind}.", class_="note"))
    if meta.caveats:
        parts.append(_caveats([c.note() for c in meta.caveats]))
    groups = [r for r in rows if r["section"] == "group"]
    group_rows = []
    for row in groups:
        detail = row["detail"]
        detail = "counted from respondents in the data" if detail == "respondents" else detail
        group_rows.append({"group": row["name"], "size": row["count"], "basis": detail})
    parts.append(tag("h3", "Who answered"))
    parts.append(table([("group", "Stakeholder group"), ("size", "Size"), ("basis", "Where the size comes from")],
                       group_rows, numeric=("size",)) if group_rows else tag("p", "No group sizes.", class_="empty"))
    read = [r for r in rows if r["section"].startswith("read by --coder ")]
    if read:  # free text: the shares are out of the respondents the coder choice read, not every member
        parts.append(tag("p", f"Base of every share: {base_description(graph, graph.coder)} "
                              f"(--coder {graph.coder}).", class_="note"))
        parts.append(table([("name", "Stakeholder group"), ("count", f"Respondents read by --coder {graph.coder}")],
                           read, numeric=("count",)))
    regions = [r for r in rows if r["section"] == "respondents by region"]
    findings = graph.findings()
    regional = findings[findings["region"].notna()]
    parts.append(tag("h3", "Regions"))
    if regions:
        parts.append(table([("name", "Region"), ("count", "Named respondents based there")], regions,
                           numeric=("count",)))
    if len(regional):
        counts = regional["region"].map(lambda r: index[r].label if r in index else r).value_counts().sort_index()
        parts.append(table([("region", "Region"), ("n", "Findings about the region")],
                           [{"region": k, "n": int(v)} for k, v in counts.items()], numeric=("n",)))
    if not regions and not len(regional):
        parts.append(tag("p", "No regional breakdown in the data.", class_="empty"))
    measures = findings["measure"].value_counts().to_dict() if len(findings) else {}
    summary = (f"The graph holds {len(graph.nodes)} nodes and {len(graph.edges)} relationships: "
               f"{len(findings)} published findings ({', '.join(f'{n} {m}' for m, n in sorted(measures.items()))}), "
               f"{len(quotes)} quotes and {len(graph.respondents())} respondents.")
    parts.append(tag("p", summary, class_="note"))
    return Markup("".join(parts))


def _question_section(graph, question, groups, quotes, number):
    parts = _section_data(graph, question, groups)
    out = [f'<section class="question" id="{h(question.key)}"><h2>{number}. {h(question.title)}</h2>']
    if question.intro:
        out.append(tag("p", question.intro, class_="lede"))
    if not parts:
        out.append(tag("p", "The data holds no figures for this question.", class_="empty"))
    for part in parts:
        result = part["result"]
        labels = result.group_labels
        heading = kind_heading(part["by"])
        out.append(tag("h3", f"{heading}: top concepts per group"))
        top = _top_concepts(part)
        cards = []
        for group in part["groups"]:
            items = "".join(f"<li>{h(name)} \u2014 {h(cell)}</li>" for name, cell in top[group])
            body = f"<ol>{items}</ol>" if items else '<p class="empty">only qualitative findings</p>'
            cards.append(f'<div class="card"><h4>{h(labels[group])}</h4>{body}</div>')
        out.append(f'<div class="cols">{"".join(cards)}</div>')
        divergent = _divergence_rows(part)
        if divergent:
            out.append(tag("h3", f"{heading}: largest divergences between groups"))
            columns = [("concept", "Concept"), ("stance", "Stance"), ("first", "Group A"), ("second", "Group B"),
                       ("difference", "A \u2212 B"), ("reading", "Reading"), ("h", "Cohen's h"), ("test", "Test"),
                       ("p", "p"), ("q", "q (BH)"), ("flags", "Flags")]
            out.append(table(columns, divergent, numeric=("difference", "h", "p", "q"),
                             caption="Pairs of groups, largest differences first (tested ones before those "
                                     "without counts). q-values are Benjamini-Hochberg across all concepts "
                                     "of the pair's comparison."))
        from consultgraph.outputs.charts import plottable
        from consultgraph.outputs.svg_charts import dumbbell_svg, stance_svg

        chartable = _subset(result, part["rows"], part["numeric"])
        if len(part["numeric"]) >= 2 and len(plottable(chartable)) >= 2:
            svg = dumbbell_svg(chartable, top=12, title=f"{question.title}: {heading.lower()}, most divergent first")
            out.append(_chart_img(svg, f"Dot-and-line chart of {heading.lower()} shares by group"))
        if question.stances and part["by"] == "theme" and len(part["numeric"]) >= 2:
            svg = stance_svg(graph, part["numeric"], None, by="theme", top=10,
                             title="Lead, support or drop: themes by group")
            out.append(_chart_img(svg, "Stacked bars of lead, support and drop shares per group"))
        agreed, split = _consensus_rows(graph, part, question)
        if agreed is not None:
            out.append(tag("h3", f"{heading}: consensus and contention"))
            out.append(_assessment_table(agreed, "Consensus", result, "consensus"))
            out.append(_assessment_table(split, "Contention and differences in mention rates", result, "contention"))
        if result.caveats:
            out.append(_caveats(result.caveats))
        words = _words(part)
        if words:
            out.append(tag("h3", f"{heading}: what the source says in words"))
            out.append(table([("group", "Group"), ("concept", "Concept"), ("stance", "Stance"), ("says", "Says"),
                              ("source", "Source")], words[:WORDS_PER_SECTION]))
            if len(words) > WORDS_PER_SECTION:
                out.append(tag("p", f"… and {len(words) - WORDS_PER_SECTION} more.", class_="note"))
    picked, total = _section_quotes(graph, question, parts, quotes)
    if picked:
        out.append(tag("h3", "In their words"))
        for quote in picked:
            out.append(_blockquote(quote))
        if total > len(picked):
            out.append(tag("p", f"{total - len(picked)} more quote(s) on this question in the data "
                                "(consultgraph quotes --concept NAME lists them).", class_="note"))
    out.append("</section>")
    return Markup("".join(out))


def _subset(result, rows, groups):
    from consultgraph.queries.compare import Comparison

    return Comparison(groups=list(groups), group_labels=result.group_labels, by=result.by, rows=rows,
                      notes=result.notes)


def _command(name, rows):
    """The CLI command that gives the same rows: the parameters, printed."""
    parameters = getattr(rows, "parameters", {})
    options = []
    for key, value in parameters.items():
        if value in (None, "") or (key == "min_base" and not value):
            continue
        options.append(f"--{key.replace('_', '-')} {value}")
    return f"consultgraph {name} " + " ".join(options)


def _assessment_table(rows, title, result, command):
    found_with = tag("p", f"Found with: {_command(command, rows)}", class_="note")
    if not rows:
        return Markup(tag("p", f"{title}: none found.", class_="empty") + found_with)
    labels = [result.group_labels[g] for g in result.groups if g in result.group_labels]
    columns = [("label", "Concept"), ("kind", "Kind"), ("stance", "Stance")] + [(label, label) for label in labels]
    columns += [("reason", "Why")]
    shown = [{**r, "stance": r.get("stance") or ""} for r in rows[:10]]
    columns = [(key, heading) for key, heading in columns if any(r.get(key) not in (None, "") for r in shown)]
    out = Markup(table(columns, shown, caption=title) + found_with)
    if len(rows) > 10:
        out = Markup(out + tag("p", f"… and {len(rows) - 10} more.", class_="note"))
    return out


def _caveats(caveats):
    """The source's caveats, once, under the tables and charts of a part."""
    items = "".join(f"<li>{h(c)}</li>" for c in caveats)
    return Markup(f'<div class="caveat"><strong>What the source warns</strong><ul>{items}</ul></div>')


def _blockquote(quote):
    return Markup(f"<blockquote><p>\u201c{h(quote['text'])}\u201d</p><footer>\u2014 {h(quote['who'])}</footer>"
                  "</blockquote>")


def _audit_section(graph):
    from consultgraph.queries.audit import audit

    problems = audit(graph)
    out = ['<section id="audit"><h2>Do the published numbers add up?</h2>']
    out.append(tag("p", "Each published percent is checked against its count and base, subgroup bases against "
                        "the group they come from, and totals against the sum of their parts.", class_="lede"))
    if problems:
        out.append(table([("source_line", "Source line"), ("check", "Check"), ("group", "Group"),
                          ("concept", "Concept"), ("message", "Problem")], problems, numeric=("source_line",),
                         caption=f"{len(problems)} problem(s)"))
    else:
        out.append(tag("p", "No problems found.", class_="empty"))
    out.append("</section>")
    return Markup("".join(out))


def _graph_section(graph):
    from consultgraph.outputs.visual import graph_html

    page = graph_html(graph, height="640px", title=f"{graph.name or 'Consultation'}: interactive graph")
    return Markup(
        '<section id="graph"><h2>The graph</h2>'
        '<p class="lede">Stakeholder groups, the concepts they raised (edges labelled with the share of the group, '
        'count and base), regions and named respondents. Hover for counts and quotes; use the side bar to find a '
        'node or filter by group and kind.</p>'
        f'<iframe class="graph" title="Interactive graph" sandbox="allow-scripts" srcdoc="{h(page)}"></iframe>'
        '<p class="print-only note">The interactive graph is left out of the printed copy; open the HTML file '
        'to explore it.</p></section>'
    )


def _campaign_section(graph, groups, mode):
    """Campaigns found in the data, and the headline comparison with every response and each campaign once."""
    from consultgraph.coding.campaigns import campaign_rows, headline_both_ways

    rows = campaign_rows(graph)
    if not rows:
        return None
    members = sum(r["members"] for r in rows)
    counted = {"count": "every response counts", "one": "each campaign counts once",
               "exclude": "campaign members are left out"}[mode]
    out = ['<section id="campaigns"><h2>Campaigns</h2>']
    out.append(tag("p", f"{len(rows)} campaign(s) of near-identical responses, {members} respondents in all. "
                        f"In this report {counted} (consultgraph report --campaigns count|one|exclude).",
                   class_="lede"))
    out.append(table([("campaign", "Campaign"), ("members", "Members"), ("groups", "Groups"),
                      ("lowest_similarity", "Lowest similarity"), ("template", "Template")], rows[:10],
                     numeric=("members", "lowest_similarity")))
    present = [g for g in groups if g in set(graph.respondents()["group"].dropna())]
    headline = headline_both_ways(graph, present) if len(present) >= 2 else []
    if headline:
        out.append(tag("h3", "Largest divergences, both ways"))
        columns = [(key, key) for key in headline[0]]
        out.append(table(columns, headline, caption="With every response counted, and with each campaign counted "
                                                    "once (through its representative member)."))
    out.append("</section>")
    return Markup("".join(out))


def report_html(graph, *, title=None, graph_section=True, campaigns="count", progress=None):
    """The whole report as one self-contained HTML page (no network access needed).

    Parameters
    ----------
    graph : Consultation
    title : str, optional
        Defaults to the graph's name.
    graph_section : bool
        Embed the interactive graph (an ``iframe srcdoc``, about 0.6 MB).
    campaigns : {"count", "one", "exclude"}
        How campaign members count (see :func:`consultgraph.graph.campaigns.campaign_view`);
        when the graph has campaigns, a section shows the headline comparison both ways.
    progress : callable, optional
        ``progress(done, total, step=NAME)`` as each section starts: ``done`` sections
        written, NAME the one being written (the CLI draws a bar).

    Returns
    -------
    str

    Examples
    --------
    >>> from consultgraph.loaders import builtin
    >>> page = report_html(builtin(), graph_section=False)
    >>> "Toolbox: tactics" in page and "69% (37 of 53)" in page
    True
    """
    from consultgraph.graph.campaigns import campaign_view
    from consultgraph.outputs.visual import quote_rows
    from consultgraph.queries.metadata import dataset_metadata

    report = progress or (lambda done, total, step=None: None)
    whole, graph = graph, campaign_view(graph, campaigns)
    sections = questions(graph)
    total = len(sections) + 2 + bool(graph_section)
    report(0, total, step="overview")
    quotes = quote_rows(graph)
    groups = _group_candidates(graph)
    meta = dataset_metadata(graph)
    name = title or meta.title or graph.name or "Consultation"
    toc = ['<li><a href="#overview">Overview</a></li>']
    body = [f'<section id="overview"><h2>Overview</h2>{_overview(graph, quotes, meta)}</section>']
    campaign_part = _campaign_section(whole, groups, campaigns)
    if campaign_part is not None:
        toc.append('<li><a href="#campaigns">Campaigns</a></li>')
        body.append(campaign_part)
    if not sections:
        body.append('<section id="figures"><h2>Figures</h2><p class="empty">The data holds no figures to compare.'
                    '</p></section>')
    for number, question in enumerate(sections, start=1):
        report(number, total, step=question.title)
        toc.append(f'<li><a href="#{h(question.key)}">{h(question.title)}</a></li>')
        body.append(_question_section(graph, question, groups, quotes, number))
    report(1 + len(sections), total, step="audit")
    toc.append('<li><a href="#audit">Do the published numbers add up?</a></li>')
    body.append(_audit_section(graph))
    if graph_section:
        report(2 + len(sections), total, step="the graph")
        toc.append('<li><a href="#graph">The graph</a></li>')
        body.append(_graph_section(graph))
    report(total, total, step="done")
    generated = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    intro = ("Every share is given with its count and base, \u201c69% (37 of 53)\u201d: the share of the group, "
             "how many said so, and of how many. Where the source states only a percent, the page says so. "
             "Bases under 30 are flagged as too few to compare.")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{h(name)} \u2014 consultation report</title><style>{_css()}</style></head><body><main>"
        f"<header><h1>{h(name)}</h1><p class=\"lede\">{h(intro)}</p></header>"
        f"<nav class=\"toc\" aria-label=\"Contents\"><strong>Contents</strong><ol>{''.join(toc)}</ol></nav>"
        + "".join(body)
        + f"<footer class=\"meta\">Made by consultgraph {h(__version__)} on {h(generated)}. "
        "Figures as published in the source, with their source lines; shares computed from counts where "
        "both are stated.</footer></main></body></html>\n"
    )


def write_report(graph, path, **options):
    """Write :func:`report_html` to ``path`` atomically; returns the path."""
    from consultgraph.graph.store import atomic_write

    page = report_html(graph, **options)
    return atomic_write(path, lambda tmp: tmp.write_text(page, encoding="utf-8"))
