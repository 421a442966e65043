"""Whole-command timings of the query engines, shared by benchmarks/cypher.py and benchmarks/sparql.py.

Each figure is a fresh `consultgraph ...` process, start-up included, as an analyst
types it: the first call builds the engine's cache, the second finds it. The baseline
is the same project's `consultgraph load` time, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLI = [sys.executable, "-c", "from consultgraph.cli import main; main()"]


class Seconds(float):
    """Wall-clock seconds of a command, carrying its CPU seconds (user + system) in ``cpu``.

    On a shared machine the wall clock also counts waiting for a core; the CPU time
    does not, so both are printed.
    """

    cpu = None


def command(*args, env=None):
    """``(seconds, rows)`` of one ``consultgraph`` process (rows parsed from ``-f json`` when given)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, env={**os.environ, **(env or {})})
    seconds = Seconds(time.perf_counter() - started)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode != 0:
        raise SystemExit(f"consultgraph {' '.join(map(str, args))} failed:\n{done.stderr[-2000:]}")
    rows = json.loads(done.stdout) if "json" in args else done.stdout
    return seconds, rows


def project(folder, respondents, codings, seed=42):
    """A synthetic project in ``folder``; returns ``(path, load seconds)``."""
    sys.path.insert(0, str(HERE))
    from synthetic import generate

    csv = Path(folder) / f"synthetic-{respondents}.csv"
    generate(csv, respondents, codings, seed=seed)
    path = Path(folder) / f"project-{respondents}"
    seconds, _ = command("load", csv, "--into", path)
    csv.unlink()
    return path, seconds


def clear_cache(path, engine):
    for folder in (Path(path) / ".cache").glob(f"{engine}-g*"):
        shutil.rmtree(folder)


def first_and_cached(path, engine, *args):
    """Seconds of the command with no cache (it builds one) and again (cached), and the rows."""
    clear_cache(path, engine)
    first, rows = command(*args)
    cached, again = command(*args)
    assert rows == again, "the cached engine answered differently"
    return first, cached, rows


def report(label, seconds, load_seconds=None, note=""):
    """One figure: wall seconds, CPU seconds, the ratio to the load when given, and the load average now."""
    cpu = getattr(seconds, "cpu", None)
    cpu_text = f" (cpu {cpu:6.2f} s)" if cpu is not None else " " * 16
    ratio = ""
    if load_seconds:
        ratio = f"   {seconds / load_seconds:5.1f}x load"
        if cpu is not None and getattr(load_seconds, "cpu", None):
            ratio += f" (cpu {cpu / load_seconds.cpu:4.1f}x)"
    print(f"    {label:<46} {seconds:8.2f} s{cpu_text}{ratio}   [load {os.getloadavg()[0]:.1f}]"
          f"{'   ' + note if note else ''}", flush=True)


def machine():
    """One line about the machine's load, printed before the figures."""
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


class Server:
    """A server process started by tests/servers/start.sh, known by its pid file: its CPU seconds so far.

    A server's work does not show in the client's CPU time; this does (Linux /proc).
    """

    def __init__(self, name):
        pidfile = HERE.parent / "tests" / "servers" / ".run" / f"{name}.pid"
        self.pid = pidfile.read_text().strip() if pidfile.is_file() else None

    def cpu(self):
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, TypeError):
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def on_server(server, *args, env=None):
    """``command(*args)`` whose ``cpu`` is the client's plus the server's CPU seconds."""
    before = server.cpu()
    seconds, rows = command(*args, env=env)
    after = server.cpu()
    if before is not None and after is not None:
        seconds.cpu += after - before
    return seconds, rows


def server_block(server, label, path, load, push_args, query_args, count_query, count_label, embedded_rows, env=None):
    """Push the project with a whole ``consultgraph push ...`` command, then a count and codings-per-group
    on the server, first and again; print the figures (CPU = client + server)."""
    seconds, _ = on_server(server, "push", *push_args, "-g", path, env=env)
    report(f"{label} push (whole command)", seconds, load)
    for turn in ("first", "again"):
        seconds, count = on_server(server, *query_args[0], count_query, "-f", "json", env=env)
        report(f"{label} count, {turn}  {count_label.format(n=count[0]['n'])}", seconds)
    for turn in ("first", "again"):
        seconds, rows = on_server(server, *CODINGS, "-g", path, *query_args[1], env=env)
        report(f"{label} codings-per-group, {turn}", seconds,
               note="same rows as embedded" if rows == embedded_rows else "ROWS DIFFER")


COUNT_CYPHER = "MATCH (n) RETURN count(n) AS n"
COUNT_SPARQL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
CODINGS = ("query", "codings-per-group", "-p", "kind=Tactic", "-f", "json")


def options(doc, server, server_max):
    """The options both engine benchmarks take: sizes, codings per respondent, the largest size pushed."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--respondents", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--codings", type=int, default=20)
    parser.add_argument("--server-max", type=int, default=server_max, help=f"largest size pushed to {server}")
    return parser.parse_args()


TRIVIAL = {"cypher": "RETURN 1 AS n", "sparql": "SELECT (1 AS ?n) WHERE {}"}


def embedded(path, engine, count_query, load, count_label, count_note="", codings_note=""):
    """Time one embedded engine on the project at ``path``: a count and codings-per-group,
    first call (builds the cache) and cached, and a trivial query (the whole-command
    overhead: start-up, imports, opening the cache); print the figures; return
    codings-per-group's rows (the server engines' rows are checked against them)."""
    first, cached, count = first_and_cached(path, engine, engine, "-g", path, count_query, "-f", "json")
    report(f"{engine} count, first call (builds)  {count_label.format(n=count[0]['n'])}", first, load)
    report(f"{engine} count, cached", cached, note=count_note)
    overhead, _ = command(engine, "-g", path, TRIVIAL[engine], "-f", "json")
    report(f"{engine} trivial query, cached (overhead)", overhead)
    first, cached, rows = first_and_cached(path, engine, *CODINGS, "-g", path, "-l", engine)
    report(f"codings-per-group, first call  ({len(rows)} rows)", first, load)
    report("codings-per-group, cached", cached, note=codings_note)
    return rows
