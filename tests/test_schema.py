"""The schema is the single source of truth: check it is whole and consistent."""

from __future__ import annotations

import re

from rdflib import Graph

from consultgraph import schema as schema_files
from consultgraph.graph.model import load_schema
from consultgraph.graph.store import schema_concepts


def test_every_node_kind_has_a_neo4j_constraint():
    text = schema_files.CONSTRAINTS.read_text()
    labels = set(re.findall(r"FOR \(n:(\w+)\) REQUIRE n.id IS UNIQUE", text))
    assert labels == set(load_schema().node_kinds)


def test_relationship_endpoints_are_node_kinds():
    schema = load_schema()
    kinds = set(schema.node_kinds) | {"Concept"}
    for edge in schema.edge_kinds.values():
        assert edge.domain <= kinds, edge.name
        assert edge.range <= kinds, edge.name


def test_shapes_parse_and_name_known_values():
    Graph().parse(schema_files.SHAPES)
    assert load_schema().allowed["stance"] == ("lead", "support", "drop", "mention")


def test_concept_ids_match_their_kind_prefix():
    schema = load_schema()
    for concept in schema_concepts().concepts:
        assert concept.id.split("/")[0] == schema.node_kind(concept.kind).prefix, concept.id


# Codes resolve across themes, tactics, approaches and ideas first, then partner types and
# audiences (model.mentioned_kinds()): a label may repeat across the two tiers, not within one.
CODE_TIERS = {"Theme": "code", "Tactic": "code", "Approach": "code", "Idea": "code",
              "PartnerType": "proposal", "Audience": "proposal"}


def test_no_label_names_two_concepts_a_code_could_mean():
    """Codes resolve across themes, tactics, approaches, ideas, partner types and audiences."""
    index = schema_concepts()
    from consultgraph.graph.concepts import normalise_label

    seen = {}
    for concept in index.concepts:
        for label in {concept.label, *concept.alt_labels}:
            key = (CODE_TIERS.get(concept.kind, concept.kind), normalise_label(label))
            assert seen.setdefault(key, concept.id) == concept.id, f"{label!r}: {seen[key]} and {concept.id}"


def test_every_broader_concept_exists():
    index = schema_concepts()
    for concept in index.concepts:
        for parent in concept.broader:
            assert parent in index, f"{concept.id} -> {parent}"


def test_records_schema_is_valid_json_schema():
    import json

    import jsonschema

    data = json.loads(schema_files.RECORDS_SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(data)
