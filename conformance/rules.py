"""The rule catalogue, loaded from ``specs/rules.yaml`` (the only place rule titles live)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from conformance.errors import SpecError
from conformance.resources import rules_file

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml, where built: ~15x faster

MODES = ("read-only", "write", "publish")
JUDGED_BY = ("ledger", "tests")
THRESHOLDS = ("any", "every")


@dataclass(frozen=True)
class Check:
    """One check a rule is made of: judged per probe (``ledger``) or by the rule's tests (``tests``).

    ``threshold``: ``any`` (at least one judged operation per host) or ``every`` (every operation
    attempted on a host judged; one left unexercised keeps the rule partial). ``exempt``: operations
    (``METHOD /path``) the recording code does not attempt for this check (why: in ``rules.yaml``)."""

    id: str
    what: str
    hosts: tuple[str, ...]
    mode: str
    personas: tuple[str, ...] = ()
    judged_by: str = "ledger"
    threshold: str = "any"
    exempt: tuple[str, ...] = ()


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
    checks: tuple[Check, ...] = ()

    @property
    def family(self) -> str:
        return self.id.split("-")[0]

    def check(self, check_id: str) -> Check | None:
        return next((c for c in self.checks if c.id == check_id), None)


def _checks(item: dict[str, object], rule_mode: str) -> tuple[Check, ...]:
    raw = item.get("checks") or []
    if not isinstance(raw, list):
        raise TypeError("checks must be a list")
    return tuple(
        Check(
            id=str(c["id"]),
            what=str(c["what"]),
            hosts=tuple(c["hosts"]),
            mode=str(c.get("mode", rule_mode)),
            personas=tuple(c.get("personas", ())),
            judged_by=str(c.get("judged_by", "ledger")),
            threshold=str(c.get("threshold", "any")),
            exempt=tuple(str(op) for op in c.get("exempt", ())),
        )
        for c in raw
    )


@cache
def catalogue(path: Path | None = None) -> dict[str, Rule]:
    """All rules by id, in catalogue order. Raises :class:`SpecError` on a malformed file."""
    source = path or rules_file()
    try:
        raw = yaml.load(source.read_text(encoding="utf-8"), Loader=_LOADER)
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
                checks=_checks(item, item["mode"]),
            )
            for item in raw["rules"]
        }
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise SpecError(f"rule catalogue {source} is unreadable: {exc}", "restore specs/rules.yaml") from exc
    for rule in rules.values():
        if rule.mode not in MODES:
            raise SpecError(f"rule {rule.id} in {source} has mode {rule.mode!r}", f"use one of {MODES}")
        _validate_checks(rule, source)
    return rules


def _validate_checks(rule: Rule, source: Path) -> None:
    ids = [c.id for c in rule.checks]
    if not ids:
        raise SpecError(f"rule {rule.id} in {source} lists no checks", "give it the checks it is made of")
    if len(set(ids)) != len(ids):
        raise SpecError(f"rule {rule.id} in {source} repeats a check id", "make check ids unique per rule")
    for check in rule.checks:
        if check.mode not in MODES or check.judged_by not in JUDGED_BY:
            raise SpecError(
                f"check {rule.id}/{check.id} in {source} has mode {check.mode!r}, judged_by "
                f"{check.judged_by!r}",
                f"use a mode of {MODES} and judged_by one of {JUDGED_BY}",
            )
        if check.threshold not in THRESHOLDS:
            raise SpecError(f"check {rule.id}/{check.id} in {source} has threshold {check.threshold!r}",
                            f"use one of {THRESHOLDS}")
        if not set(check.hosts) <= {"main", "cr"} or not check.hosts:
            raise SpecError(f"check {rule.id}/{check.id} in {source} has hosts {check.hosts}", "use main, cr")


def mode_allows(run_mode: str, rule_mode: str) -> bool:
    """Whether a run in ``run_mode`` may execute a rule needing ``rule_mode``."""
    return MODES.index(run_mode) >= MODES.index(rule_mode)
