"""Which tests run: the ``--fd-rules`` filter, ``--fd-shard I/N`` and the persona/mode needs of each rule.

Pure functions over rule ids, node ids and settings, so the plugin's collection hook stays thin and
every decision is unit-testable. A test whose rules cannot run is skipped with a reason starting
``not run:`` — never silently passed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from conformance.config import Settings, nearest
from conformance.errors import ConfigError
from conformance.rules import MODES, Rule, mode_allows


def resolve_rules_filter(tokens: Iterable[str], rules: Mapping[str, Rule]) -> frozenset[str]:
    """Rule ids selected by ids (``TEN-03``) and families (``TEN``); unknown ones: :class:`ConfigError`."""
    families = sorted({r.family for r in rules.values()})
    selected: set[str] = set()
    for raw in tokens:
        token = raw.strip().upper()
        if token in rules:
            selected.add(token)
        elif token in families:
            selected.update(r.id for r in rules.values() if r.family == token)
        else:
            guess = nearest(token, [*rules, *families])
            raise ConfigError(
                f"--rules: {token!r} is neither a rule id nor a family",
                f"did you mean {guess}?" if guess else f"families: {', '.join(families)}",
            )
    return frozenset(selected)


def shard_of(nodeid: str, total: int) -> int:
    """The 1-based shard a test belongs to: a stable hash of its node id (same on every machine)."""
    digest = hashlib.sha256(nodeid.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % total + 1


def in_shard(nodeid: str, shard: tuple[int, int] | None) -> bool:
    return shard is None or shard_of(nodeid, shard[1]) == shard[0]


def persona_hint(name: str) -> str:
    return f"add [personas.{name}] to the config or set FDCONF_PERSONA_{name.upper()}_USERNAME/_PASSWORD"


@dataclass
class Needs:
    """What one test needs beyond its rules (the ``fd_needs`` marker)."""

    mode: str | None = None
    personas: tuple[str, ...] = ()


@dataclass
class Plan:
    """The decision for one test: which of its rules it gives evidence for, or why it is skipped."""

    rules: tuple[str, ...]
    skip: str | None = None
    unmet: dict[str, str] = field(default_factory=dict)  # rule id → why this test cannot evidence it


def unmet_reason(personas: Sequence[str], mode: str | None, settings: Settings) -> str | None:
    """Why a need cannot be met in this run (``None`` when it can)."""
    configured = set(settings.configured_personas())
    missing = [p for p in personas if p not in configured]
    if missing:
        return f"not run: needs persona '{missing[0]}' (not configured; {persona_hint(missing[0])})"
    if mode and mode in MODES and not mode_allows(settings.mode, mode):
        flag = "--mode publish" if mode == "publish" else "--mode write"
        return f"not run: needs mode {mode} (this run is {settings.mode}; pass {flag})"
    return None


def plan_for(rule_ids: Sequence[str], needs: Needs, rules: Mapping[str, Rule], settings: Settings) -> Plan:
    """Split a test's rules into runnable and unmet; skip it when none can run or ``fd_needs`` fails."""
    extra = unmet_reason(needs.personas, needs.mode, settings)
    if extra:
        return Plan(rules=(), skip=extra, unmet=dict.fromkeys(rule_ids, extra))
    runnable: list[str] = []
    unmet: dict[str, str] = {}
    for rule_id in rule_ids:
        rule = rules.get(rule_id)
        if rule is None:
            runnable.append(rule_id)  # not in the catalogue: the plugin reports it, cannot judge needs
            continue
        reason = unmet_reason(rule.personas, rule.mode, settings)
        if reason:
            unmet[rule_id] = reason
        else:
            runnable.append(rule_id)
    if rule_ids and not runnable:
        return Plan(rules=(), skip=next(iter(unmet.values())), unmet=unmet)
    return Plan(rules=tuple(runnable), unmet=unmet)


def selected(rule_ids: Sequence[str], wanted: frozenset[str] | None) -> bool:
    """Whether a test with ``rule_ids`` survives the rules filter (``None`` = no filter)."""
    return wanted is None or any(r in wanted for r in rule_ids)
