"""``run.concurrency``: what ``auto`` picks for a target, and how the choice becomes worker processes."""

from __future__ import annotations

import pytest

from conformance.config import Settings, load_settings
from conformance.errors import ConfigError
from conformance.harness.concurrency import (
    LATENCY_BOUND,
    MAX_AUTO,
    SWEEP_POOL,
    choose,
    on_loopback,
    resolve,
    sweep_pool,
)

FAR = 0.080  # a CI runner far from the API
TARGET = Settings(main="https://client-api.stg.example/api/v3", embedded=False)
LOOPBACK = Settings(main="http://127.0.0.1:9/api/v3", embedded=False)


def _never() -> float:
    raise AssertionError("the round trip is measured only for auto against a target")


@pytest.mark.parametrize(("settings", "seconds", "expected"), [
    (Settings(embedded=True), FAR, 1),  # the embedded reference is CPU-bound, however slow it answers
    (TARGET, LATENCY_BOUND / 2, 1),  # a near target: nothing to hide
    (TARGET, FAR, MAX_AUTO),  # unlimited and far: as many as auto ever starts
    (TARGET.with_changes(rate=(600, 120, 10)), FAR, 1),  # the kit's 10/s: 1 in flight fills it
    (TARGET.with_changes(rate=(6000, 120, 10)), FAR, 8),  # 100/s x 80 ms = 8 in flight
    (TARGET.with_changes(rate=(3000, 120, 10)), FAR, 4),  # 50/s x 80 ms = 4
    (TARGET.with_changes(rate=(600, 120, 10), rate_window=6.0), FAR, 8),  # a scaled window: 100/s
])
def test_auto_fills_the_rate_budget_at_the_measured_round_trip(
    settings: Settings, seconds: float, expected: int
) -> None:
    assert choose(settings, seconds) == expected


def test_auto_against_a_far_target_runs_worker_processes() -> None:
    settings, line = resolve(TARGET, lambda: FAR)
    assert settings.workers == MAX_AUTO
    assert line.startswith(f"concurrency {MAX_AUTO} (auto: 80 ms round trip, rate off)")
    assert sweep_pool(settings) == SWEEP_POOL  # and its sweeps keep several probes in flight


def test_a_sequential_run_has_no_sweep_pool() -> None:
    assert sweep_pool(resolve(TARGET, lambda: 0.002)[0]) == 1
    assert sweep_pool(Settings(embedded=True)) == 1
    assert sweep_pool(TARGET.with_changes(concurrency=1)) == 1
    assert sweep_pool(resolve(Settings(embedded=True, concurrency=3), _never)[0]) == SWEEP_POOL


def test_auto_against_a_near_target_stays_sequential_and_says_why() -> None:
    settings, line = resolve(TARGET, lambda: 0.002)
    assert settings.workers == 0
    assert line == "concurrency 1 (auto: 2 ms round trip, rate off)"


def test_the_embedded_reference_and_loopback_targets_are_never_measured() -> None:
    assert resolve(Settings(embedded=True), _never) == (Settings(embedded=True), "")
    assert resolve(LOOPBACK, _never) == (LOOPBACK, "")


@pytest.mark.parametrize(("url", "expected"), [
    ("http://127.0.0.1:8000/api/v3", True), ("http://127.0.0.9/api/v3", True), ("http://[::1]:80/api", True),
    ("http://LOCALHOST:1/api/v3", True), ("https://staging.example/api/v3", False),
    ("http://10.0.0.1/api/v3", False), ("http://127.example/api/v3", False),
])
def test_loopback_is_read_from_the_url_not_resolved(url: str, expected: bool) -> None:
    assert on_loopback(url) is expected


def test_explicit_workers_win_and_an_explicit_concurrency_is_not_measured() -> None:
    assert resolve(TARGET.with_changes(workers=2, concurrency=6), _never)[0].workers == 2
    assert resolve(TARGET.with_changes(concurrency=3), _never)[0].workers == 3
    assert resolve(LOOPBACK.with_changes(concurrency=8), _never)[0].workers == 8  # a latency gateway
    assert resolve(Settings(embedded=True, concurrency=3), _never)[0].workers == 3
    assert resolve(TARGET.with_changes(concurrency=1), _never) == (TARGET.with_changes(concurrency=1), "")


@pytest.mark.parametrize(("value", "expected"), [("auto", 0), (4, 4), (None, 0)])
def test_run_concurrency_is_a_count_or_auto(value: object, expected: int) -> None:
    flags = {"target.main": TARGET.main, "run.concurrency": value}
    assert load_settings(flags=flags, environ={}).concurrency == expected


@pytest.mark.parametrize("value", [0, 33, "many"])
def test_a_bad_concurrency_is_one_config_error(value: object) -> None:
    with pytest.raises(ConfigError, match=r"run\.concurrency: .* is not a number of requests in flight"):
        load_settings(flags={"target.main": TARGET.main, "run.concurrency": value}, environ={})
