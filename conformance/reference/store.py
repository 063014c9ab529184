"""SQLite storage of the reference: one in-memory database per stack, seeded from the dataset.

One connection serves both uvicorn threads and the handler threadpool; a re-entrant lock makes every
statement (and every :meth:`Store.transaction`) atomic. Rows keep their key columns in SQL (owner,
event, run, tc) and the remaining fields as a JSON document, which is what the API returns anyway.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from conformance.reference.dataset import Dataset

SCHEMA = """
CREATE TABLE partners (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE events (eid TEXT PRIMARY KEY, partner_id TEXT NOT NULL, seq INTEGER NOT NULL,
                     doc TEXT NOT NULL);
CREATE INDEX events_partner ON events (partner_id, seq);
CREATE TABLE clusters (eid TEXT NOT NULL, tc_run_id INTEGER NOT NULL, tc TEXT NOT NULL,
                       pos INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (eid, tc_run_id, tc));
CREATE TABLE setups (eid TEXT PRIMARY KEY, partner_id TEXT NOT NULL, published INTEGER NOT NULL,
                     doc TEXT NOT NULL);
-- No UNIQUE on (eid, tc, tc_run_id): "one campaign per triple" is a rule the code keeps and the
-- suite checks, so it must stay observable rather than be a constraint error.
CREATE TABLE campaigns (id INTEGER PRIMARY KEY AUTOINCREMENT, eid TEXT NOT NULL,
                        partner_id TEXT NOT NULL, tc TEXT NOT NULL, tc_run_id INTEGER NOT NULL,
                        doc TEXT NOT NULL);
CREATE INDEX campaigns_event ON campaigns (eid, tc, tc_run_id);
CREATE TABLE tickets (eid TEXT NOT NULL, pos INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE sales (id INTEGER PRIMARY KEY AUTOINCREMENT, eid TEXT NOT NULL, day TEXT NOT NULL,
                    tickets INTEGER NOT NULL, revenue REAL NOT NULL, source TEXT NOT NULL);
CREATE TABLE messages (id TEXT PRIMARY KEY, partner_id TEXT NOT NULL, seq INTEGER NOT NULL,
                       read INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE media (id INTEGER PRIMARY KEY AUTOINCREMENT, partner_id TEXT NOT NULL,
                    doc TEXT NOT NULL);
CREATE TABLE tasks (id TEXT PRIMARY KEY, partner_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE packages (id TEXT PRIMARY KEY, partner_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE uploads (id TEXT PRIMARY KEY, partner_id TEXT NOT NULL);
CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""

EVENT_DEFAULTS: dict[str, Any] = {
    "description": "",
    "special_ad_category": None,
    "status": "active",
    "frontend_status": "DEFAULT",
    "campaign_status": "OPEN",
    "client_campaign_status": "RUNNING",
    "campaign_optimisation_status": "ON",
    "ad_campaign_optimisation_status": "ON",
    "simulated": False,
    "flagged_to_top": False,
    "predicted_sales_share": 0.5,
    "lineups_raw": [],
    "setlists": [],
    "price": {"min": 25.0, "max": 65.0},
    "attribution_model": None,
}
EVENT_KEYS_NOT_STORED = ("partner", "runs", "series", "tickets", "sales", "setup", "campaigns")


def _dumps(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, sort_keys=True)


class Store:
    """The database of one running stack. Thread-safe; every public method is atomic."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- primitives ------------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Group several statements atomically (re-entrant: nested calls join the outer one)."""
        with self._lock:
            if self._db.in_transaction:
                yield self
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._db.execute(sql, params).fetchall())

    def one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Execute a write; returns the last row id (inserts) or the changed row count."""
        with self._lock:
            cursor = self._db.execute(sql, params)
            return int(cursor.lastrowid or cursor.rowcount)

    def next_value(self, name: str, floor: int = 0) -> int:
        """A monotonically increasing counter (run ids, event numbers), never below ``floor + 1``."""
        with self.transaction():
            row = self.one("SELECT value FROM counters WHERE name = ?", (name,))
            value = max(int(row["value"]) if row else 0, floor) + 1
            self.run("INSERT OR REPLACE INTO counters (name, value) VALUES (?, ?)", (name, value))
            return value

    # -- documents -------------------------------------------------------------------------------
    @staticmethod
    def doc(row: sqlite3.Row | None) -> dict[str, Any] | None:
        return None if row is None else dict(json.loads(row["doc"]))

    def partner(self, partner_id: str) -> dict[str, Any] | None:
        return self.doc(self.one("SELECT doc FROM partners WHERE id = ?", (partner_id,)))

    def partner_ids(self) -> list[str]:
        return [r["id"] for r in self.rows("SELECT id FROM partners ORDER BY seq")]

    def event_row(self, eid: str) -> tuple[str, dict[str, Any]] | None:
        """``(owner partner, event doc)`` of an event, regardless of who asks (callers scope it)."""
        row = self.one("SELECT partner_id, doc FROM events WHERE eid = ?", (eid,))
        if row is None:
            return None
        return str(row["partner_id"]), dict(json.loads(row["doc"]))

    def save_event(self, eid: str, partner_id: str, doc: dict[str, Any]) -> None:
        with self.transaction():
            exists = self.one("SELECT seq FROM events WHERE eid = ?", (eid,))
            if exists:
                self.run("UPDATE events SET doc = ? WHERE eid = ?", (_dumps(doc), eid))
            else:
                seq = self.next_value("event_seq")
                self.run(
                    "INSERT INTO events (eid, partner_id, seq, doc) VALUES (?, ?, ?, ?)",
                    (eid, partner_id, seq, _dumps(doc)),
                )

    def runs(self, eid: str) -> list[int]:
        rows = self.rows("SELECT DISTINCT tc_run_id FROM clusters WHERE eid = ? ORDER BY tc_run_id", (eid,))
        return [int(r["tc_run_id"]) for r in rows]

    def clusters(self, eid: str, run: int) -> list[dict[str, Any]]:
        rows = self.rows("SELECT doc FROM clusters WHERE eid = ? AND tc_run_id = ? ORDER BY pos", (eid, run))
        return [dict(json.loads(r["doc"])) for r in rows]

    def add_run(self, eid: str, run: int, clusters: Sequence[dict[str, Any]]) -> None:
        with self.transaction():
            self.run("DELETE FROM clusters WHERE eid = ? AND tc_run_id = ?", (eid, run))
            for pos, cluster in enumerate(clusters):
                self.run(
                    "INSERT INTO clusters (eid, tc_run_id, tc, pos, doc) VALUES (?, ?, ?, ?, ?)",
                    (eid, run, cluster["tc"], pos, _dumps(cluster)),
                )

    # -- seeding ---------------------------------------------------------------------------------
    def seed(self, data: Dataset) -> None:
        """Load the dataset into the (empty) database."""
        with self.transaction():
            for seq, partner in enumerate(data.partners):
                self.run(
                    "INSERT INTO partners (id, seq, doc) VALUES (?, ?, ?)",
                    (partner["id"], seq, _dumps(partner)),
                )
            max_run = 0
            for event in data.events:
                self._seed_event(event)
                max_run = max([max_run, *(r["tc_run_id"] for r in event["runs"])])
            self.run("INSERT OR REPLACE INTO counters (name, value) VALUES ('tc_run_id', ?)", (max_run,))
            for seq, message in enumerate(data.messages):
                doc = {k: v for k, v in message.items() if k != "partner"}
                doc["partner_id"] = message["partner"]
                doc.setdefault("date_last_updated", doc.get("date_created"))
                self.run(
                    "INSERT INTO messages (id, partner_id, seq, read, doc) VALUES (?, ?, ?, ?, ?)",
                    (message["id"], message["partner"], seq, int(bool(message.get("read"))), _dumps(doc)),
                )

    def _seed_event(self, event: dict[str, Any]) -> None:
        eid, partner = event["id"], event["partner"]
        doc = {**EVENT_DEFAULTS, **{k: v for k, v in event.items() if k not in EVENT_KEYS_NOT_STORED}}
        doc["partner_id"] = partner
        doc["campaign_event_series"] = list(event.get("series", []))
        doc.setdefault("name", doc.get("title"))
        if event.get("campaigns"):
            doc["campaign_status"] = "RUNNING"
        self.save_event(eid, partner, doc)
        for run in event["runs"]:
            self.add_run(eid, run["tc_run_id"], run["clusters"])
        for pos, ticket in enumerate(event.get("tickets", [])):
            self.run("INSERT INTO tickets (eid, pos, doc) VALUES (?, ?, ?)", (eid, pos, _dumps(ticket)))
        for sale in event.get("sales", []):
            self.run(
                "INSERT INTO sales (eid, day, tickets, revenue, source) VALUES (?, ?, ?, ?, ?)",
                (eid, sale["date"], int(sale["tickets"]), float(sale["revenue"]), "file"),
            )
        setup = event.get("setup")
        if setup:
            state = setup.get("state", "draft")
            body = {k: v for k, v in setup.items() if k != "state"}
            self.run(
                "INSERT INTO setups (eid, partner_id, published, doc) VALUES (?, ?, ?, ?)",
                (eid, partner, int(state == "published"), _dumps(body)),
            )
        for campaign in event.get("campaigns", []):
            self.insert_campaign(eid, partner, campaign_doc(eid, partner, campaign, setup or {}))

    # -- campaigns -------------------------------------------------------------------------------
    def insert_campaign(self, eid: str, partner_id: str, doc: dict[str, Any]) -> None:
        self.run(
            "INSERT INTO campaigns (eid, partner_id, tc, tc_run_id, doc) VALUES (?, ?, ?, ?, ?)",
            (eid, partner_id, doc["tc"], int(doc["tc_run_id"]), _dumps(doc)),
        )

    def campaigns(self, eid: str) -> list[dict[str, Any]]:
        rows = self.rows("SELECT doc FROM campaigns WHERE eid = ? ORDER BY id", (eid,))
        return [dict(json.loads(r["doc"])) for r in rows]

    def campaign(self, eid: str, tc: str, run: int) -> dict[str, Any] | None:
        return self.doc(
            self.one(
                "SELECT doc FROM campaigns WHERE eid = ? AND tc = ? AND tc_run_id = ? ORDER BY id",
                (eid, tc, run),
            )
        )

    def update_campaign(self, eid: str, tc: str, run: int, doc: dict[str, Any]) -> None:
        self.run(
            "UPDATE campaigns SET doc = ? WHERE eid = ? AND tc = ? AND tc_run_id = ?",
            (_dumps(doc), eid, tc, run),
        )

    # -- setup processes -------------------------------------------------------------------------
    def setup(self, eid: str) -> tuple[bool, dict[str, Any]] | None:
        row = self.one("SELECT published, doc FROM setups WHERE eid = ?", (eid,))
        if row is None:
            return None
        return bool(row["published"]), dict(json.loads(row["doc"]))

    def save_setup(self, eid: str, partner_id: str, doc: dict[str, Any], published: bool) -> None:
        self.run(
            "INSERT OR REPLACE INTO setups (eid, partner_id, published, doc) VALUES (?, ?, ?, ?)",
            (eid, partner_id, int(published), _dumps(doc)),
        )

    def delete_setup(self, eid: str) -> None:
        self.run("DELETE FROM setups WHERE eid = ?", (eid,))


def campaign_doc(
    eid: str, partner_id: str, campaign: dict[str, Any], setup: dict[str, Any]
) -> dict[str, Any]:
    """A campaign document: the triple, its cid, and the creative/targeting of its setup entry."""
    tc, run = campaign["tc"], int(campaign["tc_run_id"])

    def entry(kind: str) -> dict[str, Any]:
        for item in setup.get(kind) or []:
            if item.get("tc") == tc and int(item.get("tc_run_id", -1)) == run:
                return {k: v for k, v in item.items() if k not in ("tc", "tc_run_id")}
        return {}

    creative = entry("creatives")
    targeting = entry("targeting")
    return {
        "eid": eid,
        "tc": tc,
        "tc_run_id": run,
        "cid": f"{run}__{eid}__{tc}",
        "partner_id": partner_id,
        "status": campaign.get("status", "RUNNING"),
        "published": True,
        "budget": campaign.get("budget"),
        "end_date": campaign.get("end_date", setup.get("end_date")),
        "audience_id": campaign.get("audience_id"),
        "creative": {k: creative.get(k) for k in ("headline", "body", "media_url", "cta")},
        "targeting": {
            "geo": targeting.get("geo", []),
            "demographics": targeting.get("demographics", {}),
            "saved_audience_id": targeting.get("saved_audience_id"),
        },
        "suggested_creative": {"headline": f"Discover {tc}", "body": "Tickets available now"},
        "ignored_reason": None,
    }
