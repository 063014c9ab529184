"""Project conventions every operation of both specs follows (security, partner header, errors,
pagination, x-fd-* extensions). Each check is a function returning problems, so the self-tests at
the bottom can prove it notices a broken spec."""

from __future__ import annotations

import re
from typing import Any

import pytest
from openapi_walk import (
    ID_KINDS,
    PUBLIC_OPERATIONS,
    ROOT,
    all_operations,
    all_schemas,
    load,
    operations,
    parameters,
    pointer,
    resolve,
)

TAGS = {
    "main": {
        "auth",
        "partner",
        "events",
        "clusters",
        "setup-process",
        "campaigns",
        "sales",
        "messages",
        "integrations",
    },
    "cr": {"cr"},
}
PARTNER_HEADER = "#/components/parameters/PartnerHeader"
ENVELOPE = "#/components/schemas/ErrorEnvelope"
PAGE_FIELDS = {"total", "limit", "page", "pages", "nextPage", "prevPage", "items"}
EXTENSIONS = {
    "x-fd-host",
    "x-fd-writes",
    "x-fd-publish",
    "x-fd-paginated",
    "x-fd-partner-scoped",
    "x-fd-base",
    "x-fd-id",
}
NOT_WRITES = {"signIn", "refreshToken"}  # POSTs that read-only mode may send
Spec = dict[str, Any]


def _ref(node: Any) -> str | None:
    return node.get("$ref") if isinstance(node, dict) else None


def security_problems(spec: Spec, host: str) -> list[str]:
    problems = []
    for op in operations(spec, host):
        if "security" in op.op and op.op["security"] != []:
            problems.append(f"{op.id}: operation-level security other than [] ({op.op['security']})")
        if op.is_public != (op.id in PUBLIC_OPERATIONS):
            problems.append(f"{op.id}: public={op.is_public}, expected {op.id in PUBLIC_OPERATIONS}")
    return problems


def authenticated_problems(spec: Spec, host: str) -> list[str]:
    """Partner header and 400/401/403/429 on every authenticated operation; no header on public ones."""
    problems = []
    for op in operations(spec, host):
        headers = [raw for raw, _ in parameters(spec, op) if _ref(raw) == PARTNER_HEADER]
        responses = op.op.get("responses", {})
        if op.is_public:
            if headers:
                problems.append(f"{op.id}: public operation lists the partner header")
            continue
        if len(headers) != 1:
            problems.append(f"{op.id}: lists the partner header {len(headers)} times (expected once)")
        if _ref(responses.get("401")) != "#/components/responses/Unauthorized":
            problems.append(f"{op.id}: no 401 response (components/responses/Unauthorized)")
        if _ref(responses.get("403")) != "#/components/responses/Forbidden":
            problems.append(f"{op.id}: no 403 response (components/responses/Forbidden)")
        for status in ("400", "429"):
            if status not in responses:
                problems.append(f"{op.id}: no {status} response")
    return problems


def _carries_id(spec: Spec, node: Any, depth: int = 0) -> bool:
    """Whether a (request body) schema holds an object id other than partner_id anywhere."""
    node = resolve(spec, node)
    if not isinstance(node, dict) or depth > 12:
        return False
    if node.get("x-fd-id") in ID_KINDS - {"partner_id"}:
        return True
    children = list((node.get("properties") or {}).values())
    children += [node[k] for k in ("items", "additionalProperties") if isinstance(node.get(k), dict)]
    children += [s for k in ("allOf", "anyOf", "oneOf") for s in node.get(k) or []]
    return any(_carries_id(spec, child, depth + 1) for child in children)


def not_found_problems(spec: Spec, host: str) -> list[str]:
    """Every operation that takes an object id (path, query or body) documents 404."""
    problems = []
    for op in operations(spec, host):
        takes_id = any(p.get("x-fd-id") in ID_KINDS - {"partner_id"} for _, p in parameters(spec, op))
        for media in (op.op.get("requestBody") or {}).get("content", {}).values():
            takes_id = takes_id or _carries_id(spec, media.get("schema"))
        if takes_id and _ref(op.op["responses"].get("404")) != "#/components/responses/NotFound":
            problems.append(
                f"{op.id}: takes an object id but documents no 404 (components/responses/NotFound)"
            )
    return problems


def error_body_problems(spec: Spec, host: str) -> list[str]:
    problems = []
    for op in operations(spec, host):
        for status, response in op.op.get("responses", {}).items():
            if status == "default" or status.startswith("5"):
                problems.append(
                    f"{op.id}: documents {status}; a 5xx is always a finding, never part of the contract"
                )
            if not status.startswith("4"):
                continue
            content = resolve(spec, response).get("content", {})
            if (
                set(content) != {"application/json"}
                or _ref(content["application/json"].get("schema")) != ENVELOPE
            ):
                problems.append(f"{op.id}: {status} does not use the error envelope")
    return problems


def paginated_problems(spec: Spec, host: str) -> list[str]:
    """Paginated lists take page+limit and answer with the page envelope narrowed to their item type."""
    problems = []
    envelope = spec["components"]["schemas"].get("PageEnvelope", {})
    if host == "main" and set(envelope.get("required", [])) != PAGE_FIELDS:
        problems.append(f"PageEnvelope must require exactly {sorted(PAGE_FIELDS)}")
    for op in operations(spec, host):
        names = {p["name"]: raw for raw, p in parameters(spec, op) if p["in"] == "query"}
        if op.op.get("x-fd-paginated") is not True:
            if "page" in names:
                problems.append(f"{op.id}: takes `page` but is not marked x-fd-paginated")
            continue
        if (
            _ref(names.get("page")) != "#/components/parameters/Page"
            or _ref(names.get("limit")) != "#/components/parameters/Limit"
        ):
            problems.append(f"{op.id}: paginated but without the Page and Limit parameters")
        media = op.op["responses"].get("200", {}).get("content", {}).get("application/json", {})
        page = resolve(spec, media.get("schema"))
        parts = page.get("allOf", []) if isinstance(page, dict) else []
        if len(parts) != 2 or _ref(parts[0]) != "#/components/schemas/PageEnvelope":
            problems.append(f"{op.id}: 200 body is not allOf[PageEnvelope, narrowing]")
            continue
        items = parts[1].get("properties", {}).get("items", {})
        if items.get("type") != "array" or not _ref(items.get("items")):
            problems.append(f"{op.id}: the narrowing does not name the item schema")
    return problems


def _extension_nodes(node: Any, at: tuple[str | int, ...] = ()) -> list[tuple[str, str, Any]]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and key.startswith("x-fd-"):
                found.append((pointer(at), key, value))
            found += _extension_nodes(value, (*at, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _extension_nodes(value, (*at, index))
    return found


def extension_problems(spec: Spec, host: str) -> list[str]:
    problems = []
    flags = {"x-fd-writes", "x-fd-publish", "x-fd-paginated", "x-fd-partner-scoped"}
    for where, key, value in _extension_nodes(spec):
        if key not in EXTENSIONS:
            problems.append(f"{where}: unknown extension {key}")
        elif key in flags and value is not True:
            problems.append(f"{where}: {key} must be true (absent = false), got {value!r}")
        elif key == "x-fd-id" and value not in ID_KINDS:
            problems.append(f"{where}: x-fd-id {value!r} is not one of {sorted(ID_KINDS)}")
        elif key == "x-fd-base" and value != "unversioned":
            problems.append(f"{where}: x-fd-base must be 'unversioned'")
        elif key == "x-fd-host" and (where != "#/" or value != host):
            problems.append(f"{where}: x-fd-host belongs at the root with value {host!r}")
        op_level = {"x-fd-writes", "x-fd-publish", "x-fd-paginated", "x-fd-partner-scoped", "x-fd-base"}
        if key in op_level and not re.fullmatch(r"#/paths/[^/]+/(get|put|post|delete|patch)", where):
            problems.append(f"{where}: {key} belongs on an operation")
    for op in operations(spec, host):
        writes = op.op.get("x-fd-writes") is True
        if writes != (op.method != "get" and op.id not in NOT_WRITES):
            problems.append(f"{op.id}: x-fd-writes={writes} does not match its method {op.method.upper()}")
        if op.op.get("x-fd-publish") and not writes:
            problems.append(f"{op.id}: x-fd-publish without x-fd-writes")
        if op.op.get("x-fd-partner-scoped") and op.method != "get":
            problems.append(f"{op.id}: x-fd-partner-scoped on a non-list operation")
    return problems


def id_marker_problems(spec: Spec, host: str) -> list[str]:
    """Parameters and schema properties named like a scoped id carry the matching x-fd-id."""
    aliases = {name: name for name in ID_KINDS} | {"event_id": "eid"}
    problems = []
    for op in operations(spec, host):
        for _, param in parameters(spec, op):
            kind = aliases.get(param["name"])
            if param["in"] == "header" and param["name"] == "X-Preferred-Partner-Id":
                kind = "partner_id"
            if kind and param.get("x-fd-id") != kind:
                problems.append(f"{op.id}: parameter {param['name']} lacks x-fd-id: {kind}")
    for at, schema in all_schemas(spec):
        for name, prop in (schema.get("properties") or {}).items():
            if name in aliases and prop.get("x-fd-id") != aliases[name]:
                problems.append(f"{pointer(at)}/properties/{name}: lacks x-fd-id: {aliases[name]}")
    return problems


CHECKS = [
    security_problems,
    authenticated_problems,
    not_found_problems,
    error_body_problems,
    paginated_problems,
    extension_problems,
    id_marker_problems,
]


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
def test_convention_holds(check: Any, host: str, spec: Spec) -> None:
    assert check(spec, host) == []


def test_operation_ids_are_unique_camel_case_across_both_hosts() -> None:
    ids = [op.id for op in all_operations()]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert [i for i in ids if not re.fullmatch(r"[a-z][a-zA-Z0-9]+", i)] == []


def test_every_operation_has_one_known_tag_summary_and_description(host: str, spec: Spec) -> None:
    for op in operations(spec, host):
        assert len(op.op.get("tags", [])) == 1, op.id
        assert op.op["tags"][0] in TAGS[host], op.id
        assert op.op.get("summary"), op.id
        assert op.op.get("description"), op.id
    assert {t["name"] for t in spec["tags"]} == TAGS[host]


def test_partner_header_component_is_fixed(host: str, spec: Spec) -> None:
    header = spec["components"]["parameters"]["PartnerHeader"]
    assert (header["name"], header["in"], header["required"]) == ("X-Preferred-Partner-Id", "header", False)
    assert header["schema"] == {"$ref": "#/components/schemas/PartnerHeaderValue"}
    # Decisions 43 and 72: no pattern and no length bounds, so a spec-driven server cannot answer 400
    # where the contract says 403 (a malformed, empty or over-long value is a partner the user lacks).
    value = spec["components"]["schemas"]["PartnerHeaderValue"]
    assert value["type"] == "string"
    assert not {"pattern", "minLength", "maxLength", "format", "enum"} & set(value), value


PAGE_ITEMS = {"EventPage": "Event", "CampaignPage": "Campaign", "MessagePage": "Message"}


@pytest.mark.parametrize(("page", "item"), sorted(PAGE_ITEMS.items()))
def test_page_examples_are_consistent_and_show_the_item_example(page: str, item: str) -> None:
    """Decision 72: a mock answering from examples returns a self-consistent page whose item is the one
    the object reads of the same mock return (so discovery, object reads and children agree)."""
    schemas = load("main")["components"]["schemas"]
    (example,) = schemas[page]["examples"]
    assert example["items"] == [schemas[item]["examples"][0]]
    total, limit, number = example["total"], example["limit"], example["page"]
    assert example["pages"] == -(-total // limit)
    assert len(example["items"]) == min(limit, total - (number - 1) * limit)
    assert example["nextPage"] == (number + 1 if number < example["pages"] else None)
    assert example["prevPage"] == (number - 1 if number > 1 else None)


def test_error_envelope_is_fixed(host: str, spec: Spec) -> None:
    envelope = spec["components"]["schemas"]["ErrorEnvelope"]
    assert envelope["required"] == ["message"]
    assert envelope["properties"]["message"]["pattern"] == r"^error\.[a-z0-9_]+(\.[a-z0-9_]+)+$"
    assert set(envelope["properties"]) == {"message", "error_code", "error_subcode", "validation_errors"}


def test_deprecated_operations_say_which_docs_have_them(host: str, spec: Spec) -> None:
    for op in operations(spec, host):
        if op.op.get("deprecated"):
            assert re.search(r"\b(DK-old|old)\b", op.op["description"]), op.id


def test_array_query_parameters_are_repeat_style(host: str, spec: Spec) -> None:
    for op in operations(spec, host):
        for _, param in parameters(spec, op):
            if param["in"] == "query" and resolve(spec, param["schema"]).get("type") == "array":
                assert (param.get("style"), param.get("explode")) == ("form", True), (op.id, param["name"])


def test_every_extension_is_documented_in_the_readme() -> None:
    readme = (ROOT / "specs" / "README.md").read_text(encoding="utf-8")
    used = {key for host in ("main", "cr") for _, key, _ in _extension_nodes(load(host))}
    assert used == EXTENSIONS
    assert [key for key in sorted(used) if f"`{key}`" not in readme] == []
    publish = [op.id for op in all_operations() if op.op.get("x-fd-publish")]
    assert "boostSetupProcess" in publish
    assert [i for i in publish if f"`{i}`" not in readme] == [], "README's publish-grade list is out of date"


# ------------------------------------------------------------------ the checks notice broken specs


def _op(spec: Spec, path: str, method: str) -> dict[str, Any]:
    op: dict[str, Any] = spec["paths"][path][method]
    return op


def test_a_missing_partner_header_or_401_is_reported(main_spec: Spec) -> None:
    op = _op(main_spec, "/events/{eid}/clusters", "get")
    op["parameters"] = [p for p in op["parameters"] if p.get("$ref") != PARTNER_HEADER]
    del _op(main_spec, "/partners/", "get")["responses"]["401"]
    problems = authenticated_problems(main_spec, "main")
    assert any(p.startswith("getEventClusters: lists the partner header 0 times") for p in problems)
    assert any(p.startswith("getPartner: no 401") for p in problems)


def test_a_paginated_list_without_the_envelope_is_reported(main_spec: Spec) -> None:
    media = _op(main_spec, "/events/", "get")["responses"]["200"]["content"]["application/json"]
    media["schema"] = {"type": "array", "items": {"$ref": "#/components/schemas/Event"}}
    del _op(main_spec, "/messages/partner/", "get")["x-fd-paginated"]
    problems = paginated_problems(main_spec, "main")
    assert "listEvents: 200 body is not allOf[PageEnvelope, narrowing]" in problems
    assert "listPartnerMessages: takes `page` but is not marked x-fd-paginated" in problems


def test_other_broken_conventions_are_reported(main_spec: Spec) -> None:
    boost = _op(main_spec, "/setup_processes/{eid}/boost", "post")
    del boost["responses"]["404"], boost["x-fd-writes"]
    boost["responses"]["500"] = {"description": "boom"}
    _op(main_spec, "/events/", "get")["security"] = []
    _op(main_spec, "/events/", "get")["x-fd-paginated"] = "yes"
    main_spec["components"]["parameters"]["TcPath"].pop("x-fd-id")
    assert any(
        p.startswith("boostSetupProcess: takes an object id") for p in not_found_problems(main_spec, "main")
    )
    assert any(
        p.startswith("boostSetupProcess: documents 500") for p in error_body_problems(main_spec, "main")
    )
    assert any(p.startswith("listEvents: public=True") for p in security_problems(main_spec, "main"))
    extension = extension_problems(main_spec, "main")
    assert any("x-fd-paginated must be true" in p for p in extension)
    assert any(p.startswith("boostSetupProcess: x-fd-publish without x-fd-writes") for p in extension)
    assert any("parameter tc lacks x-fd-id: tc" in p for p in id_marker_problems(main_spec, "main"))
