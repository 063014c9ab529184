"""Storage: presigned and multipart uploads (the URLs are never contacted by the reference)."""

from __future__ import annotations

import hashlib
from typing import Any

from conformance.reference import replies
from conformance.reference.context import Ctx
from conformance.reference.handlers.common import body_object, route
from conformance.reference.replies import Reply


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


ROUTES = [
    route("main", "POST", "/storage/multipart-upload", start_multipart),
    route("main", "PUT", "/storage/multipart-upload", complete_multipart),
    route("main", "POST", "/storage/presigned-url", presigned_url),
]
