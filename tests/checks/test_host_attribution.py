"""HST-02 attribution: AUTH/TEN/OBJ evidence on the CR host is HST-02's alone, on main the rule's."""

from __future__ import annotations

import pytest

from conformance.checks import rule_for_host


@pytest.mark.parametrize("rule", ["AUTH-01", "TEN-01", "TEN-03", "OBJ-01", "OBJ-04"])
def test_cr_host_violations_of_the_locks_are_hst02(rule: str) -> None:
    assert rule_for_host(rule, "cr") == "HST-02"
    assert rule_for_host(rule, "main") == rule
    assert rule_for_host(rule, "media") == rule


@pytest.mark.parametrize("rule", ["SCH-01", "ERR-01", "RUN-02", "CID-03", "HST-01", "PAG-01"])
def test_other_rules_keep_their_id_on_every_host(rule: str) -> None:
    assert rule_for_host(rule, "cr") == rule
    assert rule_for_host(rule, "main") == rule
