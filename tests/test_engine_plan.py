"""``fdconf run`` and its plan: printed before the first request, kept in results.json beside what was
sent; one sign-in per persona per run (pre-flight's tokens go to the pytest child)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance import engine
from conformance.reference.stack import ReferenceStack


def test_the_plan_comes_before_the_first_request_and_nobody_signs_in_twice(
    reference_stack: ReferenceStack, tmp_path: Path
) -> None:
    stack = reference_stack
    before = len(stack.request_log)
    printed: list[tuple[str, int]] = []

    def echo(line: str) -> None:
        printed.append((line, len(stack.request_log)))

    outcome = engine.run(flags={"run.rules": "TEN-03", "run.fuzz": False, "run.seed": 7,
                                "run.report_dir": str(tmp_path / "r")},
                         environ={}, cwd=tmp_path, reference=stack, echo=echo)
    plan_lines = [(line, sent) for line, sent in printed if line.startswith("fdconf: plan:")]
    assert plan_lines, printed
    assert all(sent == before for _line, sent in plan_lines)  # nothing had been sent yet
    assert "requests" in plan_lines[0][0]
    assert "at rate" in plan_lines[1][0]

    sign_ins = [entry for entry in outcome.audit if entry.method == "POST" and entry.url.endswith("/auth")]
    personas = [name for name, info in stack.personas.items() if info.get("username")]
    assert len(sign_ins) == len(personas) > 0  # pre-flight's, once each; the child reused the tokens
    assert all(entry.origin == "suite" for entry in sign_ins)

    results: dict[str, Any] = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))
    assert results["schema_version"] == 5
    families = results["plan"]["families"]
    assert families["preflight"]["sent"] == families["preflight"]["planned"] == len(outcome.audit) - sum(
        entry["sent"] for name, entry in families.items() if name != "preflight")
    assert families["TEN"]["sent"] > 0
    assert results["plan"]["requests"]["sent"] == len(outcome.audit)  # every request is some family's


def test_a_budget_the_rules_cannot_fit_stops_before_the_first_request(
    reference_stack: ReferenceStack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = len(reference_stack.request_log)
    code = engine.main_run(flags={"run.budget": "5s", "run.report_dir": str(tmp_path / "r")}, environ={},
                           cwd=tmp_path, reference=reference_stack, echo=lambda _line: None)
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ConfigError: run.budget 5 s cannot hold the rules")
    assert len(err.splitlines()) == 1
    assert len(reference_stack.request_log) == before  # nothing was sent
