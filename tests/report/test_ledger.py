"""The verdict of a rule from its probes: judged per check and host, partial when something is missing."""

from __future__ import annotations

import dataclasses

from conformance.report._ledger import Probe, judge, judged_counts, tally
from conformance.rules import Check, catalogue

RULES = catalogue()


def probe(rule: str, check: str, op: str, outcome: str = "pass", *, host: str = "main",
          reason: str = "") -> Probe:
    return Probe(rule, check, host, op, outcome, reason)  # type: ignore[arg-type]


def test_every_check_on_every_host_must_be_judged() -> None:
    rule = RULES["CID-03"]  # ids-cid-safe on main and cr, cid-round-trips on main
    main_only = [probe("CID-03", "ids-cid-safe", "GET /a"), probe("CID-03", "cid-round-trips", "c")]
    verdict = judge(rule, main_only, mode="read-only", failed=False, tests_passed=True)
    assert verdict.status == "partial"
    assert verdict.reason == "CID-03 ids-cid-safe: not exercised on cr"
    both = [*main_only, probe("CID-03", "ids-cid-safe", "GET /b", host="cr")]
    assert judge(rule, both, mode="read-only", failed=False, tests_passed=True).status == "passed"


def test_unexercised_probes_count_but_do_not_judge() -> None:
    rule = RULES["OBJ-01"]
    probes = [
        probe("OBJ-01", "foreign-eid-404", f"GET /{i}", "unexercised", reason="owner gets 404")
        for i in range(17)
    ]
    verdict = judge(rule, probes, mode="read-only", failed=False, tests_passed=True)
    assert verdict.status == "not_run"
    assert verdict.reason == "OBJ-01 foreign-eid-404: 0 of 17 judged on main (owner gets 404 x17)"
    probes += [probe("OBJ-01", "foreign-eid-404", f"GET /ok{i}") for i in range(4)]
    verdict = judge(rule, probes, mode="read-only", failed=False, tests_passed=True)
    assert verdict.status == "passed"
    assert judged_counts(verdict.tallies) == (4, 21)
    line = verdict.tallies[0].line("OBJ-01")
    assert line == "OBJ-01 foreign-eid-404: 4 of 21 judged on main (owner gets 404 x17)"


def test_repeated_probes_of_one_operation_count_once_worst_wins() -> None:
    check = RULES["AUTH-01"].checks[0]
    probes = [
        probe("AUTH-01", check.id, "GET /x"),
        probe("AUTH-01", check.id, "GET /x", "fail", reason="200"),
    ]
    t = tally(check, "main", probes)
    assert (t.judged, t.failed, t.operations) == (1, 1, 1)
    verdict = judge(RULES["AUTH-01"], probes, mode="read-only", failed=False, tests_passed=True)
    assert verdict.status == "failed"
    assert verdict.reason == "200"


def test_checks_of_a_higher_mode_do_not_apply() -> None:
    rule = RULES["AUTH-01"]  # bad-token-401-write needs write mode
    probes = [probe("AUTH-01", "bad-token-401", "GET /x")]
    assert judge(rule, probes, mode="read-only", failed=False, tests_passed=True).status == "passed"
    assert judge(rule, probes, mode="write", failed=False, tests_passed=True).status == "partial"


def test_checks_judged_by_tests_follow_the_tests_outcome() -> None:
    # no catalogue rule is judged so any more (the format keeps it): a rule made of one such check
    check = Check("fuzz-passed", "the fuzz tests passed", ("main",), "read-only", judged_by="tests")
    rule = dataclasses.replace(RULES["SCH-01"], checks=(check,))
    assert judge(rule, [], mode="read-only", failed=False, tests_passed=True).status == "passed"
    assert judge(rule, [], mode="read-only", failed=False, tests_passed=False).status == "not_run"
    assert judge(rule, [], mode="read-only", failed=True, tests_passed=True).status == "failed"


def test_an_unselected_rule_is_not_run() -> None:
    probes = [probe("ERR-01", "error-envelope", "x"), probe("ERR-01", "error-envelope", "y", host="cr")]
    rule = RULES["ERR-01"]
    assert judge(rule, probes, mode="read-only", failed=False, tests_passed=True).status == "passed"
    unselected = judge(rule, probes, mode="read-only", failed=False, tests_passed=True, selected=False)
    assert unselected.status == "not_run"


def test_threshold_every_needs_each_attempted_operation_judged() -> None:
    rule = RULES["SCH-02"]  # answers-conform and success-conforms, both `every`, on main and cr
    answered = [
        probe("SCH-02", check, op, host=host)
        for check in ("answers-conform", "success-conforms")
        for host, op in (("main", "GET /a"), ("main", "GET /b"), ("cr", "GET /c"))
    ]
    assert judge(rule, answered, mode="read-only", failed=False, tests_passed=True).status == "passed"
    never = probe("SCH-02", "success-conforms", "GET /d", "unexercised", reason="never answered 2xx")
    missed = [*answered, never]
    verdict = judge(rule, missed, mode="read-only", failed=False, tests_passed=True)
    assert verdict.status == "partial"
    assert verdict.reason == "SCH-02 success-conforms: 2 of 3 judged on main (never answered 2xx x1)"
    tallies = {(t.check, t.host): t for t in verdict.tallies}
    assert tallies[("success-conforms", "main")].every
    assert not tallies[("success-conforms", "main")].complete
