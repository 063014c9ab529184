"""The suite tests itself: every reference defect fails exactly its rule; the clean reference passes.

Each defect gets a run limited to its rule's family (fuzzing only for SCH, few examples), in-process
through :func:`conformance.engine.run` with its own reference stack (half a second to start). The
clean reference is run in every mode and must pass every rule that mode allows, with zero findings.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import engine
from conformance.reference.stack import ReferenceStack
from conformance.report import RunResult
from conformance.rules import catalogue, mode_allows

DEFECTS = ReferenceStack.available_defects()
QUIET: Callable[[str], None] = lambda _line: None  # noqa: E731
# Defects that necessarily break a second rule of the same family: a foreign event that can be read
# (200) is also distinguishable from a never-existing one (404), which is what OBJ-04 forbids.
ALSO_FAILS: dict[str, set[str]] = {"obj-foreign-eid-readable": {"OBJ-04"}}


def _failed(result: RunResult | None) -> dict[str, str]:
    assert result is not None, "the run produced no result"
    return {
        r.id: (r.findings[0].message[:200] if r.findings else r.reason)
        for r in result.rules
        if r.status == "failed"
    }


def _run(tmp_path: Path, flags: dict[str, Any]) -> engine.RunOutcome:
    """One embedded run at the self-tests' budget (5 examples, seed 1), reports under ``tmp_path``."""
    budget = {"run.max_examples": 5, "run.seed": 1, "run.report_dir": str(tmp_path / "r")}
    return engine.run(flags={**budget, **flags}, environ={}, cwd=tmp_path, echo=QUIET)


@pytest.mark.parametrize(
    "defect",
    [
        pytest.param(name, marks=pytest.mark.slow) if rule.startswith("SCH") else name
        for name, (rule, _what) in sorted(DEFECTS.items())
    ],
)
def test_defect_fails_exactly_its_rule(defect: str, tmp_path: Path) -> None:
    rule_id, what = DEFECTS[defect]
    family = rule_id.split("-")[0]
    outcome = _run(tmp_path, {"run.defects": [defect], "run.rules": family, "run.fuzz": family == "SCH"})
    failed = _failed(outcome.result)
    expected = {rule_id} | ALSO_FAILS.get(defect, set())
    assert set(failed) == expected, (
        f"defect {defect} ({what}): expected {sorted(expected)} to fail, got {failed}"
    )
    assert outcome.exit_code == 1
    assert outcome.result is not None
    assert outcome.result.defects == [defect]
    assert outcome.result.verdict == "NOT CERTIFIED"


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["read-only", "write", "publish"])
def test_clean_reference_passes_every_rule_of_the_mode(mode: str, tmp_path: Path) -> None:
    outcome = _run(tmp_path, {"run.mode": mode, "run.fuzz": mode == "publish"})
    result = outcome.result
    assert result is not None
    assert _failed(result) == {}
    assert sum(len(r.findings) for r in result.rules) == 0
    rules = catalogue()
    for rule in result.rules:
        runnable = mode_allows(mode, rules[rule.id].mode) and (rule.id[:3] != "SCH" or mode == "publish")
        assert rule.status == ("passed" if runnable else "not_run"), (rule.id, rule.status, rule.reason)
    assert outcome.exit_code == 0
    if mode == "publish":
        assert result.verdict == "CERTIFIED"
        assert result.operations, "fuzzing covered no operation"
