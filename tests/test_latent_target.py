"""Certifying a far target: the reference holding every answer 80 ms, latency hidden by concurrency.

Scaled down for CI: a rule subset (OBJ-01's sweeps over every read and write, plus the fuzzing of
the partner operations, two examples each). The same subset runs sequentially (``concurrency 1``) on
plain loopback, the baseline, and with ``--concurrency 4`` against the 80 ms reference (on loopback
``auto`` stays sequential: a latency gateway there is asked for concurrency explicitly).
The concurrent run judges exactly what the sequential one judged (verdict, rule statuses, every
check's judged and failed counts, fuzz cases per operation), and the reference held several answers
at once (latency hidden, not waited out). The wall-time ratio to loopback is printed; the issue's 3x is
the benchmark's figure, since on a shared 2-core runner CPU time, not latency, sets it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import engine
from conformance.harness.concurrency import SWEEP_POOL
from conformance.reference.limits import limits
from conformance.reference.stack import ReferenceStack
from conformance.report import RunResult

RULES = "OBJ-01,SCH"
#: Fuzz only the operations about partners, no stateful phase.
SUBSET = ["-k", "not test_stateful and (not test_operation or partners)"]
WORKERS = 4  # enough to overlap the latency; fewer worker start-ups on a 2-core runner
BOUND = 3.0  # the target: a run at 80 ms within 3x of the loopback run


Ran = tuple[float, engine.RunOutcome, list[str]]  # wall seconds, the outcome, the lines it printed


def _certify(stack: ReferenceStack, folder: Path, **flags: object) -> Ran:
    folder.mkdir()
    config = folder / "fdconf.toml"
    stack.write_config(config)
    lines: list[str] = []
    started = time.perf_counter()
    outcome = engine.run(
        config=config, environ={}, cwd=folder, echo=lines.append, extra_args=SUBSET,
        flags={"run.mode": "publish", "run.seed": 5, "run.max_examples": 2, "run.rules": RULES,
               "run.report_dir": str(folder / "r"), **flags},
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
def test_a_far_target_is_certified_concurrently_with_its_latency_overlapped(
    start_stack: Callable[..., ReferenceStack], tmp_path: Path
) -> None:
    near_wall, near, _ = _certify(start_stack(), tmp_path / "loopback")
    stack = start_stack(limits=limits(latency="80ms"))
    far_wall, far, lines = _certify(stack, tmp_path / "far", **{"run.concurrency": WORKERS})
    assert near.result is not None
    assert far.result is not None
    print(f"loopback sequential {near_wall:.1f} s ({len(near.audit)} requests); 80 ms with concurrency "
          f"{WORKERS}: {far_wall:.1f} s ({len(far.audit)} requests)")
    assert near.settings.workers == 0  # auto on loopback: sequential
    assert far.settings.workers == WORKERS
    chose = (f"fdconf: concurrency {WORKERS} (run.concurrency): {WORKERS} worker processes, "
             f"{SWEEP_POOL} probes in flight per sweep")
    assert chose in lines, lines
    judged = _judged(far.result)
    assert judged == _judged(near.result)
    assert (far.exit_code, near.exit_code) == (0, 0)
    assert [f for r in far.result.rules for f in r.findings] == []
    # Latency was hidden, not waited out: the reference held several answers at once. The wall-time
    # ratio (the 3x) is the benchmark's figure (bench/deployment_bench.py rows 1 and 4): on a
    # shared 2-core runner eight workers' CPU time, not the latency, sets it, so it is printed here.
    assert stack.peak_in_flight >= 2, stack.peak_in_flight
    print(f"80 ms concurrent / loopback sequential: {far_wall / near_wall:.1f}x "
          f"(the issue's target {BOUND:g}x); {stack.peak_in_flight} answers held at once")
