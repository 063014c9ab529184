"""RateBudget: classification, per-partner budgets, sliding-window pacing on an injected clock, threads."""

from __future__ import annotations

import threading

from conformance.client import RateBudget, RateFigures, budget_for
from conformance.client._budget import classify

SPAN = 60.5  # a minute plus the margin for a request that reaches the server late

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
    assert classify("OPTIONS", BASE + "/events/") == "write"  # counted where the reference counts it


def test_a_windows_worth_passes_then_each_request_waits_for_its_slot() -> None:
    budget, t = make(reads=60)
    for _ in range(60):
        budget.acquire("GET", BASE + "/events/", "suite")
    assert t.slept == []  # one window's budget goes out at once
    budget.acquire("GET", BASE + "/events/", "suite")
    assert t.slept == [SPAN]  # the 61st waits until the first has left the window
    budget.acquire("GET", BASE + "/events/", "suite")
    assert t.slept == [SPAN]  # the second one left the window at the same time
    assert budget.waited == SPAN
    assert budget.paced == 1


def test_no_window_ever_holds_more_than_the_figure() -> None:
    budget, t = make(reads=5)
    sent = []
    for _ in range(23):
        budget.acquire("GET", BASE + "/e", "suite")
        sent.append(t.now)
        t.now += 7.0  # a slow client: 7 s per request
    for i, start in enumerate(sent):
        assert sum(1 for s in sent[i:] if s < start + 60.0) <= 5


def test_a_scaled_window() -> None:
    t = FakeTime()
    budget = RateBudget(RateFigures(2, 2, 2, window=2.0), clock=t.clock, sleep=t.sleep)
    for _ in range(3):
        budget.acquire("GET", BASE + "/e", "suite")
    assert t.slept == [2.1]  # 2 s plus a 5 % margin


def test_partners_and_kinds_have_their_own_buckets() -> None:
    budget, t = make(reads=1, writes=1, auth=1)
    budget.acquire("GET", BASE + "/events/", "suite", partner="partner-id-a")
    budget.acquire("GET", BASE + "/events/", "suite", partner="partner-id-b")
    budget.acquire("POST", BASE + "/events/", "suite", partner="partner-id-a")
    budget.acquire("POST", BASE + "/auth", "suite", partner="partner-id-a")
    assert t.slept == []
    # sign-ins share one bucket whatever the partner header says (the kit counts them per IP)
    budget.acquire("POST", BASE + "/auth/refresh_token", "suite", partner="partner-id-b")
    assert t.slept == [SPAN]


def test_idle_time_frees_the_window_but_never_beyond_one_windows_worth() -> None:
    budget, t = make(writes=6)
    for _ in range(6):
        budget.acquire("PUT", BASE + "/x", "suite")
    t.now += 3600  # an hour idle
    for _ in range(6):
        budget.acquire("PUT", BASE + "/x", "suite")
    assert t.slept == []
    budget.acquire("PUT", BASE + "/x", "suite")
    assert t.slept == [SPAN]


def test_concurrent_callers_never_exceed_the_budget() -> None:
    # Real threads, fake time: 40 requests against 10/min go out 10 per window, over three more windows.
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
    assert sorted(waits) == [SPAN] * 10 + [2 * SPAN] * 10 + [3 * SPAN] * 10


def test_budget_for_off_is_none() -> None:
    assert budget_for(None) is None
    made = budget_for((1, 2, 3))
    assert made is not None
    assert made.figures == RateFigures(1, 2, 3)
    shared = budget_for((600, 120, 10), share=4)
    assert shared is not None
    assert shared.figures == RateFigures(150, 30, 2)  # four xdist workers, each its part
    scaled = budget_for((1, 2, 3), window=5.0)
    assert scaled is not None
    assert scaled.figures.window == 5.0


def test_what_another_process_sent_counts_as_spent() -> None:
    preflight, t = make(auth=3)
    for _ in range(2):
        preflight.acquire("POST", BASE + "/auth", "suite")
    preflight.acquire("GET", BASE + "/status/", "suite", partner="partner-id-a")
    t.now += 10.0
    spent = preflight.history()
    assert sorted(spent) == [("auth", None, 10.0), ("auth", None, 10.0), ("read", "partner-id-a", 10.0)]
    child, c = make(auth=3)
    c.now = 500.0
    child.seed(spent)
    child.acquire("POST", BASE + "/auth/refresh_token", "suite")
    assert c.slept == []  # the third sign-in of the window
    child.acquire("POST", BASE + "/auth", "suite")
    assert c.slept == [SPAN - 10.0]  # waits until pre-flight's first sign-in left the window
    t.now += 60.0
    assert preflight.history() == []  # nothing of it is inside the window any more
