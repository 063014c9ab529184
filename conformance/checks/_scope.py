"""TEN-04: every list item belongs to the scoped partner.

How ownership is observed, strongest evidence first:

1. the item's own partner field (``partner_id``, or ``partner``/``partner_ids`` if an API uses those)
   names a partner other than the scoped one;
2. the item's key is one the *other* tenant sees in its own scoped listing of the same list (items
   are keyed by ``id``, else the campaign triple ``(eid, tc, tc_run_id)``, else ``eid``): no list is
   shared between tenants (CONTRACT §2), so an overlap is a leak into one of the two views.

The second needs a listing taken as the other tenant; the caller gathers it (that is I/O) and passes
the key sets in.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from conformance.errors import Finding

RULE = "TEN-04"
PARTNER_FIELDS = ("partner_id", "partner")


def item_key(item: Any) -> str | None:
    """A stable identity for a list item, or ``None`` when it has none we can use."""
    if not isinstance(item, dict):
        return None
    if "id" in item and isinstance(item["id"], str | int):
        return f"id:{item['id']}"
    if "eid" in item and "tc" in item and "tc_run_id" in item:
        return f"campaign:{item['eid']}|{item['tc']}|{item['tc_run_id']}"
    if "eid" in item:
        return f"eid:{item['eid']}"
    return None


def item_partners(item: Any) -> set[str]:
    """The partners an item says it belongs to (empty when it does not say)."""
    if not isinstance(item, dict):
        return set()
    found: set[str] = set()
    for name in PARTNER_FIELDS:
        value = item.get(name)
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, dict) and isinstance(value.get("id"), str):
            found.add(value["id"])
    ids = item.get("partner_ids")
    if isinstance(ids, list):
        found.update(v for v in ids if isinstance(v, str))
    return found


def foreign_items(
    items: Iterable[Any],
    scoped_partner: str,
    *,
    foreign_keys: Collection[str] = (),
) -> list[str]:
    """Why each out-of-scope item is out of scope (empty: every item belongs to ``scoped_partner``)."""
    problems = []
    for index, item in enumerate(items):
        key = item_key(item)
        owners = item_partners(item)
        if owners and scoped_partner not in owners:
            problems.append(f"item {index} ({key}) belongs to {', '.join(sorted(owners))}")
        elif key is not None and key in foreign_keys:
            problems.append(f"item {index} ({key}) is in the other tenant's listing")
    return problems


def check_scoped(
    items: Iterable[Any],
    scoped_partner: str,
    *,
    where: str = "",
    curl: str = "",
    foreign_keys: Collection[str] = (),
    rule_id: str = RULE,
) -> None:
    problems = foreign_items(items, scoped_partner, foreign_keys=foreign_keys)
    if problems:
        raise Finding(
            rule_id,
            f"list{' ' + where if where else ''} scoped to {scoped_partner} holds "
            f"another tenant's rows: "
            + "; ".join(problems[:5])
            + (f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""),
            expected=f"only {scoped_partner}'s rows",
            curl=curl,
        )


def keys_of(items: Iterable[Any]) -> set[str]:
    return {k for k in (item_key(i) for i in items) if k is not None}
