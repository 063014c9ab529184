"""Certifying a far target: the reference holding every answer 80 ms, latency hidden by concurrency.

Scaled down for CI: a rule subset (a tenancy sweep and an object sweep, plus the fuzzing of the
partner operations, two examples each). The same subset runs sequentially on plain loopback, the
baseline, and with ``auto`` concurrency against the 80 ms reference (the config the stack writes:
rate off, so auto runs :data:`~conformance.harness.concurrency.MAX_AUTO` workers). The concurrent run
judges exactly what the sequential one judged (verdict, rule statuses, every check's judged and
failed counts, fuzz cases per operation) and stays within the issue's bound of 3x the loopback wall
time (sequentially the latency alone would cost several times the loopback run).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import engine
from conformance.harness.concurrency import MAX_AUTO
from conformance.reference.limits import limits
from conformance.reference.stack import ReferenceStack
from conformance.report import RunResult

RULES = "TEN-03,OBJ-01,SCH"
#: Fuzz only the operations about partners, no stateful phase.
SUBSET = ["-k", "not test_stateful and (not test_operation or partners)"]
BOUND = 3.0  # the target: a run at 80 ms within 3x of the loopback run


def _certify(stack: ReferenceStack, folder: Path) -> tuple[float, engine.RunOutcome, list[str]]:
    folder.mkdir()
    config = folder / "fdconf.toml"
    stack.write_config(config)
    lines: list[str] = []
    started = time.perf_counter()
    outcome = engine.run(
        config=config, environ={}, cwd=folder, echo=lines.append, extra_args=SUBSET,
        flags={"run.mode": "publish", "run.seed": 5, "run.max_examples": 2, "run.rules": RULES,
               "run.report_dir": str(folder / "r")},
    )
    return time.perf_counter() - started, outcome, lines


def _judged(result: RunResult) -> dict[str, Any]:
    """What a run judged, in an order that does not depend on which worker sent what."""
    return {
        "verdict": result.verdict,
        "rules": sorted((r.id, r.status) for r in result.rules),
        "checks": sorted((r.id, c.check, c.host, c.judged, c.failed, c.operations) for r in result.rules
                         for c in r.checks),
        "cases": sorted((o.host, o.operation, o.cases, o.failures, o.status) for o in result.operations),
    }


@pytest.mark.slow
def test_a_far_target_is_certified_concurrently_within_three_times_loopback(
    start_stack: Callable[..., ReferenceStack], tmp_path: Path
) -> None:
    near_wall, near, _ = _certify(start_stack(), tmp_path / "loopback")
    far_wall, far, lines = _certify(start_stack(limits=limits(latency="80ms")), tmp_path / "far")
    assert near.result is not None
    assert far.result is not None
    print(f"loopback sequential {near_wall:.1f} s ({len(near.audit)} requests); 80 ms with auto "
          f"concurrency {far_wall:.1f} s ({len(far.audit)} requests)")
    assert near.settings.workers == 0  # near: auto stays sequential
    assert far.settings.workers == MAX_AUTO, lines
    assert any(line.startswith(f"fdconf: concurrency {MAX_AUTO} (auto: ") for line in lines), lines
    judged = _judged(far.result)
    assert judged == _judged(near.result)
    assert judged["verdict"] == "NOT CERTIFIED" or far.exit_code == 0
    assert [r.findings for r in far.result.rules] == [[] for _ in far.result.rules]
    assert far_wall <= BOUND * near_wall, (far_wall, near_wall)
