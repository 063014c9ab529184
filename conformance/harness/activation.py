"""Turning a pytest session into an fdconf run: resolve the settings, start the reference, register hooks.

Where the settings come from, first match wins: an xdist worker gets the controller's (over
xdist's channel); ``fdconf run`` hands its child process the resolved settings as a
:class:`GivenSettings` plugin (read from a pipe, never from a file); otherwise they are loaded from
``--fd-*`` options, the environment and ``fdconf.toml`` like ``fdconf run`` would. In a user's own
pytest run, reports are written only when a report folder is given (``--fd-report-dir`` or
``run.report_dir``), and the summary speaks only about the rules the selected tests tag.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from conformance.config import Settings
from conformance.harness.state import is_worker, run_of, transport_of
from conformance.redact import REDACTOR

#: ``--fd-*`` option dest → dotted config key (the flag layer of :func:`~conformance.config.load_settings`).
FLAG_KEYS = {
    "fd_main": "target.main", "fd_cr": "target.cr", "fd_media": "target.media", "fd_mode": "run.mode",
    "fd_seed": "run.seed", "fd_max_examples": "run.max_examples", "fd_timeout": "run.timeout",
    "fd_rules": "run.rules", "fd_shard": "run.shard", "fd_report_dir": "run.report_dir",
    "fd_defect": "run.defects",
}


class GivenSettings:
    """Resolved settings handed to a session by ``fdconf run`` (``pytest.main(plugins=[GivenSettings(…)])``).

    ``whole_catalogue``: the summary covers every catalogue rule (a certification run), not only
    the rules the collected tests tag."""

    def __init__(self, settings: Settings, *, whole_catalogue: bool = True) -> None:
        self.settings = settings
        self.whole_catalogue = whole_catalogue


def _given(config: pytest.Config) -> GivenSettings | None:
    # pytest.main(plugins=[...]) registers objects under generated names: find it by type
    found = [p for p in config.pluginmanager.get_plugins() if isinstance(p, GivenSettings)]
    return found[0] if found else None


def wants_run(config: pytest.Config) -> bool:
    """Whether the session asked for an fdconf run up front (an ``--fd-*`` option, given settings, xdist)."""
    options = (*FLAG_KEYS, "fd_config", "fd_no_fuzz")
    given = any(config.getoption(dest) not in (None, False) for dest in options)
    worker = "fd_settings" in getattr(config, "workerinput", {})
    return given or worker or _given(config) is not None


def _flags(config: pytest.Config) -> dict[str, Any]:
    flags: dict[str, Any] = {key: config.getoption(dest) for dest, key in FLAG_KEYS.items()}
    if config.getoption("fd_no_fuzz"):
        flags["run.fuzz"] = False
    if config.getoption("allure_report_dir", None):
        flags["run.allure"] = True
    return flags


def _learn_secrets(settings: Settings) -> None:
    for secret in settings.secrets():
        REDACTOR.add(secret)


def _resolve(config: pytest.Config) -> tuple[Settings, bool]:
    from conformance.config import load_settings

    workerinput = getattr(config, "workerinput", {})
    given = _given(config)
    if "fd_settings" in workerinput:
        settings, whole = Settings.from_json(workerinput["fd_settings"]), bool(workerinput.get("fd_whole"))
        _learn_secrets(settings)
    elif isinstance(given, GivenSettings):
        settings, whole = given.settings, given.whole_catalogue
        _learn_secrets(settings)
    else:
        settings = load_settings(config=config.getoption("fd_config"), flags=_flags(config),
                                 cwd=config.invocation_params.dir)
        whole = False
    if not settings.run_id:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        settings = settings.with_changes(run_id=f"{stamp}-s{settings.seed}")
    return settings, whole


def activate(config: pytest.Config) -> None:
    """Make this session an fdconf run (idempotent); a bad configuration is a ``pytest.UsageError``."""
    from conformance.errors import UsageError

    state = run_of(config)
    if state.active:
        return
    try:
        settings, state.whole_catalogue = _resolve(config)
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
    from conformance.harness.layout import absent_hosts
    from conformance.harness.ledger import ledger_of

    ledger = ledger_of(config)
    ledger.absent_hosts = absent_hosts(settings)  # their probes are unexercised, not skipped
    ledger.replays = settings.confirm  # failures are replayed through the run's Transport before they count
    ledger.transport_source = lambda: transport_of(config)
    from conformance.harness.concurrency import sweep_pool

    ledger.parallel = sweep_pool(settings)  # concurrent sweeps send their probes side by side
    if not is_worker(config):
        from conformance.harness.results import Collector

        state.collector = Collector(settings, catalogue(), wanted=state.wanted, run_id=str(settings.run_id))
        from conformance.harness.coverage import PytestFilter

        state.collector.pytest_filter = PytestFilter.of(config)
        _register_progress(config)
    from conformance.harness.runhooks import RunHooks

    config.pluginmanager.register(RunHooks(config), "fdconf-run")
    from conformance.harness.spending import Spending

    config.pluginmanager.register(Spending(config), "fdconf-spending")


def _register_progress(config: pytest.Config) -> None:
    from conformance.harness.progress import LiveProgress

    wanted = str(config.getoption("fd_progress", "auto") or "auto")
    if wanted != "off" and not config.pluginmanager.has_plugin("fdconf-progress"):
        config.pluginmanager.register(LiveProgress(config, wanted), "fdconf-progress")
