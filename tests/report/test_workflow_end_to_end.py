"""The gate in a team's workflow, as a user runs it: ``fdconf run`` with waivers against a defective
reference, the reports it writes (waived everywhere, SARIF valid), and ``fdconf export-tests``: the
exported file fails against the defect and passes against the clean reference.

The stacks run in this process; ``fdconf`` and the exported pytest file run in subprocesses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.report._load import load_results

from .test_end_to_end import fdconf
from .test_sarif import sarif_errors

pytestmark = pytest.mark.slow
DEFECT, RULE = "ten-foreign-header-accepted", "TEN-03"
TODAY = datetime.now(UTC).date()
UNTIL = (TODAY + timedelta(days=60)).isoformat()
LABEL = f"failed (waived: partner header check lands with the auth rewrite, FD-1234, until {UNTIL})"


@pytest.fixture(scope="module")
def defect_stack() -> Iterator[Any]:
    from conformance.reference.stack import ReferenceStack

    with ReferenceStack(defects=[DEFECT]) as stack:
        yield stack


def waivers_file(folder: Path) -> Path:
    path = folder / "waivers.toml"
    path.write_text(f"""
[[waivers]]
rule = "{RULE}"
host = "main"
reason = "partner header check lands with the auth rewrite"
ticket = "FD-1234"
expires = {UNTIL}
created = {TODAY.isoformat()}

[[waivers]]
rule = "TEN-01"
reason = "was fixed in 2.3"
ticket = "FD-1100"
expires = {(TODAY + timedelta(days=5)).isoformat()}

[[waivers]]
rule = "TEN-02"
reason = "accepted for the Q3 release"
ticket = "FD-900"
expires = {(TODAY - timedelta(days=1)).isoformat()}
created = {(TODAY - timedelta(days=20)).isoformat()}
""", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def waived_run(defect_stack: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, int]:
    folder = tmp_path_factory.mktemp("gate")
    config = folder / "fdconf.toml"
    defect_stack.write_config(config)
    report = folder / "run"
    done = fdconf("run", "--config", str(config), "--rules", "TEN", "--no-fuzz", "--seed", "7", "--allure",
                  "--report-dir", str(report), "--waivers", str(waivers_file(folder)))
    return report, done.stdout + done.stderr, done.returncode


def test_a_waived_failure_passes_the_gate_and_shows_everywhere(waived_run: tuple[Path, str, int]) -> None:
    report, output, code = waived_run
    assert code == 0, output[-3000:]
    result = load_results(report)
    rule = next(r for r in result.rules if r.id == RULE)
    assert rule.status == "failed"
    assert rule.findings
    assert rule.waiver is not None
    assert rule.waiver["ticket"] == "FD-1234"
    assert result.verdict == "NOT CERTIFIED"
    assert [w["state"] for w in result.waivers] == ["applied", "stale", "expired"]
    # the run's output: the waived row, and one line each for the stale and the expired waiver
    assert "waived" in output
    assert "fdconf: waiver TEN-01 [FD-1100] matched no failure (stale)" in output
    assert "fdconf: waiver TEN-02 [FD-900] expired on" in output
    assert "it no longer applies" in output
    assert LABEL in (report / "summary.md").read_text(encoding="utf-8")
    page = (report / "certificate.html").read_text(encoding="utf-8")
    assert LABEL in page
    assert "FAILED (waived)" in page
    assert ">NOT CERTIFIED<" in page
    assert f"fdconf explain {RULE}" in page  # the rule's explanation, inline
    case = next(c for c in ET.parse(report / "junit.xml").getroot().iter("testcase")
                if (c.get("name") or "").startswith(RULE))
    assert case.find("failure") is None
    skipped = case.find("skipped")
    assert skipped is not None
    assert skipped.get("message") == LABEL
    allure = [json.loads(p.read_text(encoding="utf-8"))
              for p in (report / "allure-results").glob("*-result.json")]
    story = {"name": "story", "value": RULE}
    failed = [a for a in allure if story in a["labels"] and a["status"] == "failed"]
    assert failed
    for item in failed:
        assert item["statusDetails"]["message"].startswith(LABEL)
        assert {"name": "tag", "value": "waived"} in item["labels"]
    log = json.loads((report / "sarif.json").read_text(encoding="utf-8"))
    assert sarif_errors(log) == []
    results = log["runs"][0]["results"]
    assert results
    assert all(r["ruleId"] == RULE and r["suppressions"][0]["status"] == "accepted" for r in results)
    assert all(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "specs/main-api.yaml"
               for r in results)


def test_strict_still_fails_a_waived_run(defect_stack: Any, tmp_path: Path) -> None:
    config = tmp_path / "fdconf.toml"
    defect_stack.write_config(config)
    done = fdconf("run", "--config", str(config), "--rules", RULE, "--no-fuzz", "--strict",
                  "--report-dir", str(tmp_path / "run"), "--waivers", str(waivers_file(tmp_path)))
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr


def test_an_unknown_rule_in_a_waiver_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "w.toml"
    bad.write_text(f'[[waivers]]\nrule = "TEN-33"\nreason = "x"\nticket = "T-1"\nexpires = {UNTIL}\n',
                   encoding="utf-8")
    done = fdconf("run", "--waivers", str(bad), timeout=120)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == ["ConfigError: w.toml waivers[0]: rule 'TEN-33' is not in the rule catalogue "
                     "(hint: did you mean TEN-03?)"], done.stderr


def _token(stack: Any, persona: str) -> str:
    who = stack.personas[persona]
    reply = httpx.post(stack.main_base + "/auth", json={"username": who["username"],
                                                        "password": who["password"]}, timeout=10)
    return str(reply.json()["AccessToken"])


def _pytest(test_file: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FD_", "FDCONF_", "CR_BASE"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        capture_output=True, text=True, timeout=120, env={**clean, **env}, cwd=test_file.parent,
        check=False,
    )


def test_an_exported_finding_fails_on_the_defect_and_passes_when_fixed(
    waived_run: tuple[Path, str, int], defect_stack: Any, reference_stack: Any, tmp_path: Path
) -> None:
    report, _, _ = waived_run
    out = tmp_path / "regressions"
    done = fdconf("export-tests", str(report), "--out", str(out))
    assert done.returncode == 0, done.stderr
    files = sorted(out.glob("test_*.py"))
    assert files, done.stdout
    assert "1 test file(s)" in done.stdout
    (exported,) = files
    text = exported.read_text(encoding="utf-8")
    assert "eyJ" not in text
    assert "Passw" not in text
    broken = _pytest(exported, {"FD_BASE_URL": defect_stack.main_base,
                                "FDCONF_PERSONA_PRIMARY_TOKEN": _token(defect_stack, "primary")})
    assert broken.returncode == 1, broken.stdout
    assert "TEN-03: expected 403, received 200" in broken.stdout
    fixed = _pytest(exported, {"FD_BASE_URL": reference_stack.main_base,
                               "FD_ACCESS_TOKEN": _token(reference_stack, "primary")})
    assert fixed.returncode == 0, fixed.stdout
    assert "1 passed" in fixed.stdout
    missing = _pytest(exported, {"FD_BASE_URL": reference_stack.main_base})
    assert missing.returncode == 1
    assert "export FDCONF_PERSONA_PRIMARY_TOKEN=<value> first" in missing.stdout
