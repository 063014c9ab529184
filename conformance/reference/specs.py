"""The OpenAPI specs as the reference's request validator.

``specs/main-api.yaml`` and ``specs/cr-api.yaml`` are read at start. Each operation the reference
serves is matched to the spec operation with the same method and path shape; its parameters and JSON
request body are then validated with jsonschema (2020-12, ``$ref`` resolved inside the spec). A spec
that is missing or does not (yet) declare an operation means: no spec-driven checks for it; the
handlers' own checks (CONTRACT.md) still apply.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conformance.reference.replies import field_error

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_INT_RE = re.compile(r"^-?\d{1,18}$")
_NUM_RE = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")


def shape(template: str) -> str:
    """A path with parameter names erased, so ``/events/{eid}`` matches ``/events/{event_id}``."""
    return re.sub(r"\{[^}/]+\}", "{}", template)


@dataclass
class Param:
    name: str
    location: str  # path | query | header | cookie
    required: bool
    schema: dict[str, Any]  # dereferenced one level (for coercion)
    pointer: str  # JSON pointer of the schema inside the spec document (for validation)


@dataclass
class Operation:
    surface: str  # main | media | cr
    method: str  # upper case
    path: str
    operation_id: str
    params: list[Param] = field(default_factory=list)
    body: dict[str, str] = field(default_factory=dict)  # content type -> schema pointer
    body_required: bool = False
    source: str = ""  # "main" | "cr": which document the pointers refer to


@functools.lru_cache(maxsize=8)
def _parse(path: Path, mtime_ns: int) -> Any:
    """Parse a spec once per process and version of the file (stacks never mutate it)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml is ~20x faster than pure Python
    return yaml.load(path.read_text(encoding="utf-8"), Loader=loader)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


class SpecIndex:
    """Operations of both specs by ``(surface, METHOD, shape)``, with validators built lazily."""

    def __init__(self, main: Path | None, cr: Path | None) -> None:
        self.docs: dict[str, dict[str, Any]] = {}
        self.ops: dict[tuple[str, str, str], Operation] = {}
        self._validators: dict[tuple[str, str], Draft202012Validator] = {}
        registry: Registry = Registry()
        for name, path in (("main", main), ("cr", cr)):
            if path is None or not path.is_file():
                continue
            doc = _parse(path.resolve(), path.stat().st_mtime_ns)
            if not isinstance(doc, dict):
                continue
            self.docs[name] = doc
            registry = registry.with_resource(
                f"urn:fd-spec:{name}", Resource.from_contents(doc, default_specification=DRAFT202012)
            )
            self._index(name, doc)
        self._registry = registry

    # -- indexing --------------------------------------------------------------------------------
    def deref(self, source: str, node: Any) -> tuple[Any, str | None]:
        """Follow local ``$ref``s; returns the target and its pointer (``None`` if inline)."""
        pointer = None
        for _ in range(20):
            if not (
                isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/")
            ):
                break
            pointer = node["$ref"][1:]
            node = self.docs[source]
            for token in pointer.strip("/").split("/"):
                node = node[token.replace("~1", "/").replace("~0", "~")]
        return node, pointer

    def _index(self, source: str, doc: dict[str, Any]) -> None:
        for path, item in (doc.get("paths") or {}).items():
            if not isinstance(item, dict):
                continue
            base = f"/paths/{_escape(path)}"
            for method in METHODS:
                op = item.get(method)
                if not isinstance(op, dict):
                    continue
                surface = source
                servers = op.get("servers") or item.get("servers")
                if (
                    source == "main"
                    and servers
                    and not str(servers[0].get("url", "")).rstrip("/").endswith("/v3")
                ):
                    surface = "media"
                record = Operation(
                    surface, method.upper(), path, str(op.get("operationId", "")), source=source
                )
                raw_params = [
                    (f"{base}/parameters/{i}", p) for i, p in enumerate(item.get("parameters") or [])
                ]
                raw_params += [
                    (f"{base}/{method}/parameters/{i}", p) for i, p in enumerate(op.get("parameters") or [])
                ]
                by_key: dict[tuple[str, str], Param] = {}
                for where, raw in raw_params:
                    param, ref = self.deref(source, raw)
                    if not isinstance(param, dict) or "name" not in param:
                        continue
                    schema_ptr = f"{ref or where}/schema"
                    schema, sref = self.deref(source, param.get("schema", {}))
                    by_key[(param["name"], param.get("in", ""))] = Param(
                        param["name"],
                        param.get("in", ""),
                        bool(param.get("required")),
                        schema if isinstance(schema, dict) else {},
                        sref or schema_ptr,
                    )
                record.params = list(by_key.values())
                body, bref = self.deref(source, op.get("requestBody"))
                if isinstance(body, dict):
                    record.body_required = bool(body.get("required"))
                    body_ptr = bref or f"{base}/{method}/requestBody"
                    for ctype, media in (body.get("content") or {}).items():
                        if isinstance(media, dict) and "schema" in media:
                            record.body[ctype] = f"{body_ptr}/content/{_escape(ctype)}/schema"
                self.ops[(surface, method.upper(), shape(path))] = record

    def operation(self, surface: str, method: str, template: str) -> Operation | None:
        return self.ops.get((surface, method.upper(), shape(template)))

    # -- validation ------------------------------------------------------------------------------
    def _validator(self, source: str, pointer: str) -> Draft202012Validator:
        key = (source, pointer)
        if key not in self._validators:
            self._validators[key] = Draft202012Validator(
                {"$ref": f"urn:fd-spec:{source}#{pointer}"},
                registry=self._registry,
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
        return self._validators[key]

    def errors(self, op: Operation, pointer: str, value: Any, where: str) -> list[dict[str, Any]]:
        out = []
        for error in self._validator(op.source, pointer).iter_errors(value):
            location = ".".join([where, *(str(p) for p in error.absolute_path)])
            out.append(field_error(location, str(error.validator), _short(error.message)))
            if len(out) >= 20:
                break
        return out

    def coerce(self, op: Operation, param: Param, values: list[str]) -> tuple[Any, list[dict[str, Any]]]:
        schema = param.schema
        kind = _type_of(schema)
        where = f"{param.location}.{param.name}"
        if kind == "array":
            items, _ = self.deref(op.source, schema.get("items", {}))
            coerced = [_scalar(_type_of(items if isinstance(items, dict) else {}), v) for v in values]
        else:
            coerced = _scalar(kind, values[-1])
        bad = [v for v in (coerced if isinstance(coerced, list) else [coerced]) if v is _BAD]
        if bad:
            return None, [field_error(where, "type", f"{where} must be of type {kind}")]
        return coerced, self.errors(op, param.pointer, coerced, where)


_BAD = object()


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return str(kind)


def _scalar(kind: str, raw: str) -> Any:
    if kind == "integer":
        return int(raw) if _INT_RE.match(raw) else _BAD
    if kind == "number":
        return float(raw) if _NUM_RE.match(raw) else _BAD
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw.lower(), _BAD)
    return raw


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
