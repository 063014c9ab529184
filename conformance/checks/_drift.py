"""OBJ-02's owner check on live data: what changed in the owner's view, discounting what moves by itself.

The owner reads its event twice before any foreign write (nothing is written in between), so a field
that differs between those two reads is live (a counter, a timestamp) and says nothing about a foreign
write; every other field must read the same after the foreign writes. Views are ``{label: (status,
body)}`` maps of the owner's reads.
"""

from __future__ import annotations

from typing import Any


def _leaves(value: Any, prefix: str) -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_leaves(inner, f"{prefix}.{key}"))
        return out or {prefix: {}}
    if isinstance(value, list):
        out = {f"{prefix}#len": len(value)}
        for index, inner in enumerate(value):
            out.update(_leaves(inner, f"{prefix}[{index}]"))
        return out
    return {prefix: value}


def flatten_view(view: dict[str, tuple[int, Any]]) -> dict[str, Any]:
    """Every leaf of a view by its path (``main /events/e1 .name``), statuses included."""
    out: dict[str, Any] = {}
    for label, (status, body) in view.items():
        out[f"{label} status"] = status
        out.update(_leaves(body, f"{label} "))
    return out


def changed_paths(before: dict[str, tuple[int, Any]], again: dict[str, tuple[int, Any]],
                  after: dict[str, tuple[int, Any]]) -> list[str]:
    """Paths whose value after the foreign writes differs from before, leaving out the live ones (those
    that already differed between ``before`` and ``again``, two reads with nothing written between)."""
    first, second, last = flatten_view(before), flatten_view(again), flatten_view(after)
    live = {p for p in first.keys() | second.keys() if first.get(p, ...) != second.get(p, ...)}
    return sorted(p for p in first.keys() | last.keys()
                  if p not in live and first.get(p, ...) != last.get(p, ...))
