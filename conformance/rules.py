"""The rule catalogue, loaded from ``specs/rules.yaml`` (the only place rule titles live)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from conformance.errors import SpecError
from conformance.resources import rules_file

MODES = ("read-only", "write", "publish")


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    rationale: str
    level: str
    severity: str
    hosts: tuple[str, ...]
    personas: tuple[str, ...]
    mode: str
    required: bool
    docs: str

    @property
    def family(self) -> str:
        return self.id.split("-")[0]


@cache
def catalogue(path: Path | None = None) -> dict[str, Rule]:
    """All rules by id, in catalogue order. Raises :class:`SpecError` on a malformed file."""
    source = path or rules_file()
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
        rules = {
            item["id"]: Rule(
                id=item["id"],
                title=item["title"],
                rationale=item["rationale"],
                level=item["level"],
                severity=item["severity"],
                hosts=tuple(item["hosts"]),
                personas=tuple(item["personas"]),
                mode=item["mode"],
                required=bool(item["required"]),
                docs=item["docs"],
            )
            for item in raw["rules"]
        }
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise SpecError(f"rule catalogue {source} is unreadable: {exc}", "restore specs/rules.yaml") from exc
    for rule in rules.values():
        if rule.mode not in MODES:
            raise SpecError(f"rule {rule.id} in {source} has mode {rule.mode!r}", f"use one of {MODES}")
    return rules


def mode_allows(run_mode: str, rule_mode: str) -> bool:
    """Whether a run in ``run_mode`` may execute a rule needing ``rule_mode``."""
    return MODES.index(run_mode) >= MODES.index(rule_mode)
