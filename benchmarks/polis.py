"""Benchmark: Pol.is export reading and opinion math on two real conversations.

For each conversation: the time (best of 3) to read the export, to find opinion groups
and to compute the per-statement statistics; the numbers of participants, statements and
votes; the k chosen; and the adjusted Rand index (ARI) between our opinion groups and
Pol.is's own ``group-id`` (on the participants both clustered). Then the ARI over
seeds 0-9 for the Pol.is way and for variations of it. Reference: red-dwarf 0.4.0
reports ARI 0.46 (15-per-hour-seattle) and 0.95 (scoop-hivemind.biodiversity).

    python benchmarks/polis.py [--data ../shared/data/polis] [--seeds 10] [--repeat 3] [--against /tmp/old]

Also times the whole ``consultgraph load`` of each conversation as a fresh process (imports
included, wall and CPU, median of --repeat), next to ``python -c pass`` and to importing the
libraries alone; ``--against FOLDER`` times another copy of the package too (a folder
holding a ``consultgraph`` package, e.g. an older checkout, and any other packages that
copy should use, e.g. another scipy). Compiled bytecode is kept, as an installed package
has it (see benchmarks/startup.py); ``--source-only`` compiles every run instead.

Pol.is's group-id is used only to score, never as an input.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from startup import bytecode_env, timed  # the scripts' folder is on sys.path when run as a script

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "polis"
CONVERSATIONS = ["15-per-hour-seattle", "scoop-hivemind.biodiversity"]
RED_DWARF = {"15-per-hour-seattle": 0.46, "scoop-hivemind.biodiversity": 0.95}


def best_of(repeat, function, *args, **kwargs):
    """The shortest of ``repeat`` timings (seconds) and the function's result."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function(*args, **kwargs)
        times.append(time.perf_counter() - started)
    return min(times), result


def cli_loads(args):
    """The whole `consultgraph load` of each conversation, a fresh process each time."""
    with bytecode_env(args.source_only) as env:
        time_loads(args, env)


def time_loads(args, env):
    """The table of :func:`cli_loads` in ``env``."""
    from importlib.metadata import version  # not `import scipy`: numpy's BLAS threads would start in this process

    run_cli = "import sys; from consultgraph.cli import main; main(sys.argv[1:])"
    base_wall, base_cpu = timed([sys.executable, "-c", "pass"], env, args.repeat)
    # the floor while scikit-learn does the clustering: importing what the command needs, and nothing else
    libraries = "import numpy, pandas, pyarrow.parquet, sklearn.cluster, sklearn.metrics, threadpoolctl"
    # with OpenBLAS's idle workers sleeping soon, as the CLI has them (cli/base.py: Root.main)
    lib_env = dict(env, OPENBLAS_THREAD_TIMEOUT=env.get("OPENBLAS_THREAD_TIMEOUT", "16"))
    lib_wall, lib_cpu = timed([sys.executable, "-c", libraries], lib_env, args.repeat)
    print(f"\nThe whole `consultgraph load FOLDER --into NEW -q` (fresh process, median of {args.repeat}); "
          f"`python -c pass` {base_wall:.3f} s wall, {base_cpu:.3f} s CPU; importing numpy, pandas, pyarrow and "
          f"scikit-learn's cluster and metrics alone {lib_wall:.2f} s wall, {lib_cpu:.2f} s CPU")
    for name in CONVERSATIONS:
        argv = [sys.executable, "-c", run_cli, "load", str(args.data / name), "--into", "{tmp}/project", "-q"]
        wall, cpu = timed(argv, env, args.repeat)
        line = f"  {name:30} {wall:6.2f} s wall {cpu:6.2f} s CPU"
        if args.against:
            old_wall, old_cpu = timed(argv, dict(env, PYTHONPATH=args.against), args.repeat)
            line += f"   before: {old_wall:6.2f} s wall {old_cpu:6.2f} s CPU ({old_cpu / cpu:4.1f}x)"
        print(line, flush=True)
    bytecode = "compiled every run" if env.get("PYTHONDONTWRITEBYTECODE") else "cached"
    print(f"  {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}, scipy {version('scipy')}, scikit-learn {version('scikit-learn')}, "
          f"bytecode {bytecode}")


def statement_statistics(matrix, groups):
    """Every per-statement statistic of :mod:`consultgraph.queries.opinion`."""
    from consultgraph.queries import opinion

    return (
        opinion.group_informed_consensus(matrix, groups),
        opinion.representative_statements(opinion.repness(matrix, groups)),
        opinion.divisive_statements(matrix, groups),
        opinion.uncertain_statements(matrix),
    )


def ari_with_polis(result, polis):
    from sklearn.metrics import adjusted_rand_score

    both = result.groups.index.intersection(polis.index)
    return adjusted_rand_score(polis[both].astype(int), result.groups[both]), len(both)


def variations(export):
    """(label, matrix, options) for the Pol.is way and the variations we tried."""
    from consultgraph.queries.opinion import vote_matrix

    full = vote_matrix(export, include_moderated=True)
    kept = vote_matrix(export)
    polis_way = {"moderated_out": export.moderated_out}
    return [
        ("Pol.is way, best of 10 runs (default)", full, polis_way),
        ("Pol.is way, single run", full, {**polis_way, "n_runs": 1}),
        ("moderated statements dropped, not zeroed", kept, {}),
        ("no sqrt(n/seen) scaling", full, {**polis_way, "scale": False}),
        ("no scaling, single run", full, {**polis_way, "scale": False, "n_runs": 1}),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder holding the Pol.is export folders")
    parser.add_argument("--seeds", type=int, default=10, help="seeds for the variation table (default 10)")
    parser.add_argument("--repeat", type=int, default=3, help="timings are the best of this many runs (default 3)")
    parser.add_argument("--against", default=None, help="A folder holding another consultgraph package to time too.")
    parser.add_argument("--only-load", action="store_true", help="Only time the whole `consultgraph load`.")
    parser.add_argument("--source-only", action="store_true",
                        help="Keep the environment's bytecode setting (PYTHONDONTWRITEBYTECODE compiles every run).")
    args = parser.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"no Pol.is data at {args.data}; pass --data")
    cli_loads(args)
    if args.only_load:
        return

    import sklearn.cluster  # noqa: F401  (import time is not the algorithm's)

    from consultgraph.loaders.polis import read_polis_export
    from consultgraph.queries.opinion import vote_matrix
    from consultgraph.queries.opinion_groups import opinion_group_records, opinion_groups

    print(f"Pol.is data: {args.data}\n")
    header = (f"{'conversation':30} {'read s':>7} {'graph s':>7} {'groups s':>8} {'stats s':>7} {'ptpts':>6} {'stmts':>5} "
              f"{'votes':>6} {'k':>2} {'ARI':>6} {'red-dwarf':>9}")
    print(header)
    print("-" * len(header))
    exports = {}
    for name in CONVERSATIONS:
        read_s, export = best_of(args.repeat, read_polis_export, args.data / name, reuse=False)
        from consultgraph.loaders import load

        # the whole `consultgraph load`: read, opinion groups, records, translation into the graph
        graph_s, _ = best_of(1, load, [args.data / name], steps=(opinion_group_records,))
        exports[name] = export
        matrix = vote_matrix(export, include_moderated=True)
        groups_s, result = best_of(args.repeat, opinion_groups, matrix, moderated_out=export.moderated_out)
        stats_s, _ = best_of(args.repeat, statement_statistics, vote_matrix(export), result.groups)
        polis = export.participants.set_index("participant")["polis_group"].dropna()
        ari, _ = ari_with_polis(result, polis)
        print(
            f"{name:30} {read_s:7.3f} {graph_s:7.3f} {groups_s:8.3f} {stats_s:7.3f} {len(export.participants):6d} "
            f"{len(export.comments):5d} {len(export.votes):6d} {result.k:2d} {ari:6.3f} {RED_DWARF[name]:9.2f}"
        )

    print()
    for name, export in exports.items():
        polis = export.participants.set_index("participant")["polis_group"].dropna()
        print(
            f"{name}: {export.n_vote_rows} vote rows, {export.n_superseded} superseded by a later vote; "
            f"{len(export.moderated_out)} of {len(export.comments)} statements moderated out; "
            f"Pol.is grouped {len(polis)} of {len(export.participants)} participants"
        )

    print("\nOpinion groups with the k-means runs in one thread (the default) and in as many as the libraries like")
    for name, export in exports.items():
        polis = export.participants.set_index("participant")["polis_group"].dropna()
        matrix = vote_matrix(export, include_moderated=True)
        one_s, one = best_of(args.repeat, opinion_groups, matrix, moderated_out=export.moderated_out, threads=1)
        many_s, many = best_of(args.repeat, opinion_groups, matrix, moderated_out=export.moderated_out, threads=None)
        same = one.groups.equals(many.groups) and one.k == many.k
        print(f"  {name:30} 1 thread {one_s:6.2f} s   unlimited {many_s:6.2f} s   ({many_s / one_s:4.1f}x)   "
              f"ARI {ari_with_polis(one, polis)[0]:.3f} / {ari_with_polis(many, polis)[0]:.3f}   same groups: {same}")

    print(f"\nARI with Pol.is's group-id over seeds 0-{args.seeds - 1}: min / median / max (k chosen; seconds per call)")
    for name, export in exports.items():
        polis = export.participants.set_index("participant")["polis_group"].dropna()
        print(f"  {name}")
        for label, matrix, options in variations(export):
            scores, ks, seconds = [], set(), []
            for seed in range(args.seeds):
                started = time.perf_counter()
                result = opinion_groups(matrix, seed=seed, **options)
                seconds.append(time.perf_counter() - started)
                scores.append(ari_with_polis(result, polis)[0])
                ks.add(result.k)
            print(
                f"    {label:42} {min(scores):.3f} / {statistics.median(scores):.3f} / {max(scores):.3f}"
                f"  (k {'/'.join(map(str, sorted(ks)))}; {statistics.median(seconds):.2f} s)"
            )


if __name__ == "__main__":
    main()
