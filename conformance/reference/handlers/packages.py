"""Package Builder: packages of events, merges, backhaul settings and evaluation, customer lists.

Package ids, like event ids, are scoped: another partner's package is "not found".
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from conformance.reference import replies
from conformance.reference.context import Ctx
from conformance.reference.handlers.common import body_object, figure, route
from conformance.reference.handlers.partners import BACKHAUL_DEFAULTS, backhaul_settings
from conformance.reference.replies import Reply


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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


def backhaul_evaluation(ctx: Ctx) -> Reply:
    doc = _package(ctx, ctx.params["package_id"])
    return Reply(
        200,
        {
            "package_id": doc["id"],
            "clusters": [
                {
                    "event_id": e["id"],
                    "customers": figure(doc["id"], e["id"], "c"),
                    "items": figure(doc["id"], e["id"], "i"),
                    "purchases": figure(doc["id"], e["id"], "p"),
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
            "customers": [f"cust_{figure(doc['id'], tc, str(i))}" for i in range(5)],
        },
    )


ROUTES = [
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
]
