"""The fd-conformance pytest plugin (entry point ``pytest11: fdconf``).

Options (group ``fdconf``): ``--fd-config``, ``--fd-main``, ``--fd-cr``, ``--fd-media``, ``--fd-mode``,
``--fd-seed``, ``--fd-max-examples``, ``--fd-timeout``, ``--fd-rules``, ``--fd-shard I/N``,
``--fd-report-dir``, ``--fd-defect``, ``--fd-settings-file``, ``--fd-no-fuzz``, ``--fd-progress``.
Markers: ``fd_rule(*ids)`` — the rule ids a test gives evidence for; ``fd_needs(mode=None,
personas=())`` — needs beyond the catalogue's.
Fixtures: ``fd_settings``, ``fd_transport``, ``fd_sessions``, ``fd_api``, ``fd_mode``, ``fd_seed``,
``fd_rule_catalogue``, ``fd_sandbox``.

Fixtures live in :mod:`conformance.harness.fixtures`, the hooks of an active run in
:mod:`conformance.harness.runhooks` and live progress in :mod:`conformance.harness.progress`; all are
registered from here. Other suite code reads the run's settings through :func:`settings_of` or
:func:`active_settings`, never through the plugin's state.

The plugin stays inert (markers declared, nothing else) unless an ``--fd-*`` option or settings file
is given or a collected test requests an ``fd_*`` fixture, so unrelated pytest sessions are not
disturbed. Importing it is cheap: only stdlib and pytest at module level; the suite is imported
inside hooks and fixtures.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conformance.config import Settings
    from conformance.harness.results import Collector
    from conformance.harness.selection import Plan
    from conformance.report import FindingRecord, RunResult

HOSTS = ("main", "cr", "media")
_FLAG_KEYS = {
    "fd_main": "target.main", "fd_cr": "target.cr", "fd_media": "target.media", "fd_mode": "run.mode",
    "fd_seed": "run.seed", "fd_max_examples": "run.max_examples", "fd_timeout": "run.timeout",
    "fd_rules": "run.rules", "fd_shard": "run.shard", "fd_report_dir": "run.report_dir",
    "fd_defect": "run.defects",
}


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


#: ``fd_api(partner=DEFAULT)``: the persona's configured or discovered partner.
DEFAULT: Any = _Default()


@dataclass
class RunState:
    """What the plugin knows about the session's run (kept in ``config.stash``)."""

    active: bool = False
    settings: Settings | None = None
    stack: Any = None
    collector: Collector | None = None
    wanted: frozenset[str] | None = None  # rule ids selected by --fd-rules (None = all)
    result: RunResult | None = None
    artifacts: dict[str, Path] = field(default_factory=dict)
    report_error: str = ""
    sessions: dict[str, Any] = field(default_factory=dict)  # fd_sessions of this process, if created


STATE: pytest.StashKey[RunState] = pytest.StashKey()
RESULT: pytest.StashKey[RunResult] = pytest.StashKey()
PLAN: pytest.StashKey[Plan] = pytest.StashKey()
FINDINGS: pytest.StashKey[list[FindingRecord]] = pytest.StashKey()


def state_of(config: pytest.Config) -> RunState:
    return config.stash.setdefault(STATE, RunState())


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def settings_of(config: pytest.Config) -> Settings:
    """The run's resolved settings, activating the plugin first if needed.

    Raises ``pytest.UsageError`` (one line) when the configuration is invalid.
    """
    state = state_of(config)
    if not state.active:
        activate(config)
    assert state.settings is not None
    return state.settings


def active_settings(config: pytest.Config) -> Settings | None:
    """The run's settings if the plugin is active in this session, else ``None`` (no side effects)."""
    state = config.stash.get(STATE, None)
    return state.settings if state is not None and state.active else None


# Kept for conformance.fuzz.runtime until it calls settings_of / active_settings (deprecated).
_settings_of = settings_of


# -- options and markers ---------------------------------------------------------------------------

def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fdconf", "fd-conformance (certify a Future Demand Client API deployment)")
    group.addoption("--fd-config", metavar="FILE",
                    help="fdconf.toml (default: ./fdconf.toml, $FDCONF_CONFIG)")
    group.addoption("--fd-main", metavar="URL", help="main API base URL (…/api/v3); FD_BASE_URL")
    group.addoption("--fd-cr", metavar="URL", help="CR API base URL (…/api); CR_BASE")
    group.addoption("--fd-media", metavar="URL", help="unversioned main base for POST /media")
    group.addoption("--fd-mode", choices=("read-only", "write", "publish"), help="what the run may send")
    group.addoption("--fd-seed", type=int, metavar="N", help="seed for discovery and fuzzing")
    group.addoption("--fd-max-examples", type=int, metavar="N", help="fuzzing-phase cases per operation")
    group.addoption("--fd-timeout", type=float, metavar="S", help="timeout of every request (seconds)")
    group.addoption("--fd-rules", metavar="IDS", help="comma list of rule ids or families (TEN-03,OBJ)")
    group.addoption("--fd-shard", metavar="I/N", help="run shard I of N (stable split by test id)")
    group.addoption("--fd-report-dir", metavar="DIR", help="where reports go (default reports/<run-id>)")
    group.addoption("--fd-defect", action="append", metavar="NAME",
                    help="switch a defect on in the embedded reference (no target given)")
    group.addoption("--fd-settings-file", metavar="FILE",
                    help="resolved settings JSON (written by fdconf run)")
    group.addoption("--fd-no-fuzz", action="store_true", default=False, help="skip Schemathesis fuzzing")
    group.addoption("--fd-progress", choices=("auto", "bar", "lines", "off"), default="auto",
                    help="live progress: a bar on a terminal, one line per rule family in CI logs "
                         "(auto: bar on a TTY, else lines; only with -q)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fd_rule(*ids): catalogue rule ids this test gives evidence for")
    config.addinivalue_line("markers", "fd_needs(mode=None, personas=()): needs beyond the rule catalogue")
    from conformance.harness import fixtures  # cheap: stdlib + pytest; the suite loads inside fixtures

    if not config.pluginmanager.is_registered(fixtures):
        config.pluginmanager.register(fixtures, "fdconf-fixtures")
    from conformance.harness import ledger  # the probe ledger: fd_ledger and its report hook

    if not config.pluginmanager.is_registered(ledger):
        config.pluginmanager.register(ledger, "fdconf-ledger")
    workerinput = getattr(config, "workerinput", {})
    given = any(config.getoption(dest) not in (None, False) for dest in (*_FLAG_KEYS, "fd_config",
                                                                      "fd_settings_file", "fd_no_fuzz"))
    if given or "fd_settings" in workerinput:
        activate(config)


def _flags(config: pytest.Config) -> dict[str, Any]:
    flags: dict[str, Any] = {key: config.getoption(dest) for dest, key in _FLAG_KEYS.items()}
    if config.getoption("fd_no_fuzz"):
        flags["run.fuzz"] = False
    if config.getoption("allure_report_dir", None):
        flags["run.allure"] = True
    return flags


def _resolve(config: pytest.Config) -> Settings:
    from datetime import UTC, datetime

    from conformance.config import Settings, load_settings

    workerinput = getattr(config, "workerinput", {})
    if "fd_settings" in workerinput:
        return Settings.from_json(workerinput["fd_settings"])
    settings_file = config.getoption("fd_settings_file")
    if settings_file:
        try:
            settings = Settings.from_json(Path(settings_file).read_text(encoding="utf-8"))
        except (OSError, ValueError, TypeError) as exc:
            raise pytest.UsageError(f"--fd-settings-file {settings_file}: unreadable ({exc})") from exc
    else:
        settings = load_settings(config=config.getoption("fd_config"), flags=_flags(config),
                                 cwd=config.invocation_params.dir)
    if not settings.run_id:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        settings = settings.with_changes(run_id=f"{stamp}-s{settings.seed}")
    if not settings.report_dir:
        report_dir = config.invocation_params.dir / "reports" / str(settings.run_id)
        settings = settings.with_changes(report_dir=str(report_dir))
    return settings


def activate(config: pytest.Config) -> None:
    from conformance.errors import UsageError

    state = state_of(config)
    if state.active:
        return
    try:
        settings = _resolve(config)
        if settings.main is None and not is_worker(config):
            from conformance.harness.embedded import settings_for_stack, start_reference

            state.stack = start_reference(settings.defects)
            settings = settings_for_stack(settings, state.stack)
        from conformance.harness.selection import resolve_rules_filter
        from conformance.rules import catalogue

        state.wanted = resolve_rules_filter(settings.rules, catalogue()) if settings.rules else None
    except BaseException as exc:  # the stack must not outlive a failed activation (also Ctrl-C)
        if state.stack is not None:
            state.stack.stop()
            state.stack = None
        if isinstance(exc, UsageError):
            raise pytest.UsageError(exc.one_line()) from None
        raise
    state.settings = settings
    state.active = True
    if not is_worker(config):
        from conformance.harness.results import Collector

        state.collector = Collector(settings, catalogue(), wanted=state.wanted, run_id=str(settings.run_id))
        _register_progress(config)
    from conformance.harness.runhooks import RunHooks

    config.pluginmanager.register(RunHooks(config), "fdconf-run")


def _register_progress(config: pytest.Config) -> None:
    from conformance.harness.progress import LiveProgress

    wanted = str(config.getoption("fd_progress", "auto") or "auto")
    if wanted != "off" and not config.pluginmanager.has_plugin("fdconf-progress"):
        config.pluginmanager.register(LiveProgress(config, wanted), "fdconf-progress")


def pytest_unconfigure(config: pytest.Config) -> None:
    state = state_of(config)
    if state.stack is not None:
        state.stack.stop()
        state.stack = None


# -- collection ------------------------------------------------------------------------------------

def marker_rules(item: pytest.Item) -> tuple[str, ...]:
    """Rule ids from every ``fd_rule`` marker of the item (module, class and function level)."""
    seen: dict[str, None] = {}
    for marker in item.iter_markers("fd_rule"):
        for rule_id in marker.args:
            seen.setdefault(str(rule_id), None)
    return tuple(seen)


def _uses_fd(item: pytest.Item) -> bool:
    names = getattr(item, "fixturenames", ())
    return any(str(n).startswith("fd_") for n in names) or item.get_closest_marker("fd_rule") is not None


def _is_fuzz(item: pytest.Item) -> bool:
    module = getattr(getattr(item, "module", None), "__name__", "")
    return str(module).startswith("conformance.fuzz")


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    state = state_of(config)
    if not state.active:
        if not any(_uses_fd(item) for item in items):
            return
        activate(config)
    from conformance.harness.selection import Needs, Plan, in_shard, plan_for, selected
    from conformance.rules import catalogue

    settings = state.settings
    assert settings is not None
    rules = catalogue()
    wanted = state.wanted
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        ids = marker_rules(item)
        unknown = [r for r in ids if r not in rules]
        if unknown:
            raise pytest.UsageError(f"{item.nodeid}: fd_rule({unknown[0]!r}) is not in the rule catalogue")
        if not selected(ids, wanted) or not in_shard(item.nodeid, settings.shard):
            drop.append(item)
            continue
        marker = item.get_closest_marker("fd_needs")
        personas = marker.kwargs.get("personas", ()) if marker else ()
        needs = Needs(mode=marker.kwargs.get("mode") if marker else None,
                      personas=(personas,) if isinstance(personas, str) else tuple(personas))
        plan = plan_for(ids, needs, rules, settings)
        if not settings.fuzz and _is_fuzz(item):
            reason = "not run: fuzzing is off (--no-fuzz)"
            plan = Plan(rules=(), skip=reason, unmet=dict.fromkeys(ids, reason))
        item.stash[PLAN] = plan
        if plan.skip:
            item.add_marker(pytest.mark.skip(reason=plan.skip))
        keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if not state_of(item.config).active:
        return report
    from conformance.harness.evidence import from_exception, locate, to_payload

    plan = item.stash.get(PLAN, None)
    rules = plan.rules if plan is not None else marker_rules(item)
    report.user_properties.append(("fd_rules", list(rules)))
    if plan is not None and plan.unmet:
        report.user_properties.append(("fd_unmet", dict(plan.unmet)))
    if report.failed and call.excinfo is not None:
        fallback = () if call.when == "teardown" else rules
        records = from_exception(call.excinfo.value, item.nodeid, fallback, error=call.when != "call")
        settings = state_of(item.config).settings
        locate(records, targets=settings.targets if settings else {}, operation=fuzz_operation(item))
        report.user_properties.append(("fd_findings", to_payload(records)))
        item.stash[FINDINGS] = [*item.stash.get(FINDINGS, []), *records]
    return report


def fuzz_operation(item: pytest.Item) -> str:
    """The ``fd_operation`` user property a fuzz test sets (``"HOST METHOD path"``), else ``""``."""
    for key, value in reversed(item.user_properties):
        if key == "fd_operation":
            return str(value)
    return ""


def run_result(config: pytest.Config) -> RunResult | None:
    """The :class:`RunResult` of a finished session (controller side), for the engine."""
    return config.stash.get(RESULT, None)


def run_errors(config: pytest.Config) -> list[str]:
    """Failures of the session that no catalogue rule can carry (teardown errors, untagged failures)."""
    collector = state_of(config).collector
    return list(collector.errors) if collector is not None else []
