"""Schema-valid requests are accepted and the contract's payload decisions hold (specs/README.md,
Decisions 32-37): the campaign read, new_runtime_budget's query, completing a multipart upload,
multipart file parts, CR save/simulation payloads and the semantic 422."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.reference.stack import ReferenceStack
from tests.reference.support import Caller, assert_envelope, private_caller, seg

KUNST = "Kunst & Kultur Fans München"


@pytest.fixture(scope="module")
def alice() -> Iterator[Caller]:
    yield from private_caller("primary")


def test_one_campaign_is_read_by_its_triple_and_mismatches_are_404(alice: Caller) -> None:
    ok = alice.main("GET", f"/campaigns/evt_acme_001/{seg(KUNST)}/41")
    assert ok.status_code == 200
    assert (ok.json()["eid"], ok.json()["tc"], ok.json()["tc_run_id"]) == ("evt_acme_001", KUNST, 41)
    # the tc and run of evt_acme_001 under another of acme's events: parent/child mismatch
    assert_envelope(alice.main("GET", f"/campaigns/evt_acme_002/{seg(KUNST)}/41"), 404)
    # another partner's event, and one that never existed: the same 404
    foreign = alice.main("GET", "/campaigns/evt_beta_001/theatre_regulars/11")
    never = alice.main("GET", "/campaigns/evt_zzzz_999/theatre_regulars/11")
    assert (foreign.status_code, foreign.json()) == (never.status_code, never.json()) == (404, never.json())


def test_new_runtime_budget_names_its_event(alice: Caller) -> None:
    assert_envelope(alice.main("POST", "/campaigns/new_runtime_budget"), 400)  # eid is required
    assert_envelope(alice.main("POST", "/campaigns/new_runtime_budget", params={"eid": "evt_beta_001"}), 404)
    bad = alice.main("POST", "/campaigns/new_runtime_budget", params={"eid": "evt_acme_001", "end_date": "x"})
    assert_envelope(bad, 400)


def test_completing_a_multipart_upload_needs_an_issued_upload_id(alice: Caller) -> None:
    started = alice.main("POST", "/storage/multipart-upload", json={"filename": "big.csv", "parts": 2})
    assert started.status_code == 200
    upload_id = started.json()["upload_id"]
    assert_envelope(alice.main("PUT", "/storage/multipart-upload", json={}), 400)  # upload_id required
    assert_envelope(alice.main("PUT", "/storage/multipart-upload", json={"upload_id": "neverissued1"}), 404)
    done = alice.main("PUT", "/storage/multipart-upload", json={"upload_id": upload_id, "parts": []})
    assert done.status_code == 200
    assert done.json()["completed"] is True
    # completed once: the id is gone, like one never issued
    assert_envelope(alice.main("PUT", "/storage/multipart-upload", json={"upload_id": upload_id}), 404)


def test_another_partners_upload_is_not_found() -> None:
    with ReferenceStack() as stack:
        alice, bob = Caller(stack, "primary"), Caller(stack, "other")
        upload_id = alice.main("POST", "/storage/multipart-upload", json={}).json()["upload_id"]
        assert_envelope(bob.main("PUT", "/storage/multipart-upload", json={"upload_id": upload_id}), 404)
        alice.close()
        bob.close()


def test_file_parts_are_files_of_any_bytes(alice: Caller) -> None:
    upload = alice.media(
        "POST", "/media", files={"file": ("blob", b"\x00\x01 any bytes", "application/octet-stream")}
    )
    assert upload.status_code in (200, 201)
    assert set(upload.json()) >= {"type", "url", "filename"}
    as_field = alice.media("POST", "/media", data={"file": "12"}, files={"other": ("x", b"y")})
    assert_envelope(as_field, 400)  # a form field is not a file part


def test_cr_save_accepts_nulls_and_ignores_undeclared_fields(alice: Caller) -> None:
    answer = alice.cr(
        "PUT",
        "/events/evt_acme_003",
        json={"description": None, "capacity": None, "city": None, "venue_name": 5, "lineups_raw": []},
        params={"event_type": "fdlive", "partner_product": "fdlive"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert "capacity" not in body or body["capacity"] is None


@pytest.mark.parametrize("body", [{"name": ""}, {"title": "   "}, {"lineups_raw": "Die Band"}])
def test_cr_save_rejects_blank_titles_and_non_list_lineups(alice: Caller, body: dict[str, object]) -> None:
    params = {"event_type": "fdlive", "partner_product": "fdlive"}
    assert_envelope(alice.cr("PUT", "/events/evt_acme_003", json=body, params=params), 400)


def test_simulation_accepts_integral_floats_and_exact_times(alice: Caller) -> None:
    created = alice.cr(
        "POST", "/events/", json={"capacity": 0.0, "time": "20:30"}, params={"event_type": "fdlive"}
    )
    assert created.status_code in (200, 201), created.text
    assert created.json()["capacity"] == 0
    late = alice.cr("POST", "/events/", json={"time": "20:30\n"}, params={"event_type": "fdlive"})
    assert_envelope(late, 400)


@pytest.mark.parametrize(("description", "status"), [(" ", 400), ("\u00a0\t", 400), (" concert fans ", 200)])
def test_nlq_descriptions_must_not_be_blank(alice: Caller, description: str, status: int) -> None:
    answer = alice.main("GET", "/nlq/ids_from_nl_description", params={"description": description})
    assert answer.status_code == status, answer.text
