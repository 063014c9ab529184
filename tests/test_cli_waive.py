"""``fdconf waive``: writing a waiver, where "a date in the past at creation" is checked literally."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from test_cli import fdconf, one_line_error

from conformance.config import load_settings

TODAY = datetime.now(UTC).date()


def test_waive_appends_a_waiver_the_run_reads(tmp_path: Path) -> None:
    until = (TODAY + timedelta(days=14)).isoformat()
    for ticket in ("FD-1", "FD-2"):
        done = fdconf("waive", "ten-03", "--reason", 'lands in "Q1"', "--ticket", ticket, "--expires", until,
                      "--host", "main", "--operation", "GET /partners/", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        said = f"waiver TEN-03 main GET /partners/ ({ticket}) until {until} appended to waivers.toml"
        assert said in done.stdout
    settings = load_settings(environ={}, cwd=tmp_path, flags={"run.waivers": "waivers.toml"})
    assert [(w.rule, w.ticket, w.reason, w.created) for w in settings.waivers] == [
        ("TEN-03", "FD-1", 'lands in "Q1"', TODAY.isoformat()),
        ("TEN-03", "FD-2", 'lands in "Q1"', TODAY.isoformat()),
    ]


def test_waive_refuses_a_date_already_past_and_writes_nothing(tmp_path: Path) -> None:
    past = (TODAY - timedelta(days=1)).isoformat()
    line = one_line_error(fdconf("waive", "TEN-03", "--reason", "r", "--ticket", "T-1", "--expires", past,
                                 cwd=tmp_path), "ConfigError")
    assert "was already past when the waiver was written" in line
    assert not (tmp_path / "waivers.toml").exists()
    line = one_line_error(fdconf("waive", "TEN-33", "--reason", "r", "--ticket", "T-1", "--expires",
                                 TODAY.isoformat(), cwd=tmp_path), "ConfigError")
    assert "did you mean TEN-03?" in line
    (tmp_path / "waivers.toml").write_text("[run]\nseed = 1\n", encoding="utf-8")
    line = one_line_error(fdconf("waive", "TEN-03", "--reason", "r", "--ticket", "T-1", "--expires",
                                 TODAY.isoformat(), cwd=tmp_path), "ConfigError")
    assert "a waivers file holds only [[waivers]] tables" in line
