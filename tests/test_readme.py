"""Every `consultgraph ...` line of the README's tour runs as written.

The built-in lines run one by one; the lines on ``examples/`` run in order in a fresh
folder holding a copy of ``examples/`` (as in a fresh clone); the real-input lines run
from a folder with ``../shared`` beside it. A line with a pipe runs in a shell.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from consultgraph.cli import main

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
# lines that need a server: run in test_servers
NEEDS_SERVER = ("--neo4j", "--endpoint", "push ", "docker", "NEO4J_PASSWORD")


def blocks():
    """(heading, [command lines]) for every ```bash block of the README."""
    text = README.read_text()
    out = []
    for match in re.finditer(r"```bash\n(.*?)```", text, flags=re.S):
        heading = re.findall(r"^## (.+)$", text[:match.start()], flags=re.M)[-1]
        lines = [line.split("  #")[0].strip() for line in match.group(1).splitlines()]
        out.append((heading, [line for line in lines if line and not line.startswith("#")]))
    return out


def tour(kind):
    """Lines of the tour: 'builtin' (no -g, no files), 'examples' (examples/ and its projects), 'real' (../shared)."""
    lines = []
    for heading, block in blocks():
        if heading != "A five-minute tour":
            continue
        for line in block:
            if any(marker in line for marker in NEEDS_SERVER):
                continue
            uses_examples = "examples/" in line or "-g my-project" in line or "my-project.qdpx" in line
            uses_real = "../shared" in line or "-g public" in line
            if kind == "examples" and uses_examples or kind == "real" and uses_real or (
                    kind == "builtin" and not uses_examples and not uses_real):
                lines.append(line)
    return lines


def run_line(line, env=None):
    """A plain command through click's runner; a shell line (pipe, printf) through bash."""
    if line.startswith("consultgraph ") and not re.search(r"[|<>;&]", line):
        result = CliRunner().invoke(main, shlex.split(line)[1:], catch_exceptions=False)
        assert result.exit_code == 0, f"{line}\n{result.output}"
        return result.output
    path = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    done = subprocess.run(["bash", "-o", "pipefail", "-c", line], capture_output=True, text=True,
                          env={**os.environ, "PATH": path, **(env or {})}, timeout=300)
    assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_tour_has_commands():
    assert len(tour("builtin")) >= 10 and len(tour("examples")) >= 8 and len(tour("real")) >= 3


def test_no_tour_line_names_a_file_that_does_not_exist():
    for line in tour("builtin") + tour("examples"):
        for word in shlex.split(line.split("|")[0]):
            if re.search(r"\.(csv|xlsx|ttl|yaml|json|qdpx)$", word) and "/" in word and not word.startswith("-"):
                assert (REPO / word).exists() or "examples/" not in word, f"{line}: {word} does not exist"


@pytest.mark.parametrize("command", tour("builtin"))
def test_builtin_tour_command_runs(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_line(command)


def test_examples_tour_runs_in_order(tmp_path, monkeypatch):
    """From a folder holding a copy of examples/, as in a fresh clone."""
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    outputs = [run_line(line) for line in tour("examples")]
    assert (tmp_path / "my-project" / "manifest.json").exists()
    joined = "\n".join(outputs)
    assert "Donors" in joined and "Volunteers" in joined
    assert "needs respondent-level codings" not in joined


def test_codebook_example_runs(tmp_path):
    """The codebook lines of 'Input formats' (printf | load -) run in a shell."""
    block = next(lines for heading, lines in blocks() if heading == "Input formats")
    for line in block:
        done = subprocess.run(["bash", "-o", "pipefail", "-c", line], capture_output=True, text=True, cwd=tmp_path,
                              env={**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]},
                              timeout=300)
        assert done.returncode == 0, f"{line}\n{done.stderr}"
    out = CliRunner().invoke(main, ["compare", "-g", str(tmp_path / "donors"), "--groups", "donor,partner",
                                    "--by", "theme", "-f", "json"]).stdout
    assert '"donor_count": 1' in out


def test_real_input_commands_run_in_order(tmp_path, monkeypatch, shared_data):
    """The README's real-input lines, run from a folder with ../shared beside it, as a user would."""
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "shared").symlink_to(shared_data.parent)
    monkeypatch.chdir(work)
    for command in tour("real"):
        run_line(command)


def test_free_text_commands_run_in_order(tmp_path, monkeypatch):
    """'From raw text to a coded graph': load, code with a review sheet, a reviewer's edit, record it, compare, report."""
    import csv

    shutil.copytree(REPO / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    lines = next(block for heading, block in blocks() if heading == "From raw text to a coded graph")
    assert len(lines) == 4
    for line in lines:
        if "--reviewed" in line:  # the reviewer accepts the suggestions, adds a code to the first row, finds none on the last
            rows = list(csv.DictReader(open("review.csv", encoding="utf-8")))
            for row in rows:
                row["codes"] = row["suggested"]
            rows[0]["codes"] = "; ".join(filter(None, [rows[0]["codes"], "Human rights education"]))
            rows[-1]["codes"] = "none"
            with open("review.csv", "w", newline="", encoding="utf-8") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
        for part in line.split(" && "):
            output = run_line(part)
            if part.startswith("consultgraph agreement"):
                assert "kappa" in output and "alpha" in output  # (the table wraps at the terminal width)
    assert (tmp_path / "answers.html").stat().st_size > 10_000
    assert (tmp_path / "answers-graph.html").stat().st_size > 10_000
    from consultgraph.graph.consultation import Consultation

    graph = Consultation.open(tmp_path / "answers")
    coders = set(graph.codings("all")["coder"].dropna())
    assert "reviewer" in coders and any(c.startswith("machine:model@") for c in coders)  # the review retrained
    assert graph.no_code() == {rows[-1]["response"]: ("reviewer",)}


def test_documents_commands_run(tmp_path, monkeypatch):
    """The README's documents folder (examples/documents), loaded with the example codebook, coded."""
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    blocks_here = [block for heading, block in blocks() if heading == "From raw text to a coded graph"]
    lines = next(block for block in blocks_here if any("examples/documents" in line for line in block))
    for line in lines:
        run_line(line)
    from consultgraph.graph.consultation import Consultation

    graph = Consultation.open(tmp_path / "docs")
    assert sorted(graph.responses()["group"]) == ["group/national-entity"] * 2 + ["group/partner"] * 2
    assert (tmp_path / "docs-review.xlsx").exists()
