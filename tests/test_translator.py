"""The translator: records in, one checked batch out (canonical tables), or a clear error.

Every answer here can be checked by reading the records: the shipped concept schemes give
"Research" (tactic/research) and "Universities and academics" (partner-type/academia).
"""

from __future__ import annotations

import json
import math

import pytest

from consultgraph.errors import InputError
from consultgraph.graph.model import codeable_kinds
from consultgraph.graph.records import Edge, Node, Ref
from consultgraph.graph.store import schema_concepts
from consultgraph.graph.translator import EDGE_COLUMNS, NODE_COLUMNS, translate

KINDS = codeable_kinds()


@pytest.fixture(scope="module")
def concepts():
    return schema_concepts()


def stance(edge):
    """The edge's stance, None where it has none (the table may hold NaN there)."""
    return edge["stance"] if isinstance(edge["stance"], str) else None


def edges_of(batch):
    return {(e["source"], e["target"], e["kind"], stance(e)): e for e in batch.edges.to_dict("records")}


def test_records_become_canonical_tables(concepts):
    batch = translate([
        Node("Respondent", "respondent/r1", {"label": "R1", "name": "Ann"}, file="f.csv", line=2),
        Node("Respondent", "respondent/r2", {}, file="f.csv", line=3),
        Edge("MEMBER_OF", "respondent/r1", Ref("partners")),
    ], concepts=concepts)
    assert list(batch.nodes.columns) == NODE_COLUMNS and list(batch.edges.columns) == EDGE_COLUMNS
    nodes = batch.nodes.set_index("id")
    assert nodes.loc["respondent/r1", "label"] == "R1"
    assert json.loads(nodes.loc["respondent/r1", "props"]) == {"name": "Ann"}
    assert nodes.loc["respondent/r2", "label"] == "r2"  # no label: the id's local part
    (edge,) = batch.edges.to_dict("records")
    assert (edge["target"], edge["kind"], stance(edge)) == ("group/partner", "MEMBER_OF", None)
    assert math.isnan(edge["weight"])


def test_a_coding_is_a_mention_or_a_proposal_by_what_it_names(concepts):
    batch = translate([
        Node("Respondent", "respondent/r1", {}),
        Edge("CODED", "respondent/r1", Ref("Research", KINDS), {"stance": "lead", "weight": 2}),
        Edge("CODED", "respondent/r1", Ref("Universities and academics", KINDS)),
    ], concepts=concepts)
    edges = edges_of(batch)
    assert edges[("respondent/r1", "tactic/research", "MENTIONS", "lead")]["weight"] == 2.0
    assert edges[("respondent/r1", "partner-type/academia", "PROPOSES", None)]["weight"] == 1.0
    assert len(edges) == 2


def test_the_same_coding_twice_is_one_edge_whose_weight_counts_both(concepts):
    batch = translate([
        Node("Respondent", "respondent/r1", {}),
        Edge("CODED", "respondent/r1", Ref("Research", KINDS)),
        Edge("CODED", "respondent/r1", Ref("research", KINDS)),
    ], concepts=concepts)
    (edge,) = batch.edges.to_dict("records")
    assert (edge["target"], edge["kind"], stance(edge), edge["weight"]) == ("tactic/research", "MENTIONS", "mention", 2.0)


def test_a_label_two_kinds_share_means_the_mentioned_kind(concepts):
    # "Indigenous peoples" is a theme and an audience: a coding means the theme
    assert sorted(concepts.candidates("Indigenous peoples", KINDS)) == ["audience/indigenous-peoples",
                                                                       "theme/indigenous-peoples"]
    batch = translate([Node("Respondent", "respondent/r1", {}),
                       Edge("CODED", "respondent/r1", Ref("Indigenous peoples", KINDS))], concepts=concepts)
    assert list(batch.edges["target"]) == ["theme/indigenous-peoples"]


@pytest.mark.parametrize("records, message", [
    ([Node("Respondent", "respondent/r1", {}), Edge("CODED", "respondent/r1", Ref("reserch", KINDS), file="f.csv", line=4)],
     "f.csv, line 4, field 'code': unknown code 'reserch' (nearest known: 'Research'"),
    ([Node("Respondant", "respondent/r1", {}, file="f.csv", line=2)],
     "f.csv, line 2, field 'kind': unknown node kind 'Respondant'"),
    ([Node("Respondent", "respondent/r1", {}), Edge("MEMBER_OF", "respondent/r1", Ref("Research"), file="f.csv", line=5)],
     "f.csv, line 5, field 'code': unknown stakeholder group 'Research'"),
    ([Node("Respondent", "respondent/r1", {}), Edge("MEMBER_OF", "respondent/r1", "group/nowhere", file="f.csv", line=5)],
     "f.csv, line 5, field 'target': unknown node 'nowhere'"),
    ([Node("Respondent", "respondent/r1", {}),
      Edge("CODED", "respondent/r1", Ref("Research", KINDS), {"stance": "love"}, file="f.csv", line=6)],
     "f.csv, line 6, field 'stance': 'love' is not a stance (use one of: lead, support, drop, mention)"),
])
def test_bad_records_name_file_line_and_field(concepts, records, message):
    with pytest.raises(InputError) as error:
        translate(records, concepts=concepts)
    assert str(error.value).startswith(message)


def test_nothing_in_nothing_out(concepts):
    batch = translate([], concepts=concepts)
    assert len(batch.nodes) == 0 and len(batch.edges) == 0
    assert list(batch.nodes.columns) == NODE_COLUMNS


def test_props_json_writes_what_the_json_encoder_writes():
    """Texts, numbers and truth values are written column by column; mixed columns row by row: the same JSON."""
    import json
    import math

    import numpy as np
    import pandas as pd

    from consultgraph.graph.props import props_json

    frame = pd.DataFrame({
        "text": pd.Series(["a", 'é"\\\n\t\x01', "", None, float("nan"), "日本", "x"], dtype=object),
        "arrow": pd.Series(["a", None, "b", "c", "", "d", "e"]),
        "number": [0.1, 2.0, float("nan"), float("inf"), -0.0, 1e16, 1e-7],
        "count": np.array([0, 1, -5, 2**40, 3, 4, 5]),
        "flag": [True, False, True, True, False, False, True],
        "mixed": pd.Series([1, "one", None, 2.5, True, "", 3], dtype=object),
    })

    def expected(row, columns):
        kept = {}
        for column in columns:
            value = row[column]
            if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
                continue
            if isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
                value = int(value)
            kept[column] = value.item() if isinstance(value, np.generic) else value
        return json.dumps(kept, ensure_ascii=False, sort_keys=True) if kept else "{}"

    for columns in (["text", "arrow", "number", "count", "flag"], list(frame.columns)):  # column by column; row by row
        rows = [dict(zip(frame.columns, values)) for values in frame.itertuples(index=False)]
        assert list(props_json(frame, columns)) == [expected(row, columns) for row in rows]


def test_union_of_categoricals_keeps_order_of_appearance_and_object_categories():
    import pandas as pd
    from pandas.api.types import union_categoricals

    from consultgraph.graph.codes import union

    parts = [pd.Categorical(["b", "a", None, "b"]), pd.Categorical(["c", "a", "d"]), pd.Categorical([None, "e"])]
    united = union(parts)
    assert list(united) == list(union_categoricals(parts)) and list(united.categories) == ["a", "b", "c", "d", "e"]
    assert united.categories.dtype == object
