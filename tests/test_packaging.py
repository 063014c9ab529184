"""The wheel a user installs: built offline from this checkout, installed into a folder, run from outside.

This is the non-editable install path (``pip install fd-conformance``): the specs, rules and fixtures
must come from ``conformance/_data`` inside the package, not from a checkout next to it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("hatchling", reason="the dev extra installs hatchling")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--quiet", "--wheel-dir", str(out), str(ROOT)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    (built,) = out.glob("fd_conformance-*.whl")
    return built


def test_wheel_carries_data_types_and_entry_points(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("conformance/py.typed", "conformance/_data/specs/main-api.yaml",
                   "conformance/_data/specs/cr-api.yaml", "conformance/_data/specs/rules.yaml",
                   "conformance/_data/fixtures/reference-data.yaml", "conformance/config/schema.json",
                   "conformance/harness/fdconf-pytest.ini", "conformance/harness/plan-profile.json",
                   "conformance/report/certificate.html",
                   "conformance/report/results.schema.json", "conformance/reference/child.py"):
        assert needed in names, needed
    assert not [n for n in names if n.startswith(("tests/", "bench/"))]
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "fdconf = conformance.cli:main" in text
    assert "fdconf = conformance.plugin" in text


def test_installed_wheel_certifies_the_reference_outside_a_checkout(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet"]
    install += ["--target", str(site)]
    subprocess.run([*install, str(wheel)], check=True, capture_output=True, text=True, timeout=300)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FD_", "FDCONF_", "CR_BASE"))}
    env["PYTHONPATH"] = str(site)  # ahead of the editable checkout this suite runs from
    where = subprocess.run([sys.executable, "-c", "import conformance.resources as r; print(r.rules_file())"],
                           cwd=work, env=env, capture_output=True, text=True, check=True, timeout=60)
    assert where.stdout.strip() == str(site / "conformance" / "_data" / "specs" / "rules.yaml")
    run = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--rules", "ERR,HST", "--no-fuzz", "--seed", "3",
         "--report-dir", str(work / "r"), "--progress", "off"],
        cwd=work, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    results = json.loads((work / "r" / "results.json").read_text(encoding="utf-8"))
    passed = {r["id"] for r in results["rules"] if r["status"] == "passed"}
    assert {"ERR-01", "HST-01", "HST-02"} <= passed
    assert not [r for r in results["rules"] if r["status"] == "failed"]
