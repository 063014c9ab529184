"""Every ``--flag`` a hint, a reason, a help text or the docs name exists on the command it is named for.

The flags are read from the click commands themselves (and the plugin's pytest options for ``--fd-*``),
so renaming an option without its hints fails here. A text that names ``fdconf <command>`` is checked
against that command; elsewhere a flag must exist on some ``fdconf`` command. Flags after another
program's name (``pytest``, ``curl``, ``schemathesis`` …) or after a lone ``--`` (arguments passed on to
pytest) are not ``fdconf``'s and are not checked.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from conformance.cli import cli

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "conformance"
DOCS = [ROOT / name for name in ("README.md", "CONTRIBUTING.md", "ARCHITECTURE.md")]
DOCS += sorted((ROOT / "docs").glob("*.md"))

FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
# A program name starts a segment; only `fdconf <command>` segments are checked against a command.
PROGRAM = re.compile(r"(?<![\w./-])(fdconf(?: (?P<sub>[a-z]+))?|schemathesis|st run|pytest|pip|npm|npx"
                     r"|curl|tox|python3?|git|allure|uvicorn|bench/\w+\.py)\b")
BARE_TOKEN = re.compile(r"^--[a-z][a-z0-9-]*(/--[a-z][a-z0-9-]*)?=?$")
LONE_DASHES = re.compile(r"(?<!\S)--(?![\w-])")


def _options(command: click.Command) -> set[str]:
    names = {"--help"}
    for param in command.params:
        names.update(o for o in (*param.opts, *param.secondary_opts) if o.startswith("--"))
    if isinstance(command, click.Group):  # `fdconf integration run --faults`: a subcommand's flags
        for sub in command.commands.values():
            names |= _options(sub)
    return names


COMMANDS: dict[str, click.Command] = dict(cli.commands)
BY_COMMAND = {name: _options(command) for name, command in COMMANDS.items()}
ANY_COMMAND = set().union(*BY_COMMAND.values()) | {"--version"}


PYTEST_FD: set[str] = set()  # the plugin's --fd-* options, read from this session's pytest config


@pytest.fixture(autouse=True)
def _pytest_options(pytestconfig: pytest.Config) -> None:
    # The fdconf plugin is registered in this session (entry point): its options are in the namespace.
    names = [dest for dest in vars(pytestconfig.option) if dest.startswith("fd_")]
    PYTEST_FD.update("--" + dest.replace("_", "-") for dest in names)
    assert "--fd-report-dir" in PYTEST_FD


def unknown_flags(text: str, command: str | None = None) -> list[str]:
    """Flags in ``text`` that the command they are named for does not have (see the module docstring)."""
    cuts = [(0, command, True)] + [
        (m.start(), m.group("sub"), m.group(0).startswith("fdconf")) for m in PROGRAM.finditer(text)
    ]
    bad: list[str] = []
    for i, (start, sub, ours) in enumerate(cuts):
        end = cuts[i + 1][0] if i + 1 < len(cuts) else len(text)
        if not ours:
            continue
        chunk = LONE_DASHES.split(text[start:end])[0]
        for flag in FLAG.findall(chunk):
            if flag.endswith("-"):  # a family such as `--fd-*`
                continue
            if flag.startswith("--fd-"):
                known = PYTEST_FD
            elif sub in BY_COMMAND:
                known = BY_COMMAND[str(sub)]
            else:
                known = ANY_COMMAND
            if flag not in known:
                bad.append(f"{flag} (fdconf {sub or command or '…'})")
    return bad


def _docstring_nodes(tree: ast.AST) -> set[int]:
    return {
        id(node.value) for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }


def _literal(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}"
                       for v in node.values)
    return None


def source_texts() -> Iterator[tuple[str, str]]:
    """``(where, text)`` of every string in the package a user can read: messages, hints, reasons, echoes
    (docstrings and bare option tokens such as ``"--junitxml"`` arguments are not messages)."""
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = _docstring_nodes(tree)
        parts = {id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values}
        for node in ast.walk(tree):
            if id(node) in docstrings or id(node) in parts:
                continue
            text = _literal(node)
            if text and FLAG.search(text) and not BARE_TOKEN.match(text.strip()):
                yield f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}", text


def test_the_checker_catches_a_flag_of_another_command() -> None:
    assert unknown_flags("run `fdconf run` with --alluredir") == ["--alluredir (fdconf run)"]
    assert unknown_flags("use fdconf merge --report-dir x") == ["--report-dir (fdconf merge)"]
    assert unknown_flags("fdconf run -- --alluredir x") == []
    assert unknown_flags("pytest --alluredir x") == []
    assert unknown_flags("pass --mode write") == []
    assert unknown_flags("pass --nope") == ["--nope (fdconf …)"]


def test_hints_and_messages_name_real_flags() -> None:
    texts = list(source_texts())
    assert len(texts) > 15, "the scan found hardly any message: the checker is broken"
    bad = [f"{where}: {flag}" for where, text in texts for flag in unknown_flags(text)]
    assert bad == []


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_texts_name_real_flags(name: str) -> None:
    command = COMMANDS[name]
    texts = [command.help or "", *(getattr(p, "help", None) or "" for p in command.params)]
    bad = [flag for text in texts for flag in unknown_flags(text, name)]
    assert bad == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_docs_name_real_flags(doc: Path) -> None:
    bad = [f"{doc.name}:{n}: {flag}" for n, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1)
           for flag in unknown_flags(line)]
    assert bad == []
