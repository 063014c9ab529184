"""The spec index: the operation tables of both bundled specs.

Loaded from the bundled ``specs/main-api.yaml`` and ``specs/cr-api.yaml`` (never from the target), so
sweeps such as AUTH-01 and OBJ-01 cover every operation the contract names. Path parameters are
filled from values discovered on the target (:func:`fill_path`), ``tc`` percent-encoded.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
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


def resolve_ref(spec: Mapping[str, Any], node: Any) -> Any:
    """``node`` itself, or the object its local ``$ref`` points at."""
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
        shared = [resolve_ref(spec, p) for p in item.get("parameters", [])]
        for method in HTTP_METHODS:
            if method not in item:
                continue
            raw = item[method]
            params = {(p["in"], p["name"]): p for p in shared}
            params.update(
                {(p["in"], p["name"]): p for p in (resolve_ref(spec, q) for q in raw.get("parameters", []))}
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


def path_params(template: str, segments: Sequence[str]) -> dict[str, str] | None:
    """The parameter values a path (split on ``/``) gives a spec path template; ``None`` = no match.

    A parameter takes exactly one non-empty segment; literal segments must be equal."""
    parts = template.split("/")
    if len(parts) != len(segments):
        return None
    params: dict[str, str] = {}
    for part, segment in zip(parts, segments, strict=True):
        if part.startswith("{") and part.endswith("}"):
            if segment == "":
                return None
            params[part[1:-1]] = segment
        elif part != segment:
            return None
    return params


def template_matches(template: str, concrete: str) -> bool:
    """Whether a concrete path (percent-encoded segments) matches a spec path template."""
    return path_params(template, concrete.split("/")) is not None


def methods_at(ops: Iterable[Operation], concrete: str) -> set[str]:
    """The methods the spec declares for the templates a concrete path matches."""
    return {op.method for op in ops if template_matches(op.path, concrete)}


def url_templates(bases: Mapping[str, str]) -> tuple[str, ...]:
    """URL path templates (``/api/v3/events/{eid}``) of every operation of the hosts in ``bases``
    (``main``, ``cr``, ``media``: base URLs; unversioned operations go to ``media``)."""
    out = []
    for op in all_operations():
        base = bases.get("media" if op.base == "unversioned" else op.host)
        if base:
            out.append(urllib.parse.urlsplit(base).path.rstrip("/") + op.path)
    return tuple(out)


def spec_of(host: str) -> dict[str, Any]:
    """The bundled spec document of ``main`` or ``cr`` (shared with :func:`load`: parsed once)."""
    return _parse(resources.main_spec() if host == "main" else resources.cr_spec())
