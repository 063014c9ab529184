"""Partner-level operations: the partner record, attribution defaults, permissions (TEN-05)."""

from __future__ import annotations

import json
from typing import Any

from conformance.reference import replies
from conformance.reference.context import Ctx
from conformance.reference.handlers.common import body_object, enum_value, route
from conformance.reference.replies import Reply

MODELS = ("FD", "META", "EXTERNAL")
BACKHAUL_DEFAULTS: dict[str, Any] = {
    "backhaul_evaluation_attribution_window": 14,
    "backhaul_evaluation_model": "ALL_PURCHASES",
    "email_sent_date": None,
}


def partner_record(ctx: Ctx) -> Reply:
    return Reply(200, ctx.svc.hooks.render.partner(ctx))


def _save_partner(ctx: Ctx, doc: dict[str, Any]) -> None:
    ctx.svc.store.run(
        "UPDATE partners SET doc = ? WHERE id = ?",
        (json.dumps(doc, ensure_ascii=False, sort_keys=True), ctx.partner),
    )


def _partner(ctx: Ctx) -> dict[str, Any]:
    doc = ctx.svc.store.partner(ctx.partner)
    assert doc is not None
    return doc


def attribution_default(ctx: Ctx) -> Reply:
    return Reply(200, {"attribution_model_default": _partner(ctx).get("attribution_model_default", "FD")})


def set_attribution_model(ctx: Ctx) -> Reply:
    model = enum_value(ctx.arg("model"), MODELS, "query.model")
    doc = _partner(ctx)
    doc["attribution_model_default"] = model
    _save_partner(ctx, doc)
    return Reply(200, {"attribution_model_default": model})


def permissions(ctx: Ctx) -> Reply:
    doc = _partner(ctx)
    granted = []
    if doc.get("demand_prediction"):
        granted.append("lookout")
    if doc.get("campaign_recommendations"):
        granted.append("wave")
    granted += [p for p in doc.get("products", []) if p in ("fdlive", "prisma")]
    return Reply(200, {"partner_id": ctx.partner, "permissions": granted})


def _own_partner_segment(ctx: Ctx) -> None:
    # CONTRACT §2: a {partner_id} path segment other than the scoped partner is 403.
    if ctx.params["partner_id"] != ctx.partner:
        raise replies.not_authorized()


def backhaul_settings(ctx: Ctx) -> dict[str, Any]:
    """Backhaul settings from the request body over the defaults (packages and partners share them)."""
    body = body_object(ctx)
    window = body.get("backhaul_evaluation_attribution_window", 14)
    if isinstance(window, float) and window.is_integer():
        window = int(window)
    if not isinstance(window, int) or isinstance(window, bool) or not 0 <= window <= 3650:
        raise replies.invalid(
            [
                replies.field_error(
                    "body.backhaul_evaluation_attribution_window",
                    "range",
                    "an integer number of days, 0..3650",
                )
            ]
        )
    return {
        **BACKHAUL_DEFAULTS,
        **{k: body[k] for k in BACKHAUL_DEFAULTS if k in body},
        "backhaul_evaluation_attribution_window": window,
    }


def backhaul_details(ctx: Ctx) -> Reply:
    _own_partner_segment(ctx)
    return Reply(200, {**BACKHAUL_DEFAULTS, **_partner(ctx).get("backhaul_attribution_details", {})})


def save_backhaul_details(ctx: Ctx) -> Reply:
    _own_partner_segment(ctx)
    doc = _partner(ctx)
    details = backhaul_settings(ctx)
    doc["backhaul_attribution_details"] = details
    _save_partner(ctx, doc)
    return Reply(200, details)


ROUTES = [
    route("main", "GET", "/partners/", partner_record, body="none"),
    route("main", "GET", "/partners/attribution_model_default", attribution_default, body="none"),
    route("main", "PUT", "/partners/attribution_model", set_attribution_model, body="none"),
    route("main", "GET", "/permissions", permissions, body="none"),
    route(
        "main", "GET", "/partners/{partner_id}/backhaul_attribution_details", backhaul_details, body="none"
    ),
    route("main", "POST", "/partners/{partner_id}/backhaul_attribution_details", save_backhaul_details),
]
