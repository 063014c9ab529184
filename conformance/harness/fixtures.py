"""The fixtures of the fdconf plugin (registered by :mod:`conformance.plugin` in every session).

``fd_settings``, ``fd_mode``, ``fd_seed``, ``fd_rule_catalogue``, ``fd_transport``, ``fd_sessions``,
``fd_api`` (factory), ``fd_sandbox`` (write mode) and the autouse Allure labelling. Requesting any of
them activates the run. The transport and the sessions are the run's own
(:mod:`conformance.harness.state`), shared with the fuzz tests. Cheap to import: the suite is
imported inside the fixtures.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from conformance.harness.state import (
    FINDINGS,
    HOSTS,
    PLAN,
    fuzz_operation,
    in_phase,
    marker_rules,
    run_of,
    sessions_of,
    settings_of,
    transport_of,
)

if TYPE_CHECKING:
    from conformance.auth import Session
    from conformance.client import Api, Transport
    from conformance.config import Settings
    from conformance.rules import Rule


class _Default:
    def __repr__(self) -> str:
        return "DEFAULT"


#: ``fd_api(partner=DEFAULT)``: the persona's configured or discovered partner.
DEFAULT: Any = _Default()


@pytest.fixture(scope="session")
def fd_settings(request: pytest.FixtureRequest) -> Settings:
    """The run's resolved :class:`~conformance.config.settings.Settings`."""
    return settings_of(request.config)


@pytest.fixture(scope="session")
def fd_mode(fd_settings: Settings) -> str:
    return fd_settings.mode


@pytest.fixture(scope="session")
def fd_seed(fd_settings: Settings) -> int:
    return fd_settings.seed


@pytest.fixture(scope="session")
def fd_rule_catalogue() -> dict[str, Rule]:
    from conformance.rules import catalogue

    return catalogue()


@pytest.fixture(scope="session")
def fd_transport(request: pytest.FixtureRequest, fd_settings: Settings) -> Transport:
    """The run's one HTTP transport; refuses writes in read-only mode before they are sent."""
    return transport_of(request.config)


@pytest.fixture(scope="session")
def fd_sessions(request: pytest.FixtureRequest, fd_transport: Transport) -> dict[str, Session]:
    """Persona name → auth :class:`~conformance.auth.Session` (signed in on first use)."""
    return sessions_of(request.config)


@pytest.fixture(scope="session")
def fd_api(
    fd_settings: Settings, fd_transport: Transport, fd_sessions: dict[str, Session]
) -> Callable[..., Api]:
    """Factory ``fd_api(persona="primary", host="main", partner=DEFAULT)`` → :class:`Api`.

    Skips the calling test (reason ``not run: …``) when the persona or host is not configured.
    ``partner=DEFAULT`` sends the persona's configured/discovered partner; ``None`` sends no header.
    """
    from conformance.client import Api

    def make(persona: str = "primary", host: str = "main", partner: Any = DEFAULT) -> Api:
        if host not in HOSTS:
            raise ValueError(f"fd_api: host must be one of {HOSTS}, not {host!r}")
        session = fd_sessions.get(persona)
        if session is None:
            pytest.skip(f"not run: persona '{persona}' is not configured")
        base = fd_settings.targets.get(host)
        if not base:
            from conformance.harness.layout import absent_hosts

            why = absent_hosts(fd_settings).get(host) or f"target.{host} is not configured"
            pytest.skip(f"not run: {why}")
        chosen = session.partner if partner is DEFAULT else partner
        return Api(fd_transport, base, token=session.access_token, partner=chosen, host=host, persona=persona)

    return make


@pytest.fixture(scope="session")
def fd_sandbox(request: pytest.FixtureRequest, fd_settings: Settings,
               fd_api: Callable[..., Api]) -> Iterator[dict[str, Any]]:
    """A simulation event of the run's own (write mode); cleaned up in hierarchy order at the end."""
    from conformance.client import Throttled
    from conformance.harness.sandbox import Sandbox, SandboxUnavailable
    from conformance.rules import mode_allows

    if not mode_allows(fd_settings.mode, "write"):
        pytest.skip(f"not run: needs mode write (this run is {fd_settings.mode}; pass --mode write)")
    if not fd_settings.cr:
        pytest.skip("not run: the sandbox event is created on the CR API; configure target.cr")
    sandbox = Sandbox(main=fd_api("primary", "main"), cr=fd_api("primary", "cr"), seed=fd_settings.seed)
    report_dir = Path(fd_settings.report_dir) if fd_settings.report_dir else None
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")

    def clean_up() -> None:
        # The run's cleanup phase: an interrupt here is reported as "cleanup", the steps it cut short
        # are logged, and the log is written whatever happens.
        with in_phase(request.config, "cleanup"):
            try:
                sandbox.cleanup()
            finally:
                sandbox.write_log(report_dir, worker)

    try:
        info = sandbox.create()
    except (SandboxUnavailable, Throttled) as exc:  # what was created so far is undone all the same
        clean_up()
        pytest.skip(f"not run: no sandbox event: {exc}")
    except KeyboardInterrupt:
        clean_up()
        raise
    try:
        yield info
    finally:
        clean_up()


def planned_host(item: pytest.Item, rules: list[str]) -> str:
    """The host a test is about before it ran: a ``[main]``/``[cr]`` parametrization of the test, else the
    first host of its first rule in the catalogue, else ``main``."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    for host in ("main", "cr"):
        if params.get("host") == host or f"[{host}]" in item.name:
            return host
    from conformance.rules import catalogue

    known = catalogue()
    for rule_id in rules:
        rule = known.get(rule_id)
        if rule is not None and rule.hosts:
            return "main" if rule.hosts[0] == "media" else rule.hosts[0]
    return "main"


def observed_host(item: pytest.Item) -> str:
    """The host the test's evidence came from: its first finding's, else its fuzz operation's, else ``""``."""
    for record in item.stash.get(FINDINGS, []):
        if record.host:
            return "main" if record.host == "media" else record.host
    host = fuzz_operation(item).partition(" ")[0]
    return "main" if host == "media" else host


@pytest.fixture(autouse=True)
def _fd_allure(request: pytest.FixtureRequest) -> Iterator[None]:
    """Allure labels (rule ids, host, title) and finding attachments, only with ``--alluredir``.

    The epic is one host, ``main`` or ``cr``: the host of the request behind the test's first finding,
    else the fuzzed operation's host, else the ``[main]``/``[cr]`` parametrization, else the first
    host of the test's first rule in the catalogue. Sweeps that probe both hosts in one test are thus
    filed under the host where they found something, and under their rule's first host when clean.
    """
    config = request.config
    if not run_of(config).active or not config.getoption("allure_report_dir", None):
        yield
        return
    from conformance.report import apply_labels, attach_finding, set_host

    item = request.node
    plan = item.stash.get(PLAN, None)
    rules = list(plan.rules if plan is not None else marker_rules(item))
    planned = planned_host(item, rules)
    apply_labels(rules, planned, item.name)
    yield
    seen = observed_host(item)
    if seen and seen != planned:
        set_host(seen)
    for record in item.stash.get(FINDINGS, []):
        attach_finding(record)
