"""TEN-01..05: the X-Preferred-Partner-Id decisions of CONTRACT §2, on every authenticated read.

The sweeps use every secured GET of both specs, filled with the primary persona's discovered event
(the multi persona belongs to the same partner, so the paths are valid for it too). Lists are found
at run time: a GET whose answer is a page envelope is walked page by page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.checks.observed import require_json
from conformance.checks.pagination import looks_paginated
from conformance.checks.scope import check_scoped, keys_of
from conformance.checks.tenancy import PARTNER_RE, check_outcome, expected_outcome
from conformance.client.http import OMIT, Api
from conformance.errors import Finding
from conformance.scenarios.discovery import list_items, walk_pages
from conformance.scenarios.operations import Operation, fill_path
from conformance.scenarios.personas import non_partner_groups, partners_of
from conformance.scenarios.sweep import (
    ProbeLedger,
    Sweep,
    Unexercised,
    host_of,
    read_control,
    required_params,
    targets,
)

WALK_LIMIT = 10


def _reads(
    spec_ops: tuple[Operation, ...], values: dict[str, Any], sweep: Sweep
) -> list[tuple[Operation, str]]:
    return targets([op for op in spec_ops if op.secured], values, reads_only=True, sweep=sweep)


def _tenancy_sweep(  # noqa: PLR0917 - pytest passes fixtures positionally
    rule: str,
    check: str,
    persona: str,
    header: str | None,
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    fd_sessions: Any,
    spec_ops: tuple[Operation, ...],
    values: dict[str, Any],
    what: str,
    entitled: tuple[str, str],
) -> None:
    """Probe every secured read as ``persona`` sending ``header``; each probe is judged only when the
    ``entitled`` (persona, partner) gets 2xx on the same read with the same ids (the control)."""
    if persona not in fd_sessions:
        pytest.skip(f"not run: persona `{persona}` is not configured")
    outcome = expected_outcome(partners_of(fd_sessions[persona]), header)
    sweep = Sweep(rule, fd_ledger, check)
    for op, path in _reads(spec_ops, values, sweep):
        api = fd_api(persona, host_of(op))
        owner = fd_api(entitled[0], host_of(op), partner=entitled[1])
        control = read_control(fd_ledger, owner, op, path, params=required_params(op))

        def judge(op: Operation = op, path: str = path, api: Api = api) -> None:
            exchange = api.get(path, params=required_params(op), partner=OMIT if header is None else header)
            try:
                check_outcome(exchange, outcome, rule)
            except Finding as finding:
                raise finding.relabel(rule, f"{op.host} {finding.message}") from None

        sweep.judge(judge, op.host, operation=op.label, control=control)
    sweep.finish(what)


@pytest.mark.fd_rule("TEN-01", "HST-02")
@pytest.mark.fd_needs(personas=("multi",))
def test_multi_partner_user_without_header_gets_400(  # noqa: PLR0917 - pytest passes fixtures positionally
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    fd_sessions: Any,
    spec_ops: tuple[Operation, ...],
    path_values: dict[str, Any],
    primary_partner: str,
) -> None:
    partners = partners_of(fd_sessions["multi"])
    if len(partners) < 2:
        pytest.skip("not run: persona `multi` does not belong to two partners")
    if primary_partner not in partners:
        pytest.skip("not run: persona `multi` does not belong to the primary persona's partner")
    _tenancy_sweep(
        "TEN-01",
        "multi-no-header-400",
        "multi",
        None,
        fd_api,
        fd_ledger,
        fd_sessions,
        spec_ops,
        path_values,
        "a multi-partner user without X-Preferred-Partner-Id must get 400 and no data",
        ("multi", primary_partner),
    )


@pytest.mark.fd_rule("TEN-02", "HST-02")
def test_single_partner_user_without_header_gets_own_data(  # noqa: PLR0917 - pytest passes fixtures positionally
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    fd_sessions: Any,
    spec_ops: tuple[Operation, ...],
    path_values: dict[str, Any],
    primary_partner: str,
) -> None:
    """Implied vs explicit: judged where the header-scoped request answers 2xx (sent fresh, next to the
    implied one, so both see the same data); there a 4xx or another answer without the header is a
    finding (CONTRACT §6). No 2xx even with the header: unexercised."""
    if len(partners_of(fd_sessions["primary"])) != 1:
        pytest.skip("not run: the primary persona does not belong to exactly one partner")
    sweep = Sweep("TEN-02", fd_ledger, "implied-equals-explicit")
    for op, path in _reads(spec_ops, path_values, sweep):
        api = fd_api("primary", host_of(op))

        def judge(op: Operation = op, path: str = path, api: Api = api) -> None:
            params = required_params(op)
            explicit = api.get(path, params=params, partner=primary_partner)
            if not 200 <= explicit.status < 300:
                raise Unexercised(f"control: the header-scoped request gets {explicit.status}")
            implied = api.get(path, params=params, partner=OMIT)
            if (implied.status, implied.json()) != (explicit.status, explicit.json()):
                raise implied.finding(
                    "TEN-02",
                    f"{op.host} GET {path}: without the header -> {implied.status}, scoped to "
                    f"{primary_partner} -> {explicit.status}"
                    + (" (bodies differ)" if implied.status == explicit.status else ""),
                    expected=f"{explicit.status} {explicit.response.text[:160]}",
                )

        sweep.judge(judge, op.host, operation=op.label)
    sweep.finish("a single-partner user without the header must get exactly the header-scoped answer")


HEADER_CHECKS = {
    "other-tenant": "other-tenant-header-403",
    "non-partner-group": "non-partner-group-403",
    "malformed": "malformed-header-403",
}


def _foreign_header(kind: str, fd_sessions: Any, other_partner: str, primary_partner: str) -> str:
    if kind == "other-tenant":
        return other_partner
    if kind == "non-partner-group":
        groups = non_partner_groups(fd_sessions["primary"])
        if not groups:
            pytest.skip("not run: the primary persona has no non-partner group to send")
        return groups[0]
    # malformed: the user's own partner id in another case does not match ^(partner-id-.+|fd\d+)$
    return primary_partner.upper()


@pytest.mark.fd_rule("TEN-03", "HST-02")
@pytest.mark.parametrize("kind", ["other-tenant", "non-partner-group", "malformed"])
def test_header_naming_a_partner_the_user_lacks_gets_403(  # noqa: PLR0917 - pytest passes fixtures positionally
    kind: str,
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    fd_sessions: Any,
    spec_ops: tuple[Operation, ...],
    path_values: dict[str, Any],
    other_partner: str,
    primary_partner: str,
) -> None:
    header = _foreign_header(kind, fd_sessions, other_partner, primary_partner)
    _tenancy_sweep(
        "TEN-03",
        HEADER_CHECKS[kind],
        "primary",
        header,
        fd_api,
        fd_ledger,
        fd_sessions,
        spec_ops,
        path_values,
        f"X-Preferred-Partner-Id `{kind}` must get 403 and no data",
        ("primary", primary_partner),
    )


@pytest.mark.fd_rule("TEN-03", "HST-02")
@pytest.mark.fd_needs(personas=("nopartner",))
def test_user_with_no_partner_gets_403(  # noqa: PLR0917 - pytest passes fixtures positionally
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    fd_sessions: Any,
    spec_ops: tuple[Operation, ...],
    path_values: dict[str, Any],
    primary_partner: str,
) -> None:
    """CONTRACT §2: a user in no partner group gets 403 on every authenticated read (the ids are the
    primary persona's, which gets 2xx on them: the control)."""
    if partners_of(fd_sessions["nopartner"]):
        pytest.skip("not run: persona `nopartner` belongs to a partner")
    _tenancy_sweep(
        "TEN-03",
        "no-partner-403",
        "nopartner",
        None,
        fd_api,
        fd_ledger,
        fd_sessions,
        spec_ops,
        path_values,
        "a user with no partner must get 403 and no data",
        ("primary", primary_partner),
    )


def _list_paths(
    spec_ops: tuple[Operation, ...], values: dict[str, Any], api: Api
) -> list[tuple[Operation, str]]:
    """Main-host GETs whose answer is a page envelope (found by asking, not assumed)."""
    found = []
    for op, path in targets(
        [op for op in spec_ops if op.secured and op.host == "main"], values, reads_only=True
    ):
        if op.base != "versioned":
            continue
        exchange = api.get(path, params={**required_params(op), "page": 1, "limit": WALK_LIMIT})
        if exchange.status == 200 and looks_paginated(exchange.json()):
            found.append((op, path))
    return found


def _walk_all(api: Api, path: str, rule: str) -> list[Any]:
    items: list[Any] = []
    for _, exchange in walk_pages(api, path, limit=WALK_LIMIT):
        body = require_json(exchange, rule, f"GET {path}")
        if isinstance(body, dict) and isinstance(body.get("items"), list):
            items.extend(body["items"])
    return items


@pytest.mark.fd_rule("TEN-04")
def test_every_page_of_every_list_is_scoped(  # noqa: PLR0917 - pytest passes fixtures positionally
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    spec_ops: tuple[Operation, ...],
    path_values: dict[str, Any],
    foreign_values: dict[str, Any],
    primary_partner: str,
    other_partner: str,
) -> None:
    """Each list is judged when it holds rows (an empty list proves no scoping). The other tenant's
    rows to look for come from its own view of the same list: for a child list such as
    ``/events/{eid}/campaigns``, the list of its own event."""
    primary = fd_api("primary", "main", partner=primary_partner)
    other = fd_api("other", "main", partner=other_partner)
    sweep = Sweep("TEN-04", fd_ledger, "pages-scoped")
    lists = _list_paths(spec_ops, path_values, primary)
    if not lists:
        pytest.skip("not run: no paginated list answered as primary")
    for op, path in lists:
        theirs_path = fill_path(op, foreign_values) if op.path_params else path

        def judge(path: str = path, theirs_path: str | None = theirs_path) -> None:
            theirs = keys_of(_walk_all(other, theirs_path, "TEN-04")) if theirs_path else set()
            rows = 0
            for page, exchange in walk_pages(primary, path, limit=WALK_LIMIT):
                body = require_json(exchange, "TEN-04", f"GET {path}")
                if isinstance(body, dict) and isinstance(body.get("items"), list):
                    rows += len(body["items"])
                    check_scoped(
                        body["items"],
                        primary_partner,
                        where=f"GET {path} page {page}",
                        curl=exchange.curl,
                        foreign_keys=theirs,
                    )
            if not rows:
                raise Unexercised("the list is empty")

        sweep.judge(judge, op.host, operation=op.label)
    sweep.finish("every row of every page must belong to the scoped partner")


@pytest.mark.fd_rule("TEN-04")
@pytest.mark.fd_needs(personas=("multi",))
def test_switching_the_header_switches_scope(
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    primary_partner: str,
    other_partner: str,
    fd_sessions: Any,
) -> None:
    if not {primary_partner, other_partner} <= set(partners_of(fd_sessions["multi"])):
        pytest.skip("not run: persona `multi` does not belong to both primary's and other's partners")
    sweep = Sweep("TEN-04", fd_ledger, "header-switches-scope")

    def judge() -> None:
        views = {}
        for persona, partner in (("primary", primary_partner), ("other", other_partner)):
            own = fd_api(persona, "main", partner=partner)
            views[(persona, partner)] = keys_of(list_items(own, "/events/"))
            views[("multi", partner)] = keys_of(
                list_items(fd_api("multi", "main", partner=partner), "/events/")
            )
        empty = [f"{p} as {who}" for (who, p), rows in views.items() if not rows and who != "multi"]
        if empty:
            raise Unexercised(f"empty view: {', '.join(empty)} (two empty views prove no switch)")
        for partner, persona in ((primary_partner, "primary"), (other_partner, "other")):
            if views[("multi", partner)] != views[(persona, partner)]:
                diff = views[("multi", partner)] ^ views[(persona, partner)]
                raise Finding(
                    "TEN-04",
                    f"GET /events/ as multi scoped to {partner} differs from {persona}'s view "
                    f"of the same partner ({len(diff)} rows differ, e.g. {sorted(diff)[:3]})",
                    expected=f"the same rows as {persona}",
                    received=f"{len(views[('multi', partner)])} rows",
                )
        overlap = views[("multi", primary_partner)] & views[("multi", other_partner)]
        if overlap:
            raise Finding(
                "TEN-04",
                f"switching X-Preferred-Partner-Id did not switch scope: {len(overlap)} rows "
                f"appear under both partners, e.g. {sorted(overlap)[:3]}",
                expected="disjoint views",
            )

    sweep.judge(judge, operation="GET /events/")
    sweep.finish("switching the header must switch the scope")


def _named_partners(body: dict[str, Any]) -> set[str]:
    """The partner ids a record names (``id`` may be the numeric client id, which is not a partner id)."""
    values = (body.get(k) for k in ("id", "partner_id"))
    return {v for v in values if isinstance(v, str) and PARTNER_RE.match(v)}


@pytest.mark.fd_rule("TEN-05")
def test_partners_describes_the_scoped_partner(
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    primary_partner: str,
    other_partner: str,
    fd_sessions: Any,
) -> None:
    sweep = Sweep("TEN-05", fd_ledger, "describes-scoped-partner")
    mine = fd_api("primary", "main", partner=primary_partner).get("/partners/")
    theirs = fd_api("other", "main", partner=other_partner).get("/partners/")
    for exchange, partner, persona in ((mine, primary_partner, "primary"), (theirs, other_partner, "other")):

        def judge(exchange: Any = exchange, partner: str = partner) -> None:
            body = require_json(exchange, "TEN-05", "GET /partners/")
            if exchange.status != 200 or not isinstance(body, dict):
                raise Finding(
                    "TEN-05",
                    f"GET /partners/ scoped to {partner} -> {exchange.status}",
                    expected="200 with the partner record",
                    received=exchange.response_text(200),
                    curl=exchange.curl,
                )
            named = _named_partners(body)
            if not named:
                raise Unexercised("the partner record names no partner id (id/partner_id)")
            if partner not in named:
                raise Finding(
                    "TEN-05",
                    f"GET /partners/ scoped to {partner} describes {sorted(named)}",
                    expected=partner,
                    received=str(sorted(named)),
                    curl=exchange.curl,
                )

        sweep.judge(judge, operation=f"GET /partners/ as {persona}")

    def judge_distinct() -> None:
        if mine.status != 200 or theirs.status != 200:
            raise Unexercised("GET /partners/ did not answer both partners")
        if mine.json() == theirs.json():
            raise Finding(
                "TEN-05",
                "GET /partners/ gives the same record to two different partners",
                expected="each partner's own record",
                curl=theirs.curl,
            )

    sweep.judge(judge_distinct, operation="GET /partners/ per partner")
    multi = fd_sessions.get("multi") if hasattr(fd_sessions, "get") else None
    for partner, reference in ((primary_partner, mine), (other_partner, theirs)):
        label = f"GET /partners/ as multi for {'primary' if partner == primary_partner else 'other'}"
        if multi is None or not {primary_partner, other_partner} <= set(partners_of(multi)):
            sweep.unexercised("main", label, "persona `multi` does not belong to both partners",
                              check="multi-switch-partner")
            continue

        def judge_switch(partner: str = partner, reference: Any = reference) -> None:
            if reference.status != 200:
                raise Unexercised(f"control: {partner}'s own GET /partners/ gets {reference.status}")
            switched = fd_api("multi", "main", partner=partner).get("/partners/")
            if switched.json() != reference.json():
                raise Finding(
                    "TEN-05",
                    f"GET /partners/ as multi scoped to {partner} is not {partner}'s record",
                    expected=reference.response.text[:200],
                    received=switched.response.text[:200],
                    curl=switched.curl,
                )

        sweep.judge(judge_switch, operation=label, check="multi-switch-partner")
    sweep.finish("GET /partners/ must describe the scoped partner")
