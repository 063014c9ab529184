"""The run's pytest session in a child process (``python -m conformance.harness.run_child``).

Like the reference (:mod:`.reference_process`), a run gets its own process: nothing a session
imports or accumulates (test modules, Schemathesis' global registries, Hypothesis state) outlives it
or leaks into the next run in the same interpreter. The resolved settings go to the child over its
stdin, never through a file; the result comes back over a pipe of its own, so pytest's terminal
output (and the live progress bar) goes straight to the user's terminal.

Signals: the child runs in a process group of its own, so the terminal's Ctrl-C reaches only the
parent, which passes exactly one interrupt on to the child's group (the child and its xdist
workers); SIGTERM is passed on the same way. The child then tears its session down (sandbox
cleanup) and reports ``INTERRUPTED``. If the parent dies, the child sees its stdin close and
interrupts itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from conformance.client import AuditEntry
from conformance.config import Settings
from conformance.report import RunResult

INTERNAL_ERROR = 3  # pytest.ExitCode.INTERNAL_ERROR: the child ended without a result
STOP_TIMEOUT = 30.0  # seconds an interrupted child may take to clean up before it is killed


@dataclass
class ChildOutcome:
    """What the child reported: pytest's exit status, the run's result, its errors and audit log."""

    pytest_exit: int
    result: RunResult | None = None
    errors: list[str] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    interrupted: bool = False  # the parent passed a Ctrl-C or SIGTERM on


def _child_env() -> dict[str, str]:
    package_root = str(Path(__file__).resolve().parents[2])  # where `conformance` is importable
    paths = (package_root, os.environ.get("PYTHONPATH", ""))
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


class _Relay:
    """SIGINT/SIGTERM handlers that pass the signal on to the child's process group, once each."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.interrupted = False

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.interrupted = True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGINT)  # the child and its xdist workers unwind like Ctrl-C


@contextlib.contextmanager
def _relaying(proc: subprocess.Popen[str]) -> Iterator[_Relay]:
    relay = _Relay(proc)
    if threading.current_thread() is not threading.main_thread():
        yield relay  # signals reach only the main thread; a caller in a thread stops the child itself
        return
    previous = {sig: signal.signal(sig, relay) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield relay
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """In the parent's own phases (reference start, pre-flight), SIGTERM (a cancelled CI job,
    ``timeout``) unwinds like Ctrl-C, so what was started is stopped; during the session the relay
    takes over."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_in_child(settings: Settings, args: Sequence[str], *, whole_catalogue: bool = True,
                 deadline_at: float | None = None) -> ChildOutcome:
    """Run ``pytest.main(args)`` with ``settings`` in a child process; wait for it and read its outcome.

    ``deadline_at`` (epoch seconds): when ``settings.deadline`` passes; the child interrupts itself then."""
    read_fd, write_fd = os.pipe()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "conformance.harness.run_child", str(write_fd)],
            stdin=subprocess.PIPE, text=True, encoding="utf-8", env=_child_env(),
            pass_fds=(write_fd,), process_group=0,
        )
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    message = {"settings": settings.to_dict(), "args": list(args), "whole_catalogue": whole_catalogue,
               "deadline_at": deadline_at}
    with _relaying(proc) as relay, os.fdopen(read_fd, "r", encoding="utf-8") as results:
        try:
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(message) + "\n")
            proc.stdin.flush()
            line = results.readline()  # blocks until the child reports (or ends without a word)
            proc.wait()
        except BaseException:  # the parent itself is going down: do not leave the child behind
            _stop(proc)
            raise
        finally:
            with contextlib.suppress(OSError):
                if proc.stdin is not None:
                    proc.stdin.close()
    return _outcome(line, proc.returncode, interrupted=relay.interrupted)


def _stop(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _outcome(line: str, returncode: int, *, interrupted: bool) -> ChildOutcome:
    try:
        data: dict[str, Any] = json.loads(line) if line else {}
    except ValueError:
        data = {}
    if "pytest_exit" not in data:
        why = f"the run's process ended without a result (exit {returncode})"
        return ChildOutcome(INTERNAL_ERROR, errors=[why], interrupted=interrupted)
    result = RunResult.from_dict(data["result"]) if data.get("result") else None
    return ChildOutcome(
        pytest_exit=int(data["pytest_exit"]),
        result=result,
        errors=[str(e) for e in data.get("errors") or []],
        audit=[AuditEntry(**entry) for entry in data.get("audit") or []],
        interrupted=interrupted,
    )


def option_values(args: Sequence[str], option: str) -> list[str]:
    """Values of ``--option VALUE`` / ``--option=VALUE`` in a pytest argument list."""
    out: list[str] = []
    for i, arg in enumerate(args):
        if arg == option and i + 1 < len(args):
            out.append(args[i + 1])
        elif arg.startswith(option + "="):
            out.append(arg.split("=", 1)[1])
    return out


def redact_outputs(args: Sequence[str]) -> None:
    """Redact what pytest (``--junitxml``) and allure-pytest (``--alluredir``) wrote, with every secret
    known to this process (a user's own ``-- --alluredir X`` included)."""
    from conformance.report import redact_run_outputs

    def where(value: str) -> Path:  # pytest resolves relative paths against the process's cwd
        path = Path(value)
        return path if path.is_absolute() else Path.cwd() / path

    xml = [where(v) for v in option_values(args, "--junitxml") + option_values(args, "--junit-xml")]
    allure = [where(v) for v in option_values(args, "--alluredir")]
    redact_run_outputs(xml, allure)
