"""The CR host (``{cr}/api``): raw event read and save, simulation, bulk upload, FE status (HST-02).

A save with ``itc_retry=true`` recomputes the taste clusters synchronously into a new, larger run
(RUN-02); existing campaigns and drafts are left on the run they were built on (RUN-03).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

from conformance.reference import replies
from conformance.reference.context import Ctx
from conformance.reference.handlers.common import as_int, body_object, bool_arg, enum_value, route
from conformance.reference.replies import ApiError, Reply

EVENT_TYPES = ("prisma", "fdlive")
HIDDEN = ("partner_id",)
SIMULATION_CLUSTERS = [
    {
        "tc": "local_explorers",
        "label": "Local Explorers",
        "metric_pred": 3.3,
        "reach_estimate": 15000,
        "size_share": 0.3,
    },
    {
        "tc": "weekend_planners",
        "label": "Weekend Planners",
        "metric_pred": 2.8,
        "reach_estimate": 22000,
        "size_share": 0.25,
    },
    {
        "tc": "Kultur & Genuss Fans",
        "label": "Kultur & Genuss Fans",
        "metric_pred": 3.9,
        "reach_estimate": 9000,
        "size_share": 0.2,
    },
    {
        "tc": "late_night_regulars",
        "label": "Late Night Regulars",
        "metric_pred": 2.1,
        "reach_estimate": 6000,
        "size_share": 0.1,
    },
]
NONE = type(None)
# The fields each payload declares in the spec -> (stored key, accepted JSON types). Nullable fields
# (`type: [string, 'null']`) accept null, which clears them; fields the spec does not declare are
# additional properties: accepted and ignored. The spec validated the body already; these guard the
# handler's own needs and must never reject what the spec allows.
SAVE_FIELDS: dict[str, tuple[str, tuple[type, ...]]] = {
    "title": ("title", (str,)),
    "name": ("title", (str,)),
    "description": ("description", (str, NONE)),
    "category": ("category", (str, NONE)),
    "lineups": ("lineups_raw", (list,)),
    "lineups_raw": ("lineups_raw", (list,)),
    "setlists": ("setlists", (list,)),
    "venue": ("venue_name", (str, NONE)),
    "hall": ("hall_name", (str, NONE)),
    "city": ("city", (str, NONE)),
    "capacity": ("capacity", (int, NONE)),
    "price": ("price", (dict,)),
    "special_ad_category": ("special_ad_category", (str, NONE)),
}
SIMULATION_FIELDS: dict[str, tuple[str, tuple[type, ...]]] = {
    "description": ("description", (str,)),
    "venue": ("venue_name", (str,)),
    "hall": ("hall_name", (str,)),
    "city": ("city", (str,)),
    "category": ("category", (str,)),
    "capacity": ("capacity", (int,)),
    "price": ("price", (dict,)),
    "lineups": ("lineups_raw", (list,)),
    "setlists": ("setlists", (list,)),
    "special_ad_category": ("special_ad_category", (str,)),
}


def raw_view(doc: dict[str, Any]) -> dict[str, Any]:
    """The raw event of the Event Editor: stored fields plus the editor's names for them."""
    out = {k: v for k, v in doc.items() if k not in HIDDEN and v is not None}
    out["name"] = doc.get("title")
    out["venue"], out["hall"] = doc.get("venue_name"), doc.get("hall_name")
    out["lineups"] = list(doc.get("lineups_raw") or [])
    return out


def _event_type(ctx: Ctx) -> str:
    return enum_value(ctx.arg("event_type"), EVENT_TYPES, "query.event_type")


def get_event(ctx: Ctx) -> Reply:
    doc = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "read")
    runs = ctx.svc.store.runs(doc["id"])
    return Reply(200, {**raw_view(doc), "tc_run_id": runs[-1] if runs else None})


Fields = dict[str, tuple[str, tuple[type, ...]]]


def _apply(doc: dict[str, Any], body: dict[str, Any], fields: Fields) -> dict[str, Any]:
    errors = []
    for name, (key, types) in fields.items():
        if name not in body:
            continue
        value: Any = body[name]
        if int in types and as_int(value) is not None:
            value = as_int(value)  # 12000.0 is an integer to JSON Schema
        if not isinstance(value, types) or isinstance(value, bool):
            errors.append(replies.field_error(f"body.{name}", "type", f"{name} has the wrong type"))
        elif isinstance(value, int) and key == "capacity" and not 0 <= value <= 2_147_483_647:
            errors.append(replies.field_error("body.capacity", "range", "capacity must be 0..2147483647"))
        else:
            doc[key] = value
    if errors:
        raise replies.invalid(errors)
    return doc


def refresh_clusters(ctx: Ctx, eid: str) -> int:
    """Recompute the clusters of an event into a new run; nothing existing is touched."""
    store, runs_hook = ctx.svc.store, ctx.svc.hooks.runs
    runs = store.runs(eid)
    old = runs[-1] if runs else None
    base = store.clusters(eid, old) if old is not None else SIMULATION_CLUSTERS
    new = runs_hook.next_run(store, eid)
    fresh = [
        {**c, "metric_pred": round(min(5.0, float(str(c.get("metric_pred", 3))) * 1.05), 2)} for c in base
    ]
    store.add_run(eid, new, fresh)
    runs_hook.after_refresh(store, eid, old, new)
    return new


def save_event(ctx: Ctx) -> Reply:
    doc = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "write")
    _event_type(ctx)
    product = ctx.arg("partner_product")
    partner = ctx.svc.store.partner(ctx.partner) or {}
    if product not in (None, "") and product not in partner.get("products", []):
        raise ApiError(
            422,
            "error.event.partner_product_mismatch",
            "PARTNER_PRODUCT_MISMATCH",
            validation_errors=[
                replies.field_error("query.partner_product", "enum", f"one of {partner.get('products', [])}")
            ],
        )
    retry = bool_arg(ctx, "itc_retry")
    with ctx.svc.store.transaction():
        doc = _apply(doc, body_object(ctx), SAVE_FIELDS)
        doc["last_updated_on_fe"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        ctx.svc.store.save_event(doc["id"], ctx.partner, doc)
        if retry:
            refresh_clusters(ctx, doc["id"])
    runs = ctx.svc.store.runs(doc["id"])
    return Reply(200, {**raw_view(doc), "tc_run_id": runs[-1] if runs else None})


def _new_event(ctx: Ctx, fields: dict[str, Any]) -> dict[str, Any]:
    number = ctx.svc.store.next_value("simulation", 0)
    eid = f"evt_sim_{number:05d}"
    from conformance.reference.store import EVENT_DEFAULTS

    doc = {
        **EVENT_DEFAULTS,
        "id": eid,
        "partner_id": ctx.partner,
        "simulated": True,
        "campaign_event_series": [],
        **fields,
    }
    ctx.svc.store.save_event(eid, ctx.partner, doc)
    ctx.svc.store.add_run(eid, ctx.svc.store.next_value("tc_run_id"), SIMULATION_CLUSTERS)
    return doc


def _start(day: Any, time: Any) -> str:
    parsed = date.fromisoformat(str(day))
    hh, mm = [*str(time or "20:00").split(":"), "00"][:2]
    if not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
        raise ValueError("time must be HH:MM")
    return f"{parsed.isoformat()}T{int(hh):02d}:{int(mm):02d}:00Z"


def simulate(ctx: Ctx) -> Reply:
    """A simulation event. No body field is required (spec decision): omitted ones get defaults."""
    _event_type(ctx)
    body = body_object(ctx)
    day = body.get("date") or (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    try:
        start = _start(day, body.get("time"))
    except ValueError:
        raise replies.invalid(
            [replies.field_error("body.date", "format", "date YYYY-MM-DD, time HH:MM")]
        ) from None
    name = (
        body.get("name") if isinstance(body.get("name"), str) and body["name"].strip() else "Simulated event"
    )
    doc = _apply(
        {
            "title": name,
            "start_date_time": start,
            "city": "",
            "venue_name": "",
            "hall_name": "",
            "capacity": 0,
            "category": "concert",
        },
        body,
        SIMULATION_FIELDS,
    )
    with ctx.svc.store.transaction():
        created = _new_event(ctx, doc)
    return Reply(201, {**raw_view(created), "tc_run_id": ctx.svc.store.runs(created["id"])[-1]})


def bulk_upload(ctx: Ctx) -> Reply:
    _event_type(ctx)
    upload = ctx.files.get("file")
    if upload is None:
        raise replies.invalid(
            [replies.field_error("body.file", "required", "a CSV file in the `file` field")]
        )
    try:
        rows = list(csv.DictReader(io.StringIO(upload[2].decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error):
        return Reply(200, {"detail": [{"name": "INVALID_FILE"}]})
    if not rows:
        return Reply(200, {"detail": [{"name": "EMPTY_FILE"}]})
    problems, parsed, titles = [], [], set()
    for n, row in enumerate(rows, start=2):  # row 1 is the header
        title = (row.get("title") or "").strip()
        if not title:
            problems.append({"errCode": f"ROW_{n}_MISSING_TITLE"})
        elif title in titles:
            problems.append({"errCode": f"ROW_{n}_DUPLICATE_TITLE"})
        titles.add(title)
        try:
            start = _start(row.get("date"), row.get("time"))
        except ValueError:
            problems.append({"errCode": f"ROW_{n}_INVALID_DATE"})
            continue
        capacity = (row.get("capacity") or "0").strip()
        if not capacity.isdigit():
            problems.append({"errCode": f"ROW_{n}_INVALID_CAPACITY"})
            continue
        parsed.append(
            {
                "title": title,
                "start_date_time": start,
                "city": row.get("city") or "",
                "venue_name": row.get("venue") or "",
                "hall_name": row.get("hall") or "",
                "capacity": int(capacity),
                "category": row.get("category") or "concert",
            }
        )
    if problems:
        return Reply(200, [400, problems])
    with ctx.svc.store.transaction():
        for fields in parsed:
            _new_event(ctx, {**fields, "simulated": False})
    return Reply(200, [200, []])


def last_updated_on_fe(ctx: Ctx) -> Reply:
    doc = ctx.svc.hooks.access.event(ctx, ctx.params["eid"], "write")
    status = enum_value(body_object(ctx).get("status"), ("RUNNING", "CANCELLED"), "body.status")
    doc["fe_status"] = status
    doc["last_updated_on_fe"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    ctx.svc.store.save_event(doc["id"], ctx.partner, doc)
    return Reply(200, {"eid": doc["id"], "status": status, "last_updated_on_fe": doc["last_updated_on_fe"]})


ROUTES = [
    route("cr", "GET", "/events/{eid}", get_event, body="none"),
    route("cr", "PUT", "/events/{eid}", save_event),
    route("cr", "POST", "/events/", simulate),
    route("cr", "POST", "/events/bulk_upload", bulk_upload, body="multipart"),
    route("cr", "PUT", "/events/last_updated_on_fe/{eid}", last_updated_on_fe),
]
