"""Small schema-valid instances (`conformance.spec.minimal_instance`, `example_body`)."""

from __future__ import annotations

from typing import Any

import jsonschema

from conformance import spec

DOC: dict[str, Any] = {"components": {"schemas": {"Name": {"type": "string", "minLength": 3}}}}


def test_required_properties_only_first_enum_value_and_refs() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "required": ["name", "goal", "count", "tags"],
        "properties": {
            "name": {"$ref": "#/components/schemas/Name"},
            "goal": {"enum": ["ROAS", "VISIBILITY"]},
            "count": {"type": "integer", "minimum": 2},
            "tags": {"type": "array", "minItems": 1, "items": {"type": "string", "format": "date"}},
            "optional": {"type": "string"},
        },
    }
    value = spec.minimal_instance(schema, DOC)
    assert value == {"name": "xxx", "goal": "ROAS", "count": 2, "tags": ["2030-01-01"]}
    jsonschema.validate(value, {**schema, "properties": {**schema["properties"], "name": {"minLength": 3}}})


def test_examples_win_and_all_of_merges() -> None:
    assert spec.minimal_instance({"type": "string", "example": "given"}, DOC) == "given"
    merged = {"allOf": [{"required": ["a"], "properties": {"a": {"type": "boolean"}}},
                        {"required": ["b"], "properties": {"b": {"type": ["null", "number"]}}}]}
    assert spec.minimal_instance(merged, DOC) == {"a": False, "b": 1.0}


def test_example_body_of_a_spec_operation_is_valid_against_its_schema() -> None:
    op = next(o for o in spec.load("main") if o.method == "POST" and o.path == "/package_builder/packages")
    body = spec.example_body(op)
    media = op.raw["requestBody"]["content"]["application/json"]
    schema = spec.resolve_ref(spec.spec_of("main"), media["schema"])
    assert isinstance(body, dict)
    assert set(schema.get("required", [])) <= set(body)
    bodiless = next(o for o in spec.load("main") if o.method == "GET")
    assert spec.example_body(bodiless) == {}
