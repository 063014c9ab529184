"""The suite tests itself: every reference defect fails exactly its rule; the clean reference passes
on judged evidence; every starvation condition leaves the rules it starves partial or not run.

Each defect gets a run limited to its rule's family (fuzzing only for SCH, few examples), in-process
through :func:`conformance.engine.run` with its own reference stack (half a second to start). The
clean reference is run in every mode and must pass every rule that mode allows, with zero findings,
every check judged on every host it applies to. Each starvation condition gets one run without
fuzzing (the SCH ones: a small read-only fuzz sample): the rules it starves must not pass and the
run must not be CERTIFIED.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import engine
from conformance.reference.defects import STARVATION as STARVATION_REGISTRY
from conformance.reference.stack import ReferenceStack
from conformance.report import RunResult
from conformance.rules import catalogue, mode_allows

DEFECTS = ReferenceStack.available_defects()
# Conditions that starve a rule only in its deployment form are run against a deployment target
# (tests/scenarios/test_staging.py); the embedded reference uses the other form.
STARVATION = {name: entry for name, entry in ReferenceStack.starvation_conditions().items()
              if not STARVATION_REGISTRY[name].deployment}
#: Lower bounds of judged operations per (rule, check, host) on the clean reference in publish mode:
#: controls must keep most probes judged (a broken control shows as a count falling below its floor).
JUDGED_FLOORS = {
    ("AUTH-01", "bad-token-401", "main"): 35,
    ("TEN-01", "multi-no-header-400", "main"): 35,
    ("TEN-02", "implied-equals-explicit", "main"): 35,
    ("TEN-03", "other-tenant-header-403", "main"): 35,
    ("TEN-03", "no-partner-403", "main"): 35,
    ("OBJ-01", "foreign-eid-404", "main"): 15,
    ("OBJ-04", "foreign-equals-never", "main"): 15,
    ("OBJ-05", "mismatch-404", "main"): 3,
    ("HST-01", "wrong-host-404", "cr"): 30,
    ("HST-02", "bad-token-401", "cr"): 1,
    ("CID-03", "ids-cid-safe", "main"): 50,
    ("SCH-01", "reached-no-5xx", "main"): 40,
    ("SCH-02", "success-conforms", "main"): 40,
    ("SCH-03", "valid-accepted", "main"): 40,
    ("SCH-02", "success-conforms", "cr"): 1,
    # about four fifths of what a clean publish run judged (2026-12, results.json `checks`)
    ("AUTH-01", "bad-token-401-write", "main"): 4,
    ("TEN-03", "non-partner-group-403", "main"): 35,
    ("TEN-03", "malformed-header-403", "main"): 35,
    ("TEN-04", "pages-scoped", "main"): 4,
    ("OBJ-02", "foreign-eid-write-404", "main"): 5,
    ("RUN-01", "cluster-run-shape", "main"): 20,
    ("CID-03", "ids-cid-safe", "cr"): 20,
    ("WAV-02", "invalid-setup-refused", "main"): 3,
    ("ERR-01", "error-envelope", "main"): 10,
    ("ERR-01", "error-envelope", "cr"): 3,
    ("PAG-01", "out-of-range-400", "main"): 12,
    ("SCH-01", "fuzz-no-5xx", "main"): 60,
    ("SCH-01", "fuzz-no-5xx", "cr"): 4,
    ("SCH-02", "answers-conform", "main"): 60,
    ("SCH-03", "invalid-rejected", "main"): 60,
}
#: Positive controls must stay cheap: at most this share of the requests a clean publish run sends.
CONTROL_SHARE = 0.10
QUIET: Callable[[str], None] = lambda _line: None  # noqa: E731
#: The fuzz sample of the SCH starvation runs: main GET /events/{eid}/clusters and the CR host's
#: operations (GET /events/{eid} alone in read-only mode); the clean reference answers both 2xx.
FUZZ_SAMPLE = ("-k", "clusters or [cr]")
#: The fuzz sample of the SCH defect runs: every SCH defect is on GET /events/ or GET /events/statistics.
SCH_SAMPLE = ("-k", "/events/] or statistics] or [cr]")
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


def _run(tmp_path: Path, flags: dict[str, Any], extra: tuple[str, ...] = ()) -> engine.RunOutcome:
    """One embedded run at the self-tests' budget (5 examples, seed 1), reports under ``tmp_path``."""
    budget = {"run.max_examples": 5, "run.seed": 1, "run.report_dir": str(tmp_path / "r")}
    return engine.run(flags={**budget, **flags}, environ={}, cwd=tmp_path, echo=QUIET, extra_args=extra)


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
    # An SCH defect breaks GET /events/ or its statistics: fuzzing those (and the CR host) shows it
    # fires and that the other SCH rules hold, at a quarter of a full fuzz run's cost.
    sample = SCH_SAMPLE if family == "SCH" else ()
    outcome = _run(tmp_path, {"run.defects": [defect], "run.rules": family, "run.fuzz": family == "SCH"},
                   sample)
    failed = _failed(outcome.result)
    expected = {rule_id} | ALSO_FAILS.get(defect, set())
    assert set(failed) == expected, (
        f"defect {defect} ({what}): expected {sorted(expected)} to fail, got {failed}"
    )
    assert outcome.result is not None
    rule = next(r for r in outcome.result.rules if r.id == rule_id)
    if not rule_id.startswith("SCH"):  # scenario rules fail on a judged probe, not on a stray error
        assert any(c.failed for c in rule.checks), (defect, rule.checks)
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
    # nothing failed even once: no flaky finding hides behind the clean verdict (decision 66)
    assert result.confirmation["flaky"] == 0, [f.message for r in result.rules for f in r.flaky][:3]
    rules = catalogue()
    for rule in result.rules:
        runnable = mode_allows(mode, rules[rule.id].mode) and (rule.id[:3] != "SCH" or mode == "publish")
        assert rule.status == ("passed" if runnable else "not_run"), (rule.id, rule.status, rule.reason)
        if runnable:
            due = [c for c in rule.checks if c.applies]
            assert due, rule.id
            assert all(c.judged >= 1 and c.failed == 0 for c in due), (rule.id, due)
    if mode == "publish":
        judged = {(r.id, c.check, c.host): c.judged for r in result.rules for c in r.checks}
        low = {k: (judged.get(k), floor) for k, floor in JUDGED_FLOORS.items() if judged.get(k, 0) < floor}
        assert low == {}, f"judged counts below their floors: {low}"
        total, controls = result.requests["total"], result.requests["controls"]
        assert 0 < controls <= CONTROL_SHARE * total, result.requests
    assert result.errors == []
    assert outcome.exit_code == 0
    if mode == "publish":
        assert result.verdict == "CERTIFIED"
        assert result.operations, "fuzzing covered no operation"


@pytest.mark.slow
@pytest.mark.parametrize("condition", sorted(STARVATION))
def test_starvation_leaves_its_rules_partial_or_not_run(condition: str, tmp_path: Path) -> None:
    starves, what = STARVATION[condition]
    fuzzed = any(r.startswith("SCH") for r in starves)
    if fuzzed:  # the SCH rules need the fuzz phase: one eid read per host, one example, reads only
        flags = {"run.rules": "SCH", "run.fuzz": True, "run.mode": "read-only", "run.max_examples": 1}
        outcome = _run(tmp_path, {"run.defects": [condition], **flags}, FUZZ_SAMPLE)
    else:
        outcome = _run(tmp_path, {"run.defects": [condition], "run.fuzz": False})
    result = outcome.result
    assert result is not None
    assert result.verdict == "NOT CERTIFIED"
    by_id = {r.id: r for r in result.rules}
    for rule_id in starves:
        rule = by_id[rule_id]
        assert rule.status in ("partial", "not_run"), (condition, what, rule_id, rule.status, rule.reason)
        assert rule.reason, (condition, rule_id)
        due = [c for c in rule.checks if c.applies]
        assert any(c.judged == 0 for c in due) or not due, (condition, rule_id, due)
        if rule.status == "partial":
            assert any(c.judged for c in due), (condition, rule_id)
    if fuzzed:
        # the sample was fuzzed and answered on both hosts (so the condition, not the selection, starved
        # the success checks), and its coverage shows that no read answered 2xx
        answered = {c.host: c.judged for c in by_id["SCH-02"].checks if c.check == "answers-conform"}
        assert answered == {"main": 1, "cr": 1}, (condition, answered)
        assert all(op.answers.get("2xx", 0) == 0 for op in result.operations if op.answers), result.operations


#: The rules whose sweeps are concurrent in a concurrent run (decision 76), on their defect and on a
#: starvation condition: a sweep whose probes go out side by side judges exactly what a sequential one
#: does, fails on the same operations, and passes nothing it was starved of.
CONCURRENT_RULES = "TEN-03,OBJ-01,PAG-01"


@pytest.mark.slow
@pytest.mark.parametrize(("condition", "fails", "starved"), [
    pytest.param("ten-foreign-header-accepted", {"TEN-03"}, set(), id="ten-foreign-header-accepted"),
    pytest.param("starve-foreign-owner-404", set(), {"OBJ-01"}, id="starve-foreign-owner-404"),
])
def test_concurrent_sweeps_judge_a_defect_and_a_starvation_like_sequential_ones(
    condition: str, fails: set[str], starved: set[str], tmp_path: Path
) -> None:
    flags = {"run.defects": [condition], "run.rules": CONCURRENT_RULES, "run.fuzz": False}
    sequential = _run(tmp_path / "one", flags).result
    concurrent = _run(tmp_path / "two", {**flags, "run.concurrency": 2}).result
    assert sequential is not None
    assert concurrent is not None
    assert set(_failed(concurrent)) == set(_failed(sequential)) == fails
    for rule_id in starved:
        status = next(r.status for r in concurrent.rules if r.id == rule_id)
        assert status in ("partial", "not_run"), (condition, rule_id, status)

    def judged(result: RunResult) -> list[tuple[str, str, str, int, int, int]]:
        return sorted((r.id, c.check, c.host, c.judged, c.failed, c.operations) for r in result.rules
                      for c in r.checks)

    assert judged(concurrent) == judged(sequential)
    assert sum(c.judged for r in concurrent.rules for c in r.checks) > 0
