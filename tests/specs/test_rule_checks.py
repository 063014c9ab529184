"""The rule catalogue's checks as a registry: every rule is made of checks, every check is recorded by
scenario code, and every rule has a defect that fails it and a condition that starves it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance.reference.stack import ReferenceStack
from conformance.rules import catalogue

SCENARIOS = Path(__file__).resolve().parents[2] / "conformance" / "scenarios"
#: Judged by the fuzz tests' outcome (``judged_by: tests``) until the fuzz phase records probes; it
#: has no starvation condition yet, and this set must shrink, never grow.
JUDGED_BY_TESTS = frozenset({"SCH-01", "SCH-02", "SCH-03"})


def _scenario_literals() -> set[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in SCENARIOS.glob("*.py"))
    return set(re.findall(r'"([a-z0-9]+(?:-[a-z0-9]+)+)"', text))


def test_every_rule_has_checks_with_stable_ids() -> None:
    for rule in catalogue().values():
        assert rule.checks, f"{rule.id} lists no checks"
        for check in rule.checks:
            assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", check.id), (rule.id, check.id)
            assert set(check.hosts) <= set(rule.hosts), (rule.id, check.id, check.hosts)


def test_every_ledger_check_is_recorded_by_scenario_code() -> None:
    used = _scenario_literals()
    orphans = [
        f"{rule.id}/{check.id}"
        for rule in catalogue().values()
        for check in rule.checks
        if check.judged_by == "ledger" and check.id not in used
    ]
    assert orphans == [], f"checks no scenario records (orphans): {orphans}"
    by_tests = {r.id for r in catalogue().values() if any(c.judged_by == "tests" for c in r.checks)}
    assert by_tests == JUDGED_BY_TESTS


@pytest.mark.parametrize("rule_id", list(catalogue()))
def test_every_rule_has_a_firing_defect_and_a_starvation_condition(rule_id: str) -> None:
    firing = {rule for rule, _ in ReferenceStack.available_defects().values()}
    assert rule_id in firing, f"{rule_id}: no reference defect fails it (conformance/reference/defects)"
    if rule_id in JUDGED_BY_TESTS:
        pytest.skip(f"{rule_id} is judged by the fuzz tests' outcome; no starvation condition yet")
    starved = {r for rules, _ in ReferenceStack.starvation_conditions().values() for r in rules}
    assert rule_id in starved, f"{rule_id}: no starvation condition (reference/defects/starving.py)"


def test_starvation_conditions_name_catalogue_rules_only() -> None:
    rules = catalogue()
    for name, (starves, what) in ReferenceStack.starvation_conditions().items():
        assert name.startswith("starve-"), name
        assert what, name
        assert set(starves) <= set(rules), (name, starves)
        assert not set(starves) & JUDGED_BY_TESTS, name
