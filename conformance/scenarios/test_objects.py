"""OBJ-01..05: objects of another partner are not found, on every path, body and query that names them.

The foreign eid is discovered by listing ``/events/`` as ``other`` and is attacked as ``primary``; the
never-existing eid is derived from it. Sweeps cover every operation of both specs whose path carries
an eid (``x-fd-id: eid``).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from conformance.checks import NOT_FOUND_STATUS, check_refusal
from conformance.client import Api, Exchange
from conformance.config import Settings
from conformance.errors import Finding
from conformance.scenarios.discovery import event_facts
from conformance.scenarios.sandbox import partner_product
from conformance.scenarios.sweep import Sweep, host_of, send, targets
from conformance.spec import Operation


def _local_target(settings: Any) -> bool:
    """Embedded reference or a loopback server: the only targets cross-tenant writes are sent to."""
    host = urllib.parse.urlsplit(str(settings.main or "")).hostname or ""
    return bool(settings.embedded) or host in ("127.0.0.1", "localhost", "::1")


def _with_eid(values: dict[str, Any], eid: str) -> dict[str, Any]:
    return {**values, "eid": eid}


def _eid_reads(spec_ops: tuple[Operation, ...]) -> list[Operation]:
    return [op for op in spec_ops if op.secured and op.is_read and op.eid_params]


@pytest.mark.fd_rule("OBJ-01", "HST-02")
def test_foreign_eid_is_404_on_every_read(
    fd_api: Callable[..., Api], spec_ops: tuple[Operation, ...], path_values: dict[str, Any], other_eid: str
) -> None:
    sweep = Sweep("OBJ-01")
    for op, path in targets(
        _eid_reads(spec_ops), _with_eid(path_values, other_eid), reads_only=True, sweep=sweep
    ):
        api = fd_api("primary", host_of(op))

        def judge(op: Operation = op, path: str = path, api: Api = api) -> None:
            try:
                check_refusal(
                    api.get(path),
                    "OBJ-01",
                    NOT_FOUND_STATUS,
                    None,
                    f"GET {path} names another partner's event",
                )
            except Finding as finding:
                raise finding.relabel("OBJ-01", f"{op.host} {finding.message}") from None

        sweep.judge(judge, op.host)
    sweep.finish("another partner's eid must be 404 on every /events/{eid}/... read")


def _normalised(exchange: Exchange, eid: str) -> tuple[int, str]:
    """Status and body with the requested id blanked out (an echoed id is not an oracle)."""
    text = exchange.response.text
    for form in {eid, urllib.parse.quote(eid, safe="")}:
        text = text.replace(form, "<eid>")
    return exchange.status, text


@pytest.mark.fd_rule("OBJ-04", "HST-02")
def test_foreign_and_never_existing_ids_are_indistinguishable(
    fd_api: Callable[..., Api],
    spec_ops: tuple[Operation, ...],
    path_values: dict[str, Any],
    other_eid: str,
    never_existing_eid: str,
) -> None:
    sweep = Sweep("OBJ-04")
    for op, path in targets(
        _eid_reads(spec_ops), _with_eid(path_values, other_eid), reads_only=True, sweep=sweep
    ):
        never_path = path.replace(
            urllib.parse.quote(other_eid, safe=""), urllib.parse.quote(never_existing_eid, safe="")
        )
        api = fd_api("primary", host_of(op))

        def judge(op: Operation = op, path: str = path, never_path: str = never_path, api: Api = api) -> None:
            foreign, never = api.get(path), api.get(never_path)
            if _normalised(foreign, other_eid) != _normalised(never, never_existing_eid):
                raise foreign.finding(
                    "OBJ-04",
                    f"{op.host} GET {op.path}: a foreign eid "
                    f"answers {foreign.status}, a never-existing one {never.status} (bodies "
                    f"{'equal' if foreign.status != never.status else 'differ'})",
                    expected=f"{never.status} {never.response.text[:160]}",
                )

        sweep.judge(judge, op.host)
    sweep.finish("foreign and never-existing eids must get the same status and body")


def _snapshot(api_main: Api, api_cr: Api | None, eid: str) -> dict[str, Any]:
    quoted = urllib.parse.quote(eid, safe="")
    paths = [
        f"/events/{quoted}",
        f"/events/{quoted}/clusters",
        f"/events/{quoted}/campaigns",
        f"/setup_processes/{quoted}",
    ]
    snap: dict[str, Any] = {f"main {p}": (e.status, e.json()) for p in paths for e in [api_main.get(p)]}
    if api_cr is not None:
        exchange = api_cr.get(f"/events/{quoted}")
        snap[f"cr /events/{quoted}"] = (exchange.status, exchange.json())
    return snap


@pytest.mark.fd_rule("OBJ-02", "HST-02")
@pytest.mark.fd_needs(mode="write")
def test_foreign_eid_is_rejected_on_every_write(  # noqa: PLR0917 - pytest passes fixtures positionally
    fd_api: Callable[..., Api],
    fd_settings: Settings,
    fd_mode: str,
    spec_ops: tuple[Operation, ...],
    path_values: dict[str, Any],
    other_eid: str,
    other_partner: str,
) -> None:
    if not _local_target(fd_settings):
        pytest.skip(
            "not run: this probe writes to another tenant's data; it runs only against the embedded "
            "reference or a loopback target"
        )
    owner_main = fd_api("other", "main", partner=other_partner)
    owner_cr = fd_api("other", "cr", partner=other_partner)
    before = _snapshot(owner_main, owner_cr, other_eid)
    writes = [
        op
        for op in spec_ops
        if op.secured and not op.is_read and op.eid_params and (fd_mode == "publish" or not op.publishes)
    ]
    sweep = Sweep("OBJ-02")
    product = partner_product(fd_api("primary", "main"))
    known = {"partner_product": product} if product else {}
    for op, path in targets(writes, _with_eid(path_values, other_eid), reads_only=False, sweep=sweep):
        api = fd_api("primary", host_of(op))

        def judge(op: Operation = op, path: str = path, api: Api = api) -> None:
            exchange = send(api, op, path, known=known)
            if exchange.status != NOT_FOUND_STATUS:
                raise exchange.finding(
                    "OBJ-02",
                    f"{op.method} {op.host}:{path} on another partner's event -> {exchange.status}",
                    expected="404",
                )

        sweep.judge(judge, op.host)
    after = _snapshot(owner_main, owner_cr, other_eid)
    changed = [key for key in before if before[key] != after.get(key)]
    if changed:
        sweep.findings.append(
            Finding(
                "OBJ-02",
                f"the owner's data changed after foreign writes: {changed}",
                expected="unchanged",
                received=str(changed),
            )
        )
    sweep.finish("another partner's eid must be rejected on every write, leaving the owner's data unchanged")


def _query_eid_reads(spec_ops: tuple[Operation, ...]) -> list[tuple[Operation, str]]:
    out = []
    for op in spec_ops:
        if not (op.secured and op.is_read):
            continue
        for param in op.query:
            if param.get("x-fd-id") == "eid" or param.get("name") in ("eid", "event_id"):
                out.append((op, str(param["name"])))
    return out


@pytest.mark.fd_rule("OBJ-03")
def test_ids_in_query_strings_and_partner_segments_are_scoped(
    fd_api: Callable[..., Api],
    spec_ops: tuple[Operation, ...],
    path_values: dict[str, Any],
    other_eid: str,
    other_partner: str,
) -> None:
    sweep = Sweep("OBJ-03")
    for op, name in _query_eid_reads(spec_ops):
        for _, path in targets([op], path_values, reads_only=True, sweep=sweep):
            api = fd_api("primary", host_of(op))

            def judge(path: str = path, api: Api = api, name: str = name) -> None:
                check_refusal(
                    api.get(path, params={name: other_eid}),
                    "OBJ-03",
                    NOT_FOUND_STATUS,
                    None,
                    f"GET {path}?{name}=<another partner's eid>",
                )

            sweep.judge(judge, op.host)
    partner_reads = [
        op
        for op in spec_ops
        if op.secured and op.is_read and any(op.kind_of(p) == "partner_id" for p in op.path_params)
    ]
    for op, path in targets(
        partner_reads, {**path_values, "partner_id": other_partner}, reads_only=True, sweep=sweep
    ):
        api = fd_api("primary", host_of(op))

        def judge_partner(path: str = path, api: Api = api) -> None:
            check_refusal(api.get(path), "OBJ-03", 403, None, f"GET {path} names another partner")

        sweep.judge(judge_partner, op.host)
    sweep.finish("ids in query strings and {partner_id} segments must be scoped like path ids")


@pytest.mark.fd_rule("OBJ-03")
@pytest.mark.fd_needs(mode="publish")
def test_ids_in_bodies_and_partner_segments_of_writes_are_scoped(  # noqa: PLR0917 - pytest passes fixtures positionally
    fd_api: Callable[..., Api],
    fd_settings: Settings,
    event_with_campaigns: Any,
    other_eid: str,
    other_partner: str,
    primary_partner: str,
) -> None:
    if not _local_target(fd_settings):
        pytest.skip(
            "not run: this probe writes to another tenant's data; it runs only against the embedded "
            "reference or a loopback target"
        )
    foreign = event_facts(fd_api("other", "main", partner=other_partner), other_eid)
    api = fd_api("primary", "main", partner=primary_partner)
    sweep = Sweep("OBJ-03")
    triple = (
        foreign.campaigns[0]
        if foreign.campaigns
        else {"eid": other_eid, "tc": (foreign.tcs or ["x"])[0], "tc_run_id": foreign.tc_run_id or 1}
    )

    def judge_body() -> None:
        exchange = api.post(
            "/campaigns_setup", json={"eid": other_eid, "tc": triple["tc"], "tc_run_id": triple["tc_run_id"]}
        )
        check_refusal(exchange, "OBJ-03", NOT_FOUND_STATUS, None, "POST /campaigns_setup with a foreign eid")

    sweep.judge(judge_body)
    own = event_with_campaigns.campaigns[0]
    segments = [
        urllib.parse.quote(str(v), safe="") for v in (other_partner, own["eid"], own["tc"], own["tc_run_id"])
    ]

    def judge_segment() -> None:
        exchange = api.put("/campaigns/{}/{}/{}/{}/target_audience".format(*segments), json={})
        check_refusal(exchange, "OBJ-03", 403, None, "PUT .../target_audience with another partner's id")

    sweep.judge(judge_segment)
    sweep.finish("ids in bodies and {partner_id} segments of writes must be scoped like path ids")


@pytest.mark.fd_rule("OBJ-05")
def test_parent_child_mismatch_is_404(
    fd_api: Callable[..., Api], spec_ops: tuple[Operation, ...], primary_facts: list[Any], fd_mode: str
) -> None:
    """A tc/run of event A under event B's path must be 404 (reads; per-campaign writes in publish mode)."""
    with_runs = [f for f in primary_facts if f.tc_run_id is not None and f.tcs]
    pair = next(
        (
            (a, b)
            for a in with_runs
            for b in with_runs
            if a.eid != b.eid and a.tcs[0] not in b.tcs and a.tc_run_id != b.tc_run_id
        ),
        None,
    )
    if pair is None:
        pytest.skip("not run: need two primary events with different clusters and runs")
    source, parent = pair
    mixed = {"eid": parent.eid, "tc": source.tcs[0], "tc_run_id": source.tc_run_id}
    ops = [
        op
        for op in spec_ops
        if op.secured
        and {"tc", "tc_run_id"} & {op.kind_of(p) for p in op.path_params}
        and "partner_id" not in {op.kind_of(p) for p in op.path_params}
        and (op.is_read or (fd_mode == "publish" and op.publishes))
    ]
    sweep = Sweep("OBJ-05")
    for op, path in targets(ops, mixed, reads_only=False, sweep=sweep):
        api = fd_api("primary", host_of(op))

        def judge(op: Operation = op, path: str = path, api: Api = api) -> None:
            exchange = send(api, op, path)
            if exchange.status != NOT_FOUND_STATUS:
                raise exchange.finding(
                    "OBJ-05",
                    f"{op.method} {path}: a tc and run of event {source.eid} under event "
                    f"{parent.eid} -> {exchange.status}",
                    expected="404",
                )

        sweep.judge(judge, op.host)
    _package_mismatches(sweep, fd_api("primary", "main"), spec_ops, primary_facts)
    sweep.finish("a tc or run of another event in a per-campaign path must be 404")


def _package_mismatches(sweep: Sweep, api: Api, spec_ops: tuple[Operation, ...], facts: list[Any]) -> None:
    """``/package_builder/packages/{package_id}/{tc}/...`` reads: a tc of no event of the package is 404.

    Packages are discovered by listing their collection; a package without events is not usable."""
    for op in spec_ops:
        kinds = [op.kind_of(p) for p in op.path_params]
        if not op.is_read or kinds[-1:] != ["tc"] or len(kinds) != 2 or "eid" in kinds:
            continue
        parent = op.path_params[0]
        collection = op.path.split("{" + parent + "}")[0]
        listing = api.get(collection).json()
        items = listing.get("items") if isinstance(listing, dict) else listing
        for package in items if isinstance(items, list) else []:
            events = (
                {str(e.get("id")) for e in package.get("events") or [] if isinstance(e, dict)}
                if isinstance(package, dict)
                else set()
            )
            inside = {tc for f in facts if f.eid in events for tc in f.tcs}
            outside = next(
                (tc for f in facts if f.eid not in events for tc in f.tcs if tc not in inside), None
            )
            if not events or outside is None or "id" not in package:
                continue
            path = op.path.replace("{" + parent + "}", quote(str(package["id"]), safe="")).replace(
                "{" + op.path_params[1] + "}", quote(outside, safe="")
            )

            def judge(path: str = path, outside: str = outside) -> None:
                exchange = api.get(path)
                if exchange.status != NOT_FOUND_STATUS:
                    raise Finding(
                        "OBJ-05",
                        f"GET {path}: tc {outside!r} belongs to none of the package's events, "
                        f"yet -> {exchange.status}",
                        expected="404",
                        curl=exchange.curl,
                        received=f"{exchange.status} {exchange.response.text[:160]}",
                    )

            sweep.judge(judge)
            break
