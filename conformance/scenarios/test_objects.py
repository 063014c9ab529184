"""OBJ-01..05: objects of another partner are not found, on every path, body and query that names them.

The foreign eid is discovered by listing ``/events/`` as ``other`` and is attacked as ``primary``; the
never-existing eid is derived from it. Sweeps cover every operation of both specs whose path carries
an eid (``x-fd-id: eid``).

Positive controls: a foreign-id probe is judged only when the owner (``other``) gets 2xx on the same
operation with its own ids (the foreign event's own tc and run), so the 404 proves ownership, not a
missing route or a parent/child mismatch. Writes are controlled by the primary persona's same write
on its own sandbox event (the route exists and resolves an owned eid); OBJ-05's mismatch by the
matching triple.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from conformance.checks.tenancy import NOT_FOUND_STATUS, check_refusal
from conformance.client.http import Api, Exchange
from conformance.errors import Finding
from conformance.scenarios.discovery import campaign_key, keyed_campaigns
from conformance.scenarios.operations import Operation, fill_path
from conformance.scenarios.sandbox import partner_product
from conformance.scenarios.sweep import (
    NoControl,
    ProbeLedger,
    Sweep,
    Unexercised,
    host_of,
    read_control,
    required_params,
    send,
    targets,
    who,
    write_control,
)


def _local_target(settings: Any) -> bool:
    """Embedded reference or a loopback server: the only targets cross-tenant writes are sent to."""
    host = urllib.parse.urlsplit(str(settings.main or "")).hostname or ""
    return bool(settings.embedded) or host in ("127.0.0.1", "localhost", "::1")


def _with_eid(values: dict[str, Any], eid: str) -> dict[str, Any]:
    return {**values, "eid": eid}


def _eid_reads(spec_ops: tuple[Operation, ...]) -> list[Operation]:
    return [op for op in spec_ops if op.secured and op.is_read and op.eid_params]


def _owner_control(
    ledger: ProbeLedger, fd_api: Callable[..., Api], other_partner: str, op: Operation, path: str
) -> Any:
    """The owner of the foreign event gets 2xx on ``op`` at ``path`` (its own ids)."""
    owner = fd_api("other", host_of(op), partner=other_partner)
    return read_control(ledger, owner, op, path, params=required_params(op))


@pytest.mark.fd_rule("OBJ-01", "HST-02")
def test_foreign_eid_is_404_on_every_read(  # noqa: PLR0917 - pytest passes fixtures positionally
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    spec_ops: tuple[Operation, ...],
    foreign_values: dict[str, Any],
    primary_partner: str,
    other_partner: str,
) -> None:
    sweep = Sweep("OBJ-01", fd_ledger, "foreign-eid-404")
    for op, path in targets(_eid_reads(spec_ops), foreign_values, reads_only=True, sweep=sweep):
        control = _owner_control(fd_ledger, fd_api, other_partner, op, path)
        attacked = targets([op], {**foreign_values, "partner_id": primary_partner}, reads_only=True)
        api = fd_api("primary", host_of(op))

        def judge(op: Operation = op, path: str = attacked[0][1], api: Api = api) -> None:
            try:
                check_refusal(
                    send(api, op, path),
                    "OBJ-01",
                    NOT_FOUND_STATUS,
                    None,
                    f"GET {path} names another partner's event",
                )
            except Finding as finding:
                raise finding.relabel("OBJ-01", f"{op.host} {finding.message}") from None

        sweep.judge(judge, op.host, operation=op.label, control=control)
    sweep.finish("another partner's eid must be 404 on every /events/{eid}/... read")


def _normalised(exchange: Exchange, eid: str) -> tuple[int, str]:
    """Status and body with the requested id blanked out (an echoed id is not an oracle)."""
    text = exchange.response.text
    for form in {eid, urllib.parse.quote(eid, safe="")}:
        text = text.replace(form, "<eid>")
    return exchange.status, text


@pytest.mark.fd_rule("OBJ-04", "HST-02")
def test_foreign_and_never_existing_ids_are_indistinguishable(  # noqa: PLR0917 - pytest passes fixtures positionally
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    spec_ops: tuple[Operation, ...],
    foreign_values: dict[str, Any],
    other_eid: str,
    other_partner: str,
    never_existing_eid: str,
) -> None:
    sweep = Sweep("OBJ-04", fd_ledger, "foreign-equals-never")
    values = {k: v for k, v in foreign_values.items() if k != "partner_id"}
    for op, path in targets(_eid_reads(spec_ops), values, reads_only=True, sweep=sweep):
        control = _owner_control(fd_ledger, fd_api, other_partner, op, path)
        never_path = path.replace(
            urllib.parse.quote(other_eid, safe=""), urllib.parse.quote(never_existing_eid, safe="")
        )
        api = fd_api("primary", host_of(op))

        def judge(op: Operation = op, path: str = path, never_path: str = never_path, api: Api = api) -> None:
            foreign, never = send(api, op, path), send(api, op, never_path)
            if _normalised(foreign, other_eid) != _normalised(never, never_existing_eid):
                raise foreign.finding(
                    "OBJ-04",
                    f"{op.host} GET {op.path}: a foreign eid "
                    f"answers {foreign.status}, a never-existing one {never.status} (bodies "
                    f"{'equal' if foreign.status != never.status else 'differ'})",
                    expected=f"{never.status} {never.response.text[:160]}",
                )

        sweep.judge(judge, op.host, operation=op.label, control=control)
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
    fd_ledger: ProbeLedger,
    fd_settings: Any,
    fd_mode: str,
    spec_ops: tuple[Operation, ...],
    path_values: dict[str, Any],
    foreign_values: dict[str, Any],
    other_eid: str,
    other_partner: str,
    primary_partner: str,
    fd_sandbox: dict[str, Any],
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
    sweep = Sweep("OBJ-02", fd_ledger, "foreign-eid-write-404")
    product = partner_product(fd_api("primary", "main"))
    known = {"partner_product": product} if product else {}
    attack = {**foreign_values, "partner_id": primary_partner}
    own = {**path_values, "eid": fd_sandbox["eid"]}
    for op, path in targets(writes, attack, reads_only=False, sweep=sweep):
        api = fd_api("primary", host_of(op))
        control = write_control(fd_ledger, api, op, own, known)

        def judge(op: Operation = op, path: str = path, api: Api = api) -> None:
            exchange = send(api, op, path, known=known)
            if exchange.status != NOT_FOUND_STATUS:
                raise exchange.finding(
                    "OBJ-02",
                    f"{op.method} {op.host}:{path} on another partner's event -> {exchange.status}",
                    expected="404",
                )

        sweep.judge(judge, op.host, operation=op.label, control=control)
    after = _snapshot(owner_main, owner_cr, other_eid)

    def judge_unchanged() -> None:
        if not any(200 <= status < 300 for status, _ in before.values()):
            raise Unexercised("the owner reads none of its event's data")
        changed = [key for key in before if before[key] != after.get(key)]
        if changed:
            raise Finding(
                "OBJ-02",
                f"the owner's data changed after foreign writes: {changed}",
                expected="unchanged",
                received=str(changed),
            )

    sweep.judge(judge_unchanged, operation="owner snapshot", check="owner-data-unchanged")
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
def test_ids_in_query_strings_and_partner_segments_are_scoped(  # noqa: PLR0917 - pytest passes fixtures positionally
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    spec_ops: tuple[Operation, ...],
    path_values: dict[str, Any],
    foreign_values: dict[str, Any],
    other_eid: str,
    other_partner: str,
) -> None:
    sweep = Sweep("OBJ-03", fd_ledger, "query-eid-404")
    for op, name in _query_eid_reads(spec_ops):
        for _, path in targets([op], path_values, reads_only=True, sweep=sweep):
            api = fd_api("primary", host_of(op))
            params = {**required_params(op), name: other_eid}
            owned = targets([op], foreign_values, reads_only=True)
            if not owned:
                sweep.unexercised(op.host, op.label, "the foreign event offers no values for its path")
                continue
            owner = fd_api("other", host_of(op), partner=other_partner)
            own_params = {**required_params(op), name: other_eid}
            control = read_control(fd_ledger, owner, op, owned[0][1], params=own_params)

            def judge(path: str = path, api: Api = api, name: str = name, params: Any = params) -> None:
                check_refusal(
                    api.get(path, params=params),
                    "OBJ-03",
                    NOT_FOUND_STATUS,
                    None,
                    f"GET {path}?{name}=<another partner's eid>",
                )

            sweep.judge(judge, op.host, operation=op.label, control=control)
    partner_reads = [
        op
        for op in spec_ops
        if op.secured and op.is_read and any(op.kind_of(p) == "partner_id" for p in op.path_params)
    ]
    for op, owned_path in targets(partner_reads, foreign_values, reads_only=True, sweep=sweep):
        api = fd_api("primary", host_of(op))
        control = _owner_control(fd_ledger, fd_api, other_partner, op, owned_path)
        path = fill_path(op, {**path_values, "partner_id": other_partner}) or owned_path

        def judge_partner(op: Operation = op, path: str = path, api: Api = api) -> None:
            check_refusal(send(api, op, path), "OBJ-03", 403, None, f"GET {path} names another partner")

        sweep.judge(judge_partner, op.host, operation=op.label, control=control,
                    check="partner-segment-403")
    sweep.finish("ids in query strings and {partner_id} segments must be scoped like path ids")


@pytest.mark.fd_rule("OBJ-03")
@pytest.mark.fd_needs(mode="publish")
def test_ids_in_bodies_and_partner_segments_of_writes_are_scoped(  # noqa: PLR0917 - pytest passes fixtures positionally
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    fd_settings: Any,
    event_with_campaigns: Any,
    foreign_facts: Any,
    other_partner: str,
    primary_partner: str,
) -> None:
    if not _local_target(fd_settings):
        pytest.skip(
            "not run: this probe writes to another tenant's data; it runs only against the embedded "
            "reference or a loopback target"
        )
    api = fd_api("primary", "main", partner=primary_partner)
    owner = fd_api("other", "main", partner=other_partner)
    sweep = Sweep("OBJ-03", fd_ledger, "body-eid-404")
    label = "POST /campaigns_setup"
    owned = keyed_campaigns(foreign_facts)
    if not owned:
        # A made-up triple is 404 for everyone: it would prove nothing about ownership.
        sweep.unexercised("main", label, "the foreign event has no campaign to name in a body")
    else:
        key = campaign_key(owned[0])
        assert key is not None
        body = {"eid": key[0], "tc": key[1], "tc_run_id": key[2]}
        control = fd_ledger.control(
            who(owner), "main", label, lambda: owner.post("/campaigns_setup", json=body),
            refused="control: the owner cannot edit its own campaign",
        )

        def judge_body() -> None:
            exchange = api.post("/campaigns_setup", json=body)
            check_refusal(
                exchange, "OBJ-03", NOT_FOUND_STATUS, None, "POST /campaigns_setup with a foreign eid"
            )

        sweep.judge(judge_body, operation=label, control=control)
    mine = campaign_key(keyed_campaigns(event_with_campaigns)[0])
    assert mine is not None
    template = "/campaigns/{}/{}/{}/{}/target_audience"
    segment_label = "PUT /campaigns/{partner_id}/{eid}/{tc}/{tc_run_id}/target_audience"

    def segment(partner: str) -> str:
        return template.format(*(urllib.parse.quote(str(v), safe="") for v in (partner, *mine)))

    control = fd_ledger.control(
        who(api), "main", segment_label, lambda: api.put(segment(primary_partner), json={}),
        accept=lambda status: status < 500 and status not in (401, 403, 404, 405),
    )

    def judge_segment() -> None:
        exchange = api.put(segment(other_partner), json={})
        check_refusal(exchange, "OBJ-03", 403, None, "PUT .../target_audience with another partner's id")

    sweep.judge(judge_segment, operation=segment_label, control=control, check="partner-segment-write-403")
    sweep.finish("ids in bodies and {partner_id} segments of writes must be scoped like path ids")


@pytest.mark.fd_rule("OBJ-05")
def test_parent_child_mismatch_is_404(  # noqa: PLR0917 - pytest passes fixtures positionally
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    spec_ops: tuple[Operation, ...],
    primary_facts: list[Any],
    path_values: dict[str, Any],
    fd_mode: str,
) -> None:
    """A tc/run of event A under event B's path must be 404 (reads; per-campaign writes in publish mode).

    Control: the same operation with A's own matching triple (``path_values``: a campaign's key where
    primary has one) answers 2xx; per-campaign writes are controlled by the read of that campaign
    (its key is real), never by a live write."""
    matching = {k: path_values[k] for k in ("eid", "tc", "tc_run_id")}
    tc, run = matching["tc"], matching["tc_run_id"]
    parent = next(
        (
            f
            for f in primary_facts
            if f.eid != matching["eid"] and f.tc_run_id is not None and f.tcs
            and tc not in f.tcs and f.tc_run_id != run
        ),
        None,
    )
    if parent is None:
        pytest.skip("not run: need two primary events with different clusters and runs")
    mixed = {"eid": parent.eid, "tc": tc, "tc_run_id": run}
    ops = [
        op
        for op in spec_ops
        if op.secured
        and {"tc", "tc_run_id"} & {op.kind_of(p) for p in op.path_params}
        and "partner_id" not in {op.kind_of(p) for p in op.path_params}
        and (op.is_read or (fd_mode == "publish" and op.publishes))
    ]
    reads = {tuple(op.kind_of(p) for p in op.path_params): op for op in ops if op.is_read}
    sweep = Sweep("OBJ-05", fd_ledger, "mismatch-404")
    for op, path in targets(ops, mixed, reads_only=False, sweep=sweep):
        api = fd_api("primary", host_of(op))
        control_op = op if op.is_read else reads.get(tuple(op.kind_of(p) for p in op.path_params))
        own_path = fill_path(control_op, matching) if control_op is not None else None
        control = (
            read_control(fd_ledger, api, control_op, own_path, params=required_params(control_op))
            if control_op is not None and own_path is not None
            else NoControl("no read of the same per-campaign path to control a write with")
        )

        def judge(op: Operation = op, path: str = path, api: Api = api) -> None:
            exchange = send(api, op, path)
            if exchange.status != NOT_FOUND_STATUS:
                raise exchange.finding(
                    "OBJ-05",
                    f"{op.method} {path}: a tc and run of event {matching['eid']} under event "
                    f"{parent.eid} -> {exchange.status}",
                    expected="404",
                )

        sweep.judge(judge, op.host, operation=op.label, control=control)
    _package_mismatches(sweep, fd_api("primary", "main"), spec_ops, primary_facts)
    sweep.finish("a tc or run of another event in a per-campaign path must be 404")


def _package_mismatches(sweep: Sweep, api: Api, spec_ops: tuple[Operation, ...], facts: list[Any]) -> None:
    """``/package_builder/packages/{package_id}/{tc}/...`` reads: a tc of no event of the package is 404.

    Packages are discovered by listing their collection; a package without events is not usable.
    Control: the same read with a tc of one of the package's events answers 2xx."""
    for op in spec_ops:
        kinds = [op.kind_of(p) for p in op.path_params]
        if not op.is_read or kinds[-1:] != ["tc"] or len(kinds) != 2 or "eid" in kinds:
            continue
        parent = op.path_params[0]
        collection = op.path.split("{" + parent + "}")[0]
        listing = api.get(collection).json()
        items = listing.get("items") if isinstance(listing, dict) else listing
        usable = False
        for package in items if isinstance(items, list) else []:
            events = (
                {str(e.get("id")) for e in package.get("events") or [] if isinstance(e, dict)}
                if isinstance(package, dict)
                else set()
            )
            inside = sorted({tc for f in facts if f.eid in events for tc in f.tcs})
            outside = next(
                (tc for f in facts if f.eid not in events for tc in f.tcs if tc not in inside), None
            )
            if not events or outside is None or not inside or "id" not in package:
                continue
            usable = True

            def at(tc: str, op: Operation = op, parent: str = parent, package: Any = package) -> str:
                return op.path.replace("{" + parent + "}", quote(str(package["id"]), safe="")).replace(
                    "{" + op.path_params[1] + "}", quote(tc, safe="")
                )

            control = read_control(sweep.ledger, api, op, at(inside[0]))
            path = at(outside)

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

            sweep.judge(judge, operation=op.label, control=control)
            break
        if not usable:
            sweep.unexercised(op.host, op.label, "no package with events and a tc outside them")
