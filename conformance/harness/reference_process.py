"""The embedded reference, run as a child process (``python -m conformance.reference.child``).

A child process gives the server its own interpreter lock, so fuzzing is not slowed by serving its own
requests. The child is started in a session of its own: a Ctrl-C reaches only the suite, which then
stops the child in order (stdin closed, then SIGTERM, then SIGKILL). If the suite dies, the child sees
its stdin close and stops by itself. The child's log (uvicorn warnings) goes to a temporary file,
quoted when the child fails to start and removed at stop.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from conformance.errors import TargetError

START_TIMEOUT = 60.0  # seconds; a cold start (imports, moto, two servers) takes about 1-2 s
STOP_TIMEOUT = 5.0  # per step: stdin closed, SIGTERM, SIGKILL


class ReferenceProcess:
    """A running reference child: its base URLs and personas, as :class:`ReferenceStack` exposes them."""

    def __init__(self, defects: Sequence[str] = ()) -> None:
        self.defects = tuple(defects)
        self.main_base = self.cr_base = self.media_base = ""
        self.personas: dict[str, dict[str, Any]] = {}
        self._proc: subprocess.Popen[str] | None = None
        self._log: Path | None = None

    def start(self, timeout: float = START_TIMEOUT) -> ReferenceProcess:
        fd, name = tempfile.mkstemp(prefix="fdconf-reference-", suffix=".log")
        self._log = Path(name)
        package_root = str(Path(__file__).resolve().parents[2])  # where `conformance` is importable
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)}
        try:  # from the log's creation on: an interrupt while starting must leave nothing behind
            with os.fdopen(fd, "w") as log:
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", "conformance.reference.child", *self.defects],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
                    encoding="utf-8", env=env, start_new_session=True,
                )
            info = self._handshake(timeout)
        except BaseException:
            self.stop()
            raise
        self.main_base, self.cr_base, self.media_base = info["main"], info["cr"], info["media"]
        self.personas = dict(info["personas"])
        return self

    def _handshake(self, timeout: float) -> dict[str, Any]:
        assert self._proc is not None
        assert self._proc.stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        stdout: IO[str] = self._proc.stdout
        threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            raise self._failed(f"no answer within {timeout:.0f} s") from None
        try:
            info = json.loads(line) if line else {"error": f"it exited with code {self._proc.wait()}"}
        except ValueError:
            info = {"error": f"unexpected output {line[:200]!r}"}
        if "error" in info:
            raise self._failed(str(info["error"]))
        return dict(info)

    def _failed(self, why: str) -> TargetError:
        tail = ""
        if self._log is not None and self._log.exists():
            text = self._log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            tail = f" (log: {' | '.join(text[-3:])})" if text else ""
        return TargetError(f"the embedded reference did not start: {why}{tail}",
                           "run `fdconf serve` to see the reference start in the foreground")

    def stop(self) -> None:
        """Stop the child (stdin closed, then SIGTERM, then SIGKILL) and remove its log; safe twice."""
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(OSError):
                if proc.stdin is not None:
                    proc.stdin.close()
            for escalate in (None, proc.terminate, proc.kill):
                if escalate is not None:
                    with contextlib.suppress(OSError):
                        escalate()
                try:
                    proc.wait(timeout=STOP_TIMEOUT)
                    break
                except subprocess.TimeoutExpired:
                    continue
            if proc.stdout is not None:
                proc.stdout.close()
        if self._log is not None:
            with contextlib.suppress(OSError):
                self._log.unlink()
            self._log = None

    def __enter__(self) -> ReferenceProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
