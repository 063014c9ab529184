"""HST-01 and HST-02: each route answers only on its own host; the CR host has the same locks.

HST-01 derives the wrong-host probes from the two specs: every main route sent to the CR base and
every CR route sent to the main base must be 404, or 405 where the other host has that path with
other methods. ``/media`` exists only on the unversioned main base. Reads are probed in read-only
mode; writes join in write mode (on the sandbox event).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.checks import carries_data, check_outcome, expected_outcome
from conformance.client import OMIT, Api
from conformance.errors import Finding
from conformance.scenarios.controls import ProbeLedger, read_control, write_control
from conformance.scenarios.personas import partners_of
from conformance.scenarios.sending import required_params, send
from conformance.scenarios.sweep import Sweep, targets
from conformance.spec import Operation, fill_path, load, methods_at


def _wrong_host_probes(
    values: dict[str, Any], *, reads_only: bool, sweep: Sweep
) -> list[tuple[Operation, str, str, int]]:
    """``(op, wrong host, path, expected status)`` for every route of one host sent to the other.

    Without a CR host neither direction can run (the probe or its control needs it): every probe is
    recorded unexercised under its own check, on the host it would have been sent to."""
    probes = []
    no_cr = sweep.ledger.absent("cr")
    for home, away in (("main", "cr"), ("cr", "main")):
        away_ops = load(away)
        routes = [o for o in load(home) if o.base == "versioned" and not o.publishes]
        if no_cr:
            for op in routes:
                shared = op.method in methods_at(away_ops, op.path)  # on both hosts: never probed
                if op.method != "HEAD" and (op.is_read or not reads_only) and not shared:
                    sweep.unexercised(away, f"{op.label} on {away}", no_cr, check=_wrong_host_check(away))
            continue
        for op, path in targets(routes, values, reads_only=reads_only, placeholder=True, sweep=sweep):
            methods = methods_at(away_ops, path)
            if op.method in methods:
                continue  # the same route exists on both hosts (e.g. GET /events/{eid})
            probes.append((op, away, path, 405 if methods else 404))
    return probes


def _wrong_host_check(away: str) -> str:
    return "wrong-host-404" if away == "cr" else "cr-route-on-main-404"


@pytest.mark.fd_rule("HST-01")
def test_routes_answer_only_on_their_host(
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    fd_mode: str,
    path_values: dict[str, Any],
    sandbox_eid: str | None,
) -> None:
    """Each wrong-host probe is judged when the same request answers on its home host (the control:
    2xx for reads, reaching the handler on the sandbox event for writes); it is filed under the host
    it was sent to."""
    reads_only = fd_mode == "read-only"
    values = {**path_values, "eid": sandbox_eid} if not reads_only and sandbox_eid else path_values
    sweep = Sweep("HST-01", fd_ledger, "wrong-host-404", concurrent=reads_only)
    for op, away, path, want in _wrong_host_probes(values, reads_only=reads_only, sweep=sweep):
        api = fd_api("primary", away)
        home = fd_api("primary", op.host)
        control = (
            read_control(fd_ledger, home, op, path, params=required_params(op))
            if op.is_read
            else write_control(fd_ledger, home, op, values)
        )

        def judge(
            op: Operation = op, away: str = away, path: str = path, want: int = want, api: Api = api
        ) -> None:
            exchange = send(api, op, path)
            if exchange.status != want:
                raise exchange.finding(
                    "HST-01",
                    f"{op.host} route {op.method} {op.path} sent to the {away} host -> {exchange.status}",
                    expected=str(want),
                )

        sweep.judge(judge, away, operation=f"{op.label} on {away}", control=control,
                    check=_wrong_host_check(away))
    media_ops = [op for op in load("main") if op.base == "unversioned"]
    no_media = fd_ledger.absent("media")
    versioned = fd_api("primary", "main")
    unversioned = versioned if no_media else fd_api("primary", "media")  # unused without a media base
    for op in media_ops:
        if no_media:
            sweep.unexercised("media", op.label, no_media, check="media-unversioned-only")
            continue

        def judge_media(op: Operation = op) -> None:
            other = unversioned.get(op.path)
            if op.method != "GET" and other.status != 405:
                raise Finding(
                    "HST-01",
                    f"GET {op.path} on the unversioned base -> {other.status}",
                    expected=f"405 (the path exists there for {op.method})",
                    curl=other.curl,
                )
            under_v3 = versioned.get(op.path)
            if under_v3.status != 404:
                raise Finding(
                    "HST-01",
                    f"{op.path} under the versioned base -> {under_v3.status}",
                    expected="404 (it lives only on the unversioned base)",
                    curl=under_v3.curl,
                )
            if not reads_only:
                upload = versioned.post(op.path, files={"file": ("fdconf.png", b"\x89PNG\r\n", "image/png")})
                if upload.status != 404:
                    raise Finding(
                        "HST-01",
                        f"POST {op.path} under the versioned base -> {upload.status}",
                        expected="404",
                        curl=upload.curl,
                    )

        # The unversioned base's 405 for GET is the control: the path lives there (checked first).
        sweep.judge(judge_media, operation=op.label, check="media-unversioned-only")
    sweep.finish("routes must answer only on their own host")


@pytest.mark.fd_rule("HST-02")
def test_cr_host_enforces_auth_tenancy_and_objects(  # noqa: PLR0917 - pytest passes fixtures positionally
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    fd_sessions: Any,
    path_values: dict[str, Any],
    foreign_values: dict[str, Any],
    primary_partner: str,
    other_partner: str,
) -> None:
    """Each CR read, probed once per lock: no token, foreign header, multi without header, foreign eid.
    Controls: primary's own request (token and header locks), multi with primary's header, and the
    foreign event's owner with its own ids."""
    no_cr = fd_ledger.absent("cr")
    if no_cr:  # the whole rule is about the CR host: the other rules' main-host parts still run
        pytest.skip(f"not run: {no_cr}")
    sweep = Sweep("HST-02", fd_ledger, "bad-token-401", concurrent=True)
    cr = fd_api("primary", "cr")
    owner = fd_api("other", "cr", partner=other_partner)
    reads = targets([op for op in load("cr") if op.secured], path_values, reads_only=True, sweep=sweep)
    multi_partners = partners_of(fd_sessions["multi"]) if "multi" in fd_sessions else []
    multi = fd_api("multi", "cr") if len(multi_partners) > 1 else None
    for op, path in reads:
        mine = read_control(fd_ledger, cr, op, path)

        def judge_token(path: str = path) -> None:
            anonymous = cr.get(path, token=OMIT)
            if anonymous.status != 401 or carries_data(anonymous.json()):
                raise Finding(
                    "HST-02",
                    f"CR GET {path} without a token -> {anonymous.status}",
                    expected="401",
                    curl=anonymous.curl,
                )

        sweep.judge(judge_token, "cr", operation=op.label, control=mine)

        def judge_header(path: str = path) -> None:
            check_outcome(
                cr.get(path, partner=other_partner),
                expected_outcome(partners_of(fd_sessions["primary"]), other_partner),
                "HST-02",
            )

        sweep.judge(judge_header, "cr", operation=op.label, control=mine, check="other-tenant-header-403")
        if multi is None:
            sweep.unexercised("cr", op.label, "persona `multi` with two partners is not configured",
                              check="multi-no-header-400")
        else:
            entitled = read_control(fd_ledger, multi.with_partner(primary_partner), op, path)

            def judge_multi(path: str = path, multi: Api = multi) -> None:
                check_outcome(
                    multi.get(path, partner=OMIT), expected_outcome(multi_partners, None), "HST-02"
                )

            sweep.judge(judge_multi, "cr", operation=op.label, control=entitled, check="multi-no-header-400")
        if not op.eid_params:
            continue
        owned = fill_path(op, foreign_values)
        if owned is None:
            sweep.unexercised("cr", op.label, "the foreign event offers no values for its path",
                              check="foreign-eid-404")
            continue
        theirs = read_control(fd_ledger, owner, op, owned)

        def judge_foreign(op: Operation = op, owned: str = owned) -> None:
            foreign = cr.get(owned)
            if foreign.status != 404 or carries_data(foreign.json()):
                raise Finding(
                    "HST-02",
                    f"CR GET {op.path} with another partner's eid -> {foreign.status}",
                    expected="404 and no data",
                    curl=foreign.curl,
                )

        sweep.judge(judge_foreign, "cr", operation=op.label, control=theirs, check="foreign-eid-404")
    sweep.finish("the CR host must enforce the AUTH, TEN and OBJ rules")
