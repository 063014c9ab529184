"""Our Schemathesis checks on real cases against the reference: one Observed per response, findings as
RuleFailures carrying the rule id as data, no replay of public operations, repeated page parameters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.core.failures import Failure

from conformance import resources
from conformance.checks.observed import Observed
from conformance.fuzz import checks
from conformance.fuzz.context import FuzzContext, Persona
from conformance.fuzz.failures import as_finding
from conformance.fuzz.routing import route


def _token(stack: Any, name: str = "primary") -> str:
    persona = stack.personas[name]
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
    first = checks.observed(response, case)
    assert checks.observed(response, case) is first
    assert first.status == 404
    assert first.curl == ""  # no curl is rendered unless a finding needs one
    assert checks.fd_error_envelope(None, response, case) is None  # type: ignore[arg-type]


def test_a_finding_is_a_schemathesis_failure_with_the_rule_as_data(
    start_stack: Callable[..., Any],
) -> None:
    stack = start_stack(["err-plain-text-404"])
    schema = schemathesis.openapi.from_path(resources.main_spec())
    case = schema["/events/"]["GET"].Case()
    response = case.call(base_url=stack.main_base + "/no-such-route")
    with pytest.raises(checks.RuleFailure) as caught:
        checks.fd_error_envelope(None, response, case)  # type: ignore[arg-type]
    failure = caught.value
    assert isinstance(failure, Failure)
    assert (failure.code, failure.rule_id) == ("FD901", "ERR-01")
    assert "[" not in failure.message.split(":", 1)[0]  # the rule is data, not a tag in the text
    finding = as_finding(failure, operation="main GET /events/")
    assert finding.rule_id == "ERR-01"


def _recorded_context(stack: Any, sent: list[tuple[str, dict[str, str]]]) -> FuzzContext:
    def send(url: str, headers: Any) -> Observed:
        sent.append((url, dict(headers)))
        answer = httpx.get(url, headers=dict(headers))
        return Observed(method="GET", url=url, status=answer.status_code, headers=dict(answer.headers),
                        body=answer.content)

    token = _token(stack)
    other = _token(stack, "other")
    return FuzzContext(
        personas={"primary": Persona(lambda: token, ("partner-id-acme",)),
                  "other": Persona(lambda: other, ("partner-id-beta",))},
        send=send,
    )


def test_public_operations_are_not_replayed(reference_stack: Any) -> None:
    """GET /status/ declares `security: []`: it answers everyone alike, a replay proves nothing."""
    sent: list[tuple[str, dict[str, str]]] = []
    context = _recorded_context(reference_stack, sent)
    schema = route(_main(), _transport(), "fuzz", fd_context=context)
    status = schema["/status/"]["GET"].Case()
    response = status.call(base_url=reference_stack.main_base, headers={"Authorization": "Bearer x"})
    assert checks.fd_tenancy_replay(None, response, status) is None  # type: ignore[arg-type]
    assert sent == []
    events = schema["/events/"]["GET"].Case()
    headers = {"Authorization": f"Bearer {context.personas['primary'].token()}",
               "X-Preferred-Partner-Id": "partner-id-acme"}
    response = events.call(base_url=reference_stack.main_base, headers=headers)
    assert checks.fd_tenancy_replay(None, response, events) is None  # type: ignore[arg-type]
    assert sent, "an authenticated GET was not replayed"


def test_repeated_page_parameters_accept_whichever_the_server_read(reference_stack: Any) -> None:
    context = _recorded_context(reference_stack, [])
    schema = route(_main(), _transport(), "fuzz", fd_context=context)
    case = schema["/events/"]["GET"].Case(query={"page": [1, 2], "limit": [5]})
    headers = {"Authorization": f"Bearer {context.personas['primary'].token()}",
               "X-Preferred-Partner-Id": "partner-id-acme"}
    response = case.call(base_url=reference_stack.main_base, headers=headers)
    assert response.status_code == 200
    assert response.json()["page"] in (1, 2)
    assert checks.fd_list_isolation(None, response, case) is None  # type: ignore[arg-type]
    wrong = schema["/events/"]["GET"].Case(query={"page": [1, 2]})
    body = {**response.json(), "page": 3}
    assert checks._asked(wrong.query, "page", body) == 1  # neither value was read: judged against the first


_TRANSPORTS: list[Any] = []


def _main() -> Any:
    return schemathesis.openapi.from_path(resources.main_spec())


def _transport() -> Any:
    from conformance.client.http import Transport

    transport = Transport(timeout=5.0)
    _TRANSPORTS.append(transport)
    return transport


@pytest.fixture(autouse=True)
def _close_transports() -> Any:
    yield
    while _TRANSPORTS:
        _TRANSPORTS.pop().close()
