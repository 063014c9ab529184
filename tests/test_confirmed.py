"""Confirmed findings end to end (specs/README.md, decisions 66-68), on rule subsets of the embedded
reference:

* a deterministic defect (``obj-foreign-eid-readable``) is replayed, reproduced, *confirmed*, and fails
  the gate;
* an intermittent fault (``flaky-first-read-503``: the first dashboard read of each user on each route
  answers 503) is replayed, does not reproduce, is *flaky* with its attempts and curl line, and the gate
  passes; a strict run fails it;
* every replay leaves through the run's Transport (audit origin ``confirm``) and sends nothing the run
  had not already sent (same method and URL: the same sandbox and read-only rules apply);
* the reports say so: results.json v5, summary.md, JUnit (a ``flaky`` property, no failure).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from conformance import engine
from conformance.client import REPLAY_ORIGIN
from conformance.report import SCHEMA_VERSION, load_results

FLAKY = "flaky-first-read-503"


def _run(tmp_path: Path, flags: dict[str, Any], *, strict: bool = False,
         extra: tuple[str, ...] = ()) -> engine.RunOutcome:
    base = {"run.seed": 1, "run.fuzz": False, "run.report_dir": str(tmp_path / "r")}
    return engine.run(flags={**base, **flags}, environ={}, cwd=tmp_path, echo=lambda _l: None, strict=strict,
                      extra_args=extra)


def _rule(outcome: engine.RunOutcome, rule_id: str) -> Any:
    assert outcome.result is not None
    return next(r for r in outcome.result.rules if r.id == rule_id)


def _replays_send_nothing_new(outcome: engine.RunOutcome) -> list[Any]:
    replays = [e for e in outcome.audit if e.origin == REPLAY_ORIGIN]
    first = {(e.method, e.url) for e in outcome.audit if e.origin != REPLAY_ORIGIN}
    assert {(e.method, e.url) for e in replays} <= first, "a replay addressed something the run never sent"
    return replays


def test_a_deterministic_defect_is_confirmed_and_fails_the_gate(tmp_path: Path) -> None:
    outcome = _run(tmp_path, {"run.defects": ["obj-foreign-eid-readable"], "run.rules": "OBJ-01"})
    rule = _rule(outcome, "OBJ-01")
    assert rule.status == "failed"
    assert rule.flaky == []
    confirmation = rule.findings[0].confirmation
    assert confirmation["reproduced"] is True
    assert confirmation["flaky"] is False
    assert confirmation["attempts"] == 2  # the first replay reproduced it: no second one
    assert len(set(confirmation["statuses"])) == 1
    assert outcome.result is not None
    counts = outcome.result.confirmation
    assert counts["confirmed"] >= 1
    assert counts["flaky"] == 0
    replays = _replays_send_nothing_new(outcome)
    assert counts["replays_sent"] == len(replays) > 0
    assert outcome.exit_code == 1


def test_an_intermittent_fault_is_flaky_and_the_gate_passes(tmp_path: Path) -> None:
    outcome = _run(tmp_path, {"run.defects": [FLAKY], "run.rules": "OBJ-01"})
    rule = _rule(outcome, "OBJ-01")
    assert rule.status == "passed"
    assert rule.findings == []
    assert rule.flaky, "the first 503 of each route was not reported"
    for record in rule.flaky:
        assert record.confirmation["reproduced"] is False
        assert record.confirmation["flaky"] is True
        assert record.confirmation["statuses"][0] == 503
        assert all(s != 503 for s in record.confirmation["statuses"][1:])
        assert record.curl.startswith("curl ")
    assert outcome.result is not None
    counts = outcome.result.confirmation
    assert counts["flaky"] == len(rule.flaky)
    assert counts["confirmed"] == 0
    replays = _replays_send_nothing_new(outcome)
    assert all(e.method in ("GET", "HEAD") for e in replays)  # OBJ-01 reads: its replays are reads
    assert outcome.exit_code == 0
    # the reports: results.json v5 round-trips it, summary.md lists it, JUnit notes it without failing
    assert outcome.report_dir is not None
    loaded = load_results(outcome.report_dir)
    assert loaded.schema_version == SCHEMA_VERSION == 5
    assert len(next(r for r in loaded.rules if r.id == "OBJ-01").flaky) == len(rule.flaky)
    summary = (outcome.report_dir / "summary.md").read_text(encoding="utf-8")
    assert "### Flaky findings (not counted)" in summary
    assert "503" in summary
    junit = ET.parse(outcome.report_dir / "junit.xml").getroot()
    case = next(c for c in junit.iter("testcase") if c.get("name", "").startswith("OBJ-01 "))
    assert case.find("failure") is None
    assert {p.get("name"): p.get("value") for p in case.iter("property")} == {"flaky": str(len(rule.flaky))}


def test_a_strict_run_counts_a_flaky_finding(tmp_path: Path) -> None:
    outcome = _run(tmp_path, {"run.defects": [FLAKY], "run.rules": "OBJ-01"}, strict=True)
    rule = _rule(outcome, "OBJ-01")
    assert rule.status == "failed"
    assert rule.flaky == []
    assert rule.findings
    assert all(f.flaky for f in rule.findings)
    assert outcome.exit_code == 1


@pytest.mark.slow
def test_a_flaky_fuzz_case_does_not_fail_sch01(tmp_path: Path) -> None:
    """A fuzz case answered 503 once is replayed through the same schema, case and checks; its
    operation's answers hold the replay's status, so SCH-01 is not failed by it."""
    outcome = _run(tmp_path, {"run.defects": [FLAKY], "run.rules": "SCH-01", "run.fuzz": True,
                              "run.max_examples": 3, "run.mode": "read-only"},
                   extra=("-k", "main and (statistics or tickets)"))
    assert outcome.result is not None
    sch = _rule(outcome, "SCH-01")
    assert sch.findings == []
    assert sch.flaky
    assert all(f.confirmation["statuses"][0] == 503 for f in sch.flaky)
    assert all(op.answers.get("5xx", 0) == 0 for op in outcome.result.operations)
    _replays_send_nothing_new(outcome)
