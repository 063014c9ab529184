"""The per-partner message inbox (TEN-04 applies to its pages)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from conformance.reference import replies
from conformance.reference.context import Ctx
from conformance.reference.handlers.common import page_of, paging, route
from conformance.reference.replies import Reply


def list_messages(ctx: Ctx) -> Reply:
    page, limit = paging(ctx)
    owners = ctx.svc.hooks.lists.owners(ctx, "messages", page)
    marks = ",".join("?" for _ in owners)
    rows = ctx.svc.store.rows(
        f"SELECT doc FROM messages WHERE partner_id IN ({marks}) ORDER BY seq DESC", owners
    )
    return Reply(200, page_of(ctx, [json.loads(r["doc"]) for r in rows], page, limit))


def mark_read(ctx: Ctx) -> Reply:
    store = ctx.svc.store
    with store.transaction():
        row = store.one("SELECT partner_id, doc FROM messages WHERE id = ?", (ctx.params["message_id"],))
        if row is None or row["partner_id"] != ctx.partner:
            raise replies.not_found("message")
        doc = json.loads(row["doc"])
        if not doc.get("read"):
            doc["read"] = True
            doc["date_last_updated"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            store.run(
                "UPDATE messages SET read = 1, doc = ? WHERE id = ?",
                (json.dumps(doc, ensure_ascii=False), doc["id"]),
            )
    return Reply(200, doc)


def total_unread(ctx: Ctx) -> Reply:
    row = ctx.svc.store.one(
        "SELECT COUNT(*) AS n FROM messages WHERE partner_id = ? AND read = 0", (ctx.partner,)
    )
    return Reply(200, {"total": int(row["n"]) if row else 0})


ROUTES = [
    route("main", "GET", "/messages/partner/", list_messages, body="none"),
    route("main", "PUT", "/messages/{message_id}/markasread", mark_read, body="none"),
    route("main", "GET", "/messages/totalunread", total_unread, body="none"),
]
