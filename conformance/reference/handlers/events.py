"""Event reads on the main host: the paginated list (TEN-04, PAG-01), detail and per-event reads."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from typing import Any

from conformance.reference import replies
from conformance.reference.context import Ctx
from conformance.reference.handlers.common import bool_arg, page_of, paging, route
from conformance.reference.replies import Reply

MAIN_VIEW = (
    "id",
    "title",
    "start_date_time",
    "city",
    "venue_name",
    "hall_name",
    "capacity",
    "category",
    "special_ad_category",
    "status",
    "frontend_status",
    "campaign_status",
    "client_campaign_status",
    "campaign_optimisation_status",
    "ad_campaign_optimisation_status",
    "campaign_event_series",
    "predicted_sales_share",
    "simulated",
    "flagged_to_top",
    "partner_id",
)


def _ratio(eid: str, salt: str) -> float:
    digest = hashlib.sha256(f"{eid}:{salt}".encode()).digest()
    return round(digest[0] / 255, 2)


def main_view(doc: dict[str, Any]) -> dict[str, Any]:
    """The slim event of the main API (no description, lineups or prices: those are CR-only)."""
    out = {k: doc.get(k) for k in MAIN_VIEW}
    value = _ratio(doc["id"], "prediction")
    out["benchmark"] = {
        "prediction": {"value": value, "benchmark": 0.5},
        "state": "above" if value >= 0.5 else "below",
    }
    return out


def owned_events(ctx: Ctx, owners: list[str]) -> list[dict[str, Any]]:
    marks = ",".join("?" for _ in owners)
    rows = ctx.svc.store.rows(f"SELECT doc FROM events WHERE partner_id IN ({marks}) ORDER BY seq", owners)
    return [dict(json.loads(r["doc"])) for r in rows]


def _day(ctx: Ctx, name: str) -> date | None:
    value = ctx.arg(name)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise replies.invalid(
            [replies.field_error(f"query.{name}", "format", f"{name} must be YYYY-MM-DD")]
        ) from None


FILTERS = {
    "city": "city",
    "frontend_status": "frontend_status",
    "status": "status",
    "marketing_campaign_status": "campaign_status",
}


def _event_filter(ctx: Ctx, with_campaigns: set[str]) -> Callable[[dict[str, Any]], bool]:
    """The list's query as one predicate over event documents (the query is read once per request)."""
    q = str(ctx.arg("q") or ctx.arg("search") or "").strip().lower()
    since, until = _day(ctx, "since"), _day(ctx, "until")
    wanted = {key: values for param, key in FILTERS.items() if (values := ctx.arg_list(param))}
    venues = ctx.arg_list("vh")
    flags = {
        flag: value for flag in ("simulated", "flagged_to_top") if (value := bool_arg(ctx, flag)) is not None
    }
    include_archived = bool_arg(ctx, "include_archived")
    only_with_campaigns = bool_arg(ctx, "campaigns")
    exclude_products = bool_arg(ctx, "exclude_products")

    def matches(doc: dict[str, Any]) -> bool:
        if q and not any(q in str(doc.get(k) or "").lower() for k in ("title", "city", "venue_name", "id")):
            return False
        day = date.fromisoformat(str(doc["start_date_time"])[:10])
        if (since and day < since) or (until and day > until):
            return False
        if any(str(doc.get(key)) not in values for key, values in wanted.items()):
            return False
        if venues and doc.get("venue_name") not in venues and doc.get("hall_name") not in venues:
            return False
        if any(bool(doc.get(flag)) != value for flag, value in flags.items()):
            return False
        if not include_archived and (
            doc.get("frontend_status") == "HIDDEN" or doc.get("status") == "archived"
        ):
            return False
        if only_with_campaigns and doc["id"] not in with_campaigns:
            return False
        return not (exclude_products and doc.get("category") == "product")

    return matches


def list_events(ctx: Ctx) -> Reply:
    page, limit = paging(ctx)
    owners = ctx.svc.hooks.lists.owners(ctx, "events", page)
    with_campaigns = {r["eid"] for r in ctx.svc.store.rows("SELECT DISTINCT eid FROM campaigns")}
    matches = _event_filter(ctx, with_campaigns)
    docs = [d for d in owned_events(ctx, owners) if matches(d)]
    docs.sort(key=lambda d: not d.get("flagged_to_top"))
    return Reply(200, page_of(ctx, [main_view(d) for d in docs], page, limit))


def event_detail(ctx: Ctx) -> Reply:
    return Reply(200, main_view(ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "read")))


def flagged(ctx: Ctx) -> Reply:
    owners = ctx.svc.hooks.lists.owners(ctx, "events", 1)
    return Reply(
        200, [main_view(d) for d in owned_events(ctx, owners) if d.get("frontend_status") == "FLAGGED"]
    )


def venues(ctx: Ctx) -> Reply:
    wanted = ctx.arg_list("city")
    grouped: dict[str, dict[str, set[str]]] = {}
    for doc in owned_events(ctx, [ctx.partner]):
        if wanted and doc.get("city") not in wanted:
            continue
        grouped.setdefault(str(doc.get("city")), {}).setdefault(str(doc.get("venue_name")), set()).add(
            str(doc.get("hall_name"))
        )
    return Reply(
        200,
        [
            {"city": city, "venues": [{"venue_name": v, "halls": sorted(h)} for v, h in sorted(vs.items())]}
            for city, vs in sorted(grouped.items())
        ],
    )


def partner_statistics(ctx: Ctx) -> Reply:
    docs = owned_events(ctx, [ctx.partner])
    by_status = {
        s: sum(1 for d in docs if d.get("campaign_status") == s) for s in ("OPEN", "RUNNING", "CLOSED")
    }
    sales = ctx.svc.store.one(
        "SELECT COALESCE(SUM(tickets), 0) AS t, COALESCE(SUM(revenue), 0) AS r FROM sales "
        "WHERE eid IN (SELECT eid FROM events WHERE partner_id = ?)",
        (ctx.partner,),
    )
    assert sales is not None
    partner = ctx.svc.store.partner(ctx.partner) or {}
    spent = round(float(sales["r"]) * 0.08, 2)
    stats = {
        "total": len(docs),
        "open": by_status["OPEN"],
        "running": by_status["RUNNING"],
        "closed": by_status["CLOSED"],
        "revenue": round(float(sales["r"]), 2),
        "spent": spent,
        "roas": round(float(sales["r"]) / spent, 2) if spent else None,
        "purchases": int(sales["t"]),
        "currency": partner.get("currency"),
    }
    return Reply(200, ctx.svc.hooks.render.statistics(stats))


def series(ctx: Ctx) -> Reply:
    doc = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "read")
    page, limit = paging(ctx)
    members = []
    for eid in doc.get("campaign_event_series") or []:
        row = ctx.svc.store.event_row(eid)
        if row is not None and row[0] == ctx.partner:
            members.append(main_view(row[1]))
    return Reply(200, page_of(ctx, members, page, limit))


def event_statistics(ctx: Ctx) -> Reply:
    doc = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "read")
    sales = ctx.svc.store.one(
        "SELECT COALESCE(SUM(tickets), 0) AS t, COALESCE(SUM(revenue), 0) AS r FROM sales WHERE eid = ?",
        (doc["id"],),
    )
    assert sales is not None
    campaigns = ctx.svc.store.campaigns(doc["id"])
    revenue = round(float(sales["r"]), 2)
    spent = round(sum(float(c.get("budget") or 0) for c in campaigns) * 0.4, 2)
    partner = ctx.svc.store.partner(ctx.partner) or {}
    return Reply(
        200,
        {
            "revenue": revenue,
            "purchases": int(sales["t"]),
            "spent": spent,
            "roas": round(revenue / spent, 2) if spent else None,
            "currency": partner.get("currency"),
            "campaigns": len(campaigns),
            "active": sum(1 for c in campaigns if c.get("status") == "RUNNING"),
        },
    )


def benchmark(ctx: Ctx) -> Reply:
    doc = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "read")
    view = main_view(doc)["benchmark"]
    return Reply(
        200,
        {
            "today": _ratio(doc["id"], "today"),
            "prediction": view["prediction"]["value"],
            "state": view["state"],
        },
    )


def sales_graph(ctx: Ctx) -> Reply:
    doc = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "read")
    rows = ctx.svc.store.rows("SELECT day, tickets FROM sales WHERE eid = ? ORDER BY day", (doc["id"],))
    capacity = max(int(doc.get("capacity") or 1), 1)
    total, points = 0, []
    for row in rows:
        total += int(row["tickets"])
        points.append(
            {
                "mapped_date": row["day"],
                "norm_tickets_sold_current": round(total / capacity, 4),
                "norm_tickets_sold_avg": round(total / capacity * 0.9, 4),
            }
        )
    return Reply(200, {"sales": points})


def _prediction_type(ctx: Ctx) -> str:
    kind = ctx.arg("type") or "capacity"
    if kind not in ("capacity", "tickets"):
        raise replies.invalid([replies.field_error("query.type", "enum", "type must be capacity or tickets")])
    return str(kind)


def lookout_prediction(ctx: Ctx) -> Reply:
    doc = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "read")
    kind = _prediction_type(ctx)
    scale = 1.0 if kind == "capacity" else float(doc.get("capacity") or 0)
    base = _ratio(doc["id"], "prediction")
    curve = [
        {"days_to_event": d, "value": round(base * (1 - d / 120) * scale, 4)} for d in (90, 60, 30, 14, 7, 0)
    ]
    return Reply(200, {"eid": doc["id"], "type": kind, "prediction": curve})


def lookout_prediction_benchmark(ctx: Ctx) -> Reply:
    doc = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "read")
    kind = _prediction_type(ctx)
    scale = 1.0 if kind == "capacity" else float(doc.get("capacity") or 0)
    return Reply(
        200,
        {
            "eid": doc["id"],
            "type": kind,
            "current": round(_ratio(doc["id"], "today") * scale, 4),
            "prediction": round(_ratio(doc["id"], "prediction") * scale, 4),
            "benchmark": round(0.5 * scale, 4),
        },
    )


def tickets(ctx: Ctx) -> Reply:
    doc = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "read")
    rows = ctx.svc.store.rows("SELECT doc FROM tickets WHERE eid = ? ORDER BY pos", (doc["id"],))
    return Reply(200, [dict(json.loads(r["doc"])) for r in rows])


def attribution_model(ctx: Ctx) -> Reply:
    doc = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "read")
    partner = ctx.svc.store.partner(ctx.partner) or {}
    return Reply(
        200,
        {
            "eid": doc["id"],
            "model": doc.get("attribution_model") or partner.get("attribution_model_default", "FD"),
        },
    )


ROUTES = [
    route("main", "GET", "/events/", list_events, body="none"),
    route("main", "GET", "/events", list_events, body="none"),
    route("main", "GET", "/events/statistics", partner_statistics, body="none"),
    route("main", "GET", "/events/flagged/", flagged, body="none"),
    route("main", "GET", "/events/venues", venues, body="none"),
    route("main", "GET", "/events/{eid}", event_detail, body="none"),
    route("main", "GET", "/events/{eid}/series", series, body="none"),
    route("main", "GET", "/events/{eid}/statistics", event_statistics, body="none"),
    route("main", "GET", "/events/{eid}/benchmark", benchmark, body="none"),
    route("main", "GET", "/events/{eid}/sales-graph", sales_graph, body="none"),
    route("main", "GET", "/events/{eid}/lookout_prediction", lookout_prediction, body="none"),
    route(
        "main", "GET", "/events/{eid}/lookout_prediction_benchmark", lookout_prediction_benchmark, body="none"
    ),
    route("main", "GET", "/events/{eid}/tickets", tickets, body="none"),
    route("main", "GET", "/events/{eid}/attribution_model", attribution_model, body="none"),
]
