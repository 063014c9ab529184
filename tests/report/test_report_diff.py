"""diff_runs: new failures, fixed, still failing, newly not run; per rule and per fuzzed operation."""

from __future__ import annotations

from pathlib import Path

from conformance.report.diff import diff_runs, has_new_failures, render_markdown, render_text
from conformance.report.load import load_results
from conformance.report.writer import write_all

from .builders import all_passed, sample_result


def keys(items: list) -> set[str]:  # type: ignore[type-arg]
    return {i.key for i in items}


def test_categories_per_rule_and_operation() -> None:
    old = sample_result(
        {"RUN-01": "failed", "CID-01": "passed"},
        run_id="old",
        failing_ops=(("cr", "PUT /events/{eid}"), ("main", "GET /events/")),
    )
    new = sample_result(
        {"RUN-01": "passed", "CID-01": "not_run", "WAV-01": "failed"},
        run_id="new",
        failing_ops=(("cr", "PUT /events/{eid}"), ("main", "GET /partners/")),
    )
    d = diff_runs(old, new)
    # TEN-03, SCH-01 fail in both; WAV-01 is new; RUN-01 fixed; CID-01 ran before, not now.
    assert keys(d.new_failures) == {"WAV-01", "main GET /partners/"}
    assert keys(d.still_failing) == {"TEN-03", "SCH-01", "cr PUT /events/{eid}"}
    assert keys(d.fixed) == {"RUN-01", "main GET /events/"}
    assert keys(d.newly_not_run) == {"CID-01"}
    assert has_new_failures(d)
    wav = next(i for i in d.new_failures if i.key == "WAV-01")
    assert wav.detail.startswith("WAV-01 violated")


def test_not_run_before_and_failing_now_is_new() -> None:
    old = sample_result(run_id="old")  # OBJ-02 not run
    new = sample_result({"OBJ-02": "failed"}, run_id="new")
    d = diff_runs(old, new)
    assert keys(d.new_failures) == {"OBJ-02"}
    assert not d.newly_not_run


def test_rule_missing_from_new_run_is_newly_not_run() -> None:
    old = all_passed("old")
    new = all_passed("new")
    new.rules = [r for r in new.rules if r.id != "PAG-01"]
    d = diff_runs(old, new)
    assert keys(d.newly_not_run) == {"PAG-01"}
    assert not has_new_failures(d)


def test_identical_runs_have_no_new_failures() -> None:
    d = diff_runs(sample_result(run_id="a"), sample_result(run_id="b"))
    assert not has_new_failures(d)
    assert keys(d.still_failing) == {"TEN-03", "SCH-01", "cr PUT /events/{eid}"}
    assert not d.fixed
    assert not d.newly_not_run


def test_renderings(tmp_path: Path) -> None:
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    write_all(all_passed("run-old"), old_dir)
    write_all(sample_result(run_id="run-new"), new_dir)
    d = diff_runs(load_results(old_dir), load_results(new_dir / "results.json"))
    text = render_text(d)
    assert text.startswith("fdconf diff run-old -> run-new: CERTIFIED -> NOT CERTIFIED")
    assert "New failures (3)" in text
    assert "  TEN-03 " in text
    assert "  cr PUT /events/{eid}: 2 of 40" in text
    assert "Newly not run (2)" in text
    md = render_markdown(d)
    assert md.startswith("## fd-conformance diff: ❌ new failures")
    assert "| 3 | 0 | 0 | 0 | 2 |" in md
    assert "### New failures" in md
    assert "### Fixed" not in md
    back = diff_runs(load_results(new_dir), load_results(old_dir))
    assert "✅ no new failures" in render_markdown(back)
    assert keys(back.fixed) == {"TEN-03", "SCH-01", "cr PUT /events/{eid}"}
