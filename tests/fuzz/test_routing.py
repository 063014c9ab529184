"""Schemathesis' requests through our Transport: case calls, Schemathesis' own auth probes and the
stateful engine are guarded, audited and answered like Schemathesis' own transport would."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from schemathesis.specs.openapi.checks import ignored_auth

from conformance import resources
from conformance.client._http import Transport, WriteBlocked
from conformance.fuzz.routing import engine_for, route


@pytest.fixture
def transport() -> Iterator[Transport]:
    with Transport(timeout=5.0) as t:
        yield t


def _token(stack: Any) -> str:
    import httpx

    persona = stack.personas["primary"]
    answer = httpx.post(stack.main_base + "/auth",
                        json={"username": persona["username"], "password": persona["password"]})
    return str(answer.json()["AccessToken"])


def test_a_routed_case_is_sent_and_audited_by_the_transport(
    reference_stack: Any, transport: Transport
) -> None:
    schema = route(schemathesis.openapi.from_path(resources.main_spec()), transport, "fuzz")
    case = schema["/events/{eid}"]["GET"].Case(path_parameters={"eid": "evt_acme_001"})
    headers = {"Authorization": f"Bearer {_token(reference_stack)}",
               "X-Preferred-Partner-Id": "partner-id-acme"}
    before = len(reference_stack.request_log)
    response = case.call(base_url=reference_stack.main_base, headers=headers)
    assert response.status_code == 200
    assert response.json()["id"] == "evt_acme_001"
    assert response.headers["content-type"] == ["application/json"]  # Schemathesis' own header shape
    assert [(e.origin, e.method, e.status) for e in transport.audit] == [("fuzz", "GET", 200)]
    assert transport.audit[0].url == reference_stack.main_base + "/events/evt_acme_001"
    assert reference_stack.request_log[before:] == [("main", "GET", "/api/v3/events/evt_acme_001")]


def test_a_read_only_transport_refuses_a_fuzzed_write_before_it_leaves(
    reference_stack: Any, transport: Transport
) -> None:
    schema = route(schemathesis.openapi.from_path(resources.cr_spec()), transport, "fuzz")
    case = schema["/events/"]["POST"].Case(body={"name": "x"})
    before = len(reference_stack.request_log)
    with pytest.raises(WriteBlocked):
        case.call(base_url=reference_stack.cr_base)
    assert reference_stack.request_log[before:] == []
    assert transport.audit == []
    assert [method for method, _url in transport.blocked] == ["POST"]


def test_schemathesis_auth_probes_go_through_the_transport(
    reference_stack: Any, transport: Transport
) -> None:
    schema = route(schemathesis.openapi.from_path(resources.main_spec()), transport, "fuzz")
    case = schema["/events/"]["GET"].Case()
    headers = {"Authorization": f"Bearer {_token(reference_stack)}",
               "X-Preferred-Partner-Id": "partner-id-acme"}
    case.call_and_validate(base_url=reference_stack.main_base, headers=headers, checks=[ignored_auth])
    sent = [(e.method, e.url.rsplit("/api/v3", 1)[1], e.status) for e in transport.audit]
    assert sent[0] == ("GET", "/events/", 200)
    assert len(sent) >= 3, "ignored_auth sent its no-auth and invalid-auth probes elsewhere"
    assert all(status == 401 for _m, _p, status in sent[1:])


def test_the_stateful_engine_sends_every_request_through_the_transport(
    start_stack: Any, transport: Transport, tmp_path: Any
) -> None:
    stack = start_stack()
    config = schemathesis.Config.from_dict({
        "base-url": stack.main_base, "seed": 1, "generation": {"max-examples": 3, "database": "none"},
        "phases": {"examples": {"enabled": False}, "coverage": {"enabled": False},
                   "fuzzing": {"enabled": False}, "stateful": {"enabled": True, "max-steps": 3}},
    })
    loaded = schemathesis.openapi.from_path(resources.main_spec(), config=config)
    schema = route(loaded, transport, "stateful")
    list(engine_for(schema).execute())
    server = [(method, path) for _host, method, path in stack.request_log]
    audited = [(e.method, urllib.parse.urlsplit(e.url).path) for e in transport.audit if e.status]
    assert server, "the stateful phase sent nothing"
    assert sorted(server) == sorted(audited)
    assert {e.origin for e in transport.audit} == {"stateful"}


def test_a_fuzz_case_the_budget_refuses_raises_throttled_the_stateful_engine_gets_the_429(
    start_stack: Any,
) -> None:
    from conformance.client import Throttled
    from conformance.fuzz.checks import fd_error_envelope
    from conformance.reference.limits import limits

    stack = start_stack(limits=limits("reads=1,writes=1,auth=5,window=60"))
    headers = {"Authorization": f"Bearer {_token(stack)}", "X-Preferred-Partner-Id": "partner-id-acme"}
    with Transport(timeout=5.0, max_429_retries=1, backoff_base=0.01, backoff_cap=0.01) as transport:
        fuzz = route(schemathesis.openapi.from_path(resources.main_spec()), transport, "fuzz")
        case = fuzz["/partners/"]["GET"].Case()
        assert case.call(base_url=stack.main_base, headers=headers).status_code == 200
        with pytest.raises(Throttled, match=r"throttled \(429 after 2 attempts\)"):
            case.call(base_url=stack.main_base, headers=headers)
        stateful = route(schemathesis.openapi.from_path(resources.main_spec()), transport, "stateful")
        late = stateful["/partners/"]["GET"].Case()
        response = late.call(base_url=stack.main_base, headers=headers)
        assert response.status_code == 429
        # our checks pass over it (Schemathesis' "skipped"), whatever its body says
        assert fd_error_envelope(None, response, late) is True  # type: ignore[arg-type]
    assert [e.status for e in transport.audit] == [200, 429, 429, 429, 429]


def test_framing_headers_are_the_transports_so_a_generated_one_cannot_break_the_request(
    reference_stack: Any, transport: Transport
) -> None:
    # requests passes a caller's Content-Length through; httpx sets its own from what it sends
    schema = route(schemathesis.openapi.from_path(resources.main_spec()), transport, "fuzz")
    case = schema["/events/{eid}"]["GET"].Case(path_parameters={"eid": "evt_acme_001"})
    headers = {"Authorization": f"Bearer {_token(reference_stack)}",
               "X-Preferred-Partner-Id": "partner-id-acme", "Content-Length": "not-a-length"}
    response = case.call(base_url=reference_stack.main_base, headers=headers)
    assert response.status_code == 200
    assert [(e.method, e.status) for e in transport.audit] == [("GET", 200)]
