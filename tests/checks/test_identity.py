"""Scoped identity: two answers of live data are the same when they hold the same rows with the same
owners' ids, whatever their counters and timestamps say; another tenant's row always differs."""

from __future__ import annotations

from typing import Any

from conformance.checks import has_identity, identity_problems, same_identity, scoped_identity


def _page(*rows: dict[str, Any], total: int | None = None) -> dict[str, Any]:
    return {"total": total if total is not None else len(rows), "page": 1, "limit": 50, "pages": 1,
            "nextPage": None, "prevPage": None, "items": list(rows)}


def _event(eid: str, partner: str, *, sold: int, at: str) -> dict[str, Any]:
    return {"id": eid, "partner_id": partner, "name": "Gala", "tickets_sold": sold, "updated_at": at}


def test_live_fields_do_not_change_the_identity() -> None:
    first = _page(_event("e1", "partner-id-acme", sold=10, at="10:00:00.1"),
                  _event("e2", "partner-id-acme", sold=3, at="10:00:00.1"))
    second = _page(_event("e1", "partner-id-acme", sold=11, at="10:00:00.9"),
                   _event("e2", "partner-id-acme", sold=4, at="10:00:00.9"))
    assert first != second  # what a byte comparison would have flagged
    assert same_identity(first, second)
    assert identity_problems(first, second) == []


def test_row_order_is_not_identity() -> None:
    a = _event("e1", "partner-id-acme", sold=1, at="t")
    b = _event("e2", "partner-id-acme", sold=1, at="t")
    assert same_identity(_page(a, b), _page(b, a))


def test_another_tenants_row_is_a_difference_named_by_its_ids() -> None:
    mine = _page(_event("e1", "partner-id-acme", sold=1, at="t"))
    leaked = _page(_event("e1", "partner-id-acme", sold=2, at="u"),
                   _event("x9", "partner-id-beta", sold=0, at="u"))
    problems = identity_problems(mine, leaked, labels=("scoped", "implied"))
    assert problems, "a foreign row must differ"
    assert any("only in the implied answer" in p and "x9" in p and "partner-id-beta" in p for p in problems)


def test_a_row_relabelled_to_another_owner_differs() -> None:
    assert not same_identity({"id": 7, "partner_id": "partner-id-acme", "unread": 1},
                             {"id": 7, "partner_id": "partner-id-beta", "unread": 1})


def test_owners_swapped_between_rows_differ_although_the_ids_are_the_same() -> None:
    a = [{"eid": "e1", "partner_id": "p-a"}, {"eid": "e2", "partner_id": "p-b"}]
    b = [{"eid": "e1", "partner_id": "p-b"}, {"eid": "e2", "partner_id": "p-a"}]
    problems = identity_problems(a, b)
    assert problems
    assert not same_identity(a, b)


def test_nested_ids_count_where_they_are() -> None:
    run = {"tc_run_id": 3, "clusters": [{"tc": "Jazz & Soul", "reach_estimate": 100}]}
    later = {"tc_run_id": 3, "clusters": [{"tc": "Jazz & Soul", "reach_estimate": 140}]}
    other_run = {"tc_run_id": 4, "clusters": [{"tc": "Jazz & Soul", "reach_estimate": 100}]}
    assert same_identity(run, later)
    assert not same_identity(run, other_run)
    assert scoped_identity(run) == {"tc_run_id": 3, "clusters": [{"tc": "Jazz & Soul"}]}


def test_a_body_without_ids_is_compared_by_its_shape() -> None:
    limits = {"lower_limit": 100, "upper_limit": 900}
    assert not has_identity(limits)
    assert same_identity(limits, {"lower_limit": 120, "upper_limit": 880})
    problems = identity_problems(limits, {"lower_limit": 100})
    assert problems == ["fields differ: received lacks upper_limit"]


def test_an_empty_page_is_not_the_same_as_a_full_one() -> None:
    assert not same_identity(_page(_event("e1", "p", sold=1, at="t")), _page())
    assert not same_identity({"items": []}, {"items": [{"id": 1}]})


def test_non_json_bodies_have_no_identity() -> None:
    assert scoped_identity(None) == {}
    assert same_identity(None, None)
    assert not has_identity("text")
