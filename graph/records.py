"""The plain records loaders yield, and that the translator checks against the schema.

A loader never builds the graph: it yields :class:`Node` and :class:`Edge` records one
by one, or :class:`NodeTable` / :class:`EdgeTable` for bulk data (a pandas frame with
one row per record and a ``line`` column), and says where each came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple


class Ref(NamedTuple):
    """A concept named by free text (a code, a label), resolved by the translator."""

    text: str
    kinds: tuple = ()


@dataclass(frozen=True, slots=True)
class Node:
    """One node: ``kind`` is a class of schema/ontology.ttl (``Respondent``, ``Theme`` ...)."""

    kind: str
    id: str
    props: dict = field(default_factory=dict)
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Edge:
    """One relationship; ``target`` may be a :class:`Ref` to resolve through concept labels."""

    kind: str
    source: str
    target: Any
    props: dict = field(default_factory=dict)
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class NodeTable:
    """Many nodes of one kind: a frame with ``id``, ``line`` and one column per property."""

    kind: str
    frame: Any
    file: str | None = None


@dataclass(frozen=True)
class EdgeTable:
    """Many relationships of one kind: ``source``, ``target``, ``line`` and property columns.

    ``target_is_text`` says the targets are free-text codes to resolve (of ``target_kinds``);
    ``create_missing`` makes a name no known concept has a new concept of the one target
    kind (a free-text table's own groups and regions), instead of an error.
    """

    kind: str
    frame: Any
    file: str | None = None
    target_is_text: bool = False
    target_kinds: tuple = ()
    create_missing: bool = False
