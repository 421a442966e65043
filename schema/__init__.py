"""The consultgraph schema, declared once: where its files are.

``ontology.ttl`` (OWL), ``concepts/*.ttl`` (SKOS concept schemes), ``shapes.ttl``
(SHACL), ``constraints.cypher`` (Neo4j) and ``submission.schema.json`` (input records).
"""

from __future__ import annotations

from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent
ONTOLOGY = SCHEMA_DIR / "ontology.ttl"
SHAPES = SCHEMA_DIR / "shapes.ttl"
CONSTRAINTS = SCHEMA_DIR / "constraints.cypher"
RECORDS_SCHEMA = SCHEMA_DIR / "submission.schema.json"
CONCEPTS_DIR = SCHEMA_DIR / "concepts"


def concept_files():
    """The SKOS concept scheme files shipped with consultgraph, sorted by name."""
    return sorted(CONCEPTS_DIR.glob("*.ttl"))
