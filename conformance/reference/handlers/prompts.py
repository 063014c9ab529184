"""Prompts: the partner's custom ad-copy prompt."""

from __future__ import annotations

from conformance.reference.context import Ctx
from conformance.reference.handlers.common import route
from conformance.reference.replies import Reply


def custom_prompt(ctx: Ctx) -> Reply:
    partner = ctx.svc.store.partner(ctx.partner) or {}
    return Reply(
        200,
        {
            "partner_id": ctx.partner,
            "prompt": f"Write event ads for {partner.get('name')} in a friendly tone.",
        },
    )


ROUTES = [
    route("main", "GET", "/prompts/custom_prompt", custom_prompt, body="none"),
]
