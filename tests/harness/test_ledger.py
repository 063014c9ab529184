"""The run's probe ledger: probes validated against the catalogue, controls sent once and cached."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from conformance.harness.ledger import Ledger, UnknownCheck, probes_from, probes_payload


@dataclass
class FakeExchange:
    status: int


def test_controls_are_sent_once_per_persona_host_and_operation() -> None:
    ledger = Ledger()
    sent: list[int] = []

    def send(status: int) -> FakeExchange:
        sent.append(status)
        return FakeExchange(status)

    first = ledger.control("other:partner-id-beta", "main", "GET /events/{eid}", lambda: send(200))
    again = ledger.control("other:partner-id-beta", "main", "GET /events/{eid}", lambda: send(500))
    assert first.ok
    assert again is first
    assert sent == [200]
    refused = ledger.control("other:partner-id-beta", "cr", "GET /events/{eid}", lambda: send(404))
    assert not refused.ok
    assert refused.reason == "control: other gets 404 with its own ids"
    media = ledger.control("primary:-", "media", "POST /media", lambda: send(201))
    assert ledger.control("primary:-", "main", "POST /media", lambda: send(500)) is media
    custom = ledger.control("primary:-", "main", "PUT /x", lambda: send(400), accept=lambda s: s != 404)
    assert custom.ok
    assert ledger.control_requests == len(sent) == 4


def test_probes_are_validated_and_drained() -> None:
    ledger = Ledger()
    ledger.record("OBJ-01", "foreign-eid-404", host="main", operation="GET /events/{eid}", outcome="pass")
    ledger.record("HST-02", "foreign-eid-404", host="cr", operation="GET /events/{eid}",
                  outcome="unexercised", reason="control:\n other gets 404")
    with pytest.raises(UnknownCheck, match="OBJ-01/no-such-check"):
        ledger.record("OBJ-01", "no-such-check", host="main", operation="x", outcome="pass")
    with pytest.raises(UnknownCheck, match="outcome"):
        ledger.record("OBJ-01", "foreign-eid-404", host="main", operation="x", outcome="maybe")  # type: ignore[arg-type]
    probes = ledger.drain()
    assert [(p.rule_id, p.outcome, p.reason) for p in probes] == [
        ("OBJ-01", "pass", ""),
        ("HST-02", "unexercised", "control: other gets 404"),
    ]
    assert ledger.drain() == []
    back = probes_from(probes_payload(probes, "t::x"))
    assert [p.test for p in back] == ["t::x", "t::x"]
    assert probes_from([{"rule_id": "x"}, "junk"]) == []


def test_a_throttled_control_is_not_cached_and_a_throttled_probe_is_unexercised() -> None:
    from conformance.client import Throttled
    from conformance.scenarios.sweep import Sweep

    ledger = Ledger()
    calls: list[str] = []

    def throttled() -> FakeExchange:
        calls.append("sent")
        raise Throttled("GET", "http://127.0.0.1:9/api/v3/events/evt_1?x=secret", 5)

    control = ledger.control("other:-", "main", "GET /events/{eid}", throttled)
    assert (control.ok, control.status) == (False, 429)
    assert control.reason == "control throttled (429 after 5 attempts)"
    later = ledger.control("other:-", "main", "GET /events/{eid}", lambda: FakeExchange(200))
    assert later.ok  # the budget came back: the control was sent again
    assert calls == ["sent"]

    def probe() -> None:
        throttled()

    sweep = Sweep("OBJ-01", ledger, "foreign-eid-404")
    sweep.judge(lambda: None, "main", operation="GET /events/")
    sweep.judge(probe, "main", operation="GET /events/{eid}")
    sweep.finish("foreign ids")  # one judged probe, nothing failed: no finding
    assert [(p.operation, p.outcome, p.reason) for p in ledger.drain()] == [
        ("GET /events/", "pass", ""),
        ("GET /events/{eid}", "unexercised", "throttled (429 after 5 attempts)"),
    ]


def test_each_control_sent_is_reported_once() -> None:
    """``fd_controls``: what a test's report says its phase sent; cached answers cost nothing."""
    ledger = Ledger()
    assert ledger.drain_controls() == 0
    ledger.control("primary:-", "main", "GET /a", lambda: FakeExchange(200))
    ledger.control("primary:-", "main", "GET /b", lambda: FakeExchange(404))
    assert ledger.drain_controls() == 2
    ledger.control("primary:-", "main", "GET /a", lambda: FakeExchange(200))  # cached
    assert ledger.drain_controls() == 0
    ledger.control("other:-", "main", "GET /a", lambda: FakeExchange(200))
    assert ledger.drain_controls() == 1
