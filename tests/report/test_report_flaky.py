"""Flaky findings in every report: listed with their attempts, never a failure (decision 68)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from conformance.report import (
    FindingRecord,
    RunResult,
    diff_runs,
    has_new_failures,
    load_results,
    merge_results,
    write_all,
)

from .builders import MAIN, all_passed, curl_for

FLAKY = {"attempts": 3, "reproduced": False, "statuses": [503, 404, 404], "flaky": True}


def _flaky_run(run_id: str) -> RunResult:
    result = all_passed(run_id)
    rule = next(r for r in result.rules if r.id == "OBJ-01")
    message = "GET /events/evt_beta_001/statistics names another partner's event: expected 404, got 503"
    rule.flaky = [FindingRecord("OBJ-01", message, curl=curl_for("GET", f"{MAIN}/events/evt_beta_001"),
                                host="main", operation="GET /events/{eid}/statistics", confirmation=FLAKY)]
    result.confirmation = {"replays": 2, "strict": False, "confirmed": 0, "flaky": 1, "unconfirmed": 0,
                           "replays_sent": 2}
    return result


def test_a_flaky_finding_is_reported_everywhere_and_fails_nothing(tmp_path: Path) -> None:
    result = _flaky_run("flaky")
    assert result.verdict == "CERTIFIED"  # a flaky finding alone never fails its rule
    write_all(result, tmp_path)
    loaded = load_results(tmp_path)
    assert loaded.schema_version == 5
    assert next(r for r in loaded.rules if r.id == "OBJ-01").flaky[0].confirmation == FLAKY
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "### Flaky findings (not counted)" in summary
    assert "3 attempts: 503, 404, 404" in summary
    junit = ET.parse(tmp_path / "junit.xml").getroot()
    assert junit.get("failures") == "0"
    case = next(c for c in junit.iter("testcase") if c.get("name", "").startswith("OBJ-01 "))
    assert [(p.get("name"), p.get("value")) for p in case.iter("property")] == [("flaky", "1")]
    assert "503, 404, 404" in (case.findtext("system-out") or "")
    certificate = (tmp_path / "certificate.html").read_text(encoding="utf-8")
    assert "1 flaky finding(s)" in certificate
    assert "curl " in certificate


def test_diff_names_a_rule_newly_flaky_without_failing_the_gate() -> None:
    d = diff_runs(all_passed("old"), _flaky_run("new"))
    assert [item.key for item in d.newly_flaky] == ["OBJ-01"]
    assert not has_new_failures(d)
    assert diff_runs(_flaky_run("old"), _flaky_run("new")).newly_flaky == []


def test_a_v4_results_file_still_loads(tmp_path: Path) -> None:
    data = all_passed("v4").to_dict()
    data["schema_version"] = 4
    data.pop("confirmation")
    for rule in data["rules"]:
        rule.pop("flaky")
    (tmp_path / "results.json").write_text(json.dumps(data), encoding="utf-8")
    loaded = load_results(tmp_path)
    assert loaded.confirmation == {}
    assert all(r.flaky == [] for r in loaded.rules)


def test_merged_shards_keep_their_flaky_findings_and_add_up_the_counts() -> None:
    one, two = _flaky_run("run"), _flaky_run("run")
    one.shard, two.shard = "1/2", "2/2"
    merged = merge_results([one, two])
    assert len(next(r for r in merged.rules if r.id == "OBJ-01").flaky) == 2
    assert merged.confirmation["flaky"] == 2
    assert merged.confirmation["replays_sent"] == 4
