"""Where the bundled specs, rule catalogue and fixtures live.

A shared leaf: stdlib only, importable by both the suite and the reference implementation. In a
wheel the data sits in ``conformance/_data``; in a source checkout it sits at the repository root.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled folder {name!r} not found next to {_PACKAGE}")


def specs_dir() -> Path:
    return _data_dir("specs")


def fixtures_dir() -> Path:
    return _data_dir("fixtures")


def main_spec() -> Path:
    return specs_dir() / "main-api.yaml"


def cr_spec() -> Path:
    return specs_dir() / "cr-api.yaml"


def rules_file() -> Path:
    return specs_dir() / "rules.yaml"


def reference_dataset() -> Path:
    return fixtures_dir() / "reference-data.yaml"
