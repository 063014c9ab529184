"""ERR-01: every error answer carries the envelope, on a set of deliberate errors on both hosts.

Each probe provokes one error the contract defines (unknown id, missing token, foreign header,
invalid paging, bracket arrays, bad credentials, unknown route, wrong method). A probe whose answer
is not an error is other rules' business: it is recorded unexercised, not judged. The foreign-header
probes need persona ``other``; without it they are unexercised and the rest still run. Without
``target.cr`` (or a media base) the probes of that host are unexercised with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from conformance.checks import check_error_envelope
from conformance.client import OMIT, Api, Exchange
from conformance.errors import Finding
from conformance.scenarios.controls import ProbeLedger
from conformance.scenarios.sweep import Sweep, Unexercised


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
    main = fd_api("primary", "main")

    def on(host: str) -> Api:  # built when a probe is sent: a host the run lacks is never asked for
        return fd_api("primary", host)

    eid = quote(str(path_values["eid"]), safe="")
    never = quote(never_existing_eid, safe="")
    try:
        other_partner: str | None = str(request.getfixturevalue("other_partner"))
    except pytest.skip.Exception:
        other_partner = None
    probes: list[tuple[str, str, Callable[[], Exchange]]] = [
        ("unknown eid", "main", lambda: main.get(f"/events/{never}")),
        ("unknown eid, clusters", "main", lambda: main.get(f"/events/{never}/clusters")),
        ("no setup", "main", lambda: main.get(f"/setup_processes/{never}")),
        ("missing token", "main", lambda: main.get("/events/", token=OMIT)),
        ("malformed token", "main", lambda: main.get("/partners/", token="not-a-jwt")),
        ("foreign partner header", "main",
         (lambda: main.get("/events/", partner=other_partner)) if other_partner else _NEEDS_OTHER),
        ("limit out of range", "main", lambda: main.get("/events/", params={"limit": 0})),
        ("page out of range", "main", lambda: main.get("/events/", params={"page": 0})),
        ("bracket array", "main", lambda: main.get("/events/", params={"city[]": "x"})),
        ("unknown route", "main", lambda: main.get("/fdconf-no-such-route")),
        ("wrong method", "media", lambda: on("media").get("/media")),
        ("CR unknown eid", "cr", lambda: on("cr").get(f"/events/{never}")),
        ("CR missing token", "cr", lambda: on("cr").get(f"/events/{eid}", token=OMIT)),
        ("CR foreign partner header", "cr",
         (lambda: on("cr").get(f"/events/{eid}", partner=other_partner)) if other_partner else _NEEDS_OTHER),
        ("CR unknown route", "cr", lambda: on("cr").get("/fdconf-no-such-route")),
    ]
    persona = fd_settings.personas.get("primary")
    if persona is not None and persona.username and persona.password:
        anonymous = Api(main.transport, main.base_url)
        wrong = {"username": persona.username, "password": persona.password + "-wrong"}
        probes.append(("bad credentials", "main", lambda: anonymous.post("/auth", json=wrong)))
    if "multi" in fd_sessions:
        multi = fd_api("multi", "main")
        probes.append(("multi-partner user without header", "main",
                       lambda: multi.get("/events/", partner=OMIT)))
    sweep = Sweep("ERR-01", fd_ledger, "error-envelope", concurrent=True)
    for why, host, probe in probes:
        if probe is _NEEDS_OTHER and not fd_ledger.absent(host):
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
