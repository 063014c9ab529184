"""Defects of identity and tenancy (AUTH, TEN)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.reference import hooks as h
from conformance.reference.defects.registry import defect

if TYPE_CHECKING:
    from conformance.reference.context import Ctx, Services
    from conformance.reference.identity import User


# -- AUTH ------------------------------------------------------------------------------------------
@defect
class AcceptExpired(h.TokenPolicy):
    """Main host: expired AccessTokens are accepted (no `exp` check)."""

    name, rule = "auth-accept-expired", "AUTH-01"

    def check_expiry(self, host: str) -> bool:
        return host != "main" and super().check_expiry(host)


@defect
class RefreshRotates(h.TokenPolicy):
    """POST /auth/refresh_token answers with a new RefreshToken (the refresh token rotates)."""

    name, rule = "auth-refresh-rotates", "AUTH-02"

    def refresh_answer(self, sent_token: str, result: dict[str, Any]) -> dict[str, Any]:
        return {
            **super().refresh_answer(sent_token, result),
            "RefreshToken": f"rotated-{sent_token[::-1][:24]}",
        }


# -- TEN -------------------------------------------------------------------------------------------
@defect
class MultiDefaultPartner(h.TenancyPolicy):
    """Main host: a multi-partner user without the header is scoped to one of its partners, not 400."""

    name, rule = "ten-multi-default-partner", "TEN-01"

    def scope(self, svc: Services, host: str, user: User, header: str | None) -> str:
        if host == "main" and header is None and len(user.partners) > 1:
            return sorted(user.partners)[0]
        return super().scope(svc, host, user, header)


@defect
class ImpliedDefaultTenant(h.TenancyPolicy):
    """Main host: a single-partner user without the header is scoped to a default tenant (last partner)."""

    name, rule = "ten-implied-default-tenant", "TEN-02"

    def scope(self, svc: Services, host: str, user: User, header: str | None) -> str:
        if host == "main" and header is None and len(user.partners) == 1:
            return svc.store.partner_ids()[-1]
        return super().scope(svc, host, user, header)


@defect
class ForeignHeaderAccepted(h.TenancyPolicy):
    """Main host: a header naming any existing partner is accepted and switches the scope to it."""

    name, rule = "ten-foreign-header-accepted", "TEN-03"

    def scope(self, svc: Services, host: str, user: User, header: str | None) -> str:
        if host == "main" and header is not None and svc.store.partner(header) is not None:
            return header
        return super().scope(svc, host, user, header)


@defect
class NoPartnerGetsDefaultTenant(h.TenancyPolicy):
    """Main host: a user with no partner (and no header) is scoped to the first partner instead of 403."""

    name, rule = "ten-no-partner-default-tenant", "TEN-03"

    def scope(self, svc: Services, host: str, user: User, header: str | None) -> str:
        if host == "main" and header is None and not user.partners:
            return svc.store.partner_ids()[0]
        return super().scope(svc, host, user, header)


@defect
class ListLeakPage2(h.ListPolicy):
    """GET /events/ pages 2+ include every partner's events."""

    name, rule = "ten-list-leak-page2", "TEN-04"

    def owners(self, ctx: Ctx, resource: str, page: int) -> list[str]:
        if resource == "events" and page >= 2:
            return ctx.svc.store.partner_ids()
        return super().owners(ctx, resource, page)


@defect
class PartnersWrongRecord(h.RenderPolicy):
    """GET /partners/ describes another of the user's partners, not the scoped one."""

    name, rule = "ten-partners-wrong-record", "TEN-05"

    def partner(self, ctx: Ctx) -> dict[str, Any]:
        others = sorted(p for p in (ctx.user.partners if ctx.user else ()) if p != ctx.partner)
        doc = ctx.svc.store.partner(others[0]) if others else None
        return doc if doc is not None else super().partner(ctx)
