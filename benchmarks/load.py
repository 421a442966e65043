"""Benchmark: load a synthetic 100,000-respondent x 20-coding consultation.

Prints the load time, store size and peak memory next to the time merely to parse the
same CSV with pandas and with pyarrow, measured in the same run, each in a fresh
process (so peak memory is the step's own). Targets: load within 10x of the parse time,
peak memory under 4 GB. The data is SYNTHETIC (seeded): for scale only, never findings.

    python benchmarks/load.py [--respondents 100000] [--codings 20]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

STEP = r"""
import json, resource, sys, time
path, what, project = sys.argv[1], sys.argv[2], sys.argv[3]
started = time.perf_counter()
if what == "pandas":
    import pandas as pd
    rows = len(pd.read_csv(path))
elif what == "pyarrow":
    import pyarrow.csv as pacsv
    rows = pacsv.read_csv(path).num_rows
else:
    from consultgraph.loaders import load
    report = load([path], into=project)
    rows = report.edges_after
seconds = time.perf_counter() - started
hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM")][0].split()[1]
print(json.dumps({"seconds": seconds, "rows": rows, "peak_mb": int(hwm) / 1024}))
"""


def step(path, what, project=""):
    out = subprocess.run([sys.executable, "-c", STEP, str(path), what, str(project)], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    sys.path.insert(0, str(HERE))
    from synthetic import add_scale_options, generate

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    args = add_scale_options(parser).parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "synthetic.csv"
        started = time.perf_counter()
        rows = generate(csv_path, args.respondents, args.codings, args.seed)
        print(f"SYNTHETIC consultation (seed {args.seed}) — for scale only, never for findings")
        print(f"  {args.respondents:,} respondents x {args.codings} codings = {rows:,} rows, "
              f"{csv_path.stat().st_size / 1e6:.0f} MB CSV (generated in {time.perf_counter() - started:.1f}s)")
        pandas = step(csv_path, "pandas")
        arrow = step(csv_path, "pyarrow")
        project = Path(tmp) / "project"
        first = step(csv_path, "load", project)
        again = step(csv_path, "load", project)
        from consultgraph.graph.store import Project

        size = Project(project).size_bytes()
        print(f"  parse with pandas.read_csv   {pandas['seconds']:7.2f} s   peak {pandas['peak_mb']:7.0f} MB")
        print(f"  parse with pyarrow.csv       {arrow['seconds']:7.2f} s   peak {arrow['peak_mb']:7.0f} MB")
        print(f"  consultgraph load (new)      {first['seconds']:7.2f} s   peak {first['peak_mb']:7.0f} MB   "
              f"{first['rows']:,} relationships")
        print(f"  consultgraph load (again)    {again['seconds']:7.2f} s   peak {again['peak_mb']:7.0f} MB   "
              f"{again['rows']:,} relationships (idempotent: {again['rows'] == first['rows']})")
        print(f"  store size                   {size / 1e6:7.1f} MB")
        print(f"  ratio load / pandas parse    {first['seconds'] / pandas['seconds']:7.1f} x   (target <= 10)")
        print(f"  ratio load / pyarrow parse   {first['seconds'] / arrow['seconds']:7.1f} x")
        print(f"  peak memory                  {max(first['peak_mb'], again['peak_mb']) / 1024:7.2f} GB (target < 4)")


if __name__ == "__main__":
    main()
