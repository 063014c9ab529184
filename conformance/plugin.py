"""The fd-conformance pytest plugin (entry point ``pytest11: fdconf``): options, markers, activation.

Options (group ``fdconf``): ``--fd-config``, ``--fd-main``, ``--fd-cr``, ``--fd-media``, ``--fd-mode``,
``--fd-seed``, ``--fd-max-examples``, ``--fd-timeout``, ``--fd-rules``, ``--fd-shard I/N``,
``--fd-report-dir``, ``--fd-defect``, ``--fd-no-fuzz``, ``--fd-progress``.
Markers: ``fd_rule(*ids)`` — the rule ids a test gives evidence for; ``fd_needs(mode=None,
personas=())`` — needs beyond the catalogue's.
Fixtures (:mod:`conformance.harness.fixtures`): ``fd_settings``, ``fd_transport``, ``fd_sessions``,
``fd_api``, ``fd_mode``, ``fd_seed``, ``fd_rule_catalogue``, ``fd_sandbox``.

The plugin stays inert (markers declared, nothing else) unless an ``--fd-*`` option is given or a
collected test requests an ``fd_*`` fixture or carries ``fd_rule``, so unrelated pytest sessions are
not disturbed. Everything else is the harness's: activation (:mod:`conformance.harness.activation`),
the run's state (:mod:`conformance.harness.state`), selection and evidence
(:mod:`conformance.harness.collection`). Importing this module is cheap (stdlib and pytest only),
and nothing in the suite imports it.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest


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
    group.addoption("--fd-report-dir", metavar="DIR",
                    help="write the reports (results.json, summary.md, certificate …) here; none without it")
    group.addoption("--fd-defect", action="append", metavar="NAME",
                    help="switch a defect on in the embedded reference (no target given)")
    group.addoption("--fd-no-fuzz", action="store_true", default=False, help="skip Schemathesis fuzzing")
    group.addoption("--fd-progress", choices=("auto", "bar", "lines", "off"), default="auto",
                    help="live progress: a bar on a terminal, one line per rule family in CI logs "
                         "(auto: bar on a TTY, else lines; only with -q)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fd_rule(*ids): catalogue rule ids this test gives evidence for")
    config.addinivalue_line("markers", "fd_needs(mode=None, personas=()): needs beyond the rule catalogue")
    from conformance.harness import (  # cheap: stdlib + pytest; the suite loads inside fixtures
        cutoff,
        fixtures,
    )

    cutoff.reset()  # a cause is one session's (an interpreter may run several)
    from conformance.harness.activation import activate, wants_run
    from conformance.harness.state import run_of

    run_of(config).activator = activate  # fixtures activate on first use (state never imports activation)
    if not config.pluginmanager.is_registered(fixtures):
        config.pluginmanager.register(fixtures, "fdconf-fixtures")
    from conformance.harness import ledger  # the probe ledger: fd_ledger and its report hook

    if not config.pluginmanager.is_registered(ledger):
        config.pluginmanager.register(ledger, "fdconf-ledger")
    if wants_run(config):
        activate(config)


def _uses_fd(item: pytest.Item) -> bool:
    names = getattr(item, "fixturenames", ())
    return any(str(n).startswith("fd_") for n in names) or item.get_closest_marker("fd_rule") is not None


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    from conformance.harness.activation import activate
    from conformance.harness.collection import select
    from conformance.harness.state import run_of

    if not run_of(config).active:
        if not any(_uses_fd(item) for item in items):
            return
        activate(config)
    select(config, items)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    from conformance.harness.state import run_of

    if run_of(item.config).active:
        from conformance.harness.collection import annotate

        annotate(item, call, report)
        from conformance.harness.cutoff import stop_if_target_gone

        stop_if_target_gone(item, report)
    return report


def pytest_unconfigure(config: pytest.Config) -> None:
    from conformance.harness.state import close_run

    close_run(config)
