"""ARCHITECTURE.md's import rules, checked on the source: every `conformance.*` import, lazy ones too.

The checker (:func:`scan`, :func:`violations`, :func:`cycles`) takes the package folder as an argument,
so its self-test runs it on a planted bad package.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "conformance"
# Shared leaves: stdlib only, importable by every layer, the reference included. `__init__` is the
# package root (it holds `__version__` and imports nothing).
LEAVES = frozenset({"errors", "redact", "resources", "ids", "__init__"})
BELOW_ENGINE = frozenset({"rules", "spec", "config", "client", "auth", "checks", "scenarios", "fuzz",
                          "report", "harness"})
# Layer -> the layers it may import (ARCHITECTURE.md, "Layers"). A layer is a folder of `conformance/`
# or a top-level module. Nothing imports `plugin`: it is the pytest11 entry point only.
ALLOWED: dict[str, frozenset[str]] = {
    "errors": frozenset(),
    "redact": frozenset(),
    "resources": frozenset(),
    "ids": frozenset(),
    "__init__": frozenset(),
    "rules": LEAVES,
    "spec": LEAVES,  # leaf-ish: the bundled specs through `resources`, nothing else of the suite
    "config": LEAVES,
    "client": LEAVES,
    "auth": LEAVES | {"client", "config"},
    "checks": LEAVES | {"client"},  # pure judgements: only the `Exchange` type of client (NAMES_ONLY)
    "report": LEAVES | {"rules"},
    "scenarios": LEAVES | {"spec", "checks", "client", "auth", "config", "harness"},
    "fuzz": LEAVES | {"spec", "checks", "client", "auth", "config", "rules", "scenarios", "harness"},
    "harness": LEAVES | {"spec", "config", "auth", "client", "report", "rules", "reference"},
    "plugin": LEAVES | {"config", "harness", "report", "rules"},
    "engine": LEAVES | BELOW_ENGINE,
    "cli": LEAVES | BELOW_ENGINE | {"engine", "reference", "integration"},
    # integration certification: judges the sandbox recording; starts the reference in runner.py only
    "integration": LEAVES | {"report", "spec", "reference", "__version__"},
    "__main__": frozenset({"cli"}),
    "reference": frozenset({"resources", "ids", "__init__"}),  # never suite code
}
# Narrow edges: (layer, imported layer) -> the only files allowed to make it.
ONLY_FROM: dict[tuple[str, str], frozenset[str]] = {
    ("harness", "reference"): frozenset({"harness/embedded.py"}),
    ("cli", "reference"): frozenset({"cli.py"}),
    ("integration", "reference"): frozenset({"integration/runner.py"}),
    ("scenarios", "harness"): frozenset({"scenarios/conftest.py"}),
}
# Narrow edges by name: (layer, imported layer) -> the only names it may import from there.
NAMES_ONLY: dict[tuple[str, str], frozenset[str]] = {
    ("checks", "client"): frozenset({"Exchange"}),  # a type; never a Transport or an Api (I/O)
}
# Known violations of the target architecture, (importing file, imported module): none. A future
# exception must be listed here with its reason; an entry that no longer occurs fails, so the set
# cannot go stale.
KNOWN_VIOLATIONS: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Import:
    """One import statement's edge: ``source`` (file, relative to the package) imports ``target``."""

    source: str
    module: str  # dotted name of the importing module
    target: str  # dotted name of the imported conformance module (a package means its __init__)
    names: tuple[str, ...]  # the names of a `from ... import`, () for `import x`
    line: int
    at_top: bool  # module level (not inside a function or class)
    type_only: bool  # under `if TYPE_CHECKING:` (never executed, so no cycle)


def _module_of(root: Path, path: Path) -> str:
    parts = (root.name, *path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            guarded |= {id(child) for stmt in node.body for child in ast.walk(stmt)}
    return guarded


def scan(root: Path) -> list[Import]:
    """Every import of ``root``'s package by any of its modules (relative imports resolved)."""
    paths = sorted(p for p in root.rglob("*.py") if "_data" not in p.relative_to(root).parts)
    modules = {_module_of(root, p) for p in paths}

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    found: list[Import] = []
    for path in paths:
        module, rel = _module_of(root, path), str(path.relative_to(root).as_posix())
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top, guarded = {id(node) for node in tree.body}, _type_checking_nodes(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            targets: list[tuple[str, tuple[str, ...]]] = []
            if isinstance(node, ast.Import):
                targets = [(alias.name, ()) for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                names = tuple(alias.name for alias in node.names)
                # `from pkg import mod` imports the module pkg.mod; `from mod import name` the module
                targets = [(f"{base}.{n}" if f"{base}.{n}" in modules else base, (n,)) for n in names]
            for name, imported in targets:
                target = resolve(name) if name.split(".")[0] == root.name else None
                if target is not None and target != module:
                    found.append(Import(rel, module, target, imported, node.lineno, id(node) in top,
                                        id(node) in guarded))
    return found


def layer_of(module: str) -> str:
    """``conformance.report._model`` -> ``report``; ``conformance.plugin`` -> ``plugin``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _private_part(target: str) -> str | None:
    return next((p for p in target.split(".")[1:] if p.startswith("_") and not p.startswith("__")), None)


def violations(imports: Iterable[Import]) -> list[tuple[str, str, str]]:
    """``(source, target, why)`` for every import the rules forbid."""
    bad: list[tuple[str, str, str]] = []
    for imp in imports:
        layer, target_layer = layer_of(imp.module), layer_of(imp.target)
        where = f"{imp.source}:{imp.line}"
        if layer not in ALLOWED:
            bad.append((imp.source, imp.target, f"{where}: unknown layer {layer!r} (add it to ALLOWED)"))
            continue
        if target_layer == "plugin" and layer != "plugin":
            bad.append((imp.source, imp.target, f"{where}: nothing may import conformance.plugin"))
            continue
        private = _private_part(imp.target)
        owner = imp.target.split("." + private)[0] if private else ""
        if private and imp.module != owner and not imp.module.startswith(owner + "."):
            bad.append((imp.source, imp.target, f"{where}: {imp.target} is private; import from {owner}"))
        if target_layer == layer:
            continue
        if target_layer not in ALLOWED[layer]:
            bad.append((imp.source, imp.target, f"{where}: layer {layer!r} may not import {target_layer!r}"))
            continue
        files = ONLY_FROM.get((layer, target_layer))
        if files is not None and imp.source not in files:
            bad.append((imp.source, imp.target,
                        f"{where}: only {sorted(files)} may import {target_layer!r} from {layer!r}"))
        names = NAMES_ONLY.get((layer, target_layer))
        if names is not None and not (imp.names and set(imp.names) <= names):  # `import x` takes it all
            bad.append((imp.source, imp.target,
                        f"{where}: {layer!r} may import only {sorted(names)} from {target_layer!r}, "
                        f"not {sorted(set(imp.names) - names) or 'the whole module'}"))
    return list(dict.fromkeys(bad))  # one entry per statement, not per imported name


def cycles(imports: Iterable[Import], ignore: Iterable[tuple[str, str]] = ()) -> list[list[str]]:
    """The import cycles among modules (strongly connected components), type-only imports excluded."""
    skip = set(ignore)
    graph: dict[str, set[str]] = {}
    for imp in imports:
        graph.setdefault(imp.module, set())
        graph.setdefault(imp.target, set())
        if not imp.type_only and (imp.source, imp.target) not in skip:
            graph[imp.module].add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(start: str) -> None:  # Tarjan, iterative: no recursion limit on deep chains
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


IMPORTS = scan(PACKAGE)


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "_data" not in p.parts)


def test_every_layer_is_known() -> None:
    assert {layer_of(_module_of(PACKAGE, p)) for p in _modules()} <= set(ALLOWED)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_layers(path: Path) -> None:
    rel = str(path.relative_to(PACKAGE).as_posix())
    bad = [why for source, target, why in violations(i for i in IMPORTS if i.source == rel)
           if (source, target) not in KNOWN_VIOLATIONS]
    assert bad == []


def test_no_import_cycles() -> None:
    """Between any two modules, lazy imports included (a lazy import only hides a cycle)."""
    assert cycles(IMPORTS, ignore=KNOWN_VIOLATIONS) == []


def test_known_violations_still_occur() -> None:
    """Once a known violation is fixed, its entry must go: the set never hides a new one."""
    occurring = {(source, target) for source, target, _ in violations(IMPORTS)}
    assert sorted(KNOWN_VIOLATIONS - occurring) == []


def test_plugin_is_cheap_to_import() -> None:
    """The pytest11 entry point is imported in every pytest session of a user's environment."""
    top = [(i.target, i.line) for i in IMPORTS if i.source == "plugin.py" and i.at_top and not i.type_only]
    assert top == [], f"plugin.py imports suite modules at module level: {top}"
    heavy = ("schemathesis", "httpx", "hypothesis", "conformance.")
    code = f"import sys, conformance.plugin; print(sorted(m for m in sys.modules if m.startswith({heavy})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "['conformance.plugin']", out.stdout


def _plant(root: Path, files: dict[str, str]) -> Path:
    package = root / "conformance"
    for rel, text in files.items():
        path = package / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for folder in {package, *(p.parent for p in package.rglob("*.py"))}:
        (folder / "__init__.py").touch()
    return package


def test_the_checker_catches_a_planted_bad_package(tmp_path: Path) -> None:
    """The checker itself can fail: on a planted package with a lazy cycle, a reference module that
    imports suite code, a check that builds a Transport, a plugin import and a private-module import."""
    package = _plant(tmp_path, {
        "reference/app.py": "def f():\n    from conformance.checks import _envelope\n",
        "checks/_envelope.py": "from conformance.client.http import Exchange, Transport\n",
        "checks/_cid.py": "import conformance.client.http\n",
        "client/http.py": "class Exchange: ...\nclass Transport: ...\n",
        "harness/state.py": "def g():\n    import conformance.plugin\n",
        "plugin.py": "from conformance.harness import state\n",
        "spec/_a.py": "from . import _b\n",
        "spec/_b.py": "def h():\n    from conformance.spec import _a\n",
        "auth/tokens.py": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from conformance.auth import session\n"
        ),
        "auth/session.py": "from conformance.auth import tokens\n",
    })
    imports = scan(package)
    found = {(source, target) for source, target, _ in violations(imports)}
    assert ("reference/app.py", "conformance.checks._envelope") in found  # reference -> suite, private
    assert ("checks/_envelope.py", "conformance.client.http") in found  # Transport in a pure check
    assert ("checks/_cid.py", "conformance.client.http") in found  # the whole module, Transport included
    assert ("harness/state.py", "conformance.plugin") in found
    why = " ".join(w for _, _, w in violations(imports))
    assert "layer 'reference' may not import 'checks'" in why
    assert "is private" in why
    assert "not ['Transport']" in why
    assert cycles(imports) == [
        ["conformance.harness.state", "conformance.plugin"],
        ["conformance.spec._a", "conformance.spec._b"],
    ]  # the TYPE_CHECKING-only back edge in auth/ is no cycle
    assert cycles(imports, ignore={("harness/state.py", "conformance.plugin")}) == [
        ["conformance.spec._a", "conformance.spec._b"]
    ]


def test_the_checker_passes_a_clean_package(tmp_path: Path) -> None:
    package = _plant(tmp_path, {
        "checks/_envelope.py": "from conformance.client.http import Exchange\nfrom conformance import ids\n",
        "checks/__init__.py": "from conformance.checks._envelope import Exchange\n",
        "scenarios/test_x.py": "def t():\n    from conformance.checks import Exchange\n",
        "client/http.py": "class Exchange: ...\n",
        "ids.py": "",
    })
    imports = scan(package)
    assert len(imports) == 4
    assert violations(imports) == []
    assert cycles(imports) == []
