import pytest

from conformance.checks import check_scoped, foreign_items, item_key, item_partners, keys_of
from conformance.errors import Finding


def test_items_with_partner_field() -> None:
    items = [{"id": "e1", "partner_id": "partner-id-acme"}, {"id": "e2", "partner_id": "partner-id-beta"}]
    assert foreign_items(items, "partner-id-acme") == ["item 1 (id:e2) belongs to partner-id-beta"]
    with pytest.raises(Finding, match=r"^\[TEN-04\]"):
        check_scoped(items, "partner-id-acme", where="GET /events/ page 2")


def test_items_without_partner_field_use_the_other_tenants_listing() -> None:
    mine = [{"id": "e1"}, {"id": "e9"}]
    theirs = keys_of([{"id": "e9"}, {"id": "e8"}])
    assert foreign_items(mine, "partner-id-acme", foreign_keys=theirs) == [
        "item 1 (id:e9) is in the other tenant's listing"
    ]
    check_scoped([{"id": "e1"}], "partner-id-acme", foreign_keys=theirs)


def test_keys_and_partners() -> None:
    assert item_key({"eid": "e1", "tc": "a", "tc_run_id": 2}) == "campaign:e1|a|2"
    assert item_key({"eid": "e1"}) == "eid:e1"
    assert item_key("x") is None
    assert item_partners({"partner": {"id": "p1"}, "partner_ids": ["p2"]}) == {"p1", "p2"}
