"""Sales data: daily revenue, clearing, the xlsx round trip, manual ingest, adjustment rows.

Event ids arrive here in query strings and bodies, so every one goes through the same ownership gate
as path ids (OBJ-03): another partner's event is "not found", exactly like one that never existed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from conformance.reference import replies, xlsx
from conformance.reference.context import Ctx
from conformance.reference.handlers.common import as_int, body_object, int_arg, route
from conformance.reference.replies import Reply

MANUAL = ("manual", "adjustment")


def _date(value: Any, where: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise replies.invalid([replies.field_error(where, "format", "a date YYYY-MM-DD")]) from None


def _event_ids(ctx: Ctx, query_name: str) -> list[str]:
    eid = ctx.arg(query_name)
    if eid not in (None, ""):
        return [ctx.svc.hooks.access.event(ctx, str(eid), "query")["id"]]
    return [
        r["eid"] for r in ctx.svc.store.rows("SELECT eid FROM events WHERE partner_id = ?", (ctx.partner,))
    ]


def _rows(ctx: Ctx, eids: list[str]) -> list[Any]:
    if not eids:
        return []
    marks = ",".join("?" for _ in eids)
    return ctx.svc.store.rows(f"SELECT * FROM sales WHERE eid IN ({marks}) ORDER BY day, id", eids)


def daily_revenue_summary(ctx: Ctx) -> Reply:
    eids = _event_ids(ctx, "event_id")
    start = _date(ctx.arg("start_date"), "query.start_date") or date(1900, 1, 1)
    end = _date(ctx.arg("end_date"), "query.end_date") or date(2100, 1, 1)
    partner = ctx.svc.store.partner(ctx.partner) or {}
    items: dict[tuple[str, str], dict[str, Any]] = {}
    adjustments = []
    for row in _rows(ctx, eids):
        if not start <= date.fromisoformat(row["day"]) <= end:
            continue
        if row["source"] in MANUAL:
            adjustments.append(
                {
                    "id": f"cr_{row['id']}",
                    "eid": row["eid"],
                    "date": row["day"],
                    "tickets": row["tickets"],
                    "revenue": row["revenue"],
                    "source": row["source"],
                }
            )
            continue
        item = items.setdefault(
            (row["eid"], row["day"]), {"eid": row["eid"], "date": row["day"], "tickets": 0, "revenue": 0.0}
        )
        item["tickets"] += row["tickets"]
        item["revenue"] = round(item["revenue"] + row["revenue"], 2)
    return Reply(
        200,
        {
            "event_id": ctx.arg("event_id"),
            "currency": ctx.arg("currency") or partner.get("currency"),
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "items": list(items.values()),
            "manual_adjustments": adjustments,
        },
    )


def clear_sales(ctx: Ctx) -> Reply:
    if ctx.arg("event_id") in (None, ""):
        raise replies.invalid([replies.field_error("query.event_id", "required", "event_id is required")])
    eid = _event_ids(ctx, "event_id")[0]
    deleted = ctx.svc.store.run("DELETE FROM sales WHERE eid = ?", (eid,))
    return Reply(200, {"event_id": eid, "deleted": deleted})


def export_sales(ctx: Ctx) -> Reply:
    rows = [["event_id", "date", "tickets", "revenue"]]
    rows += [
        [r["eid"], r["day"], r["tickets"], r["revenue"]]
        for r in _rows(ctx, _event_ids(ctx, "event_id"))
        if r["source"] not in MANUAL
    ]
    return Reply(
        200,
        xlsx.write(rows),
        media_type=xlsx.CONTENT_TYPE,
        headers={"Content-Disposition": 'attachment; filename="sales_edit_export.xlsx"'},
    )


def _sheet(ctx: Ctx, columns: tuple[str, ...]) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """The uploaded sheet's rows, and problems with the file as a whole.

    Like the platform (DK sales-uploads), a file that arrived but cannot be used is answered 200 with
    ``validation_errors``; only a request without a file part is a 400.
    """
    found = ctx.files.get("file")
    if found is None:
        raise replies.invalid([replies.field_error("body.file", "required", "a file in the `file` field")])
    try:
        header, rows = xlsx.read_table(found[2])
    except xlsx.SheetError as exc:
        return [], [{"code": "UNREADABLE_FILE", "message": str(exc)[:200]}]
    missing = [c for c in columns if c not in header]
    if missing and found[2].strip():  # an empty file is an empty sheet: nothing to import
        return [], [{"code": "MISSING_COLUMNS", "message": f"the header row must name {', '.join(columns)}"}]
    return rows, []


def _parse_row(
    n: int, row: dict[str, str], owned: set[str], eid: str | None
) -> tuple[tuple[Any, ...] | None, str]:
    event = eid or row.get("event_id") or row.get("eid") or ""
    if event not in owned:
        return None, f"ROW_{n}_UNKNOWN_EVENT"
    try:
        day = date.fromisoformat(row.get("date", ""))
    except ValueError:
        return None, f"ROW_{n}_INVALID_DATE"
    try:
        tickets, revenue = int(float(row.get("tickets") or 0)), float(row.get("revenue") or 0)
    except ValueError:
        return None, f"ROW_{n}_INVALID_NUMBER"
    return (event, day.isoformat(), tickets, revenue), ""


def _import(
    ctx: Ctx, sheet: tuple[list[dict[str, str]], list[dict[str, Any]]], eid: str | None, replace: bool
) -> Reply:
    rows, problems = sheet
    if problems:
        return Reply(200, {"validation_errors": problems, "imported": 0})
    owned = {
        r["eid"] for r in ctx.svc.store.rows("SELECT eid FROM events WHERE partner_id = ?", (ctx.partner,))
    }
    parsed, errors = [], []
    for n, row in enumerate(rows, start=2):
        values, problem = _parse_row(n, row, owned, eid)
        if problem:
            errors.append({"code": problem, "row": n})
        else:
            parsed.append(values)
    if errors:
        return Reply(200, {"validation_errors": errors, "imported": 0})
    with ctx.svc.store.transaction():
        if replace:
            for event in {p[0] for p in parsed if p}:
                ctx.svc.store.run("DELETE FROM sales WHERE eid = ? AND source = 'file'", (event,))
        for values in parsed:
            assert values is not None
            ctx.svc.store.run(
                "INSERT INTO sales (eid, day, tickets, revenue, source) VALUES (?, ?, ?, ?, 'file')", values
            )
    return Reply(200, {"validation_errors": [], "imported": len(parsed)})


def import_sales(ctx: Ctx) -> Reply:
    return _import(ctx, _sheet(ctx, ("event_id", "date", "tickets", "revenue")), None, replace=True)


def ingest_from_excel(ctx: Ctx) -> Reply:
    eid = ctx.svc.hooks.access.event(ctx, str(ctx.arg("eid") or ""), "query")["id"]
    return _import(ctx, _sheet(ctx, ("date", "tickets", "revenue")), eid, replace=False)


def ingest_transaction_summary(ctx: Ctx) -> Reply:
    body = body_object(ctx)
    eid = body.get("eid")
    if not isinstance(eid, str) or not eid:
        raise replies.invalid([replies.field_error("body.eid", "required", "eid is required")])
    event = ctx.svc.hooks.access.event(ctx, eid, "body")
    start, end = _date(body.get("from"), "body.from"), _date(body.get("to"), "body.to")
    tickets = body.get("tickets")
    if start is None or end is None or end < start or not isinstance(tickets, list):
        raise replies.invalid(
            [replies.field_error("body", "range", "from <= to (YYYY-MM-DD) and a tickets array")]
        )
    rows = []
    for i, item in enumerate(tickets):
        sold = as_int(item.get("sold")) if isinstance(item, dict) else None
        revenue = item.get("revenue") if isinstance(item, dict) else None
        if sold is None or not isinstance(revenue, (int, float)) or isinstance(revenue, bool):
            raise replies.invalid(
                [
                    replies.field_error(
                        f"body.tickets.{i}", "type", "type (string), sold (integer), revenue (number)"
                    )
                ]
            )
        rows.append((event["id"], end.isoformat(), sold, float(revenue)))
    with ctx.svc.store.transaction():
        for values in rows:
            ctx.svc.store.run(
                "INSERT INTO sales (eid, day, tickets, revenue, source) VALUES (?, ?, ?, ?, 'manual')", values
            )
    return Reply(
        200,
        {
            "eid": event["id"],
            "from": start.isoformat(),
            "to": end.isoformat(),
            "tickets": tickets,
            "validation_errors": [],
        },
    )


def _partner_param(ctx: Ctx) -> None:
    partner = ctx.arg("partner_id")
    if partner not in (None, "") and partner != ctx.partner:
        raise replies.not_authorized()  # CONTRACT §2: a partner id that is not the scoped one


def _result_row(ctx: Ctx, row: Any) -> dict[str, Any]:
    return {
        "id": f"cr_{row['id']}",
        "eid": row["eid"],
        "partner_id": ctx.partner,
        "purchase": row["tickets"],
        "revenue": row["revenue"],
        "created_at": f"{row['day']}T00:00:00Z",
        "source": row["source"],
    }


def list_campaign_results(ctx: Ctx) -> Reply:
    _partner_param(ctx)
    rows = [r for r in _rows(ctx, _event_ids(ctx, "eid")) if r["source"] == "adjustment"]
    return Reply(200, [_result_row(ctx, r) for r in rows])


def create_campaign_result(ctx: Ctx) -> Reply:
    _partner_param(ctx)
    eid = ctx.svc.hooks.access.event(ctx, str(ctx.arg("eid") or ""), "query")["id"]
    purchase = int_arg(ctx, "purchase")
    try:
        revenue = float(str(ctx.arg("revenue")))
    except ValueError:
        raise replies.invalid([replies.field_error("query.revenue", "type", "a number")]) from None
    today = datetime.now(UTC).date().isoformat()
    new_id = ctx.svc.store.run(
        "INSERT INTO sales (eid, day, tickets, revenue, source) VALUES (?, ?, ?, ?, 'adjustment')",
        (eid, today, purchase or 0, revenue),
    )
    row = ctx.svc.store.one("SELECT * FROM sales WHERE id = ?", (new_id,))
    return Reply(200, _result_row(ctx, row))


def delete_campaign_result(ctx: Ctx) -> Reply:
    raw = str(ctx.arg("id") or "")
    number = raw[3:] if raw.startswith("cr_") else ""
    row = ctx.svc.store.one(
        "SELECT s.id FROM sales s JOIN events e ON e.eid = s.eid WHERE s.id = ? AND e.partner_id = ? "
        "AND s.source = 'adjustment'",
        (int(number) if number.isdigit() and len(number) < 18 else -1, ctx.partner),
    )
    if row is None:
        raise replies.not_found("campaign_result")
    ctx.svc.store.run("DELETE FROM sales WHERE id = ?", (row["id"],))
    return Reply(200, {"id": raw, "deleted": True})


ROUTES = [
    route("main", "GET", "/daily_revenue_summary/", daily_revenue_summary, body="none"),
    route("main", "DELETE", "/daily_revenue_summary/", clear_sales, body="none"),
    route("main", "GET", "/daily_revenue_summary/sales_edit_export", export_sales, body="none"),
    route("main", "POST", "/daily_revenue_summary/sales_edit_export", import_sales, body="multipart"),
    route("main", "POST", "/ingest/transaction_summary", ingest_transaction_summary),
    route("main", "POST", "/ingest/transaction_summary/from_excel", ingest_from_excel, body="multipart"),
    route("main", "GET", "/campaign_results/", list_campaign_results, body="none"),
    route("main", "POST", "/campaign_results/", create_campaign_result, body="none"),
    route("main", "DELETE", "/campaign_results/", delete_campaign_result, body="none"),
]
