"""Which documented operation a recorded request was, on which surface (main, media, cr).

Built from the bundled specs: ``main-api.yaml`` (its ``/media`` path has its own unversioned server)
and ``cr-api.yaml``. Matching follows the reference's routing: literal segments win over parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import yaml

from conformance.resources import cr_spec, main_spec
from conformance.spec import path_params

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
SURFACES = ("main", "media", "cr")


@dataclass(frozen=True)
class Operation:
    surface: str  # main | media | cr
    method: str
    template: str  # relative to the surface base, e.g. /events/{eid}/clusters
    deprecated: bool
    authenticated: bool
    array_params: frozenset[str]

    @property
    def label(self) -> str:
        return f"{self.method} {self.template}"


@dataclass(frozen=True)
class Located:
    """A request placed on its surface: ``surface`` None when the base URL itself is unknown."""

    surface: str | None
    rel: str


def locate(host: str, path: str) -> Located:
    """The surface a recorded path was sent to, and the path relative to that surface's base."""
    if host == "main":
        if path == "/api/v3" or path.startswith("/api/v3/"):
            return Located("main", path[len("/api/v3") :])
        if path.startswith("/api/"):
            return Located("media", path[len("/api") :])
        return Located(None, path)
    if path.startswith("/api/"):
        return Located("cr", path[len("/api") :])
    return Located(None, path)


class OperationIndex:
    """All operations of both specs, matchable by (surface, method, relative path)."""

    def __init__(self, operations: list[Operation]) -> None:
        self.operations = sorted(operations, key=lambda o: (o.template.count("{"), o.template))

    def match(self, surface: str, method: str, rel: str) -> tuple[Operation, dict[str, str]] | None:
        segments = [unquote(s) for s in rel.split("/")]
        template: str | None = None
        for op in self.operations:
            if op.surface != surface or (template is not None and op.template != template):
                continue
            params = path_params(op.template, segments)
            if params is None:
                continue
            template = op.template
            if op.method == method or (method == "HEAD" and op.method == "GET"):
                return op, params
        return None

    def anywhere(self, method: str, rel: str) -> list[tuple[Operation, dict[str, str]]]:
        """The operations of every surface this relative path and method would be."""
        found = [self.match(s, method, rel) for s in SURFACES]
        return [f for f in found if f is not None]

    def exists(self, surface: str, method: str, template: str) -> bool:
        return any(
            o.surface == surface and o.method == method and o.template == template for o in self.operations
        )


def _load(path: Path, default_surface: str) -> list[Operation]:
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    components = doc.get("components", {}).get("parameters", {})
    global_security = bool(doc.get("security"))
    out = []
    for template, item in (doc.get("paths") or {}).items():
        surface = default_surface
        if default_surface == "main" and any(
            "/v3" not in str(s.get("url", "")) for s in item.get("servers", [])
        ):
            surface = "media"
        shared = item.get("parameters", [])
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            arrays = set()
            for declared in [*shared, *op.get("parameters", [])]:
                param = declared
                if "$ref" in declared:
                    param = components.get(str(declared["$ref"]).rsplit("/", 1)[-1], {})
                if param.get("in") == "query" and (param.get("schema") or {}).get("type") == "array":
                    arrays.add(str(param["name"]))
            security = op.get("security", None)
            out.append(
                Operation(
                    surface=surface,
                    method=method.upper(),
                    template=template,
                    deprecated=bool(op.get("deprecated", False)),
                    authenticated=bool(security) if security is not None else global_security,
                    array_params=frozenset(arrays),
                )
            )
    return out


@cache
def operation_index() -> OperationIndex:
    """The index of the bundled specs (parsed once per process)."""
    return OperationIndex([*_load(main_spec(), "main"), *_load(cr_spec(), "cr")])
