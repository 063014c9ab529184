"""CONTRACT §2, objects: another partner's ids are not found, everywhere ids travel (OBJ-01..05)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from conformance.reference.stack import ReferenceStack
from tests.reference.support import Caller, assert_envelope, seg

FOREIGN, MISSING = "evt_beta_001", "evt_zzz_999"
KUNST = "Kunst & Kultur Fans München"
READS = [
    "",
    "/clusters",
    "/campaigns",
    "/series",
    "/statistics",
    "/tickets",
    "/attribution_model",
    "/default_campaigns_parameters",
    "/budget_min_max",
    "/suggested_tcs",
    "/campaigns_expected_value",
    "/benchmark",
    "/sales-graph",
    "/lookout_prediction",
    "/lookout_prediction_benchmark",
    "/client_campaign_status/task",
]


@pytest.fixture(scope="module")
def alice(reference_stack: ReferenceStack) -> Iterator[Caller]:
    caller = Caller(reference_stack, "primary")
    yield caller
    caller.close()


def _same_not_found(foreign: object, missing: object) -> None:
    assert foreign.status_code == missing.status_code == 404  # type: ignore[attr-defined]
    assert foreign.json() == missing.json()  # type: ignore[attr-defined]


@pytest.mark.parametrize("suffix", READS)
def test_foreign_eid_reads_are_404_like_missing_ones(alice: Caller, suffix: str) -> None:
    foreign = alice.main("GET", f"/events/{FOREIGN}{suffix}")
    missing = alice.main("GET", f"/events/{MISSING}{suffix}")
    _same_not_found(foreign, missing)
    assert_envelope(foreign, 404)


@pytest.mark.parametrize(
    "path",
    [
        "/setup_processes/{eid}",
        "/integrations/facebook/events/{eid}/campaign_results",
        "/integrations/facebook/events/{eid}/fb_insights",
    ],
)
def test_other_event_reads_are_404(alice: Caller, path: str) -> None:
    _same_not_found(alice.main("GET", path.format(eid=FOREIGN)), alice.main("GET", path.format(eid=MISSING)))


def test_cr_foreign_event_is_404_like_missing(alice: Caller) -> None:
    _same_not_found(alice.cr("GET", f"/events/{FOREIGN}"), alice.cr("GET", f"/events/{MISSING}"))


WRITES = [
    ("main", "PUT", "/events/{eid}/setup_frontend_status", {"frontend_status": "HIDDEN"}, {}),
    ("main", "PUT", "/events/{eid}/attribution_model", {"model": "META"}, {}),
    ("main", "PUT", "/events/{eid}/client_campaign_status", None, {"client_campaign_status": "PAUSED"}),
    (
        "main",
        "PUT",
        "/events/{eid}/campaign_optimisation_status",
        None,
        {"campaign_optimisation_status": "OFF"},
    ),
    ("main", "POST", "/setup_processes/{eid}", {}, {}),
    ("main", "PUT", "/setup_processes/{eid}", {"goal": "ROAS"}, {}),
    ("main", "DELETE", "/setup_processes/{eid}", None, {}),
    ("main", "POST", "/setup_processes/{eid}/boost", None, {}),
    (
        "cr",
        "PUT",
        "/events/{eid}",
        {"title": "Hijacked"},
        {"event_type": "fdlive", "partner_product": "fdlive", "itc_retry": "true"},
    ),
    ("cr", "PUT", "/events/last_updated_on_fe/{eid}", {"status": "CANCELLED"}, {}),
]


@pytest.fixture(scope="module")
def own_stack() -> Iterator[ReferenceStack]:
    """A private stack: a broken write must not leak into other modules' data."""
    with ReferenceStack() as stack:
        yield stack


@pytest.mark.parametrize("write", WRITES, ids=[f"{w[0]}-{w[1]}-{w[2]}" for w in WRITES])
def test_foreign_writes_are_404_and_change_nothing(own_stack: ReferenceStack, write: tuple[Any, ...]) -> None:
    host, method, path, body, params = write
    stack = own_stack
    alice, bob = Caller(stack, "primary"), Caller(stack, "other")
    try:
        before = (
            bob.main("GET", f"/events/{FOREIGN}").json(),
            bob.cr("GET", f"/events/{FOREIGN}").json(),
            bob.main("GET", f"/setup_processes/{FOREIGN}").json(),
            bob.main("GET", f"/events/{FOREIGN}/clusters").json(),
        )
        kwargs = {"params": params} | ({"json": body} if body is not None else {})
        foreign = alice.call(method, getattr(stack, f"{host}_base") + path.format(eid=FOREIGN), **kwargs)
        missing = alice.call(method, getattr(stack, f"{host}_base") + path.format(eid=MISSING), **kwargs)
        _same_not_found(foreign, missing)
        after = (
            bob.main("GET", f"/events/{FOREIGN}").json(),
            bob.cr("GET", f"/events/{FOREIGN}").json(),
            bob.main("GET", f"/setup_processes/{FOREIGN}").json(),
            bob.main("GET", f"/events/{FOREIGN}/clusters").json(),
        )
        assert json.dumps(after, sort_keys=True) == json.dumps(before, sort_keys=True)
    finally:
        alice.close()
        bob.close()


def test_body_and_query_eids_are_scoped(alice: Caller) -> None:
    edit = {"tc": "theatre_regulars", "tc_run_id": 11, "creative": {"headline": "mine now"}}
    _same_not_found(
        alice.main("POST", "/campaigns_setup", json={**edit, "eid": FOREIGN}),
        alice.main("POST", "/campaigns_setup", json={**edit, "eid": MISSING}),
    )
    sales = {
        "from": "2027-01-01",
        "to": "2027-01-02",
        "tickets": [{"type": "regular", "sold": 1, "revenue": 9.5}],
    }
    _same_not_found(
        alice.main("POST", "/ingest/transaction_summary", json={**sales, "eid": FOREIGN}),
        alice.main("POST", "/ingest/transaction_summary", json={**sales, "eid": MISSING}),
    )
    for path, name in (("/daily_revenue_summary/", "event_id"), ("/campaign_results/", "eid")):
        _same_not_found(
            alice.main("GET", path, params={name: FOREIGN}), alice.main("GET", path, params={name: MISSING})
        )
    files = {"file": ("sales.csv", b"date,tickets,revenue\n2027-01-01,1,10\n", "text/csv")}
    _same_not_found(
        alice.main("POST", "/ingest/transaction_summary/from_excel", params={"eid": FOREIGN}, files=files),
        alice.main("POST", "/ingest/transaction_summary/from_excel", params={"eid": MISSING}, files=files),
    )


def test_foreign_partner_id_segments_and_params_are_403(alice: Caller) -> None:
    assert_envelope(
        alice.main("GET", "/partners/partner-id-beta/backhaul_attribution_details"),
        403,
        "error.auth.not_authorized",
    )
    assert alice.main("GET", "/partners/partner-id-acme/backhaul_attribution_details").status_code == 200
    assert_envelope(alice.main("GET", "/campaign_results/", params={"partner_id": "partner-id-beta"}), 403)
    target = f"/campaigns/partner-id-beta/evt_acme_001/{seg(KUNST)}/41/target_audience"
    assert_envelope(
        alice.main("PUT", target, json={"geo": [], "demographics": {}}), 403, "error.auth.not_authorized"
    )


def test_parent_child_mismatch_is_404(alice: Caller) -> None:
    assert alice.main("GET", f"/campaigns/evt_acme_001/{seg(KUNST)}/41").status_code == 200
    mismatches = [
        ("evt_acme_002", KUNST, 41),  # tc and run of evt_acme_001 under evt_acme_002
        ("evt_acme_001", KUNST, 7),  # a run of another event
        ("evt_acme_001", "theatre_regulars", 41),
    ]  # a tc that is not in the run
    for eid, tc, run in mismatches:
        assert_envelope(alice.main("GET", f"/campaigns/{eid}/{seg(tc)}/{run}"), 404)
        assert_envelope(
            alice.main("PUT", f"/campaigns/{eid}/{seg(tc)}/{run}/ignore", json={"reason": "x"}), 404
        )
