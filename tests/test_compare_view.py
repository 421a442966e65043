"""compare read from the stored shares view equals compare computed from the tables, and needs no pandas.

The view (:mod:`consultgraph.queries.shares_view`) is written by the first comparison
of a project's generation; later ones read it with the standard library alone. Here the
same comparisons run both ways on the built-in dataset, the kite, a synthetic project and
a real Pol.is conversation (votes), and every row, note and caveat must be identical.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from consultgraph.graph import cache
from consultgraph.graph.consultation import Consultation
from consultgraph.loaders import PREBUILT_DIR, load
from consultgraph.queries import shares_view
from consultgraph.queries import stats as numpy_stats
from consultgraph.queries import stats_plain
from consultgraph.queries.compare import BY_KINDS, SORTS, compare
from consultgraph.queries.shares_format import PARTS, RAISED, VOTES

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
HEAVY = ("pandas", "numpy", "pyarrow", "scipy")


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    """Views of the built-in dataset go to a cache of this test's own, not the user's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


def open_builtin():
    graph = Consultation.open(PREBUILT_DIR / "amnesty-2019")
    graph.dataset = "amnesty-2019"  # as builtin() opens it: its views go to the user cache
    return graph


def as_text(result):
    """Everything a comparison returns, as text: ints and floats stay apart, NaN is visible."""
    return json.dumps({"rows": result.rows, "notes": result.notes, "caveats": result.caveats,
                       "groups": result.groups, "labels": result.group_labels, "parameters": result.parameters},
                      sort_keys=True, default=repr)


def full_and_fast(opener, monkeypatch):
    """A graph whose comparisons are computed from its tables, and one whose comparisons must read the view."""
    full = opener()
    full.memo(shares_view.VIEW, lambda: shares_view.computed(full))  # never read from, nor written to, the view
    assert not shares_view.share_cells(full).from_view
    shares_view.share_cells(opener())  # writes the view if this generation has none
    fast = opener()

    def computed(*args, **kwargs):
        raise AssertionError("the view was not used")

    monkeypatch.setattr(shares_view, "computed", computed)
    assert shares_view.share_cells(fast).from_view
    return full, fast


def grid(by, quotes=True):
    """Stances, min_base, base and sort varied together over every stance of ``by``; quotes and
    reweighting (the view gives their cells, the tables the rest)."""
    stances = (None, *VOTES) if by == "statement" else (None, RAISED, *PARTS)
    for number, stance in enumerate(stances):
        yield {"by": by, "stance": stance, "sort": SORTS[number % len(SORTS)], "min_base": (0, 30)[number % 2],
               "base": ("stated", "group")[(number // 2) % 2]}
    if quotes:
        yield {"by": by, "quotes": 2}
    if by != "statement":
        yield {"by": by, "reweight": "region"}


def check_everything(opener, monkeypatch, group_sets, kinds=BY_KINDS, quotes=True):
    full, fast = full_and_fast(opener, monkeypatch)
    compared = 0
    for groups in group_sets:
        for by in kinds:
            for options in grid(by, quotes):
                expected = compare(full, groups, **options)
                assert as_text(compare(fast, groups, **options)) == as_text(expected), (groups, options)
                compared += len(expected.rows)
    assert compared  # the grid compared rows, not only empty tables
    return compared


def test_builtin_view_equals_the_tables(monkeypatch):
    rows = check_everything(open_builtin, monkeypatch, ["partner,national-entity",
                                                        "partner,national-entity,international-secretariat"],
                            quotes=False)  # quotes per row take seconds here; the kite checks them
    assert rows > 500


@pytest.fixture
def kite_project(kite_long, kite_findings, tmp_path):
    load([kite_long, kite_findings], into=tmp_path / "kite-project")
    return tmp_path / "kite-project"


def test_kite_view_equals_the_tables(kite_project, monkeypatch):
    check_everything(lambda: Consultation.open(kite_project), monkeypatch,
                     ["partner,national-entity", "partner,national-entity,international-secretariat"])
    # by hand (tests/conftest.py): research, partners 1 of 3, national entities 2 of 3
    row = next(r for r in compare(Consultation.open(kite_project), "partner,NE", by="tactic").rows
               if r["concept"] == "tactic/research" and r["stance"] == "raised")
    assert (row["group/partner.cell"], row["group/national-entity.cell"]) == ("33% (1 of 3)", "67% (2 of 3)")


def test_synthetic_view_equals_the_tables(tmp_path, monkeypatch):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from synthetic import generate
    finally:
        sys.path.remove(str(BENCHMARKS))
    generate(tmp_path / "synthetic.csv", respondents=300, codings=5, seed=3)
    load([tmp_path / "synthetic.csv"], into=tmp_path / "project")
    check_everything(lambda: Consultation.open(tmp_path / "project"), monkeypatch,
                     ["partner,public", "partner,public,is-office,national-entity"], kinds=("theme", "tactic", "approach"))


def test_votes_view_equals_the_tables(shared_data, tmp_path, monkeypatch):
    load([shared_data / "polis" / "15-per-hour-seattle"], into=tmp_path / "public")
    opener = lambda: Consultation.open(tmp_path / "public")  # noqa: E731
    groups = [c.id for c in opener().concepts.concepts if c.id.startswith("group/15-per-hour-seattle/polis-")]
    assert len(groups) >= 2
    check_everything(opener, monkeypatch, [",".join(groups[:2]), ",".join(groups)], kinds=("statement",))


def test_region_and_other_coders_are_never_read_from_the_view(kite_project):
    graph = Consultation.open(kite_project)
    assert shares_view.share_cells(graph).from_view is False  # the first comparison computes and writes it
    again = Consultation.open(kite_project)
    assert shares_view.share_cells(again).from_view is True
    assert shares_view.share_cells(again, "region/europe").from_view is False
    assert shares_view.share_cells(again.with_coder("human")).from_view is False
    in_memory = Consultation(again.nodes, again.edges, manifest=again.manifest)
    assert shares_view.share_cells(in_memory).from_view is False


def test_a_view_of_another_generation_is_not_used(kite_project, tmp_path):
    first = Consultation.open(kite_project)
    shares_view.share_cells(first)
    assert cache.read_view(first, shares_view.VIEW, shares_view.sources()) is not None
    # one more partner who raises research: the next generation says 2 of 4
    more = tmp_path / "more.csv"
    more.write_text("respondent,group,region,code\np4,partner,Africa,research\n", encoding="utf-8")
    load([more], into=kite_project)
    second = Consultation.open(kite_project)
    assert second.manifest["generation"] == first.manifest["generation"] + 1
    assert cache.read_view(second, shares_view.VIEW, shares_view.sources()) is None
    assert shares_view.share_cells(second).from_view is False
    row = next(r for r in compare(Consultation.open(kite_project), "partner,NE", by="tactic").rows
               if r["concept"] == "tactic/research" and r["stance"] == "raised")
    assert row["group/partner.cell"] == "50% (2 of 4)"
    # a view file that names another generation inside is ignored too
    path = cache.write_view(second, shares_view.VIEW, shares_view.sources(), {"stale": True})
    stored = json.loads(path.read_text(encoding="utf-8"))
    stored["identity"]["generation"] = first.manifest["generation"]
    path.write_text(json.dumps(stored), encoding="utf-8")
    assert cache.read_view(second, shares_view.VIEW, shares_view.sources()) is None
    # a damaged view of this generation is computed and written again
    cache.write_view(second, shares_view.VIEW, shares_view.sources(), {"columns": ["group"]})
    assert shares_view.share_cells(Consultation.open(kite_project)).from_view is False
    assert shares_view.share_cells(Consultation.open(kite_project)).from_view is True
    # only the current generation's view is kept beside the project
    assert [p.name for p in (kite_project / ".cache").glob("shares-view-*.json")] == [path.name]


def test_fast_compare_imports_no_pandas_numpy_pyarrow_or_scipy(tmp_path):
    script = (
        "import json, sys\n"
        "from consultgraph.cli import main\n"
        "try:\n"
        "    main(['compare', '--groups', 'partner,national-entity', '--by', 'tactic', '-f', 'json'])\n"
        "except SystemExit as done:\n"
        f"    heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "    print(json.dumps(heavy), file=sys.stderr)\n"
        "    raise\n"
    )
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    runs = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
            for _ in range(2)]
    first, second = (json.loads(run.stderr.strip().splitlines()[-1]) for run in runs)
    assert "pandas" in first  # the first comparison computes the table (and writes the view)
    assert second == []
    assert runs[0].stdout == runs[1].stdout
    research = next(r for r in json.loads(runs[1].stdout) if r["concept"] == "tactic/research" and r["stance"] == "raised")
    assert (research["partner_count"], research["partner_base"]) == (17, 74)


# --------------------------------------------------------------------------- #
# the plain-Python statistics equal numpy's and scipy's


COUNTS = [(c, n) for n in (1, 2, 3, 5, 9, 20, 37, 53, 74, 200) for c in sorted({0, 1, n // 3, n // 2, n - 1, n}) if c >= 0]


def close(a, b, rel=1e-12):
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == pytest.approx(b, rel=rel, abs=1e-300)


def test_plain_interval_effect_size_and_z_equal_numpy_and_scipy():
    from scipy.stats import norm

    for c1, n1 in COUNTS:
        assert all(close(a, float(b)) for a, b in zip(stats_plain.wilson_interval(c1, n1),
                                                      numpy_stats.wilson_interval(c1, n1)))
        for c2, n2 in COUNTS:
            assert close(stats_plain.cohens_h(c1 / n1, c2 / n2), numpy_stats.cohens_h(c1 / n1, c2 / n2))
            z, p = stats_plain.two_proportion_z(c1, n1, c2, n2)
            numpy_z, numpy_p = numpy_stats.two_proportion_z(c1, n1, c2, n2)
            assert close(z, numpy_z) and close(p, numpy_p)
            if z not in (0.0,):
                assert close(p, 2 * norm.sf(abs(z)))


def test_plain_tests_equal_scipy():
    from scipy.stats import chi2_contingency, false_discovery_control, fisher_exact

    p_values = []
    for c1, n1 in COUNTS:
        for number, (c2, n2) in enumerate(COUNTS):
            result = stats_plain.compare_proportions(c1, n1, c2, n2)
            if result["test"] == "fisher":
                assert close(result["p_value"], fisher_exact([[c1, n1 - c1], [c2, n2 - c2]]).pvalue)
            p_values.append(result["p_value"])
            for c3, n3 in ((3, 7), (60, 100)) if number % 4 == 0 else ():
                counts, bases = [c1, c2, c3], [n1, n2, n3]
                statistic, p_value, dof = stats_plain.chi_square_k(counts, bases)
                if 0 < sum(counts) < sum(bases):
                    table = [[c, n - c] for c, n in zip(counts, bases)]
                    reference = chi2_contingency(table, correction=False)
                    assert close(statistic, reference.statistic) and close(p_value, reference.pvalue)
                    assert dof == reference.dof
    reference = false_discovery_control(p_values)
    assert all(close(q, r) for q, r in zip(stats_plain.benjamini_hochberg(p_values), reference))
    with_missing = stats_plain.benjamini_hochberg([0.02, None, 0.04, float("nan")])
    assert with_missing[0] == with_missing[2] == pytest.approx(0.04) and math.isnan(with_missing[1])


def test_plain_statistics_refuse_bad_numbers():
    with pytest.raises(ValueError, match="c1 exceeds n1"):
        stats_plain.compare_proportions(11, 10, 3, 10)
    with pytest.raises(ValueError, match="must not be negative"):
        stats_plain.chi_square_k([-1, 3], [10, 10])
    with pytest.raises(ValueError, match="between 0 and 1"):
        stats_plain.benjamini_hochberg([0.2, 1.3])
