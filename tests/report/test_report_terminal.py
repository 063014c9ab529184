"""The closing table and the progress helper, rendered to a recording console."""

from __future__ import annotations

import io
import time
from pathlib import Path

from rich.console import Console

from conformance.report import RunProgress, render_summary, write_all

from .builders import all_passed, sample_result


def console() -> Console:
    return Console(file=io.StringIO(), width=160, record=True, color_system=None)


def test_closing_table(tmp_path: Path) -> None:
    result = sample_result()
    paths = write_all(result, tmp_path)
    con = console()
    render_summary(result, con, report_dir=tmp_path, artifacts=paths)
    out = con.export_text()
    assert "24 passed, 2 failed, 0 partial, 1 not run" in out
    assert "TEN-03" in out
    assert "FAILED" in out
    assert "X-Preferred-Partner-Id naming a partner" in out
    assert "OBJ-02" in out
    assert "needs mode write" in out
    assert "AUTH-01" not in out  # passed rules are counted, not listed
    assert "390 generated over 8 fuzzed operations" in out
    assert "1 min 02 s" in out
    assert "NOT CERTIFIED" in out
    assert str(tmp_path) in out
    assert "certificate.html (" in out
    assert "KiB)" in out


def test_closing_table_when_everything_passed() -> None:
    con = console()
    render_summary(all_passed(), con)
    out = con.export_text()
    assert out.splitlines()[0] == f"fd-conformance run {all_passed().run_id}"  # also when certified
    assert "27 passed, 0 failed, 0 partial, 0 not run" in out
    assert "CERTIFIED" in out
    assert "NOT CERTIFIED" not in out
    assert "FAILED" not in out


def test_progress_counts_outcomes() -> None:
    con = console()
    with RunProgress(con, total=3) as progress:
        progress.advance("tests/a.py::test_x[GET /events/{eid}]", "passed")
        progress.advance("tests/a.py::test_y", "failed")
        progress.advance("tests/a.py::test_z", "skipped")
    assert progress.counts == {"passed": 1, "failed": 1, "skipped": 1}
    progress.stop()  # idempotent


def test_progress_without_timer_draws_only_when_told() -> None:
    buf = io.StringIO()
    con = Console(file=buf, width=80, force_terminal=True, color_system=None)
    progress = RunProgress(con, total=2, auto_refresh=False)
    progress.start()
    drawn = buf.getvalue()
    time.sleep(0.3)  # a timer thread would redraw about three times here
    assert buf.getvalue() == drawn
    progress.advance("t.py::test_a_rather_long_name_" + "x" * 200, "passed")
    line = buf.getvalue()[len(drawn):].split("\r")[-1]
    assert "1/2" in line
    assert "1✓" in line
    assert len(line.replace("\x1b[2K", "")) <= 80  # the test name is cut, the bar and counts stay
    progress.stop()


def test_layout_warnings_are_shown_and_written_but_do_not_block(tmp_path: Path) -> None:
    from conformance.report import load_results
    from conformance.report._markdown import render_markdown

    result = all_passed("r")
    certified = result.verdict
    assert certified == "CERTIFIED"
    result.warnings = ["target.main https://gw/fd does not end in /v3 (the documented base is …)"]
    assert result.verdict == certified  # a warning is information, never a verdict
    paths = write_all(result, tmp_path)
    con = console()
    render_summary(result, con, report_dir=tmp_path, artifacts=paths)
    assert "does not end in /v3" in con.export_text()
    assert "### Warnings (the target's layout)" in render_markdown(result)
    assert load_results(tmp_path).warnings == result.warnings
    assert all_passed("r").to_dict()["warnings"] == []  # the documented layout warns of nothing
