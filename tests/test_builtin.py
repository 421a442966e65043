"""The built-in dataset ships stored (package data); the stored copy must match its YAML."""

from __future__ import annotations

import json

import pytest

from consultgraph.graph.consultation import Consultation
from consultgraph.loaders import PREBUILT_DIR, builtin
from consultgraph.loaders.build_builtin import REBUILD, build, dataset_names, fingerprint, stored_fingerprint


def plain(frame):
    """A table with text as objects, in one row order: stored and fresh tables compare equal."""
    frame = frame.astype({c: object for c in frame.columns if c != "weight"})
    return frame.sort_values(list(frame.columns[:4])).reset_index(drop=True)


@pytest.mark.parametrize("name", dataset_names())
def test_stored_copy_is_built_from_the_current_files(name):
    assert stored_fingerprint(name) == fingerprint(name), (
        f"loaders/prebuilt/{name} is stale (its YAML, CSV or the schema changed): run `{REBUILD}`")


@pytest.mark.parametrize("name", dataset_names())
def test_stored_copy_equals_a_fresh_translation(tmp_path, name):
    fresh = Consultation.open(build(name, tmp_path))
    stored = Consultation.open(PREBUILT_DIR / name)
    hint = f"loaders/prebuilt/{name} differs from a fresh translation: run `{REBUILD}`"
    assert plain(stored.nodes).equals(plain(fresh.nodes)), hint
    assert plain(stored.edges).astype(str).equals(plain(fresh.edges).astype(str)), hint
    assert stored.summary() == fresh.summary(), hint
    assert stored.respondents().equals(fresh.respondents()), hint
    stored_counts, fresh_counts = stored.project.read_share_counts(), fresh.project.read_share_counts()
    assert stored_counts[0].equals(fresh_counts[0]) and stored_counts[1] == fresh_counts[1], hint
    concepts = lambda g: sorted(json.dumps(c.__dict__, sort_keys=True, default=list) for c in g.concepts.concepts)  # noqa: E731
    assert concepts(stored) == concepts(fresh), hint


def test_builtin_opens_the_stored_copy():
    graph = builtin()
    assert graph.project is not None and graph.project.path == PREBUILT_DIR / "amnesty-2019"
