"""Wizard lookups of the setup process: call-to-action options per goal, conversion event types."""

from __future__ import annotations

from conformance.reference import replies
from conformance.reference.context import Ctx
from conformance.reference.handlers.common import bool_arg, route
from conformance.reference.replies import Reply

CTAS = {
    "UTILIZATION": ["GET_TICKETS", "BUY_TICKETS", "LEARN_MORE"],
    "ROAS": ["GET_TICKETS", "BUY_TICKETS"],
    "VISIBILITY": ["LEARN_MORE", "WATCH_MORE"],
    "LINK_CLICKS": ["LEARN_MORE", "SIGN_UP", "GET_TICKETS"],
}


def call_to_action(ctx: Ctx) -> Reply:
    goal = ctx.arg("goal") or "UTILIZATION"
    if goal not in CTAS:
        raise replies.invalid([replies.field_error("query.goal", "enum", f"one of {sorted(CTAS)}")])
    options = list(CTAS[goal])
    if bool_arg(ctx, "has_pixel") is False and goal == "ROAS":
        options = ["LEARN_MORE"]
    if ctx.arg("lead_form_id"):
        options.append("SIGN_UP")
    return Reply(200, list(dict.fromkeys(options)))


def event_types(ctx: Ctx) -> Reply:
    return Reply(
        200,
        [
            {"event_type": "Purchase", "label": "Purchase"},
            {"event_type": "AddToCart", "label": "Add to cart"},
            {"event_type": "Lead", "label": "Lead"},
        ],
    )


ROUTES = [
    route("main", "GET", "/setup_processes/call_to_action/", call_to_action, body="none"),
    route("main", "GET", "/setup_processes/event_types", event_types, body="none"),
]
