"""The state of one run, owned by one :class:`RunState` in the pytest config's stash.

Everything a run accumulates lives here and nowhere else: the resolved settings, the embedded
reference it started, the one :class:`~conformance.client.Transport`, the personas' sessions, the
result collector and the reports written. Layers above the harness (the fuzz package) keep their
per-run state in :attr:`RunState.parts` under their own typed keys, so two runs in one process (or
in threads, or pytester sessions) never share anything. Cheap to import: the suite is imported
lazily, only ``pytest`` at module level.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conformance.auth import Session
    from conformance.client import AuditEntry, Transport
    from conformance.config import Settings
    from conformance.harness.reference_process import ReferenceProcess
    from conformance.harness.results import Collector
    from conformance.harness.selection import Plan
    from conformance.report import FindingRecord, RunResult

HOSTS = ("main", "cr", "media")


@dataclass
class RunState:
    """One run's state. ``parts`` holds the per-run state of the layers above the harness."""

    active: bool = False
    settings: Settings | None = None
    stack: ReferenceProcess | None = None
    collector: Collector | None = None
    wanted: frozenset[str] | None = None  # rule ids selected by --fd-rules (None = all)
    whole_catalogue: bool = False  # fdconf run: report every catalogue rule, not only the tagged ones
    result: RunResult | None = None
    artifacts: dict[str, Path] = field(default_factory=dict)
    report_error: str = ""
    transport: Transport | None = None
    sessions: dict[str, Session] | None = None
    worker_audit: list[AuditEntry] = field(default_factory=list)  # what xdist workers sent
    parts: pytest.Stash = field(default_factory=pytest.Stash)
    #: The phase this process is in when no test's node id tells it (``discovery``, ``cleanup``), and
    #: the one an interrupt landed in (kept after the phase unwound, for the ``completion`` record).
    phase: str = ""
    stopped_in: str = ""
    #: How to activate the run on first use (set by the plugin: the state module never imports activation).
    activator: Callable[[pytest.Config], None] | None = None


STATE: pytest.StashKey[RunState] = pytest.StashKey()
PLAN: pytest.StashKey[Plan] = pytest.StashKey()
FINDINGS: pytest.StashKey[list[FindingRecord]] = pytest.StashKey()


def run_of(config: pytest.Config) -> RunState:
    """The run state of this pytest session (created empty, inactive, on first use)."""
    return config.stash.setdefault(STATE, RunState())


@contextlib.contextmanager
def in_phase(config: pytest.Config, name: str) -> Iterator[None]:
    """Mark this process as in run phase ``name`` (``discovery``, ``cleanup``) while the block runs.

    A test's node id says scenarios, fuzzing or stateful; discovery runs inside some test's setup and
    the sandbox cleanup inside the last one's teardown, so an interrupt there would otherwise be
    reported in the phase of that test."""
    state = run_of(config)
    previous, state.phase = state.phase, name
    try:
        yield
    except KeyboardInterrupt:
        state.stopped_in = state.stopped_in or name
        raise
    finally:
        state.phase = previous


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def settings_of(config: pytest.Config) -> Settings:
    """The run's resolved settings, activating the run first if needed.

    Raises ``pytest.UsageError`` (one line) when the configuration is invalid.
    """
    state = run_of(config)
    if not state.active:
        if state.activator is None:
            raise pytest.UsageError("the fdconf plugin is not loaded in this pytest session: "
                                    "install fd-conformance or pass -p conformance.plugin")
        state.activator(config)
    assert state.settings is not None
    return state.settings


def active_settings(config: pytest.Config) -> Settings | None:
    """The run's settings if a run is active in this session, else ``None`` (no side effects)."""
    state = config.stash.get(STATE, None)
    return state.settings if state is not None and state.active else None


def transport_of(config: pytest.Config) -> Transport:
    """The run's one Transport (created on first use; read-only unless the mode allows writes)."""
    state = run_of(config)
    if state.transport is None:
        from conformance.client import Transport, budget_for
        from conformance.rules import mode_allows
        from conformance.spec import url_templates

        settings = settings_of(config)
        # xdist workers send side by side: each keeps to its share of the one budget
        workers = int(getattr(config, "workerinput", {}).get("workercount", 1)) if is_worker(config) else 1
        budget = budget_for(settings.rate, settings.rate_window, share=workers)
        if budget is not None:
            budget.seed(settings.rate_spent)  # what pre-flight sent still counts
        state.transport = Transport(**settings.transport_options(),
                                    allow_writes=mode_allows(settings.mode, "write"), limiter=budget,
                                    operations=url_templates(settings.targets))
    return state.transport


def sessions_of(config: pytest.Config) -> dict[str, Session]:
    """Persona name → the run's auth session (created on first use, signed in lazily)."""
    state = run_of(config)
    if state.sessions is None:
        from conformance.auth import make_sessions

        state.sessions = make_sessions(settings_of(config), transport_of(config))
    return state.sessions


def close_run(config: pytest.Config) -> None:
    """Release what the run holds open (its connections, the reference it started); safe twice."""
    state = config.stash.get(STATE, None)
    if state is None:
        return
    from conformance.harness.ledger import LEDGER

    ledger = config.stash.get(LEDGER, None)
    if ledger is not None:  # its sweep threads first: they send through the transport
        ledger.close()
    if state.transport is not None:
        state.transport.close()
    if state.stack is not None:
        stack, state.stack = state.stack, None
        stack.stop()


def audit_of(config: pytest.Config) -> list[AuditEntry]:
    """Every request the run sent: this process's Transport's audit log, then its xdist workers'."""
    state = config.stash.get(STATE, None)
    if state is None:
        return []
    own = list(state.transport.audit) if state.transport is not None else []
    return own + state.worker_audit


def marker_rules(item: pytest.Item) -> tuple[str, ...]:
    """Rule ids from every ``fd_rule`` marker of the item (module, class and function level)."""
    seen: dict[str, None] = {}
    for marker in item.iter_markers("fd_rule"):
        for rule_id in marker.args:
            seen.setdefault(str(rule_id), None)
    return tuple(seen)


def fuzz_operation(item: pytest.Item) -> str:
    """The ``fd_operation`` user property a fuzz test sets (``"HOST METHOD path"``), else ``""``."""
    for key, value in reversed(item.user_properties):
        if key == "fd_operation":
            return str(value)
    return ""


def run_result(config: pytest.Config) -> RunResult | None:
    """The :class:`RunResult` of a finished session (controller side)."""
    state = config.stash.get(STATE, None)
    return state.result if state is not None else None


def run_errors(config: pytest.Config) -> list[str]:
    """Failures of the session that no catalogue rule can carry (teardown errors, untagged failures)."""
    state = config.stash.get(STATE, None)
    collector = state.collector if state is not None else None
    return list(collector.errors) if collector is not None else []


def rate_of(config: pytest.Config) -> dict[str, Any]:
    """The run's rate budget and its cost, for ``RunResult.rate`` (empty: no budget and no 429).

    429s are counted from the audit log (xdist workers' included); retries and waits are this
    process's Transport's (a worker's own backoff is not shipped back)."""
    state = config.stash.get(STATE, None)
    if state is None or state.settings is None:
        return {}
    rate = state.settings.rate
    throttled = sum(1 for entry in audit_of(config) if entry.status == 429)
    if rate is None and not throttled:
        return {}
    transport = state.transport
    limiter = getattr(transport, "limiter", None)
    from conformance.client import THROTTLED_REASON

    records = state.collector.records.values() if state.collector is not None else []
    throttled_probes = sum(1 for r in records for p in r.probes
                           if p.outcome == "unexercised" and THROTTLED_REASON in p.reason)
    return {
        "budget": state.settings.rate_label,
        "throttled": throttled,
        "retries": transport.retries if transport is not None else 0,
        "backoff_seconds": round(transport.backoff_waited, 3) if transport is not None else 0.0,
        "paced_seconds": round(float(getattr(limiter, "waited", 0.0)), 3),
        "unjudged_cases": sum(r.throttled for r in records),
        "unexercised_probes": throttled_probes,
    }
