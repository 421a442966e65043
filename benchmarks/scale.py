"""Benchmark: load / open / stats / compare at several sizes, with baselines and log-log slopes.

Each step runs in a fresh process (peak memory is the step's own; the timer starts after
the imports). Loading the same file again is measured twice: ``--force`` (parse, translate,
merge, save: the full path) and the no-op (the project was last written by this very load,
so only the file is hashed). Baselines measured in the same run: pyarrow's CSV parse of the
same file for loads, DuckDB straight on the project's edges Parquet for stats and compare counts. The
data is SYNTHETIC (seeded): for scale only, never for findings. On a terminal, a progress
bar on standard error shows the step running and its elapsed time.

``compare`` reads the share counts the load stored with the project; ``share counts``
counts them again from the stored codings (what compare does for a region or a coder
choice, or on a project stored before the view existed).

    nice python benchmarks/scale.py --sizes 10k,100k,1M [--codings 20]
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

STEP = r"""
import json, sys, time
what, csv_path, project = sys.argv[1], sys.argv[2], sys.argv[3]
import duckdb, numpy, pandas, pyarrow, pyarrow.csv, pyarrow.parquet  # imports are not the step's work
cpu_started = time.process_time()
if what == "parse":
    import pyarrow.csv as pacsv
    started = time.perf_counter()
    rows = pacsv.read_csv(csv_path).num_rows
elif what == "sha256":
    import hashlib
    started = time.perf_counter()
    with open(csv_path, "rb") as handle:
        rows = len(hashlib.file_digest(handle, "sha256").hexdigest())
elif what in ("load", "reload-force"):
    from consultgraph.loaders import load
    started = time.perf_counter()
    rows = load([csv_path], into=project, force=what == "reload-force").edges_after
elif what == "reload":  # the project was last written by this very load: hashing the file is the work
    from consultgraph.loaders import load
    started = time.perf_counter()
    report = load([csv_path], into=project)
    if not report.unchanged:
        raise SystemExit("the same load again was not a no-op")
    rows = report.edges_after
elif what == "open":
    from consultgraph.graph.consultation import Consultation
    started = time.perf_counter()
    graph = Consultation.open(project)
    rows = len(graph.concepts.concepts) + sum(graph.summary()["edges_by_kind"].values())
elif what == "stats":
    from consultgraph.graph.consultation import Consultation
    from consultgraph.queries.overview import stats
    started = time.perf_counter()
    rows = len(stats(Consultation.open(project)))
elif what == "compare":
    from consultgraph.graph.consultation import Consultation
    from consultgraph.queries.compare import compare
    started = time.perf_counter()
    rows = len(compare(Consultation.open(project), ["group/partner", "group/public"], by="tactic").rows)
elif what == "share-counts":
    from consultgraph.graph.consultation import Consultation
    from consultgraph.graph.counts import share_counts
    started = time.perf_counter()
    rows = len(share_counts(Consultation.open(project))[0])
elif what == "counts":
    from consultgraph.graph.consultation import Consultation
    started = time.perf_counter()
    graph = Consultation.open(project)
    rows = len(graph.coding_counts("Tactic", ["group/partner", "group/public"]))
    rows += len(graph.respondent_counts(["group/partner", "group/public"]))
elif what in ("duckdb-stats", "duckdb-compare"):
    import duckdb
    from consultgraph.graph.store import Project
    path = Project(project).table_path("edges")
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    if what == "duckdb-stats":
        rows = len(con.execute(f"SELECT kind, count(*) FROM read_parquet('{path}') GROUP BY kind").fetchall())
    else:  # compare's exact counts and bases, straight from the edges (no roll-up): the engine's floor
        rows = len(con.execute(f'''
            WITH e AS (SELECT * FROM read_parquet('{path}')),
                 m AS (SELECT source AS respondent, target AS grp FROM e WHERE kind = 'MEMBER_OF'),
                 c AS (SELECT source AS respondent, target AS concept, coalesce(stance, 'mention') AS stance
                       FROM e WHERE kind IN ('MENTIONS', 'PROPOSES'))
            SELECT m.grp, c.concept, c.stance, count(DISTINCT c.respondent)
            FROM c JOIN m USING (respondent) WHERE m.grp IN ('group/partner', 'group/public') GROUP BY ALL
            UNION ALL SELECT grp, NULL, NULL, count(*) FROM m GROUP BY ALL''').fetchall())
seconds = time.perf_counter() - started
cpu = time.process_time() - cpu_started
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": rows, "peak_mb": int(hwm) / 1024}))
"""

STEPS = [
    ("parse", "pyarrow.csv parse (baseline)"),
    ("load", "consultgraph load (new project)"),
    ("reload-force", "load the same file again --force"),
    ("reload", "load the same file again (no-op)"),
    ("sha256", "hashlib sha256 of the file (baseline)"),
    ("open", "open the project"),
    ("stats", "stats"),
    ("duckdb-stats", "DuckDB count by kind (baseline)"),
    ("compare", "compare --by tactic"),
    ("share-counts", "share counts from the codings"),
    ("counts", "coding_counts + respondent_counts"),
    ("duckdb-compare", "DuckDB compare counts (baseline)"),
]


def progress(total, description):
    """A tqdm bar on standard error when it is a terminal, else None."""
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="step", file=sys.stderr, leave=False,
                bar_format="{desc} {n_fmt}/{total_fmt} steps [{elapsed}]")


def step(what, csv_path, project, bar=None):
    """Run one step in a fresh process; the bar (if any) ticks its elapsed time while it runs."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen([sys.executable, "-c", STEP, what, str(csv_path), str(project)], stdout=out, stderr=err,
                                 text=True)
        while child.poll() is None:
            time.sleep(0.5)
            if bar is not None:
                bar.refresh()
        out.seek(0)
        err.seek(0)
        if child.returncode:
            raise SystemExit(f"{what} failed:\n{err.read()[-3000:]}")
        return json.loads([line for line in out.read().splitlines() if line.startswith("{")][-1])


def size(text):
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * factor)


def main():
    sys.path.insert(0, str(HERE))
    from synthetic import generate

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10k,100k", help="Respondent counts, comma-separated (10k,100k,1M).")
    parser.add_argument("--codings", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", default=None, help="Folder to keep the CSVs and projects in (default: a temp folder).")
    args = parser.parse_args()
    sizes = [size(s) for s in args.sizes.split(",")]

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.keep or tmp)
        base.mkdir(parents=True, exist_ok=True)
        print("SYNTHETIC consultation (seeded) — for scale only, never for findings")
        print(f"load average {' / '.join(f'{x:.1f}' for x in __import__('os').getloadavg())} (1 / 5 / 15 min) at the start")
        for n in sizes:
            csv_path = base / f"synthetic-{n}.csv"
            if not csv_path.exists():
                generate(csv_path, n, args.codings, args.seed)
            project = base / f"project-{n}"
            if project.exists():
                import shutil

                shutil.rmtree(project)
            print(f"\n{n:,} respondents x {args.codings} codings ({csv_path.stat().st_size / 1e6:.0f} MB CSV)")
            results[n] = {}
            bar = progress(len(STEPS), f"{n:,} respondents")
            for what, label in STEPS:
                if bar is not None:
                    bar.set_description(f"{n:,} respondents: {label}")
                figure = step(what, csv_path, project, bar)
                results[n][what] = figure
                if bar is not None:
                    bar.update()
                    bar.clear()
                print(f"  {label:<38} {figure['seconds']:8.2f} s wall {figure['cpu']:8.2f} s CPU   "
                      f"peak {figure['peak_mb']:8.0f} MB", flush=True)
            if bar is not None:
                bar.close()
            r = results[n]
            for name, a, b in (("load / pyarrow parse", "load", "parse"),
                               ("reload --force / load", "reload-force", "load"),
                               ("reload --force peak / load peak", "reload-force", "load"),
                               ("no-op reload / load", "reload", "load"),
                               ("no-op reload peak / load peak", "reload", "load"),
                               ("no-op reload / sha256 of the file", "reload", "sha256"),
                               ("stats / DuckDB count by kind", "stats", "duckdb-stats"),
                               ("compare / DuckDB compare counts", "compare", "duckdb-compare"),
                               ("share counts / DuckDB compare counts", "share-counts", "duckdb-compare"),
                               ("coding_counts / DuckDB counts", "counts", "duckdb-compare")):
                if "peak" in name:
                    print(f"  ratio {name:<38} {r[a]['peak_mb'] / max(r[b]['peak_mb'], 1):8.2f} x memory")
                    continue
                wall = r[a]["seconds"] / max(r[b]["seconds"], 1e-3)
                cpu = r[a]["cpu"] / max(r[b]["cpu"], 1e-3)
                print(f"  ratio {name:<38} {wall:8.2f} x wall {cpu:8.2f} x CPU")
    # each step between neighbouring sizes (100k -> 1M is the one the README quotes), then end to end
    pairs = list(zip(sizes, sizes[1:])) + ([(sizes[0], sizes[-1])] if len(sizes) > 2 else [])
    for small, large in pairs:
        print(f"\nlog-log slope, {small:,} -> {large:,} respondents (1.0 = linear): wall time, CPU time, peak memory")
        for what, label in STEPS:
            slopes = []
            for key in ("seconds", "cpu", "peak_mb"):
                a, b = results[small][what][key], results[large][what][key]
                slopes.append(math.log(b / a) / math.log(large / small) if a > 0 and b > 0 else float("nan"))
            print(f"  {label:<38} {slopes[0]:6.2f} {slopes[1]:6.2f} {slopes[2]:6.2f}")
    import os

    print(f"\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
          f"load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())} (1 / 5 / 15 min) at the end")


if __name__ == "__main__":
    main()
