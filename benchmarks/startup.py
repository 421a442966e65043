"""Benchmark: how long everyday commands (and the report) take on the built-in dataset, start-up included.

Each command runs as a fresh process (wall and CPU seconds, median of --repeat runs)
next to ``python -c pass`` measured in the same run, so the ratio survives a busy
machine. Compiled bytecode is kept (in a temporary ``PYTHONPYCACHEPREFIX``, even when
``PYTHONDONTWRITEBYTECODE`` is set), as an installed package has it: without it every run
compiles the imported modules again (compare: 0.22 s CPU instead of 0.16 s at load 2.5).
``--source-only`` measures without it. ``--against FOLDER`` also times another copy of the
package (a folder that holds a ``consultgraph`` package, e.g. an older checkout) for a
before/after table.

    python benchmarks/startup.py [--repeat 5] [--against /tmp/old] [--source-only]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

COMMANDS = [
    ("--help", ["--help"]),
    ("stats", ["stats"]),
    ("compare --by tactic", ["compare", "--groups", "partner,national-entity", "--by", "tactic"]),
    ("viz", ["viz", "-o", "{tmp}/graph.html"]),
    ("report", ["report", "-o", "{tmp}/report.html"]),
    ("report --no-graph", ["report", "--no-graph", "-o", "{tmp}/report.html"]),
]
RUN_CLI = "import sys; from consultgraph.cli import main; main(sys.argv[1:])"


def timed(argv, env, repeat):
    """Median wall and CPU seconds of ``argv`` run as a fresh process ``repeat`` times (after a warm-up).

    ``{tmp}`` in an argument becomes a new temporary folder for each run.
    """
    walls, cpus = [], []
    for number in range(repeat + 1):
        with tempfile.TemporaryDirectory() as tmp:
            command = [part.format(tmp=tmp) for part in argv]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            out = subprocess.run(command, env=env, capture_output=True, text=True)
            wall = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if out.returncode:
            raise SystemExit(f"{' '.join(command)} failed:\n{out.stderr[-2000:]}")
        if number:  # the first run warms the file cache (and the schema's JSON in the user cache)
            walls.append(wall)
            cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--against", default=None, help="A folder holding another consultgraph package to time too.")
    parser.add_argument("--source-only", action="store_true",
                        help="Keep the environment's bytecode setting (PYTHONDONTWRITEBYTECODE compiles every run).")
    args = parser.parse_args()
    with bytecode_env(args.source_only) as env:
        run(args, env)


@contextlib.contextmanager
def bytecode_env(source_only=False):
    """The environment for timed runs: bytecode kept in a temporary cache, as an installed
    package has it (``source_only``: the environment's setting, e.g. compile every run)."""
    with tempfile.TemporaryDirectory(prefix="consultgraph-pycache-") as pycache:
        env = dict(os.environ)
        if not source_only:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = pycache  # the warm-up run writes it; nothing lands in the checkout
        yield env


def run(args, env):
    """Time every command in ``env`` and print the table."""
    base_wall, base_cpu = timed([sys.executable, "-c", "pass"], env, args.repeat)
    print(f"baseline `python -c pass`: {base_wall:.3f} s wall, {base_cpu:.3f} s CPU (median of {args.repeat})\n")
    header = f"{'command':24} {'wall s':>8} {'cpu s':>7} {'x pass':>7}"
    if args.against:
        header += f" {'before wall s':>14} {'before cpu s':>13} {'speed-up':>9}"
    print(header)
    print("-" * len(header))
    for label, command in COMMANDS:
        argv = [sys.executable, "-c", RUN_CLI, *command]
        wall, cpu = timed(argv, env, args.repeat)
        line = f"{label:24} {wall:8.3f} {cpu:7.3f} {wall / base_wall:7.1f}"
        if args.against:
            old_env = dict(env, PYTHONPATH=args.against)
            old_wall, old_cpu = timed(argv, old_env, args.repeat)
            line += f" {old_wall:14.3f} {old_cpu:13.3f} {old_cpu / cpu:8.1f}x"
        print(line, flush=True)
    bytecode = "compiled every run" if env.get("PYTHONDONTWRITEBYTECODE") else "cached"
    print(f"\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}, bytecode {bytecode}")


if __name__ == "__main__":
    main()
