"""Confirming a failure before it counts: what failed is sent again, through the same Transport.

A failing probe or fuzz case is replayed up to ``replays`` more times (``run.confirm``, default 2) by
the very code that sent it first, so every replay goes through the run's :class:`Transport`: the
read-only guard, the rate budget, the 429 backoff and the audit log, where it is tagged with origin
``confirm`` (:func:`watch`). Replays stop at the first one that fails again.

* *reproduced*: a replay failed too. The finding counts (confirmed).
* *flaky*: at least one replay was judged and none failed. The finding is reported with its attempts
  and its curl line, and does not fail the gate unless the run is strict (specs/README.md, decision 66).
* neither (no replay could be judged: throttled, timed out, refused by the guard, or ``run.confirm =
  0``): the finding counts as it was seen, with the reason in ``note``; a defect is never hidden by a
  replay that judged nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from conformance.client._http import Transport, WriteBlocked
from conformance.client._throttled import Throttled
from conformance.errors import RequestTimedOut

REPLAY_ORIGIN = "confirm"  # the fuzz checks' tenancy replays are "replay"
#: What one attempt returns: the failure it saw, or ``None`` when it passed.
Attempt = Callable[[], BaseException | None]


@dataclass(frozen=True)
class Confirmation:
    """How a failure fared when it was sent again: ``statuses`` holds the status of the last answer of
    each attempt (a failing attempt's last answer is the one it failed on; 0 = no answer)."""

    attempts: int
    reproduced: bool
    statuses: tuple[int, ...]
    flaky: bool = False
    note: str = ""

    @property
    def counts(self) -> bool:
        """Whether the finding fails its rule on its own (everything but a flaky one)."""
        return not self.flaky

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"attempts": self.attempts, "reproduced": self.reproduced,
                               "statuses": list(self.statuses), "flaky": self.flaky}
        if self.note:
            out["note"] = self.note
        return out


def not_replayed(statuses: list[int], why: str) -> Confirmation:
    """A failure that was not sent again (``why``): it counts as it was seen."""
    return Confirmation(1, False, (last_status(statuses),), note=why)


@contextmanager
def watch(transport: Transport, origin: str | None = None) -> Iterator[list[int]]:
    """Collect the statuses of every request this thread sends through ``transport`` inside the block;
    with ``origin``, those requests are audited under it instead of their sender's."""
    tap = transport.tap
    held_seen, held_origin = getattr(tap, "seen", None), getattr(tap, "origin", None)
    seen: list[int] = []
    tap.seen = seen
    if origin:
        tap.origin = origin
    try:
        yield seen
    finally:
        tap.seen, tap.origin = held_seen, held_origin


def last_status(seen: list[int]) -> int:
    return seen[-1] if seen else 0


def first_status(seen: list[int]) -> int:
    return seen[0] if seen else 0


def confirm(transport: Transport | None, attempt: Attempt, *, replays: int, first: list[int],
            unjudged: tuple[type[Exception], ...] = (),
            status: Callable[[list[int]], int] | None = None) -> Confirmation:
    """Replay a failure whose first attempt answered ``first`` (statuses) up to ``replays`` times.

    ``attempt`` sends the same request(s) again and judges them like the first time; a replay stopped
    by throttling, a timeout, the read-only guard or one of ``unjudged`` (the caller's "cannot judge")
    judged nothing: it neither confirms nor clears. ``status`` picks the status an attempt is
    reported by (default: its last answer; a fuzz case's own answer comes first)."""
    pick = status or last_status
    statuses = [pick(first)]
    if replays <= 0 or transport is None:
        why = "not replayed (run.confirm = 0)" if replays <= 0 else "not replayed"
        return Confirmation(1, False, (pick(first),), note=why)
    passed = 0
    why = ""
    for _ in range(replays):
        with watch(transport, REPLAY_ORIGIN) as seen:
            try:
                failure = attempt()
            except (Throttled, RequestTimedOut, WriteBlocked, *unjudged) as exc:  # type: ignore[misc]
                # a replay that judged nothing
                statuses.append(pick(seen))
                why = str(getattr(exc, "reason", "") or getattr(exc, "message", "") or exc)
                continue
        statuses.append(pick(seen))
        if failure is not None:
            return Confirmation(len(statuses), True, tuple(statuses))
        passed += 1
    note = "" if passed else f"replays judged nothing ({why})"
    return Confirmation(len(statuses), False, tuple(statuses), flaky=passed > 0, note=note[:200])
