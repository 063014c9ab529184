"""Positive controls: deferred until the probe behind them needs one, sent once per persona, host and
operation however many threads ask, and never for a probe that is not sent."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

from conformance.harness.ledger import Ledger
from conformance.scenarios.controls import Deferred
from conformance.scenarios.sweep import Sweep

POOL = 4


def test_a_deferred_control_is_sent_once_in_the_judging_thread_and_not_at_all_for_an_absent_host() -> None:
    ledger = Ledger()
    ledger.parallel = POOL
    ledger.absent_hosts = {"cr": "no target.cr"}
    sent: list[str] = []

    def send() -> Any:
        sent.append(threading.current_thread().name)
        time.sleep(0.02)
        return SimpleNamespace(status=200)

    shared = Deferred(lambda: ledger.control("primary:-", "main", "GET /events/", send))
    unsent = Deferred(lambda: ledger.control("primary:-", "cr", "GET /events/", send))
    sweep = Sweep("TEN-03", ledger, "other-tenant-header-403", concurrent=True)
    for check in ("other-tenant-header-403", "malformed-header-403"):
        sweep.judge(lambda: None, operation="GET /events/", control=shared, check=check)
    sweep.judge(lambda: None, "cr", operation="GET /events/", control=unsent)
    sweep.finish("the header locks hold")
    ledger.close()
    assert len(sent) == 1
    assert sent[0] != threading.current_thread().name
    assert ledger.control_requests == 1


def test_concurrent_controls_of_one_key_send_once() -> None:
    ledger = Ledger()
    sent: list[int] = []
    gate = threading.Barrier(POOL)

    def send() -> Any:
        sent.append(1)
        time.sleep(0.02)
        return SimpleNamespace(status=200)

    def ask() -> bool:
        gate.wait(timeout=10)
        return ledger.control("primary:-", "main", "GET /events/", send).ok

    with ThreadPoolExecutor(POOL) as pool:
        answers = list(pool.map(lambda _: ask(), range(POOL)))
    assert answers == [True] * POOL
    assert sent == [1]
