"""Partial rules, judged counts and run errors in every rendering, and version 1 results still load."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from rich.console import Console

from conformance.report.certificate import render_certificate
from conformance.report.diff import diff_runs
from conformance.report.diff import render_markdown as diff_markdown
from conformance.report.junit import render_junit
from conformance.report.load import load_results
from conformance.report.markdown import render_markdown
from conformance.report.model import CheckResult, RunError, RunResult
from conformance.report.terminal import render_summary
from conformance.report.writer import write_all

from .builders import all_passed


def partial_run(run_id: str = "run-partial") -> RunResult:
    result = all_passed(run_id)
    rule = next(r for r in result.rules if r.id == "OBJ-01")
    rule.status = "partial"
    rule.reason = "OBJ-01 foreign-eid-404: 0 of 21 judged on main (control: other gets 404 x21)"
    rule.checks = [CheckResult("foreign-eid-404", "main", judged=0, operations=21,
                               unexercised={"control: other gets 404": 21})]
    passed = next(r for r in result.rules if r.id == "OBJ-04")
    passed.checks = [CheckResult("foreign-equals-never", "main", judged=19, operations=20,
                                 unexercised={"control: other gets 404": 1})]
    return result


def test_partial_blocks_certified_and_shows_everywhere(tmp_path: Path) -> None:
    result = partial_run()
    assert result.verdict == "NOT CERTIFIED"
    assert result.counts()["partial"] == 1
    md = render_markdown(result)
    assert "### Rules partial" in md
    assert "| OBJ-01 | 0/21 |" in md
    assert "foreign-equals-never on main: 19 of 20 judged (control: other gets 404 x1)" in md
    junit = ET.fromstring(render_junit(result))
    case = next(c for c in junit.iter("testcase") if c.get("name", "").startswith("OBJ-01"))
    skipped = case.find("skipped")
    assert skipped is not None
    assert skipped.get("message", "").startswith("partial: OBJ-01 foreign-eid-404")
    assert "judged 0/21" in (case.findtext("system-out") or "")
    page = render_certificate(result, "0" * 64)
    assert '<span class="badge partial">PARTIAL</span>' in page
    assert "1 required rule only partly judged (OBJ-01)" in page
    out: list[str] = []
    console = Console(file=_Sink(out), width=160, force_terminal=False, color_system=None)
    render_summary(result, console)
    text = "".join(out)
    assert "PARTIAL" in text
    assert "0/21" in text
    assert "26 passed, 0 failed, 1 partial, 0 not run" in text
    write_all(result, tmp_path / "r")
    again = load_results(tmp_path / "r")
    assert again.rules == result.rules


def test_run_errors_block_certified_and_count_in_junit() -> None:
    result = all_passed()
    assert result.verdict == "CERTIFIED"
    result.errors = [
        RunError("teardown error", "t::x", "cleanup broke"),
        RunError("test error", "t::y", "boom"),
    ]
    assert result.verdict == "NOT CERTIFIED"
    root = ET.fromstring(render_junit(result))
    assert root.get("errors") == "2"
    run_suite = next(s for s in root.iter("testsuite") if s.get("name") == "run")
    assert run_suite.get("errors") == "2"
    assert "### Run errors" in render_markdown(result)
    assert "the run had 2 errors." in render_certificate(result, "0" * 64)


def test_version_1_results_still_load_and_diff(tmp_path: Path) -> None:
    data = all_passed("run-v1").to_dict()
    data["schema_version"] = 1
    for rule in data["rules"]:
        rule.pop("checks")
    data.pop("errors")
    data["summary"].pop("partial")
    (tmp_path / "results.json").write_text(json.dumps(data), encoding="utf-8")
    old = load_results(tmp_path)
    assert old.schema_version == 1
    assert old.verdict == "CERTIFIED"
    diff = diff_runs(old, partial_run("run-v2"))
    assert [i.key for i in diff.newly_partial] == ["OBJ-01"]
    assert diff.newly_partial[0].detail.startswith("judged 0/21: OBJ-01 foreign-eid-404")
    assert "| 0 | 0 | 0 | 1 | 0 |" in diff_markdown(diff)


class _Sink:
    def __init__(self, out: list[str]) -> None:
        self.out = out

    def write(self, text: str) -> int:
        self.out.append(text)
        return len(text)

    def flush(self) -> None:
        return None
