"""The consultation graph in memory: node and edge tables plus the concept index.

:class:`Consultation` is what queries, exporters and backends take first. It is built
from a project store or from the built-in dataset, merges translated batches (upsert
by stable id, so loading the same input twice changes nothing), and offers the views
analysts think in: respondents, codings, findings, quotes, group sizes.
"""

from __future__ import annotations

import copy
import json
from functools import cached_property

import pandas as pd

from consultgraph.errors import UnknownNameError
from consultgraph.graph.concepts import Concept
from consultgraph.graph.model import edge_attributes, load_schema
from consultgraph.graph.store import Project, schema_concepts
from consultgraph.graph.translator import EDGE_COLUMNS, NODE_COLUMNS, empty_edges, empty_nodes


#: Codings whose coder starts with this were made by consultgraph's machine coders.
MACHINE_PREFIX = "machine:"
AUTO = "auto"
#: What ``--coder`` accepts besides one coder's exact name.
CODER_CHOICES = ("auto", "human", "machine", "all")


def parse_props(series):
    """Parse a column of JSON property texts into a list of dicts."""
    return [json.loads(text) if isinstance(text, str) and text not in ("", "{}") else {} for text in series]


def coder_of(props):
    """The ``coder`` of each edge from its JSON properties ('' where none: people coded it)."""
    props = pd.Series(props, dtype=object)
    has = props.str.contains('"coder"', regex=False, na=False)
    out = pd.Series("", index=props.index, dtype=object)
    if has.any():
        out[has] = [json.loads(text).get("coder") or "" for text in props[has]]
    return out


def _number_of(props, key):
    """A numeric property of each JSON property text (NaN where absent)."""
    props = pd.Series(props, dtype=object)
    has = props.str.contains(f'"{key}"', regex=False, na=False)
    out = pd.Series(float("nan"), index=props.index, dtype=float)
    if has.any():
        out[has] = [json.loads(text).get(key, float("nan")) for text in props[has]]
    return out


def is_machine(coders):
    """True where a coder (a Series of names, None for people) is a machine coder."""
    return pd.Series(coders, dtype=object).fillna("").astype(str).str.startswith(MACHINE_PREFIX).to_numpy()


def check_coder(coder):
    """Raise :class:`UnknownNameError` unless ``coder`` is a valid choice (or looks like a coder's name)."""
    if coder in CODER_CHOICES or (isinstance(coder, str) and coder.strip()):
        return coder
    raise UnknownNameError("coder choice", coder, CODER_CHOICES)


def select_codings(frame, coder):
    """The rows of a codings table that ``coder`` picks (see :meth:`Consultation.codings`)."""
    check_coder(coder)
    if coder == "all" or not len(frame):
        return frame
    machine = is_machine(frame["coder"])
    if coder == "human":
        return frame[~machine].reset_index(drop=True)
    if coder == "machine":
        return frame[machine].reset_index(drop=True)
    if coder == AUTO:
        unit = frame["response"].where(frame["response"].notna(), frame["respondent"])
        human_units = set(unit[~machine])
        keep = ~machine | ~unit.isin(human_units).to_numpy()
        return frame[keep].reset_index(drop=True)
    picked = frame[frame["coder"].fillna("") == coder]
    if not len(picked):
        raise UnknownNameError("coder", coder, sorted(set(frame["coder"].dropna())) + list(CODER_CHOICES))
    return picked.reset_index(drop=True)


def expand(frame, keep=("id", "label")):
    """``frame``'s ``keep`` columns plus one column per property found in ``props``."""
    props = pd.DataFrame(parse_props(frame["props"]), index=frame.index)
    out = frame[list(keep)].copy()
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
        self.nodes = (nodes if nodes is not None else empty_nodes())[NODE_COLUMNS].reset_index(drop=True)
        self.edges = (edges if edges is not None else empty_edges())[EDGE_COLUMNS].reset_index(drop=True)
        self.name = name
        self.manifest = manifest or {}
        self.coder = coder

    # ------------------------------------------------------------------ building
    @classmethod
    def open(cls, path):
        """Read a project folder written by :meth:`save`."""
        project = Project(path)
        nodes, edges, manifest = project.read()
        return cls(nodes, edges, name=manifest.get("name"), manifest=manifest)

    def save(self, path, *, load=None):
        """Write this graph as the project at ``path`` (atomically; see :mod:`store`)."""
        manifest = Project(path).write(self.nodes, self.edges, load=load, name=self.name)
        self.manifest = manifest
        return manifest

    @cached_property
    def concepts(self):
        """Schema concepts plus the project's own (its concept nodes and BROADER edges)."""
        index = schema_concepts()
        schema = load_schema()
        mask = self.nodes["kind"].isin(schema.concept_kinds)
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
                        definition=props.get("definition"),
                        scheme=props.get("scheme"),
                        broader=tuple(broader.get(node_id, index.by_id[node_id].broader if node_id in index else ())),
                    )
                )
        return index

    def node_kinds(self):
        """``node id -> kind`` for every node."""
        return dict(zip(self.nodes["id"], self.nodes["kind"]))

    def merge(self, batch):
        """A new :class:`Consultation` with ``batch`` upserted (same id / key replaces)."""
        schema = load_schema()
        functional = [k for k, v in schema.edge_kinds.items() if v.functional]
        nodes = self.nodes
        if len(batch.nodes):
            nodes = pd.concat([nodes[~nodes["id"].isin(batch.nodes["id"])], batch.nodes], ignore_index=True)
        edges = self.edges
        if len(batch.edges):
            if len(edges):
                # the batch's edges replace old ones with the same key; exact, vectorised
                both = pd.concat([edges, batch.edges], ignore_index=True)
                is_fn = both["kind"].isin(functional)
                keys = pd.DataFrame({
                    "source": both["source"],
                    "kind": both["kind"],
                    "target": both["target"].where(~is_fn, ""),
                    "stance": both["stance"].fillna("").where(~is_fn, ""),
                    "coder": coder_of(both["props"]),
                })
                edges = both[~keys.duplicated(keep="last")]
            else:
                edges = batch.edges
        nodes, edges = _with_concepts(nodes, edges, batch.concepts, schema)
        return Consultation(nodes, edges, name=self.name, manifest=self.manifest, coder=self.coder)

    # ------------------------------------------------------------------ views
    # A Consultation is not changed in place (merge returns a new one), so views are memoised.
    def _memo(self, key, compute):
        cache = self.__dict__.setdefault("_views", {})
        if key not in cache:
            cache[key] = compute()
        return cache[key]

    def ids_of_kind(self, kind):
        return self.nodes.loc[self.nodes["kind"] == kind, "id"]

    def edges_of(self, kind):
        """Edges of one kind (a cached split of the edge table by kind)."""
        groups = self._memo("edges_by_kind", lambda: {k: g for k, g in self.edges.groupby("kind", sort=False, observed=True)})
        return groups.get(kind, self.edges.iloc[0:0])

    @cached_property
    def _props(self):
        return parse_props(self.nodes["props"])

    def table(self, kind):
        """Nodes of one kind with their properties as columns."""
        rows = self.nodes[self.nodes["kind"] == kind]
        return expand(rows).reset_index(drop=True)

    def _link(self, frame, kind, column, on="id"):
        link = self.edges_of(kind)[["source", "target"]].drop_duplicates("source")
        mapping = dict(zip(link["source"], link["target"]))
        frame[column] = frame[on].map(mapping)
        return frame

    def respondents(self):
        """One row per respondent: id, label, group, region (based in), focus region."""
        return self._memo("respondents", self._respondents).copy()

    def _respondents(self):
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
        return self._memo(("codings", coder), lambda: select_codings(self._memo("all_codings", self._codings), coder))

    def coders_used(self, coder=None):
        """How many coded units (responses, or respondents coded as a whole) use people's and the machine's codes.

        Returns ``{"human": n, "machine": m}`` for the codings :meth:`codings` picks.
        """
        frame = self.codings(coder)
        unit = frame["response"].where(frame["response"].notna(), frame["respondent"])
        machine = is_machine(frame["coder"])
        return {"human": int(unit[~machine].nunique()), "machine": int(unit[machine].nunique())}

    def _codings(self):
        edges = pd.concat([self.edges_of("MENTIONS"), self.edges_of("PROPOSES")])
        frame = edges[["source", "target", "kind", "stance", "weight"]].rename(
            columns={"source": "respondent", "target": "concept"}
        )
        frame["response"] = None
        written = self.edges_of("WROTE")
        if len(written):
            # codings of a response count for the respondent who wrote it
            by_response = pd.Series(written["source"].to_numpy(), index=written["target"].to_numpy())
            author = frame["respondent"].map(by_response)
            is_response = author.notna()
            frame.loc[is_response, "response"] = frame.loc[is_response, "respondent"]
            frame.loc[is_response, "respondent"] = author[is_response]
        answers = self.edges_of("ANSWERS")
        frame["question"] = frame["response"].map(dict(zip(answers["source"], answers["target"])))
        coder = coder_of(edges["props"]).to_numpy()
        frame["coder"] = pd.Series(coder, index=frame.index).replace("", None)
        frame["confidence"] = _number_of(edges["props"], "confidence").to_numpy()
        people = self.respondents()[["id", "group", "region"]].set_index("id")
        frame = frame.join(people, on="respondent")
        columns = ["respondent", "concept", "kind", "stance", "weight", "group", "region",
                   "response", "question", "coder", "confidence"]
        return frame[columns].reset_index(drop=True)

    def responses(self, question=None):
        """One row per free-text response: id, respondent, question, text, group, region and its properties.

        ``question`` (an id such as ``question/q1``) keeps the responses to that question.
        """
        frame = self._memo("responses", self._responses)
        if question is not None:
            frame = frame[frame["question"] == question]
        return frame.reset_index(drop=True)

    def _responses(self):
        frame = self.table("Response")
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
        return self._memo("votes", self._votes)

    def _votes(self):
        voted = self.edges_of("VOTED")
        return pd.DataFrame({
            "respondent": voted["source"].to_numpy(),
            "statement": voted["target"].to_numpy(),
            "vote": [p.get("vote") for p in parse_props(voted["props"])],
        })

    def findings(self):
        """One row per finding with its group, concept, region, base finding and source."""
        return self._memo("findings", self._findings).copy()

    def _findings(self):
        frame = self.table("Finding")
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
        people = self.respondents()
        coded = set(self.codings()["group"].dropna().unique())
        if len(people):
            # respondent-level data counts only where the group's respondents carry codings:
            # a few named respondents (quoted by name in a report) are not the group
            counts = people["group"].value_counts()
            for group, count in counts.items():
                if group in coded:
                    sizes[group] = (int(count), "respondents")
        findings = self.findings()
        stated = findings[findings["measure"] == "size"]
        for row in stated.itertuples():
            if row.group not in sizes or sizes[row.group][1] != "respondents":
                if pd.notna(row.count):
                    sizes[row.group] = (int(row.count), f"stated (line {row.source_line})")
        return sizes

    def stats(self):
        """Counts of nodes by kind and of edges by kind."""
        return {
            "nodes": self.nodes["kind"].value_counts().to_dict(),
            "edges": self.edges["kind"].value_counts().to_dict(),
        }

    def to_networkx(self):
        """A :class:`networkx.MultiDiGraph`: node attribute ``kind``, ``label`` and the properties."""
        import networkx as nx

        graph = nx.MultiDiGraph(name=self.name or "consultation")
        for (node_id, kind, label), props in zip(
            self.nodes[["id", "kind", "label"]].itertuples(index=False, name=None), self._props
        ):
            graph.add_node(node_id, kind=kind, label=label, **props)
        for source, target, kind, stance, weight, props in self.edges.itertuples(index=False, name=None):
            graph.add_edge(source, target, key=f"{kind}:{stance or ''}", kind=kind, **edge_attributes(stance, weight, props))
        return graph


def _with_concepts(nodes, edges, index, schema):
    """Add nodes (and BROADER edges) for concepts the edges use but the tables lack."""
    concept_kinds = set(schema.concept_kinds)
    present = set(nodes["id"])
    referenced = set(edges["target"].unique()) | set(edges["source"].unique())
    wanted = {c for c in referenced if c in index and c not in present}
    queue = list(wanted)
    while queue:
        concept = index.by_id[queue.pop()]
        for parent in concept.broader:
            if parent in index and parent not in present and parent not in wanted:
                wanted.add(parent)
                queue.append(parent)
    if not wanted:
        return nodes, edges
    rows, broader = [], []
    for concept_id in sorted(wanted):
        concept = index.by_id[concept_id]
        if concept.kind not in concept_kinds:
            continue
        props = {}
        if concept.alt_labels:
            props["alt_labels"] = list(concept.alt_labels)
        if concept.definition:
            props["definition"] = concept.definition
        if concept.scheme:
            props["scheme"] = concept.scheme
        rows.append(
            {
                "id": concept.id,
                "kind": concept.kind,
                "label": concept.label,
                "props": json.dumps(props, ensure_ascii=False, sort_keys=True) if props else "{}",
            }
        )
        for parent in concept.broader:
            broader.append(
                {"source": concept.id, "target": parent, "kind": "BROADER", "stance": None, "weight": float("nan"), "props": "{}"}
            )
    nodes = pd.concat([nodes, pd.DataFrame(rows, columns=NODE_COLUMNS)], ignore_index=True)
    if broader:
        new = pd.DataFrame(broader, columns=EDGE_COLUMNS)
        old = edges[edges["kind"] == "BROADER"]
        existing = set(zip(old["source"], old["target"], old["kind"]))
        new = new[[(s, t, k) not in existing for s, t, k in zip(new["source"], new["target"], new["kind"])]]
        edges = pd.concat([edges, new], ignore_index=True) if len(edges) else new
    return nodes, edges
