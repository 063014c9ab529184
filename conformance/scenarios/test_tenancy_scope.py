"""TEN-04 and TEN-05: what a scoped answer holds — every list row, and the partner record — belongs to
the scoped partner, and switching the header switches it.

Answers taken at different moments are compared by their scoped identity (which rows, whose ids;
``conformance.checks.identity_problems``), never byte for byte: live data moves between two reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.checks import (
    check_scoped,
    has_identity,
    identity_problems,
    keys_of,
    looks_paginated,
    require_json,
    same_identity,
)
from conformance.client import Api
from conformance.errors import Finding
from conformance.ids import PARTNER_RE
from conformance.scenarios.controls import ProbeLedger
from conformance.scenarios.discovery import list_items, walk_pages
from conformance.scenarios.personas import partners_of
from conformance.scenarios.sending import required_params
from conformance.scenarios.sweep import Sweep, Unexercised, targets
from conformance.spec import Operation, fill_path

WALK_LIMIT = 10


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
    request: pytest.FixtureRequest,
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    spec_ops: tuple[Operation, ...],
    path_values: dict[str, Any],
    primary_partner: str,
    other_partner: str,
) -> None:
    """Each list is judged when it holds rows (an empty list proves no scoping). The other tenant's
    rows to look for come from its own view of the same list: for a child list such as
    ``/events/{eid}/campaigns``, the list of its own event (none when it has no event)."""
    try:
        foreign_values: dict[str, Any] = request.getfixturevalue("foreign_values")
    except pytest.skip.Exception:
        foreign_values = {}
    primary = fd_api("primary", "main", partner=primary_partner)
    other = fd_api("other", "main", partner=other_partner)
    sweep = Sweep("TEN-04", fd_ledger, "pages-scoped", concurrent=True)
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
    sweep = Sweep("TEN-04", fd_ledger, "header-switches-scope", concurrent=True)

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
    sweep = Sweep("TEN-05", fd_ledger, "describes-scoped-partner", concurrent=True)
    mine = fd_api("primary", "main", partner=primary_partner).get("/partners/")
    theirs = fd_api("other", "main", partner=other_partner).get("/partners/")
    pairs = ((mine, theirs, primary_partner, "primary"), (theirs, mine, other_partner, "other"))
    for exchange, elsewhere, partner, persona in pairs:

        def judge(exchange: Any = exchange, elsewhere: Any = elsewhere, partner: str = partner) -> None:
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
            if elsewhere.status == 200 and has_identity(body) and same_identity(body, elsewhere.json()):
                raise Finding(
                    "TEN-05",
                    "GET /partners/ gives the same record to two different partners",
                    expected="each partner's own record",
                    curl=exchange.curl,
                )

        sweep.judge(judge, operation=f"GET /partners/ as {persona}")
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
            differs = identity_problems(
                reference.json(), switched.json(), labels=(f"{partner}'s own", "multi's")
            )
            if switched.status != reference.status or differs:
                raise Finding(
                    "TEN-05",
                    f"GET /partners/ as multi scoped to {partner} is not {partner}'s record"
                    + (f" ({'; '.join(differs)})" if differs else f" ({switched.status})"),
                    expected=reference.response.text[:200],
                    received=switched.response.text[:200],
                    curl=switched.curl,
                )

        sweep.judge(judge_switch, operation=label, check="multi-switch-partner")
    sweep.finish("GET /partners/ must describe the scoped partner")
