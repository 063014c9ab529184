"""Sweep attribution: a CR-host violation of an AUTH/TEN/OBJ rule is HST-02's alone, a main-host one
the sweep rule's alone, and a sweep over both hosts names each rule it hit exactly once. Every probe
lands in the ledger under the same rule, with its control deciding whether it was judged."""

from __future__ import annotations

import functools
import threading
import time

import pytest

from conformance.errors import Finding
from conformance.harness.ledger import Control, Ledger
from conformance.scenarios.controls import NoControl
from conformance.scenarios.sweep import Sweep, Unexercised


def new(rule: str, check: str, ledger: Ledger | None = None) -> Sweep:
    return Sweep(rule, ledger or Ledger(), check)


def _violation(rule: str, what: str) -> None:
    raise Finding(rule, what, expected="403")


def _raised(sweep: Sweep) -> Finding:
    with pytest.raises(Finding) as caught:
        sweep.finish("the locks hold")
    return caught.value


def _rules(finding: Finding) -> list[str]:
    return list(finding.rules)


def test_cr_only_violation_is_hst02_alone() -> None:
    ledger = Ledger()
    sweep = new("TEN-03", "other-tenant-header-403", ledger)
    sweep.judge(lambda: None, "main", operation="GET /events/")
    sweep.judge(lambda: _violation("TEN-03", "cr GET /events/x -> 200"), "cr", operation="GET /events/{eid}")
    finding = _raised(sweep)
    assert _rules(finding) == ["HST-02"]
    assert "TEN-03 on the cr host" in finding.message
    probes = [(p.rule_id, p.check, p.host, p.outcome) for p in ledger.drain()]
    assert probes == [
        ("TEN-03", "other-tenant-header-403", "main", "pass"),
        ("HST-02", "other-tenant-header-403", "cr", "fail"),
    ]


def test_main_only_violation_is_the_rule_alone() -> None:
    sweep = new("TEN-03", "other-tenant-header-403")
    sweep.judge(lambda: _violation("TEN-03", "main GET /events/ -> 200"), "main")
    sweep.judge(lambda: None, "cr")
    assert _rules(_raised(sweep)) == ["TEN-03"]


def test_violations_on_both_hosts_name_both_rules_once() -> None:
    sweep = new("AUTH-01", "bad-token-401")
    for host in ("main", "cr", "main", "cr"):
        sweep.judge(functools.partial(_violation, "AUTH-01", f"{host} -> 200"), host)
    finding = _raised(sweep)
    assert _rules(finding) == ["AUTH-01", "HST-02"]
    # each rule's text is its own host's operations only, counted per rule
    main, cr = finding.parts
    assert "2 of 4 operations" in main.message
    assert "cr" not in main.message
    assert "2 of 4 operations" in cr.message
    assert "main -> 200" not in cr.message


def test_rules_outside_the_cr_view_keep_their_id_on_cr() -> None:
    sweep = new("HST-01", "wrong-host-404")
    sweep.judge(lambda: _violation("HST-01", "cr route on main -> 200"), "cr")
    assert _rules(_raised(sweep)) == ["HST-01"]


def test_clean_sweep_passes_and_an_empty_one_is_not_run() -> None:
    clean = new("OBJ-01", "foreign-eid-404")
    clean.judge(lambda: None, "cr")
    clean.finish("clean")  # no exception
    with pytest.raises(pytest.skip.Exception):
        new("OBJ-01", "foreign-eid-404").finish("nothing to probe")


def test_a_failed_control_leaves_the_probe_unexercised_and_unsent() -> None:
    ledger = Ledger()
    sweep = new("OBJ-01", "foreign-eid-404", ledger)
    sent: list[str] = []
    refused = Control(False, 404, "control: other gets 404 with its own ids")
    sweep.judge(lambda: sent.append("x"), operation="GET /events/{eid}/x", control=refused)
    sweep.judge(lambda: sent.append("y"), operation="POST /media", control=NoControl("no control"))

    def cannot_judge() -> None:
        raise Unexercised("the list is empty")

    sweep.judge(cannot_judge, operation="GET /events/")
    assert sent == []
    assert [(p.outcome, p.reason) for p in ledger.drain()] == [
        ("unexercised", "control: other gets 404 with its own ids"),
        ("unexercised", "no control"),
        ("unexercised", "the list is empty"),
    ]
    with pytest.raises(pytest.skip.Exception, match="nothing judged"):
        sweep.finish("foreign eids are 404")  # every probe unexercised: the test is not run, not passed
    ok = Control(True, 200, "")
    sweep.judge(lambda: sent.append("z"), operation="GET /events/{eid}/z", control=ok)
    assert sent == ["z"]
    sweep.finish("foreign eids are 404")



@pytest.mark.parametrize("concurrent", [False, True], ids=["sequential", "concurrent"])
def test_a_judge_that_cannot_judge_without_saying_why_is_still_unexercised(concurrent: bool) -> None:
    ledger = Ledger()
    ledger.parallel = 4 if concurrent else 1
    sweep = Sweep("OBJ-01", ledger, "foreign-eid-404", concurrent=concurrent)

    def silent() -> None:
        raise Unexercised

    sweep.judge(silent, operation="GET /events/{eid}/x")
    with pytest.raises(pytest.skip.Exception, match="nothing judged"):
        sweep.finish("foreign eids are 404")
    ledger.close()
    assert [(p.outcome, p.reason) for p in ledger.drain()] == [("unexercised", "")]

def _replaying_ledger(replays: int = 2) -> Ledger:
    from conformance.client import Transport

    ledger = Ledger()
    ledger.replays = replays
    transport = Transport()
    ledger.transport_source = lambda: transport
    return ledger


def _judge_failing(times: list[bool]) -> tuple[list[int], functools.partial[None]]:
    """A judge that fails on the calls whose entry is True (then passes); counts its calls."""
    calls: list[int] = []

    def judge(script: list[bool]) -> None:
        calls.append(1)
        if len(calls) <= len(script) and script[len(calls) - 1]:
            raise Finding("OBJ-01", "GET /events/evt_beta_001/statistics -> 503", expected="404")

    return calls, functools.partial(judge, times)


def test_a_failure_that_does_not_come_back_is_flaky_and_the_probe_is_judged_by_the_replays() -> None:
    ledger = _replaying_ledger()
    calls, judge = _judge_failing([True, False, False])
    sweep = new("OBJ-01", "foreign-eid-404", ledger)
    sweep.judge(judge, operation="GET /events/{eid}/statistics")
    sweep.finish("the locks hold")  # nothing raised: a flaky failure does not fail the sweep
    assert len(calls) == 3
    probes = ledger.drain()
    assert [(p.outcome, p.reason.startswith("flaky:")) for p in probes] == [("pass", True)]
    flaky = ledger.drain_flaky()
    assert [f.rule_id for f in flaky] == ["OBJ-01"]
    assert flaky[0].confirmation is not None
    assert flaky[0].confirmation["flaky"] is True
    assert flaky[0].confirmation["attempts"] == 3
    assert flaky[0].operation == "GET /events/{eid}/statistics"


def test_a_failure_that_comes_back_is_confirmed_after_one_replay() -> None:
    ledger = _replaying_ledger()
    calls, judge = _judge_failing([True, True, True])
    sweep = new("OBJ-01", "foreign-eid-404", ledger)
    sweep.judge(judge, operation="GET /events/{eid}/statistics")
    finding = _raised(sweep)
    assert len(calls) == 2
    assert finding.confirmation is not None
    assert finding.confirmation["reproduced"] is True
    assert ledger.drain_flaky() == []


def test_a_judge_that_walks_state_is_not_replayed() -> None:
    ledger = _replaying_ledger()
    calls, judge = _judge_failing([True, False, False])
    sweep = new("OBJ-01", "foreign-eid-404", ledger)
    sweep.judge(judge, operation="boost x3", replay=False)
    finding = _raised(sweep)
    assert len(calls) == 1
    assert finding.confirmation is not None
    assert "not replayed" in str(finding.confirmation["note"])


def test_a_cr_flaky_failure_is_filed_under_hst02() -> None:
    ledger = _replaying_ledger()
    _calls, judge = _judge_failing([True, False, False])
    sweep = new("OBJ-01", "foreign-eid-404", ledger)
    sweep.judge(judge, "cr", operation="GET /events/{eid}")
    sweep.finish("the locks hold")
    assert [(f.rule_id, f.host) for f in ledger.drain_flaky()] == [("HST-02", "cr")]


# Concurrent sweeps: probes go out side by side from the ledger's pool; what they come to is applied in
# the order the probes were made, so the ledger and the findings equal a sequential sweep's.

POOL = 4


def _pooled(parallel: int = POOL) -> Ledger:
    ledger = Ledger()
    ledger.parallel = parallel
    return ledger


def _mixed_sweep(ledger: Ledger, gate: threading.Barrier | None) -> Sweep:
    """Eight probes: passes, violations on both hosts, one unexercised, one behind a failed control."""
    sweep = Sweep("TEN-03", ledger, "other-tenant-header-403", concurrent=True)

    def probe(index: int) -> None:
        if gate is not None and index < POOL:
            gate.wait(timeout=10)  # only returns once POOL probes are in flight at the same time
        time.sleep(0.001 * (8 - index))  # later probes finish first
        if index == 5:
            raise Unexercised("the list is empty")
        if index % 3 == 0:
            raise Finding("TEN-03", f"probe {index} -> 200", expected="403")

    for index in range(8):
        host = "cr" if index % 2 else "main"
        control = Control(False, 404, "control: other gets 404") if index == 7 else None
        sweep.judge(functools.partial(probe, index), host, operation=f"GET /op/{index}", control=control)
    return sweep


def _entries(ledger: Ledger) -> list[tuple[str, str, str, str]]:
    return [(p.rule_id, p.host, p.operation, p.outcome) for p in ledger.drain()]


def test_a_concurrent_sweep_overlaps_its_probes_and_records_what_a_sequential_one_does() -> None:
    sequential = Ledger()
    one_by_one = _raised_from(_mixed_sweep(sequential, None))
    pooled = _pooled()
    gate = threading.Barrier(POOL)
    side_by_side = _raised_from(_mixed_sweep(pooled, gate))
    pooled.close()
    assert not gate.broken  # POOL probes really were in flight at once
    assert _entries(pooled) == _entries(sequential)
    assert side_by_side.message == one_by_one.message
    assert [p.message for p in side_by_side.parts] == [p.message for p in one_by_one.parts]


def _raised_from(sweep: Sweep) -> Finding:
    with pytest.raises(Finding) as caught:
        sweep.finish("the header locks hold")
    return caught.value


def test_a_sweep_that_is_not_concurrent_sends_one_probe_at_a_time_even_with_a_pool() -> None:
    ledger = _pooled()
    sweep = Sweep("TEN-03", ledger, "other-tenant-header-403")
    threads: set[str] = set()
    for _ in range(3):
        sweep.judge(lambda: threads.add(threading.current_thread().name))
    sweep.finish("the header locks hold")
    ledger.close()
    assert threads == {threading.current_thread().name}


def test_reading_the_findings_waits_for_the_probes_in_flight() -> None:
    ledger = _pooled()
    sweep = Sweep("PAG-01", ledger, "repeated-arrays", concurrent=True)

    def slow_violation() -> None:
        time.sleep(0.05)
        raise Finding("PAG-01", "repeated city -> 400", expected="200")

    sweep.judge(slow_violation, operation="GET /events/")
    assert len(sweep.findings) == 1
    assert sweep.visited == 1
    assert sweep.judged == 1
    ledger.close()


def test_a_state_walking_judge_waits_for_every_probe_before_it() -> None:
    ledger = _pooled()
    sweep = Sweep("TEN-03", ledger, "other-tenant-header-403", concurrent=True)
    order: list[str] = []

    def slow_read() -> None:
        time.sleep(0.05)
        order.append("read")

    sweep.judge(slow_read, operation="GET /events/")
    sweep.judge(lambda: order.append("walk"), operation="boost", replay=False)
    sweep.finish("the header locks hold")
    ledger.close()
    assert order == ["read", "walk"]


def test_a_probe_that_raises_stops_the_sweep_after_the_probes_before_it() -> None:
    from conformance.errors import TargetError

    ledger = _pooled()
    sweep = Sweep("TEN-03", ledger, "other-tenant-header-403", concurrent=True)

    def gone() -> None:
        raise TargetError("cannot reach http://127.0.0.1:9", "check the target")

    sweep.judge(lambda: None, operation="GET /a")
    sweep.judge(gone, operation="GET /b")
    sweep.judge(lambda: None, operation="GET /c")
    with pytest.raises(TargetError, match="cannot reach"):
        sweep.finish("the header locks hold")
    ledger.close()
    assert [p.operation for p in ledger.drain()] == ["GET /a"]
