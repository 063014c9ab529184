"""Sweep attribution: a CR-host violation of an AUTH/TEN/OBJ rule is HST-02's alone, a main-host one
the sweep rule's alone, and a sweep over both hosts names each rule it hit exactly once. Every probe
lands in the ledger under the same rule, with its control deciding whether it was judged."""

from __future__ import annotations

import functools

import pytest

from conformance.errors import Finding
from conformance.harness.ledger import Control, Ledger
from conformance.scenarios.sweep import NoControl, Sweep, Unexercised


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
