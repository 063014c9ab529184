"""Schemathesis over both bundled specs: examples, coverage and fuzzing phases, one item per operation.

* The schemas are the run's (:mod:`conformance.fuzz.schemas`, built per session in ``conftest.py``);
  the base URL is passed per call (``/media`` goes to the unversioned base). Every request, the
  ``ignored_auth`` probes included, leaves through the run's Transport.
* Positive cases are scoped to the primary persona's partner (its header replaces a generated one);
  negative cases keep whatever Schemathesis generated.
* Positive cases of reads carry ids of the primary persona's own objects (:mod:`conformance.fuzz.objects`);
  write operations run in write mode with their eid pinned to the sandbox event.
* Every answer is tallied by status class; when an operation's cases are done, the tally becomes its
  SCH probes (:mod:`conformance.fuzz.answers`, recorded by ``conftest.py``).
* Failures become one Finding per rule hit, each with its own failures' text
  (see :mod:`conformance.fuzz.failures`); AUTH/TEN/OBJ evidence from the CR host is HST-02's.
* A failing case is sent again (the same case, the same checks, through the same Transport, audited as
  ``confirm``) up to ``run.confirm`` times before it counts; one no replay fails again is *flaky*: kept
  in the ledger's flaky list with its curl line, and the test goes on (Hypothesis never sees it). Once an
  operation's failure was confirmed, its later failures (Hypothesis shrinking) count without replays.
* A case (or an ``ignored_auth`` probe) still answered 429 after the Transport's retries is not
  judged: it is counted as throttled (``fd_throttled``), not as a case; an operation whose every case
  was throttled is not run (:mod:`conformance.fuzz.conftest`).
* Cost: ``ignored_auth`` probes once per operation (as in Schemathesis' own engine), our checks share
  one parsed response and render curl only for findings, tenancy replays are budgeted per operation
  (:mod:`conformance.fuzz.checks`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
import requests
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import CheckContext, Response
from schemathesis.specs.openapi.checks import ignored_auth

from conformance.client import PARTNER_HEADER, READ_METHODS, Throttled, first_status
from conformance.config import Settings
from conformance.errors import Finding, RequestTimedOut
from conformance.fuzz import checks as _registered  # noqa: F401 - registers our Schemathesis checks
from conformance.fuzz.answers import Answers
from conformance.fuzz.context import FuzzCase, FuzzContext
from conformance.fuzz.edges import edge_kinds
from conformance.fuzz.failures import as_finding, case_curl
from conformance.fuzz.objects import pin_real_objects
from conformance.fuzz.run import FuzzRun, fuzz_run, per_operation
from conformance.fuzz.schemas import DEFERRED
from conformance.harness.layout import absent_hosts
from conformance.harness.ledger import Ledger, ledger_of, record_unanswered

Check = Callable[[CheckContext, Response, FuzzCase], "bool | None"]


def _base_for(case: FuzzCase, settings: Settings) -> tuple[str, str, str]:
    """``(host label, base URL, why it is absent)`` of a case: main, media (x-fd-base: unversioned)
    or cr; the base is ``""`` (and the reason set) when the run has no such base."""
    raw = case.operation.definition.raw
    if raw.get("x-fd-base") == "unversioned":
        return "main", settings.media or "", "" if settings.media else absent_hosts(settings)["media"]
    title = str(case.operation.schema.raw_schema.get("x-fd-host", "main"))
    base = settings.cr if title == "cr" else settings.main
    return title, base or "", "" if base else absent_hosts(settings).get(title, f"no target.{title}")


def _is_positive(case: FuzzCase) -> bool:
    meta = case.meta
    return meta is None or str(meta.generation.mode.value) == "positive"


def _phase(case: FuzzCase) -> str:
    meta = case.meta
    return str(meta.phase.name.value) if meta is not None else "unknown"


def _edges_of(case: FuzzCase, run: FuzzRun, host: str) -> list[str]:
    """The deliberate edge values this case carries (:mod:`conformance.fuzz.edges`), by kind."""
    data = case.meta.phase.data if case.meta is not None else None
    scenario = getattr(getattr(data, "scenario", None), "value", None)
    planned = run.edge_plans.get(host, {}).get(case.operation.label, [])
    return edge_kinds(_phase(case), scenario, case.query, case.body, planned)


def _ignored_auth_once(run: FuzzRun, host: str) -> Check:
    """Schemathesis' ``ignored_auth`` (ST401) as its own engine runs it: the no-auth and invalid-auth
    probes go out until an operation has been shown to enforce auth, then once per operation per run
    ("enforcement is a property of the operation"). Under pytest the check gets no run-wide memory and
    would probe after every 2xx, doubling the requests; AUTH-01's sweep probes every operation anyway."""
    enforced = run.auth_enforced.setdefault(host, set())

    def ignored_auth_once(ctx: CheckContext, response: Response, case: FuzzCase) -> bool | None:
        if getattr(ctx, "auth_enforced_operations", None) is None:
            ctx.auth_enforced_operations = enforced
        try:
            return ignored_auth(ctx, response, case)
        except Throttled:  # a probe the budget answered says nothing about auth (AUTH-01, HST-02, SCH-03)
            return True

    return ignored_auth_once


def _tally(answers: Answers) -> Check:
    """Not a judgement: counts each answer (status class, positive or not) for the SCH evidence."""

    def fd_answer_tally(ctx: CheckContext, response: Response, case: FuzzCase) -> bool | None:
        answers.add(response.status_code, positive=_is_positive(case))
        return None

    return fd_answer_tally


@pytest.mark.fd_rule("SCH-01", "SCH-02", "SCH-03")
@per_operation
@hypothesis_settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_operation(
    case: FuzzCase,
    request: pytest.FixtureRequest,
    fd_settings: Settings,
    fuzz_context: FuzzContext,
) -> None:
    host, base_url, absent = _base_for(case, fd_settings)
    label = f"{host} {case.operation.label}"
    if absent:  # CR fuzzing without target.cr: the coverage table lists the operation with the reason
        request.node.user_properties.append(("fd_operation", label))
        pytest.skip(f"not run: {absent}")
    writes = case.method.upper() not in READ_METHODS
    if writes and fd_settings.mode == "read-only":
        pytest.skip("not run: read-only mode fuzzes reads only")
    run = fuzz_run(request.config)
    run.operations[request.node.nodeid] = (host, case.operation.label)
    if not run.within_scale(request.node.nodeid, _phase(case), positive=_is_positive(case)):
        return  # past what the run's --budget leaves this phase of the operation: not sent
    answers = run.answers.setdefault(request.node.nodeid, Answers())
    headers: dict[str, str] = {}
    primary = fuzz_context.personas.get("primary")
    if _is_positive(case) and primary is not None and primary.partner:
        headers[PARTNER_HEADER] = primary.partner
    sent_auth = case.headers.get("Authorization") if case.headers else None
    if sent_auth == f"Bearer {DEFERRED}" and primary is not None:
        headers["Authorization"] = f"Bearer {primary.token()}"
    if _is_positive(case):
        _pin_positive(case, request, run, writes=writes)
    edges = _edges_of(case, run, host)

    def call(*extra: Check) -> None:
        # our checks are registered globally; ignored_auth runs once per operation (see above)
        case.call_and_validate(base_url=base_url, headers=headers, excluded_checks=[ignored_auth],
                               additional_checks=[_ignored_auth_once(run, host), *extra])

    ledger = ledger_of(request.config)
    try:
        with ledger.watch() as first:
            call(_tally(answers))
    except Throttled:
        _record(request, run, label, case, throttled=True)
        return
    except (AssertionError, BaseExceptionGroup) as exc:  # FailureGroup / Failure / Finding
        _record(request, run, label, case, edges=edges)
        finding = as_finding(exc, operation=label, curl=case_curl(case, base_url), host=host)
        flaky = _settle(finding, run, ledger, request.node.nodeid, lambda: _replay(call), list(first), host)
        if flaky is not None:  # the tally holds the last replay's answer, which was judged, not the first
            answers.replace(*flaky, positive=_is_positive(case))
        return
    except requests.exceptions.Timeout as exc:
        # No answer is no evidence: the operation's remaining cases are not run (never a finding);
        # after run.abandon_after timeouts in a row it is not even sent any more.
        timed_out = exc.__cause__
        if isinstance(timed_out, RequestTimedOut):
            record_unanswered(request.node, timed_out, host, operation=label)
            pytest.skip(f"not run: {timed_out.reason}")
        raise
    _record(request, run, label, case, edges=edges)


def _pin_positive(case: FuzzCase, request: pytest.FixtureRequest, run: FuzzRun, *, writes: bool) -> None:
    """Give a positive case the target's own objects: the sandbox event for writes, the primary
    persona's ids for reads, the partner's own product."""
    if writes and "eid" in (case.path_parameters or {}):
        case.path_parameters["eid"] = request.getfixturevalue("fd_sandbox")["eid"]
    else:
        values = request.getfixturevalue("fuzz_path_values") if case.path_parameters else {}
        if not pin_real_objects(case, values):
            run.unaddressable.add(request.node.nodeid)
    if "partner_product" in (case.query or {}):
        # a positive case should reach the save itself, not only the documented 422 for a product
        # the partner does not have (which stays acceptable: see conformance.spec)
        product = request.getfixturevalue("fuzz_partner_product")
        if product:
            case.query["partner_product"] = product


def _replay(call: Callable[..., None]) -> BaseException | None:
    """One replay of a failed case: its failure, or ``None`` when it passed (not tallied again)."""
    try:
        call()
    except (AssertionError, BaseExceptionGroup) as exc:
        return exc
    except requests.exceptions.Timeout as exc:  # no answer: the replay judged nothing
        if isinstance(exc.__cause__, RequestTimedOut):
            raise exc.__cause__ from None
        raise
    return None


def _settle(  # noqa: PLR0917
    finding: Finding, run: FuzzRun, ledger: Ledger, nodeid: str, attempt: Callable[[], BaseException | None],
    first: list[int], host: str,
) -> tuple[int, int] | None:
    """Raise a failed case's finding once confirmed; keep it as flaky when its replays passed, and
    return its first and last statuses then.

    An operation whose failure was confirmed already is not replayed again (Hypothesis then shrinks
    it: its further failures count with the first confirmation)."""
    held = run.confirmed.get(nodeid)
    if held is not None:
        finding.confirmation = {**held, "note": "the operation's failure was confirmed by an earlier case"}
        raise finding from None
    confirmation = ledger.confirm(attempt, first, status=first_status)
    finding.confirmation = confirmation.as_dict()
    if confirmation.flaky:  # the replays passed: reported, not counted
        operation = run.operations.get(nodeid, (host, ""))[1]
        ledger.flaky(finding, host=host, operation=operation, test=nodeid)
        return confirmation.statuses[0], confirmation.statuses[-1]
    run.confirmed[nodeid] = finding.confirmation
    raise finding from None


PROPS = ("fd_operation", "fd_cases", "fd_phases", "fd_throttled", "fd_edges")


def _record(request: pytest.FixtureRequest, run: FuzzRun, label: str, case: FuzzCase, *,
            throttled: bool = False, edges: list[str] | None = None) -> None:
    """Per-item coverage for the results: operation label, judged cases so far, cases per phase, the
    cases the budget answered (429 after every retry), which are not judged, and edge values sent."""
    nodeid = request.node.nodeid
    sent = run.edges.setdefault(nodeid, Counter())
    if throttled:
        run.throttled[nodeid] += 1
    else:
        run.count(nodeid, _phase(case))
        sent.update(edges or ())
    props = [(k, v) for k, v in request.node.user_properties if k not in PROPS]
    props += [("fd_operation", label), ("fd_cases", run.cases[nodeid]),
              ("fd_phases", dict(run.phases.get(nodeid, {}))), ("fd_throttled", run.throttled[nodeid]),
              ("fd_edges", dict(sent))]
    request.node.user_properties[:] = props
