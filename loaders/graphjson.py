"""consultgraph's own JSON export read back: load -> export json -> load is lossless."""

from __future__ import annotations

import json

from consultgraph.errors import InputError
from consultgraph.graph.records import Edge, Node

FORMAT = "consultgraph-json"


def is_graph_json(path):
    try:
        with open(path, encoding="utf-8") as handle:
            head = handle.read(4096)
    except (OSError, UnicodeDecodeError):
        return False
    return f'"format": "{FORMAT}"' in head or f'"format":"{FORMAT}"' in head


def read_graph_json(path, *, namespace=None, source_id=None):
    """Yield the nodes and edges of a ``consultgraph export --format json`` file."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except json.JSONDecodeError as error:
        raise InputError(f"malformed JSON ({error.msg})", file=path, line=error.lineno) from None
    if data.get("format") != FORMAT:
        raise InputError(f"not a {FORMAT} file", file=path, field="format")
    if data.get("version") != 1:
        raise InputError(f"unsupported {FORMAT} version {data.get('version')!r}", file=path, field="version")
    for number, node in enumerate(data.get("nodes", []), start=1):
        node = dict(node)
        try:
            node_id, kind = node.pop("id"), node.pop("kind")
        except KeyError as missing:
            raise InputError(f"node {number} has no {missing}", file=path, field=str(missing)) from None
        yield Node(kind, node_id, node, file=str(path), line=None)
    for number, edge in enumerate(data.get("edges", []), start=1):
        edge = dict(edge)
        try:
            source, target, kind = edge.pop("source"), edge.pop("target"), edge.pop("kind")
        except KeyError as missing:
            raise InputError(f"edge {number} has no {missing}", file=path, field=str(missing)) from None
        yield Edge(kind, source, target, edge, file=str(path), line=None)
