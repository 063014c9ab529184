"""The suite's judgements as Schemathesis checks (``@schemathesis.check``), for pytest and the CLI.

Registered on import (each failure is a :class:`RuleFailure`: code ``FD901``, the rule id as data):

* ``fd_error_envelope`` (ERR-01): every 4xx/5xx answer carries the JSON error envelope.
* ``fd_cid_safety`` (CID-03): every issued id in every JSON answer is cid-safe.
* ``fd_list_isolation`` (TEN-04, PAG-01): page envelopes are consistent and hold only rows of the
  scoped partner (partner fields; and, by a replay as the other tenant, no row both tenants see).
* ``fd_tenancy_replay`` (TEN-01, TEN-03, OBJ-01): a sample of successful authenticated GETs is
  replayed (a) as the multi-partner persona without ``X-Preferred-Partner-Id`` → 400, (b) with a
  foreign partner header → 403, (c) with the other tenant's token on eid-bearing paths → 404 and no
  data. Only GETs are ever replayed, so read-only mode is respected.

The judgements themselves are the pure functions of :mod:`conformance.checks`; this module adapts
Schemathesis' objects to them and sends the replays through the run's context
(:mod:`conformance.fuzz.context`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import schemathesis
from schemathesis import CheckContext, Response
from schemathesis.core.failures import Failure

from conformance.checks import (
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
from conformance.client import PARTNER_HEADER, Throttled
from conformance.errors import Finding
from conformance.fuzz.context import FuzzCase, context_of
from conformance.redact import REDACTOR

#: Client-supplied setup entries echo whatever was written; their tc values are not issued ids.
ECHO_CONTAINERS = frozenset({"creatives", "targeting", "integration_details"})
TEMPLATE = CidTemplate()  # CONTRACT §3: the one cid template
PUBLIC_SECURITY: list[Any] = [{}]


class RuleFailure(Failure):
    """A finding of one of our checks, as Schemathesis reports failures: the rule id travels as data.

    ``finding`` is the :class:`~conformance.errors.Finding` the judgement raised (expected,
    received, curl of the replay when there was one)."""

    code: ClassVar[str] = "FD901"
    kind_title: ClassVar[str] = "fd-conformance rule violated"

    __slots__ = ("finding", "rule_id")

    def __init__(self, *, operation: str | None, check: str, finding: Finding) -> None:
        super().__init__(operation=operation, title=f"{check} ({finding.rule_id})", message=finding.message)
        self.rule_id = finding.rule_id
        self.finding = finding

    @property
    def _unique_key(self) -> str:
        return f"{self.rule_id}|{self.title}"


_LAST = threading.local()  # per thread (CLI workers): the response last adapted, and its Observed


def observed(response: Response, case: FuzzCase) -> Observed:
    """A Schemathesis response as :class:`Observed` (its header dict has lower-case keys, list values).

    Every check of one response shares one :class:`Observed` (and so one JSON parse). It carries no
    curl line: rendering one costs more than all our checks together, and only a finding needs it."""
    cached = getattr(_LAST, "pair", None)
    if cached is not None and cached[0] is response:
        return cached[1]  # type: ignore[no-any-return]
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


Check = Callable[[CheckContext, Response, FuzzCase], "bool | None"]


def _as_failure(check: Check) -> Check:
    """A :class:`Finding` from the judgement becomes a :class:`RuleFailure` of the checked case.

    A 429 (the budget answered, not the API) and a replay throttled after its retries judge nothing."""

    def wrapper(ctx: CheckContext, response: Response, case: FuzzCase) -> bool | None:
        if response.status_code == 429:
            return True  # Schemathesis' "skipped": not a success, not a failure
        try:
            return check(ctx, response, case)
        except Throttled:
            return True
        except Finding as finding:
            raise RuleFailure(operation=case.operation.label, check=check.__name__, finding=finding) from None

    wrapper.__name__ = check.__name__
    wrapper.__doc__ = check.__doc__
    return wrapper


def _sent_headers(response: Response) -> dict[str, str]:
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


def _asked(query: Mapping[str, Any], name: str, body: Mapping[str, Any]) -> int | None:
    """What the request asked for as ``name`` (``None``: not sent). Sent more than once
    (``page=1&page=2``), which one a server reads is not in the contract: any of them is fine."""
    if name not in query:
        return None
    value = query[name]
    if not isinstance(value, list):
        return _int(value)
    sent = [_int(v) for v in value]
    echoed = body.get(name)
    return echoed if echoed in sent else (sent[0] if sent else None)


def is_public(case: FuzzCase) -> bool:
    """Whether the operation declares no security (``security: []``, e.g. ``GET /status/``)."""
    raw = case.operation.definition.raw
    return "security" in raw and not any(raw["security"] or [])


@schemathesis.check
@_as_failure
def fd_error_envelope(ctx: CheckContext, response: Response, case: FuzzCase) -> bool | None:
    """ERR-01 on every error answer."""
    check_error_envelope(observed(response, case))
    return None


@schemathesis.check
@_as_failure
def fd_cid_safety(ctx: CheckContext, response: Response, case: FuzzCase) -> bool | None:
    """CID-03 on every successful JSON answer (client-written setup entries excluded)."""
    obs = observed(response, case)
    if not 200 <= obs.status < 300 or not obs.parses:
        return None
    problems = cid_problems(_strip_echoes(obs.json()), TEMPLATE)
    if problems:
        raise obs.finding(
            "CID-03",
            f"{case.operation.label}: ids are not cid-safe: " + "; ".join(problems[:5]),
            expected=f"ids without the separators of {TEMPLATE.template} or '/'",
        )
    return None


@schemathesis.check
@_as_failure
def fd_list_isolation(ctx: CheckContext, response: Response, case: FuzzCase) -> bool | None:
    """PAG-01 consistency and TEN-04 scope of every page envelope."""
    obs = observed(response, case)
    body = obs.json()
    if obs.status != 200 or not looks_paginated(body):
        return None
    query = case.query or {}
    problems = page_problems(body, page=_asked(query, "page", body), limit=_asked(query, "limit", body))
    if problems:
        raise obs.finding(
            "PAG-01", f"{case.operation.label}: inconsistent page envelope: " + "; ".join(problems)
        )
    sent = _sent_headers(response)
    context = context_of(case)
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
            {"Authorization": f"Bearer {other.token()}", PARTNER_HEADER: other.partner,
             "Accept": "application/json"},
        )
        theirs = replay.json()
        if replay.status == 200 and looks_paginated(theirs):
            foreign = keys_of(theirs["items"])
    check_scoped(body["items"], scope, where=case.operation.label, curl=obs.curl, foreign_keys=foreign)
    return None


def _eid_bearing(case: FuzzCase) -> bool:
    for param in case.operation.definition.raw.get("parameters", []) or []:
        if isinstance(param, dict) and param.get("in") == "path" and param.get("name") in ("eid", "event_id"):
            return True
    return any(name in ("eid", "event_id") for name in (case.path_parameters or {}))


@schemathesis.check
@_as_failure
def fd_tenancy_replay(ctx: CheckContext, response: Response, case: FuzzCase) -> bool | None:
    """Replays of a successful authenticated GET under other identities (TEN-01, TEN-03, OBJ-01).

    Public operations (``security: []``) are not replayed: they answer everyone alike by design."""
    context = context_of(case)
    if case.method.upper() != "GET" or not 200 <= response.status_code < 300 or context.send is None:
        return None
    sent = _sent_headers(response)
    if is_public(case) or _header(sent, "Authorization") is None:
        return None
    if not context.claim_replay(case.operation.label):
        return None
    url = str(response.request.url)
    base = {"Accept": "application/json"}
    multi = context.personas.get("multi")
    if multi is not None and len(multi.partners) > 1:
        replay = context.send(url, {**base, "Authorization": f"Bearer {multi.token()}"})
        _judge(replay, expected_outcome(multi.partners, None), "TEN-01", case,
               "as the multi-partner persona without X-Preferred-Partner-Id")
    primary, other = context.personas.get("primary"), context.personas.get("other")
    foreign = next(
        (p for p in (other.partners if other else ()) if primary and p not in primary.partners), None
    )
    if primary is not None and foreign is not None:
        token = primary.token()
        replay = context.send(url, {**base, "Authorization": f"Bearer {token}", PARTNER_HEADER: foreign})
        _judge(replay, expected_outcome(primary.partners, foreign), "TEN-03", case,
               f"with X-Preferred-Partner-Id of another tenant ({foreign})")
    if other is not None and other.partner and _eid_bearing(case):
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


def _judge(replay: Observed, outcome: Any, rule: str, case: FuzzCase, how: str) -> None:
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
