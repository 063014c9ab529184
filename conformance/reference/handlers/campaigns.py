"""Campaign reads and the per-campaign paths ``/campaigns/{eid}/{tc}/{tc_run_id}/…`` (CID, OBJ-05)."""

from __future__ import annotations

import json
from typing import Any

from conformance.reference import replies
from conformance.reference.context import Ctx
from conformance.reference.handlers.common import body_object, page_of, paging, route
from conformance.reference.replies import Reply


def event_campaigns(ctx: Ctx) -> Reply:
    event = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "read")
    page, limit = paging(ctx)
    items = [ctx.svc.hooks.render.campaign(c) for c in ctx.svc.hooks.lists.event_campaigns(ctx, event)]
    return Reply(200, page_of(ctx, items, page, limit))


def _run_param(ctx: Ctx) -> int:
    raw = ctx.params["tc_run_id"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise replies.invalid([replies.field_error("path.tc_run_id", "type", "tc_run_id is an integer")])
    return int(raw)


def resolve(ctx: Ctx, via: str = "read") -> dict[str, Any]:
    """The campaign a per-campaign path names: owner check on eid, then parent/child (OBJ-05)."""
    run = _run_param(ctx)
    event = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "write" if via == "write" else "read")
    return ctx.svc.hooks.access.campaign(ctx, event["id"], ctx.params["tc"], run)


def campaign_detail(ctx: Ctx) -> Reply:
    return Reply(200, ctx.svc.hooks.render.campaign(resolve(ctx)))


def _save(ctx: Ctx, campaign: dict[str, Any]) -> Reply:
    ctx.svc.hooks.wave.save_edit(ctx.svc.store, campaign["eid"], ctx.partner, campaign)
    return Reply(200, ctx.svc.hooks.render.campaign(campaign))


def _strings(body: dict[str, Any], names: tuple[str, ...], where: str) -> dict[str, Any]:
    out = {}
    for name in names:
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise replies.invalid(
                [replies.field_error(f"{where}.{name}", "type", f"{name} must be a string")]
            )
        out[name] = value
    return out


def put_creative(ctx: Ctx) -> Reply:
    campaign = resolve(ctx, "write")
    campaign["creative"] = _strings(body_object(ctx), ("headline", "body", "media_url", "cta"), "body")
    return _save(ctx, campaign)


def put_target_audience(ctx: Ctx) -> Reply:
    if ctx.params["partner_id"] != ctx.partner:  # CONTRACT §2: foreign {partner_id} segment → 403
        raise replies.not_authorized()
    campaign = resolve(ctx, "write")
    body = body_object(ctx)
    geo, demographics = body.get("geo", []), body.get("demographics", {})
    if not isinstance(geo, list) or not isinstance(demographics, dict):
        raise replies.invalid(
            [replies.field_error("body", "type", "geo is an array, demographics an object")]
        )
    campaign["targeting"] = {
        "geo": geo,
        "demographics": demographics,
        "saved_audience_id": body.get("saved_audience_id"),
    }
    return _save(ctx, campaign)


def put_ignore(ctx: Ctx) -> Reply:
    campaign = resolve(ctx, "write")
    reason = body_object(ctx, required=False).get("reason")
    if reason is not None and not isinstance(reason, str):
        raise replies.invalid([replies.field_error("body.reason", "type", "reason must be a string")])
    campaign["status"] = "IGNORED"
    campaign["ignored_reason"] = reason
    return _save(ctx, campaign)


def campaign_statistics(ctx: Ctx) -> Reply:
    rows = ctx.svc.store.rows("SELECT doc FROM campaigns WHERE partner_id = ?", (ctx.partner,))
    statuses = [json.loads(r["doc"]).get("status") for r in rows]
    events = ctx.svc.store.rows("SELECT doc FROM events WHERE partner_id = ?", (ctx.partner,))
    open_events = sum(1 for e in events if json.loads(e["doc"]).get("campaign_status") == "OPEN")
    return Reply(
        200,
        {
            "total": len(statuses),
            "running": statuses.count("RUNNING"),
            "open": open_events,
            "closed": statuses.count("COMPLETED"),
            "ignored": statuses.count("IGNORED"),
        },
    )


def by_partner_id(ctx: Ctx) -> Reply:
    # Admin-only in the platform: partner tokens are refused whatever they ask for.
    raise replies.not_authorized()


def new_runtime_budget(ctx: Ctx) -> Reply:
    eid = ctx.arg("eid")
    if not isinstance(eid, str) or not eid:
        raise replies.not_found("campaign")  # no event named: no campaigns to change
    event = ctx.svc.hooks.access.event(ctx, eid, "query")
    budget, end_date = ctx.arg("budget"), ctx.arg("end_date")
    campaigns = ctx.svc.store.campaigns(event["id"])
    if not campaigns:
        raise replies.not_found("campaign")
    try:
        new_budget = float(budget) if budget not in (None, "") else None
    except (TypeError, ValueError):
        raise replies.invalid(
            [replies.field_error("query.budget", "type", "budget must be a number")]
        ) from None
    for campaign in campaigns:
        if new_budget is not None:
            campaign["budget"] = round(new_budget / len(campaigns), 2)
        if end_date:
            campaign["end_date"] = end_date
        ctx.svc.hooks.wave.save_edit(ctx.svc.store, event["id"], ctx.partner, campaign)
    return Reply(
        200, {"eid": event["id"], "campaigns": [ctx.svc.hooks.render.campaign(c) for c in campaigns]}
    )


ROUTES = [
    route("main", "GET", "/events/{eid}/campaigns", event_campaigns, body="none"),
    route("main", "GET", "/campaigns/statistics", campaign_statistics, body="none"),
    route("main", "GET", "/campaigns/by_partner_id", by_partner_id, body="none"),
    route("main", "POST", "/campaigns/new_runtime_budget", new_runtime_budget, body="none"),
    route("main", "GET", "/campaigns/{eid}/{tc}/{tc_run_id}", campaign_detail, body="none"),
    route("main", "PUT", "/campaigns/{eid}/{tc}/{tc_run_id}/creative", put_creative),
    route(
        "main", "PUT", "/campaigns/{partner_id}/{eid}/{tc}/{tc_run_id}/target_audience", put_target_audience
    ),
    route("main", "PUT", "/campaigns/{eid}/{tc}/{tc_run_id}/ignore", put_ignore),
]
