"""The probe ledger of a run: what every scenario probe judged, and the positive controls behind it.

Scenarios record each probe through the ``fd_ledger`` fixture (rule, check, host, operation, outcome).
A negative probe (expect 404/403/401/400) is only *judged* when its positive control succeeded in the
same run: :meth:`Ledger.control` sends the control once per ``(persona, host, operation)`` and caches
the answer, so controls cost at most one request per operation and persona (per process).

Probes travel like findings: the hook below moves the probes recorded while a test ran into its
report's ``user_properties`` (``fd_probes``), so the controller (also under pytest-xdist) builds rule
statuses from them (:func:`conformance.report.judge`). The ledger lives in ``config.stash``
under its own key, independent of the plugin's run state. Cheap to import: stdlib, pytest and the
error classes only.

Throttling (a 429 that outlasted the Transport's retries, :class:`conformance.client.Throttled`) is
evidence of nothing: a control it hits is not cached and counts as not sent (its probes are
unexercised, ``throttled (429 after N attempts)``), and a test it stops is skipped with that reason,
never failed (the hook wrappers below).

Confirmation (``run.confirm``, :mod:`conformance.client` ``confirm``): a failing probe is replayed
through the run's Transport before it counts, and a positive control that failed is sent again before
its probes are left unexercised when it was refused with a 5xx (a 4xx refusal is the target's data,
not a moment). A failure no replay reproduced is *flaky*: :meth:`Ledger.flaky` keeps
it (redacted, with its curl line and attempts) and the hook below ships it as ``fd_flaky``, beside the
test's findings, without failing the test.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import pytest

from conformance.errors import Finding, RequestTimedOut

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from conformance.client import Confirmation, Transport
    from conformance.report import FindingRecord, Outcome, Probe
    from conformance.rules import Rule

PROBES_PROPERTY = "fd_probes"
FLAKY_PROPERTY = "fd_flaky"
#: Positive controls a test's phase sent (the ledger's count since the previous report), so the
#: controller can sum what controls cost across xdist workers.
CONTROLS_PROPERTY = "fd_controls"


class UnknownCheck(ValueError):
    """A probe names a rule or check the catalogue does not have (a bug in the recording code)."""


@dataclass(frozen=True)
class Control:
    """The answer to a positive control: ``ok`` when the entitled persona got what proves the route."""

    ok: bool
    status: int
    reason: str  # why the negative probes behind it are unexercised ("" when ok)
    exchange: Any = None  # the Exchange, for probes that compare against it (TEN-02)
    unanswered: bool = False  # the control timed out: the target, not the data, left it unproven


def succeeded(status: int) -> bool:
    return 200 <= status < 300


class Ledger:
    """Probes of this process, drained per test report, and the cache of positive controls."""

    def __init__(self, rules: Mapping[str, Rule] | None = None) -> None:
        self._rules = rules
        self._pending: list[Probe] = []
        self._controls: dict[tuple[str, str, str], Control] = {}
        self.control_requests = 0
        self._controls_reported = 0
        #: Host → why this run cannot send to it (no ``target.cr``, no media base); set when the run
        #: activates (:func:`conformance.harness.layout.absent_hosts`).
        self.absent_hosts: dict[str, str] = {}
        #: Replays of a failure before it counts (``run.confirm``) and where the run's Transport comes
        #: from; set when the run activates. Without a transport nothing is replayed.
        self.replays = 0
        self.transport_source: Callable[[], Transport] | None = None
        self._flaky: list[FindingRecord] = []
        #: Requests a concurrent sweep keeps in flight in this process (1: one at a time); set when the
        #: run activates from ``run.concurrency`` (:data:`conformance.harness.concurrency.SWEEP_POOL`).
        self.parallel = 1
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._gates: dict[tuple[str, str, str], threading.Lock] = {}

    def _catalogue(self) -> Mapping[str, Rule]:
        if self._rules is None:
            from conformance.rules import catalogue

            self._rules = catalogue()
        return self._rules

    def record(self, rule_id: str, check: str, *, host: str, operation: str, outcome: Outcome,
               reason: str = "", unanswered: bool = False) -> None:
        """One probe. ``host`` is where it was sent (``media`` counts as ``main``); ``unanswered``: an
        unexercised probe whose request got no answer (timed out or abandoned)."""
        from conformance.report import OUTCOMES, Probe

        rule = self._catalogue().get(rule_id)
        if rule is None or rule.check(check) is None:
            raise UnknownCheck(f"{rule_id}/{check} is not a check of the rule catalogue (specs/rules.yaml)")
        if outcome not in OUTCOMES:
            raise UnknownCheck(f"probe outcome {outcome!r} is not one of {OUTCOMES}")
        host = "main" if host == "media" else host
        self._pending.append(Probe(rule_id, check, host, operation, outcome, " ".join(reason.split())[:300],
                                   unanswered=unanswered))

    def unanswered(self, rule_ids: Iterable[str], *, host: str, operation: str, reason: str) -> None:
        """A test stopped by a request that got no answer: one unanswered probe per rule it gives
        evidence for (under the rule's first check), so none of them can pass on the rest."""
        for rule_id in rule_ids:
            rule = self._catalogue().get(rule_id)
            if rule is not None and rule.checks:
                self.record(rule_id, rule.checks[0].id, host=host, operation=operation,
                            outcome="unexercised", reason=reason, unanswered=True)

    def absent(self, host: str) -> str:
        """Why this run cannot probe ``host`` (``""`` when it can): its probes are unexercised."""
        return self.absent_hosts.get(host, "")

    def _transport(self) -> Transport | None:
        return self.transport_source() if self.transport_source is not None else None

    def watch(self) -> AbstractContextManager[list[int]]:
        """The statuses of what this thread sends inside the block (a first attempt, for :meth:`confirm`)."""
        from contextlib import nullcontext

        from conformance.client import watch

        transport = self._transport()
        return watch(transport) if transport is not None else nullcontext([])

    def confirm(self, attempt: Callable[[], BaseException | None], first: list[int], *,
                unjudged: tuple[type[Exception], ...] = (),
                status: Callable[[list[int]], int] | None = None) -> Confirmation:
        """Replay a failure (``attempt`` re-sends and re-judges it) up to ``run.confirm`` times."""
        from conformance.client import confirm

        return confirm(self._transport(), attempt, replays=self.replays, first=first, unjudged=unjudged,
                       status=status)

    def flaky(self, finding: Finding, *, host: str, operation: str = "", test: str = "") -> None:
        """Keep a failure no replay reproduced (``finding.confirmation`` says how it went)."""
        from conformance.harness.evidence import from_finding

        for record in from_finding(finding, test):
            record.host = "main" if host == "media" else host
            record.operation = record.operation or operation
            self._flaky.append(record)

    def pool(self) -> Executor | None:
        """The threads concurrent sweeps send from (created on first use), or ``None`` when the run
        sends one request at a time (``parallel`` 1)."""
        if self.parallel <= 1:
            return None
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.parallel, thread_name_prefix="fdconf-sweep")
            return self._executor

    def close(self) -> None:
        """Stop the pool's threads (they are idle between sweeps: every sweep waits for its probes)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def drain_flaky(self) -> list[FindingRecord]:
        out, self._flaky = self._flaky, []
        return out

    def control(self, persona: str, host: str, operation: str, send: Callable[[], Any], *,
                accept: Callable[[int], bool] = succeeded, refused: str = "") -> Control:
        """The positive control of ``operation`` for ``persona`` on ``host``: sent once, then cached.

        ``send`` returns an :class:`~conformance.client.Exchange`; ``accept`` judges its status
        (2xx by default). ``refused`` names the failure in the unexercised reason
        (default ``"<persona> gets <status>"``). A control that timed out (or whose operation was
        abandoned) failed with the timeout as its reason.
        """
        key = (persona, "main" if host == "media" else host, operation)
        with self._lock:  # one sender per key: a concurrent sweep's threads wait for the same control
            gate = self._gates.setdefault(key, threading.Lock())
        with gate:
            return self._control(key, send, accept, refused)

    def _control(self, key: tuple[str, str, str], send: Callable[[], Any], accept: Callable[[int], bool],
                 refused: str) -> Control:
        persona = key[0]
        held = self._controls.get(key)
        if held is None:
            from conformance.client import Throttled

            self._count_control()
            try:
                exchange = send()
                status = int(getattr(exchange, "status", 0))
                ok = accept(status)
                if not ok and status >= 500:  # a busy moment, perhaps: sent again before it counts
                    exchange, status, ok = self._resend_control(send, accept, exchange, status)
            except Throttled as exc:  # not cached: the next probe behind it tries again
                return Control(False, 429, f"control {exc.reason}")
            except RequestTimedOut as exc:  # no answer proves nothing: the probes behind it are unexercised
                held = Control(False, 0, exc.reason, unanswered=True)
                self._controls[key] = held
                return held
            who = persona.split(":", maxsplit=1)[0]
            why = "" if ok else (refused or f"control: {who} gets {status} with its own ids")
            held = Control(ok, status, why, exchange)
            self._controls[key] = held
        return held

    def _resend_control(self, send: Callable[[], Any], accept: Callable[[int], bool], exchange: Any,
                        status: int) -> tuple[Any, int, bool]:
        """Up to ``run.confirm`` more sends of a refused control (audited as replays); the first
        accepted answer wins, else the last refusal stands."""
        from conformance.client import REPLAY_ORIGIN, watch

        transport = self._transport()
        for _ in range(self.replays if transport is not None else 0):
            assert transport is not None
            with watch(transport, REPLAY_ORIGIN):
                again = send()
            self._count_control()
            exchange, status = again, int(getattr(again, "status", 0))
            if accept(status):
                return exchange, status, True
        return exchange, status, False

    def _count_control(self) -> None:
        with self._lock:
            self.control_requests += 1

    def drain(self) -> list[Probe]:
        out, self._pending = self._pending, []
        return out

    def drain_controls(self) -> int:
        """Controls sent since the last call (each counted once, by the report it happened in)."""
        sent, self._controls_reported = self.control_requests - self._controls_reported, self.control_requests
        return sent


LEDGER: pytest.StashKey[Ledger] = pytest.StashKey()


def record_unanswered(item: pytest.Item, exc: RequestTimedOut, host: str = "main",
                      operation: str = "") -> None:
    """``item`` was stopped by a request that got no answer: unanswered probes for its rules, under
    ``operation`` (default: the request's ``METHOD /path-template``)."""
    rules = [str(a) for marker in item.iter_markers("fd_rule") for a in marker.args]
    ledger_of(item.config).unanswered(rules, host=host, operation=operation or exc.operation or item.name,
                                      reason=exc.reason)


def ledger_of(config: pytest.Config) -> Ledger:
    """This process's ledger (created on first use)."""
    return config.stash.setdefault(LEDGER, Ledger())


@pytest.fixture(scope="session")
def fd_ledger(request: pytest.FixtureRequest) -> Ledger:
    """The run's probe ledger: ``record``/``passed``/``failed``/``unexercised`` and ``control``."""
    return ledger_of(request.config)


def probes_payload(probes: list[Probe], test: str) -> list[dict[str, Any]]:
    return [{**asdict(p), "test": test} for p in probes]


def probes_from(payload: Any) -> list[Probe]:
    """Probes back from a report's ``fd_probes`` property (malformed entries are dropped)."""
    from conformance.report import Probe

    if not isinstance(payload, list):
        return []
    out = []
    for item in payload:
        if isinstance(item, dict):
            try:
                out.append(Probe(**item))
            except TypeError:
                continue
    return out


def _skip_throttled() -> Generator[None, object, object]:
    from conformance.client import Throttled

    try:
        return (yield)
    except Throttled as exc:
        pytest.skip(f"not run: {exc}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, object, object]:
    """A fixture stopped by throttling (discovery, a sandbox, a sign-in) skips the test, with the reason."""
    return (yield from _skip_throttled())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """A test stopped by throttling is skipped with the reason: the budget answered, not the API."""
    return (yield from _skip_throttled())


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    ledger = item.config.stash.get(LEDGER, None)
    if ledger is not None:
        probes = ledger.drain()
        if probes:
            report.user_properties.append((PROBES_PROPERTY, probes_payload(probes, item.nodeid)))
        flaky = ledger.drain_flaky()
        if flaky:
            for record in flaky:
                record.test = record.test or item.nodeid
            report.user_properties.append((FLAKY_PROPERTY, [asdict(r) for r in flaky]))
        controls = ledger.drain_controls()
        if controls:
            report.user_properties.append((CONTROLS_PROPERTY, controls))
    return report
