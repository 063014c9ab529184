"""Coverage measured against the specs: every operation of both specs is listed as fuzzed, deselected
(by whom) or unreachable, and CERTIFIED needs every required one fuzzed."""

from __future__ import annotations

import dataclasses
from typing import Any

from conformance.config import Settings
from conformance.harness.coverage import PytestFilter, against_specs
from conformance.harness.results import Collector
from conformance.report import OperationCoverage, RuleResult, RunResult
from conformance.report._grouping import coverage_text, unfuzzed_text
from conformance.rules import catalogue
from conformance.spec import all_operations

MAIN, CR = "http://127.0.0.1:1/api/v3", "http://127.0.0.1:2/api"
SPEC_OPS = {(op.host, f"{op.method} {op.path}") for op in all_operations()}
PUBLISHING = {(op.host, f"{op.method} {op.path}") for op in all_operations() if op.publishes}


def settings(**kw: Any) -> Settings:
    return Settings(**{"main": MAIN, "cr": CR, "mode": "publish", "embedded": False, **kw})


def fuzzed(keys: set[tuple[str, str]]) -> list[OperationCoverage]:
    return [OperationCoverage(host=h, operation=o, cases=3, status="passed") for h, o in sorted(keys)]


def certified_but_for_coverage(operations: list[OperationCoverage], mode: str = "publish") -> RunResult:
    """A result whose every rule passed and that had no run error: only the coverage can block it."""
    rules = [RuleResult(id=r.id, title=r.title, level=r.level, severity=r.severity, required=r.required,
                        status="passed") for r in catalogue().values()]
    return RunResult(run_id="r", suite_version="0", started_at="", finished_at="", duration=1.0, seed=1,
                     mode=mode, embedded=False, targets={"main": MAIN}, spec_hashes={}, personas=[],
                     rules=rules, operations=operations)


def test_every_spec_operation_is_listed_once() -> None:
    rows = against_specs(fuzzed(SPEC_OPS - PUBLISHING), settings(), wanted=None, pytest_filter=PytestFilter())
    assert {(r.host, r.operation) for r in rows} == SPEC_OPS
    assert len(rows) == len(SPEC_OPS)


def test_publish_mode_against_a_deployment_names_the_publish_grade_operations() -> None:
    # what a non-embedded publish run fuzzes: everything but the publish-grade operations, which it
    # lists as deselected by mode (never fuzzed on a deployment) without requiring them (Decision 58)
    rows = against_specs(fuzzed(SPEC_OPS - PUBLISHING), settings(), wanted=None, pytest_filter=PytestFilter())
    missing = [r for r in rows if r.selection != "fuzzed"]
    assert {(r.host, r.operation) for r in missing} == PUBLISHING
    assert len(PUBLISHING) == 9
    assert all(r.selection == "deselected" and r.by == "mode" and not r.required for r in missing)
    assert all("embedded reference" in r.reason for r in missing)
    result = certified_but_for_coverage(rows)
    assert result.verdict == "CERTIFIED"
    assert not unfuzzed_text(result)
    main = [r for r in rows if r.host == "main"]
    main_publishing = sum(1 for r in missing if r.host == "main")
    text = coverage_text(main)
    assert text.startswith(f"{len(main) - main_publishing} of {len(main)} fuzzed"), text
    assert f"{main_publishing} deselected by mode" in text, text
    # the same rows against the embedded reference: the publish-grade ones are fuzzed there
    everything = against_specs(fuzzed(SPEC_OPS), settings(embedded=True), wanted=None,
                               pytest_filter=PytestFilter())
    assert certified_but_for_coverage(everything).verdict == "CERTIFIED"


def test_dash_k_deselection_is_named_and_blocks_certified() -> None:
    dropped = {k for k in SPEC_OPS if "series" in k[1] or "statistics" in k[1]}
    assert dropped
    flt = PytestFilter(keyword="not series and not statistics and not stateful")
    rows = against_specs(fuzzed(SPEC_OPS - dropped), settings(embedded=True), wanted=None, pytest_filter=flt)
    missing = {(r.host, r.operation): r for r in rows if r.selection != "fuzzed"}
    assert set(missing) == dropped
    assert all(r.by == "-k" and "not series" in r.reason and r.required for r in missing.values())
    result = certified_but_for_coverage(rows)
    assert result.verdict == "NOT CERTIFIED"
    assert "deselected by -k" in unfuzzed_text(result)


def test_modes_decide_what_is_required() -> None:
    writes = {(op.host, f"{op.method} {op.path}") for op in all_operations() if not op.is_read}
    rows = against_specs(fuzzed(SPEC_OPS - writes), settings(mode="read-only"), wanted=None,
                         pytest_filter=PytestFilter())
    missing = [r for r in rows if r.selection != "fuzzed"]
    assert {(r.host, r.operation) for r in missing} == writes
    assert not any(r.required for r in missing)
    assert all(r.by == "mode" for r in missing)
    assert certified_but_for_coverage(rows, "read-only").verdict == "CERTIFIED"
    # write mode requires the writes, not the publish-grade ones
    rows = against_specs(fuzzed(SPEC_OPS - PUBLISHING), settings(mode="write"), wanted=None,
                         pytest_filter=PytestFilter())
    assert {(r.host, r.operation) for r in rows if r.required} == SPEC_OPS - PUBLISHING
    assert certified_but_for_coverage(rows, "write").verdict == "CERTIFIED"


def test_other_deselections_and_an_absent_host() -> None:
    reads = {(op.host, f"{op.method} {op.path}") for op in all_operations() if op.is_read}
    def why(**kw: Any) -> set[tuple[str, str]]:
        flt = kw.pop("pytest_filter", PytestFilter())
        wanted = kw.pop("wanted", None)
        rows = against_specs([], settings(mode="read-only", **kw), wanted=wanted, pytest_filter=flt)
        return {(r.selection, r.by) for r in rows if (r.host, r.operation) in reads}

    assert why(fuzz=False) == {("deselected", "--no-fuzz")}
    assert why(wanted=frozenset({"TEN-01"})) == {("deselected", "--rules")}
    assert why(shard=(1, 2)) == {("deselected", "--shard")}
    assert why(pytest_filter=PytestFilter(markexpr="slow")) == {("deselected", "-m")}
    assert why() == {("deselected", "selection")}
    no_cr = against_specs([], settings(mode="read-only", cr=None), wanted=None, pytest_filter=PytestFilter())
    cr_rows = [r for r in no_cr if r.host == "cr" and r.required]
    assert cr_rows
    assert all(r.selection == "unreachable" and "target.cr" in r.reason for r in cr_rows)


def test_the_collector_lists_the_spec_and_old_files_keep_their_verdict() -> None:
    c = Collector(settings(mode="read-only"), catalogue(), run_id="r")
    c.add("f", "call", "passed", user_properties=[("fd_rules", ["SCH-01"]),
                                                   ("fd_operation", "main GET /events/"),
                                                   ("fd_cases", 4), ("fd_edges", {"long_string": 1})])
    c.add("s", "call", "passed", user_properties=[("fd_rules", ["SCH-01"]),
                                                   ("fd_operation", "main STATEFUL /links"), ("fd_cases", 2)])
    ops = {(o.host, o.operation): o for o in c.build().operations}
    assert set(ops) == SPEC_OPS | {("main", "STATEFUL /links")}
    assert ops[("main", "GET /events/")].selection == "fuzzed"
    assert ops[("main", "GET /events/")].edges == {"long_string": 1}
    assert ops[("main", "STATEFUL /links")].selection == ""
    assert not ops[("main", "STATEFUL /links")].required
    # a version 4 file listed only what ran and has no selection: it loads with its old verdict
    row = OperationCoverage(host="main", operation="GET /events/", status="passed")
    old = certified_but_for_coverage([row])
    data = old.to_dict()
    for op in data["operations"]:
        for key in ("selection", "by", "required", "edges"):
            op.pop(key)
    data["schema_version"] = 4
    assert RunResult.from_dict(data).verdict == "CERTIFIED"
    assert dataclasses.asdict(RunResult.from_dict(data).operations[0])["selection"] == ""
