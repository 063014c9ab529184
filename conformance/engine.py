"""``fdconf run``: resolve settings, start the reference if no target, pre-flight, run pytest, map the exit.

One run = one ``pytest.main`` over the scenario and fuzz packages with the fdconf plugin, in an
isolated pytest configuration (a packaged ini, ``--rootdir`` at the package's parent, no cache), so a
user's own pytest setup never leaks in. The settings travel to pytest (and its xdist workers) as a
private JSON file that is deleted when the run ends.

Exit codes: 0 every rule that ran passed; 1 findings (a rule failed, or a test broke in a way no rule
can carry); 2 usage, configuration or target error (one line + hint, no traceback).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import re
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conformance.auth.session import make_sessions
from conformance.client.http import Api, Transport
from conformance.client.patience import TRANSIENT_STATUSES, Patience
from conformance.config import Settings, load_settings
from conformance.errors import CredentialsError, TargetError, TargetUnavailable, UsageError
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


def pytest_args(settings: Settings, settings_file: Path, report_dir: Path,
                extra: Sequence[str] = (), *, progress: str = "auto") -> list[str]:
    """The argument list for ``pytest.main`` (isolated config; reports under ``report_dir``)."""
    packages = [p for p in TEST_PACKAGES if (p != "conformance.fuzz" or settings.fuzz) and _has_tests(p)]
    args = [
        "-p", plugin_name(), "-c", str(INI_FILE), "--rootdir", str(PACKAGE_DIR.parent),
        "--confcutdir", str(PACKAGE_DIR), "-p", "no:cacheprovider",
        "--fd-settings-file", str(settings_file), "--fd-progress", progress,
        "--junitxml", str(report_dir / "pytest-junit.xml"),
    ]
    if settings.allure:
        args += ["--alluredir", str(report_dir / "allure-results")]
    if settings.workers:
        args += ["-n", str(settings.workers)]
    return [*args, *extra, "--pyargs", *packages]


def preflight(settings: Settings, transport: Transport) -> dict[str, list[str]]:
    """Reach the target and sign in every persona; :class:`TargetError`/:class:`CredentialsError` if not.

    A target that is briefly down (502/503/504, a refused or dropped connection) is retried with
    backoff for up to ``run.retry_wait`` seconds before the run gives up with the last cause.
    Returns each persona's partners as discovered at sign-in (for the report's persona list).
    """
    return Patience(settings.retry_wait).call(lambda: _preflight_once(settings, transport))


def _preflight_once(settings: Settings, transport: Transport) -> dict[str, list[str]]:
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
        Api(transport, settings.cr).get("/events/")  # any HTTP answer proves the CR host is there
    partners: dict[str, list[str]] = {}
    for name, session in make_sessions(settings, transport).items():
        session.sign_in()
        partners[name] = session.partners
        if session.static:
            check = Api(transport, settings.main, token=session.access_token, partner=session.partner)
            answer = check.get("/partners/")
            if answer.status == 401:
                raise CredentialsError(f"persona '{name}' (static token): GET /partners/ answered 401",
                                       f"put a valid AccessToken in [personas.{name}] token")
    return partners


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a cancelled CI job, ``timeout``) unwinds like Ctrl-C: without this, Python dies without
    running ``finally`` blocks and the private settings file (passwords) would stay behind."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def _settings_file(settings: Settings) -> Iterator[Path]:
    # Secrets inside: a private temp file (mode 0600), never in the report folder, always removed.
    fd, name = tempfile.mkstemp(prefix="fdconf-settings-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(settings.to_json())
        yield Path(name)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)


class _ResultSink:
    """Picks the RunResult and the plugin's error list off the session once the plugin built them."""

    def __init__(self) -> None:
        self.result: RunResult | None = None
        self.errors: list[str] = []

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from conformance.plugin import run_errors, run_result

        self.result = run_result(session.config)
        self.errors = run_errors(session.config)


def exit_code(pytest_exit: int, result: RunResult | None, errors: Sequence[str], *, strict: bool) -> int:
    """Map pytest's exit status and the run's result to 0 / 1 / 2 (130 when interrupted)."""
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
    if counts["passed"] == 0:
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

    Whatever happens (an exception, Ctrl-C, SIGTERM), a reference started here is stopped, the
    transport is closed, the private settings file is removed and the files pytest and allure-pytest
    wrote are redacted.
    """
    where = cwd or Path.cwd()
    settings = load_settings(config=config, flags=flags, environ=environ, cwd=where)
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
        stack.enter_context(_terminate_as_interrupt())
        if settings.embedded:
            from conformance.harness.embedded import check_defects, settings_for_stack, start_reference

            if reference is None:
                reference = start_reference(settings.defects)
                stack.callback(reference.stop)
            else:
                check_defects(settings.defects)
            settings = settings_for_stack(settings, reference)
        echo(_describe(settings))
        transport = stack.enter_context(Transport(**settings.transport_options(), allow_writes=False))
        settings = settings.with_partners(preflight(settings, transport))
        settings_file = stack.enter_context(_settings_file(settings))
        sink = _ResultSink()
        args = pytest_args(settings, settings_file, report_dir, extra_args, progress=progress)
        stack.callback(_redact_outputs, args)  # runs first when the stack unwinds
        _forget_collected_modules()
        rc = int(pytest.main(args, plugins=[sink]))
    code = exit_code(rc, sink.result, sink.errors, strict=strict)
    if code == EXIT_INTERRUPTED:
        echo("fdconf: interrupted (Ctrl-C or SIGTERM)")
    elif rc == pytest.ExitCode.NO_TESTS_COLLECTED:
        echo("fdconf: no test matched the selection (--rules / --shard); nothing was checked")
    elif code == EXIT_USAGE and sink.result is not None and not sink.result.counts()["passed"]:
        echo("fdconf: no rule could run (reasons above): configure personas, or change --mode / --rules")
    echo(f"fdconf: seed {settings.seed}, reports in {report_dir}, exit {code}")
    return RunOutcome(code, settings, sink.result, report_dir, rc, sink.errors)


_RUN_MODULES = re.compile(r"^conformance\.(fuzz|scenarios)\.(test_\w+|conftest)$")


def _forget_collected_modules() -> None:
    """Drop the suite's test modules and conftests from ``sys.modules``: they hold collection-time state
    (the run's settings, case counters, HTTP sessions), and pytest reuses an imported module, so a second
    run in the same process (the self-tests, a tool embedding :func:`run`) would inherit the first's."""
    for name in [name for name in sys.modules if _RUN_MODULES.match(name)]:
        del sys.modules[name]


def _option_values(args: Sequence[str], option: str) -> list[str]:
    """Values of ``--option VALUE`` / ``--option=VALUE`` in a pytest argument list."""
    out: list[str] = []
    for i, arg in enumerate(args):
        if arg == option and i + 1 < len(args):
            out.append(args[i + 1])
        elif arg.startswith(option + "="):
            out.append(arg.split("=", 1)[1])
    return out


def _redact_outputs(args: Sequence[str]) -> None:
    """Redact what pytest (``--junitxml``) and allure-pytest (``--alluredir``) wrote, with every secret
    of the run known by now (a user's own ``-- --alluredir X`` included)."""
    from conformance.report import redact_run_outputs

    def where(value: str) -> Path:  # pytest.main resolves relative paths against the process's cwd
        path = Path(value)
        return path if path.is_absolute() else Path.cwd() / path

    xml = [where(v) for v in _option_values(args, "--junitxml") + _option_values(args, "--junit-xml")]
    allure = [where(v) for v in _option_values(args, "--alluredir")]
    redact_run_outputs(xml, allure)


def main_run(**kwargs: Any) -> int:
    """:func:`run` for the CLI: usage errors become one line on stderr and exit 2."""
    try:
        return run(**kwargs).exit_code
    except UsageError as exc:
        print(exc.one_line(), file=sys.stderr)
        return EXIT_USAGE
