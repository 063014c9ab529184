"""The request pipeline shared by both hosts, as a Starlette application per host.

Order of evaluation (CONTRACT §2 and §5): route (404 / 405 with ``Allow``) → token (401) → partner
header (400 / 403) → request validation against the spec (400) → handler (object ownership 404,
state 404/409, …). Every failure leaves as the error envelope; an unexpected exception is a 500
envelope (and a bug: the suite's own self-test asserts it never happens).
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from conformance.reference import replies
from conformance.reference.context import Ctx, Route, Services
from conformance.reference.replies import ApiError, Reply

LOG = logging.getLogger("conformance.reference")
PARTNER_HEADER = "x-preferred-partner-id"
SKIP_HEADER_PARAMS = frozenset({"authorization", PARTNER_HEADER, "content-type", "accept"})


class Dispatcher:
    """Routes, authenticates, scopes and validates requests of one host, then calls a handler."""

    def __init__(self, host: str, svc: Services, routes: dict[str, list[Route]]) -> None:
        self.host = host
        self.svc = svc
        # surface -> routes, after the routing hook point (HST defects add or drop routes here)
        # Literal segments win over parameters (/events/statistics before /events/{eid}).
        self.routes = {
            surface: sorted(
                svc.hooks.routing.routes(surface, list(found)),
                key=lambda r: (r.template.count("{"), r.template),
            )
            for surface, found in routes.items()
        }

    def surface_of(self, path: str) -> tuple[str, str] | None:
        if self.host == "main":
            if path == "/api/v3" or path.startswith("/api/v3/"):
                return "main", path[len("/api/v3") :]
            if path.startswith("/api/"):
                return "media", path[len("/api") :]
            return None
        if path.startswith("/api/"):
            return "cr", path[len("/api") :]
        return None

    @staticmethod
    def _match(template: str, segments: list[str]) -> dict[str, str] | None:
        parts = template.split("/")
        if len(parts) != len(segments):
            return None
        params: dict[str, str] = {}
        for part, segment in zip(parts, segments, strict=True):
            if part.startswith("{") and part.endswith("}"):
                if segment == "":
                    return None
                params[part[1:-1]] = segment
            elif part != segment:
                return None
        return params

    def resolve(self, method: str, path: str) -> tuple[Route, dict[str, str], str] | ApiError | Reply:
        located = self.surface_of(path)
        if located is None:
            return self.svc.hooks.errors.unknown_route(self.host, path)
        surface, rel = located
        try:
            segments = [unquote(s, errors="strict") for s in rel.split("/")]
        except UnicodeDecodeError:
            return self.svc.hooks.errors.unknown_route(self.host, path)
        # The most specific template wins (literal segments before parameters): its methods are the
        # resource's methods, so /setup_processes/event_types is not also /setup_processes/{eid}.
        template: str | None = None
        allowed: list[str] = []
        for route in self.routes.get(surface, []):
            if template is not None and route.template != template:
                continue
            params = self._match(route.template, segments)
            if params is None:
                continue
            template = route.template
            if route.method == method or (method == "HEAD" and route.method == "GET"):
                return route, params, rel
            allowed.append(route.method)
        if allowed:
            if "GET" in allowed:
                allowed.append("HEAD")
            return ApiError(
                405,
                "error.route.method_not_allowed",
                "METHOD_NOT_ALLOWED",
                headers={"Allow": ", ".join(sorted(set(allowed)))},
            )
        return self.svc.hooks.errors.unknown_route(self.host, path)

    async def handle(self, request: Request) -> Response:
        method = request.method.upper()
        raw_path = request.scope.get("raw_path") or request.scope["path"].encode()
        path = raw_path.decode("latin-1").split("?", 1)[0]
        self.svc.log.add(self.host, method, unquote(path))
        try:
            resolved = self.resolve(method, path)
            if isinstance(resolved, (ApiError, Reply)):
                return self.render(resolved, method)
            route, params, rel = resolved
            ctx = await self.context(request, route, params, rel)
            self.svc.hooks.errors.before_handler(ctx)
            reply = await run_in_threadpool(route.handler, ctx)
            return self.render(self.svc.hooks.render.answer(ctx, reply), method)
        except ApiError as error:
            return self.render(self.svc.hooks.errors.answer_error(error), method)
        except Exception:
            LOG.exception("reference handler crashed on %s %s", method, path)
            return self.render(ApiError(500, "error.internal.server_error", "INTERNAL_ERROR"), method)

    async def context(self, request: Request, route: Route, params: dict[str, str], rel: str) -> Ctx:
        headers = {k.lower(): v for k, v in request.headers.items()}
        query = parse_qsl(request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        ctx = Ctx(
            svc=self.svc,
            route=route,
            host=self.host,
            path=rel,
            params=params,
            query=query,
            args={},
            headers=headers,
        )
        hooks = self.svc.hooks
        if route.auth:
            ctx.user = hooks.tokens.authenticate(self.svc, self.host, headers.get("authorization"))
            ctx.partner = hooks.tenancy.scope(self.svc, self.host, ctx.user, headers.get(PARTNER_HEADER))
        await self.validate(ctx, request)
        return ctx

    async def validate(self, ctx: Ctx, request: Request) -> None:
        route = ctx.route
        errors: list[dict[str, Any]] = []
        if self.svc.hooks.validation.reject_bracket_arrays(route):
            brackets = sorted({k for k, _ in ctx.query if "[" in k or "]" in k})
            if brackets:
                raise replies.invalid(
                    [
                        replies.field_error(
                            f"query.{k}",
                            "array_style",
                            "repeat the parameter (a=1&a=2); bracket arrays are not accepted",
                        )
                        for k in brackets
                    ],
                    message="error.request.bracket_array",
                    code="BRACKET_ARRAY",
                )
        op = self.svc.specs.operation(route.surface, route.method, route.template)
        if op is not None:
            names = [p[1:-1] for p in route.template.split("/") if p.startswith("{")]
            spec_names = [p[1:-1] for p in op.path.split("/") if p.startswith("{")]
            path_values = dict(zip(spec_names, (ctx.params[n] for n in names), strict=False))
            for param in op.params:
                if param.location == "path" and param.name in path_values:
                    value, errs = self.svc.specs.coerce(op, param, [path_values[param.name]])
                    errors += errs
                elif param.location == "query" and self.svc.hooks.validation.check_query(route):
                    values = ctx.arg_list(param.name)
                    if not values:
                        if param.required:
                            errors.append(
                                replies.field_error(
                                    f"query.{param.name}",
                                    "required",
                                    f"query parameter {param.name} is required",
                                )
                            )
                        continue
                    value, errs = self.svc.specs.coerce(op, param, values)
                    errors += errs
                    if not errs:
                        ctx.args[param.name] = value
                elif param.location == "header" and param.name.lower() not in SKIP_HEADER_PARAMS:
                    header = ctx.headers.get(param.name.lower())
                    if header is None:
                        if param.required:
                            errors.append(
                                replies.field_error(
                                    f"header.{param.name}", "required", f"header {param.name} is required"
                                )
                            )
                        continue
                    errors += self.svc.specs.coerce(op, param, [header])[1]
        if errors:
            raise replies.invalid(errors)
        await self.read_body(ctx, request, op)

    async def read_body(self, ctx: Ctx, request: Request, op: Any) -> None:
        route = ctx.route
        content_type = ctx.headers.get("content-type", "").split(";")[0].strip().lower()
        raw = await request.body()
        if route.body == "multipart":
            if not content_type.startswith("multipart/form-data"):
                raise replies.invalid(
                    [
                        replies.field_error(
                            "body", "content_type", "send multipart/form-data with a `file` field"
                        )
                    ]
                )
            try:
                form = await request.form()
            except Exception as exc:  # malformed multipart: the client's problem, not a 5xx
                raise replies.invalid([replies.field_error("body", "multipart", str(exc)[:200])]) from exc
            for name, value in form.multi_items():
                if isinstance(value, str):
                    ctx.form[name] = value
                else:
                    ctx.files[name] = (value.filename or "", value.content_type or "", await value.read())
            await form.close()
            return
        if route.body == "none" or not raw.strip():
            if op is not None and op.body_required and route.body == "json":
                raise replies.invalid([replies.field_error("body", "required", "a JSON body is required")])
            return
        if content_type and "json" not in content_type:
            raise replies.invalid(
                [replies.field_error("body", "content_type", f"send application/json, not {content_type}")]
            )
        try:
            ctx.body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise replies.invalid(
                [replies.field_error("body", "json", f"malformed JSON: {exc}"[:200])],
                message="error.request.malformed_json",
                code="MALFORMED_JSON",
            ) from exc
        if op is not None and self.svc.hooks.validation.check_body(route):
            pointer = op.body.get("application/json") or next(
                (p for t, p in op.body.items() if "json" in t), None
            )
            if pointer:
                errors = self.svc.specs.errors(op, pointer, ctx.body, "body")
                if errors:
                    raise replies.invalid(errors)

    @staticmethod
    def render(result: Reply | ApiError, method: str) -> Response:
        request_id = uuid.uuid4().hex
        if isinstance(result, ApiError):
            headers = {**result.headers, "x-request-id": request_id}
            if method == "HEAD":
                return Response(status_code=result.status, headers=headers, media_type="application/json")
            return JSONResponse(result.body(), status_code=result.status, headers=headers)
        headers = {**result.headers, "x-request-id": request_id}
        if result.body is None or method == "HEAD" or result.status == 204:
            return Response(
                status_code=result.status,
                headers=headers,
                media_type=None if result.status == 204 else result.media_type,
            )
        if result.media_type != "application/json":
            content = result.body if isinstance(result.body, (str, bytes)) else str(result.body)
            return Response(content, status_code=result.status, headers=headers, media_type=result.media_type)
        return JSONResponse(result.body, status_code=result.status, headers=headers)


class HostApp:
    """The ASGI application of one host: Starlette requests and responses around the dispatcher.

    Deliberately not a Starlette router: its path patterns do not match every percent-decoded path
    (a ``%0A`` in an id would get a plain-text 404), and routing here must follow the specs.
    """

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan is off; websockets are not part of the API
            return
        response = await self.dispatcher.handle(Request(scope, receive))
        await response(scope, receive, send)


def build_app(host: str, svc: Services, routes: dict[str, list[Route]]) -> HostApp:
    """The ASGI application of one host (``main`` serves /api/v3 and /api/media; ``cr`` /api)."""
    return HostApp(Dispatcher(host, svc, routes))
