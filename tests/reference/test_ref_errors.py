"""CONTRACT §1 and §5: error envelope, validation, pagination, host separation (ERR, PAG, SCH-03, HST-01)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import httpx
import pytest

from conformance.reference.stack import ReferenceStack
from tests.reference.support import Caller, assert_envelope

MESSAGE_RE = re.compile(r"^error\.[a-z0-9_]+(\.[a-z0-9_]+)+$")


@pytest.fixture(scope="module")
def alice(reference_stack: ReferenceStack) -> Iterator[Caller]:
    caller = Caller(reference_stack, "primary")
    yield caller
    caller.close()


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/nope", {}, 404),
        ("GET", "/events/evt_zzz_999", {}, 404),
        ("GET", "/events/", {"params": {"limit": 0}}, 400),
        ("DELETE", "/events/", {}, 405),
        (
            "POST",
            "/setup_processes/evt_acme_006",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            400,
        ),
        ("GET", "/events/", {"token": "garbage"}, 401),
        ("GET", "/events/", {"partner": "partner-id-beta"}, 403),
    ],
)
def test_errors_carry_the_envelope(
    alice: Caller, method: str, path: str, kwargs: dict[str, object], status: int
) -> None:
    answer = alice.main(method, path, **kwargs)
    body = assert_envelope(answer, status)
    assert MESSAGE_RE.match(body["message"])
    assert set(body) <= {"message", "error_code", "error_subcode", "validation_errors"}


def test_405_names_the_allowed_methods(alice: Caller) -> None:
    answer = alice.main("PATCH", "/setup_processes/evt_acme_001")
    assert_envelope(answer, 405, "error.route.method_not_allowed")
    assert set(answer.headers["allow"].split(", ")) == {"GET", "HEAD", "POST", "PUT", "DELETE"}


@pytest.mark.parametrize(
    "params",
    [
        {"page": 0},
        {"page": -1},
        {"page": "x"},
        {"limit": 0},
        {"limit": 1001},
        {"limit": "ten"},
        {"since": "yesterday"},
        {"frontend_status": "PINNED"},
        {"simulated": "maybe"},
    ],
)
def test_invalid_query_is_400_with_validation_errors(alice: Caller, params: dict[str, object]) -> None:
    body = assert_envelope(alice.main("GET", "/events/", params=params), 400)
    assert body["validation_errors"]


def test_invalid_path_ids_are_rejected_not_crashed(alice: Caller) -> None:
    for path in ("/events/evt__double", "/campaigns/evt_acme_001/x/notanint", "/events/%00"):
        answer = alice.main("GET", path)
        assert 400 <= answer.status_code < 500
        assert_envelope(answer, answer.status_code)


def test_bracket_arrays_are_400_and_repeated_arrays_work(alice: Caller) -> None:
    assert_envelope(alice.main("GET", "/events/?city[]=Berlin"), 400, "error.request.bracket_array")
    both = alice.main("GET", "/events/", params=[("city", "Berlin"), ("city", "Hamburg"), ("limit", 1000)])
    assert both.status_code == 200
    cities = {e["city"] for e in both.json()["items"]}
    assert cities == {"Berlin", "Hamburg"}


@pytest.mark.parametrize("limit", [1, 7, 50, 1000])
def test_pages_are_self_consistent(alice: Caller, limit: int) -> None:
    first = alice.main("GET", "/events/", params={"limit": limit}).json()
    total, pages = first["total"], first["pages"]
    assert pages == math.ceil(total / limit)
    seen = []
    for page in range(1, pages + 2):
        body = alice.main("GET", "/events/", params={"limit": limit, "page": page}).json()
        assert (body["total"], body["limit"], body["page"], body["pages"]) == (total, limit, page, pages)
        assert len(body["items"]) == max(0, min(limit, total - (page - 1) * limit))
        assert body["nextPage"] == (page + 1 if page < pages else None)
        assert body["prevPage"] == (page - 1 if page > 1 else None)
        seen += [e["id"] for e in body["items"]]
    assert len(seen) == len(set(seen)) == total


def test_default_limit_is_50_and_acme_needs_two_pages(alice: Caller) -> None:
    body = alice.main("GET", "/events/").json()
    assert body["limit"] == 50
    assert body["pages"] >= 2


@pytest.mark.parametrize(
    ("host", "method", "path", "status"),
    [
        ("main", "PUT", "/events/last_updated_on_fe/evt_acme_001", 404),  # CR-only route
        ("main", "POST", "/events/bulk_upload", 405),  # /events/{eid} exists on main (GET)
        ("main", "PUT", "/events/evt_acme_001", 405),  # the path exists on main for GET
        ("cr", "GET", "/events/evt_acme_001/clusters", 404),  # main-only routes
        ("cr", "GET", "/partners/", 404),
        ("cr", "GET", "/v3/events/evt_acme_001", 404),  # no /v3 on CR
        ("main", "POST", "/media", 404),  # /media is only unversioned
    ],
)
def test_host_separation(alice: Caller, host: str, method: str, path: str, status: int) -> None:
    answer = getattr(alice, host)(method, path, json={"status": "RUNNING"} if method == "PUT" else None)
    assert_envelope(answer, status)


def test_media_lives_on_the_unversioned_base(reference_stack: ReferenceStack, alice: Caller) -> None:
    files = {"file": ("creative.jpg", b"\xff\xd8\xff\xe0fake-jpeg", "image/jpeg")}
    answer = alice.media("POST", "/media", files=files)
    assert answer.status_code in (200, 201)
    body = answer.json()
    assert body["type"] == "image"
    assert body["filename"] == "creative.jpg"
    assert body["url"].startswith("https://")
    assert_envelope(alice.media("GET", "/events/"), 404)  # nothing else is unversioned
    assert httpx.post(reference_stack.media_base + "/media", files=files, trust_env=False).status_code == 401


def test_no_retry_after_on_errors(alice: Caller) -> None:
    assert "retry-after" not in alice.main("GET", "/nope").headers
