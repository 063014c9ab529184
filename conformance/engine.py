"""``fdconf run``: resolve settings, start the reference if no target, pre-flight, run pytest, map the exit.

One run = one pytest session over the scenario and fuzz packages with the fdconf plugin, in a child
process of its own (:mod:`conformance.harness.run_process`) and an isolated pytest configuration (a
packaged ini, ``--rootdir`` at the package's parent, no cache), so a user's own pytest setup never
leaks in and nothing a run imports or accumulates outlives it. The resolved settings travel to the
child over a pipe (and on to xdist workers over their channel): they are never written to disk.

Signals: Ctrl-C and SIGTERM stop a run in every phase with exit 130. Before the pytest session
starts they unwind this process (the reference it started is stopped); during the session they are
passed on to the child, which tears its session down (the write-mode sandbox is cleaned up) first.

Exit codes: 0 every rule that ran passed; 1 findings (a rule failed, or a test broke in a way no rule
can carry), or the run was cut short by its deadline (``--deadline``: INCOMPLETE, reports written);
2 usage, configuration or target error (one line + hint, no traceback), also when the target stopped
answering mid-run (one TargetError naming the last request; the rest is not run).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conformance.auth import make_sessions
from conformance.client import (
    OMIT,
    TRANSIENT_STATUSES,
    Api,
    AuditEntry,
    Patience,
    Throttled,
    Transport,
    budget_for,
    classify,
)
from conformance.config import Settings, load_settings
from conformance.errors import CredentialsError, TargetError, TargetUnavailable, UsageError
from conformance.harness import concurrency
from conformance.harness.layout import layout_warnings
from conformance.harness.run_process import ChildOutcome, redact_outputs, run_in_child, sigterm_as_interrupt
from conformance.harness.selection import resolve_rules_filter
from conformance.report import RunResult, prepare_report_dir
from conformance.rules import catalogue

PACKAGE_DIR = Path(__file__).resolve().parent
INI_FILE = PACKAGE_DIR / "harness" / "fdconf-pytest.ini"
TEST_PACKAGES = ("conformance.scenarios", "conformance.fuzz")
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # Ctrl-C or SIGTERM, as a shell reports SIGINT

Echo = Callable[[str], None]


@dataclass
class RunOutcome:
    """What ``fdconf run`` did: the exit code, the result (if the run got that far) and where reports are."""

    exit_code: int
    settings: Settings
    result: RunResult | None = None
    report_dir: Path | None = None
    pytest_exit: int | None = None
    errors: list[str] = field(default_factory=list)
    #: Every request the run sent (pre-flight first, then the pytest session's), in order per process.
    audit: list[AuditEntry] = field(default_factory=list)


def new_run_id(seed: int, now: datetime | None = None) -> str:
    """``<UTC timestamp>-s<seed>``: sortable, and names the seed that reproduces the run."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-s{seed}"


def plugin_name() -> str:
    """How to name the plugin to ``-p``: the entry point when installed (so it is not registered twice)."""
    for ep in importlib.metadata.entry_points(group="pytest11"):
        if ep.name == "fdconf" and ep.value == "conformance.plugin":
            return "fdconf"
    return "conformance.plugin"


def _has_tests(package: str) -> bool:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return False
    return any(any(Path(loc).glob("test_*.py")) for loc in spec.submodule_search_locations)


def pytest_args(settings: Settings, report_dir: Path, extra: Sequence[str] = (), *,
                progress: str = "auto") -> list[str]:
    """The argument list for the child's ``pytest.main`` (isolated config; reports under ``report_dir``)."""
    packages = [p for p in TEST_PACKAGES if (p != "conformance.fuzz" or settings.fuzz) and _has_tests(p)]
    args = [
        "-p", plugin_name(), "-c", str(INI_FILE), "--rootdir", str(PACKAGE_DIR.parent),
        "--confcutdir", str(PACKAGE_DIR), "-p", "no:cacheprovider", "--fd-progress", progress,
        "--junitxml", str(report_dir / "pytest-junit.xml"),
    ]
    if settings.allure:
        args += ["--alluredir", str(report_dir / "allure-results")]
    if settings.workers:
        args += ["-n", str(settings.workers)]
    return [*args, *extra, "--pyargs", *packages]


@dataclass
class Preflight:
    """What pre-flight learnt: each persona's partners (for the report) and the tokens it was issued
    (handed to the pytest child, so nobody signs in twice)."""

    partners: dict[str, list[str]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)


def preflight(settings: Settings, transport: Transport) -> Preflight:
    """Reach the target and sign in every persona; :class:`TargetError`/:class:`CredentialsError` if not.

    A target that is briefly down (502/503/504, a refused or dropped connection) is retried with
    backoff for up to ``run.retry_wait`` seconds before the run gives up with the last cause.
    """
    def once() -> Preflight:
        try:
            return _preflight_once(settings, transport)
        except Throttled as exc:  # the Transport already backed off: the budget is spent for now
            raise TargetError(f"pre-flight {exc}",
                              "the target's rate budget is spent; wait a minute, or lower run.rate") from None

    return Patience(settings.retry_wait).call(once)


def _preflight_once(settings: Settings, transport: Transport) -> Preflight:
    assert settings.main is not None
    status = Api(transport, settings.main).get("/status/")
    if status.status == 404:
        raise TargetError(f"GET {settings.main}/status/ answered 404",
                          "check target.main is the main API base, ending in /api/v3")
    if status.status >= 500:
        kind = TargetUnavailable if status.status in TRANSIENT_STATUSES else TargetError
        raise kind(f"GET {settings.main}/status/ answered {status.status}",
                   "the target is unhealthy; retry later (or raise run.retry_wait) or check the deployment")
    if settings.cr:
        check_cr_base(settings.cr, transport)
    found = Preflight()
    for name, session in make_sessions(settings, transport).items():
        session.sign_in()
        found.partners[name] = session.partners
        issued = session.handover()
        if issued is not None:
            found.tokens[name] = issued
        if session.static:
            check = Api(transport, settings.main, token=session.access_token, partner=session.partner)
            answer = check.get("/partners/")
            if answer.status == 401:
                raise CredentialsError(f"persona '{name}' (static token): GET /partners/ answered 401",
                                       f"put a valid AccessToken in [personas.{name}] token")
    return found


#: A CR read every CR API documents; the eid need not exist, since the token is checked first.
CR_PROBE = "/events/fdconf-preflight"


def check_cr_base(cr: str, transport: Transport) -> None:
    """Prove ``target.cr`` is the CR API: an unauthenticated CR read answers 401 in the error envelope
    (a JSON object with a ``message``; its finer points are ERR-01's). Anything else — a 200, an HTML
    404 of a web server, a gateway page — is a wrong CR base: :class:`TargetError`, one line."""
    answer = Api(transport, cr).get(CR_PROBE, token=OMIT)
    if answer.status >= 500:
        kind = TargetUnavailable if answer.status in TRANSIENT_STATUSES else TargetError
        raise kind(f"GET {cr}{CR_PROBE} answered {answer.status}",
                   "the CR host is unhealthy; retry later (or raise run.retry_wait) or check target.cr")
    body = answer.json()
    if answer.status == 401 and isinstance(body, dict) and isinstance(body.get("message"), str):
        return
    kind_of = answer.response.headers.get("content-type", "").split(";")[0] or "no content type"
    shape = "the error envelope" if isinstance(body, dict) and "message" in body else kind_of
    raise TargetError(
        f"target.cr {cr} is not the CR API: GET {CR_PROBE} without a token answered "
        f"{answer.status} ({shape}), not 401 with the error envelope",
        "set target.cr (CR_BASE, --cr) to the CR API base, e.g. https://cr-host/api, or leave it out "
        "to run without the CR host",
    )


def exit_code(pytest_exit: int, result: RunResult | None, errors: Sequence[str], *, strict: bool) -> int:
    """Map pytest's exit status and the run's result to 0 / 1 / 2 (130 when interrupted).

    A run cut short by its own deadline is 1 (not certified: the gate did not pass, nobody
    interrupted it); one whose target stopped answering is 2 (a target error, as at pre-flight)."""
    cut = result.completion.get("state") if result is not None else None
    if cut == "deadline":
        return EXIT_FINDINGS
    if cut == "target-gone":
        return EXIT_USAGE
    if pytest_exit == pytest.ExitCode.INTERRUPTED:
        return EXIT_INTERRUPTED
    if pytest_exit in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.NO_TESTS_COLLECTED,
                       pytest.ExitCode.INTERNAL_ERROR) or result is None:
        return EXIT_USAGE
    counts = result.counts()
    # Waived rules (conformance.report.apply_waivers) fail the test run but not the gate.
    blocking = [r for r in result.rules if r.status == "failed" and not r.waiver]
    all_waived = counts["failed"] > 0 and not blocking
    tests_failed = pytest_exit == pytest.ExitCode.TESTS_FAILED and not all_waived
    failed = bool(blocking) or bool(errors) or tests_failed
    if failed or (strict and result.verdict != "CERTIFIED"):
        return EXIT_FINDINGS
    if counts["passed"] == 0 and not counts.get("partial"):
        return EXIT_USAGE  # nothing could run: personas, mode or selection leave no rule to check
    return EXIT_OK


def _describe(settings: Settings) -> str:
    if settings.embedded:
        defects = f" (defects: {', '.join(settings.defects)})" if settings.defects else ""
        where = "embedded reference" + defects
    else:
        where = f"{settings.main}" + (f" + CR {settings.cr}" if settings.cr else "")
    parts = [f"fdconf run {settings.run_id}", f"seed {settings.seed}", f"mode {settings.mode}", where]
    if settings.rules:
        parts.append(f"rules {','.join(settings.rules)}")
    if settings.shard:
        parts.append(f"shard {settings.shard_label}")
    return " | ".join(parts)


def run(
    *,
    config: str | Path | None = None,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    extra_args: Sequence[str] = (),
    strict: bool = False,
    reference: Any = None,
    echo: Echo = print,
    progress: str = "auto",
) -> RunOutcome:
    """Run the suite once. Raises :class:`UsageError` for usage/config/target errors (the CLI maps it to 2).

    ``reference``: an already running :class:`ReferenceStack` to use as the embedded target (tests
    read its request log afterwards); otherwise one is started when no target is configured.
    ``progress``: ``auto`` | ``bar`` | ``lines`` | ``off`` (see :mod:`conformance.harness.progress`).

    The pytest session runs in a child process, also for in-process callers: two runs in one
    interpreter share nothing. Whatever happens (an exception, Ctrl-C, SIGTERM), a reference started
    here is stopped, the child is not left behind and the files pytest and allure-pytest wrote are
    redacted; an interrupted run ends with exit code 130 (a KeyboardInterrupt before the session).
    """
    where = cwd or Path.cwd()
    settings = load_settings(config=config, flags=flags, environ=environ, cwd=where)
    if strict and not settings.strict:  # the child judges flaky findings as failures too
        settings = settings.with_changes(strict=True)
    deadline_at = time.time() + settings.deadline if settings.deadline else None  # run-wide: from now
    if settings.rules:
        resolve_rules_filter(settings.rules, catalogue())  # unknown ids fail before anything starts
    if settings.waivers:
        from conformance.report import check_waivers

        check_waivers(settings.waivers, catalogue())
    run_id = new_run_id(settings.seed)
    report_dir = Path(settings.report_dir) if settings.report_dir else Path("reports") / run_id
    report_dir = report_dir if report_dir.is_absolute() else where / report_dir
    report_dir = prepare_report_dir(report_dir, "report folder")  # before the first request; see outputs.py
    settings = settings.with_changes(run_id=run_id, report_dir=str(report_dir))
    with contextlib.ExitStack() as stack:
        stack.enter_context(sigterm_as_interrupt())
        if settings.embedded:
            from conformance.harness.embedded import check_defects, settings_for_stack, start_reference

            if reference is None:
                reference = start_reference(settings.defects)
                stack.callback(reference.stop)
            else:
                check_defects(settings.defects)
            settings = settings_for_stack(settings, reference)
        echo(_describe(settings))
        for warning in layout_warnings(settings):
            echo(f"fdconf: warning: {warning}")
        settings = _planned(settings, echo)  # before the first request; a budget too small stops here
        # read-only: nothing but sign-ins (which count against the auth budget like any other)
        budget = budget_for(settings.rate, settings.rate_window)
        with Transport(**settings.transport_options(), limiter=budget) as transport:
            found = preflight(settings, transport)
            checked = settings.with_partners(found.partners)
            settings, chosen = concurrency.resolve(
                checked, lambda: concurrency.round_trip(checked, transport))
        settings = settings.with_changes(tokens=found.tokens,
                                         plan=_preflight_sent(settings.plan, transport.audit))
        if chosen:
            echo(f"fdconf: {chosen}")
        if budget is not None:  # the child counts pre-flight's sign-ins as spent, like the target does
            settings = settings.with_changes(rate_spent=tuple(budget.history()))
        args = pytest_args(settings, report_dir, extra_args, progress=progress)
        stack.callback(redact_outputs, args)
        child = run_in_child(settings, args, deadline_at=deadline_at)
    rc = child.pytest_exit
    if child.interrupted:
        rc = int(pytest.ExitCode.INTERRUPTED)
    code = exit_code(rc, child.result, child.errors, strict=strict or settings.strict)
    _explain_end(code, rc, child, echo)
    echo(f"fdconf: seed {settings.seed}, reports in {report_dir}, exit {code}")
    return RunOutcome(code, settings, child.result, report_dir, rc, child.errors,
                      audit=[*transport.audit, *child.audit])


def _planned(settings: Settings, echo: Echo) -> Settings:
    """The run plan printed and carried in the settings; the fuzzing scaled to ``run.budget``."""
    from conformance.harness.plan import make_plan

    plan = make_plan(settings)
    for line in plan.lines():
        echo(line)
    return settings.with_changes(plan=plan.to_dict(), max_examples=plan.scale.max_examples)


def _preflight_sent(plan: Mapping[str, Any], audit: Sequence[AuditEntry]) -> dict[str, Any]:
    """The plan with pre-flight's requests as sent (the pytest child counts the rest)."""
    out = {**plan, "families": {name: dict(entry) for name, entry in plan.get("families", {}).items()}}
    kinds = Counter(classify(entry.method, entry.url) for entry in audit)
    entry = out["families"].setdefault("preflight", {"planned": 0, "planned_by_kind": {}})
    entry["sent"], entry["sent_by_kind"] = sum(kinds.values()), dict(kinds)
    return out


def _explain_end(code: int, rc: int, child: ChildOutcome, echo: Echo) -> None:
    """One closing line saying why a run ended the way it did (nothing for an ordinary end)."""
    cut = child.result.completion if child.result is not None else {}
    if cut.get("state") == "deadline":
        echo(f"fdconf: {cut.get('reason')}: the run stopped early and is INCOMPLETE (reports written)")
    elif cut.get("state") == "target-gone":
        # the usage-error family's line, as for a target unreachable at pre-flight
        gone = TargetError(str(cut.get("reason")), "check the target is running, then run again")
        print(gone.one_line(), file=sys.stderr)
    elif code == EXIT_INTERRUPTED:
        echo("fdconf: interrupted (Ctrl-C or SIGTERM)")
    elif rc == pytest.ExitCode.NO_TESTS_COLLECTED:
        echo("fdconf: no test matched the selection (--rules / --shard); nothing was checked")
    elif rc == pytest.ExitCode.INTERNAL_ERROR and child.errors:
        echo(f"fdconf: {child.errors[0]}")
    elif code == EXIT_USAGE and child.result is not None and not child.result.counts()["passed"] \
            and not child.result.counts().get("partial"):
        echo("fdconf: no rule could run (reasons above): configure personas, or change --mode / --rules")


def main_run(**kwargs: Any) -> int:
    """:func:`run` for the CLI: usage errors become one line on stderr and exit 2."""
    try:
        return run(**kwargs).exit_code
    except UsageError as exc:
        print(exc.one_line(), file=sys.stderr)
        return EXIT_USAGE
