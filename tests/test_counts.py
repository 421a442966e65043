"""Every count and base that stats and compare return, checked against plain pandas / YAML.

The expected figures are computed here from the input files themselves (the CSV, the
dataset's YAML), never from the graph's tables: only the concept vocabulary (labels,
broader links) is taken from the schema. Run on the kite, a small synthetic project
opened from its store (the lazy, DuckDB path), and the built-in dataset.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
import yaml

from consultgraph.graph.consultation import Consultation
from consultgraph.graph.model import mentioned_kinds
from consultgraph.loaders import DATASETS_DIR, builtin, load
from consultgraph.queries.compare import compare
from consultgraph.queries.overview import stats

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
KIND_OF_BY = {"theme": "Theme", "tactic": "Tactic"}


def expected_from_csv(csv_path, graph, kind, region=None):
    """``(bases, counts)`` from the long CSV(s): respondents per group, and per (group, concept, stance)."""
    concepts = graph.concepts
    paths = csv_path if isinstance(csv_path, list) else [csv_path]
    rows = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in paths], ignore_index=True)
    if region is not None:
        rows = rows[[concepts.resolve(r, ("Region",)) == region for r in rows["region"]]]
    rows["group"] = [concepts.resolve(g, ("StakeholderGroup",)) for g in rows["group"]]
    rows["stance"] = rows["stance"].replace("", "mention").str.casefold() if "stance" in rows else "mention"
    bases = rows.groupby("group")["respondent"].nunique().to_dict()
    kind_of = {c.id: c.kind for c in concepts.concepts}
    codes = {}
    for code in rows["code"].unique():
        concept = concepts.resolve(code, prefer=mentioned_kinds())
        codes[code] = [c for c in [concept, *concepts.ancestors(concept)] if kind_of.get(c) == kind]
    rows["concept"] = rows["code"].map(codes)
    rows = rows.explode("concept").dropna(subset=["concept"])
    counts = rows.groupby(["group", "concept", "stance"])["respondent"].nunique().to_dict()
    raised = rows.groupby(["group", "concept"])["respondent"].nunique().to_dict()
    counts.update({(g, c, "raised"): n for (g, c), n in raised.items()})
    return bases, counts


def check_compare(graph, csv_path, groups, by, region=None):
    bases, counts = expected_from_csv(csv_path, graph, KIND_OF_BY[by], region)
    result = compare(graph, groups, by=by, region=region)
    checked = 0
    for row in result.rows:
        for group in groups:
            if row.get(f"{group}.basis") != "respondents":
                continue
            assert row[f"{group}.base"] == bases[group], (row["concept"], group)
            assert row[f"{group}.count"] == counts.get((group, row["concept"], row["stance"]), 0), (row, group)
            checked += 1
    assert checked
    return checked


def check_engine(graph, csv_path, groups, by):
    bases, counts = expected_from_csv(csv_path, graph, KIND_OF_BY[by])
    got = graph.respondent_counts(groups)
    assert dict(zip(got["group"], got["respondents"])) == {g: bases.get(g, 0) for g in groups}
    found = graph.coding_counts(KIND_OF_BY[by], groups)
    got = {(g, c, s): n for g, c, s, n in found[["group", "concept", "stance", "count"]].itertuples(index=False)}
    assert got == {k: v for k, v in counts.items() if k[0] in groups}


def check_stats(graph, csv_path):
    rows = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    concepts = graph.concepts
    people = rows.drop_duplicates("respondent")
    groups = Counter(concepts.resolve(g, ("StakeholderGroup",)) for g in people["group"])
    regions = Counter(concepts.resolve(r, ("Region",)) for r in people["region"])
    label = {c.id: c.label for c in concepts.concepts}
    out = stats(graph)
    section = lambda name: {r["name"]: r["count"] for r in out if r["section"] == name}  # noqa: E731
    assert section("respondents in the graph") == {label[g]: n for g, n in groups.items()}
    assert section("respondents by region") == {label[r]: n for r, n in regions.items()}
    expected = {label[g]: n for g, n in groups.items()}
    assert {name: n for name, n in section("group").items() if name in expected} == expected
    # a group with parts (the International Secretariat) is listed too, sized as the sum of its parts
    for row in (r for r in out if r["section"] == "group" and r["name"] not in expected):
        parts = [concepts[p].label for p in row["detail"].split("parts: ", 1)[1].split(", ")]
        assert row["count"] == sum(expected.get(p, 0) for p in parts), row
    codings = {(r, concepts.resolve(c, prefer=mentioned_kinds()), s.casefold() or "mention") for r, c, s in zip(rows["respondent"], rows["code"], rows["stance"])}
    assert section("nodes")["Respondent"] == len(people)
    assert section("relationships")["MENTIONS"] == len(codings)
    assert section("relationships")["MEMBER_OF"] == len(people)


def test_kite_counts(kite, kite_long):
    for by in ("tactic", "theme"):
        check_compare(kite, kite_long, ["group/partner", "group/national-entity"], by)
        check_engine(kite, kite_long, ["group/partner", "group/national-entity"], by)
    check_stats(kite, kite_long)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    sys.path.insert(0, str(BENCHMARKS))
    from synthetic import generate

    folder = tmp_path_factory.mktemp("synthetic")
    csv_path = folder / "synthetic.csv"
    generate(csv_path, respondents=400, codings=6, seed=7)
    load([csv_path], into=folder / "project")
    return Consultation.open(folder / "project"), csv_path


def test_synthetic_project_counts(synthetic):
    graph, csv_path = synthetic
    assert graph.parquet_path("share_counts") is not None  # compare reads the counts stored at load time
    groups = ["group/partner", "group/public", "group/is-office"]
    for by in ("theme", "tactic"):
        check_compare(graph, csv_path, groups[:2], by)
        check_engine(graph, csv_path, groups, by)
        # a region is not the stored default view: counted from the codings instead
        check_compare(Consultation.open(graph.path), csv_path, groups[:2], by, region="region/africa")
    check_stats(graph, csv_path)


def test_coding_counts_from_the_stored_view_are_duckdb_counts(synthetic, amnesty):
    """coding_counts reads the stored share counts; without the view DuckDB counts the codings."""
    graph, _ = synthetic
    for stored in (graph, Consultation.open(amnesty.path)):
        counted = Consultation.open(stored.path)
        counted.manifest = {**counted.manifest, "tables": {k: v for k, v in counted.manifest["tables"].items()
                                                            if k != "share_counts"}}
        groups = [c.id for c in stored.concepts.concepts if c.kind == "StakeholderGroup"]
        for kind in ("Theme", "Tactic"):
            for stance in (None, "mention", "lead", "raised"):
                from_view = stored.coding_counts(kind, groups, stance=stance)
                assert from_view.equals(counted.coding_counts(kind, groups, stance=stance)), (kind, stance)
                assert len(from_view) or stance is not None or stored is not graph  # amnesty: findings, no codings


def test_stored_counts_follow_the_generation(synthetic, tmp_path):
    """A second load writes the next generation's counts; a project stored without them counts afresh."""
    import shutil

    from consultgraph.graph.store import Project

    graph, csv_path = synthetic
    project = tmp_path / "project"
    shutil.copytree(graph.path, project)
    more = tmp_path / "more.csv"
    more.write_text("respondent,group,region,code,stance,weight\n"
                    "late1,partner,Africa,Research,lead,1\nlate1,partner,Africa,Advocacy,,1\n"
                    "late2,public,Europe,Research,,1\n", encoding="utf-8")
    load([more], into=project)
    again = Consultation.open(project)
    assert again.manifest["generation"] == graph.manifest["generation"] + 1
    assert again.parquet_path("share_counts").name.endswith(f"{again.manifest['generation']:06d}.parquet")
    groups = ["group/partner", "group/public"]
    for by in ("tactic", "theme"):
        check_compare(again, [csv_path, more], groups, by)
    # a version 2 project written before the view existed: the same figures, counted from the edges
    manifest = Project(project).manifest()
    del manifest["tables"]["share_counts"]
    (project / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    old = Consultation.open(project)
    assert old.parquet_path("share_counts") is None
    for by in ("tactic", "theme"):
        check_compare(old, [csv_path, more], groups, by)


def test_builtin_counts_match_the_yaml():
    """Stats and every finding-based compare cell equal the transcribed records of findings.yaml."""
    folder = DATASETS_DIR / "amnesty-2019"
    records = yaml.load((folder / "findings.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    people = pd.read_csv(folder / "respondents.csv", dtype=str)
    graph = builtin()
    label = {c.id: c.label for c in graph.concepts.concepts}
    out = stats(graph)
    section = lambda name: {r["name"]: r["count"] for r in out if r["section"] == name}  # noqa: E731
    sizes = {}
    for record in records:
        if record.get("measure") == "size" and record.get("count") is not None:
            sizes[f"group/{record['group']}"] = record["count"]  # a later statement wins, as in group_sizes
    stated = {label[g]: n for g, n in sizes.items()}
    assert {name: n for name, n in section("group").items() if name in stated} == stated
    # groups without a stated size: the IS as the sum of its parts (26 + 11), the public not stated
    assert {name: n for name, n in section("group").items() if name not in stated} == {
        "International Secretariat": 37, "General public": None}
    assert section("findings") == dict(Counter(r["measure"] for r in records))
    assert section("respondents in the graph") == {label[f"group/{g}"]: n for g, n in people["group"].value_counts().items()}
    by_line = {}
    for record in records:
        by_line.setdefault(record.get("source_line"), []).append(record)
    groups = ["group/partner", "group/national-entity"]
    checked = 0
    for by in ("tactic", "theme"):
        for row in compare(graph, groups, by=by).rows:
            for group in groups:
                basis = row.get(f"{group}.basis") or ""
                if not basis.startswith("finding (line "):
                    continue
                line = int(basis.removeprefix("finding (line ").rstrip(")"))
                matches = [r for r in by_line[line] if f"group/{r.get('group')}" == group and r.get("concept") == row["concept"]]
                assert matches, (row["concept"], group, line)  # a count of None: the source gives a percent only
                assert row[f"{group}.count"] in {r.get("count") for r in matches}
                assert row[f"{group}.base"] in {r.get("base") or sizes[group] for r in matches}
                checked += 1
    assert checked > 20
