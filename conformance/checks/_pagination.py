"""PAG-01: the page envelope ``{total, limit, page, pages, nextPage, prevPage, items}`` is consistent.

Consistency is judged from the envelope alone plus what was asked for (``page``/``limit`` query
values, defaults 1 and 50), so the same check serves scenario walks and fuzzed responses.
"""

from __future__ import annotations

import math
from typing import Any

from conformance.errors import Finding

RULE = "PAG-01"
DEFAULT_LIMIT = 50
ENVELOPE_FIELDS = ("total", "limit", "page", "pages", "nextPage", "prevPage", "items")


def looks_paginated(body: Any) -> bool:
    """Whether a body is meant to be a page envelope (has ``items`` and at least ``total``)."""
    return isinstance(body, dict) and "items" in body and "total" in body


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def page_problems(body: Any, *, page: int | None = None, limit: int | None = None) -> list[str]:
    """Inconsistencies of one page envelope (empty list: consistent).

    ``page``/``limit`` are what the request asked for (``None`` = not sent, so the defaults apply).
    """
    if not isinstance(body, dict):
        return [f"page body is a JSON {type(body).__name__}, not an object"]
    missing = [f for f in ENVELOPE_FIELDS if f not in body]
    if missing:
        return [f"envelope lacks {', '.join(missing)}"]
    problems: list[str] = []
    for name in ("total", "limit", "page", "pages"):
        if not _int(body[name]):
            problems.append(f"`{name}` is {body[name]!r}, not an integer")
    for name in ("nextPage", "prevPage"):
        if body[name] is not None and not _int(body[name]):
            problems.append(f"`{name}` is {body[name]!r}, not an integer or null")
    if not isinstance(body["items"], list):
        problems.append("`items` is not an array")
    if problems:
        return problems
    total, got_limit, got_page, pages = body["total"], body["limit"], body["page"], body["pages"]
    items: list[Any] = body["items"]
    want_page = 1 if page is None else page
    want_limit = DEFAULT_LIMIT if limit is None else limit
    if got_page != want_page:
        problems.append(f"`page` is {got_page}, the request asked for {want_page}")
    if got_limit != want_limit:
        problems.append(f"`limit` is {got_limit}, the request asked for {want_limit}")
    if total < 0 or got_limit < 1 or got_page < 1:
        problems.append(f"negative or zero values: total={total} limit={got_limit} page={got_page}")
        return problems
    want_pages = math.ceil(total / got_limit)
    # An empty list may report 0 or 1 pages; both read naturally and neither breaks a page walk.
    if pages != want_pages and not (total == 0 and pages in (0, 1)):
        problems.append(f"`pages` is {pages}, ceil(total {total} / limit {got_limit}) is {want_pages}")
    want_items = max(0, min(got_limit, total - (got_page - 1) * got_limit))
    if len(items) != want_items:
        problems.append(
            f"page {got_page} holds {len(items)} items, total {total} and limit {got_limit} "
            f"make it {want_items}"
        )
    want_next = got_page + 1 if got_page < want_pages else None
    if body["nextPage"] != want_next:
        problems.append(f"`nextPage` is {body['nextPage']!r}, expected {want_next!r}")
    if got_page == 1 and body["prevPage"] is not None:
        problems.append(f"`prevPage` is {body['prevPage']!r} on page 1, expected null")
    elif 1 < got_page <= max(want_pages, 1) and body["prevPage"] != got_page - 1:
        problems.append(f"`prevPage` is {body['prevPage']!r}, expected {got_page - 1}")
    return problems


def check_page(
    body: Any,
    *,
    page: int | None = None,
    limit: int | None = None,
    where: str = "",
    curl: str = "",
    rule_id: str = RULE,
) -> None:
    """Raise a PAG-01 Finding when the envelope is inconsistent."""
    problems = page_problems(body, page=page, limit=limit)
    if problems:
        raise Finding(
            rule_id,
            f"inconsistent page envelope{' at ' + where if where else ''}: " + "; ".join(problems),
            expected="total/limit/page/pages/nextPage/prevPage/items agree with each other "
            "and with the request",
            received=_summary(body),
            curl=curl,
        )


def _summary(body: Any) -> str:
    if not isinstance(body, dict):
        return repr(body)[:200]
    fields = {k: body.get(k) for k in ENVELOPE_FIELDS if k != "items"}
    items = body.get("items")
    return f"{fields}, {len(items) if isinstance(items, list) else items!r} items"
