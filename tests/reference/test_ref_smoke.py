"""Smoke test of the reference over real HTTP: it starts, signs in, and serves both hosts."""

from __future__ import annotations

import httpx
import pytest

from conformance.reference.stack import ReferenceStack
from tests.reference.support import Caller, assert_envelope


def test_stack_answers_on_both_hosts(reference_stack: ReferenceStack) -> None:
    assert reference_stack.main_base.startswith("http://127.0.0.1:")
    assert reference_stack.main_base.endswith("/api/v3")
    assert reference_stack.cr_base.endswith("/api")
    status = httpx.get(reference_stack.main_base + "/status/", trust_env=False)
    assert status.status_code == 200
    assert status.headers["access-control-allow-origin"] == "*"
    caller = Caller(reference_stack, "primary")
    try:
        events = caller.main("GET", "/events/")
        assert events.status_code == 200
        assert events.json()["total"] > 50
        raw = caller.cr("GET", "/events/evt_acme_001")
        assert raw.status_code == 200
        assert raw.json()["id"] == "evt_acme_001"
        assert_envelope(caller.main("GET", "/no/such/route"), 404, "error.route.not_found")
    finally:
        caller.close()


def test_personas_and_request_log(reference_stack: ReferenceStack) -> None:
    personas = reference_stack.personas
    assert set(personas) >= {"primary", "other", "multi", "legacy", "nopartner"}
    assert personas["multi"]["partners"] == ["partner-id-acme", "partner-id-beta"]
    assert personas["nopartner"]["partners"] == []
    httpx.get(reference_stack.cr_base + "/events/evt_acme_001", trust_env=False)
    assert ("cr", "GET", "/api/events/evt_acme_001") in reference_stack.request_log


def test_unknown_defect_is_refused() -> None:
    with pytest.raises(ValueError, match="no-such-defect"):
        ReferenceStack(defects=["no-such-defect"])
