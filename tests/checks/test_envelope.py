import pytest
from check_values import exchange

from conformance.checks import check_error_envelope, message_key
from conformance.errors import Finding


def test_conforming_error_passes() -> None:
    check_error_envelope(exchange(404, {"message": "error.event.not_found", "error_code": "NOT_FOUND"}))
    check_error_envelope(exchange(400, {"message": "error.validation.failed", "validation_errors": []}))


def test_success_is_not_judged() -> None:
    check_error_envelope(exchange(200, raw=b"<html>fine</html>", content_type="text/html"))


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"raw": b"<html><body>Not Found</body></html>", "content_type": "text/html"}, "not JSON"),
        ({"raw": b'{"message": "error.event.not_fo', "content_type": "application/json"}, "not valid JSON"),
        ({"raw": b"", "content_type": "application/json"}, "empty body"),
        ({"body": {"detail": "Not Found"}}, "`message` is missing"),
        ({"body": {"message": "Event not found"}}, "does not match"),
        ({"body": {"message": "error.event"}}, "does not match"),
        ({"body": ["error.event.not_found"]}, "not an object"),
        ({"body": {"message": "error.x.y", "validation_errors": "bad"}}, "not an array"),
    ],
)
def test_broken_envelopes_are_findings(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(Finding) as info:
        check_error_envelope(exchange(404, **kwargs))
    assert str(info.value).startswith("[ERR-01]")
    assert fragment in str(info.value)
    assert "secret-token-value" not in str(info.value)


def test_head_errors_are_judged_on_status_only() -> None:
    check_error_envelope(exchange(404, raw=b"", method="HEAD"))


def test_message_key_only_for_conforming_envelopes() -> None:
    assert message_key(exchange(403, {"message": "error.auth.not_authorized"})) == "error.auth.not_authorized"
    assert message_key(exchange(403, {"detail": "nope"})) is None
    assert message_key(exchange(403, raw=b"<html>")) is None
