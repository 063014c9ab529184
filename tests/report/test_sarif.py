"""``sarif.json``: valid SARIF 2.1.0 (the official schema, vendored in tests/report/data), one rule per
catalogue rule, one result per finding at its operation's line in the spec."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema

from conformance.config._waivers import Waiver
from conformance.report._locations import spec_lines
from conformance.report._sarif import render_sarif
from conformance.report._waivers import apply_waivers
from conformance.report._writer import write_all
from conformance.resources import cr_spec, main_spec
from conformance.rules import catalogue
from report.builders import sample_result

SCHEMA = Path(__file__).resolve().parent / "data" / "sarif-schema-2.1.0.json"


def sarif_errors(log: Any) -> list[str]:
    """Every violation of the SARIF 2.1.0 schema in ``log`` (empty = valid)."""
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)]


def test_the_vendored_schema_is_the_official_one_and_it_can_fail() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["$id"].endswith("oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json")
    assert sarif_errors({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]})  # driver needs a name
    assert sarif_errors({"version": "2.0.0", "runs": []})


def test_sarif_of_a_run_is_valid_and_complete() -> None:
    result = sample_result()
    log = json.loads(render_sarif(result))
    assert sarif_errors(log) == []
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(catalogue())
    ten03 = next(r for r in rules if r["id"] == "TEN-03")
    rule = catalogue()["TEN-03"]
    assert ten03["shortDescription"]["text"] == rule.title
    assert ten03["fullDescription"]["text"] == rule.rationale
    assert ten03["helpUri"] == rule.docs
    assert ten03["help"]["text"].startswith(rule.rationale)
    assert f"{rule.id}: {rule.title}" in ten03["help"]["text"]  # the fdconf explain text
    assert ten03["defaultConfiguration"]["level"] == "error"  # blocker
    findings = [f for r in result.rules if r.status == "failed" for f in r.findings]
    assert len(run["results"]) == len(findings) == 2
    for item in run["results"]:
        assert rules[item["ruleIndex"]]["id"] == item["ruleId"]


def _line_of(spec: Path, template: str, method: str) -> int:
    """The 1-based line of ``method:`` under ``template:`` in a spec, found by reading the text."""
    lines = spec.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"  {template}:")
    for number in range(start + 1, len(lines)):
        if lines[number].startswith(f"    {method}:"):
            return number + 1
    raise AssertionError(f"{method} {template} not in {spec}")


def test_results_point_at_the_operation_in_the_spec() -> None:
    log = json.loads(render_sarif(sample_result()))
    by_rule = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    # TEN-03: a scenario finding, located from its request line (GET <main>/events/)
    ten03 = by_rule["TEN-03"]["locations"][0]
    assert ten03["physicalLocation"]["artifactLocation"]["uri"] == "specs/main-api.yaml"
    assert ten03["physicalLocation"]["region"]["startLine"] == _line_of(main_spec(), "/events/", "get")
    assert ten03["logicalLocations"][0]["fullyQualifiedName"] == "main GET /events/"
    # SCH-01: a fuzz finding on the CR host naming its operation
    sch01 = by_rule["SCH-01"]["locations"][0]
    assert sch01["physicalLocation"]["artifactLocation"]["uri"] == "specs/cr-api.yaml"
    assert sch01["physicalLocation"]["region"]["startLine"] == _line_of(cr_spec(), "/events/{eid}", "put")
    message = by_rule["TEN-03"]["message"]["text"]
    assert "reproduce: curl -sS -X GET" in message
    assert "response: HTTP 200" in message
    assert "***REDACTED***" in message or "${FD_ACCESS_TOKEN}" in message


def test_a_literal_path_wins_over_a_template() -> None:
    lines = spec_lines()
    assert lines.match("main", "GET", "/events/statistics") == "GET /events/statistics"
    assert lines.match("main", "GET", "/events/evt_1") == "GET /events/{eid}"
    assert lines.match("main", "GET", "/no/such/path") == ""


def test_a_waived_finding_is_an_accepted_suppression() -> None:
    waiver = Waiver(rule="TEN-03", reason="lands in Q3", ticket="FD-7", expires="2026-06-30")
    log = json.loads(render_sarif(apply_waivers(sample_result(), [waiver], date(2026, 6, 1))))
    assert sarif_errors(log) == []
    by_rule = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    assert by_rule["TEN-03"]["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": "lands in Q3 (FD-7, until 2026-06-30)"}
    ]
    assert "suppressions" not in by_rule["SCH-01"]


def test_the_writer_writes_sarif_json(tmp_path: Path) -> None:
    paths = write_all(sample_result(), tmp_path)
    assert paths["sarif.json"] == tmp_path / "sarif.json"
    log = json.loads((tmp_path / "sarif.json").read_text(encoding="utf-8"))
    assert sarif_errors(log) == []
    assert "eyJ" not in (tmp_path / "sarif.json").read_text(encoding="utf-8")  # no token
