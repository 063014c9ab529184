"""``POST {main}/api/media``: creative upload on the unversioned base (404 under ``/api/v3``)."""

from __future__ import annotations

import json
from urllib.parse import quote

from conformance.reference import replies
from conformance.reference.context import Ctx
from conformance.reference.handlers.common import route
from conformance.reference.replies import Reply

MAX_BYTES = 50 * 1024 * 1024
EXTENSIONS = {
    "jpg": "image",
    "jpeg": "image",
    "png": "image",
    "gif": "image",
    "webp": "image",
    "mp4": "video",
    "mov": "video",
    "webm": "video",
}


def media_kind(filename: str, content_type: str) -> str:
    """image / video from the part's type, else from the extension; anything else is a plain file."""
    major = content_type.split("/", maxsplit=1)[0].lower()
    if major in ("image", "video"):
        return major
    return EXTENSIONS.get(filename.rsplit(".", 1)[-1].lower() if "." in filename else "", "file")


def upload(ctx: Ctx) -> Reply:
    found = ctx.files.get("file")
    if found is None:
        raise replies.invalid([replies.field_error("body.file", "required", "a file in the `file` field")])
    filename, content_type, data = found
    if len(data) > MAX_BYTES:
        raise replies.invalid([replies.field_error("body.file", "too_large", "at most 50 MB")])
    name = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] or "upload"
    kind = media_kind(name, content_type)
    doc = {"type": kind, "filename": name, "size": len(data), "content_type": content_type}
    media_id = ctx.svc.store.run(
        "INSERT INTO media (partner_id, doc) VALUES (?, ?)",
        (ctx.partner, json.dumps(doc, ensure_ascii=False)),
    )
    url = f"https://media.future-demand.com/{quote(ctx.partner)}/{media_id}/{quote(name)}"
    return Reply(200, {"type": kind, "url": url, "filename": name})


ROUTES = [route("media", "POST", "/media", upload, body="multipart")]
