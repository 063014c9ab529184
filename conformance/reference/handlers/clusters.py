"""Taste clusters and recommendations of one event (RUN-01): runs, suggestions, budget limits."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from conformance.reference import replies
from conformance.reference.context import Ctx
from conformance.reference.handlers.common import enum_value, int_arg, route
from conformance.reference.replies import Reply

GOALS = ("UTILIZATION", "ROAS", "VISIBILITY", "LINK_CLICKS")


def latest_run(ctx: Ctx, eid: str) -> int:
    runs = ctx.svc.store.runs(eid)
    if not runs:
        raise replies.not_found("cluster")
    return runs[-1]


def clusters(ctx: Ctx) -> Reply:
    event = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "read")
    wanted = int_arg(ctx, "tc_run_id")
    run = latest_run(ctx, event["id"]) if wanted is None else wanted
    if run not in ctx.svc.store.runs(event["id"]):
        raise replies.not_found("cluster")
    return Reply(
        200,
        {
            "eid": event["id"],
            "tc_run_id": run,
            "runs": ctx.svc.store.runs(event["id"]),
            "clusters": ctx.svc.store.clusters(event["id"], run),
        },
    )


def budget_limits(event: dict[str, Any], runtime_days: int) -> dict[str, float]:
    """The budget clamp boost validates against (CONTRACT §4), scaled by runtime and capacity."""
    capacity = max(int(event.get("capacity") or 0), 100)
    lower = float(max(100, 5 * runtime_days))
    upper = float(max(lower * 2, capacity * 20))
    return {"lower_limit": lower, "upper_limit": upper}


def event_day(event: dict[str, Any]) -> date:
    return date.fromisoformat(str(event["start_date_time"])[:10])


def default_parameters(ctx: Ctx, event: dict[str, Any]) -> dict[str, Any]:
    """The defaults a setup process starts from (POST body omitted fields take these)."""
    run = latest_run(ctx, event["id"])
    partner = ctx.svc.store.partner(ctx.partner) or {}
    end = event_day(event)
    start = end - timedelta(days=28)
    limits = budget_limits(event, 29)
    details = partner.get("integration_defaults") or {
        "ad_account_id": "act_123",
        "page_id": "page_456",
        "pixel_id": "pix_789",
    }
    return {
        "goal": "UTILIZATION",
        "total_budget": limits["lower_limit"] * 4,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "tc_run_id": run,
        "clusters": [c["tc"] for c in ctx.svc.store.clusters(event["id"], run)],
        "creatives": [],
        "targeting": [],
        "integration_details": [],
        "integration_defaults": details,
        "conversion_id": None,
        "lead_form_id": None,
        "custom_event_type": None,
        "dsa_payor": partner.get("name"),
        "dsa_beneficiary": partner.get("name"),
    }


def default_campaigns_parameters(ctx: Ctx) -> Reply:
    event = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "read")
    return Reply(200, default_parameters(ctx, event))


def budget_min_max(ctx: Ctx) -> Reply:
    event = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "read")
    days = int_arg(ctx, "runtime_in_days", 30)
    assert days is not None
    if not 1 <= days <= 3650:
        raise replies.invalid([replies.field_error("query.runtime_in_days", "range", "1..3650 days")])
    return Reply(200, budget_limits(event, days))


def _goal_and_budget(ctx: Ctx) -> tuple[str, float]:
    goal = enum_value(ctx.arg("goal") or "UTILIZATION", GOALS, "query.goal")
    raw = ctx.arg("budget")
    try:
        budget = float(raw) if raw not in (None, "") else 1000.0
    except (TypeError, ValueError):
        raise replies.invalid(
            [replies.field_error("query.budget", "type", "budget must be a number")]
        ) from None
    if not 0 <= budget <= 1e9:
        raise replies.invalid([replies.field_error("query.budget", "range", "budget must be 0..1e9")])
    return goal, budget


def suggested_tcs(ctx: Ctx) -> Reply:
    event = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "read")
    _goal_and_budget(ctx)
    run = latest_run(ctx, event["id"])
    ranked = sorted(ctx.svc.store.clusters(event["id"], run), key=lambda c: -float(c.get("metric_pred", 0)))
    return Reply(200, [{"tc": c["tc"], "tc_run_id": run} for c in ranked])


def campaigns_expected_value(ctx: Ctx) -> Reply:
    event = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "read")
    goal, budget = _goal_and_budget(ctx)
    factor = {"UTILIZATION": 0.02, "ROAS": 3.1, "VISIBILITY": 45.0, "LINK_CLICKS": 0.9}[goal]
    return Reply(200, {"eid": event["id"], "goal": goal, "expected_value": f"{budget * factor:.0f}"})


ROUTES = [
    route("main", "GET", "/events/{eid}/clusters", clusters, body="none"),
    route(
        "main", "GET", "/events/{eid}/default_campaigns_parameters", default_campaigns_parameters, body="none"
    ),
    route("main", "GET", "/events/{eid}/budget_min_max", budget_min_max, body="none"),
    route("main", "GET", "/events/{eid}/suggested_tcs", suggested_tcs, body="none"),
    route("main", "GET", "/events/{eid}/campaigns_expected_value", campaigns_expected_value, body="none"),
]
