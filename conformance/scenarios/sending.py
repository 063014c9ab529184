"""Sending one spec operation as a probe: the host it goes to, its required query parameters and,
for writes, a small schema-valid body (so validation cannot mask the answer the probe is about)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conformance.client import Api, Exchange
from conformance.spec import Operation, example_body, minimal_instance, spec_of


def host_of(op: Operation) -> str:
    return "media" if op.base == "unversioned" else op.host


def required_params(op: Operation, known: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Values for the operation's required query parameters: ``known`` ones, else a minimal valid value."""
    out: dict[str, Any] = {}
    for param in op.required_query:
        name = str(param.get("name"))
        if known and name in known:
            out[name] = known[name]
        else:
            value = minimal_instance(param.get("schema", {}), spec_of(op.host))
            out[name] = str(value).lower() if isinstance(value, bool) else value
    return out


def send(
    api: Api, op: Operation, path: str, *, known: Mapping[str, Any] | None = None, **kwargs: Any
) -> Exchange:
    """Send ``op`` at ``path`` with its required query parameters and, for writes, a small schema-valid
    body, so validation cannot mask the answer the probe is about (auth, scope, parent/child)."""
    if op.method in ("POST", "PUT", "PATCH") and "json" not in kwargs and "content" not in kwargs:
        kwargs["json"] = example_body(op)
    params = required_params(op, known)
    if params and "params" not in kwargs:
        kwargs["params"] = params
    return api.request(op.method, path, **kwargs)
