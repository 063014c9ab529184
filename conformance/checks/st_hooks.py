"""fd-conformance checks as Schemathesis checks (``@schemathesis.check``), for pytest and the CLI.

Registered checks (each failure text starts with its rule id, e.g. ``[ERR-01]``):

* ``fd_error_envelope`` (ERR-01): every 4xx/5xx answer carries the JSON error envelope.
* ``fd_cid_safety`` (CID-03): every issued id in every JSON answer is cid-safe; ``cid`` fields match.
* ``fd_list_isolation`` (TEN-04, PAG-01): page envelopes are consistent and hold only rows of the
  scoped partner (partner fields; and, by a replay as the other tenant, no row both tenants see).
* ``fd_tenancy_replay`` (TEN-01, TEN-03, OBJ-01): a sample of successful GETs is replayed
  (a) as the multi-partner persona without ``X-Preferred-Partner-Id`` → 400, (b) with a foreign
  partner header → 403, (c) with the other tenant's token on eid-bearing paths → 404 and no data.
  Only GETs are ever replayed, so read-only mode is respected.

In pytest the fuzz tests call :func:`configure` with the run's sessions. From the CLI::

    FDCONF_CONFIG=fdconf.toml SCHEMATHESIS_HOOKS=conformance.checks.st_hooks \\
        schemathesis run specs/main-api.yaml --url "$FD_BASE_URL" --generation-database none --seed 1

reads the personas from ``FDCONF_CONFIG`` (the ``fdconf.toml`` of ``fdconf serve --write-config``) on
first use. Without it only the stateless checks (envelope, cid safety, partner fields of list rows)
run; set ``FDCONF_CID_TEMPLATE`` to judge cids against another template. The primary persona's
token and partner header are then up to the CLI (``-H``) or ``[auth]``; ``FD_BASE_URL``/``CR_BASE``
are the usual base URLs of the two hosts.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import schemathesis

from conformance.checks import (
    DEFAULT_TEMPLATE,
    CidTemplate,
    Observed,
    carries_data,
    check_error_envelope,
    check_outcome,
    check_scoped,
    cid_problems,
    expected_outcome,
    keys_of,
    looks_paginated,
    page_problems,
)
from conformance.client.http import PARTNER_HEADER
from conformance.errors import Finding
from conformance.redact import REDACTOR

#: Replays per operation (each costs up to three GETs); small on purpose, the scenarios sweep fully.
REPLAYS_PER_OPERATION = 2
#: Client-supplied setup entries echo whatever was written; their tc values are not issued ids.
ECHO_CONTAINERS = frozenset({"creatives", "targeting", "integration_details"})
Sender = Callable[[str, Mapping[str, str]], Observed]  # (url, headers) -> observed GET


@dataclass
class Persona:
    """One identity for replays: a token source and its partners (the first is its default header)."""

    token: Callable[[], str]
    partners: tuple[str, ...]

    @property
    def partner(self) -> str | None:
        return self.partners[0] if len(self.partners) == 1 else None


@dataclass
class FuzzContext:
    """What the checks need beyond one response: personas, a GET sender, the cid template."""

    personas: dict[str, Persona] = field(default_factory=dict)
    send: Sender | None = None
    template: CidTemplate = field(default_factory=CidTemplate)
    replays: int = REPLAYS_PER_OPERATION
    _budget: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def claim_replay(self, key: str) -> bool:
        with self._lock:
            used = self._budget.get(key, 0)
            if used >= self.replays:
                return False
            self._budget[key] = used + 1
            return True


_CONTEXT: FuzzContext | None = None
_ENV_LOADED = False


def configure(context: FuzzContext | None) -> None:
    """Install (or with ``None`` remove) the context the registered checks use."""
    global _CONTEXT, _ENV_LOADED  # noqa: PLW0603 - one process-wide context, as Schemathesis checks are global
    _CONTEXT = context
    _ENV_LOADED = context is not None


def current() -> FuzzContext:
    """The installed context; the first call without one builds it from ``FDCONF_CONFIG`` if set."""
    global _CONTEXT, _ENV_LOADED  # noqa: PLW0603 - one process-wide context, as Schemathesis checks are global
    if _CONTEXT is None and not _ENV_LOADED:
        _ENV_LOADED = True
        _CONTEXT = _from_environment()
    return _CONTEXT or FuzzContext(
        template=CidTemplate(os.environ.get("FDCONF_CID_TEMPLATE") or DEFAULT_TEMPLATE)
    )


def _from_environment() -> FuzzContext | None:  # pragma: no cover - exercised by the CLI path
    path = os.environ.get("FDCONF_CONFIG")
    if not path:
        return None
    from conformance.auth.session import make_sessions
    from conformance.client.http import Transport
    from conformance.config import load_settings

    settings = load_settings(config=path)
    transport = Transport(**settings.transport_options())
    sessions = make_sessions(settings, transport)
    return FuzzContext(
        personas={name: Persona(s.access_token, tuple(s.partners)) for name, s in sessions.items()},
        send=transport_sender(transport),
        template=CidTemplate(os.environ.get("FDCONF_CID_TEMPLATE") or DEFAULT_TEMPLATE),
    )


def transport_sender(transport: Any) -> Sender:
    """A GET-only sender over the suite's Transport (which enforces the read-only guard)."""

    def send(url: str, headers: Mapping[str, str]) -> Observed:
        request = transport._client.build_request("GET", url, headers=dict(headers))
        return Observed.from_exchange(transport.send(request))

    return send


# -- adapting Schemathesis' objects ---------------------------------------------------------------


_LAST = threading.local()  # per thread (CLI workers): the response last adapted, and its Observed


def observed(response: Any, case: Any) -> Observed:
    """A Schemathesis response as :class:`Observed` (its header dict has lower-case keys, list values).

    Every check of one response shares one :class:`Observed` (and so one JSON parse). It carries no
    curl line: rendering one costs more than all our checks together, and only a finding needs it;
    :func:`_reproducible` adds it to findings about this response."""
    cached = getattr(_LAST, "pair", None)
    if cached is not None and cached[0] is response:
        return cast(Observed, cached[1])
    headers = {
        str(k).lower(): (v[0] if isinstance(v, list) and v else str(v)) for k, v in response.headers.items()
    }
    request = response.request
    obs = Observed(
        method=str(request.method),
        url=REDACTOR.text(str(request.url)),
        status=response.status_code,
        headers=headers,
        body=response.content or b"",
    )
    _LAST.pair = (response, obs)
    return obs


def _curl(case: Any) -> str:
    try:
        return REDACTOR.text(case.as_curl_command())
    except Exception:  # curl rendering is best effort; a check must not crash on it
        return ""


Check = Callable[[Any, Any, Any], "bool | None"]


def _reproducible(check: Check) -> Check:
    """Findings about the checked response itself get the case's curl line (replays carry their own)."""

    @functools.wraps(check)
    def wrapper(ctx: Any, response: Any, case: Any) -> bool | None:
        try:
            return check(ctx, response, case)
        except Finding as finding:
            if finding.curl:
                raise
            raise Finding(
                finding.rule_id,
                finding.message,
                expected=finding.expected,
                received=finding.received,
                curl=_curl(case),
                request=finding.request,
                response=finding.response,
            ) from None

    return wrapper


def _sent_headers(response: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in response.request.headers.items()}


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _strip_echoes(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: _strip_echoes(v) for k, v in body.items() if k not in ECHO_CONTAINERS}
    if isinstance(body, list):
        return [_strip_echoes(v) for v in body]
    return body


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# -- the checks ------------------------------------------------------------------------------------


@schemathesis.check
@_reproducible
def fd_error_envelope(ctx: Any, response: Any, case: Any) -> bool | None:
    """ERR-01 on every error answer."""
    check_error_envelope(observed(response, case))
    return None


@schemathesis.check
@_reproducible
def fd_cid_safety(ctx: Any, response: Any, case: Any) -> bool | None:
    """CID-03 on every successful JSON answer (client-written setup entries excluded)."""
    obs = observed(response, case)
    if not 200 <= obs.status < 300 or not obs.parses:
        return None
    problems = cid_problems(_strip_echoes(obs.json()), current().template)
    if problems:
        raise obs.finding(
            "CID-03",
            f"{case.operation.label}: ids are not cid-safe: " + "; ".join(problems[:5]),
            expected=f"ids without the separators of {current().template.template} or '/'",
        )
    return None


@schemathesis.check
@_reproducible
def fd_list_isolation(ctx: Any, response: Any, case: Any) -> bool | None:
    """PAG-01 consistency and TEN-04 scope of every page envelope."""
    obs = observed(response, case)
    body = obs.json()
    if obs.status != 200 or not looks_paginated(body):
        return None
    query = case.query or {}
    problems = page_problems(
        body,
        page=_int(query.get("page")) if "page" in query else None,
        limit=_int(query.get("limit")) if "limit" in query else None,
    )
    if problems:
        raise obs.finding(
            "PAG-01", f"{case.operation.label}: inconsistent page envelope: " + "; ".join(problems)
        )
    sent = _sent_headers(response)
    context = current()
    primary = context.personas.get("primary")
    scope = _header(sent, PARTNER_HEADER) or (primary.partner if primary else None)
    if scope is None:
        return None
    foreign: set[str] = set()
    other = context.personas.get("other")
    if (
        other is not None
        and other.partner
        and other.partner != scope
        and context.send is not None
        and not case.path_parameters
        and context.claim_replay(f"list {case.operation.label}")
    ):
        replay = context.send(
            str(response.request.url),
            {
                "Authorization": f"Bearer {other.token()}",
                PARTNER_HEADER: other.partner,
                "Accept": "application/json",
            },
        )
        theirs = replay.json()
        if replay.status == 200 and looks_paginated(theirs):
            foreign = keys_of(theirs["items"])
    check_scoped(body["items"], scope, where=case.operation.label, curl=obs.curl, foreign_keys=foreign)
    return None


def _eid_bearing(case: Any) -> bool:
    for param in case.operation.definition.raw.get("parameters", []) or []:
        if isinstance(param, dict) and param.get("in") == "path" and param.get("name") in ("eid", "event_id"):
            return True
    return any(name in ("eid", "event_id") for name in (case.path_parameters or {}))


@schemathesis.check
@_reproducible
def fd_tenancy_replay(ctx: Any, response: Any, case: Any) -> bool | None:
    """Replays of a successful GET under other identities (TEN-01, TEN-03, OBJ-01)."""
    context = current()
    if case.method.upper() != "GET" or not 200 <= response.status_code < 300 or context.send is None:
        return None
    sent = _sent_headers(response)
    if _header(sent, "Authorization") is None or not context.claim_replay(case.operation.label):
        return None
    url = str(response.request.url)
    base = {"Accept": "application/json"}
    multi = context.personas.get("multi")
    if multi is not None and len(multi.partners) > 1:
        replay = context.send(url, {**base, "Authorization": f"Bearer {multi.token()}"})
        _judge(
            replay,
            expected_outcome(multi.partners, None),
            "TEN-01",
            case,
            "as the multi-partner persona without X-Preferred-Partner-Id",
        )
    primary, other = context.personas.get("primary"), context.personas.get("other")
    foreign = next(
        (p for p in (other.partners if other else ()) if primary and p not in primary.partners), None
    )
    if primary is not None and foreign is not None:
        replay = context.send(
            url, {**base, "Authorization": f"Bearer {primary.token()}", PARTNER_HEADER: foreign}
        )
        _judge(
            replay,
            expected_outcome(primary.partners, foreign),
            "TEN-03",
            case,
            f"with X-Preferred-Partner-Id of another tenant ({foreign})",
        )
    if other is not None and other.partner and _eid_bearing(case) and _header(sent, "Authorization"):
        replay = context.send(
            url, {**base, "Authorization": f"Bearer {other.token()}", PARTNER_HEADER: other.partner}
        )
        if replay.status != 404 or carries_data(replay.json()):
            raise replay.finding(
                "OBJ-01",
                f"{case.operation.label}: an object the primary persona reads is "
                f"{replay.status} for the other tenant",
                expected="404 and no data",
            )
    return None


def _judge(replay: Observed, outcome: Any, rule: str, case: Any, how: str) -> None:
    try:
        check_outcome(replay, outcome, rule)
    except Finding as finding:
        raise Finding(
            rule,
            f"{case.operation.label} replayed {how}: {finding.message}",
            expected=finding.expected,
            received=finding.received,
            curl=replay.curl,
        ) from None


FD_CHECKS = (fd_error_envelope, fd_cid_safety, fd_list_isolation, fd_tenancy_replay)
