"""The consultation graph in memory: node and edge tables plus the concept index.

:class:`Consultation` is what queries, exporters and backends take first. It is built
from a project store or from the built-in dataset, merges translated batches (upsert
by stable id, so loading the same input twice changes nothing), and offers the views
analysts think in: respondents, codings, findings, quotes, group sizes.

A graph opened from a project is lazy: it reads the manifest and the views stored with
the generation (concepts, respondents, counts), reads one kind of node or relationship
when a view needs it, and loads whole tables only when asked for ``nodes``/``edges``.
Counting over millions of codings runs in DuckDB (:mod:`consultgraph.graph.engine`).
"""

from __future__ import annotations

import copy
from functools import cached_property

from consultgraph.graph.concepts import Concept
from consultgraph.graph.coders import (  # noqa: F401  (coding/ imports the coder names from here)
    AUTO, CODER_CHOICES, MACHINE_PREFIX, MACHINE_READ_BY, check_coder, coder_of, is_machine, keep_no_code, no_code_of,
    number_of, select_codings,
)
from consultgraph.graph.codings import CODING_KINDS
from consultgraph.graph.store import Project, schema_concepts
from consultgraph.graph.tables import (  # noqa: F401  (parse_props: backends import it from here)
    EDGE_COLUMNS, KEY_COLUMNS, NODE_COLUMNS, parse_props, as_objects, concat_tables, distinct, upsert_edges, value_counts,
    upsert_stored_edges, with_concepts,
)


def expand(frame, keep=("id", "label")):
    """``frame``'s ``keep`` columns plus one column per property found in ``props``."""
    import pandas as pd

    props = pd.DataFrame(parse_props(frame["props"]), index=frame.index)
    out = frame[list(keep)].astype(object)
    for column in props.columns:
        if column not in out:
            out[column] = props[column]
    return out


class Consultation:
    """A consultation graph.

    Parameters
    ----------
    nodes, edges : pandas.DataFrame
        Canonical tables (columns ``NODE_COLUMNS`` and ``EDGE_COLUMNS``).
    name : str, optional
        The project or dataset name, shown in reports.
    """

    def __init__(self, nodes=None, edges=None, *, name=None, manifest=None, coder=AUTO):
        from consultgraph.graph.translator import empty_edges, empty_nodes

        self._nodes = (nodes if nodes is not None else empty_nodes())[NODE_COLUMNS].reset_index(drop=True)
        self._edges = (edges if edges is not None else empty_edges())[EDGE_COLUMNS].reset_index(drop=True)
        self.name = name
        self.manifest = manifest or {}
        self.project = None  # the Project this graph was opened from (lazy tables), if any
        self.coder = coder
        self.path = None  # the project folder it was read from, if any (engines cache beside it)
        self.dataset = None  # the built-in dataset it is, if any

    # ------------------------------------------------------------------ building
    @classmethod
    def open(cls, path):
        """The project at ``path``, lazily: tables are read when a view needs them."""
        project = Project(path)
        manifest = project.manifest()
        graph = cls.__new__(cls)
        graph._nodes = graph._edges = None
        graph.name = manifest.get("name")
        graph.manifest = manifest
        graph.project = project
        graph.coder = AUTO
        graph.path = project.path
        graph.dataset = None
        return graph

    @property
    def nodes(self):
        """The whole node table (id, kind, label, props); read from the store on first use."""
        if self._nodes is None:
            self._nodes = self.project.read_pandas("nodes", manifest=self.manifest)
        return self._nodes

    @property
    def edges(self):
        """The whole edge table (source, target, kind, stance, weight, props); read on first use."""
        if self._edges is None:
            self._edges = self.project.read_pandas("edges", manifest=self.manifest)
        return self._edges

    def _stored(self, view):
        """True when the store holds derived view ``view`` for this graph's generation."""
        return self.project is not None and view in self.manifest.get("tables", {})

    def parquet_path(self, table):
        """The file of ``table`` (nodes, edges, respondents) in this graph's generation; None in memory."""
        return self.project.table_path(table, self.manifest) if self._stored(table) else None

    def save(self, path, *, load=None):
        """Write this graph and its derived views as the project at ``path`` (atomically; see :mod:`store`)."""
        from consultgraph.graph.counts import share_counts

        views = {"respondents": self.respondents(), "concepts": self.concepts, "summary": self.summary(),
                 "share_counts": share_counts(self, coder=AUTO)}
        project = Project(path)
        manifest = project.write(self.nodes, self.edges, load=load, name=self.name, views=views)
        self.manifest = manifest
        self.path = project.path
        self.__dict__.pop("_cypher_engine", None)
        self.__dict__.pop("_sparql_engine", None)
        return manifest

    @cached_property
    def concepts(self):
        """Schema concepts plus the project's own (its concept nodes and BROADER edges)."""
        if self._stored("concepts"):
            return self.project.read_concepts(self.manifest)
        from consultgraph.graph.model import kind_summary

        index = schema_concepts()
        mask = self.nodes["kind"].isin(kind_summary().concept)
        if mask.any():
            broader = {}
            sub = self.edges[self.edges["kind"] == "BROADER"]
            for source, target in zip(sub["source"], sub["target"]):
                broader.setdefault(source, []).append(target)
            rows = self.nodes[mask]
            for node_id, kind, label, props in zip(rows["id"], rows["kind"], rows["label"], parse_props(rows["props"])):
                if node_id in index and not props and node_id not in broader:
                    continue
                index.add(
                    Concept(
                        id=node_id,
                        kind=kind,
                        label=label,
                        alt_labels=tuple(props.get("alt_labels", ())),
                        hidden_labels=tuple(props.get("hidden_labels", ())),
                        definition=props.get("definition"),
                        scheme=props.get("scheme"),
                        broader=tuple(broader.get(node_id, index.by_id[node_id].broader if node_id in index else ())),
                    )
                )
        return index

    def node_kinds(self, ids=None):
        """``node id -> kind`` for every node, or for those of ``ids`` that are nodes.

        With ``ids``, a stored graph reads just the id and kind columns and keeps the
        rows asked for: :func:`~consultgraph.graph.translator.translate` asks for the
        endpoints a batch does not define itself, not for a million respondents.
        """
        if ids is None:
            return dict(zip(self.nodes["id"], self.nodes["kind"]))
        import pyarrow as pa
        import pyarrow.compute as pc

        wanted = pa.array(list(ids), pa.string())
        if self._nodes is None:
            table = self.project.read_where("nodes", "id", wanted, columns=["id", "kind"], manifest=self.manifest)
            return dict(zip(table.column("id").to_pylist(), table.column("kind").cast(pa.string()).to_pylist()))
        rows = self.nodes[self.nodes["id"].isin(wanted.to_pylist())]
        return dict(zip(rows["id"], rows["kind"]))

    def merge(self, batch):
        """A new :class:`Consultation` with ``batch`` upserted (same id / key replaces)."""
        from consultgraph.graph.model import load_schema

        schema = load_schema()
        functional = [k for k, v in schema.edge_kinds.items() if v.functional]
        if not len(batch.nodes):
            nodes = self.nodes
        else:
            import pyarrow as pa
            import pyarrow.compute as pc

            from consultgraph.graph.store import canonical_pandas

            # ids compared in Arrow; a stored table is filtered in Arrow too, so only the nodes
            # the batch does not replace become pandas rows
            new_ids = pa.array(batch.nodes["id"], from_pandas=True).cast(pa.string())
            if self._nodes is None and self.project is not None:
                kept = self.project.read_where("nodes", "id", new_ids, keep=False, manifest=self.manifest)
                old = canonical_pandas(kept, "nodes")
                del kept
            else:
                old_ids = pa.array(self.nodes["id"], from_pandas=True).cast(pa.string())
                old = self.nodes[~pc.is_in(old_ids, value_set=new_ids).to_numpy(zero_copy_only=False)]
            nodes = concat_tables([old, keep_no_code(batch.nodes, self.no_code, self.machine_read)],
                                  NODE_COLUMNS)  # people's 'none' and the machine's reading stay
            del old
        stored = self._edges is None and self.project is not None and self.manifest.get("counts", {}).get("edges")
        if not len(batch.edges):
            edges = self.edges
        elif stored:
            # the batch's edges replace stored ones with the same key, looked up a row group at a
            # time: neither the stored table nor its keys are held whole, only the rows that survive
            edges = upsert_stored_edges(self.project.table_path("edges", self.manifest), batch.edges, functional)
            if edges is None:
                keys = self.project.read_pandas("edges", columns=KEY_COLUMNS, manifest=self.manifest)
                edges = upsert_edges(lambda: self.edges, batch.edges, functional, old_keys=keys)
                del keys
        elif len(self.edges):
            edges = upsert_edges(self.edges, batch.edges, functional)
        else:
            edges = batch.edges
        nodes, edges = with_concepts(nodes, edges, batch.concepts, schema)
        return Consultation(nodes, edges, name=self.name, manifest=self.manifest, coder=self.coder)

    # ------------------------------------------------------------------ views
    # A Consultation is not changed in place (merge returns a new one), so views are memoised.
    def memo(self, key, compute):
        """``compute()``, once per graph and ``key`` (a graph is never changed in place)."""
        cache = self.__dict__.setdefault("_views", {})
        if key not in cache:
            cache[key] = compute()
        return cache[key]

    def edges_of(self, kind):
        """Edges of one kind: read alone from the store, or a cached split of the loaded table."""
        if self._edges is None:
            return self.memo(("edges_of", kind),
                              lambda: self.project.read_pandas("edges", kinds=[kind], manifest=self.manifest))
        # one kind at a time, as asked: splitting every kind at once would copy the whole table
        return self.memo(("edges_of", kind), lambda: self.edges[(self.edges["kind"] == kind).to_numpy()])

    def read_kinds(self, kinds):
        """Read several kinds of edges from the store in one pass (later :meth:`edges_of` calls are free)."""
        if self._edges is not None:
            return
        wanted = [k for k in kinds if ("edges_of", k) not in self.__dict__.get("_views", {})]
        if not wanted:
            return
        edges = self.project.read_pandas("edges", kinds=wanted, manifest=self.manifest)
        parts = {k: g for k, g in edges.groupby("kind", sort=False, observed=True)}
        for kind in wanted:
            part = parts.get(kind, edges.iloc[0:0])
            self.memo(("edges_of", kind), lambda part=part: part.reset_index(drop=True))

    @cached_property
    def _props(self):
        return parse_props(self.nodes["props"])

    def node_rows(self, kind):
        """Nodes of one kind (id, kind, label, props): read alone from the store, or cut from the loaded table."""
        if self._nodes is None:
            return self.project.read_pandas("nodes", kinds=[kind], manifest=self.manifest)
        return self.nodes[self.nodes["kind"] == kind]

    def table(self, kind):
        """Nodes of one kind with their properties as columns."""
        return expand(self.node_rows(kind)).reset_index(drop=True)

    def _link(self, frame, kind, column, on="id"):
        link = self.edges_of(kind)[["source", "target"]].drop_duplicates("source")
        mapping = dict(zip(link["source"], link["target"]))
        frame[column] = frame[on].map(mapping).astype(object)
        return frame

    def respondents(self):
        """One row per respondent: id, label, group, region (based in), focus region."""
        return self.memo("respondents", self._respondents).copy()

    def _respondents(self):
        if self._stored("respondents"):
            frame = self.project.read_arrow("respondents", manifest=self.manifest).to_pandas()
            return frame.astype({c: object for c in frame.columns if frame[c].dtype != object})
        frame = self.table("Respondent")
        for kind, column in (("MEMBER_OF", "group"), ("BASED_IN", "region"), ("WORKS_IN", "focus_region")):
            frame = self._link(frame, kind, column)
        return frame

    def with_coder(self, coder):
        """This graph seen through one choice of codings (see :meth:`codings`); tables are shared.

        Examples
        --------
        >>> Consultation().with_coder("machine").coder
        'machine'
        """
        check_coder(coder)
        view = copy.copy(self)
        view.coder = coder
        return view

    def codings(self, coder=None):
        """MENTIONS and PROPOSES edges with the respondent's group and region.

        Text columns are Python objects shared per distinct value (a row costs a pointer,
        not a string). To count over millions of codings use :meth:`coding_counts`.

        Parameters
        ----------
        coder : str, optional
            Whose codings: ``"human"`` (people: no coder, or a coder not starting with
            ``machine:``), ``"machine"``, ``"all"``, ``"auto"`` (people's codes for a
            response or respondent they coded, the machine's elsewhere), or one coder's
            exact name. Default: the graph's :attr:`coder` (``"auto"`` unless
            :meth:`with_coder` chose another).

        Returns
        -------
        pandas.DataFrame
            respondent, concept, kind, stance, weight, group, region, and response
            (None for respondent-level codings), question, coder (None: people),
            confidence.
        """
        coder = coder or self.coder
        no_code = self.no_code() if coder not in ("human", "machine", "all") else {}
        return self.memo(("codings", coder),
                         lambda: select_codings(self.memo("all_codings", self._codings), coder, no_code))

    def coders_used(self, coder=None):
        """How many coded units (responses, or respondents coded as a whole) use people's and the machine's codes.

        Returns ``{"human": n, "machine": m}`` for the codings :meth:`codings` picks (with :meth:`no_code`'s).
        """
        coder = coder or self.coder
        frame = self.codings(coder)
        unit = frame["response"].where(frame["response"].notna(), frame["respondent"])
        machine = is_machine(frame["coder"])
        human = set(unit[~machine].dropna()) | {r for r, names in self.no_code().items()
                                                 if coder in (AUTO, "human", "all", *names)}
        return {"human": len(human), "machine": int(unit[machine].nunique())}

    def readers(self, coder=None):
        """Respondents whose answers ``coder`` read (the base of its shares), or None: every member.

        See :func:`consultgraph.graph.codings.readers`.
        """
        from consultgraph.graph.codings import readers

        coder = coder or self.coder
        return self.memo(("readers", coder), lambda: readers(self, coder))

    def no_code(self):
        """``response -> coders`` who read it and found that no code applies (a review row answered ``none``)."""
        return self.memo("no_code", lambda: no_code_of(self.node_rows("Response")))

    def machine_read(self):
        """``response -> machine coders`` that read it (``code`` marks every response it runs on)."""
        return self.memo("machine_read", lambda: no_code_of(self.node_rows("Response"), MACHINE_READ_BY))

    def _codings(self):
        from consultgraph.graph.codings import codings_table

        return codings_table(self)

    def responses(self, question=None):
        """One row per free-text response: id, respondent, question, text, group, region and its properties.

        ``question`` (an id such as ``question/q1``) keeps the responses to that question.
        """
        frame = self.memo("responses", self._responses)
        if question is not None:
            frame = frame[frame["question"] == question]
        return frame.reset_index(drop=True)

    def _responses(self):
        import pandas as pd

        frame = self.table("Response")
        if not len(frame):
            return pd.DataFrame({c: pd.Series(dtype=object) for c in ("id", "respondent", "question", "text", "group", "region")})
        written = self.edges_of("WROTE")
        frame["respondent"] = frame["id"].map(dict(zip(written["target"], written["source"])))
        answers = self.edges_of("ANSWERS")
        frame["question"] = frame["id"].map(dict(zip(answers["source"], answers["target"])))
        people = self.respondents()[["id", "group", "region"]].set_index("id")
        frame = frame.join(people, on="respondent")
        if "text" not in frame:
            frame["text"] = pd.Series(dtype=object)
        first = ["id", "respondent", "question", "text", "group", "region"]
        return frame[first + [c for c in frame.columns if c not in first and c != "label"]]

    def questions(self):
        """One row per question: id, label, text."""
        import pandas as pd

        frame = self.table("Question")
        if "text" not in frame:
            frame["text"] = pd.Series(dtype=object)
        return frame

    def members(self, group):
        """Ids of the respondents in ``group`` or its parts: MEMBER_OF, or IN_OPINION_GROUP for opinion groups."""
        wanted = self.concepts.descendants(group)
        people = self.respondents()
        ids = set(people.loc[people["group"].isin(wanted), "id"])
        opinion = self.edges_of("IN_OPINION_GROUP")
        ids |= set(opinion.loc[opinion["target"].isin(wanted), "source"])
        return ids

    def votes(self):
        """One row per VOTED edge: respondent, statement, vote (1 agree, -1 disagree, 0 pass)."""
        return self.memo("votes", self._votes)

    def _votes(self):
        import pandas as pd

        voted = self.edges_of("VOTED")
        return pd.DataFrame({
            "respondent": voted["source"].to_numpy(),
            "statement": voted["target"].to_numpy(),
            "vote": [p.get("vote") for p in parse_props(voted["props"])],
        })

    def findings(self):
        """One row per finding with its group, concept, region, base finding and source."""
        return self.memo("findings", self._findings).copy()

    def _findings(self):
        import pandas as pd

        frame = self.table("Finding")
        self.read_kinds(["FOR_GROUP", "ABOUT", "IN_REGION", "HAS_BASE", "FROM_SOURCE", "SUM_OF"])
        for kind, column in (
            ("FOR_GROUP", "group"),
            ("ABOUT", "concept"),
            ("IN_REGION", "region"),
            ("HAS_BASE", "base_ref"),
            ("FROM_SOURCE", "source"),
        ):
            frame = self._link(frame, kind, column)
        sums = self.edges_of("SUM_OF")
        parts = sums.groupby("source")["target"].apply(list).to_dict()
        frame["parts"] = frame["id"].map(lambda i: parts.get(i, []))
        for column in ("measure", "stance", "count", "base", "reported_percent", "source_line", "statement",
                       "base_note", "assessment", "rank", "note"):
            if column not in frame:
                frame[column] = None
        for column in ("count", "base", "source_line", "rank"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
        frame["reported_percent"] = pd.to_numeric(frame["reported_percent"], errors="coerce")
        concepts = self.concepts
        frame["concept_label"] = frame["concept"].map(lambda c: concepts[c].label if c in concepts else None)
        frame["concept_kind"] = frame["concept"].map(lambda c: concepts[c].kind if c in concepts else None)
        return frame

    def quotes(self):
        """One row per quote with its respondent (if any), group, region and concepts."""
        import pandas as pd

        frame = self.table("Quote")
        said = self.edges_of("SAID")
        speaker = dict(zip(said["target"], said["source"]))
        frame["respondent"] = frame["id"].map(speaker)
        people = self.respondents().set_index("id")
        frame["respondent_label"] = frame["respondent"].map(people["label"]) if len(people) else None
        own_group = dict(zip(self.edges_of("FOR_GROUP")["source"], self.edges_of("FOR_GROUP")["target"]))
        frame["group"] = frame["respondent"].map(people["group"]) if len(people) else None
        frame["group"] = frame["group"].where(frame["group"].notna(), frame["id"].map(own_group))
        own_region = dict(zip(self.edges_of("IN_REGION")["source"], self.edges_of("IN_REGION")["target"]))
        frame["region"] = frame["respondent"].map(people["region"]) if len(people) else None
        frame["region"] = frame["region"].where(frame["region"].notna(), frame["id"].map(own_region))
        ill = self.edges_of("ILLUSTRATES").groupby("source")["target"].apply(list).to_dict()
        frame["concepts"] = frame["id"].map(lambda i: ill.get(i, []))
        for column in ("text", "source_line", "section"):
            if column not in frame:
                frame[column] = None
        return frame

    def group_sizes(self):
        """``group id -> (size, basis)``: respondents counted, else the stated size finding."""
        sizes = {}
        summary = self.summary()
        for group, count in summary["respondents_by_group"].items():
            # respondent-level data counts only where the group's respondents carry codings:
            # a few named respondents (quoted by name in a report) are not the group
            if group in summary["coded_groups"]:
                sizes[group] = (int(count), "respondents")
        for group, count, line in summary["stated_sizes"]:
            if group not in sizes or sizes[group][1] != "respondents":
                sizes[group] = (int(count), f"stated (line {line})")
        return sizes

    def summary(self):
        """Counts every command needs, stored with the generation: nodes and edges by kind,
        respondents by group and region, and the groups whose respondents carry codings."""
        if self.project is not None and "summary" in self.manifest:
            return self.manifest["summary"]  # written with this generation by save()
        return self.memo("summary", self._summary)

    def _summary(self):
        import pandas as pd

        people = self.respondents()
        coding_sources = self._coding_column("source")
        coded_ids = set()
        for sources in coding_sources:
            values = sources.array
            if hasattr(values, "codes"):  # categorical: the distinct respondents, not every row
                coded_ids.update(distinct(sources))
            else:
                coded_ids.update(sources.dropna().unique())
        wrote = self.edges_of("WROTE")
        if len(wrote):
            # a coded response makes its author a coded respondent
            coded_ids.update(wrote.loc[wrote["target"].isin(list(coded_ids)), "source"].astype(object).unique())
        group = people["group"] if "group" in people else None
        region = people["region"] if "region" in people else None
        coded = people["id"].isin(coded_ids)
        findings = self.findings()
        stated = findings[(findings["measure"] == "size") & findings["count"].notna()]
        return {
            "respondents": len(people),
            "nodes_by_kind": value_counts(self.nodes["kind"]),
            "edges_by_kind": value_counts(self.edges["kind"]),
            "respondents_by_group": value_counts(group) if group is not None else {},
            "respondents_by_region": value_counts(region) if region is not None else {},
            "coded_groups": sorted(str(g) for g in group[coded].dropna().unique()) if group is not None else [],
            # size findings in order, as group_sizes reads them (a later one wins)
            "stated_sizes": [[g, int(c), None if pd.isna(line) else int(line)]
                             for g, c, line in zip(stated["group"], stated["count"], stated["source_line"])],
            "findings_by_measure": value_counts(findings["measure"]) if len(findings) else {},
            "group_ids": [str(i) for i in self.table("StakeholderGroup")["id"]],
            # who coded: with no coder named and no free-text responses, every coding is a
            # respondent's own, and counting can read the stored edges directly
            "coders": sorted({c for part in self._coding_column("props") for c in coder_of(distinct(part))} - {""}),
        }

    def _coding_column(self, column):
        """One column of the codings (MENTIONS and PROPOSES edges) as a list of parts, copied alone."""
        if self._edges is not None:
            return [self.edges[column][self.edges["kind"].isin(CODING_KINDS).to_numpy()]]
        return [self.edges_of(kind)[column] for kind in CODING_KINDS]

    def stats(self):
        """Counts of nodes by kind and of edges by kind."""
        summary = self.summary()
        return {"nodes": dict(summary["nodes_by_kind"]), "edges": dict(summary["edges_by_kind"])}

    # ------------------------------------------------------------------ counting in DuckDB
    def sql(self, query, **tables):
        """Run ``query`` in DuckDB over this graph; see :func:`consultgraph.graph.engine.sql`."""
        from consultgraph.graph.engine import sql

        return sql(self, query, **tables)

    def respondent_counts(self, groups, *, region=None):
        """Bases per group; see :func:`consultgraph.graph.engine.respondent_counts`."""
        from consultgraph.graph.engine import respondent_counts

        return respondent_counts(self, groups, region=region)

    def coding_counts(self, kind, groups, *, stance=None, region=None):
        """Respondents per group, concept and stance; see :func:`consultgraph.graph.engine.coding_counts`."""
        from consultgraph.graph.engine import coding_counts

        return coding_counts(self, kind, groups, stance=stance, region=region)

    def edge_rows(self):
        """Every edge as a tuple ``(source, target, kind, stance, weight, props)``; None where missing."""
        edges = self.edges
        columns = [as_objects(edges[c].array) if hasattr(edges[c].array, "codes") else edges[c].to_numpy()
                   for c in EDGE_COLUMNS]
        return zip(*columns)

    def to_networkx(self):
        """A :class:`networkx.MultiDiGraph`: node attribute ``kind``, ``label`` and the properties."""
        import networkx as nx

        from consultgraph.graph.model import edge_attributes

        graph = nx.MultiDiGraph(name=self.name or "consultation")
        for (node_id, kind, label), props in zip(
            self.nodes[["id", "kind", "label"]].itertuples(index=False, name=None), self._props
        ):
            graph.add_node(node_id, kind=kind, label=label, **props)
        for source, target, kind, stance, weight, props in self.edge_rows():
            graph.add_edge(source, target, key=f"{kind}:{stance or ''}", kind=kind, **edge_attributes(stance, weight, props))
        return graph
