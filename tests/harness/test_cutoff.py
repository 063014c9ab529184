"""Runs that end on purpose: the run-wide deadline, and a target that stops answering mid-run.

* ``--deadline``: a selection that takes longer than its deadline stops like an interrupt; every report
  is written, completion says ``deadline`` ("deadline 3 s reached"), the verdict is INCOMPLETE, exit 1.
* Target death: a loopback gateway in front of the reference's main host answers normally, then stops
  listening mid-run (every connection refused, as a crashed host). Before, each operation met its
  own "connection refused"; now the run ends with one TargetError naming the last request (exit 2),
  nothing is failed, and what had not run is not run.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from outage_proxy import OutageProxy

from conformance import engine
from conformance.config import load_settings
from conformance.errors import ConfigError

QUIET = lambda _line: None  # noqa: E731


def test_a_deadline_cuts_the_run_short_with_its_reports(reference_stack: Any, tmp_path: Path) -> None:
    # 1 s: shorter than the child's own start, so the selection can never finish first on a fast machine
    started = time.monotonic()
    outcome = engine.run(
        flags={"run.rules": "AUTH,OBJ", "run.fuzz": False, "run.deadline": "1s", "run.seed": 1,
               "run.report_dir": str(tmp_path / "r")},
        environ={}, cwd=tmp_path, reference=reference_stack, echo=QUIET, progress="off",
    )
    took = time.monotonic() - started
    assert outcome.exit_code == 1
    result = outcome.result
    assert result is not None
    assert result.completion["state"] == "deadline"
    assert result.completion["reason"] == "deadline 1 s reached"
    assert result.completion["tests_done"] < result.completion["tests_total"]
    assert result.verdict == "INCOMPLETE"
    doc = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))
    assert doc["completion"]["state"] == "deadline"
    assert doc["verdict"] == "INCOMPLETE"
    summary = (tmp_path / "r" / "summary.md").read_text(encoding="utf-8")
    assert "stopped by its deadline (deadline 1 s reached)" in summary
    assert (tmp_path / "r" / "certificate.html").is_file()
    assert took < 1 + 30, took  # stopped at the deadline, not at the end of the selection


@pytest.mark.parametrize("value", ["15x", "-5", "0", "m"])
def test_a_bad_deadline_is_one_config_error_naming_it(value: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as bad:
        load_settings(flags={"run.deadline": value}, environ={}, cwd=tmp_path)
    line = bad.value.one_line()
    assert "run.deadline (--deadline)" in line
    assert repr(value) in line
    assert "15m" in line
    assert "\n" not in line


@pytest.mark.parametrize(("value", "seconds"), [("90s", 90.0), ("15m", 900.0), ("1h30m", 5400.0),
                                                ("45", 45.0), (2.5, 2.5)])
def test_deadline_durations(value: Any, seconds: float, tmp_path: Path) -> None:
    settings = load_settings(flags={"run.deadline": value}, environ={}, cwd=tmp_path)
    assert settings.deadline == seconds


class DyingGateway(OutageProxy):  # type: ignore[misc]  # tests/ helpers are untyped to mypy
    """Forwards to the reference, then stops listening after ``after`` requests (connections refused)."""

    def __init__(self, upstream: str, after: int) -> None:
        super().__init__(upstream, lambda _m, _p: False, 0)
        self.after = after
        self.died = threading.Event()

    def _down(self, method: str, path: str) -> bool:
        if len(self.seen) + 1 == self.after and not self.died.is_set():
            self.died.set()
            threading.Thread(target=self.stop, daemon=True).start()  # after this answer: refuse all
        return False


@pytest.fixture
def dying(reference_stack: Any) -> Iterator[DyingGateway]:
    origin = re.match(r"http://[^/]+", reference_stack.main_base)
    assert origin
    gateway = DyingGateway(origin.group(0), after=60).start()
    yield gateway
    gateway.stop()


@pytest.mark.slow
def test_a_target_that_dies_mid_run_ends_in_one_target_error(
    reference_stack: Any, dying: DyingGateway, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "fdconf.toml"
    reference_stack.write_config(config)
    text = config.read_text(encoding="utf-8")
    text = text.replace(reference_stack.main_base, dying.base("/api/v3"))
    text = text.replace(reference_stack.media_base, dying.base("/api"))
    config.write_text(text.replace('mode = "publish"', 'mode = "read-only"'), encoding="utf-8")
    outcome = engine.run(
        config=config, environ={}, cwd=tmp_path, echo=QUIET, progress="off",
        flags={"run.rules": "AUTH,OBJ,TEN", "run.fuzz": False, "run.retry_wait": 1, "run.seed": 1,
               "run.report_dir": str(tmp_path / "r")},
    )
    assert dying.died.is_set(), "the gateway never died: the test proves nothing"
    assert outcome.exit_code == 2
    result = outcome.result
    assert result is not None
    assert result.completion["state"] == "target-gone"
    assert result.verdict == "INCOMPLETE"
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("TargetError")]
    assert len(errors) == 1, err[-3000:]
    (line,) = errors
    assert f"http://127.0.0.1:{dying.port}/api/v3/" in line  # names the last request
    assert re.search(r"last request: (GET|HEAD|POST|PUT|DELETE) http://", line), line
    assert "Bearer" not in line
    assert "password" not in line.lower()
    statuses = {r.id: r.status for r in result.rules}
    assert "failed" not in statuses.values(), statuses  # a dead target is no finding
    assert not result.errors, result.errors
    refused = [r for r in result.rules for f in r.findings if "refused" in f.message.lower()]
    assert not refused
    assert result.completion["tests_done"] < result.completion["tests_total"]  # the rest not run


def test_a_bad_deadline_on_the_command_line_is_one_line_and_exit_2(tmp_path: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "conformance", "run", "--deadline", "soon"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("ConfigError: run.deadline (--deadline): 'soon' is not a duration")
    assert "Traceback" not in done.stderr
