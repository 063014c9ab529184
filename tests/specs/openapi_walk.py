"""Walkers over the two OpenAPI documents, shared by the spec tests (data in, plain values out)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
SPEC_FILES = {"main": SPECS / "main-api.yaml", "cr": SPECS / "cr-api.yaml"}
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
PUBLIC_OPERATIONS = {"getStatus", "signIn", "refreshToken"}
ID_KINDS = {"eid", "tc", "tc_run_id", "partner_id", "task_id", "message_id", "package_id"}

# Keywords whose values are (maps or lists of) sub-schemas, per JSON Schema 2020-12.
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_SINGLE = (
    "items",
    "not",
    "additionalProperties",
    "contains",
    "if",
    "then",
    "else",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
)


@cache
def load(host: str) -> dict[str, Any]:
    """The parsed spec of ``host`` (``main`` or ``cr``). Cached: callers must not mutate it."""
    data = yaml.safe_load(SPEC_FILES[host].read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{SPEC_FILES[host]} is not a mapping"
    return data


@dataclass(frozen=True)
class Operation:
    host: str
    path: str
    method: str
    op: dict[str, Any]
    path_item: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.op.get("operationId", f"{self.method.upper()} {self.path}"))

    @property
    def label(self) -> str:
        return f"{self.host}:{self.method.upper()} {self.path}"

    @property
    def is_public(self) -> bool:
        return self.op.get("security") == []


def operations(spec: dict[str, Any], host: str) -> Iterator[Operation]:
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                yield Operation(host, path, method, item[method], item)


def all_operations() -> list[Operation]:
    return [op for host in SPEC_FILES for op in operations(load(host), host)]


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """Follow local ``$ref``s (``#/...``) until a non-reference node."""
    seen = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"only local refs are used, got {ref}"
        assert ref not in seen, f"reference cycle at {ref}"
        seen.add(ref)
        node = spec
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def parameters(spec: dict[str, Any], operation: Operation) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(raw, resolved) for every parameter of the operation, path-item level included."""
    raw = list(operation.path_item.get("parameters", [])) + list(operation.op.get("parameters", []))
    return [(p, resolve(spec, p)) for p in raw]


def pointer(parts: tuple[str | int, ...]) -> str:
    return "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def iter_schemas(
    node: Any, at: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """Every schema object inside (and including) the schema ``node`` located at ``at``."""
    if not isinstance(node, dict):
        return
    yield at, node
    for key in _SCHEMA_MAPS:
        for name, sub in (node.get(key) or {}).items():
            yield from iter_schemas(sub, (*at, key, name))
    for key in _SCHEMA_LISTS:
        for index, sub in enumerate(node.get(key) or []):
            yield from iter_schemas(sub, (*at, key, index))
    for key in _SCHEMA_SINGLE:
        if isinstance(node.get(key), dict):
            yield from iter_schemas(node[key], (*at, key))


def _media_and_params(spec: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """Every media-type, parameter and header object, by location (the things that carry a schema)."""

    def content(
        owner: dict[str, Any], at: tuple[str | int, ...]
    ) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
        for mime, media in (owner.get("content") or {}).items():
            yield (*at, "content", mime), media

    def response(
        resp: dict[str, Any], at: tuple[str | int, ...]
    ) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
        yield from content(resp, at)
        for name, header in (resp.get("headers") or {}).items():
            yield (*at, "headers", name), header

    comps = spec.get("components", {})
    for name, param in (comps.get("parameters") or {}).items():
        yield ("components", "parameters", name), param
    for name, resp in (comps.get("responses") or {}).items():
        yield from response(resp, ("components", "responses", name))
    for name, body in (comps.get("requestBodies") or {}).items():
        yield from content(body, ("components", "requestBodies", name))
    for path, item in (spec.get("paths") or {}).items():
        for index, param in enumerate(item.get("parameters") or []):
            yield ("paths", path, "parameters", index), param
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            base: tuple[str | int, ...] = ("paths", path, method)
            for index, param in enumerate(op.get("parameters") or []):
                yield (*base, "parameters", index), param
            if "requestBody" in op:
                yield from content(op["requestBody"], (*base, "requestBody"))
            for status, resp in (op.get("responses") or {}).items():
                yield from response(resp, (*base, "responses", status))


def all_schemas(spec: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """Every schema object of the document, by location."""
    for name, schema in (spec.get("components", {}).get("schemas") or {}).items():
        yield from iter_schemas(schema, ("components", "schemas", name))
    for at, holder in _media_and_params(spec):
        if isinstance(holder.get("schema"), dict):
            yield from iter_schemas(holder["schema"], (*at, "schema"))


@dataclass(frozen=True)
class Example:
    where: str  # JSON pointer of the example
    schema_at: str  # JSON pointer of the schema it must satisfy
    value: Any


def examples(spec: dict[str, Any]) -> Iterator[Example]:
    """Every example of the document with the schema it must satisfy.

    Schema-level ``examples`` (a list) and ``example``; media-type and parameter ``example`` and
    ``examples`` (a map of Example objects; ``externalValue`` ones are skipped).
    """
    for at, schema in all_schemas(spec):
        for index, value in enumerate(schema.get("examples") or []):
            yield Example(pointer((*at, "examples", index)), pointer(at), value)
        if "example" in schema:
            yield Example(pointer((*at, "example")), pointer(at), schema["example"])
    for at, holder in _media_and_params(spec):
        if "$ref" in holder or "schema" not in holder:
            continue
        schema_at = pointer((*at, "schema"))
        if "example" in holder:
            yield Example(pointer((*at, "example")), schema_at, holder["example"])
        for name, raw in (holder.get("examples") or {}).items():
            item = resolve(spec, raw)
            if "value" in item:
                yield Example(pointer((*at, "examples", name, "value")), schema_at, item["value"])
