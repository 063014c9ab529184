"""The rule catalogue's checks as a registry: every rule is made of checks, every check is recorded by
scenario or fuzz code, and every rule has a defect that fails it and a condition that starves it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance.reference.stack import ReferenceStack
from conformance.rules import catalogue

PACKAGE = Path(__file__).resolve().parents[2] / "conformance"
#: Where probes are recorded: the scenarios, and the fuzz phase's answer tally (SCH checks).
RECORDERS = (PACKAGE / "scenarios", PACKAGE / "fuzz")


def _scenario_literals() -> set[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for d in RECORDERS for p in d.glob("*.py"))
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
    assert orphans == [], f"checks no scenario or fuzz code records (orphans): {orphans}"
    # every rule is judged on recorded evidence; "the tests passed" judges none of them any more
    by_tests = {r.id for r in catalogue().values() if any(c.judged_by == "tests" for c in r.checks)}
    assert by_tests == set()


@pytest.mark.parametrize("rule_id", list(catalogue()))
def test_every_rule_has_a_firing_defect_and_a_starvation_condition(rule_id: str) -> None:
    firing = {rule for rule, _ in ReferenceStack.available_defects().values()}
    assert rule_id in firing, f"{rule_id}: no reference defect fails it (conformance/reference/defects)"
    starved = {r for rules, _ in ReferenceStack.starvation_conditions().values() for r in rules}
    assert rule_id in starved, f"{rule_id}: no starvation condition (reference/defects/starving.py)"


def test_starvation_conditions_name_catalogue_rules_only() -> None:
    rules = catalogue()
    for name, (starves, what) in ReferenceStack.starvation_conditions().items():
        assert name.startswith("starve-"), name
        assert what, name
        assert set(starves) <= set(rules), (name, starves)
