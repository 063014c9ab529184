"""Natural-language queries: ids from a plain-text description."""

from __future__ import annotations

from conformance.reference import replies
from conformance.reference.context import Ctx
from conformance.reference.handlers.common import figure, route
from conformance.reference.replies import Reply


def nlq(ctx: Ctx) -> Reply:
    # The spec makes it required and non-blank (`pattern: \S`); its validation ran already.
    description = ctx.arg("description")
    if not isinstance(description, str) or not description:
        raise replies.invalid([replies.field_error("query.description", "required", "a description")])
    kind = ctx.arg("result_type") or "customer"
    return Reply(
        200,
        {
            "description": description,
            "result_type": kind,
            "ids": [f"{kind}_{figure(description, str(i))}" for i in range(3)],
        },
    )


ROUTES = [
    route("main", "GET", "/nlq/ids_from_nl_description", nlq, body="none"),
]
