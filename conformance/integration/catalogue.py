"""The INT rules: ``integration_rules:`` of ``specs/rules.yaml``, each with the checks it is made of."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from conformance.errors import SpecError
from conformance.resources import rules_file

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml, where built: ~15x faster


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str


@dataclass(frozen=True)
class IntegrationRule:
    id: str
    title: str
    rationale: str
    level: str
    severity: str
    required: bool
    docs: str
    checks: tuple[CheckSpec, ...]


@cache
def integration_catalogue(path: Path | None = None) -> dict[str, IntegrationRule]:
    """All INT rules by id, in catalogue order; raises :class:`SpecError` on a malformed file."""
    source = path or rules_file()
    try:
        raw = yaml.load(source.read_text(encoding="utf-8"), Loader=_LOADER)
        return {
            item["id"]: IntegrationRule(
                id=item["id"],
                title=item["title"],
                rationale=item["rationale"],
                level=item["level"],
                severity=item["severity"],
                required=bool(item["required"]),
                docs=item["docs"],
                checks=tuple(CheckSpec(str(c["id"]), str(c["title"])) for c in item["checks"]),
            )
            for item in raw["integration_rules"]
        }
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise SpecError(
            f"integration rules in {source} are unreadable: {exc}", "restore specs/rules.yaml"
        ) from exc
