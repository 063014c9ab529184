"""Starvation conditions: a deployment that is not wrong on any rule's probe, but gives some rules
nothing to judge (an owner that gets 404 on its own events, a tenant without events, a boost that never
succeeds, ...). A rule they starve must end *partial* or *not run*, never *passed*; the suite's
self-test runs each one (``tests/test_selftests.py``) and ``docs/defects.md`` lists them.

They name the reference dataset's tenants: ``partner-id-acme`` (persona ``primary``) and
``partner-id-beta`` (persona ``other``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.reference import hooks as h
from conformance.reference.defects.registry import starvation
from conformance.reference.replies import ApiError, not_found

if TYPE_CHECKING:
    from conformance.reference.context import Ctx
    from conformance.reference.store import Store

PRIMARY_TENANT = "partner-id-acme"
OTHER_TENANT = "partner-id-beta"


@starvation
class ForeignOwnerGets404(h.ErrorPolicy):
    """The other tenant gets 404 on every read of its own events by id (routes missing for it), both
    hosts: no foreign-id probe has a positive control."""

    name, starves = "starve-foreign-owner-404", ("OBJ-01", "OBJ-03", "OBJ-04", "HST-02")

    def before_handler(self, ctx: Ctx) -> None:
        route = ctx.route
        if ctx.partner == OTHER_TENANT and route.method == "GET" and "eid" in ctx.params:
            raise not_found("event")
        if ctx.partner == OTHER_TENANT and route.method == "GET" and ctx.arg("eid") is not None:
            raise not_found("event")
        super().before_handler(ctx)


@starvation
class NoForeignEvents(h.ListPolicy):
    """The other tenant lists no events and no messages: there is no foreign object to attack."""

    name, starves = "starve-no-foreign-events", ("OBJ-02", "TEN-04")

    def owners(self, ctx: Ctx, resource: str, page: int) -> list[str]:
        if ctx.partner == OTHER_TENANT:
            return []
        return super().owners(ctx, resource, page)


@starvation
class NoPrimaryEvents(h.ListPolicy):
    """The primary tenant lists no events: nothing of its own to discover, probe or compare."""

    name, starves = "starve-no-primary-events", (
        "AUTH-01", "TEN-01", "TEN-02", "TEN-03", "OBJ-05", "RUN-01", "CID-01", "CID-03", "HST-01",
        "ERR-01", "PAG-01",
    )

    def owners(self, ctx: Ctx, resource: str, page: int) -> list[str]:
        if resource == "events" and ctx.partner == PRIMARY_TENANT:
            return []
        return super().owners(ctx, resource, page)


@starvation
class BoostRefused(h.WavePolicy):
    """Boost never succeeds: every draft is refused 400 error.campaign.setup_invalid."""

    name, starves = "starve-boost-refused", ("CID-02", "RUN-03")

    def guard_boost(
        self, store: Store, eid: str, partner: str, state: h.SetupState, setup: dict[str, Any]
    ) -> None:
        super().guard_boost(store, eid, partner, state, setup)
        raise ApiError(400, "error.campaign.setup_invalid", "SETUP_INVALID")


@starvation
class RepeatSignInChallenged(h.TokenPolicy):
    """A sign-in quota: a user's first sign-in gets tokens, later ones an SMS_MFA challenge (a device
    check). An fdconf run signs each persona in once (pre-flight; the session reuses its tokens), so
    the suite's own sign-in probe meets the challenge."""

    name, starves = "starve-repeat-sign-in-challenged", ("AUTH-02",)
    QUOTA = 1

    def __init__(self) -> None:
        self.count: dict[str, int] = {}

    def sign_in_answer(self, username: str, answer: dict[str, Any]) -> dict[str, Any]:
        if answer.get("AuthenticationResult"):
            self.count[username] = self.count.get(username, 0) + 1
            if self.count[username] > self.QUOTA:
                return {"ChallengeName": "SMS_MFA", "Session": "fdconf-starved", "ChallengeParameters": {}}
        return super().sign_in_answer(username, answer)


@starvation
class PartnerRecordWithoutPartnerId(h.RenderPolicy):
    """GET /partners/ names the partner only by its numeric client id (no partner id in the record)."""

    name, starves = "starve-partner-record-numeric-id", ("TEN-05",)

    def partner(self, ctx: Ctx) -> dict[str, Any]:
        doc = {k: v for k, v in super().partner(ctx).items() if k not in ("id", "partner_id")}
        return {**doc, "id": doc.get("client_id", 0)}


@starvation
class NoSandboxEvents(h.ErrorPolicy):
    """The CR host refuses creating simulation events (403): write mode has no sandbox event."""

    name, starves = "starve-no-sandbox", ("AUTH-01", "RUN-02", "RUN-03", "WAV-01", "WAV-02")

    def before_handler(self, ctx: Ctx) -> None:
        if ctx.host == "cr" and ctx.route.method == "POST" and ctx.route.template == "/events/":
            raise ApiError(403, "error.auth.not_authorized", "NOT_AUTHORIZED")
        super().before_handler(ctx)


@starvation
class OwnerEventReadsMissing(h.ErrorPolicy):
    """The primary tenant gets 404 on every read below one of its own events (``GET /events/{eid}/…``,
    per-campaign reads, both hosts), although its event list shows them: routes missing for the owner,
    so no fuzz case of those reads reaches a real object."""

    name, starves = "starve-owner-event-reads-404", ("SCH-01", "SCH-02", "SCH-03")

    def before_handler(self, ctx: Ctx) -> None:
        if ctx.partner == PRIMARY_TENANT and ctx.route.method == "GET" and "eid" in ctx.params:
            raise not_found("event")
        super().before_handler(ctx)


@starvation
class TestToolRefused(h.ErrorPolicy):
    """A gateway in front of the API refuses every authenticated request of a test tool (User-Agent
    ``schemathesis/…``) with 403 before the application sees it: the fuzz phase judges only the
    gateway's refusals."""

    name, starves = "starve-test-tool-refused", ("SCH-01", "SCH-02", "SCH-03")

    def before_handler(self, ctx: Ctx) -> None:
        agent = ctx.headers.get("user-agent", "")
        if agent.startswith("schemathesis/") and ctx.headers.get("authorization"):
            raise ApiError(403, "error.auth.not_authorized", "NOT_AUTHORIZED")
        super().before_handler(ctx)


@starvation
class NoForeignSandbox(h.ErrorPolicy):
    """The CR host refuses creating simulation events for the other tenant only (403); the primary
    tenant's sandbox, and so every write control, still works. On a deployment OBJ-02 attacks only a
    sandbox event of persona `other`: with none, no foreign write is judged."""

    name, starves, deployment = "starve-foreign-sandbox-refused", ("OBJ-02", "HST-02"), True

    def before_handler(self, ctx: Ctx) -> None:
        if (ctx.host == "cr" and ctx.partner == OTHER_TENANT and ctx.route.method == "POST"
                and ctx.route.template == "/events/"):
            raise ApiError(403, "error.auth.not_authorized", "NOT_AUTHORIZED")
        super().before_handler(ctx)
