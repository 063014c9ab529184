"""The operation tables of both specs, as the scenarios need them.

Loaded from the bundled ``specs/main-api.yaml`` and ``specs/cr-api.yaml`` (never from the target), so
sweeps such as AUTH-01 and OBJ-01 cover every operation the contract names. Path parameters are
filled from values discovered on the target (:func:`fill_path`), ``tc`` percent-encoded.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from conformance import resources

HTTP_METHODS = ("get", "head", "post", "put", "patch", "delete")
_PARAM_RE = re.compile(r"\{([^}/]+)\}")
# Path parameter names that carry an event id, when the spec does not mark them (x-fd-id: eid).
EID_NAMES = frozenset({"eid", "event_id"})
PUBLISHING = "publish"


@dataclass(frozen=True)
class Operation:
    """One operation of one spec, with the bits the scenarios branch on."""

    host: str  # "main" | "cr"
    method: str  # upper case
    path: str  # template, e.g. /events/{eid}/clusters
    secured: bool  # needs a bearer token
    base: str = "versioned"  # "unversioned" for POST /media (x-fd-base)
    deprecated: bool = False
    path_params: tuple[str, ...] = ()
    id_kinds: Mapping[str, str] = field(default_factory=dict)  # param name -> id kind (eid, tc, ...)
    query: tuple[dict[str, Any], ...] = ()  # query parameter objects
    effect: str = ""  # "publish" when the spec marks the operation x-fd-publish
    paginated: bool = False  # x-fd-paginated
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self) -> str:
        return f"{self.host} {self.method} {self.path}"

    @property
    def is_read(self) -> bool:
        return self.method in ("GET", "HEAD")

    @property
    def publishes(self) -> bool:
        return self.effect == PUBLISHING or self.path.endswith("/boost")

    def kind_of(self, param: str) -> str:
        """The id kind of a path parameter: the spec's marker, else a guess from its name."""
        if param in self.id_kinds:
            return self.id_kinds[param]
        if param in EID_NAMES:
            return "eid"
        return param

    @property
    def eid_params(self) -> tuple[str, ...]:
        return tuple(p for p in self.path_params if self.kind_of(p) == "eid")

    @property
    def required_query(self) -> tuple[dict[str, Any], ...]:
        return tuple(q for q in self.query if q.get("required"))


def _resolve(spec: Mapping[str, Any], node: Any) -> Any:
    if isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in str(node["$ref"]).lstrip("#/").split("/"):
            target = target[part]
        return target
    return node


def _id_kind(param: Mapping[str, Any]) -> str | None:
    marker = param.get("x-fd-id")
    if marker is None and isinstance(param.get("schema"), dict):
        marker = param["schema"].get("x-fd-id")
    if marker is True:
        return str(param.get("name"))
    return str(marker) if isinstance(marker, str) else None


@cache
def _parse(source: Path) -> dict[str, Any]:
    """A spec document, parsed once per process (libyaml when available: ~20x faster)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data: dict[str, Any] = yaml.load(source.read_text(encoding="utf-8"), Loader=loader)
    return data


@cache
def load(host: str, path: Path | None = None) -> tuple[Operation, ...]:
    """Every operation of the ``main`` or ``cr`` spec, in file order."""
    source = path or (resources.main_spec() if host == "main" else resources.cr_spec())
    spec = _parse(source)
    global_security = spec.get("security", [])
    ops: list[Operation] = []
    for template, item in (spec.get("paths") or {}).items():
        shared = [_resolve(spec, p) for p in item.get("parameters", [])]
        for method in HTTP_METHODS:
            if method not in item:
                continue
            raw = item[method]
            params = {(p["in"], p["name"]): p for p in shared}
            params.update(
                {(p["in"], p["name"]): p for p in (_resolve(spec, q) for q in raw.get("parameters", []))}
            )
            security = raw.get("security", global_security)
            id_kinds = {
                name: kind
                for (where, name), p in params.items()
                if where == "path" and (kind := _id_kind(p)) is not None
            }
            ops.append(
                Operation(
                    host=host,
                    method=method.upper(),
                    path=template,
                    secured=any(bool(req) for req in security),
                    base=str(raw.get("x-fd-base", item.get("x-fd-base", "versioned"))),
                    deprecated=bool(raw.get("deprecated", False)),
                    path_params=tuple(_PARAM_RE.findall(template)),
                    id_kinds=id_kinds,
                    query=tuple(p for (where, _), p in params.items() if where == "query"),
                    effect=PUBLISHING if raw.get("x-fd-publish") else str(raw.get("x-fd-effect", "")),
                    paginated=bool(raw.get("x-fd-paginated", False)),
                    raw=raw,
                )
            )
    return tuple(ops)


def all_operations() -> tuple[Operation, ...]:
    return load("main") + load("cr")


def fill_path(op: Operation, values: Mapping[str, Any]) -> str | None:
    """The template with each path parameter replaced by ``values[kind]`` (``tc`` percent-encoded).

    ``None`` when a needed value is unknown: the caller skips that operation with a reason instead of
    guessing an id.
    """
    path = op.path
    for param in op.path_params:
        kind = op.kind_of(param)
        value = values.get(param, values.get(kind))
        if value is None:
            return None
        path = path.replace("{" + param + "}", urllib.parse.quote(str(value), safe=""))
    return path


def template_matches(template: str, concrete: str) -> bool:
    """Whether a concrete path (percent-encoded segments) matches a spec path template."""
    pattern = "^" + _PARAM_RE.sub("[^/]+", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")) + "$"
    return re.match(pattern, concrete) is not None


def methods_at(ops: Iterable[Operation], concrete: str) -> set[str]:
    """The methods the spec declares for the templates a concrete path matches."""
    return {op.method for op in ops if template_matches(op.path, concrete)}


def spec_of(host: str) -> dict[str, Any]:
    """The bundled spec document of ``main`` or ``cr`` (shared with :func:`load`: parsed once)."""
    return _parse(resources.main_spec() if host == "main" else resources.cr_spec())


def minimal_instance(schema: Any, spec: Mapping[str, Any], depth: int = 0) -> Any:
    """A small instance of ``schema``: required properties only, first enum value, example if given."""
    schema = _resolve(spec, schema)
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
    content = _resolve(spec, body).get("content", {})
    media = content.get("application/json")
    if not isinstance(media, dict):
        return {}
    if "example" in media:
        return media["example"]
    value = minimal_instance(media.get("schema", {}), spec)
    return value if value is not None else {}
