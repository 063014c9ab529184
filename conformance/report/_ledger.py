"""The probe ledger as data, and the verdict of a rule from what was judged.

Every probe a scenario makes is one :class:`Probe`: the rule and check it is evidence for, the host it
was sent to, the operation, and its outcome — judged ``pass``, judged ``fail``, or ``unexercised``
with the reason (the positive control failed, no foreign event, boost never succeeded ...).
:func:`judge` turns a rule's probes into its status: *failed* on any judged failure, *passed* when
every check that applies has at least one judged probe on every host it applies to (a check with
threshold ``every``: each operation attempted there) and no operation went unanswered (timed out),
*partial* when something was judged but not all of that, *not run* when nothing was. Pure: no I/O,
no pytest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from conformance.rules import Check, Rule, mode_allows

Outcome = Literal["pass", "fail", "unexercised"]
OUTCOMES: tuple[Outcome, ...] = ("pass", "fail", "unexercised")
MAX_REASONS = 3


@dataclass(frozen=True)
class Probe:
    """One judged (or unexercised) probe."""

    rule_id: str
    check: str
    host: str  # "main" | "cr"
    operation: str  # "GET /events/{eid}/clusters", or a named probe ("sign-in", "boost x3")
    outcome: Outcome
    reason: str = ""  # for unexercised: why; for fail: the violation, one line
    test: str = ""  # pytest node id that recorded it
    # unexercised because the target did not answer (timed out, or abandoned after run.abandon_after
    # timeouts): a gap in the target's service, so the rule cannot pass, unlike a gap in the data
    unanswered: bool = False

    @property
    def judged(self) -> bool:
        return self.outcome != "unexercised"


@dataclass
class CheckTally:
    """What one check of one rule got on one host."""

    check: str
    host: str
    applies: bool = True
    judged: int = 0  # operations with at least one judged probe
    failed: int = 0  # operations with a judged failure
    operations: int = 0  # operations probed or attempted (judged or not)
    unexercised: dict[str, int] = field(default_factory=dict)  # reason -> operations left unjudged
    by_tests: bool = False  # judged by the rule's tests' outcome (no probes)
    every: bool = False  # threshold "every": each operation attempted must be judged

    @property
    def complete(self) -> bool:
        """Judged enough for the rule to pass: one operation, or (``every``) each one attempted."""
        if self.every:
            return self.judged > 0 and self.judged >= self.operations
        return self.judged > 0

    def line(self, rule_id: str) -> str:
        """``OBJ-01 foreign-eid-404: 4 of 21 operations judged on main (owner gets 404 x17)``."""
        if self.by_tests:
            return f"{rule_id} {self.check}: judged by the fuzz tests on {self.host}"
        head = f"{rule_id} {self.check}: {self.judged} of {self.operations} judged on {self.host}"
        if not self.operations:
            head = f"{rule_id} {self.check}: not exercised on {self.host}"
        reasons = sorted(self.unexercised.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_REASONS]
        if reasons:
            head += " (" + "; ".join(f"{why} x{n}" for why, n in reasons) + ")"
        return head


@dataclass
class RuleVerdict:
    status: Literal["passed", "failed", "partial", "not_run"]
    reason: str
    tallies: list[CheckTally]


def tally(check: Check, host: str, probes: Iterable[Probe], *, applies: bool = True) -> CheckTally:
    """Count ``probes`` of one check on one host by operation (repeated probes of one operation,
    e.g. one per token variant, count once; its worst outcome wins)."""
    worst: dict[str, Probe] = {}
    rank = {"fail": 2, "pass": 1, "unexercised": 0}
    for probe in probes:
        if probe.check != check.id or probe.host != host:
            continue
        held = worst.get(probe.operation)
        if held is None or rank[probe.outcome] > rank[held.outcome]:
            worst[probe.operation] = probe
    out = CheckTally(check=check.id, host=host, applies=applies, operations=len(worst),
                     every=check.threshold == "every")
    reasons: Counter[str] = Counter()
    for probe in worst.values():
        if probe.outcome == "unexercised":
            reasons[probe.reason or "unexercised"] += 1
        else:
            out.judged += 1
            out.failed += probe.outcome == "fail"
    out.unexercised = dict(reasons)
    return out


def judge(
    rule: Rule,
    probes: Sequence[Probe],
    *,
    mode: str,
    failed: bool,
    tests_passed: bool,
    selected: bool = True,
) -> RuleVerdict:
    """The status of ``rule`` from its probes (``failed``: a finding is attributed to it; ``tests_passed``:
    at least one of its tests ran and passed, which is how ``judged_by: tests`` checks are judged)."""
    tallies: list[CheckTally] = []
    for check in rule.checks:
        applies = selected and mode_allows(mode, check.mode)
        for host in check.hosts:
            if check.judged_by == "tests":
                t = CheckTally(check=check.id, host=host, applies=applies, by_tests=True)
                t.judged = int(tests_passed)
                t.operations = int(tests_passed)
                tallies.append(t)
            else:
                tallies.append(tally(check, host, probes, applies=applies))
    if failed or any(t.failed for t in tallies):
        first = next((p.reason for p in probes if p.outcome == "fail" and p.reason), "")
        return RuleVerdict("failed", first, tallies)
    due = [t for t in tallies if t.applies]
    missing = [t for t in due if not t.complete]
    unanswered = sorted({p.operation for p in probes if p.unanswered and p.outcome == "unexercised"})
    if due and not missing and not unanswered:
        return RuleVerdict("passed", "", tallies)
    silent = f"{len(unanswered)} operation(s) never answered: {', '.join(unanswered[:MAX_REASONS])}"
    lines = [t.line(rule.id) for t in missing] + ([silent] if unanswered else [])
    if not any(t.judged for t in due):
        return RuleVerdict("not_run", "; ".join(lines[:MAX_REASONS]), tallies)
    return RuleVerdict("partial", "; ".join(lines), tallies)


def judged_counts(tallies: Iterable[CheckTally]) -> tuple[int, int]:
    """``(judged, attempted)`` over the tallies that apply (the "judged 19/21" of a report)."""
    due = [t for t in tallies if t.applies]
    return sum(t.judged for t in due), sum(t.operations for t in due)
