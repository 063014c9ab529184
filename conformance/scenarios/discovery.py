"""Discovering what the scenarios attack: events, clusters, campaigns and ids, read from the target.

Nothing here is hard-coded: the primary persona's events come from listing ``/events/`` as primary;
the foreign eid comes from listing as ``other`` (and is then attacked as primary); a never-existing
eid is derived from a real one by replacing each letter and digit. When the target does not give
what a scenario needs, :class:`Unavailable` says why and the scenario is skipped with that reason
(not passed).
"""

from __future__ import annotations

import random
import string
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from conformance.checks import item_partners
from conformance.client import TRANSIENT_STATUSES, Api, Exchange

PAGE_LIMIT = 100
MAX_PAGES = 50
MAX_PROBED_EVENTS = 25


class Unavailable(Exception):
    """The target does not offer what a scenario needs (no events, no clusters, ...).

    ``transient``: the target was down for the moment (502/503/504) rather than lacking the data, so
    asking again later may succeed (:class:`conformance.client.Patience`)."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


def _down(exchange: Exchange) -> bool:
    return exchange.status in TRANSIENT_STATUSES


def body_of(exchange: Exchange) -> Any:
    return exchange.json() if 200 <= exchange.status < 300 else None


def walk_pages(
    api: Api, path: str, params: dict[str, Any] | None = None, *, limit: int = PAGE_LIMIT
) -> Iterator[tuple[int, Exchange]]:
    """Every page of a paginated list, by page number up to ``pages`` (not trusting ``nextPage``)."""
    page = 1
    while page <= MAX_PAGES:
        exchange = api.get(path, params={**(params or {}), "page": page, "limit": limit})
        yield page, exchange
        body = body_of(exchange)
        if not isinstance(body, dict) or not isinstance(body.get("pages"), int) or page >= body["pages"]:
            return
        page += 1


def list_items(api: Api, path: str, params: dict[str, Any] | None = None) -> list[Any]:
    """All items of a paginated list; :class:`Unavailable` when the first page is not a page envelope."""
    items: list[Any] = []
    for page, exchange in walk_pages(api, path, params):
        body = body_of(exchange)
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            if page == 1 or _down(exchange):  # a list cut short by an outage is not the list
                raise Unavailable(f"{exchange.describe()} gave no page envelope to discover from",
                                  transient=_down(exchange))
            break
        items.extend(body["items"])
    return items


def event_id(item: Any) -> str | None:
    if isinstance(item, dict):
        for key in ("id", "eid"):
            if isinstance(item.get(key), str | int) and not isinstance(item.get(key), bool):
                return str(item[key])
    return None


@dataclass
class EventFacts:
    """What one event offers the scenarios."""

    eid: str
    tc_run_id: int | None = None
    tcs: list[str] = field(default_factory=list)
    campaigns: list[dict[str, Any]] = field(default_factory=list)
    series: list[str] = field(default_factory=list)


def campaign_key(campaign: Any) -> tuple[str, str, int] | None:
    """``(eid, tc, tc_run_id)`` of a campaign whose key is well-formed (string eid and tc, integer run),
    else ``None``. Scenarios build per-campaign paths only from such keys: a malformed key is CID-01's
    finding, and must not cascade into the rules that merely address campaigns."""
    if not isinstance(campaign, dict):
        return None
    eid, tc, run = campaign.get("eid"), campaign.get("tc"), campaign.get("tc_run_id")
    if not isinstance(eid, str) or not eid or not isinstance(tc, str) or not tc:
        return None
    if not isinstance(run, int) or isinstance(run, bool):
        return None
    return eid, tc, run


def keyed_campaigns(facts: EventFacts) -> list[dict[str, Any]]:
    """The event's own campaigns with a well-formed key (campaigns of other events a list may show,
    e.g. series members, are addressed under their own eid, never under this one's)."""
    return [c for c in facts.campaigns if (key := campaign_key(c)) is not None and key[0] == facts.eid]


def own_event_ids(own: list[Any], foreign: list[Any], partner: str | None) -> list[str]:
    """Eids of ``own`` items that are really the persona's: not claimed by another partner and not in
    the other tenant's listing (so a leaking list cannot turn a foreign event into an attack base)."""
    foreign_ids = {event_id(i) for i in foreign}
    out = []
    for item in own:
        eid = event_id(item)
        owners = item_partners(item)
        if eid and eid not in foreign_ids and (not owners or partner is None or partner in owners):
            out.append(eid)
    return out


def event_facts(api: Api, eid: str) -> EventFacts:
    """Clusters, campaigns and series of one event (best effort; empty when an endpoint refuses)."""
    facts = EventFacts(eid)
    quoted = urllib.parse.quote(eid, safe="")

    def read(path: str, params: dict[str, Any] | None = None) -> Any:
        exchange = api.get(path, params=params)
        if _down(exchange):  # "best effort" must not turn an outage into "this event has no clusters"
            raise Unavailable(f"{exchange.describe()} while reading event {eid}", transient=True)
        return body_of(exchange)

    clusters = read(f"/events/{quoted}/clusters")
    if isinstance(clusters, dict):
        run = clusters.get("tc_run_id")
        facts.tc_run_id = run if isinstance(run, int) and not isinstance(run, bool) else None
        facts.tcs = [c["tc"] for c in clusters.get("clusters") or [] if isinstance(c, dict) and "tc" in c]
    campaigns = read(f"/events/{quoted}/campaigns", {"page": 1, "limit": PAGE_LIMIT})
    if isinstance(campaigns, dict) and isinstance(campaigns.get("items"), list):
        facts.campaigns = [c for c in campaigns["items"] if isinstance(c, dict)]
    event = read(f"/events/{quoted}")
    if isinstance(event, dict) and isinstance(event.get("campaign_event_series"), list):
        facts.series = [str(s) for s in event["campaign_event_series"]]
    return facts


def never_existing_like(eid: str, seed: int, taken: set[str]) -> str:
    """An id shaped like ``eid`` (same prefix, length and character classes) the target never issued."""
    rng = random.Random(f"{seed}:{eid}")
    # Keep a leading type prefix such as "evt_" so the id stays well-formed for a validating server.
    cut = next((i for i, ch in enumerate(eid) if not ch.isalnum()), 0)
    prefix, rest = (eid[: cut + 1], eid[cut + 1 :]) if cut else ("", eid)
    for _ in range(100):
        chars = [prefix]
        for ch in rest:
            if ch.isdigit():
                chars.append(rng.choice(string.digits))
            elif ch.isalpha() and ch.isascii():
                chars.append(rng.choice(string.ascii_lowercase if ch.islower() else string.ascii_uppercase))
            else:
                chars.append(ch)
        candidate = "".join(chars)
        if candidate not in taken and candidate != eid:
            return candidate
    raise Unavailable(f"cannot derive a never-existing id from {eid!r}")
