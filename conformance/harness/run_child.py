"""``python -m conformance.harness.run_child RESULT_FD``: one run's pytest session, in its own process.

Started by :class:`conformance.harness.run_process.RunProcess`. Protocol:

* stdin, first line: ``{"settings": {...}, "args": [...], "whole_catalogue": bool, "deadline_at":
  float | null}`` — the resolved settings (secrets included: they travel over the pipe, never
  through a file), pytest's arguments and when ``run.deadline`` passes (epoch seconds; counted from
  the start of ``fdconf run``, see :mod:`conformance.harness.cutoff`). stdin then stays open:
  when it closes (the parent is gone) the run is interrupted.
* ``RESULT_FD`` (a pipe the parent passed): one JSON line when the session is over,
  ``{"pytest_exit": int, "result": RunResult dict | null, "errors": [...], "audit": [...]}``.
* SIGINT and SIGTERM interrupt the session like Ctrl-C: pytest tears the session fixtures down (the
  write-mode sandbox is cleaned up), writes what it has, and exits with ``INTERRUPTED``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Any

import pytest

from conformance.config import Settings
from conformance.harness.activation import GivenSettings
from conformance.harness.cutoff import Deadline
from conformance.harness.run_process import redact_outputs
from conformance.harness.state import audit_of, run_errors, run_result


class _Outcome:
    """Picks the result, the errors and the audit log off the session at its very end."""

    def __init__(self) -> None:
        self.payload: dict[str, Any] = {"result": None, "errors": [], "audit": []}

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        result = run_result(config)
        self.payload = {
            "result": result.to_dict() if result is not None else None,
            "errors": run_errors(config),
            "audit": [entry.to_dict() for entry in audit_of(config)],
        }


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _watch_parent() -> None:
    sys.stdin.read()  # returns at EOF: the parent closed the pipe or died
    os.kill(os.getpid(), signal.SIGTERM)


def main(argv: Sequence[str]) -> int:
    result_fd = int(argv[0])
    message = json.loads(sys.stdin.readline())
    settings = Settings.from_dict(message["settings"])
    # A parent started in the background (`fdconf run &` in a script) passes SIGINT on as ignored:
    # the relayed interrupt must always land. SIGTERM (CI cancel, `timeout`) unwinds like Ctrl-C.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    threading.Thread(target=_watch_parent, daemon=True, name="fdconf-parent-watch").start()
    outcome = _Outcome()
    given = GivenSettings(settings, whole_catalogue=bool(message.get("whole_catalogue", True)))
    plugins: list[object] = [given, outcome]
    if message.get("deadline_at") is not None and settings.deadline:
        plugins.append(Deadline(float(message["deadline_at"]), settings.deadline))
    try:
        code = int(pytest.main(list(message["args"]), plugins=plugins))
    except KeyboardInterrupt:  # before pytest's session took over (while it started up)
        code = int(pytest.ExitCode.INTERRUPTED)
    try:
        redact_outputs(message["args"])
    finally:
        with os.fdopen(result_fd, "w", encoding="utf-8") as out:
            out.write(json.dumps({"pytest_exit": code, **outcome.payload}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
