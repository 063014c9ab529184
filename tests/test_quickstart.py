"""The README's quick start works on a stock Debian/Ubuntu (no ``python``, PEP 668); CI runs it verbatim."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def quickstart_commands() -> list[str]:
    """The commands of the README's quick-start block, comments stripped."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the quick start has no bash block"
    lines = [line.split("   #", 1)[0].strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line]


def ci_lines() -> list[str]:
    return [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]


def test_quickstart_is_two_commands_in_a_virtualenv() -> None:
    commands = quickstart_commands()
    assert len(commands) == 2, commands
    first = commands[0].split("&&")
    assert first[0].strip() == "python3 -m venv .venv"
    for command in commands:
        for part in command.split("&&"):
            program = shlex.split(part)[0]
            # A stock Debian/Ubuntu has python3 but no python, and refuses pip outside a virtualenv.
            assert program == "python3" or program.startswith(".venv/bin/"), part
    assert any("fdconf run" in c for c in commands)
    assert any("-m pytest" in c for c in commands)


def test_ci_runs_the_quickstart_verbatim() -> None:
    lines = ci_lines()
    for command in quickstart_commands():
        assert command in lines, f".ci/run does not run the README's `{command}`"
    steps = [i for i, line in enumerate(lines) if line in quickstart_commands()]
    assert steps == sorted(steps), "CI runs the quick-start commands in another order than the README"


def test_ci_keeps_its_other_steps() -> None:
    text = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "chromium" in text
    assert "npm ci" in text
    assert ".venv/bin/ruff check ." in ci_lines()
    assert ".venv/bin/mypy" in ci_lines()
    assert '"$rc" -eq 5' in text  # "no tests collected" must fail CI, not pass it


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_ci_script_parses() -> None:
    result = subprocess.run(["bash", "-n", str(ROOT / ".ci" / "run")], capture_output=True, text=True,
                            check=False, timeout=30)
    assert result.returncode == 0, result.stderr
