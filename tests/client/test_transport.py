"""Transport against a real loopback server: timeouts, 429 backoff, broken bodies, the read-only guard."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from scripted_server import ScriptedServer

from conformance.client._api import Api
from conformance.client._http import OMIT, Transport, WriteBlocked
from conformance.client._throttled import Throttled
from conformance.errors import TargetError, UsageError
from conformance.redact import REDACTOR

MakeTransport = Callable[..., Transport]


def api(server: ScriptedServer, make: MakeTransport) -> Api:
    return Api(make(), server.base, token=lambda: "tok-abc-123456", partner="partner-id-acme")


def test_headers_token_and_partner_overrides(scripted: ScriptedServer, make_transport: MakeTransport) -> None:
    scripted.json("GET", "/api/v3/partners/", {"id": "partner-id-acme"})
    a = api(scripted, make_transport)
    ex = a.get("/partners/")
    assert ex.status == 200
    assert ex.json() == {"id": "partner-id-acme"}
    a.get("/partners/", partner=OMIT, token=OMIT)
    a.get("/partners/", partner="partner-id-beta", token="other-token")
    first, second, third = scripted.seen
    assert first.headers["Authorization"] == "Bearer tok-abc-123456"
    assert first.headers["X-Preferred-Partner-Id"] == "partner-id-acme"
    assert "Authorization" not in second.headers
    assert "X-Preferred-Partner-Id" not in second.headers
    assert third.headers["Authorization"] == "Bearer other-token"
    assert third.headers["X-Preferred-Partner-Id"] == "partner-id-beta"


def test_html_and_truncated_json_give_none_not_a_crash(
    scripted: ScriptedServer, make_transport: MakeTransport
) -> None:
    scripted.routes[("GET", "/api/v3/html")] = (200, {"Content-Type": "text/html"}, b"<html>oops</html>")
    scripted.routes[("GET", "/api/v3/cut")] = (200, {"Content-Type": "application/json"}, b'{"items": [1,')
    scripted.routes[("GET", "/api/v3/empty")] = (200, {"Content-Type": "application/json"}, b"")
    a = api(scripted, make_transport)
    for path in ("/html", "/cut", "/empty"):
        ex = a.get(path)
        assert ex.status == 200
        assert ex.json() is None
    assert "<html>oops</html>" in a.get("/html").response_text()


def test_silent_target_times_out_as_target_error(
    scripted: ScriptedServer, make_transport: MakeTransport
) -> None:
    scripted.routes[("GET", "/api/v3/slow")] = "hang"
    started = time.perf_counter()
    with pytest.raises(TargetError, match="timed out"):
        Api(make_transport(timeout=0.3), scripted.base).get("/slow")
    assert time.perf_counter() - started < 5


def test_connection_closed_without_answer_is_a_transport_error(
    scripted: ScriptedServer, make_transport: MakeTransport
) -> None:
    scripted.routes[("GET", "/api/v3/close")] = "close"
    scripted.routes[("GET", "/api/v3/truncate")] = "truncate"
    a = api(scripted, make_transport)
    with pytest.raises(TargetError, match="transport error on GET"):
        a.get("/close")
    with pytest.raises(TargetError, match="transport error on GET"):
        a.get("/truncate")


def test_unreachable_host_is_a_target_error(make_transport: MakeTransport) -> None:
    a = Api(make_transport(timeout=1.0), "http://127.0.0.1:9/api/v3")
    with pytest.raises(TargetError) as err:
        a.get("/status/")
    assert err.value.message.startswith("cannot reach http://127.0.0.1:9")
    assert err.value.hint


def test_429_backs_off_bounded_then_answers(scripted: ScriptedServer, make_transport: MakeTransport) -> None:
    calls = {"n": 0}

    def limited(_seen: object) -> tuple[int, dict[str, str], bytes]:
        calls["n"] += 1
        if calls["n"] <= 2:
            return 429, {"Content-Type": "application/json"}, b'{"message": "error.rate.limited"}'
        return 200, {"Content-Type": "application/json"}, b"{}"

    scripted.routes[("GET", "/api/v3/limited")] = limited
    sleeps: list[float] = []
    a = Api(make_transport(timeout=1.0, sleep=sleeps.append, backoff_base=0.5, backoff_cap=8), scripted.base)
    assert a.get("/limited").status == 200
    assert sleeps == [0.5, 1.0]


def test_429_forever_gives_up_after_the_bound(
    scripted: ScriptedServer, make_transport: MakeTransport
) -> None:
    scripted.routes[("GET", "/api/v3/always")] = (429, {}, b"")
    sleeps: list[float] = []
    transport = make_transport(
        timeout=1.0, sleep=sleeps.append, max_429_retries=3, backoff_base=1, backoff_cap=3
    )
    with pytest.raises(Throttled) as raised:
        Api(transport, scripted.base).get("/always")
    assert raised.value.reason == "throttled (429 after 4 attempts)"
    assert str(raised.value).endswith(f"GET {scripted.base}/always")
    request = transport.build("GET", scripted.base + "/always")
    assert transport.send(request).attempts == 4  # the Transport itself hands the answer back
    assert sleeps == [1, 2, 3] * 2
    assert len(scripted.seen) == 8


def test_429_backoff_jitters_within_the_cap_and_is_counted(
    scripted: ScriptedServer, make_transport: MakeTransport
) -> None:
    scripted.routes[("GET", "/api/v3/always")] = (429, {}, b"")
    sleeps: list[float] = []
    transport = make_transport(timeout=1.0, sleep=sleeps.append, max_429_retries=4, backoff_base=5,
                               backoff_cap=10, jitter=0.3)
    with pytest.raises(Throttled):
        Api(transport, scripted.base).get("/always")
    assert len(sleeps) == 4
    assert 5 <= sleeps[0] <= 6.5
    assert sleeps[1:] == [10, 10, 10]
    assert (transport.throttled, transport.retries) == (5, 4)
    assert transport.backoff_waited == pytest.approx(sum(sleeps))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/events/evt_1/setup"),
        ("PUT", "/events/evt_1"),
        ("DELETE", "/setup_processes/evt_1"),
        ("PATCH", "/events/evt_1"),
        ("POST", "/auth/users/csv_export"),
        ("POST", "/authx"),
    ],
)
def test_read_only_guard_refuses_writes_before_sending(
    scripted: ScriptedServer, method: str, path: str, make_transport: MakeTransport
) -> None:
    transport = make_transport(timeout=1.0, allow_writes=False)
    with pytest.raises(WriteBlocked) as err:
        Api(transport, scripted.base).request(method, path, json={"x": 1})
    assert isinstance(err.value, UsageError)
    assert scripted.seen == []
    assert transport.sent == []
    assert transport.blocked == [(method, scripted.base + path)]


def test_read_only_guard_lets_reads_and_auth_through(
    scripted: ScriptedServer, make_transport: MakeTransport
) -> None:
    scripted.json("POST", "/api/v3/auth", {"AccessToken": "x"})
    scripted.json("POST", "/api/v3/auth/refresh_token", {"AccessToken": "y"})
    transport = make_transport(timeout=1.0, allow_writes=False)
    a = Api(transport, scripted.base)
    a.get("/events/")
    a.head("/events/")
    a.post("/auth", json={"username": "u", "password": "p"})
    a.post("/auth/refresh_token", json={"token": "t"})
    assert [s.method for s in scripted.seen] == ["GET", "HEAD", "POST", "POST"]
    assert transport.blocked == []


def test_write_mode_sends_writes(scripted: ScriptedServer, make_transport: MakeTransport) -> None:
    transport = make_transport(timeout=1.0, allow_writes=True)
    Api(transport, scripted.base).put("/events/evt_1", json={})
    assert [(s.method, s.path) for s in scripted.seen] == [("PUT", "/api/v3/events/evt_1")]


def test_curl_and_texts_are_redacted(scripted: ScriptedServer, make_transport: MakeTransport) -> None:
    REDACTOR.add("Very-Secret-Pw-1")
    scripted.json("POST", "/api/v3/auth", {"AccessToken": "abc"}, status=401)
    ex = Api(make_transport(timeout=1.0), scripted.base, token=lambda: "tok-abc-123456").post(
        "/auth", json={"username": "alice", "password": "Very-Secret-Pw-1"}
    )
    for text in (ex.curl, ex.request_text(), ex.response_text(), ex.describe()):
        assert "Very-Secret-Pw-1" not in text
        assert "tok-abc-123456" not in text
    assert ex.curl.startswith("curl -sS -X POST")
    assert "POST" in ex.describe()
    assert "-> 401" in ex.describe()


def test_finding_from_an_exchange_carries_its_evidence(
    scripted: ScriptedServer, make_transport: MakeTransport
) -> None:
    scripted.json("GET", "/api/v3/events/evt_x", {"eid": "evt_x", "secret": "n/a"}, status=200)
    ex = api(scripted, make_transport).get("/events/evt_x")
    finding = ex.finding("OBJ-01", "a foreign event was readable", expected="404")
    assert finding.rule_id == "OBJ-01"
    assert str(finding).startswith("[OBJ-01] a foreign event was readable")
    assert finding.received.startswith("200 ")
    assert "evt_x" in finding.received
    assert finding.curl == ex.curl
    assert "/api/v3/events/evt_x" in finding.curl
    assert finding.request.startswith("GET ")
    assert finding.response.startswith("HTTP 200")
    assert "tok-abc-123456" not in finding.request + finding.curl
    assert ex.finding("OBJ-01", "m", received="custom").received == "custom"


def test_writes_are_refused_unless_allowed(scripted: ScriptedServer, make_transport: MakeTransport) -> None:
    """Default closed: a Transport nobody configured for writes is a read-only one."""
    transport = make_transport()
    with pytest.raises(WriteBlocked):
        Api(transport, scripted.base).delete("/events/evt_1")
    assert scripted.seen == []


def test_audit_log_records_every_attempt_with_origin_and_status(
    scripted: ScriptedServer, make_transport: MakeTransport
) -> None:
    calls = {"n": 0}

    def limited(_seen: object) -> tuple[int, dict[str, str], bytes]:
        calls["n"] += 1
        return (429 if calls["n"] == 1 else 200), {"Content-Type": "application/json"}, b"{}"

    scripted.routes[("GET", "/api/v3/limited")] = limited
    transport = make_transport(sleep=lambda _s: None)
    transport.send(transport.build("GET", scripted.base + "/limited?page=2"), origin="fuzz")
    Api(transport, scripted.base).get("/events/")
    assert [(e.origin, e.method, e.url, e.status) for e in transport.audit] == [
        ("fuzz", "GET", scripted.base + "/limited", 429),
        ("fuzz", "GET", scripted.base + "/limited", 200),
        ("suite", "GET", scripted.base + "/events/", 404),
    ]
    assert not any(entry.is_write for entry in transport.audit)


def test_limiter_is_asked_before_every_attempt(
    scripted: ScriptedServer, make_transport: MakeTransport
) -> None:
    scripted.routes[("GET", "/api/v3/always")] = (429, {}, b"")
    asked: list[tuple[str, str, str]] = []

    class Budget:
        def acquire(self, method: str, url: str, origin: str, partner: str | None = None) -> None:
            asked.append((method, url, origin))
            if len(asked) > 2:
                raise TargetError("rate budget spent", "raise the budget")

    transport = make_transport(sleep=lambda _s: None, limiter=Budget())
    with pytest.raises(TargetError, match="rate budget spent"):
        transport.send(transport.build("GET", scripted.base + "/always"), origin="replay")
    assert asked == [("GET", scripted.base + "/always", "replay")] * 3
    assert len(scripted.seen) == 2  # the third attempt never left
