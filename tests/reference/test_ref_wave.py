"""CONTRACT §4: the setup-process state table, row by row, plus boost validation (WAV-01, WAV-02, CID-02)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.reference.support import Caller, assert_envelope, private_caller

EID = "evt_acme_004"  # starts without a setup process; run 5 holds the "music" clusters


@pytest.fixture(scope="module")
def alice() -> Iterator[Caller]:
    yield from private_caller("primary")


def _setup(alice: Caller, eid: str = EID, **changes: Any) -> dict[str, Any]:
    clusters = alice.main("GET", f"/events/{eid}/clusters").json()
    run, tcs = clusters["tc_run_id"], [c["tc"] for c in clusters["clusters"]][:2]
    limits = alice.main("GET", f"/events/{eid}/budget_min_max", params={"runtime_in_days": 29}).json()
    defaults = alice.main("GET", f"/events/{eid}/default_campaigns_parameters").json()
    body = {
        "goal": "UTILIZATION",
        "total_budget": (limits["lower_limit"] + limits["upper_limit"]) / 2,
        "start_date": defaults["start_date"],
        "end_date": defaults["end_date"],
        "creatives": [
            {
                "tc": tc,
                "tc_run_id": run,
                "headline": f"Hi {tc}",
                "body": "b",
                "media_url": "https://media.future-demand.com/x.jpg",
                "cta": "GET_TICKETS",
            }
            for tc in tcs
        ],
        "targeting": [
            {"tc": tc, "tc_run_id": run, "geo": [], "demographics": {}, "saved_audience_id": None}
            for tc in tcs
        ],
        "integration_details": [
            {"tc": tc, "tc_run_id": run, "ad_account_id": "act_1", "page_id": "p", "pixel_id": "px"}
            for tc in tcs
        ],
    }
    body.update(changes)
    return body


def _edit(alice: Caller, campaign: dict[str, Any]) -> Any:
    return alice.main(
        "POST",
        "/campaigns_setup",
        json={
            "eid": campaign["eid"],
            "tc": campaign["tc"],
            "tc_run_id": campaign["tc_run_id"],
            "creative": {"headline": "Edited"},
        },
    )


def test_state_table_before_a_draft(alice: Caller) -> None:
    assert_envelope(alice.main("GET", f"/setup_processes/{EID}"), 404, "error.setup_process.not_found")
    assert_envelope(alice.main("PUT", f"/setup_processes/{EID}", json=_setup(alice)), 404)
    assert_envelope(alice.main("DELETE", f"/setup_processes/{EID}"), 404)
    assert_envelope(alice.main("POST", f"/setup_processes/{EID}/boost"), 404)
    assert_envelope(
        alice.main("POST", "/campaigns_setup", json={"eid": EID, "tc": "indie_pop_lovers", "tc_run_id": 5}),
        404,
    )


def test_state_table_draft(alice: Caller) -> None:
    created = alice.main("POST", f"/setup_processes/{EID}")  # the body is optional
    assert created.status_code in (200, 201)
    defaults = alice.main("GET", f"/events/{EID}/default_campaigns_parameters").json()
    draft = alice.main("GET", f"/setup_processes/{EID}").json()
    assert draft["published"] is False
    assert draft["goal"] == defaults["goal"]
    assert draft["total_budget"] == defaults["total_budget"]
    assert_envelope(alice.main("POST", f"/setup_processes/{EID}"), 409)
    assert_envelope(
        alice.main("POST", "/campaigns_setup", json={"eid": EID, "tc": "indie_pop_lovers", "tc_run_id": 5}),
        404,
    )
    # PUT is a full replace: fields the body omits go back to their defaults
    full = alice.main(
        "PUT", f"/setup_processes/{EID}", json=_setup(alice, goal="ROAS", conversion_id="conv_1")
    )
    assert full.status_code == 200
    assert full.json()["conversion_id"] == "conv_1"
    partial = alice.main("PUT", f"/setup_processes/{EID}", json={"goal": "VISIBILITY"})
    assert partial.status_code == 200
    assert partial.json()["conversion_id"] is None
    assert partial.json()["creatives"] == []
    deleted = alice.main("DELETE", f"/setup_processes/{EID}", params={"cancel": "true"})
    assert deleted.status_code == 200
    assert_envelope(alice.main("GET", f"/setup_processes/{EID}"), 404)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"creatives": []}, "required"),
        ({"total_budget": 1}, "budget_range"),
        ({"total_budget": 10**9}, "budget_range"),
        ({"end_date": "2020-01-01"}, "range"),
    ],
)
def test_invalid_setups_are_refused_by_boost(alice: Caller, change: dict[str, Any], code: str) -> None:
    assert alice.main("POST", f"/setup_processes/{EID}", json=_setup(alice, **change)).status_code in (
        200,
        201,
    )
    try:
        body = assert_envelope(
            alice.main("POST", f"/setup_processes/{EID}/boost"), 400, "error.campaign.setup_invalid"
        )
        assert code in {e["code"] for e in body["validation_errors"]}
        assert alice.main("GET", f"/events/{EID}/campaigns").json()["total"] == 0
    finally:
        alice.main("DELETE", f"/setup_processes/{EID}")


def test_boost_refuses_unknown_clusters_and_mixed_runs(alice: Caller) -> None:
    good = _setup(alice)
    unknown = [{**good["creatives"][0], "tc": "no_such_cluster"}]
    two_runs = [good["creatives"][0], {**good["creatives"][1], "tc_run_id": 42}]
    for creatives, code in ((unknown, "unknown_cluster"), (two_runs, "single_run")):
        alice.main("POST", f"/setup_processes/{EID}", json={**good, "creatives": creatives})
        body = assert_envelope(alice.main("POST", f"/setup_processes/{EID}/boost"), 400)
        assert code in {e["code"] for e in body["validation_errors"]}
        alice.main("DELETE", f"/setup_processes/{EID}")


def test_state_table_published(alice: Caller) -> None:
    body = _setup(alice)
    assert alice.main("POST", f"/setup_processes/{EID}", json=body).status_code in (200, 201)
    boosted = alice.main("POST", f"/setup_processes/{EID}/boost")
    assert boosted.status_code == 200
    campaigns = alice.main("GET", f"/events/{EID}/campaigns").json()["items"]
    assert sorted((c["tc"], c["tc_run_id"]) for c in campaigns) == sorted(
        (c["tc"], c["tc_run_id"]) for c in body["creatives"]
    )
    assert alice.main("GET", f"/setup_processes/{EID}").json()["published"] is True
    for method in ("POST", "PUT", "DELETE"):
        assert_envelope(
            alice.main(method, f"/setup_processes/{EID}", json=body if method != "DELETE" else None), 409
        )
    assert_envelope(alice.main("POST", f"/setup_processes/{EID}/boost"), 409)
    edited = _edit(alice, campaigns[0])
    assert edited.status_code == 200
    assert edited.json()["creative"]["headline"] == "Edited"
    after = alice.main("GET", f"/events/{EID}/campaigns").json()["items"]
    assert len(after) == len(campaigns)  # edited in place: still one campaign per triple
    assert len({(c["eid"], c["tc"], c["tc_run_id"]) for c in after}) == len(after)
    assert_envelope(
        alice.main(
            "POST", "/campaigns_setup", json={"eid": EID, "tc": "family_outings_munich", "tc_run_id": 5}
        ),
        404,
    )


def test_setup_bodies_are_validated(alice: Caller) -> None:
    for bad in (
        {"goal": "tickets"},
        {"total_budget": "lots"},
        {"creatives": [{"tc": "x"}]},
        {"start_date": "tomorrow"},
    ):
        body = assert_envelope(alice.main("POST", "/setup_processes/evt_acme_006", json=bad), 400)
        assert body["validation_errors"]
    assert_envelope(alice.main("GET", "/setup_processes/evt_acme_006"), 404)
