"""Defects of object ownership, cluster runs and campaign ids (OBJ, RUN, CID)."""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Any

from conformance.reference import hooks as h
from conformance.reference.defects.registry import defect
from conformance.reference.replies import ApiError
from conformance.reference.store import campaign_doc

if TYPE_CHECKING:
    from conformance.reference.context import Ctx
    from conformance.reference.store import Store


# -- OBJ -------------------------------------------------------------------------------------------
@defect
class ForeignEidReadable(h.AccessPolicy):
    """Main host: reads under /events/{eid}/… serve another partner's event."""

    name, rule = "obj-foreign-eid-readable", "OBJ-01"

    def event(self, ctx: Ctx, eid: str, via: h.Via) -> dict[str, Any]:
        row = ctx.svc.store.event_row(eid)
        if row is not None and via == "read" and ctx.host == "main":
            return row[1]
        return super().event(ctx, eid, via)


@defect
class ForeignWrite(h.AccessPolicy):
    """Main host: writes to another partner's eid in the path are carried out."""

    name, rule = "obj-foreign-write", "OBJ-02"

    def event(self, ctx: Ctx, eid: str, via: h.Via) -> dict[str, Any]:
        row = ctx.svc.store.event_row(eid)
        if row is not None and via == "write" and ctx.host == "main":
            return row[1]
        return super().event(ctx, eid, via)


@defect
class BodyEidUnscoped(h.AccessPolicy):
    """Eids in request bodies and query strings are not checked against the scoped partner."""

    name, rule = "obj-body-eid-unscoped", "OBJ-03"

    def event(self, ctx: Ctx, eid: str, via: h.Via) -> dict[str, Any]:
        row = ctx.svc.store.event_row(eid)
        if row is not None and via in ("body", "query"):
            return row[1]
        return super().event(ctx, eid, via)


@defect
class Foreign404Oracle(h.AccessPolicy):
    """Main host: another partner's object is 404 with another body than a never-existing id (an oracle)."""

    name, rule = "obj-foreign-404-oracle", "OBJ-04"

    def missing(self, ctx: Ctx, area: str, *, foreign: bool) -> ApiError:
        if foreign and ctx.host == "main":
            return ApiError(404, f"error.{area}.not_owned", f"{area.upper()}_NOT_OWNED")
        return super().missing(ctx, area, foreign=foreign)


@defect
class ParentChildIgnored(h.AccessPolicy):
    """Per-campaign paths accept a (tc, tc_run_id) of any of the partner's events, ignoring the eid."""

    name, rule = "obj-parent-child-ignored", "OBJ-05"

    def campaign(self, ctx: Ctx, eid: str, tc: str, run: int) -> dict[str, Any]:
        found = ctx.svc.store.campaign(eid, tc, run)
        if found is None:
            owned = ctx.svc.store.rows("SELECT eid FROM events WHERE partner_id = ?", (ctx.partner,))
            if any(c["tc"] == tc for r in owned for c in ctx.svc.store.clusters(r["eid"], run)):
                seed = {"tc": tc, "tc_run_id": run, "status": "RUNNING"}
                return campaign_doc(eid, ctx.partner, seed, {})
        return super().campaign(ctx, eid, tc, run)


# -- RUN -------------------------------------------------------------------------------------------
@defect
class EncodedTcUnresolved(h.AccessPolicy):
    """Per-campaign paths resolve only slug-like tc labels: a tc that needs percent-encoding is 404."""

    name, rule = "run-encoded-tc-unresolved", "RUN-01"

    def campaign(self, ctx: Ctx, eid: str, tc: str, run: int) -> dict[str, Any]:
        if urllib.parse.quote(tc, safe="") != tc:
            raise self.missing(ctx, "campaign", foreign=False)
        return super().campaign(ctx, eid, tc, run)


@defect
class RefreshSameId(h.RunPolicy):
    """A refresh recomputes the clusters in place, keeping the current tc_run_id."""

    name, rule = "run-refresh-same-id", "RUN-02"

    def next_run(self, store: Store, eid: str) -> int:
        runs = store.runs(eid)
        return runs[-1] if runs else super().next_run(store, eid)


@defect
class MigrateCampaigns(h.RunPolicy):
    """A refresh silently moves the event's campaigns and draft to the new run."""

    name, rule = "run-migrate-campaigns", "RUN-03"

    def after_refresh(self, store: Store, eid: str, old: int | None, new: int) -> None:
        import json

        for campaign in store.campaigns(eid):
            store.run(
                "UPDATE campaigns SET tc_run_id = ?, doc = ? WHERE eid = ? AND tc = ? AND tc_run_id = ?",
                (new, json.dumps({**campaign, "tc_run_id": new}), eid, campaign["tc"], campaign["tc_run_id"]),
            )
        found = store.setup(eid)
        if found is not None:
            published, doc = found
            for kind in ("creatives", "targeting", "integration_details"):
                doc[kind] = [{**e, "tc_run_id": new} for e in doc.get(kind) or []]
            owner = store.event_row(eid)
            store.save_setup(eid, owner[0] if owner else "", doc, published)


# -- CID -------------------------------------------------------------------------------------------
@defect
class ForeignEventCampaigns(h.ListPolicy):
    """An event's campaign list also shows the campaigns of the partner's unrelated (non-series) events."""

    name, rule = "cid-foreign-event-campaigns", "CID-01"

    def event_campaigns(self, ctx: Ctx, event: dict[str, Any]) -> list[dict[str, Any]]:
        own = super().event_campaigns(ctx, event)
        if event.get("simulated"):
            return own
        related = {event["id"], *(event.get("campaign_event_series") or [])}
        rows = ctx.svc.store.rows("SELECT eid FROM events WHERE partner_id = ? ORDER BY seq", (ctx.partner,))
        others = [c for r in rows if r["eid"] not in related for c in ctx.svc.store.campaigns(r["eid"])]
        return own + others


@defect
class DuplicateOnReboost(h.WavePolicy):
    """A repeated boost answers 409 but has inserted the setup's campaigns again (one more per triple)."""

    name, rule = "cid-duplicate-on-reboost", "CID-02"

    def guard_boost(
        self, store: Store, eid: str, partner: str, state: h.SetupState, setup: dict[str, Any]
    ) -> None:
        if state == "published":  # the side effect happens before the state check refuses
            for tc, run in self.boost_plan(store, eid, setup):
                store.insert_campaign(
                    eid, partner, campaign_doc(eid, partner, {"tc": tc, "tc_run_id": run}, setup)
                )
        super().guard_boost(store, eid, partner, state, setup)


@defect
class CompositeMismatch(h.RenderPolicy):
    """The campaign `cid` field uses single underscores, so it differs from {tc_run_id}__{eid}__{tc}."""

    name, rule = "cid-composite-mismatch", "CID-03"

    def campaign(self, doc: dict[str, Any]) -> dict[str, Any]:
        out = super().campaign(doc)
        out["cid"] = f"{doc['tc_run_id']}_{doc['eid']}_{doc['tc']}"
        return out
