"""Schemathesis over both bundled specs: examples, coverage and fuzzing phases, one item per operation.

* The schemas are the run's (:mod:`conformance.fuzz.schemas`, built per session in ``conftest.py``);
  the base URL is passed per call (``/media`` goes to the unversioned base). Every request, the
  ``ignored_auth`` probes included, leaves through the run's Transport.
* Positive cases are scoped to the primary persona's partner (its header replaces a generated one);
  negative cases keep whatever Schemathesis generated.
* Write operations run in write mode with their eid pinned to the sandbox event.
* Failures become one Finding tagged with every rule hit (see :mod:`conformance.fuzz.failures`);
  AUTH/TEN/OBJ evidence from the CR host is HST-02's.
* Cost: ``ignored_auth`` probes once per operation (as in Schemathesis' own engine), our checks share
  one parsed response and render curl only for findings, tenancy replays are budgeted per operation
  (:mod:`conformance.fuzz.checks`).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis import CheckContext, Response
from schemathesis.specs.openapi.checks import ignored_auth

from conformance.client import PARTNER_HEADER
from conformance.config import Settings
from conformance.errors import RequestTimedOut
from conformance.fuzz import checks as _registered  # noqa: F401 - registers our Schemathesis checks
from conformance.fuzz.context import FuzzCase, FuzzContext
from conformance.fuzz.failures import as_finding, case_curl
from conformance.fuzz.run import FuzzRun, fuzz_run, per_operation
from conformance.fuzz.schemas import DEFERRED
from conformance.harness.ledger import record_unanswered

Check = Callable[[CheckContext, Response, FuzzCase], "bool | None"]


def _base_for(case: FuzzCase, settings: Settings) -> tuple[str, str]:
    """``(host label, base URL)`` of a case: main, media (x-fd-base: unversioned) or cr."""
    raw = case.operation.definition.raw
    if raw.get("x-fd-base") == "unversioned":
        return "main", str(settings.media)
    title = str(case.operation.schema.raw_schema.get("x-fd-host", "main"))
    return title, str(settings.cr if title == "cr" else settings.main)


def _is_positive(case: FuzzCase) -> bool:
    meta = case.meta
    return meta is None or str(meta.generation.mode.value) == "positive"


def _phase(case: FuzzCase) -> str:
    meta = case.meta
    return str(meta.phase.name.value) if meta is not None else "unknown"


def _ignored_auth_once(run: FuzzRun, host: str) -> Check:
    """Schemathesis' ``ignored_auth`` (ST401) as its own engine runs it: the no-auth and invalid-auth
    probes go out until an operation has been shown to enforce auth, then once per operation per run
    ("enforcement is a property of the operation"). Under pytest the check gets no run-wide memory and
    would probe after every 2xx, doubling the requests; AUTH-01's sweep probes every operation anyway."""
    enforced = run.auth_enforced.setdefault(host, set())

    def ignored_auth_once(ctx: CheckContext, response: Response, case: FuzzCase) -> bool | None:
        if getattr(ctx, "auth_enforced_operations", None) is None:
            ctx.auth_enforced_operations = enforced
        return ignored_auth(ctx, response, case)

    return ignored_auth_once


@pytest.mark.fd_rule("SCH-01", "SCH-02", "SCH-03")
@per_operation
@hypothesis_settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_operation(
    case: FuzzCase,
    request: pytest.FixtureRequest,
    fd_settings: Settings,
    fuzz_context: FuzzContext,
) -> None:
    host, base_url = _base_for(case, fd_settings)
    label = f"{host} {case.operation.label}"
    if case.method.upper() not in ("GET", "HEAD") and fd_settings.mode == "read-only":
        pytest.skip("not run: read-only mode fuzzes reads only")
    run = fuzz_run(request.config)
    _record(request, run, label, case)
    headers: dict[str, str] = {}
    primary = fuzz_context.personas.get("primary")
    if _is_positive(case) and primary is not None and primary.partner:
        headers[PARTNER_HEADER] = primary.partner
    sent_auth = case.headers.get("Authorization") if case.headers else None
    if sent_auth == f"Bearer {DEFERRED}" and primary is not None:
        headers["Authorization"] = f"Bearer {primary.token()}"
    writes = case.method.upper() not in ("GET", "HEAD")
    if writes and "eid" in (case.path_parameters or {}) and _is_positive(case):
        case.path_parameters["eid"] = request.getfixturevalue("fd_sandbox")["eid"]
    if _is_positive(case) and "partner_product" in (case.query or {}):
        # a positive case should reach the save itself, not only the documented 422 for a product
        # the partner does not have (which stays acceptable: see conformance.spec)
        product = request.getfixturevalue("fuzz_partner_product")
        if product:
            case.query["partner_product"] = product
    try:
        # our checks are registered globally; ignored_auth runs once per operation (see above)
        case.call_and_validate(
            base_url=base_url,
            headers=headers,
            excluded_checks=[ignored_auth],
            additional_checks=[_ignored_auth_once(run, host)],
        )
    except (AssertionError, BaseExceptionGroup) as exc:  # FailureGroup / Failure / Finding
        raise as_finding(exc, operation=label, curl=case_curl(case, base_url), host=host) from None
    except requests.exceptions.Timeout as exc:
        # No answer is no evidence: the operation's remaining cases are not run (never a finding);
        # after run.abandon_after timeouts in a row it is not even sent any more.
        timed_out = exc.__cause__
        if isinstance(timed_out, RequestTimedOut):
            record_unanswered(request.node, timed_out, host, operation=label)
            pytest.skip(f"not run: {timed_out.reason}")
        raise


def _record(request: pytest.FixtureRequest, run: FuzzRun, label: str, case: FuzzCase) -> None:
    """Per-item coverage for the results: operation label, cases so far, cases per phase."""
    cases, phases = run.count(request.node.nodeid, _phase(case))
    props = [
        (k, v) for k, v in request.node.user_properties if k not in ("fd_operation", "fd_cases", "fd_phases")
    ]
    props += [("fd_operation", label), ("fd_cases", cases), ("fd_phases", phases)]
    request.node.user_properties[:] = props
