from schemathesis.core.failures import CustomFailure, Failure, FailureGroup, ServerError

from conformance.fuzz.failures import as_finding, rule_for_code


def test_codes_map_to_rules() -> None:
    assert rule_for_code("ST101") == "SCH-01"
    assert rule_for_code("ST108") == "SCH-02"
    assert rule_for_code("ST111") == "SCH-02"
    assert rule_for_code("ST204") == "SCH-03"
    assert rule_for_code("ST401") == "AUTH-01"
    assert rule_for_code("ST402") == "OBJ-01"
    assert rule_for_code("ST901") is None


def test_group_becomes_one_finding_tagging_every_rule() -> None:
    server = ServerError(operation="GET /events/", status_code=500)
    ours = CustomFailure(
        operation="GET /events/",
        title="Custom check failed: `fd_error_envelope`",
        message="[ERR-01] error response is not JSON",
        exception=AssertionError("x"),
    )
    finding = as_finding(FailureGroup([server, ours]), operation="main GET /events/")
    assert finding.rule_id == "SCH-01"
    assert str(finding).startswith("[SCH-01] [ERR-01] main GET /events/")


def test_single_custom_failure_keeps_its_rule() -> None:
    failure = Failure(operation="GET /x", message="[TEN-04] list leaks")
    assert as_finding(failure, operation="main GET /x").rule_id == "TEN-04"
