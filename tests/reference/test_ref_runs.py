"""CONTRACT §3: runs, URL-encoded tc paths, refresh, no migration, cid (RUN-01..03, CID-01, CID-03)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.reference.support import Caller, private_caller, seg

KUNST = "Kunst & Kultur Fans München"
SAFE = r"^[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*$"


@pytest.fixture(scope="module")
def alice() -> Iterator[Caller]:
    yield from private_caller("primary")


def test_clusters_carry_an_integer_run_and_unique_tcs(alice: Caller) -> None:
    for eid in ("evt_acme_001", "evt_acme_002", "evt_acme_050"):
        body = alice.main("GET", f"/events/{eid}/clusters").json()
        assert isinstance(body["tc_run_id"], int)
        assert not isinstance(body["tc_run_id"], bool)
        tcs = [c["tc"] for c in body["clusters"]]
        assert tcs
        assert len(tcs) == len(set(tcs))
        assert all(0 <= c["metric_pred"] <= 5 for c in body["clusters"])


def test_url_encoded_tc_paths_resolve(alice: Caller) -> None:
    encoded = seg(KUNST)
    assert "%20" in encoded
    assert "%26" in encoded
    assert "%C3%BC" in encoded
    answer = alice.main("GET", f"/campaigns/evt_acme_001/{encoded}/41")
    assert answer.status_code == 200
    assert answer.json()["tc"] == KUNST


def _campaigns(alice: Caller, eid: str) -> list[dict[str, Any]]:
    return list(alice.main("GET", f"/events/{eid}/campaigns").json()["items"])


def test_cid_round_trips_and_ids_are_cid_safe(alice: Caller) -> None:
    import re

    for campaign in _campaigns(alice, "evt_acme_001"):
        assert isinstance(campaign["tc_run_id"], int)
        assert campaign["eid"] == "evt_acme_001"
        assert campaign["cid"] == f"{campaign['tc_run_id']}__{campaign['eid']}__{campaign['tc']}"
        run, eid, tc = campaign["cid"].split("__")
        assert (int(run), eid, tc) == (campaign["tc_run_id"], campaign["eid"], campaign["tc"])
        assert re.match(SAFE, campaign["audience_id"])
    for event in alice.main("GET", "/events/", params={"limit": 1000}).json()["items"]:
        assert re.match(SAFE, event["id"])


def _refresh(alice: Caller, eid: str) -> Any:
    raw = alice.cr("GET", f"/events/{eid}").json()
    return alice.cr(
        "PUT",
        f"/events/{eid}",
        json={**raw, "description": "new lineup"},
        params={"event_type": "fdlive", "partner_product": "fdlive", "itc_retry": "true"},
    )


def test_refresh_creates_a_larger_run_and_nothing_migrates(alice: Caller) -> None:
    before = alice.main("GET", "/events/evt_acme_001/clusters").json()
    campaigns_before = _campaigns(alice, "evt_acme_001")
    draft_before = alice.main("GET", "/setup_processes/evt_acme_002").json()
    for eid in ("evt_acme_001", "evt_acme_002"):
        assert _refresh(alice, eid).status_code == 200
    after = alice.main("GET", "/events/evt_acme_001/clusters").json()
    assert after["tc_run_id"] > before["tc_run_id"]
    assert {c["tc"] for c in after["clusters"]} == {c["tc"] for c in before["clusters"]}
    campaigns_after = _campaigns(alice, "evt_acme_001")
    assert [(c["tc"], c["tc_run_id"]) for c in campaigns_after] == [
        (c["tc"], c["tc_run_id"]) for c in campaigns_before
    ]
    assert all(c["tc_run_id"] < after["tc_run_id"] for c in campaigns_after)  # staleness is observable
    assert alice.main("GET", "/setup_processes/evt_acme_002").json() == draft_before
    old = alice.main("GET", "/events/evt_acme_001/clusters", params={"tc_run_id": before["tc_run_id"]})
    assert (old.json()["tc_run_id"], old.json()["clusters"]) == (before["tc_run_id"], before["clusters"])


def test_refresh_without_itc_retry_keeps_the_run(alice: Caller) -> None:
    before = alice.main("GET", "/events/evt_acme_003/clusters").json()["tc_run_id"]
    raw = alice.cr("GET", "/events/evt_acme_003").json()
    saved = alice.cr(
        "PUT",
        "/events/evt_acme_003",
        json={**raw, "capacity": 2200},
        params={"event_type": "fdlive", "partner_product": "fdlive"},
    )
    assert saved.status_code == 200
    assert saved.json()["capacity"] == 2200
    assert alice.main("GET", "/events/evt_acme_003/clusters").json()["tc_run_id"] == before


def test_cr_save_checks_the_partner_product(alice: Caller) -> None:
    raw = alice.cr("GET", "/events/evt_acme_003").json()
    answer = alice.cr(
        "PUT",
        "/events/evt_acme_003",
        json=raw,
        params={"event_type": "fdlive", "partner_product": "not_a_product"},
    )
    assert answer.status_code == 422
    assert answer.json()["message"] == "error.event.partner_product_mismatch"
