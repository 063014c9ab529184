"""The long tail of the main host: wizard lookups, prompts, Package Builder, NLQ, storage, Meta.

Package ids, like event ids, are scoped: another partner's package is "not found".
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from conformance.reference import replies
from conformance.reference.context import Ctx
from conformance.reference.handlers.common import body_object, bool_arg, route
from conformance.reference.handlers.partners import BACKHAUL_DEFAULTS, backhaul_settings
from conformance.reference.replies import Reply

CTAS = {
    "UTILIZATION": ["GET_TICKETS", "BUY_TICKETS", "LEARN_MORE"],
    "ROAS": ["GET_TICKETS", "BUY_TICKETS"],
    "VISIBILITY": ["LEARN_MORE", "WATCH_MORE"],
    "LINK_CLICKS": ["LEARN_MORE", "SIGN_UP", "GET_TICKETS"],
}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def custom_prompt(ctx: Ctx) -> Reply:
    partner = ctx.svc.store.partner(ctx.partner) or {}
    return Reply(
        200,
        {
            "partner_id": ctx.partner,
            "prompt": f"Write event ads for {partner.get('name')} in a friendly tone.",
        },
    )


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


# -- Package Builder ---------------------------------------------------------------------------
def _package(ctx: Ctx, package_id: str) -> dict[str, Any]:
    row = ctx.svc.store.one("SELECT partner_id, doc FROM packages WHERE id = ?", (package_id,))
    if row is None or row["partner_id"] != ctx.partner:
        raise replies.not_found("package")
    return dict(json.loads(row["doc"]))


def _save_package(ctx: Ctx, doc: dict[str, Any]) -> None:
    ctx.svc.store.run(
        "INSERT OR REPLACE INTO packages (id, partner_id, doc) VALUES (?, ?, ?)",
        (doc["id"], ctx.partner, json.dumps(doc, ensure_ascii=False)),
    )


def list_packages(ctx: Ctx) -> Reply:
    rows = ctx.svc.store.rows("SELECT doc FROM packages WHERE partner_id = ? ORDER BY rowid", (ctx.partner,))
    return Reply(200, [json.loads(r["doc"]) for r in rows])


def create_package(ctx: Ctx) -> Reply:
    body = body_object(ctx)
    refs = body.get("event_ids") or []
    if not isinstance(refs, list):
        raise replies.invalid([replies.field_error("body.event_ids", "type", "an array of event ids")])
    events = []
    for ref in refs:
        event = ctx.svc.hooks.access.event(ctx, str(ref), "body")
        events.append({"id": event["id"], "title": event.get("title")})
    number = ctx.svc.store.next_value("package", 554)
    title = body.get("package_title")
    doc = {
        "id": f"pkg_{number}",
        "title": title if isinstance(title, str) else f"Package {number}",
        "status": "DONE",
        "merge_id": None,
        "created_at": _now(),
        "events": events,
        "targeting_mode": "lookalike",
        "backhaul_evaluation_details": dict(BACKHAUL_DEFAULTS),
    }
    _save_package(ctx, doc)
    return Reply(201, {"id": doc["id"]})


def merge_packages(ctx: Ctx) -> Reply:
    ids = ctx.arg_list("packages_ids")
    if not ids:
        raise replies.invalid([replies.field_error("query.packages_ids", "required", "repeat packages_ids")])
    parts = [_package(ctx, i) for i in ids]
    number = ctx.svc.store.next_value("package", 554)
    merged = {
        "id": f"pkg_{number}",
        "title": " + ".join(str(p.get("title")) for p in parts),
        "status": "DONE",
        "merge_id": f"merge_{number}",
        "created_at": _now(),
        "events": [e for p in parts for e in p.get("events", [])],
        "targeting_mode": "lookalike",
        "backhaul_evaluation_details": dict(BACKHAUL_DEFAULTS),
    }
    _save_package(ctx, merged)
    return Reply(200, {"id": merged["id"], "merged": ids})


def get_package(ctx: Ctx) -> Reply:
    doc = _package(ctx, ctx.params["package_id"])
    return Reply(200, {k: v for k, v in doc.items() if k != "backhaul_evaluation_details"})


def get_backhaul_details(ctx: Ctx) -> Reply:
    return Reply(200, _package(ctx, ctx.params["package_id"])["backhaul_evaluation_details"])


def put_backhaul_details(ctx: Ctx) -> Reply:
    doc = _package(ctx, ctx.params["package_id"])
    doc["backhaul_evaluation_details"] = backhaul_settings(ctx)
    _save_package(ctx, doc)
    return Reply(200, doc["backhaul_evaluation_details"])


def _signal(*parts: str) -> int:
    return int(hashlib.sha256(":".join(parts).encode()).hexdigest()[:4], 16) % 500


def backhaul_evaluation(ctx: Ctx) -> Reply:
    doc = _package(ctx, ctx.params["package_id"])
    return Reply(
        200,
        {
            "package_id": doc["id"],
            "clusters": [
                {
                    "event_id": e["id"],
                    "customers": _signal(doc["id"], e["id"], "c"),
                    "items": _signal(doc["id"], e["id"], "i"),
                    "purchases": _signal(doc["id"], e["id"], "p"),
                }
                for e in doc.get("events", [])
            ],
        },
    )


def customer_list(ctx: Ctx) -> Reply:
    doc = _package(ctx, ctx.params["package_id"])
    tc = ctx.params["tc"]
    known = set()
    for event in doc.get("events", []):
        runs = ctx.svc.store.runs(str(event["id"]))
        known |= {c["tc"] for c in ctx.svc.store.clusters(str(event["id"]), runs[-1])} if runs else set()
    if tc not in known:  # a cluster of none of the package's events: parent/child mismatch
        raise replies.not_found("cluster")
    return Reply(
        200,
        {
            "package_id": doc["id"],
            "tc": tc,
            "customers": [f"cust_{_signal(doc['id'], tc, str(i))}" for i in range(5)],
        },
    )


def nlq(ctx: Ctx) -> Reply:
    # The spec makes it required and non-blank (`pattern: \S`); its validation ran already.
    description = ctx.arg("description")
    if not isinstance(description, str) or not description:
        raise replies.invalid([replies.field_error("query.description", "required", "a description")])
    kind = ctx.arg("result_type") or "customer"
    return Reply(
        200,
        {
            "description": description,
            "result_type": kind,
            "ids": [f"{kind}_{_signal(description, str(i))}" for i in range(3)],
        },
    )


# -- storage (presigned uploads; the URLs are never contacted by the reference) -----------------
def _key(ctx: Ctx, body: dict[str, Any]) -> str:
    name = body.get("filename") if isinstance(body.get("filename"), str) else "upload.bin"
    number = ctx.svc.store.next_value("upload", 0)
    return f"{ctx.partner}/uploads/{number}-{str(name).replace('/', '_')[:100]}"


def start_multipart(ctx: Ctx) -> Reply:
    body = body_object(ctx, required=False)
    key = _key(ctx, body)
    parts = body.get("parts", 2)
    count = parts if isinstance(parts, int) and not isinstance(parts, bool) and 1 <= parts <= 100 else 2
    upload_id = hashlib.sha256(key.encode()).hexdigest()[:16]
    ctx.svc.store.run("INSERT INTO uploads (id, partner_id) VALUES (?, ?)", (upload_id, ctx.partner))
    return Reply(
        200,
        {
            "upload_id": upload_id,
            "key": key,
            "parts": [
                {
                    "part_number": n,
                    "url": f"https://uploads.future-demand.invalid/{key}?part={n}&upload={upload_id}",
                }
                for n in range(1, count + 1)
            ],
        },
    )


def complete_multipart(ctx: Ctx) -> Reply:
    # The spec requires upload_id; an id never issued, already completed or another partner's is one
    # answer (404), so the upload table is no oracle over other tenants' uploads.
    upload_id = str(body_object(ctx).get("upload_id"))
    row = ctx.svc.store.one("SELECT partner_id FROM uploads WHERE id = ?", (upload_id,))
    if row is None or row["partner_id"] != ctx.partner:
        raise replies.not_found("upload")
    ctx.svc.store.run("DELETE FROM uploads WHERE id = ?", (upload_id,))
    return Reply(200, {"upload_id": upload_id, "completed": True})


def presigned_url(ctx: Ctx) -> Reply:
    key = _key(ctx, body_object(ctx, required=False))
    return Reply(200, {"key": key, "url": f"https://uploads.future-demand.invalid/{key}", "expires_in": 900})


# -- Meta integration --------------------------------------------------------------------------
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
                "purchases": _signal(event["id"], "p"),
                "revenue": _signal(event["id"], "r") * 40,
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
            "impressions": _signal(event["id"], "imp") * 100,
            "clicks": _signal(event["id"], "clk"),
            "spend": float(_signal(event["id"], "spd")),
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
    route("main", "GET", "/prompts/custom_prompt", custom_prompt, body="none"),
    route("main", "GET", "/setup_processes/call_to_action/", call_to_action, body="none"),
    route("main", "GET", "/setup_processes/event_types", event_types, body="none"),
    route("main", "GET", "/package_builder/packages/", list_packages, body="none"),
    route("main", "POST", "/package_builder/packages", create_package),
    route("main", "POST", "/package_builder/packages/merge", merge_packages, body="none"),
    route("main", "GET", "/package_builder/packages/{package_id}", get_package, body="none"),
    route(
        "main",
        "GET",
        "/package_builder/packages/{package_id}/backhaul_evaluation_details",
        get_backhaul_details,
        body="none",
    ),
    route(
        "main",
        "PUT",
        "/package_builder/packages/{package_id}/backhaul_evaluation_details",
        put_backhaul_details,
    ),
    route(
        "main",
        "GET",
        "/package_builder/packages/{package_id}/backhaul_evaluation",
        backhaul_evaluation,
        body="none",
    ),
    route(
        "main", "GET", "/package_builder/packages/{package_id}/{tc}/customer_list", customer_list, body="none"
    ),
    route("main", "GET", "/nlq/ids_from_nl_description", nlq, body="none"),
    route("main", "POST", "/storage/multipart-upload", start_multipart),
    route("main", "PUT", "/storage/multipart-upload", complete_multipart),
    route("main", "POST", "/storage/presigned-url", presigned_url),
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
