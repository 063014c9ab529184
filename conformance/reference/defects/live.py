"""Live conditions: the reference's data moves between two identical requests, as a live deployment's
does (counters tick, timestamps advance). No rule may fail under them: a rule that compares two answers
must compare what identifies them (which rows, whose ids), not the live fields."""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from conformance.reference import hooks as h
from conformance.reference.defects.registry import condition

if TYPE_CHECKING:
    from conformance.reference.context import Ctx
    from conformance.reference.replies import Reply

IDS = ("id", "eid")


def _stamped(body: Any, tick: int, now: str) -> Any:
    if isinstance(body, list):
        return [_stamped(item, tick, now) for item in body]
    if not isinstance(body, dict):
        return body
    out = {key: _stamped(value, tick, now) for key, value in body.items()}
    if any(key in body for key in IDS):
        out["served_count"] = tick
        out["served_at"] = now
    return out


@condition
class LiveFields(h.RenderPolicy):
    """Every object with an `id` or `eid` in a successful JSON answer carries `served_count` (a counter
    that grows with every answer) and `served_at` (the time of the answer, in microseconds): two identical
    requests never answer byte for byte alike; no id, row or owner changes."""

    name = "live-fields"

    def __init__(self) -> None:
        self._ticks = itertools.count(1)
        self._lock = threading.Lock()

    def answer(self, ctx: Ctx, reply: Reply) -> Reply:
        reply = super().answer(ctx, reply)
        if reply.media_type != "application/json" or reply.body is None or not 200 <= reply.status < 300:
            return reply
        with self._lock:
            tick = next(self._ticks)
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        return replace(reply, body=_stamped(reply.body, tick, now))
