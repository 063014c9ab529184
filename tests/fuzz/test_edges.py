"""Deliberate edge values: what is planned per operation, that it is schema-valid, and how a sent case
is recognised (no network; the runs that send them are in ``test_edges_on_reference.py``)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from conformance.fuzz.edges import (
    ARRAYS,
    LONG_QUERY,
    STRINGS,
    Edge,
    edge_kinds,
    plan,
    with_edges,
)
from conformance.spec import resolve_ref, spec_of

KINDS = {kind for kind, _ in STRINGS} | set(ARRAYS)


def _inline(spec: dict[str, Any], node: object, depth: int = 0) -> Any:
    """``node`` with local refs replaced (enough for the bundled specs' request bodies)."""
    node = resolve_ref(spec, node)
    if depth > 12:
        return node
    if isinstance(node, dict):
        return {k: _inline(spec, v, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(spec, v, depth + 1) for v in node]
    return node


@pytest.mark.parametrize("host", ["main", "cr"])
def test_every_kind_is_planned_within_the_budget_and_the_spec_is_untouched(host: str) -> None:
    before = json.dumps(spec_of(host), sort_keys=True, default=str)
    document, plans = with_edges(spec_of(host), 3)
    assert json.dumps(spec_of(host), sort_keys=True, default=str) == before  # a copy was changed
    assert plans
    assert all(1 <= len(edges) <= 3 for edges in plans.values())
    # each operation takes distinct kinds first: no kind repeats while another it could take waits
    for label, edges in plans.items():
        method, path = label.split(" ", 1)
        possible = {e.kind for e in plan(spec_of(host)["paths"][path][method.lower()], spec_of(host), 1000)}
        kinds = [e.kind for e in edges]
        assert len(set(kinds)) == min(len(kinds), len(possible)), (label, kinds)
    assert document["paths"] != spec_of(host)["paths"]
    assert with_edges(spec_of(host), 0)[1] == {}


def test_both_specs_together_plan_every_kind_and_query_strings_stay_url_sized() -> None:
    planned = [e for host in ("main", "cr") for edges in with_edges(spec_of(host), 8)[1].values()
               for e in edges]
    assert {e.kind for e in planned} == KINDS
    query = [e for e in planned if e.where == "query"]
    assert query
    assert all(len(str(e.value)) <= LONG_QUERY for e in query)
    assert not any(e.kind in ("control_chars", "empty_array") for e in query)
    for edges in with_edges(spec_of("main"), 100)[1].values():  # one long value per URL
        assert sum(1 for e in edges if e.where == "query" and e.kind == "long_string") <= 1
    long_body = [e for e in planned if e.where == "body" and e.kind == "long_string"]
    assert long_body
    assert all(len(e.value) == 10_000 for e in long_body)
    emoji = next(v for k, v in STRINGS if k == "astral_emoji")
    assert any(ord(ch) > 0xFFFF for ch in emoji)  # astral plane: a surrogate pair in UTF-16


@pytest.mark.parametrize("host", ["main", "cr"])
def test_planned_values_are_schema_valid(host: str) -> None:
    """The examples phase sends them as positive cases: each must satisfy its parameter or body schema."""
    spec = spec_of(host)
    document, plans = with_edges(spec, 8)
    checked = 0
    for label, edges in plans.items():
        method, path = label.split(" ", 1)
        op = document["paths"][path][method.lower()]
        for raw in op.get("parameters", []):
            param = resolve_ref(document, raw)
            for name, example in (param.get("examples") or {}).items():
                if not name.startswith("fdconf-edge-"):
                    continue  # the spec's own examples
                jsonschema.validate(example["value"], _inline(document, param["schema"]))
                checked += 1
        body = resolve_ref(document, op.get("requestBody")) or {}
        media = body.get("content", {}).get("application/json", {})
        for name, example in (media.get("examples") or {}).items():
            if name.startswith("fdconf-edge-"):
                jsonschema.validate(example["value"], _inline(document, media["schema"]))
                checked += 1
        assert edges
    assert checked == sum(len(e) for e in plans.values())


def test_constrained_fields_get_no_edge_strings() -> None:
    op = {"parameters": [
        {"in": "query", "name": "a", "schema": {"type": "string", "enum": ["x"]}},
        {"in": "query", "name": "b", "schema": {"type": "string", "maxLength": 5}},
        {"in": "query", "name": "c", "schema": {"type": "string", "format": "date"}},
        {"in": "query", "name": "d",
         "schema": {"type": "array", "uniqueItems": True, "items": {"type": "string"}}},
        {"in": "path", "name": "e", "schema": {"type": "string"}},
        {"in": "query", "name": "f", "schema": {"type": "string"}},
    ]}
    edges = plan(op, {}, 20)
    assert {e.name for e in edges} == {"f"}
    assert {e.kind for e in edges} == {k for k, _ in STRINGS} - {"control_chars"}


def test_a_case_is_recognised_by_its_planned_value_or_its_coverage_scenario() -> None:
    planned = [Edge("long_string", "query", "q", "x" * 50), Edge("empty_array", "body", "tags", [])]
    assert edge_kinds("examples", None, {"q": "x" * 50}, {"tags": ["a"]}, planned) == ["long_string"]
    assert edge_kinds("examples", None, {}, {"tags": []}, planned) == ["empty_array"]
    assert edge_kinds("fuzzing", None, {"q": "x" * 50}, None, planned) == []  # only the examples phase
    assert edge_kinds("coverage", "value_above_maximum", None, None, planned) == ["out_of_range_number"]
    assert edge_kinds("coverage", "minimum_value", None, None, planned) == ["boundary_number"]
    assert edge_kinds("coverage", "incorrect_type", None, None, planned) == []
