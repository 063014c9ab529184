"""OBJ-01..05 on reads: objects of another partner are not found, on every path and query that names
them (the writes, OBJ-02 and OBJ-03's write checks: ``test_objects_writes``).

The foreign eid is discovered by listing ``/events/`` as ``other`` and is attacked as ``primary``; the
never-existing eid is derived from it. Sweeps cover every operation of both specs whose path carries
an eid (``x-fd-id: eid``).

Positive controls: a foreign-id probe is judged only when the owner (``other``) gets 2xx on the same
operation with its own ids (the foreign event's own tc and run), so the 404 proves ownership, not a
missing route or a parent/child mismatch; OBJ-05's mismatch by the matching triple.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from conformance.checks import NOT_FOUND_STATUS, check_refusal
from conformance.client import Api, Exchange
from conformance.errors import Finding
from conformance.scenarios.controls import NoControl, ProbeLedger, read_control
from conformance.scenarios.sending import host_of, required_params, send
from conformance.scenarios.sweep import Sweep, targets
from conformance.spec import Operation, fill_path


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
    sweep = Sweep("OBJ-01", fd_ledger, "foreign-eid-404", concurrent=True)
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
    sweep = Sweep("OBJ-04", fd_ledger, "foreign-equals-never", concurrent=True)
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
    sweep = Sweep("OBJ-03", fd_ledger, "query-eid-404", concurrent=True)
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
    sweep = Sweep("OBJ-05", fd_ledger, "mismatch-404", concurrent=all(op.is_read for op in ops))
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
