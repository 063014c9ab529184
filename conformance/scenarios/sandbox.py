"""Write-mode helpers on the sandbox event: setup payloads from the event's own clusters, and refreshes.

Payloads are built from what the target says (clusters, default campaign parameters, budget limits),
so a setup is valid for the sandbox event of any target. A refresh is the CR event save with
``itc_retry=true`` (CONTRACT §3); it may be asynchronous, so clusters are polled with a bound.
"""

from __future__ import annotations

import time
import urllib.parse
from typing import Any

from conformance.client import Api
from conformance.errors import Finding
from conformance.scenarios.discovery import body_of
from conformance.spec import example_body, load


def q(value: Any) -> str:
    return urllib.parse.quote(str(value), safe="")


def clusters_of(api: Api, eid: str, rule: str) -> tuple[int, list[str]]:
    body = body_of(api.get(f"/events/{q(eid)}/clusters"))
    if not isinstance(body, dict) or not isinstance(body.get("tc_run_id"), int):
        raise Finding(
            rule, f"GET /events/{eid}/clusters gave no integer tc_run_id", received=repr(body)[:200]
        )
    tcs = [
        c["tc"] for c in body.get("clusters") or [] if isinstance(c, dict) and isinstance(c.get("tc"), str)
    ]
    return int(body["tc_run_id"]), tcs


def _setup_op_body() -> dict[str, Any]:
    for op in load("main"):
        if op.method == "POST" and op.path == "/setup_processes/{eid}":
            body = example_body(op)
            return dict(body) if isinstance(body, dict) else {}
    return {}


def setup_body(
    api: Api, eid: str, tcs: list[str], run: int, *, budget: float | None = None
) -> dict[str, Any]:
    """A full setup for ``eid`` with one creative/targeting/integration entry per ``tc`` of ``run``."""
    body = _setup_op_body()
    defaults = body_of(api.get(f"/events/{q(eid)}/default_campaigns_parameters"))
    if isinstance(defaults, dict):
        body.update(
            {
                k: v
                for k, v in defaults.items()
                if k in body and v is not None and k not in ("creatives", "targeting", "integration_details")
            }
        )
    template = {k: (body.get(k) or [{}])[0] for k in ("creatives", "targeting", "integration_details")}
    for key, first in template.items():
        body[key] = [{**first, "tc": tc, "tc_run_id": run} for tc in tcs]
    if budget is None:
        limits = body_of(api.get(f"/events/{q(eid)}/budget_min_max", params={"runtime_in_days": 30}))
        if isinstance(limits, dict) and all(
            isinstance(limits.get(k), int | float) for k in ("lower_limit", "upper_limit")
        ):
            budget = (limits["lower_limit"] + limits["upper_limit"]) / 2
    if budget is not None:
        body["total_budget"] = budget
    return body


def budget_limits(api: Api, eid: str) -> tuple[float, float] | None:
    limits = body_of(api.get(f"/events/{q(eid)}/budget_min_max", params={"runtime_in_days": 30}))
    if isinstance(limits, dict) and all(
        isinstance(limits.get(k), int | float) for k in ("lower_limit", "upper_limit")
    ):
        return float(limits["lower_limit"]), float(limits["upper_limit"])
    return None


def partner_product(api: Api) -> str | None:
    body = body_of(api.get("/partners/"))
    if isinstance(body, dict):
        products = body.get("products") or body.get("product")
        if isinstance(products, list) and products:
            return str(products[0])
        if isinstance(products, str):
            return products
    return None


def refresh(main: Api, cr: Api, eid: str, rule: str, *, timeout: float) -> tuple[int, int]:
    """Ask the CR host to recompute clusters; ``(run before, run after)`` once a newer run shows,
    polling for at most ``timeout`` seconds (``run.refresh_timeout``)."""
    before, _ = clusters_of(main, eid, rule)
    raw = cr.get(f"/events/{q(eid)}")
    event = body_of(raw)
    if not isinstance(event, dict):
        raise Finding(
            rule,
            f"CR GET /events/{eid} gave no event to save",
            received=raw.response_text(200),
            curl=raw.curl,
        )
    params = {"event_type": "prisma" if event.get("category") == "product" else "fdlive", "itc_retry": "true"}
    product = partner_product(main)
    if product:
        params["partner_product"] = product
    saved = cr.put(f"/events/{q(eid)}", params=params, json=event)
    if not 200 <= saved.status < 300:
        raise saved.finding(
            rule,
            f"the CR save with itc_retry=true was refused ({saved.status})",
            expected="2xx",
            received=saved.response_text(300),
        )
    deadline, wait, after = time.monotonic() + timeout, 0.2, before
    while time.monotonic() < deadline:
        after, _ = clusters_of(main, eid, rule)
        if after != before:
            break
        time.sleep(wait)
        wait = min(wait * 1.5, 3.0)
    return before, after


def published_campaign(api: Api, eid: str, rule: str) -> tuple[str, str, int] | str:
    """Publish the sandbox event ``eid`` (a setup of its first cluster, then one boost) as ``api``'s
    persona and return its campaign's ``(eid, tc, tc_run_id)``; a string says why there is none."""
    run, tcs = clusters_of(api, eid, rule)
    if not tcs:
        return f"the sandbox event {eid} has no cluster to publish"
    created = api.post(f"/setup_processes/{q(eid)}", json=setup_body(api, eid, tcs[:1], run))
    if created.status not in (200, 201):
        return f"the sandbox draft could not be created ({created.status})"
    boost = api.post(f"/setup_processes/{q(eid)}/boost")
    if boost.status != 200:
        return f"boost of the sandbox draft did not succeed ({boost.status})"
    page = body_of(api.get(f"/events/{q(eid)}/campaigns", params={"page": 1, "limit": 1000}))
    items = page.get("items") if isinstance(page, dict) else None
    for campaign in items if isinstance(items, list) else []:
        if isinstance(campaign, dict) and isinstance(campaign.get("tc_run_id"), int) and campaign.get("tc"):
            return str(campaign.get("eid") or eid), str(campaign["tc"]), int(campaign["tc_run_id"])
    return "the boosted sandbox event lists no campaign"
