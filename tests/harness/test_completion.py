"""How far a cut-short run got, and its INCOMPLETE verdict in every report."""

from __future__ import annotations

import json

import pytest

from conformance.harness.completion import completion_of, phase_of
from conformance.report._certificate import render_certificate
from conformance.report._junit import render_junit
from conformance.report._markdown import render_markdown
from conformance.report._model import RunResult
from tests.report.builders import all_passed

SCENARIO = "conformance/scenarios/test_auth.py::test_x"
FUZZ = "conformance/fuzz/test_fuzz.py::test_operation[GET /events/]"
STATEFUL = "conformance/fuzz/test_stateful.py::test_stateful_links"


def test_phase_from_the_last_test() -> None:
    assert [phase_of(n) for n in (SCENARIO, FUZZ, STATEFUL)] == ["scenarios", "fuzzing", "stateful"]
    assert completion_of(pytest.ExitCode.INTERRUPTED, [], 10)["phase"] == "discovery"
    assert completion_of(pytest.ExitCode.INTERRUPTED, [], 10, running=STATEFUL)["phase"] == "stateful"
    assert completion_of(pytest.ExitCode.INTERRUPTED, [SCENARIO, FUZZ], 10)["phase"] == "fuzzing"
    assert completion_of(pytest.ExitCode.INTERRUPTED, [SCENARIO, FUZZ], 2)["phase"] == "cleanup"
    assert completion_of(pytest.ExitCode.OK, [SCENARIO], 1) == {"state": "complete"}
    assert completion_of(pytest.ExitCode.TESTS_FAILED, [SCENARIO], 5) == {"state": "complete"}


def test_the_phase_the_process_said_wins_over_the_node_ids() -> None:
    # Discovery runs inside the first test's setup, the sandbox cleanup inside the last teardown.
    found = completion_of(pytest.ExitCode.INTERRUPTED, [], 10, running=SCENARIO, phase="discovery")
    assert found["phase"] == "discovery"
    assert completion_of(pytest.ExitCode.INTERRUPTED, [SCENARIO], 2, running=FUZZ,
                         phase="cleanup")["phase"] == "cleanup"
    assert completion_of(pytest.ExitCode.INTERRUPTED, [SCENARIO], 9, running=FUZZ,
                         phase="")["phase"] == "fuzzing"


def test_an_interrupted_run_whose_rules_all_passed_is_incomplete_everywhere() -> None:
    result = all_passed()
    assert result.verdict == "CERTIFIED"  # the control: the same rules, run to the end
    result.completion = completion_of(pytest.ExitCode.INTERRUPTED, [SCENARIO, FUZZ], 40)
    assert str(result.verdict) == "INCOMPLETE"
    data = result.to_dict()
    assert data["verdict"] == "INCOMPLETE"
    assert data["completion"]["tests_done"] == 2
    assert RunResult.from_dict(json.loads(json.dumps(data))).verdict == "INCOMPLETE"
    for text in (render_markdown(result), render_certificate(result, "0" * 64), render_junit(result)):
        assert "INCOMPLETE" in text or "interrupted" in text
        assert "fuzzing" in text
    assert "2 of 40 tests" in render_markdown(result)


def test_a_version_2_file_without_completion_loads_as_complete() -> None:
    data = all_passed().to_dict()
    data.pop("completion")
    data["schema_version"] = 2
    old = RunResult.from_dict(data)
    assert old.complete
    assert old.verdict == "CERTIFIED"
