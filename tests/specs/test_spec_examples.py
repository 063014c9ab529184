"""Every example in both specs validates against the schema it belongs to (JSON Schema 2020-12,
formats checked)."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_walk import Example, examples, pointer
from referencing import Registry
from referencing.jsonschema import DRAFT202012

BASE = "urn:fdconf:spec"


def _problems(spec: dict[str, Any]) -> tuple[int, list[str]]:
    registry: Registry[Any] = Registry().with_resource(
        BASE, DRAFT202012.create_resource(spec)
    )
    found: list[Example] = list(examples(spec))
    problems = []
    for example in found:
        validator = Draft202012Validator(
            {"$ref": BASE + example.schema_at},
            registry=registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        problems += [f"{example.where}: {error.message}" for error in validator.iter_errors(example.value)]
    return len(found), problems


def test_every_example_matches_its_schema(host: str, spec: dict[str, Any]) -> None:
    count, problems = _problems(spec)
    assert problems == []
    # The docs' example values are the point: both specs carry plenty of them.
    assert count >= {"main": 40, "cr": 10}[host], f"only {count} examples found in the {host} spec"


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (
            ("components", "schemas", "Cluster", "examples"),
            [{"tc": "a", "label": "A", "metric_pred": 7, "reach_estimate": 1, "size_share": 0.1}],
        ),
        (("components", "schemas", "Eid", "examples"), ["evt__abc"]),
        (("components", "schemas", "Tc", "examples"), ["rock/pop"]),
        (
            ("components", "responses", "NotFound", "content", "application/json", "example"),
            {"message": "Not Found"},
        ),
        (("components", "schemas", "Event", "examples"), [{"id": "evt_1", "start_date_time": "yesterday"}]),
    ],
)
def test_a_wrong_example_is_reported(main_spec: dict[str, Any], where: tuple[str, ...], value: Any) -> None:
    node = main_spec
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = value
    _, problems = _problems(main_spec)
    assert any(p.startswith(pointer(where)) for p in problems), problems
