"""One vocabulary of kinds: the codeable kinds, their CLI names and aliases come from
schema/ontology.ttl through graph.model.normalise_kind, and nowhere else lists them."""

from __future__ import annotations

import ast

import pytest
from click.testing import CliRunner

from consultgraph.errors import UnknownNameError
from consultgraph.graph.model import codeable_kinds, kind_names, load_schema, mentioned_kinds, normalise_kind
from tests.test_layers import MODULES, TREES


def test_codeable_kinds_are_what_codings_point_at():
    schema = load_schema()
    coded = schema.edge_kind("MENTIONS").range | schema.edge_kind("PROPOSES").range
    assert set(codeable_kinds()) == coded
    assert set(mentioned_kinds()) == schema.edge_kind("MENTIONS").range
    assert codeable_kinds() == ("Theme", "Tactic", "Approach", "Idea", "PartnerType", "Audience")
    assert kind_names() == ("theme", "tactic", "approach", "idea", "partner-type", "audience")


@pytest.mark.parametrize("word, kind", [
    ("partner-type", "PartnerType"), ("PartnerType", "PartnerType"), ("partner-types", "PartnerType"),
    ("Tactics", "Tactic"), ("group", "StakeholderGroup"), ("groups", "StakeholderGroup"), (" theme ", "Theme"),
])
def test_every_name_and_alias_normalises(word, kind):
    assert normalise_kind(word) == kind


def test_an_unknown_or_disallowed_kind_lists_the_choices():
    every = ", ".join(sorted(kind.prefix for kind in load_schema().node_kinds.values()))
    with pytest.raises(UnknownNameError) as error:
        normalise_kind("colour")
    assert str(error.value) == f"unknown kind 'colour'; choose one of: {every}"
    assert "partner-type, question" in every
    with pytest.raises(UnknownNameError, match="unknown concept kind 'region'; choose one of: approach, audience, idea"):
        normalise_kind("region", codeable_kinds(), what="concept kind")


def test_every_alias_is_one_kinds_only():
    seen = {}
    for kind in load_schema().node_kinds.values():
        for word in (kind.name.lower(), kind.prefix, *kind.aliases):
            assert seen.setdefault(word, kind.name) == kind.name, word


def test_the_cli_takes_kinds_from_the_schema(kite):
    from consultgraph.cli import main

    command = main.get_command(None, "compare")
    by = next(p for p in command.params if p.name == "by")
    assert tuple(by.type.choices) == (*kind_names(), "statement")
    result = CliRunner().invoke(main, ["compare", "--groups", "partner,national-entity", "--by", "tactics", "-f", "json"])
    assert result.exit_code == 0, result.output
    wrong = CliRunner().invoke(main, ["compare", "--groups", "partner,national-entity", "--by", "colour"])
    assert wrong.exit_code == 2 and "'colour' is not one of 'theme', 'tactic'" in wrong.output


#: Presentation tables keyed by kind (a colour per kind) are not vocabularies.
STYLE_TABLES = {("consultgraph.outputs.graph_data", "KIND_STYLE")}
def test_no_module_lists_the_codeable_kinds_by_hand():
    words = set(codeable_kinds()) | set(kind_names())
    found = []
    for name, _ in MODULES:
        tree = TREES[name]
        styled = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Assign)
                  for target in node.targets if isinstance(target, ast.Name) and (name, target.id) in STYLE_TABLES}
        for node in ast.walk(tree):
            if id(node) in styled:
                continue
            items = node.keys if isinstance(node, ast.Dict) else getattr(node, "elts", None)
            if not isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)) or not items:
                continue
            named = {item.value for item in items if isinstance(item, ast.Constant) and item.value in words}
            if len(named) >= 3:
                found.append(f"{name}:{node.lineno} {sorted(named)}")
    assert found == []


def test_the_cached_schema_is_the_ontologys(tmp_path, monkeypatch):
    """The schema commands read from the user cache (no rdflib) is what parsing the Turtle
    gives, IRIs included; the copy is named by the schema's hash and a damaged one is
    derived again."""
    from rdflib import URIRef

    from consultgraph.graph import model

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    for cached_function in (model.load_schema, model.kind_summary):
        cached_function.cache_clear()
    try:
        parsed = model.parse_schema()
        first = model.load_schema()
        (cached,) = (tmp_path / "consultgraph" / "derived").glob("schema-*.json")
        model.load_schema.cache_clear()
        again = model.load_schema()
        assert first == again == parsed
        assert isinstance(again.node_kinds["Theme"].iri, URIRef) and again.node_kinds["Theme"].iri == parsed.node_kinds["Theme"].iri
        assert again.properties["weight"].datatype == parsed.properties["weight"].datatype is not None
        summary = model.kind_summary()
        for name, kind in parsed.node_kinds.items():
            assert summary.words[name.lower()] == name
            assert (model.cli_name(name), model.kind_label(name)) == (kind.prefix, kind.label)
        assert summary.concept == parsed.concept_kinds and summary.codeable == parsed.codeable_kinds
        assert parsed.kind_words == summary.words
        cached.write_text("{not json")
        model.load_schema.cache_clear()
        assert model.load_schema() == parsed
    finally:
        for cached_function in (model.load_schema, model.kind_summary):
            cached_function.cache_clear()
