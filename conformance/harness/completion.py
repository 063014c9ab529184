"""How far a run got: the ``completion`` record of a run that was cut short (interrupt, deadline,
a target that stopped answering).

A run interrupted by Ctrl-C or SIGTERM still writes every report from what it saw, but what it saw
is not the whole catalogue's evidence: its verdict is INCOMPLETE, never CERTIFIED, and each report
says in which phase it stopped and how many tests had finished.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

PHASES = ("discovery", "scenarios", "fuzzing", "stateful", "cleanup")


def phase_of(nodeid: str) -> str:
    """The run phase a test belongs to, from its node id (scenarios, fuzzing or stateful)."""
    if "test_stateful" in nodeid:
        return "stateful"
    if "fuzz/" in nodeid or "fuzz." in nodeid:
        return "fuzzing"
    return "scenarios"


def completion_of(exitstatus: int | pytest.ExitCode, done: Sequence[str], total: int,
                  *, running: str = "", cut: dict[str, str] | None = None, phase: str = "") -> dict[str, Any]:
    """The ``completion`` record for a session that ended with ``exitstatus``.

    ``done``: node ids of the tests that reported, in order; ``total``: tests collected; ``running``:
    the test that had started last. Before the first test starts the run was still in discovery;
    once every test reported, in cleanup. ``cut``: why the run was cut short on purpose
    (:func:`conformance.harness.cutoff.cut_reason`: the deadline, a target that stopped); it names
    the state and the reason, whatever the exit status. ``phase``: the phase the run's process said
    it was in when it stopped (:func:`conformance.harness.state.in_phase`: discovery inside a test's
    setup, the sandbox cleanup inside the last teardown); it wins over what the node ids suggest.
    """
    if exitstatus != pytest.ExitCode.INTERRUPTED and not cut:
        return {"state": "complete"}
    last = running or (done[-1] if done else "")
    if phase not in PHASES:
        if total and len(done) >= total:
            phase = "cleanup"
        elif not last:
            phase = "discovery"
        else:
            phase = phase_of(last)
    state, reason = ("interrupted", "interrupted (Ctrl-C or SIGTERM)")
    if cut:
        state, reason = cut["state"], cut["reason"]
    out: dict[str, Any] = {"state": state, "phase": phase, "reason": reason,
                           "tests_done": len(done), "tests_total": total}
    if last:
        out["last_test"] = last
    return out

