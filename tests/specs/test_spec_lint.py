"""Spectral (`spectral:oas`, configured by `.spectral.yaml`) reports no error and no warning.

Spectral is a node tool installed by the project's own setup (`npm ci`, see package.json). Without
node the test skips with that reason. With node but without Spectral it fails under CI (``CI`` set:
`.ci/run` installs it, so a missing Spectral means the setup broke) and skips elsewhere, naming the
fix, so the README's two quick-start commands stay green on a fresh machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_walk import ROOT, SPEC_FILES

SEVERITY = {0: "error", 1: "warning", 2: "info", 3: "hint"}


def _spectral() -> Path:
    if shutil.which("node") is None:
        pytest.skip("node is not installed, so Spectral cannot run (install Node.js, then `npm ci`)")
    binary = ROOT / "node_modules" / ".bin" / "spectral"
    if not binary.exists():
        message = "node is installed but Spectral is not: run `npm ci` in the repository root"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return binary


def _lint(files: list[Path], out: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [
            str(_spectral()),
            "lint",
            *map(str, files),
            "--ruleset",
            str(ROOT / ".spectral.yaml"),
            "--format",
            "json",
            "--output",
            str(out),
            "--fail-severity",
            "hint",
            "--quiet",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if not out.exists():
        pytest.fail(f"Spectral produced no report (exit {result.returncode}): {result.stderr.strip()[:2000]}")
    findings: list[dict[str, Any]] = json.loads(out.read_text(encoding="utf-8") or "[]")
    return findings


def _render(findings: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{Path(f['source']).name}:{f['range']['start']['line'] + 1} {SEVERITY[f['severity']]} {f['code']}: "
        f"{f['message']} at {'.'.join(map(str, f['path']))}"
        for f in findings
    )


def test_spectral_reports_no_error_or_warning(tmp_path: Path) -> None:
    findings = _lint(list(SPEC_FILES.values()), tmp_path / "spectral.json")
    serious = [f for f in findings if f["severity"] <= 1]
    assert serious == [], "Spectral:\n" + _render(serious)


def test_spectral_catches_a_warning(tmp_path: Path) -> None:
    # Proves the lint test can fail: an operation without description and tags is a spectral:oas warning.
    spec = yaml.safe_load(SPEC_FILES["main"].read_text(encoding="utf-8"))
    op = spec["paths"]["/events/{eid}"]["get"]
    del op["description"], op["tags"]
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
    codes = {f["code"] for f in _lint([broken], tmp_path / "spectral.json") if f["severity"] <= 1}
    assert {"operation-description", "operation-tags"} <= codes
