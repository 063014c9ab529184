"""The setup process of an event (CONTRACT §4, WAV-01/02) and edits of published campaigns.

One setup process per event, addressed by eid; states ``none`` → ``draft`` → ``published``. The state
table itself lives in :class:`conformance.reference.hooks.WavePolicy`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from conformance.reference import replies
from conformance.reference.context import Ctx
from conformance.reference.handlers.clusters import GOALS, budget_limits, default_parameters
from conformance.reference.handlers.common import as_int, body_object, route
from conformance.reference.hooks import SetupState
from conformance.reference.replies import Reply
from conformance.reference.store import campaign_doc

SCALARS = (
    "goal",
    "total_budget",
    "start_date",
    "end_date",
    "conversion_id",
    "lead_form_id",
    "custom_event_type",
    "dsa_payor",
    "dsa_beneficiary",
)
LISTS = ("creatives", "targeting", "integration_details")


def _state(ctx: Ctx, eid: str) -> tuple[SetupState, dict[str, Any]]:
    found = ctx.svc.store.setup(eid)
    if found is None:
        return "none", {}
    return ("published" if found[0] else "draft"), found[1]


def _view(eid: str, published: bool, doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "eid": eid,
        **{k: doc.get(k) for k in SCALARS},
        **{k: list(doc.get(k) or []) for k in LISTS},
        "published": published,
    }


def _check_payload(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The handler's own payload checks (the spec's schema, when present, ran before)."""
    errors = []
    if "goal" in body and body["goal"] not in GOALS:
        errors.append(replies.field_error("body.goal", "enum", f"goal must be one of {GOALS}"))
    budget = body.get("total_budget")
    if budget is not None and (
        isinstance(budget, bool) or not isinstance(budget, (int, float)) or budget < 0
    ):
        errors.append(replies.field_error("body.total_budget", "type", "a non-negative number"))
    for name in ("start_date", "end_date"):
        if body.get(name) is not None:
            try:
                date.fromisoformat(str(body[name]))
            except ValueError:
                errors.append(replies.field_error(f"body.{name}", "format", "a date YYYY-MM-DD"))
    for name in LISTS:
        items = body.get(name)
        if items is None:
            continue
        if not isinstance(items, list):
            errors.append(replies.field_error(f"body.{name}", "type", "an array"))
            continue
        for i, item in enumerate(items):
            run = as_int(item.get("tc_run_id")) if isinstance(item, dict) else None
            if run is not None:
                item["tc_run_id"] = run  # normalised in place: 41.0 is stored as 41
            if run is None or not isinstance(item.get("tc"), str):
                errors.append(
                    replies.field_error(
                        f"body.{name}.{i}", "type", "an object with tc (string) and tc_run_id (integer)"
                    )
                )
    return errors


def _compose(ctx: Ctx, event: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Full replace: every field the body omits takes its default (CONTRACT §4)."""
    errors = _check_payload(body) if ctx.svc.hooks.validation.check_body(ctx.route) else []
    if errors:
        raise replies.invalid(errors)
    defaults = default_parameters(ctx, event)
    doc = {k: defaults.get(k) for k in SCALARS}
    doc.update({k: [] for k in LISTS})
    doc.update({k: body[k] for k in (*SCALARS, *LISTS) if k in body and body[k] is not None})
    return doc


def get_setup(ctx: Ctx) -> Reply:
    event = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "read")
    state, doc = _state(ctx, event["id"])
    ctx.svc.hooks.wave.check("get", state)
    return Reply(200, _view(event["id"], state == "published", doc))


def create_setup(ctx: Ctx) -> Reply:
    event = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "write")
    with ctx.svc.store.transaction():
        state, _ = _state(ctx, event["id"])
        ctx.svc.hooks.wave.check("create", state)
        doc = _compose(ctx, event, body_object(ctx, required=False))
        ctx.svc.store.save_setup(event["id"], ctx.partner, doc, published=False)
    return Reply(201, _view(event["id"], False, doc))


def replace_setup(ctx: Ctx) -> Reply:
    event = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "write")
    with ctx.svc.store.transaction():
        state, _ = _state(ctx, event["id"])
        ctx.svc.hooks.wave.check("replace", state)
        doc = _compose(ctx, event, body_object(ctx))
        ctx.svc.store.save_setup(event["id"], ctx.partner, doc, published=state == "published")
    return Reply(200, _view(event["id"], state == "published", doc))


def delete_setup(ctx: Ctx) -> Reply:
    event = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "write")
    with ctx.svc.store.transaction():
        state, _ = _state(ctx, event["id"])
        ctx.svc.hooks.wave.check("delete", state)
        ctx.svc.store.delete_setup(event["id"])
    return Reply(
        200, {"eid": event["id"], "deleted": True, "cancelled": str(ctx.arg("cancel", "")).lower() == "true"}
    )


def boost_problems(ctx: Ctx, event: dict[str, Any], doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Why a draft cannot be published (CONTRACT §4): empty list when it can."""
    problems = []
    creatives = doc.get("creatives") or []
    if not creatives:
        problems.append(replies.field_error("creatives", "required", "at least one creative"))
    entries = [(kind, i, e) for kind in LISTS for i, e in enumerate(doc.get(kind) or [])]
    runs = {int(e["tc_run_id"]) for _, _, e in entries}
    if len(runs) > 1:
        problems.append(
            replies.field_error("tc_run_id", "single_run", f"one run per setup, got {sorted(runs)}")
        )
    for kind, i, entry in entries:
        run = int(entry["tc_run_id"])
        known = {c["tc"] for c in ctx.svc.store.clusters(event["id"], run)}
        if entry["tc"] not in known:
            problems.append(
                replies.field_error(
                    f"{kind}.{i}.tc",
                    "unknown_cluster",
                    f"no cluster {entry['tc']!r} in run {run} of this event",
                )
            )
    try:
        start, end = (
            date.fromisoformat(str(doc.get("start_date"))),
            date.fromisoformat(str(doc.get("end_date"))),
        )
    except ValueError:
        problems.append(replies.field_error("start_date", "format", "start_date and end_date are required"))
        return problems
    if end < start:
        problems.append(replies.field_error("end_date", "range", "end_date is before start_date"))
        return problems
    limits = budget_limits(event, (end - start).days + 1)
    budget = float(doc.get("total_budget") or 0)
    if not limits["lower_limit"] <= budget <= limits["upper_limit"]:
        problems.append(
            replies.field_error("total_budget", "budget_range", f"total_budget must be within {limits}")
        )
    return problems


def boost(ctx: Ctx) -> Reply:
    event = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "write")
    store, wave = ctx.svc.store, ctx.svc.hooks.wave
    state, doc = _state(ctx, event["id"])
    wave.guard_boost(store, event["id"], ctx.partner, state, doc)
    with store.transaction():
        state, doc = _state(ctx, event["id"])  # again under the lock: a parallel boost may have won
        wave.check("boost", state)
        problems = boost_problems(ctx, event, doc)
        if problems:
            raise replies.invalid(problems, message="error.campaign.setup_invalid", code="SETUP_INVALID")
        plan = wave.boost_plan(store, event["id"], doc)
        budget_each = round(float(doc.get("total_budget") or 0) / max(len(plan), 1), 2)
        for tc, run in plan:
            if store.campaign(event["id"], tc, run) is None:  # one campaign per triple, ever
                seed = {
                    "tc": tc,
                    "tc_run_id": run,
                    "status": "RUNNING",
                    "budget": budget_each,
                    "audience_id": f"aud_{store.next_value('audience', 1000)}",
                }
                store.insert_campaign(
                    event["id"], ctx.partner, campaign_doc(event["id"], ctx.partner, seed, doc)
                )
        store.save_setup(event["id"], ctx.partner, doc, published=True)
        event["campaign_status"] = "RUNNING"
        store.save_event(event["id"], ctx.partner, event)
        created = [ctx.svc.hooks.render.campaign(c) for c in store.campaigns(event["id"])]
    return Reply(200, {"eid": event["id"], "published": True, "campaigns": created})


def campaigns_setup(ctx: Ctx) -> Reply:
    body = body_object(ctx)
    eid, tc, run = body.get("eid"), body.get("tc"), as_int(body.get("tc_run_id"))
    if not isinstance(eid, str) or not isinstance(tc, str) or run is None:
        raise replies.invalid(
            [
                replies.field_error(
                    "body", "required", "eid (string), tc (string) and tc_run_id (integer) are required"
                )
            ]
        )
    event = ctx.svc.hooks.access.event(ctx, eid, "body")
    with ctx.svc.store.transaction():
        state, _ = _state(ctx, event["id"])
        ctx.svc.hooks.wave.check("edit", state)
        campaign = ctx.svc.hooks.access.campaign(ctx, event["id"], tc, run)
        for key in ("creative", "targeting"):
            if isinstance(body.get(key), dict):
                campaign[key] = {**(campaign.get(key) or {}), **body[key]}
        for key in ("budget", "end_date"):
            if key in body:
                campaign[key] = body[key]
        ctx.svc.hooks.wave.save_edit(ctx.svc.store, event["id"], ctx.partner, campaign)
    return Reply(200, ctx.svc.hooks.render.campaign(campaign))


ROUTES = [
    route("main", "GET", "/setup_processes/{eid}", get_setup, body="none"),
    route("main", "POST", "/setup_processes/{eid}", create_setup),
    route("main", "PUT", "/setup_processes/{eid}", replace_setup),
    route("main", "DELETE", "/setup_processes/{eid}", delete_setup, body="none"),
    route("main", "POST", "/setup_processes/{eid}/boost", boost, body="none"),
    route("main", "POST", "/campaigns_setup", campaigns_setup),
]
