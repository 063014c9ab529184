"""A target that is briefly down is waited out; one that stays down stops every rule the same way.

A loopback gateway (:mod:`outage_proxy`) sits in front of the reference's main host and answers 503 to
everything for a few seconds from a cue: the first ``GET /status/`` (an outage at pre-flight) or the
first main-host ``GET /events/`` (pre-flight never sends one: an outage just after pre-flight, when
discovery starts). Before this, a 10 s outage at discovery left 16 rules not run and 4 failed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from outage_proxy import OutageProxy, Trigger

from conformance import engine
from conformance.errors import TargetUnavailable
from conformance.report._model import RunResult


def _at_discovery(method: str, path: str) -> bool:
    return method == "GET" and path.rstrip("/").endswith("/api/v3/events")


def _at_preflight(method: str, path: str) -> bool:
    return method == "GET" and path.rstrip("/").endswith("/status")


@pytest.fixture
def gateway(reference_stack: Any) -> Iterator[Any]:
    """``start(trigger, seconds)`` → a running gateway in front of the reference's main host."""
    started: list[OutageProxy] = []

    def start(trigger: Trigger, seconds: float) -> OutageProxy:
        origin = re.match(r"http://[^/]+", reference_stack.main_base)
        assert origin
        proxy = OutageProxy(origin.group(0), trigger, seconds).start()
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()


def _run(stack: Any, proxy: OutageProxy, tmp: Path, **flags: Any) -> engine.RunOutcome:
    tmp.mkdir(parents=True, exist_ok=True)
    config = tmp / "fdconf.toml"
    stack.write_config(config)
    text = config.read_text(encoding="utf-8")
    text = text.replace(stack.main_base, proxy.base("/api/v3")).replace(stack.media_base, proxy.base("/api"))
    config.write_text(text.replace('mode = "publish"', 'mode = "read-only"'), encoding="utf-8")
    dotted = {"run.fuzz": False, "run.report_dir": str(tmp / "reports")}
    dotted.update({f"run.{k}": v for k, v in flags.items()})
    return engine.run(config=config, flags=dotted, environ={}, cwd=tmp, echo=lambda _line: None,
                      progress="off")


def _outage_reasons(result: RunResult | None) -> dict[str, tuple[str, str]]:
    assert result is not None
    return {r.id: (r.status, r.reason) for r in result.rules
            if "unavailable" in r.reason or r.status == "failed"}


def test_an_outage_just_after_preflight_is_waited_out(
    reference_stack: Any, gateway: Any, tmp_path: Path
) -> None:
    proxy = gateway(_at_discovery, 4.0)
    outcome = _run(reference_stack, proxy, tmp_path)
    answered_503 = [s for s in proxy.seen if s[3] == 503]
    assert answered_503, "the gateway never had its outage: the test proves nothing"
    assert _outage_reasons(outcome.result) == {}
    assert outcome.exit_code == 0
    assert outcome.result is not None
    passed = [r.id for r in outcome.result.rules if r.status == "passed"]
    assert len(passed) >= 15, passed


def test_a_target_that_stays_down_stops_every_rule_with_one_reason(
    reference_stack: Any, gateway: Any, tmp_path: Path
) -> None:
    proxy = gateway(_at_discovery, 600.0)
    outcome = _run(reference_stack, proxy, tmp_path, retry_wait=2)
    stopped = _outage_reasons(outcome.result)
    assert len(stopped) >= 15, stopped
    statuses = {status for status, _reason in stopped.values()}
    assert statuses == {"not_run"}, stopped  # never "failed" for some rules and "not run" for others
    # One classification, word for word, in every rule it stopped (a rule may add its own other reasons,
    # e.g. "needs mode write" for its write tests).
    classified = re.compile(r"target unavailable during discovery: .*?run\.retry_wait\)")
    matches = [classified.search(reason) for _status, reason in stopped.values()]
    reasons = {match.group(0) if match else None for match in matches}
    assert len(reasons) == 1, reasons
    (reason,) = reasons
    assert reason is not None
    assert reason.startswith("target unavailable during discovery: ")
    assert "503" in reason
    assert "run.retry_wait" in reason


def test_preflight_waits_out_a_short_outage_and_gives_up_on_a_long_one(
    reference_stack: Any, gateway: Any, tmp_path: Path
) -> None:
    short = gateway(_at_preflight, 2.0)
    outcome = _run(reference_stack, short, tmp_path / "short", rules="ERR")
    assert [s for s in short.seen if s[3] == 503]
    assert outcome.exit_code == 0
    long = gateway(_at_preflight, 600.0)
    with pytest.raises(TargetUnavailable, match="answered 503"):
        _run(reference_stack, long, tmp_path / "long", rules="ERR", retry_wait=1.5)
    tries = [s for s in long.seen if s[2].rstrip("/").endswith("/status")]
    assert 2 <= len(tries) <= 6, tries  # retried with backoff, and only for about retry_wait
