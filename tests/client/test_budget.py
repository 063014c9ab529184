"""RateBudget: classification, per-partner buckets, pacing on an injected clock, thread safety."""

from __future__ import annotations

import threading

from conformance.client import RateBudget, RateFigures, budget_for
from conformance.client._budget import classify

BASE = "http://127.0.0.1:9/api/v3"


class FakeTime:
    """A clock that only moves when the budget sleeps (or the test advances it)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def make(reads: int = 60, writes: int = 6, auth: int = 2) -> tuple[RateBudget, FakeTime]:
    t = FakeTime()
    return RateBudget(RateFigures(reads, writes, auth), clock=t.clock, sleep=t.sleep), t


def test_classify_auth_write_read() -> None:
    assert classify("POST", BASE + "/auth") == "auth"
    assert classify("POST", BASE + "/auth/refresh_token/") == "auth"
    assert classify("POST", BASE + "/events/") == "write"
    assert classify("DELETE", BASE + "/setup_processes/e1") == "write"
    assert classify("GET", BASE + "/auth") == "read"
    assert classify("HEAD", BASE + "/events/") == "read"


def test_a_minutes_burst_passes_then_requests_are_paced_at_the_rate() -> None:
    budget, t = make(reads=60)
    for _ in range(60):
        budget.acquire("GET", BASE + "/events/", "suite")
    assert t.slept == []  # the bucket starts full: one minute's budget
    budget.acquire("GET", BASE + "/events/", "suite")
    budget.acquire("GET", BASE + "/events/", "suite")
    assert t.slept == [1.0, 1.0]  # 60/min = one a second
    assert budget.waited == 2.0
    assert budget.paced == 2


def test_partners_and_kinds_have_their_own_buckets() -> None:
    budget, t = make(reads=1, writes=1, auth=1)
    budget.acquire("GET", BASE + "/events/", "suite", partner="partner-id-a")
    budget.acquire("GET", BASE + "/events/", "suite", partner="partner-id-b")
    budget.acquire("POST", BASE + "/events/", "suite", partner="partner-id-a")
    budget.acquire("POST", BASE + "/auth", "suite", partner="partner-id-a")
    assert t.slept == []
    # sign-ins share one bucket whatever the partner header says (the kit counts them per IP)
    budget.acquire("POST", BASE + "/auth/refresh_token", "suite", partner="partner-id-b")
    assert t.slept == [60.0]


def test_idle_time_refills_but_never_beyond_a_minutes_worth() -> None:
    budget, t = make(writes=6)
    for _ in range(6):
        budget.acquire("PUT", BASE + "/x", "suite")
    t.now += 3600  # an hour idle
    for _ in range(6):
        budget.acquire("PUT", BASE + "/x", "suite")
    assert t.slept == []
    budget.acquire("PUT", BASE + "/x", "suite")
    assert t.slept == [10.0]


def test_concurrent_callers_never_exceed_the_budget() -> None:
    # Real threads, fake time: 40 requests against 10/min must be spread over >= 3 minutes of waits.
    lock = threading.Lock()
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        with lock:
            waits.append(seconds)

    budget = RateBudget(RateFigures(10, 10, 10), clock=lambda: 0.0, sleep=sleep)
    threads = [threading.Thread(target=budget.acquire, args=("GET", BASE + "/e", "fuzz")) for _ in range(40)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    # the 30 requests beyond the burst queue behind each other: the k-th waits k * 6 s
    assert sorted(waits) == [6.0 * k for k in range(1, 31)]


def test_budget_for_off_is_none() -> None:
    assert budget_for(None) is None
    made = budget_for((1, 2, 3))
    assert made is not None
    assert made.figures == RateFigures(1, 2, 3)
