"""Edge values and spec coverage on real runs against the reference (small: one or two operations).

* ``sch-500-on-long-query`` (GET /events/ answers 500 for a q over 1,024 characters) is found by a
  deliberate edge value and missed by random generation at the default example count (25) with the
  edges off: the edge case finds what random generation does not.
* ``-k "not series and not statistics and not stateful"`` (the issue's filter) is no longer invisible:
  the operations it dropped are listed as deselected by ``-k`` and required.
* Publish mode against a deployment (the reference started separately, so not embedded) never fuzzes
  the nine publish-grade operations: they are listed as deselected by mode and not required (the
  run is not CERTIFIED here only because ``-k`` drops the other operations).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import engine
from conformance.report import RunResult

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scenarios"))
from run_suite import run_suite

QUIET: Callable[[str], None] = lambda _line: None  # noqa: E731
EVENTS_LIST = ("-k", "[main] and /events/]")  # main GET /events/ only


def _run(tmp_path: Path, flags: dict[str, Any], extra: tuple[str, ...]) -> RunResult:
    base = {"run.seed": 1, "run.rules": "SCH", "run.fuzz": True, "run.mode": "read-only",
            "run.report_dir": str(tmp_path / "r")}
    outcome = engine.run(flags={**base, **flags}, environ={}, cwd=tmp_path, echo=QUIET, extra_args=extra)
    assert outcome.result is not None
    return outcome.result


def _row(result: RunResult, host: str, operation: str) -> Any:
    return next(o for o in result.operations if (o.host, o.operation) == (host, operation))


@pytest.mark.slow
def test_an_edge_value_finds_what_random_generation_misses(tmp_path: Path) -> None:
    defect = {"run.defects": ["sch-500-on-long-query"]}
    # random generation at the default example count, the deliberate edges off: nothing found
    plain = _run(tmp_path / "plain", {**defect, "run.max_examples": 25, "run.edge_cases": 0}, EVENTS_LIST)
    events = _row(plain, "main", "GET /events/")
    assert events.selection == "fuzzed"
    assert events.cases > 25
    assert not any(k in events.edges for k in ("long_string", "astral_emoji"))
    assert next(r for r in plain.rules if r.id == "SCH-01").findings == []
    # the same run with the edges: the long q is sent and its 500 is SCH-01's finding
    edged = _run(tmp_path / "edged", {**defect, "run.max_examples": 1}, EVENTS_LIST)
    events = _row(edged, "main", "GET /events/")
    # sent at least once (a failing example is replayed by Hypothesis, and each send is counted)
    assert events.edges.get("long_string", 0) >= 1, events.edges
    assert {"combining_marks", "right_to_left", "astral_emoji"} <= set(events.edges)
    sch01 = next(r for r in edged.rules if r.id == "SCH-01")
    assert sch01.status == "failed"
    assert any("500" in f.message or "Server error" in f.message for f in sch01.findings), sch01.findings
    assert edged.verdict == "NOT CERTIFIED"


@pytest.mark.slow
def test_dash_k_deselection_is_listed_and_not_certified(tmp_path: Path) -> None:
    # the filter, narrowed to one operation to stay cheap
    keep = "not series and not statistics and not stateful and /status/]"
    result = _run(tmp_path, {"run.max_examples": 1, "run.edge_cases": 0}, ("-k", keep))
    assert _row(result, "main", "GET /status/").selection == "fuzzed"
    for operation in ("GET /events/{eid}/series", "GET /events/statistics", "GET /events/{eid}/statistics"):
        row = _row(result, "main", operation)
        assert (row.selection, row.by, row.required) == ("deselected", "-k", True), row
        assert "not series" in row.reason
    assert result.verdict == "NOT CERTIFIED"
    summary = (tmp_path / "r" / "summary.md").read_text(encoding="utf-8")
    assert "Coverage blocks CERTIFIED" in summary
    assert "deselected by -k" in summary


@pytest.mark.slow
def test_publish_mode_against_a_deployment_lists_the_publish_grade_operations(
    reference_stack: Any, tmp_path: Path
) -> None:
    # the shared stack is a deployment to this run (not embedded); only GET /status/ is fuzzed (no writes)
    code, results, output = run_suite(
        reference_stack, tmp_path, "conformance.fuzz", mode="publish",
        extra=("--fd-max-examples", "1", "--fd-rules", "SCH", "-k", "/status/]"),
    )
    assert code in (0, 1), output[-3000:]
    assert results["schema_version"] == 5
    rows = {(o["host"], o["operation"]): o for o in results["operations"]}
    publishing = [o for o in rows.values() if o["by"] == "mode"]
    assert len(publishing) == 9, publishing
    assert all(o["selection"] == "deselected" and not o["required"] for o in publishing)
    assert all("embedded reference" in o["reason"] for o in publishing)
    assert ("main", "POST /setup_processes/{eid}/boost") in {(o["host"], o["operation"]) for o in publishing}
    assert results["verdict"] == "NOT CERTIFIED"
    certificate = (tmp_path / "reports" / "certificate.html").read_text(encoding="utf-8")
    assert "deselected by mode" in certificate
