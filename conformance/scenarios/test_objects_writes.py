"""OBJ-02 and OBJ-03's write checks: another partner's ids are refused on every write, and the owner's
data is unchanged.

What is attacked depends on the target alone being the embedded reference (``settings.embedded``), never
on its hostname (specs/README.md, decision 69):

- the embedded reference: the dataset's foreign event (listed as ``other``), with its own campaigns;
  the suite started that reference and throws it away;
- any other target (a staging deployment, a shared one, a reference served by ``fdconf serve``): only
  objects the run created itself — a sandbox event of persona ``other`` (``other_sandbox``, published
  first where a campaign is needed), read back by its owner before and after, and cleaned up by
  ``other`` in hierarchy order; the primary persona's own writes go to its own sandbox events. No
  tenant's real data is written to.

Positive controls: a foreign write is judged only when the primary persona's same write on its own
sandbox event reaches the handler (the route exists and resolves an owned eid); OBJ-03's body probe
when the owner can edit the campaign it names, its segment probe when the same write with primary's
own partner id reaches the handler.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest

from conformance.checks import NOT_FOUND_STATUS, changed_paths, check_refusal
from conformance.client import Api
from conformance.errors import Finding
from conformance.scenarios.controls import ProbeLedger, who, write_control
from conformance.scenarios.discovery import campaign_key, event_facts, keyed_campaigns
from conformance.scenarios.sandbox import partner_product, published_campaign
from conformance.scenarios.sending import host_of, send
from conformance.scenarios.sweep import Sweep, Unexercised, targets
from conformance.spec import Operation

OBJ02 = "another partner's eid must be rejected on every write, leaving the owner's data unchanged"
OBJ03 = "ids in bodies and {partner_id} segments of writes must be scoped like path ids"


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


def _foreign_target(
    request: pytest.FixtureRequest, embedded: bool, owner: Api, other_partner: str
) -> tuple[str, dict[str, Any]] | str:
    """``(eid, path values)`` of the foreign event to attack, or why there is none."""
    if embedded:
        return str(request.getfixturevalue("other_eid")), dict(request.getfixturevalue("foreign_values"))
    sandbox = request.getfixturevalue("other_sandbox")
    if "refused" in sandbox:
        return str(sandbox["refused"])
    facts = event_facts(owner, str(sandbox["eid"]))
    values: dict[str, Any] = {"eid": facts.eid, "partner_id": other_partner}
    if facts.tc_run_id is not None and facts.tcs:
        values.update(tc=facts.tcs[0], tc_run_id=facts.tc_run_id)
    return facts.eid, values


@pytest.mark.fd_rule("OBJ-02", "HST-02")
@pytest.mark.fd_needs(mode="write")
def test_foreign_eid_is_rejected_on_every_write(  # noqa: PLR0917 - pytest passes fixtures positionally
    request: pytest.FixtureRequest,
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    fd_settings: Any,
    fd_mode: str,
    spec_ops: tuple[Operation, ...],
    path_values: dict[str, Any],
    other_partner: str,
    primary_partner: str,
    fd_sandbox: dict[str, Any],
) -> None:
    owner_main = fd_api("other", "main", partner=other_partner)
    owner_cr = fd_api("other", "cr", partner=other_partner)
    writes = [
        op
        for op in spec_ops
        if op.secured and not op.is_read and op.eid_params and (fd_mode == "publish" or not op.publishes)
    ]
    sweep = Sweep("OBJ-02", fd_ledger, "foreign-eid-write-404")
    foreign = _foreign_target(request, bool(fd_settings.embedded), owner_main, other_partner)
    if isinstance(foreign, str):  # one line per host: the same reason holds for every write
        for host in sorted({op.host for op in writes}):
            sweep.unexercised(host, "every eid-bearing write", foreign)
        sweep.unexercised("main", "owner snapshot", foreign, check="owner-data-unchanged")
        sweep.finish(OBJ02)
        return
    eid, values = foreign
    # Two reads before any foreign write: what differs between them is live data, not a write's effect.
    before = _snapshot(owner_main, owner_cr, eid)
    again = _snapshot(owner_main, owner_cr, eid)
    product = partner_product(fd_api("primary", "main"))
    known = {"partner_product": product} if product else {}
    attack = {**values, "partner_id": primary_partner}
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
    after = _snapshot(owner_main, owner_cr, eid)
    attempted = sweep.visited  # foreign writes actually sent (a failed control sends none)

    def judge_unchanged() -> None:
        if not attempted:
            raise Unexercised("no foreign write was sent (no write had a positive control)")
        if not any(200 <= status < 300 for status, _ in before.values()):
            raise Unexercised("the owner reads none of its event's data")
        changed = changed_paths(before, again, after)
        if changed:
            raise Finding(
                "OBJ-02",
                f"the owner's data of {eid} changed after foreign writes: {changed[:6]}"
                + (f" (+{len(changed) - 6} more)" if len(changed) > 6 else ""),
                expected="unchanged",
                received=str(changed[:20]),
            )

    sweep.judge(judge_unchanged, operation="owner snapshot", check="owner-data-unchanged")
    sweep.finish(OBJ02)


def _published(api: Api, eid: str) -> tuple[str, str, int] | str:
    try:
        return published_campaign(api, eid, "OBJ-03")
    except Finding as finding:  # a sandbox without a usable run is another rule's finding, not this one's
        return finding.message


def _foreign_campaign(request: pytest.FixtureRequest, embedded: bool, owner: Api) -> tuple[Any, ...] | str:
    """A campaign key of the other tenant's to name in a body, or why there is none."""
    if embedded:
        owned = keyed_campaigns(request.getfixturevalue("foreign_facts"))
        key = campaign_key(owned[0]) if owned else None
        # A made-up triple is 404 for everyone: it would prove nothing about ownership.
        return key if key is not None else "the foreign event has no campaign to name in a body"
    sandbox = request.getfixturevalue("other_sandbox")
    return str(sandbox["refused"]) if "refused" in sandbox else _published(owner, str(sandbox["eid"]))


def _own_campaign(request: pytest.FixtureRequest, embedded: bool, api: Api) -> tuple[Any, ...] | str:
    """A campaign key of the primary tenant's own to write to, or why there is none."""
    if embedded:
        key = campaign_key(keyed_campaigns(request.getfixturevalue("event_with_campaigns"))[0])
        return key if key is not None else "primary's campaign has no well-formed key"
    return _published(api, str(request.getfixturevalue("fresh_sandbox")["eid"]))


@pytest.mark.fd_rule("OBJ-03")
@pytest.mark.fd_needs(mode="publish")
def test_ids_in_bodies_and_partner_segments_of_writes_are_scoped(  # noqa: PLR0917 - pytest passes fixtures positionally
    request: pytest.FixtureRequest,
    fd_api: Callable[..., Api],
    fd_ledger: ProbeLedger,
    fd_settings: Any,
    other_partner: str,
    primary_partner: str,
) -> None:
    api = fd_api("primary", "main", partner=primary_partner)
    owner = fd_api("other", "main", partner=other_partner)
    embedded = bool(fd_settings.embedded)
    sweep = Sweep("OBJ-03", fd_ledger, "body-eid-404")
    label = "POST /campaigns_setup"
    theirs = _foreign_campaign(request, embedded, owner)
    if isinstance(theirs, str):
        sweep.unexercised("main", label, theirs)
    else:
        body = {"eid": theirs[0], "tc": theirs[1], "tc_run_id": theirs[2]}
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
    segment_label = "PUT /campaigns/{partner_id}/{eid}/{tc}/{tc_run_id}/target_audience"
    mine = _own_campaign(request, embedded, api)
    if isinstance(mine, str):
        sweep.unexercised("main", segment_label, mine, check="partner-segment-write-403")
        sweep.finish(OBJ03)
        return
    template = "/campaigns/{}/{}/{}/{}/target_audience"

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
    sweep.finish(OBJ03)
