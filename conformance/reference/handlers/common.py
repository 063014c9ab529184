"""Helpers every handler module shares: paging, body access, route declaration, made-up figures."""

from __future__ import annotations

import hashlib
from typing import Any

from conformance.reference import replies
from conformance.reference.context import Ctx, Handler, Route

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


def route(
    surface: str, method: str, template: str, handler: Handler, *, auth: bool = True, body: str = "json"
) -> Route:
    return Route(surface, method, template, handler, auth=auth, body=body)


def int_arg(ctx: Ctx, name: str, default: int | None = None) -> int | None:
    """A query integer (coerced by the spec when declared; checked here when it is not)."""
    value = ctx.arg(name, None)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise replies.invalid([replies.field_error(f"query.{name}", "type", f"{name} must be an integer")])
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        raise replies.invalid(
            [replies.field_error(f"query.{name}", "type", f"{name} must be an integer")]
        ) from None


def bool_arg(ctx: Ctx, name: str) -> bool | None:
    value = ctx.arg(name, None)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    lowered = str(value).lower()
    if lowered not in ("true", "false"):
        raise replies.invalid([replies.field_error(f"query.{name}", "type", f"{name} must be true or false")])
    return lowered == "true"


def paging(ctx: Ctx) -> tuple[int, int]:
    """``page`` (1-based) and ``limit`` (1 to 1000, default 50) of CONTRACT §5; out of range → 400."""
    page = int_arg(ctx, "page", 1)
    limit = int_arg(ctx, "limit", DEFAULT_LIMIT)
    assert page is not None
    assert limit is not None
    errors = []
    if page < 1:
        errors.append(replies.field_error("query.page", "minimum", "page starts at 1"))
    if not 1 <= limit <= MAX_LIMIT:
        errors.append(replies.field_error("query.limit", "range", f"limit must be 1..{MAX_LIMIT}"))
    if errors:
        raise replies.invalid(errors)
    return page, limit


def page_of(ctx: Ctx, rows: list[Any], page: int, limit: int) -> dict[str, Any]:
    start = (page - 1) * limit
    return ctx.svc.hooks.lists.envelope(rows[start : start + limit], len(rows), page, limit)


def body_object(ctx: Ctx, *, required: bool = True) -> dict[str, Any]:
    """The JSON body as an object (spec validation ran already; this guards the handler's own needs)."""
    body = ctx.body
    if body is None and not required:
        return {}
    if not isinstance(body, dict):
        raise replies.invalid([replies.field_error("body", "type", "the body must be a JSON object")])
    return body


def require_str(body: dict[str, Any], name: str, where: str = "body") -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise replies.invalid(
            [
                replies.field_error(
                    f"{where}.{name}", "required", f"{name} is required and must be a non-empty string"
                )
            ]
        )
    return value


def as_int(value: Any) -> int | None:
    """An integer from JSON: ints, and floats with no fraction (JSON Schema counts 41.0 as an integer)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def enum_value(value: Any, allowed: tuple[str, ...], field_name: str) -> str:
    if value not in allowed:
        raise replies.invalid(
            [replies.field_error(field_name, "enum", f"{field_name} must be one of {allowed}")]
        )
    return str(value)


def figure(*parts: str) -> int:
    """A made-up figure (0..499), stable for its parts: the reference's analytics answers are
    deterministic, so two reads of the same resource agree."""
    return int(hashlib.sha256(":".join(parts).encode()).hexdigest()[:4], 16) % 500
