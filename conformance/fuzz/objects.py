"""Real objects for positive fuzz cases: path values discovered from the target once per run.

Generated path ids reach nothing: every positive case of ``/events/{eid}/…`` would be a 404, SCH-02
would validate error bodies only and our checks that judge 2xx answers (tenancy replays, cid safety)
would never fire. So positive cases of reads carry the primary persona's own ids, discovered as the
scenarios discover them (:mod:`conformance.scenarios.discovery`): ``eid``, ``tc`` and ``tc_run_id``
as one of its campaigns' key (so per-campaign paths address a real campaign; else an event with
clusters and a tc of its current run), ``partner_id`` (its partner) and ``package_id`` (one of its
packages, preferably one holding that event, so ``/package_builder/packages/{package_id}/{tc}/…``
addresses a cluster of the package's own events). Writes keep the sandbox
eid that ``test_fuzz`` pins (never a real event's). Negative cases keep what was generated.

Values are what the target listed; a target that lists nothing leaves the generated ids (and its
operations then never answer 2xx: SCH-02/03 stay partial, which is the honest verdict).
"""

from __future__ import annotations

from typing import Any

from conformance.client import READ_METHODS, Api
from conformance.errors import TargetError
from conformance.fuzz.context import FuzzCase
from conformance.scenarios.discovery import (
    Unavailable,
    body_of,
    campaign_key,
    event_facts,
    keyed_campaigns,
    list_items,
    own_event_ids,
)

#: Events of primary read for their clusters and campaigns (3 requests each) before settling.
MAX_EVENTS = 5
KINDS = ("eid", "tc", "tc_run_id", "partner_id", "package_id")


def discover(primary: Api, other: Api | None, partner: str | None) -> dict[str, Any]:
    """Path values of primary's own objects by id kind (empty when the target offers none)."""
    values = _event_values(primary, other, partner)
    try:
        package = _package_of(primary, values.get("eid"))
    except TargetError:
        package = None
    if package is not None:
        values["package_id"] = package
    return values


def _package_of(primary: Api, eid: Any) -> str | None:
    """One of primary's packages: the first holding ``eid``, else the first listed."""
    body = body_of(primary.get("/package_builder/packages/"))
    items = body.get("items") if isinstance(body, dict) else body
    packages = [p for p in items or [] if isinstance(p, dict) and p.get("id") not in (None, "")]
    for package in packages:
        events = package.get("events") or []
        if any(isinstance(e, dict) and e.get("id") == eid for e in events):
            return str(package["id"])
    return str(packages[0]["id"]) if packages else None


def _event_values(primary: Api, other: Api | None, partner: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {"partner_id": partner} if partner else {}
    try:
        foreign = list_items(other, "/events/") if other is not None else []
    except (Unavailable, TargetError):
        foreign = []
    try:
        eids = own_event_ids(list_items(primary, "/events/"), foreign, partner)
        facts = [event_facts(primary, eid) for eid in eids[:MAX_EVENTS]]
    except (Unavailable, TargetError):
        return values
    if eids:
        values["eid"] = eids[0]
    for fact in facts:
        owned = keyed_campaigns(fact)
        key = campaign_key(owned[0]) if owned else None
        if key is not None:
            values.update(eid=key[0], tc=key[1], tc_run_id=key[2])
            return values
    for fact in facts:
        if fact.tc_run_id is not None and fact.tcs:
            values.update(eid=fact.eid, tc=fact.tcs[0], tc_run_id=fact.tc_run_id)
            return values
    return values


def pin_real_objects(case: FuzzCase, values: dict[str, Any]) -> bool:
    """Put ``values`` into a positive read case's path parameters of known kinds; whether every path
    parameter now addresses a real object (a read with an id the target listed none of cannot)."""
    if case.method.upper() not in READ_METHODS:
        return False
    for name in KINDS:
        if name in (case.path_parameters or {}) and name in values:
            case.path_parameters[name] = values[name]
    return all(name in KINDS and name in values for name in case.path_parameters or {})
