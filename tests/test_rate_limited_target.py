"""Certifying a target that enforces a rate budget: the reference with ``limits`` (429 without Retry-After).

Scaled down for CI: a 2 s window instead of a minute, a subset of the rules (AUTH-01's sweep and the
fuzzing of two operations, so scenario probes, fuzz cases and Schemathesis' own auth probes all meet
the budget), two examples per operation.

* The suite keeps to the budget the target enforces (the config the stack writes): every selected
  rule passes, no finding, the summary shows the pacing, nothing stayed throttled.
* The suite's budget far above the target's (off): 429s happen and persist; the probes they hit are
  unexercised, the fuzz cases not judged, no rule fails and no finding is about a 429.
* A sign-in pre-flight cannot get past the budget is one target error, not a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import engine
from conformance.errors import TargetError
from conformance.reference.limits import limits
from conformance.reference.stack import ReferenceStack
from conformance.report import RunResult

QUIET: Callable[[str], None] = lambda _line: None  # noqa: E731
RULES = "AUTH-01,SCH"
#: Fuzz only the operations about partners (a few, GET and PUT), no stateful phase.
SUBSET = ["-k", "not test_stateful and (not test_operation or partners)"]


def _certify(stack: ReferenceStack, folder: Path, **flags: object) -> tuple[int, RunResult]:
    config = folder / "fdconf.toml"
    stack.write_config(config)  # personas and the rate the stack enforces
    outcome = engine.run(
        config=config, environ={}, cwd=folder, echo=QUIET, extra_args=SUBSET,
        flags={"run.mode": "publish", "run.seed": 3, "run.max_examples": 2, "run.rules": RULES,
               "run.report_dir": str(folder / "r"), **flags},
    )
    assert outcome.result is not None
    return outcome.exit_code, outcome.result


def _selected(result: RunResult) -> dict[str, str]:
    return {r.id: r.status for r in result.rules if r.id == "AUTH-01" or r.id.startswith("SCH-")}


def _findings(result: RunResult) -> list[str]:
    return [f"{f.rule_id}: {f.message}" for r in result.rules for f in r.findings]


@pytest.mark.slow
def test_a_run_keeping_to_the_targets_budget_passes_and_shows_the_pacing(
    start_stack: Callable[..., ReferenceStack], tmp_path: Path
) -> None:
    stack = start_stack(limits=limits("reads=150,writes=40,auth=20,window=2"))
    code, result = _certify(stack, tmp_path, **{"run.rate_backoff": 0.2})
    assert _findings(result) == []
    statuses = _selected(result)
    assert statuses["AUTH-01"] == "passed", statuses
    # The subset fuzzes main operations only: SCH is judged there in full and partial for the CR host.
    for rule in (r for r in result.rules if r.id.startswith("SCH-")):
        assert rule.status == "partial", (rule.id, rule.status, rule.reason)
        main = [c for c in rule.checks if c.host == "main" and c.applies]
        assert main, rule.id
        assert all(c.judged > 0 and c.failed == 0 for c in main), (rule.id, main)
        assert all(c.judged == 0 for c in rule.checks if c.host == "cr"), rule.id
    assert code == 0
    rate = result.rate
    assert rate["budget"] == "reads=150,writes=40,auth=20,window=2"
    assert rate["paced_seconds"] > 0  # the run waited for its budget instead of being refused
    # nothing stayed throttled (a 429 met at a window's edge was retried and answered)
    assert (rate["unjudged_cases"], rate["unexercised_probes"]) == (0, 0)
    assert rate["retries"] == rate["throttled"]


@pytest.mark.slow
def test_a_run_far_over_the_targets_budget_leaves_probes_unexercised_never_failed(
    start_stack: Callable[..., ReferenceStack], tmp_path: Path
) -> None:
    # A minute's window that the run exhausts early and never sees refilled.
    stack = start_stack(limits=limits("reads=250,writes=40,auth=20,window=60"))
    _code, result = _certify(stack, tmp_path, **{"run.rate": "off", "run.rate_backoff": 0.01})
    assert _findings(result) == []
    statuses = _selected(result)
    assert "failed" not in statuses.values()
    assert statuses["AUTH-01"] in ("partial", "not_run")
    reasons = [r.reason for r in result.rules] + [
        why for r in result.rules for c in r.checks for why in c.unexercised]
    assert any("throttled (429 after 5 attempts)" in why for why in reasons)
    rate = result.rate
    assert rate["budget"] == "off"
    assert rate["throttled"] > rate["retries"] > 0  # some stayed 429 after every retry
    assert rate["unexercised_probes"] > 0
    assert rate["unjudged_cases"] > 0  # fuzz cases answered 429 were not counted as judged


def test_a_preflight_sign_in_throttled_for_good_is_one_target_error(
    start_stack: Callable[..., ReferenceStack], tmp_path: Path
) -> None:
    stack = start_stack(rate_limit="auth=1,window=60")
    config = tmp_path / "fdconf.toml"
    stack.write_config(config)
    with pytest.raises(TargetError) as raised:
        engine.run(config=config, environ={}, cwd=tmp_path, echo=QUIET,
                   flags={"run.rate": "off", "run.rate_backoff": 0.01, "run.report_dir": str(tmp_path / "r")})
    line = raised.value.one_line()
    assert "pre-flight throttled (429 after 5 attempts): POST" in line
    assert "/auth" in line
    assert "rate budget is spent" in line
    assert len(line.splitlines()) == 1
