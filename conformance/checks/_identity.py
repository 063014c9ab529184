"""Comparing two answers of live data by their scoped identity (TEN-02, TEN-04's switch, TEN-05).

Two identical requests to a live deployment rarely answer byte for byte alike: counters tick,
timestamps move, unread counts change. What tenancy rules care about is *which rows* an answer holds
and *whose ids* they carry, so two answers are compared by their identity:

- the values of the identity fields (``IDENTITY_FIELDS``: the contract's id kinds — ``eid``, ``tc``,
  ``tc_run_id``, partner ids, ``id`` — wherever they occur in the body), kept in their place in the
  structure, so a row keeps its own ids together (a swap of owners between two rows is a difference);
- the rows of every list as a multiset (order is not identity: a live list may sort by a moving field);
- the shape: the field names present (with list positions merged), so an answer stripped of its data
  still differs from a full one even where it carries no ids.

Every other value (counts, dates, names, flags) is not compared. A body with no identity field is
compared by its shape alone: the comparison then says nothing about whose data it is, and the caller's
status comparison carries the judgement.
"""

from __future__ import annotations

import json
from typing import Any

#: Field names that identify a row or its owner (CONTRACT §2-3 id kinds; ``x-fd-id`` kinds of the specs).
IDENTITY_FIELDS = frozenset({
    "id", "eid", "event_id", "tc", "tc_run_id", "cid", "partner", "partner_id", "partner_ids",
    "package_id", "task_id", "message_id", "campaign_id",
})


def _is_id_value(value: Any) -> bool:
    if isinstance(value, list):
        return all(_is_id_value(v) for v in value)
    return value is None or isinstance(value, str | int | float | bool)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def scoped_identity(body: Any) -> Any:
    """The identity part of a JSON body: identity fields kept in place, list rows sorted, the rest dropped
    (``{}``/``[]`` when nothing identifies anything)."""
    if isinstance(body, dict):
        out: dict[str, Any] = {}
        for key, value in body.items():
            if key in IDENTITY_FIELDS and _is_id_value(value):
                out[key] = sorted(value, key=_canonical) if isinstance(value, list) else value
            elif isinstance(value, dict | list):
                inner = scoped_identity(value)
                if inner not in ({}, []):
                    out[key] = inner
        return out
    if isinstance(body, list):
        rows = [scoped_identity(item) for item in body]
        return sorted((r for r in rows if r not in ({}, [])), key=_canonical)
    return {}


def shape_of(body: Any, prefix: str = "") -> frozenset[str]:
    """The field paths a body has (``items[].eid``), values ignored."""
    paths: set[str] = set()
    if isinstance(body, dict):
        for key, value in body.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            paths.add(path)
            paths |= shape_of(value, path)
    elif isinstance(body, list):
        for item in body:
            paths |= shape_of(item, f"{prefix}[]")
    return frozenset(paths)


def _facts(identity: Any, prefix: str = "") -> set[str]:
    """``path=value`` lines of an identity, for saying what differs."""
    found: set[str] = set()
    if isinstance(identity, dict):
        for key, value in identity.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key in IDENTITY_FIELDS and _is_id_value(value):
                found.add(f"{path}={_canonical(value)}")
            else:
                found |= _facts(value, path)
    elif isinstance(identity, list):
        for item in identity:
            found |= _facts(item, f"{prefix}[]")
    return found


def _listed(facts: set[str]) -> str:
    shown = sorted(facts)
    return ", ".join(shown[:4]) + (f" (+{len(shown) - 4} more)" if len(shown) > 4 else "")


def identity_problems(expected: Any, received: Any, *, labels: tuple[str, str] = ("expected", "received")
                      ) -> list[str]:
    """What differs between two answers' scoped identities and shapes (empty: the same rows, the same
    owners' ids, the same fields). ``labels`` name the two answers in the messages."""
    mine, theirs = scoped_identity(expected), scoped_identity(received)
    problems: list[str] = []
    if mine != theirs:
        only_expected, only_received = _facts(mine) - _facts(theirs), _facts(theirs) - _facts(mine)
        if only_expected:
            problems.append(f"ids only in the {labels[0]} answer: {_listed(only_expected)}")
        if only_received:
            problems.append(f"ids only in the {labels[1]} answer: {_listed(only_received)}")
        if not problems:
            problems.append("the same ids, but grouped into rows differently (rows carry other owners' ids)")
    shape_a, shape_b = shape_of(expected), shape_of(received)
    if shape_a != shape_b:
        missing, extra = shape_a - shape_b, shape_b - shape_a
        parts = [f"{labels[1]} lacks {_listed(set(missing))}"] if missing else []
        parts += [f"{labels[1]} adds {_listed(set(extra))}"] if extra else []
        problems.append("fields differ: " + "; ".join(parts))
    return problems


def same_identity(first: Any, second: Any) -> bool:
    """Whether two answers hold the same rows with the same owners' ids and the same fields."""
    return not identity_problems(first, second)


def has_identity(body: Any) -> bool:
    """Whether a body carries any identity field at all (else an identity comparison says nothing)."""
    return scoped_identity(body) not in ({}, [])
