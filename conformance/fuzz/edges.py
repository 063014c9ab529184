"""Deliberate edge values: sent on purpose, because random generation rarely reaches them.

Schemathesis' coverage phase already sends the numeric edges natively: each ``minimum`` / ``maximum``
(and exclusive bound) exactly, the value next to it, and — as negative cases — the first value out of
range (``CoverageScenario.MINIMUM_VALUE`` … ``VALUE_ABOVE_MAXIMUM``); likewise string lengths at and
beyond ``minLength`` / ``maxLength`` and duplicated items where ``uniqueItems`` forbids them. What it
does not send are the schema-*valid* values that break naive servers: a very long string where no
``maxLength`` is declared, unusual Unicode (combining marks, right-to-left text, astral-plane emoji,
control characters next to NUL), an empty array and an array with a duplicated item. These are given to
Schemathesis as ``examples`` of the operations' query parameters and as whole request-body examples
(:func:`with_edges`, on an in-memory copy of the spec; the bundled spec is untouched), so its examples
phase sends them through the same routed Transport and every check judges them like any positive case.

The budget is per operation (``run.edge_cases``, default :data:`DEFAULT_BUDGET`): the planned values are
taken kind by kind across the operation's unconstrained strings and arrays, so a small budget still
covers every kind once before any repeats. Control characters go only into JSON bodies (JSON escapes
them); query strings get at most :data:`LONG_QUERY` characters, a length every HTTP stack accepts in a
URL, bodies :data:`LONG_BODY`. Path parameters are left alone (positive cases carry real ids there).

:func:`edge_kinds` names the edge values one case carries — ours by value, Schemathesis' own by its
coverage scenario — so a run can count what it actually sent, per operation (``fd_edges``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from conformance.spec import minimal_instance, resolve_ref

DEFAULT_BUDGET = 8
LONG_QUERY = 2_000
LONG_BODY = 10_000

#: Schema-valid strings for unconstrained string fields, in the order a budget takes them.
STRINGS: tuple[tuple[str, str], ...] = (
    ("long_string", "fdconf-edge-" + "x" * (LONG_BODY - 12)),
    ("combining_marks", "fdconf-edge e\u0301\u0302\u0303 n\u0303 Z\u0335\u0336\u0337"),
    ("right_to_left", "fdconf-edge \u202e\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627\u202c"),
    ("astral_emoji", "fdconf-edge \U0001f600\U0001f469\u200d\U0001f469\u200d\U0001f467 \U0001d54f"),
    ("control_chars", "fdconf-edge\u0001\u0007\u001f\u007f"),
)
QUERY_LONG = "fdconf-edge-" + "x" * (LONG_QUERY - 12)
ARRAYS = ("empty_array", "duplicate_items")
#: Schemathesis coverage scenarios that are edge values of their own (numbers, lengths, items).
SCENARIOS = {
    "minimum_value": "boundary_number",
    "maximum_value": "boundary_number",
    "near_boundary_number": "boundary_number",
    "value_below_minimum": "out_of_range_number",
    "value_above_maximum": "out_of_range_number",
    "minimum_length_string": "boundary_length",
    "maximum_length_string": "boundary_length",
    "string_above_max_length": "out_of_range_length",
    "string_below_min_length": "out_of_range_length",
    "non_unique_items": "duplicate_items",
}
_CONSTRAINING = ("enum", "const", "pattern", "format", "maxLength", "oneOf", "anyOf", "allOf", "not")


@dataclass(frozen=True)
class Edge:
    """One planned edge value: where it goes (``query`` / ``body``), the field's name, the value."""

    kind: str
    where: str
    name: str
    value: Any


def _free_string(schema: Any) -> bool:
    """A string field any string satisfies (short of ``minLength``), where an edge string is valid."""
    if not isinstance(schema, dict) or schema.get("type") != "string":
        return False
    return not any(key in schema for key in _CONSTRAINING) and int(schema.get("minLength", 0)) <= 10


def _array_item(schema: Any, spec: Mapping[str, Any]) -> tuple[bool, Any]:
    """``(usable, item)``: an array field that may be empty and hold a repeated item, and that item."""
    if not isinstance(schema, dict) or schema.get("type") != "array" or schema.get("uniqueItems"):
        return False, None
    if int(schema.get("minItems", 0)) > 0 or int(schema.get("maxItems", 2)) < 2:
        return False, None
    item = minimal_instance(schema.get("items", {}), spec)
    return item is not None, item


def _candidates(where: str, name: str, schema: Any, spec: Mapping[str, Any]) -> list[Edge]:
    schema = resolve_ref(spec, schema)
    if _free_string(schema):
        out = []
        for kind, value in STRINGS:
            if where == "query" and kind == "control_chars":
                continue  # JSON escapes them; a URL would carry them raw
            short = where == "query" and kind == "long_string"
            out.append(Edge(kind, where, name, QUERY_LONG if short else value))
        return out
    usable, item = _array_item(schema, spec)
    if not usable:
        return []
    edges = [Edge("duplicate_items", where, name, [item, item])]
    if where == "body":  # an empty list in a query is the parameter left out
        edges.insert(0, Edge("empty_array", where, name, []))
    return edges


def _json_body(op: Mapping[str, Any], spec: Mapping[str, Any]) -> tuple[dict[str, Any], Any] | None:
    body = resolve_ref(spec, op.get("requestBody"))
    media = (body or {}).get("content", {}).get("application/json") if isinstance(body, dict) else None
    if not isinstance(media, dict):
        return None
    schema = resolve_ref(spec, media.get("schema"))
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        return None
    return media, schema


def plan(op: Mapping[str, Any], spec: Mapping[str, Any], budget: int) -> list[Edge]:
    """At most ``budget`` edge values for one operation: each kind once (across its fields) before repeats."""
    by_field: list[list[Edge]] = []
    for raw in op.get("parameters", []):
        param = resolve_ref(spec, raw)
        if isinstance(param, dict) and param.get("in") == "query" and param.get("name") != "partner_product":
            by_field.append(_candidates("query", str(param["name"]), param.get("schema"), spec))
    found = _json_body(op, spec)
    if found is not None:
        for name, prop in found[1]["properties"].items():
            if not (resolve_ref(spec, prop) or {}).get("readOnly"):
                by_field.append(_candidates("body", str(name), prop, spec))
    chosen: list[Edge] = []
    seen_kinds: set[str] = set()
    pending = [e for fields in by_field for e in fields]
    # First pass: one value of every kind (from the first field that can take it); then the rest in order.
    for edge in pending:
        if edge.kind not in seen_kinds:
            seen_kinds.add(edge.kind)
            chosen.append(edge)
    # One long query value per operation: Schemathesis combines the examples of several parameters
    # in one case, and two of them would make a URL longer than some proxies accept.
    chosen += [e for e in pending if e not in chosen and not (e.where == "query" and e.kind == "long_string")]
    return chosen[: max(budget, 0)]


def _apply(op: dict[str, Any], spec: Mapping[str, Any], edges: Iterable[Edge]) -> None:
    params = [resolve_ref(spec, p) for p in op.get("parameters", [])]
    found = _json_body(op, spec)
    base = minimal_instance(found[1], spec) if found is not None else None
    bodies: dict[str, Any] = {}
    for index, edge in enumerate(edges):
        label = f"fdconf-edge-{index}-{edge.kind}"
        if edge.where == "query":
            for i, param in enumerate(params):
                if isinstance(param, dict) and param.get("name") == edge.name and param.get("in") == "query":
                    params[i] = copy.deepcopy(param)
                    params[i].setdefault("examples", {})[label] = {"value": edge.value}
        elif found is not None and isinstance(base, dict):
            bodies[label] = {"value": {**base, edge.name: edge.value}}
    if any(isinstance(p, dict) and "examples" in p for p in params):
        op["parameters"] = params
    if bodies and found is not None:
        body = copy.deepcopy(resolve_ref(spec, op["requestBody"]))
        media = body["content"]["application/json"]
        media.setdefault("examples", {}).update(bodies)
        op["requestBody"] = body


def with_edges(spec: Mapping[str, Any], budget: int) -> tuple[dict[str, Any], dict[str, list[Edge]]]:
    """A copy of ``spec`` whose operations carry their planned edge values as examples, and the plan
    per ``"METHOD path"``. Only the copied operations change; ``budget <= 0`` plans nothing."""
    out = copy.deepcopy(dict(spec))
    plans: dict[str, list[Edge]] = {}
    for path, item in (out.get("paths") or {}).items():
        for method, op in item.items():
            if not isinstance(op, dict) or method.startswith("x-") or method == "parameters":
                continue
            edges = plan(op, out, budget)
            if edges:
                _apply(op, out, edges)
                plans[f"{method.upper()} {path}"] = edges
    return out, plans


def edge_kinds(phase: str, scenario: str | None, query: Mapping[str, Any] | None, body: Any,
               edges: Iterable[Edge]) -> list[str]:
    """The edge kinds one case carries: Schemathesis' coverage scenario, or our values by identity."""
    if phase == "coverage":
        kind = SCENARIOS.get(scenario or "")
        return [kind] if kind else []
    if phase != "examples":
        return []
    out = []
    for edge in edges:
        holder = query if edge.where == "query" else body
        if isinstance(holder, Mapping) and edge.name in holder and _same(holder[edge.name], edge.value):
            out.append(edge.kind)
    return out


def _same(sent: Any, planned: Any) -> bool:
    # Empty arrays are only ours when planned for this field; strings and repeated items match exactly.
    return type(sent) is type(planned) and sent == planned
