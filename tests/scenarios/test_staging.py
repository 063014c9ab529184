"""A staging deployment can be CERTIFIED: write rules in their deployment form (decision 69).

The reference is started here and given to the suite as a target (``target.main``/``target.cr`` from its
config file), so to the suite it is a deployment, not the embedded reference: OBJ-02 and OBJ-03's write
checks then attack only sandbox events the run created for persona ``other`` and clean them up. The
form does not hinge on the hostname (``127.0.0.1`` here, as on any loopback gateway), only on the target
not being the embedded reference; all traffic stays on loopback.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import engine
from conformance.reference.stack import ReferenceStack
from conformance.report import RunResult
from conformance.rules import catalogue, mode_allows

QUIET: Callable[[str], None] = lambda _line: None  # noqa: E731
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _deployment_run(stack: ReferenceStack, folder: Path, flags: dict[str, Any]) -> engine.RunOutcome:
    config = folder / "fdconf.toml"
    stack.write_config(config)  # target URLs, personas, rate = "off": a deployment to the suite
    budget = {"run.seed": 3, "run.max_examples": 1, "run.report_dir": str(folder / "r")}
    return engine.run(config=config, environ={}, flags={**budget, **flags}, cwd=folder, echo=QUIET)


def _statuses(result: RunResult | None) -> dict[str, tuple[str, str]]:
    assert result is not None, "the run produced no result"
    return {r.id: (r.status, r.reason) for r in result.rules}


def _foreign_dataset_writes(stack: ReferenceStack) -> list[tuple[str, str, str]]:
    """Writes whose path names one of the other tenant's real (dataset) events."""
    return [e for e in stack.request_log if e[1] in WRITES and re.search(r"evt_beta", e[2])]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["write", "publish"])
def test_every_rule_of_the_mode_runs_and_passes_on_a_deployment(
    mode: str, tmp_path: Path, start_stack: Callable[..., ReferenceStack]
) -> None:
    """Before decision 69 this run left OBJ-02 not run and OBJ-03/HST-02 partial ("writes to another
    tenant's data; runs only against the embedded reference or a loopback target"). The write run
    skips fuzzing (cheap; SCH is then not selected) and serves live data (``live-fields``): OBJ-02's
    owner check must not take a ticking counter for a foreign write's effect."""
    fuzz = mode == "publish"
    stack = start_stack([] if fuzz else ["live-fields"])
    outcome = _deployment_run(stack, tmp_path, {"run.mode": mode, "run.fuzz": fuzz})
    result = outcome.result
    assert result is not None
    assert result.embedded is False
    rules = catalogue()
    statuses = _statuses(result)
    for rule_id, (status, reason) in statuses.items():
        runnable = mode_allows(mode, rules[rule_id].mode) and (fuzz or not rule_id.startswith("SCH"))
        assert status == ("passed" if runnable else "not_run"), (rule_id, status, reason)
    assert result.errors == []
    assert _foreign_dataset_writes(stack) == [], "a deployment-form run wrote to another tenant's real event"
    log = (tmp_path / "r" / "sandbox.log").read_text(encoding="utf-8")
    assert "sandbox other" in log
    assert "cancel event (CR): done" in log
    if mode == "publish":
        assert result.verdict == "CERTIFIED"
        assert outcome.exit_code == 0


def test_a_foreign_write_that_succeeds_fails_the_deployment_form(
    tmp_path: Path, start_stack: Callable[..., ReferenceStack]
) -> None:
    stack = start_stack(["obj-foreign-write"])
    flags = {"run.mode": "write", "run.rules": "OBJ-02", "run.fuzz": False}
    outcome = _deployment_run(stack, tmp_path, flags)
    assert outcome.result is not None
    rule = next(r for r in outcome.result.rules if r.id == "OBJ-02")
    assert rule.status == "failed", (rule.status, rule.reason)
    message = rule.findings[0].message
    assert "evt_sim_" in message  # the attacked event is the run's own sandbox of persona `other` ...
    assert "changed after foreign writes" in message or "-> 2" in message
    assert _foreign_dataset_writes(stack) == []  # ... never one of the other tenant's real events
    assert outcome.exit_code == 1


def test_no_sandbox_for_the_other_persona_leaves_obj02_unjudged(
    tmp_path: Path, start_stack: Callable[..., ReferenceStack]
) -> None:
    stack = start_stack(["starve-foreign-sandbox-refused"])
    outcome = _deployment_run(stack, tmp_path, {"run.mode": "write", "run.rules": "OBJ-02,HST-02",
                                                "run.fuzz": False})
    statuses = _statuses(outcome.result)
    status, reason = statuses["OBJ-02"]
    assert status in ("partial", "not_run"), statuses["OBJ-02"]
    assert "persona `other`" in reason
    assert statuses["HST-02"][0] in ("partial", "not_run")
    assert outcome.result is not None
    assert outcome.result.verdict == "NOT CERTIFIED"
    assert _foreign_dataset_writes(stack) == []
