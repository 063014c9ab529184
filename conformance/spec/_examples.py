"""Small schema-valid instances: request bodies for operations the spec gives no example for.

Used where a scenario must send a well-formed body (the write-mode sandbox, the AUTH-01 sweep) and the
spec documents none: required properties only, the first enum value, the schema's own example first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conformance.spec._index import Operation, resolve_ref, spec_of


def minimal_instance(schema: Any, spec: Mapping[str, Any], depth: int = 0) -> Any:
    """A small instance of ``schema``: required properties only, first enum value, example if given."""
    schema = resolve_ref(spec, schema)
    if not isinstance(schema, dict) or depth > 8:
        return None
    for key in ("example", "default", "const"):
        if key in schema:
            return schema[key]
    if schema.get("examples"):
        return schema["examples"][0]
    if "enum" in schema:
        return schema["enum"][0]
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = minimal_instance(part, spec, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return minimal_instance(schema[key][0], spec, depth + 1)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {
            name: minimal_instance(props.get(name, {}), spec, depth + 1)
            for name in schema.get("required", [])
        }
    if kind == "array":
        count = int(schema.get("minItems", 0))
        return [minimal_instance(schema.get("items", {}), spec, depth + 1) for _ in range(count)]
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "string":
        return {
            "date": "2030-01-01",
            "date-time": "2030-01-01T00:00:00Z",
            "uri": "https://media.example/x.jpg",
            "email": "x@example.com",
        }.get(str(schema.get("format")), "x" * int(schema.get("minLength", 1)))
    return None


def example_body(op: Operation) -> Any:
    """A small valid-looking JSON body for ``op`` (``{}`` when it declares none)."""
    body = op.raw.get("requestBody")
    if not isinstance(body, dict):
        return {}
    spec = spec_of(op.host)
    content = resolve_ref(spec, body).get("content", {})
    media = content.get("application/json")
    if not isinstance(media, dict):
        return {}
    if "example" in media:
        return media["example"]
    value = minimal_instance(media.get("schema", {}), spec)
    return value if value is not None else {}
