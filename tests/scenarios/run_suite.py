"""Run suite modules in a child pytest against a running reference stack; read back results.json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def run_suite(
    stack: Any, tmp: Path, *modules: str, mode: str = "read-only", extra: tuple[str, ...] = ()
) -> tuple[int, dict[str, Any], str]:
    """``(exit code, results.json, output)`` of ``pytest --pyargs MODULES`` against ``stack``."""
    config = tmp / "fdconf.toml"
    stack.write_config(config)
    reports = tmp / "reports"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-c",
        os.devnull,
        "--rootdir",
        str(tmp),
        "-q",
        "-p",
        "no:randomly",
        "--fd-config",
        str(config),
        "--fd-mode",
        mode,
        "--fd-report-dir",
        str(reports),
        *extra,
        "--pyargs",
        *modules,
    ]
    proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=900, check=False)
    results = reports / "results.json"
    data = json.loads(results.read_text(encoding="utf-8")) if results.exists() else {}
    return proc.returncode, data, proc.stdout + proc.stderr


def statuses(results: dict[str, Any]) -> dict[str, str]:
    return {rule["id"]: rule["status"] for rule in results.get("rules", [])}
