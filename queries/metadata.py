"""What a dataset says about itself: title, sources, question type, caveats, questions.

Datasets declare it in their ``dataset.yaml`` (or a user project in a ``metadata.yaml``
loaded like any file); the loader (:mod:`consultgraph.loaders.metadata`) checks it and
stores it on the project's Source node, so every ``-g PROJECT`` command reads it back here. Caveats carry their source line and are
printed under the tables they qualify.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import asdict, dataclass, field

_CACHE = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Caveat:
    """A warning the source itself gives, with the line it stands on."""

    text: str
    source_line: int | None = None
    applies_to: str = "all"
    groups: tuple = ()
    source: str | None = None

    def note(self, labels=None):
        """The caveat as one line: 'Caveat (source line 64): "..."'."""
        where = f"source line {self.source_line}" if self.source_line else "the source"
        who = ""
        if self.groups:
            names = [(labels or {}).get(g, g.split("/")[-1]) for g in self.groups]
            who = f" [{', '.join(names)}]"
        return f"caveat{who} ({where}): \u201c{self.text}\u201d"


@dataclass(frozen=True)
class Question:
    """One question of the consultation: a heading, the concept it hangs from, the kinds it compares."""

    key: str
    title: str
    root: str | None = None
    kinds: tuple = ()
    stances: tuple = ()
    intro: str = ""


@dataclass(frozen=True)
class Metadata:
    """A project's declared metadata (empty fields when nothing was declared)."""

    title: str | None = None
    sources: tuple = ()
    question_type: str | None = None
    caveats: tuple = ()
    questions: tuple = ()
    extra: dict = field(default_factory=dict)

    @property
    def open_ended(self):
        return self.question_type == "open-ended"

    def caveats_for(self, groups=(), *, mention_rates=False):
        """The caveats that qualify a table about ``groups`` (mention rates or not)."""
        wanted = set(groups)
        out = []
        for caveat in self.caveats:
            if caveat.applies_to == "mention-rates" and not mention_rates:
                continue
            if caveat.groups and not wanted.intersection(caveat.groups):
                continue
            out.append(caveat)
        return out


def metadata_to_json(meta):
    """A :class:`Metadata` as JSON-ready data (:func:`metadata_from_json` reads it back)."""
    return asdict(meta)


def metadata_from_json(data):
    """The :class:`Metadata` that :func:`metadata_to_json` wrote."""
    return Metadata(title=data["title"], sources=tuple(data["sources"]), question_type=data["question_type"],
                    caveats=tuple(Caveat(**{**c, "groups": tuple(c["groups"])}) for c in data["caveats"]),
                    questions=tuple(Question(**{**q, "kinds": tuple(q["kinds"]), "stances": tuple(q["stances"])})
                                    for q in data["questions"]),
                    extra=dict(data["extra"]))


def dataset_metadata(graph):
    """The :class:`Metadata` of ``graph``, read from its Source nodes (cached on the graph's views).

    Examples
    --------
    >>> from consultgraph.loaders import builtin
    >>> meta = dataset_metadata(builtin())
    >>> meta.question_type, [c.source_line for c in meta.caveats]
    ('open-ended', [64, 199])
    """
    cached = _CACHE.get(graph)
    if cached is None:
        cached = _CACHE[graph] = _read_metadata(graph)
    return cached


def _read_metadata(graph):
    from consultgraph.graph.consultation import parse_props

    nodes = graph.nodes[graph.nodes["kind"] == "Source"]
    titles, sources, caveats, questions, question_type = [], [], [], [], None
    for node_id, label, props in zip(nodes["id"], nodes["label"], parse_props(nodes["props"])):
        declared = json.loads(props["metadata"]) if isinstance(props.get("metadata"), str) else {}
        if not declared and not props.get("title"):
            continue
        title = props.get("title") or label
        sources.append({"id": node_id, "title": title, "publisher": props.get("publisher"),
                        "issued": props.get("issued"), "file": props.get("file")})
        if declared:
            titles.append(declared.get("title") or title)
        question_type = question_type or declared.get("question_type")
        for caveat in declared.get("caveats", ()):
            groups = tuple(_group_id(graph, g) for g in caveat.get("groups", ()))
            caveats.append(Caveat(text=caveat["text"], source_line=caveat.get("source_line"),
                                  applies_to=caveat.get("applies_to", "all"), groups=groups, source=node_id))
        for question in declared.get("questions", ()):
            questions.append(Question(key=str(question.get("key") or question["title"]).lower().replace(" ", "-"),
                                      title=question["title"], root=question.get("root"),
                                      kinds=tuple(question.get("kinds", ())), stances=tuple(question.get("stances", ())),
                                      intro=question.get("intro", "")))
    return Metadata(title=titles[0] if titles else None, sources=tuple(sources), question_type=question_type,
                    caveats=tuple(caveats), questions=tuple(questions))


def _group_id(graph, name):
    from consultgraph.errors import InputError

    try:
        return graph.concepts.resolve(name, ("StakeholderGroup",), field="caveats")
    except InputError:
        return name
