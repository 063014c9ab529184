"""CONTRACT §2, tenancy: the partner header rules and list scoping, on both hosts (TEN-01..05, HST-02)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from conformance.reference.stack import ReferenceStack
from tests.reference.support import OMIT, Caller, assert_envelope

PERSONAS = ("primary", "other", "multi", "legacy", "nopartner")


@pytest.fixture(scope="module")
def callers(reference_stack: ReferenceStack) -> Iterator[dict[str, Caller]]:
    made = {name: Caller(reference_stack, name) for name in PERSONAS}
    yield made
    for caller in made.values():
        caller.close()


def _owner_of(stack: ReferenceStack, eid: str) -> str:
    return next(e["partner"] for e in stack.dataset.events if e["id"] == eid)


def _walk(caller: Caller, path: str, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page: int | None = 1
    while page is not None:
        answer = caller.main("GET", path, params={"page": page, "limit": 20}, **kwargs)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        items += body["items"]
        page = body["nextPage"]
    return items


def test_single_partner_user_without_header_gets_own_data(
    reference_stack: ReferenceStack, callers: dict[str, Caller]
) -> None:
    for name, partner in (("primary", "partner-id-acme"), ("other", "partner-id-beta"), ("legacy", "fd123")):
        items = _walk(callers[name], "/events/", partner=OMIT)
        assert items
        assert {_owner_of(reference_stack, e["id"]) for e in items} == {partner}


@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("main", "/events/"),
        ("main", "/partners/"),
        ("main", "/events/evt_acme_001"),
        ("cr", "/events/evt_acme_001"),
    ],
)
def test_multi_partner_user_without_header_is_400(callers: dict[str, Caller], host: str, path: str) -> None:
    answer = callers["multi"].call(
        "GET", getattr(callers["multi"].stack, f"{host}_base") + path, partner=OMIT
    )
    body = assert_envelope(answer, 400, "error.partner.header_required")
    assert set(body) <= {"message", "error_code", "error_subcode", "validation_errors"}


@pytest.mark.parametrize(
    ("host", "path"), [("main", "/events/"), ("main", "/partners/"), ("cr", "/events/evt_acme_001")]
)
def test_user_without_partner_is_403(callers: dict[str, Caller], host: str, path: str) -> None:
    answer = callers["nopartner"].call(
        "GET", getattr(callers["nopartner"].stack, f"{host}_base") + path, partner=OMIT
    )
    assert_envelope(answer, 403, "error.auth.not_authorized")


@pytest.mark.parametrize(
    "header",
    [
        "partner-id-beta",
        "fd123",
        "webapp-access-group-2",
        "partner-id-",
        "PARTNER-ID-ACME",
        "fd",
        "' OR 1=1 --",
        "",
    ],
)
@pytest.mark.parametrize("host", ["main", "cr"])
def test_header_the_user_lacks_is_403(callers: dict[str, Caller], header: str, host: str) -> None:
    caller = callers["primary"]
    path = "/events/" if host == "main" else "/events/evt_acme_001"
    answer = caller.call("GET", getattr(caller.stack, f"{host}_base") + path, partner=header)
    assert_envelope(answer, 403, "error.auth.not_authorized")


def test_nopartner_user_naming_a_partner_is_403(callers: dict[str, Caller]) -> None:
    assert_envelope(
        callers["nopartner"].main("GET", "/events/", partner="partner-id-acme"),
        403,
        "error.auth.not_authorized",
    )


@pytest.mark.parametrize("partner", ["partner-id-acme", "partner-id-beta"])
def test_every_page_is_scoped_and_the_header_switches_scope(
    reference_stack: ReferenceStack, callers: dict[str, Caller], partner: str
) -> None:
    items = _walk(callers["multi"], "/events/", partner=partner)
    expected = sorted(e["id"] for e in reference_stack.dataset.events if e["partner"] == partner)
    assert sorted(e["id"] for e in items) == expected
    assert {e["partner_id"] for e in items} == {partner}


def test_messages_are_scoped(callers: dict[str, Caller]) -> None:
    for partner in ("partner-id-acme", "partner-id-beta"):
        items = _walk(callers["multi"], "/messages/partner/", partner=partner)
        assert items
        assert {m["partner_id"] for m in items} == {partner}


@pytest.mark.parametrize("partner", ["partner-id-acme", "partner-id-beta"])
def test_partner_record_is_the_scoped_partner(callers: dict[str, Caller], partner: str) -> None:
    answer = callers["multi"].main("GET", "/partners/", partner=partner)
    assert answer.status_code == 200
    assert answer.json()["id"] == partner


def test_legacy_partner_id_is_accepted(callers: dict[str, Caller]) -> None:
    answer = callers["legacy"].main("GET", "/partners/", partner="fd123")
    assert answer.status_code == 200
    assert answer.json()["id"] == "fd123"


def test_cr_host_scopes_like_main(callers: dict[str, Caller]) -> None:
    """HST-02: the multi user reaches each partner's raw event only under that partner's header."""
    multi = callers["multi"]
    assert multi.cr("GET", "/events/evt_beta_001", partner="partner-id-beta").status_code == 200
    assert_envelope(
        multi.cr("GET", "/events/evt_beta_001", partner="partner-id-acme"), 404, "error.event.not_found"
    )
