"""The self-proof: the example integration certifies in the sandbox, each deliberately broken variant
fails exactly its rule, and a short journey leaves what it never exercised not run.

Real runs: the sandbox (moto Cognito, SQLite, both hosts on loopback), the example proxy and driver
in a child process, the recording judged. Token life is shortened to 6 s (``--faults tokens=6``) so a
journey outlives a token in ~10 s instead of a minute; every other condition is at its default.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.integration.catalogue import integration_catalogue
from conformance.integration.runner import run

ROOT = Path(__file__).resolve().parents[2]
DRIVE = ROOT / "examples" / "integration" / "drive.py"
FAULTS = "tokens=6"

VARIANTS = {
    "id-token": "INT-01",
    "no-partner-header-on-cr": "INT-02",
    "sign-in-twice": "INT-03",
    "reactive-refresh": "INT-04",
    "media-under-v3": "INT-05",
    "bracket-arrays": "INT-06",
    "no-backoff": "INT-07",
    "mix-runs": "INT-08",
    "autosave-after-publish": "INT-09",
}


def certify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> tuple[int, dict[str, object]]:
    for name in ("EXAMPLE_BREAK", "EXAMPLE_JOURNEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    lines: list[str] = []
    code = run(
        [sys.executable, str(DRIVE)],
        faults=FAULTS,
        timeout=120,
        seed=0,
        report_dir=str(tmp_path),
        echo=lines.append,
    )
    return code, json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))


def by_status(result: dict[str, Any], status: str) -> set[str]:
    return {r["id"] for r in result["rules"] if r["status"] == status}


def test_the_example_certifies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, result = certify(tmp_path, monkeypatch)
    assert (code, result["verdict"], result["kind"]) == (0, "CERTIFIED", "integration")
    assert by_status(result, "passed") == set(integration_catalogue())
    assert result["integration"]["command"]["exit_code"] == 0  # type: ignore[index]
    steps = {r["step"]: r["status"] for r in result["integration"]["journey"]}  # type: ignore[index]
    assert set(steps.values()) == {"exercised"}
    for name in ("recording.json", "junit.xml", "summary.md", "certificate.html"):
        assert (tmp_path / name).is_file()
    password = "Integr4tion-Svc!"
    for path in (p for p in tmp_path.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8")
        assert password not in text, path.name
        assert "eyJ" not in text, path.name  # no JWT, of any kind


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_a_broken_variant_fails_exactly_its_rule(
    variant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, result = certify(tmp_path, monkeypatch, EXAMPLE_BREAK=variant)
    assert code == 1
    assert result["verdict"] == "NOT CERTIFIED"
    assert by_status(result, "failed") == {VARIANTS[variant]}


def test_a_short_journey_leaves_unexercised_rules_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, result = certify(tmp_path, monkeypatch, EXAMPLE_JOURNEY="short")
    assert code == 0  # nothing failed ...
    assert result["verdict"] == "NOT CERTIFIED"  # ... but nothing unexercised passed either
    assert by_status(result, "failed") == set()
    assert {"INT-04", "INT-08", "INT-09"} <= by_status(result, "not_run")
    steps = {r["step"]: r["status"] for r in result["integration"]["journey"]}  # type: ignore[index]
    assert steps["boost"] == "not exercised"
    assert steps["list events"] == "exercised"


def test_every_rule_has_a_broken_variant() -> None:
    assert set(VARIANTS.values()) == set(integration_catalogue())
    assert os.path.isfile(DRIVE)
