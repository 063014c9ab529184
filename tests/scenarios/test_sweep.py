"""Sweep attribution: a CR-host violation of an AUTH/TEN/OBJ rule is HST-02's alone, a main-host one
the sweep rule's alone, and a sweep over both hosts names each rule it hit exactly once."""

from __future__ import annotations

import functools

import pytest

from conformance.errors import Finding, rule_ids_in
from conformance.scenarios.sweep import Sweep


def _violation(rule: str, what: str) -> None:
    raise Finding(rule, what, expected="403")


def _raised(sweep: Sweep) -> Finding:
    with pytest.raises(Finding) as caught:
        sweep.finish("the locks hold")
    return caught.value


def _rules(finding: Finding) -> list[str]:
    return [finding.rule_id, *(r for r in rule_ids_in(finding.message) if r != finding.rule_id)]


def test_cr_only_violation_is_hst02_alone() -> None:
    sweep = Sweep("TEN-03")
    sweep.judge(lambda: None, "main")
    sweep.judge(lambda: _violation("TEN-03", "cr GET /events/x -> 200"), "cr")
    finding = _raised(sweep)
    assert _rules(finding) == ["HST-02"]
    assert "TEN-03 on the cr host" in finding.message


def test_main_only_violation_is_the_rule_alone() -> None:
    sweep = Sweep("TEN-03")
    sweep.judge(lambda: _violation("TEN-03", "main GET /events/ -> 200"), "main")
    sweep.judge(lambda: None, "cr")
    assert _rules(_raised(sweep)) == ["TEN-03"]


def test_violations_on_both_hosts_name_both_rules_once() -> None:
    sweep = Sweep("AUTH-01")
    for host in ("main", "cr", "main", "cr"):
        sweep.judge(functools.partial(_violation, "AUTH-01", f"{host} -> 200"), host)
    assert _rules(_raised(sweep)) == ["AUTH-01", "HST-02"]


def test_rules_outside_the_cr_view_keep_their_id_on_cr() -> None:
    sweep = Sweep("HST-01")
    sweep.judge(lambda: _violation("HST-01", "cr route on main -> 200"), "cr")
    assert _rules(_raised(sweep)) == ["HST-01"]


def test_clean_sweep_passes_and_an_empty_one_is_not_run() -> None:
    clean = Sweep("OBJ-01")
    clean.judge(lambda: None, "cr")
    clean.finish("clean")  # no exception
    with pytest.raises(pytest.skip.Exception):
        Sweep("OBJ-01").finish("nothing to probe")
