"""TEN-01..05: the X-Preferred-Partner-Id decisions of CONTRACT §2, on every authenticated read.

The sweeps use every secured GET of both specs, filled with the primary persona's discovered event
(the multi persona belongs to the same partner, so the paths are valid for it too). Lists are found
at run time: a GET whose answer is a page envelope is walked page by page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.auth import Session
from conformance.checks import (
    check_outcome,
    check_scoped,
    expected_outcome,
    keys_of,
    looks_paginated,
    require_json,
)
from conformance.client import OMIT, Api
from conformance.errors import Finding
from conformance.scenarios.discovery import list_items, walk_pages
from conformance.scenarios.personas import non_partner_groups, partners_of
from conformance.scenarios.sweep import Sweep, host_of, targets
from conformance.spec import Operation

WALK_LIMIT = 10


def _reads(
    spec_ops: tuple[Operation, ...], values: dict[str, Any], sweep: Sweep
) -> list[tuple[Operation, str]]:
    return targets([op for op in spec_ops if op.secured], values, reads_only=True, sweep=sweep)


def _tenancy_sweep(  # noqa: PLR0917 - pytest passes fixtures positionally
    rule: str,
    persona: str,
    header: str | None,
    fd_api: Callable[..., Api],
    fd_sessions: dict[str, Session],
    spec_ops: tuple[Operation, ...],
    values: dict[str, Any],
    what: str,
) -> None:
    if persona not in fd_sessions:
        pytest.skip(f"not run: persona `{persona}` is not configured")
    outcome = expected_outcome(partners_of(fd_sessions[persona]), header)
    sweep = Sweep(rule)
    for op, path in _reads(spec_ops, values, sweep):
        api = fd_api(persona, host_of(op))

        def judge(op: Operation = op, path: str = path, api: Api = api) -> None:
            exchange = api.get(path, partner=OMIT if header is None else header)
            try:
                check_outcome(exchange, outcome, rule)
            except Finding as finding:
                raise finding.relabel(rule, f"{op.host} {finding.message}") from None

        sweep.judge(judge, op.host)
    sweep.finish(what)


@pytest.mark.fd_rule("TEN-01", "HST-02")
@pytest.mark.fd_needs(personas=("multi",))
def test_multi_partner_user_without_header_gets_400(
    fd_api: Callable[..., Api],
    fd_sessions: dict[str, Session],
    spec_ops: tuple[Operation, ...],
    path_values: dict[str, Any],
) -> None:
    if len(partners_of(fd_sessions["multi"])) < 2:
        pytest.skip("not run: persona `multi` does not belong to two partners")
    _tenancy_sweep(
        "TEN-01",
        "multi",
        None,
        fd_api,
        fd_sessions,
        spec_ops,
        path_values,
        "a multi-partner user without X-Preferred-Partner-Id must get 400 and no data",
    )


@pytest.mark.fd_rule("TEN-02", "HST-02")
def test_single_partner_user_without_header_gets_own_data(
    fd_api: Callable[..., Api],
    fd_sessions: dict[str, Session],
    spec_ops: tuple[Operation, ...],
    path_values: dict[str, Any],
    primary_partner: str,
) -> None:
    if len(partners_of(fd_sessions["primary"])) != 1:
        pytest.skip("not run: the primary persona does not belong to exactly one partner")
    outcome = expected_outcome([primary_partner], None)
    sweep = Sweep("TEN-02")
    for op, path in _reads(spec_ops, path_values, sweep):
        api = fd_api("primary", host_of(op))

        def judge(op: Operation = op, path: str = path, api: Api = api) -> None:
            implied = api.get(path, partner=OMIT)
            check_outcome(implied, outcome, "TEN-02")
            if implied.status >= 400:
                return  # "or a 4xx": no data is fine
            explicit = api.get(path, partner=primary_partner)
            if (implied.status, implied.json()) != (explicit.status, explicit.json()):
                raise implied.finding(
                    "TEN-02",
                    f"{op.host} GET {path}: the answer without "
                    f"the header differs from the answer scoped to {primary_partner}",
                    expected=f"{explicit.status} {explicit.response.text[:160]}",
                )

        sweep.judge(judge, op.host)
    sweep.finish("a single-partner user without the header must see exactly its own partner's data")


def _foreign_header(
    kind: str, fd_sessions: dict[str, Session], other_partner: str, primary_partner: str
) -> str:
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
    fd_sessions: dict[str, Session],
    spec_ops: tuple[Operation, ...],
    path_values: dict[str, Any],
    other_partner: str,
    primary_partner: str,
) -> None:
    header = _foreign_header(kind, fd_sessions, other_partner, primary_partner)
    _tenancy_sweep(
        "TEN-03",
        "primary",
        header,
        fd_api,
        fd_sessions,
        spec_ops,
        path_values,
        f"X-Preferred-Partner-Id `{kind}` must get 403 and no data",
    )


def _list_paths(spec_ops: tuple[Operation, ...], values: dict[str, Any], api: Api) -> list[str]:
    """Main-host GETs whose answer is a page envelope (found by asking, not assumed)."""
    found = []
    for op, path in targets(
        [op for op in spec_ops if op.secured and op.host == "main"], values, reads_only=True
    ):
        if op.base != "versioned":
            continue
        exchange = api.get(path, params={"page": 1, "limit": WALK_LIMIT})
        if exchange.status == 200 and looks_paginated(exchange.json()):
            found.append(path)
    return found


def _walk_all(api: Api, path: str, rule: str) -> list[Any]:
    items: list[Any] = []
    for _, exchange in walk_pages(api, path, limit=WALK_LIMIT):
        body = require_json(exchange, rule, f"GET {path}")
        if isinstance(body, dict) and isinstance(body.get("items"), list):
            items.extend(body["items"])
    return items


@pytest.mark.fd_rule("TEN-04")
def test_every_page_of_every_list_is_scoped(
    fd_api: Callable[..., Api],
    spec_ops: tuple[Operation, ...],
    path_values: dict[str, Any],
    primary_partner: str,
    other_partner: str,
) -> None:
    primary = fd_api("primary", "main", partner=primary_partner)
    other = fd_api("other", "main", partner=other_partner)
    paths = _list_paths(spec_ops, path_values, primary)
    if not paths:
        pytest.skip("not run: no paginated list answered as primary")
    for path in paths:
        theirs = keys_of(_walk_all(other, path, "TEN-04")) if "{" not in path else set()
        for page, exchange in walk_pages(primary, path, limit=WALK_LIMIT):
            body = require_json(exchange, "TEN-04", f"GET {path}")
            if isinstance(body, dict) and isinstance(body.get("items"), list):
                check_scoped(
                    body["items"],
                    primary_partner,
                    where=f"GET {path} page {page}",
                    curl=exchange.curl,
                    foreign_keys=theirs,
                )


@pytest.mark.fd_rule("TEN-04")
@pytest.mark.fd_needs(personas=("multi",))
def test_switching_the_header_switches_scope(
    fd_api: Callable[..., Api], primary_partner: str, other_partner: str, fd_sessions: dict[str, Session]
) -> None:
    if not {primary_partner, other_partner} <= set(partners_of(fd_sessions["multi"])):
        pytest.skip("not run: persona `multi` does not belong to both primary's and other's partners")
    views = {}
    for persona, partner in (("primary", primary_partner), ("other", other_partner)):
        views[(persona, partner)] = keys_of(list_items(fd_api(persona, "main", partner=partner), "/events/"))
        views[("multi", partner)] = keys_of(list_items(fd_api("multi", "main", partner=partner), "/events/"))
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


@pytest.mark.fd_rule("TEN-05")
def test_partners_describes_the_scoped_partner(
    fd_api: Callable[..., Api], primary_partner: str, other_partner: str, fd_sessions: dict[str, Session]
) -> None:
    mine = fd_api("primary", "main", partner=primary_partner).get("/partners/")
    theirs = fd_api("other", "main", partner=other_partner).get("/partners/")
    for exchange, partner in ((mine, primary_partner), (theirs, other_partner)):
        body = require_json(exchange, "TEN-05", "GET /partners/")
        if exchange.status != 200 or not isinstance(body, dict):
            raise Finding(
                "TEN-05",
                f"GET /partners/ scoped to {partner} -> {exchange.status}",
                expected="200 with the partner record",
                received=exchange.response_text(200),
                curl=exchange.curl,
            )
        named = {str(body.get(k)) for k in ("id", "partner_id") if isinstance(body.get(k), str)}
        if any(v.startswith(("partner-id-", "fd")) for v in named) and partner not in named:
            raise Finding(
                "TEN-05",
                f"GET /partners/ scoped to {partner} describes {sorted(named)}",
                expected=partner,
                received=str(sorted(named)),
                curl=exchange.curl,
            )
    if mine.json() == theirs.json():
        raise Finding(
            "TEN-05",
            "GET /partners/ gives the same record to two different partners",
            expected="each partner's own record",
            curl=theirs.curl,
        )
    multi = fd_sessions.get("multi") if hasattr(fd_sessions, "get") else None
    if multi is None or not {primary_partner, other_partner} <= set(partners_of(multi)):
        return
    for partner, reference in ((primary_partner, mine), (other_partner, theirs)):
        switched = fd_api("multi", "main", partner=partner).get("/partners/")
        if switched.json() != reference.json():
            raise Finding(
                "TEN-05",
                f"GET /partners/ as multi scoped to {partner} is not {partner}'s record",
                expected=reference.response.text[:200],
                received=switched.response.text[:200],
                curl=switched.curl,
            )
