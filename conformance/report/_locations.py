"""Where a finding sits in the specs: its operation (``GET /events/{eid}``) and that operation's line.

A fuzz finding names its operation; a scenario finding carries the request it sent (``GET
http://…/api/v3/events/evt_1``). :func:`operation_of` turns either into the spec's method and path
template by stripping the run's base URL for the finding's host and matching the remainder against
the spec's templates. :class:`SpecLines` knows the line of every operation's method key in
``specs/main-api.yaml`` and ``specs/cr-api.yaml`` (read with PyYAML's composer, which keeps marks), and
the line of every rule in ``specs/rules.yaml`` (where a finding without an operation is located).
Waivers (operation-scoped) and SARIF both use this one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from conformance.report._model import FindingRecord
from conformance.resources import cr_spec, main_spec, rules_file

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml, where built: ~15x faster

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
#: Repository-relative paths of the bundled files, as SARIF and messages name them.
SPEC_PATHS = {"main": "specs/main-api.yaml", "cr": "specs/cr-api.yaml"}
RULES_PATH = "specs/rules.yaml"
_REQUEST_LINE = re.compile(r"^([A-Z]+) (\S+)")


@dataclass(frozen=True)
class Location:
    """A file (repository-relative) and a 1-based line."""

    path: str
    line: int


def _operations(path: Path) -> dict[tuple[str, str], int]:
    """``(METHOD, template) -> 1-based line`` of the method key, for every operation of a spec."""
    root = yaml.compose(path.read_text(encoding="utf-8"), Loader=_LOADER)
    out: dict[tuple[str, str], int] = {}
    if not isinstance(root, yaml.MappingNode):
        return out
    for key, value in root.value:
        if key.value != "paths" or not isinstance(value, yaml.MappingNode):
            continue
        for path_key, item in value.value:
            if not isinstance(item, yaml.MappingNode):
                continue
            for method_key, _op in item.value:
                if method_key.value in METHODS:
                    out[(method_key.value.upper(), str(path_key.value))] = method_key.start_mark.line + 1
    return out


def _rule_lines(path: Path) -> dict[str, int]:
    root = yaml.compose(path.read_text(encoding="utf-8"), Loader=_LOADER)
    out: dict[str, int] = {}
    if not isinstance(root, yaml.MappingNode):
        return out
    for key, value in root.value:
        if key.value == "rules" and isinstance(value, yaml.SequenceNode):
            for item in value.value:
                if isinstance(item, yaml.MappingNode):
                    for k, v in item.value:
                        if k.value == "id":
                            out[str(v.value)] = item.start_mark.line + 1
    return out


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("^" + "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$")


class SpecLines:
    """Lines of operations and rules in the bundled specs (see the module docstring)."""

    def __init__(self) -> None:
        specs = (("main", main_spec()), ("cr", cr_spec()))
        self.operations = {host: _operations(path) for host, path in specs}
        self.rules = _rule_lines(rules_file())
        self._patterns = {
            host: [(method, template, _template_regex(template)) for method, template in ops]
            for host, ops in self.operations.items()
        }

    def match(self, host: str, method: str, path: str) -> str:
        """``"GET /events/{eid}"`` for a concrete request path, or ``""`` when no template matches.

        A literal template wins over one with parameters (``/events/statistics`` over ``/events/{eid}``).
        """
        hits = [t for m, t, rx in self._patterns.get(host, []) if m == method and rx.match(path)]
        if not hits:
            return ""
        return f"{method} {min(hits, key=lambda t: (t.count('{'), -len(t)))}"

    def operation_line(self, host: str, operation: str) -> Location | None:
        method, _, template = operation.partition(" ")
        line = self.operations.get(host, {}).get((method, template))
        return Location(SPEC_PATHS[host], line) if line else None

    def rule_line(self, rule_id: str) -> Location:
        return Location(RULES_PATH, self.rules.get(rule_id, 1))


@cache
def spec_lines() -> SpecLines:
    return SpecLines()


def _host_path(url: str, targets: dict[str, str]) -> tuple[str, str] | None:
    """``(host, path)`` of ``url`` under the longest of the run's bases that prefixes it."""
    hits = []
    for name, given in targets.items():
        base = given.rstrip("/")
        if base and (url == base or url.startswith(base + "/")):
            hits.append((len(base), name, url[len(base):].split("?", 1)[0].split("#", 1)[0] or "/"))
    if not hits:
        return None
    _, name, path = max(hits)
    return ("main" if name == "media" else name), path


def operation_of(finding: FindingRecord, targets: dict[str, str]) -> tuple[str, str]:
    """``(host, "METHOD /template")`` of a finding; ``("", "")`` parts when unknown."""
    if finding.operation:
        return finding.host or "main", finding.operation
    match = _REQUEST_LINE.match(finding.request or "")
    if not match:
        return finding.host, ""
    method, url = match.groups()
    where = _host_path(url, targets)
    if where is None:
        return finding.host, ""
    host, path = where
    return host, spec_lines().match(host, method, path)


def location_of(finding: FindingRecord, targets: dict[str, str]) -> Location:
    """The spec line of the finding's operation, else its rule's line in ``specs/rules.yaml``."""
    host, operation = operation_of(finding, targets)
    if host and operation:
        found = spec_lines().operation_line(host, operation)
        if found:
            return found
    return spec_lines().rule_line(finding.rule_id)
