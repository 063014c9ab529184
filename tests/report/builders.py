"""Realistic :class:`RunResult` objects for the report tests: the whole catalogue, mixed statuses."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from conformance.report import FindingRecord, OperationCoverage, RuleResult, RunResult
from conformance.rules import catalogue

MAIN = "http://127.0.0.1:41001/api/v3"
CR = "http://127.0.0.1:41002/api"
TOKEN = "eyJraWQiOiJrMSJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"

OPERATIONS = [
    ("main", "GET /events/"),
    ("main", "GET /events/{eid}"),
    ("main", "GET /events/{eid}/clusters"),
    ("main", "GET /partners/"),
    ("main", "POST /setup_processes/{eid}"),
    ("main", "GET /messages/partner/"),
    ("cr", "GET /events/{eid}"),
    ("cr", "PUT /events/{eid}"),
    ("cr", "POST /events/bulk_upload"),
]


def curl_for(method: str, url: str, auth: str = "***REDACTED***") -> str:
    return (
        f"curl -sS -X {method} -H 'Authorization: {auth}' -H 'X-Preferred-Partner-Id: partner-id-beta' {url}"
    )


def ten03_finding(auth: str = "***REDACTED***") -> FindingRecord:
    url = f"{MAIN}/events/"
    return FindingRecord(
        rule_id="TEN-03",
        message="GET /events/ with X-Preferred-Partner-Id naming a partner alice lacks returned 200",
        expected="403 error.auth.not_authorized",
        received="200 with 3 events of partner-id-beta",
        curl=curl_for("GET", url, auth),
        request=f"GET {url}\nAuthorization: {auth}\nX-Preferred-Partner-Id: partner-id-beta",
        response='HTTP 200\ncontent-type: application/json\n\n{"total": 3, "items": [{"eid": "ev-b1"}]}',
        test="conformance/scenarios/test_tenancy.py::test_foreign_partner_header[main]",
    )


def sch01_finding() -> FindingRecord:
    url = f"{CR}/events/ev-a1"
    return FindingRecord(
        rule_id="SCH-01",
        message="PUT /events/{eid} answered 500 for a generated body",
        expected="a 4xx for invalid input",
        received="500 Internal Server Error",
        curl=f"curl -sS -X PUT -H 'Authorization: ***REDACTED***' --data-binary '{{\"name\": null}}' {url}",
        request=f'PUT {url}\n\n{{"name": null}}',
        response="HTTP 500\n\nInternal Server Error",
        test="conformance/fuzz/test_fuzz.py::test_cr[PUT /events/{eid}]",
        host="cr",
        operation="PUT /events/{eid}",
    )


def sample_result(
    statuses: Mapping[str, str] | None = None,
    *,
    run_id: str = "20250101T120000Z-abc123",
    failing_ops: tuple[tuple[str, str], ...] = (("cr", "PUT /events/{eid}"),),
    skipped_ops: tuple[tuple[str, str], ...] = (("cr", "POST /events/bulk_upload"),),
) -> RunResult:
    """All 27 rules; TEN-03 and SCH-01 failed, OBJ-02 not run, the rest passed (unless overridden)."""
    wanted = {"TEN-03": "failed", "SCH-01": "failed", "OBJ-02": "not_run", **(statuses or {})}
    rules = []
    for rule in catalogue().values():
        status = wanted.get(rule.id, "passed")
        findings: list[FindingRecord] = []
        reason = ""
        if status == "failed":
            findings = [sch01_finding()] if rule.id == "SCH-01" else [ten03_finding()]
            if rule.id not in ("SCH-01", "TEN-03"):
                findings = [
                    FindingRecord(rule.id, f"{rule.id} violated on GET /events/", curl=curl_for("GET", MAIN))
                ]
            reason = findings[0].message
        elif status == "not_run":
            reason = "needs mode write; run with --mode write"
        rules.append(
            RuleResult(
                id=rule.id,
                title=rule.title,
                level=rule.level,
                severity=rule.severity,
                required=rule.required,
                status=status,  # type: ignore[arg-type]
                reason=reason,
                tests=0 if status == "not_run" else 3,
                duration=0 if status == "not_run" else 0.4,
                findings=findings,
            )
        )
    operations = []
    for host, op in OPERATIONS:
        if (host, op) in skipped_ops:
            operations.append(
                OperationCoverage(host, op, status="not_run", reason="write operation in read-only")
            )
        elif (host, op) in failing_ops:
            operations.append(
                OperationCoverage(host, op, cases=40, failures=2, status="failed", duration=1.5)
            )
        else:
            operations.append(
                OperationCoverage(host, op, cases=50, failures=0, status="passed", duration=1.2)
            )
    return RunResult(
        run_id=run_id,
        suite_version="0.1.0",
        started_at="2025-01-01T12:00:00+00:00",
        finished_at="2025-01-01T12:01:02+00:00",
        duration=62.0,
        seed=1234,
        mode="publish",
        embedded=True,
        targets={"main": MAIN, "cr": CR, "media": MAIN.removesuffix("/v3")},
        spec_hashes={name: hashlib.sha256(name.encode()).hexdigest() for name in ("main", "cr", "rules")},
        personas=[
            {"name": "primary", "partner": "partner-id-acme"},
            {"name": "other", "partner": "partner-id-beta"},
            {"name": "multi", "partner": "partner-id-acme"},
        ],
        defects=["tenant-header-ignored"],
        rules=rules,
        operations=operations,
        cases={"examples": 20, "coverage": 150, "fuzzing": 250},
    )


def all_passed(run_id: str = "20250102T120000Z-def456") -> RunResult:
    result = sample_result(
        {"TEN-03": "passed", "SCH-01": "passed", "OBJ-02": "passed"},
        run_id=run_id,
        failing_ops=(),
        skipped_ops=(),
    )
    result.defects = []
    return result


def result_with(
    statuses: Mapping[str, str] | None = None, *, run_id: str = "r", shard: str = ""
) -> RunResult:
    """Every rule passed except those in ``statuses`` (no findings): for exit-code, diff and merge tests."""
    result = all_passed(run_id)
    for rule in result.rules:
        rule.status = (statuses or {}).get(rule.id, "passed")  # type: ignore[assignment]
        rule.tests = 0 if rule.status == "not_run" else rule.tests
    result.shard = shard
    return result
