"""OpenAPI links: they resolve (Schemathesis builds its state machine from them) and cover the
stateful flows the suite relies on."""

from __future__ import annotations

import re
from typing import Any

import pytest
import schemathesis
from openapi_walk import load, operations, parameters, resolve
from schemathesis.core.errors import InvalidStateMachine

Spec = dict[str, Any]

# (source operationId, status, target operationId): the flows of issue #2.
REQUIRED_EDGES = {
    "main": [
        ("listEvents", "200", "getEvent"),
        ("listEvents", "200", "getEventClusters"),
        ("getEvent", "200", "getEventClusters"),
        ("getEvent", "200", "createSetupProcess"),
        ("createSetupProcess", "201", "getSetupProcess"),
        ("createSetupProcess", "201", "replaceSetupProcess"),
        ("createSetupProcess", "201", "boostSetupProcess"),
        ("createSetupProcess", "200", "getSetupProcess"),
        ("getSetupProcess", "200", "replaceSetupProcess"),
        ("replaceSetupProcess", "200", "boostSetupProcess"),
        ("boostSetupProcess", "200", "listEventCampaigns"),
        ("listEventCampaigns", "200", "replaceCampaignCreative"),
        ("listEventCampaigns", "200", "ignoreCampaign"),
        ("listEventCampaigns", "200", "editPublishedCampaign"),
    ],
    "cr": [("crSaveEvent", "200", "crGetEvent")],
}


def _edges(spec: Spec, host: str) -> set[tuple[str, str, str]]:
    return {
        (op.id, status, link["operationId"])
        for op in operations(spec, host)
        for status, response in op.op.get("responses", {}).items()
        for link in (resolve(spec, response).get("links") or {}).values()
    }


def _schema_has(spec: Spec, schema: Any, parts: list[str]) -> bool:
    """Whether a JSON pointer into a response body can exist under ``schema``."""
    schema = resolve(spec, schema)
    if not parts:
        return True
    if not isinstance(schema, dict):
        return False
    branches = [s for key in ("allOf", "anyOf", "oneOf") for s in schema.get(key) or []]
    if any(_schema_has(spec, branch, parts) for branch in branches):
        return True
    head, rest = parts[0], parts[1:]
    if head.isdigit() and isinstance(schema.get("items"), dict):
        return _schema_has(spec, schema["items"], rest)
    props = schema.get("properties") or {}
    return head in props and _schema_has(spec, props[head], rest)


def link_problems(spec: Spec, host: str) -> list[str]:
    """Link targets, parameter names, request expressions and body pointers all resolve."""
    by_id = {op.id: op for op in operations(spec, host)}
    problems = []
    for op in operations(spec, host):
        source_params = {(p["in"], p["name"]) for _, p in parameters(spec, op)}
        for status, raw in op.op.get("responses", {}).items():
            response = resolve(spec, raw)
            body_schema = (response.get("content") or {}).get("application/json", {}).get("schema")
            for name, link in (response.get("links") or {}).items():
                where = f"{op.id} {status} {name}"
                target = by_id.get(link.get("operationId", ""))
                if target is None:
                    problems.append(f"{where}: unknown operationId {link.get('operationId')!r}")
                    continue
                target_params = {p["name"] for _, p in parameters(spec, target)}
                expressions = dict(link.get("parameters") or {})
                for param in expressions:
                    if param.split(".")[-1] not in target_params:
                        problems.append(f"{where}: {target.id} has no parameter {param!r}")
                body = link.get("requestBody")
                if body is not None:
                    media = (
                        (target.op.get("requestBody") or {}).get("content", {}).get("application/json", {})
                    )
                    props = resolve(spec, media.get("schema") or {}).get("properties", {})
                    problems += [
                        f"{where}: {target.id} body has no field {k!r}" for k in body if k not in props
                    ]
                    expressions |= {f"body.{k}": v for k, v in body.items()}
                for expression in expressions.values():
                    if m := re.fullmatch(r"\$request\.path\.(\w+)", expression):
                        if ("path", m.group(1)) not in source_params:
                            problems.append(f"{where}: {op.id} has no path parameter {m.group(1)}")
                    elif m := re.fullmatch(r"\$response\.body#/(.*)", expression):
                        if not _schema_has(spec, body_schema, m.group(1).split("/")):
                            problems.append(f"{where}: {expression} cannot exist in the {status} body")
                    else:
                        problems.append(f"{where}: unsupported expression {expression!r}")
    return problems


def test_links_resolve(host: str, spec: Spec) -> None:
    assert link_problems(spec, host) == []


def test_required_flows_are_linked(host: str, spec: Spec) -> None:
    missing = set(REQUIRED_EDGES[host]) - _edges(spec, host)
    assert missing == set()


def test_schemathesis_builds_the_state_machine(host: str) -> None:
    schema = schemathesis.openapi.from_dict(load(host))
    machine = schema.as_state_machine()
    assert machine is not None


def test_broken_links_are_reported(main_spec: Spec) -> None:
    links = main_spec["paths"]["/events/"]["get"]["responses"]["200"]["links"]
    links["GetEvent"]["parameters"] = {"event": "$response.body#/items/0/id"}
    links["GetEventClusters"]["parameters"] = {"eid": "$response.body#/rows/0/id"}
    links["Bogus"] = {"operationId": "noSuchOperation"}
    problems = link_problems(main_spec, "main")
    assert "listEvents 200 GetEvent: getEvent has no parameter 'event'" in problems
    assert (
        "listEvents 200 GetEventClusters: $response.body#/rows/0/id cannot exist in the 200 body" in problems
    )
    assert "listEvents 200 Bogus: unknown operationId 'noSuchOperation'" in problems
    with pytest.raises(InvalidStateMachine, match="noSuchOperation"):
        schemathesis.openapi.from_dict(main_spec).as_state_machine()
