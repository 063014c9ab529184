"""What a check returns, and the registry of checks by id (ids are data: ``specs/rules.yaml`` names them).

A check is a pure function of a :class:`~conformance.integration.recording.Journey`. It says whether
the journey *exercised* what it judges (evidence) and lists the violations it saw; a check that was
not exercised proves nothing, so its rule cannot pass on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from conformance.integration.recording import Exchange, Journey


@dataclass(frozen=True)
class Violation:
    message: str
    expected: str = ""
    received: str = ""
    exchange: Exchange | None = None


@dataclass
class Outcome:
    exercised: bool
    violations: list[Violation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    evidence: int = 0  # how many exchanges the judgement rests on


Check = Callable[[Journey], Outcome]
CHECKS: dict[str, Check] = {}


def check(check_id: str) -> Callable[[Check], Check]:
    """Register a check under the id the rule catalogue uses for it."""

    def register(fn: Check) -> Check:
        if check_id in CHECKS:
            raise ValueError(f"check {check_id} registered twice")
        CHECKS[check_id] = fn
        return fn

    return register


def judged(items: list[Exchange], violations: list[Violation], warnings: list[str] | None = None) -> Outcome:
    """The usual outcome: exercised when there was something to judge."""
    return Outcome(exercised=bool(items), violations=violations, warnings=warnings or [], evidence=len(items))
