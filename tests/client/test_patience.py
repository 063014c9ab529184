"""Bounded patience: transient failures are retried with backoff within the total wait, others at once."""

from __future__ import annotations

import httpx
import pytest

from conformance.client._patience import Patience, is_transient
from conformance.errors import TargetError, TargetUnavailable
from conformance.scenarios.discovery import Unavailable


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def flaky(failures: int, exc: Exception) -> tuple[list[int], object]:
    calls: list[int] = []

    def attempt() -> str:
        calls.append(1)
        if len(calls) <= failures:
            raise exc
        return "ok"

    return calls, attempt


def test_a_short_outage_is_waited_out_with_growing_delays() -> None:
    fake = FakeTime()
    calls, attempt = flaky(5, TargetUnavailable("GET /status/ answered 503"))
    patience = Patience(60, sleep=fake.sleep, clock=fake.clock)
    assert patience.call(attempt) == "ok"  # type: ignore[arg-type]
    assert len(calls) == 6
    assert fake.sleeps == [0.5, 1.0, 2.0, 4.0, 5.0]  # doubling, capped at 5 s
    assert patience.retries == 5


def test_the_total_wait_is_bounded_and_the_last_cause_kept() -> None:
    fake = FakeTime()
    _calls, attempt = flaky(10_000, TargetUnavailable("GET /status/ answered 503"))
    with pytest.raises(TargetUnavailable, match="answered 503"):
        Patience(12, sleep=fake.sleep, clock=fake.clock).call(attempt)  # type: ignore[arg-type]
    assert sum(fake.sleeps) == pytest.approx(12)


def test_a_real_mistake_is_not_retried() -> None:
    fake = FakeTime()
    calls, attempt = flaky(3, TargetError("GET /status/ answered 404"))
    with pytest.raises(TargetError, match="404"):
        Patience(60, sleep=fake.sleep, clock=fake.clock).call(attempt)  # type: ignore[arg-type]
    assert (len(calls), fake.sleeps) == (1, [])


def test_zero_means_no_retry() -> None:
    fake = FakeTime()
    calls, attempt = flaky(1, TargetUnavailable("503"))
    with pytest.raises(TargetUnavailable):
        Patience(0, sleep=fake.sleep, clock=fake.clock).call(attempt)  # type: ignore[arg-type]
    assert len(calls) == 1


def _wrapped(cause: BaseException) -> TargetError:
    try:
        raise TargetError("cannot reach http://127.0.0.1:9") from cause
    except TargetError as exc:
        return exc


def test_what_is_transient() -> None:
    request = httpx.Request("GET", "http://127.0.0.1:9/")
    assert is_transient(TargetUnavailable("503"))
    assert is_transient(Unavailable("GET /events/ -> 503", transient=True))
    assert not is_transient(Unavailable("the primary persona lists no events"))
    assert is_transient(_wrapped(httpx.ConnectError("[Errno 111] Connection refused", request=request)))
    assert is_transient(_wrapped(httpx.RemoteProtocolError("Server disconnected", request=request)))
    assert not is_transient(_wrapped(httpx.ReadTimeout("timed out", request=request)))  # a hang: not retried
    assert not is_transient(_wrapped(httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]", request=request)))
    assert not is_transient(TargetError("GET /status/ answered 404"))
    assert not is_transient(ValueError("x"))
