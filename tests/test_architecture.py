"""ARCHITECTURE.md's import rules, checked on the source: every `conformance.*` import, lazy ones too."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "conformance"
LEAVES = {"errors", "redact", "resources", "__version__"}
SUITE_BELOW_ENGINE = {"rules", "config", "client", "auth", "checks", "scenarios", "fuzz", "report", "harness",
                      "plugin"}
# Layer -> the layers it may import (ARCHITECTURE.md, "Layers").
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "redact": set(),
    "resources": set(),
    "rules": LEAVES,
    "config": LEAVES,
    "client": LEAVES,
    "auth": LEAVES | {"client", "config"},
    "checks": LEAVES | {"client", "rules", "auth", "config"},
    "scenarios": LEAVES | {"checks", "client", "auth", "config", "harness"},
    "fuzz": LEAVES | {"checks", "client", "auth", "scenarios", "plugin"},
    "report": LEAVES | {"rules"},
    "harness": LEAVES | {"config", "auth", "client", "report", "rules", "plugin", "reference"},
    "plugin": LEAVES | {"config", "harness", "report", "rules"},
    "engine": LEAVES | SUITE_BELOW_ENGINE,
    "cli": LEAVES | SUITE_BELOW_ENGINE | {"engine", "reference", "integration"},
    # integration certification: judges the sandbox recording; starts the reference in runner.py only
    "integration": LEAVES | {"report", "reference"},
    "__main__": {"cli"},
    "__init__": set(),
    "reference": {"resources", "__version__"},
}
# Narrow edges: (layer, imported layer) -> the only files allowed to make it.
ONLY_FROM = {
    ("harness", "reference"): {"harness/embedded.py"},
    ("cli", "reference"): {"cli.py"},
    ("integration", "reference"): {"integration/runner.py"},
    ("scenarios", "harness"): {"scenarios/conftest.py"},
    ("fuzz", "plugin"): {"fuzz/runtime.py"},
}


def _imports(path: Path) -> Iterator[tuple[str, int, bool]]:
    """``(imported conformance layer, line, at module level)`` for every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "conformance":
                names = [f"conformance.{alias.name}" for alias in node.names]
            else:
                names = [node.module]
        for name in names:
            if name.startswith("conformance."):
                yield name.split(".")[1], node.lineno, id(node) in top


def _layer(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else path.stem


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_layer_is_known() -> None:
    assert {_layer(p) for p in _modules()} <= set(ALLOWED)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_layers(path: Path) -> None:
    layer, rel = _layer(path), str(path.relative_to(PACKAGE))
    for target, line, _ in _imports(path):
        if target == layer:
            continue
        assert target in ALLOWED[layer], f"{rel}:{line}: layer {layer!r} may not import {target!r}"
        allowed_files = ONLY_FROM.get((layer, target))
        assert allowed_files is None or rel in allowed_files, (
            f"{rel}:{line}: only {sorted(allowed_files or ())} may import {target!r} from {layer!r}"
        )


def test_plugin_is_cheap_to_import() -> None:
    """The pytest11 entry point is imported in every pytest session of a user's environment."""
    top = [(target, line) for target, line, at_top in _imports(PACKAGE / "plugin.py") if at_top]
    assert top == [], f"plugin.py imports suite modules at module level: {top}"
    heavy = ("schemathesis", "httpx", "hypothesis", "conformance.")
    code = f"import sys, conformance.plugin; print(sorted(m for m in sys.modules if m.startswith({heavy})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "['conformance.plugin']", out.stdout


def test_the_rules_catch_a_violation(tmp_path: Path) -> None:
    """The checker itself can fail: a reference module importing suite code is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from conformance.checks import envelope\n", encoding="utf-8")
    assert [(t, line) for t, line, _ in _imports(bad)] == [("checks", 2)]
    assert "checks" not in ALLOWED["reference"]
