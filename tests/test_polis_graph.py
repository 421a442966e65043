"""Pol.is conversations in the graph: participants, statements, votes, opinion groups, and
consensus / contention / compare on those groups, checked against the export itself."""

from __future__ import annotations

import pytest

from consultgraph.loaders import load
from consultgraph.queries.compare import compare
from consultgraph.queries.consensus import consensus, contention
from consultgraph.queries.opinion_groups import opinion_group_records


@pytest.fixture(scope="module")
def seattle(shared_data):
    # as `consultgraph load` does: the opinion groups are a step the pipeline's caller runs
    return load([shared_data / "polis" / "15-per-hour-seattle"], steps=(opinion_group_records,)).graph


@pytest.fixture(scope="module")
def seattle_export(shared_data):
    from consultgraph.loaders.polis import read_polis_export

    return read_polis_export(shared_data / "polis" / "15-per-hour-seattle")


def test_counts_match_the_export(seattle, seattle_export):
    stats = seattle.stats()
    assert stats["nodes"]["Statement"] == len(seattle_export.comments)
    assert stats["edges"]["VOTED"] == len(seattle_export.votes)  # latest vote per participant and statement
    assert stats["nodes"]["Respondent"] == len(seattle_export.participants)
    moderated = seattle.table("Statement")
    assert (moderated["moderated"] == -1).sum() == len(seattle_export.moderated_out)


def test_polis_groups_become_groups_under_public(seattle, seattle_export):
    groups = [c for c in seattle.concepts.of_kind("StakeholderGroup") if c.id.startswith("group/15-per-hour-seattle/polis-")]
    assert len(groups) == seattle_export.participants["polis_group"].nunique()
    assert all(g.broader == ("group/public",) for g in groups)


def test_group_informed_consensus_equals_the_formula_on_polis_groups(seattle, seattle_export):
    groups = sorted(c.id for c in seattle.concepts.of_kind("StakeholderGroup") if "/polis-" in c.id)
    rows = consensus(seattle, groups, by="statement")
    # recompute by hand from the export: product over Pol.is groups of (agree + 1) / (votes + 2)
    votes = seattle_export.votes.merge(seattle_export.participants[["participant", "polis_group"]], on="participant")
    votes = votes[votes["polis_group"].notna()]
    for row in rows[:5]:
        statement = int(row["concept"].rsplit("/", 1)[1])
        on = votes[votes["statement"] == statement]
        expected = 1.0
        for group in sorted(votes["polis_group"].unique()):  # a group with no votes contributes (0+1)/(0+2)
            members = on[on["polis_group"] == group]
            expected *= ((members["vote"] == 1).sum() + 1) / (len(members) + 2)
        assert row["consensus"] == pytest.approx(expected, abs=1e-4)


def test_compare_and_contention_on_opinion_groups(seattle):
    groups = "15-per-hour-seattle/polis-A,15-per-hour-seattle/polis-B"
    result = compare(seattle, groups, by="statement")
    top = result.rows[0]
    assert top["group/15-per-hour-seattle/polis-A.basis"] == "votes"
    assert abs(top["difference_points"]) > 50
    rows = contention(seattle, groups, by="statement")
    assert {"divisive", "uncertain"} >= {r["kind"] for r in rows}
    assert rows[0]["kind"] == "divisive"


def test_computed_opinion_groups_are_loaded_too(seattle):
    ours = [c for c in seattle.concepts.of_kind("StakeholderGroup") if "/opinion-" in c.id]
    assert len(ours) >= 2
