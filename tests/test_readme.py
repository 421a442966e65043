"""Every `consultgraph ...` line of the README's tour runs on the built-in dataset as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from consultgraph.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
# lines that need the user's own files or a server: run elsewhere (test_servers, loaders' tests)
NEEDS_MORE = ("-g my-project", "my-codes.ttl", "study.qdpx", "heal_michigan", "../shared", "-g public", "--neo4j",
              "--endpoint", "push ", "docker", "-g t3c")


def tour_commands():
    text = README.read_text()
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("consultgraph ") and not any(marker in line for marker in NEEDS_MORE):
                commands.append(line)
    return commands


def test_the_tour_has_commands():
    assert len(tour_commands()) >= 10


@pytest.mark.parametrize("command", tour_commands())
def test_tour_command_runs(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = shlex.split(command)[1:]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, f"{command}\n{result.output}"


def test_real_input_commands_run_in_order(tmp_path, monkeypatch, shared_data):
    """The README's Pol.is lines, run from a folder with ../shared beside it, as a user would."""
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "shared").symlink_to(shared_data.parent)
    monkeypatch.chdir(work)
    text = README.read_text()
    lines = [l.split("  #")[0].strip() for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S)
             for l in block.splitlines()]
    polis = [l for l in lines if l.startswith("consultgraph ") and ("../shared/data/polis" in l or "-g public" in l)]
    assert len(polis) >= 3
    for command in polis:
        result = CliRunner().invoke(main, shlex.split(command)[1:], catch_exceptions=False)
        assert result.exit_code == 0, f"{command}\n{result.output}"
