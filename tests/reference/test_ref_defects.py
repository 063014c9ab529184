"""Every defect produces the violation it claims, and the same probe finds nothing on a clean stack."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.reference.stack import ReferenceStack
from tests.reference.support import OMIT, Caller, seg

KUNST = "Kunst & Kultur Fans München"
Probe = Callable[[ReferenceStack], bool]  # True: the violation was observed
PROBES: dict[str, Probe] = {}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "defects.md"


def probe(name: str) -> Callable[[Probe], Probe]:
    def register(fn: Probe) -> Probe:
        PROBES[name] = fn
        return fn

    return register


_OPEN: list[Caller] = []


def _as(stack: ReferenceStack, persona: str, partner: str | None = None) -> Caller:
    caller = Caller(stack, persona, partner)
    _OPEN.append(caller)
    return caller


@pytest.fixture(autouse=True)
def _close_callers() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def _owners(stack: ReferenceStack) -> dict[str, str]:
    return {e["id"]: e["partner"] for e in stack.dataset.events}


def _refresh(caller: Caller, eid: str) -> None:
    raw = caller.cr("GET", f"/events/{eid}").json()
    saved = caller.cr(
        "PUT",
        f"/events/{eid}",
        json=raw,
        params={"event_type": "fdlive", "partner_product": "fdlive", "itc_retry": "true"},
    )
    assert saved.status_code == 200, saved.text


@probe("auth-accept-expired")
def _(stack: ReferenceStack) -> bool:
    return (
        _as(stack, "primary")
        .main("GET", "/events/", token=stack.personas["primary"]["expired_token"])
        .status_code
        != 401
    )


@probe("auth-refresh-rotates")
def _(stack: ReferenceStack) -> bool:
    sent = _as(stack, "primary").tokens["RefreshToken"]
    body = httpx.post(stack.main_base + "/auth/refresh_token", json={"token": sent}, trust_env=False).json()
    return body.get("RefreshToken", sent) != sent


@probe("ten-multi-default-partner")
def _(stack: ReferenceStack) -> bool:
    return _as(stack, "multi").main("GET", "/events/", partner=OMIT).status_code != 400


@probe("ten-implied-default-tenant")
def _(stack: ReferenceStack) -> bool:
    items = _as(stack, "primary").main("GET", "/events/", partner=OMIT).json()["items"]
    return any(_owners(stack)[e["id"]] != "partner-id-acme" for e in items)


@probe("ten-foreign-header-accepted")
def _(stack: ReferenceStack) -> bool:
    return _as(stack, "primary").main("GET", "/events/", partner="partner-id-beta").status_code != 403


@probe("ten-no-partner-default-tenant")
def _(stack: ReferenceStack) -> bool:
    return _as(stack, "nopartner").main("GET", "/events/", partner=OMIT).status_code != 403


@probe("ten-list-leak-page2")
def _(stack: ReferenceStack) -> bool:
    caller, owners, page, leaked = _as(stack, "primary"), _owners(stack), 1, False
    while page:
        body = caller.main("GET", "/events/", params={"page": page}).json()
        leaked |= any(owners[e["id"]] != "partner-id-acme" for e in body["items"])
        page = body["nextPage"]
    return leaked


@probe("ten-partners-wrong-record")
def _(stack: ReferenceStack) -> bool:
    return _as(stack, "multi", "partner-id-beta").main("GET", "/partners/").json()["id"] != "partner-id-beta"


@probe("run-encoded-tc-unresolved")
def _(stack: ReferenceStack) -> bool:
    return _as(stack, "primary").main("GET", f"/campaigns/evt_acme_001/{seg(KUNST)}/41").status_code != 200


@probe("obj-foreign-eid-readable")
def _(stack: ReferenceStack) -> bool:
    return _as(stack, "primary").main("GET", "/events/evt_beta_001/clusters").status_code != 404


@probe("obj-foreign-write")
def _(stack: ReferenceStack) -> bool:
    answer = _as(stack, "primary").main(
        "PUT", "/events/evt_beta_002/attribution_model", json={"model": "EXTERNAL"}
    )
    model = _as(stack, "other").main("GET", "/events/evt_beta_002/attribution_model").json()["model"]
    return answer.status_code != 404 or model == "EXTERNAL"


@probe("obj-body-eid-unscoped")
def _(stack: ReferenceStack) -> bool:
    return (
        _as(stack, "primary")
        .main("GET", "/daily_revenue_summary/", params={"event_id": "evt_beta_001"})
        .status_code
        != 404
    )


@probe("obj-foreign-404-oracle")
def _(stack: ReferenceStack) -> bool:
    caller = _as(stack, "primary")
    foreign, missing = caller.main("GET", "/events/evt_beta_001"), caller.main("GET", "/events/evt_zzz_999")
    return (foreign.status_code, foreign.json()) != (missing.status_code, missing.json())


@probe("obj-parent-child-ignored")
def _(stack: ReferenceStack) -> bool:
    return _as(stack, "primary").main("GET", f"/campaigns/evt_acme_002/{seg(KUNST)}/41").status_code != 404


@probe("run-refresh-same-id")
def _(stack: ReferenceStack) -> bool:
    caller = _as(stack, "primary")
    before = caller.main("GET", "/events/evt_acme_005/clusters").json()["tc_run_id"]
    _refresh(caller, "evt_acme_005")
    return bool(caller.main("GET", "/events/evt_acme_005/clusters").json()["tc_run_id"] <= before)


@probe("run-migrate-campaigns")
def _(stack: ReferenceStack) -> bool:
    caller = _as(stack, "primary")
    before = [c["tc_run_id"] for c in caller.main("GET", "/events/evt_acme_001/campaigns").json()["items"]]
    _refresh(caller, "evt_acme_001")
    return [
        c["tc_run_id"] for c in caller.main("GET", "/events/evt_acme_001/campaigns").json()["items"]
    ] != before


def _campaigns(stack: ReferenceStack) -> list[dict[str, Any]]:
    return list(_as(stack, "primary").main("GET", "/events/evt_acme_001/campaigns").json()["items"])


@probe("cid-foreign-event-campaigns")
def _(stack: ReferenceStack) -> bool:
    caller = _as(stack, "primary")
    event = caller.main("GET", "/events/evt_acme_003").json()
    allowed = {event["id"], *event["campaign_event_series"]}
    listed = caller.main("GET", "/events/evt_acme_003/campaigns").json()["items"]
    beta = _as(stack, "other").main("GET", "/events/evt_beta_002/campaigns").json()["items"]
    return any(c["eid"] not in allowed for c in listed) or any(c["eid"] != "evt_beta_002" for c in beta)


@probe("cid-duplicate-on-reboost")
def _(stack: ReferenceStack) -> bool:
    answer = _as(stack, "primary").main("POST", "/setup_processes/evt_acme_001/boost")  # published: 409
    assert answer.status_code == 409, answer.text
    triples = [(c["eid"], c["tc"], c["tc_run_id"]) for c in _campaigns(stack)]
    return len(triples) != len(set(triples))


@probe("cid-composite-mismatch")
def _(stack: ReferenceStack) -> bool:
    return any(c["cid"] != f"{c['tc_run_id']}__{c['eid']}__{c['tc']}" for c in _campaigns(stack))


@probe("wav-put-after-publish")
def _(stack: ReferenceStack) -> bool:
    return (
        _as(stack, "primary").main("PUT", "/setup_processes/evt_acme_001", json={"goal": "ROAS"}).status_code
        != 409
    )


@probe("wav-boost-extra-campaign")
def _(stack: ReferenceStack) -> bool:
    caller = _as(stack, "primary")
    defaults = caller.main("GET", "/events/evt_acme_004/default_campaigns_parameters").json()
    creative = {"tc": defaults["clusters"][0], "tc_run_id": defaults["tc_run_id"], "headline": "h"}
    assert (
        caller.main("POST", "/setup_processes/evt_acme_004", json={"creatives": [creative]}).status_code
        == 201
    )
    assert caller.main("POST", "/setup_processes/evt_acme_004/boost").status_code == 200
    return bool(caller.main("GET", "/events/evt_acme_004/campaigns").json()["total"] != 1)


@probe("hst-cr-route-on-main")
def _(stack: ReferenceStack) -> bool:
    return (
        _as(stack, "primary")
        .main("PUT", "/events/last_updated_on_fe/evt_acme_001", json={"status": "RUNNING"})
        .status_code
        != 404
    )


@probe("hst-media-under-v3")
def _(stack: ReferenceStack) -> bool:
    files = {"file": ("a.png", b"\x89PNG....", "image/png")}
    return _as(stack, "primary").main("POST", "/media", files=files).status_code != 404


@probe("hst-cr-foreign-header")
def _(stack: ReferenceStack) -> bool:
    return (
        _as(stack, "primary").cr("GET", "/events/evt_beta_001", partner="partner-id-beta").status_code != 403
    )


@probe("err-plain-text-404")
def _(stack: ReferenceStack) -> bool:
    return (
        not _as(stack, "primary").main("GET", "/nope").headers["content-type"].startswith("application/json")
    )


@probe("err-validation-bare")
def _(stack: ReferenceStack) -> bool:
    answer = _as(stack, "primary").main("GET", "/events/", params={"limit": 0})
    return answer.status_code == 400 and "error_code" not in answer.json()


@probe("pag-pages-floor")
def _(stack: ReferenceStack) -> bool:
    body = _as(stack, "primary").main("GET", "/events/").json()
    return bool(body["pages"] != math.ceil(body["total"] / body["limit"]))


@probe("pag-bracket-accepted")
def _(stack: ReferenceStack) -> bool:
    return _as(stack, "primary").main("GET", "/events/?city[]=Berlin").status_code != 400


@probe("sch-500-on-non-ascii-query")
def _(stack: ReferenceStack) -> bool:
    return _as(stack, "primary").main("GET", "/events/", params={"q": "München"}).status_code >= 500


@probe("sch-500-on-long-query")
def _(stack: ReferenceStack) -> bool:
    caller = _as(stack, "primary")
    short = caller.main("GET", "/events/", params={"q": "x" * 1024}).status_code
    return short < 500 and caller.main("GET", "/events/", params={"q": "x" * 1025}).status_code >= 500


@probe("sch-statistics-types")
def _(stack: ReferenceStack) -> bool:
    body = _as(stack, "primary").main("GET", "/events/statistics").json()
    return any(not isinstance(body[k], int) for k in ("total", "open", "running", "closed"))


@probe("sch-accept-invalid-query")
def _(stack: ReferenceStack) -> bool:
    answer = _as(stack, "primary").main("GET", "/events/", params={"frontend_status": "PINNED"})
    return answer.status_code < 300


@pytest.fixture(scope="module")
def clean_stack() -> Iterator[ReferenceStack]:
    """A private clean stack: the negative control for every probe (probes may write)."""
    with ReferenceStack() as stack:
        yield stack


@pytest.mark.parametrize("name", sorted(ReferenceStack.available_defects()))
def test_defect_produces_its_violation(name: str, clean_stack: ReferenceStack) -> None:
    assert name in PROBES, f"defect {name} has no probe in this test module"
    assert not PROBES[name](clean_stack), f"the probe for {name} already fires on the clean stack"
    with ReferenceStack(defects=[name]) as stack:
        assert PROBES[name](stack), f"defect {name} did not produce its violation"


def test_registry_covers_every_family_and_at_least_15() -> None:
    table = ReferenceStack.available_defects()
    assert len(table) >= 15
    families = {rule.split("-")[0] for rule, _ in table.values()}
    assert families >= {"AUTH", "TEN", "OBJ", "RUN", "CID", "WAV", "HST", "ERR", "PAG", "SCH"}
    catalogue = set(
        re.findall(r"- id: ([A-Z]+-\d\d)", (DOCS.parents[1] / "specs" / "rules.yaml").read_text())
    )
    assert {rule for rule, _ in table.values()} <= catalogue


def test_docs_table_matches_the_registry() -> None:
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| ([A-Z]+-\d\d) \|", DOCS.read_text(encoding="utf-8"), re.M)
    assert dict(rows) == {name: rule for name, (rule, _) in ReferenceStack.available_defects().items()}


def test_defects_on_one_hook_point_compose() -> None:
    with ReferenceStack(defects=["hst-cr-route-on-main", "hst-media-under-v3"]) as stack:
        assert PROBES["hst-cr-route-on-main"](stack)
        assert PROBES["hst-media-under-v3"](stack)
