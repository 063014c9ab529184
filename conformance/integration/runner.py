"""The sandbox session: start the recording reference, run or serve the integration, judge, report.

``run`` hands COMMAND the variables of CONTRACT §7 in its environment and waits for it (bounded by
``--timeout``); ``serve`` prints them and records until Ctrl-C or ``--duration``; both then judge the
recording. ``judge`` re-judges a saved recording. The recording is saved (already redacted) as
``recording.json`` beside the usual reports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance.errors import ConfigError, TargetError
from conformance.integration.allure import write_allure_results
from conformance.integration.journey import render_journey_markdown
from conformance.integration.judge import build_result
from conformance.integration.recording import RECORDING_FILE, journey_from, load_recording
from conformance.redact import REDACTOR
from conformance.report import SUMMARY_FILE, RunResult, write_all

SERVICE_PERSONA = "integration"
EXIT_OK, EXIT_FINDINGS = 0, 1


@dataclass(frozen=True)
class Session:
    """What the integration is given: the variables of CONTRACT §7 (the password stays out of reports)."""

    main: str
    cr: str
    media: str
    username: str
    password: str
    partner_id: str

    def environment(self) -> dict[str, str]:
        return {
            "FD_BASE_URL": self.main,
            "CR_BASE": self.cr,
            "FD_USERNAME": self.username,
            "FD_PASSWORD": self.password,
            "FD_PARTNER_ID": self.partner_id,
        }


def _conditions(faults: str | None, seed: int) -> Any:
    from conformance.reference.faults import Conditions

    try:
        return Conditions.parse(faults, seed=seed)
    except ValueError as exc:
        raise ConfigError(
            f"--faults {faults!r}: {exc}", "e.g. --faults tokens=60,budgets,bursts,refresh or none"
        ) from None


def _start(faults: str | None, seed: int) -> tuple[Any, Session]:
    try:
        from conformance.reference.stack import ReferenceStack
    except ImportError as exc:
        raise TargetError(
            f"the sandbox (embedded reference) is not available ({exc})", "reinstall fd-conformance"
        ) from exc
    stack = ReferenceStack(sandbox=_conditions(faults, seed))
    try:
        stack.start()
    except (OSError, RuntimeError) as exc:
        raise TargetError(
            f"the sandbox could not start: {exc}", "check that loopback ports are free"
        ) from None
    from conformance.ids import PARTNER_RE

    try:
        user = stack.dataset.persona(SERVICE_PERSONA)
    except KeyError:
        stack.stop()
        raise TargetError(
            f"the sandbox dataset has no user with persona {SERVICE_PERSONA!r}",
            "restore fixtures/reference-data.yaml (it defines the sandbox service account)",
        ) from None
    partners = [g for g in user["groups"] if PARTNER_RE.match(g)]
    REDACTOR.add(user["password"])
    session = Session(
        stack.main_base, stack.cr_base, stack.media_base, user["username"], user["password"], partners[0]
    )
    stack.recorder.meta.update(
        {
            "partner_id": session.partner_id,
            "username": session.username,
            "seed": seed,
            "targets": {"main": session.main, "cr": session.cr, "media": session.media},
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    )
    return stack, session


def _command_status(command: Sequence[str], session: Session, timeout: float) -> dict[str, Any]:
    env = {**os.environ, **session.environment(), "PYTHONUNBUFFERED": "1"}
    started = time.monotonic()
    try:
        proc = subprocess.Popen(list(command), env=env)
    except OSError as exc:
        raise ConfigError(
            f"COMMAND {command[0]!r} could not be started: {exc.strerror or exc}",
            "pass the integration's test command after `--`, e.g. -- pytest tests/integration",
        ) from None
    try:
        code: int | None = proc.wait(timeout=timeout)
        status = "exited"
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        code, status = None, "timeout"
    return {
        "argv": [Path(command[0]).name, *command[1:]],
        "status": status,
        "exit_code": code,
        "seconds": round(time.monotonic() - started, 2),
        "timeout": timeout,
    }


def report(
    document: dict[str, Any], out: Path, command: dict[str, Any], duration: float, echo: Callable[[str], None]
) -> int:
    """Judge a recording document, write every report into ``out``, print the verdict; the exit code."""
    out.mkdir(parents=True, exist_ok=True)
    (out / RECORDING_FILE).write_text(
        REDACTOR.text(json.dumps(document, indent=1, ensure_ascii=False)) + "\n", encoding="utf-8"
    )
    journey = journey_from(document)
    meta = document.get("meta") or {}
    result = build_result(
        journey,
        targets=dict(meta.get("targets") or {}),
        started_at=str(meta.get("started_at", "")),
        duration=duration,
        seed=int(meta.get("seed", 0)),
        command=command,
    )
    write_all(result, out)
    write_allure_results(result, out)
    summary = out / SUMMARY_FILE
    summary.write_text(
        summary.read_text(encoding="utf-8")
        + "\n"
        + _command_line(command)
        + "\n\n"
        + render_journey_markdown(result.integration["journey"]),
        encoding="utf-8",
    )
    _print(result, command, out, echo)
    return EXIT_FINDINGS if any(r.status == "failed" for r in result.rules) else EXIT_OK


def _command_line(command: dict[str, Any]) -> str:
    if not command:
        return "COMMAND: none (recorded session)"
    shown = "timed out" if command.get("status") == "timeout" else f"exit status {command.get('exit_code')}"
    return f"COMMAND `{' '.join(command.get('argv', []))}`: {shown} after {command.get('seconds')} s"


def _print(result: RunResult, command: dict[str, Any], out: Path, echo: Callable[[str], None]) -> None:
    for rule in result.rules:
        line = f"{rule.id:7} {rule.status:8} {rule.title}"
        echo(line if not rule.reason else f"{line}\n        {rule.reason}")
    steps = ", ".join(f"{r['step']}: {r['status']}" for r in result.integration["journey"])
    echo(f"journey: {steps}")
    counts = result.counts()
    echo(
        f"{result.verdict} — {counts.get('passed', 0)} passed, {counts.get('failed', 0)} failed, "
        f"{counts.get('partial', 0)} partial, {counts.get('not_run', 0)} not run; {_command_line(command)}"
    )
    echo(f"reports in {out}")


def default_dir(report_dir: str | None) -> Path:
    return (
        Path(report_dir)
        if report_dir
        else Path("reports") / f"integration-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    )


def run(
    command: Sequence[str],
    *,
    faults: str | None,
    timeout: float,
    seed: int,
    report_dir: str | None,
    echo: Callable[[str], None],
) -> int:
    """``fdconf integration run``: the exit code (0 no rule failed, 1 findings; usage errors raise)."""
    if not command:
        raise ConfigError(
            "no COMMAND given", "pass the integration's command after `--`, e.g. -- python drive.py"
        )
    out = default_dir(report_dir)
    started = time.monotonic()
    stack, session = _start(faults, seed)
    try:
        echo(f"sandbox: main {session.main}, CR {session.cr}; acting for {session.partner_id}")
        command_status = _command_status(command, session, timeout)
    finally:
        stack.stop()  # lets requests still in flight finish, so their records are in
    document = stack.recorder.document()
    return report(document, out, command_status, time.monotonic() - started, echo)


def serve(
    *,
    faults: str | None,
    duration: float | None,
    seed: int,
    report_dir: str | None,
    echo: Callable[[str], None],
) -> int:
    """``fdconf integration serve``: print the variables, record until Ctrl-C or ``duration``, judge."""
    out = default_dir(report_dir)
    started = time.monotonic()
    stack, session = _start(faults, seed)
    try:
        for name, value in session.environment().items():
            echo(f"export {name}={value}")
        echo("recording; Ctrl-C to stop and judge" + (f" (or after {duration:g} s)" if duration else ""))
        sys.stdout.flush()
        try:
            while duration is None or time.monotonic() - started < duration:
                time.sleep(0.2)
        except KeyboardInterrupt:
            echo("stopping")
    finally:
        stack.stop()
    document = stack.recorder.document()
    return report(document, out, {}, time.monotonic() - started, echo)


def judge_saved(directory: str, out: str | None, echo: Callable[[str], None]) -> int:
    """``fdconf integration judge DIR``: re-judge a saved recording (reports into ``out`` or DIR)."""
    source = Path(directory)
    document = load_recording(source)
    previous: dict[str, Any] = {}
    results = (source if source.is_dir() else source.parent) / "results.json"
    if results.is_file():
        try:
            previous = (
                json.loads(results.read_text(encoding="utf-8")).get("integration", {}).get("command", {})
            )
        except ValueError:
            previous = {}
    target = Path(out) if out else (source if source.is_dir() else source.parent)
    return report(document, target, previous, 0.0, echo)
