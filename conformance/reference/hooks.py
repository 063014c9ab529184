"""The named hook points of the reference, with their clean (contract-conforming) behaviour.

Handlers and the request pipeline reach every decision a defect may want to change through one of
these small policy objects (``ctx.svc.hooks.<point>.<method>``). The clean code path therefore holds
no defect branches; ``defects.py`` builds subclasses that override exactly one method and calls
``super()`` for every case it does not break. Several defects on the same point compose by multiple
inheritance (see :func:`conformance.reference.defects.build_hooks`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from conformance.reference import replies
from conformance.reference.replies import ApiError, Reply

if TYPE_CHECKING:
    from conformance.reference.context import Ctx, Route, Services
    from conformance.reference.identity import User
    from conformance.reference.store import Store

Via = Literal["read", "write", "body", "query"]
SetupState = Literal["none", "draft", "published"]
WaveAction = Literal["get", "create", "replace", "delete", "boost", "edit"]


class TokenPolicy:
    """AUTH: bearer-token authentication and the refresh answer."""

    def authenticate(self, svc: Services, host: str, authorization: str | None) -> User:
        from conformance.reference.identity import InvalidToken

        if not authorization:
            raise replies.unauthenticated("missing")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise replies.unauthenticated("invalid")
        try:
            return svc.verifier.verify(token.strip(), verify_exp=self.check_expiry(host))
        except InvalidToken as exc:
            raise replies.unauthenticated("expired" if "expired" in str(exc) else "invalid") from exc

    def check_expiry(self, host: str) -> bool:
        return True

    def sign_in_answer(self, username: str, answer: dict[str, Any]) -> dict[str, Any]:
        """The Cognito answer of a sign-in as ``POST /auth`` passes it on (clean: unchanged)."""
        return answer

    def refresh_answer(self, sent_token: str, result: dict[str, Any]) -> dict[str, Any]:
        """CONTRACT §2: the refresh token does not rotate, so the answer carries none."""
        return {
            "AccessToken": result["AccessToken"],
            "IdToken": result["IdToken"],
            "TokenType": result.get("TokenType", "Bearer"),
            "ExpiresIn": int(result.get("ExpiresIn", 3600)),
        }


class TenancyPolicy:
    """TEN: which partner a request is scoped to (CONTRACT §2), on both hosts."""

    def scope(self, svc: Services, host: str, user: User, header: str | None) -> str:
        partners = user.partners
        if header is None:
            if len(partners) == 1:
                return partners[0]
            if len(partners) > 1:
                raise replies.header_required()
            raise replies.not_authorized()
        if header not in partners:
            raise replies.not_authorized()
        return header


class AccessPolicy:
    """OBJ: the single ownership gate for events and the parent/child gate for campaigns."""

    def event(self, ctx: Ctx, eid: str, via: Via) -> dict[str, Any]:
        row = ctx.svc.store.event_row(eid)
        if row is None or row[0] != ctx.partner:
            raise self.missing(ctx, "event", foreign=row is not None)
        return row[1]

    def missing(self, ctx: Ctx, area: str, *, foreign: bool) -> ApiError:
        """A foreign object answers exactly like one that never existed (no existence oracle)."""
        return replies.not_found(area)

    def campaign(self, ctx: Ctx, eid: str, tc: str, run: int) -> dict[str, Any]:
        found = ctx.svc.store.campaign(eid, tc, run)
        if found is None:
            raise self.missing(ctx, "campaign", foreign=False)
        return found


class ListPolicy:
    """TEN-04 / PAG-01: whose rows a page may hold, and the page envelope."""

    def owners(self, ctx: Ctx, resource: str, page: int) -> list[str]:
        return [ctx.partner]

    def event_campaigns(self, ctx: Ctx, event: dict[str, Any]) -> list[dict[str, Any]]:
        """The campaigns an event's list shows: its own (series members' stay on their own events)."""
        return ctx.svc.store.campaigns(event["id"])

    def envelope(self, items: list[Any], total: int, page: int, limit: int) -> dict[str, Any]:
        pages = math.ceil(total / limit) if total else 0
        return {
            "total": total,
            "limit": limit,
            "page": page,
            "pages": pages,
            "nextPage": page + 1 if page < pages else None,
            "prevPage": page - 1 if page > 1 else None,
            "items": items,
        }


class RunPolicy:
    """RUN: issuing a new cluster run on refresh, and what happens to existing work."""

    def next_run(self, store: Store, eid: str) -> int:
        return store.next_value("tc_run_id")

    def after_refresh(self, store: Store, eid: str, old: int | None, new: int) -> None:
        """Nothing migrates (CONTRACT §3): campaigns and drafts keep the run they were built on."""


class WavePolicy:
    """WAV / CID-02: the setup-process state table and what boost and edits create."""

    TABLE: dict[WaveAction, dict[SetupState, int | None]] = {
        # None = allowed; an int = the refusal status of CONTRACT §4
        "get": {"none": 404, "draft": None, "published": None},
        "create": {"none": None, "draft": 409, "published": 409},
        "replace": {"none": 404, "draft": None, "published": 409},
        "delete": {"none": 404, "draft": None, "published": 409},
        "boost": {"none": 404, "draft": None, "published": 409},
        "edit": {"none": 404, "draft": 404, "published": None},
    }

    def check(self, action: WaveAction, state: SetupState) -> None:
        status = self.TABLE[action][state]
        if status == 404:
            raise replies.not_found("setup_process" if action != "edit" else "campaign")
        if status == 409:
            key = "already_exists" if action == "create" else "published"
            raise replies.conflict("setup_process", key)

    def guard_boost(
        self, store: Store, eid: str, partner: str, state: SetupState, setup: dict[str, Any]
    ) -> None:
        """The state-table guard of boost (404 before a draft, 409 once published), before any write."""
        self.check("boost", state)

    def boost_plan(self, store: Store, eid: str, setup: dict[str, Any]) -> list[tuple[str, int]]:
        """Exactly one campaign per distinct ``(tc, tc_run_id)`` of the setup's creatives."""
        seen: dict[tuple[str, int], None] = {}
        for creative in setup.get("creatives") or []:
            seen.setdefault((str(creative["tc"]), int(creative["tc_run_id"])), None)
        return list(seen)

    def save_edit(self, store: Store, eid: str, partner: str, campaign: dict[str, Any]) -> None:
        store.update_campaign(eid, campaign["tc"], int(campaign["tc_run_id"]), campaign)


class RenderPolicy:
    """SCH / CID / TEN-05: how stored documents become response bodies."""

    def campaign(self, doc: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in doc.items() if k != "partner_id"}
        out["cid"] = f"{doc['tc_run_id']}__{doc['eid']}__{doc['tc']}"
        return out

    def partner(self, ctx: Ctx) -> dict[str, Any]:
        doc = ctx.svc.store.partner(ctx.partner)
        assert doc is not None, "scoped partners always exist"
        return doc

    def statistics(self, stats: dict[str, Any]) -> dict[str, Any]:
        return stats

    def answer(self, ctx: Ctx, reply: Reply) -> Reply:
        """Every handler's successful reply on its way out. Clean: as it is."""
        return reply


class RoutePolicy:
    """HST: which operations each surface serves."""

    def routes(self, surface: str, routes: list[Route]) -> list[Route]:
        return routes


class ValidationPolicy:
    """SCH-03 / PAG-01: which request checks run (all of them, when clean)."""

    def check_body(self, route: Route) -> bool:
        return True

    def check_query(self, route: Route) -> bool:
        return True

    def reject_bracket_arrays(self, route: Route) -> bool:
        return True


class ErrorPolicy:
    """ERR / SCH-01: unknown routes, and a guard that runs before every handler."""

    def unknown_route(self, host: str, path: str) -> Reply | ApiError:
        return replies.not_found("route")

    def before_handler(self, ctx: Ctx) -> None:
        """Clean: nothing. Defects use it to fail in ways a real server might."""

    def answer_error(self, error: ApiError) -> Reply | ApiError:
        """How a raised error is answered. Clean: as itself (the error envelope)."""
        return error


@dataclass
class Hooks:
    """One instance of every hook point; ``defects.build_hooks`` swaps in defective subclasses."""

    tokens: TokenPolicy
    tenancy: TenancyPolicy
    access: AccessPolicy
    lists: ListPolicy
    runs: RunPolicy
    wave: WavePolicy
    render: RenderPolicy
    routing: RoutePolicy
    validation: ValidationPolicy
    errors: ErrorPolicy

    @classmethod
    def clean(cls) -> Hooks:
        return cls(
            TokenPolicy(),
            TenancyPolicy(),
            AccessPolicy(),
            ListPolicy(),
            RunPolicy(),
            WavePolicy(),
            RenderPolicy(),
            RoutePolicy(),
            ValidationPolicy(),
            ErrorPolicy(),
        )
