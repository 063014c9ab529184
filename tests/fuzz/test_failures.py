from schemathesis.core.failures import CustomFailure, Failure, FailureGroup, ServerError

from conformance.errors import EVIDENCE_LIMIT, Finding
from conformance.fuzz.checks import RuleFailure
from conformance.fuzz.failures import MAX_TEXT, as_finding, rule_for_code
from conformance.harness.evidence import from_exception, from_payload, to_payload


def test_codes_map_to_rules() -> None:
    assert rule_for_code("ST101") == "SCH-01"
    assert rule_for_code("ST108") == "SCH-02"
    assert rule_for_code("ST111") == "SCH-02"
    assert rule_for_code("ST204") == "SCH-03"
    assert rule_for_code("ST401") == "AUTH-01"
    assert rule_for_code("ST402") == "OBJ-01"
    assert rule_for_code("ST901") is None


def test_group_becomes_one_finding_per_rule_each_with_its_own_text() -> None:
    server = ServerError(operation="GET /events/", status_code=500)
    ours = CustomFailure(
        operation="GET /events/",
        title="Custom check failed: `fd_error_envelope`",
        message="error response is not JSON",
        exception=Finding("ERR-01", "error response is not JSON"),
    )
    finding = as_finding(FailureGroup([server, ours]), operation="main GET /events/")
    assert finding.rules == ("SCH-01", "ERR-01")
    assert str(finding).startswith("[SCH-01] [ERR-01] main GET /events/")
    sch01, err01 = finding.parts
    assert "not JSON" not in sch01.message
    assert "ST101" in sch01.message
    assert "not JSON" in err01.message
    assert "ST101" not in err01.message
    assert err01.expected != sch01.expected  # each rule's expected is its own failure's


def test_a_rule_tag_quoted_in_failure_text_names_no_rule() -> None:
    """Rules travel as data: response data quoted in a built-in failure's text is just text."""
    failure = Failure(operation="GET /x", message='body was {"note": "[TEN-04] list leaks"}')
    finding = as_finding(failure, operation="main GET /x")
    assert finding.rules == ("SCH-02",)
    assert "[TEN-04]" not in str(finding)


def test_our_failure_carries_its_rule_as_data() -> None:
    failure = RuleFailure(operation="GET /x", check="fd_list_isolation",
                          finding=Finding("TEN-04", "list leaks"))
    assert as_finding(failure, operation="main GET /x").rules == ("TEN-04",)


def test_each_rule_keeps_its_own_line_when_the_combined_text_exceeds_the_limit() -> None:
    """Three rules on one response, the first with a text longer than the limit: every record still
    has its own rule's line, as its evidence and at the start of its message, also after the pipe."""
    from schemathesis.openapi.checks import UndefinedStatusCode

    long = UndefinedStatusCode(operation="GET /events/", status_code=418, defined_status_codes=["200"],
                               allowed_status_codes=[200], message="undocumented " + "x" * (2 * MAX_TEXT))
    envelope = RuleFailure(operation="GET /events/", check="fd_error_envelope",
                           finding=Finding("ERR-01", "418 body lacks the error envelope"))
    cid = RuleFailure(operation="GET /events/", check="fd_cid_safety",
                      finding=Finding("CID-03", "issued id 'a__b' contains the cid separator",
                                      expected="no '__' in ids", received="a__b"))
    finding = as_finding(FailureGroup([long, envelope, cid]), operation="main GET /events/")
    records = from_payload(to_payload(from_exception(finding, "t", ())))
    by_rule = {r.rule_id: r for r in records}
    assert list(by_rule) == ["SCH-02", "ERR-01", "CID-03"]
    assert "lacks the error envelope" in by_rule["ERR-01"].evidence
    assert by_rule["ERR-01"].message.startswith(by_rule["ERR-01"].evidence)
    assert "cid separator" in by_rule["CID-03"].evidence
    assert (by_rule["CID-03"].expected, by_rule["CID-03"].received) == ("no '__' in ids", "a__b")
    assert by_rule["SCH-02"].evidence.startswith("main GET /events/: ST103")
    assert len(by_rule["SCH-02"].evidence) <= EVIDENCE_LIMIT
    assert len(by_rule["SCH-02"].message) <= MAX_TEXT
    # no rule's text is another rule's message
    assert "envelope" not in by_rule["SCH-02"].message
    assert "separator" not in by_rule["ERR-01"].message


def test_a_5xx_is_sch01_only_not_also_an_undocumented_status() -> None:
    from schemathesis.openapi.checks import UndefinedStatusCode

    server = ServerError(operation="GET /events/", status_code=500)
    undocumented = UndefinedStatusCode(
        operation="GET /events/",
        status_code=500,
        defined_status_codes=["200"],
        allowed_status_codes=[200],
        message="undocumented",
    )
    finding = as_finding(FailureGroup([server, undocumented]), operation="main GET /events/")
    assert finding.rule_id == "SCH-01"
    assert "[SCH-02]" not in str(finding)


def test_without_a_5xx_an_undocumented_status_is_sch02() -> None:
    from schemathesis.openapi.checks import UndefinedStatusCode

    undocumented = UndefinedStatusCode(
        operation="GET /events/",
        status_code=418,
        defined_status_codes=["200"],
        allowed_status_codes=[200],
        message="undocumented",
    )
    assert as_finding(FailureGroup([undocumented]), operation="main GET /events/").rule_id == "SCH-02"


REPLAYED = "GET /events/{eid} replayed with a foreign header: expected 403, got 200"


def _tenancy_replay_failure() -> CustomFailure:
    return CustomFailure(
        operation="GET /events/{eid}",
        title="Custom check failed: `fd_tenancy_replay`",
        message=REPLAYED,
        exception=Finding("TEN-03", REPLAYED),
    )


def test_cr_host_tenancy_evidence_is_hst02_alone() -> None:
    ours = _tenancy_replay_failure()
    finding = as_finding(FailureGroup([ours]), operation="cr GET /events/{eid}", host="cr")
    assert finding.rule_id == "HST-02"
    assert "[TEN-03]" not in str(finding)


def test_main_host_tenancy_evidence_keeps_its_rule() -> None:
    ours = _tenancy_replay_failure()
    finding = as_finding(FailureGroup([ours]), operation="main GET /events/{eid}", host="main")
    assert finding.rule_id == "TEN-03"
    assert "[HST-02]" not in str(finding)


def test_a_rejected_schema_valid_request_carries_expected_received_and_response() -> None:
    """ST202 findings had an empty expected, received and response: the failure report has all three."""
    from schemathesis.openapi.checks import RejectedPositiveData

    failure = RejectedPositiveData(operation="PUT /events/{eid}", message="Valid data should have been "
                                   "accepted\nExpected: 2XX", status_code=422, allowed_statuses=["2XX"])
    report = ('Schema-valid request rejected\n\n- ST202 Schema-valid request rejected\n\n    Valid data ...\n'
              '\n[422] Unprocessable Content:\n\n    `{"message": "error.validation", "field": "title"}`\n\n'
              "Reproduce with:\n\n    curl -X PUT http://127.0.0.1:9/api/v3/events/e1")
    finding = as_finding(FailureGroup([failure], report), operation="main PUT /events/{eid}")
    assert finding.rule_id == "SCH-03"
    assert finding.expected == "ST202: status 2XX"
    assert finding.received == "ST202: status 422"
    body = '{"message": "error.validation", "field": "title"}'
    assert finding.response == f"HTTP 422 Unprocessable Content\n\n{body}"


def test_our_own_findings_keep_their_expected_and_received() -> None:
    from conformance.errors import Finding

    ours = CustomFailure(operation="GET /events/", title="Custom check failed: `fd_list_isolation`",
                         message="[TEN-04] a row of another tenant",
                         exception=Finding("TEN-04", "leak", expected="rows of partner-id-acme only",
                                           received="evt_beta_001 of partner-id-beta"))
    finding = as_finding(ours, operation="main GET /events/")
    assert finding.expected == "rows of partner-id-acme only"
    assert finding.received == "evt_beta_001 of partner-id-beta"


def test_every_failure_kind_gets_some_expected_and_received() -> None:
    server = ServerError(operation="GET /events/", status_code=500)
    finding = as_finding(server, operation="main GET /events/")
    assert finding.expected
    assert finding.received == "ST101: status 500"
