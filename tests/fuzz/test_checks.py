"""The Schemathesis checks on real cases against the reference: one Observed per response, and
findings about the response itself carry its curl line (rendered only when a check fails)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import schemathesis

from conformance import resources
from conformance.checks import st_hooks
from conformance.errors import Finding


def _token(stack: Any) -> str:
    persona = stack.personas["primary"]
    answer = httpx.post(
        stack.main_base + "/auth", json={"username": persona["username"], "password": persona["password"]}
    )
    return str(answer.json()["AccessToken"])


def _call(stack: Any, path: str) -> tuple[Any, Any]:
    schema = schemathesis.openapi.from_path(resources.main_spec())
    case = schema["/events/{eid}"]["GET"].Case(path_parameters={"eid": path})
    headers = {"Authorization": f"Bearer {_token(stack)}", "X-Preferred-Partner-Id": "partner-id-acme"}
    return case, case.call(base_url=stack.main_base, headers=headers)


def test_checks_of_one_response_share_one_observed(reference_stack: Any) -> None:
    case, response = _call(reference_stack, "evt_never_9")
    first = st_hooks.observed(response, case)
    assert st_hooks.observed(response, case) is first
    assert first.status == 404
    assert first.curl == ""  # no curl is rendered unless a finding needs one
    assert st_hooks.fd_error_envelope(None, response, case) is None


def test_a_finding_about_the_response_carries_its_curl(start_stack: Callable[..., Any]) -> None:
    stack = start_stack(["err-plain-text-404"])
    schema = schemathesis.openapi.from_path(resources.main_spec())
    case = schema["/events/"]["GET"].Case()
    response = case.call(base_url=stack.main_base + "/no-such-route")
    with pytest.raises(Finding) as caught:
        st_hooks.fd_error_envelope(None, response, case)
    assert caught.value.rule_id == "ERR-01"
    assert caught.value.curl.startswith("curl ")
