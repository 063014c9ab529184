"""The spec index (`conformance.spec`): operations of both bundled specs, path filling and matching."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from conformance import resources, spec

METHODS = ("get", "head", "post", "put", "patch", "delete")


def _document(host: str) -> dict[str, Any]:
    path = resources.main_spec() if host == "main" else resources.cr_spec()
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("host", ["main", "cr"])
def test_every_operation_of_the_spec_is_indexed_in_file_order(host: str) -> None:
    doc = _document(host)
    walked = [(m.upper(), p) for p, item in doc["paths"].items() for m in METHODS if m in item]
    assert [(op.method, op.path) for op in spec.load(host)] == walked
    assert {op.host for op in spec.load(host)} == {host}


def test_security_base_and_publish_markers_come_from_the_spec() -> None:
    doc = _document("main")
    ops = spec.load("main")
    public = {(op.method, op.path) for op in ops if not op.secured}
    assert public == {
        (m.upper(), p) for p, item in doc["paths"].items() for m in METHODS
        if m in item and item[m].get("security", doc.get("security")) == []
    }
    assert {op.path for op in ops if op.base == "unversioned"} == {
        p for p, item in doc["paths"].items() if any(item[m].get("x-fd-base") for m in METHODS if m in item)
    }
    assert {op.label for op in ops if op.effect == "publish"} == {
        f"main {m.upper()} {p}" for p, item in doc["paths"].items() for m in METHODS
        if m in item and item[m].get("x-fd-publish")
    }


def _op(path: str, params: tuple[str, ...], kinds: dict[str, str] | None = None) -> spec.Operation:
    return spec.Operation("main", "GET", path, True, path_params=params, id_kinds=kinds or {})


def test_fill_path_percent_encodes_and_refuses_to_guess() -> None:
    op = _op("/events/{eid}/clusters/{tc}", ("eid", "tc"))
    assert spec.fill_path(op, {"eid": "evt_1", "tc": "a/b c"}) == "/events/evt_1/clusters/a%2Fb%20c"
    assert spec.fill_path(op, {"eid": "evt_1"}) is None  # the caller skips with a reason
    marked = _op("/x/{event_id}/{pid}", ("event_id", "pid"), {"pid": "partner"})
    assert marked.kind_of("event_id") == "eid"  # guessed from the name
    assert marked.kind_of("pid") == "partner"  # the spec's x-fd-id marker wins
    assert spec.fill_path(marked, {"eid": "e9", "partner": "partner-id-acme"}) == "/x/e9/partner-id-acme"


def test_template_matching() -> None:
    assert spec.template_matches("/events/{eid}/clusters", "/events/evt%201/clusters")
    assert not spec.template_matches("/events/{eid}/clusters", "/events/evt_1/clusters/x")
    assert not spec.template_matches("/events/{eid}", "/events/")
    ops = [_op("/events/{eid}", ("eid",)), spec.Operation("main", "PUT", "/events/{eid}", True)]
    assert spec.methods_at(ops, "/events/evt_1") == {"GET", "PUT"}
    assert spec.methods_at(ops, "/partners/") == set()


def test_spec_of_is_the_parsed_document() -> None:
    assert spec.spec_of("cr")["paths"].keys() == _document("cr")["paths"].keys()
