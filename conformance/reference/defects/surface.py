"""Defects of the setup process, hosts, errors, pagination and schemas (WAV, HST, ERR, PAG, SCH)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from conformance.reference import hooks as h
from conformance.reference.defects.registry import defect
from conformance.reference.replies import ApiError, Reply

if TYPE_CHECKING:
    from conformance.reference.context import Ctx, Route, Services
    from conformance.reference.identity import User
    from conformance.reference.store import Store


# -- WAV -------------------------------------------------------------------------------------------
@defect
class PutAfterPublish(h.WavePolicy):
    """PUT /setup_processes/{eid} edits a published (frozen) setup."""

    name, rule = "wav-put-after-publish", "WAV-01"

    def check(self, action: h.WaveAction, state: h.SetupState) -> None:
        if action == "replace" and state == "published":
            return
        super().check(action, state)


@defect
class BoostExtraCampaign(h.WavePolicy):
    """Boost creates a campaign for every cluster of the run, not only the setup's."""

    name, rule = "wav-boost-extra-campaign", "WAV-02"

    def boost_plan(self, store: Store, eid: str, setup: dict[str, Any]) -> list[tuple[str, int]]:
        plan = super().boost_plan(store, eid, setup)
        runs = {run for _, run in plan}
        extra = [(c["tc"], run) for run in sorted(runs) for c in store.clusters(eid, run)]
        return list(dict.fromkeys([*plan, *extra]))


# -- HST -------------------------------------------------------------------------------------------
@defect
class CrRouteOnMain(h.RoutePolicy):
    """The main host also serves the CR-only PUT /events/last_updated_on_fe/{eid}."""

    name, rule = "hst-cr-route-on-main", "HST-01"

    def routes(self, surface: str, routes: list[Route]) -> list[Route]:
        from conformance.reference.context import Route as RouteRecord
        from conformance.reference.handlers import cr

        found = super().routes(surface, routes)
        if surface == "main":
            found = [
                *found,
                RouteRecord("main", "PUT", "/events/last_updated_on_fe/{eid}", cr.last_updated_on_fe),
            ]
        return found


@defect
class MediaUnderV3(h.RoutePolicy):
    """POST /media is also served under /api/v3."""

    name, rule = "hst-media-under-v3", "HST-01"

    def routes(self, surface: str, routes: list[Route]) -> list[Route]:
        from conformance.reference.context import Route as RouteRecord
        from conformance.reference.handlers import media

        found = super().routes(surface, routes)
        if surface == "main":
            found = [*found, RouteRecord("main", "POST", "/media", media.upload, body="multipart")]
        return found


@defect
class CrForeignHeader(h.TenancyPolicy):
    """CR host: a header naming any existing partner is accepted and switches the scope to it."""

    name, rule = "hst-cr-foreign-header", "HST-02"

    def scope(self, svc: Services, host: str, user: User, header: str | None) -> str:
        if host == "cr" and header is not None and svc.store.partner(header) is not None:
            return header
        return super().scope(svc, host, user, header)


# -- ERR / PAG / SCH -------------------------------------------------------------------------------
@defect
class PlainText404(h.ErrorPolicy):
    """Unknown routes answer 404 as text/plain `Not Found`."""

    name, rule = "err-plain-text-404", "ERR-01"

    def unknown_route(self, host: str, path: str) -> Reply | ApiError:
        return Reply(404, "Not Found", media_type="text/plain")


@defect
class BareValidationError(h.ErrorPolicy):
    """Validation errors (400 error.request.invalid) answer a bare `{"detail": …}` without the envelope."""

    name, rule = "err-validation-bare", "ERR-01"

    def answer_error(self, error: ApiError) -> Reply | ApiError:
        if error.status == 400 and error.message == "error.request.invalid":
            return Reply(400, {"detail": "invalid request"})
        return super().answer_error(error)


@defect
class PagesFloor(h.ListPolicy):
    """`pages` is floor(total / limit): the last partial page is not counted."""

    name, rule = "pag-pages-floor", "PAG-01"

    def envelope(self, items: list[Any], total: int, page: int, limit: int) -> dict[str, Any]:
        out = super().envelope(items, total, page, limit)
        out["pages"] = total // limit
        out["nextPage"] = page + 1 if page < out["pages"] else None
        return out


@defect
class BracketAccepted(h.ValidationPolicy):
    """Bracket-style arrays (city[]=A) are accepted (ignored)."""

    name, rule = "pag-bracket-accepted", "PAG-01"

    def reject_bracket_arrays(self, route: Route) -> bool:
        return False


@defect
class NonAsciiQuery500(h.ErrorPolicy):
    """GET /events/ with a non-ASCII character in q is a 500 (the search encodes q as ASCII)."""

    name, rule = "sch-500-on-non-ascii-query", "SCH-01"

    def before_handler(self, ctx: Ctx) -> None:
        if ctx.route.template in ("/events/", "/events"):
            str(ctx.arg("q") or ctx.arg("search") or "").encode("ascii")  # UnicodeEncodeError → 500
        super().before_handler(ctx)


@defect
class LongQuery500(h.ErrorPolicy):
    """GET /events/ with a q longer than 1,024 characters is a 500 (the search index's key limit): only
    a deliberate edge value reaches it, random generation at the default example count does not."""

    name, rule = "sch-500-on-long-query", "SCH-01"

    def before_handler(self, ctx: Ctx) -> None:
        if ctx.route.template in ("/events/", "/events") and len(str(ctx.arg("q") or "")) > 1024:
            raise RuntimeError("search key longer than the index allows")  # → 500
        super().before_handler(ctx)


@defect
class StatisticsTypes(h.RenderPolicy):
    """GET /events/statistics returns its numbers as strings."""

    name, rule = "sch-statistics-types", "SCH-02"

    def statistics(self, stats: dict[str, Any]) -> dict[str, Any]:
        return {
            k: (str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
            for k, v in super().statistics(stats).items()
        }


@defect
class AcceptInvalidQuery(h.ValidationPolicy):
    """GET /events/ skips the spec's checks of its query (e.g. frontend_status=PINNED is accepted)."""

    name, rule = "sch-accept-invalid-query", "SCH-03"

    def check_query(self, route: Route) -> bool:
        return route.template != "/events/" and super().check_query(route)
