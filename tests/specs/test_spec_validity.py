"""Both specs are valid OpenAPI 3.1 documents with the fixed titles, hosts and servers."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator
from openapi_walk import load, operations, resolve


def _errors(spec: dict[str, Any]) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in OpenAPIV31SpecValidator(spec).iter_errors()
    ]


def test_spec_is_valid_openapi_31(host: str, spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1."), spec["openapi"]
    assert _errors(spec) == []


def test_validator_rejects_a_broken_spec(main_spec: dict[str, Any]) -> None:
    # The validity test above is only worth something if the validator notices a real mistake.
    main_spec["paths"]["/events/{eid}"]["get"]["responses"]["200"].pop("description")
    main_spec["paths"]["/events/{eid}"]["get"]["parameters"].append({"name": "x", "in": "body"})
    assert len(_errors(main_spec)) >= 2


def test_titles_are_distinct_and_fixed() -> None:
    assert load("main")["info"]["title"] == "Future Demand Client API (main)"
    assert load("cr")["info"]["title"] == "Future Demand Client API (CR)"


def test_root_names_the_host(host: str, spec: dict[str, Any]) -> None:
    assert spec["x-fd-host"] == host


def test_main_servers_are_the_versioned_base_loopback_first(main_spec: dict[str, Any]) -> None:
    urls = [s["url"] for s in main_spec["servers"]]
    assert urls[0] == "http://127.0.0.1:8000/api/v3"
    assert "https://client-api.stg.future-demand.com/api/v3" in urls
    assert "https://client-api.prd.future-demand.com/api/v3" in urls
    assert all(u.endswith("/api/v3") for u in urls)


def test_media_lives_on_the_unversioned_base_only(main_spec: dict[str, Any]) -> None:
    item = main_spec["paths"]["/media"]
    urls = [s["url"] for s in item["servers"]]
    assert urls, "POST /media needs its own servers"
    assert all(u.endswith("/api") for u in urls), urls
    assert item["post"]["x-fd-base"] == "unversioned"
    others = [
        op.label
        for op in operations(main_spec, "main")
        if op.op.get("x-fd-base") or "servers" in op.path_item or "servers" in op.op
    ]
    assert others == ["main:POST /media"]


def test_cr_servers_have_no_version_segment(cr_spec: dict[str, Any]) -> None:
    urls = [s["url"] for s in cr_spec["servers"]]
    assert urls[0] == "http://127.0.0.1:8001/api"
    assert all(u.endswith("/api") and "/v3" not in u for u in urls)


@pytest.mark.parametrize(
    ("kind", "names"),
    [
        ("schemas",
         ["PartnerHeaderValue", "Eid", "ErrorEnvelope", "ValidationError", "UnknownBody", "FileUpload"]),
        ("parameters", ["PartnerHeader", "EidPath"]),
    ],
)
def test_shared_components_are_identical_on_both_hosts(kind: str, names: list[str]) -> None:
    main, cr = load("main")["components"][kind], load("cr")["components"][kind]
    for name in names:
        assert main[name] == cr[name], f"components/{kind}/{name} differs between the two specs"


@pytest.mark.parametrize(
    "name", ["Unauthorized", "Forbidden", "NotFound", "BadRequest", "TooManyRequests", "NoContent"]
)
def test_shared_responses_have_the_same_bodies(name: str) -> None:
    main, cr = load("main"), load("cr")
    bodies = [
        {
            mime: resolve(spec, media["schema"])
            for mime, media in spec["components"]["responses"][name].get("content", {}).items()
        }
        for spec in (main, cr)
    ]
    assert bodies[0] == bodies[1]


def test_security_scheme_is_the_fixed_bearer_scheme(host: str, spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert list(schemes) == ["bearerAuth"]
    scheme = schemes["bearerAuth"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    assert "apikey" in scheme["description"]
    assert "AccessToken" in scheme["description"]
    assert spec["security"] == [{"bearerAuth": []}]
