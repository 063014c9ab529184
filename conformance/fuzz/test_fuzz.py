"""Schemathesis over both bundled specs: examples, coverage and fuzzing phases, one item per operation.

* Schemas are loaded eagerly from the bundled specs; the base URL is passed per call (``/media`` goes to
  the unversioned base). Auth comes from a schema auth provider fed by the run's sessions, never from
  ``case.headers``, so Schemathesis' own missing/invalid-auth probes stay meaningful.
* Positive cases are scoped to the primary persona's partner (its header replaces a generated one);
  negative cases keep whatever Schemathesis generated.
* Read-only mode: GET operations only and no undocumented-method probing. Write operations run in
  write mode with their eid pinned to the sandbox event; boost-grade operations (``x-fd-publish``)
  only in publish mode against the embedded reference.
* Seed and examples per operation come from the run settings (``database=none``: reproducible).
* Failures become one Finding tagged with every rule hit (see :mod:`conformance.fuzz.failures`);
  AUTH/TEN/OBJ evidence from the CR host is HST-02's.
* Cost: one keep-alive session for all cases, ``ignored_auth`` probes once per operation (as in
  Schemathesis' own engine), our checks share one parsed response and render curl only for findings,
  tenancy replays are budgeted per operation (:mod:`conformance.checks.st_hooks`).
"""

from __future__ import annotations

import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import ignored_auth

import conformance.spec as contract
from conformance import resources
from conformance.checks import st_hooks
from conformance.client.http import PARTNER_HEADER
from conformance.fuzz import runtime
from conformance.fuzz.failures import as_finding, case_curl

SETTINGS = runtime.collection_settings()
READ_ONLY = SETTINGS.mode == "read-only"
FUZZ_PUBLISH = SETTINGS.mode == "publish" and SETTINGS.embedded


def _config(host: str) -> Any:
    # Mode safety lives in the config's operation entries: Schemathesis ignores schema.include() and
    # schema.exclude() once a config has any (see conformance.fuzz.contract).
    entries = contract.operations_config(host, reads_only=READ_ONLY, publish=FUZZ_PUBLISH)
    # How cases reach the target (target.headers, target.ca_bundle) is set as in test_stateful.py: in the
    # config, since Schemathesis passes its own `verify` to every call, overriding the session's.
    return schemathesis.Config.from_dict(
        {"operations": entries, "headers": dict(SETTINGS.headers), "tls-verify": SETTINGS.ca_bundle or True}
    )


def _load(path: Any, host: str) -> Any:
    schema: Any = schemathesis.openapi.from_path(path, config=_config(host))
    schema.config.seed = SETTINGS.seed
    schema.config.generation.update(max_examples=SETTINGS.max_examples, database="none")
    schema.config.phases.stateful.enabled = False  # stateful runs through the engine: test_stateful.py
    for phase in ("examples", "coverage", "fuzzing"):
        config = getattr(schema.config.phases, phase)
        if not SETTINGS.embedded and hasattr(config, "extra_data_sources"):
            config.extra_data_sources.responses = False  # never reuse captured ids in writes
    if READ_ONLY:
        schema.config.phases.coverage.unexpected_methods = set()
    _register_auth(schema)
    return schema


DEFERRED = "fdconf-deferred-token"
_SESSIONS: dict[bool, Any] = {}  # loopback or not -> the run's HTTP session (created on first use)
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _session(base_url: str) -> Any:
    """One keep-alive ``requests`` session for every case, as Schemathesis' own engine uses: without
    it ``case.call`` opens a new connection per request. Cookies are dropped between cases.

    For a loopback target the environment is not consulted: a proxy must never carry loopback
    traffic, and reading proxy/netrc/CA settings from the environment costs ~0.5 ms per request."""
    loopback = (urllib.parse.urlsplit(base_url).hostname or "") in LOOPBACK
    if loopback not in _SESSIONS:
        from schemathesis.transport.requests import ManagedCookiesSession

        session = ManagedCookiesSession()
        session.headers.clear()  # no requests defaults (User-Agent, Accept) merged into every case
        session.trust_env = not loopback
        _SESSIONS[loopback] = session
    return _SESSIONS[loopback]


@pytest.fixture(scope="module", autouse=True)
def _close_sessions() -> Iterator[None]:
    """Release the keep-alive connections when the module's tests are done (the target may be a
    server that waits for its clients before it can stop)."""
    yield
    for session in _SESSIONS.values():
        session.close()
    _SESSIONS.clear()


#: Per host: operations whose auth enforcement ignored_auth has confirmed in this run.
_AUTH_ENFORCED: dict[str, set[str]] = {}


def _ignored_auth_once(host: str) -> Callable[..., Any]:
    """Schemathesis' ``ignored_auth`` (ST401) as its own engine runs it: the no-auth and invalid-auth
    probes go out until an operation has been shown to enforce auth, then once per operation per run
    ("enforcement is a property of the operation"). Under pytest the check gets no run-wide memory and
    would probe after every 2xx, doubling the requests; AUTH-01's sweep probes every operation anyway."""
    enforced = _AUTH_ENFORCED.setdefault(host, set())

    def ignored_auth_once(ctx: Any, response: Any, case: Any) -> bool | None:
        if getattr(ctx, "auth_enforced_operations", None) is None:
            ctx.auth_enforced_operations = enforced
        return ignored_auth(ctx, response, case)

    return ignored_auth_once


def _register_auth(schema: Any) -> None:
    # Explicit examples are generated while collecting, before the run's sessions exist: they get a
    # deferred marker that the test swaps for the real token (passed explicitly, so ignored_auth still
    # classifies it as the provider's). No caching: sessions cache and refresh tokens themselves.
    @schema.auth(refresh_interval=None).apply_to(schemathesis.openapi.require_security_scheme("bearerAuth"))
    class PrimaryToken:
        def get(self, case: Any, ctx: Any) -> str:
            persona = st_hooks.current().personas.get("primary")
            return persona.token() if persona is not None else DEFERRED

        def set(self, case: Any, data: str, ctx: Any) -> None:
            case.headers["Authorization"] = f"Bearer {data}"


MAIN = _load(resources.main_spec(), "main")
CR = _load(resources.cr_spec(), "cr")
_CASES: Counter[str] = Counter()
_PHASES: dict[str, Counter[str]] = {}


def _base_for(case: Any, settings: Any) -> tuple[str, str]:
    """``(host label, base URL)`` of a case: main, media (x-fd-base: unversioned) or cr."""
    raw = case.operation.definition.raw
    if raw.get("x-fd-base") == "unversioned":
        return "main", str(settings.media)
    title = str(case.operation.schema.raw_schema.get("x-fd-host", "main"))
    return title, str(settings.cr if title == "cr" else settings.main)


def _is_positive(case: Any) -> bool:
    try:
        return str(case.meta.generation.mode.value) == "positive"
    except AttributeError:
        return True


def _phase(case: Any) -> str:
    try:
        return str(case.meta.phase.name.value)
    except AttributeError:
        return "unknown"


@pytest.mark.fd_rule("SCH-01", "SCH-02", "SCH-03")
@schemathesis.pytest.parametrize(main=MAIN, cr=CR)
@hypothesis_settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_operation(  # noqa: PLR0917 - pytest passes fixtures positionally
    case: Any,
    request: pytest.FixtureRequest,
    fd_settings: Any,
    fd_mode: str,
    fuzz_context: st_hooks.FuzzContext,
    fd_api: Callable[..., Any],
) -> None:
    host, base_url = _base_for(case, fd_settings)
    label = f"{host} {case.operation.label}"
    if case.method.upper() not in ("GET", "HEAD") and fd_mode == "read-only":
        pytest.skip("not run: read-only mode fuzzes reads only")
    _record(request, label, case)
    headers: dict[str, str] = {}
    primary = fuzz_context.personas.get("primary")
    if _is_positive(case) and primary is not None and primary.partner:
        headers[PARTNER_HEADER] = primary.partner
    if (case.headers or {}).get("Authorization") == f"Bearer {DEFERRED}" and primary is not None:
        headers["Authorization"] = f"Bearer {primary.token()}"
    if (
        case.method.upper() not in ("GET", "HEAD")
        and "eid" in (case.path_parameters or {})
        and _is_positive(case)
    ):
        case.path_parameters["eid"] = request.getfixturevalue("fd_sandbox")["eid"]
    if _is_positive(case) and "partner_product" in (case.query or {}):
        # a positive case should reach the save itself, not only the documented 422 for a product
        # the partner does not have (which stays acceptable: see conformance.fuzz.contract)
        product = request.getfixturevalue("fuzz_partner_product")
        if product:
            case.query["partner_product"] = product
    try:
        # st_hooks checks are registered globally; ignored_auth runs once per operation (see above)
        case.call_and_validate(
            base_url=base_url,
            session=_session(base_url),
            headers=headers,
            excluded_checks=[ignored_auth],
            additional_checks=[_ignored_auth_once(host)],
        )
    except (AssertionError, BaseExceptionGroup) as exc:  # FailureGroup / Failure / Finding
        raise as_finding(exc, operation=label, curl=case_curl(case, base_url), host=host) from None


def _record(request: pytest.FixtureRequest, label: str, case: Any) -> None:
    """Per-item coverage for the plugin: operation label, cases so far, cases per phase."""
    key = request.node.nodeid
    _CASES[key] += 1
    phases = _PHASES.setdefault(key, Counter())
    phases[_phase(case)] += 1
    props = [
        (k, v) for k, v in request.node.user_properties if k not in ("fd_operation", "fd_cases", "fd_phases")
    ]
    props += [("fd_operation", label), ("fd_cases", _CASES[key]), ("fd_phases", dict(phases))]
    request.node.user_properties[:] = props
