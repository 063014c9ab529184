import pytest
from check_values import exchange

from conformance.checks import (
    HEADER_REQUIRED,
    NOT_AUTHORIZED,
    carries_data,
    check_outcome,
    expected_outcome,
)
from conformance.errors import Finding


@pytest.mark.parametrize(
    ("partners", "header", "allowed", "status", "scope"),
    [
        (("partner-id-acme",), None, True, None, "partner-id-acme"),
        (("partner-id-acme", "partner-id-beta"), None, False, 400, None),
        ((), None, False, 403, None),
        (("partner-id-acme",), "partner-id-beta", False, 403, None),
        (("partner-id-acme",), "webapp-access-group-2", False, 403, None),
        (("partner-id-acme",), "partner-id-acme", True, None, "partner-id-acme"),
        (("partner-id-acme", "partner-id-beta"), "partner-id-beta", True, None, "partner-id-beta"),
        (("fd123",), "fd123", True, None, "fd123"),
    ],
)
def test_contract_table(
    partners: tuple[str, ...], header: str | None, allowed: bool, status: int | None, scope: str | None
) -> None:
    outcome = expected_outcome(partners, header)
    assert (outcome.allowed, outcome.status, outcome.scope) == (allowed, status, scope)


def test_refusal_must_have_the_status() -> None:
    outcome = expected_outcome(("partner-id-acme", "partner-id-beta"), None)
    check_outcome(exchange(400, {"message": HEADER_REQUIRED}), outcome, "TEN-01")
    with pytest.raises(Finding, match=r"^\[TEN-01\].*expected 400, got 200"):
        check_outcome(exchange(200, {"items": [], "total": 0}), outcome, "TEN-01")


def test_refusal_must_not_carry_data() -> None:
    outcome = expected_outcome(("partner-id-acme",), "partner-id-beta")
    with pytest.raises(Finding, match="carries data"):
        check_outcome(exchange(403, {"message": NOT_AUTHORIZED, "items": [{"id": "e1"}]}), outcome, "TEN-03")


def test_refusal_with_wrong_key_is_a_finding_but_broken_envelope_is_not_ours() -> None:
    outcome = expected_outcome(("partner-id-acme",), "partner-id-beta")
    with pytest.raises(Finding, match="wrong message key"):
        check_outcome(exchange(403, {"message": "error.auth.forbidden"}), outcome, "TEN-03")
    # an envelope defect is ERR-01's finding, not TEN-03's
    check_outcome(exchange(403, {"detail": "Forbidden"}), outcome, "TEN-03")
    check_outcome(exchange(403, raw=b"<html>Forbidden</html>", content_type="text/html"), outcome, "TEN-03")


def test_allowed_must_not_be_refused_for_tenancy() -> None:
    outcome = expected_outcome(("partner-id-acme",), None)
    check_outcome(exchange(200, {"items": []}), outcome, "TEN-02")
    check_outcome(exchange(404, {"message": "error.event.not_found"}), outcome, "TEN-02")
    with pytest.raises(Finding, match="refused"):
        check_outcome(exchange(400, {"message": HEADER_REQUIRED}), outcome, "TEN-02")


def test_carries_data() -> None:
    assert not carries_data({"message": "error.a.b", "error_code": "X", "validation_errors": []})
    assert carries_data({"message": "error.a.b", "title": "x", "id": "evt"})
    assert carries_data([{"id": 1}])
    assert not carries_data(None)
