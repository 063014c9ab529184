"""Event-level writes and controls on the main host, and background tasks (OBJ-02 surface)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from conformance.reference import replies
from conformance.reference.context import Ctx
from conformance.reference.handlers.common import body_object, enum_value, route
from conformance.reference.handlers.partners import MODELS
from conformance.reference.replies import Reply


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def set_attribution_model(ctx: Ctx) -> Reply:
    event = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "write")
    event["attribution_model"] = enum_value(body_object(ctx).get("model"), MODELS, "body.model")
    ctx.svc.store.save_event(event["id"], ctx.partner, event)
    return Reply(200, {"eid": event["id"], "model": event["attribution_model"]})


def set_frontend_status(ctx: Ctx) -> Reply:
    event = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "write")
    status = enum_value(
        body_object(ctx).get("frontend_status"), ("DEFAULT", "FLAGGED", "HIDDEN"), "body.frontend_status"
    )
    event["frontend_status"] = status
    event["flagged_to_top"] = status == "FLAGGED"
    ctx.svc.store.save_event(event["id"], ctx.partner, event)
    return Reply(204)


def _task(ctx: Ctx, eid: str, kind: str, result: dict[str, Any]) -> dict[str, Any]:
    task_id = f"task_{ctx.svc.store.next_value('task', 0):06d}"
    doc = {
        "id": task_id,
        "eid": eid,
        "kind": kind,
        "state": "completed",
        "result": result,
        "error": None,
        "created_at": _now(),
    }
    ctx.svc.store.run(
        "INSERT INTO tasks (id, partner_id, doc) VALUES (?, ?, ?)",
        (task_id, ctx.partner, json.dumps(doc, ensure_ascii=False)),
    )
    return doc


def set_client_campaign_status(ctx: Ctx) -> Reply:
    event = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "write")
    status = enum_value(
        ctx.arg("client_campaign_status"), ("PAUSED", "RUNNING"), "query.client_campaign_status"
    )
    store = ctx.svc.store
    with store.transaction():
        event["client_campaign_status"] = status
        store.save_event(event["id"], ctx.partner, event)
        for campaign in store.campaigns(event["id"]):
            if campaign.get("status") in ("RUNNING", "PAUSED"):
                campaign["status"] = status
                store.update_campaign(event["id"], campaign["tc"], int(campaign["tc_run_id"]), campaign)
        task = _task(ctx, event["id"], "client_campaign_status", {"client_campaign_status": status})
    return Reply(202, {"task_id": task["id"]})


def _public_task(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc[k] for k in ("id", "state", "result", "error", "created_at")}


def client_campaign_status_task(ctx: Ctx) -> Reply:
    event = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "read")
    rows = ctx.svc.store.rows(
        "SELECT doc FROM tasks WHERE partner_id = ? ORDER BY rowid DESC", (ctx.partner,)
    )
    for row in rows:
        doc = json.loads(row["doc"])
        if doc.get("eid") == event["id"] and doc.get("kind") == "client_campaign_status":
            return Reply(200, _public_task(doc))
    raise replies.not_found("task")


def get_task(ctx: Ctx) -> Reply:
    row = ctx.svc.store.one("SELECT partner_id, doc FROM tasks WHERE id = ?", (ctx.params["task_id"],))
    if row is None or row["partner_id"] != ctx.partner:
        raise replies.not_found("task")
    return Reply(200, _public_task(json.loads(row["doc"])))


def set_optimisation_status(ctx: Ctx) -> Reply:
    event = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "write")
    event["campaign_optimisation_status"] = enum_value(
        ctx.arg("campaign_optimisation_status"), ("ON", "OFF"), "query.campaign_optimisation_status"
    )
    ctx.svc.store.save_event(event["id"], ctx.partner, event)
    return Reply(204)


def reset_campaigns_setup(ctx: Ctx) -> Reply:
    """Old docs' "nuke and restart": drops a draft. A published setup stays frozen (no silent changes)."""
    event = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "write")
    found = ctx.svc.store.setup(event["id"])
    if found is None:
        raise replies.not_found("setup_process")
    if found[0]:
        raise replies.ApiError(400, "error.setup_process.published", "SETUP_PROCESS_PUBLISHED")
    ctx.svc.store.delete_setup(event["id"])
    return Reply(200, {"eid": event["id"], "reset": True})


ROUTES = [
    route("main", "PUT", "/events/{eid}/attribution_model", set_attribution_model),
    route("main", "PUT", "/events/{eid}/setup_frontend_status", set_frontend_status),
    route("main", "PUT", "/events/{eid}/client_campaign_status", set_client_campaign_status, body="none"),
    route(
        "main", "GET", "/events/{eid}/client_campaign_status/task", client_campaign_status_task, body="none"
    ),
    route("main", "PUT", "/events/{eid}/campaign_optimisation_status", set_optimisation_status, body="none"),
    route("main", "PUT", "/events/{eid}/reset_campaigns_setup", reset_campaigns_setup, body="none"),
    route("main", "GET", "/tasks/{task_id}", get_task, body="none"),
]
