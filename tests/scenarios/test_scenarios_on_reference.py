"""The scenario modules against the clean reference: every rule they cover passes, none is faked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from run_suite import run_suite, statuses

WRITE_RULES = {"OBJ-02", "RUN-02", "RUN-03", "WAV-01"}
PUBLISH_RULES = {"CID-02", "WAV-02"}
FUZZ_RULES = {"SCH-01", "SCH-02", "SCH-03"}


def test_read_only_run_passes_and_sends_no_writes(reference_stack: Any, tmp_path: Path) -> None:
    before = len(reference_stack.request_log)
    code, results, output = run_suite(reference_stack, tmp_path, "conformance.scenarios")
    status = statuses(results)
    assert code == 0, output[-3000:]
    for rule, state in status.items():
        if rule in WRITE_RULES | PUBLISH_RULES | FUZZ_RULES:
            assert state == "not_run", (rule, state)
        else:
            assert state == "passed", (rule, state, output[-2000:])
    writes = [
        (host, method, path)
        for host, method, path in reference_stack.request_log[before:]
        if method not in ("GET", "HEAD") and not path.rstrip("/").endswith(("/auth", "/auth/refresh_token"))
    ]
    assert writes == []


@pytest.mark.slow
def test_publish_run_passes_every_scenario_rule(start_stack: Any, tmp_path: Path) -> None:
    stack = start_stack()
    code, results, output = run_suite(stack, tmp_path, "conformance.scenarios", mode="publish")
    status = statuses(results)
    assert code == 0, output[-3000:]
    assert {rule for rule, state in status.items() if state != "passed"} == set(), status
    assert not FUZZ_RULES & set(status)  # a scenarios-only run speaks about the scenarios' rules
