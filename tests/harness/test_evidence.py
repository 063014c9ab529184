"""From exceptions and failure texts to redacted finding records, attributed by rule tags."""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from conformance.errors import Finding
from conformance.harness.evidence import from_exception, from_payload, from_text, skip_reason, to_payload

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXZhbHVl"


def test_a_finding_becomes_one_record_per_named_rule() -> None:
    curl = f"curl -H 'Authorization: Bearer {JWT}' http://127.0.0.1/api/events/x"
    finding = Finding(
        "OBJ-01",
        "main: foreign eid answered 200",
        expected="404",
        received="200",
        curl=curl,
        also=(Finding("HST-02", "cr: foreign eid answered 200", expected="404", received="200", curl=curl),),
    )
    records = from_exception(finding, "t::x", ("OBJ-01",))
    assert [r.rule_id for r in records] == ["OBJ-01", "HST-02"]
    assert records[0].message == records[0].evidence == "main: foreign eid answered 200"
    assert records[1].evidence == "cr: foreign eid answered 200"
    assert (records[0].expected, records[0].received, records[0].test) == ("404", "200", "t::x")
    assert JWT not in records[0].curl


def test_a_tag_in_a_message_is_text_not_a_rule() -> None:
    records = from_exception(Finding("OBJ-01", "[HST-02] quoted from a body"), "t", ())
    assert [r.rule_id for r in records] == ["OBJ-01"]


def test_exception_groups_are_walked() -> None:
    group = ExceptionGroup(
        "many",
        [Finding("TEN-03", "a"), ValueError("boom"), ExceptionGroup("inner", [Finding("ERR-01", "b")])],
    )
    records = from_exception(group, "t", ("TEN-03",))
    assert [r.rule_id for r in records] == ["TEN-03", "ERR-01"]


def test_untagged_failures_fall_back_to_the_marker_rules() -> None:
    records = from_exception(AssertionError("envelope broken\nmore"), "t", ("ERR-01", "PAG-01"))
    assert [r.rule_id for r in records] == ["ERR-01", "PAG-01"]
    assert records[0].message == "AssertionError: envelope broken more"
    errors = from_exception(RuntimeError("x"), "t", ("ERR-01",), error=True)
    assert errors[0].message.startswith("test error: RuntimeError: x")


def test_text_is_attributed_to_the_tests_own_rules_only() -> None:
    text = (
        "E   conformance.errors.Finding: [TEN-04] page 2 leaks evt_beta_001\n"
        f"E     reproduce: curl -H 'Authorization: Bearer {JWT}' x\n"
    )
    (record,) = from_text(text, "t", ("PAG-01",))
    assert record.rule_id == "PAG-01"
    assert "page 2 leaks" in record.evidence
    assert JWT not in record.received
    assert from_text(text, "t", ()) == []


def test_payload_round_trip_and_skip_reasons() -> None:
    records = from_exception(Finding("CID-01", "x"), "t", ())
    assert from_payload(to_payload(records)) == records
    assert from_payload("garbage") == []
    assert (
        skip_reason(("f.py", 3, "Skipped: not run: needs persona 'other'"))
        == "not run: needs persona 'other'"
    )
    assert skip_reason("Skipped: why") == "why"


def test_curl_lines_become_runnable_and_findings_are_located() -> None:
    from conformance.harness.evidence import locate

    schemathesis_curl = "curl -X GET -H 'Authorization: [Filtered]' 'http://127.0.0.1:5/api/events/e1'"
    records = from_exception(Finding("SCH-01", "500", curl=schemathesis_curl), "t", ())
    assert records[0].curl.startswith('curl -X GET -H "Authorization: Bearer ${FD_ACCESS_TOKEN}"')
    locate(records, targets={"cr": "http://127.0.0.1:5/api"}, operation="cr GET /events/{eid}")
    assert (records[0].host, records[0].operation) == ("cr", "GET /events/{eid}")
    assert records[0].curl.endswith("# FD_ACCESS_TOKEN: AccessToken of persona primary")
    scenario = from_exception(Finding("TEN-03", "x", curl=schemathesis_curl), "t", ())
    locate(scenario, targets={"main": "http://127.0.0.1:4/api/v3", "cr": "http://127.0.0.1:5/api"})
    assert (scenario[0].host, scenario[0].operation) == ("cr", "")
    assert "persona" not in scenario[0].curl  # unknown for a scenario's line that did not name one


def test_each_rule_shows_its_own_line_first_in_every_report(tmp_path: Path) -> None:
    """One response failing three rules, the first with a text over the limit: from the Schemathesis
    failure through the worker's payload, the collector and the pipe (a JSON dict) into results.json,
    JUnit, summary.md and the certificate, every rule shows its own line first."""
    from schemathesis.core.failures import FailureGroup
    from schemathesis.openapi.checks import UndefinedStatusCode

    from conformance.config import Settings
    from conformance.fuzz.checks import RuleFailure
    from conformance.fuzz.failures import MAX_TEXT, as_finding
    from conformance.harness.results import Collector
    from conformance.report import RunResult, write_all
    from conformance.rules import catalogue

    long = UndefinedStatusCode(operation="GET /events/", status_code=418, defined_status_codes=["200"],
                               allowed_status_codes=[200], message="undocumented " + "x" * (2 * MAX_TEXT))
    envelope = RuleFailure(operation="GET /events/", check="fd_error_envelope",
                           finding=Finding("ERR-01", "418 body lacks the error envelope"))
    cid = RuleFailure(operation="GET /events/", check="fd_cid_safety",
                      finding=Finding("CID-03", "issued id 'a__b' contains the cid separator"))
    finding = as_finding(FailureGroup([long, envelope, cid]), operation="main GET /events/")
    rules = ("SCH-02", "ERR-01", "CID-03")
    collector = Collector(Settings(main="http://127.0.0.1:1/api/v3", seed=1, mode="read-only"), catalogue())
    collector.add("f", "call", "failed", user_properties=[
        ("fd_rules", list(rules)), ("fd_findings", to_payload(from_exception(finding, "f", rules)))])
    piped = RunResult.from_dict(json.loads(json.dumps(collector.build().to_dict())))
    paths = write_all(piped, tmp_path)
    by_rule = {r.id: r for r in piped.rules}
    own = {"SCH-02": "main GET /events/: ST103", "ERR-01": "lacks the error envelope",
           "CID-03": "contains the cid separator"}
    junit = ET.parse(paths["junit.xml"]).getroot()
    summary = paths["summary.md"].read_text(encoding="utf-8")
    certificate = paths["certificate.html"].read_text(encoding="utf-8")
    for rule_id, line in own.items():
        (record,) = by_rule[rule_id].findings
        assert line in record.evidence
        assert line in by_rule[rule_id].reason
        case = next(c for c in junit.iter("testcase") if (c.get("name") or "").startswith(rule_id))
        failure = case.find("failure")
        assert failure is not None
        assert line in (failure.get("message") or "")
        section = summary.split(f"**{rule_id}**", 1)[1].split("- **", 1)[0]
        assert line in section.splitlines()[1]  # the rule's first finding line
        assert html.escape(record.evidence[:60]) in certificate
    other = by_rule["SCH-02"].findings[0]
    assert "envelope" not in other.message
