"""ERR-01: every error answer carries the envelope, on a set of deliberate errors on both hosts.

Each probe provokes one error the contract defines (unknown id, missing token, foreign header,
invalid paging, bracket arrays, bad credentials, unknown route, wrong method). A probe whose answer
is not an error is other rules' business: it is recorded unexercised, not judged. The foreign-header
probes need persona ``other``; without it they are unexercised and the rest still run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from conformance.checks.envelope import check_error_envelope
from conformance.client.http import OMIT, Api, Exchange
from conformance.errors import Finding
from conformance.scenarios.sweep import ProbeLedger, Sweep, Unexercised


@pytest.mark.fd_rule("ERR-01")
def test_deliberate_errors_carry_the_envelope(  # noqa: PLR0917 - pytest passes fixtures positionally
    request: pytest.FixtureRequest,
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    fd_sessions: Any,
    fd_settings: Any,
    never_existing_eid: str,
    path_values: dict[str, Any],
) -> None:
    main, cr, media = fd_api("primary", "main"), fd_api("primary", "cr"), fd_api("primary", "media")
    never = quote(never_existing_eid, safe="")
    try:
        other_partner: str | None = str(request.getfixturevalue("other_partner"))
    except pytest.skip.Exception:
        other_partner = None
    probes: list[tuple[str, Callable[[], Exchange]]] = [
        ("unknown eid", lambda: main.get(f"/events/{never}")),
        ("unknown eid, clusters", lambda: main.get(f"/events/{never}/clusters")),
        ("no setup", lambda: main.get(f"/setup_processes/{never}")),
        ("missing token", lambda: main.get("/events/", token=OMIT)),
        ("malformed token", lambda: main.get("/partners/", token="not-a-jwt")),
        ("foreign partner header",
         (lambda: main.get("/events/", partner=other_partner)) if other_partner else _NEEDS_OTHER),
        ("limit out of range", lambda: main.get("/events/", params={"limit": 0})),
        ("page out of range", lambda: main.get("/events/", params={"page": 0})),
        ("bracket array", lambda: main.get("/events/", params={"city[]": "x"})),
        ("unknown route", lambda: main.get("/fdconf-no-such-route")),
        ("wrong method", lambda: media.get("/media")),
        ("CR unknown eid", lambda: cr.get(f"/events/{never}")),
        (
            "CR missing token",
            lambda: cr.get(f"/events/{quote(str(path_values['eid']), safe='')}", token=OMIT),
        ),
        (
            "CR foreign partner header",
            (lambda: cr.get(f"/events/{quote(str(path_values['eid']), safe='')}", partner=other_partner))
            if other_partner
            else _NEEDS_OTHER,
        ),
        ("CR unknown route", lambda: cr.get("/fdconf-no-such-route")),
    ]
    persona = fd_settings.personas.get("primary")
    if persona is not None and persona.username and persona.password:
        anonymous = Api(main.transport, main.base_url)
        probes.append(
            (
                "bad credentials",
                lambda: anonymous.post(
                    "/auth", json={"username": persona.username, "password": persona.password + "-wrong"}
                ),
            )
        )
    if "multi" in fd_sessions:
        multi = fd_api("multi", "main")
        probes.append(("multi-partner user without header", lambda: multi.get("/events/", partner=OMIT)))
    sweep = Sweep("ERR-01", fd_ledger, "error-envelope")
    for why, probe in probes:
        host = "cr" if why.startswith("CR ") else "main"
        if probe is _NEEDS_OTHER:
            sweep.unexercised(host, why, "persona `other` is not configured (no foreign partner to send)")
            continue

        def judge(why: str = why, probe: Callable[[], Exchange] = probe) -> None:
            exchange = probe()
            if exchange.status < 400:
                raise Unexercised(f"no error status ({exchange.status})")
            try:
                check_error_envelope(exchange)
            except Finding as finding:
                raise finding.relabel("ERR-01", f"{why}: {finding.message}") from None

        sweep.judge(judge, host, operation=why)
    sweep.finish("every error body must follow the envelope")


def _needs_other() -> Exchange:
    raise AssertionError("never sent: a placeholder for probes that need persona `other`")


_NEEDS_OTHER: Callable[[], Exchange] = _needs_other
