"""Meta integration: campaign results and insights of an event, the connection status."""

from __future__ import annotations

from conformance.reference.context import Ctx
from conformance.reference.handlers.common import figure, route
from conformance.reference.replies import Reply


def facebook_campaign_results(ctx: Ctx) -> Reply:
    event = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "read")
    campaigns = ctx.svc.store.campaigns(event["id"])
    if not campaigns:
        return Reply(200, {"event_results": None, "series_results": None})
    spend = sum(float(c.get("budget") or 0) for c in campaigns) * 0.4
    return Reply(
        200,
        {
            "event_results": {
                "purchases": figure(event["id"], "p"),
                "revenue": figure(event["id"], "r") * 40,
                "spend": round(spend, 2),
            },
            "series_results": {"events": len(event.get("campaign_event_series") or [])},
        },
    )


def facebook_insights(ctx: Ctx) -> Reply:
    event = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "read")
    return Reply(
        200,
        {
            "eid": event["id"],
            "impressions": figure(event["id"], "imp") * 100,
            "clicks": figure(event["id"], "clk"),
            "spend": float(figure(event["id"], "spd")),
        },
    )


def facebook_status(ctx: Ctx) -> Reply:
    return Reply(
        200,
        {
            "connected": True,
            "ad_account_id": "act_123",
            "page_id": "page_456",
            "pixel_id": "pix_789",
            "expires_at": None,
        },
    )


ROUTES = [
    route(
        "main",
        "GET",
        "/integrations/facebook/events/{eid}/campaign_results",
        facebook_campaign_results,
        body="none",
    ),
    route("main", "GET", "/integrations/facebook/events/{eid}/fb_insights", facebook_insights, body="none"),
    route("main", "GET", "/integrations/connect/facebook/status", facebook_status, body="none"),
    route("main", "GET", "/meta/authorization/status", facebook_status, body="none"),
]
